/*
 * config.c - parse relaymilter.conf against the typed option table
 *
 * CONTRACT
 *	See config.h. The table is generated from RM_OPTIONS; nothing
 *	else here names an option. Parsing never aborts: every problem is one
 *	"FILE:LINE: ..." message in err and a -1 return, and nothing is
 *	half-applied to the caller (config_load returns a new object or
 *	nothing).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "relaylimit.h"
#include "util.h"

const char *const rm_facility_names[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};
const char *const rm_hfrom_names[] = { "no", "yes", "unaligned", NULL };
const char *const rm_on_names[] = { "tempfail", "accept", NULL };
const char *const rm_align_names[] = { "relaxed", "strict", NULL };
const char *const rm_action_names[] = {
	"none", "tag", "tempfail", "reject", NULL
};
const char *const rm_relayprofile_names[] = {
	"auto", "gmail", "workspace-relay", "sendgrid", "passthrough", NULL
};
const char *const rm_over_names[] = {
	"hold", "tempfail", "tag", "none", NULL
};

#define RM_OPT_DESC(id, name, type, field, def, max, vals, doc) \
	{ name, OT_##type, offsetof(struct rm_config, field), def, max, \
	  vals, doc },
static const struct opt_desc options[OPT_COUNT] = {
	RM_OPTIONS(RM_OPT_DESC)
};
#undef RM_OPT_DESC

const struct opt_desc *
config_options(size_t *count)
{
	*count = OPT_COUNT;
	return options;
}

const char *
config_type_name(enum opt_type t)
{
	switch (t) {
	case OT_STRING: return "string";
	case OT_PATH: return "path";
	case OT_ADDR: return "address";
	case OT_BOOL: return "boolean";
	case OT_UINT: return "number";
	case OT_OCTAL: return "octal";
	case OT_DURATION: return "duration";
	case OT_ENUM: return "enum";
	case OT_LIST: return "list";
	case OT_RULES: return "rules";
	}
	return "?";
}

const struct opt_desc *
config_option(const char *name)
{
	size_t i;

	for (i = 0; i < OPT_COUNT; i++)
		if (str_ieq(options[i].name, name))
			return &options[i];
	return NULL;
}

#define FIELD(cfg, d, T)	((T *)(void *)((char *)(cfg) + (d)->offset))

static void
strlist_clear(struct strlist *l)
{
	strv_free(l->v, l->n);
	free(l->at);
	l->v = NULL;
	l->at = NULL;
	l->n = 0;
}

static int
strlist_add(struct strlist *l, const char *s)
{
	char **nv, *d;

	if ((d = strdup(s)) == NULL)
		return -1;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(d);
		return -1;
	}
	nv[l->n++] = d;
	l->v = nv;
	return 0;
}

static void
opt_clear(struct rm_config *cfg, const struct opt_desc *d)
{
	switch (d->type) {
	case OT_STRING:
	case OT_PATH:
	case OT_ADDR:
		free(*FIELD(cfg, d, char *));
		*FIELD(cfg, d, char *) = NULL;
		break;
	case OT_LIST:
	case OT_RULES:
		strlist_clear(FIELD(cfg, d, struct strlist));
		break;
	default:
		break;
	}
}

/* One RULES entry: checked now (the error gets its line), kept whole. */
static int
rule_add(struct strlist *l, const char *value, unsigned line, strbuf *err)
{
	struct relay_limit rl;
	unsigned *na;

	if (relaylimit_parse(value, &rl, err) < 0)
		return -1;
	relaylimit_free(&rl);
	if ((na = realloc(l->at, (l->n + 1) * sizeof(*na))) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	l->at = na;
	if (strlist_add(l, value) < 0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	l->at[l->n - 1] = line;
	return 0;
}

/* Damerau-free edit distance, small strings only; for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, tmp;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			size_t best = prev + (ca != cb);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *
suggest(const char *name)
{
	size_t i, best = 3, d;
	const char *hit = NULL;

	for (i = 0; i < OPT_COUNT; i++) {
		d = edit_distance(name, options[i].name);
		if (d < best) {
			best = d;
			hit = options[i].name;
		}
	}
	return hit;
}

static int
enum_index(const char *const *vals, const char *s)
{
	int i;

	for (i = 0; vals[i] != NULL; i++)
		if (str_ieq(vals[i], s))
			return i;
	return -1;
}

static void
enum_choices(const char *const *vals, strbuf *err)
{
	int i;

	for (i = 0; vals[i] != NULL; i++)
		sb_printf(err, "%s%s", i ? ", " : "", vals[i]);
}

/* Parse value into the field of d; on error append the reason to err. */
static int
opt_parse(struct rm_config *cfg, const struct opt_desc *d, const char *value,
    strbuf *err)
{
	unsigned long ul;
	bool b;
	int idx;
	char *copy, *cur, *tok;
	struct rm_addr a;

	switch (d->type) {
	case OT_STRING:
	case OT_PATH:
		if (has_control_chars(value)) {
			sb_puts(err, "control characters in value");
			return -1;
		}
		if (d->type == OT_PATH && *value != '\0' && *value != '/') {
			sb_printf(err, "%s needs an absolute path", d->name);
			return -1;
		}
		if ((copy = strdup(value)) == NULL)
			goto nomem;
		opt_clear(cfg, d);
		*FIELD(cfg, d, char *) = copy;
		return 0;
	case OT_ADDR:
		/* "<alerts@example.com>" is the address, not "<<...>>" later */
		if ((copy = strdup(value)) == NULL)
			goto nomem;
		addr_unbracket(copy);
		if (*value != '\0') {
			if (addr_parse_envelope(copy, &a) < 0 || a.null ||
			    a.domain == NULL) {
				addr_free(&a);
				sb_printf(err, "%s: '%s' is not a full e-mail "
				    "address (user@domain)", d->name, value);
				free(copy);
				return -1;
			}
			addr_free(&a);
		}
		opt_clear(cfg, d);
		*FIELD(cfg, d, char *) = copy;
		return 0;
	case OT_BOOL:
		if (parse_bool(value, &b) < 0) {
			sb_printf(err, "%s: '%s' is not yes or no", d->name,
			    value);
			return -1;
		}
		*FIELD(cfg, d, bool) = b;
		return 0;
	case OT_UINT:
	case OT_OCTAL:
	case OT_DURATION:
		if ((d->type == OT_UINT ? parse_uint(value, d->max ? d->max :
		    (unsigned long)-1, &ul) : d->type == OT_OCTAL ?
		    parse_octal(value, d->max ? d->max : (unsigned long)-1,
		    &ul) : parse_duration(value, d->max ? d->max :
		    (unsigned long)-1, &ul)) < 0) {
			sb_printf(err, "%s: '%s' is not a valid %s", d->name,
			    value, config_type_name(d->type));
			if (d->max)
				sb_printf(err, " (at most %lu%s)", d->max,
				    d->type == OT_DURATION ? " seconds" : "");
			return -1;
		}
		*FIELD(cfg, d, unsigned long) = ul;
		return 0;
	case OT_ENUM:
		if ((idx = enum_index(d->values, value)) < 0) {
			sb_printf(err, "%s: '%s' is not one of: ", d->name,
			    value);
			enum_choices(d->values, err);
			return -1;
		}
		*FIELD(cfg, d, int) = idx;
		return 0;
	case OT_RULES:
		/* only the empty default comes here: a line is added by
		 * config_set(), which knows its number */
		if (*value == '\0')
			return 0;
		return rule_add(FIELD(cfg, d, struct strlist), value, 0, err);
	case OT_LIST:
		if (has_control_chars(value)) {
			sb_puts(err, "control characters in value");
			return -1;
		}
		if ((copy = strdup(value)) == NULL)
			goto nomem;
		cur = copy;
		while ((tok = str_token(&cur)) != NULL) {
			if (strlist_add(FIELD(cfg, d, struct strlist), tok) <
			    0) {
				free(copy);
				goto nomem;
			}
		}
		free(copy);
		return 0;
	}
	return -1;
nomem:
	sb_puts(err, "out of memory");
	return -1;
}

struct rm_config *
config_defaults(void)
{
	struct rm_config *cfg;
	strbuf err;
	size_t i;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	sb_init(&err);
	for (i = 0; i < OPT_COUNT; i++) {
		if (opt_parse(cfg, &options[i], options[i].def, &err) < 0) {
			/* a bad default is a programming error the tests catch */
			sb_free(&err);
			config_free(cfg);
			return NULL;
		}
	}
	sb_free(&err);
	return cfg;
}

int
config_set(struct rm_config *cfg, const char *name, const char *value,
    const char *path, unsigned line, strbuf *err)
{
	const struct opt_desc *d = config_option(name);
	const char *hint;
	size_t id;

	if (d == NULL) {
		sb_printf(err, "%s:%u: unknown option '%s'", path, line, name);
		if ((hint = suggest(name)) != NULL)
			sb_printf(err, " (did you mean %s?)", hint);
		return -1;
	}
	id = (size_t)(d - options);
	if (cfg->line[id] != 0 && d->type != OT_LIST && d->type != OT_RULES) {
		sb_printf(err, "%s:%u: %s is already set at line %u", path,
		    line, d->name, cfg->line[id]);
		return -1;
	}
	/* A list given in the file replaces its default, then accumulates. */
	if (d->type == OT_LIST && cfg->line[id] == 0)
		opt_clear(cfg, d);
	sb_printf(err, "%s:%u: ", path, line);
	if (d->type == OT_RULES) {
		if (*value == '\0') {
			sb_printf(err, "%s needs a value", d->name);
			return -1;
		}
		if (rule_add(FIELD(cfg, d, struct strlist), value, line, err) < 0)
			return -1;
	} else if (opt_parse(cfg, d, value, err) < 0)
		return -1;
	sb_reset(err);
	cfg->line[id] = line;
	return 0;
}

/* Strip a trailing comment: "#" at the start or after white space. */
static void
strip_comment(char *s)
{
	char *p;

	for (p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

int
config_parse(const char *path, char *text, struct rm_config **out,
    strbuf *err)
{
	struct rm_config *cfg;
	const struct opt_desc *d;
	char *line, *next, *name, *value;
	unsigned lineno = 0;

	if ((cfg = config_defaults()) == NULL ||
	    (cfg->path = strdup(path)) == NULL) {
		config_free(cfg);
		sb_printf(err, "%s: out of memory", path);
		return -1;
	}
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		strip_comment(line);
		line = str_trim(line);
		if (*line == '\0')
			continue;
		name = line;
		value = name + strcspn(name, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value = str_trim(value);
		d = config_option(name);
		if (*value == '\0' && d != NULL && d->type != OT_STRING &&
		    d->type != OT_LIST && d->type != OT_PATH &&
		    d->type != OT_ADDR && d->type != OT_RULES) {
			sb_printf(err, "%s:%u: %s needs a value", path, lineno,
			    d->name);
			goto fail;
		}
		if (config_set(cfg, name, value, path, lineno, err) < 0)
			goto fail;
	}
	*out = cfg;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

int
config_load(const char *path, struct rm_config **out, strbuf *err)
{
	char *buf;
	size_t len;
	int rc;

	if (read_text(path, &buf, &len, err) < 0)
		return -1;
	rc = config_parse(path, buf, out, err);
	free(buf);
	return rc;
}

void
config_free(struct rm_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < OPT_COUNT; i++)
		opt_clear(cfg, &options[i]);
	free(cfg->path);
	free(cfg);
}

void
config_where(const struct rm_config *cfg, enum opt_id id, strbuf *out)
{
	const char *path = cfg->path ? cfg->path : "(built-in)";

	if (cfg->line[id] != 0)
		sb_printf(out, "%s:%u", path, cfg->line[id]);
	else
		sb_printf(out, "%s (default of %s)", path, options[id].name);
}

int
config_value_text(const struct rm_config *cfg, const struct opt_desc *d,
    strbuf *out)
{
	const struct strlist *l;
	const char *s;
	size_t i;

	switch (d->type) {
	case OT_STRING:
	case OT_PATH:
	case OT_ADDR:
		s = *FIELD(cfg, d, char *);
		return sb_puts(out, s ? s : "");
	case OT_BOOL:
		return sb_puts(out, *FIELD(cfg, d, bool) ? "yes" : "no");
	case OT_UINT:
	case OT_DURATION:
		return sb_printf(out, "%lu", *FIELD(cfg, d, unsigned long));
	case OT_OCTAL:
		return sb_printf(out, "%03lo", *FIELD(cfg, d, unsigned long));
	case OT_ENUM:
		return sb_puts(out, d->values[*FIELD(cfg, d, int)]);
	case OT_LIST:
		l = FIELD(cfg, d, struct strlist);
		for (i = 0; i < l->n; i++)
			sb_printf(out, "%s%s", i ? " " : "", l->v[i]);
		return out->err ? -1 : 0;
	case OT_RULES:
		l = FIELD(cfg, d, struct strlist);
		for (i = 0; i < l->n; i++)
			sb_printf(out, "%s%s", i ? "; " : "", l->v[i]);
		return out->err ? -1 : 0;
	}
	return -1;
}
