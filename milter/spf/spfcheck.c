/*
 * spfcheck.c - SPF verdicts through libspf2 1.2.10: the checker's setup
 *		and the evaluation driver
 *
 * CONTRACT
 *	Implements spfcheck.h, except spfc_selftest_error_handler()
 *	(spfguard.c), from the modules of spfint.h:
 *	  - spfc_new() builds one SPF_server_t over the DNS layer of spfdns.c
 *	    (query counting, lookup limits, record checks), which asks the
 *	    in-memory zone of spfzone.c (zone_file set) or the network
 *	    through dnsq. libspf2's own limits on DNS mechanisms and PTR
 *	    names are lifted: the layer applies RFC 7208's. Verdicts are
 *	    cached in an spfcache (spfcache.h).
 *	  - an evaluation parses the client address (v4-mapped IPv6 becomes
 *	    IPv4; loopback and unspecified are refused; the last few texts
 *	    parsed are remembered per thread) and the sender (white
 *	    space around and one pair of <> dropped; control characters or
 *	    <> inside refused; the last non-empty one parsed, its domain
 *	    and the domain's check are remembered per thread); a malformed
 *	    domain gives none without a lookup. spfc_check() then asks the cache under "domain|address",
 *	    then "sender|address" (lower case). On a miss it attaches a
 *	    heap-allocated spfdns_eval to the thread, runs libspf2 inside a
 *	    guarded call, maps the result (SPF_RESULT_INVALID: temperror
 *	    after DNS trouble, else permerror; an SPF_error(): permerror
 *	    with libspf2's message), turns the layer's over_* flags into
 *	    permerror and writes detail, one sanitised line naming the
 *	    domain, the address and the cause. A result other than
 *	    temperror is cached under the sender key when the record used
 *	    %{l} or %{s}, else under the domain key. spfc_eval() never
 *	    uses the cache. spfc_check_by() is spfc_check() with the
 *	    caller's deadline (a message's whole DNS budget) in place of
 *	    now + dns_timeout_ms; from the cache it copies the detail only
 *	    of a verdict that is not pass, and never the record (the
 *	    milter's per-message path shows neither). With libspf2_only the domain check and the
 *	    over_* mapping are skipped.
 *	Thread-safety: spfc_zone_add() and spfc_set_clock() only before
 *	the checker is shared, spfc_free() after its last use; spfc_check(),
 *	spfc_eval(), spfc_dns_queries() and spfc_cache_size() from any
 *	thread.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>

#include "deadline.h"
#include "dnsq.h"
#include "spfcache.h"
#include "spfcheck.h"
#include "spfint.h"
#include "spfrec.h"

/* ------------------------------------------------------------ setup */

struct spfc *
spfc_new(const struct spfc_options *opt, strbuf *err)
{
	struct spfc *sc;
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = spfguard_jmp;
	SPF_response_t *resp = NULL;

	spfguard_install();
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		sb_puts(err, "out of memory");
		return NULL;
	}
	sc->opt = *opt;
	sc->opt.zone_file = NULL;
	sc->opt.nameservers = NULL;
	sc->opt.resolv_conf = NULL;
	if (sc->opt.dns_timeout_ms == 0)
		sc->opt.dns_timeout_ms = SPFC_DEFAULT_TIMEOUT_MS;
	if (sc->opt.cache_max == 0)
		sc->opt.cache_ttl = 0;
	sc->cache = spfcache_new(sc->opt.cache_ttl, sc->opt.cache_max);
	sc->rcache = spfcache_new(sc->opt.cache_ttl, sc->opt.cache_max);
	if (sc->cache == NULL || sc->rcache == NULL) {
		sb_puts(err, "out of memory");
		goto fail;
	}
	if (opt->zone_file != NULL) {
		sc->zone = spfzone_new(err);
		if (sc->zone == NULL)
			goto fail;
	}
	sc->dns = spfdns_new(sc->zone, opt->nameservers, opt->resolv_conf,
	    opt->libspf2_only, err);
	if (sc->dns == NULL)
		goto fail;
	if (sigsetjmp(jb, 0) != 0) {
		sb_printf(err, "libspf2 setup failed: %s", spfguard_message());
		goto fail;
	}
	spfguard_jmp = &jb;
	sc->spf = SPF_server_new_dns(spfdns_layer(sc->dns), 0);
	if (sc->spf == NULL) {
		sb_puts(err, "out of memory");
		goto fail;
	}
	/* Received-SPF comments are not used; keep gethostname() out */
	if (SPF_server_set_rec_dom(sc->spf, "relaymilter") != SPF_E_SUCCESS ||
	    SPF_server_set_explanation(sc->spf, "SPF", &resp) !=
	    SPF_E_SUCCESS) {
		sb_puts(err, "libspf2 setup failed");
		goto fail;
	}
	if (resp != NULL) {
		SPF_response_free(resp);
		resp = NULL;
	}
	/* the limit of 10 is counted by our layer, across include: too;
	 * PTR answers are cut to 10 names by the layer (RFC 7208 4.6.4:
	 * ignore the rest, where libspf2 would give permerror) */
	if (!opt->libspf2_only) {
		SPF_server_set_max_dns_mech(sc->spf, 1000);
		SPF_server_set_max_dns_ptr(sc->spf, 1000);
	}
	spfguard_jmp = saved;
	if (opt->zone_file != NULL && *opt->zone_file != '\0' &&
	    spfzone_load(sc->zone, opt->zone_file, err) < 0)
		goto fail;
	return sc;
