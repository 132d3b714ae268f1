/*
 * test_cfcheck.c - unit tests of the sendmail.cf/.mc/mailq parsers and of
 *	relaymilter-doctor's pure configuration checks
 *
 * CONTRACT
 *	Parsers are fed text as sendmail and m4 write it (lines copied from
 *	files rendered by m4 from sendmail-cf 8.17.1.9 and from real mailq
 *	output). The checks run on an environment built in memory: a correct
 *	one yields no finding; each test breaks one thing and asserts the
 *	exact list of finding ids, so a check that fires too often fails as
 *	surely as one that never fires.
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
#include "mcparse.h"
#include "sendmailcf.h"
#include "smoutput.h"
#include "testutil.h"

/* ------------------------------------------------------------ sendmail.cf */

static const char *CF_BASE =
"#####  $Id: cfhead.m4,v 8.122 2013-11-22 20:51:13 ca Exp $  #####\n"
"#####  test  ##########  $Id: authinfo.m4,v 1.10 2013-11-22 ca Exp $  #####\n"
"Cwlocalhost\n"
"DS[smtp.gmail.com]\n"
"C{w}example.net\n"
"Kauthinfo hash -o /etc/mail/authinfo.db\n"
"Kresolve host -a<OKR> -T<TEMP>\n"
"Fw-o /etc/mail/local-host-names %[^#]\n"
"O LogLevel=10\n"
"O DaemonPortOptions=Family=inet, Name=MTA-v4, Port=smtp, Addr=127.0.0.1\n"
"O DaemonPortOptions=Port=587, Name=MSA, M=E\n"
"O AuthMechanisms=EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN\n"
"O InputMailFilters=relaymilter\n"
"O CACertPath=/etc/ssl/certs\n"
"O CACertFile=/etc/ssl/certs/ca-certificates.crt\n"
"Xrelaymilter, S=local:/run/relaymilter/relaymilter.sock, F=T, T=S:10s;R:20s;E:5m\n"
"SMasqEnv=94\n"
"R$* < @ *LOCAL* > $*\t$: $1 < @ $j . > $2\n"
"Mrelay,\t\tP=[IPC], F=mDFMuXa8, S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP, E=\\r\\n, L=2040,\n"
"\t\tT=DNS/RFC822/SMTP,\n"
"\t\tA=TCP $h 587\n"
"\n"
"Mesmtp,\t\tP=[IPC], F=mDFMuXa, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, E=\\r\\n, L=990,\n"
"\t\tT=DNS/RFC822/SMTP,\n"
"\t\tA=TCP $h\n";

static void
test_cf_parse(void **state)
{
	struct sendmail_cf cf;
	const struct cf_mailer *m;
	const struct cf_map *k;
	const struct cf_kv *d[4];

	assert_int_equal(cf_parse(CF_BASE, &cf, NULL), 0);
	assert_int_equal(cf.nskipped, 0);
	assert_string_equal(cf_macro(&cf, "S")->value, "[smtp.gmail.com]");
	assert_int_equal(cf_macro(&cf, "S")->line, 4);
	assert_string_equal(cf_option(&cf, "authmechanisms")->value,
	    "EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN");
	assert_int_equal(cf_options_all(&cf, "DaemonPortOptions", d, 4), 2);
	assert_string_equal(d[1]->value, "Port=587, Name=MSA, M=E");
	m = cf_mailer(&cf, "relay");
	assert_non_null(m);
	assert_int_equal(m->line, 19);
	assert_string_equal(cf_mailer_field(m, 'A'), "TCP $h 587");
	assert_string_equal(cf_mailer_field(m, 'F'), "mDFMuXa8");
	assert_string_equal(cf_mailer_field(m, 'E'), "\\r\\n");
	assert_null(cf_mailer_field(m, 'D'));
	assert_int_equal(cf.nmilters, 1);
	assert_string_equal(cf.milters[0].socket,
	    "local:/run/relaymilter/relaymilter.sock");
	assert_string_equal(cf.milters[0].flags, "T");
	assert_string_equal(cf.milters[0].timeouts, "S:10s;R:20s;E:5m");
	k = cf_map(&cf, "authinfo");
	assert_non_null(k);
	assert_string_equal(k->type, "hash");
	assert_string_equal(k->file, "/etc/mail/authinfo.db");
	assert_true(k->optional);
	assert_null(cf_map(&cf, "resolve")->file);
	assert_int_equal(cf.nclass_w, 2);
	assert_string_equal(cf.class_w[1].name, "example.net");
	assert_int_equal(cf.nclass_w_files, 1);
	assert_string_equal(cf.class_w_files[0].path,
	    "/etc/mail/local-host-names");
	assert_true(cf.class_w_files[0].optional);
	assert_string_equal(cf.class_w_files[0].format, "%[^#]");
	assert_non_null(cf_feature(&cf, "authinfo"));
	assert_null(cf_feature(&cf, "masquerade_envelope"));
	assert_false(cf.masq_envelope);
	cf_free(&cf);
}

