/*
 * spfcheck.c - SPF verdicts through libspf2 1.2.10, with the fixes a
 *		wrapper can make, a DNS deadline and a result cache
 *
 * CONTRACT
 *	See include/spfcheck.h. Structure:
 *	  - one SPF_server_t over our own DNS layer (SPF_dns_server_t). Its
 *	    lookup() asks either libspf2's in-memory zone layer or dnsq (a
 *	    stub resolver bounded by the evaluation's deadline), counts the
 *	    queries, the lookups of DNS mechanisms (limit 10 across include
 *	    and redirect) and the void lookups (limit 2); its get_spf()
 *	    replaces libspf2's record lookup: TXT only, exactly one
 *	    "v=spf1" record, checked and rewritten by spfrec before
 *	    SPF_record_compile() sees it;
 *	  - the state of the evaluation running in a thread is reached
 *	    through a thread-local pointer (libspf2 gives the layer no
 *	    per-request argument);
 *	  - libspf2's error handler unwinds with siglongjmp to the guarded
 *	    call; warnings and info messages are dropped;
 *	  - a cache of verdicts per (domain or sender, address), guarded by a
 *	    mutex, with a TTL and an LRU bound.
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>
#include <spf2/spf_dns_zone.h>

#include "dnsq.h"
#include "spfcheck.h"
#include "spfrec.h"

#define SPFC_DEFAULT_TIMEOUT_MS	2000
#define SPFC_MAX_DNS_MECH	10	/* RFC 7208 4.6.4 */
#define SPFC_MAX_VOID		2	/* RFC 7208 4.6.4 */
#define SPFC_MAX_CNAME		8

/* ------------------------------------------------------------ handlers */

static __thread sigjmp_buf *tl_jmp;
/* libspf2's message, cut at 255 bytes: the handler runs in an error path
 * (possibly out of memory) and must not allocate */
static __thread char tl_errmsg[256];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void __attribute__((noreturn))
on_spf_error(const char *file, int line, const char *msg)
{
	snprintf(tl_errmsg, sizeof(tl_errmsg), "libspf2 %s:%d: %s",
	    file ? file : "?", line, msg ? msg : "?");
	if (tl_jmp != NULL)
		siglongjmp(*tl_jmp, 1);
	/* Unreachable: every libspf2 call of this module is guarded. The
	 * handler may not return; end the process without a core dump. */
	(void)write(STDERR_FILENO, tl_errmsg, strlen(tl_errmsg));
	(void)write(STDERR_FILENO, "\n", 1);
	_exit(70);
}

static void
on_spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

static void
install_handlers(void)
{
	SPF_error_handler = on_spf_error;
	SPF_warning_handler = on_spf_quiet;
	SPF_info_handler = on_spf_quiet;
	SPF_debug_handler = on_spf_quiet;
}

/* ------------------------------------------------------------ types */

struct zname {
	char	*name;		/* lower case, no trailing dot */
	char	*cname;		/* CNAME target, or NULL */
	bool	 timeout;	/* TIMEOUT: every query fails temporarily */
};

struct centry {
	char		*key;
	uint32_t	 hash;
	enum spf_verdict verdict;
	char		*detail;
	char		*record;
	long long	 expires;
	struct centry	*hnext;			/* hash chain */
	struct centry	*prev, *next;		/* LRU list, head = newest */
};

struct spfc {
	struct spfc_options	 opt;
	SPF_server_t		*spf;
	SPF_dns_server_t	*layer;
	SPF_dns_server_t	*zone;
	struct dnsq		*dnsq;
	struct zname		*names;
	size_t			 nnames;
	atomic_ulong		 queries;

	pthread_mutex_t		 lock;
	struct centry		**buckets;
	size_t			 nbuckets;
	size_t			 count;
	struct centry		*head, *tail;
	long long		(*now)(void *);
	void			*now_arg;
};

struct eval {
	struct spfc	*sc;
	uint64_t	 deadline;
	int		 family;
	unsigned	 queries;
	unsigned	 mechs;
	unsigned	 voids;
	bool		 top_done;
	bool		 dns_error;
	bool		 timed_out;
	bool		 stop;
	bool		 over_mechs;
	bool		 over_voids;
	bool		 over_mx;
	bool		 uses_local;
	char		*record;	/* top-level record as published */
	char		*why;		/* cause of a permerror */
	char		*failname;	/* name whose lookup failed */
	char		**pending;	/* MX / PTR target names */
	size_t		 npending, ipending;
	SPF_request_t	*req;
	SPF_response_t	*resp;
};

