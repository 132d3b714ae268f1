/*
 * test_qscan.c - reading queue directories (milter/qscan.c)
 *
 * CONTRACT
 *	A temporary queue directory holds control files of the three kinds,
 *	the files that are not read (df, tf, xf, bad names), a qf/
 *	subdirectory, a symlink, a FIFO and a directory named like a control
 *	file; the before_open hook makes files vanish and be replaced at the
 *	worst moment. Checked: what is handed to the callback for each,
 *	max_size, an unreadable directory, stopping, and the expansion of
 *	QueueDirectory patterns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "qscan.h"
#include "testutil.h"

#define GOOD	"V8\nT100\nK0\nN0\nP1\nSa@b.test\nRPFD:<c@d.test>\n.\n"

struct seen {
	char	 name[64];
	char	 kind;
	enum qscan_result r;
	int	 err;
	int64_t	 ctime;
	bool	 in_sub;
};

struct col {
	struct seen v[64];
	size_t	 n;
	int	 stop_after;	/* 0: never */
};

static int
collect(void *ctx, const struct qscan_file *f)
{
	struct col *c = ctx;
	struct seen *s;

	if (c->n >= 64)
		fail_msg("too many files");
	s = &c->v[c->n++];
	snprintf(s->name, sizeof(s->name), "%s", f->name);
	assert_ptr_equal(f->qid, f->name + 2);
	s->kind = f->kind;
	s->r = f->result;
	s->err = f->err;
	s->in_sub = strstr(f->dir, "/qf") != NULL &&
	    strcmp(strrchr(f->dir, '/'), "/qf") == 0;
	if (f->result == QS_PARSED)
		s->ctime = f->msg->ctime;
	if (f->result == QS_INCOMPLETE)
		assert_true(f->mtime > 0);
	return c->stop_after && (int)c->n >= c->stop_after ? 7 : 0;
}