static void
test_cf_masq_envelope_and_quotes(void **state)
{
	const char *t =
	    "#####  $Id: masquerade_envelope.m4,v 8.10 2013 ca Exp $  #####\n"
	    "SMasqEnv=94\n"
	    "R$+\t\t\t$@ $>MasqHdr $1\n"
	    "Mprog, P=/bin/sh, F=lsDFMoqeu9, A=\"sh -c, x\", D=$z:/\n"
	    "Xbad\n"
	    "D{MTAHost}[127.0.0.1]\n"
	    "O\n"
	    "Kbroken\n";
	struct sendmail_cf cf;

	assert_int_equal(cf_parse(t, &cf, NULL), 0);
	assert_true(cf.masq_envelope);
	assert_int_equal(cf.masq_envelope_line, 3);
	assert_non_null(cf_feature(&cf, "masquerade_envelope"));
	assert_string_equal(cf_mailer_field(cf_mailer(&cf, "prog"), 'A'),
	    "sh -c, x");
	assert_string_equal(cf_mailer_field(cf_mailer(&cf, "prog"), 'D'),
	    "$z:/");
	assert_string_equal(cf_macro(&cf, "MTAHost")->value, "[127.0.0.1]");
	/* "Xbad" is a milter without fields, "O" and "Kbroken" are not
	 * readable: skipped and counted, not guessed */
	assert_int_equal(cf.nmilters, 1);
	assert_null(cf.milters[0].socket);
	assert_int_equal(cf.nskipped, 2);
	assert_int_equal(cf.skipped[0], 7);
	assert_int_equal(cf.skipped[1], 8);
	cf_free(&cf);
}

static int
sh_of(const char *ds, const char *mailers, struct cf_smarthost *sh)
{
	struct sendmail_cf cf;
	strbuf t;
	int rc;

	sb_init(&t);
	if (ds != NULL)
		sb_printf(&t, "DS%s\n", ds);
	sb_puts(&t, mailers);
	assert_int_equal(cf_parse(t.s, &cf, NULL), 0);
	rc = cf_smarthost(&cf, sh);
	cf_free(&cf);
	sb_free(&t);
	return rc;
}

static void
test_cf_smarthost(void **state)
{
	const char *m = "Mrelay, P=[IPC], A=TCP $h 587\n"
	    "Mesmtp, P=[IPC], A=TCP $h\nMsmtps, P=[IPC], A=TCP $h smtps\n";
	struct cf_smarthost sh;

	assert_int_equal(sh_of("[smtp.gmail.com]", m, &sh), 0);
	assert_string_equal(sh.host, "smtp.gmail.com");
	assert_string_equal(sh.mailer, "relay");
	assert_true(sh.bracketed);
	assert_null(sh.rest);
	assert_string_equal(sh.port_word, "587");
	assert_int_equal(sh.port, 587);
	assert_int_equal(sh.line, 1);
	assert_int_equal(sh.mailer_line, 2);
	cf_smarthost_free(&sh);

	assert_int_equal(sh_of("smtp.gmail.com.", m, &sh), 0);
	assert_string_equal(sh.host, "smtp.gmail.com");
	assert_false(sh.bracketed);
	cf_smarthost_free(&sh);

	assert_int_equal(sh_of("esmtp:[mail.example.net]", m, &sh), 0);
	assert_string_equal(sh.mailer, "esmtp");
	assert_string_equal(sh.host, "mail.example.net");
	assert_int_equal(sh.port, 25);
	cf_smarthost_free(&sh);

	assert_int_equal(sh_of("smtps:[mail.example.net]", m, &sh), 0);
	assert_int_equal(sh.port, 465);
	cf_smarthost_free(&sh);

	/* after the mailer, ':' separates the hosts of a list: "2525" is a
	 * second host, the port stays the mailer's */
	assert_int_equal(sh_of("[smtp.gmail.com]:2525", m, &sh), 0);
	assert_string_equal(sh.rest, "2525");
	assert_string_equal(sh.host, "smtp.gmail.com");
	assert_int_equal(sh.port, 587);
	cf_smarthost_free(&sh);
	/* seed 003: the smtp mailer, its own A=, and "587" as a host */
	assert_int_equal(sh_of("smtp:[smtp.example.com]:587",
	    "Mrelay, P=[IPC], A=TCP $h $p -oem -a\n"
	    "Msmtp, P=[IPC], A=TCP $h\n", &sh), 0);
	assert_string_equal(sh.mailer, "smtp");
	assert_string_equal(sh.host, "smtp.example.com");
	assert_string_equal(sh.rest, "587");
	assert_int_equal(sh.port, 25);
	assert_null(sh.port_word);
	cf_smarthost_free(&sh);
	assert_int_equal(sh_of("relay:smtp.example.com:backup.example.com",
	    m, &sh), 0);
	assert_string_equal(sh.host, "smtp.example.com");
	assert_string_equal(sh.rest, "backup.example.com");
	assert_false(sh.bracketed);
	cf_smarthost_free(&sh);
	/* $p is sendmail's process id: no port, the word kept */
	assert_int_equal(sh_of("[smtp.example.com]",
	    "Mrelay, P=[IPC], A=TCP $h $p -oem -a\n", &sh), 0);
	assert_string_equal(sh.port_word, "$p");
	assert_int_equal(sh.port, 0);
	cf_smarthost_free(&sh);

	assert_int_equal(sh_of("nosuch:[x.example]", m, &sh), 0);
	assert_int_equal(sh.mailer_line, 0);
	assert_int_equal(sh.port, 0);
	cf_smarthost_free(&sh);

	/* an unclosed bracket: the host is what follows it */
	assert_int_equal(sh_of("[smtp.gmail.com", m, &sh), 0);
	assert_string_equal(sh.host, "smtp.gmail.com");
	assert_true(sh.bracketed);
	cf_smarthost_free(&sh);

	assert_int_equal(sh_of("", m, &sh), 1);
	cf_smarthost_free(&sh);
	assert_int_equal(sh_of(NULL, m, &sh), 1);
	assert_int_equal(sh.line, 0);
	cf_smarthost_free(&sh);
}

