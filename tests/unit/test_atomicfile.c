/*
 * test_atomicfile.c - atomicfile_write(): replace, create-only, errors
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "atomicfile.h"
#include "util.h"

/* Entries of dir other than . and .. */
static int
entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
expect_file(const char *path, const char *text, mode_t mode)
{
	char *buf;
	size_t len;
	struct stat st;

	assert_int_equal(read_file(path, &buf, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(buf, text, len);
	free(buf);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
test_replace(void **state)
{
	char dir[512], path[600];
	strbuf err;

	(void)state;
	sb_init(&err);
	snprintf(dir, sizeof(dir), "%s/replace", tu_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(atomicfile_write(path, "one\n", 4, 0600,
	    ATOMICFILE_REPLACE, &err), 0);
	expect_file(path, "one\n", 0600);
	/* replaced, with the new mode; no temporary name is left */
	assert_int_equal(atomicfile_write(path, "two lines\nhere\n", 15, 0644,
	    ATOMICFILE_REPLACE, &err), 0);
	expect_file(path, "two lines\nhere\n", 0644);
	assert_int_equal(entries(dir), 1);
	/* empty contents are a file too */
	assert_int_equal(atomicfile_write(path, "", 0, 0600,
	    ATOMICFILE_REPLACE, &err), 0);
	expect_file(path, "", 0600);
	assert_int_equal(err.len, 0);	/* nothing said */
	sb_free(&err);
}

static void
test_new(void **state)
{
	char dir[512], path[600], link_path[600];
	strbuf err;
	char target[64];
	ssize_t n;

	(void)state;
	sb_init(&err);
	snprintf(dir, sizeof(dir), "%s/new", tu_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(atomicfile_write(path, "first\n", 6, 0600,
	    ATOMICFILE_NEW, &err), 0);
	expect_file(path, "first\n", 0600);
	/* an existing name is left as it is */
	assert_int_equal(atomicfile_write(path, "second\n", 7, 0600,
	    ATOMICFILE_NEW, &err), ATOMICFILE_EXISTS);
	expect_file(path, "first\n", 0600);
	assert_int_equal(entries(dir), 1);
	/* so is a symbolic link, dangling or not: never followed */
	snprintf(link_path, sizeof(link_path), "%s/planted", dir);
	assert_int_equal(symlink("/nonexistent/target", link_path), 0);
	assert_int_equal(atomicfile_write(link_path, "x\n", 2, 0600,
	    ATOMICFILE_NEW, &err), ATOMICFILE_EXISTS);
	n = readlink(link_path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "/nonexistent/target");
	assert_int_equal(entries(dir), 2);
	assert_int_equal(err.len, 0);	/* nothing said */
	sb_free(&err);
}

static void
test_errors(void **state)
{
	char path[600];
	strbuf err;

	(void)state;
	sb_init(&err);
	/* a directory that is not there: named, with the reason */
	snprintf(path, sizeof(path), "%s/missing/state", tu_dir());
	assert_int_equal(atomicfile_write(path, "x", 1, 0600,
	    ATOMICFILE_REPLACE, &err), -1);
	assert_non_null(strstr(err.s, "/missing: cannot create a file "
	    "there: No such file or directory"));
	sb_reset(&err);
	/* replacing a directory fails and leaves no temporary name */
	snprintf(path, sizeof(path), "%s/adir", tu_dir());
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(atomicfile_write(path, "x", 1, 0600,
	    ATOMICFILE_REPLACE, &err), -1);
	assert_non_null(strstr(err.s, "/adir: cannot replace it: "));
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
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
