/*
 * test_cfmc.c - unit tests of what relaymilter-doctor config learns from
 *	sendmail.mc and m4: the .mc parser's lines, unclosed calls and
 *	section markers, m4's messages, the lines after MAILER() and their
 *	move, the comparison of two sendmail.cf texts, and the checks built
 *	on them (cfmc.c, and the smarthost's mailer, host list and port in
 *	cfrelay.c), on the traps of seeds 000, 002, 003 and 004
 *
 * CONTRACT
 *	Texts are those of the seeds (tests/seeds/, ../shared/seeds/) cut to
 *	what matters; the rendered .cf texts stand for m4's output (the
 *	suite tests/doctor runs the real m4). Each check test asserts the
 *	exact list of finding ids and the part of the fix that must apply to
 *	that set-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cfcheck.h"
#include "cfdiff.h"
#include "mcparse.h"
#include "sendmailcf.h"
#include "testutil.h"

/* ------------------------------------------------------------ parser */

/* seed 002 as printed: Debian's two-line confPRIVACY_FLAGS joined into one,
 * the dnl now inside the arguments */
static const char *MC_002 =
"divert(-1)dnl\n"
"divert(0)dnl\n"
"define(`_USE_ETC_MAIL_')dnl\n"
"include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
"OSTYPE(`debian')dnl\n"
"define(`confPRIVACY_FLAGS',dnl`needmailhelo,needexpnhelo,authwarnings')dnl\n"
"define(`confCONNECTION_RATE_THROTTLE', `15')dnl\n"
"define(`SMART_HOST', `smtp.gmail.com')dnl\n"
"MAILER_DEFINITIONS\n"
"MAILER(`local')dnl\n"
"MAILER(`smtp')dnl\n"
"include(`/etc/mail/m4/dialup.m4')dnl\n";

static void
test_mc_lines(void **state)
{
	struct sendmail_mc mc;
	const struct mc_call *c;
	const char *t =
	    "define(`confPRIVACY_FLAGS',dnl\n"
	    "`needmailhelo,noexpn')dnl\n"
	    "MAILER_DEFINITIONS\n"
	    "MAILER(`local')dnl\n"
	    "LOCAL_CONFIG\n"
	    "Kx hash /x\n";

	(void)state;
	assert_int_equal(mc_parse(t, "t.mc", NULL, NULL, &mc, NULL), 0);
	c = mc_find(&mc, "define", "confPRIVACY_FLAGS");
	assert_int_equal(c->line, 1);
	assert_int_equal(c->end_line, 2);
	assert_false(c->unclosed);
	/* the dnl at the end of line 1 is Debian's own: the call closes */
	assert_int_equal(c->dnl_line, 1);
	c = mc_first(&mc, "MAILER_DEFINITIONS");
	assert_non_null(c);
	assert_int_equal(c->line, 3);
	assert_int_equal(c->nargs, 0);
	assert_non_null(mc_first(&mc, "LOCAL_CONFIG"));
	assert_null(mc_unclosed(&mc));
	mc_free(&mc);

	assert_int_equal(mc_parse(MC_002, "s.mc", NULL, NULL, &mc, NULL), 0);
	c = mc_unclosed(&mc);
	assert_non_null(c);
	assert_string_equal(c->args[0], "confPRIVACY_FLAGS");
	assert_int_equal(c->line, 6);
	assert_int_equal(c->dnl_line, 6);
	assert_int_equal(c->end_line, 12);	/* the last line */
	/* m4 never reads the calls after it */
	assert_null(mc_find(&mc, "MAILER", NULL));
	mc_free(&mc);
}

static void
test_m4_msgs(void **state)
{
	struct m4_msgs m;

	(void)state;
	assert_int_equal(m4_msgs_parse(
	    "m4:/etc/mail/sendmail.mc:41: cannot open `/etc/mail/m4/dialup.m4':"
	    " No such file or directory\n"
	    "*** ERROR: FEATURE() should be before MAILER()\n"
	    "\n"
	    "m4:/usr/share/sendmail/cf/mailer/smtp.m4:123: ERROR: end of file "
	    "in argument list\n"
	    "WARNING: FEATURE(blacklist_recipients) is deprecated; use "
	    "FEATURE(blocklist_recipients.m4).\n"
	    "m4:a:b:7: odd file name\n"
	    "m4: no place\n"
	    "something else\n", &m), 0);
	assert_int_equal(m.n, 7);
	assert_int_equal(m.v[0].kind, M4_ERROR);
	assert_string_equal(m.v[0].file, "/etc/mail/sendmail.mc");
	assert_int_equal(m.v[0].line, 41);
	assert_string_equal(m.v[0].text, "cannot open `/etc/mail/m4/dialup.m4':"
	    " No such file or directory");
	assert_int_equal(m.v[1].kind, M4_ERROR);
	assert_null(m.v[1].file);
	assert_string_equal(m.v[1].text, "ERROR: FEATURE() should be before "
	    "MAILER()");
	assert_int_equal(m.v[2].line, 123);
	assert_int_equal(m.v[3].kind, M4_WARNING);
	assert_string_equal(m.v[4].file, "a:b");
	assert_int_equal(m.v[4].line, 7);
	assert_int_equal(m.v[5].kind, M4_ERROR);
	assert_null(m.v[5].file);
	assert_string_equal(m.v[5].text, "no place");
	assert_int_equal(m.v[6].kind, M4_OTHER);
	m4_msgs_free(&m);
	assert_int_equal(m4_msgs_parse("", &m), 0);
	assert_int_equal(m.n, 0);
	m4_msgs_free(&m);
}

