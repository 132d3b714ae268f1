/*
 * netlist.c - CIDR lists for TrustedNetworks, v4/v6 and v4-mapped matching
 *
 * CONTRACT
 *	See netlist.h. Entries are kept as 16-byte addresses with a
 *	prefix length; IPv4 entries are stored in their mapped form with the
 *	prefix shifted by 96, so one comparison routine serves both families.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netlist.h"
#include "util.h"

struct net {
	unsigned char	addr[16];
	unsigned	prefix;		/* 0..128 over the 16-byte form */
	bool		v4;		/* an IPv4 entry (stored mapped) */
};

struct netlist {
	struct net	*v;
	size_t		 n;
};

static const unsigned char mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

struct netlist *
netlist_new(void)
{
	return calloc(1, sizeof(struct netlist));
}

void
netlist_free(struct netlist *nl)
{
	if (nl == NULL)
		return;
	free(nl->v);
	free(nl);
}

size_t
netlist_count(const struct netlist *nl)
{
	return nl ? nl->n : 0;
}

/* Parse text into the 16-byte form; *is4 tells the family written. */
static bool
parse16(const char *s, unsigned char out[16], bool *is4)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(out, mapped_prefix, 12);
		memcpy(out + 12, &a4, 4);
		*is4 = true;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(out, &a6, 16);
		*is4 = memcmp(out, mapped_prefix, 12) == 0;
		return true;
	}
	return false;
}

int
netlist_add(struct netlist *nl, const char *spec, strbuf *err)
{
	char buf[128], *slash, *ip = buf;
	unsigned long plen;
	struct net net, *nv;
	unsigned maxlen, i;
	bool is4;
	size_t n = strlen(spec);

	if (n == 0 || n >= sizeof(buf)) {
		sb_printf(err, "'%s' is not a network", spec);
		return -1;
	}
	memcpy(buf, spec, n + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (*ip == '[') {
		size_t l = strlen(ip);

		if (l < 3 || ip[l - 1] != ']') {
			sb_printf(err, "'%s' is not a network", spec);
			return -1;
		}
		ip[l - 1] = '\0';
		ip++;
	}
	if (strncasecmp(ip, "IPv6:", 5) == 0)
		ip += 5;
	if (!parse16(ip, net.addr, &is4)) {
		sb_printf(err, "'%s' is not an IPv4 or IPv6 address or network",
		    spec);
		return -1;
	}
	maxlen = is4 ? 32 : 128;
	plen = maxlen;
	if (slash != NULL && parse_uint(slash, maxlen, &plen) < 0) {
		sb_printf(err, "'%s': prefix length must be 0..%u", spec,
		    maxlen);
		return -1;
	}
	net.prefix = (unsigned)plen + (is4 ? 96 : 0);
	net.v4 = is4;
	for (i = net.prefix; i < 128; i++) {
		if (net.addr[i / 8] & (0x80 >> (i % 8))) {
			sb_printf(err, "'%s' has host bits set beyond /%lu",
			    spec, plen);
			return -1;
		}
	}
	nv = realloc(nl->v, (nl->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	nv[nl->n++] = net;
	nl->v = nv;
	return 0;
}

static bool
match16(const struct netlist *nl, const unsigned char a[16])
{
	bool a4 = memcmp(a, mapped_prefix, 12) == 0;
	size_t k;
	unsigned full, rest;

	for (k = 0; k < nl->n; k++) {
		const struct net *net = &nl->v[k];

		/* families never match across: ::/0 is not "all of IPv4" */
		if (net->v4 != a4)
			continue;
		full = net->prefix / 8;
		rest = net->prefix % 8;
		if (memcmp(a, net->addr, full) != 0)
			continue;
		if (rest != 0 && ((a[full] ^ net->addr[full]) &
		    (unsigned char)(0xff << (8 - rest))) != 0)
			continue;
		return true;
	}
	return false;
}

bool
netlist_match_sa(const struct netlist *nl, const struct sockaddr *sa)
{
	unsigned char a[16];

	if (nl == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		memcpy(a, mapped_prefix, 12);
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)
		    ->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr, 16);
	} else {
		return false;
	}
	return match16(nl, a);
}

bool
netlist_match_str(const struct netlist *nl, const char *ip)
{
	unsigned char a[16];
	bool is4;

	if (nl == NULL || ip == NULL || !parse16(ip, a, &is4))
		return false;
	return match16(nl, a);
}

/* Dotted quad of 4 bytes: what inet_ntop(AF_INET) writes, without its
 * sprintf per octet (the connect callback formats every client address). */
static int
ipv4_text(const unsigned char b[4], char *buf, size_t len)
{
	char t[16], *d = t;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i > 0)
			*d++ = '.';
		if (v >= 100)
			*d++ = (char)('0' + v / 100);
		if (v >= 10)
			*d++ = (char)('0' + v / 10 % 10);
		*d++ = (char)('0' + v % 10);
	}
	*d++ = '\0';
	if ((size_t)(d - t) > len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, t, (size_t)(d - t));
	return 0;
}

int
sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6;
	const void *a;
	int af = AF_INET;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = &s6->sin6_addr;
		if (memcmp(a, mapped_prefix, 12) == 0)
			a = (const unsigned char *)a + 12;
		else
			af = AF_INET6;
	} else {
		return -1;
	}
	if (af == AF_INET)
		return ipv4_text(a, buf, len);
	return inet_ntop(af, a, buf, (socklen_t)len) != NULL ? 0 : -1;
}

int
sockaddr_text(const struct sockaddr *sa, strbuf *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (sockaddr_ntop(sa, buf, sizeof(buf)) < 0)
		return -1;
	return sb_puts(out, buf);
}

bool
ip_parse_text(const char *s, bool *v6, strbuf *canon)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];
	bool is4;

	if (s == NULL || !parse16(s, a, &is4))
		return false;
	if (v6 != NULL)
		*v6 = !is4;
	if (canon != NULL) {
		if (is4)
			inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, a, buf, sizeof(buf));
		sb_puts(canon, buf);
	}
	return true;
}

bool
ip_is_loopback_text(const char *s)
{
	unsigned char a[16];
	bool is4;
	static const unsigned char v6lo[16] = { [15] = 1 };

	if (s == NULL || !parse16(s, a, &is4))
		return false;
	if (is4)
		return a[12] == 127;
	return memcmp(a, v6lo, 16) == 0;
}
