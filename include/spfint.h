/*
 * spfint.h - interfaces between the modules of the SPF checker; not for
 *	      callers of spfcheck.h
 *
 * CONTRACT
 *	Included only by spfguard.c, spfzone.c, spfdns.c and spfcheck.c,
 *	which together implement include/spfcheck.h. Nothing here is part
 *	of the API other modules or tests may use.
 *
 *	The guard (spfguard.c): libspf2 reports internal inconsistencies
 *	through SPF_error(), whose default handler aborts. After
 *	spfguard_install() ours copies the message into a thread-local
 *	buffer and unwinds with siglongjmp(*spfguard_jmp, 1). Every call
 *	into libspf2 that may reach SPF_error() is therefore guarded:
 *
 *		sigjmp_buf jb;
 *		sigjmp_buf *volatile saved = spfguard_jmp;
 *
 *		if (sigsetjmp(jb, 0) == 0) {
 *			spfguard_jmp = &jb;
 *			... calls into libspf2 ...
 *		} else {
 *			... spfguard_message() says what happened ...
 *		}
 *		spfguard_jmp = saved;
 *
 *	Locals changed between sigsetjmp() and the unwinding are volatile
 *	or live on the heap. libspf2 memory held by the interrupted call is
 *	lost. Without a guard (spfguard_jmp NULL) SPF_error() writes the
 *	message to stderr and ends the process with _exit(70): it never
 *	returns and never dumps core. Warnings, info and debug messages of
 *	libspf2 are dropped. The handlers are process-wide; the jump target
 *	and the message are per thread.
 */
#ifndef RM_SPFINT_H
#define RM_SPFINT_H

#include <setjmp.h>

#include "dnsq.h"
#include "util.h"

/* ------------------------------------------------------------ spfguard.c */

/* The innermost guarded call of this thread, or NULL. */
extern __thread sigjmp_buf *spfguard_jmp;

/* Replace libspf2's handlers (once per process; any thread may call it). */
void		 spfguard_install(void);
/* The last SPF_error() message of this thread, "libspf2 FILE:LINE: MSG",
 * cut at 255 bytes (the handler must not allocate); "" before any. */
const char	*spfguard_message(void);

/* ------------------------------------------------------------ spfzone.c */

/* The in-memory zone of tests and dry runs (contract in spfzone.c). */
struct spfzone;

/* NULL with err on an allocation failure or a libspf2 error. */
struct spfzone	*spfzone_new(strbuf *err);
void		 spfzone_free(struct spfzone *z);
/* One record, types and errors as for spfc_zone_add(). 0, or -1 with err. */
int		 spfzone_add(struct spfzone *z, const char *name,
		    const char *type, const char *data, strbuf *err);
/* Every record of a zone file. 0, or -1 with "FILE:LINE: ..." in err. */
int		 spfzone_load(struct spfzone *z, const char *path, strbuf *err);
/* Answer one question (type ns_t_*) from the zone; ans is overwritten. */
void		 spfzone_query(struct spfzone *z, const char *name, int type,
		    struct dnsq_answer *ans);
/* The form names are compared in: a lower-case copy without a trailing
 * dot (malloc), NULL on an allocation failure. */
char		*spfzone_name_key(const char *name);

#endif
