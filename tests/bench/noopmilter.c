/*
 * noopmilter.c - the baseline of the benchmarks: a libmilter milter that
 * does nothing
 *
 * It registers the same callbacks and negotiates the same protocol steps as
 * relaymilter (connect, MAIL, RCPT, headers, end of message; no HELO, body,
 * DATA or EOH; no reply for connect/MAIL/RCPT/headers when offered) and
 * answers "continue" to everything, so the difference to relaymilter is
 * relaymilter's own work, not libmilter's.
 *
 * With -m it also does, per message, the protocol and log work relaymilter's
 * job cannot do without, with fixed values and no decision: insert a trace
 * header, change the envelope sender, and write one line to stderr (the
 * decision line relaymilter writes with Syslog no). The difference between
 * relaymilter and `noopmilter -m' is then relaymilter's own code alone.
 *
 * usage: noopmilter [-m] SOCKET
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#define NR	(SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR)

static int mods;	/* -m */

static sfsistat
noreply(SMFICTX *ctx)
{
	return (unsigned long)(size_t)smfi_getpriv(ctx) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static sfsistat
neg(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *p0, unsigned long *p1,
    unsigned long *p2, unsigned long *p3)
{
	(void)f2;
	(void)f3;
	*p0 = f0 & (SMFIF_CHGFROM | SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	*p1 = f1 & (SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_NOEOH | NR);
	*p2 = *p3 = 0;
	smfi_setpriv(ctx, (void *)(size_t)((*p1 & NR) == NR));
	return SMFIS_CONTINUE;
}

static sfsistat
conn(SMFICTX *ctx, char *h, _SOCK_ADDR *a)
{
	(void)h;
	(void)a;
	return noreply(ctx);
}

static sfsistat
envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return noreply(ctx);
}

static sfsistat
header(SMFICTX *ctx, char *n, char *v)
{
	(void)n;
	(void)v;
	return noreply(ctx);
}

static sfsistat
eom(SMFICTX *ctx)
{
	static char hdr[] = "id=nmaypplw6jy5u7khkqlq; qid=TESTQID1; spf=pass; "
	    "align=fail";
	static char from[] = "<alerts@gmail.com>";
	char *qid;

	if (!mods)
		return SMFIS_CONTINUE;
	if (smfi_insheader(ctx, 0, "X-Relay-Trace", hdr) != MI_SUCCESS ||
	    smfi_chgfrom(ctx, from, NULL) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	qid = smfi_getsymval(ctx, "i");
	fprintf(stderr, "noopmilter: %s: action=rewrite, to=%s, result=ok\n",
	    qid != NULL ? qid : "NOQUEUE", from);
	return SMFIS_CONTINUE;
}

static sfsistat
closecb(SMFICTX *ctx)
{
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc d = {
		.xxfi_name = "noopmilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_CHGFROM | SMFIF_ADDHDRS | SMFIF_CHGHDRS,
		.xxfi_connect = conn,
		.xxfi_envfrom = envfrom,
		.xxfi_envrcpt = envfrom,
		.xxfi_header = header,
		.xxfi_eom = eom,
		.xxfi_close = closecb,
		.xxfi_negotiate = neg,
	};

	if (argc == 3 && strcmp(argv[1], "-m") == 0) {
		mods = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: noopmilter [-m] SOCKET\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (smfi_register(d) != MI_SUCCESS || smfi_setconn(argv[1]) !=
	    MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
