/*
 * util.c - string buffers, sanitising, small parsers, whole-file reads
 *
 * CONTRACT
 *	See util.h. Nothing here logs, exits or aborts; every
 *	allocation failure is reported to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char sb_empty_[1];

void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sb_reset(strbuf *sb)
{
	sb->len = 0;
	if (sb->cap > 0)
		sb->s[0] = '\0';
	sb->err = 0;
}

static int
sb_grow(strbuf *sb, size_t need)
{
	size_t ncap;
	char *p;

	if (sb->err)
		return -1;
	if (need < sb->len || need + 1 < need) {
		sb->err = ENOMEM;
		return -1;
	}
	if (need + 1 <= sb->cap)
		return 0;
	ncap = sb->cap ? sb->cap : 64;
	while (ncap < need + 1) {
		if (ncap > SIZE_MAX / 2) {
			sb->err = ENOMEM;
			return -1;
		}
		ncap *= 2;
	}
	/* the caller's storage is left as it is: its string moves out */
	p = sb->cap && !sb->borrowed ? realloc(sb->s, ncap) : malloc(ncap);
	if (p == NULL) {
		sb->err = ENOMEM;
		return -1;
	}
	if (sb->cap == 0)
		p[0] = '\0';
	else if (sb->borrowed)
		memcpy(p, sb->s, sb->len + 1);
	sb->s = p;
	sb->cap = ncap;
	sb->borrowed = false;
	return 0;
}

int
sb_reserve_grow(strbuf *sb, size_t n)
{
	return sb_grow(sb, sb->len + n);
}

int
sb_append_grow(strbuf *sb, const char *p, size_t n)
{
	if (sb_grow(sb, sb->len + n) < 0)
		return -1;
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int
sb_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room;
	int n;

	if (sb->err)
		return -1;
	/* one pass when it fits, a second one after growing when not */
	if (sb->cap == 0 && sb_grow(sb, 63) < 0)
		return -1;
	room = sb->cap - sb->len;
	va_copy(ap2, ap);
	n = vsnprintf(sb->s + sb->len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->s[sb->len] = '\0';
		sb->err = EINVAL;
		return -1;
	}
	if ((size_t)n >= room) {
		if (sb_grow(sb, sb->len + (size_t)n) < 0) {
			sb->s[sb->len] = '\0';
			return -1;
		}
		vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	}
	sb->len += (size_t)n;
	return 0;
}

char *
str_vprintf(const char *fmt, va_list ap)
{
	strbuf sb;

	sb_init(&sb);
	sb_vprintf(&sb, fmt, ap);
	return sb_steal(&sb);
}

