/*
 * sendermap.c - SenderMap loading and genericstable-order lookups
 *
 * CONTRACT
 *	See map.h. The table is a strtab of lower-cased keys; values
 *	are checked at load time by expanding %1 with a sample local part.
 *	That cannot prove every expansion valid: %1 comes from the sender
 *	("user+@d" gives an empty detail, a quoted local part may hold a
 *	space), so an expansion that is not an address makes its entry not
 *	apply to that sender (the lookup goes on down the order and the hit
 *	names the entry it passed over); a lookup fails only on allocation
 *	failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "map.h"
#include "strtab.h"
#include "util.h"

struct map_entry {
	char		*value;
	unsigned	 line;
};

struct sendermap {
	struct strtab	*tab;
	struct strtab	*domains;	/* literal value domains */
};

static void
entry_free(void *p)
{
	struct map_entry *e = p;

	if (e != NULL) {
		free(e->value);
		free(e);
	}
}

void
sendermap_free(struct sendermap *m)
{
	if (m == NULL)
		return;
	strtab_free(m->tab, entry_free);
	strtab_free(m->domains, NULL);
	free(m);
}

size_t
sendermap_count(const struct sendermap *m)
{
	return m ? strtab_count(m->tab) : 0;
}

/*
 * Expand the value template; local is the full local part of the sender.
 * Returns 0 with *out set, EXPAND_NOT_ADDRESS when the expansion is not a
 * full address, -1 on allocation failure.
 */
#define EXPAND_NOT_ADDRESS	1
static int
expand(const char *tmpl, const char *pct1, const char *local, char **out)
{
	strbuf sb;
	const char *p;
	struct rm_addr a;
	char *text;

	*out = NULL;
	sb_init(&sb);
	if (tmpl[0] == '@') {
		/* "@domain": keep the local part */
		char *q = addr_format(local, tmpl + 1);

		if (q == NULL)
			return -1;
		sb_puts(&sb, q);
		free(q);
	} else {
		for (p = tmpl; *p; p++) {
			if (*p == '%' && p[1] == '1') {
				sb_puts(&sb, pct1);
				p++;
			} else if (*p == '%' && p[1] == '%') {
				sb_putc(&sb, '%');
				p++;
			} else {
				sb_putc(&sb, *p);
			}
		}
	}
	if (sb.err) {
		sb_free(&sb);
		return -1;
	}
	/* normalise (and validate) through the envelope parser */
	if (addr_parse_envelope(sb.s, &a) < 0 || a.null || a.domain == NULL) {
		addr_free(&a);		/* safe on a failed parse too */
		sb_free(&sb);
		return EXPAND_NOT_ADDRESS;
	}
	sb_free(&sb);
	text = addr_text(&a);
	addr_free(&a);
	if (text == NULL)
		return -1;
	*out = text;
	return 0;
}

static bool
key_is_valid(const char *key)
{
	const char *at = strrchr(key, '@');
	const char *star = strchr(key, '*');
	bool ok;

	if (*key == '\0')
		return false;
	/* '*' only as "+*" right before the '@' or at the end */
	if (star != NULL) {
		if (star == key || star[-1] != '+' ||
		    !(star[1] == '\0' || star[1] == '@') ||
		    strchr(star + 1, '*') != NULL)
			return false;
	}
	if (at == key)				/* "@domain" */
		return domain_is_valid(key + 1) && key[1] != '[';
	if (at == NULL) {			/* bare local part */
		struct rm_addr a;

		ok = addr_parse_envelope(key, &a) == 0 && !a.null &&
		    a.domain == NULL;
		addr_free(&a);
		return ok;
	}
	if (at[1] == '\0')
		return false;
	{
		struct rm_addr a;

		ok = addr_parse_envelope(key, &a) == 0 && !a.null &&
		    a.domain != NULL;
		addr_free(&a);
	}
	return ok;
}

