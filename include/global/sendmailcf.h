/*
 * sendmailcf.h - read sendmail.cf
 *
 * CONTRACT
 *	Pure parsers over text already in memory: no file or process I/O, no
 *	global state. They never abort and never cut a value short; a line
 *	they cannot read is skipped and counted (nskipped) with its number,
 *	never guessed at. Every parsed item keeps its 1-based line number so
 *	findings can say FILE:LINE.
 *
 *	sendmail.cf: continuation lines (starting with space or TAB) are
 *	joined to the line before; `#` lines are comments, except that the
 *	"#####  $Id: NAME.m4,v" banners m4 leaves are recorded as features.
 *	Read: macros (`DS`, `Dj`, `D{name}`), options (`O Name=value`; the
 *	one-letter form is ignored), mailers (`Mname, P=..., F=..., A=...`,
 *	fields split at commas outside double quotes, keyed by their first
 *	letter as sendmail does), milters (`Xname, S=..., F=..., T=...`),
 *	maps (`Kname type args`), class w (`Cw`, `C{w}`, `Fw`, `F{w}`), the
 *	rulesets defined (`Sname`) and
 *	whether ruleset MasqEnv hands envelope senders to MasqHdr (what
 *	FEATURE(masquerade_envelope) does).
 */
#ifndef RM_SENDMAILCF_H
#define RM_SENDMAILCF_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct cf_kv {
	char		*name;
	char		*value;
	unsigned	 line;
};

struct cf_mailer {
	char		*name;
	struct cf_kv	*fields;	/* name = one-letter code ("P", "F", "A") */
	size_t		 nfields;
	unsigned	 line;
};

struct cf_milter {
	char		*name;
	char		*socket;	/* S= value or NULL */
	char		*flags;		/* F= value or NULL */
	char		*timeouts;	/* T= value or NULL */
	unsigned	 line;
};

struct cf_map {
	char		*name;
	char		*type;		/* "hash", "btree", "ldap", ... */
	char		*file;		/* first argument not starting with '-',
					 * or NULL */
	bool		 optional;	/* -o */
	char		*args;		/* everything after the type */
	unsigned	 line;
};

struct cf_classfile {
	char		*path;		/* a file, "|program" or "@map" as written */
	char		*format;	/* scanf format or NULL */
	bool		 optional;	/* -o */
	unsigned	 line;
};

struct sendmail_cf {
	struct cf_kv	*macros;	/* name is "S", "j" or "{name}" without braces */
	size_t		 nmacros;
	struct cf_kv	*options;	/* long names only */
	size_t		 noptions;
	struct cf_mailer *mailers;
	size_t		 nmailers;
	struct cf_milter *milters;
	size_t		 nmilters;
	struct cf_map	*maps;
	size_t		 nmaps;
	struct cf_kv	*class_w;	/* one word each; value is NULL */
	size_t		 nclass_w;
	struct cf_classfile *class_w_files;
	size_t		 nclass_w_files;
	struct cf_kv	*features;	/* "authinfo", "masquerade_envelope", ... */
	size_t		 nfeatures;
	struct cf_kv	*rulesets;	/* "S" lines: name ("authinfo", "Parse0"
					 * of "SParse0=0"); value is NULL */
	size_t		 nrulesets;
	bool		 masq_envelope;	/* MasqEnv calls MasqHdr */
	unsigned	 masq_envelope_line;
	unsigned	*skipped;	/* lines not understood */
	size_t		 nskipped;
};

/* 0 on success, -1 on allocation failure (err set). */
int		 cf_parse(const char *text, struct sendmail_cf *cf, strbuf *err);
void		 cf_free(struct sendmail_cf *cf);

/* Lookups; NULL when absent. Option and mailer names compare
 * case-insensitively, as sendmail does for option names. */
