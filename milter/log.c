/*
 * log.c - syslog or stderr output, and the key=value line formatter
 *
 * CONTRACT
 *	See include/log.h. Thread-safe: syslog(3) is, and the stderr path
 *	writes each line with one fprintf under the stdio lock.
 */
#include <stdarg.h>
#include <stdio.h>
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

void
log_msg(int prio, const char *qid, const char *fmt, ...)
{
	strbuf sb;
	va_list ap;
	char ts[32];
	struct tm tm;
	time_t now;

	sb_init(&sb);
	if (qid != NULL && *qid != '\0') {
		sb_puts_sanitized(&sb, qid);
		sb_puts(&sb, ": ");
	}
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
	if (log_syslog) {
		syslog(prio, "%s", sb.s);
	} else {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s %s: %s\n", ts, log_ident, sb.s);
	}
	sb_free(&sb);
}

void
kv_init(struct kvline *kv)
{
	sb_init(&kv->sb);
	kv->n = 0;
}

void
kv_free(struct kvline *kv)
{
	sb_free(&kv->sb);
	kv->n = 0;
}

static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v; v++)
		if (*v == ' ' || *v == ',' || *v == '"' || *v == '\\' ||
		    *v == '=' || *v == '\t')
			return true;
	return false;
}

static void
key_start(struct kvline *kv, const char *key)
{
	if (kv->n++ > 0)
		sb_puts(&kv->sb, ", ");
	sb_printf(&kv->sb, "%s=", key);
}

void
kv_add(struct kvline *kv, const char *key, const char *value)
{
	strbuf clean;
	const char *p;

	if (value == NULL)
		return;
	sb_init(&clean);
	sb_puts_sanitized(&clean, value);
	key_start(kv, key);
	if (!needs_quotes(clean.s)) {
		sb_puts(&kv->sb, clean.s);
	} else {
		sb_putc(&kv->sb, '"');
		for (p = clean.s; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_putc(&kv->sb, '\\');
			sb_putc(&kv->sb, *p);
		}
		sb_putc(&kv->sb, '"');
	}
	sb_free(&clean);
}

void
kv_add_raw(struct kvline *kv, const char *key, const char *value)
{
	if (value == NULL)
		return;
	key_start(kv, key);
	sb_puts_sanitized(&kv->sb, value);
}

void
kv_addf(struct kvline *kv, const char *key, const char *fmt, ...)
{
	strbuf sb;
	va_list ap;

	sb_init(&sb);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	kv_add(kv, key, sb.s);
	sb_free(&sb);
}

const char *
kv_str(const struct kvline *kv)
{
	return kv->sb.err ? "" : kv->sb.s;
}
