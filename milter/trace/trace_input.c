/*
 * trace_input.c - where relaymilter-trace reads the log from: files
 *		   (plain or gzip), standard input, a file followed across
 *		   rotation, the systemd journal
 *
 * CONTRACT
 *	See trace_input.h. Lines are read in large blocks and split
 *	with memchr; a line longer than MAX_LINE is reported (FILE:LINE) and
 *	counted as not understood, never cut silently. A file is gzip when
 *	it starts with the gzip magic; standard input goes through zlib's
 *	transparent mode. Errors are printed on stderr with the file name
 *	(log_warnx(), log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "log.h"
#include "trace.h"
#include "trace_app.h"
#include "trace_input.h"
#include "util.h"

#define BLOCK		(1 << 20)
#define MAX_LINE	(1 << 20)

/* A follower with nothing to read: let the caller tick, then sleep. */
static void
wait_poll(const struct tin_opts *a)
{
	struct timespec ts;

	if (a->idle)
		a->idle(a->ctx);
	ts.tv_sec = a->poll_ms / 1000;
	ts.tv_nsec = (a->poll_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

struct reader {
	const char	*name;
	int		 fd;
	gzFile		 gz;
	char		*buf;
	size_t		 cap, len;
	unsigned long	 lineno;
	uint64_t	 pos;		/* bytes read from fd */
	bool		 skipping;	/* inside an over-long line */
	bool		 nomem;		/* trace_feed ran out of memory */
};

static ssize_t
rd(struct reader *r)
{
	ssize_t n;

	if (r->len == r->cap) {
		size_t ncap = r->cap * 2;
		char *nb;

		if (ncap > MAX_LINE + BLOCK || (nb = realloc(r->buf, ncap)) ==
		    NULL)
			return -2;
		r->buf = nb;
		r->cap = ncap;
	}
	for (;;) {
		if (r->gz) {
			n = gzread(r->gz, r->buf + r->len,
			    (unsigned)(r->cap - r->len));
			if (n < 0) {
				int e;

				log_warnx("%s: %s", r->name, gzerror(r->gz, &e));
				return -1;
			}
		} else
			n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			log_warnx("%s: %s", r->name, strerror(errno));
		break;
	}
	if (n > 0) {
		r->len += (size_t)n;
		r->pos += (uint64_t)n;
	}
	return n;
}

static void
feed(const struct tin_opts *a, struct reader *r, const char *p, size_t n)
{
	r->lineno++;
	if (trace_feed(a->t, r->name, r->lineno, p, n) < 0 && !r->nomem) {
		log_warnx("out of memory");
		r->nomem = true;
	}
}

/* Feed the complete lines in the buffer; keep the partial one. */
static void
feed_lines(const struct tin_opts *a, struct reader *r)
{
	char *p = r->buf, *e = r->buf + r->len, *nl;

	while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		if (r->skipping) {
			r->skipping = false;
		} else
			feed(a, r, p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (p == r->buf && r->len > MAX_LINE) {
		/* no newline within MAX_LINE bytes: report and skip */
		if (!r->skipping) {
			log_warnx("%s:%lu: line longer than %d bytes, skipped",
			    r->name, r->lineno + 1, MAX_LINE);
			r->lineno++;
			trace_unparsed(a->t, r->name, r->lineno, r->buf, 200);
		}
		r->skipping = true;
		r->len = 0;
		return;
	}
	r->len = (size_t)(e - p);
	if (r->len > 0 && p != r->buf)
		memmove(r->buf, p, r->len);
}

/* The last line of a file may lack its newline. */
static void
feed_rest(const struct tin_opts *a, struct reader *r)
{
	if (r->len > 0 && !r->skipping)
		feed(a, r, r->buf, r->len);
	r->len = 0;
	r->skipping = false;
}

static int
reader_open(struct reader *r, const char *path)
{
	unsigned char magic[2];

	memset(r, 0, sizeof(*r));
	r->name = path ? path : "(stdin)";
	r->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (r->fd < 0) {
		log_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((r->buf = malloc(BLOCK)) == NULL) {
		if (path)
			close(r->fd);
		return -1;
	}
	r->cap = BLOCK;
	/* gzip by magic; stdin that cannot be peeked at goes through zlib's
	 * transparent mode, which passes plain text unchanged */
	if (pread(r->fd, magic, 2, 0) == 2 ? magic[0] == 0x1f &&
	    magic[1] == 0x8b : path == NULL) {
		if ((r->gz = gzdopen(r->fd, "rb")) == NULL) {
			log_warnx("%s: cannot read through zlib", r->name);
			free(r->buf);
			return -1;
		}
		gzbuffer(r->gz, 256 * 1024);
	}
	return 0;
}

static void
reader_close(struct reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	else if (r->fd > 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
	r->gz = NULL;
	r->fd = -1;
}

int
tin_read(const struct tin_opts *a, const char *path)
{
	struct reader r;
	ssize_t n = 0;

	if (reader_open(&r, path) < 0)
		return -1;
	while (!*a->stop && (n = rd(&r)) > 0)
		feed_lines(a, &r);
	if (n == -2)
		log_warnx("%s: out of memory", r.name);
	feed_rest(a, &r);
	reader_close(&r);
	return n < 0 || r.nomem ? -1 : 0;
}

/* ------------------------------------------------------------ follow */


/*
 * tail -F: read to the end, then poll. A new inode at the path means the
 * file was renamed away (rotation): finish the old one, open the new one
 * from its start. A size below our position means copytruncate: start
 * again from 0.
 */
/* Open the followed file, waiting (as tail -F does) while it does not
 * exist; -1 on any other error or when stopped. */
static int
follow_open(const struct tin_opts *a, struct reader *r, const char *path,
    struct stat *cur)
{
	bool said = false;

	for (;;) {
		if (access(path, F_OK) == 0) {
			if (reader_open(r, path) < 0)
				return -1;
			if (r->gz) {
				log_warnx("%s: cannot follow a compressed file",
				    path);
				reader_close(r);
				return -1;
			}
			if (fstat(r->fd, cur) < 0) {
				log_warnx("%s: %s", path, strerror(errno));
				reader_close(r);
				return -1;
			}
			return 0;
		}
		if (errno != ENOENT) {
			log_warnx("%s: %s", path, strerror(errno));
			return -1;
		}
		if (!said) {
			log_warnx("%s: not there (yet), waiting for it", path);
			said = true;
		}
		if (*a->stop)
			return -1;
		wait_poll(a);
	}
}

int
tin_follow(const struct tin_opts *a, const char *path)
{
	struct reader r;
	struct stat cur, st;
	ssize_t n;

	if (follow_open(a, &r, path, &cur) < 0)
		return *a->stop ? 0 : -1;
	if (a->from_end)
		r.pos = (uint64_t)lseek(r.fd, 0, SEEK_END);
	while (!*a->stop) {
		n = rd(&r);
		if (n > 0) {
			feed_lines(a, &r);
			continue;
		}
		if (n < 0) {
			reader_close(&r);
			return -1;
		}
		if (stat(path, &st) == 0 &&
		    (st.st_ino != cur.st_ino || st.st_dev != cur.st_dev)) {
			/* rotated: the old file is complete */
			while ((n = rd(&r)) > 0)
				feed_lines(a, &r);
			feed_rest(a, &r);
			reader_close(&r);
			if (follow_open(a, &r, path, &cur) < 0)
				return *a->stop ? 0 : -1;
			continue;
		}
		if (stat(path, &st) == 0 && (uint64_t)st.st_size < r.pos) {
			/* copytruncate */
			feed_rest(a, &r);
			if (lseek(r.fd, 0, SEEK_SET) == 0)
				r.pos = 0;
			continue;
		}
		wait_poll(a);
	}
	feed_rest(a, &r);
	reader_close(&r);
	return 0;
}

/* ------------------------------------------------------------ journal */

#ifdef HAVE_LIBSYSTEMD
static bool
jfield(sd_journal *j, const char *field, const char **v, size_t *n)
{
	const void *d;
	size_t l, fl = strlen(field);

	if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= fl)
		return false;
	*v = (const char *)d + fl + 1;
	*n = l - fl - 1;
	return true;
}

int
tin_journal(const struct tin_opts *a)
{
	static const char *const idents[] = { "sendmail", "sm-mta",
	    "sm-msp-queue", "relaymilter", NULL };
	const char *msg, *ident, *host, *pid;
	size_t msgn, identn, hostn, pidn, i;
	uint64_t usec;
	sd_journal *j;
	strbuf line;
	struct tm tm;
	time_t tt;
	int r, rc = 0;
	char ts[40];

	r = a->journal_dir ? sd_journal_open_directory(&j, a->journal_dir, 0) :
	    sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		log_warnx("journal: %s", strerror(-r));
		return -1;
	}
	for (i = 0; idents[i]; i++) {
		char m[64];

		snprintf(m, sizeof(m), "SYSLOG_IDENTIFIER=%s", idents[i]);
		if ((r = sd_journal_add_match(j, m, 0)) < 0) {
			log_warnx("journal: %s", strerror(-r));
			sd_journal_close(j);
			return -1;
		}
	}
	if (a->from_end) {
		sd_journal_seek_tail(j);
		sd_journal_previous(j);
	} else if (a->since > 0)
		sd_journal_seek_realtime_usec(j, (uint64_t)a->since * 1000000);
	else
		sd_journal_seek_head(j);
	sb_init(&line);
	while (!*a->stop) {
		r = sd_journal_next(j);
		if (r < 0) {
			log_warnx("journal: %s", strerror(-r));
			rc = -1;
			break;
		}
		if (r == 0) {
			if (!a->follow)
				break;
			wait_poll(a);
			sd_journal_wait(j, 0);
			continue;
		}
		if (!jfield(j, "MESSAGE", &msg, &msgn) ||
		    !jfield(j, "SYSLOG_IDENTIFIER", &ident, &identn))
			continue;
		if (!jfield(j, "_HOSTNAME", &host, &hostn))
			host = "localhost", hostn = 9;
		if (!jfield(j, "SYSLOG_PID", &pid, &pidn) &&
		    !jfield(j, "_PID", &pid, &pidn))
			pid = NULL, pidn = 0;
		if (sd_journal_get_realtime_usec(j, &usec) < 0)
			continue;
		tt = (time_t)(usec / 1000000);
		if (gmtime_r(&tt, &tm) == NULL)
			continue;
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		sb_reset(&line);
		sb_printf(&line, "%s.%06luZ %.*s %.*s", ts,
		    (unsigned long)(usec % 1000000), (int)hostn, host,
		    (int)identn, ident);
		if (pid)
			sb_printf(&line, "[%.*s]", (int)pidn, pid);
		sb_puts(&line, ": ");
		sb_append(&line, msg, msgn);
		if (line.err) {
			log_warnx("journal: out of memory");
			rc = -1;
			break;
		}
		if (trace_feed(a->t, "journal", 0, line.s, line.len) < 0) {
			log_warnx("journal: out of memory");
			rc = -1;
			break;
		}
	}
	sb_free(&line);
	sd_journal_close(j);
	return rc;
}
#endif

