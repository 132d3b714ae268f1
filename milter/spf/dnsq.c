/*
 * dnsq.c - bounded-time stub resolver (UDP + EDNS0, TCP on truncation)
 *
 * CONTRACT
 *	See dnsq.h. Every wait is a poll() bounded by the caller's
 *	deadline, so a silent or slow server costs at most the time left.
 *	Two rounds over the servers; each try gets an equal share of the time
 *	that is left. Nothing here logs, exits or aborts.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "dnsq.h"

#define DNSQ_MAX_SERVERS	8
#define DNSQ_ROUNDS		2
#define DNSQ_UDP_SIZE		1232	/* EDNS0 buffer size (DNS flag day) */
#define DNSQ_MAX_MSG		65535

struct dnsq {
	size_t			n;
	struct sockaddr_storage	addr[DNSQ_MAX_SERVERS];
	socklen_t		alen[DNSQ_MAX_SERVERS];
};

const char *
dnsq_status_name(enum dnsq_status st)
{
	switch (st) {
	case DNSQ_ANSWER:	return "answer";
	case DNSQ_NXDOMAIN:	return "nxdomain";
	case DNSQ_NODATA:	return "nodata";
	case DNSQ_TEMPFAIL:	return "tempfail";
	case DNSQ_TIMEOUT:	return "timeout";
	}
	return "?";
}

/* "ADDR" or "ADDR#PORT" */
static int
add_server(struct dnsq *q, const char *spec)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *hash = strchr(spec, '#');
	size_t hl = hash ? (size_t)(hash - spec) : strlen(spec);
	unsigned long port = 53;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	if (q->n >= DNSQ_MAX_SERVERS || hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (hash && parse_uint(hash + 1, 65535, &port) < 0)
		return -1;
	if (port == 0)
		return -1;
	memset(&q->addr[q->n], 0, sizeof(q->addr[q->n]));
	s4 = (struct sockaddr_in *)&q->addr[q->n];
	s6 = (struct sockaddr_in6 *)&q->addr[q->n];
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		q->alen[q->n] = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		q->alen[q->n] = sizeof(*s6);
	} else {
		return -1;
	}
	q->n++;
	return 0;
}

struct dnsq *
dnsq_new(const char *servers, const char *resolv_conf, strbuf *err)
{
	struct dnsq *q = calloc(1, sizeof(*q));
	char *buf = NULL, *cur, *tok, *line, *save = NULL;
	size_t len;

	if (q == NULL) {
		sb_puts(err, "out of memory");
		return NULL;
	}
	if (servers != NULL) {
		if ((buf = strdup(servers)) == NULL) {
			sb_puts(err, "out of memory");
			goto fail;
		}
		cur = buf;
		while ((tok = str_token(&cur)) != NULL) {
			if (add_server(q, tok) < 0) {
				sb_printf(err, "bad name server \"%s\" "
				    "(ADDR or ADDR#PORT, at most %d)", tok,
				    DNSQ_MAX_SERVERS);
				goto fail;
			}
		}
		if (q->n == 0) {
			sb_puts(err, "empty name server list");
			goto fail;
		}
		free(buf);
		return q;
	}
	if (resolv_conf == NULL)
		resolv_conf = "/etc/resolv.conf";
	if (read_file(resolv_conf, &buf, &len) < 0) {
		if (errno != ENOENT) {
			sb_printf(err, "%s: %s", resolv_conf, strerror(errno));
			goto fail;
		}
		buf = NULL;
	}
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cur = line;
		tok = str_token(&cur);
		if (tok == NULL || strcmp(tok, "nameserver") != 0)
			continue;
		tok = str_token(&cur);
		/* like the C library: at most MAXNS, ignore what it cannot
		 * parse (scoped addresses, ...) */
		if (tok != NULL && q->n < MAXNS && strchr(tok, '#') == NULL)
			(void)add_server(q, tok);
	}
	free(buf);
	buf = NULL;
	if (q->n == 0)
		(void)add_server(q, "127.0.0.1");
	return q;
