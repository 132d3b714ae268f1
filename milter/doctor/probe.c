/*
 * probe.c - talk to the smarthost like sendmail would, stop before MAIL
 *
 * CONTRACT
 *	See probe.h. The connection itself (bounded waits, replies,
 *	STARTTLS, verification errors) is smtpconn.c; this file holds the
 *	steps up to EHLO and the order of all of them, probeehlo.c the EHLO
 *	exchange (before and after STARTTLS), probetls.c the TLS steps,
 *	probeauth.c the login, proberesult.c what the steps record,
 *	probeaddr.c the addresses. One SSL_CTX per probe.
 *	The only commands ever sent are EHLO, STARTTLS, AUTH (with --auth)
 *	and QUIT. AUTH goes over TLS with a verified certificate, or, with
 *	--allow-plaintext, in clear text to a loopback address only (checked
 *	on the address the connection went to, not on the name). Secrets
 *	live in buffers that are wiped (free_secret or OPENSSL_cleanse) as
 *	soon as the AUTH exchange ends.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "causes.h"
#include "deadline.h"
#include "probe.h"
#include "netlist.h"
#include "probe_int.h"
#include "smtpconn.h"
#include "smtpreply.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

static const char *
errno_cause(int err, int port)
{
	switch (err) {
	case ETIMEDOUT:
		return port == 25 ? "connect-timeout-port25" : "connect-timeout";
	case ECONNREFUSED:
		return "connect-refused";
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "network-unreachable";
	default:
		return "connect-timeout";
	}
}

static const char *
errno_word(int err)
{
	switch (err) {
	case ETIMEDOUT: return "timed out";
	case ECONNREFUSED: return "refused";
	case ENETUNREACH: return "network unreachable";
	case EHOSTUNREACH: return "host unreachable";
	default: return strerror(err);
	}
}

/* ------------------------------------------------------------ steps */

static bool
step_dns(struct probe *p)
{
	const struct probe_options *o = p->o;
	struct addrinfo hints, *res = NULL, *ai;
	struct probe_step *s;
	strbuf list;
	unsigned t0;
	bool local = false;
	int gai;

	s = pr_step_begin(p->r, "dns", &t0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (ip_parse_text(o->host, NULL, NULL))
		hints.ai_flags = AI_NUMERICHOST;
	gai = getaddrinfo(o->host, NULL, &hints, &res);
	if (gai != 0) {
		pr_step_end(s, t0, PV_FAIL, gai == EAI_AGAIN ? "dns-temporary" :
		    "host-unknown", "%s does not resolve: %s", o->host,
		    gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return false;
	}
	sb_init(&list);
	for (ai = res; ai != NULL && p->naddrs < MAX_ADDRS; ai = ai->ai_next) {
		struct target *t = &p->addrs[p->naddrs];
		size_t k;
		bool dup = false;

		if (ai->ai_addrlen > sizeof(t->ss) ||
		    sockaddr_ntop(ai->ai_addr, t->text, sizeof(t->text)) < 0)
			continue;
		for (k = 0; k < p->naddrs; k++)
			dup |= strcmp(p->addrs[k].text, t->text) == 0;
		if (dup)
			continue;
		memcpy(&t->ss, ai->ai_addr, ai->ai_addrlen);
		t->len = (socklen_t)ai->ai_addrlen;
		pr_set_port(&t->ss, o->port);
		local |= pr_addr_is_local(ai->ai_addr);
		sb_printf(&list, "%s%s", list.len ? " " : "", t->text);
		p->naddrs++;
	}
	freeaddrinfo(res);
	pr_step_fact(p->r, s, "addresses", list.s);
	pr_step_fact(p->r, s, "local", local ? "yes" : "no");
	if (p->naddrs == 0)
		pr_step_end(s, t0, PV_FAIL, "host-unknown",
		    "%s has no usable address", o->host);
	else if (local)
		pr_step_end(s, t0, PV_INFO, NULL, "%s is %s, an address of this "
		    "host: the relay runs here (if it greets with this host's "
		    "own name, sendmail says \"mail loops back to me\")",
		    o->host, list.s);
	else
		pr_step_end(s, t0, PV_OK, NULL, "%s is %s", o->host, list.s);
	sb_free(&list);
	return p->naddrs > 0;
}

struct cmp {
	int		port;
	int		fd;
	int		err;	/* 0 open, else errno (ETIMEDOUT) */
	unsigned	ms;
};

/* Connect to several ports of one address at once; fills err and ms. */
static void
connect_many(const struct target *t, struct cmp *v, size_t n,
    unsigned timeout_ms)
{
	uint64_t t0 = mono_ms(), deadline = t0 + timeout_ms;
	size_t i, pending = 0;

	for (i = 0; i < n; i++) {
		struct sockaddr_storage ss = t->ss;

		v[i].err = ETIMEDOUT;
		v[i].ms = 0;
		pr_set_port(&ss, v[i].port);
		v[i].fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (v[i].fd < 0) {
			v[i].err = errno;
			continue;
		}
		if (connect(v[i].fd, (struct sockaddr *)&ss, t->len) == 0) {
			v[i].err = 0;
		} else if (errno == EINPROGRESS) {
			pending++;
			continue;
		} else
			v[i].err = errno;
		v[i].ms = (unsigned)(mono_ms() - t0);
		close(v[i].fd);
		v[i].fd = -1;
	}
	while (pending > 0) {
		struct pollfd pf[8];
		size_t map[8], np = 0;
		int rc;

		for (i = 0; i < n && np < 8; i++)
			if (v[i].fd >= 0) {
				pf[np].fd = v[i].fd;
				pf[np].events = POLLOUT;
				pf[np].revents = 0;
				map[np++] = i;
			}
		rc = poll_until(pf, np, deadline);
		if (rc <= 0)
			break;
		for (i = 0; i < np; i++) {
			struct cmp *x = &v[map[i]];
			int so = 0;
			socklen_t sl = sizeof(so);

			if (pf[i].revents == 0)
				continue;
			if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &so,
			    &sl) < 0)
				so = errno;
			x->err = so;
			x->ms = (unsigned)(mono_ms() - t0);
			close(x->fd);
			x->fd = -1;
			pending--;
		}
	}
	for (i = 0; i < n; i++)
		if (v[i].fd >= 0) {
			close(v[i].fd);
			v[i].fd = -1;
			v[i].err = ETIMEDOUT;
			v[i].ms = timeout_ms;
		}
}