fail:
	spfguard_jmp = saved;
	if (resp != NULL)
		SPF_response_free(resp);
	spfc_free(sc);
	return NULL;
}

void
spfc_free(struct spfc *sc)
{
	if (sc == NULL)
		return;
	if (sc->spf != NULL)
		SPF_server_free(sc->spf);
	spfdns_free(sc->dns);
	spfzone_free(sc->zone);
	spfcache_free(sc->cache);
	spfcache_free(sc->rcache);
	free(sc);
}

int
spfc_zone_add(struct spfc *sc, const char *name, const char *type,
    const char *data, strbuf *err)
{
	if (sc->zone == NULL) {
		sb_puts(err, "not an in-memory zone checker");
		return -1;
	}
	return spfzone_add(sc->zone, name, type, data, err);
}

unsigned long
spfc_dns_queries(struct spfc *sc)
{
	return spfdns_queries(sc->dns);
}

void
spfc_set_clock(struct spfc *sc, long long (*now)(void *), void *arg)
{
	spfcache_set_clock(sc->cache, now, arg);
	spfcache_set_clock(sc->rcache, now, arg);
}

size_t
spfc_cache_size(struct spfc *sc)
{
	return spfcache_size(sc->cache) + spfcache_size(sc->rcache);
}

/* ------------------------------------------------------------ evaluate */

const char *
spf_verdict_name(enum spf_verdict v)
{
	switch (v) {
	case SPFV_NONE:		return "none";
	case SPFV_NEUTRAL:	return "neutral";
	case SPFV_PASS:		return "pass";
	case SPFV_FAIL:		return "fail";
	case SPFV_SOFTFAIL:	return "softfail";
	case SPFV_TEMPERROR:	return "temperror";
	case SPFV_PERMERROR:	return "permerror";
	}
	return "?";
}

void
spf_outcome_clear(struct spf_outcome *out)
{
	if (out == NULL)
		return;
	free(out->detail);
	free(out->record);
	memset(out, 0, sizeof(*out));
}

struct client {
	int		family;
	struct in_addr	v4;
	struct in6_addr	v6;
	char		text[INET6_ADDRSTRLEN];
	size_t		tlen;		/* strlen(text) */
};

/* n bytes of s to d in ASCII lower case (no branch: the compiler may
 * vectorise it). */
static void
lower_copy(char *d, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		d[i] = (char)(ch | ((unsigned char)(ch - 'A') < 26u) << 5);
	}
}

/*
 * The cache key "a|addr" in lower case, in buf when it fits, else in a
 * new allocation (free it when it is not buf); NULL when out of memory.
 * a has la bytes, lowered here unless lower is false (lower case
 * already); addr is a client's text, lower case already (inet_ntop's hex
 * digits, or an IPv4 address's digits and dots): copied as it is.
 */