fail:
	free(buf);
	free(q);
	return NULL;
}

void
dnsq_free(struct dnsq *q)
{
	free(q);
}

void
dnsq_answer_clear(struct dnsq_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->n; i++)
		free(ans->rr[i].data);
	free(ans->rr);
	ans->rr = NULL;
	ans->n = 0;
	ans->ttl = 0;
}

/* Wire-format query; -1 when name is not a valid DNS name. */
static int
build_query(const char *name, int type, uint16_t id, bool edns,
    unsigned char *buf, size_t cap, size_t *len)
{
	size_t n = strlen(name), i = 12, lab;
	const char *p = name, *dot;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || cap < 12 + n + 2 + 4 + 11)
		return -1;
	memset(buf, 0, 12);
	buf[0] = (unsigned char)(id >> 8);
	buf[1] = (unsigned char)id;
	buf[2] = 0x01;		/* RD */
	buf[5] = 1;		/* QDCOUNT */
	buf[11] = edns ? 1 : 0;	/* ARCOUNT */
	while (p < name + n) {
		dot = memchr(p, '.', (size_t)(name + n - p));
		lab = dot ? (size_t)(dot - p) : (size_t)(name + n - p);
		if (lab == 0 || lab > 63)
			return -1;
		buf[i++] = (unsigned char)lab;
		memcpy(buf + i, p, lab);
		i += lab;
		p += lab + (dot ? 1 : 0);
		if (dot && p == name + n)
			return -1;	/* empty last label */
	}
	buf[i++] = 0;
	buf[i++] = (unsigned char)(type >> 8);
	buf[i++] = (unsigned char)type;
	buf[i++] = 0;
	buf[i++] = ns_c_in;
	if (edns) {
		buf[i++] = 0;				/* root */
		buf[i++] = 0; buf[i++] = ns_t_opt;
		buf[i++] = DNSQ_UDP_SIZE >> 8;
		buf[i++] = DNSQ_UDP_SIZE & 0xff;
		buf[i++] = 0; buf[i++] = 0; buf[i++] = 0; buf[i++] = 0;
		buf[i++] = 0; buf[i++] = 0;		/* RDLEN */
	}
	*len = i;
	return 0;
}

/* A reply is ours when the id matches, QR is set and the question is ours */
static bool
reply_matches(const unsigned char *q, size_t qlen, const unsigned char *r,
    size_t rlen)
{
	size_t qend = 12;

	if (rlen < 12 || r[0] != q[0] || r[1] != q[1] || !(r[2] & 0x80))
		return false;
	if (r[4] != 0 || r[5] != 1)
		return false;
	/* question section of the query: from 12 up to QNAME+QTYPE+QCLASS */
	while (qend < qlen && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > rlen || qend > qlen)
		return false;
	for (size_t i = 12; i < qend; i++) {
		unsigned char a = q[i], b = r[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b + 32);
		if (a != b)
			return false;
	}
	return true;
}

static int
try_udp(const struct sockaddr *sa, socklen_t salen, const unsigned char *qb,
    size_t qlen, uint64_t until, unsigned char *rb, size_t cap, size_t *rlen)
{
	int fd, r;
	ssize_t n;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) < 0 || send(fd, qb, qlen, 0) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		r = poll_fd_until(fd, POLLIN, until);
		if (r <= 0) {
			close(fd);
			return r < 0 ? -1 : 0;
		}
		n = recv(fd, rb, cap, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			close(fd);
			return -1;	/* e.g. ICMP port unreachable */
		}
		if (reply_matches(qb, qlen, rb, (size_t)n)) {
			close(fd);
			*rlen = (size_t)n;
			return 1;
		}
	}
}

