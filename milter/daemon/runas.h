/*
 * runas.h - the user a program runs as: resolve it, become it, check files
 *	     as it would see them
 *
 * CONTRACT
 *	runas_lookup() resolves "user[:group]" (the group defaults to the
 *	user's primary group). runas_become() drops a root process to that
 *	user for good (the user's supplementary groups kept through
 *	initgroups(), root's dropped). runas_check() answers, for each path,
 *	whether that user can read it (RUNAS_READ) or create a file in its
 *	directory (RUNAS_CREATE): it forks a child that becomes the user and
 *	tries, so ACLs, supplementary groups and every directory on the way
 *	count as the kernel counts them; the caller must be root (or already
 *	that user). runas_fix() writes, for a path the user cannot reach,
 *	the commands that give it exactly the access asked for through the
 *	group (chgrp GROUP, chmod g+r / g+x / g+wx), naming the first directory
 *	that stops it; it stats as the caller and changes nothing.
 *	Errors are returned with their reason in err, never printed.
 */
#ifndef RM_RUNAS_H
#define RM_RUNAS_H

#include <sys/types.h>

#include "util.h"

struct runas_user {
	uid_t	 uid;
	gid_t	 gid;
	char	*name;		/* user name */
	char	*group;		/* group name (or the gid as text) */
};

enum runas_want { RUNAS_READ = 0, RUNAS_CREATE = 1 };

int	runas_lookup(const char *spec, struct runas_user *u, strbuf *err);
void	runas_user_free(struct runas_user *u);
/* Become u for good; -1 with err on failure. */
int	runas_become(const struct runas_user *u, strbuf *err);
/*
 * For paths[i] (want[i]), res[i] = 0 when u can, else the errno the user
 * gets (EACCES, ENOENT...). 0, or -1 with err when the check itself
 * could not run (fork, pipe, switching user).
 */
int	runas_check(const struct runas_user *u, const char *const *paths,
	    const enum runas_want *want, size_t n, int *res, strbuf *err);
/* The commands that let u reach path (want), "; "-separated, or nothing
 * when no group change can (path missing: the caller says so). */
void	runas_fix(const struct runas_user *u, const char *path,
	    enum runas_want want, strbuf *fix);

#endif
