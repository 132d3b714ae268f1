/*
 * release.c - relaymilter -R: let go of the held mail the daemon found room
 *	       for (run by relaymilter-release.timer, as root)
 *
 * CONTRACT
 *	See include/release.h. Reads StateDirectory/budget.state (the
 *	daemon's, never followed through a link), takes the held messages it
 *	marked for release and, in batches of RELEASE_BATCH:
 *	  1. sendmail -v -qQ'relaymilter relay budget' -qIQID... -Q
 *	     lifts the quarantine of exactly those messages, and only when
 *	     relaymilter's budget put it there (the -qQ match: a message
 *	     someone else quarantined stays); sendmail says "QID: Removed
 *	     quarantine of ..." for each;
 *	  2. writes StateDirectory/budget.released (budgetio: a new file,
 *	     renamed into place): "released" for each message sendmail let
 *	     go, "gone" for each it did not find among the quarantined ones
 *	     (delivered after someone released it, or removed); one it
 *	     skipped ("Skipping QID", a lock) is retried at the next run. The
 *	     daemon counts each in its windows from that moment;
 *	  3. sendmail -qf -qIQID... delivers them now, in the foreground (a
 *	     timer's service ends when its process does, so no background
 *	     queue runner is left to be killed); what it cannot deliver stays
 *	     in the queue for the MTA's own queue runs.
 *	The queue ids go on sendmail's command line only when they are
 *	letters and digits (bstate_qid_ok). Held messages older than half of
 *	Timeout.queuereturn (from --cf's sendmail.cf, 5 days when it cannot
 *	be read) are warned about, at most once an hour (the time is kept in
 *	budget.released): sendmail returns a message queued longer than that
 *	when a delivery attempt fails, so such mail is released at its first
 *	chance but may bounce if the relay then refuses it.
 *	One release at a time: it holds an exclusive flock on StateDirectory
 *	itself (no lock file is made); a second one finds it taken and exits
 *	0 without a word.
 *	Exit 0 (released, or nothing to do), 1 when a step failed (logged:
 *	the timer's unit shows failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "budgetd.h"
#include "budgetfmt.h"
#include "budgetio.h"
#include "config.h"
#include "log.h"
#include "release.h"
#include "runprog.h"
#include "sendmailcf.h"
#include "util.h"

#define RELEASE_BATCH	50
#define UNQ_TIMEOUT_MS	(120 * 1000)
#define RUN_TIMEOUT_MS	(10 * 60 * 1000)
#define WARN_EVERY_S	3600

/* The last item of a line "QID: Removed quarantine of ..." or "Skipping
 * QID...": 1 removed, 2 skipped, 0 neither. */
static int
line_says(const char *line, size_t n, char *qid, size_t qidsz)
{
	static const char removed[] = ": Removed quarantine of ";
	static const char skipping[] = "Skipping ";
	const char *p;
	size_t k;

	if (n > sizeof(skipping) - 1 &&
	    memcmp(line, skipping, sizeof(skipping) - 1) == 0) {
		p = line + sizeof(skipping) - 1;
		for (k = 0; k < qidsz - 1 && p + k < line + n &&
		    ch_alnum(p[k]); k++)
			qid[k] = p[k];
		qid[k] = '\0';
		return k > 0 ? 2 : 0;
	}
	for (k = 0; k < n && ch_alnum(line[k]); k++)
		;
	if (k == 0 || k >= qidsz || n - k < sizeof(removed) - 1 ||
	    memcmp(line + k, removed, sizeof(removed) - 1) != 0)
		return 0;
	memcpy(qid, line, k);
	qid[k] = '\0';
	return 1;
}

