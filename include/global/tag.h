/*
 * tag.h - trace ids: a short base32 HMAC-SHA256 that proves a message is ours
 *
 * CONTRACT
 *	A trace id is base32 (RFC 4648 alphabet, lower case, no padding) of
 *	12 bytes: the 4-byte big-endian time of the decision followed by the
 *	first 8 bytes of HMAC-SHA256(key, qid || 0x00 || time). The same key,
 *	queue id and time always give the same id; a bounce that carries
 *	"id=<ID>; qid=<QID>" can be verified later with the key alone.
 *
 *	The key file holds 32 random bytes in hex on one line. tag_key_load()
 *	creates it (mode 0600) when it is missing and create is set: written
 *	to a temporary file beside it and published with link(), so that it
 *	is never read half written and of processes creating it at once each
 *	ends with the one key that was published. It refuses a key file
 *	that group or others can read, a key that is not 64 hex digits, or
 *	a file that is not a regular file (a symbolic link included).
 */
#ifndef RM_TAG_H
#define RM_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util.h"

#define TAG_KEY_LEN	32
#define TAG_ID_LEN	20		/* characters */

struct tag_pads;

struct tag_key {
	unsigned char		 bytes[TAG_KEY_LEN];
	/* HMAC pads already hashed (tag_key_prepare), or NULL: read-only
	 * after preparation, shared by all threads; each id copies them
	 * (no allocation per id) */
	struct tag_pads		*pads;
};

int	tag_key_load(const char *path, bool create, struct tag_key *key,
	    strbuf *err);
/* out must hold TAG_ID_LEN + 1 bytes. -1 only when OpenSSL fails. */
int	tag_make_id(const struct tag_key *key, const char *qid, time_t when,
	    char out[TAG_ID_LEN + 1]);
/* Verify a header value "id=...; qid=..." (other fields ignored).
 * 1: genuine (when is set), 0: not made with this key, -1: malformed. */
int	tag_verify(const struct tag_key *key, const char *value, time_t *when);
/* HMAC-SHA256 of msg (at most 512 bytes) with key k: 0, or -1. */
int	tag_hmac_sha256(const unsigned char *k, size_t klen,
	    const unsigned char *msg, size_t mlen, unsigned char out[32]);
/* Hash the HMAC pads once, so that each id costs two short digests and
 * no allocation: 0, or -1 (the ids are then computed the slow way, still
 * correct). Preparing a prepared key replaces its pads. */
int	tag_key_prepare(struct tag_key *key);
/* Wipe a key held in memory (and free the prepared pads). */
void	tag_key_wipe(struct tag_key *key);

#endif
