/*
 * qscan.c - read sendmail's queue directories, read-only, while sendmail
 *	     works in them
 *
 * CONTRACT
 *	See include/qscan.h. One directory handle at a time; every control
 *	file is opened relative to it (openat), so a path is built only for
 *	messages. Names are checked before anything is opened: two letters
 *	[qhQ]f and a queue id of letters and digits; an entry the listing
 *	says is a link, a directory, a FIFO or a device is reported without
 *	being opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qscan.h"

void
qscan_init(struct qscan *s)
{
	memset(s, 0, sizeof(*s));
	s->max_size = QSCAN_MAX_SIZE;
	qf_msg_init(&s->msg);
}

void
qscan_free(struct qscan *s)
{
	free(s->buf);
	qf_msg_free(&s->msg);
	memset(s, 0, sizeof(*s));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
push(char ***v, size_t *n, const char *a, size_t an, const char *b)
{
	char **nv, *s;
	size_t bn = b ? strlen(b) : 0;

	if ((s = malloc(an + (b ? bn + 2 : 1))) == NULL)
		return -1;
	memcpy(s, a, an);
	if (b) {
		s[an] = '/';
		memcpy(s + an + 1, b, bn + 1);
	} else
		s[an] = '\0';
	if ((nv = arr_grow(*v, *n, sizeof(**v))) == NULL) {
		free(s);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

int
qscan_expand(const char *pattern, char ***dirs, size_t *n, strbuf *err)
{
	size_t len = strlen(pattern), bl, pl;
	const char *slash, *prefix;
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *base;

	*dirs = NULL;
	*n = 0;
	if (len == 0 || pattern[len - 1] != '*') {
		if (push(dirs, n, pattern, len, NULL) < 0)
			goto nomem;
		return 0;
	}
	/* "DIR/PREFIX*": sendmail allows the star at the end only */
	slash = strrchr(pattern, '/');
	bl = slash ? (size_t)(slash - pattern) : 0;
	prefix = slash ? slash + 1 : pattern;
	pl = strlen(prefix) - 1;
	if ((base = bl ? strndup(pattern, bl) : strdup(slash ? "/" : ".")) ==
	    NULL)
		goto nomem;
	if ((d = opendir(base)) == NULL) {
		sb_printf(err, "%s: cannot list the queue directories: %s",
		    base, strerror(errno));
		free(base);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, pl) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (push(dirs, n, base, strlen(base), de->d_name) < 0) {
			closedir(d);
			free(base);
			goto nomem;
		}
	}
	closedir(d);
	free(base);
	if (*n > 1)
		qsort(*dirs, *n, sizeof(**dirs), cmp_str);
	return 0;
nomem:
	strv_free(*dirs, *n);
	*dirs = NULL;
	*n = 0;
	sb_puts(err, "out of memory");
	return -1;
}

static bool
control_name(const char *name)
{
	const char *p;

	if ((name[0] != 'q' && name[0] != 'h' && name[0] != 'Q') ||
	    name[1] != 'f' || name[2] == '\0')
		return false;
	for (p = name + 2; *p; p++)
		if (!ch_alpha(*p) && !ch_digit(*p))
			return false;
	return true;
}

