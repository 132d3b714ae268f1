/*
 * tag.c - trace ids (HMAC-SHA256 via OpenSSL) and the trace key file
 *
 * CONTRACT
 *	See tag.h. Verification compares in constant time.
 */
/*
 * The prepared pads are SHA256_CTX states, copied by assignment: the EVP
 * interface of OpenSSL 3.0 can only copy a digest state into a freshly
 * allocated one (EVP_MD_CTX_copy_ex -> the provider's dupctx), which cost
 * three allocations and ~1,500 instructions per trace id. SHA256_Init/
 * Update/Final are deprecated in 3.0, not removed: this file asks for the
 * 1.1.1 API level so that they are declared without the warning.
 */
#define OPENSSL_API_COMPAT	10101

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "atomicfile.h"
#include "tag.h"
#include "util.h"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void
base32_encode(const unsigned char *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Decode exactly n bytes from text; -1 on a bad character or length. */
static int
base32_decode(const char *s, size_t slen, unsigned char *out, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;
	const char *p;
	int c;

	if (slen != (n * 8 + 4) / 5)
		return -1;
	for (i = 0; i < slen; i++) {
		c = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i];
		if (c == '\0' || (p = strchr(b32, c)) == NULL)
			return -1;
		acc = (acc << 5) | (uint32_t)(p - b32);
		bits += 5;
		if (bits >= 8) {
			if (o < n)
				out[o++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return o == n ? 0 : -1;
}

/*
 * HMAC-SHA256 (RFC 2104) over EVP digests: SHA-256 is fetched once, and the
 * two pads are hashed in one call each, which costs a fraction of OpenSSL's
 * one-shot HMAC() (that fetches the algorithms again on every call). The
 * known-answer tests of RFC 4231 in tests/unit/test_tag.c hold it to the
 * standard.
 */
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256;

static void
sha_fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
tag_hmac_sha256(const unsigned char *k, size_t klen, const unsigned char *msg,
    size_t mlen, unsigned char out[32])
{
	unsigned char block[64 + 512], inner[32], kh[32];
	unsigned int n;
	size_t i;
	int rc = -1;

	pthread_once(&sha_once, sha_fetch);
	if (sha256 == NULL || mlen > 512)
		return -1;
	if (klen > 64) {
		if (!EVP_Digest(k, klen, kh, &n, sha256, NULL))
			return -1;
		k = kh;
		klen = 32;
	}
	for (i = 0; i < 64; i++)
		block[i] = (unsigned char)((i < klen ? k[i] : 0) ^ 0x36);
	memcpy(block + 64, msg, mlen);
	if (!EVP_Digest(block, 64 + mlen, inner, &n, sha256, NULL))
		goto out;
	for (i = 0; i < 64; i++)
		block[i] = (unsigned char)((i < klen ? k[i] : 0) ^ 0x5c);
	memcpy(block + 64, inner, 32);
	if (!EVP_Digest(block, 64 + 32, out, &n, sha256, NULL))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(kh, sizeof(kh));
	return rc;
}

/* The HMAC pads already hashed: read-only once prepared. */
struct tag_pads {
	SHA256_CTX	inner;
	SHA256_CTX	outer;
};

/* HMAC from the prepared pads: copy each pad state, hash the rest. */
static int
hmac_prepared(const struct tag_key *key, const unsigned char *msg, size_t mlen,
    unsigned char out[32])
{
	SHA256_CTX ctx;
	unsigned char inner[32];
	int ok;

	ctx = key->pads->inner;
	ok = SHA256_Update(&ctx, msg, mlen) && SHA256_Final(inner, &ctx);
	ctx = key->pads->outer;
	ok = ok && SHA256_Update(&ctx, inner, sizeof(inner)) &&
	    SHA256_Final(out, &ctx);
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok ? 0 : -1;
}

int
tag_key_prepare(struct tag_key *key)
{
	struct tag_pads *p;
	unsigned char pad[64];
	size_t i;
	int ok;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < TAG_KEY_LEN ? key->bytes[i] : 0) ^
		    0x36);
	ok = SHA256_Init(&p->inner) && SHA256_Update(&p->inner, pad,
	    sizeof(pad));
	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < TAG_KEY_LEN ? key->bytes[i] : 0) ^
		    0x5c);
	ok = ok && SHA256_Init(&p->outer) && SHA256_Update(&p->outer, pad,
	    sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok) {
		free_secret((char *)p, sizeof(*p));
		return -1;
	}
	if (key->pads != NULL)
		free_secret((char *)key->pads, sizeof(*key->pads));
	key->pads = p;
	return 0;
}