/* seed 000's first try: the post's lines pasted after MAILER() */
static const char *MC_000 =
"include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
"OSTYPE(`debian')dnl\n"
"define(`confLOG_LEVEL', `9')dnl\n"
"include(`/etc/mail/m4/provider.m4')dnl\n"
"MAILER_DEFINITIONS\n"
"MAILER(`local')dnl\n"
"MAILER(`smtp')dnl\n"
"\n"
"define(`SMART_HOST',`smtp.gmail.com')dnl\n"
"define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
"FEATURE(`authinfo',`hash /etc/mail/auth/client-info')dnl\n"
"LOCAL_CONFIG\n"
"MAILER(`procmail')dnl\n";

static void
test_late_and_move(void **state)
{
	struct sendmail_mc mc;
	const struct mc_call *late[8];
	const char *what = NULL;
	unsigned lines[] = { 9, 10, 11 };
	char *moved, *l;

	(void)state;
	assert_int_equal(mc_parse(MC_000, "/etc/mail/sendmail.mc", NULL, NULL,
	    &mc, NULL), 0);
	assert_int_equal(mcedit_late_calls(&mc, late, 8), 3);
	assert_int_equal(late[0]->line, 9);
	assert_string_equal(late[2]->name, "FEATURE");
	assert_int_equal(mcedit_mailer_anchor(&mc, &what), 5);
	assert_string_equal(what, "MAILER_DEFINITIONS");
	moved = mcedit_move_lines(MC_000, lines, 3, 5);
	assert_non_null(moved);
	assert_non_null(strstr(moved, "provider.m4')dnl\n"
	    "define(`SMART_HOST',`smtp.gmail.com')dnl\n"
	    "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
	    "FEATURE(`authinfo',`hash /etc/mail/auth/client-info')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n\n"
	    "LOCAL_CONFIG\n"));
	free(moved);
	l = mcedit_line(MC_000, 10);
	assert_string_equal(l, "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl");
	free(l);
	assert_null(mcedit_line(MC_000, 99));
	assert_null(mcedit_line(MC_000, 0));
	mc_free(&mc);
}

static void
test_cf_diff(void **state)
{
	struct cfd d;
	const char *a =
	    "# built by someone\n"
	    "DSesmtp:localhost\n"
	    "DResmtp:localhost\n"
	    "O AuthMechanisms=LOGIN PLAIN\n"
	    "O LogLevel=9\n"
	    "O LogLevel=10\n"
	    "Mesmtp,\t\tP=[IPC], F=kmDFMuXa, S=EnvFromSMTP/HdrFromSMTP,\n"
	    "\t\tA=TCP $h\n"
	    "Srelay\n"
	    "R$*\t$#relay\n";
	const char *b =
	    "# built by someone else\n"
	    "DS\n"
	    "#O AuthMechanisms=EXTERNAL GSSAPI\n"
	    "O LogLevel=10\n"
	    "Mesmtp,\t\tP=[IPC], F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP,\n"
	    "\t\tA=TCP $h 587\n"
	    "Sother\n"
	    "R$*\t$#relay\n";

	(void)state;
	assert_int_equal(cfd_diff(a, b, &d), 0);
	assert_int_equal(d.n, 9);
	assert_int_equal(d.v[0].kind, CFD_CHANGED);
	assert_int_equal(d.v[0].type, 'D');
	assert_string_equal(d.v[0].key, "S");
	assert_string_equal(d.v[0].a, "esmtp:localhost");
	assert_string_equal(d.v[0].b, "");
	assert_int_equal(d.v[0].a_line, 2);
	assert_int_equal(d.v[1].kind, CFD_ONLY_A);
	assert_string_equal(d.v[1].key, "R");
	assert_int_equal(d.v[2].kind, CFD_ONLY_A);
	assert_string_equal(d.v[2].key, "AuthMechanisms");
	/* LogLevel: the last definition is the same on both sides */
	assert_int_equal(d.v[3].type, 'M');
	assert_int_equal(d.v[3].field, 'F');
	assert_string_equal(d.v[3].a, "kmDFMuXa");
	assert_int_equal(d.v[4].field, 'A');
	assert_string_equal(d.v[4].a, "TCP $h");
	assert_string_equal(d.v[4].b, "TCP $h 587");
	assert_int_equal(d.v[4].a_line, 7);
	/* the rule is in another ruleset: gone on one side, added on the
	 * other; Srelay and Sother are lines of their own */
	assert_int_equal(d.v[5].kind, CFD_ONLY_A);
	assert_string_equal(d.v[5].a, "Srelay");
	assert_int_equal(d.v[6].kind, CFD_ONLY_A);
	assert_string_equal(d.v[6].a, "R$*\t$#relay");
	assert_int_equal(d.v[7].kind, CFD_ONLY_B);
	assert_string_equal(d.v[7].b, "Sother");
	assert_int_equal(d.v[8].kind, CFD_ONLY_B);
	assert_int_equal(d.v[8].b_line, 8);
	cfd_free(&d);
	assert_int_equal(cfd_diff(b, b, &d), 0);
	assert_int_equal(d.n, 0);
	cfd_free(&d);
	/* mailer flags are a set (MODIFY_MAILER_FLAGS appends) */
	assert_int_equal(cfd_diff("Mesmtp, P=[IPC], F=kmDFMuXa, A=TCP $h\n",
	    "Mesmtp, P=[IPC], F=mDFMuXak, A=TCP $h\n", &d), 0);
	assert_int_equal(d.n, 0);
	cfd_free(&d);
}