static char *
key_make(char *buf, size_t size, const char *a, size_t la, bool lower,
    const struct client *addr)
{
	size_t lb = addr->tlen;
	char *d = la + lb + 2 <= size ? buf : malloc(la + lb + 2);

	if (d == NULL)
		return NULL;
	if (lower)
		lower_copy(d, a, la);
	else
		memcpy(d, a, la);
	d[la] = '|';
	memcpy(d + la + 1, addr->text, lb + 1);	/* with the NUL */
	return d;
}

/* Parse ip into c (the text form taken from ip for IPv4, inet_ntop for
 * IPv6). -1 with why set for bad text, loopback or unspecified. */
static int
client_parse_text(const char *ip, struct client *c, const char **why)
{
	memset(c, 0, sizeof(*c));
	/* text with a colon is never IPv4: one inet_pton for IPv6 */
	if (strchr(ip, ':') == NULL && inet_pton(AF_INET, ip, &c->v4) == 1) {
		c->family = AF_INET;
		/* inet_pton takes only a.b.c.d without leading zeros: the text
		 * is already canonical, spare the inet_ntop below */
		if (strlen(ip) < sizeof(c->text))
			memcpy(c->text, ip, strlen(ip) + 1);
	} else if (inet_pton(AF_INET6, ip, &c->v6) == 1) {
		c->family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&c->v6)) {
			memcpy(&c->v4, &c->v6.s6_addr[12], 4);
			c->family = AF_INET;
		}
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	if (c->family == AF_INET) {
		uint32_t a = ntohl(c->v4.s_addr);

		if ((a >> 24) == 127 || a == 0) {
			*why = "loopback or unspecified address: libspf2 "
			    "passes it unconditionally, it tells nothing";
			return -1;
		}
		if (c->text[0] == '\0')
			inet_ntop(AF_INET, &c->v4, c->text, sizeof(c->text));
	} else {
		if (IN6_IS_ADDR_LOOPBACK(&c->v6) ||
		    IN6_IS_ADDR_UNSPECIFIED(&c->v6)) {
			*why = "loopback or unspecified address: libspf2 "
			    "passes it unconditionally, it tells nothing";
			return -1;
		}
		inet_ntop(AF_INET6, &c->v6, c->text, sizeof(c->text));
	}
	c->tlen = strlen(c->text);
	return 0;
}

/*
 * Parse ip; v4-mapped IPv6 becomes IPv4 (RFC 7208 5: the client is the
 * IPv4 host). -1 with why set for bad text, loopback or unspecified.
 * The relay's few addresses come here on every message: the last
 * CLIENT_MEMO texts parsed without error are remembered per thread
 * (inet_pton and inet_ntop cost far more than comparing the text).
 */
#define CLIENT_MEMO	4
static int
client_parse(const char *ip, struct client *c, const char **why)
{
	static _Thread_local struct {
		char		ip[INET6_ADDRSTRLEN];	/* "": unused */
		struct client	c;
	} memo[CLIENT_MEMO];
	static _Thread_local unsigned next;
	size_t i, n;

	if (ip == NULL) {
		memset(c, 0, sizeof(*c));
		*why = "no client address";
		return -1;
	}
	for (i = 0; i < CLIENT_MEMO; i++) {
		if (memo[i].ip[0] != '\0' && strcmp(memo[i].ip, ip) == 0) {
			*c = memo[i].c;
			return 0;
		}
	}
	if (client_parse_text(ip, c, why) < 0)
		return -1;
	if ((n = strlen(ip)) < sizeof(memo[0].ip)) {
		i = next++ % CLIENT_MEMO;
		memcpy(memo[i].ip, ip, n + 1);
		memo[i].c = *c;
	}
	return 0;
}

