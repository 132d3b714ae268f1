/*
 * cfcheck.h - find the sendmail configuration traps that keep relayed mail
 *	from leaving, each with the exact line or command that fixes it
 *
 * CONTRACT
 *	cfcheck_run() is pure: it looks only at struct cfcheck_env (the parsed
 *	sendmail.cf and sendmail.mc plus facts gathered beforehand: compile
 *	options, authinfo files, class w files, /etc/hosts, addresses, the
 *	relaymilter configuration, the queue) and appends findings. The same
 *	input always gives the same findings in the same order. A fact the
 *	gatherer could not learn is marked unknown and the checks that need
 *	it are skipped (the gatherer adds a note finding saying why), never
 *	guessed.
 *
 *	cfcheck_gather() (cfgather.c and cfgather_*.c) is the small I/O
 *	layer that fills the environment: it reads files (sendmail.cf, the
 *	.mc and its includes, submit.cf, the TLS options' files, the first two
 *	lines of DefaultAuthInfo's file), runs `sendmail -d0.1 -bt`,
 *	`sendmail -bp`, `dpkg-query` and m4 (the .mc as it is built, and with
 *	its lines after MAILER() moved, on m4's stdin) with a time limit
 *	(runprog.c), resolves the smarthost, lists this host's addresses and
 *	reads the greeting of a smarthost on this host (a connection, nothing
 *	written to it). It never writes a file and never reads a password
 *	into the environment: authinfo entries keep only whether P: is
 *	present, DefaultAuthInfo's password line is wiped unread.
 *
 *	Findings carry a stable id ("smarthost-mx-lookup"), a severity, what
 *	is wrong (specific: names the host, file, line), why it matters, the
 *	fix (the m4 line or command, then how to rebuild), and FILE:LINE when
 *	known. Text taken from the inspected files is sanitized (no control
 *	characters) before it goes into a finding.
 */
#ifndef RM_CFCHECK_H
#define RM_CFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cfdiff.h"
#include "sendmailcf.h"
#include "mcparse.h"
#include "smoutput.h"
#include "util.h"

enum cfc_severity {
	CFS_INFO = 0,		/* worth knowing; does not change the exit status */
	CFS_WARN,		/* mail may be delayed, rewritten or exposed */
	CFS_ERROR		/* mail cannot leave as intended */
};

struct cfc_finding {
	const char	*id;
	enum cfc_severity severity;
	char		*what;
	char		*why;
	char		*fix;		/* may hold several lines */
	char		*file;		/* NULL when not tied to a file */
	unsigned	 line;		/* 0 when unknown */
};

struct cfc_report {
	struct cfc_finding *v;
	size_t		 n;
	int		 err;		/* allocation failure while adding */
};

/* What is known about one file; exists < 0 when stat failed otherwise. */
struct cfc_filestat {
	char		*path;
	int		 exists;	/* 1 yes, 0 no (ENOENT), -1 unknown */
	time_t		 mtime;
	mode_t		 mode;
};

/* One authinfo entry, without its password (authinfo.h's parser refuses
 * entries without P:, and without both U: and I:). */
struct cfc_auth_entry {
	char		*host;		/* key without "AuthInfo:", folded; ""
					 * for the default entry */
	char		*user;		/* U: or NULL when absent */
	char		*authid;	/* I: or NULL when absent */
	char		*mechs;		/* M: or NULL */
	unsigned	 line;
};

struct cfc_authinfo {
	bool		 map_defined;	/* K authinfo ... in sendmail.cf */
	bool		 file_based;	/* hash, btree, dbm, cdb, text */
	bool		 optional;	/* -o */
	unsigned	 map_line;
	struct cfc_filestat source;	/* text file makemap reads */
	struct cfc_filestat db;		/* what sendmail reads */
	bool		 read;		/* source parsed (entries valid) */
	char		*read_error;	/* why it could not be read, or NULL */
	struct cfc_auth_entry *entries;
	size_t		 nentries;
	char		*syntax_error;	/* "FILE:LINE: ..." from the parser */
};

/* A word of class w and where it came from. */
struct cfc_word {
	char		*word;
	char		*file;
	unsigned	 line;
};

/*
 * sendmail.mc as m4 renders it now (cfgather_m4.c): m4's messages, the .cf
 * it gives, and the same .mc with its lines after the first MAILER()
 * moved above it (only when there are such lines).
 */
struct cfc_render {
	bool		 ran;		/* m4 ran and exited (any status) */
	char		*error;		/* why it did not, or NULL */
	char		*cmd;		/* "m4 /etc/mail/sendmail.mc", for texts */
	int		 status;	/* m4's exit status */
	struct m4_msgs	 msgs;		/* what it printed on stderr */
	char		*text;		/* the .cf it wrote */
	bool		 moved_ran;
	char		*moved_text;	/* the .cf of the moved .mc, or NULL */
};

struct cfcheck_env {
	char		*cf_path;
	struct sendmail_cf cf;
	char		*cf_text;	/* sendmail.cf as read */
	time_t		 cf_mtime;
	char		*mc_path;	/* NULL when there is no sendmail.mc */
	bool		 have_mc;
	struct sendmail_mc mc;
	char		*mc_text;	/* the .mc itself (not its includes) */
	time_t		 mc_mtime;
	bool		 mc_includes_cf_m4;	/* Debian style: m4 MC > CF */
	char		*cf_m4_path;	/* the cf.m4 it includes, or NULL */
	/* option names and their m4 names, from proto.m4's _OPTION lines
	 * ("AuthMechanisms" "confAUTH_MECHANISMS") */
	struct cfc_optname {
		char	*option;
		char	*m4;
	}		*optnames;
	size_t		 noptnames;
	bool		 mc_makefile;	/* a Makefile beside the .mc (make -C) */
	struct cfc_render render;

