/*
 * testmode.c - relaymilter -T: a dry run of the decision for one sender
 *
 * CONTRACT
 *	See testmode.h. Uses policy_decide() and the same checks as
 *	the milter, so what it prints is what the milter would do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "align.h"
#include "budget.h"
#include "budgetmsg.h"
#include "config.h"
#include "dmarcdns.h"
#include "dmarcpred.h"
#include "dmarcrec.h"
#include "policy.h"
#include "runprog.h"
#include "smverify.h"
#include "predict.h"
#include "relayprof.h"
#include "rview.h"
#include "snapshot.h"
#include "sendmailcf.h"
#include "spfcheck.h"
#include "statusmode.h"
#include "testmode.h"
#include "util.h"

/* The smarthost of sendmail.cf's DS line, as {rcpt_host} shows it, or NULL. */
static char *
cf_relay(const char *cf_path, char **mailer)
{
	struct sendmail_cf cf;
	struct cf_smarthost sh;
	strbuf sb, err;
	char *text, *r = NULL;
	size_t len;

	if (cf_path == NULL || read_file(cf_path, &text, &len) < 0)
		return NULL;
	sb_init(&err);
	memset(&cf, 0, sizeof(cf));
	memset(&sh, 0, sizeof(sh));
	if (cf_parse(text, &cf, &err) == 0 && cf_smarthost(&cf, &sh) == 0) {
		sb_init(&sb);
		sb_printf(&sb, sh.bracketed ? "[%s]" : "%s", sh.host);
		r = sb_steal(&sb);
		*mailer = sh.mailer ? strdup(sh.mailer) : NULL;
	}
	cf_smarthost_free(&sh);
	cf_free(&cf);
	sb_free(&err);
	free(text);
	return r;
}

static char *
default_relay(const struct rm_snapshot *s)
{
	size_t i;
	strbuf sb;

	sb_init(&sb);
	if (s->authinfo != NULL) {
		for (i = 0; i < s->authinfo->n; i++) {
			if (s->authinfo->v[i].host[0] != '\0') {
				sb_printf(&sb, "[%s]", s->authinfo->v[i].host);
				return sb_steal(&sb);
			}
		}
	}
	sb_puts(&sb, "[smarthost]");
	return sb_steal(&sb);
}

/* Is domain in sendmail.cf's class w (Cw words, Fw files)? Says where. */
static bool
in_class_w(const char *cf_path, const char *domain, strbuf *where)
{
	struct sendmail_cf cf;
	strbuf err;
	char *text, *buf, *line, *next, *tok, *cur;
	size_t len, i, blen;
	bool hit = false;

	if (domain == NULL || cf_path == NULL ||
	    read_file(cf_path, &text, &len) < 0)
		return false;
	sb_init(&err);
	memset(&cf, 0, sizeof(cf));
	if (cf_parse(text, &cf, &err) == 0) {
		for (i = 0; i < cf.nclass_w && !hit; i++)
			if (str_ieq(cf.class_w[i].name, domain)) {
				hit = true;
				sb_printf(where, "sendmail.cf line %u, as "
				    "LOCAL_DOMAIN() writes it", cf.class_w[i].line);
			}
		for (i = 0; i < cf.nclass_w_files && !hit; i++) {
			if (cf.class_w_files[i].path[0] != '/' ||
			    read_file(cf.class_w_files[i].path, &buf, &blen) < 0)
				continue;
			for (line = buf; line != NULL && !hit; line = next) {
				if ((next = strchr(line, '\n')) != NULL)
					*next++ = '\0';
				cur = line;
				while (!hit && (tok = str_token(&cur)) != NULL &&
				    *tok != '#')
					if (str_ieq(tok, domain)) {
						hit = true;
						sb_printf(where, "%s, read by "
						    "sendmail.cf line %u",
						    cf.class_w_files[i].path,
						    cf.class_w_files[i].line);
					}
			}
			free(buf);
		}
	}
	cf_free(&cf);
	sb_free(&err);
	free(text);
	return hit;
}