/* ------------------------------------------------------------ checks */

static struct cfcheck_env env;

#define MLOCAL "Mlocal,\t\tP=/usr/lib/sm.bin/mail.local, F=lsDFMAw5:/|@qPn9S, " \
	"A=mail.local -l\n"
#define MRELAY(args) "Mrelay,\t\tP=[IPC], F=mDFMuXa8, S=EnvFromSMTP/HdrFromSMTP, " \
	"R=MasqSMTP, E=\\r\\n, L=2040,\n\t\tT=DNS/RFC822/SMTP,\n\t\tA=" args "\n"
#define MESMTP(flags, args) "Mesmtp,\t\tP=[IPC], F=" flags ", " \
	"S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\\r\\n, L=990,\n" \
	"\t\tT=DNS/RFC822/SMTP,\n\t\tA=" args "\n"
#define MSMTP(args) "Msmtp,\t\tP=[IPC], F=mDFMuX, S=EnvFromSMTP/HdrFromSMTP, " \
	"R=EnvToSMTP, E=\\r\\n, L=990,\n\t\tT=DNS/RFC822/SMTP,\n\t\tA=" args "\n"
#define CF_TAIL \
	"O AuthMechanisms=EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN\n" \
	"O InputMailFilters=relaymilter\n" \
	"O CACertPath=/etc/ssl/certs\n" \
	"O CACertFile=/etc/ssl/certs/ca-certificates.crt\n" \
	"O LogLevel=10\n" \
	"Xrelaymilter, S=local:/run/relaymilter/relaymilter.sock, F=T, " \
	"T=S:10s;R:20s;E:5m\n"

static void
env_setup(const char *cf, const char *mc, const char *rendered,
    const char *moved)
{
	struct cfc_auth_entry *e;

	cfcheck_env_init(&env);
	env.cf_path = strdup("/etc/mail/sendmail.cf");
	env.cf_text = strdup(cf);
	assert_int_equal(cf_parse(cf, &env.cf, NULL), 0);
	env.have_info = false;
	env.info_error = strdup("not run");
	env.sasl_modules = 1;
	env.cacert_file = 1;
	env.cacert_path = 1;
	env.auth.map_defined = true;
	env.auth.file_based = true;
	env.auth.source.path = strdup("/etc/mail/authinfo");
	env.auth.source.exists = 1;
	env.auth.source.mode = S_IFREG | 0640;
	env.auth.db.path = strdup("/etc/mail/authinfo.db");
	env.auth.db.exists = 1;
	env.auth.db.mtime = 10;
	env.auth.db.mode = S_IFREG | 0640;
	env.auth.read = true;
	env.auth.entries = calloc(1, sizeof(*env.auth.entries));
	env.auth.nentries = 1;
	e = &env.auth.entries[0];
	e->host = strdup("smtp.example.com");
	e->user = strdup("root");
	e->authid = strdup("relay@example.com");
	e->mechs = strdup("PLAIN LOGIN");
	e->line = 1;
	env.hostname = strdup("box.example.com");
	env.hosts_path = strdup("/etc/hosts");
	env.hosts_text = strdup("127.0.1.1 box.example.com box\n");
	env.smarthost_resolved = true;
	env.smarthost_addrs = calloc(1, sizeof(char *));
	env.smarthost_addrs[0] = strdup("192.0.2.25");
	env.nsmarthost_addrs = 1;
	env.have_rm = true;
	env.rm_path = strdup("/etc/relaymilter/relaymilter.conf");
	env.rm_socket = strdup("local:/run/relaymilter/relaymilter.sock");
	env.rm_dns_timeout = 2;
	env.have_mailq = true;
	env.now = 1795250000;
	env.cf_mtime = 100;
	if (mc != NULL) {
		env.mc_path = strdup("/etc/mail/sendmail.mc");
		env.mc_text = strdup(mc);
		env.mc_mtime = 50;
		assert_int_equal(mc_parse(mc, env.mc_path, NULL, NULL, &env.mc,
		    NULL), 0);
		env.have_mc = true;
		env.mc_includes_cf_m4 = true;
		env.mc_makefile = true;
		env.render.ran = true;
		env.render.cmd = strdup("m4 /etc/mail/sendmail.mc");
		env.render.text = rendered ? strdup(rendered) : NULL;
		env.render.moved_ran = moved != NULL;
		env.render.moved_text = moved ? strdup(moved) : NULL;
		env.optnames = calloc(2, sizeof(*env.optnames));
		env.optnames[0].option = strdup("AuthMechanisms");
		env.optnames[0].m4 = strdup("confAUTH_MECHANISMS");
		env.optnames[1].option = strdup("DefaultAuthInfo");
		env.optnames[1].m4 = strdup("confDEF_AUTH_INFO");
		env.noptnames = 2;
	}
}

