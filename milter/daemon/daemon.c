/*
 * daemon.c - the process side of start-up: detach, socket, PidFile,
 *	      privileges, and failing cleanly
 *
 * CONTRACT
 *	See daemon.h. Until daemon_started(), every start-up error
 *	goes through daemon_die(): it removes the socket and the PidFile this
 *	process created (never one another process owns), prints the reason
 *	to standard error and the log, hands it to the waiting parent of a
 *	detached start, and exits 1. Afterwards the socket and PidFile stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "config.h"
#include "daemon.h"
#include "runas.h"
#include "log.h"
#include "util.h"

static int status_fd = -1;		/* to the waiting parent, or -1 */
/* what this process created at start-up (copies: the configuration that
 * named them may be gone), removed again when the start fails */
static char *made_socket;
static char *made_pidfile;

void
daemon_made_socket(const char *path)
{
	free(made_socket);
	made_socket = path != NULL ? strdup(path) : NULL;
}

/* A start-up failure: to stderr, the log, and the waiting parent. */
void
daemon_die(const char *fmt, ...)
{
	strbuf sb;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = str_vprintf(fmt, ap);
	va_end(ap);
	sb_init(&sb);
	sb_puts(&sb, msg != NULL ? msg : "");
	free(msg);
	/* nothing half-started: no stale socket, no PidFile of a dead pid */
	if (made_socket != NULL && unlink(made_socket) < 0 && errno != ENOENT)
		sb_printf(&sb, " (could not remove the socket %s: %s)",
		    made_socket, strerror(errno));
	if (made_pidfile != NULL && unlink(made_pidfile) < 0 &&
	    errno != ENOENT)
		sb_printf(&sb, " (could not remove PidFile %s: %s)",
		    made_pidfile, strerror(errno));
	fprintf(stderr, "relaymilter: %s\n", sb.s);
	if (log_to_syslog())
		log_msg(LOG_ERR, NULL, "%s", sb.s);
	if (status_fd >= 0) {
		/* a failed write leaves the parent an empty pipe, which it
		 * reports as a failed start too */
		if (write(status_fd, sb.s, sb.len) < 0)
			sb_reset(&sb);
		close(status_fd);
	}
	exit(1);
}

/* Drop to UserID when running as root; refuse root without it. */
void
daemon_drop_privileges(const struct rm_config *cfg, const char *sockpath)
{
	struct runas_user u;
	strbuf err;

	if (cfg->userid == NULL || *cfg->userid == '\0') {
		if (geteuid() == 0 && !cfg->allow_root)
			daemon_die("refusing to run as root: set UserID (for example "
			    "\"UserID relaymilter:smmsp\") or \"AllowRoot yes\"");
		return;
	}
	sb_init(&err);
	if (runas_lookup(cfg->userid, &u, &err) < 0)
		daemon_die("UserID: %s", err.s[0] ? err.s : "out of memory");
	if (geteuid() != 0) {
		if (geteuid() != u.uid)
			daemon_die("UserID is %s but relaymilter runs as uid %u and "
			    "cannot switch", cfg->userid, (unsigned)geteuid());
		runas_user_free(&u);
		return;
	}
	if (sockpath != NULL) {
		struct stat st;

		/* the socket libmilter just made, not what a symlink put in
		 * its place points to */
		if (lstat(sockpath, &st) < 0 || !S_ISSOCK(st.st_mode))
			daemon_die("%s is no longer the socket relaymilter "
			    "made", sockpath);
		if (lchown(sockpath, u.uid, u.gid) < 0)
			daemon_die("cannot chown %s to %s: %s", sockpath,
			    cfg->userid, strerror(errno));
	}
	/* keeps the user's supplementary groups (smmsp reads authinfo on
	 * Debian) and drops root's */
	if (runas_become(&u, &err) < 0)
		daemon_die("UserID: %s", err.s);
	runas_user_free(&u);
	sb_free(&err);
}

const char *
daemon_socket_path(const char *spec)
{
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* Does a process accept connections on this unix socket? */
bool
daemon_socket_in_use(const char *path)
{
	struct sockaddr_un sun;
	int fd;
	bool live;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;		/* libmilter reports the bad path */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	/* ECONNREFUSED: a stale socket file left by a dead process */
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

void
daemon_write_pidfile(const char *path)
{
	struct stat st;
	char buf[32];
	int fd, n;

	if (path == NULL || *path == '\0')
		return;
	/*
	 * Root writes it before the privilege drop, possibly in a directory
	 * the daemon user can write: never through a symlink (O_NOFOLLOW),
	 * never into a hard link to another file or one someone else owns.
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    0644);
	if (fd < 0)
		daemon_die("cannot write PidFile %s: %s", path,
		    errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		daemon_die("cannot write PidFile %s: not a regular file of "
		    "this user with a single link; remove it", path);
	}
	made_pidfile = strdup(path);	/* NULL: not removed on failure */
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n ||
	    close(fd) < 0)
		daemon_die("cannot write PidFile %s: %s", path, strerror(errno));
}

/* Detach: the parent waits until the child reports success or failure. */
void
daemon_detach(void)
{
	int fds[2], devnull;
	pid_t pid;
	char buf[1024];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		daemon_die("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		daemon_die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\0')
			_exit(0);
		_exit(1);	/* the child printed the reason itself */
	}
	close(fds[0]);
	status_fd = fds[1];
	if (setsid() < 0)
		daemon_die("setsid: %s", strerror(errno));
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	if (chdir("/") < 0)
		daemon_die("chdir /: %s", strerror(errno));
}

/* Start-up worked: release the parent and detach stdout/stderr. */
void
daemon_started(void)
{
	int devnull;

	if (status_fd >= 0) {
		(void)write(status_fd, "", 1);
		close(status_fd);
		status_fd = -1;
		if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
			if (devnull > STDERR_FILENO)
				close(devnull);
		}
	}
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "READY=1");
#endif
}