/*
 * --to ADDR: what sendmail itself does with the address (sendmail -bv
 * with the same sendmail.cf): the recipients it becomes, each with its
 * mailer and host, as rcpt_info for the decision. 0, or -1 (said why).
 */
static int
route_rcpt(const char *cf_path, const char *to, struct smverify *sv)
{
	char *argv[] = { "/usr/sbin/sendmail", "-C", (char *)cf_path, "-bv",
	    "--", (char *)to, NULL };
	const char *dom = strrchr(to, '@');
	strbuf out, why, where;
	size_t i;
	int st;

	memset(sv, 0, sizeof(*sv));
	if (access(argv[0], X_OK) < 0)
		argv[0] = "sendmail";
	sb_init(&out);
	sb_init(&why);
	st = run_program(argv, 30000, &out, &why);
	if (st == -1 || st == -2) {
		printf("recipient      <%s>: cannot ask sendmail (%s%s): the "
		    "route below is sendmail.cf's smarthost\n", to,
		    st == -2 ? "no answer from sendmail -bv in 30 s" : why.s,
		    "");
		sb_free(&out);
		sb_free(&why);
		return -1;
	}
	if (smverify_parse(out.s, sv) < 0 || sv->n == 0) {
		printf("recipient      <%s>: sendmail -bv said nothing this "
		    "reads (exit %d): %s\n", to, st, out.len ? out.s : "");
		smverify_free(sv);
		sb_free(&out);
		sb_free(&why);
		return -1;
	}
	for (i = 0; i < sv->n; i++) {
		const struct smv_entry *e = &sv->v[i];
		const char *ed = strrchr(e->addr, '@');

		if (!e->deliverable) {
			printf("recipient      <%s>: sendmail refuses it: %s\n",
			    e->addr, e->text ? e->text : "");
			sb_init(&where);
			if (ed != NULL && in_class_w(cf_path, ed + 1, &where))
				printf("               %s is one of this host's "
				    "names (class w: %s): sendmail looks for a "
				    "local user and never relays it; a relay "
				    "account's domain there keeps its mail here\n",
				    ed + 1, where.s);
			sb_free(&where);
		} else if (e->host != NULL && *e->host != '\0') {
			printf("recipient      <%s>: leaves by mailer %s for %s "
			    "(sendmail -bv)\n", e->addr, e->mailer ? e->mailer :
			    "?", e->host);
		} else {
			printf("recipient      <%s>: delivered on this host by "
			    "mailer %s to %s (sendmail -bv): never through the "
			    "smarthost\n", e->addr, e->mailer ? e->mailer : "?",
			    e->user ? e->user : "?");
			sb_init(&where);
			if (ed == NULL)
				ed = dom;
			if (ed != NULL && in_class_w(cf_path, ed + 1, &where))
				printf("               %s is one of this host's "
				    "names (class w: %s); a relay account's domain "
				    "there keeps its mail here\n", ed + 1,
				    where.s);
			sb_free(&where);
		}
	}
	sb_free(&out);
	sb_free(&why);
	return 0;
}

static const char *const action_words[] = {
	"none", "tag", "tempfail", "reject"
};

/* What the recipient's MX will see, from the relay profile. */
static void
show_view(const struct rview *v)
{
	printf("relay profile  %s (%s%s)\n", v->prof->id, v->prof->label,
	    v->auto_profile ? ", by the smarthost's name" : "");
	printf("               %s\n", v->prof->model_note);
	if (v->env_domain != NULL)
		printf("recipient sees MAIL FROM:<%s%s> - %s\n",
		    v->env ? v->env : "...@", v->env ? "" : v->env_domain,
		    v->env_note);
	else
		printf("recipient sees no envelope sender relaymilter knows\n");
	if (v->from != NULL)
		printf("               From: <%s>%s%s\n", v->from,
		    v->from_note ? " - " : "", v->from_note ? v->from_note :
		    "");
	else
		printf("               From: not one mailbox: no DMARC "
		    "verdict\n");
	if (v->dkim_d != NULL)
		printf("               DKIM-Signature d=%s%s%s - %s\n",
		    v->dkim_d, v->dkim_sel ? " s=" : "",
		    v->dkim_sel ? v->dkim_sel : "", v->dkim_note);
	else
		printf("               no DKIM signature (RelayDKIM)\n");
}

