/*
 * jstr.c - the JSON string writer of relaymilter-trace and
 *	    relaymilter-doctor
 *
 * CONTRACT
 *	See jstr.h. The scan is one pass over the bytes; a valid string is
 *	handed to json-c as it is, an invalid one is copied once with each
 *	bad byte replaced.
 */
#include <stddef.h>
#include <string.h>

#include <json-c/json.h>

#include "jstr.h"
#include "util.h"

/* Length of a valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

struct json_object *
jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, k;
	struct json_object *o;
	strbuf sb;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	for (i = 0; i < n; i += k)
		if ((k = utf8_len(p + i, n - i)) == 0)
			break;
	if (i == n)
		return json_object_new_string(s);
	sb_init(&sb);
	for (i = 0; i < n; i += k) {
		if ((k = utf8_len(p + i, n - i)) == 0) {
			sb_puts(&sb, "\xef\xbf\xbd");
			k = 1;
		} else
			sb_append(&sb, s + i, k);
	}
	o = sb.err ? NULL : json_object_new_string(sb.s);
	sb_free(&sb);
	return o;
}
