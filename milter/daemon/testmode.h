/*
 * testmode.h - `relaymilter -T SENDER`: what the milter would decide
 *
 * CONTRACT
 *	Loads the configuration and its files exactly as the daemon does
 *	(without creating the trace key), pretends a trusted local submitter
 *	sends from SENDER to a recipient that leaves via the relay (--relay
 *	HOST, else the smarthost of sendmail.cf's DS line (--cf FILE,
 *	default /etc/mail/sendmail.cf), else the first authinfo host, else
 *	"smarthost"), with a From:
 *	in the --from domain (or address) when given, and prints the decision
 *	and the checks. With --to ADDR the recipient is ADDR as sendmail
 *	itself routes it (`sendmail -C CF -bv ADDR`: aliases, class w,
 *	mailertable, the smarthost): each address it becomes, with its
 *	mailer and host, is said and goes into the decision, and one
 *	delivered on this host names its class w line (LOCAL_DOMAIN) when its
 *	domain is there. Otherwise it needs no sendmail. Exit 0 when the
 *	decision could be made, 1 on a configuration error.
 */
#ifndef RM_TESTMODE_H
#define RM_TESTMODE_H

int	testmode_run(const char *config_path, const char *sender,
	    const char *from, const char *relay, const char *cf_path,
	    const char *to);

#endif