static const struct seen *
find(const struct col *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

static char qdir[512];

static void
hook(void *ctx, const char *dir, const char *name)
{
	char p[600], t[600];

	(void)ctx;
	if (strcmp(name, "qfGone00001") == 0) {
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		assert_int_equal(unlink(p), 0);
	} else if (strcmp(name, "qfSwap00001") == 0) {
		/* sendmail's rewrite: a new file renamed over the old one */
		snprintf(t, sizeof(t), "%s/tfSwap00001", dir);
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		FILE *f = fopen(t, "w");

		assert_non_null(f);
		fputs("V8\nT222\nSa@b\nRP:<x@y>\n.\n", f);
		fclose(f);
		assert_int_equal(rename(t, p), 0);
	}
}

static void
make_queue(void)
{
	char p[600];

	snprintf(qdir, sizeof(qdir), "%s/q1", tu_dir());
	mkdir(qdir, 0700);
	snprintf(p, sizeof(p), "%s/qf", qdir);
	mkdir(p, 0700);
	tu_write("q1/qfGood00001", GOOD, 0640);
	tu_write("q1/hfHeld00001", "V8\nT90\nqheld\nSa@b\nRP:<x@y>\n.\n", 0640);
	tu_write("q1/QfLost00001", GOOD, 0640);
	tu_write("q1/qfHalf00001", "V8\nT100\nSa@b\n", 0640);
	tu_write("q1/qfBadT00001", "V8\nTxx\nSa@b\n.\n", 0640);
	tu_write("q1/qfGone00001", GOOD, 0640);
	tu_write("q1/qfSwap00001", GOOD, 0640);
	tu_write("q1/dfGood00001", "body\n", 0640);
	tu_write("q1/tfGood00001", "V8\n", 0640);
	tu_write("q1/xfGood00001", "transcript\n", 0640);
	tu_write("q1/qf-dash0001", GOOD, 0640);
	tu_write("q1/Xf00001", GOOD, 0640);
	tu_write("q1/qf/qfSub000001", GOOD, 0640);
	snprintf(p, sizeof(p), "%s/qfLink00001", qdir);
	assert_int_equal(symlink("qfGood00001", p), 0);
	snprintf(p, sizeof(p), "%s/qfFifo00001", qdir);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/qfDir000001", qdir);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void
test_scan(void **state)
{
	struct qscan s;
	struct col c;
	strbuf err;
	const struct seen *x;

	(void)state;
	make_queue();
	memset(&c, 0, sizeof(c));
	sb_init(&err);
	qscan_init(&s);
	s.before_open = hook;
	assert_int_equal(qscan_dir(&s, qdir, collect, &c, &err), 0);
	/* 10 control-file names and the one in qf/; the others are not
	 * looked at */
	assert_int_equal(c.n, 11);
	assert_non_null(x = find(&c, "qfGood00001"));
	assert_int_equal(x->r, QS_PARSED);
	assert_int_equal(x->kind, 'q');
	assert_int_equal(x->ctime, 100);
	assert_false(x->in_sub);
	assert_int_equal(find(&c, "hfHeld00001")->kind, 'h');
	assert_int_equal(find(&c, "hfHeld00001")->r, QS_PARSED);
	assert_int_equal(find(&c, "QfLost00001")->kind, 'Q');
	assert_int_equal(find(&c, "qfHalf00001")->r, QS_INCOMPLETE);
	assert_int_equal(find(&c, "qfBadT00001")->r, QS_BAD);
	assert_int_equal(find(&c, "qfGone00001")->r, QS_VANISHED);
	/* replaced under the reader: the new content, whole */
	assert_int_equal(find(&c, "qfSwap00001")->r, QS_PARSED);
	assert_int_equal(find(&c, "qfSwap00001")->ctime, 222);
	assert_non_null(x = find(&c, "qfSub000001"));
	assert_true(x->in_sub);
	assert_int_equal(x->r, QS_PARSED);
	/* never followed, never blocked on */
	assert_int_equal(find(&c, "qfLink00001")->r, QS_UNREADABLE);
	assert_int_equal(find(&c, "qfLink00001")->err, ELOOP);
	assert_int_equal(find(&c, "qfFifo00001")->r, QS_UNREADABLE);
	assert_int_equal(find(&c, "qfFifo00001")->err, EINVAL);
	assert_int_equal(find(&c, "qfDir000001")->r, QS_UNREADABLE);
	assert_null(find(&c, "dfGood00001"));
	assert_null(find(&c, "tfGood00001"));
	assert_null(find(&c, "tfSwap00001"));
	assert_null(find(&c, "qf-dash0001"));
	assert_null(find(&c, "Xf00001"));

	/* a control file larger than max_size is named, not cut */
	memset(&c, 0, sizeof(c));
	s.before_open = NULL;
	s.max_size = 40;
	assert_int_equal(qscan_dir(&s, qdir, collect, &c, &err), 0);
	assert_int_equal(find(&c, "qfGood00001")->r, QS_TOOBIG);
	assert_int_equal(find(&c, "hfHeld00001")->r, QS_PARSED);

	/* the callback stops the listing */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(qscan_dir(&s, qdir, collect, &c, &err), 7);
	assert_int_equal(c.n, 2);

	/* a directory that cannot be read */
	assert_int_equal(qscan_dir(&s, "/nonexistent/mqueue", collect, &c,
	    &err), -1);
	assert_non_null(strstr(err.s, "/nonexistent/mqueue"));
	qscan_free(&s);
	sb_free(&err);
}

static void
test_expand(void **state)
{
	char pat[600], **d;
	size_t n;
	strbuf err;

	(void)state;
	sb_init(&err);
	snprintf(pat, sizeof(pat), "%s/q2", tu_dir());
	mkdir(pat, 0700);
	snprintf(pat, sizeof(pat), "%s/q0", tu_dir());
	mkdir(pat, 0700);
	tu_write("qfile", "not a directory\n", 0600);
	snprintf(pat, sizeof(pat), "%s/q*", tu_dir());
	assert_int_equal(qscan_expand(pat, &d, &n, &err), 0);
	assert_true(n >= 3);
	assert_non_null(strstr(d[0], "/q0"));
	assert_non_null(strstr(d[1], "/q1"));
	assert_non_null(strstr(d[2], "/q2"));
	strv_free(d, n);
	snprintf(pat, sizeof(pat), "%s/none*", tu_dir());
	assert_int_equal(qscan_expand(pat, &d, &n, &err), 0);
	assert_int_equal(n, 0);
	strv_free(d, n);
	assert_int_equal(qscan_expand("/var/spool/mqueue", &d, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(d[0], "/var/spool/mqueue");
	strv_free(d, n);
	assert_int_equal(qscan_expand("/nonexistent/q*", &d, &n, &err), -1);
	assert_non_null(strstr(err.s, "/nonexistent"));
	sb_free(&err);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
