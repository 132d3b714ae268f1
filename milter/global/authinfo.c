/*
 * authinfo.c - parse sendmail's authinfo text source; find the relay account
 *
 * CONTRACT
 *	See authinfo.h. Tokenising follows what sendmail's ruleset
 *	tokenizer hands getauth(): white-space separated tokens, a token that
 *	starts with a double quote runs to the matching closing quote (so
 *	"M:PLAIN LOGIN" is one token). Secrets never reach an error message:
 *	errors about a P: token name the tag and the line, never its value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "authinfo.h"
#include "util.h"

static void
entry_clear(struct authinfo_entry *e)
{
	free(e->host);
	free(e->user);
	free(e->authid);
	free(e->realm);
	free(e->mechs);
	if (e->password != NULL)
		free_secret(e->password, e->password_len + 1);
	memset(e, 0, sizeof(*e));
}

void
authinfo_free(struct authinfo *ai)
{
	size_t i;

	if (ai == NULL)
		return;
	for (i = 0; i < ai->n; i++)
		entry_clear(&ai->v[i]);
	free(ai->v);
	free(ai->path);
	free(ai);
}

char *
authinfo_server_key(const char *server)
{
	size_t n;
	char *k;

	if (server[0] == '[') {
		server++;
		n = strcspn(server, "]");
	} else {
		n = strlen(server);
	}
	if ((k = strndup(server, n)) == NULL)
		return NULL;
	n = strlen(k);
	if (n > 1 && k[n - 1] == '.')
		k[n - 1] = '\0';
	return str_lower_inplace(k);
}

/* Decode base64 into a new buffer (len in *outlen); NULL if not base64. */
static char *
b64_decode(const char *in, size_t n, size_t *outlen)
{
	unsigned char *out;
	int len, pad = 0;

	if (n == 0 || n % 4 != 0)
		return NULL;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return NULL;
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0) {
		free_secret((char *)out, n / 4 * 3 + 1);
		return NULL;
	}
	if (in[n - 1] == '=')
		pad++;
	if (n > 1 && in[n - 2] == '=')
		pad++;
	len -= pad;
	out[len] = '\0';
	if (memchr(out, '\0', (size_t)len) != NULL) {
		free_secret((char *)out, n / 4 * 3 + 1);
		return NULL;
	}
	*outlen = (size_t)len;
	return (char *)out;
}

static const char *
tag_name(int t)
{
	switch (t) {
	case 'U': return "U (user id)";
	case 'I': return "I (authentication id)";
	case 'P': return "P (password)";
	case 'R': return "R (realm)";
	case 'M': return "M (mechanisms)";
	}
	return "?";
}

/*
 * Parse the value tokens of one line into e. p points after the key.
 * Returns 0, or -1 with the reason (never a secret) in err.
 */
static int
parse_tokens(char *p, unsigned flags, struct authinfo_entry *e, strbuf *err)
{
	char **slot, *val, *tok, *end;
	bool got_p = false;
	size_t vlen;
	int tag;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (*p != '"') {
			sb_printf(err, "token must be in double quotes, like "
			    "\"I:user@example.com\"");
			return -1;
		}
		tok = p + 1;
		for (end = tok; *end && *end != '"'; end++)
			;
		if (*end != '"') {
			sb_puts(err, "missing closing double quote");
			return -1;
		}
		*end = '\0';
		p = end + 1;
		tag = tok[0] >= 'a' && tok[0] <= 'z' ? tok[0] - 32 : tok[0];
		if (tag == '\0' || strchr("UIPRM", tag) == NULL) {
			sb_printf(err, "unknown tag '%c' (expected U, I, P, R "
			    "or M)", tok[0] ? tok[0] : '?');
			return -1;
		}
		if (tok[1] != ':' && tok[1] != '=') {
			sb_printf(err, "%s: ':' (text) or '=' (base64) must "
			    "follow the tag", tag_name(tag));
			return -1;
		}
		if (tok[2] == '\0') {
			sb_printf(err, "%s is empty", tag_name(tag));
			return -1;
		}
		if (tok[1] == '=') {
			val = b64_decode(tok + 2, strlen(tok + 2), &vlen);
			if (val == NULL) {
				explicit_bzero(tok, strlen(tok));
				sb_printf(err, "%s: bad base64", tag_name(tag));
				return -1;
			}
		} else {
			vlen = strlen(tok + 2);
			if ((val = strdup(tok + 2)) == NULL) {
				explicit_bzero(tok, strlen(tok));
				sb_puts(err, "out of memory");
				return -1;
			}
		}
		explicit_bzero(tok, strlen(tok));
		if (tag == 'P') {
			got_p = true;
			if ((flags & AUTHINFO_KEEP_SECRET) && e->password ==
			    NULL) {
				e->password = val;
				e->password_len = vlen;
			} else {
				free_secret(val, vlen + 1);
			}
			continue;
		}
		if (has_control_chars(val)) {
			free(val);
			sb_printf(err, "%s contains control characters",
			    tag_name(tag));
			return -1;
		}
		slot = tag == 'U' ? &e->user : tag == 'I' ? &e->authid :
		    tag == 'R' ? &e->realm : &e->mechs;
		free(*slot);	/* sendmail keeps the last one too */
		*slot = val;
	}
	if (e->user == NULL && e->authid == NULL) {
		sb_puts(err, "entry has neither \"U:\" nor \"I:\" (sendmail "
		    "needs one of them)");
		return -1;
	}
	if (!got_p) {
		sb_puts(err, "entry has no password (\"P:\" or \"P=\")");
		return -1;
	}
	if (e->authid == NULL) {
		e->authid_missing = true;
		if ((e->authid = strdup(e->user)) == NULL)
			goto nomem;
	}
	if (e->user == NULL) {
		e->user_missing = true;
		if ((e->user = strdup(e->authid)) == NULL)
			goto nomem;
	}
	return 0;
