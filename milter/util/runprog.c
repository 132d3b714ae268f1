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
 *	not a time-out. Exit status 126 with a working directory is taken as
 *	"cannot change to directory" (the child's chdir() failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
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

/* The child's side: its descriptors, its directory, then exec. */
static void
child(const struct run_req *rq, int in_fd, int out_fd, int err_fd)
{
	int devnull;

	if (in_fd >= 0)
		dup2(in_fd, 0);
	else if ((devnull = open("/dev/null", O_RDONLY)) >= 0 && devnull != 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	dup2(out_fd, 1);
	dup2(err_fd >= 0 ? err_fd : out_fd, 2);
	if (rq->cwd != NULL && chdir(rq->cwd) < 0)
		_exit(126);
	execvp(rq->argv[0], rq->argv);
	_exit(127);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
run_program_req(const struct run_req *rq, strbuf *why)
{
	uint64_t until_ms;
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, isock[2] = { -1, -1 };
	int status = 0, rc = -1, poll_errno = 0;
	size_t total = 0, sent = 0;
	bool timed_out = false, too_much = false, out_open, err_open;
	enum reap reap = REAPED;
	pid_t pid;

	if (pipe2(opipe, O_CLOEXEC) < 0 ||
	    (rq->err != NULL && pipe2(epipe, O_CLOEXEC) < 0) ||
	    (rq->input != NULL && socketpair(AF_UNIX, SOCK_STREAM |
	    SOCK_CLOEXEC, 0, isock) < 0)) {
		sb_printf(why, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) < 0) {
		sb_printf(why, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(rq, isock[1], opipe[1], epipe[1]);
	close_fd(&opipe[1]);
	close_fd(&epipe[1]);
	close_fd(&isock[1]);
	if (isock[0] >= 0 && rq->input_len == 0)
		close_fd(&isock[0]);
	out_open = true;
	err_open = epipe[0] >= 0;
	until_ms = mono_ms() + rq->timeout_ms;
	while (out_open || err_open) {
		struct pollfd p[3];
		int idx[3], np = 0, i;
		int pr;

		if (out_open) {
			p[np] = (struct pollfd){ opipe[0], POLLIN, 0 };
			idx[np++] = 0;
		}
		if (err_open) {
			p[np] = (struct pollfd){ epipe[0], POLLIN, 0 };
			idx[np++] = 1;
		}
		if (isock[0] >= 0) {
			p[np] = (struct pollfd){ isock[0], POLLOUT, 0 };
			idx[np++] = 2;
		}
		pr = poll_until(p, (nfds_t)np, until_ms);
		if (pr < 0) {
			poll_errno = errno;
			break;
		}
		if (pr == 0) {
			timed_out = true;
			break;
		}
		for (i = 0; i < np && !too_much; i++) {
			char buf[4096];
			strbuf *dst = idx[i] == 1 ? rq->err : rq->out;
			ssize_t n;

			if (p[i].revents == 0)
				continue;
			if (idx[i] == 2) {
				n = send(isock[0], rq->input + sent,
				    rq->input_len - sent, MSG_NOSIGNAL |
				    MSG_DONTWAIT);
				if (n > 0)
					sent += (size_t)n;
				if ((n < 0 && errno != EINTR &&
				    errno != EAGAIN) || sent == rq->input_len)
					close_fd(&isock[0]);
				continue;
			}
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (idx[i] == 0)
					out_open = false;
				else
					err_open = false;
				continue;
			}
			if (total + (size_t)n > RUN_MAX) {
				too_much = true;
				break;
			}
			total += (size_t)n;
			sb_append(dst, buf, (size_t)n);
		}
		if (too_much)
			break;
	}
	close_fd(&opipe[0]);
	close_fd(&epipe[0]);
	close_fd(&isock[0]);
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
		if (rq->timeout_ms % 1000 == 0)
			sb_printf(why, "%s did not finish within %u s",
			    rq->argv[0], rq->timeout_ms / 1000);
		else
			sb_printf(why, "%s did not finish within %u ms",
			    rq->argv[0], rq->timeout_ms);
		rc = -2;
	} else if (poll_errno != 0)
		sb_printf(why, "poll: %s", strerror(poll_errno));
	else if (reap == LOST)
		sb_printf(why, "the exit status of %s is lost (SIGCHLD is "
		    "ignored)", rq->argv[0]);
	else if (too_much)
		sb_printf(why, "%s wrote more than %u bytes", rq->argv[0],
		    RUN_MAX);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		sb_printf(why, "%s could not be run", rq->argv[0]);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 126 &&
	    rq->cwd != NULL)
		sb_printf(why, "%s: cannot change to directory %s", rq->argv[0],
		    rq->cwd);
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		sb_printf(why, "%s was killed by signal %d", rq->argv[0],
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (rq->out->err || (rq->err != NULL && rq->err->err)) {
		sb_reset(why);
		sb_puts(why, "out of memory");
		rc = -1;
	}
	return rc;
fail:
	close_fd(&opipe[0]);
	close_fd(&opipe[1]);
	close_fd(&epipe[0]);
	close_fd(&epipe[1]);
	close_fd(&isock[0]);
	close_fd(&isock[1]);
	return -1;
}

int
run_program(char *const argv[], unsigned timeout_ms, strbuf *out,
    strbuf *why)
{
	struct run_req rq = { argv, timeout_ms, NULL, NULL, 0, out, NULL };

	return run_program_req(&rq, why);
}
