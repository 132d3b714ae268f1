/*
 * proberesult.c - what the probe records: its steps, their facts, verdicts
 *
 * CONTRACT
 *	See probe.h (the result and what reads it) and
 *	probe_int.h (pr_step_*). pr_step_begin() appends a step to
 *	the result and starts its clock; pr_step_end() stops it and sets the
 *	verdict, the cause id and the message. Messages and fact values are
 *	sanitized here, replies come sanitized from smtpreply.c. An
 *	allocation failure sets r->err, after which pr_step_begin() returns
 *	NULL; every pr_step_*() takes a NULL step and does nothing.
 *	pr_classify() gives the catalogue's cause id for a server reply
 *	(causes.h); pr_step_refused() fails a step with the reply it holds
 *	(pr_step_reply() first). No network, no output.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "causes.h"
#include "deadline.h"
#include "probe.h"
#include "probe_int.h"
#include "smtpconn.h"
#include "smtpreply.h"
#include "util.h"

const char *
probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PV_OK: return "ok";
	case PV_INFO: return "info";
	case PV_WARN: return "warning";
	default: return "fail";
	}
}

void
probe_result_free(struct probe_result *r)
{
	size_t i, j;

	for (i = 0; i < r->nsteps; i++) {
		struct probe_step *s = &r->steps[i];

		free(s->message);
		free(s->reply);
		for (j = 0; j < s->nfacts; j++) {
			free(s->facts[j].key);
			free(s->facts[j].value);
		}
		free(s->facts);
	}
	free(r->steps);
	free(r->host);
	free(r->helo);
	memset(r, 0, sizeof(*r));
}

enum probe_verdict
probe_worst(const struct probe_result *r)
{
	enum probe_verdict w = PV_OK;
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (r->steps[i].verdict > w)
			w = r->steps[i].verdict;
	return w;
}

const struct probe_step *
probe_step_find(const struct probe_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (strcmp(r->steps[i].name, name) == 0)
			return &r->steps[i];
	return NULL;
}

const char *
probe_fact(const struct probe_step *s, const char *key)
{
	size_t i;

	for (i = 0; s != NULL && i < s->nfacts; i++)
		if (strcmp(s->facts[i].key, key) == 0)
			return s->facts[i].value;
	return NULL;
}

/* Start a step; its time runs from now until pr_step_end(). */
struct probe_step *
pr_step_begin(struct probe_result *r, const char *name, unsigned *t0)
{
	struct probe_step *nv, *s;

	if (r->err)
		return NULL;
	if ((nv = realloc(r->steps, (r->nsteps + 1) * sizeof(*nv))) == NULL) {
		r->err = 1;
		return NULL;
	}
	r->steps = nv;
	s = &nv[r->nsteps++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	*t0 = (unsigned)mono_ms();
	return s;
}

void
pr_step_end(struct probe_step *s, unsigned t0, enum probe_verdict v,
    const char *cause, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (s == NULL)
		return;
	s->ms = (unsigned)mono_ms() - t0;
	s->verdict = v;
	s->cause_id = cause;
	va_start(ap, fmt);
	msg = str_vprintf(fmt, ap);
	va_end(ap);
	free(s->message);
	s->message = msg != NULL ? sanitize_inplace(msg) : NULL;
}

void
pr_step_fact(struct probe_result *r, struct probe_step *s, const char *key,
    const char *value)
{
	struct probe_fact *nv;
	char *k, *v;

	if (s == NULL || value == NULL)
		return;
	k = strdup(key);
	v = sanitize_dup(value);
	nv = realloc(s->facts, (s->nfacts + 1) * sizeof(*nv));
	if (k == NULL || v == NULL || nv == NULL) {
		free(k);
		free(v);
		if (nv != NULL)
			s->facts = nv;
		r->err = 1;
		return;
	}
	s->facts = nv;
	nv[s->nfacts].key = k;
	nv[s->nfacts].value = v;
	s->nfacts++;
}

void
pr_step_factf(struct probe_result *r, struct probe_step *s, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = str_vprintf(fmt, ap);
	va_end(ap);
	if (v == NULL)
		r->err = 1;
	else
		pr_step_fact(r, s, key, v);
	free(v);
}

void
pr_step_reply(struct probe_step *s, const struct smtp_reply *rep)
{
	strbuf sb;

	if (s == NULL)
		return;
	sb_init(&sb);
	smtpreply_format(rep, &sb);
	free(s->reply);
	s->reply = sb_steal(&sb);
}

/* The catalogue entry for a server reply, or fallback. */
const char *
pr_classify(const char *host, int port, const char *reply,
    enum cause_phase phase, const char *fallback)
{
	const struct cause *c;
	struct cause_input in;

	if (reply == NULL)
		return fallback;
	memset(&in, 0, sizeof(in));
	in.reply = reply;
	in.relay_host = host;
	in.port = port;
	in.phase = phase;
	c = cause_classify(&in);
	return c != NULL ? c->id : fallback;
}

void
pr_step_refused(const struct probe_options *o, struct probe_step *s,
    unsigned t0, enum cause_phase phase, const char *fallback,
    const char *what)
{
	pr_step_end(s, t0, PV_FAIL, pr_classify(o->host, o->port,
	    s ? s->reply : NULL, phase, fallback), "the relay refuses %s: %s",
	    what, s ? s->reply : "");
}
