/*
 * relaylimit.c - parse one RelayLimit line
 *
 * CONTRACT
 *	See include/relaylimit.h. Words are separated by white space;
 *	names (presets, per=, windows) are case-insensitive. A word given
 *	twice (two presets, per= twice, the same window twice) is an error,
 *	so that a line says one thing. The presets are here, beside the
 *	grammar, not in relayprof.c's provider table: the option parser
 *	checks a RelayLimit line when it reads it, and the sending limits
 *	are another fact than what a relay does to a message.
 *
 *	The presets: the providers' sending limits as published, read on
 *	2026-12-06 (Google's and Microsoft's pages, and copies of them
 *	where the page itself was not retrievable). PROVIDERS CHANGE THESE
 *	NUMBERS WITHOUT NOTICE ("Sending limits can change without
 *	notice", Google): check the page, and override a number in the
 *	configuration (RelayLimit gmail rcpts/24h=400).
 *	- gmail (a personal @gmail.com account via smtp.gmail.com): about
 *	  500 recipients in a rolling 24 hours and 100 recipients per message
 *	  over SMTP. Google's Gmail Help "Limits for sending & getting mail"
 *	  (support.google.com/mail/answer/22839) gives no exact current
 *	  number for personal accounts; 500 recipients a day is what its
 *	  earlier text said and what administrators report (domain-facts
 *	  §3.1, [obs]); over it: "550 5.4.5 Daily user sending limit
 *	  exceeded", the account blocked for up to 24 hours.
 *	- workspace (a Google Workspace user via smtp.gmail.com): Google
 *	  Workspace Admin Help "Gmail sending limits in Google Workspace"
 *	  (support.google.com/a/answer/166852): 2,000 messages a day (500 in
 *	  a trial account), 10,000 recipients in all, 3,000 unique
 *	  recipients (2,000 external; 500 in a trial), 100 recipients per
 *	  message sent via SMTP (smtp.gmail.com or smtp-relay.gmail.com);
 *	  "Limits per day are applied over a rolling 24-hour period". The
 *	  unique-recipient limits are not counted (that needs every address
 *	  of the day): a mailing to many different addresses wants
 *	  rcpts/24h=2000.
 *	- workspace-relay (smtp-relay.gmail.com): Google Workspace Admin
 *	  Help "SMTP relay service" (support.google.com/a/answer/2956491):
 *	  per registered user 10,000 messages and 10,000 unique recipients
 *	  in 24 hours ("550 5.4.5 Daily SMTP relay limit exceeded for
 *	  user"), counted by the envelope sender ("Addresses in the From:
 *	  and Reply-to: fields are ignored"), hence per=sender; 100
 *	  recipients per transaction (166852). A sender that is not a
 *	  registered user (an IP-registered relay, seed 001) falls under the
 *	  customer's limits instead, for which Google publishes no number
 *	  ("based on your organization's email sending practices"; "550
 *	  5.7.1 Daily SMTP relay limit exceeded for customer", "450 4.2.1
 *	  Peak SMTP relay limit exceeded for customer"): there, per=relay
 *	  with numbers of your own.
 *	- microsoft365 (smtp.office365.com): Microsoft Learn "Exchange
 *	  Online limits", Sending limits: 10,000 recipients a day (recipient
 *	  rate limit), 30 messages a minute (message rate limit, SMTP client
 *	  submission only), 500 recipients per message; over it "554 5.2.0
 *	  ... SubmissionQuotaExceededException".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relaylimit.h"
#include "util.h"

#define L(md, rd, mm, rm, rpm)	{ md, rd, mm, rm, rpm }
static const struct relay_limit_preset presets[] = {
	/*				 msgs/24h rcpts/24h msgs/min rcpts/min
	 *				 rcpts/msg */
	{ "gmail", "Gmail, a personal account (smtp.gmail.com)", RL_ACCOUNT,
	  L(0, 500, 0, 0, 100),
	  "Gmail Help 22839 and administrators' reports, read 2026-12-06" },
	{ "workspace", "Google Workspace user (smtp.gmail.com)", RL_ACCOUNT,
	  L(2000, 10000, 0, 0, 100),
	  "Google Workspace Admin Help 166852, read 2026-12-06" },
	{ "workspace-relay", "Google Workspace SMTP relay "
	  "(smtp-relay.gmail.com), per registered user", RL_SENDER,
	  L(10000, 10000, 0, 0, 100),
	  "Google Workspace Admin Help 2956491 and 166852, read 2026-12-06" },
	{ "microsoft365", "Microsoft 365 (smtp.office365.com)", RL_ACCOUNT,
	  L(0, 10000, 30, 0, 500),
	  "Microsoft Learn, Exchange Online limits, read 2026-12-06" },
};
#undef L

