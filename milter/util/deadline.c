/*
 * deadline.c - the monotonic clock in milliseconds, and poll() until a
 *		deadline
 *
 * CONTRACT
 *	See deadline.h. The wait passed to poll() is what is left of the
 *	deadline, bounded to INT_MAX milliseconds (a longer wait is resumed).
 */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "deadline.h"

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
poll_until(struct pollfd *fds, nfds_t n, uint64_t until_ms)
{
	for (;;) {
		uint64_t now = mono_ms(), left;
		int r;

		if (now >= until_ms)
			return 0;
		left = until_ms - now;
		r = poll(fds, n, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && left > INT_MAX)
			continue;
		return r;
	}
}

int
poll_fd_until(int fd, short events, uint64_t until_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll_until(&p, 1, until_ms);
}