static __thread struct eval *tl_eval;

/* ------------------------------------------------------------ DNS */

static void
set_str(char **dst, const char *s)
{
	if (*dst == NULL && s != NULL)
		*dst = strdup(s);
}

static char *
name_key(const char *name)
{
	char *k = strdup_lower(name);
	size_t n;

	if (k != NULL && (n = strlen(k)) > 1 && k[n - 1] == '.')
		k[n - 1] = '\0';
	return k;
}

static struct zname *
zone_name(struct spfc *sc, const char *key)
{
	size_t i;

	for (i = 0; i < sc->nnames; i++)
		if (strcmp(sc->names[i].name, key) == 0)
			return &sc->names[i];
	return NULL;
}

static void
pending_clear(struct eval *ev)
{
	size_t i;

	for (i = 0; i < ev->npending; i++)
		free(ev->pending[i]);
	free(ev->pending);
	ev->pending = NULL;
	ev->npending = ev->ipending = 0;
}

/* Remember the names an MX or PTR answer gave: libspf2 looks up their
 * addresses next, and those lookups are part of the same mechanism. */
static void
pending_set(struct eval *ev, const struct dnsq_answer *ans)
{
	size_t i;

	pending_clear(ev);
	if (ans->n == 0)
		return;
	ev->pending = calloc(ans->n, sizeof(char *));
	if (ev->pending == NULL)
		return;
	for (i = 0; i < ans->n; i++)
		ev->pending[i] = name_key((const char *)ans->rr[i].data);
	ev->npending = ans->n;
}

static bool
pending_take(struct eval *ev, const char *name)
{
	char *k;
	bool hit = false;
	size_t i;

	if (ev->ipending >= ev->npending)
		return false;
	if ((k = name_key(name)) == NULL)
		return false;
	/* libspf2 walks the names in order, some may be skipped */
	for (i = ev->ipending; i < ev->npending; i++) {
		if (ev->pending[i] && strcmp(ev->pending[i], k) == 0) {
			ev->ipending = i + 1;
			hit = true;
			break;
		}
	}
	free(k);
	return hit;
}

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

/* One query, from the zone or the network, within the deadline. */
static void
query(struct spfc *sc, struct eval *ev, const char *name, int type,
    struct dnsq_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	atomic_fetch_add(&sc->queries, 1);
	if (ev != NULL)
		ev->queries++;
	if (ev != NULL && dnsq_now_ms() >= ev->deadline) {
		ans->status = DNSQ_TIMEOUT;
		return;
	}
	if (sc->zone != NULL) {
		char *key = name_key(name);
		struct zname *zn;
		int hops = 0;
		SPF_dns_rr_t *rr;

		if (key == NULL) {
			ans->status = DNSQ_TEMPFAIL;
			return;
		}
		while ((zn = zone_name(sc, key)) != NULL && zn->cname != NULL &&
		    hops++ < SPFC_MAX_CNAME) {
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
		rr = SPF_dns_lookup(sc->zone, key, (ns_type)type, 0);
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
		return;
	}
	if (dnsq_query(sc->dnsq, name, type,
	    ev != NULL ? ev->deadline : dnsq_now_ms() +
	    SPFC_DEFAULT_TIMEOUT_MS, ans) < 0)
		ans->status = DNSQ_TEMPFAIL;
}

static void
note_dns_failure(struct eval *ev, const char *name,
    const struct dnsq_answer *ans)
{
	if (ans->status != DNSQ_TEMPFAIL && ans->status != DNSQ_TIMEOUT)
		return;
	ev->dns_error = true;
	if (ans->status == DNSQ_TIMEOUT)
		ev->timed_out = true;
	set_str(&ev->failname, name);
}

static SPF_dns_rr_t *
rr_from_ans(SPF_dns_server_t *layer, const char *domain, ns_type type,
    const struct dnsq_answer *ans)
{
	SPF_dns_rr_t *rr;
	int herrno;
	size_t i;

	switch (ans->status) {
	case DNSQ_ANSWER:	herrno = NETDB_SUCCESS; break;
	case DNSQ_NXDOMAIN:	herrno = HOST_NOT_FOUND; break;
	case DNSQ_NODATA:	herrno = NO_DATA; break;
	default:		herrno = TRY_AGAIN; break;
	}
	rr = SPF_dns_rr_new_init(layer, domain, type, (int)ans->ttl, herrno);
	if (rr == NULL || herrno != NETDB_SUCCESS)
		return rr;
	for (i = 0; i < ans->n; i++) {
		if (SPF_dns_rr_buf_realloc(rr, (int)i, ans->rr[i].len + 1) !=
		    SPF_E_SUCCESS) {
			rr->herrno = TRY_AGAIN;
			rr->num_rr = 0;
			return rr;
		}
		if (type == ns_t_a || type == ns_t_aaaa)
			memcpy(rr->rr[i], ans->rr[i].data, ans->rr[i].len);
		else
			memcpy(rr->rr[i]->txt, ans->rr[i].data,
			    ans->rr[i].len + 1);
		rr->num_rr = (int)i + 1;
	}
	return rr;
}

/* Count a DNS mechanism (RFC 7208 4.6.4); false when over the limit. */
static bool
count_mech(struct eval *ev)
{
	if (++ev->mechs > SPFC_MAX_DNS_MECH) {
		ev->over_mechs = true;
		ev->stop = true;
		return false;
	}
	return true;
}

static void
count_void(struct eval *ev, const struct dnsq_answer *ans)
{
	if (ans->status != DNSQ_NXDOMAIN && ans->status != DNSQ_NODATA)
		return;
	if (++ev->voids > SPFC_MAX_VOID) {
		ev->over_voids = true;
		ev->stop = true;
	}
}

static bool
has_suffix(const char *s, const char *suf, size_t *base)
{
	size_t n = strlen(s), k = strlen(suf);

	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n <= k || strncasecmp(s + n - k, suf, k) != 0)
		return false;
	*base = n - k;
	return true;
}

