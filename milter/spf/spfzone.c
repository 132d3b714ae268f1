/*
 * spfzone.c - the SPF checker's in-memory DNS zone and its file format
 *
 * CONTRACT
 *	A zone answers questions the way dnsq answers them from the network
 *	(struct dnsq_answer), for tests and `relaymilter -T` dry runs; it
 *	never touches the network. A, AAAA, MX, TXT, SPF and PTR records are
 *	kept by libspf2's zone layer (SPF_dns_zone); this module adds what
 *	that layer lacks:
 *	  - names compare without case and without a trailing dot
 *	    (spfzone_name_key());
 *	  - a name that exists without the asked type answers NODATA, an
 *	    unknown name NXDOMAIN (libspf2 answers NXDOMAIN for both);
 *	  - CNAME: followed for up to 8 hops; a longer chain or a loop
 *	    answers NODATA, as a resolver ends it;
 *	  - NONE makes a name exist without records; TIMEOUT makes every
 *	    question about a name that finds no record answer TIMEOUT;
 *	  - A and AAAA data must be an address of that family.
 *	Nothing here aborts: an allocation failure makes a query answer
 *	TEMPFAIL and an addition fail with "out of memory".
 *
 *	Zone file: one record a line, "NAME TYPE [DATA]": NAME ends at the
 *	first space or tab, TYPE (after more blanks) at the next one, and
 *	DATA is the rest of the line; NAME and DATA take the escapes \\ and \xHH (not
 *	\x00); leading white space is skipped, blank lines and lines
 *	starting with # are ignored. The first bad line ends the load with
 *	"FILE:LINE: what is wrong" in err; records of the lines before it
 *	stay in the zone.
 *
 *	Assumes the guard of spfint.h is installed (spfguard_install()).
 *	spfzone_new() and spfzone_add() guard their own libspf2 calls;
 *	spfzone_query() does not: it runs inside the caller's guarded call.
 *	Not thread-safe while records are added; once filled, a zone is only
 *	read and spfzone_query() may run in any number of threads.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>
#include <spf2/spf_dns_zone.h>

#include "spfint.h"

#define SPFZONE_MAX_CNAME	8

struct zname {
	char	*name;		/* lower case, no trailing dot */
	char	*cname;		/* CNAME target, or NULL */
	bool	 timeout;	/* TIMEOUT: every query fails temporarily */
};

struct spfzone {
	SPF_dns_server_t	*zone;		/* libspf2's zone layer */
	struct zname		*names;		/* every name given a record */
	size_t			 nnames;
};

char *
spfzone_name_key(const char *name)
{
	char *k = strdup_lower(name);
	size_t n;

	if (k != NULL && (n = strlen(k)) > 1 && k[n - 1] == '.')
		k[n - 1] = '\0';
	return k;
}

struct spfzone *
spfzone_new(strbuf *err)
{
	struct spfzone *volatile z;
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = spfguard_jmp;

	z = calloc(1, sizeof(*z));
	if (z == NULL) {
		sb_puts(err, "out of memory");
		return NULL;
	}
	if (sigsetjmp(jb, 0) != 0) {
		spfguard_jmp = saved;
		sb_printf(err, "libspf2 setup failed: %s", spfguard_message());
		free(z);
		return NULL;
	}
	spfguard_jmp = &jb;
	z->zone = SPF_dns_zone_new(NULL, "zone", 0);
	spfguard_jmp = saved;
	if (z->zone == NULL) {
		sb_puts(err, "out of memory");
		free(z);
		return NULL;
	}
	return z;
}

void
spfzone_free(struct spfzone *z)
{
	size_t i;

	if (z == NULL)
		return;
	if (z->zone != NULL)
		SPF_dns_free(z->zone);
	for (i = 0; i < z->nnames; i++) {
		free(z->names[i].name);
		free(z->names[i].cname);
	}
	free(z->names);
	free(z);
}

static struct zname *
zone_name(struct spfzone *z, const char *key)
{
	size_t i;

	for (i = 0; i < z->nnames; i++)
		if (strcmp(z->names[i].name, key) == 0)
			return &z->names[i];
	return NULL;
}

/* ------------------------------------------------------------ query */

