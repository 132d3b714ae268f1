/*
 * atomicfile.c - write a whole file that readers see complete or not at all
 *
 * CONTRACT
 *	See atomicfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "util.h"

/* The directory part of path ("." when it has none), in dir. */
static void
dir_of(const char *path, strbuf *dir)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		sb_puts(dir, ".");
	else if (slash == path)
		sb_puts(dir, "/");
	else
		sb_append(dir, path, (size_t)(slash - path));
}

/*
 * tmp under the name path unless path exists (EEXIST): link(), or where the
 * file system has no hard links, rename() that refuses to replace
 * (renameat2 RENAME_NOREPLACE); after a rename tmp is gone already (its
 * unlink then fails harmlessly).
 */
static int
publish_new(const char *tmp, const char *path)
{
	if (link(tmp, path) == 0)
		return 0;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	return renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
}

int
atomicfile_write(const char *path, const void *data, size_t len,
    mode_t mode, enum atomicfile_how how, strbuf *err)
{
	const char *base = strrchr(path, '/');
	const char *p = data;
	strbuf dir, tmp;
	size_t off = 0;
	ssize_t n;
	int fd, dfd, rc = -1;

	base = base != NULL ? base + 1 : path;
	sb_init(&dir);
	sb_init(&tmp);
	dir_of(path, &dir);
	sb_printf(&tmp, "%s/.%s.XXXXXX", dir.s != NULL ? dir.s : ".", base);
	if (dir.err || tmp.err) {
		sb_printf(err, "%s: out of memory", path);
		goto out;
	}
	if ((fd = mkostemp(tmp.s, O_CLOEXEC)) < 0) {
		sb_printf(err, "%s: cannot create a file there: %s", dir.s,
		    strerror(errno));
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* no progress: never loop */
			break;
		}
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		sb_printf(err, "%s: cannot write: %s", tmp.s, strerror(errno));
		close(fd);
		goto unlink_tmp;
	}
	if (close(fd) < 0) {
		sb_printf(err, "%s: cannot write: %s", tmp.s, strerror(errno));
		goto unlink_tmp;
	}
	if (how == ATOMICFILE_REPLACE) {
		if (rename(tmp.s, path) < 0) {
			sb_printf(err, "%s: cannot replace it: %s", path,
			    strerror(errno));
			goto unlink_tmp;
		}
	} else if (publish_new(tmp.s, path) < 0) {
		if (errno == EEXIST)
			rc = ATOMICFILE_EXISTS;
		else
			sb_printf(err, "%s: cannot create it: %s", path,
			    strerror(errno));
		goto unlink_tmp;
	} else {
		/* the second name goes before anything reaches the disk:
		 * a crash never leaves a copy (of a key, say) beside it */
		(void)unlink(tmp.s);
	}
	rc = 0;
	/* the new name itself on disk */
	if ((dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	goto out;
unlink_tmp:
	(void)unlink(tmp.s);
out:
	sb_free(&dir);
	sb_free(&tmp);
	return rc;
}
