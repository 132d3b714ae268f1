/*
 * log.h - syslog set-up and the one formatter for sendmail-style lines
 *
 * CONTRACT
 *	Every line relaymilter logs goes through log_msg(): "QID: text" when
 *	the queue id is known, "text" otherwise. The formatted text is
 *	sanitised (no CR, LF or other control characters) before it reaches
 *	syslog, so no input can forge a second log line.
 *
 *	kvline builds the decision line: "key=value, key=value, ...". Keys are
 *	fixed words from the code; values are sanitised and double-quoted
 *	(with \" and \\ escapes) when they contain a space, comma, quote,
 *	backslash or '='. Angle-bracket addresses such as <a@b> are left as
 *	they are. A kvline holds its first KV_BUF bytes itself (a caller's
 *	stack): a usual line is built and written with no allocation, a longer
 *	one moves to the heap (never truncated). A kvline is not copied or
 *	moved after kv_init(); kv_free() is right on both paths.
 */
#ifndef RM_LOG_H
#define RM_LOG_H

#include <stdbool.h>
#include <string.h>
#include <syslog.h>

#include "util.h"

/* Open the log: ident "relaymilter", facility by name ("mail"...). With
 * use_syslog false, lines go to standard error with a time stamp. */
int	log_open(const char *ident, const char *facility, bool use_syslog);
void	log_close(void);
bool	log_to_syslog(void);
void	log_msg(int prio, const char *qid, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Facility number by name, -1 when unknown. */
int	log_facility(const char *name);
/* The name lines start with ("relaymilter" until log_open() or this
 * sets another; ident is kept, not copied). */
void	log_set_ident(const char *ident);
/* A command-line program's message to its user, as OpenSMTPD's
 * log_warnx(): "IDENT: text" and a newline on standard error, nothing
 * else (for the tools' diagnostics, not for mail log lines). */
void	log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#define KV_BUF	640		/* a decision line is ~200-400 bytes */

struct kvline {
	strbuf	sb;
	int	n;
	char	buf[KV_BUF];	/* sb's first storage */
};

void	kv_init(struct kvline *kv);
void	kv_free(struct kvline *kv);
/* kv_add() with the key's length (strlen(key)); kv_add() passes it, which
 * the compiler works out for a literal key. */
void	kv_addn(struct kvline *kv, const char *key, size_t klen,
	    const char *value);
static inline void
kv_add(struct kvline *kv, const char *key, const char *value)
{
	kv_addn(kv, key, strlen(key), value);
}
void	kv_addf(struct kvline *kv, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Append "key=<addr>" (an envelope address, sanitised; brackets already
 * there are kept, not doubled). Quoted like kv_add when the address holds a
 * space, comma, '"', '\\' or '=' (a quoted local part): key="<...>". */
void	kv_add_angle(struct kvline *kv, const char *key, const char *addr);
/* Log a finished key=value line (its values are already sanitised). */
void	kv_log(int prio, const char *qid, const struct kvline *kv);
/* The line so far ("" after an allocation failure). */
const char *kv_str(const struct kvline *kv);

#endif
