/*
 * atomicfile.h - write a whole file that readers see complete or not at all
 *
 * CONTRACT
 *	atomicfile_write() writes len bytes of data to a new file of
 *	unguessable name beside path (".NAME.XXXXXX" in path's directory,
 *	made by mkostemp: O_EXCL, so nothing planted there is used), gives it
 *	mode, syncs it, and publishes it under path:
 *	  ATOMICFILE_REPLACE  rename(): what was at path is replaced at once;
 *	  ATOMICFILE_NEW      link() (on a file system without hard links,
 *	                      rename() with RENAME_NOREPLACE): an existing
 *	                      path (file, directory or symbolic link) is
 *	                      left as it is and
 *	                      ATOMICFILE_EXISTS returned: of processes
 *	                      creating one file at once, exactly one
 *	                      publishes it and the others can read that one.
 *	The temporary name is removed in every case (after a link, before
 *	anything is synced: a crash leaves no second copy); after
 *	publication the directory is synced, so that the new name is on
 *	disk too. A write that makes no progress is an error (EIO).
 *	Returns 0, ATOMICFILE_EXISTS, or -1 with the reason in err as
 *	"DIR: cannot create a file there: ...", "TMP: cannot write: ...",
 *	"PATH: cannot replace it: ..." or "PATH: cannot create it: ...".
 *	Used by the relay budget's state and releases, relaymilter-trace's
 *	metrics file and the trace key.
 */
#ifndef RM_ATOMICFILE_H
#define RM_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

enum atomicfile_how { ATOMICFILE_REPLACE, ATOMICFILE_NEW };
#define ATOMICFILE_EXISTS	1

int	atomicfile_write(const char *path, const void *data, size_t len,
	    mode_t mode, enum atomicfile_how how, strbuf *err);

#endif