static void
ans_from_rr(const SPF_dns_rr_t *rr, int type, struct dnsq_answer *ans)
{
	int i;

	memset(ans, 0, sizeof(*ans));
	switch (rr->herrno) {
	case NETDB_SUCCESS:
		ans->status = DNSQ_ANSWER;
		break;
	case HOST_NOT_FOUND:
		ans->status = DNSQ_NXDOMAIN;
		break;
	case NO_DATA:
		ans->status = DNSQ_NODATA;
		break;
	default:
		ans->status = DNSQ_TEMPFAIL;
		return;
	}
	ans->ttl = (unsigned)rr->ttl;
	if (rr->num_rr <= 0) {
		if (ans->status == DNSQ_ANSWER)
			ans->status = DNSQ_NODATA;
		return;
	}
	ans->rr = calloc((size_t)rr->num_rr, sizeof(*ans->rr));
	if (ans->rr == NULL) {
		ans->status = DNSQ_TEMPFAIL;
		return;
	}
	for (i = 0; i < rr->num_rr; i++) {
		const void *src;
		size_t len;

		switch (type) {
		case ns_t_a:
			src = &rr->rr[i]->a;
			len = 4;
			break;
		case ns_t_aaaa:
			src = &rr->rr[i]->aaaa;
			len = 16;
			break;
		default:	/* mx, ptr, txt, spf: strings */
			src = rr->rr[i]->txt;
			len = strlen(rr->rr[i]->txt);
			break;
		}
		ans->rr[i].data = malloc(len + 1);
		if (ans->rr[i].data == NULL) {
			dnsq_answer_clear(ans);
			ans->status = DNSQ_TEMPFAIL;
			return;
		}
		memcpy(ans->rr[i].data, src, len);
		ans->rr[i].data[len] = '\0';
		ans->rr[i].len = len;
		ans->n++;
	}
}

void
spfzone_query(struct spfzone *z, const char *name, int type,
    struct dnsq_answer *ans)
{
	char *key = spfzone_name_key(name);
	struct zname *zn;
	int hops = 0;
	SPF_dns_rr_t *rr;

	memset(ans, 0, sizeof(*ans));
	if (key == NULL) {
		ans->status = DNSQ_TEMPFAIL;
		return;
	}
	while ((zn = zone_name(z, key)) != NULL && zn->cname != NULL &&
	    hops++ < SPFZONE_MAX_CNAME) {
		free(key);
		if ((key = strdup(zn->cname)) == NULL) {
			ans->status = DNSQ_TEMPFAIL;
			return;
		}
	}
	if (zn != NULL && zn->cname != NULL) {
		/* a CNAME loop: a resolver ends it with no answer */
		ans->status = DNSQ_NODATA;
		free(key);
		return;
	}
	rr = SPF_dns_lookup(z->zone, key, (ns_type)type, 0);
	if (rr == NULL) {
		ans->status = DNSQ_TEMPFAIL;
	} else {
		ans_from_rr(rr, type, ans);
		SPF_dns_rr_free(rr);
	}
	/* the zone layer answers "no such name" for a name that
	 * only lacks the type: that is NODATA */
	if (ans->status == DNSQ_NXDOMAIN && zn != NULL)
		ans->status = DNSQ_NODATA;
	/* TIMEOUT: what the zone does not answer times out */
	if (zn != NULL && zn->timeout && (ans->status == DNSQ_NODATA ||
	    ans->status == DNSQ_NXDOMAIN))
		ans->status = DNSQ_TIMEOUT;
	free(key);
}

/* ------------------------------------------------------------ records */

static int
zone_add_name(struct spfzone *z, const char *key, struct zname **out)
{
	struct zname *zn = zone_name(z, key), *nn;

	if (zn == NULL) {
		nn = realloc(z->names, (z->nnames + 1) * sizeof(*nn));
		if (nn == NULL)
			return -1;
		z->names = nn;
		zn = &z->names[z->nnames];
		memset(zn, 0, sizeof(*zn));
		if ((zn->name = strdup(key)) == NULL)
			return -1;
		z->nnames++;
	}
	*out = zn;
	return 0;
}

