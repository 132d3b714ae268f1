/*
 * testmode.c - relaymilter -T: a dry run of the decision for one sender
 *
 * CONTRACT
 *	See include/testmode.h. Uses policy_decide() and the same checks as
 *	the milter, so what it prints is what the milter would do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "align.h"
#include "config.h"
#include "policy.h"
#include "snapshot.h"
#include "testmode.h"
#include "util.h"

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

int
testmode_run(const char *config_path, const char *sender, const char *from,
    const char *relay)
{
	struct snapshot_opts opt = { true, NULL };
	struct rm_snapshot *s;
	struct msg_facts f;
	struct rcpt_info r;
	struct decision d;
	strbuf err, warn, env, hdr;
	char host[256], *relay_host;
	int rc = 1;

	sb_init(&err);
	sb_init(&warn);
	sb_init(&env);
	sb_init(&hdr);
	if (snapshot_load(config_path, &opt, &s, &err, &warn) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out0;
	}
	relay_host = relay != NULL ? strdup(relay) : default_relay(s);
	if (relay_host == NULL)
		goto out1;
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	sb_printf(&env, sender[0] == '<' ? "%s" : "<%s>", sender);
	memset(&r, 0, sizeof(r));
	r.addr = "<someone@example.com>";
	r.mailer = s->cfg->relay_mailers.n > 0 ? s->cfg->relay_mailers.v[0] :
	    "relay";
	r.host = relay_host;
	memset(&f, 0, sizeof(f));
	f.sender = env.s;
	f.client_addr = NULL;
	f.jdomain = host;
	f.rcpts = &r;
	f.nrcpts = 1;
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
	rc = 0;
	decision_free(&d);
out2:
	free(relay_host);
out1:
	snapshot_unref(s);
out0:
	sb_free(&err);
	sb_free(&warn);
	sb_free(&env);
	sb_free(&hdr);
	return rc;
}
