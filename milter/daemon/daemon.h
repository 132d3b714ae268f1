/*
 * daemon.h - detaching, the socket, the PidFile and privileges at start-up
 *
 * CONTRACT
 *	The process plumbing of relaymilter's start, kept out of main.c's
 *	option handling: daemon_detach() forks and lets the parent wait until
 *	the child calls daemon_started() (exit 0) or daemon_die() (exit 1,
 *	after the child printed why), so that a detached start reports every
 *	error on the terminal. Root drops to UserID (user[:group], keeping the
 *	user's supplementary groups) after the socket exists; root without
 *	UserID is refused unless AllowRoot.
 */
#ifndef RM_DAEMON_H
#define RM_DAEMON_H

#include <stdbool.h>

#include "config.h"

void	daemon_die(const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	daemon_detach(void);
/* Start-up worked: release the parent, detach stdout/stderr, READY=1. */
void	daemon_started(void);
/* The unix socket path of a Socket value ("local:", "unix:", "/"), or
 * NULL for inet sockets. */
const char *daemon_socket_path(const char *spec);
/* Does a live process accept connections on this unix socket? */
bool	daemon_socket_in_use(const char *path);
/* Remember the socket this process created (removed if the start fails). */
void	daemon_made_socket(const char *path);
void	daemon_write_pidfile(const char *path);
void	daemon_drop_privileges(const struct rm_config *cfg,
	    const char *sockpath);

#endif