int
spfzone_add(struct spfzone *z, const char *name, const char *type,
    const char *data, strbuf *err)
{
	static const struct {
		const char	*name;
		ns_type		 type;
	} types[] = {
		{ "A", ns_t_a }, { "AAAA", ns_t_aaaa }, { "MX", ns_t_mx },
		{ "TXT", ns_t_txt }, { "SPF", ns_t_spf }, { "PTR", ns_t_ptr },
	};
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = spfguard_jmp;
	struct zname *zn;
	char *key;
	volatile int rc = -1;
	size_t i;
	unsigned char buf[16];

	if (name == NULL || *name == '\0' || type == NULL) {
		sb_puts(err, "missing name or type");
		return -1;
	}
	if ((key = spfzone_name_key(name)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	if (zone_add_name(z, key, &zn) < 0) {
		sb_puts(err, "out of memory");
		goto out;
	}
	if (str_ieq(type, "TIMEOUT")) {
		zn->timeout = true;
		rc = 0;
		goto out;
	}
	if (str_ieq(type, "NONE")) {
		rc = 0;		/* the name exists, with no such record */
		goto out;
	}
	if (data == NULL) {
		sb_printf(err, "%s record needs data", type);
		goto out;
	}
	if (str_ieq(type, "CNAME")) {
		free(zn->cname);
		if ((zn->cname = spfzone_name_key(data)) == NULL)
			sb_puts(err, "out of memory");
		else
			rc = 0;
		goto out;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (str_ieq(type, types[i].name))
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		sb_printf(err, "unknown record type \"%s\"", type);
		goto out;
	}
	if ((types[i].type == ns_t_a && inet_pton(AF_INET, data, buf) != 1) ||
	    (types[i].type == ns_t_aaaa &&
	    inet_pton(AF_INET6, data, buf) != 1)) {
		sb_printf(err, "bad address \"%s\"", data);
		goto out;
	}
	if (sigsetjmp(jb, 0) == 0) {
		spfguard_jmp = &jb;
		if (SPF_dns_zone_add_str(z->zone, key, types[i].type,
		    NETDB_SUCCESS, data) == SPF_E_SUCCESS)
			rc = 0;
		else
			sb_printf(err, "libspf2 refused %s %s", key, type);
	} else {
		sb_puts(err, spfguard_message());
	}
out:
	spfguard_jmp = saved;
	free(key);
	return rc;
}

/* ------------------------------------------------------------ file */

static int
unescape(char *s)
{
	char *w = s;

	while (*s != '\0') {
		if (*s != '\\') {
			*w++ = *s++;
			continue;
		}
		if (s[1] == '\\') {
			*w++ = '\\';
			s += 2;
		} else if (s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 }, *end;
			long v = strtol(hex, &end, 16);

			if (*end != '\0' || v == 0)
				return -1;
			*w++ = (char)v;
			s += 4;
		} else {
			return -1;
		}
	}
	*w = '\0';
	return 0;
}

int
spfzone_load(struct spfzone *z, const char *path, strbuf *err)
{
	char *buf, *line, *next, *name, *type, *data;
	size_t len, lineno = 0;
	strbuf e;
	int rc = 0;

	if (read_text(path, &buf, &len, err) < 0)
		return -1;
	sb_init(&e);
	for (line = buf; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		name = line;
		type = strpbrk(name, " \t");
		if (type == NULL) {
			sb_printf(err, "%s:%zu: missing record type", path,
			    lineno);
			rc = -1;
			break;
		}
		*type++ = '\0';
		while (*type == ' ' || *type == '\t')
			type++;
		if (unescape(name) < 0) {
			sb_printf(err, "%s:%zu: bad escape in name", path,
			    lineno);
			rc = -1;
			break;
		}
		data = strpbrk(type, " \t");
		if (data != NULL) {
			*data++ = '\0';
			if (unescape(data) < 0) {
				sb_printf(err, "%s:%zu: bad escape in data",
				    path, lineno);
				rc = -1;
				break;
			}
		}
		sb_reset(&e);
		if (spfzone_add(z, name, type, data, &e) < 0) {
			sb_printf(err, "%s:%zu: %s", path, lineno, e.s);
			rc = -1;
		}
	}
	sb_free(&e);
	free(buf);
	return rc;
}
