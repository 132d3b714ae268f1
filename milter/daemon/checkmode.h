/*
 * checkmode.h - `relaymilter -n`: what the configuration will do
 *
 * CONTRACT
 *	Checks the configuration and every file it names, then says what the
 *	daemon will do with it, from the facts sendmail will act on:
 *	  - every file is tried as the user the daemon runs as (UserID, else,
 *	    for root, the user of relaymilter.service: RM_UNIT_USER), in a
 *	    child that becomes that user; a file it cannot read (or a trace
 *	    key directory it cannot create the key in) is an error with the
 *	    exact commands that fix it (runas_fix);
 *	  - the route from sendmail.cf (--cf FILE, default
 *	    /etc/mail/sendmail.cf): the smarthost of DS as {rcpt_host} shows
 *	    it, its mailer (which must be in RelayMailers) and port;
 *	  - the authinfo key sendmail looks up for that host and the entry it
 *	    finds, and whether AuthInfoFile is the file sendmail.cf's
 *	    FEATURE(authinfo) map reads;
 *	  - and, last, one line per relay: "relayed mail from a trusted client
 *	    will leave as <ADDRESS> via RELAY", or why it will not be
 *	    rewritten, with the setting that changes it (policy_decide() on a
 *	    sample message, so it is what the milter decides).
 *	Errors go to stderr as "relaymilter: ..." and give exit 1; warnings go
 *	to stderr and keep exit 0; the report goes to stdout.
 */
#ifndef RM_CHECKMODE_H
#define RM_CHECKMODE_H

/* The user and group relaymilter.service runs the daemon as. */
#define RM_UNIT_USER	"relaymilter:smmsp"

int	checkmode_run(const char *config_path, const char *socket_override,
	    const char *cf_path);

#endif