static int
reserve(struct qscan *s, size_t want)
{
	char *b;

	if (s->cap >= want)
		return 0;
	if (want < 4096)
		want = 4096;
	if ((b = realloc(s->buf, want)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	s->buf = b;
	s->cap = want;
	return 0;
}

/* Read fd to its end into s->buf (hint: its size when opened; it may
 * have grown since); 0, -1 with errno, or 1 when it holds more than
 * max_size bytes. */
static int
read_all(struct qscan *s, int fd, uint64_t hint, size_t *len)
{
	size_t n = 0, limit = s->max_size + 1, nc;
	ssize_t r;

	if (reserve(s, hint < s->max_size ? (size_t)hint + 1 : limit) < 0)
		return -1;
	for (;;) {
		if (n == s->cap) {
			if (s->cap >= limit)
				return 1;
			nc = s->cap * 2 < limit ? s->cap * 2 : limit;
			if (reserve(s, nc) < 0)
				return -1;
		}
		r = read(fd, s->buf + n, s->cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > s->max_size)
			return 1;
	}
	*len = n;
	return 0;
}

static int
one_file(struct qscan *s, int dfd, const char *dir, const char *name,
    unsigned char type, qscan_fn fn, void *ctx)
{
	struct qscan_file f;
	struct stat st;
	size_t len = 0;
	int fd, r;

	memset(&f, 0, sizeof(f));
	f.dir = dir;
	f.name = name;
	f.qid = name + 2;
	f.kind = name[0];
	if (s->before_open)
		s->before_open(s->hook_ctx, dir, name);
	/* what the listing already says is no regular file is not opened
	 * (a device would be); the fstat() below checks the rest */
	if (type != DT_UNKNOWN && type != DT_REG) {
		f.result = QS_UNREADABLE;
		f.err = type == DT_LNK ? ELOOP : EINVAL;
		return fn(ctx, &f);
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0) {
		f.result = errno == ENOENT ? QS_VANISHED : QS_UNREADABLE;
		f.err = errno;
		return fn(ctx, &f);
	}
	if (fstat(fd, &st) < 0)
		f.err = errno;
	else if (!S_ISREG(st.st_mode))
		f.err = EINVAL;		/* not a regular file */
	if (f.err != 0) {
		f.result = QS_UNREADABLE;
		close(fd);
		return fn(ctx, &f);
	}
	f.mtime = (int64_t)st.st_mtime;
	f.size = (uint64_t)st.st_size;
	if (f.size > s->max_size) {
		close(fd);
		f.result = QS_TOOBIG;
		return fn(ctx, &f);
	}
	r = read_all(s, fd, f.size, &len);
	f.err = errno;
	close(fd);
	if (r != 0) {
		f.result = r > 0 ? QS_TOOBIG : QS_UNREADABLE;
		return fn(ctx, &f);
	}
	f.size = len;
	f.msg = &s->msg;
	switch (qf_parse(&s->msg, s->buf, len)) {
	case QF_OK:
		f.result = QS_PARSED;
		break;
	case QF_INCOMPLETE:
		f.result = QS_INCOMPLETE;
		break;
	case QF_BAD:
		f.result = QS_BAD;
		break;
	case QF_NOMEM:
		f.result = QS_UNREADABLE;
		f.err = ENOMEM;
		f.msg = NULL;
		break;
	}
	return fn(ctx, &f);
}

static int
scan(struct qscan *s, const char *dir, bool top, qscan_fn fn, void *ctx,
    strbuf *err)
{
	struct dirent *de;
	char *sub;
	DIR *d;
	int rc = 0, dfd;

	if ((d = opendir(dir)) == NULL) {
		sb_printf(err, "%s: cannot read the queue directory: %s", dir,
		    strerror(errno));
		return -1;
	}
	dfd = dirfd(d);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (top && strcmp(de->d_name, "qf") == 0) {
			struct stat st;

			if (fstatat(dfd, "qf", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
			if ((sub = malloc(strlen(dir) + 4)) == NULL) {
				sb_puts(err, "out of memory");
				rc = -1;
				break;
			}
			strcpy(sub, dir);
			strcat(sub, "/qf");
			rc = scan(s, sub, false, fn, ctx, err);
			free(sub);
			continue;
		}
		if (control_name(de->d_name))
			rc = one_file(s, dfd, dir, de->d_name, de->d_type, fn,
			    ctx);
	}
	closedir(d);
	return rc;
}

int
qscan_dir(struct qscan *s, const char *dir, qscan_fn fn, void *ctx,
    strbuf *err)
{
	return scan(s, dir, true, fn, ctx, err);
}