int
sb_printf(strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sb_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Eight bytes at a time (the string's length is known first, so no byte past
 * its NUL is read). Bytes are independent in these sums: nothing carries
 * from one byte into the next, and the result does not depend on the
 * machine's byte order.
 */
#define W_ONES	0x0101010101010101ULL
#define W_HIGH	0x8080808080808080ULL

static inline uint64_t
load64(const char *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* Whether a byte of x is a control character as ch_ctl() says (below 0x20,
 * or DEL): the "has a byte less than n" and "has a zero byte" tests, which
 * are exact as yes/no answers. */
static inline bool
word_has_ctl(uint64_t x)
{
	uint64_t del = x ^ (W_ONES * 0x7f);

	return ((((x - W_ONES * 0x20) & ~x) | ((del - W_ONES) & ~del)) &
	    W_HIGH) != 0;
}

/* The length of the leading bytes of s[0..n) (n = strlen(s)) that are not
 * control characters. */
static size_t
ctl_span(const char *s, size_t n)
{
	size_t i = 0;

	while (i + 8 <= n && !word_has_ctl(load64(s + i)))
		i += 8;
	while (i < n && !ch_ctl((unsigned char)s[i]))
		i++;
	return i;
}

int
sb_puts_sanitized(strbuf *sb, const char *s)
{
	size_t n = strlen(s);
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	if (ctl_span(s, n) == n)		/* the usual case: as it is */
		return sb_append(sb, s, n);

	for (; *p; p++) {
		if (!ch_ctl(*p))
			continue;
		if (p > run && sb_append(sb, (const char *)run,
		    (size_t)(p - run)) < 0)
			return -1;
		if (*p == '\t' && sb_putc(sb, ' ') < 0)
			return -1;
		run = p + 1;
	}
	if (p > run)
		return sb_append(sb, (const char *)run, (size_t)(p - run));
	return sb->err ? -1 : 0;
}

char *
sb_steal(strbuf *sb)
{
	char *s;

	if (sb->err) {
		sb_free(sb);
		return NULL;
	}
	if (sb->cap == 0 || sb->borrowed)	/* not ours to give: a copy */
		s = strdup(sb->s);
	else
		s = sb->s;
	sb_init(sb);
	return s;
}

char *
sanitize_inplace(char *s)
{
	/* the usual case: nothing to strip */
	unsigned char *r = (unsigned char *)s + ctl_span(s, strlen(s)), *w;

	for (w = r; *r; r++) {
		if (*r == '\t')
			*w++ = ' ';
		else if (!ch_ctl(*r))
			*w++ = *r;
	}
	*w = '\0';
	return s;
}

char *
sanitize_dup(const char *s)
{
	char *d = strdup(s);

	return d ? sanitize_inplace(d) : NULL;
}

bool
has_control_chars(const char *s)
{
	size_t n = strlen(s);

	return ctl_span(s, n) < n;
}

bool
has_control_chars_but_tab(const char *s)
{
	for (; *s; s++)
		if (*s != '\t' && ch_ctl((unsigned char)*s))
			return true;
	return false;
}

char *
str_lower_inplace(char *s)
{
	size_t n = strlen(s), i;
	uint64_t x, h, up;
	char *p;

	if (n < 8) {
		for (p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		return s;
	}
	/*
	 * Eight bytes a turn; the last turn is the last eight bytes, which may
	 * overlap the turn before (lowering twice changes nothing). On the low
	 * seven bits h of a byte, h + 0x3f reaches 0x80 from 'A' on and
	 * h + 0x25 from '[' on; bytes >= 0x80 are left alone. 0x80 >> 2 is the
	 * 0x20 that lowers a letter.
	 */
	for (i = 0;; i = i + 16 <= n ? i + 8 : n - 8) {
		x = load64(s + i);
		h = x & ~W_HIGH;
		up = (h + W_ONES * (0x80 - 'A')) & ~(h + W_ONES * (0x7f - 'Z')) &
		    ~x & W_HIGH;
		if (up != 0) {
			x |= up >> 2;
			memcpy(s + i, &x, sizeof(x));
		}
		if (i + 8 == n)
			break;
	}
	return s;
}

char *
strdup_lower(const char *s)
{
	char *d = strdup(s);

	return d ? str_lower_inplace(d) : NULL;
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\f' || c == '\v';
}

char *
strndup_trim(const char *s, size_t n)
{
	while (n > 0 && (ch_blank(*s) || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (ch_blank(s[n - 1]) || s[n - 1] == '\r' ||
	    s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

void *
arr_grow(void *arr, size_t n, size_t size)
{
	size_t cap;

	if ((n & (n - 1)) != 0 && arr != NULL)
		return arr;		/* capacity is already > n */
	cap = n ? n * 2 : 1;
	if (cap > ((size_t)-1) / size)
		return NULL;
	return realloc(arr, cap * size);
}

char *
str_trim(char *s)
{
	char *e;

	while (is_space((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

bool
str_ieq(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
		if (ca == 0)
			return true;
	}
}

char *
str_token(char **cursor)
{
	char *p = *cursor, *start;

	while (*p && (is_space((unsigned char)*p) || *p == ','))
		p++;
	if (*p == '\0') {
		*cursor = p;
		return NULL;
	}
	start = p;
	while (*p && !is_space((unsigned char)*p) && *p != ',')
		p++;
	if (*p)
		*p++ = '\0';
	*cursor = p;
	return start;
}

static int
parse_base(const char *s, int base, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' ||
	    is_space((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	return parse_base(s, 10, max, out);
}

int
parse_octal(const char *s, unsigned long max, unsigned long *out)
{
	return parse_base(s, 8, max, out);
}

int
parse_duration(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v, mult = 1;
	char num[32];
	size_t n;

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; num[--n] = '\0'; break;
	case 'm': mult = 60; num[--n] = '\0'; break;
	case 'h': mult = 3600; num[--n] = '\0'; break;
	case 'd': mult = 86400; num[--n] = '\0'; break;
	default: break;
	}
	if (parse_uint(num, ULONG_MAX / mult, &v) < 0 || v * mult > max)
		return -1;
	*out = v * mult;
	return 0;
}

int
parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1", "y", "t" };
	static const char *no[] = { "no", "false", "off", "0", "n", "f" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_ieq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int
read_fd(int fd, char **bufp, size_t *lenp)
{
	struct stat st;
	size_t cap, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int saved;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > SIZE_MAX / 2 ||
			    (nbuf = malloc(cap * 2)) == NULL) {
				free_secret(buf, cap);
				errno = ENOMEM;
				return -1;
			}
			/* copy, then wipe: the buffer may hold secrets */
			memcpy(nbuf, buf, len);
			free_secret(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free_secret(buf, cap);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		free_secret(buf, cap);
		errno = EINVAL;
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
read_file(const char *path, char **bufp, size_t *lenp)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = read_fd(fd, bufp, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
read_text(const char *path, char **buf, size_t *len, strbuf *err)
{
	if (read_file(path, buf, len) == 0)
		return 0;
	sb_printf(err, "%s: cannot read: %s", path, errno == EINVAL ?
	    "it contains NUL bytes" : strerror(errno));
	return -1;
}

void
free_secret(char *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