static int
io_all(int fd, unsigned char *p, size_t n, bool wr, uint64_t until)
{
	ssize_t k;
	int r;

	while (n > 0) {
		r = poll_fd_until(fd, wr ? POLLOUT : POLLIN, until);
		if (r <= 0)
			return r < 0 ? -1 : 0;
		k = wr ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

static int
try_tcp(const struct sockaddr *sa, socklen_t salen, const unsigned char *qb,
    size_t qlen, uint64_t until, unsigned char *rb, size_t cap, size_t *rlen)
{
	unsigned char hdr[2];
	int fd, r, soerr = 0;
	socklen_t sl = sizeof(soerr);
	size_t n;
	unsigned char *out;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	r = poll_fd_until(fd, POLLOUT, until);
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
	    soerr != 0) {
		close(fd);
		return r == 0 ? 0 : -1;
	}
	out = malloc(qlen + 2);
	if (out == NULL) {
		close(fd);
		return -1;
	}
	out[0] = (unsigned char)(qlen >> 8);
	out[1] = (unsigned char)qlen;
	memcpy(out + 2, qb, qlen);
	r = io_all(fd, out, qlen + 2, true, until);
	free(out);
	if (r > 0)
		r = io_all(fd, hdr, 2, false, until);
	if (r > 0) {
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (n > cap)
			r = -1;
		else
			r = io_all(fd, rb, n, false, until);
		if (r > 0 && !reply_matches(qb, qlen, rb, n))
			r = -1;
		if (r > 0)
			*rlen = n;
	}
	close(fd);
	return r;
}

static int
add_rr(struct dnsq_answer *ans, const unsigned char *p, size_t n)
{
	struct dnsq_rr *nrr;
	unsigned char *d;

	nrr = realloc(ans->rr, (ans->n + 1) * sizeof(*nrr));
	if (nrr == NULL)
		return -1;
	ans->rr = nrr;
	d = malloc(n + 1);
	if (d == NULL)
		return -1;
	memcpy(d, p, n);
	d[n] = '\0';
	ans->rr[ans->n].data = d;
	ans->rr[ans->n].len = n;
	ans->n++;
	return 0;
}

/* Parse a NOERROR reply into ans; -1 on allocation failure or garbage. */
static int
parse_answer(const unsigned char *rb, size_t rlen, int type,
    struct dnsq_answer *ans)
{
	ns_msg msg;
	ns_rr rr;
	char name[NS_MAXDNAME];
	int i, count;
	bool first = true;

	if (ns_initparse(rb, (int)rlen, &msg) < 0)
		return -1;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		const unsigned char *rd;
		size_t rdlen;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -1;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		rdlen = ns_rr_rdlen(rr);
		if (first || ns_rr_ttl(rr) < ans->ttl)
			ans->ttl = ns_rr_ttl(rr);
		first = false;
		switch (type) {
		case ns_t_a:
		case ns_t_aaaa:
			if (rdlen != (type == ns_t_a ? 4u : 16u))
				return -1;
			if (add_rr(ans, rd, rdlen) < 0)
				return -1;
			break;
		case ns_t_mx:
		case ns_t_ptr:
			if (type == ns_t_mx) {
				if (rdlen < 3)
					return -1;
				rd += 2;
			}
			if (ns_name_uncompress(ns_msg_base(msg),
			    ns_msg_end(msg), rd, name, sizeof(name)) < 0)
				return -1;
			if (add_rr(ans, (unsigned char *)name,
			    strlen(name)) < 0)
				return -1;
			break;
		case ns_t_txt:
		case 99: {	/* SPF, for libspf2's own lookups */
			unsigned char *cat = malloc(rdlen + 1);
			size_t k = 0, j = 0;

			if (cat == NULL)
				return -1;
			while (k < rdlen) {
				size_t sl = rd[k++];

				if (k + sl > rdlen) {
					free(cat);
					return -1;
				}
				memcpy(cat + j, rd + k, sl);
				j += sl;
				k += sl;
			}
			if (add_rr(ans, cat, j) < 0) {
				free(cat);
				return -1;
			}
			free(cat);
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

/* What a reply to our question says (ans filled for REPLY_DONE). */
enum reply_next { REPLY_DONE, REPLY_NEXT, REPLY_NO_EDNS };

static enum reply_next
classify_reply(const unsigned char *rb, size_t rlen, int type, bool edns,
    struct dnsq_answer *ans)
{
	int rcode = rb[3] & 0x0f;

	if (rcode == ns_r_formerr && edns)
		return REPLY_NO_EDNS;
	if (rcode == ns_r_nxdomain) {
		ans->status = DNSQ_NXDOMAIN;
		return REPLY_DONE;
	}
	if (rcode != ns_r_noerror) {
		ans->status = DNSQ_TEMPFAIL;
		return REPLY_NEXT;
	}
	if (parse_answer(rb, rlen, type, ans) < 0) {
		dnsq_answer_clear(ans);
		ans->status = DNSQ_TEMPFAIL;
		return REPLY_NEXT;
	}
	ans->status = ans->n > 0 ? DNSQ_ANSWER : DNSQ_NODATA;
	return REPLY_DONE;
}

int
dnsq_query(const struct dnsq *q, const char *name, int type,
    uint64_t deadline_ms, struct dnsq_answer *ans)
{
	unsigned char qb[600], *rb;
	size_t qlen, rlen = 0;
	uint16_t id;
	bool edns = true;
	int tries, tried = 0, r;
	uint64_t now, share;
	size_t s;

	memset(ans, 0, sizeof(*ans));
	ans->status = DNSQ_TEMPFAIL;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(mono_ms() * 2654435761u >> 7);
	if (build_query(name, type, id, edns, qb, sizeof(qb), &qlen) < 0) {
		ans->status = DNSQ_NXDOMAIN;
		return 0;
	}
	rb = malloc(DNSQ_MAX_MSG);
	if (rb == NULL)
		return -1;
	tries = (int)q->n * DNSQ_ROUNDS;
	ans->status = DNSQ_TIMEOUT;
	for (tried = 0; tried < tries; tried++) {
		const struct sockaddr *sa;
		socklen_t salen;
		now = mono_ms();
		if (now >= deadline_ms)
			break;
		share = (deadline_ms - now) / (uint64_t)(tries - tried);
		if (share < 200)
			share = deadline_ms - now < 200 ? deadline_ms - now :
			    200;
		s = (size_t)tried % q->n;
		sa = (const struct sockaddr *)&q->addr[s];
		salen = q->alen[s];
		r = try_udp(sa, salen, qb, qlen, now + share, rb,
		    DNSQ_MAX_MSG, &rlen);
		if (r < 0)
			ans->status = DNSQ_TEMPFAIL;
		if (r <= 0)
			continue;
		if (rb[2] & 0x02) {	/* TC: the same question over TCP */
			r = try_tcp(sa, salen, qb, qlen, deadline_ms, rb,
			    DNSQ_MAX_MSG, &rlen);
			if (r <= 0) {
				ans->status = r < 0 ? DNSQ_TEMPFAIL :
				    DNSQ_TIMEOUT;
				continue;
			}
		}
		switch (classify_reply(rb, rlen, type, edns, ans)) {
		case REPLY_NO_EDNS:
			/* a server that does not know EDNS0: ask plainly */
			edns = false;
			if (build_query(name, type, id, edns, qb, sizeof(qb),
			    &qlen) < 0)
				goto out;
			tried--;
			continue;
		case REPLY_NEXT:
			continue;	/* SERVFAIL, REFUSED, garbage */
		case REPLY_DONE:
			goto out;
		}
	}
out:
	free(rb);
	return 0;
}

int
dnsq_reply_check(const char *name, int type, const unsigned char *rb,
    size_t rlen, struct dnsq_answer *ans)
{
	unsigned char qb[600];
	size_t qlen;
	uint16_t id;

	memset(ans, 0, sizeof(*ans));
	ans->status = DNSQ_TEMPFAIL;
	if (rlen < 12)
		return 0;
	id = (uint16_t)(rb[0] << 8 | rb[1]);
	if (build_query(name, type, id, true, qb, sizeof(qb), &qlen) < 0 ||
	    !reply_matches(qb, qlen, rb, rlen))
		return 0;
	(void)classify_reply(rb, rlen, type, true, ans);
	return 0;
}