static bool
value_is_valid(const char *v, strbuf *why)
{
	const char *p;
	char *x;

	for (p = v; *p; p++) {
		if (*p == '%' && p[1] != '1' && p[1] != '%') {
			sb_printf(why, "only %%1 and %%%% may follow '%%' in "
			    "'%s'", v);
			return false;
		}
		if (*p == '%')
			p++;
	}
	switch (expand(v, "detail", "local.part", &x)) {
	case 0:
		free(x);
		return true;
	case EXPAND_NOT_ADDRESS:
		sb_printf(why, "'%s' is not a full address (user@domain) or "
		    "@domain", v);
		return false;
	default:
		sb_puts(why, "out of memory");
		return false;
	}
}

static void
note_domain(struct sendermap *m, const char *value)
{
	const char *at = strrchr(value, '@');
	char *d;

	if (at == NULL || strchr(at, '%') != NULL)
		return;
	if ((d = strdup_lower(at + 1)) == NULL)
		return;
	domain_normalise(d);
	(void)strtab_put(m->domains, d, NULL, NULL);
	free(d);
}

int
sendermap_parse(const char *name, char *text, struct sendermap **out,
    strbuf *err)
{
	struct sendermap *m;
	char *line, *next, *key, *value, *rest;
	unsigned lineno = 0;
	struct map_entry *e, *old;
	size_t lines = 1;
	int rc;

	for (line = text; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->tab = strtab_new(lines)) == NULL ||
	    (m->domains = strtab_new(16)) == NULL) {
		sendermap_free(m);
		sb_printf(err, "%s: out of memory", name);
		return -1;
	}
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (has_control_chars_but_tab(line)) {
			sb_printf(err, "%s:%u: control characters in line",
			    name, lineno);
			goto fail;
		}
		key = line;
		value = key + strcspn(key, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value = str_trim(value);
		if (*value == '\0' || *value == '#') {
			sb_printf(err, "%s:%u: key '%s' has no value", name,
			    lineno, key);
			goto fail;
		}
		rest = value + strcspn(value, " \t");
		if (*rest != '\0') {
			*rest++ = '\0';
			rest = str_trim(rest);
			if (*rest != '\0' && *rest != '#') {
				sb_printf(err, "%s:%u: unexpected text after "
				    "the value: '%s'", name, lineno, rest);
				goto fail;
			}
		}
		/* "<user@domain>": the address inside, as for every
		 * address-valued setting */
		addr_unbracket(key);
		addr_unbracket(value);
		str_lower_inplace(key);
		if (!key_is_valid(key)) {
			sb_printf(err, "%s:%u: '%s' is not a valid key "
			    "(user@domain, user+*@domain, @domain, user or "
			    "user+*)", name, lineno, key);
			goto fail;
		}
		sb_printf(err, "%s:%u: ", name, lineno);
		if (!value_is_valid(value, err))
			goto fail;
		sb_reset(err);
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->value = strdup(value)) == NULL) {
			entry_free(e);
			sb_printf(err, "%s: out of memory", name);
			goto fail;
		}
		e->line = lineno;
		old = NULL;
		rc = strtab_put(m->tab, key, e, (void **)&old);
		if (rc <= 0) {
			entry_free(e);
			if (rc < 0)
				sb_printf(err, "%s: out of memory", name);
			else
				sb_printf(err, "%s:%u: duplicate key '%s' "
				    "(first at line %u)", name, lineno, key,
				    old->line);
			goto fail;
		}
		note_domain(m, value);
	}
	*out = m;
	return 0;
fail:
	sendermap_free(m);
	return -1;
}

int
sendermap_load(const char *path, struct sendermap **out, strbuf *err)
{
	char *buf;
	size_t len;
	int rc;

	if (read_text(path, &buf, &len, err) < 0)
		return -1;
	rc = sendermap_parse(path, buf, out, err);
	free(buf);
	return rc;
}

void
map_hit_free(struct map_hit *hit)
{
	free(hit->address);
	free(hit->key);
	free(hit->skipped_key);
	hit->address = hit->key = hit->skipped_key = NULL;
	hit->line = hit->skipped_line = 0;
}