const struct cf_kv	*cf_macro(const struct sendmail_cf *cf, const char *name);
const struct cf_kv	*cf_option(const struct sendmail_cf *cf, const char *name);
const struct cf_mailer	*cf_mailer(const struct sendmail_cf *cf, const char *name);
const char		*cf_mailer_field(const struct cf_mailer *m, char code);
const struct cf_map	*cf_map(const struct sendmail_cf *cf, const char *name);
const struct cf_milter	*cf_milter(const struct sendmail_cf *cf, const char *name);
const struct cf_kv	*cf_feature(const struct sendmail_cf *cf, const char *name);
const struct cf_kv	*cf_ruleset(const struct sendmail_cf *cf, const char *name);
/*
 * A sendmail time interval ("5d", "1h30m", "2w"; a number without a unit
 * is in defunit: s m h d w) in seconds, as sendmail's convtime() reads
 * it; -1 when it is not one.
 */
long			 cf_interval(const char *s, char defunit);
/*
 * Timeout.queuereturn for mail of normal precedence, in seconds: the
 * last Timeout.queuereturn.normal or Timeout.queuereturn option (5 days,
 * sendmail's default, when neither is set: *line 0). How long a message
 * may stay queued, counted from when it was queued, before a failed
 * attempt returns it to the sender.
 */
long			 cf_queuereturn(const struct sendmail_cf *cf,
			    unsigned *line);
/* All values of an option that may repeat (DaemonPortOptions), in order. */
size_t			 cf_options_all(const struct sendmail_cf *cf,
			    const char *name, const struct cf_kv **out,
			    size_t max);

/*
 * The smarthost as sendmail uses it, from DS. The value is "mailer:hosts"
 * (MailerToTriple splits at the first ':' unless the value starts with
 * '['; "relay" without a prefix), and hosts is sendmail's host signature:
 * a list of hosts separated by ':', tried in turn, each bracketed or not
 * ("[h]" skips the MX lookup). A port cannot be written there: in
 * "smtp:[smtp.example.com]:587" the mailer is "smtp" and "587" is a second
 * host, tried when [smtp.example.com] fails (seed 003's capture shows
 * sendmail doing so). The port is the one in the mailer's A= "TCP $h
 * PORT" (25 when absent; 0 when the mailer does not exist or A= is not
 * TCP/IPC with a numeric or known service port); port_word is that third
 * word as written ("587", "smtp", "$p": sendmail's process id).
 */
struct cf_smarthost {
	char		*raw;		/* DS value as written ("" when empty) */
	char		*mailer;	/* "relay" unless DS says "mailer:host" */
	char		*host;		/* the first host, without brackets and
					 * trailing dot */
	bool		 bracketed;
	char		*rest;		/* the hosts after the first (":"
					 * dropped: "587" of "[h]:587"), or NULL */
	char		*port_word;	/* third word of the mailer's A=, or NULL */
	int		 port;
	unsigned	 line;		/* line of DS, 0 when absent */
	unsigned	 mailer_line;	/* line of the mailer definition or 0 */
};

/* 0 when DS exists and names a host, 1 when DS is absent or empty (sh
 * then has raw/line only), -1 on allocation failure. */
int		 cf_smarthost(const struct sendmail_cf *cf, struct cf_smarthost *sh);
void		 cf_smarthost_free(struct cf_smarthost *sh);
/* Port of a mailer: A=TCP $h PORT or A=IPC $h PORT (a number or a
 * service name cf_port_number knows); 25 without PORT; 0 for a mailer that
 * does not connect over TCP or an unknown port. */
int		 cf_mailer_port(const struct cf_mailer *m);
/* The PORT word of a TCP/IPC mailer's A= as written (malloc), NULL when
 * there is none or the mailer does not connect over TCP; *nomem is set
 * when allocation failed. */
char		*cf_mailer_port_word(const struct cf_mailer *m, bool *nomem);
/* "smtp" 25, "submission" 587, "smtps"/"submissions" 465 or a number;
 * -1 otherwise. */
int		 cf_port_number(const char *s);

#endif
