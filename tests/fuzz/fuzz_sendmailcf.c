/*
 * fuzz_sendmailcf.c - libFuzzer target: relaymilter-doctor's readers of
 *	sendmail.cf, sendmail.mc, `sendmail -d0.1` and mailq output
 *
 * Properties: every parser accepts any text; line numbers never exceed
 * the number of lines; the smarthost, when there is one, has a host, a
 * mailer and its DS line, and no "]" in a bracketed host; every mc call has a name and a file; mailq entries
 * have a queue id and a sender.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcparse.h"
#include "sendmailcf.h"
#include "smoutput.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct incarg {
	const char	*text;
	int		 left;
};

static char *
inc(const char *path, void *arg)
{
	struct incarg *ia = arg;

	/* an absolute include reads the input again, a few times at most
	 * (the parser itself stops at 8 levels) */
	if (path[0] != '/' || ia->left <= 0)
		return NULL;
	ia->left--;
	return strdup(ia->text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct sendmail_cf cf;
	struct cf_smarthost sh;
	struct sendmail_mc mc;
	struct sendmail_info si;
	struct mailq q;
	struct incarg ia;
	unsigned lines = 1;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < size; i++)
		lines += s[i] == '\n';
	if (cf_parse(s, &cf, NULL) == 0) {
		for (i = 0; i < cf.nmailers; i++)
			if (cf.mailers[i].line > lines || !cf.mailers[i].name[0])
				__builtin_trap();
		if (cf_smarthost(&cf, &sh) == 0 && (sh.host == NULL ||
		    sh.mailer == NULL || sh.line == 0 ||
		    (sh.bracketed && strchr(sh.host, ']') != NULL)))
			__builtin_trap();
		cf_smarthost_free(&sh);
		cf_free(&cf);
	}
	ia.text = s;
	ia.left = 4;
	if (mc_parse(s, "fuzz.mc", inc, &ia, &mc, NULL) == 0) {
		for (i = 0; i < mc.ncalls; i++)
			if (!mc.calls[i].name[0] || mc.calls[i].file == NULL)
				__builtin_trap();
		(void)mc_define(&mc, "SMART_HOST", NULL);
		mc_free(&mc);
	}
	if (sendmail_info_parse(s, &si) == 0) {
		(void)sendmail_compiled_with(&si, "STARTTLS");
		sendmail_info_free(&si);
	}
	if (mailq_parse(s, 1795250000, &q) == 0) {
		for (i = 0; i < q.n; i++)
			if (q.v[i].qid == NULL || q.v[i].sender == NULL)
				__builtin_trap();
		mailq_free(&q);
	}
	free(s);
	return 0;
}
