/*
 * log.c - syslog or stderr output, and the key=value line formatter
 *
 * CONTRACT
 *	See log.h. Thread-safe: syslog(3) is, and the stderr path
 *	writes each line with one fwrite under the stdio lock; its time
 *	stamp is formatted once a second per thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

static bool log_syslog = false;
static const char *log_ident = "relaymilter";

static const struct {
	const char	*name;
	int		 value;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int
log_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (str_ieq(facilities[i].name, name))
			return facilities[i].value;
	return -1;
}

int
log_open(const char *ident, const char *facility, bool use_syslog)
{
	int fac = log_facility(facility);

	if (fac < 0)
		return -1;
	log_ident = ident;
	if (log_syslog)
		closelog();
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, fac);
	return 0;
}

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs(log_ident, stderr);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool
log_to_syslog(void)
{
	return log_syslog;
}

void
log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
}

/* Write one finished, sanitised line. */
static void
emit(int prio, const strbuf *sb)
{
	/* the stamp of this thread's last line: written once a second */
	static _Thread_local time_t ts_when = (time_t)-1;
	static _Thread_local char ts[32];
	struct tm tm;
	time_t now;
	strbuf out;

	if (log_syslog) {
		syslog(prio, "%s", sb->s);
		return;
	}
	now = time(NULL);
	if (now != ts_when) {
		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		ts_when = now;
	}
	sb_init(&out);
	sb_reserve(&out, sizeof(ts) + strlen(log_ident) + sb->len + 4);
	sb_puts(&out, ts);
	sb_putc(&out, ' ');
	sb_puts(&out, log_ident);
	sb_append(&out, ": ", 2);
	sb_append(&out, sb->s, sb->len);
	sb_putc(&out, '\n');
	if (!out.err)
		fwrite(out.s, 1, out.len, stderr);	/* one write per line */
	sb_free(&out);
}

/* Start a line with room for more bytes after the queue id. */
static void
start_line(strbuf *sb, const char *qid, size_t more)
{
	sb_init(sb);
	if (more > 0)
		sb_reserve(sb, (qid != NULL ? strlen(qid) + 2 : 0) + more);
	if (qid != NULL && *qid != '\0') {
		sb_puts_sanitized(sb, qid);
		sb_append(sb, ": ", 2);
	}
}

void
log_msg(int prio, const char *qid, const char *fmt, ...)
{
	strbuf sb;
	va_list ap;

	start_line(&sb, qid, 0);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (sb.err) {
		sb_free(&sb);
		if (log_syslog)
			syslog(LOG_ERR, "%s: out of memory while logging",
			    qid ? qid : "NOQUEUE");
		return;
	}
	sanitize_inplace(sb.s);
	sb.len = strlen(sb.s);
	emit(prio, &sb);
	sb_free(&sb);
}

void
kv_init(struct kvline *kv)
{
	sb_init(&kv->sb);
	(void)sb_reserve(&kv->sb, 480);	/* a decision line, in one go */
	kv->n = 0;
}

void
kv_free(struct kvline *kv)
{
	sb_free(&kv->sb);
	kv->n = 0;
}

/*
 * The class of each byte in a value: KV_CTL for what sanitising drops (TAB
 * becomes a space; NUL ends the value; the rule of util.h's ch_ctl()), KV_QUOTE for what makes the value
 * quoted, KV_ESC for what is escaped inside the quotes. Quoting is decided
 * on the sanitised value: TAB quotes it (it is a space there), a value with
 * nothing left is written as "".
 */
enum { KV_CTL = 1, KV_QUOTE = 2, KV_ESC = 4 };
#define C_	KV_CTL
#define T_	(KV_CTL | KV_QUOTE)
#define Q_	KV_QUOTE
#define E_	(KV_QUOTE | KV_ESC)
static const unsigned char kv_class[256] = {
	C_, C_, C_, C_, C_, C_, C_, C_, C_, T_, C_, C_, C_, C_, C_, C_,
	C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_,
	Q_, 0,  E_, 0,  0,  0,  0,  0,  0,  0,  0,  0,  Q_, 0,  0,  0,	/*  ", */
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  Q_, 0,  0,	/* = */
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  E_, 0,  0,  0,	/* \ */
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  C_,	/* DEL */
	/* 0x80-0xff: 0, UTF-8 passes unchanged */
};
#undef C_
#undef T_
#undef Q_
#undef E_