static void
detail_set(struct spf_outcome *out, const char *dom, const char *ip,
    const struct spfdns_eval *ev, unsigned timeout_ms)
{
	strbuf sb;

	sb_init(&sb);
	sb_puts_sanitized(&sb, dom);
	switch (out->verdict) {
	case SPFV_PASS:
		sb_printf(&sb, " authorizes %s", ip);
		break;
	case SPFV_FAIL:
	case SPFV_SOFTFAIL:
	case SPFV_NEUTRAL:
		sb_printf(&sb, " does not authorize %s (%s)", ip,
		    spf_verdict_name(out->verdict));
		break;
	case SPFV_NONE:
		sb_puts(&sb, " publishes no SPF record");
		break;
	case SPFV_TEMPERROR:
		if (ev != NULL && ev->timed_out)
			sb_printf(&sb, ": DNS timeout (%u ms budget)",
			    timeout_ms);
		else
			sb_puts(&sb, ": temporary DNS failure");
		if (ev != NULL && ev->failname != NULL) {
			sb_puts(&sb, " looking up ");
			sb_puts_sanitized(&sb, ev->failname);
		}
		break;
	case SPFV_PERMERROR:
		sb_puts(&sb, ": permanent error: ");
		if (ev != NULL && ev->why != NULL)
			sb_puts_sanitized(&sb, ev->why);
		else
			sb_puts(&sb, "invalid SPF record");
		break;
	}
	out->detail = sb_steal(&sb);
}

static enum spf_verdict
verdict_of(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:		return SPFV_PASS;
	case SPF_RESULT_FAIL:		return SPFV_FAIL;
	case SPF_RESULT_SOFTFAIL:	return SPFV_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:	return SPFV_NEUTRAL;
	case SPF_RESULT_NONE:		return SPFV_NONE;
	case SPF_RESULT_TEMPERROR:	return SPFV_TEMPERROR;
	default:			return SPFV_PERMERROR;
	}
}

/* Run libspf2 on one request; the eval is heap-allocated so that its
 * contents survive a siglongjmp out of libspf2. */
static void
run_libspf2(struct spfc *sc, struct spfdns_eval *ev, const struct client *c,
    const char *sender, const char *helo, struct spf_outcome *out)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = spfguard_jmp;
	SPF_errcode_t err = SPF_E_SUCCESS;
	SPF_result_t r;

	spfdns_set_eval(ev);
	if (sigsetjmp(jb, 0) != 0) {
		/* libspf2 called SPF_error(): give up on this evaluation */
		spfguard_jmp = saved;
		spfdns_set_eval(NULL);
		free(ev->why);
		ev->why = strdup(spfguard_message());
		out->verdict = SPFV_PERMERROR;
		if (ev->resp != NULL)
			SPF_response_free(ev->resp);
		if (ev->req != NULL)
			SPF_request_free(ev->req);
		ev->resp = NULL;
		ev->req = NULL;
		return;
	}
	spfguard_jmp = &jb;
	ev->req = SPF_request_new(sc->spf);
	if (ev->req == NULL) {
		spfdns_why(ev, "%s", "out of memory");
		out->verdict = SPFV_TEMPERROR;
		goto done;
	}
	if (c->family == AF_INET)
		SPF_request_set_ipv4(ev->req, c->v4);
	else
		SPF_request_set_ipv6(ev->req, c->v6);
	SPF_request_set_helo_dom(ev->req, helo);
	if (SPF_request_set_env_from(ev->req, sender) != 0) {
		spfdns_why(ev, "%s", "libspf2 refused the sender");
		out->verdict = SPFV_PERMERROR;
		goto done;
	}
	err = SPF_request_query_mailfrom(ev->req, &ev->resp);
	r = ev->resp != NULL ? SPF_response_result(ev->resp) :
	    SPF_RESULT_INVALID;
	if (r == SPF_RESULT_INVALID) {
		/* libspf2 1.2.10: DNS trouble and syntax trouble both end
		 * here; the error code and our layer tell them apart */
		if (ev->dns_error || err == SPF_E_DNS_ERROR)
			out->verdict = SPFV_TEMPERROR;
		else
			out->verdict = SPFV_PERMERROR;
		if (out->verdict == SPFV_PERMERROR && ev->why == NULL)
			spfdns_why(ev, "%s", SPF_strerror(err));
	} else {
		out->verdict = verdict_of(r);
		if (out->verdict == SPFV_PERMERROR && ev->why == NULL) {
			err = SPF_response_errcode(ev->resp);
			spfdns_why(ev, "%s",
			    err == SPF_E_INCLUDE_RETURNED_NONE ?
			    "include of a domain without SPF record" :
			    SPF_strerror(err));
		}
	}
