/*
 * dsn_box.c - mailboxes for relaymilter-trace --dsn: mbox, Maildir, one
 *	       message in a file or on standard input
 *
 * CONTRACT
 *	See include/dsn_box.h. Lines are read in pieces of at most
 *	sizeof(piece) bytes, so a line without end costs no memory; a
 *	message grows only to DSNBOX_MAX_MSG. Errors name the path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsn_box.h"
#include "util.h"

struct cur {
	strbuf		 msg;
	strbuf		 src;
	unsigned long long total;
	bool		 cut, open;
};

static void
add(struct cur *c, const char *p, size_t n)
{
	size_t room = DSNBOX_MAX_MSG - c->msg.len;

	c->total += n;
	if (n > room) {
		c->cut = true;
		n = room;
	}
	if (n > 0)
		sb_append(&c->msg, p, n);
}

static int
emit(struct cur *c, const struct dsnbox_opts *o, strbuf *err)
{
	struct dsnbox_msg m;
	int rc;

	if (!c->open)
		return 0;
	c->open = false;
	if (c->msg.err || c->src.err) {
		sb_printf(err, "%s: out of memory", c->src.err ? "mailbox" :
		    c->src.s);
		return -1;
	}
	m.src = c->src.s;
	m.p = c->msg.s;
	m.n = c->msg.len;
	m.cut = c->cut;
	m.total = c->total;
	rc = o->msg(o->ctx, &m);
	sb_reset(&c->msg);
	c->cut = false;
	c->total = 0;
	return rc != 0 ? -1 : 0;
}

/* Up to cap bytes of one line (through its LF); *eol: the line ended. */
static size_t
piece(FILE *fp, char *buf, size_t cap, bool *eol)
{
	size_t n = 0;
	int c;

	*eol = false;
	while (n < cap && (c = getc_unlocked(fp)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n') {
			*eol = true;
			break;
		}
	}
	return n;
}

static bool
is_blank_line(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' &&
	    p[1] == '\n');
}

/* ">From ", ">>From ": the mboxrd quoting of a body line */
static bool
quoted_from(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	return i > 0 && n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

int
dsnbox_mbox(FILE *fp, const char *label, const struct dsnbox_opts *o,
    strbuf *err)
{
	char buf[8192];
	struct cur c;
	unsigned long line = 0;
	bool eol, bol = true, prev_blank = false, mbox = false, skip = false;
	bool first = true;
	size_t n;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	sb_init(&c.msg);
	sb_init(&c.src);
	while ((n = piece(fp, buf, sizeof(buf), &eol)) > 0) {
		if (skip) {
			/* the rest of a long "From " line */
			skip = !eol;
			bol = eol;
			continue;
		}
		if (bol) {
			line++;
			if (n >= 5 && memcmp(buf, "From ", 5) == 0 &&
			    (first || (mbox && prev_blank))) {
				if (emit(&c, o, err) < 0) {
					rc = -1;
					break;
				}
				mbox = true;
				c.open = true;
				sb_reset(&c.src);
				sb_printf(&c.src, "%s:%lu", label, line);
				first = false;
				prev_blank = false;
				skip = !eol;
				bol = eol;
				continue;
			}
			if (first) {
				/* no "From " line: one message */
				c.open = true;
				sb_puts(&c.src, label);
			}
			first = false;
			prev_blank = is_blank_line(buf, n);
			if (mbox && quoted_from(buf, n)) {
				add(&c, buf + 1, n - 1);
				bol = eol;
				continue;
			}
		} else
			prev_blank = false;
		add(&c, buf, n);
		bol = eol;
	}
	if (rc == 0 && ferror(fp)) {
		sb_printf(err, "%s: %s", label, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && emit(&c, o, err) < 0)
		rc = -1;
	sb_free(&c.msg);
	sb_free(&c.src);
	return rc;
}

/* ---------------------------------------------------- Maildir */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
skipped(const struct dsnbox_opts *o, const char *path, const char *why)
{
	if (o->skipped != NULL)
		o->skipped(o->ctx, path, why);
}

/* One Maildir file: a whole message, read to DSNBOX_MAX_MSG. */
static int
maildir_file(const char *path, const struct dsnbox_opts *o, strbuf *err)
{
	struct dsnbox_msg m;
	struct stat st;
	strbuf sb;
	char buf[65536];
	ssize_t r;
	int fd, rc;
	unsigned long long total = 0;
	size_t room;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		skipped(o, path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		skipped(o, path, "not a regular file");
		close(fd);
		return 0;
	}
	sb_init(&sb);
	m.cut = false;
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			skipped(o, path, strerror(errno));
			close(fd);
			sb_free(&sb);
			return 0;
		}
		if (r == 0)
			break;
		total += (unsigned long long)r;
		room = DSNBOX_MAX_MSG - sb.len;
		if ((size_t)r > room)
			m.cut = true;
		sb_append(&sb, buf, (size_t)r > room ? room : (size_t)r);
	}
	close(fd);
	if (sb.err) {
		sb_printf(err, "%s: out of memory", path);
		sb_free(&sb);
		return -1;
	}
	m.src = path;
	m.p = sb.s;
	m.n = sb.len;
	m.total = total;
	rc = o->msg(o->ctx, &m);
	sb_free(&sb);
	return rc != 0 ? -1 : 0;
}

