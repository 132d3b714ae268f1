/*
 * log.c - syslog or stderr output, and the key=value line formatter
 *
 * CONTRACT
 *	See log.h. Thread-safe: syslog(3) is, and the stderr path
 *	writes each line with one fwrite under the stdio lock; its time
 *	stamp is formatted once a second per thread.
 */
#include <stdarg.h>
#include <stdint.h>
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

/*
 * Write one line: "QID: " (sanitised; none when qid is NULL or "") and the n
 * sanitised bytes at text, copied once into a line on the stack (the heap
 * for a longer one), written with one syslog() or one fwrite() under the
 * stdio lock. Nothing is written after an allocation failure.
 */
static void
emit(int prio, const char *qid, const char *text, size_t n)
{
	/* the stamp of this thread's last line: written once a second */
	static _Thread_local time_t ts_when = (time_t)-1;
	static _Thread_local char ts[32];
	static _Thread_local size_t ts_len;
	char buf[KV_BUF + 128];
	struct tm tm;
	time_t now;
	strbuf out;

	sb_init_buf(&out, buf, sizeof(buf));
	if (!log_syslog) {
		now = time(NULL);
		if (now != ts_when) {
			localtime_r(&now, &tm);
			ts_len = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
			    &tm);
			ts_when = now;
		}
		sb_append(&out, ts, ts_len);
		sb_putc(&out, ' ');
		sb_puts(&out, log_ident);
		sb_append(&out, ": ", 2);
	}
	if (qid != NULL && *qid != '\0') {
		sb_puts_sanitized(&out, qid);
		sb_append(&out, ": ", 2);
	}
	sb_append(&out, text, n);
	if (log_syslog) {
		if (!out.err)
			syslog(prio, "%s", out.s);
	} else {
		sb_putc(&out, '\n');
		if (!out.err)	/* one write per line */
			fwrite(out.s, 1, out.len, stderr);
	}
	sb_free(&out);
}

void
log_msg(int prio, const char *qid, const char *fmt, ...)
{
	char buf[512];
	strbuf sb;
	va_list ap;

	sb_init_buf(&sb, buf, sizeof(buf));
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
	emit(prio, qid, sb.s, strlen(sb.s));
	sb_free(&sb);
}

void
kv_init(struct kvline *kv)
{
	sb_init_buf(&kv->sb, kv->buf, sizeof(kv->buf));
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
static inline __attribute__((always_inline)) size_t
plain_len(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	/* four bytes a turn, each checked before the next is read (NUL is
	 * not plain: nothing past the end is read) */
	for (;; p += 4) {
		if (kv_class[p[0]] != 0)
			break;
		if (kv_class[p[1]] != 0)
			return (size_t)(p + 1 - (const unsigned char *)v);
		if (kv_class[p[2]] != 0)
			return (size_t)(p + 2 - (const unsigned char *)v);
		if (kv_class[p[3]] != 0)
			return (size_t)(p + 3 - (const unsigned char *)v);
	}
	return (size_t)(p - (const unsigned char *)v);
}

/* Copy n bytes from s to d (they do not overlap): the short keys and values
 * of a line with a few moves instead of a call; each move stays within the
 * n bytes. */
static inline void
copy_short(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t e, f;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&e, s, 4);
		memcpy(&f, s + n - 4, 4);
		memcpy(d, &e, 4);
		memcpy(d + n - 4, &f, 4);
	} else if (n < 4) {
		while (n-- > 0)
			*d++ = *s++;
	} else
		memcpy(d, s, n);
}

/*
 * Start a field: ", key=" (no comma before the first one) and the n bytes
 * at v, with room for more bytes after them. One reservation, then the
 * pieces are copied into the line's buffer without a growth check each.
 */
static void
field_start(struct kvline *kv, const char *key, size_t klen, const char *v,
    size_t n, size_t more)
{
	strbuf *sb = &kv->sb;
	char *d;

	if (sb_reserve(sb, 2 + klen + 1 + n + more) < 0)
		return;
	d = sb->s + sb->len;
	if (kv->n++ > 0) {
		memcpy(d, ", ", 2);
		d += 2;
	}
	copy_short(d, key, klen);
	d += klen;
	*d++ = '=';
	copy_short(d, v, n);
	d += n;
	*d = '\0';
	sb->len = (size_t)(d - sb->s);
}

/* The value from its first byte that is not plain (at v + n): drop control
 * characters, and quote and escape when needs be (see kv_class). */
static void
add_value(struct kvline *kv, const char *key, size_t klen, const char *v,
    size_t n)
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
	field_start(kv, key, klen, "\"", quote ? 1 : 0, n +
	    strlen((const char *)p) + 1);
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
kv_addn(struct kvline *kv, const char *key, size_t klen, const char *value)
{
	size_t n;

	if (value == NULL)
		return;
	n = plain_len(value);
	if (value[n] == '\0' && n > 0) {	/* the usual case: as it is */
		field_start(kv, key, klen, value, n, 0);
		return;
	}
	add_value(kv, key, klen, value, n);
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
	char buf[256];
	strbuf v;
	size_t n, klen;
	bool plain, bracketed;

	if (addr == NULL)
		return;
	/* a sender that could not be parsed comes as sendmail gave it */
	n = plain_len(addr);
	plain = addr[n] == '\0';
	if (!plain)
		n += strlen(addr + n);
	bracketed = n >= 2 && addr[0] == '<' && addr[n - 1] == '>';
	klen = strlen(key);
	if (plain) {			/* the usual case: no copy */
		if (bracketed) {
			field_start(kv, key, klen, addr, n, 0);
			return;
		}
		field_start(kv, key, klen, "<", 1, n + 1);
		sb_append(&kv->sb, addr, n);
		sb_putc(&kv->sb, '>');
		return;
	}
	/*
	 * A quoted local part may hold ", key=value": quote the whole
	 * "<addr>" like any other value, so that no text of the sender can
	 * pose as a field of the line.
	 */
	sb_init_buf(&v, buf, sizeof(buf));
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
	kv_addn(kv, key, klen, v.s);
	sb_free(&v);
}

void
kv_log(int prio, const char *qid, const struct kvline *kv)
{
	if (kv->sb.err)
		return;
	emit(prio, qid, kv->sb.s, kv->sb.len);	/* kv_add sanitised it */
}

const char *
kv_str(const struct kvline *kv)
{
	return kv->sb.err ? "" : kv->sb.s;
}
