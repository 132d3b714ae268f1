/*
 * budgetd.c - the relay budget inside the daemon: its state file, the
 *	       releases, its thread
 *
 * CONTRACT
 *	See include/budgetd.h. The thread holds a snapshot reference only
 *	while it works; everything it logs goes through log_msg().
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "budget.h"
#include "budgetd.h"
#include "budgetfmt.h"
#include "budgetio.h"
#include "budgetmsg.h"
#include "log.h"
#include "snapshot.h"
#include "util.h"

#define STATE_NAME	"budget.state"
#define RELEASED_NAME	"budget.released"
#define MARKS_MAX	256

static struct budget *the_budget;
static pthread_t tick_thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool running, stopping, poked;

/* what the last acknowledged release file was */
static struct {
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtime;
	bool	seen;
} released_id;

void
budgetd_duration(strbuf *out, long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		sb_printf(out, "%ldd%02ldh", secs / 86400, secs % 86400 / 3600);
	else if (secs >= 3600)
		sb_printf(out, "%ldh%02ldm", secs / 3600, secs % 3600 / 60);
	else if (secs >= 60)
		sb_printf(out, "%ldm%02lds", secs / 60, secs % 60);
	else
		sb_printf(out, "%lds", secs);
}

struct budget *
budgetd_budget(void)
{
	return the_budget;
}