static void
set_m4_stderr(const char *text, int status)
{
	env.render.status = status;
	assert_int_equal(m4_msgs_parse(text, &env.render.msgs), 0);
}

static struct cfc_report rep;

static const char *
run_ids(void)
{
	static char buf[1024];
	size_t i;

	memset(&rep, 0, sizeof(rep));
	buf[0] = '\0';
	assert_int_equal(cfcheck_run(&env, &rep), 0);
	for (i = 0; i < rep.n; i++) {
		assert_true(strlen(rep.v[i].fix) > 0);
		assert_false(has_control_chars(rep.v[i].what));
		if (strcmp(rep.v[i].id, "sendmail-info-unavailable") == 0)
			continue;
		strcat(buf, buf[0] ? " " : "");
		strcat(buf, rep.v[i].id);
	}
	return buf;
}

static const char *
fix_of(const char *id)
{
	const struct cfc_finding *f = cfc_report_find(&rep, id);

	assert_non_null(f);
	return f->fix;
}

static int
teardown(void **state)
{
	(void)state;
	cfc_report_free(&rep);
	cfcheck_env_free(&env);
	return 0;
}

/* Seed 000's first try: the port lines are after MAILER(): the fix moves
 * them; it never repeats "define(`RELAY_MAILER_ARGS', `TCP $h 587')",
 * which is in the .mc already. */
static void
test_seed000_after_mailer(void **state)
{
	const char *cf = "DSsmtp.gmail.com\n" MLOCAL MRELAY("TCP $h")
	    MESMTP("mDFMuXa", "TCP $h") CF_TAIL;
	const char *moved = "DSsmtp.gmail.com\n" MLOCAL MRELAY("TCP $h 587")
	    MESMTP("mDFMuXa", "TCP $h") CF_TAIL;
	const char *f;

	(void)state;
	env_setup(cf, MC_000, cf, moved);
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("142.250.102.108");
	free(env.auth.entries[0].host);
	env.auth.entries[0].host = strdup("smtp.gmail.com");
	set_m4_stderr("*** ERROR: FEATURE() should be before MAILER()\n", 0);
	assert_string_equal(run_ids(), "mc-after-mailer smarthost-mx-lookup "
	    "relay-port-25");
	f = fix_of("relay-port-25");
	assert_non_null(strstr(f, "move these lines of /etc/mail/sendmail.mc "
	    "above its line 5 (MAILER_DEFINITIONS):\n"
	    "  9: define(`SMART_HOST',`smtp.gmail.com')dnl\n"
	    "  10: define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
	    "  11: FEATURE(`authinfo',`hash /etc/mail/auth/client-info')dnl\n"
	    "then rebuild sendmail.cf and restart sendmail: make -C /etc/mail "
	    "&& systemctl restart sendmail"));
	assert_null(strstr(f, "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
	    "then"));
	assert_string_equal(f, fix_of("mc-after-mailer"));
	assert_non_null(strstr(cfc_report_find(&rep, "mc-after-mailer")->why,
	    "mailer relay A=TCP $h (it would be TCP $h 587)"));
	assert_non_null(strstr(cfc_report_find(&rep, "mc-after-mailer")->why,
	    "FEATURE() should be before MAILER()"));
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* the lines moved and rebuilt: nothing after MAILER(), port 587 */
	env_setup(moved, "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`SMART_HOST',`[smtp.gmail.com]')dnl\n"
	    "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`smtp')dnl\n", moved, NULL);
	free(env.auth.entries[0].host);
	env.auth.entries[0].host = strdup("smtp.gmail.com");
	assert_string_equal(run_ids(), "smarthost-mx-lookup");
}

/* Seed 002 as printed: m4 stops at the joined line, sendmail.cf has no
 * mailer. Said so, with the line repaired; not "SMART_HOST missing". */
static void
test_seed002_truncated(void **state)
{
	const char *cf = "#####  built by someone\n# comments only\n";
	const char *f;

	(void)state;
	env_setup(cf, MC_002, cf, NULL);
	set_m4_stderr("m4:/etc/mail/sendmail.mc:12: cannot open "
	    "`/etc/mail/m4/dialup.m4': No such file or directory\n"
	    "m4:/usr/share/sendmail/cf/mailer/smtp.m4:123: ERROR: end of file "
	    "in argument list\n", 1);
	assert_string_equal(run_ids(), "cf-incomplete mc-include-missing");
	assert_non_null(strstr(fix_of("mc-include-missing"), "mkdir -p "
	    "/etc/mail/m4 && touch /etc/mail/m4/dialup.m4 && true"));
	f = fix_of("cf-incomplete");
	assert_non_null(strstr(f, "replace line 6 of /etc/mail/sendmail.mc "
	    "by:\n  define(`confPRIVACY_FLAGS',`needmailhelo,needexpnhelo,"
	    "authwarnings')dnl\nthen rebuild sendmail.cf"));
	assert_non_null(strstr(cfc_report_find(&rep, "cf-incomplete")->why,
	    "end of file in argument list"));
	assert_null(cfc_report_find(&rep, "smarthost-missing"));
	assert_null(cfc_report_find(&rep, "milter-missing"));
}

