/*
 * smoutput.c - parse `sendmail -d0.1 -bt` and mailq output
 *
 * CONTRACT
 *	See smoutput.h. Pure: text in, structures out; no I/O.
 *	Allocation failures return -1 and leave the output empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smoutput.h"
#include "util.h"

/* ------------------------------------------------------- sendmail -d0.1 */

void
sendmail_info_free(struct sendmail_info *si)
{
	strv_free(si->compiled, si->ncompiled);
	free(si->version);
	free(si->canon_host);
	memset(si, 0, sizeof(*si));
}

int
sendmail_info_parse(const char *text, struct sendmail_info *si)
{
	const char *p = text;
	bool in_compiled = false;

	memset(si, 0, sizeof(*si));
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *l = p, *e = p + n, *q;

		p = *e ? e + 1 : e;
		while (l < e && ch_blank(*l))
			l++;
		if (l == e || (e > l && e[-1] == '\r' && e - 1 == l)) {
			in_compiled = false;
			continue;
		}
		if (strncmp(l, "Version ", 8) == 0 && si->version == NULL) {
			if ((si->version = strndup_trim(l + 8,
			    (size_t)(e - l - 8))) == NULL)
				goto nomem;
			continue;
		}
		if (strncmp(l, "Compiled with:", 14) == 0) {
			in_compiled = true;
			l += 14;
		} else if ((q = strstr(l, "$j = ")) != NULL && q < e) {
			free(si->canon_host);
			if ((si->canon_host = strndup_trim(q + 5,
			    (size_t)(e - q - 5))) == NULL)
				goto nomem;
			continue;
		} else if (strncmp(l, "WARNING: local host name", 24) == 0) {
			si->unqualified_warning = true;
			continue;
		} else if (!in_compiled)
			continue;
		while (l < e) {
			size_t w;
			char **nv, *s;

			while (l < e && (ch_blank(*l) || *l == '\r'))
				l++;
			w = 0;
			while (l + w < e && !ch_blank(l[w]) && l[w] != '\r')
				w++;
			if (w == 0)
				break;
			if ((s = strndup(l, w)) == NULL)
				goto nomem;
			nv = realloc(si->compiled,
			    (si->ncompiled + 1) * sizeof(*nv));
			if (nv == NULL) {
				free(s);
				goto nomem;
			}
			nv[si->ncompiled++] = s;
			si->compiled = nv;
			l += w;
		}
	}
	return 0;
nomem:
	sendmail_info_free(si);
	return -1;
}