static int
mac(const struct tag_key *key, const char *qid, uint32_t t,
    unsigned char raw[12])
{
	unsigned char msg[512], md[32];
	size_t ql = strlen(qid);

	if (ql > sizeof(msg) - 5)
		return -1;		/* sendmail's queue ids are < 30 bytes */
	memcpy(msg, qid, ql);
	msg[ql] = 0;
	msg[ql + 1] = (unsigned char)(t >> 24);
	msg[ql + 2] = (unsigned char)(t >> 16);
	msg[ql + 3] = (unsigned char)(t >> 8);
	msg[ql + 4] = (unsigned char)t;
	if ((key->pads != NULL ?
	    hmac_prepared(key, msg, ql + 5, md) :
	    tag_hmac_sha256(key->bytes, TAG_KEY_LEN, msg, ql + 5, md)) < 0)
		return -1;
	memcpy(raw, msg + ql + 1, 4);
	memcpy(raw + 4, md, 8);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int
tag_make_id(const struct tag_key *key, const char *qid, time_t when,
    char out[TAG_ID_LEN + 1])
{
	unsigned char raw[12];

	if (mac(key, qid, (uint32_t)when, raw) < 0)
		return -1;
	base32_encode(raw, sizeof(raw), out);
	return 0;
}

/* Find "name=" at a field start in value; copy its token into buf. */
static int
field(const char *value, const char *name, char *buf, size_t bufsz)
{
	size_t nl = strlen(name), n;
	const char *p = value;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			n = strcspn(p, "; \t");
			if (n == 0 || n >= bufsz)
				return -1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return 0;
		}
		p += strcspn(p, ";");
	}
	return -1;
}

int
tag_verify(const struct tag_key *key, const char *value, time_t *when)
{
	char id[64], qid[128];
	unsigned char raw[12], want[12];
	uint32_t t;

	char canon[TAG_ID_LEN + 1];

	if (field(value, "id", id, sizeof(id)) < 0 ||
	    field(value, "qid", qid, sizeof(qid)) < 0 ||
	    base32_decode(id, strlen(id), raw, sizeof(raw)) < 0)
		return -1;
	/* only the canonical spelling (zero padding bits) is ours */
	base32_encode(raw, sizeof(raw), canon);
	if (strcasecmp(canon, id) != 0)
		return 0;
	t = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	if (mac(key, qid, t, want) < 0)
		return -1;
	if (CRYPTO_memcmp(raw, want, sizeof(raw)) != 0)
		return 0;
	if (when != NULL)
		*when = (time_t)t;
	return 1;
}

void
tag_key_wipe(struct tag_key *key)
{
	OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
	if (key->pads != NULL)		/* key-dependent state */
		free_secret((char *)key->pads, sizeof(*key->pads));
	key->pads = NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Create the key file, or take the one another process created first:
 * published whole with atomicfile_write(ATOMICFILE_NEW), so the key file
 * is never seen half written, and of two processes creating it at once
 * (two instances sharing a TraceKeyFile, started together) one publishes
 * its key and the other loads that one.
 */
static int load_existing(const char *path, struct tag_key *key, strbuf *err);

static int
key_create(const char *path, struct tag_key *key, strbuf *err)
{
	char hex[TAG_KEY_LEN * 2 + 2];
	strbuf why;
	size_t i;
	int rc;

	if (getrandom(key->bytes, TAG_KEY_LEN, 0) != TAG_KEY_LEN) {
		sb_printf(err, "%s: cannot get random bytes: %s", path,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < TAG_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key->bytes[i]);
	hex[TAG_KEY_LEN * 2] = '\n';
	sb_init(&why);
	rc = atomicfile_write(path, hex, TAG_KEY_LEN * 2 + 1, 0600,
	    ATOMICFILE_NEW, &why);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc < 0)		/* the key's own name first, then the reason */
		sb_printf(err, "%s: cannot create the trace key (%s)", path,
		    why.s != NULL ? why.s : "out of memory");
	sb_free(&why);
	if (rc == ATOMICFILE_EXISTS) {
		/* another process published its key first: use that one */
		OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
		return load_existing(path, key, err);
	}
	return rc;
}

int
tag_key_load(const char *path, bool create, struct tag_key *key,
    strbuf *err)
{
	struct stat st;

	key->pads = NULL;			/* not prepared yet */
	if (create && lstat(path, &st) < 0 && errno == ENOENT)
		return key_create(path, key, err);
	return load_existing(path, key, err);
}

/* Read and check the key file at path. */
static int
load_existing(const char *path, struct tag_key *key, strbuf *err)
{
	struct stat st;
	char *buf, *p;
	size_t len, i;
	int fd, hi, lo;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		sb_printf(err, "%s: cannot open the trace key: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sb_printf(err, "%s: the trace key is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		sb_printf(err, "%s: the trace key is readable by group or "
		    "others (mode %04o): run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	/* read what was checked: the descriptor, not the path again */
	if (read_fd(fd, &buf, &len) < 0) {
		sb_printf(err, "%s: cannot read the trace key: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	p = str_trim(buf);
	if (strlen(p) != TAG_KEY_LEN * 2) {
		sb_printf(err, "%s: the trace key must be %d hex digits on "
		    "one line", path, TAG_KEY_LEN * 2);
		free_secret(buf, len + 1);
		return -1;
	}
	for (i = 0; i < TAG_KEY_LEN; i++) {
		hi = hexval(p[2 * i]);
		lo = hexval(p[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			sb_printf(err, "%s: the trace key must be %d hex "
			    "digits on one line", path, TAG_KEY_LEN * 2);
			free_secret(buf, len + 1);
			tag_key_wipe(key);
			return -1;
		}
		key->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	free_secret(buf, len + 1);
	return 0;
}
