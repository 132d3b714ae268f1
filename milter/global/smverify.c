/*
 * smverify.c - parse the output of `sendmail -bv`
 *
 * CONTRACT
 *	See include/global/smverify.h. A line is "ADDR... REST": the address
 *	ends at the first "... "; REST starting with "deliverable: " holds
 *	comma-separated "mailer M", "host H", "user U" fields (in that order
 *	in sendmail, read in any order here); anything else is a refusal text.
 */
#include <stdlib.h>
#include <string.h>

#include "smverify.h"
#include "util.h"

void
smverify_free(struct smverify *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		free(sv->v[i].addr);
		free(sv->v[i].mailer);
		free(sv->v[i].host);
		free(sv->v[i].user);
		free(sv->v[i].text);
	}
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

/* A sanitised copy of [p, p + n), NULL on ENOMEM. */
static char *
dup_clean(const char *p, size_t n)
{
	char *s = strndup_trim(p, n);

	return s != NULL ? sanitize_inplace(s) : NULL;
}

/* "mailer M, host H, user U": fill e; -1 on ENOMEM. */
static int
fields(const char *p, struct smv_entry *e)
{
	const char *end, *sp;
	char **slot;
	size_t n;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if ((sp = strchr(p, ' ')) == NULL)
			break;
		n = (size_t)(sp - p);
		slot = n == 6 && strncmp(p, "mailer", 6) == 0 ? &e->mailer :
		    n == 4 && strncmp(p, "host", 4) == 0 ? &e->host :
		    n == 4 && strncmp(p, "user", 4) == 0 ? &e->user : NULL;
		p = sp + 1;
		/* the user field may hold ", " (a quoted local part): it is
		 * sendmail's last field, so it runs to the end of the line */
		if (slot == &e->user || (end = strstr(p, ", ")) == NULL)
			end = p + strlen(p);
		if (slot != NULL) {
			free(*slot);
			if ((*slot = dup_clean(p, (size_t)(end - p))) == NULL)
				return -1;
		}
		p = end;
	}
	return 0;
}

static int
one_line(const char *line, size_t len, struct smverify *sv)
{
	static const char deliv[] = "deliverable: ";
	struct smv_entry *e, *nv;
	const char *dots, *rest;
	char *copy;
	int rc = -1;

	if ((copy = strndup(line, len)) == NULL)
		return -1;
	if ((dots = strstr(copy, "... ")) == NULL || dots == copy) {
		sv->skipped++;
		free(copy);
		return 0;
	}
	if ((nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv))) == NULL)
		goto out;
	sv->v = nv;
	e = &sv->v[sv->n];
	memset(e, 0, sizeof(*e));
	sv->n++;
	if ((e->addr = dup_clean(copy, (size_t)(dots - copy))) == NULL)
		goto out;
	rest = dots + 4;
	if (strncmp(rest, deliv, sizeof(deliv) - 1) == 0) {
		e->deliverable = true;
		if (fields(rest + sizeof(deliv) - 1, e) < 0)
			goto out;
	} else if ((e->text = dup_clean(rest, strlen(rest))) == NULL) {
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int
smverify_parse(const char *out, struct smverify *sv)
{
	const char *p = out, *nl;
	size_t len;

	memset(sv, 0, sizeof(*sv));
	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0 && one_line(p, len, sv) < 0) {
			smverify_free(sv);
			return -1;
		}
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}