nomem:
	sb_puts(err, "out of memory");
	return -1;
}

int
authinfo_parse(const char *name, char *text, size_t len, unsigned flags,
    struct authinfo **out, strbuf *err)
{
	struct authinfo *ai;
	struct authinfo_entry e, *nv;
	char *line, *next, *key, *rest;
	unsigned lineno = 0;
	size_t i;

	if ((ai = calloc(1, sizeof(*ai))) == NULL ||
	    (ai->path = strdup(name)) == NULL) {
		free(ai);
		explicit_bzero(text, len);
		sb_printf(err, "%s: out of memory", name);
		return -1;
	}
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		key = str_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		rest = key + strcspn(key, " \t");
		if (*rest != '\0')
			*rest++ = '\0';
		if (strncasecmp(key, "AuthInfo:", 9) != 0) {
			ai->skipped++;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		/* as makemap stores it: case-folded, otherwise as written
		 * (sendmail never matches "[host]" or "host." keys) */
		if ((e.host = strdup_lower(key + 9)) == NULL) {
			sb_printf(err, "%s: out of memory", name);
			goto fail;
		}
		sb_printf(err, "%s:%u: %s: ", name, lineno, key);
		if (parse_tokens(rest, flags, &e, err) < 0) {
			entry_clear(&e);
			goto fail;
		}
		sb_reset(err);
		for (i = 0; i < ai->n; i++) {
			if (strcmp(ai->v[i].host, e.host) == 0) {
				sb_printf(err, "%s:%u: duplicate key %s (first "
				    "at line %u)", name, lineno, key,
				    ai->v[i].line);
				entry_clear(&e);
				goto fail;
			}
		}
		if ((nv = realloc(ai->v, (ai->n + 1) * sizeof(*nv))) == NULL) {
			entry_clear(&e);
			sb_printf(err, "%s: out of memory", name);
			goto fail;
		}
		ai->v = nv;
		ai->v[ai->n++] = e;
	}
	explicit_bzero(text, len);
	*out = ai;
	return 0;
fail:
	explicit_bzero(text, len);
	authinfo_free(ai);
	return -1;
}

int
authinfo_load(const char *path, unsigned flags, struct authinfo **out,
    strbuf *err)
{
	char *buf;
	size_t len;
	int rc;

	if (read_text(path, &buf, &len, err) < 0)
		return -1;
	rc = authinfo_parse(path, buf, len, flags, out, err);
	free_secret(buf, len + 1);
	return rc;
}

const char *
authinfo_key_unusable(const struct authinfo_entry *e)
{
	size_t n = strlen(e->host);

	if (e->host[0] == '[')
		return "sendmail looks the smarthost up without brackets";
	if (n > 1 && e->host[n - 1] == '.')
		return "sendmail looks the smarthost up without the trailing dot";
	if (strchr(e->host, ':') != NULL && strchr(e->host, '.') != NULL)
		return "authinfo keys carry no port";
	return NULL;
}

const struct authinfo_entry *
authinfo_lookup(const struct authinfo *ai, const char *server)
{
	const struct authinfo_entry *def = NULL;
	char *key;
	size_t i;

	if (ai == NULL)
		return NULL;
	key = server != NULL ? authinfo_server_key(server) : NULL;
	for (i = 0; i < ai->n; i++) {
		if (key != NULL && *key != '\0' &&
		    strcmp(ai->v[i].host, key) == 0) {
			free(key);
			return &ai->v[i];
		}
		if (ai->v[i].host[0] == '\0')
			def = &ai->v[i];
	}
	free(key);
	return def;
}