/* The files of DIR/SUB, sorted, each handed on. */
static int
maildir_sub(const char *dir, const char *subdir, const struct dsnbox_opts *o,
    strbuf *err)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	strbuf path;
	DIR *d;
	int rc = 0;

	sb_init(&path);
	sb_printf(&path, "%s/%s", dir, subdir);
	if (path.err || (d = opendir(path.s)) == NULL) {
		if (!path.err && errno == ENOENT) {
			sb_free(&path);
			return 0;	/* cur/ or new/ alone is fine */
		}
		sb_printf(err, "%s: %s", path.s, path.err ? "out of memory" :
		    strerror(errno));
		sb_free(&path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == DSNBOX_MAX_FILES) {
			sb_printf(err, "%s: more than %u files: read it in "
			    "parts (move some away)", path.s, DSNBOX_MAX_FILES);
			rc = -1;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc < 0 && err->len == 0)
		sb_printf(err, "%s: out of memory", path.s);
	if (rc == 0 && n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; rc == 0 && i < n; i++) {
		size_t base = path.len;

		sb_printf(&path, "/%s", names[i]);
		if (path.err) {
			sb_printf(err, "%s: out of memory", dir);
			rc = -1;
			break;
		}
		rc = maildir_file(path.s, o, err);
		path.len = base;
		path.s[base] = '\0';
	}
	strv_free(names, n);
	sb_free(&path);
	return rc;
}

static int
file_or_stdin(const char *path, const struct dsnbox_opts *o, strbuf *err)
{
	FILE *fp;
	struct stat st;
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return dsnbox_mbox(stdin, "(stdin)", o, err);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sb_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		sb_printf(err, "%s: %s", path, S_ISDIR(st.st_mode) ?
		    "a directory" : strerror(errno));
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		sb_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	rc = dsnbox_mbox(fp, path, o, err);
	fclose(fp);
	return rc;
}

int
dsnbox_read(const char *path, const struct dsnbox_opts *o, strbuf *err)
{
	struct stat st, sc, sn;
	strbuf sub;
	bool cur, new;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		sb_init(&sub);
		sb_printf(&sub, "%s/cur", path);
		cur = !sub.err && stat(sub.s, &sc) == 0 && S_ISDIR(sc.st_mode);
		sb_reset(&sub);
		sb_printf(&sub, "%s/new", path);
		new = !sub.err && stat(sub.s, &sn) == 0 && S_ISDIR(sn.st_mode);
		sb_free(&sub);
		if (!cur && !new) {
			sb_printf(err, "%s: a directory but not a Maildir (no "
			    "cur/ or new/)", path);
			return -1;
		}
		if (maildir_sub(path, "cur", o, err) < 0 ||
		    maildir_sub(path, "new", o, err) < 0)
			return -1;
		return 0;
	}
	return file_or_stdin(path, o, err);
}
