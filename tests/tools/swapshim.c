/*
 * swapshim.c - an LD_PRELOAD shim that plays the attacker of issue 14.5:
 *	it replaces a file at the moment the daemon has just checked or made
 *	it, so that a second use BY PATH meets something else.
 *
 *	RM_SWAP_ON=listen	after the daemon's listen() (libmilter made
 *				the socket), rename RM_SWAP_WITH (a symlink)
 *				over RM_SWAP_PATH (the socket path)
 *	RM_SWAP_ON=fstat	after an fstat() of a descriptor open on
 *				RM_SWAP_PATH (the trace key was checked),
 *				rename RM_SWAP_WITH over RM_SWAP_PATH
 *	Once per process.
 *	RM_SHIM_SYSLOG=1	also copy every syslog() line (libmilter logs
 *				with __syslog_chk) to stderr as "SYSLOG: ...",
 *				so a test can read what libmilter says
 *	Test code only: never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int done;

static void
swap(void)
{
	const char *path = getenv("RM_SWAP_PATH");
	const char *with = getenv("RM_SWAP_WITH");

	if (done || path == NULL || with == NULL)
		return;
	done = 1;
	if (rename(with, path) < 0)
		perror("swapshim: rename");
}

static int
on(const char *what)
{
	const char *v = getenv("RM_SWAP_ON");

	return v != NULL && strcmp(v, what) == 0;
}

int
listen(int fd, int backlog)
{
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	int rc = real(fd, backlog);

	if (on("listen"))
		swap();
	return rc;
}

int
fstat(int fd, struct stat *st)
{
	int (*real)(int, struct stat *) =
	    (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
	int rc = real(fd, st);
	const char *path = getenv("RM_SWAP_PATH");
	char link[64], target[4096];
	ssize_t n;

	if (!done && rc == 0 && on("fstat") && path != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, path) == 0)
				swap();
		}
	}
	return rc;
}

static void
copy_line(const char *fmt, va_list ap)
{
	fputs("SYSLOG: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (getenv("RM_SHIM_SYSLOG") != NULL) {
		copy_line(fmt, ap);
	} else {
		void (*real)(int, int, const char *, va_list) =
		    (void (*)(int, int, const char *, va_list))dlsym(RTLD_NEXT,
		    "__vsyslog_chk");

		if (real != NULL)
			real(pri, flag, fmt, ap);
	}
	va_end(ap);
}