/*
 * Compare the target port with 25, 587 and 465 on the same address. Returns
 * true when 587 answers (used to say "port 25 is blocked").
 */
static bool
step_ports(struct probe *p, const struct target *t)
{
	static const int ports[] = { 25, 587, 465 };
	struct cmp v[3];
	struct probe_step *s;
	strbuf msg;
	size_t i, n = 0;
	unsigned t0;
	bool open587 = false;
	char key[16];

	s = pr_step_begin(p->r, "ports", &t0);
	for (i = 0; i < 3; i++)
		if (ports[i] != p->o->port)
			v[n++].port = ports[i];
	connect_many(t, v, n, p->o->timeout_ms);
	sb_init(&msg);
	sb_printf(&msg, "on %s:", t->text);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "port-%d", v[i].port);
		if (v[i].err == 0) {
			pr_step_factf(p->r, s, key, "open (%u ms)", v[i].ms);
			sb_printf(&msg, " %d open,", v[i].port);
		} else {
			pr_step_fact(p->r, s, key, errno_word(v[i].err));
			sb_printf(&msg, " %d %s,", v[i].port,
			    errno_word(v[i].err));
		}
		if (v[i].port == 587 && v[i].err == 0)
			open587 = true;
	}
	if (msg.len > 0 && msg.s[msg.len - 1] == ',')
		msg.s[--msg.len] = '\0';
	pr_step_end(s, t0, PV_INFO, NULL, "for comparison %s", msg.s);
	sb_free(&msg);
	return open587;
}

static bool
step_connect(struct probe *p)
{
	const struct probe_options *o = p->o;
	struct probe_step *s;
	strbuf fails;
	unsigned t0;
	size_t i, ci;
	int err = 0;
	bool connected = false;

	s = pr_step_begin(p->r, "connect", &t0);
	ci = p->r->nsteps - 1;
	sb_init(&fails);
	for (i = 0; i < p->naddrs; i++) {
		if (smtpconn_connect(&p->c, (struct sockaddr *)&p->addrs[i].ss,
		    p->addrs[i].len, &err) == 0) {
			connected = true;
			p->used = i;
			break;
		}
		sb_printf(&fails, "%s%s: %s", fails.len ? ", " : "",
		    p->addrs[i].text, errno_word(err));
	}
	if (connected) {
		pr_step_fact(p->r, s, "address", p->addrs[p->used].text);
		pr_step_end(s, t0, PV_OK, NULL, "connected to %s port %d",
		    p->addrs[p->used].text, o->port);
		if (fails.len)
			pr_step_fact(p->r, s, "failed", fails.s);
		sb_free(&fails);
		if (o->compare_ports)
			step_ports(p, &p->addrs[p->used]);
		return true;
	}
	pr_step_fact(p->r, s, "failed", fails.s);
	pr_step_end(s, t0, PV_FAIL, errno_cause(err, o->port),
	    "cannot connect to %s port %d (%s)", o->host, o->port, fails.s);
	if (o->compare_ports) {
		bool open587 = step_ports(p, &p->addrs[0]);

		if (open587 && err == ETIMEDOUT && s != NULL && !p->r->err) {
			/* the decisive comparison: say it in the failed step */
			s = &p->r->steps[ci];
			s->cause_id = o->port == 25 ? "connect-timeout-port25" :
			    "connect-timeout";
			free(s->message);
			sb_reset(&fails);
			sb_printf(&fails, "port %d of %s times out, but port "
			    "587 answers: %s", o->port, o->host, o->port == 25 ?
			    "your ISP or provider blocks outgoing port 25; "
			    "relay on 587 with STARTTLS" :
			    "something between here and the relay drops this "
			    "port; relay on 587 with STARTTLS");
			s->message = sb_steal(&fails);
		}
	}
	sb_free(&fails);
	return false;
}