/*
 * Try one key; MAP_FOUND fills hit. An entry whose expansion for this
 * sender is not an address does not apply: MAP_NOTFOUND, and the first
 * such entry is named in hit->skipped_key/skipped_line.
 */
static enum map_result
try_key(const struct sendermap *m, const char *key, const char *pct1,
    const char *local, struct map_hit *hit)
{
	struct map_entry *e;
	int rc;

	if (!strtab_get(m->tab, key, (void **)&e))
		return MAP_NOTFOUND;
	rc = expand(e->value, pct1, local, &hit->address);
	if (rc == EXPAND_NOT_ADDRESS) {
		if (hit->skipped_key == NULL) {
			if ((hit->skipped_key = strdup(key)) == NULL)
				return MAP_ERROR;
			hit->skipped_line = e->line;
		}
		return MAP_NOTFOUND;
	}
	if (rc < 0 || (hit->key = strdup(key)) == NULL)
		return MAP_ERROR;
	hit->line = e->line;
	return MAP_FOUND;
}

/* dst = a (an bytes) b c, NUL-terminated; no formatting: this is the
 * per-message path */
static void
key3(char *dst, const char *a, size_t an, const char *b, const char *c)
{
	size_t bn = strlen(b), cn = strlen(c);

	memcpy(dst, a, an);
	memcpy(dst + an, b, bn);
	memcpy(dst + an + bn, c, cn + 1);
}

/*
 * The lower-case local part and the candidate keys live in one scratch
 * buffer of their exact bound (the local part, then the longest key:
 * user "+*@" domain is at most local "@" domain plus one byte): on the
 * stack when it fits, else allocated.
 */
enum map_result
sendermap_lookup(const struct sendermap *m, const struct rm_addr *sender,
    bool local_ok, struct map_hit *hit)
{
	enum map_result r = MAP_NOTFOUND;
	char stack[512], *buf, *local, *key, *detail = NULL;
	const char *dom = sender->domain;
	size_t ln, dn, un, need;

	memset(hit, 0, sizeof(*hit));
	if (m == NULL || sender->null || sender->local == NULL)
		return MAP_NOTFOUND;
	ln = strlen(sender->local);
	dn = dom != NULL ? strlen(dom) : 0;
	need = (ln + 1) + (ln + dn + 4);
	if (need <= sizeof(stack))
		buf = stack;
	else if ((buf = malloc(need)) == NULL)
		return MAP_ERROR;
	local = buf;
	memcpy(local, sender->local, ln + 1);
	str_lower_inplace(local);
	key = buf + ln + 1;
	un = addr_detail_at(local, '+');
	if (local[un] != '\0')
		detail = local + un + 1;
#define TRY(pct1) do {							\
		if ((r = try_key(m, key, (pct1), sender->local, hit))	\
		    != MAP_NOTFOUND)					\
			goto done;					\
	} while (0)

	if (dom != NULL) {
		key3(key, local, ln, "@", dom);
		TRY("");
		if (detail != NULL) {
			key3(key, local, un, "+*@", dom);
			TRY(detail);
			key3(key, local, un, "@", dom);
			TRY(detail);
		}
		key3(key, "", 0, "@", dom);
		TRY(sender->local);
	}
	if (local_ok) {
		key3(key, local, ln, "", "");
		TRY("");
		if (detail != NULL) {
			key3(key, local, un, "+*", "");
			TRY(detail);
			key3(key, local, un, "", "");
			TRY(detail);
		}
	}
#undef TRY
done:
	if (r == MAP_ERROR)
		map_hit_free(hit);
	if (buf != stack)
		free(buf);
	return r;
}

struct dom_iter {
	void	(*fn)(const char *, void *);
	void	*arg;
};

static void
dom_visit(const char *key, void *value, void *arg)
{
	struct dom_iter *it = arg;

	(void)value;
	it->fn(key, it->arg);
}

void
sendermap_value_domains(const struct sendermap *m,
    void (*fn)(const char *domain, void *arg), void *arg)
{
	struct dom_iter it = { fn, arg };

	if (m != NULL)
		strtab_each(m->domains, dom_visit, &it);
}