const struct relay_limit_preset *
relay_limit_preset(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcasecmp(presets[i].id, id) == 0)
			return &presets[i];
	return NULL;
}

const struct relay_limit_preset *
relay_limit_presets(size_t *n)
{
	*n = sizeof(presets) / sizeof(presets[0]);
	return presets;
}

static const char *const window_names[RLW_COUNT] = {
	"msgs/24h", "rcpts/24h", "msgs/min", "rcpts/min", "rcpts/msg"
};
static const unsigned window_secs[RLW_COUNT] = { 86400, 86400, 60, 60, 0 };
static const char *const scope_names[RL_SCOPE_COUNT] = {
	"account", "sender", "relay"
};

/* the largest number a window takes: beyond any provider's, and far
 * from overflowing the counters (32 bits a bucket) */
#define RL_MAX_N	1000000000UL

const char *
relaylimit_window_name(enum rl_window w)
{
	return (unsigned)w < RLW_COUNT ? window_names[w] : "?";
}

unsigned
relaylimit_window_secs(enum rl_window w)
{
	return (unsigned)w < RLW_COUNT ? window_secs[w] : 0;
}

const char *
relaylimit_scope_name(enum rl_scope s)
{
	return (unsigned)s < RL_SCOPE_COUNT ? scope_names[s] : "?";
}

char *
relaylimit_bare_host(const char *host)
{
	const char *p = host, *end;
	char *d;

	if (*p == '[') {
		p++;
		if ((end = strchr(p, ']')) == NULL)
			end = p + strlen(p);
	} else {
		end = p + strlen(p);
	}
	while (end > p && end[-1] == '.')
		end--;
	if ((d = strndup(p, (size_t)(end - p))) == NULL)
		return NULL;
	return str_lower_inplace(d);
}

static bool
host_ok(const char *h)
{
	const unsigned char *p;

	if (*h == '\0')
		return false;
	for (p = (const unsigned char *)h; *p; p++)
		if (!(ch_alpha(*p) || ch_digit(*p) || *p == '.' || *p == '-' ||
		    *p == '_' || *p == ':'))
			return false;
	return true;
}

void
relaylimit_free(struct relay_limit *rl)
{
	if (rl == NULL)
		return;
	free(rl->relay);
	memset(rl, 0, sizeof(*rl));
}