static void
test_port_number(void **state)
{
	assert_int_equal(cf_port_number("smtp"), 25);
	assert_int_equal(cf_port_number("submission"), 587);
	assert_int_equal(cf_port_number("SMTPS"), 465);
	assert_int_equal(cf_port_number("2525"), 2525);
	assert_int_equal(cf_port_number("0"), -1);
	assert_int_equal(cf_port_number("65536"), -1);
	assert_int_equal(cf_port_number("x25"), -1);
	assert_int_equal(cf_port_number(""), -1);
}

/* ------------------------------------------------------------ sendmail.mc */

static char *
include_cb(const char *path, void *arg)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(path, "/usr/share/sendmail/cf/m4/cf.m4") == 0)
		return NULL;
	if (strcmp(path, "/etc/mail/m4/provider.m4") == 0)
		return strdup("define(`SMART_HOST', `[relay.isp.example]')dnl\n"
		    "FEATURE(`authinfo')dnl\n");
	return NULL;
}

static void
test_mc_parse(void **state)
{
	const char *t =
	    "divert(-1)dnl\n"
	    "# a comment with define(`NOT', `THIS')\n"
	    "divert(0)dnl\n"
	    "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
	    "define(`confPRIVACY_FLAGS',dnl\n"
	    "`needmailhelo,noexpn')dnl\n"
	    "define(`SMART_HOST', `[smtp.gmail.com]')dnl\n"
	    "include(`/etc/mail/m4/provider.m4')dnl\n"
	    "INPUT_MAIL_FILTER(`relaymilter', `S=local:/run/rm.sock, F=T, "
	    "T=S:10s;R:20s;E:5m')dnl\n"
	    "define(`nested', `a `quoted' (b, c)')dnl\n"
	    "define(`confAUTH_MECHANISMS', LOGIN PLAIN)dnl\n"
	    "LOCAL_DOMAIN(`example.com')dnl\n"
	    "define(`confCACERT', `/x')dnl\n"
	    "undefine(`confCACERT')dnl\n"
	    "`define(`QUOTED', `no')'\n";
	struct sendmail_mc mc;
	const struct mc_call *c;
	unsigned line = 0;
	int calls = 0;

	assert_int_equal(mc_parse(t, "test.mc", include_cb, &calls, &mc,
	    NULL), 0);
	assert_int_equal(calls, 2);
	assert_string_equal(mc_define(&mc, "confPRIVACY_FLAGS", &line),
	    "needmailhelo,noexpn");
	assert_int_equal(line, 5);
	/* provider.m4 comes later than line 7: its define wins */
	assert_string_equal(mc_define(&mc, "SMART_HOST", &line),
	    "[relay.isp.example]");
	assert_int_equal(line, 1);
	c = mc_find(&mc, "define", "SMART_HOST");
	assert_string_equal(c->file, "/etc/mail/m4/provider.m4");
	c = mc_find(&mc, "INPUT_MAIL_FILTER", "relaymilter");
	assert_non_null(c);
	assert_int_equal(c->nargs, 2);
	assert_string_equal(c->args[1], "S=local:/run/rm.sock, F=T, "
	    "T=S:10s;R:20s;E:5m");
	assert_string_equal(c->file, "test.mc");
	assert_int_equal(c->line, 9);
	assert_string_equal(mc_define(&mc, "nested", NULL),
	    "a `quoted' (b, c)");
	assert_string_equal(mc_define(&mc, "confAUTH_MECHANISMS", NULL),
	    "LOGIN PLAIN");
	assert_non_null(mc_find(&mc, "LOCAL_DOMAIN", "example.com"));
	assert_non_null(mc_find(&mc, "FEATURE", "authinfo"));
	assert_null(mc_define(&mc, "confCACERT", NULL));
	assert_null(mc_define(&mc, "NOT", NULL));
	assert_null(mc_define(&mc, "QUOTED", NULL));
	mc_free(&mc);
}

static void
test_mc_unclosed(void **state)
{
	struct sendmail_mc mc;

	assert_int_equal(mc_parse("define(`A', `1')dnl\nFEATURE(`x',\n",
	    "t.mc", NULL, NULL, &mc, NULL), 0);
	assert_string_equal(mc_define(&mc, "A", NULL), "1");
	/* the unclosed call is recorded with what it had */
	assert_non_null(mc_find(&mc, "FEATURE", "x"));
	mc_free(&mc);
}

/* ------------------------------------------------------- sendmail -d0.1 */

static const char *INFO_OK =
"Version 8.17.1.9\n"
" Compiled with: DNSMAP IPV6_FULL LDAPMAP LDAP_NETWORK_TIMEOUT\n"
"\t\tLDAP_REFERRALS LOG MAP_REGEX MATCHGECOS MAXDAEMONS=64 MILTER\n"
"\t\tMIME7TO8 MIME8TO7 NAMED_BIND NETINET NETINET6 NETUNIX NEWDB=5.3\n"
"\t\tNIS NISPLUS PIPELINING SASLv2 SCANF SOCKETMAP STARTTLS\n"
"\t\tTCPWRAPPERS TLS_EC TLS_VRFY_PER_CTX USERDB USE_LDAP_INIT XDEBUG\n"
"\n"
"============ SYSTEM IDENTITY (after readcf) ============\n"
"      (short domain name) $w = box\n"
"  (canonical domain name) $j = box.example.test\n"
"         (subdomain name) $m = example.test\n"
"              (node name) $k = box.example.test\n"
"========================================================\n"
"\n"
"ADDRESS TEST MODE (ruleset 3 NOT automatically invoked)\n"
"Enter <ruleset> <address>\n"
"> ";

