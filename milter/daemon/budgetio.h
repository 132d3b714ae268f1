/*
 * budgetio.h - the relay budget's files on disk: read whole, replaced
 *		atomically
 *
 * CONTRACT
 *	budgetio_read() reads a file that must be a regular file reached
 *	without following a symbolic link (O_NOFOLLOW: root's releaser
 *	reads files in the daemon user's directory), at most BUDGETIO_MAX
 *	bytes; 0 with *text NULL when it does not exist, -1 with
 *	"PATH: why" in err. budgetio_write() replaces dir/name with
 *	atomicfile_write(ATOMICFILE_REPLACE) (atomicfile.h: a temporary
 *	name made with O_EXCL, flushed, given mode, renamed over it, the
 *	directory flushed): a reader sees the old file or the new one,
 *	never half of one, and a crash leaves one of them.
 *	Nothing else: the format is budgetfmt.h's.
 */
#ifndef RM_BUDGETIO_H
#define RM_BUDGETIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

#define BUDGETIO_MAX	(64u << 20)

int	budgetio_read(const char *path, char **text, size_t *len, strbuf *err);
int	budgetio_write(const char *dir, const char *name, const char *text,
	    size_t len, mode_t mode, strbuf *err);
/* dir "/" name, allocated; NULL on allocation failure. */
char	*budgetio_path(const char *dir, const char *name);

#endif