bool
sendmail_compiled_with(const struct sendmail_info *si, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < si->ncompiled; i++) {
		const char *c = si->compiled[i];

		if (strcmp(c, name) == 0 ||
		    (strncmp(c, name, n) == 0 && c[n] == '='))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ mailq */

static void
mailq_entry_free(struct mailq_entry *e)
{
	size_t j;

	free(e->qid);
	free(e->qtime);
	free(e->sender);
	free(e->bodytype);
	free(e->error);
	for (j = 0; j < e->nrcpts; j++)
		free(e->rcpts[j]);
	free(e->rcpts);
	memset(e, 0, sizeof(*e));
}

void
mailq_free(struct mailq *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		mailq_entry_free(&q->v[i]);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

static int
month_index(const char *m)
{
	static const char *names[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, names[i], 3) == 0)
			return i;
	return -1;
}

/* "Sat Nov 21 08:56" -> time in local time, year taken from now. */
static time_t
qtime_parse(const char *s, time_t now)
{
	struct tm tm, nowtm;
	int mon, day, hh, mm;
	time_t t;

	if (strlen(s) != 16 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
	    s[13] != ':')
		return 0;
	if ((mon = month_index(s + 4)) < 0)
		return 0;
	if (!(ch_digit(s[9]) && (ch_digit(s[8]) || s[8] == ' ')) ||
	    !ch_digit(s[11]) || !ch_digit(s[12]) || !ch_digit(s[14]) ||
	    !ch_digit(s[15]))
		return 0;
	day = (s[8] == ' ' ? 0 : s[8] - '0') * 10 + (s[9] - '0');
	hh = (s[11] - '0') * 10 + (s[12] - '0');
	mm = (s[14] - '0') * 10 + (s[15] - '0');
	if (day < 1 || day > 31 || hh > 23 || mm > 59)
		return 0;
	if (localtime_r(&now, &nowtm) == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = nowtm.tm_year;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t != (time_t)-1 && t > now + 86400) {
		/* printed without a year: it was last year */
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = nowtm.tm_year - 1;
		tm.tm_mon = mon;
		tm.tm_mday = day;
		tm.tm_hour = hh;
		tm.tm_min = mm;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return t == (time_t)-1 ? 0 : t;
}

static bool
is_qid_char(int c)
{
	return ch_alpha(c) || ch_digit(c);
}

/*
 * Try to read an entry line "QID[mark] SIZE Day Mon DD HH:MM sender".
 * Returns 1 when it is one (e filled), 0 when not, -1 on ENOMEM.
 */
static int
mailq_entry_line(const char *l, size_t n, time_t now, struct mailq_entry *e)
{
	const char *p = l, *end = l + n, *q, *t;
	char mark = ' ', tbuf[17], *endp;
	size_t qn;
	long size;

	while (p < end && ch_blank(*p))
		p++;
	q = p;
	while (p < end && is_qid_char(*p))
		p++;
	qn = (size_t)(p - q);
	if (qn < 6 || qn > 32)
		return 0;
	if (p < end && (*p == '*' || *p == 'X' || *p == '-' || *p == '?'))
		mark = *p++;
	if (p >= end || !ch_blank(*p))
		return 0;
	while (p < end && ch_blank(*p))
		p++;
	if (p >= end || !(ch_digit(*p) || *p == '-'))
		return 0;
	errno = 0;
	size = strtol(p, &endp, 10);
	if (errno != 0 || endp == p || endp >= end || !ch_blank(*endp))
		return 0;
	p = endp;
	while (p < end && ch_blank(*p))
		p++;
	if (end - p < 16)
		return 0;
	memcpy(tbuf, p, 16);
	tbuf[16] = '\0';
	if (tbuf[3] != ' ' || tbuf[7] != ' ' || tbuf[13] != ':' ||
	    month_index(tbuf + 4) < 0)
		return 0;
	t = p + 16;
	while (t < end && ch_blank(*t))
		t++;
	memset(e, 0, sizeof(*e));
	e->mark = mark;
	e->size = size;
	e->when = qtime_parse(tbuf, now);
	if ((e->qid = strndup(q, qn)) == NULL ||
	    (e->qtime = strdup(tbuf)) == NULL ||
	    (e->sender = strndup_trim(t, (size_t)(end - t))) == NULL) {
		free(e->qid);
		free(e->qtime);
		free(e->sender);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 1;
}

static int
mailq_detail(struct mailq_entry *e, const char *l, size_t n)
{
	const char *p = l, *end = l + n, *open, *close;
	bool tab = n > 0 && l[0] == '\t';
	char **nv, *s;

	while (p < end && (ch_blank(*p) || *p == '\r'))
		p++;
	while (end > p && (ch_blank(end[-1]) || end[-1] == '\r'))
		end--;
	if (p == end)
		return 0;
	if (!tab && end[-1] == ')' &&
	    (open = memchr(p, '(', (size_t)(end - p))) != NULL) {
		/* "    8BITMIME   (Deferred: ...)" or "(Deferred: ...)" */
		close = end - 1;
		if (open > p && e->bodytype == NULL &&
		    (e->bodytype = strndup_trim(p, (size_t)(open - p))) == NULL)
			return -1;
		if (open + 1 <= close) {
			free(e->error);
			if ((e->error = strndup_trim(open + 1,
			    (size_t)(close - open - 1))) == NULL)
				return -1;
		}
		return 0;
	}
	if (!tab && (end - p == 4 || end - p == 8 || end - p == 10) &&
	    (strncmp(p, "7BIT", 4) == 0 || strncmp(p, "8BITMIME", 8) == 0 ||
	    strncmp(p, "BINARYMIME", 10) == 0)) {
		if (e->bodytype == NULL &&
		    (e->bodytype = strndup(p, (size_t)(end - p))) == NULL)
			return -1;
		return 0;
	}
	if (strncmp(p, "QUARANTINE:", 11) == 0 ||
	    strncmp(p, "(---", 4) == 0)
		return 0;
	if ((s = strndup(p, (size_t)(end - p))) == NULL)
		return -1;
	if ((nv = realloc(e->rcpts, (e->nrcpts + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return -1;
	}
	nv[e->nrcpts++] = s;
	e->rcpts = nv;
	return 0;
}

int
mailq_parse(const char *text, time_t now, struct mailq *q)
{
	const char *p = text;
	struct mailq_entry *cur = NULL;

	memset(q, 0, sizeof(*q));
	q->total = -1;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *l = p, *t;
		struct mailq_entry e;
		int rc;

		p += n;
		if (*p == '\n')
			p++;
		t = l;
		while (t < l + n && ch_blank(*t))
			t++;
		if (t == l + n)
			continue;
		if (strncmp(t, "Total requests:", 15) == 0 ||
		    strncmp(t, "-----Q-ID", 9) == 0 ||
		    strncmp(t, "----Q-ID", 8) == 0 ||
		    strncmp(t, "MSP Queue status", 16) == 0 ||
		    strncmp(t, "MTA Queue status", 16) == 0 ||
		    strncmp(t, "Mail queue is empty", 19) == 0) {
			cur = NULL;
			continue;
		}
		/* "/var/spool/mqueue is empty" and "\t\t/dir (N requests)" */
		if (*t == '/') {
			const char *s = memchr(t, '(', (size_t)(l + n - t));
			const char *em = strstr(t, " is empty");
			unsigned long v;
			char num[24];
			size_t d;

			cur = NULL;
			if (em != NULL && em < l + n) {
				if (q->total < 0)
					q->total = 0;
				continue;
			}
			if (s != NULL) {
				s++;
				d = 0;
				while (s + d < l + n && ch_digit(s[d]))
					d++;
				if (d > 0 && d < sizeof(num)) {
					memcpy(num, s, d);
					num[d] = '\0';
					if (parse_uint(num, 1000000000UL,
					    &v) == 0) {
						if (q->total < 0)
							q->total = 0;
						q->total += (long)v;
						continue;
					}
				}
			}
			q->nskipped++;
			continue;
		}
		rc = mailq_entry_line(l, n, now, &e);
		if (rc < 0)
			goto nomem;
		if (rc == 1) {
			struct mailq_entry *ne;

			if ((ne = realloc(q->v, (q->n + 1) *
			    sizeof(*ne))) == NULL) {
				mailq_entry_free(&e);
				goto nomem;
			}
			q->v = ne;
			ne = &q->v[q->n++];
			*ne = e;
			cur = ne;
			continue;
		}
		if (cur == NULL) {
			q->nskipped++;
			continue;
		}
		if (mailq_detail(cur, l, n) < 0)
			goto nomem;
	}
	return 0;
nomem:
	mailq_free(q);
	return -1;
}
