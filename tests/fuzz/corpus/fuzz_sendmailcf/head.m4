dnl head.m4 - the start of every config fixture: a Gmail-style smarthost
dnl setup with every path inside the test directory @DIR@ (substituted by
dnl tests/doctor/run before m4 runs). Fixtures add their one trap between
dnl this and tail.m4 (which holds the MAILER lines).
divert(-1)dnl
divert(0)dnl
define(`MAIL_SETTINGS_DIR', `@DIR@/')dnl
OSTYPE(`debian')dnl
undefine(`confHOST_STATUS_DIRECTORY')dnl
define(`QUEUE_DIR', `@DIR@/mqueue')dnl
define(`STATUS_FILE', `@DIR@/statistics')dnl
define(`confPID_FILE', `@DIR@/sendmail.pid')dnl
define(`ALIAS_FILE', `@DIR@/aliases')dnl
define(`confHOSTS_FILE', `@DIR@/hosts')dnl
define(`confSERVICE_SWITCH_FILE', `@DIR@/service.switch')dnl
define(`confTO_HOSTSTATUS', `0s')dnl
define(`confDONT_PROBE_INTERFACES', `true')dnl
define(`confLOG_LEVEL', `10')dnl
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Family=inet, Name=MTA, Port=2525, Addr=127.0.0.1')dnl
define(`SMART_HOST', `[smtp.gmail.test]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl
define(`confAUTH_OPTIONS', `A p')dnl
define(`confAUTH_MECHANISMS', `EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl
define(`confCACERT_PATH', `@DIR@/certs')dnl
define(`confCACERT', `@DIR@/certs/ca.pem')dnl
FEATURE(`authinfo', `hash -o @DIR@/authinfo.db')dnl