static void
show_dmarc(const struct prediction *p)
{
	const struct dmarc_eval *e = &p->dm;
	const struct rview *v = &p->rv;
	const struct dmarc_record *r = &e->found.rec;

	switch (e->verdict) {
	case DMV_OFF:
		printf("DMARC          not predicted (no SPFRelayAddress: the "
		    "relay's egress is not known)\n");
		return;
	case DMV_UNCHECKED:
		if (e->found.status != DMARCF_FOUND) {
			printf("DMARC          not predicted: %s%s%s\n", e->why,
			    strcmp(e->why, "domain-not-configured") == 0 ?
			    " (list the From: domain in DMARCDomains)" : "",
			    strcmp(e->why, "relay-not-modelled") == 0 ?
			    " (set RelayProfile)" : "");
			return;
		}
		break;
	default:
		break;
	}
	if (e->found.status == DMARCF_FOUND) {
		char *text = sanitize_dup(e->found.text);

		printf("DMARC record   _dmarc.%s: %s\n", e->found.where,
		    text ? text : "(out of memory)");
		free(text);
		printf("               found at %s; policy for %s: %s (%s=)%s\n",
		    e->found.at_org ? "the organizational domain" :
		    "the From: domain", v->from_domain,
		    dmarcrec_policy_name(e->policy), e->found.at_org &&
		    r->has_sp ? "sp" : "p", r->pct < 100 ?
		    " applied to the pct= share of failing mail" : "");
		if (r->warn != NULL)
			printf("               (ignored: %s)\n", r->warn);
		printf("SPF aligned    %s: envelope %s %s with %s (aspf=%s), "
		    "SPF %s\n", e->spf_aligned ? "yes" : "NO",
		    v->env_domain ? v->env_domain : "(none)",
		    e->spf_id_aligned ? "aligned" : "not aligned",
		    v->from_domain, r->aspf_strict ? "s" : "r",
		    prediction_spf_word(p) ? prediction_spf_word(p) : "off");
		if (v->dkim_d == NULL)
			printf("DKIM aligned   NO: no signature\n");
		else
			printf("DKIM aligned   %s: d=%s %s with %s (adkim=%s), "
			    "signature %s%s%s%s\n", e->dkim_aligned ? "yes" :
			    "NO", v->dkim_d, e->dkim_id_aligned ? "aligned" :
			    "not aligned", v->from_domain, r->adkim_strict ?
			    "s" : "r", e->dkim == DKIMV_PASS ? "verifies" :
			    e->dkim == DKIMV_FAIL ? "fails" : "unknown",
			    e->key_checked ? " (key " : v->own_key ?
			    " (the provider's key)" : v->dkim_sel ? "" :
			    " (no selector: key not checked)",
			    e->key_checked ?
			    dmarcdns_key_status_name(e->key.status) :
			    "", e->key_checked ? ")" : "");
	} else if (e->found.status == DMARCF_TEMPERROR) {
		printf("DMARC record   %s\n", e->found.why);
	} else {
		printf("DMARC record   none for %s%s%s%s%s\n", v->from_domain,
		    e->org && strcmp(e->org, v->from_domain) != 0 ?
		    " nor its organizational domain " : "",
		    e->org && strcmp(e->org, v->from_domain) != 0 ? e->org :
		    "", e->found.why ? ": " : "", e->found.why ?
		    e->found.why : "");
		if (v->prof->model == RPM_GMAIL ||
		    v->prof->model == RPM_GOOGLE_RELAY)
			printf("WARNING        %s sends through Google without a "
			    "DMARC record: Google's sender rules require one "
			    "of bulk senders\n", v->from_domain);
	}
	printf("DMARC          %s%s%s%s\n", dmarcpred_verdict_name(e->verdict),
	    e->found.status == DMARCF_FOUND ? " (policy " : "",
	    e->found.status == DMARCF_FOUND ? dmarcrec_policy_name(e->policy) :
	    "", e->found.status == DMARCF_FOUND ? ")" : "");
}