done:
	spfguard_jmp = saved;
	spfdns_set_eval(NULL);
	if (ev->resp != NULL)
		SPF_response_free(ev->resp);
	if (ev->req != NULL)
		SPF_request_free(ev->req);
	ev->resp = NULL;
	ev->req = NULL;
}

static int
evaluate(struct spfc *sc, const char *sender_in, const char *helo,
    const char *ip, bool use_cache, uint64_t deadline, unsigned what,
    struct spf_outcome *out)
{
	uint64_t t0 = mono_ms();
	unsigned queries = 0;
	struct client c;
	const char *why = NULL, *dom, *at;
	/* the sender and the cache keys live here when short enough */
	char sbuf[320], kbuf[320], lbuf[320];
	char *sender = NULL, *key = NULL, *lkey = NULL;
	size_t n, n2;
	bool dom_ok;
	/*
	 * The last sender checked on this thread, as parsed below (a
	 * non-empty one): the milter checks one sender at every egress
	 * address, and mostly the same one message after message.
	 */
	static _Thread_local struct {
		char	 in[sizeof(sbuf)];	/* as given, less leading white */
		char	 sender[sizeof(sbuf)];	/* trimmed, <> dropped */
		size_t	 len;			/* of sender; 0: unused */
		size_t	 dom;			/* offset of its domain */
		bool	 dom_ok;		/* spfrec_domain_ok() */
		char	 ldom[sizeof(sbuf)];	/* the domain in lower case */
		size_t	 ldom_len;
	} sm;
	const char *ldom = NULL;	/* sm.ldom when it is dom's */
	size_t ldom_len = 0;
	struct spfdns_eval *ev = NULL;
	strbuf sb;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	sb_init(&sb);
	if (client_parse(ip, &c, &why) < 0)
		goto bad;
	if (sender_in == NULL)
		sender_in = "";
	while (*sender_in == ' ' || *sender_in == '\t')
		sender_in++;
	n = strlen(sender_in);
	if (sm.len > 0 && n < sizeof(sm.in) && memcmp(sm.in, sender_in,
	    n + 1) == 0) {
		/* the sender of the last check on this thread */
		sender = memcpy(sbuf, sm.sender, sm.len + 1);
		dom = sender + sm.dom;
		dom_ok = sm.dom_ok;
		ldom = sm.ldom;
		ldom_len = sm.ldom_len;
		if (helo == NULL || *helo == '\0')
			helo = dom;
		goto parsed;
	}
	sender = n < sizeof(sbuf) ? memcpy(sbuf, sender_in, n + 1) :
	    strdup(sender_in);
	if (sender == NULL) {
		why = "out of memory";
		goto bad;
	}
	str_trim(sender);
	n2 = strlen(sender);
	if (n2 >= 2 && sender[0] == '<' && sender[n2 - 1] == '>') {
		memmove(sender, sender + 1, n2 - 2);
		sender[n2 - 2] = '\0';
	}
	/* a local part may hold spaces (quoted), never these */
	if (has_control_chars(sender) || strpbrk(sender, "<>") != NULL) {
		why = "malformed sender address";
		goto bad;
	}
	if (*sender == '\0') {
		if (helo == NULL || *helo == '\0') {
			why = "null sender and no HELO name";
			goto bad;
		}
		dom = helo;
		dom_ok = spfrec_domain_ok(dom);
	} else {
		at = strrchr(sender, '@');
		dom = at != NULL ? at + 1 : sender;
		if (helo == NULL || *helo == '\0')
			helo = dom;
		dom_ok = spfrec_domain_ok(dom);
		if (n < sizeof(sm.in)) {
			/* the text after trimming is not longer */
			memcpy(sm.in, sender_in, n + 1);
			sm.len = strlen(sender);
			memcpy(sm.sender, sender, sm.len + 1);
			sm.dom = (size_t)(dom - sender);
			sm.dom_ok = dom_ok;
			sm.ldom_len = sm.len - sm.dom;
			lower_copy(sm.ldom, dom, sm.ldom_len + 1);
			ldom = sm.ldom;
			ldom_len = sm.ldom_len;
		}
	}
parsed:
	/* RFC 7208 4.3: a malformed domain gives none, without a lookup */
	if (!dom_ok && !sc->opt.libspf2_only) {
		out->verdict = SPFV_NONE;
		sb_puts(&sb, "malformed domain name: ");
		sb_puts_sanitized(&sb, dom);
		sb_puts(&sb, " (RFC 7208 4.3)");
		out->detail = sb_steal(&sb);
		rc = 0;
		goto done;
	}
	if (use_cache && sc->opt.cache_ttl > 0) {
		/* the sender key only when the domain key misses */
		key = ldom != NULL ? key_make(kbuf, sizeof(kbuf), ldom,
		    ldom_len, false, &c) : key_make(kbuf, sizeof(kbuf), dom,
		    strlen(dom), true, &c);
		if (key == NULL) {
			why = "out of memory";
			goto bad;
		}
		if (spfcache_get_some(sc->cache, key, what, out)) {
			rc = 0;
			goto done;
		}
		lkey = key_make(lbuf, sizeof(lbuf), sender, strlen(sender),
		    true, &c);
		if (lkey == NULL) {
			why = "out of memory";
			goto bad;
		}
		if (spfcache_get_some(sc->cache, lkey, what, out)) {
			rc = 0;
			goto done;
		}
	}
	ev = spfdns_eval_new(c.family, deadline != 0 ? deadline :
	    t0 + sc->opt.dns_timeout_ms);
	if (ev == NULL) {
		why = "out of memory";
		goto bad;
	}
	run_libspf2(sc, ev, &c, sender, helo, out);
	if (!sc->opt.libspf2_only) {
		if (ev->over_mechs) {
			out->verdict = SPFV_PERMERROR;
			free(ev->why);
			ev->why = strdup("more than 10 DNS lookups "
			    "(RFC 7208 4.6.4)");
		} else if (ev->over_mx) {
			out->verdict = SPFV_PERMERROR;
			free(ev->why);
			ev->why = strdup("an mx mechanism found more than 10 "
			    "MX records (RFC 7208 4.6.4)");
		} else if (ev->over_voids) {
			out->verdict = SPFV_PERMERROR;
			free(ev->why);
			ev->why = strdup("more than 2 void DNS lookups "
			    "(RFC 7208 4.6.4)");
		}
	}
	out->dns_error = out->verdict == SPFV_TEMPERROR && ev->dns_error;
	if (ev->record != NULL)
		out->record = sanitize_dup(ev->record);
	detail_set(out, dom, c.text, ev, sc->opt.dns_timeout_ms);
	if (use_cache && sc->opt.cache_ttl > 0 &&
	    out->verdict != SPFV_TEMPERROR)
		spfcache_put(sc->cache, ev->uses_local ? lkey : key, out);
	rc = 0;
	goto done;
bad:
	out->detail = strdup(why);
	rc = -1;
done:
	if (ev != NULL) {
		queries = ev->queries;
		spfdns_eval_free(ev);
	}
	if (sender != sbuf)
		free(sender);
	if (key != kbuf)
		free(key);
	if (lkey != lbuf)
		free(lkey);
	sb_free(&sb);
	out->dns_queries = queries;
	out->elapsed_ms = (unsigned)(mono_ms() - t0);
	return rc;
}

int
spfc_check(struct spfc *sc, const char *sender, const char *ip,
    struct spf_outcome *out)
{
	return evaluate(sc, sender, NULL, ip, true, 0,
	    SPFCACHE_DETAIL | SPFCACHE_RECORD, out);
}

int
spfc_check_by(struct spfc *sc, const char *sender, const char *ip,
    uint64_t deadline_ms, struct spf_outcome *out)
{
	return evaluate(sc, sender, NULL, ip, true, deadline_ms,
	    SPFCACHE_DETAIL_UNLESS_PASS, out);
}

int
spfc_eval(struct spfc *sc, const char *sender, const char *helo,
    const char *ip, struct spf_outcome *out)
{
	return evaluate(sc, sender, helo, ip, false, 0,
	    SPFCACHE_DETAIL | SPFCACHE_RECORD, out);
}