/*
 * The marker names of spfrec.h: answer "exists:" for a/mx with a zero
 * prefix length. Returns the synthetic answer (one A record when the
 * mechanism matches, NODATA when not, TEMPFAIL/TIMEOUT on DNS trouble).
 */
static void
marker_query(struct spfc *sc, struct eval *ev, const char *base, bool mx,
    int atype, struct dnsq_answer *out)
{
	static const unsigned char one[4] = { 127, 0, 0, 2 };
	struct dnsq_answer ans, sub;
	size_t i, n;
	bool hit = false;

	memset(out, 0, sizeof(*out));
	query(sc, ev, base, mx ? ns_t_mx : atype, &ans);
	note_dns_failure(ev, base, &ans);
	count_void(ev, &ans);
	out->status = ans.status == DNSQ_ANSWER ? DNSQ_NODATA : ans.status;
	if (ans.status != DNSQ_ANSWER) {
		dnsq_answer_clear(&ans);
		return;
	}
	if (!mx) {
		hit = ans.n > 0;
	} else {
		n = ans.n;
		if (n > SPFC_MAX_DNS_MECH) {
			/* RFC 7208 4.6.4: more than 10 MX is permerror */
			ev->over_mx = true;
			ev->stop = true;
			n = SPFC_MAX_DNS_MECH;
		}
		for (i = 0; i < n && !hit && !ev->stop; i++) {
			query(sc, ev, (const char *)ans.rr[i].data, atype,
			    &sub);
			note_dns_failure(ev, (const char *)ans.rr[i].data,
			    &sub);
			if (sub.status == DNSQ_TEMPFAIL ||
			    sub.status == DNSQ_TIMEOUT)
				out->status = sub.status;
			else if (sub.status == DNSQ_ANSWER && sub.n > 0)
				hit = true;
			dnsq_answer_clear(&sub);
			if (out->status != DNSQ_NODATA)
				break;
		}
	}
	dnsq_answer_clear(&ans);
	if (hit) {
		out->rr = calloc(1, sizeof(*out->rr));
		if (out->rr == NULL ||
		    (out->rr[0].data = malloc(sizeof(one))) == NULL) {
			free(out->rr);
			out->rr = NULL;
			out->status = DNSQ_TEMPFAIL;
			return;
		}
		memcpy(out->rr[0].data, one, sizeof(one));
		out->rr[0].len = sizeof(one);
		out->n = 1;
		out->status = DNSQ_ANSWER;
	}
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
    int should_cache)
{
	struct spfc *sc = layer->hook;
	struct eval *ev = tl_eval;
	struct dnsq_answer ans;
	SPF_dns_rr_t *rr;
	bool mech = false;

	(void)should_cache;
	if (ev != NULL && !sc->opt.libspf2_only) {
		if (type == ns_t_mx || type == ns_t_ptr)
			mech = true;
		else if (type == ns_t_a || type == ns_t_aaaa)
			mech = !pending_take(ev, domain);
		if (mech)
			pending_clear(ev);
		if (ev->stop || (mech && !count_mech(ev))) {
			memset(&ans, 0, sizeof(ans));
			ans.status = DNSQ_NXDOMAIN;
			return rr_from_ans(layer, domain, type, &ans);
		}
	}
	if (ev != NULL && !sc->opt.libspf2_only && mech && type == ns_t_a) {
		static const struct {
			const char	*mark;
			bool		 mx;
			int		 atype;
		} marks[] = {
			{ SPFREC_MARK_AAAA, false, ns_t_aaaa },
			{ SPFREC_MARK_MX4, true, ns_t_a },
			{ SPFREC_MARK_MX6, true, ns_t_aaaa },
		};
		size_t base, k;

		for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
			char *b;

			if (!has_suffix(domain, marks[k].mark, &base))
				continue;
			if ((b = strndup(domain, base)) == NULL)
				break;
			marker_query(sc, ev, b, marks[k].mx, marks[k].atype,
			    &ans);
			free(b);
			rr = rr_from_ans(layer, domain, type, &ans);
			dnsq_answer_clear(&ans);
			return rr;
		}
	}
	query(sc, ev, domain, type, &ans);
	if (type == ns_t_ptr && ans.n > SPFC_MAX_DNS_MECH &&
	    ev != NULL && !sc->opt.libspf2_only) {
		/* RFC 7208 4.6.4: names after the first 10 are ignored */
		for (size_t k = SPFC_MAX_DNS_MECH; k < ans.n; k++)
			free(ans.rr[k].data);
		ans.n = SPFC_MAX_DNS_MECH;
	}
	if (ev != NULL) {
		note_dns_failure(ev, domain, &ans);
		if (!sc->opt.libspf2_only) {
			if (mech)
				count_void(ev, &ans);
			if (type == ns_t_mx || type == ns_t_ptr)
				pending_set(ev, &ans);
		}
	}
	rr = rr_from_ans(layer, domain, type, &ans);
	dnsq_answer_clear(&ans);
	return rr;
}

