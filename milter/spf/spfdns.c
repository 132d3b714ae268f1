/*
 * spfdns.c - the DNS layer libspf2 evaluates through: bounded queries,
 *	      the lookup limits of RFC 7208 4.6.4, the marker names of
 *	      spfrec.h and the SPF record lookup
 *
 * CONTRACT
 *	spfdns_layer() is an SPF_dns_server_t for SPF_server_new_dns(). Its
 *	destroy is NULL, so libspf2 never frees it: spfdns_free() does,
 *	after the SPF_server_t that uses it. Every question goes to the zone
 *	given to spfdns_new() or, without one, to dnsq (the name servers
 *	given, else those of resolv_conf), and counts in spfdns_queries()
 *	and the evaluation's queries, also one the deadline stops.
 *
 *	libspf2 gives a layer no per-request argument: the evaluation a
 *	question belongs to is the struct spfdns_eval that spfdns_set_eval()
 *	attached to the calling thread. With none attached, questions are
 *	answered plainly within SPFC_DEFAULT_TIMEOUT_MS and a record lookup
 *	(get_spf) fails with SPF_E_NOT_CONFIG. With one attached:
 *	  - no question is asked once mono_ms() reaches ev->deadline:
 *	    it answers TIMEOUT;
 *	  - a TEMPFAIL or TIMEOUT answer sets ev->dns_error (and timed_out)
 *	    and keeps the first failing name in ev->failname;
 *	unless libspf2_only is set, also:
 *	  - DNS mechanisms are counted across include: and redirect=: each
 *	    MX or PTR question, each A/AAAA question that is not the address
 *	    lookup of a name the last MX/PTR answer gave, each include or
 *	    redirect record lookup. The 11th sets over_mechs; the third void
 *	    answer (NXDOMAIN or NODATA) to one of them sets over_voids.
 *	    Either sets stop, after which every question answers NXDOMAIN
 *	    without a query and include/redirect record lookups fail;
 *	  - a PTR answer is cut to its first 10 names (the rest is ignored);
 *	  - an A question for NAME + SPFREC_MARK_AAAA (_MX4, _MX6) is
 *	    answered here: one A record (127.0.0.2) when NAME has an AAAA
 *	    record (one of its MX hosts has an A, an AAAA record); NODATA
 *	    when not; TEMPFAIL or TIMEOUT on DNS trouble. More than 10 MX
 *	    records set over_mx and stop (the first 10 are asked about);
 *	  - get_spf replaces libspf2's record lookup: TXT records only;
 *	    none that starts "v=spf1" gives none; more than one, or one
 *	    holding a NUL byte, gives permerror; the one record is checked
 *	    and rewritten by spfrec_check() before SPF_record_compile().
 *	    The top-level record is kept as published in ev->record; a
 *	    record using %{l} or %{s} sets uses_local; the first cause of a
 *	    permerror is kept in ev->why (spfdns_why()).
 *	With libspf2_only the layer only answers questions; libspf2 looks
 *	up and limits records itself.
 *
 *	Thread-safety: one layer serves every thread (the query counter is
 *	atomic; dnsq and a filled zone are read-only). An spfdns_eval
 *	belongs to the one thread it is attached to. Layer calls run inside
 *	the caller's guarded call (spfint.h). spfdns_ask() is one plain
 *	question by a deadline, outside any evaluation, for the DMARC and
 *	DKIM key lookups of dmarcdns.c (it counts in spfdns_queries()).
 *	Nothing here aborts. An
 *	allocation failure makes a question answer TEMPFAIL and the record
 *	check give permerror; one while remembering MX/PTR target names
 *	only makes the count stricter.
 */
#include <netinet/in.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>

#include "deadline.h"
#include "dnsq.h"
#include "spfint.h"
#include "spfrec.h"

#define SPFDNS_MAX_DNS_MECH	10	/* RFC 7208 4.6.4 */
#define SPFDNS_MAX_VOID		2	/* RFC 7208 4.6.4 */

struct spfdns {
	SPF_dns_server_t	 layer;		/* hook: this spfdns */
	struct spfzone		*zone;		/* not owned; NULL: dnsq */
	struct dnsq		*dnsq;
	bool			 libspf2_only;
	atomic_ulong		 queries;
};

static __thread struct spfdns_eval *tl_eval;

static void
set_str(char **dst, const char *s)
{
	if (*dst == NULL && s != NULL)
		*dst = strdup(s);
}