/* Seed 003: SMART_HOST smtp:[smtp.example.com]:587 with the post's
 * RELAY/ESMTP_MAILER_ARGS "TCP $h $p ...". */
static void
test_seed003_mailer_and_hosts(void **state)
{
	const char *mc = "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`SMART_HOST', `smtp:[smtp.example.com]:587')dnl\n"
	    "define(`RELAY_MAILER_ARGS', `TCP $h $p -oem -a')dnl\n"
	    "define(`ESMTP_MAILER_ARGS', `TCP $h $p -oem -a -A')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n";
	const char *cf = "DSsmtp:[smtp.example.com]:587\n" MLOCAL
	    MRELAY("TCP $h $p -oem -a") MESMTP("mDFMuXa", "TCP $h $p -oem -a -A")
	    MSMTP("TCP $h") CF_TAIL;
	const char *f;

	(void)state;
	env_setup(cf, mc, cf, NULL);
	assert_string_equal(run_ids(), "smarthost-port-ignored "
	    "smarthost-mailer-args mailer-port-pid mailer-port-pid "
	    "relay-port-25");
	f = fix_of("smarthost-port-ignored");
	assert_non_null(strstr(f, "define(`SMART_HOST', `[smtp.example.com]')"
	    "dnl\ndefine(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"));
	assert_string_equal(f, fix_of("smarthost-mailer-args"));
	assert_non_null(strstr(cfc_report_find(&rep, "smarthost-port-ignored")->
	    why, "to a host named \"587\""));
	assert_non_null(strstr(cfc_report_find(&rep, "smarthost-mailer-args")->
	    what, "RELAY_MAILER_ARGS (/etc/mail/sendmail.mc:3), "
	    "ESMTP_MAILER_ARGS (/etc/mail/sendmail.mc:4)"));
	assert_non_null(strstr(fix_of("relay-port-25"),
	    "define(`SMTP_MAILER_ARGS', `TCP $h 587')dnl"));
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* the relay mailer with $p: the smarthost's own port is the pid */
	cf = "DS[smtp.example.com]\n" MLOCAL MRELAY("TCP $h $p -oem -a")
	    MESMTP("mDFMuXa", "TCP $h 587") CF_TAIL;
	env_setup(cf, NULL, NULL, NULL);
	assert_string_equal(run_ids(), "relay-port-pid");
	assert_non_null(strstr(fix_of("relay-port-pid"),
	    "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl"));
}

/* Seed 004: DS/DR/DH and F=k edited into sendmail.cf, DefaultAuthInfo and
 * AuthMechanisms uncommented: named, carried into the .mc by the fix, and
 * every other fix that rebuilds says it erases them. */
static void
test_seed004_hand_edited(void **state)
{
	const char *mc = "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "OSTYPE(`debian')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n";
	const char *rendered = "DS\n" MLOCAL MRELAY("TCP $h")
	    MESMTP("mDFMuXa", "TCP $h")
	    "#O DefaultAuthInfo=/etc/mail/default-auth-info\n" CF_TAIL;
	const char *cf = "DSesmtp:localhost\nDResmtp:localhost\n" MLOCAL
	    MRELAY("TCP $h") MESMTP("kmDFMuXa", "TCP $h")
	    "O DefaultAuthInfo=/etc/mail/default-auth-info\n" CF_TAIL;
	const char *f;

	(void)state;
	env_setup(cf, mc, rendered, NULL);
	run_ids();
	assert_non_null(cfc_report_find(&rep, "cf-hand-edited"));
	f = fix_of("cf-hand-edited");
	assert_non_null(strstr(f, "carry the edits into /etc/mail/sendmail.mc "
	    "(above its line 3), so that a rebuild keeps them:\n"
	    "define(`SMART_HOST', `esmtp:localhost')dnl\n"
	    "define(`LOCAL_RELAY', `esmtp:localhost')dnl\n"
	    "MODIFY_MAILER_FLAGS(`ESMTP', `+k')dnl\n"
	    "define(`confDEF_AUTH_INFO', `/etc/mail/default-auth-info')dnl\n"
	    "then rebuild sendmail.cf"));
	assert_null(strstr(f, "erases"));
	assert_non_null(strstr(cfc_report_find(&rep, "cf-hand-edited")->what,
	    "line 1: DSesmtp:localhost (the .mc gives )"));
	/* another fix that rebuilds says what it costs */
	assert_non_null(strstr(fix_of("relay-port-25"), "the rebuild erases "
	    "the hand edits of /etc/mail/sendmail.cf"));
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* the .mc newer than the .cf: stale, not edited */
	env_setup(cf, mc, rendered, NULL);
	env.mc_mtime = 200;
	run_ids();
	assert_non_null(cfc_report_find(&rep, "cf-stale"));
	assert_null(cfc_report_find(&rep, "cf-hand-edited"));
	assert_null(strstr(fix_of("relay-port-25"), "erases"));
}