/* SPF at each relay address, then the prediction as the milter makes it. */
static int
show_checks(const struct rm_snapshot *s, const struct decision *d,
    const char *header_from, bool have_from, const char *jdomain)
{
	struct spfc *sc;
	struct spf_outcome o;
	struct prediction p;
	struct rview v;
	const char *dom;
	strbuf err;
	size_t i;
	int rc = -1;

	if (d->action == DECIDE_SKIP)
		return 0;
	sb_init(&err);
	if ((sc = predict_checker_new(s->cfg, &err)) == NULL) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		sb_free(&err);
		return -1;
	}
	if (rview_build(s, d, header_from, have_from ? 1 : 0, &v) < 0) {
		fprintf(stderr, "relaymilter: out of memory\n");
		goto out;
	}
	show_view(&v);
	dom = v.env_domain;
	if (s->spf_addrs.n == 0)
		printf("SPF            not checked (no SPFRelayAddress)\n");
	else if (dom == NULL || !rview_env_ok(s, d, &v))
		printf("SPF            not checked: %s is not a domain the "
		    "rewrite or the configuration produces (SPFDomains)\n",
		    dom ? dom : "(none)");
	else
		for (i = 0; i < s->spf_addrs.n; i++) {
			memset(&o, 0, sizeof(o));
			if (spfc_check(sc, v.env ? v.env : dom,
			    s->spf_addrs.v[i], &o) < 0) {
				printf("SPF at %-24s error: %s\n",
				    s->spf_addrs.v[i], o.detail ? o.detail :
				    "internal error");
			} else {
				printf("SPF at %-24s %s%s%s%s (%u ms)\n",
				    s->spf_addrs.v[i],
				    spf_verdict_name(o.verdict),
				    o.detail ? " (" : "",
				    o.detail ? o.detail : "",
				    o.detail ? ")" : "", o.elapsed_ms);
				if (o.record != NULL)
					printf("  record of %s: %s\n", dom,
					    o.record);
			}
			spf_outcome_clear(&o);
		}
	rview_free(&v);
	if (predict(s, sc, d, header_from, have_from ? 1 : 0, jdomain, &p,
	    &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out;
	}
	/* of what the recipient sees, which may differ from the From:
	 * domain line above (our envelope, before the relay) */
	if (have_from)
		printf("alignment      %s (%s): From: %s, envelope %s, as the "
		    "recipient sees them\n", p.align < 0 ? "none" :
		    p.align ? "pass" : "FAIL", rm_align_names[
		    s->cfg->alignment_mode], p.rv.from_domain ?
		    p.rv.from_domain : "?", p.rv.env_domain ?
		    p.rv.env_domain : "?");
	show_dmarc(&p);
	if (p.hint != NULL)
		printf("hint           %s\n", p.hint);
	if (p.code)
		printf("action         %s (%s %s)\n", action_words[p.action],
		    p.code, p.dsn);
	else
		printf("action         %s\n", action_words[p.action]);
	if (p.code)
		printf("               %s\n", p.reply);
	printf("decision line  action=%s%s%s, spf=%s, align=%s",
	    decision_action_name(d->action), d->reason ? ", reason=" : "",
	    d->reason ? d->reason : "", prediction_spf_word(&p) ?
	    prediction_spf_word(&p) : "off", p.align < 0 ? "none" :
	    p.align ? "pass" : "fail");
	if (prediction_dmarc_word(&p) != NULL) {
		printf(", dmarc=%s", prediction_dmarc_word(&p));
		if (p.dm.found.status == DMARCF_FOUND)
			printf(", dmarc_policy=%s",
			    dmarcrec_policy_name(p.dm.policy));
		if (p.rv.dkim_d != NULL && p.dm.verdict != DMV_UNCHECKED)
			printf(", dkim_d=%s", p.rv.dkim_d);
	}
	printf("\n");
	prediction_free(&p);
	rc = 0;
out:
	spfc_free(sc);
	sb_free(&err);
	return rc;
}

/* The relay budget: where this message would count, and whether it fits
 * now (the counts the daemon last wrote). */