int
relaylimit_parse(const char *text, struct relay_limit *out, strbuf *err)
{
	struct relay_limit rl;
	const struct relay_limit_preset *pr;
	bool have_scope = false, set[RLW_COUNT] = { false };
	char *copy, *cur, *w, *eq;
	unsigned long n;
	size_t i;
	int k;

	memset(&rl, 0, sizeof(rl));
	if (has_control_chars(text)) {
		sb_puts(err, "control characters in RelayLimit");
		return -1;
	}
	if ((copy = strdup(text)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	cur = copy;
	while ((w = str_token(&cur)) != NULL) {
		if ((eq = strchr(w, '=')) == NULL) {
			if ((pr = relay_limit_preset(w)) == NULL) {
				size_t np;
				const struct relay_limit_preset *all =
				    relay_limit_presets(&np);

				sb_printf(err, "RelayLimit: '%s' is no preset "
				    "(", w);
				for (i = 0; i < np; i++)
					sb_printf(err, "%s%s", i ? ", " : "",
					    all[i].id);
				sb_puts(err, ") and no WINDOW=N");
				goto fail;
			}
			if (rl.preset != NULL) {
				sb_printf(err, "RelayLimit: two presets (%s "
				    "and %s): one line, one provider",
				    rl.preset, pr->id);
				goto fail;
			}
			rl.preset = pr->id;
			if (!have_scope)
				rl.scope = pr->scope;
			for (k = 0; k < RLW_COUNT; k++)
				if (!set[k])
					rl.max[k] = pr->max[k];
			continue;
		}
		*eq++ = '\0';
		if (strcasecmp(w, "per") == 0) {
			if (have_scope) {
				sb_puts(err, "RelayLimit: per= given twice");
				goto fail;
			}
			for (k = 0; k < RL_SCOPE_COUNT; k++)
				if (strcasecmp(eq, scope_names[k]) == 0)
					break;
			if (k == RL_SCOPE_COUNT) {
				sb_printf(err, "RelayLimit: per=%s: counted per "
				    "account, sender or relay", eq);
				goto fail;
			}
			rl.scope = (enum rl_scope)k;
			have_scope = true;
			continue;
		}
		if (strcasecmp(w, "relay") == 0) {
			if (rl.relay != NULL) {
				sb_puts(err, "RelayLimit: relay= given twice "
				    "(one RelayLimit line per relay)");
				goto fail;
			}
			if ((rl.relay = relaylimit_bare_host(eq)) == NULL) {
				sb_puts(err, "out of memory");
				goto fail;
			}
			if (!host_ok(rl.relay)) {
				sb_printf(err, "RelayLimit: relay=%s is not a "
				    "host name", eq);
				goto fail;
			}
			continue;
		}
		for (k = 0; k < RLW_COUNT; k++)
			if (strcasecmp(w, window_names[k]) == 0)
				break;
		if (k == RLW_COUNT) {
			sb_printf(err, "RelayLimit: '%s=' is not one of per=, "
			    "relay=, ", w);
			for (i = 0; i < RLW_COUNT; i++)
				sb_printf(err, "%s%s=", i ? ", " : "",
				    window_names[i]);
			goto fail;
		}
		if (set[k]) {
			sb_printf(err, "RelayLimit: %s given twice",
			    window_names[k]);
			goto fail;
		}
		if (parse_uint(eq, RL_MAX_N, &n) < 0) {
			sb_printf(err, "RelayLimit: %s=%s is not a number "
			    "(0 to %lu)", window_names[k], eq, RL_MAX_N);
			goto fail;
		}
		set[k] = true;
		rl.max[k] = n;
	}
	for (k = 0; k < RLW_COUNT; k++)
		if (rl.max[k] != 0)
			break;
	if (k == RLW_COUNT) {
		sb_puts(err, "RelayLimit: no limit (give a preset such as "
		    "gmail, or WINDOW=N such as msgs/24h=2000)");
		goto fail;
	}
	free(copy);
	*out = rl;
	return 0;
fail:
	free(copy);
	free(rl.relay);
	return -1;
}

bool
relaylimit_applies(const struct relay_limit *rl, const char *host)
{
	char *h;
	bool hit;

	if (rl->relay == NULL)
		return true;
	if (host == NULL || (h = relaylimit_bare_host(host)) == NULL)
		return false;
	hit = strcmp(h, rl->relay) == 0;
	free(h);
	return hit;
}

int
relaylimit_text(const struct relay_limit *rl, strbuf *out)
{
	int k;

	if (rl->preset != NULL)
		sb_printf(out, "%s ", rl->preset);
	sb_printf(out, "per=%s", scope_names[rl->scope]);
	if (rl->relay != NULL)
		sb_printf(out, " relay=%s", rl->relay);
	for (k = 0; k < RLW_COUNT; k++)
		if (rl->max[k] != 0)
			sb_printf(out, " %s=%lu", window_names[k], rl->max[k]);
	return out->err ? -1 : 0;
}
