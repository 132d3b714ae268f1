/*
 * test_runprog.c - run_program(): exit status, output, "could not be run",
 * too much output, and the time limit, also for a child that closes its
 * output and goes on running; run_program_req(): stdin text (also one the
 * child never reads, which must cost no SIGPIPE), stderr apart, the working
 * directory
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "runprog.h"
#include "util.h"

static int
run(const char *script, unsigned ms, strbuf *out, strbuf *why)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };

	sb_reset(out);
	sb_reset(why);
	return run_program(argv, ms, out, why);
}

static void
test_status_and_output(void **state)
{
	strbuf out, why;

	(void)state;
	sb_init(&out);
	sb_init(&why);
	assert_int_equal(run("echo hello; echo oops >&2", 5000, &out, &why), 0);
	assert_string_equal(out.s, "hello\noops\n");
	assert_int_equal(run("read x; echo \"[$x]\"; exit 3", 5000, &out, &why),
	    3);
	assert_string_equal(out.s, "[]\n");	/* stdin is /dev/null */
	assert_int_equal(run("kill -9 $$", 5000, &out, &why), -1);
	assert_string_equal(why.s, "/bin/sh was killed by signal 9");
	sb_free(&out);
	sb_free(&why);
}

static void
test_not_run(void **state)
{
	char *argv[] = { "/nonexistent/relaymilter-test", NULL };
	strbuf out, why;

	(void)state;
	sb_init(&out);
	sb_init(&why);
	assert_int_equal(run_program(argv, 5000, &out, &why), -1);
	assert_string_equal(why.s, "/nonexistent/relaymilter-test could not "
	    "be run");
	sb_free(&out);
	sb_free(&why);
}

static void
test_too_much(void **state)
{
	strbuf out, why;

	(void)state;
	sb_init(&out);
	sb_init(&why);
	assert_int_equal(run("yes", 20000, &out, &why), -1);
	assert_non_null(strstr(why.s, "wrote more than"));
	assert_true(out.len <= RUN_MAX);
	sb_free(&out);
	sb_free(&why);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Both children would run 30 s; the limit (0.3 s) ends them, whether they
 * keep their output open or not. The bound checked is "well before the
 * child's own end", not a speed. */
static void
test_time_limit(void **state)
{
	strbuf out, why;
	double t0;

	(void)state;
	sb_init(&out);
	sb_init(&why);
	t0 = now();
	assert_int_equal(run("echo started; exec sleep 30", 300, &out, &why),
	    -2);
	assert_string_equal(out.s, "started\n");
	assert_string_equal(why.s, "/bin/sh did not finish within 300 ms");
	assert_true(now() - t0 < 20);
	t0 = now();
	assert_int_equal(run("exec >/dev/null 2>&1; sleep 30", 300, &out,
	    &why), -2);
	assert_true(now() - t0 < 20);
	sb_free(&out);
	sb_free(&why);
}

/* SIGCHLD ignored (as a parent may leave it through exec): the kernel
 * reaps the child, its status is lost; an error, not a time-out, and
 * no signal sent to a pid that may be reused. */
static void
test_sigchld_ignored(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	strbuf out, why;
	double t0;
	int rc;

	(void)state;
	sb_init(&out);
	sb_init(&why);
	sigaction(SIGCHLD, &ign, &old);
	t0 = now();
	rc = run("echo hi", 5000, &out, &why);
	sigaction(SIGCHLD, &old, NULL);
	assert_int_equal(rc, -1);
	assert_string_equal(out.s, "hi\n");
	assert_string_equal(why.s, "the exit status of /bin/sh is lost "
	    "(SIGCHLD is ignored)");
	assert_true(now() - t0 < 4);
	sb_free(&out);
	sb_free(&why);
}

static void
test_req(void **state)
{
	char *cat[] = { "/bin/sh", "-c", "cat; echo err >&2; pwd", NULL };
	char *deaf[] = { "/bin/sh", "-c", "exec 0<&-; echo done", NULL };
	struct run_req rq;
	strbuf out, err, why, big;
	size_t i;

	(void)state;
	sb_init(&out);
	sb_init(&err);
	sb_init(&why);
	sb_init(&big);
	memset(&rq, 0, sizeof(rq));
	rq.argv = cat;
	rq.timeout_ms = 10000;
	rq.cwd = "/tmp";
	rq.input = "line 1\nline 2\n";
	rq.input_len = strlen(rq.input);
	rq.out = &out;
	rq.err = &err;
	assert_int_equal(run_program_req(&rq, &why), 0);
	assert_string_equal(out.s, "line 1\nline 2\n/tmp\n");
	assert_string_equal(err.s, "err\n");
	/* a large input the child never reads: no SIGPIPE, no hang */
	for (i = 0; i < 200000; i++)
		sb_puts(&big, "0123456789");
	sb_reset(&out);
	rq.argv = deaf;
	rq.input = big.s;
	rq.input_len = big.len;
	rq.err = NULL;
	assert_int_equal(run_program_req(&rq, &why), 0);
	assert_string_equal(out.s, "done\n");
	/* a directory that cannot be entered */
	rq.cwd = "/nonexistent/dir";
	rq.input = NULL;
	rq.input_len = 0;
	assert_int_equal(run_program_req(&rq, &why), -1);
	assert_string_equal(why.s, "/bin/sh: cannot change to directory "
	    "/nonexistent/dir");
	sb_free(&out);
	sb_free(&err);
	sb_free(&why);
	sb_free(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_and_output),
		cmocka_unit_test(test_not_run),
		cmocka_unit_test(test_too_much),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_req),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