/* No Makefile beside the .mc: the rebuild is m4 as it runs for it. */
static void
test_rebuild_command(void **state)
{
	const char *cf = "DSsmtp.example.com\n" MLOCAL MRELAY("TCP $h 587")
	    MESMTP("mDFMuXa", "TCP $h 587") CF_TAIL;
	const char *mc = "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`SMART_HOST', `smtp.example.com')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`smtp')dnl\n";

	(void)state;
	env_setup(cf, mc, cf, NULL);
	env.mc_makefile = false;
	assert_string_equal(run_ids(), "smarthost-mx-lookup");
	assert_non_null(strstr(fix_of("smarthost-mx-lookup"), "then rebuild "
	    "sendmail.cf and restart sendmail: m4 /etc/mail/sendmail.mc > "
	    "/etc/mail/sendmail.cf && systemctl restart sendmail"));
}

/* Seed 002, the .mc repaired: the TLS lines name a missing ca.pem four
 * times and the CA bundle as CRL; genericstable without
 * masquerade_envelope rewrites headers only. */
static void
test_seed002_files_and_generics(void **state)
{
	const char *cf = "DS[smtp.example.com]\n" MLOCAL MRELAY("TCP $h 587")
	    MESMTP("mDFMuXa", "TCP $h 587") CF_TAIL
	    "O ServerCertFile=/etc/ssl/certs/ca.pem\n"
	    "O ServerKeyFile=/etc/ssl/certs/ca.pem\n"
	    "O CRLFile=/etc/ssl/certs/ca-certificates.crt\n"
	    "Kgenerics hash -o /etc/mail/genericstable\n";
	const char *mc = "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`SMART_HOST', `[smtp.example.com]')dnl\n"
	    "define(`CERT_DIR', `/etc/ssl/certs')dnl\n"
	    "define(`confCRL', `CERT_DIR/ca-certificates.crt')dnl\n"
	    "define(`confSERVER_CERT', `CERT_DIR/ca.pem')dnl\n"
	    "define(`confSERVER_KEY', `CERT_DIR/ca.pem')dnl\n"
	    "FEATURE(genericstable,DATABASE_MAP_TYPE` -o "
	    "'MAIL_SETTINGS_DIR`genericstable')\n"
	    "MAILER_DEFINITIONS\nMAILER(`smtp')dnl\n";
	const char *f;

	(void)state;
	env_setup(cf, mc, cf, NULL);
	env.tlsfiles[0] = (struct cfc_tlsfile){ "ServerCertFile",
	    strdup("/etc/ssl/certs/ca.pem"), 0, false, 0, 0, 0 };
	env.tlsfiles[1] = (struct cfc_tlsfile){ "ServerKeyFile",
	    strdup("/etc/ssl/certs/ca.pem"), 0, false, 0, 0, 0 };
	env.tlsfiles[2] = (struct cfc_tlsfile){ "CRLFile",
	    strdup("/etc/ssl/certs/ca-certificates.crt"), 1, true, 140, 0, 0 };
	env.ntlsfiles = 3;
	assert_string_equal(run_ids(), "tls-file-missing tls-file-wrong "
	    "genericstable-headers-only");
	f = fix_of("tls-file-missing");
	/* the last line first, so that each number holds */
	assert_non_null(strstr(f, "remove line 6 of /etc/mail/sendmail.mc: "
	    "define(`confSERVER_KEY', `CERT_DIR/ca.pem')dnl\n"
	    "remove line 5 of /etc/mail/sendmail.mc: "
	    "define(`confSERVER_CERT', `CERT_DIR/ca.pem')dnl\nthen rebuild"));
	assert_non_null(strstr(cfc_report_find(&rep, "tls-file-missing")->what,
	    "ServerCertFile, ServerKeyFile name it"));
	assert_non_null(strstr(cfc_report_find(&rep, "tls-file-wrong")->what,
	    "holds no CRL (-----BEGIN X509 CRL-----), but 140 certificates"));
	assert_non_null(strstr(fix_of("tls-file-wrong"), "remove line 4 of "
	    "/etc/mail/sendmail.mc: define(`confCRL', "));
	assert_non_null(strstr(fix_of("genericstable-headers-only"),
	    "SenderMap /etc/mail/genericstable   (in "
	    "/etc/relaymilter/relaymilter.conf)"));
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* relaymilter reads the table: nothing to say */
	env_setup(cf, mc, cf, NULL);
	env.rm_sender_map = strdup("/etc/mail/genericstable");
	assert_string_equal(run_ids(), "");
}

/* Seed 004 as edited: DefaultAuthInfo, which sendmail never reads, and
 * James on 127.0.0.1:25 with sendmail's MTA stopped (the post's step 1):
 * local mail goes from the MSP to James, past relaymilter. With the MTA
 * running there it is a loop, F=k or not. */