void
budgetd_poke(void)
{
	pthread_mutex_lock(&mu);
	poked = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

/* Read budget.state back into b; every outcome is logged (a missing file
 * only when the budget is configured), none fails. */
static void
load_state(struct budget *b, const char *dir, bool configured)
{
	struct bstate st;
	strbuf err;
	char *path, *text = NULL, *bad;
	size_t len;

	sb_init(&err);
	if ((path = budgetio_path(dir, STATE_NAME)) == NULL)
		return;
	if (budgetio_read(path, &text, &len, &err) < 0) {
		log_msg(LOG_ERR, NULL, "relay budget: %s: starting with no "
		    "counts", err.s);
	} else if (text == NULL) {
		if (configured)
			log_msg(LOG_INFO, NULL, "relay budget: %s does not exist "
			    "yet: starting with no counts", path);
	} else if (bstate_parse(text, len, &st, &err) < 0) {
		log_msg(LOG_ERR, NULL, "relay budget: %s:%s: the state file is "
		    "corrupt, kept as %s.corrupt; starting with no counts (the "
		    "last 24 hours are not counted; messages held before are "
		    "no longer tracked: release them with sendmail -qQ'"
		    BUDGET_QUARANTINE_MARK "' -Q)", path, err.s, path);
		if ((bad = budgetio_path(dir, STATE_NAME ".corrupt")) != NULL) {
			(void)rename(path, bad);
			free(bad);
		}
	} else {
		if (budget_import(b, &st, (int64_t)time(NULL)) < 0)
			log_msg(LOG_ERR, NULL, "relay budget: %s: out of "
			    "memory reading it back: starting with no counts",
			    path);
		else
			log_msg(LOG_INFO, NULL, "relay budget: read %s: %zu "
			    "key(s), %zu held message(s), written %lld s ago",
			    path, st.nkeys, st.nheld, (long long)(time(NULL) -
			    st.written));
		bstate_free(&st);
	}
	free(text);
	free(path);
	sb_free(&err);
}

/* Acknowledge what the releaser did, when its file changed. */
static bool
read_released(struct budget *b, const char *dir, int64_t now)
{
	struct stat sb;
	struct brel rel;
	struct budget_acked info;
	strbuf err, d;
	char *path, *text = NULL;
	size_t len, i;
	bool any = false;

	if ((path = budgetio_path(dir, RELEASED_NAME)) == NULL)
		return false;
	if (lstat(path, &sb) < 0 || (released_id.seen &&
	    released_id.dev == sb.st_dev && released_id.ino == sb.st_ino &&
	    released_id.size == sb.st_size &&
	    released_id.mtime.tv_sec == sb.st_mtim.tv_sec &&
	    released_id.mtime.tv_nsec == sb.st_mtim.tv_nsec)) {
		free(path);
		return false;
	}
	released_id.dev = sb.st_dev;
	released_id.ino = sb.st_ino;
	released_id.size = sb.st_size;
	released_id.mtime = sb.st_mtim;
	released_id.seen = true;
	sb_init(&err);
	if (budgetio_read(path, &text, &len, &err) < 0 || text == NULL) {
		if (text == NULL && err.len == 0)
			goto out;
		log_msg(LOG_ERR, NULL, "relay budget: %s", err.s);
		goto out;
	}
	if (brel_parse(text, len, &rel, &err) < 0) {
		log_msg(LOG_ERR, NULL, "relay budget: %s:%s: ignored", path,
		    err.s);
		goto out;
	}
	for (i = 0; i < rel.n; i++) {
		int64_t when = rel.v[i].when;

		/* a releaser's clock is this machine's: only clamp nonsense */
		if (when > now || when < now - 2 * 86400)
			when = now;
		if (budget_ack(b, rel.v[i].qid, when, rel.v[i].gone,
		    &info) != 1)
			continue;
		any = true;
		sb_init(&d);
		budgetd_duration(&d, (long)(when - info.held_at));
		log_msg(LOG_INFO, rel.v[i].qid, "relay budget: %s after %s",
		    rel.v[i].gone ? "no longer held in the queue (released or "
		    "removed by hand), counted as sent" : "released from the "
		    "relay budget hold", d.s);
		sb_free(&d);
	}
	brel_free(&rel);
out:
	free(text);
	free(path);
	sb_free(&err);
	return any;
}

/* Mark what fits now; true when something was marked. */
static bool
release_scan(struct budget *b, struct rm_snapshot *s, int64_t now)
{
	struct budget_release *out;
	strbuf d;
	int n, i;

	if (budget_nheld(b) == 0)
		return false;
	if ((out = calloc(MARKS_MAX, sizeof(*out))) == NULL)
		return false;
	n = budget_release_scan(b, now, budget_msg_reqs, s, out, MARKS_MAX);
	if (n < 0)
		log_msg(LOG_ERR, NULL, "relay budget: out of memory while "
		    "looking for room for held mail");
	for (i = 0; i < n; i++) {
		sb_init(&d);
		budgetd_duration(&d, (long)(now - out[i].held_at));
		if (out[i].top.req >= 0)
			log_msg(LOG_INFO, out[i].qid, "relay budget: room for "
			    "the held message after %s (budget=%lu/%lu %s, "
			    "key=%s): release requested", d.s, out[i].top.used,
			    out[i].top.max,
			    relaylimit_window_name(out[i].top.window),
			    out[i].key);
		else
			log_msg(LOG_INFO, out[i].qid, "relay budget: no rule "
			    "holds the message any more (held %s): release "
			    "requested", d.s);
		sb_free(&d);
	}
	free(out);
	return n > 0;
}

static void
save_state(struct budget *b, const char *dir, int64_t now, bool *failing)
{
	struct bstate st;
	strbuf text, err;

	if (budget_export(b, now, &st) < 0) {
		log_msg(LOG_ERR, NULL, "relay budget: out of memory writing "
		    "the state");
		return;
	}
	sb_init(&text);
	sb_init(&err);
	if (bstate_format(&st, &text) < 0) {
		sb_puts(&err, "out of memory");
	} else if (budgetio_write(dir, STATE_NAME, text.s, text.len, 0600,
	    &err) == 0) {
		if (*failing)
			log_msg(LOG_INFO, NULL, "relay budget: %s/" STATE_NAME
			    " written again", dir);
		*failing = false;
		goto out;
	}
	if (!*failing)
		log_msg(LOG_ERR, NULL, "relay budget: the state is not kept "
		    "(a restart would forget the counts): %s", err.s);
	*failing = true;
	/* try again at the next tick */
	budgetd_poke();
out:
	bstate_free(&st);
	sb_free(&text);
	sb_free(&err);
}

static void *
tick_main(void *arg)
{
	struct budget *b = arg;
	struct rm_snapshot *s;
	struct timespec until;
	int64_t now, last_save = 0, last_gc = 0;
	bool urgent, stop = false, failing = false;
	char *dir;

	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += BUDGETD_TICK_MS / 1000;
		until.tv_nsec += (long)(BUDGETD_TICK_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&mu);
		while (!stopping && !poked &&
		    pthread_cond_timedwait(&cv, &mu, &until) == 0)
			;
		urgent = poked;
		poked = false;
		stop = stopping;
		pthread_mutex_unlock(&mu);

		if ((s = snapshot_current()) == NULL) {
			if (stop)
				break;
			continue;
		}
		now = (int64_t)time(NULL);
		dir = s->cfg->state_directory;
		if (read_released(b, dir, now))
			urgent = true;
		if (release_scan(b, s, now))
			urgent = true;
		if (now - last_gc >= 60) {
			budget_gc(b, now);
			last_gc = now;
		}
		if (budget_dirty(b) && (urgent || stop ||
		    now - last_save >= BUDGETD_SAVE_S)) {
			save_state(b, dir, now, &failing);
			last_save = now;
		}
		snapshot_unref(s);
		if (stop)
			break;
	}
	return NULL;
}

int
budgetd_start(const struct rm_snapshot *s, strbuf *err)
{
	struct budget *b;

	if ((b = budget_new()) == NULL) {
		sb_puts(err, "relay budget: out of memory");
		return -1;
	}
	load_state(b, s->cfg->state_directory, s->nlimits > 0);
	pthread_mutex_lock(&mu);
	stopping = false;
	poked = budget_nheld(b) > 0;
	pthread_mutex_unlock(&mu);
	if (pthread_create(&tick_thread, NULL, tick_main, b) != 0) {
		budget_free(b);
		sb_puts(err, "relay budget: cannot start its thread");
		return -1;
	}
	the_budget = b;
	running = true;
	return 0;
}

void
budgetd_stop(bool free_it)
{
	if (running) {
		pthread_mutex_lock(&mu);
		stopping = true;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(tick_thread, NULL);
		running = false;
	}
	if (free_it) {
		budget_free(the_budget);
		the_budget = NULL;
	}
}
