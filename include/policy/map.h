/*
 * map.h - SenderMap: a genericstable-style text map of new envelope senders
 *
 * CONTRACT
 *	The file is what makemap would read for sendmail's genericstable:
 *	"key value" lines, "#" comments, blank lines ignored, keys folded to
 *	lower case. Keys: "user@domain", "user+*@domain", "@domain", and the
 *	bare local parts "user" and "user+*". Values: a full address, which
 *	may use %1, or "@domain" (keep the local part, change the domain).
 *	%1 is the +detail for detail keys and for a "user@domain" or "user"
 *	key reached by dropping the detail, and the whole local part for an
 *	"@domain" key; "%%" is a literal "%". Loading fails on the first bad
 *	line with "FILE:LINE: ..." (bad key, missing or bad value, duplicate
 *	key with the line of the first one, a value that does not expand to a
 *	full address).
 *
 *	Lookup order (sendmail's MasqHdr, domain-facts §1.2-1.3): the full
 *	address; "user+*@domain" then "user@domain" with %1 = detail; then
 *	"@domain" with %1 = local part; then, only when local_ok (unqualified
 *	senders and senders in LocalDomains or $j), the bare "local",
 *	"user+*" and "user". The result is one of MAP_FOUND (with the new
 *	address), MAP_NOTFOUND, MAP_ERROR (allocation failure only), never a
 *	guess. An entry whose %1 expansion is not an address for this sender
 *	("user+*@d %1@x" for "user+@d" gives "@x"; "@d %1@x" for
 *	"\"john smith\"@d" gives a local part with a space) does not apply:
 *	the lookup goes on down the order, and the first entry passed over
 *	is named in hit->skipped_key/skipped_line (whatever the result) so
 *	that the caller can log it. map_hit_free() the hit after every lookup.
 */
#ifndef RM_MAP_H
#define RM_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "util.h"

enum map_result { MAP_ERROR = -1, MAP_NOTFOUND = 0, MAP_FOUND = 1 };

struct sendermap;

struct map_hit {
	char		*address;	/* the new sender, "user@domain" */
	char		*key;		/* the key that matched */
	unsigned	 line;		/* its line in the file */
	char		*skipped_key;	/* an entry that matched but whose
					 * expansion is no address, or NULL */
	unsigned	 skipped_line;
};

int		 sendermap_load(const char *path, struct sendermap **out,
		    strbuf *err);
/* Parse from memory (tests, fuzzing); name is used in error messages. */
int		 sendermap_parse(const char *name, char *text,
		    struct sendermap **out, strbuf *err);
void		 sendermap_free(struct sendermap *m);
size_t		 sendermap_count(const struct sendermap *m);
enum map_result	 sendermap_lookup(const struct sendermap *m,
		    const struct rm_addr *sender, bool local_ok,
		    struct map_hit *hit);
void		 map_hit_free(struct map_hit *hit);
/* The domains the map's values can produce, for SPF scoping; calls fn
 * once per distinct literal domain. */
void		 sendermap_value_domains(const struct sendermap *m,
		    void (*fn)(const char *domain, void *arg), void *arg);

#endif