static void set_why(struct eval *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_why(struct eval *ev, const char *fmt, ...)
{
	strbuf sb;
	va_list ap;

	if (ev->why != NULL)
		return;
	sb_init(&sb);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	ev->why = sb_steal(&sb);
}

/* Replaces SPF_server_get_record(): TXT only, one v=spf1 record, checked
 * and rewritten by spfrec before libspf2 compiles it. */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recp)
{
	struct spfc *sc = server->resolver->hook;
	struct eval *ev = tl_eval;
	const char *domain = req->cur_dom;
	struct dnsq_answer ans;
	const char *txt = NULL;
	char *norm = NULL;
	size_t i, found = 0;
	bool top;
	strbuf why;
	enum spfrec_status st;
	SPF_errcode_t err;

	*recp = NULL;
	if (ev == NULL || domain == NULL) {
		resp->result = SPF_RESULT_PERMERROR;
		return SPF_E_NOT_CONFIG;
	}
	top = !ev->top_done;
	ev->top_done = true;
	pending_clear(ev);
	if (!top && (ev->stop || !count_mech(ev))) {
		resp->result = SPF_RESULT_PERMERROR;
		return SPF_E_BIG_DNS;
	}
	query(sc, ev, domain, ns_t_txt, &ans);
	note_dns_failure(ev, domain, &ans);
	if (!top)
		count_void(ev, &ans);
	switch (ans.status) {
	case DNSQ_ANSWER:
		break;
	case DNSQ_NXDOMAIN:
	case DNSQ_NODATA:
		dnsq_answer_clear(&ans);
		resp->result = SPF_RESULT_NONE;
		if (!top)
			set_why(ev, "%s has no SPF record (include or "
			    "redirect target)", domain);
		return SPF_E_NOT_SPF;
	default:
		dnsq_answer_clear(&ans);
		return SPF_E_DNS_ERROR;
	}
	for (i = 0; i < ans.n; i++) {
		if (spfrec_is_spf((const char *)ans.rr[i].data)) {
			if (memchr(ans.rr[i].data, '\0', ans.rr[i].len)) {
				txt = NULL;	/* NUL inside: not valid */
				found = SIZE_MAX;
				break;
			}
			txt = (const char *)ans.rr[i].data;
			found++;
		}
	}
	if (top && txt != NULL)
		set_str(&ev->record, txt);
	if (found == 0) {
		dnsq_answer_clear(&ans);
		resp->result = SPF_RESULT_NONE;
		if (!top)
			set_why(ev, "%s has no SPF record (include or "
			    "redirect target)", domain);
		return SPF_E_NOT_SPF;
	}
	if (found > 1) {
		dnsq_answer_clear(&ans);
		resp->result = SPF_RESULT_PERMERROR;
		set_why(ev, found == SIZE_MAX ? "%s: NUL byte in the SPF "
		    "record" : "%s publishes more than one SPF record",
		    domain);
		return SPF_E_MULTIPLE_RECORDS;
	}
	sb_init(&why);
	st = spfrec_check(txt, ev->family, &norm, &why);
	dnsq_answer_clear(&ans);
	if (st != SPFREC_OK) {
		resp->result = SPF_RESULT_PERMERROR;
		if (st == SPFREC_NOMEM)
			set_why(ev, "%s: out of memory", domain);
		else if (ev->why == NULL) {
			strbuf sb;

			sb_init(&sb);
			sb_printf(&sb, "%s: ", domain);
			sb_puts_sanitized(&sb, why.s);
			ev->why = sb_steal(&sb);
		}
		sb_free(&why);
		return st == SPFREC_NOMEM ? SPF_E_NO_MEMORY : SPF_E_SYNTAX;
	}
	sb_free(&why);
	if (strcasestr(norm, "%{l") || strcasestr(norm, "%{s"))
		ev->uses_local = true;
	err = SPF_record_compile(server, resp, recp, norm);
	if (err != SPF_E_SUCCESS) {
		resp->result = SPF_RESULT_PERMERROR;
		set_why(ev, "%s: libspf2 cannot compile this record",
		    domain);
		if (*recp != NULL) {
			SPF_record_free(*recp);
			*recp = NULL;
		}
	}
	free(norm);
	return err;
}

