/*
 * smverify.h - read what `sendmail -bv ADDRESS` says about an address
 *
 * CONTRACT
 *	sendmail's verify mode resolves an address as it would deliver it
 *	(aliases, class w, mailertable, the smarthost) and prints one line
 *	per final address (sendmail 8.17 recipient.c/deliver.c):
 *	    ADDR... deliverable: mailer M, host H, user U
 *	    ADDR... deliverable: mailer local, user U
 *	    ADDR... User unknown          (or any other refusal text)
 *	smverify_parse() reads that output (any bytes: it comes from another
 *	program) into entries: deliverable with mailer, host (or NULL) and
 *	user, or not with the text sendmail gave. Lines of another shape are
 *	skipped and counted; nothing is cut short (a field longer than the
 *	line is impossible); control characters are replaced in what is kept.
 *	Pure, no I/O. 0, or -1 on allocation failure.
 */
#ifndef RM_SMVERIFY_H
#define RM_SMVERIFY_H

#include <stdbool.h>
#include <stddef.h>

struct smv_entry {
	char	*addr;		/* as sendmail printed it, before "..." */
	bool	 deliverable;
	char	*mailer;	/* deliverable: the mailer */
	char	*host;		/* deliverable: the host, or NULL (local) */
	char	*user;		/* deliverable: the user */
	char	*text;		/* not deliverable: what sendmail said */
};

struct smverify {
	struct smv_entry	*v;
	size_t			 n;
	unsigned		 skipped;	/* lines of another shape */
};

int	smverify_parse(const char *out, struct smverify *sv);
void	smverify_free(struct smverify *sv);

#endif