static void
test_sendmail_info(void **state)
{
	struct sendmail_info si;

	assert_int_equal(sendmail_info_parse(INFO_OK, &si), 0);
	assert_string_equal(si.version, "8.17.1.9");
	assert_int_equal(si.ncompiled, 30);
	assert_true(sendmail_compiled_with(&si, "STARTTLS"));
	assert_true(sendmail_compiled_with(&si, "SASLv2"));
	assert_true(sendmail_compiled_with(&si, "MILTER"));
	assert_true(sendmail_compiled_with(&si, "NEWDB"));
	assert_false(sendmail_compiled_with(&si, "SASL"));
	assert_false(sendmail_compiled_with(&si, "SYSTEM"));
	assert_string_equal(si.canon_host, "box.example.test");
	assert_false(si.unqualified_warning);
	sendmail_info_free(&si);

	assert_int_equal(sendmail_info_parse(
	    "Version 8.17.1.9\n Compiled with: LOG MILTER\n\n"
	    "  (canonical domain name) $j = box\n"
	    "WARNING: local host name (box) is not qualified; see cf/README: "
	    "WHO AM I?\n", &si), 0);
	assert_int_equal(si.ncompiled, 2);
	assert_false(sendmail_compiled_with(&si, "STARTTLS"));
	assert_string_equal(si.canon_host, "box");
	assert_true(si.unqualified_warning);
	sendmail_info_free(&si);
}

/* ------------------------------------------------------------ mailq */

static const char *MAILQ_TWO =
"\t\t/var/spool/mqueue (2 requests)\n"
"-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"
"6AL8uvth007587        5 Sat Nov 21 08:56 <alice@example.test>\n"
"                 (Deferred: Connection refused by smtp.gmail.test.)\n"
"\t\t\t\t\t <bob@remote.test>\n"
"6AL8uv4N007590*     469 Fri Nov 20 11:08 <carol@example.test>\n"
"      8BITMIME   (Deferred: 535 5.7.8 Username and Password not accepted)\n"
"\t\t\t\t\t <dave@remote.test>\n"
"\t\t\t\t\t <erin@remote.test>\n"
"\t\tTotal requests: 2\n";

static void
test_mailq(void **state)
{
	struct mailq q;
	time_t now;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 21;
	tm.tm_hour = 9;
	tm.tm_isdst = -1;
	now = mktime(&tm);
	assert_int_equal(mailq_parse(MAILQ_TWO, now, &q), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.total, 2);
	assert_int_equal(q.nskipped, 0);
	assert_string_equal(q.v[0].qid, "6AL8uvth007587");
	assert_int_equal(q.v[0].mark, ' ');
	assert_int_equal(q.v[0].size, 5);
	assert_string_equal(q.v[0].sender, "<alice@example.test>");
	assert_string_equal(q.v[0].error,
	    "Deferred: Connection refused by smtp.gmail.test.");
	assert_null(q.v[0].bodytype);
	assert_int_equal(q.v[0].nrcpts, 1);
	assert_string_equal(q.v[0].rcpts[0], "<bob@remote.test>");
	assert_int_equal(now - q.v[0].when, 4 * 60);
	assert_int_equal(q.v[1].mark, '*');
	assert_string_equal(q.v[1].bodytype, "8BITMIME");
	assert_string_equal(q.v[1].error,
	    "Deferred: 535 5.7.8 Username and Password not accepted");
	assert_int_equal(q.v[1].nrcpts, 2);
	assert_string_equal(q.v[1].qtime, "Fri Nov 20 11:08");
	assert_int_equal(now - q.v[1].when, 22 * 3600 - 8 * 60);
	mailq_free(&q);
}

static void
test_mailq_sections_and_year(void **state)
{
	const char *t =
	    "MSP Queue status...\n"
	    "/var/spool/mqueue-client is empty\n"
	    "\t\tTotal requests: 0\n"
	    "MTA Queue status...\n"
	    "\t\t/var/spool/mqueue (1 request)\n"
	    "-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------\n"
	    "vBE4mdE7025908-      29 Wed Dec 31 23:48 <ian@example.org>\n"
	    "\t\t\t\t\t <ian@remote.org>\n"
	    "\t\tTotal requests: 1\n"
	    "something unexpected\n";
	struct mailq q;
	struct tm tm;
	time_t now;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 0;
	tm.tm_mday = 2;
	tm.tm_isdst = -1;
	now = mktime(&tm);
	assert_int_equal(mailq_parse(t, now, &q), 0);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.total, 1);
	assert_int_equal(q.nskipped, 1);
	assert_int_equal(q.v[0].mark, '-');
	assert_null(q.v[0].error);
	/* printed without a year: Dec 31 is last year's, not the future */
	assert_true(q.v[0].when < now);
	assert_true(now - q.v[0].when < 2 * 86400);
	mailq_free(&q);

	assert_int_equal(mailq_parse("/var/spool/mqueue is empty\n"
	    "\t\tTotal requests: 0\n", now, &q), 0);
	assert_int_equal(q.n, 0);
	assert_int_equal(q.total, 0);
	mailq_free(&q);
}

static void
test_milter_timeouts(void **state)
{
	struct cfc_milter_timeouts t;

	assert_int_equal(cfc_milter_timeouts("S:10s;R:20s;E:5m", &t), 0);
	assert_int_equal(t.connect, 300);
	assert_int_equal(t.send, 10);
	assert_int_equal(t.read, 20);
	assert_int_equal(t.eom, 300);
	assert_int_equal(cfc_milter_timeouts(NULL, &t), 0);
	assert_int_equal(t.read, 10);
	assert_int_equal(cfc_milter_timeouts("C:1m; R:1w", &t), 0);
	assert_int_equal(t.connect, 60);
	assert_int_equal(t.read, 7 * 86400);
	assert_int_equal(cfc_milter_timeouts("R:", &t), -1);
	assert_int_equal(cfc_milter_timeouts("X:5s", &t), -1);
	assert_int_equal(cfc_milter_timeouts("R:5x", &t), -1);
}

