/*
 * test_strpool.c - the string pool: the caller's buffer first, the heap
 * beyond it (never truncated), reset keeps the buffer
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "strpool.h"

/* Copies land in the caller's buffer while they fit. */
static void
test_first_storage(void **state)
{
	char buf[32];
	struct strpool p;
	char *a, *b;

	(void)state;
	strpool_init(&p, buf, sizeof(buf));
	a = strpool_dup(&p, "relay");
	b = strpool_ndup(&p, "[smtp.gmail.com]xyz", 16);
	assert_string_equal(a, "relay");
	assert_string_equal(b, "[smtp.gmail.com]");
	assert_true(a >= buf && a < buf + sizeof(buf));
	assert_true(b >= buf && b + 17 <= buf + sizeof(buf));
	assert_null(p.chunks);
	strpool_free(&p);
}

/* What does not fit goes to the heap, whole; earlier copies stay. */
static void
test_spill_whole(void **state)
{
	char buf[16], big[5000], *v[200], want[64];
	struct strpool p;
	char *a, *l;
	size_t i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strpool_init(&p, buf, sizeof(buf));
	a = strpool_dup(&p, "0123456789");		/* 11 of 16 */
	l = strpool_dup(&p, big);			/* its own chunk */
	assert_non_null(l);
	assert_true(l < buf || l >= buf + sizeof(buf));
	assert_int_equal(strlen(l), sizeof(big) - 1);
	/* a short one still fits in the buffer after the long one */
	assert_true(strpool_dup(&p, "abcd") - buf == 11);
	/* many short ones: chunks of STRPOOL_CHUNK, all kept */
	for (i = 0; i < 200; i++) {
		snprintf(want, sizeof(want), "rcpt-%zu@remote.test", i);
		assert_non_null(v[i] = strpool_dup(&p, want));
	}
	for (i = 0; i < 200; i++) {
		snprintf(want, sizeof(want), "rcpt-%zu@remote.test", i);
		assert_string_equal(v[i], want);
	}
	assert_string_equal(a, "0123456789");
	assert_string_equal(l, big);
	/* reset: the chunks go (ASan/valgrind see a leak otherwise), the
	 * buffer is used again from its start */
	strpool_reset(&p);
	assert_null(p.chunks);
	assert_ptr_equal(strpool_dup(&p, "again"), buf);
	strpool_free(&p);
}

/* Without a buffer of its own every copy is on the heap. */
static void
test_no_buffer(void **state)
{
	struct strpool p;
	char *a;

	(void)state;
	strpool_init(&p, NULL, 0);
	a = strpool_dup(&p, "");
	assert_non_null(a);
	assert_string_equal(a, "");
	assert_non_null(p.chunks);
	strpool_free(&p);
	assert_null(p.chunks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_storage),
		cmocka_unit_test(test_spill_whole),
		cmocka_unit_test(test_no_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