static void
test_seed004_relay_on_own_address(void **state)
{
	const char *cf = "DSesmtp:localhost\nDResmtp:localhost\n" MLOCAL
	    MRELAY("TCP $h") MESMTP("kmDFMuXa", "TCP $h")
	    "O DaemonPortOptions=Family=inet,  Name=MTA-v4, Port=smtp, "
	    "Addr=127.0.0.1\n"
	    "O DefaultAuthInfo=/etc/mail/default-auth-info\n"
	    "Sauthinfo\nR$*\t\t$: <$(authinfo AuthInfo:$&{server_name} $: ? $)>\n"
	    CF_TAIL;
	const char *f;

	(void)state;
	env_setup(cf, NULL, NULL, NULL);
	env.auth.map_defined = false;
	env.auth.read = false;
	env.rm_relay_account = strdup("username@apache.example.com");
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("127.0.0.1");
	env.dai_exists = 1;
	env.dai_user = strdup("username");
	env.dai_authid = strdup("username");
	env.local_relay_addr = strdup("127.0.0.1");
	env.local_relay_port = 25;
	env.local_relay_state = 1;
	env.local_relay_greeting = strdup("220 apache.example.com ESMTP "
	    "Apache JAMES");
	env.have_msp = true;
	env.msp_host = strdup("127.0.0.1");
	env.msp_port = 25;
	assert_string_equal(run_ids(), "defaultauthinfo-ignored "
	    "milter-bypassed");
	f = fix_of("defaultauthinfo-ignored");
	assert_non_null(strstr(f, "FEATURE(`authinfo')dnl\n"
	    "AuthInfo:localhost \"U:username\" \"I:username\" "
	    "\"P:<password>\" \"M:LOGIN PLAIN\"   (a line in "
	    "/etc/mail/authinfo; <password>: line 3 of "
	    "/etc/mail/default-auth-info)\nthen: makemap hash "
	    "/etc/mail/authinfo < /etc/mail/authinfo"));
	assert_non_null(strstr(cfc_report_find(&rep, "milter-bypassed")->why,
	    "milters run only in sendmail's SMTP server"));
	f = fix_of("milter-bypassed");
	assert_non_null(strstr(f, "define(`SMART_HOST', "
	    "`relay:[127.0.0.5]')dnl\ndefine(`LOCAL_RELAY', "
	    "`relay:[127.0.0.5]')dnl\nMODIFY_MAILER_FLAGS(`RELAY', `+k')dnl"));
	assert_non_null(strstr(f, "systemctl start sendmail"));
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* the MTA runs there (it answers): a loop, although F=k */
	env_setup(cf, NULL, NULL, NULL);
	env.auth.map_defined = false;
	env.rm_relay_account = strdup("username@apache.example.com");
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("127.0.0.1");
	env.local_relay_addr = strdup("127.0.0.1");
	env.local_relay_state = 1;
	env.local_relay_greeting = strdup("220 apache.example.com ESMTP "
	    "Sendmail 8.17.1.9/8.17.1.9/Debian-2+deb12u2; Sun, 6 Dec 2026");
	assert_string_equal(run_ids(), "defaultauthinfo-ignored "
	    "smarthost-loops");
	assert_non_null(strstr(cfc_report_find(&rep, "smarthost-loops")->why,
	    "F=k on the esmtp mailer only turns off the check"));
}

/* A relay on another local address that greets with this host's name,
 * through SMART_HOST esmtp:[...]: the k flag goes on the esmtp mailer. */
static void
test_loop_flag_on_mailer_in_use(void **state)
{
	const char *cf = "DSesmtp:[127.0.0.5]\n" MLOCAL MRELAY("TCP $h")
	    MESMTP("mDFMuXa", "TCP $h")
	    "O DaemonPortOptions=Family=inet,  Name=MTA-v4, Port=smtp, "
	    "Addr=127.0.0.1\n" CF_TAIL;

	(void)state;
	env_setup(cf, NULL, NULL, NULL);
	env.rm_relay_account = strdup("username@box.example.com");
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("127.0.0.5");
	env.local_relay_addr = strdup("127.0.0.5");
	env.local_relay_state = 1;
	env.local_relay_greeting = strdup("220 box.example.com ESMTP James");
	free(env.auth.entries[0].host);
	env.auth.entries[0].host = strdup("127.0.0.5");
	assert_string_equal(run_ids(), "smarthost-loops");
	assert_non_null(strstr(fix_of("smarthost-loops"),
	    "MODIFY_MAILER_FLAGS(`ESMTP', `+k')dnl   (the esmtp mailer, which "
	    "SMART_HOST esmtp:[127.0.0.5] uses)"));
	assert_null(strstr(fix_of("smarthost-loops"), "RELAY_MAILER_FLAGS"));
}

/* Seed 001: CentOS's loopback line with the host's name first: $j is
 * localhost.localdomain, and smtp-relay refuses the bounces. */