static void
show_budget(const struct rm_snapshot *s, const struct msg_facts *f,
    const struct decision *d)
{
	static const char *const over_words[] = {
		"held in sendmail's queue until there is room (OverLimitAction "
		"hold)", "refused with 451 (OverLimitAction tempfail)",
		"sent anyway, budget=over in the trace header (OverLimitAction "
		"tag)", "sent anyway (OverLimitAction none)"
	};
	struct budget_msgbuf mb;
	struct budget_result br;
	struct budget *b;
	strbuf err, why, t;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (s->nlimits == 0) {
		printf("relay budget   none (no RelayLimit)\n");
		return;
	}
	sb_init(&err);
	sb_init(&why);
	if (budget_msg_make(s, f, d, &mb, &err) < 0) {
		printf("relay budget   %s\n", err.s);
		goto out;
	}
	if (mb.msg.nreq == 0) {
		printf("relay budget   no RelayLimit applies to this message"
		    "%s\n", d->relayed ? "" : " (not relayed)");
		goto out;
	}
	for (i = 0; i < mb.msg.nreq; i++) {
		sb_init(&t);
		relaylimit_text(mb.req[i].lim, &t);
		printf("relay budget   counted under %s (RelayLimit %s)\n",
		    mb.req[i].key, t.s);
		sb_free(&t);
	}
	if ((b = statusmode_budget(s, now, &why)) == NULL) {
		printf("               out of memory\n");
		goto out;
	}
	if (why.len > 0)
		printf("               counts unknown: %s; as if nothing was "
		    "sent yet\n", why.s);
	mb.msg.qid = "TESTQID";
	if (budget_account(b, &mb.msg, BM_REFUSE, 0, now, &br) == 0 &&
	    br.top.req >= 0) {
		printf("               %s %lu/%lu with this message (%u "
		    "envelope(s), %u recipient(s)): %s\n",
		    relaylimit_window_name(br.top.window), br.top.used,
		    br.top.max, mb.msg.msgs, mb.msg.rcpts,
		    br.verdict == BV_REFUSED ? over_words[
		    s->cfg->over_limit_action & 3] : "fits");
		printf("decision line  budget=%lu/%lu, budget_window=%s, "
		    "budget_key=%s\n", br.top.used, br.top.max,
		    relaylimit_window_name(br.top.window),
		    mb.req[br.top.req].key);
	}
	budget_free(b);
out:
	budget_msg_free(&mb);
	sb_free(&err);
	sb_free(&why);
}