static bool
step_greeting(struct probe *p)
{
	struct probe_step *s;
	struct smtp_reply rep;
	const char *why = NULL;
	unsigned t0;
	enum smtpconn_rd rd;

	s = pr_step_begin(p->r, "greeting", &t0);
	memset(&rep, 0, sizeof(rep));
	rd = smtpconn_reply(&p->c, &rep, &why);
	if (rd == SMTPCONN_TIMEOUT) {
		/* a port that waits silently may speak TLS from the start */
		unsigned saved = p->c.timeout_ms;
		const char *twhy = NULL;
		int tls;

		tls = smtpconn_tls(&p->c, p->o->host, p->o->cafile, p->o->capath,
		    &twhy);
		p->c.timeout_ms = saved;
		if (tls == 0) {
			pr_step_end(s, t0, PV_FAIL, "implicit-tls-port",
			    "no SMTP greeting: port %d speaks TLS from the "
			    "first byte (implicit TLS, SMTPS); sendmail's "
			    "client only speaks STARTTLS: relay on port 587",
			    p->o->port);
			pr_step_fact(p->r, s, "implicit-tls", "yes");
		} else
			pr_step_end(s, t0, PV_FAIL, "greeting-timeout",
			    "connected to %s port %d, then waited %u s for the "
			    "server's 220 greeting (the first line an SMTP "
			    "server sends, RFC 5321 4.3.1) and %u s more for a "
			    "TLS handshake (a port speaking TLS from the first "
			    "byte): neither came; something accepts connections "
			    "there without speaking SMTP (a firewall or proxy "
			    "holding them), or the server is stuck before its "
			    "greeting (looking up this host's name)",
			    p->addrs[p->used].text, p->o->port,
			    p->o->timeout_ms / 1000, p->o->timeout_ms / 1000);
		return false;
	}
	if (rd == SMTPCONN_BAD) {
		size_t n = p->c.in.len < 60 ? p->c.in.len : 60;
		strbuf first;

		sb_init(&first);
		sb_append(&first, p->c.in.s, n);
		sanitize_inplace(first.s);
		pr_step_end(s, t0, PV_FAIL, "relay-not-smtp",
		    "this is not an SMTP server (%s): it sent \"%s\"",
		    why ? why : "bad reply", first.s);
		sb_free(&first);
		return false;
	}
	if (rd != SMTPCONN_OK) {
		pr_step_end(s, t0, PV_FAIL, "connection-lost", "no greeting: %s",
		    why ? why : "error");
		return false;
	}
	pr_step_reply(s, &rep);
	pr_step_fact(p->r, s, "banner", rep.nlines ? rep.lines[0] : "");
	if (rep.code != 220) {
		pr_step_refused(p->o, s, t0, CAUSE_PHASE_CONNECT, NULL,
		    "the connection");
		smtpreply_free(&rep);
		return false;
	}
	pr_step_end(s, t0, PV_OK, NULL, "%s", s ? s->reply : "");
	smtpreply_free(&rep);
	return true;
}