/* ------------------------------------------------------------ checks */

static struct cfcheck_env env;

static void
env_base(const char *cf_text)
{
	struct cfc_auth_entry *e;

	cfcheck_env_init(&env);
	env.cf_path = strdup("/etc/mail/sendmail.cf");
	assert_int_equal(cf_parse(cf_text ? cf_text : CF_BASE, &env.cf, NULL),
	    0);
	env.have_info = true;
	assert_int_equal(sendmail_info_parse(INFO_OK, &env.info), 0);
	free(env.info.canon_host);
	env.info.canon_host = strdup("box.example.com");
	env.sasl_modules = 1;
	env.cacert_file = 1;
	env.cacert_path = 1;
	env.auth.map_defined = true;
	env.auth.file_based = true;
	env.auth.optional = true;
	env.auth.map_line = 6;
	env.auth.source.path = strdup("/etc/mail/authinfo");
	env.auth.source.exists = 1;
	env.auth.source.mtime = 1000;
	env.auth.source.mode = S_IFREG | 0640;
	env.auth.db.path = strdup("/etc/mail/authinfo.db");
	env.auth.db.exists = 1;
	env.auth.db.mtime = 2000;
	env.auth.db.mode = S_IFREG | 0640;
	env.auth.read = true;
	env.auth.entries = calloc(1, sizeof(*env.auth.entries));
	env.auth.nentries = 1;
	e = &env.auth.entries[0];
	e->host = strdup("smtp.gmail.com");
	e->user = strdup("root");
	e->authid = strdup("relay@example.com");
	e->mechs = strdup("PLAIN LOGIN");
	e->line = 3;
	env.hostname = strdup("box");
	env.hosts_path = strdup("/etc/hosts");
	env.hosts_text = strdup("127.0.0.1\tlocalhost\n"
	    "127.0.1.1\tbox.example.com box\n");
	env.smarthost_resolved = true;
	env.smarthost_addrs = calloc(2, sizeof(char *));
	env.smarthost_addrs[0] = strdup("142.250.102.108");
	env.smarthost_addrs[1] = strdup("2a00:1450:4013:c00::6c");
	env.nsmarthost_addrs = 2;
	env.local_addrs = calloc(1, sizeof(char *));
	env.local_addrs[0] = strdup("192.0.2.7");
	env.nlocal_addrs = 1;
	env.have_rm = true;
	env.rm_path = strdup("/etc/relaymilter/relaymilter.conf");
	env.rm_socket = strdup("unix:/run/relaymilter/relaymilter.sock");
	env.rm_dns_timeout = 2;
	env.have_mailq = true;
	env.now = 1795250000;
}

/* Run the checks; return the finding ids joined by spaces. */
static const char *
ids(void)
{
	static char buf[1024];
	struct cfc_report r;
	size_t i;

	memset(&r, 0, sizeof(r));
	buf[0] = '\0';
	assert_int_equal(cfcheck_run(&env, &r), 0);
	for (i = 0; i < r.n; i++) {
		assert_non_null(r.v[i].what);
		assert_non_null(r.v[i].why);
		assert_non_null(r.v[i].fix);
		assert_true(strlen(r.v[i].fix) > 0);
		assert_false(has_control_chars(r.v[i].what));
		strcat(buf, i ? " " : "");
		strcat(buf, r.v[i].id);
	}
	cfc_report_free(&r);
	return buf;
}

static int
env_teardown(void **state)
{
	cfcheck_env_free(&env);
	return 0;
}

/* Replace the first occurrence of a line in CF_BASE. */
static char *
cf_with(const char *from, const char *to)
{
	const char *p = strstr(CF_BASE, from);
	strbuf sb;

	assert_non_null(p);
	sb_init(&sb);
	sb_append(&sb, CF_BASE, (size_t)(p - CF_BASE));
	sb_puts(&sb, to);
	sb_puts(&sb, p + strlen(from));
	return sb_steal(&sb);
}

static void
check_with(const char *from, const char *to, const char *expect)
{
	char *t = cf_with(from, to);

	env_base(t);
	free(t);
	assert_string_equal(ids(), expect);
	cfcheck_env_free(&env);
}

