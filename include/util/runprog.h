/*
 * runprog.h - run a program under a time limit and capture its output
 *
 * CONTRACT
 *	run_program() forks and execs argv (argv[0] a path, or a name looked
 *	up in PATH) with stdin from /dev/null and stdout and stderr on one
 *	pipe, which it reads into *out until end of file, the time limit or
 *	RUN_MAX bytes (4 MiB: more is an error, not a silent cut).
 *	run_program_req() does the same with more said: a working directory
 *	for the child, a text given on its stdin (through a socket, so that a
 *	child that does not read it costs no SIGPIPE here), and stderr read
 *	apart into its own buffer (RUN_MAX counts both). After the
 *	time limit or too much output the child -- only the child started
 *	here, not its process group -- is killed. The time limit covers the
 *	whole run: a child that closes its output and goes on running is
 *	killed at the limit too. The child is always reaped before
 *	run_program() returns. It blocks,
 *	installs no signal handler and touches no other child. Out of
 *	memory in *out is an error (-1, why "out of memory").
 */
#ifndef RM_RUNPROG_H
#define RM_RUNPROG_H

#include "util.h"

#define RUN_MAX			(4u << 20)

/*
 * Run argv (argv[0] a path, or a name looked up in PATH), capture its
 * output in *out. Returns the exit status (0..255), -2 when it did not
 * finish in time (out holds what it wrote until then), or -1 with why set
 * (could not start, killed, too much output).
 */
int	run_program(char *const argv[], unsigned timeout_ms, strbuf *out,
	    strbuf *why);

struct run_req {
	char *const	*argv;
	unsigned	 timeout_ms;
	const char	*cwd;		/* the child's directory, NULL: ours */
	const char	*input;		/* the child's stdin, NULL: /dev/null */
	size_t		 input_len;
	strbuf		*out;		/* stdout (and stderr when err is NULL) */
	strbuf		*err;		/* stderr apart, or NULL */
};

/* As run_program(); a directory the child cannot enter is an error (-1,
 * why says so). */
int	run_program_req(const struct run_req *rq, strbuf *why);

#endif
