/*
 * causes.h - the catalogue of relay failure causes, each with a one-line fix
 *
 * CONTRACT
 *	One static table (causes.c) is the only place where causes are
 *	named, described and given a fix. relaymilter-trace classifies maillog
 *	delivery results with it; relaymilter-doctor reports probe failures
 *	with the same entries (cause_by_id), so a user sees the same words
 *	from both tools.
 *
 *	cause_classify() is pure: it looks only at its input, never at global
 *	state, and returns NULL when no entry matches; with CAUSE_F_FAILED
 *	(a failed delivery) it always names one ("unexplained" at worst), so
 *	a tool never prints a cause id that --list-causes lacks. Matching is anchored on SMTP reply
 *	codes and enhanced status codes first, then on short text patterns,
 *	case-insensitively. Every entry carries its own match rules; the entry
 *	whose best rule is the most specific (reply code, enhanced code, text,
 *	port, phase, flags all count) wins, ties going to the earlier entry.
 *
 *	relaymilter's own verdicts from its decision line are classified with
 *	phase CAUSE_PHASE_POLICY and the verdict as text in `extra`, one at a
 *	time: "spf=fail", "spf=softfail", "spf=permerror", "spf=temperror",
 *	"align=fail", "result=tempfail", "result=failopen", "budget=warn"
 *	(LimitWarn crossed), "budget=over" (over the relay budget). Policy entries
 *	match only in that phase, so a remote reply that happens to contain
 *	"spf=fail" is not mistaken for a local prediction.
 */
#ifndef RM_CAUSES_H
#define RM_CAUSES_H

#include <stdbool.h>
#include <stddef.h>

enum cause_severity {
	CAUSE_INFO = 0,		/* worth knowing, mail flows */
	CAUSE_WARN,		/* mail delayed or predicted to fail */
	CAUSE_ERROR		/* mail bounced or cannot leave */
};

/* Which part of the delivery produced the evidence, when known. */
enum cause_phase {
	CAUSE_PHASE_ANY = 0,
	CAUSE_PHASE_CONNECT,	/* DNS, TCP connect, greeting */
	CAUSE_PHASE_TLS,	/* STARTTLS handshake, certificate */
	CAUSE_PHASE_AUTH,	/* SMTP AUTH */
	CAUSE_PHASE_MAIL,	/* MAIL FROM */
	CAUSE_PHASE_RCPT,	/* RCPT TO */
	CAUSE_PHASE_DATA,	/* DATA and end of data */
	CAUSE_PHASE_LOCAL,	/* inside sendmail: milter, queue, config */
	CAUSE_PHASE_POLICY	/* relaymilter's own SPF/alignment verdicts */
};

struct cause {
	const char		*id;		/* stable token, e.g. "auth-app-password" */
	enum cause_severity	 severity;
	enum cause_phase	 phase;
	const char		*summary;	/* what happened, one line */
	const char		*fix;		/* what to do, one line */
};

/* What is known about one failed (or suspicious) delivery attempt. */
struct cause_input {
	const char	*reply;		/* full server reply, "534 5.7.9 ...", or NULL */
	const char	*stat;		/* sendmail stat= text, or NULL */
	const char	*dsn;		/* enhanced status "4.4.1", or NULL */
	const char	*relay_host;	/* smarthost name, or NULL */
	int		 port;		/* relay port when known, else 0 */
	enum cause_phase phase;		/* CAUSE_PHASE_ANY when unknown */
	const char	*extra;		/* other evidence text (AUTH=client or
					 * STARTTLS=client line, milter line) */
	unsigned	 flags;		/* CAUSE_F_* below; 0 when unknown */
};

/* cause_input.flags: what the caller found around the line */
#define CAUSE_F_CACHED	0x01	/* no connection was attempted: the status
				 * is sendmail's cached host status */
#define CAUSE_F_PORT_DEAD 0x02	/* no connection on this port to any
				 * destination worked around the failure */
#define CAUSE_F_OTHERS_OK 0x04	/* connections on this port to other
				 * destinations worked around the failure */
#define CAUSE_F_LOCAL_DOMAIN 0x08 /* a recipient in the relay account's
				 * domain went to the local mailer */
#define CAUSE_F_FAILED	0x10	/* the input is a failed delivery: never
				 * NULL, "unexplained" at worst */

/*
 * What is known of the set-up (sendmail.cf, or the log), to choose among
 * a cause's fixes (cause_fix): a fix for a set-up is used when all of its
 * bits are known, else the cause's general fix.
 */
#define CAUSE_SETUP_SMARTHOST	0x01	/* mail leaves through a smarthost */
#define CAUSE_SETUP_DIRECT	0x02	/* to the recipients' MX, no smarthost */
#define CAUSE_SETUP_HOSTSTAT	0x04	/* sendmail.cf sets HostStatusDirectory */
#define CAUSE_SETUP_NO_HOSTSTAT	0x08	/* sendmail.cf read, without it */

const struct cause	*cause_classify(const struct cause_input *in);
/* The fix of c for what is known of the set-up (CAUSE_SETUP_* bits);
 * c->fix when no variant fits, NULL for NULL. */
const char		*cause_fix(const struct cause *c, unsigned setup);
const struct cause	*cause_by_id(const char *id);
/* The fallback of a failure nothing else names ("unexplained"). */
const struct cause	*cause_unexplained(void);
size_t			 cause_count(void);
const struct cause	*cause_at(size_t i);
const char		*cause_severity_name(enum cause_severity s);

#endif
