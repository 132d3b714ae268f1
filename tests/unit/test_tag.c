/*
 * test_tag.c - trace ids: stability, verification, tampering, key files
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tag.h"
#include "util.h"

static struct tag_key
fixed_key(unsigned char fill)
{
	struct tag_key k;

	memset(&k, 0, sizeof(k));
	memset(k.bytes, fill, sizeof(k.bytes));
	return k;
}

/* The prepared pads give the same ids as the plain HMAC. */
static void
test_prepared_same_ids(void **state)
{
	struct tag_key plain = fixed_key(0x5a), prep = fixed_key(0x5a);
	char a[TAG_ID_LEN + 1], b[TAG_ID_LEN + 1], qid[32], lq[509];
	int i;
	size_t n;

	(void)state;
	assert_int_equal(tag_key_prepare(&prep), 0);
	assert_non_null(prep.pads);
	assert_int_equal(tag_key_prepare(&prep), 0);	/* replaces the pads */
	for (i = 0; i < 50; i++) {
		snprintf(qid, sizeof(qid), "Q%08dX", i * 7919);
		assert_int_equal(tag_make_id(&plain, qid, 1763700000 + i, a), 0);
		assert_int_equal(tag_make_id(&prep, qid, 1763700000 + i, b), 0);
		assert_string_equal(a, b);
	}
	/* the message after the pad over one, two and more blocks: every
	 * length around SHA-256's 55/56-byte padding edge, up to the most
	 * mac() takes (507 bytes of queue id) */
	for (n = 1; n <= 507; n++) {
		for (i = 0; (size_t)i < n; i++)
			lq[i] = (char)('A' + (i * 7 + (int)n) % 26);
		lq[n] = '\0';
		assert_int_equal(tag_make_id(&plain, lq, 1763700000, a), 0);
		assert_int_equal(tag_make_id(&prep, lq, 1763700000, b), 0);
		assert_string_equal(a, b);
	}
	/* one byte more than mac() takes: refused on both paths */
	memset(lq, 'Q', sizeof(lq) - 1);
	lq[sizeof(lq) - 1] = '\0';
	assert_int_equal(tag_make_id(&plain, lq, 1763700000, a), -1);
	assert_int_equal(tag_make_id(&prep, lq, 1763700000, b), -1);
	tag_key_wipe(&prep);
	assert_null(prep.pads);
}

static void
test_stable_and_distinct(void **state)
{
	struct tag_key k = fixed_key(0x42), k2 = fixed_key(0x43);
	char a[TAG_ID_LEN + 1], b[TAG_ID_LEN + 1], c[TAG_ID_LEN + 1];
	char d[TAG_ID_LEN + 1], e[TAG_ID_LEN + 1];

	(void)state;
	assert_int_equal(tag_make_id(&k, "6AL7guhV030824", 1763700000, a), 0);
	assert_int_equal(tag_make_id(&k, "6AL7guhV030824", 1763700000, b), 0);
	assert_int_equal(strlen(a), TAG_ID_LEN);
	assert_string_equal(a, b);			/* stable */
	assert_int_equal(tag_make_id(&k, "6AL7guhV030825", 1763700000, c), 0);
	assert_string_not_equal(a, c);			/* qid matters */
	assert_int_equal(tag_make_id(&k, "6AL7guhV030824", 1763700001, d), 0);
	assert_string_not_equal(a, d);			/* time matters */
	assert_int_equal(tag_make_id(&k2, "6AL7guhV030824", 1763700000, e), 0);
	assert_string_not_equal(a, e);			/* key matters */
	/* base32 alphabet only */
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"),
	    TAG_ID_LEN);
}