	bool		 have_info;	/* sendmail -d0.1 ran */
	struct sendmail_info info;
	char		*info_error;
	bool		 info_stalled;	/* printed its build options, then hung */
	unsigned	 info_stall_secs;

	int		 sasl_modules;	/* 1 installed, 0 absent, -1 unknown */
	char		*sasl_how;	/* how it was found out */

	int		 cacert_file;	/* CACertFile exists: 1, 0, -1 unknown */
	int		 cacert_path;	/* CACertPath exists: 1, 0, -1 */
	const char	*ca_bundle;	/* this system's CA bundle (Red Hat's
					 * /etc/pki/... or Debian's), or NULL */
	const char	*ca_dir;	/* its directory */

	/* the files of sendmail's TLS options and what they hold (the first
	 * 256 KiB: PEM blocks counted, nothing kept) */
	struct cfc_tlsfile {
		const char	*option;	/* "ServerCertFile", ... */
		char		*path;
		int		 exists;	/* 1, 0, -1 unknown */
		bool		 read;		/* its blocks were counted */
		unsigned	 certs, crls, keys;
	}		 tlsfiles[5];
	size_t		 ntlsfiles;

	/* DefaultAuthInfo's file: its first two lines (user id, the
	 * authentication id); the password line is never read */
	int		 dai_exists;	/* 1, 0, -1 unknown or not set */
	char		*dai_user;
	char		*dai_authid;

	struct cfc_authinfo auth;

	struct cfc_word	*wfile_words;	/* class w words from Fw files */
	size_t		 nwfile_words;

	char		*hostname;	/* gethostname(), or NULL */
	char		*hosts_path;
	char		*hosts_text;	/* NULL when unreadable */

	bool		 smarthost_resolved;
	char		*resolve_error;
	char		**smarthost_addrs;
	size_t		 nsmarthost_addrs;
	char		**local_addrs;	/* this host's interface addresses */
	size_t		 nlocal_addrs;
	/* the smarthost when it is on this host: who answers there */
	char		*local_relay_addr;	/* the address tried, or NULL */
	int		 local_relay_port;
	int		 local_relay_state;	/* 1 greeted, 0 refused, -1 timeout
						 * or error */
	char		*local_relay_greeting;	/* its first line, sanitized */
	/* the MSP (submit.cf beside sendmail.cf): where it hands mail to */
	bool		 have_msp;
	char		*msp_host;	/* MTAHost ("[127.0.0.1]" brackets off) */
	int		 msp_port;

	bool		 have_rm;	/* relaymilter.conf read (or absent:
					 * rm_defaults, its defaults apply) */
	bool		 rm_defaults;
	char		*rm_path;
	char		*rm_error;	/* why it could not be read */
	char		*rm_socket;
	unsigned long	 rm_dns_timeout;	/* seconds */
	char		*rm_relay_account;
	char		*rm_authinfo_file;	/* AuthInfoFile, NULL when unset */
	char		*rm_sender_map;		/* SenderMap, NULL when unset */
	int		 rm_rewrite_from;	/* RewriteHeaderFrom: HFROM_* */

	bool		 have_mailq;
	struct mailq	 mailq;
	char		*mailq_error;

	time_t		 now;
};

void		 cfcheck_env_init(struct cfcheck_env *env);
void		 cfcheck_env_free(struct cfcheck_env *env);

/* Run every check; findings are appended in a fixed order. -1 on
 * allocation failure (report->err set), else 0. */
int		 cfcheck_run(const struct cfcheck_env *env,
		    struct cfc_report *r);
void		 cfc_report_free(struct cfc_report *r);
/* Highest severity present, or -1 when there is no finding. */
int		 cfc_report_worst(const struct cfc_report *r);
const char	*cfc_severity_name(enum cfc_severity s);
/* Find a finding by id (tests, the probe's default target). */
const struct cfc_finding *cfc_report_find(const struct cfc_report *r,
		    const char *id);

/* Parse a milter T= list "C:5m;S:10s;R:10s;E:5m": -1 on bad syntax, else
 * the four timeouts in seconds (sendmail's defaults for missing ones). */
struct cfc_milter_timeouts {
	unsigned long	 connect, send, read, eom;
};
int		 cfc_milter_timeouts(const char *t,
		    struct cfc_milter_timeouts *out);

/* Is this textual address one of this host's (loopback nets included)? */
bool		 cfc_addr_is_local(const struct cfcheck_env *env,
		    const char *addr);

/*
 * The I/O layer (cfgather.c). Paths are NULL for the defaults
 * (/etc/mail/sendmail.cf, the .mc beside it, /etc/hosts, /usr/sbin/sendmail,
 * relaymilter's default configuration file).
 */
struct cfcheck_paths {
	const char	*cf;
	const char	*mc;		/* "" to ignore sendmail.mc */
	const char	*hosts;
	const char	*sendmail;
	const char	*rm_conf;
	const char	*hostname;	/* override gethostname() */
	bool		 no_mailq;	/* do not run sendmail -bp */
	bool		 no_exec;	/* run no program at all */
	unsigned	 timeout_ms;	/* per program; 0: 10 s */
};

/* 0 when sendmail.cf was read (everything else is best effort), -1 with
 * err set ("FILE: reason") when it could not be. */
int		 cfcheck_gather(const struct cfcheck_paths *paths,
		    struct cfcheck_env *env, strbuf *err);

#endif
