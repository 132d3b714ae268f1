/*
 * fuzz_dmarcrec.c - libFuzzer target: DMARC policy records and DKIM key
 *		     records as a TXT lookup returns them (dmarcrec.h)
 *
 * Properties: the input is read only within its length (ASan); a record
 * dmarcrec_parse() accepts is one dmarcrec_is_record() accepts, has a
 * policy word for p= and sp=, pct in 0..100, and the rua= fallback only
 * with p=none and no sp=; a refusal always says why; the policy of a
 * record found at the organizational domain is sp= when given, else p=;
 * every DKIM key state is one of the three, with a reason unless usable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarcrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: a read past the length is an ASan report */
	char *buf = malloc(size ? size : 1);
	struct dmarc_record r;
	enum dkim_key_state ks;
	const char *why = NULL;
	bool is;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	is = dmarcrec_is_record(buf, size);
	if (dmarcrec_parse(buf, size, &r, &why) == 0) {
		if (!is || r.pct > 100 || r.p > DMARC_P_REJECT ||
		    (r.has_sp && r.sp > DMARC_P_REJECT) ||
		    (r.rua_fallback && (r.p != DMARC_P_NONE || r.has_sp)))
			__builtin_trap();
		if (dmarcrec_policy(&r, true) != (r.has_sp ? r.sp : r.p) ||
		    dmarcrec_policy(&r, false) != r.p)
			__builtin_trap();
		(void)dmarcrec_policy_name(r.p);
	} else if (why == NULL) {
		__builtin_trap();
	}
	why = NULL;
	ks = dmarcrec_dkim_key(buf, size, &why);
	if (ks != DKIMKEY_OK && ks != DKIMKEY_REVOKED && ks != DKIMKEY_BAD)
		__builtin_trap();
	if (ks != DKIMKEY_OK && why == NULL)
		__builtin_trap();
	free(buf);
	return 0;
}
