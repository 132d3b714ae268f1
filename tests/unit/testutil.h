/*
 * testutil.h - helpers shared by the cmocka unit tests
 *
 * CONTRACT
 *	tu_write() writes text to a new file under a per-process temporary
 *	directory and returns its path (static storage, valid until the next
 *	call with the same slot). tu_cleanup() removes the directory; tests
 *	call it from their group teardown.
 */
#ifndef RM_TESTUTIL_H
#define RM_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

const char	*tu_dir(void);
const char	*tu_write(const char *name, const char *text, int mode);
void		 tu_cleanup(void);

#endif
