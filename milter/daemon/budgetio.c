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

#include "atomicfile.h"
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
	char *dst = budgetio_path(dir, name);
	int rc;

	if (dst == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	rc = atomicfile_write(dst, text, len, mode, ATOMICFILE_REPLACE, err);
	free(dst);
	return rc;
}