static void
pending_clear(struct spfdns_eval *ev)
{
	strv_free(ev->pending, ev->npending);
	ev->pending = NULL;
	ev->npending = ev->ipending = 0;
}

/* Remember the names an MX or PTR answer gave: libspf2 looks up their
 * addresses next, and those lookups are part of the same mechanism. */
static void
pending_set(struct spfdns_eval *ev, const struct dnsq_answer *ans)
{
	size_t i;

	pending_clear(ev);
	if (ans->n == 0)
		return;
	ev->pending = calloc(ans->n, sizeof(char *));
	if (ev->pending == NULL)
		return;
	for (i = 0; i < ans->n; i++)
		ev->pending[i] = spfzone_name_key(
		    (const char *)ans->rr[i].data);
	ev->npending = ans->n;
}

static bool
pending_take(struct spfdns_eval *ev, const char *name)
{
	char *k;
	bool hit = false;
	size_t i;

	if (ev->ipending >= ev->npending)
		return false;
	if ((k = spfzone_name_key(name)) == NULL)
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

/* One query, from the zone or the network, within the deadline. */
static void
query(struct spfdns *dns, struct spfdns_eval *ev, const char *name,
    int type, struct dnsq_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	atomic_fetch_add(&dns->queries, 1);
	if (ev != NULL)
		ev->queries++;
	if (ev != NULL && mono_ms() >= ev->deadline) {
		ans->status = DNSQ_TIMEOUT;
		return;
	}
	if (dns->zone != NULL) {
		spfzone_query(dns->zone, name, type, ans);
		return;
	}
	if (dnsq_query(dns->dnsq, name, type,
	    ev != NULL ? ev->deadline : mono_ms() +
	    SPFC_DEFAULT_TIMEOUT_MS, ans) < 0)
		ans->status = DNSQ_TEMPFAIL;
}

static void
note_dns_failure(struct spfdns_eval *ev, const char *name,
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
count_mech(struct spfdns_eval *ev)
{
	if (++ev->mechs > SPFDNS_MAX_DNS_MECH) {
		ev->over_mechs = true;
		ev->stop = true;
		return false;
	}
	return true;
}

static void
count_void(struct spfdns_eval *ev, const struct dnsq_answer *ans)
{
	if (ans->status != DNSQ_NXDOMAIN && ans->status != DNSQ_NODATA)
		return;
	if (++ev->voids > SPFDNS_MAX_VOID) {
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
marker_query(struct spfdns *dns, struct spfdns_eval *ev, const char *base,
    bool mx, int atype, struct dnsq_answer *out)
{
	static const unsigned char one[4] = { 127, 0, 0, 2 };
	struct dnsq_answer ans, sub;
	size_t i, n;
	bool hit = false;

	memset(out, 0, sizeof(*out));
	query(dns, ev, base, mx ? ns_t_mx : atype, &ans);
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
		if (n > SPFDNS_MAX_DNS_MECH) {
			/* RFC 7208 4.6.4: more than 10 MX is permerror */
			ev->over_mx = true;
			ev->stop = true;
			n = SPFDNS_MAX_DNS_MECH;
		}
		for (i = 0; i < n && !hit && !ev->stop; i++) {
			query(dns, ev, (const char *)ans.rr[i].data, atype,
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
	struct spfdns *dns = layer->hook;
	struct spfdns_eval *ev = tl_eval;
	struct dnsq_answer ans;
	SPF_dns_rr_t *rr;
	bool mech = false;

	(void)should_cache;
	if (ev != NULL && !dns->libspf2_only) {
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
	if (ev != NULL && !dns->libspf2_only && mech && type == ns_t_a) {
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
			marker_query(dns, ev, b, marks[k].mx, marks[k].atype,
			    &ans);
			free(b);
			rr = rr_from_ans(layer, domain, type, &ans);
			dnsq_answer_clear(&ans);
			return rr;
		}
	}
	query(dns, ev, domain, type, &ans);
	if (type == ns_t_ptr && ans.n > SPFDNS_MAX_DNS_MECH &&
	    ev != NULL && !dns->libspf2_only) {
		/* RFC 7208 4.6.4: names after the first 10 are ignored */
		for (size_t k = SPFDNS_MAX_DNS_MECH; k < ans.n; k++)
			free(ans.rr[k].data);
		ans.n = SPFDNS_MAX_DNS_MECH;
	}
	if (ev != NULL) {
		note_dns_failure(ev, domain, &ans);
		if (!dns->libspf2_only) {
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

void
spfdns_why(struct spfdns_eval *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->why != NULL)
		return;
	va_start(ap, fmt);
	ev->why = str_vprintf(fmt, ap);
	va_end(ap);
}

/* domain publishes no SPF record: none; for an include or redirect target
 * (not the top level) also the cause of the permerror libspf2 gives. */
static SPF_errcode_t
no_record(struct spfdns_eval *ev, SPF_response_t *resp, const char *domain,
    bool top)
{
	resp->result = SPF_RESULT_NONE;
	if (!top)
		spfdns_why(ev, "%s has no SPF record (include or "
		    "redirect target)", domain);
	return SPF_E_NOT_SPF;
}

/* Replaces SPF_server_get_record(): TXT only, one v=spf1 record, checked
 * and rewritten by spfrec before libspf2 compiles it. */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recp)
{
	struct spfdns *dns = server->resolver->hook;
	struct spfdns_eval *ev = tl_eval;
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
	query(dns, ev, domain, ns_t_txt, &ans);
	note_dns_failure(ev, domain, &ans);
	if (!top)
		count_void(ev, &ans);
	switch (ans.status) {
	case DNSQ_ANSWER:
		break;
	case DNSQ_NXDOMAIN:
	case DNSQ_NODATA:
		dnsq_answer_clear(&ans);
		return no_record(ev, resp, domain, top);
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
		return no_record(ev, resp, domain, top);
	}
	if (found > 1) {
		dnsq_answer_clear(&ans);
		resp->result = SPF_RESULT_PERMERROR;
		spfdns_why(ev, found == SIZE_MAX ? "%s: NUL byte in the SPF "
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
			spfdns_why(ev, "%s: out of memory", domain);
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
		spfdns_why(ev, "%s: libspf2 cannot compile this record",
		    domain);
		if (*recp != NULL) {
			SPF_record_free(*recp);
			*recp = NULL;
		}
	}
	free(norm);
	return err;
}

/* ------------------------------------------------------------ setup */

struct spfdns *
spfdns_new(struct spfzone *zone, const char *nameservers,
    const char *resolv_conf, bool libspf2_only, strbuf *err)
{
	struct spfdns *dns;

	dns = calloc(1, sizeof(*dns));
	if (dns == NULL) {
		sb_puts(err, "out of memory");
		return NULL;
	}
	dns->zone = zone;
	dns->libspf2_only = libspf2_only;
	atomic_init(&dns->queries, 0);
	if (zone == NULL) {
		dns->dnsq = dnsq_new(nameservers, resolv_conf, err);
		if (dns->dnsq == NULL) {
			free(dns);
			return NULL;
		}
	}
	/* destroy stays NULL: SPF_server_free() leaves the layer to us */
	dns->layer.lookup = layer_lookup;
	dns->layer.get_spf = libspf2_only ? NULL : layer_get_spf;
	dns->layer.name = "relaymilter";
	dns->layer.hook = dns;
	return dns;
}

void
spfdns_free(struct spfdns *dns)
{
	if (dns == NULL)
		return;
	dnsq_free(dns->dnsq);
	free(dns);
}

void
spfdns_ask(struct spfdns *dns, const char *name, int type,
    uint64_t deadline, struct dnsq_answer *ans)
{
	struct spfdns_eval ev;

	/* a throw-away evaluation carries the deadline to query() */
	memset(&ev, 0, sizeof(ev));
	ev.deadline = deadline;
	query(dns, &ev, name, type, ans);
}

SPF_dns_server_t *
spfdns_layer(struct spfdns *dns)
{
	return &dns->layer;
}

unsigned long
spfdns_queries(struct spfdns *dns)
{
	return atomic_load(&dns->queries);
}

void
spfdns_set_eval(struct spfdns_eval *ev)
{
	tl_eval = ev;
}

struct spfdns_eval *
spfdns_eval_new(int family, uint64_t deadline)
{
	struct spfdns_eval *ev;

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return NULL;
	ev->family = family;
	ev->deadline = deadline;
	return ev;
}

void
spfdns_eval_free(struct spfdns_eval *ev)
{
	if (ev == NULL)
		return;
	pending_clear(ev);
	free(ev->record);
	free(ev->why);
	free(ev->failname);
	free(ev);
}