static bool
step_ehlo(struct probe *p)
{
	struct probe_step *s;
	unsigned t0;

	s = pr_step_begin(p->r, "ehlo", &t0);
	if (!pr_do_ehlo(p, s, t0, false))
		return false;
	pr_step_fact(p->r, s, "starttls", p->ehlo.starttls ? "offered" :
	    "not offered");
	if (p->ehlo.domain != NULL && str_ieq(p->ehlo.domain, p->r->helo)) {
		/* sendmail's trap, not the relay's: the probe goes on, so
		 * that the relay's TLS and login are known too (seed 004's
		 * James greets with the name of the host it shares) */
		pr_step_end(s, t0, PV_FAIL, "mail-loops", "the server calls "
		    "itself %s, this host's own name: sendmail stops with "
		    "\"config error: mail loops back to me\" (the relay "
		    "mailer needs F=k, or SMART_HOST names this host); the "
		    "probe goes on past it", p->ehlo.domain);
		return true;
	}
	if (!p->ehlo.starttls && pr_addr_is_loopback((struct sockaddr *)
	    &p->addrs[p->used].ss)) {
		pr_step_end(s, t0, PV_INFO, NULL, "%s does not offer STARTTLS: "
		    "on the loopback address %s mail and a password stay on "
		    "this host (a local relay such as Apache James); test the "
		    "login with --auth --allow-plaintext",
		    p->ehlo.domain ? p->ehlo.domain : p->o->host,
		    p->addrs[p->used].text);
		return true;
	}
	if (!p->ehlo.starttls) {
		pr_step_end(s, t0, PV_FAIL, "starttls-not-offered", "%s does not "
		    "offer STARTTLS: sendmail would send mail (and a password) "
		    "in clear text, and relays such as Gmail refuse AUTH "
		    "without it", p->ehlo.domain ? p->ehlo.domain : p->o->host);
		return true;
	}
	pr_step_end(s, t0, PV_OK, NULL, "%s offers STARTTLS", p->ehlo.domain ?
	    p->ehlo.domain : p->o->host);
	return true;
}

/* ------------------------------------------------------------ run */

/* The auth step when the password is not sent: failed, with why. */
static void
auth_withheld(struct probe_result *r, const char *cause, const char *why)
{
	struct probe_step *s;
	unsigned t0;

	s = pr_step_begin(r, "auth", &t0);
	pr_step_end(s, t0, PV_FAIL, cause, "%s", why);
}

int
probe_run(const struct probe_options *o, struct probe_result *r)
{
	struct probe p;
	struct smtp_reply rep;
	const char *why;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.r = r;
	smtpconn_init(&p.c, o->timeout_ms ? o->timeout_ms : 10000, o->debug);
	r->port = o->port;
	if ((r->host = strdup(o->host)) == NULL ||
	    (r->helo = o->helo ? strdup(o->helo) : pr_own_name()) == NULL) {
		r->err = 1;
		goto out;
	}
	if (!step_dns(&p) || !step_connect(&p) || !step_greeting(&p) ||
	    !step_ehlo(&p))
		goto quit;
	if (p.have_ehlo && p.ehlo.starttls) {
		if (!pr_step_starttls(&p))
			goto out;
		pr_step_certificate(&p);
		if (!pr_step_auth_mechs(&p, true))
			goto quit;
		if (o->auth && p.cert_ok)
			pr_step_auth(&p);
		else if (o->auth)
			auth_withheld(r, "tls-verify", "not sending the password "
			    "to a server whose certificate failed verification "
			    "(give its CA with --cafile if it is a private one)");
	} else if (p.have_ehlo && pr_addr_is_loopback((struct sockaddr *)
	    &p.addrs[p.used].ss)) {
		/* a relay on this host without STARTTLS (seed 004's James) */
		if (!pr_step_auth_mechs(&p, false))
			goto quit;
		if (o->auth && o->allow_plaintext)
			pr_step_auth(&p);
		else if (o->auth)
			auth_withheld(r, "starttls-not-offered", "not sending "
			    "the password: the connection is not encrypted; to "
			    "a relay on this host's loopback address it does not "
			    "cross the network: give --allow-plaintext to test "
			    "the login");
	} else if (o->auth)
		auth_withheld(r, "starttls-not-offered", o->allow_plaintext ?
		    "not sending the password: the connection is not "
		    "encrypted, and --allow-plaintext is only for a relay on a "
		    "loopback address (127.0.0.0/8, ::1), which this is not" :
		    "not sending the password: the connection is not "
		    "encrypted");
quit:
	if (p.c.fd >= 0) {
		memset(&rep, 0, sizeof(rep));
		if (smtpconn_cmd(&p.c, "QUIT", &rep, &why) == SMTPCONN_OK)
			smtpreply_free(&rep);
	}
out:
	if (p.have_ehlo)
		ehlo_info_free(&p.ehlo);
	if (p.c.ssl != NULL)
		SSL_shutdown(p.c.ssl);
	smtpconn_close(&p.c);
	return r->err ? -1 : 0;
}
