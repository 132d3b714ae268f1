/*
 * deadline.h - the monotonic clock in milliseconds, and poll() until a
 *		deadline on it: the one copy in the tree
 *
 * CONTRACT
 *	mono_ms() reads CLOCK_MONOTONIC in milliseconds (it never goes back
 *	and ignores changes of the wall clock). poll_until() waits like
 *	poll(2) for the descriptors, but until the deadline until_ms on
 *	mono_ms()'s clock rather than for a duration: a signal (EINTR) resumes
 *	the wait with the time left, and a deadline already reached polls no
 *	more. It returns the number of ready descriptors (revents set), 0 when
 *	the deadline came first, -1 with errno when poll() fails. Nothing
 *	here allocates, logs or keeps state.
 */
#ifndef RM_DEADLINE_H
#define RM_DEADLINE_H

#include <poll.h>
#include <stdint.h>

uint64_t	 mono_ms(void);
int		 poll_until(struct pollfd *fds, nfds_t n, uint64_t until_ms);
/* The same for one descriptor and events (POLLIN, POLLOUT): 1, 0, -1. */
int		 poll_fd_until(int fd, short events, uint64_t until_ms);

#endif