/* ------------------------------------------------------------ zone */

static int
zone_add_name(struct spfc *sc, const char *key, struct zname **out)
{
	struct zname *zn = zone_name(sc, key), *nn;

	if (zn == NULL) {
		nn = realloc(sc->names, (sc->nnames + 1) * sizeof(*nn));
		if (nn == NULL)
			return -1;
		sc->names = nn;
		zn = &sc->names[sc->nnames];
		memset(zn, 0, sizeof(*zn));
		if ((zn->name = strdup(key)) == NULL)
			return -1;
		sc->nnames++;
	}
	*out = zn;
	return 0;
}

int
spfc_zone_add(struct spfc *sc, const char *name, const char *type,
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
	sigjmp_buf *volatile saved = tl_jmp;
	struct zname *zn;
	char *key;
	volatile int rc = -1;
	size_t i;
	unsigned char buf[16];

	if (sc->zone == NULL) {
		sb_puts(err, "not an in-memory zone checker");
		return -1;
	}
	if (name == NULL || *name == '\0' || type == NULL) {
		sb_puts(err, "missing name or type");
		return -1;
	}
	if ((key = name_key(name)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	if (zone_add_name(sc, key, &zn) < 0) {
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
		if ((zn->cname = name_key(data)) == NULL)
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
		tl_jmp = &jb;
		if (SPF_dns_zone_add_str(sc->zone, key, types[i].type,
		    NETDB_SUCCESS, data) == SPF_E_SUCCESS)
			rc = 0;
		else
			sb_printf(err, "libspf2 refused %s %s", key, type);
	} else {
		sb_puts(err, tl_errmsg);
	}
out:
	tl_jmp = saved;
	free(key);
	return rc;
}

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

static int
zone_load(struct spfc *sc, const char *path, strbuf *err)
{
	char *buf, *line, *next, *name, *type, *data;
	size_t len, lineno = 0;
	strbuf e;
	int rc = 0;

	if (read_file(path, &buf, &len) < 0) {
		sb_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
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
		if (spfc_zone_add(sc, name, type, data, &e) < 0) {
			sb_printf(err, "%s:%zu: %s", path, lineno, e.s);
			rc = -1;
		}
	}
	sb_free(&e);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ setup */

static long long
mono_seconds(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

struct spfc *
spfc_new(const struct spfc_options *opt, strbuf *err)
{
	struct spfc *sc;
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = tl_jmp;
	SPF_response_t *resp = NULL;

	pthread_once(&handlers_once, install_handlers);
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
	sc->now = mono_seconds;
	atomic_init(&sc->queries, 0);
	pthread_mutex_init(&sc->lock, NULL);
	if (sc->opt.cache_ttl > 0) {
		sc->nbuckets = 64;
		while (sc->nbuckets < sc->opt.cache_max && sc->nbuckets < 65536)
			sc->nbuckets <<= 1;
		sc->buckets = calloc(sc->nbuckets, sizeof(*sc->buckets));
		if (sc->buckets == NULL) {
			sb_puts(err, "out of memory");
			goto fail;
		}
	}
	if (opt->zone_file == NULL) {
		sc->dnsq = dnsq_new(opt->nameservers, opt->resolv_conf, err);
		if (sc->dnsq == NULL)
			goto fail;
	}
	sc->layer = calloc(1, sizeof(*sc->layer));
	if (sc->layer == NULL) {
		sb_puts(err, "out of memory");
		goto fail;
	}
	/* destroy stays NULL: SPF_server_free() leaves the layer to us */
	sc->layer->lookup = layer_lookup;
	sc->layer->get_spf = opt->libspf2_only ? NULL : layer_get_spf;
	sc->layer->name = "relaymilter";
	sc->layer->hook = sc;

	if (sigsetjmp(jb, 0) != 0) {
		sb_printf(err, "libspf2 setup failed: %s", tl_errmsg);
		goto fail;
	}
	tl_jmp = &jb;
	if (opt->zone_file != NULL) {
		sc->zone = SPF_dns_zone_new(NULL, "zone", 0);
		if (sc->zone == NULL) {
			sb_puts(err, "out of memory");
			goto fail;
		}
	}
	sc->spf = SPF_server_new_dns(sc->layer, 0);
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
	tl_jmp = saved;
	if (opt->zone_file != NULL && *opt->zone_file != '\0' &&
	    zone_load(sc, opt->zone_file, err) < 0)
		goto fail;
	return sc;
fail:
	tl_jmp = saved;
	if (resp != NULL)
		SPF_response_free(resp);
	spfc_free(sc);
	return NULL;
}

static void
centry_free(struct centry *e)
{
	free(e->key);
	free(e->detail);
	free(e->record);
	free(e);
}

void
spfc_free(struct spfc *sc)
{
	struct centry *e, *n;
	size_t i;

	if (sc == NULL)
		return;
	if (sc->spf != NULL)
		SPF_server_free(sc->spf);
	if (sc->zone != NULL)
		SPF_dns_free(sc->zone);
	free(sc->layer);
	dnsq_free(sc->dnsq);
	for (i = 0; i < sc->nnames; i++) {
		free(sc->names[i].name);
		free(sc->names[i].cname);
	}
	free(sc->names);
	for (e = sc->head; e != NULL; e = n) {
		n = e->next;
		centry_free(e);
	}
	free(sc->buckets);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

unsigned long
spfc_dns_queries(struct spfc *sc)
{
	return atomic_load(&sc->queries);
}

void
spfc_set_clock(struct spfc *sc, long long (*now)(void *), void *arg)
{
	sc->now = now != NULL ? now : mono_seconds;
	sc->now_arg = now != NULL ? arg : NULL;
}

/* ------------------------------------------------------------ cache */

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static void
lru_unlink(struct spfc *sc, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		sc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		sc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct spfc *sc, struct centry *e)
{
	e->prev = NULL;
	e->next = sc->head;
	if (sc->head)
		sc->head->prev = e;
	sc->head = e;
	if (sc->tail == NULL)
		sc->tail = e;
}

static void
cache_remove(struct spfc *sc, struct centry *e)
{
	struct centry **pp = &sc->buckets[e->hash & (sc->nbuckets - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(sc, e);
	sc->count--;
	centry_free(e);
}

/* Lock held. */
static struct centry *
cache_find(struct spfc *sc, const char *key, long long now)
{
	uint32_t h = fnv1a(key);
	struct centry *e;

	for (e = sc->buckets[h & (sc->nbuckets - 1)]; e; e = e->hnext) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			if (now >= e->expires) {
				cache_remove(sc, e);
				return NULL;
			}
			lru_unlink(sc, e);
			lru_push(sc, e);
			return e;
		}
	}
	return NULL;
}

static bool
cache_get(struct spfc *sc, const char *key, struct spf_outcome *out)
{
	struct centry *e;
	bool hit = false;

	pthread_mutex_lock(&sc->lock);
	e = cache_find(sc, key, sc->now(sc->now_arg));
	if (e != NULL) {
		out->verdict = e->verdict;
		out->detail = e->detail ? strdup(e->detail) : NULL;
		out->record = e->record ? strdup(e->record) : NULL;
		out->cached = true;
		hit = true;
	}
	pthread_mutex_unlock(&sc->lock);
	return hit;
}

static void
cache_put(struct spfc *sc, const char *key, const struct spf_outcome *o)
{
	struct centry *e;
	long long now;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->key = strdup(key);
	e->detail = o->detail ? strdup(o->detail) : NULL;
	e->record = o->record ? strdup(o->record) : NULL;
	if (e->key == NULL || (o->detail && !e->detail) ||
	    (o->record && !e->record)) {
		centry_free(e);
		return;
	}
	e->verdict = o->verdict;
	e->hash = fnv1a(key);
	pthread_mutex_lock(&sc->lock);
	now = sc->now(sc->now_arg);
	e->expires = now + (long long)sc->opt.cache_ttl;
	{
		struct centry *old = cache_find(sc, key, now);

		if (old != NULL)
			cache_remove(sc, old);
	}
	while (sc->count >= sc->opt.cache_max && sc->tail != NULL)
		cache_remove(sc, sc->tail);
	e->hnext = sc->buckets[e->hash & (sc->nbuckets - 1)];
	sc->buckets[e->hash & (sc->nbuckets - 1)] = e;
	lru_push(sc, e);
	sc->count++;
	pthread_mutex_unlock(&sc->lock);
}

size_t
spfc_cache_size(struct spfc *sc)
{
	size_t n;

	pthread_mutex_lock(&sc->lock);
	n = sc->count;
	pthread_mutex_unlock(&sc->lock);
	return n;
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

static void
eval_free(struct eval *ev)
{
	pending_clear(ev);
	free(ev->record);
	free(ev->why);
	free(ev->failname);
	free(ev);
}

struct client {
	int		family;
	struct in_addr	v4;
	struct in6_addr	v6;
	char		text[INET6_ADDRSTRLEN];
};

/* Parse ip; v4-mapped IPv6 becomes IPv4 (RFC 7208 5: the client is the
 * IPv4 host). -1 with why set for bad text, loopback or unspecified. */
static int
client_parse(const char *ip, struct client *c, const char **why)
{
	memset(c, 0, sizeof(*c));
	if (ip == NULL) {
		*why = "no client address";
		return -1;
	}
	if (inet_pton(AF_INET, ip, &c->v4) == 1) {
		c->family = AF_INET;
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
	return 0;
}

static void
detail_set(struct spf_outcome *out, const char *dom, const char *ip,
    const struct eval *ev, unsigned timeout_ms)
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
map_result(SPF_result_t r)
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
run_libspf2(struct spfc *sc, struct eval *ev, const struct client *c,
    const char *sender, const char *helo, struct spf_outcome *out)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = tl_jmp;
	SPF_errcode_t err = SPF_E_SUCCESS;
	SPF_result_t r;

	tl_eval = ev;
	if (sigsetjmp(jb, 0) != 0) {
		/* libspf2 called SPF_error(): give up on this evaluation */
		tl_jmp = saved;
		tl_eval = NULL;
		free(ev->why);
		ev->why = strdup(tl_errmsg);
		out->verdict = SPFV_PERMERROR;
		if (ev->resp != NULL)
			SPF_response_free(ev->resp);
		if (ev->req != NULL)
			SPF_request_free(ev->req);
		ev->resp = NULL;
		ev->req = NULL;
		return;
	}
	tl_jmp = &jb;
	ev->req = SPF_request_new(sc->spf);
	if (ev->req == NULL) {
		set_why(ev, "%s", "out of memory");
		out->verdict = SPFV_TEMPERROR;
		goto done;
	}
	if (c->family == AF_INET)
		SPF_request_set_ipv4(ev->req, c->v4);
	else
		SPF_request_set_ipv6(ev->req, c->v6);
	SPF_request_set_helo_dom(ev->req, helo);
	if (SPF_request_set_env_from(ev->req, sender) != 0) {
		set_why(ev, "%s", "libspf2 refused the sender");
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
			set_why(ev, "%s", SPF_strerror(err));
	} else {
		out->verdict = map_result(r);
		if (out->verdict == SPFV_PERMERROR && ev->why == NULL) {
			err = SPF_response_errcode(ev->resp);
			set_why(ev, "%s", err == SPF_E_INCLUDE_RETURNED_NONE ?
			    "include of a domain without SPF record" :
			    SPF_strerror(err));
		}
	}
done:
	tl_jmp = saved;
	tl_eval = NULL;
	if (ev->resp != NULL)
		SPF_response_free(ev->resp);
	if (ev->req != NULL)
		SPF_request_free(ev->req);
	ev->resp = NULL;
	ev->req = NULL;
}

static int
evaluate(struct spfc *sc, const char *sender_in, const char *helo,
    const char *ip, bool use_cache, struct spf_outcome *out)
{
	uint64_t t0 = dnsq_now_ms();
	unsigned queries = 0;
	struct client c;
	const char *why = NULL, *dom, *at;
	char *sender = NULL, *key = NULL, *lkey = NULL;
	size_t n;
	struct eval *ev = NULL;
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
	if ((sender = strdup(sender_in)) == NULL) {
		why = "out of memory";
		goto bad;
	}
	str_trim(sender);
	n = strlen(sender);
	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
		memmove(sender, sender + 1, n - 2);
		sender[n - 2] = '\0';
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
	} else {
		at = strrchr(sender, '@');
		dom = at != NULL ? at + 1 : sender;
		if (helo == NULL || *helo == '\0')
			helo = dom;
	}

	/* RFC 7208 4.3: a malformed domain gives none, without a lookup */
	if (!spfrec_domain_ok(dom) && !sc->opt.libspf2_only) {
		out->verdict = SPFV_NONE;
		sb_puts(&sb, "malformed domain name: ");
		sb_puts_sanitized(&sb, dom);
		sb_puts(&sb, " (RFC 7208 4.3)");
		out->detail = sb_steal(&sb);
		rc = 0;
		goto done;
	}
	if (use_cache && sc->opt.cache_ttl > 0) {
		key = malloc(strlen(dom) + strlen(c.text) + 2);
		lkey = malloc(strlen(sender) + strlen(c.text) + 2);
		if (key == NULL || lkey == NULL) {
			why = "out of memory";
			goto bad;
		}
		sprintf(key, "%s|%s", dom, c.text);
		sprintf(lkey, "%s|%s", sender, c.text);
		str_lower_inplace(key);
		str_lower_inplace(lkey);
		if (cache_get(sc, key, out) || cache_get(sc, lkey, out)) {
			rc = 0;
			goto done;
		}
	}
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		why = "out of memory";
		goto bad;
	}
	ev->sc = sc;
	ev->family = c.family;
	ev->deadline = t0 + sc->opt.dns_timeout_ms;
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
		cache_put(sc, ev->uses_local ? lkey : key, out);
	rc = 0;
	goto done;
bad:
	out->detail = strdup(why);
	rc = -1;
done:
	if (ev != NULL) {
		queries = ev->queries;
		eval_free(ev);
	}
	free(sender);
	free(key);
	free(lkey);
	sb_free(&sb);
	out->dns_queries = queries;
	out->elapsed_ms = (unsigned)(dnsq_now_ms() - t0);
	return rc;
}

int
spfc_check(struct spfc *sc, const char *sender, const char *ip,
    struct spf_outcome *out)
{
	return evaluate(sc, sender, NULL, ip, true, out);
}

int
spfc_eval(struct spfc *sc, const char *sender, const char *helo,
    const char *ip, struct spf_outcome *out)
{
	return evaluate(sc, sender, helo, ip, false, out);
}

int
spfc_selftest_error_handler(strbuf *msg)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = tl_jmp;
	SPF_server_t *volatile srv = NULL;
	SPF_request_t *volatile req = NULL;
	volatile int rc = -1;

	pthread_once(&handlers_once, install_handlers);
	if (sigsetjmp(jb, 0) == 0) {
		tl_jmp = &jb;
		srv = SPF_server_new(SPF_DNS_ZONE, 0);
		if (srv != NULL)
			req = SPF_request_new(srv);
		if (req != NULL) {
			/* libspf2 answers a NULL sender with SPF_error() */
			SPF_request_set_env_from(req, NULL);
			sb_puts(msg, "SPF_error() was not called");
		}
	} else {
		sb_puts(msg, tl_errmsg);
		rc = 0;
	}
	tl_jmp = saved;
	if (req != NULL)
		SPF_request_free(req);
	if (srv != NULL)
		SPF_server_free(srv);
	return rc;
}