/* The length of the leading bytes of v that are written as they are. */
static size_t
plain_len(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	while (kv_class[*p] == 0)
		p++;
	return (size_t)(p - (const unsigned char *)v);
}

/*
 * Start a field: ", key=" (no comma before the first one) and the n bytes
 * at v, with room for more bytes after them. One reservation, then the
 * pieces are copied into the line's buffer without a growth check each.
 */
static void
field_start(struct kvline *kv, const char *key, const char *v, size_t n,
    size_t more)
{
	strbuf *sb = &kv->sb;
	size_t klen = strlen(key);
	char *d;

	if (sb_reserve(sb, 2 + klen + 1 + n + more) < 0)
		return;
	d = sb->s + sb->len;
	if (kv->n++ > 0) {
		memcpy(d, ", ", 2);
		d += 2;
	}
	memcpy(d, key, klen);
	d += klen;
	*d++ = '=';
	memcpy(d, v, n);
	d += n;
	*d = '\0';
	sb->len = (size_t)(d - sb->s);
}

/* The value from its first byte that is not plain (at v + n): drop control
 * characters, and quote and escape when needs be (see kv_class). */
static void
add_value(struct kvline *kv, const char *key, const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v + n, *run;
	bool quote = false, any = n > 0;

	for (run = p; *run != '\0'; run++) {
		if (kv_class[*run] & KV_QUOTE) {
			quote = true;
			break;
		}
		if (!(kv_class[*run] & KV_CTL))
			any = true;
	}
	quote = quote || !any;
	field_start(kv, key, "\"", quote ? 1 : 0, n + strlen((const char *)p) +
	    1);
	sb_append(&kv->sb, v, n);
	/* unquoted, the value holds neither TAB nor a byte to escape */
	for (run = p;; p++) {
		while (!(kv_class[*p] & (KV_CTL | KV_ESC)))
			p++;
		sb_append(&kv->sb, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '\t')
			sb_putc(&kv->sb, ' ');
		else if (kv_class[*p] & KV_ESC) {
			sb_putc(&kv->sb, '\\');
			sb_putc(&kv->sb, *p);
		}
		run = p + 1;
	}
	if (quote)
		sb_putc(&kv->sb, '"');
}

void
kv_add(struct kvline *kv, const char *key, const char *value)
{
	size_t n;

	if (value == NULL)
		return;
	n = plain_len(value);
	if (value[n] == '\0' && n > 0) {	/* the usual case: as it is */
		field_start(kv, key, value, n, 0);
		return;
	}
	add_value(kv, key, value, n);
}

void
kv_addf(struct kvline *kv, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = str_vprintf(fmt, ap);
	va_end(ap);
	kv_add(kv, key, v != NULL ? v : "");
	free(v);
}

void
kv_add_angle(struct kvline *kv, const char *key, const char *addr)
{
	strbuf v;
	size_t n;
	bool plain, bracketed;

	if (addr == NULL)
		return;
	/* a sender that could not be parsed comes as sendmail gave it */
	n = plain_len(addr);
	plain = addr[n] == '\0';
	if (!plain)
		n += strlen(addr + n);
	bracketed = n >= 2 && addr[0] == '<' && addr[n - 1] == '>';
	if (plain) {			/* the usual case: no copy */
		if (bracketed) {
			field_start(kv, key, addr, n, 0);
			return;
		}
		field_start(kv, key, "<", 1, n + 1);
		sb_append(&kv->sb, addr, n);
		sb_putc(&kv->sb, '>');
		return;
	}
	/*
	 * A quoted local part may hold ", key=value": quote the whole
	 * "<addr>" like any other value, so that no text of the sender can
	 * pose as a field of the line.
	 */
	sb_init(&v);
	if (!bracketed)
		sb_putc(&v, '<');
	sb_append(&v, addr, n);
	if (!bracketed)
		sb_putc(&v, '>');
	if (v.err) {
		kv->sb.err = 1;
		sb_free(&v);
		return;
	}
	kv_add(kv, key, v.s);
	sb_free(&v);
}

void
kv_log(int prio, const char *qid, const struct kvline *kv)
{
	strbuf sb;

	if (kv->sb.err)
		return;
	start_line(&sb, qid, kv->sb.len);
	sb_append(&sb, kv->sb.s, kv->sb.len);	/* kv_add sanitised it */
	if (!sb.err)
		emit(prio, &sb);
	sb_free(&sb);
}

const char *
kv_str(const struct kvline *kv)
{
	return kv->sb.err ? "" : kv->sb.s;
}
