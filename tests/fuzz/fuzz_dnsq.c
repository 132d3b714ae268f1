/*
 * fuzz_dnsq.c - libFuzzer target: DNS replies from the network, as the
 *	SPF layer's stub resolver reads them (dnsq_reply_check)
 *
 * Input: one byte choosing the question's type (A, AAAA, MX, PTR, TXT, or
 * the SPF type 99), then the reply to "example.com". Properties: never
 * crashes; the status is one of the five; an answer has records and
 * anything else none; A records are 4 bytes, AAAA 16; names and TXT
 * strings are NUL-terminated at their length; a reply for another
 * question is never an answer.
 */
#include <arpa/nameser.h>
#include <stdint.h>
#include <string.h>

#include "dnsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_ptr,
	    ns_t_txt, 99 };
	struct dnsq_answer ans;
	int type;
	size_t i;

	if (size < 1)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	if (dnsq_reply_check("example.com", type, data + 1, size - 1,
	    &ans) < 0)
		return 0;
	if (ans.status > DNSQ_TIMEOUT)
		__builtin_trap();
	if ((ans.status == DNSQ_ANSWER) != (ans.n > 0))
		__builtin_trap();
	for (i = 0; i < ans.n; i++) {
		const struct dnsq_rr *r = &ans.rr[i];

		if (type == ns_t_a && r->len != 4)
			__builtin_trap();
		if (type == ns_t_aaaa && r->len != 16)
			__builtin_trap();
		if (r->data[r->len] != '\0')
			__builtin_trap();
	}
	/* the same bytes as a reply to another question: never an answer */
	dnsq_answer_clear(&ans);
	if (dnsq_reply_check("other.example", type, data + 1, size - 1,
	    &ans) == 0 && ans.status == DNSQ_ANSWER)
		__builtin_trap();
	dnsq_answer_clear(&ans);
	return 0;
}