static void
test_known_vector(void **state)
{
	/* pinned: any change to the id format breaks old bounces */
	struct tag_key k = fixed_key(0x00);
	char id[TAG_ID_LEN + 1];

	(void)state;
	assert_int_equal(tag_make_id(&k, "ABC123", 0x69200000, id), 0);
	/* independently computed: python3 hmac/base64 over the same bytes */
	assert_string_equal(id, "neqaaadfctgb2ytwqj2q");
	/* the same from the prepared pads (the daemon's path) */
	assert_int_equal(tag_key_prepare(&k), 0);
	assert_int_equal(tag_make_id(&k, "ABC123", 0x69200000, id), 0);
	assert_string_equal(id, "neqaaadfctgb2ytwqj2q");
	tag_key_wipe(&k);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
static void
test_hmac_rfc4231(void **state)
{
	static const struct {
		const char *key, *data, *mac;
		size_t klen;
	} v[] = {
		{ "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
		  "\x0b\x0b\x0b\x0b\x0b\x0b", "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  20 },
		{ "Jefe", "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  4 },
		{ NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  131 },
	};
	unsigned char key[131], out[32];
	char hex[65];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].key != NULL)
			memcpy(key, v[i].key, v[i].klen);
		else
			memset(key, 0xaa, v[i].klen);
		assert_int_equal(tag_hmac_sha256(key, v[i].klen,
		    (const unsigned char *)v[i].data, strlen(v[i].data), out), 0);
		for (j = 0; j < 32; j++)
			snprintf(hex + 2 * j, 3, "%02x", out[j]);
		assert_string_equal(hex, v[i].mac);
	}
}

static void
test_verify(void **state)
{
	struct tag_key k = fixed_key(7), other = fixed_key(8);
	char id[TAG_ID_LEN + 1], hv[128];
	time_t when = 0;

	(void)state;
	assert_int_equal(tag_make_id(&k, "QID42", 1763700123, id), 0);
	snprintf(hv, sizeof(hv), "id=%s; qid=QID42", id);
	assert_int_equal(tag_verify(&k, hv, &when), 1);
	assert_int_equal(when, 1763700123);
	/* extra fields and upper case are fine */
	snprintf(hv, sizeof(hv), "qid=QID42; spf=pass; id=%s", id);
	for (char *p = hv; *p; p++)
		if (p > strstr(hv, "id=") + 2 && *p >= 'a' && *p <= 'z')
			*p -= 32;
	assert_int_equal(tag_verify(&k, hv, NULL), 1);
	/* another key, another qid, a changed character: not ours */
	snprintf(hv, sizeof(hv), "id=%s; qid=QID42", id);
	assert_int_equal(tag_verify(&other, hv, NULL), 0);
	snprintf(hv, sizeof(hv), "id=%s; qid=QID43", id);
	assert_int_equal(tag_verify(&k, hv, NULL), 0);
	id[5] = id[5] == 'a' ? 'b' : 'a';
	snprintf(hv, sizeof(hv), "id=%s; qid=QID42", id);
	assert_int_equal(tag_verify(&k, hv, NULL), 0);
	/* malformed */
	assert_int_equal(tag_verify(&k, "qid=QID42", NULL), -1);
	assert_int_equal(tag_verify(&k, "id=abc; qid=Q", NULL), -1);
	assert_int_equal(tag_verify(&k, "id=!!!!!!!!!!!!!!!!!!!!; qid=Q",
	    NULL), -1);
	assert_int_equal(tag_verify(&k, "", NULL), -1);
}

static void
test_non_canonical_padding(void **state)
{
	struct tag_key k = fixed_key(9);
	char id[TAG_ID_LEN + 1], hv[128];
	const char *b32 = "abcdefghijklmnopqrstuvwxyz234567";

	(void)state;
	assert_int_equal(tag_make_id(&k, "Q", 1000, id), 0);
	/* the last character carries 4 padding bits that must be zero */
	id[TAG_ID_LEN - 1] = b32[(strchr(b32, id[TAG_ID_LEN - 1]) - b32) | 1];
	snprintf(hv, sizeof(hv), "id=%s; qid=Q", id);
	assert_int_equal(tag_verify(&k, hv, NULL), 0);
}

