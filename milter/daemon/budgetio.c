/*
 * budgetio.c - read and atomically replace the relay budget's files
 *
 * CONTRACT
 *	See include/budgetio.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budgetio.h"
#include "util.h"

char *
budgetio_path(const char *dir, const char *name)
{
	strbuf p;

	sb_init(&p);
	sb_printf(&p, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ?
	    "" : "/", name);
	return sb_steal(&p);
}

int
budgetio_read(const char *path, char **text, size_t *len, strbuf *err)
{
	struct stat st;
	int fd;

	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		sb_printf(err, "%s: cannot read: %s", path, errno == ELOOP ?
		    "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sb_printf(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > BUDGETIO_MAX) {
		sb_printf(err, "%s: larger than %u bytes", path, BUDGETIO_MAX);
		close(fd);
		return -1;
	}
	if (read_fd(fd, text, len) < 0) {
		sb_printf(err, "%s: cannot read: %s", path, errno == EINVAL ?
		    "it holds a NUL byte" : strerror(errno));
		close(fd);
		*text = NULL;
		return -1;
	}
	close(fd);
	return 0;
}

int
budgetio_write(const char *dir, const char *name, const char *text,
    size_t len, mode_t mode, strbuf *err)
{
	char *tmp = NULL, *dst = NULL;
	strbuf t;
	ssize_t n;
	size_t off = 0;
	int fd = -1, dfd, rc = -1;

	sb_init(&t);
	sb_printf(&t, "%s/.%s.XXXXXX", dir, name);
	if ((tmp = sb_steal(&t)) == NULL ||
	    (dst = budgetio_path(dir, name)) == NULL) {
		sb_puts(err, "out of memory");
		goto out;
	}
	/* mkstemp opens with O_EXCL: nothing planted at the name is used */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		sb_printf(err, "%s: cannot create a file there: %s", dir,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			sb_printf(err, "%s: cannot write: %s", tmp,
			    strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		sb_printf(err, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		sb_printf(err, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		sb_printf(err, "%s: cannot replace it: %s", dst,
		    strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* the rename itself on disk */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	free(dst);
	return rc;
}
