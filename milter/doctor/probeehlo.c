/*
 * probeehlo.c - the EHLO exchange of the probe, before and after STARTTLS
 *
 * CONTRACT
 *	Part of the probe (probe.h, probe_int.h). pr_do_ehlo() sends EHLO
 *	with the probe's name, records the reply and its keywords in the
 *	step and in p->ehlo, and fails the step when the connection is lost
 *	or the server refuses EHLO. Used by probe.c's ehlo step (which also
 *	names a server calling itself by this host's name) and by probetls.c
 *	after STARTTLS: below both, it calls neither.
 */
#include <stdbool.h>
#include <string.h>

#include "causes.h"
#include "probe.h"
#include "probe_int.h"
#include "smtpconn.h"
#include "smtpreply.h"
#include "util.h"

/* EHLO and record the keywords; the step says what was found. */
bool
pr_do_ehlo(struct probe *p, struct probe_step *s, unsigned t0, bool after_tls)
{
	struct smtp_reply rep;
	const char *why = NULL;
	strbuf cmd, kw;
	enum smtpconn_rd rd;
	size_t i;

	if (p->have_ehlo)
		ehlo_info_free(&p->ehlo);
	p->have_ehlo = false;
	sb_init(&cmd);
	sb_printf(&cmd, "EHLO %s", p->r->helo);
	memset(&rep, 0, sizeof(rep));
	rd = cmd.err ? SMTPCONN_ERROR : smtpconn_cmd(&p->c, cmd.s, &rep, &why);
	sb_free(&cmd);
	if (rd != SMTPCONN_OK) {
		pr_step_end(s, t0, PV_FAIL, rd == SMTPCONN_TIMEOUT ? "connect-timeout" :
		    "connection-lost", "EHLO%s: %s", after_tls ?
		    " after STARTTLS" : "", why ? why : "error");
		return false;
	}
	pr_step_reply(s, &rep);
	if (smtpreply_ehlo(&rep, &p->ehlo) != 0) {
		pr_step_refused(p->o, s, t0, CAUSE_PHASE_CONNECT, NULL, "EHLO");
		smtpreply_free(&rep);
		return false;
	}
	smtpreply_free(&rep);
	p->have_ehlo = true;
	sb_init(&kw);
	for (i = 0; i < p->ehlo.nkeywords; i++)
		sb_printf(&kw, "%s%s", i ? " " : "", p->ehlo.keywords[i]);
	pr_step_fact(p->r, s, "name", p->ehlo.domain ? p->ehlo.domain : "");
	pr_step_fact(p->r, s, "keywords", kw.s);
	sb_free(&kw);
	return true;
}