static void
test_clean(void **state)
{
	struct cfc_report r;

	env_base(NULL);
	memset(&r, 0, sizeof(r));
	assert_int_equal(cfcheck_run(&env, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(cfc_report_worst(&r), -1);
	cfc_report_free(&r);
}

static void
test_smarthost_traps(void **state)
{
	check_with("DS[smtp.gmail.com]\n", "DS\n", "smarthost-missing");
	check_with("DS[smtp.gmail.com]\n", "DSsmtp.gmail.com\n",
	    "smarthost-mx-lookup");
	check_with("DS[smtp.gmail.com]\n", "DS[smtp.gmail.com]:587\n",
	    "smarthost-port-ignored");
	check_with("DS[smtp.gmail.com]\n", "DSnosuch:[smtp.gmail.com]\n",
	    "relay-mailer-missing");
	check_with("A=TCP $h 587\n", "A=TCP $h\n", "relay-port-25");
	check_with("A=TCP $h 587\n", "A=TCP $h 465\n", "relay-port-465");
	/* an IP literal needs no brackets (but has no authinfo entry) */
	check_with("DS[smtp.gmail.com]\n", "DS192.0.2.25\n",
	    "authinfo-no-entry");
}

static void
test_smarthost_port_and_mc_location(void **state)
{
	struct cfc_report r;
	const struct cfc_finding *f;
	char *t = cf_with("DS[smtp.gmail.com]\n", "DSsmtp.gmail.com\n");

	env_base(t);
	free(t);
	env.mc_path = strdup("/etc/mail/sendmail.mc");
	assert_int_equal(mc_parse("OSTYPE(`debian')dnl\n"
	    "define(`SMART_HOST', `smtp.gmail.com')dnl\n", env.mc_path, NULL,
	    NULL, &env.mc, NULL), 0);
	env.have_mc = true;
	memset(&r, 0, sizeof(r));
	assert_int_equal(cfcheck_run(&env, &r), 0);
	f = cfc_report_find(&r, "smarthost-mx-lookup");
	assert_non_null(f);
	assert_string_equal(f->file, "/etc/mail/sendmail.mc");
	assert_int_equal(f->line, 2);
	assert_int_equal(f->severity, CFS_WARN);
	assert_non_null(strstr(f->fix,
	    "define(`SMART_HOST', `[smtp.gmail.com]')dnl"));
	assert_non_null(strstr(f->fix, "m4 /usr/share/sendmail/cf/m4/cf.m4 "
	    "/etc/mail/sendmail.mc > /etc/mail/sendmail.cf"));
	cfc_report_free(&r);
}

/* Take a word out of the compile options (as if built without it). */
static void
drop_compiled(const char *word)
{
	size_t i;

	for (i = 0; i < env.info.ncompiled; i++)
		if (strcmp(env.info.compiled[i], word) == 0) {
			free(env.info.compiled[i]);
			env.info.compiled[i] = strdup("-");
			return;
		}
	fail_msg("%s is not in the compile options", word);
}

static void
test_build_traps(void **state)
{
	env_base(NULL);
	drop_compiled("STARTTLS");
	assert_string_equal(ids(), "sendmail-no-starttls");
	drop_compiled("SASLv2");
	assert_string_equal(ids(), "sendmail-no-starttls sendmail-no-sasl");
	cfcheck_env_free(&env);

	env_base(NULL);
	drop_compiled("MILTER");
	assert_string_equal(ids(), "sendmail-no-milter");
	cfcheck_env_free(&env);

	env_base(NULL);
	sendmail_info_free(&env.info);
	env.have_info = false;
	env.info_error = strdup("/usr/sbin/sendmail could not be run");
	assert_string_equal(ids(), "sendmail-info-unavailable");
	cfcheck_env_free(&env);
}

static char *
str_remove(const char *s, const char *what)
{
	const char *p = strstr(s, what);
	strbuf sb;

	assert_non_null(p);
	sb_init(&sb);
	sb_append(&sb, s, (size_t)(p - s));
	sb_puts(&sb, p + strlen(what));
	return sb_steal(&sb);
}

static void
test_cacert_traps(void **state)
{
	char *t1 = str_remove(CF_BASE, "O CACertPath=/etc/ssl/certs\n");
	char *t2 = str_remove(t1, "O CACertFile=/etc/ssl/certs/"
	    "ca-certificates.crt\n");

	env_base(t2);
	assert_string_equal(ids(), "cacert-missing");
	cfcheck_env_free(&env);
	free(t1);
	free(t2);

	env_base(NULL);
	env.cacert_file = 0;
	assert_string_equal(ids(), "cacert-file-missing");
	env.cacert_file = 1;
	env.cacert_path = 0;
	assert_string_equal(ids(), "cacert-path-missing");
	cfcheck_env_free(&env);
}

static void
test_auth_mechanism_traps(void **state)
{
	/* the entry's own M: list wins over AuthMechanisms */
	env_base(NULL);
	free(env.auth.entries[0].mechs);
	env.auth.entries[0].mechs = strdup("CRAM-MD5");
	assert_string_equal(ids(), "auth-mechanisms-no-plain");
	free(env.auth.entries[0].mechs);
	env.auth.entries[0].mechs = NULL;
	assert_string_equal(ids(), "");
	cfcheck_env_free(&env);

	/* no M: and the default AuthMechanisms */
	{
		char *t = cf_with("O AuthMechanisms=EXTERNAL GSSAPI DIGEST-MD5 "
		    "CRAM-MD5 LOGIN PLAIN\n", "");

		env_base(t);
		free(t);
	}
	free(env.auth.entries[0].mechs);
	env.auth.entries[0].mechs = NULL;
	assert_string_equal(ids(), "auth-mechanisms-no-plain");
	env.sasl_modules = 0;
	assert_string_equal(ids(),
	    "auth-mechanisms-no-plain sasl-modules-missing");
	cfcheck_env_free(&env);
}

static void
test_authinfo_file_traps(void **state)
{
	env_base(NULL);
	env.auth.db.exists = 0;
	assert_string_equal(ids(), "authinfo-db-missing");
	env.auth.db.exists = 1;
	env.auth.db.mtime = 500;
	assert_string_equal(ids(), "authinfo-db-stale");
	env.auth.db.mtime = 2000;
	env.auth.source.mode = S_IFREG | 0644;
	assert_string_equal(ids(), "authinfo-world-readable");
	env.auth.source.mode = S_IFREG | 0640;
	env.auth.source.exists = 0;
	env.auth.read = false;
	assert_string_equal(ids(), "authinfo-source-missing");
	cfcheck_env_free(&env);

	env_base(NULL);
	env.auth.read = false;
	env.auth.syntax_error = strdup("/etc/mail/authinfo:3: "
	    "AuthInfo:smtp.gmail.com: entry has no password");
	assert_string_equal(ids(), "authinfo-syntax");
	cfcheck_env_free(&env);

	env_base(NULL);
	env.auth.read = false;
	env.auth.read_error = strdup("Permission denied");
	assert_string_equal(ids(), "authinfo-unreadable");
	cfcheck_env_free(&env);
}

static void
test_authinfo_entry_traps(void **state)
{
	env_base(NULL);
	free(env.auth.entries[0].host);
	env.auth.entries[0].host = strdup("smtp.gmail.com:587");
	assert_string_equal(ids(), "authinfo-no-entry");
	/* the entry for its address counts, as in sendmail */
	free(env.auth.entries[0].host);
	env.auth.entries[0].host = strdup("142.250.102.108");
	assert_string_equal(ids(), "");
	/* and so does the default entry */
	env.auth.entries[0].host[0] = '\0';
	assert_string_equal(ids(), "");
	cfcheck_env_free(&env);

	env_base(NULL);
	free(env.auth.entries[0].authid);
	env.auth.entries[0].authid = NULL;
	assert_string_equal(ids(), "authinfo-no-authid");
	cfcheck_env_free(&env);

	env_base(NULL);
	env.auth.map_defined = false;
	env.auth.read = false;
	assert_string_equal(ids(), "authinfo-not-configured");
	cfcheck_env_free(&env);

	env_base(NULL);
	env.rm_authinfo_file = strdup("/etc/relaymilter/authinfo");
	assert_string_equal(ids(), "authinfo-file-mismatch");
	cfcheck_env_free(&env);
}

static void
test_milter_traps(void **state)
{
	const char *x = "Xrelaymilter, S=local:/run/relaymilter/relaymilter."
	    "sock, F=T, T=S:10s;R:20s;E:5m\n";

	check_with(x, "", "milter-missing");
	check_with(x, "Xrelaymilter, S=local:/tmp/other.sock, F=T, "
	    "T=S:10s;R:20s;E:5m\n", "milter-socket-mismatch");
	check_with(x, "Xrelaymilter, S=local:/run/relaymilter/relaymilter."
	    "sock, T=S:10s;R:20s;E:5m\n", "milter-no-tempfail");
	check_with(x, "Xrelaymilter, S=local:/run/relaymilter/relaymilter."
	    "sock, F=R, T=S:10s;R:20s;E:5m\n", "milter-rejects-when-down");
	check_with(x, "Xrelaymilter, S=local:/run/relaymilter/relaymilter."
	    "sock, F=T, T=S:10s;R:2s;E:5m\n", "milter-timeout-short");
	check_with(x, "Xrelaymilter, S=local:/run/relaymilter/relaymilter."
	    "sock, F=T, T=S:10s;R:zz;E:5m\n", "milter-timeout-syntax");
	check_with("O InputMailFilters=relaymilter\n",
	    "O InputMailFilters=other\n", "milter-not-enabled");
	/* found by socket under another name */
	check_with(x, "Xrm, S=unix:/run/relaymilter/relaymilter.sock, F=T, "
	    "T=S:10s;R:20s;E:5m\n", "milter-not-enabled");

	env_base(NULL);
	env.have_rm = false;
	env.rm_error = strdup("/etc/relaymilter/relaymilter.conf:4: unknown "
	    "option \"Sockett\"");
	assert_string_equal(ids(), "relaymilter-conf-unreadable");
	cfcheck_env_free(&env);
}

static void
test_rewrite_and_domain_traps(void **state)
{
	const char *masq = "Kgenerics hash /etc/mail/genericstable\n"
	    "SMasqEnv=94\nR$+\t\t\t$@ $>MasqHdr $1\n";
	strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, CF_BASE);
	sb_puts(&sb, masq);
	env_base(sb.s);
	assert_string_equal(ids(), "genericstable-envelope");
	cfcheck_env_free(&env);
	sb_free(&sb);

	check_with("C{w}example.net\n", "C{w}example.com\n",
	    "local-domain-relay-account");

	env_base(NULL);
	env.wfile_words = calloc(1, sizeof(*env.wfile_words));
	env.wfile_words[0].word = strdup("EXAMPLE.COM");
	env.wfile_words[0].file = strdup("/etc/mail/local-host-names");
	env.wfile_words[0].line = 2;
	env.nwfile_words = 1;
	assert_string_equal(ids(), "local-domain-relay-account");
	cfcheck_env_free(&env);

	/* relaymilter's RelayAccount counts when authinfo gives none; with
	 * it set there is no authinfo-not-configured warning (issue 13: an
	 * IP-registered relay has no account, sendmail logs in no other way) */
	env_base(NULL);
	env.auth.map_defined = false;
	env.auth.read = false;
	env.rm_relay_account = strdup("ops@example.net");
	assert_string_equal(ids(), "local-domain-relay-account");
	cfcheck_env_free(&env);
}

static void
test_hostname_traps(void **state)
{
	struct cfc_report r;
	const struct cfc_finding *f;

	env_base(NULL);
	free(env.info.canon_host);
	env.info.canon_host = strdup("box");
	free(env.hosts_text);
	env.hosts_text = strdup("127.0.0.1 localhost\n127.0.1.1 box\n");
	memset(&r, 0, sizeof(r));
	assert_int_equal(cfcheck_run(&env, &r), 0);
	assert_int_equal(r.n, 1);
	f = cfc_report_find(&r, "hostname-unqualified");
	assert_non_null(f);
	assert_string_equal(f->file, "/etc/hosts");
	assert_int_equal(f->line, 2);
	assert_non_null(strstr(f->what, "/etc/hosts:2 gives it no fully "
	    "qualified name"));
	assert_non_null(strstr(f->fix, "127.0.1.1 box.example.com box"));
	cfc_report_free(&r);

	/* without sendmail's own answer the hosts file decides */
	sendmail_info_free(&env.info);
	env.have_info = false;
	env.info_error = strdup("not run");
	free(env.hosts_text);
	env.hosts_text = strdup("127.0.0.1 localhost box\n");
	assert_string_equal(ids(),
	    "sendmail-info-unavailable hostname-unqualified");
	free(env.hosts_text);
	env.hosts_text = strdup("127.0.1.1 box.example.com box\n");
	assert_string_equal(ids(), "sendmail-info-unavailable");
	/* an alias with a dot is enough, as for sendmail and glibc, even on
	 * another line for the same name */
	free(env.hosts_text);
	env.hosts_text = strdup("127.0.1.1 box\n127.0.1.1 box.example.com "
	    "box\n");
	assert_string_equal(ids(), "sendmail-info-unavailable");
	cfcheck_env_free(&env);
}

static void
test_loop_traps(void **state)
{
	/* the smarthost is this host, where the MSA listens on any address
	 * on the relay port 587 */
	env_base(NULL);
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("127.0.0.1");
	assert_string_equal(ids(), "smarthost-loops");
	cfcheck_env_free(&env);

	env_base(NULL);
	free(env.smarthost_addrs[1]);
	env.smarthost_addrs[1] = strdup("192.0.2.7");	/* an interface */
	assert_string_equal(ids(), "smarthost-loops");
	cfcheck_env_free(&env);

	/* a relay on this host on a port sendmail does not listen on */
	{
		char *t = cf_with("A=TCP $h 587\n", "A=TCP $h 2525\n");

		env_base(t);
		free(t);
	}
	free(env.smarthost_addrs[0]);
	env.smarthost_addrs[0] = strdup("127.0.0.2");
	assert_string_equal(ids(), "");
	cfcheck_env_free(&env);

	/* the name of this host */
	check_with("DS[smtp.gmail.com]\n", "DS[box.example.com]\n",
	    "authinfo-no-entry smarthost-is-self");
	/* F=k turns sendmail's loop check off */
	{
		char *t1 = cf_with("DS[smtp.gmail.com]\n",
		    "DS[box.example.com]\n");
		char *t2 = strdup(t1);
		char *p = strstr(t2, "F=mDFMuXa8,");

		assert_non_null(p);
		memcpy(p, "F=mDFMuXak,", 11);
		env_base(t2);
		free(t1);
		free(t2);
	}
	assert_string_equal(ids(), "authinfo-no-entry");
	cfcheck_env_free(&env);
}

static void
test_queue(void **state)
{
	struct cfc_report r;
	const struct cfc_finding *f;
	struct tm tm;

	env_base(NULL);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 21;
	tm.tm_hour = 9;
	tm.tm_isdst = -1;
	env.now = mktime(&tm);
	assert_int_equal(mailq_parse(MAILQ_TWO, env.now, &env.mailq), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(cfcheck_run(&env, &r), 0);
	assert_int_equal(r.n, 1);
	f = cfc_report_find(&r, "queue-not-empty");
	assert_non_null(f);
	assert_int_equal(f->severity, CFS_WARN);
	assert_non_null(strstr(f->what, "2 messages in the queue, the oldest "
	    "6AL8uv4N007590"));
	assert_non_null(strstr(f->what, "21 h 52 min ago"));
	assert_non_null(strstr(f->why, "Connection refused by "
	    "smtp.gmail.test."));
	assert_non_null(strstr(f->why, "535 5.7.8"));
	assert_non_null(strstr(f->fix, "sendmail -q -v"));
	assert_non_null(strstr(f->fix, "sendmail -qI6AL8uv4N007590 -v"));
	cfc_report_free(&r);

	mailq_free(&env.mailq);
	env.have_mailq = false;
	env.mailq_error = strdup("/usr/sbin/sendmail -bp exited with "
	    "status 78: \x1b[31mbad\x1b[0m");
	memset(&r, 0, sizeof(r));
	assert_int_equal(cfcheck_run(&env, &r), 0);
	f = cfc_report_find(&r, "queue-unreadable");
	assert_non_null(f);
	assert_int_equal(f->severity, CFS_INFO);
	assert_null(strchr(f->what, '\x1b'));
	cfc_report_free(&r);
	cfcheck_env_free(&env);
}

static void
test_loglevel(void **state)
{
	check_with("O LogLevel=10\n", "O LogLevel=9\n",
	    "loglevel-auth-hidden");
	check_with("O LogLevel=10\n", "", "loglevel-auth-hidden");
}

static int
group_teardown(void **state)
{
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cf_parse),
		cmocka_unit_test(test_cf_masq_envelope_and_quotes),
		cmocka_unit_test(test_cf_smarthost),
		cmocka_unit_test(test_port_number),
		cmocka_unit_test(test_mc_parse),
		cmocka_unit_test(test_mc_unclosed),
		cmocka_unit_test(test_sendmail_info),
		cmocka_unit_test(test_mailq),
		cmocka_unit_test(test_mailq_sections_and_year),
		cmocka_unit_test(test_milter_timeouts),
		cmocka_unit_test_teardown(test_clean, env_teardown),
		cmocka_unit_test(test_smarthost_traps),
		cmocka_unit_test_teardown(test_smarthost_port_and_mc_location,
		    env_teardown),
		cmocka_unit_test(test_build_traps),
		cmocka_unit_test(test_cacert_traps),
		cmocka_unit_test(test_auth_mechanism_traps),
		cmocka_unit_test(test_authinfo_file_traps),
		cmocka_unit_test(test_authinfo_entry_traps),
		cmocka_unit_test(test_milter_traps),
		cmocka_unit_test(test_rewrite_and_domain_traps),
		cmocka_unit_test(test_hostname_traps),
		cmocka_unit_test(test_loop_traps),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_loglevel),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
