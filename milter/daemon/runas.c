/*
 * runas.c - resolve, become and check files as the user a program runs as
 *
 * CONTRACT
 *	See runas.h. runas_check() forks: the child becomes the user
 *	(when the caller is root), tries each path and writes one int per
 *	path to a pipe, then _exit()s; nothing of the parent's state is
 *	touched by it. runas_fix() reads mode bits and owners only (an ACL
 *	that grants access is seen by runas_check(), not here: the fix names
 *	what the plain modes need).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runas.h"
#include "util.h"

void
runas_user_free(struct runas_user *u)
{
	free(u->name);
	free(u->group);
	u->name = u->group = NULL;
}

int
runas_lookup(const char *spec, struct runas_user *u, strbuf *err)
{
	char *copy, *colon;
	struct passwd *pw;
	struct group *gr;
	char num[32];

	memset(u, 0, sizeof(*u));
	if ((copy = strdup(spec)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	if ((colon = strchr(copy, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(copy)) == NULL) {
		sb_printf(err, "no such user '%s'", copy);
		free(copy);
		return -1;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	if (colon != NULL && *colon != '\0') {
		if ((gr = getgrnam(colon)) == NULL) {
			sb_printf(err, "no such group '%s'", colon);
			free(copy);
			return -1;
		}
		u->gid = gr->gr_gid;
	}
	if ((gr = getgrgid(u->gid)) != NULL)
		u->group = strdup(gr->gr_name);
	else {
		snprintf(num, sizeof(num), "%u", (unsigned)u->gid);
		u->group = strdup(num);
	}
	u->name = copy;
	if (u->group == NULL) {
		runas_user_free(u);
		sb_puts(err, "out of memory");
		return -1;
	}
	return 0;
}

int
runas_become(const struct runas_user *u, strbuf *err)
{
	if (initgroups(u->name, u->gid) < 0 ||
	    setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		sb_printf(err, "cannot switch to %s:%s: %s", u->name, u->group,
		    strerror(errno));
		return -1;
	}
	if (u->uid != 0 && setuid(0) == 0) {
		sb_printf(err, "switching to %s did not drop root", u->name);
		return -1;
	}
	return 0;
}

/* The directory part of path ("." for a bare name), malloc'ed. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int
try_one(const char *path, enum runas_want want)
{
	char *dir;
	int fd, rc;

	if (want == RUNAS_READ) {
		fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return errno ? errno : EACCES;
		close(fd);
		return 0;
	}
	if ((dir = dir_of(path)) == NULL)
		return ENOMEM;
	rc = faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0 ?
	    (errno ? errno : EACCES) : 0;
	free(dir);
	return rc;
}

int
runas_check(const struct runas_user *u, const char *const *paths,
    const enum runas_want *want, size_t n, int *res, strbuf *err)
{
	int fds[2], status;
	size_t i, got = 0;
	ssize_t r;
	pid_t pid;

	if (geteuid() != 0 && geteuid() != u->uid) {
		sb_printf(err, "checking the files as %s needs root",
		    u->name);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		sb_printf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		sb_printf(err, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		strbuf e;
		int v;

		close(fds[0]);
		sb_init(&e);
		if (geteuid() == 0 && runas_become(u, &e) < 0)
			_exit(2);
		for (i = 0; i < n; i++) {
			v = try_one(paths[i], want[i]);
			if (write(fds[1], &v, sizeof(v)) != sizeof(v))
				_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < n * sizeof(int)) {
		r = read(fds[0], (char *)res + got, n * sizeof(int) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != n * sizeof(int) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		sb_printf(err, "could not check the files as %s:%s%s",
		    u->name, u->group, WIFEXITED(status) &&
		    WEXITSTATUS(status) == 2 ? " (switching user failed)" :
		    "");
		return -1;
	}
	return 0;
}

/* Is g one of u's groups (primary, UserID's group, supplementary)? */
static bool
in_groups(const struct runas_user *u, gid_t g)
{
	gid_t groups[256];
	int n = 256, i;
	struct passwd *pw;

	if (g == u->gid)
		return true;
	if ((pw = getpwnam(u->name)) == NULL)
		return false;
	if (pw->pw_gid == g)
		return true;
	if (getgrouplist(u->name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

/* Has u the permission bits (one of S_IRUSR/S_IWUSR/S_IXUSR) on st? */
static bool
mode_allows(const struct runas_user *u, const struct stat *st, mode_t usr)
{
	if (u->uid == 0)
		return true;
	if (st->st_uid == u->uid)
		return (st->st_mode & usr) != 0;
	if (in_groups(u, st->st_gid))
		return (st->st_mode & (usr >> 3)) != 0;
	return (st->st_mode & (usr >> 6)) != 0;
}

/* The fix for one object: make it the group's, then add the bits. */
static void
fix_one(const struct runas_user *u, const char *path, const struct stat *st,
    const char *bits, strbuf *fix)
{
	if (fix->len > 0)
		sb_puts(fix, "; ");
	if (!in_groups(u, st->st_gid) && st->st_uid != u->uid)
		sb_printf(fix, "chgrp %s %s && ", u->group, path);
	if (st->st_uid == u->uid)
		sb_printf(fix, "chmod u+%s %s", bits, path);
	else
		sb_printf(fix, "chmod g+%s %s", bits, path);
}

void
runas_fix(const struct runas_user *u, const char *path, enum runas_want want,
    strbuf *fix)
{
	char *copy, *p, *dir;
	struct stat st;

	if (path[0] != '/' || (copy = strdup(path)) == NULL)
		return;
	/* every directory on the way must be searchable (the key's own
	 * directory, for RUNAS_CREATE, gets its fix below) */
	for (p = strchr(copy + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		if (want == RUNAS_CREATE && strchr(p + 1, '/') == NULL)
			break;
		*p = '\0';
		if (stat(copy, &st) == 0 && S_ISDIR(st.st_mode) &&
		    !mode_allows(u, &st, S_IXUSR))
			fix_one(u, copy, &st, "x", fix);
		*p = '/';
	}
	if (want == RUNAS_READ) {
		if (stat(copy, &st) == 0 && !mode_allows(u, &st, S_IRUSR))
			fix_one(u, copy, &st, "r", fix);
	} else if ((dir = dir_of(copy)) != NULL) {
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    (!mode_allows(u, &st, S_IWUSR) ||
		    !mode_allows(u, &st, S_IXUSR))) {
			if (fix->len > 0)
				sb_puts(fix, "; ");
			sb_printf(fix, "chown %s:%s %s && chmod u+wx %s",
			    u->name, u->group, dir, dir);
		}
		free(dir);
	}
	free(copy);
}