static void
test_key_file(void **state)
{
	struct tag_key k1, k2;
	strbuf err;
	char path[512];
	struct stat st;

	(void)state;
	sb_init(&err);
	snprintf(path, sizeof(path), "%s/trace.key", tu_dir());
	unlink(path);
	/* not created without create */
	assert_int_equal(tag_key_load(path, false, &k1, &err), -1);
	sb_reset(&err);
	/* created 0600 */
	assert_int_equal(tag_key_load(path, true, &k1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* read back identically */
	assert_int_equal(tag_key_load(path, true, &k2, &err), 0);
	assert_memory_equal(k1.bytes, k2.bytes, TAG_KEY_LEN);
	/* refused when others can read it */
	chmod(path, 0644);
	assert_int_equal(tag_key_load(path, true, &k2, &err), -1);
	assert_non_null(strstr(err.s, "readable by group or others"));
	sb_reset(&err);
	/* a key that cannot be created is named, with the reason */
	snprintf(path, sizeof(path), "%s/nodir/trace.key", tu_dir());
	assert_int_equal(tag_key_load(path, true, &k2, &err), -1);
	assert_non_null(strstr(err.s, "/nodir/trace.key: cannot create the "
	    "trace key ("));
	assert_non_null(strstr(err.s, "No such file or directory"));
	sb_reset(&err);
	/* bad contents */
	tu_write("bad.key", "not hex\n", 0600);
	snprintf(path, sizeof(path), "%s/bad.key", tu_dir());
	assert_int_equal(tag_key_load(path, false, &k2, &err), -1);
	assert_non_null(strstr(err.s, "64 hex digits"));
	sb_free(&err);
}

/*
 * Processes that create the same missing key at once (two instances
 * sharing a TraceKeyFile started together, as the milter bench does) all
 * start, each with the one key published: on the old O_EXCL creation the
 * loser failed with "File exists" or read the winner's file half written.
 */
static void
test_key_created_at_once(void **state)
{
	enum { ROUNDS = 100, PROCS = 4 };
	char dir[512], path[600];
	int r, i;

	(void)state;
	for (r = 0; r < ROUNDS; r++) {
		unsigned char got[PROCS][TAG_KEY_LEN];
		int fds[PROCS][2];
		pid_t pids[PROCS];

		snprintf(dir, sizeof(dir), "%s/race%d", tu_dir(), r);
		assert_int_equal(mkdir(dir, 0700), 0);
		snprintf(path, sizeof(path), "%s/trace.key", dir);
		for (i = 0; i < PROCS; i++) {
			assert_int_equal(pipe(fds[i]), 0);
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				struct tag_key k;
				strbuf err;
				unsigned char out[1 + TAG_KEY_LEN];

				sb_init(&err);
				out[0] = tag_key_load(path, true, &k, &err) == 0;
				if (!out[0])
					fprintf(stderr, "child: %s\n", err.s);
				memcpy(out + 1, k.bytes, TAG_KEY_LEN);
				_exit(write(fds[i][1], out, sizeof(out)) ==
				    (ssize_t)sizeof(out) ? 0 : 1);
			}
			close(fds[i][1]);
		}
		for (i = 0; i < PROCS; i++) {
			unsigned char in[1 + TAG_KEY_LEN];
			int st;

			assert_int_equal(read(fds[i][0], in, sizeof(in)),
			    (ssize_t)sizeof(in));
			close(fds[i][0]);
			assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
			assert_int_equal(in[0], 1);	/* loaded or created */
			memcpy(got[i], in + 1, TAG_KEY_LEN);
		}
		for (i = 1; i < PROCS; i++)
			assert_memory_equal(got[0], got[i], TAG_KEY_LEN);
		{	/* and it is the key in the file; no temporary is left */
			struct tag_key k;
			strbuf err;
			struct dirent *de;
			DIR *d;
			int n = 0;

			sb_init(&err);
			assert_int_equal(tag_key_load(path, false, &k, &err), 0);
			assert_memory_equal(k.bytes, got[0], TAG_KEY_LEN);
			sb_free(&err);
			assert_non_null(d = opendir(dir));
			while ((de = readdir(d)) != NULL)
				n += de->d_name[0] != '.';
			closedir(d);
			assert_int_equal(n, 1);
		}
	}
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
		cmocka_unit_test(test_stable_and_distinct),
		cmocka_unit_test(test_known_vector),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_prepared_same_ids),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_non_canonical_padding),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_key_created_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
