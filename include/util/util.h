/*
 * util.h - small string and parsing helpers shared by every relaymilter module
 *
 * CONTRACT
 *	strbuf is a growable NUL-terminated byte string. An allocation failure
 *	never aborts: it sets sb->err, later appends do nothing, and the caller
 *	checks sb->err (or the -1 return) once at the end. sb->s is always a
 *	valid C string (possibly "") after sb_init() or sb_init_buf().
 *	sb_init_buf() starts a strbuf on the caller's storage (a stack array):
 *	no allocation while the string fits; a longer one moves to the heap
 *	(never truncated). sb_free() frees only heap storage, so it is right on
 *	both paths; the caller's storage must outlive the strbuf's use.
 *
 *	sanitize_*() remove CR, LF, NUL and every other C0 control character
 *	and DEL from text that goes into a header or a log line; TAB becomes a
 *	space. Bytes >= 0x80 (UTF-8) pass unchanged.
 *
 *	Parsers here never abort and never truncate silently: they return -1
 *	on bad input and leave the output untouched.
 */
#ifndef RM_UTIL_H
#define RM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct strbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;		/* bytes at s; 0: s is a static "" */
	int	 err;		/* non-zero after an allocation failure */
	bool	 borrowed;	/* s is the caller's (sb_init_buf): not freed */
} strbuf;

extern char sb_empty_[1];	/* what an empty strbuf points at */

static inline void
sb_init(strbuf *sb)
{
	sb->s = sb_empty_;
	sb->len = 0;
	sb->cap = 0;
	sb->err = 0;
	sb->borrowed = false;
}

/* Start on buf[0..size) (size >= 1), e.g. a stack array: see CONTRACT. */
static inline void
sb_init_buf(strbuf *sb, char *buf, size_t size)
{
	if (size == 0) {		/* no room even for the NUL */
		sb_init(sb);
		return;
	}
	buf[0] = '\0';
	sb->s = buf;
	sb->len = 0;
	sb->cap = size;
	sb->err = 0;
	sb->borrowed = true;
}

/* Heap storage is freed, the caller's is not; sb is empty after it. */
static inline void
sb_free(strbuf *sb)
{
	if (sb->cap > 0 && !sb->borrowed)
		free(sb->s);
	sb_init(sb);
}
/* Free v[0..n-1] and v (either may be NULL when n is 0). */
void	 strv_free(char **v, size_t n);
void	 sb_reset(strbuf *sb);
/* The slow paths of the inline functions below (growing, errors). */
int	 sb_append_grow(strbuf *sb, const char *p, size_t n);
int	 sb_reserve_grow(strbuf *sb, size_t n);

/* Make room for n more bytes at once (fewer reallocations). */
static inline int
sb_reserve(strbuf *sb, size_t n)
{
	/* cap > len whenever cap > 0, so this does not wrap */
	if (n < sb->cap - sb->len && sb->err == 0)
		return 0;
	return sb_reserve_grow(sb, n);
}

static inline int
sb_append(strbuf *sb, const char *p, size_t n)
{
	if (n < sb->cap - sb->len && sb->err == 0) {
		if (n > 0)
			memcpy(sb->s + sb->len, p, n);
		sb->len += n;
		sb->s[sb->len] = '\0';
		return 0;
	}
	return sb_append_grow(sb, p, n);
}

static inline int
sb_puts(strbuf *sb, const char *s)
{
	return sb_append(sb, s, strlen(s));
}

static inline int
sb_putc(strbuf *sb, int c)
{
	char ch = (char)c;

	return sb_append(sb, &ch, 1);
}
int	 sb_printf(strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 sb_vprintf(strbuf *sb, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* A new string formatted from a variadic function's arguments (free() it),
 * NULL on an allocation failure: the one "format into a fresh buffer". */
char	*str_vprintf(const char *fmt, va_list ap)
	    __attribute__((format(printf, 1, 0)));
/* Append with control characters stripped (see CONTRACT). */
int	 sb_puts_sanitized(strbuf *sb, const char *s);
/* Give the buffer to the caller (free() it); the strbuf is reset. NULL on err. */
char	*sb_steal(strbuf *sb);

/* Return a newly allocated sanitized copy, or NULL on allocation failure. */
char	*sanitize_dup(const char *s);
/* Sanitize in place; returns s. */
char	*sanitize_inplace(char *s);
bool	 has_control_chars(const char *s);
/* The same, but TAB is allowed (a field separator in map files). */
bool	 has_control_chars_but_tab(const char *s);

/* ASCII helpers that do not depend on the locale. */
char	*str_lower_inplace(char *s);
char	*strdup_lower(const char *s);
char	*str_trim(char *s);		/* trims ASCII white space in place */
bool	 str_ieq(const char *a, const char *b);
/* Next token separated by white space and/or commas; NULL when none. */
char	*str_token(char **cursor);

/* Character classes of the C locale, for a char or an unsigned char (a
 * negative char is a byte >= 0x80: in no class). The only definitions of
 * these classes in the tree (tests/layout checks it). */
static inline bool ch_blank(int c) { return c == ' ' || c == '\t'; }
static inline bool ch_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool
ch_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ch_alnum(int c) { return ch_alpha(c) || ch_digit(c); }
/* What sanitising drops (C0 controls and DEL); log.c's kv_class table
 * encodes the same rule (test_log checks it against a model for every
 * byte). */
static inline bool ch_ctl(int c) { return (c >= 0 && c < 0x20) || c == 0x7f; }

/* Copy of s[0..n) without leading and trailing blanks, CR and LF. */
char	*strndup_trim(const char *s, size_t n);

/*
 * Growing arrays: make room for element n of an array whose capacity is
 * the next power of two at or above its length; returns the (possibly
 * moved) array, or NULL (the old one is still valid). ARR_PUSH appends a
 * zeroed element and points out at it: 0, or -1 on allocation failure.
 */
void	*arr_grow(void *arr, size_t n, size_t size);
#define ARR_PUSH(arr, n, out)						\
	(((out) = arr_grow((arr), (n), sizeof(*(arr)))) == NULL ? -1 :	\
	    ((arr) = (out), (out) = &(arr)[(n)++],			\
	    memset((out), 0, sizeof(*(out))), 0))

/* Numbers and durations: -1 on any bad input, the value in *out otherwise. */
int	 parse_uint(const char *s, unsigned long max, unsigned long *out);
int	 parse_octal(const char *s, unsigned long max, unsigned long *out);
/* "90", "90s", "5m", "2h", "1d"; result in seconds. */
int	 parse_duration(const char *s, unsigned long max, unsigned long *out);
int	 parse_bool(const char *s, bool *out);

/* Read a whole file into a NUL-terminated buffer; -1 and errno on error.
 * Files containing NUL bytes are refused (errno EINVAL). */
int	 read_file(const char *path, char **buf, size_t *len);
/* The same from an open descriptor (read to its end; not closed). */
int	 read_fd(int fd, char **buf, size_t *len);

/* read_file() with the error written as "PATH: cannot read: REASON". */
int	 read_text(const char *path, char **buf, size_t *len, strbuf *err);

/* Wipe and free a buffer that held secrets. */
void	 free_secret(char *p, size_t n);

#endif
