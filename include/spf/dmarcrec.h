/*
 * dmarcrec.h - DMARC policy records (RFC 7489 6.3, 6.4) and DKIM key
 *		records (RFC 6376 3.6.1): what a receiver reads from a TXT
 *
 * CONTRACT
 *	Pure parsers of bytes from the DNS: no allocation, no I/O, no state;
 *	they take (text, length) and never read past it. A NUL byte inside
 *	the text makes it no record (the DNS may carry one, a C string
 *	cannot). Nothing here aborts; every refusal says why (a static
 *	string).
 *
 *	dmarcrec_is_record() is RFC 7489 6.6.3 steps 2 and 4: a TXT record
 *	is a DMARC record when its first tag is "v" with the exact value
 *	"DMARC1" (white space around "=" and the value allowed, the tag name
 *	in any case); every other TXT record at _dmarc.<domain> is
 *	discarded.
 *
 *	dmarcrec_parse() reads the tag list (RFC 6376 3.2 tag=value
 *	syntax, which RFC 7489 6.3 adopts): tags separated by ";", white
 *	space around names, "=" and values ignored, names and keyword values
 *	case-insensitive, unknown tags ignored, a tag given twice makes the
 *	whole list invalid (RFC 6376 3.2), a malformed tag (no "=", a name
 *	that is not ALPHA *(ALPHA / DIGIT / "_")) is ignored (RFC 7489 6.3:
 *	syntax errors in the rest of the record are discarded). p= and sp=
 *	take none, quarantine or reject; adkim= and aspf= r or s (default
 *	r); pct= 0..100 (default 100). Errors in the optional tags fall back to their defaults (6.3:
 *	"SHOULD be discarded in favor of default values"), noted in warn.
 *	p= is accepted anywhere after v= (the ABNF wants it second; OpenDMARC
 *	and the large receivers accept it anywhere). A record without a
 *	valid p=, or with an invalid sp=, is RFC 7489 6.6.3 step 6: when rua=
 *	holds a syntactically valid URI it reads as p=none (rua_fallback
 *	set), otherwise it is not a policy record (-1: DMARC is not applied).
 *
 *	dmarcrec_dkim_key() reads a DKIM key record: a tag list whose v=,
 *	when present, is the first tag and "DKIM1"; k= (when present) rsa or
 *	ed25519; p= present; no malformed or duplicate tag (RFC 6376 6.1.2:
 *	a key record that does not parse is ignored). An empty p= is a
 *	revoked key; a p= that is not base64 (with white space) is
 *	unusable.
 */
#ifndef RM_DMARCREC_H
#define RM_DMARCREC_H

#include <stdbool.h>
#include <stddef.h>

enum dmarc_policy { DMARC_P_NONE = 0, DMARC_P_QUARANTINE, DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p;
	bool		  has_sp;
	enum dmarc_policy sp;		/* when has_sp */
	bool		  aspf_strict;
	bool		  adkim_strict;
	unsigned	  pct;		/* 0..100 */
	bool		  rua_fallback;	/* no valid p=/sp=, read as p=none */
	const char	 *warn;		/* first ignored error, or NULL */
};

bool		 dmarcrec_is_record(const char *txt, size_t len);
/* 0: a policy record in out; -1: not one (why says so), out untouched. */
int		 dmarcrec_parse(const char *txt, size_t len,
		    struct dmarc_record *out, const char **why);
/* The policy a receiver applies to a From: domain whose record was found
 * at its own name (at_org false: p=) or at its organizational domain
 * (at_org true: sp= when given, else p=; RFC 7489 6.3). */
enum dmarc_policy dmarcrec_policy(const struct dmarc_record *r,
		    bool at_org);
const char	*dmarcrec_policy_name(enum dmarc_policy p);

enum dkim_key_state {
	DKIMKEY_OK = 0,		/* a usable public key */
	DKIMKEY_REVOKED,	/* p= is empty */
	DKIMKEY_BAD		/* not a key record a verifier can use */
};

enum dkim_key_state dmarcrec_dkim_key(const char *txt, size_t len,
		    const char **why);

#endif