static void
test_seed001_localhost_name(void **state)
{
	const char *cf = "DSsmtp-relay.gmail.com\n" MLOCAL MRELAY("TCP $h")
	    MESMTP("mDFMuXa", "TCP $h") CF_TAIL;
	const char *f;

	(void)state;
	env_setup(cf, NULL, NULL, NULL);
	env.auth.map_defined = false;
	env.auth.read = false;
	env.rm_relay_account = strdup("voicemail@ourtest.com");
	free(env.hostname);
	env.hostname = strdup("sipserver1");
	free(env.hosts_text);
	env.hosts_text = strdup(
	    "127.0.0.1   localhost localhost.localdomain localhost4 "
	    "localhost4.localdomain4 sipserver1\n"
	    "192.168.10.10 sipserver1.ourtest.com sipserver1\n"
	    "127.0.1.1   sipserver1\n");
	assert_string_equal(run_ids(), "smarthost-mx-lookup relay-port-25 "
	    "hostname-localhost");
	assert_non_null(strstr(cfc_report_find(&rep, "hostname-localhost")->what,
	    "($j) is localhost.localdomain: /etc/hosts:1 lists this host's "
	    "name sipserver1 on the loopback line"));
	assert_non_null(strstr(cfc_report_find(&rep, "hostname-localhost")->why,
	    "550 5.7.1 Invalid credentials for relay"));
	f = fix_of("hostname-localhost");
	assert_string_equal(f, "127.0.0.1 localhost localhost.localdomain "
	    "localhost4 localhost4.localdomain4   (in /etc/hosts, line 1: "
	    "without sipserver1)\nthen restart sendmail");
	cfc_report_free(&rep);
	cfcheck_env_free(&env);

	/* the post's own order: $j is sipserver1.ourtest.com, fine; a name
	 * outside the Workspace domain is not */
	env_setup(cf, NULL, NULL, NULL);
	env.auth.map_defined = false;
	env.rm_relay_account = strdup("voicemail@ourtest.com");
	free(env.hostname);
	env.hostname = strdup("sipserver1.example.lan");
	assert_string_equal(run_ids(), "smarthost-mx-lookup relay-port-25 "
	    "ehlo-outside-workspace");
	assert_non_null(strstr(fix_of("ehlo-outside-workspace"),
	    "define(`confDOMAIN_NAME', `sipserver1.ourtest.com')dnl"));
}

/* A DKIM signer before relaymilter in InputMailFilters (Debian's
 * /etc/mail/m4/opendkim.m4 included above relaymilter's line). */
static void
test_milter_order(void **state)
{
	const char *cf = "DS[smtp.example.com]\n" MLOCAL MRELAY("TCP $h 587")
	    MESMTP("mDFMuXa", "TCP $h 587")
	    "O AuthMechanisms=EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN\n"
	    "O InputMailFilters=opendkim,relaymilter\n"
	    "O CACertPath=/etc/ssl/certs\n"
	    "O CACertFile=/etc/ssl/certs/ca-certificates.crt\n"
	    "O LogLevel=10\n"
	    "Xopendkim, S=local:/run/opendkim/opendkim.sock, F=, T=S:4m;R:4m\n"
	    "Xrelaymilter, S=local:/run/relaymilter/relaymilter.sock, F=T, "
	    "T=S:10s;R:20s;E:5m\n";
	const char *mc = "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`SMART_HOST', `[smtp.example.com]')dnl\n"
	    "include(`/etc/mail/m4/opendkim.m4')dnl\n"
	    "INPUT_MAIL_FILTER(`relaymilter', `S=local:/run/relaymilter/"
	    "relaymilter.sock, F=T, T=S:10s;R:20s;E:5m')dnl\n"
	    "MAILER_DEFINITIONS\nMAILER(`smtp')dnl\n";
	struct mc_call *c;

	(void)state;
	env_setup(cf, mc, cf, NULL);
	/* what the include brings (the parser reads it through a callback) */
	mc_free(&env.mc);
	assert_int_equal(mc_parse(mc, env.mc_path, NULL, NULL, &env.mc, NULL),
	    0);
	c = realloc(env.mc.calls, (env.mc.ncalls + 1) * sizeof(*c));
	assert_non_null(c);
	env.mc.calls = c;
	memmove(&c[3], &c[2], (env.mc.ncalls - 2) * sizeof(*c));
	memset(&c[3], 0, sizeof(*c));
	c[3].name = strdup("INPUT_MAIL_FILTER");
	c[3].args = calloc(1, sizeof(char *));
	c[3].args[0] = strdup("opendkim");
	c[3].nargs = 1;
	c[3].file = strdup("/etc/mail/m4/opendkim.m4");
	c[3].line = c[3].end_line = 1;
	c[3].depth = 1;
	env.mc.ncalls++;
	env.rm_rewrite_from = 2;	/* unaligned */
	assert_string_equal(run_ids(), "milter-order");
	assert_non_null(strstr(fix_of("milter-order"), "move these lines of "
	    "/etc/mail/sendmail.mc above its line 3 (opendkim's filter):\n"
	    "  4: INPUT_MAIL_FILTER(`relaymilter', "));
	assert_int_equal(cfc_report_find(&rep, "milter-order")->severity,
	    CFS_WARN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mc_lines),
		cmocka_unit_test(test_m4_msgs),
		cmocka_unit_test(test_late_and_move),
		cmocka_unit_test(test_cf_diff),
		cmocka_unit_test_teardown(test_seed000_after_mailer, teardown),
		cmocka_unit_test_teardown(test_seed002_truncated, teardown),
		cmocka_unit_test_teardown(test_seed003_mailer_and_hosts,
		    teardown),
		cmocka_unit_test_teardown(test_seed004_hand_edited, teardown),
		cmocka_unit_test_teardown(test_rebuild_command, teardown),
		cmocka_unit_test_teardown(test_seed002_files_and_generics,
		    teardown),
		cmocka_unit_test_teardown(test_seed004_relay_on_own_address,
		    teardown),
		cmocka_unit_test_teardown(test_loop_flag_on_mailer_in_use,
		    teardown),
		cmocka_unit_test_teardown(test_seed001_localhost_name, teardown),
		cmocka_unit_test_teardown(test_milter_order, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
