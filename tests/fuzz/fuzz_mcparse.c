/*
 * fuzz_mcparse.c - libFuzzer target: relaymilter-doctor's reader of
 *	sendmail.mc (the calls m4 sees, includes, unclosed calls, section
 *	markers), its editing of the .mc (the calls after MAILER(), their
 *	move, single lines) and its reader of m4's messages
 *
 * The input is split at its first NUL-free "\n\f\n" (when there is one)
 * into the .mc and the text an absolute include() returns; the rest of
 * the input is also read as m4's stderr.
 * Properties: every call has a name and a file, 1 <= line <= end_line and
 * end_line within its file, an include depth of 0 to 8; in the top file
 * at most one call is unclosed and none comes after it; the calls after
 * MAILER() are in the top file, after the first MAILER(); moving them
 * keeps every line of the text (as a multiset); mcedit_line() gives the
 * lines it is asked for (the first, a middle one, the last) and nothing
 * past the last; m4's messages have a text without a newline and a known
 * kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcparse.h"
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

	if (path[0] != '/' || ia->left <= 0)
		return NULL;
	ia->left--;
	return strdup(ia->text);
}

static unsigned
count_lines(const char *t)
{
	unsigned n = 1;

	for (; *t; t++)
		n += *t == '\n';
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of t, sorted (a final newline makes no empty line). */
static char **
sorted_lines(const char *t, size_t *n)
{
	char **v = NULL;
	size_t k = 0;
	const char *p = t;

	*n = 0;
	while (*p) {
		size_t l = strcspn(p, "\n");
		char **nv = realloc(v, (k + 1) * sizeof(*v));

		if (nv == NULL)
			break;
		v = nv;
		v[k++] = strndup(p, l);
		p += l;
		if (*p == '\n')
			p++;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}

static void
free_lines(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *sep, *incl = "";
	struct sendmail_mc mc;
	struct m4_msgs msgs;
	struct incarg ia;
	const struct mc_call *late[16];
	const char *what = NULL;
	unsigned top_lines, lines[64], nl = 0, above, i, l;
	size_t j, nlate, unclosed = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (strlen(s) != size) {
		free(s);
		return 0;
	}
	if ((sep = strstr(s, "\n\f\n")) != NULL) {
		*sep = '\0';
		incl = sep + 3;
	}
	top_lines = count_lines(s);
	ia.text = incl;
	ia.left = 3;
	if (mc_parse(s, "fuzz.mc", inc, &ia, &mc, NULL) == 0) {
		for (j = 0; j < mc.ncalls; j++) {
			const struct mc_call *c = &mc.calls[j];
			unsigned max = c->depth == 0 ? top_lines :
			    count_lines(incl);

			if (!c->name[0] || c->file == NULL || c->line == 0 ||
			    c->end_line < c->line || c->end_line > max ||
			    c->depth < 0 || c->depth > 8)
				__builtin_trap();
			if (c->depth == 0 && c->unclosed)
				unclosed++;
			else if (c->depth == 0 && unclosed > 0)
				__builtin_trap();	/* one after it */
		}
		if (unclosed > 1)
			__builtin_trap();
		nlate = mcedit_late_calls(&mc, late, 16);
		for (j = 0; j < nlate && j < 16; j++) {
			const struct mc_call *m = mc_first(&mc, "MAILER");

			if (late[j]->depth != 0 || m == NULL ||
			    late[j]->line <= m->end_line)
				__builtin_trap();
			for (l = late[j]->line; l <= late[j]->end_line &&
			    nl < 64; l++)
				lines[nl++] = l;
		}
		above = mcedit_mailer_anchor(&mc, &what);
		if (above > top_lines)
			__builtin_trap();
		if (above > 0) {
			char *moved = mcedit_move_lines(s, lines, nl, above);
			char **a, **b;
			size_t na, nb;

			if (moved != NULL) {
				a = sorted_lines(s, &na);
				b = sorted_lines(moved, &nb);
				if (na != nb)
					__builtin_trap();
				for (j = 0; j < na; j++)
					if (strcmp(a[j], b[j]) != 0)
						__builtin_trap();
				free_lines(a, na);
				free_lines(b, nb);
				free(moved);
			}
		}
		/* the first, a middle, the last lines and one past them */
		for (i = 1; i <= top_lines + 1; i = i < 3 ? i + 1 :
		    i < top_lines / 2 ? top_lines / 2 : i < top_lines - 1 ?
		    top_lines - 1 : i + 1) {
			char *t = mcedit_line(s, i);

			if (t != NULL && (i > top_lines || strchr(t, '\n')))
				__builtin_trap();
			if (t == NULL && i < top_lines)
				__builtin_trap();
			free(t);
		}
		mc_free(&mc);
	}
	if (m4_msgs_parse(sep ? incl : s, &msgs) == 0) {
		for (j = 0; j < msgs.n; j++)
			if (msgs.v[j].text == NULL ||
			    strchr(msgs.v[j].text, '\n') != NULL ||
			    msgs.v[j].kind > M4_OTHER)
				__builtin_trap();
		m4_msgs_free(&msgs);
	}
	free(s);
	return 0;
}