/* What sendmail said about qid: 1 removed, 2 skipped, 0 not named. */
static int
said_about(const strbuf *out, const char *qid)
{
	const char *p = out->s, *nl;
	char q[BSTATE_QID_MAX + 2];
	int r;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		r = line_says(p, nl ? (size_t)(nl - p) : strlen(p), q,
		    sizeof(q));
		if (r != 0 && strcmp(q, qid) == 0)
			return r;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static void
say(bool quiet, int prio, const char *qid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(bool quiet, int prio, const char *qid, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = str_vprintf(fmt, ap);
	va_end(ap);
	if (m == NULL)
		return;
	log_msg(prio, qid, "%s", m);
	/* Syslog no: log_msg wrote it to standard error already */
	if (!quiet && log_to_syslog())
		fprintf(prio <= LOG_WARNING ? stderr : stdout,
		    "relaymilter: %s%s%s\n", qid ? qid : "", qid ? ": " : "",
		    m);
	free(m);
}

/* argv of sendmail with the common part, then the queue ids. */
static char **
argv_for(const struct release_opts *o, const char *const *head,
    const struct bstate_held *const *v, size_t n, strbuf *keep)
{
	char **argv;
	size_t i, k = 0, nh;

	for (nh = 0; head[nh] != NULL; nh++)
		;
	if ((argv = calloc(nh + n + 4, sizeof(*argv))) == NULL)
		return NULL;
	argv[k++] = (char *)o->sendmail;
	if (o->cf != NULL) {
		sb_printf(&keep[0], "-C%s", o->cf);
		argv[k++] = keep[0].s;
	}
	for (i = 0; i < nh; i++)
		argv[k++] = (char *)head[i];
	for (i = 0; i < n; i++) {
		sb_printf(&keep[1 + i], "-qI%s", v[i]->qid);
		if (keep[1 + i].err) {
			free(argv);
			return NULL;
		}
		argv[k++] = keep[1 + i].s;
	}
	return argv;
}

/*
 * One batch: lift the quarantine, note what happened in rel, deliver.
 * -1 when sendmail could not be run or failed (nothing noted).
 */
static int
batch(const struct release_opts *o, const struct bstate_held *const *v,
    size_t n, int64_t now, struct brel *rel, char ***delivered, size_t *nd)
{
	static const char *const unq[] = { "-v", "-qQ" BUDGET_QUARANTINE_MARK,
	    "-Q", NULL };
	strbuf keep[RELEASE_BATCH + 1], out, why;
	struct brel_item *nv;
	char **argv;
	size_t i;
	int rc, r = -1;

	for (i = 0; i < n + 1; i++)
		sb_init(&keep[i]);
	sb_init(&out);
	sb_init(&why);
	if ((argv = argv_for(o, unq, v, n, keep)) == NULL) {
		say(o->quiet, LOG_ERR, NULL, "relay budget release: out of "
		    "memory");
		goto out;
	}
	rc = run_program(argv, UNQ_TIMEOUT_MS, &out, &why);
	free(argv);
	if (rc != 0) {
		say(o->quiet, LOG_ERR, NULL, "relay budget release: %s -Q "
		    "failed (%s): %s", o->sendmail, rc == -2 ? "timed out" :
		    rc < 0 ? why.s : "non-zero exit", out.s);
		goto out;
	}
	for (i = 0; i < n; i++) {
		int s = said_about(&out, v[i]->qid);

		if (s == 2) {
			say(o->quiet, LOG_WARNING, v[i]->qid, "relay budget "
			    "release: sendmail skipped it (locked?): again at "
			    "the next run");
			continue;
		}
		if ((nv = arr_grow(rel->v, rel->n, sizeof(*nv))) == NULL) {
			say(o->quiet, LOG_ERR, NULL, "relay budget release: "
			    "out of memory");
			goto out;
		}
		rel->v = nv;
		memset(&nv[rel->n], 0, sizeof(nv[0]));
		memcpy(nv[rel->n].qid, v[i]->qid, sizeof(nv[0].qid));
		nv[rel->n].when = now;
		nv[rel->n].gone = s != 1;
		rel->n++;
		if (s == 1) {
			char **nd2 = arr_grow(*delivered, *nd, sizeof(char *));

			if (nd2 == NULL)
				continue;
			*delivered = nd2;
			nd2[(*nd)++] = (char *)v[i]->qid;
			say(o->quiet, LOG_INFO, v[i]->qid, "relay budget "
			    "release: quarantine lifted");
		} else {
			say(o->quiet, LOG_INFO, v[i]->qid, "relay budget "
			    "release: not held in the queue (any more): "
			    "released or removed by hand");
		}
	}
	r = 0;
out:
	for (i = 0; i < n + 1; i++)
		sb_free(&keep[i]);
	sb_free(&out);
	sb_free(&why);
	return r;
}

/* Deliver what was let go, in the foreground, a batch at a time. */
static int
deliver(const struct release_opts *o, char **qids, size_t n)
{
	static const char *const run[] = { "-qf", NULL };
	const struct bstate_held *v[RELEASE_BATCH];
	struct bstate_held h[RELEASE_BATCH];
	strbuf keep[RELEASE_BATCH + 1], out, why;
	char **argv;
	size_t i, j, k;
	int rc, r = 0;

	for (i = 0; i < n; i += k) {
		k = n - i < RELEASE_BATCH ? n - i : RELEASE_BATCH;
		for (j = 0; j < k; j++) {
			memset(&h[j], 0, sizeof(h[j]));
			snprintf(h[j].qid, sizeof(h[j].qid), "%s", qids[i + j]);
			v[j] = &h[j];
		}
		for (j = 0; j < k + 1; j++)
			sb_init(&keep[j]);
		sb_init(&out);
		sb_init(&why);
		if ((argv = argv_for(o, run, v, k, keep)) != NULL) {
			rc = run_program(argv, RUN_TIMEOUT_MS, &out, &why);
			free(argv);
			if (rc != 0) {
				say(o->quiet, LOG_WARNING, NULL, "relay budget "
				    "release: the queue run for the released "
				    "mail did not finish well (%s); sendmail's "
				    "own queue runs deliver it: %s", rc == -2 ?
				    "timed out" : rc < 0 ? why.s :
				    "non-zero exit", out.s);
				r = -1;
			}
		}
		for (j = 0; j < k + 1; j++)
			sb_free(&keep[j]);
		sb_free(&out);
		sb_free(&why);
	}
	return r;
}

/* Held mail and the queue lifetime: warn, at most once an hour. */
static void
lifetime(const struct release_opts *o, const struct bstate *st, int64_t now,
    struct brel *rel, const struct brel *prev)
{
	struct sendmail_cf cf;
	strbuf err, d, q;
	const struct bstate_held *oldest = NULL;
	char *text = NULL;
	size_t len, i, n = 0;
	unsigned line = 0;
	long qr = 5 * 86400L;

	rel->lifetime_warned = prev ? prev->lifetime_warned : 0;
	sb_init(&err);
	memset(&cf, 0, sizeof(cf));
	if (read_file(o->cf ? o->cf : "/etc/mail/sendmail.cf", &text, &len) ==
	    0 && cf_parse(text, &cf, &err) == 0)
		qr = cf_queuereturn(&cf, &line);
	cf_free(&cf);
	free(text);
	sb_free(&err);
	for (i = 0; i < st->nheld; i++) {
		if (st->held[i].marked_at != 0 ||
		    now - st->held[i].held_at < qr / 2)
			continue;
		n++;
		if (oldest == NULL || st->held[i].held_at < oldest->held_at)
			oldest = &st->held[i];
	}
	if (n == 0 || (rel->lifetime_warned != 0 &&
	    now - rel->lifetime_warned < WARN_EVERY_S))
		return;
	rel->lifetime_warned = now;
	sb_init(&d);
	sb_init(&q);
	budgetd_duration(&d, (long)(now - oldest->held_at));
	budgetd_duration(&q, qr);
	say(o->quiet, now - oldest->held_at >= qr ? LOG_ERR : LOG_WARNING,
	    oldest->qid, "relay budget: %zu held message(s) older than half "
	    "of Timeout.queuereturn (%s%s), this one %s: sendmail returns "
	    "mail queued longer than that when a delivery attempt fails, so "
	    "held mail may bounce once released; raise the relay budget, "
	    "release by hand (sendmail -qI%s -qQ -Q), or raise "
	    "Timeout.queuereturn", n, q.s, line ? "" : ", sendmail's default",
	    d.s, oldest->qid);
	sb_free(&d);
	sb_free(&q);
}

int
release_run(const struct release_opts *o)
{
	struct rm_config *cfg;
	struct bstate st;
	struct brel rel, prev;
	const struct bstate_held **marked = NULL;
	char *path = NULL, *text = NULL, *ptext = NULL, **delivered = NULL;
	size_t len, plen, i, k, nm = 0, nd = 0;
	strbuf err, out;
	int64_t now = (int64_t)time(NULL);
	bool have_prev = false;
	int rc = 1, lockfd = -1;

	sb_init(&err);
	sb_init(&out);
	memset(&st, 0, sizeof(st));
	memset(&rel, 0, sizeof(rel));
	memset(&prev, 0, sizeof(prev));
	if (config_load(o->config, &cfg, &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		sb_free(&err);
		return 1;
	}
	if (log_open("relaymilter", rm_facility_names[cfg->syslog_facility],
	    cfg->syslog) < 0) {
		fprintf(stderr, "relaymilter: cannot open the log\n");
		goto out0;
	}
	/* one release at a time (the timer and one by hand) */
	if ((lockfd = open(cfg->state_directory, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) < 0 &&
	    errno == EWOULDBLOCK) {
		rc = 0;
		goto out0;
	}
	if ((path = budgetio_path(cfg->state_directory, "budget.state")) ==
	    NULL)
		goto out0;
	if (budgetio_read(path, &text, &len, &err) < 0) {
		say(o->quiet, LOG_ERR, NULL, "relay budget release: %s", err.s);
		goto out0;
	}
	if (text == NULL) {
		/* nothing was ever counted: nothing held (no output: the
		 * timer runs this every minute) */
		rc = 0;
		goto out0;
	}
	if (bstate_parse(text, len, &st, &err) < 0) {
		say(o->quiet, LOG_ERR, NULL, "relay budget release: %s:%s: "
		    "not read (the daemon starts it afresh)", path, err.s);
		goto out0;
	}
	/* the previous run's file: when it last warned */
	free(path);
	if ((path = budgetio_path(cfg->state_directory, "budget.released")) ==
	    NULL)
		goto out0;
	sb_reset(&err);
	if (budgetio_read(path, &ptext, &plen, &err) == 0 && ptext != NULL &&
	    brel_parse(ptext, plen, &prev, &err) == 0)
		have_prev = true;
	if (st.nheld > 0 && (marked = calloc(st.nheld, sizeof(*marked))) ==
	    NULL)
		goto out0;
	for (i = 0; i < st.nheld; i++)
		if (st.held[i].marked_at != 0 && bstate_qid_ok(st.held[i].qid))
			marked[nm++] = &st.held[i];
	rel.written = now;
	rc = 0;
	for (i = 0; i < nm; i += k) {
		k = nm - i < RELEASE_BATCH ? nm - i : RELEASE_BATCH;
		if (batch(o, &marked[i], k, now, &rel, &delivered, &nd) < 0)
			rc = 1;
	}
	lifetime(o, &st, now, &rel, have_prev ? &prev : NULL);
	if (rel.n > 0 || rel.lifetime_warned != prev.lifetime_warned) {
		sb_reset(&err);
		if (brel_format(&rel, &out) < 0 ||
		    budgetio_write(cfg->state_directory, "budget.released",
		    out.s, out.len, 0644, &err) < 0) {
			say(o->quiet, LOG_ERR, NULL, "relay budget release: "
			    "the daemon is not told (it will ask again): %s",
			    err.s[0] ? err.s : "out of memory");
			rc = 1;
		}
	}
	if (nd > 0 && deliver(o, delivered, nd) < 0)
		rc = 1;
	if (!o->quiet && nm > 0)
		printf("relaymilter: %zu held, %zu to release, %zu released\n",
		    st.nheld, nm, nd);
out0:
	if (lockfd >= 0)
		close(lockfd);
	free(delivered);
	free(marked);
	free(path);
	free(text);
	free(ptext);
	bstate_free(&st);
	brel_free(&rel);
	brel_free(&prev);
	config_free(cfg);
	sb_free(&err);
	sb_free(&out);
	log_close();
	return rc;
}
