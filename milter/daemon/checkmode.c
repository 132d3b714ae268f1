/*
 * checkmode.c - relaymilter -n: check the configuration, say what it will do
 *
 * CONTRACT
 *	See checkmode.h. Reads files and sendmail.cf, forks one child
 *	for the access check, changes nothing (the trace key is not created).
 *	Looks up the DKIM key of each RelayDKIM domain it can name without
 *	a message (DNS or SPFTestZone, within one DNSTimeout for all).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authinfo.h"
#include "budgetd.h"
#include "budgetmsg.h"
#include "checkmode.h"
#include "config.h"
#include "daemon.h"
#include "deadline.h"
#include "dmarcdns.h"
#include "policy.h"
#include "predict.h"
#include "relaylimit.h"
#include "relayprof.h"
#include "runas.h"
#include "sendmailcf.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "strtab.h"
#include "util.h"

#define MAXFILES	32

struct fcheck {
	const char		*what;		/* option name */
	const char		*path;
	enum runas_want		 want;
};

/* Print each line of buf to fp with the "relaymilter: " prefix. */
static void
print_lines(FILE *fp, const char *prefix, const strbuf *buf)
{
	const char *p = buf->s, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		fprintf(fp, "%s%.*s\n", prefix, nl ? (int)(nl - p) :
		    (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* The files the daemon reads at start and at every reload. */
static size_t
collect_files(const struct rm_config *cfg, const char *config_path,
    const char *state_file, struct fcheck *v)
{
	const struct opt_desc *o;
	size_t n, i, k = 0;
	struct stat st;

	v[k++] = (struct fcheck){ "the configuration", config_path,
	    RUNAS_READ };
	o = config_options(&n);
	for (i = 0; i < n && k < MAXFILES - 1; i++) {
		const void *field = (const char *)cfg + o[i].offset;

		if (o[i].type == OT_PATH) {
			const char *p = *(char *const *)field;

			if (p != NULL && *p != '\0')
				v[k++] = (struct fcheck){ o[i].name, p,
				    RUNAS_READ };
		} else if (o[i].type == OT_LIST) {
			const struct strlist *l = field;

			if (l->n == 1 && l->v[0][0] == '/')
				v[k++] = (struct fcheck){ o[i].name, l->v[0],
				    RUNAS_READ };
		}
	}
	if (cfg->trace_header[0] != '\0' && cfg->trace_key_file[0] != '\0')
		v[k++] = (struct fcheck){ "TraceKeyFile", cfg->trace_key_file,
		    lstat(cfg->trace_key_file, &st) == 0 ? RUNAS_READ :
		    RUNAS_CREATE };
	/* the relay budget's state: written as a new file renamed in place */
	if (cfg->relay_limit.n > 0 && k < MAXFILES && state_file != NULL)
		v[k++] = (struct fcheck){ "StateDirectory", state_file,
		    RUNAS_CREATE };
	return k;
}

/*
 * The user the daemon will run as: 1 with u set, 0 when the invoking
 * user is it (no switch needed or possible), -1 with the error in err.
 */
static int
run_user(const struct rm_config *cfg, struct runas_user *u, strbuf *who,
    strbuf *err)
{
	strbuf e;

	sb_init(&e);
	if (cfg->userid != NULL && *cfg->userid != '\0') {
		if (runas_lookup(cfg->userid, u, &e) < 0) {
			sb_printf(err, "%s: UserID %s: %s", cfg->path,
			    cfg->userid, e.s);
			sb_free(&e);
			return -1;
		}
		sb_printf(who, "%s:%s (UserID)", u->name, u->group);
	} else if (geteuid() == 0 && !cfg->allow_root) {
		/* root without UserID is refused: the daemon can only run
		 * as the unit's User=/Group= */
		if (runas_lookup(RM_UNIT_USER, u, &e) < 0) {
			sb_printf(err, "the daemon runs as %s (relaymilter."
			    "service; root is refused without UserID), but "
			    "%s: create the user: adduser --system "
			    "--no-create-home --ingroup smmsp relaymilter, or "
			    "set UserID", RM_UNIT_USER, e.s);
			sb_free(&e);
			return -1;
		}
		sb_printf(who, "%s:%s (relaymilter.service)", u->name,
		    u->group);
	} else {
		sb_free(&e);
		return 0;
	}
	sb_free(&e);
	if (geteuid() != 0 && geteuid() != u->uid) {
		sb_printf(err, "cannot check the files as %s: run relaymilter "
		    "-n as root or as that user", who->s);
		runas_user_free(u);
		return -1;
	}
	return 1;
}

/* Every file as the run user; errors with their fixes into errs. */
static void
check_access(const struct rm_config *cfg, const char *config_path,
    strbuf *rep, strbuf *errs)
{
	struct fcheck v[MAXFILES];
	const char *paths[MAXFILES];
	enum runas_want want[MAXFILES];
	int res[MAXFILES];
	struct runas_user u;
	strbuf who, err, fix, state;
	size_t n, i;
	unsigned bad = 0;
	int r;

	sb_init(&who);
	sb_init(&err);
	sb_init(&state);
	sb_printf(&state, "%s/budget.state", cfg->state_directory);
	if ((r = run_user(cfg, &u, &who, &err)) < 0) {
		sb_printf(errs, "%s\n", err.s);
		goto out;
	}
	if (r == 0)
		goto out;		/* the invoking user reads them itself */
	n = collect_files(cfg, config_path, state.err ? NULL : state.s, v);
	for (i = 0; i < n; i++) {
		paths[i] = v[i].path;
		want[i] = v[i].want;
	}
	if (runas_check(&u, paths, want, n, res, &err) < 0) {
		sb_printf(errs, "%s\n", err.s);
		runas_user_free(&u);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (res[i] == 0 || res[i] == ENOENT)
			continue;	/* a missing file is the loader's */
		bad++;
		sb_init(&fix);
		runas_fix(&u, v[i].path, v[i].want, &fix);
		if (v[i].want == RUNAS_READ)
			sb_printf(errs, "%s: %s cannot be read by %s, the user "
			    "the daemon runs as (%s)", v[i].path, v[i].what,
			    who.s, strerror(res[i]));
		else if (strcmp(v[i].what, "StateDirectory") == 0)
			sb_printf(errs, "%s: StateDirectory: %s cannot write the "
			    "relay budget's state in %s (%s)", v[i].path,
			    who.s, cfg->state_directory, res[i] == ENOENT ?
			    "the directory does not exist: relaymilter.service "
			    "makes it (StateDirectory=)" : strerror(res[i]));
		else
			sb_printf(errs, "%s: %s: %s cannot create the key "
			    "in its directory (%s)", v[i].path, v[i].what,
			    who.s, strerror(res[i]));
		if (fix.len > 0)
			sb_printf(errs, "; fix: %s", fix.s);
		sb_putc(errs, '\n');
		sb_free(&fix);
	}
	if (bad == 0)
		sb_printf(rep, "  files     %zu file(s) checked as %s, the "
		    "user the daemon runs as\n", n, who.s);
	runas_user_free(&u);
out:
	sb_free(&who);
	sb_free(&err);
	sb_free(&state);
}

/* The route sendmail takes for relayed mail, from sendmail.cf. */
struct route {
	bool		 have_cf;
	bool		 smarthost;	/* DS names a host */
	char		*relay;		/* as {rcpt_host} shows it */
	char		*mailer;
	char		*jdomain;	/* Dj, or NULL */
	char		*authinfo_map;	/* FEATURE(authinfo)'s file, or NULL */
	unsigned	 authinfo_line;
	long		 queuereturn;	/* Timeout.queuereturn, seconds */
	unsigned	 queuereturn_line;	/* 0: sendmail's default */
	long		 maxrcpt;	/* the relay mailer's r=, 0: not set */
	unsigned	 mailer_line;
};

static void
route_free(struct route *r)
{
	free(r->relay);
	free(r->mailer);
	free(r->jdomain);
	free(r->authinfo_map);
}

/* The map file as sendmail opens it: a hash map "x.db" is "x". */
static char *
map_text_path(const char *file)
{
	size_t n = strlen(file);

	if (n > 3 && strcmp(file + n - 3, ".db") == 0)
		return strndup(file, n - 3);
	return strdup(file);
}

static void
read_route(const char *cf_path, struct route *rt, strbuf *rep, strbuf *warn)
{
	struct sendmail_cf cf;
	struct cf_smarthost sh;
	const struct cf_kv *j;
	const struct cf_map *am;
	strbuf err;
	char *text;
	size_t len;
	int port, rc;

	memset(rt, 0, sizeof(*rt));
	if (read_file(cf_path, &text, &len) < 0) {
		sb_printf(warn, "%s: cannot read (%s): the route sendmail "
		    "takes is not checked (relaymilter -n --cf FILE)\n",
		    cf_path, strerror(errno));
		return;
	}
	sb_init(&err);
	memset(&cf, 0, sizeof(cf));
	memset(&sh, 0, sizeof(sh));
	if (cf_parse(text, &cf, &err) < 0) {
		sb_printf(warn, "%s: %s\n", cf_path, err.s);
		goto out;
	}
	rt->have_cf = true;
	rt->queuereturn = cf_queuereturn(&cf, &rt->queuereturn_line);
	if ((j = cf_macro(&cf, "j")) != NULL && j->value[0] != '\0' &&
	    j->value[0] != '$')
		rt->jdomain = strdup(j->value);
	if ((am = cf_map(&cf, "authinfo")) != NULL && am->file != NULL) {
		rt->authinfo_map = map_text_path(am->file);
		rt->authinfo_line = am->line;
	}
	rc = cf_smarthost(&cf, &sh);
	if (rc == 0) {
		strbuf r;

		sb_init(&r);
		sb_printf(&r, sh.bracketed ? "[%s]" : "%s", sh.host);
		rt->relay = sb_steal(&r);
		rt->mailer = strdup(sh.mailer ? sh.mailer : "relay");
		rt->smarthost = true;
		{
			const struct cf_mailer *m = cf_mailer(&cf,
			    rt->mailer ? rt->mailer : "relay");
			const char *r = m ? cf_mailer_field(m, 'r') : NULL;
			unsigned long ul;

			if (m != NULL)
				rt->mailer_line = m->line;
			if (r != NULL && parse_uint(r, 100000, &ul) == 0)
				rt->maxrcpt = (long)ul;
		}
		port = sh.port;
		sb_printf(rep, "  route     %s line %u: smarthost %s (DS%s%s), "
		    "mailer %s", cf_path, sh.line, rt->relay, sh.raw[0] ?
		    " " : "", sh.raw, rt->mailer);
		if (port > 0)
			sb_printf(rep, ", port %d", port);
		else
			sb_puts(rep, ", port unknown (no TCP A= in the "
			    "mailer)");
		sb_putc(rep, '\n');
	} else if (rc == 1) {
		rt->mailer = strdup("esmtp");
		sb_printf(rep, "  route     %s: no smarthost (DS is empty): "
		    "relayed mail goes to each recipient's MX (mailer "
		    "esmtp)\n", cf_path);
	}
out:
	cf_smarthost_free(&sh);
	cf_free(&cf);
	sb_free(&err);
	free(text);
}

/* authinfo: the key sendmail looks up and whether it is our file. */
static void
say_authinfo(const struct rm_snapshot *s, const struct route *rt,
    strbuf *rep, strbuf *warn)
{
	const struct rm_config *cfg = s->cfg;
	const struct authinfo_entry *e;
	char *key;

	if (cfg->relay_account != NULL && *cfg->relay_account != '\0') {
		sb_printf(rep, "  account   RelayAccount %s (authinfo not "
		    "consulted)\n", cfg->relay_account);
		return;
	}
	if (rt->have_cf && rt->authinfo_map != NULL) {
		if (cfg->authinfo_file[0] == '\0')
			sb_printf(warn, "AuthInfoFile is not set: sendmail "
			    "reads the relay account from %s (sendmail.cf "
			    "line %u, FEATURE(authinfo)); set \"AuthInfoFile "
			    "%s\" (the text file makemap reads) or "
			    "RelayAccount\n", rt->authinfo_map,
			    rt->authinfo_line, rt->authinfo_map);
		else if (strcmp(cfg->authinfo_file, rt->authinfo_map) != 0)
			sb_printf(warn, "%s: AuthInfoFile %s is not the file "
			    "sendmail reads (%s, sendmail.cf line %u): set "
			    "\"AuthInfoFile %s\"\n", cfg->path,
			    cfg->authinfo_file, rt->authinfo_map,
			    rt->authinfo_line, rt->authinfo_map);
	} else if (rt->have_cf && cfg->authinfo_file[0] != '\0') {
		sb_printf(warn, "sendmail.cf has no FEATURE(authinfo) map: "
		    "sendmail does not read %s (it logs in with the access "
		    "map's AuthInfo: entries or DefaultAuthInfo, if any)\n",
		    cfg->authinfo_file);
	}
	if (s->authinfo == NULL)
		return;
	if (rt->relay == NULL) {
		e = authinfo_lookup(s->authinfo, NULL);
		if (e != NULL)
			sb_printf(rep, "  authinfo  %s line %u: the default "
			    "AuthInfo: entry (I:%s) for every destination\n",
			    s->authinfo->path, e->line, e->authid);
		return;
	}
	key = authinfo_server_key(rt->relay);
	e = authinfo_lookup(s->authinfo, rt->relay);
	if (e == NULL)
		sb_printf(rep, "  authinfo  sendmail looks up AuthInfo:%s, then "
		    "AuthInfo:<its address>, then AuthInfo:; %s has none of "
		    "them\n", key ? key : "?", s->authinfo->path);
	else
		sb_printf(rep, "  authinfo  sendmail looks up AuthInfo:%s: %s "
		    "line %u (%s, I:%s)\n", key ? key : "?",
		    s->authinfo->path, e->line, e->host[0] ? "its own entry" :
		    "the default AuthInfo: entry", e->authid);
	free(key);
}

/* The relay budget: what counts where, and what sendmail.cf does to it. */
static void
say_budget(const struct rm_snapshot *s, const struct route *rt, strbuf *rep,
    strbuf *warn)
{
	static const char *const over[] = {
		"held in sendmail's queue until there is room (relaymilter -R, "
		"relaymilter-release.timer, lets it go: enable the timer)",
		"refused with 451: a client that does not retry loses it",
		"sent anyway, tagged budget=over: the relay may refuse it",
		"sent anyway: the relay may refuse it"
	};
	const struct relay_limit *rl;
	char *acct;
	strbuf t, d;
	size_t i;
	bool daily = false;
	long per;

	if (s->nlimits == 0)
		return;
	acct = rt->relay ? policy_auth_account(s, rt->relay) : NULL;
	for (i = 0; i < s->nlimits; i++) {
		rl = &s->limits[i];
		sb_init(&t);
		relaylimit_text(rl, &t);
		sb_printf(rep, "  budget    RelayLimit %s", t.s);
		if (rt->relay != NULL && !relaylimit_applies(rl, rt->relay))
			sb_printf(rep, ": not for %s", rt->relay);
		else if (rl->scope == RL_ACCOUNT && acct != NULL)
			sb_printf(rep, ": counted under account:%s", acct);
		else if (rl->scope == RL_ACCOUNT)
			sb_puts(rep, ": no authinfo account for the relay, "
			    "counted per relay");
		sb_putc(rep, '\n');
		sb_free(&t);
		if (rl->max[RLW_MSGS_DAY] || rl->max[RLW_RCPTS_DAY])
			daily = true;
		per = rl->max[RLW_RCPTS_MSG] ? (long)rl->max[RLW_RCPTS_MSG] : 0;
		if (rt->have_cf && per > 0 && (rt->relay == NULL ||
		    relaylimit_applies(rl, rt->relay))) {
			long r = rt->maxrcpt ? rt->maxrcpt : SENDMAIL_MAX_RCPT;

			if (r > per)
				sb_printf(warn, "sendmail.cf line %u: mailer %s "
				    "sends up to %ld recipients per envelope "
				    "(r=%s), the relay takes %ld (RelayLimit "
				    "rcpts/msg): define(`SMTP_MAILER_MAXRCPTS', "
				    "`%ld') in sendmail.mc\n", rt->mailer_line,
				    rt->mailer ? rt->mailer : "relay", r,
				    rt->maxrcpt ? "" : "100, its default", per,
				    per);
			else if (rt->maxrcpt > 0 && rt->maxrcpt < per)
				sb_printf(warn, "sendmail.cf line %u: mailer %s "
				    "sends at most %ld recipients per envelope "
				    "(r=): set rcpts/msg=%ld in RelayLimit, or "
				    "relaymilter counts fewer envelopes than the "
				    "relay sees\n", rt->mailer_line,
				    rt->mailer ? rt->mailer : "relay",
				    rt->maxrcpt, rt->maxrcpt);
		}
	}
	free(acct);
	sb_printf(rep, "  budget    over it, mail is %s\n",
	    over[s->cfg->over_limit_action & 3]);
	if (rt->have_cf && daily && s->cfg->over_limit_action == OVER_HOLD &&
	    rt->queuereturn < 2 * 86400) {
		sb_init(&d);
		budgetd_duration(&d, rt->queuereturn);
		sb_printf(warn, "Timeout.queuereturn is %s", d.s);
		if (rt->queuereturn_line)
			sb_printf(warn, " (sendmail.cf line %u)",
			    rt->queuereturn_line);
		sb_puts(warn, ": mail held for a 24-hour window may wait longer "
		    "than a day, and sendmail returns mail queued longer than "
		    "that when a delivery attempt fails: keep it at its "
		    "default, define(`confTO_QUEUERETURN', `5d')\n");
		sb_free(&d);
	}
}

/* The last line: what relayed mail from a trusted client leaves as. */
/*
 * RelayDKIM: what DNS can show (a key for the selector is published) and
 * what it cannot (that the provider signs with it: a setting there). The
 * "from" entry names no domain without a message (-T --from does).
 * acct_dom: the domain "account" stands for, or NULL.
 */
static void
say_dkim(const struct rm_snapshot *s, const struct relay_profile *rp,
    const char *acct_dom, strbuf *rep, strbuf *warn)
{
	const struct dkim_entry *e;
	const char *dom, *sel, *who;
	struct dkim_keyq k;
	struct spfc *sc = NULL;
	uint64_t deadline;
	strbuf err;
	size_t i;

	if (s->ndkim == 0)
		return;
	if (rp == NULL || s->profile != NULL)
		rp = s->profile;
	who = rp != NULL && rp->model != RPM_PASSTHROUGH ? rp->label :
	    "your DKIM signer";
	sb_init(&err);
	deadline = mono_ms() + (uint64_t)s->cfg->dns_timeout * 1000;
	for (i = 0; i < s->ndkim; i++) {
		e = &s->dkim[i];
		if (e->kind == DKIM_FROM) {
			sb_printf(rep, "  dkim      RelayDKIM from: the key of "
			    "each From: domain is looked up per message "
			    "(relaymilter -T --from ADDR shows it)\n");
			continue;
		}
		dom = e->kind == DKIM_EXPLICIT ? e->domain : acct_dom;
		sel = e->selector ? e->selector :
		    rp != NULL ? rp->dkim_selector : NULL;
		if (dom == NULL) {
			sb_printf(rep, "  dkim      RelayDKIM account: no "
			    "account domain to look a key up for\n");
			continue;
		}
		if (sel == NULL) {
			sb_printf(warn, "%s: RelayDKIM %s: no selector, and "
			    "the relay profile has no default one: write "
			    "RelayDKIM %s:SELECTOR (the selector of the "
			    "signer's key)\n", s->cfg->path, dom, dom);
			continue;
		}
		if (sc == NULL && (sc = predict_checker_new(s->cfg,
		    &err)) == NULL)
			break;	/* the caller reports the checker's error */
		memset(&k, 0, sizeof(k));
		if (dmarcdns_dkim_key(sc, sel, dom, deadline, &k) < 0) {
			sb_printf(warn, "%s: RelayDKIM %s: cannot look up "
			    "%s._domainkey.%s: out of memory\n",
			    s->cfg->path, dom, sel, dom);
		} else if (k.status == DKIMK_OK) {
			sb_printf(rep, "  dkim      %s._domainkey.%s: a key is "
			    "published; DNS cannot show that %s signs with "
			    "it (a setting there, not in DNS)\n",
			    sel, dom, who);
		} else if (k.status == DKIMK_TEMPERROR) {
			sb_printf(warn, "%s: RelayDKIM %s: %s._domainkey.%s "
			    "could not be looked up (%s): the key is not "
			    "checked\n", s->cfg->path, dom, sel, dom,
			    k.why ? k.why : "DNS error");
		} else {
			sb_printf(warn, "%s: RelayDKIM %s: %s at "
			    "%s._domainkey.%s (%s): recipients fail the "
			    "signature, so DMARC cannot pass by DKIM; publish "
			    "the public key %s signs with, or correct the "
			    "selector (RelayDKIM %s:SELECTOR)\n", s->cfg->path,
			    dom, k.status == DKIMK_MISSING ? "no key" :
			    k.status == DKIMK_REVOKED ? "a revoked key" :
			    "no usable key", sel, dom,
			    dmarcdns_key_status_name(k.status), who, dom);
		}
		dmarcdns_keyq_clear(&k);
	}
	spfc_free(sc);
	sb_free(&err);
}

static void
say_outcome(const struct rm_snapshot *s, const struct route *rt,
    strbuf *rep, strbuf *warn)
{
	struct msg_facts f;
	struct rcpt_info r;
	struct decision d;
	const struct relay_profile *rp;
	const char *via = rt->relay ? rt->relay : "each recipient's MX";
	const char *acct;
	char host[256];
	strbuf sender, err;

	if (rt->jdomain != NULL)
		snprintf(host, sizeof(host), "%s", rt->jdomain);
	else if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	sb_init(&sender);
	sb_init(&err);
	sb_printf(&sender, "<www-data@%s>", host);
	memset(&r, 0, sizeof(r));
	r.addr = "<someone@example.com>";
	r.mailer = rt->mailer ? rt->mailer : s->cfg->relay_mailers.n ?
	    s->cfg->relay_mailers.v[0] : "relay";
	r.host = rt->relay;
	memset(&f, 0, sizeof(f));
	f.sender = sender.s;
	f.jdomain = host;
	f.rcpts = &r;
	f.nrcpts = 1;
	if (policy_decide(s, &f, &d, &err) < 0) {
		sb_printf(rep, "relayed mail: no decision (%s)\n", err.s);
		goto out;
	}
	rp = relay_profile_for(rt->relay);
	if (d.action == DECIDE_REWRITE) {
		sb_printf(rep, "relayed mail from a trusted client will leave "
		    "as <%s> via %s", d.final, via);
		if (d.account_src != NULL &&
		    strstr(d.account_src, "qualified") != NULL)
			sb_printf(rep, " (%s)", d.account_src);
		sb_putc(rep, '\n');
	} else if (d.reason != NULL && strcmp(d.reason, "not-relayed") == 0) {
		sb_printf(rep, "relayed mail will NOT be rewritten: sendmail "
		    "relays with mailer %s, which is not in RelayMailers; add "
		    "it (\"RelayMailers relay esmtp smtp smtp8 dsmtp %s\")\n",
		    r.mailer, r.mailer);
	} else if (d.reason != NULL && strcmp(d.reason, "no-account") == 0) {
		sb_printf(rep, "relayed mail via %s will NOT be rewritten (it "
		    "leaves with its own sender): no account; ", via);
		if (rp != NULL && strcmp(rp->id, "workspace-relay") == 0)
			sb_printf(rep, "%s\n", rp->sender_fix);
		else
			sb_printf(rep, "set RelayAccount, or AuthInfoFile "
			    "with an entry sendmail uses for %s\n", via);
	} else if (d.reason != NULL &&
	    strcmp(d.reason, "account-not-address") == 0) {
		sb_printf(rep, "relayed mail via %s will NOT be rewritten: the "
		    "authinfo account \"%s\" is no address; %s\n", via,
		    d.account ? d.account : "", rp != NULL ? rp->sender_fix :
		    "give the account as an address (I:user@domain) or set "
		    "RelayAccount");
	} else {
		sb_printf(rep, "relayed mail via %s: %s (reason %s)\n", via,
		    decision_action_name(d.action), d.reason ? d.reason : "-");
	}
	acct = d.account != NULL ? strrchr(d.account, '@') : NULL;
	say_dkim(s, rp, acct != NULL ? acct + 1 : rp != NULL ?
	    rp->account_domain : NULL, rep, warn);
	decision_free(&d);
out:
	sb_free(&sender);
	sb_free(&err);
}

int
checkmode_run(const char *config_path, const char *socket_override,
    const char *cf_path)
{
	struct snapshot_opts opt = { true, socket_override };
	struct rm_config *cfg;
	struct rm_snapshot *s;
	struct spfc *sc;
	struct route rt;
	strbuf err, warn, errs, rep;
	const char *path;
	struct stat st;
	char *dir, *slash;
	int rc = 1;

	sb_init(&err);
	sb_init(&warn);
	sb_init(&errs);
	sb_init(&rep);
	memset(&rt, 0, sizeof(rt));
	if (config_load(config_path, &cfg, &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out0;
	}
	check_access(cfg, config_path, &rep, &errs);
	config_free(cfg);
	if (snapshot_load(config_path, &opt, &s, &err, &warn) < 0) {
		print_lines(stderr, "relaymilter: ", &warn);
		print_lines(stderr, "relaymilter: ", &errs);
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out0;
	}
	if ((sc = predict_checker_new(s->cfg, &err)) == NULL) {
		sb_printf(&errs, "%s\n", err.s);
	} else {
		spfc_free(sc);
	}
	path = daemon_socket_path(s->cfg->socket);
	if (path != NULL && (dir = strdup(path)) != NULL) {
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
				sb_printf(&warn, "%s: Socket: directory %s "
				    "does not exist (systemd creates it with "
				    "RuntimeDirectory=)\n", s->cfg->path, dir);
		}
		free(dir);
	}
	read_route(cf_path, &rt, &rep, &warn);
	say_authinfo(s, &rt, &rep, &warn);
	say_budget(s, &rt, &rep, &warn);
	say_outcome(s, &rt, &rep, &warn);
	print_lines(stderr, "relaymilter: ", &warn);
	if (errs.len > 0) {
		print_lines(stderr, "relaymilter: ", &errs);
		fprintf(stderr, "relaymilter: %s: the daemon would not start "
		    "with this configuration\n", config_path);
	} else {
		printf("relaymilter: %s: configuration OK\n", config_path);
		fputs(rep.s, stdout);
		rc = 0;
	}
	snapshot_unref(s);
out0:
	route_free(&rt);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&errs);
	sb_free(&rep);
	return rc;
}
