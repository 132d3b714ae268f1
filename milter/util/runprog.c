/*
 * runprog.c - run a program under a time limit and capture its output
 *
 * CONTRACT
 *	See runprog.h. The time limit counts on CLOCK_MONOTONIC from
 *	just after the fork; a poll() interrupted by a signal resumes with what
 *	is left of it, a failing poll() kills the child and is an error (-1).
 *	Exit status 127 is taken as "could not be run" (what the child returns
 *	when execvp() fails). With SIGCHLD ignored (inherited through exec)
 *	the kernel reaps the child itself: its status is lost, an error (-1),
 *	not a time-out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "runprog.h"

enum reap { REAPED, RUNNING, LOST };

/*
 * The child closed its output: reap it if it exits before the time limit
 * (checked every 10 ms). RUNNING when it still runs at the limit, LOST
 * when it cannot be waited for (ECHILD: SIGCHLD is ignored, the kernel
 * reaped it and its status is gone).
 */
static enum reap
reap_by(pid_t pid, int *status, uint64_t until_ms)
{
	const struct timespec tick = { 0, 10 * 1000000 };
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return REAPED;
		if (r < 0 && errno != EINTR)
			return LOST;
		if (mono_ms() >= until_ms)
			return RUNNING;
		nanosleep(&tick, NULL);
	}
}

int
run_program(char *const argv[], unsigned timeout_ms, strbuf *out,
    strbuf *why)
{
	uint64_t until_ms;
	int pfd[2], devnull, status = 0, rc = -1, poll_errno = 0;
	bool timed_out = false, too_much = false;
	enum reap reap = REAPED;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		sb_printf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		sb_printf(why, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0 && devnull != 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	until_ms = mono_ms() + timeout_ms;
	for (;;) {
		char buf[4096];
		ssize_t n;
		int pr;

		pr = poll_fd_until(pfd[0], POLLIN, until_ms);
		if (pr < 0) {
			poll_errno = errno;
			break;
		}
		if (pr == 0) {
			timed_out = true;
			break;
		}
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n > RUN_MAX) {
			too_much = true;
			break;
		}
		sb_append(out, buf, (size_t)n);
	}
	close(pfd[0]);
	if (!timed_out && !too_much && poll_errno == 0) {
		reap = reap_by(pid, &status, until_ms);
		timed_out = reap == RUNNING;
	}
	if (reap != LOST && (timed_out || too_much || poll_errno != 0)) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (timed_out) {
		if (timeout_ms % 1000 == 0)
			sb_printf(why, "%s did not finish within %u s",
			    argv[0], timeout_ms / 1000);
		else
			sb_printf(why, "%s did not finish within %u ms",
			    argv[0], timeout_ms);
		rc = -2;
	} else if (poll_errno != 0)
		sb_printf(why, "poll: %s", strerror(poll_errno));
	else if (reap == LOST)
		sb_printf(why, "the exit status of %s is lost (SIGCHLD is "
		    "ignored)", argv[0]);
	else if (too_much)
		sb_printf(why, "%s wrote more than %u bytes", argv[0], RUN_MAX);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		sb_printf(why, "%s could not be run", argv[0]);
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		sb_printf(why, "%s was killed by signal %d", argv[0],
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (out->err) {
		sb_reset(why);
		sb_puts(why, "out of memory");
		rc = -1;
	}
	return rc;
}