int
testmode_run(const char *config_path, const char *sender, const char *from,
    const char *relay, const char *cf_path, const char *to)
{
	struct snapshot_opts opt = { true, NULL };
	struct rm_snapshot *s;
	struct msg_facts f;
	struct rcpt_info r;
	struct decision d;
	strbuf err, warn, env, hdr;
	char host[256], *relay_host, *cf_mailer = NULL;
	struct smverify sv;
	struct rcpt_info rv[16];
	size_t i, nrv = 0;
	int rc = 1;

	memset(&sv, 0, sizeof(sv));

	sb_init(&err);
	sb_init(&warn);
	sb_init(&env);
	sb_init(&hdr);
	if (snapshot_load(config_path, &opt, &s, &err, &warn) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out0;
	}
	if (relay != NULL)
		relay_host = strdup(relay);
	else if ((relay_host = cf_relay(cf_path, &cf_mailer)) == NULL)
		relay_host = default_relay(s);
	if (relay_host == NULL)
		goto out1;
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	sb_printf(&env, sender[0] == '<' ? "%s" : "<%s>", sender);
	memset(&r, 0, sizeof(r));
	r.addr = "<someone@example.com>";
	r.mailer = cf_mailer != NULL ? cf_mailer :
	    s->cfg->relay_mailers.n > 0 ? s->cfg->relay_mailers.v[0] : "relay";
	r.host = relay_host;
	memset(&f, 0, sizeof(f));
	f.sender = env.s;
	f.client_addr = NULL;
	f.jdomain = host;
	f.rcpts = &r;
	f.nrcpts = 1;
	if (to != NULL && route_rcpt(cf_path, to, &sv) == 0) {
		/* the recipients sendmail makes of it, as RCPT would give
		 * them to the milter ({rcpt_mailer}, {rcpt_host}) */
		for (i = 0; i < sv.n && nrv < sizeof(rv) / sizeof(rv[0]);
		    i++) {
			if (!sv.v[i].deliverable)
				continue;
			rv[nrv].addr = sv.v[i].addr;
			rv[nrv].mailer = sv.v[i].mailer;
			rv[nrv].host = sv.v[i].host && *sv.v[i].host ?
			    sv.v[i].host : NULL;
			nrv++;
		}
		/* what sendmail makes of ADDR, even nothing it would relay */
		f.rcpts = rv;
		f.nrcpts = nrv;
	}
	if (from != NULL) {
		sb_printf(&hdr, strchr(from, '@') ? "<%s>" : "<user@%s>", from);
		f.header_from = hdr.s;
		f.from_count = 1;
	}
	if (policy_decide(s, &f, &d, &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out2;
	}
	printf("configuration  %s\n", config_path);
	printf("sender         <%s>\n", d.orig);
	if (f.rcpts == rv) {
		for (i = 0; i < nrv && rv[i].host == NULL; i++)
			;
		if (i < nrv)
			printf("relay          %s (mailer %s)\n", rv[i].host,
			    rv[i].mailer);
		else
			printf("relay          none: every recipient stays on "
			    "this host\n");
	} else
		printf("relay          %s (mailer %s)\n", relay_host, r.mailer);
	if (d.account != NULL)
		printf("account        %s%s%s%s\n", d.account,
		    d.account_src ? " (from " : "",
		    d.account_src ? d.account_src : "",
		    d.account_src ? ")" : " (not an address)");
	else
		printf("account        none (no RelayAccount, no authinfo "
		    "entry for %s)\n", relay_host);
	printf("decision       %s", decision_action_name(d.action));
	if (d.action == DECIDE_REWRITE)
		printf(" -> <%s>", d.final);
	if (d.reason != NULL)
		printf(" (reason %s)", d.reason);
	if (d.map_key != NULL)
		printf(" (SenderMap key %s, line %u)", d.map_key, d.map_line);
	printf("\n");
	if (d.map_skipped_key != NULL)
		printf("  SenderMap key %s (line %u) matched, but its %%1 gives "
		    "no address for this sender: passed over\n",
		    d.map_skipped_key, d.map_skipped_line);
	if (from != NULL && d.final != NULL) {
		const char *fd = strrchr(hdr.s, '@') + 1;
		char *fdom = strndup(fd, strcspn(fd, ">"));
		const char *ed = decision_final_domain(&d);
		int al = fdom && ed ? align_check(fdom, ed,
		    s->cfg->alignment_mode) : 0;

		printf("From: domain   %s: %s with the envelope domain %s "
		    "(%s)\n", fdom ? fdom : "?", al == 1 ? "aligned" :
		    "NOT aligned", ed ? ed : "?",
		    rm_align_names[s->cfg->alignment_mode]);
		if (d.from_rewrite)
			printf("From: rewrite  %s (old From: goes to "
			    "Reply-To:)\n", d.from_new);
		else if (d.from_note != NULL)
			printf("From: left     %s\n", d.from_note);
		free(fdom);
	}
	if (show_checks(s, &d, f.header_from, from != NULL, host) < 0)
		goto out3;
	show_budget(s, &f, &d);
	/* what -n would warn about, in the same output (not interleaved
	 * with it on another stream) */
	{
		const char *p = warn.s, *nl;

		while (p != NULL && *p != '\0') {
			nl = strchr(p, '\n');
			printf("warning        %.*s\n", nl ? (int)(nl - p) :
			    (int)strlen(p), p);
			p = nl ? nl + 1 : NULL;
		}
	}
	rc = 0;
out3:
	decision_free(&d);
out2:
	smverify_free(&sv);
	free(relay_host);
	free(cf_mailer);
out1:
	snapshot_unref(s);
out0:
	sb_free(&err);
	sb_free(&warn);
	sb_free(&env);
	sb_free(&hdr);
	fflush(stdout);
	return rc;
}
