/*
 * probe.h - probe a smarthost the way sendmail's client would meet it
 *
 * CONTRACT
 *	probe_run() walks the steps a delivery takes -- DNS, TCP connect
 *	(and, for comparison, ports 25, 587 and 465), greeting, EHLO,
 *	STARTTLS, certificate, AUTH mechanisms, and with o->auth an AUTH
 *	with the authinfo credentials -- and records one step each with a
 *	verdict, the time it took and, on trouble, a message and the id of
 *	the matching cause in the catalogue (causes.h). It stops at the
 *	first step that leaves nothing to talk to. It never sends MAIL, RCPT
 *	or DATA: a probe never delivers mail. It ends with QUIT.
 *
 *	Every network wait is bounded by o->timeout_ms (connects are
 *	non-blocking, then poll()). The certificate is checked with
 *	OpenSSL against the system store or o->cafile/o->capath, with the
 *	host name checked by X509_VERIFY_PARAM; every verification error is
 *	collected (not only the first), so "self-signed and expired" is
 *	said as such.
 *
 *	The password goes only over TLS with a verified certificate, except
 *	with o->allow_plaintext to a loopback address (a relay on this host
 *	without STARTTLS, seed 004's James: the password stays on this
 *	host). Replies of Microsoft 365 (smtp.office365.com) that refuse a
 *	password login (535 5.7.139, 550 5.7.30, 530 5.7.57) are named as
 *	basic-auth SMTP AUTH being off for the tenant.
 *
 *	Secrets: the password is read from authinfo only for o->auth, kept
 *	in memory only until the AUTH exchange is over, then wiped together
 *	with every buffer that held it or its base64 form. It is never put
 *	in a step, a fact, the debug transcript (AUTH lines are masked) or
 *	any output. Text from the server is sanitized before it is stored.
 */
#ifndef RM_PROBE_H
#define RM_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum probe_verdict {
	PV_OK = 0,
	PV_INFO,		/* worth knowing, not a problem */
	PV_WARN,		/* works, but will bite */
	PV_FAIL			/* mail cannot go this way */
};

struct probe_fact {
	char	*key;
	char	*value;
};

struct probe_step {
	const char		*name;	/* "dns", "connect", "ports", "greeting",
					 * "ehlo", "starttls", "certificate",
					 * "auth-mechanisms", "auth" */
	enum probe_verdict	 verdict;
	unsigned		 ms;
	char			*message;
	const char		*cause_id;	/* NULL when none applies */
	char			*reply;		/* server reply behind the verdict */
	struct probe_fact	*facts;
	size_t			 nfacts;
};

struct probe_options {
	const char	*host;		/* name or address, no brackets */
	int		 port;
	unsigned	 timeout_ms;	/* each connect and each reply */
	bool		 compare_ports;	/* also try 25, 587 and 465 */
	const char	*cafile;	/* NULL: system store */
	const char	*capath;
	const char	*helo;		/* NULL: this host's name */
	bool		 auth;		/* log in with the authinfo entry */
	bool		 allow_plaintext;	/* AUTH without TLS, but only to
					 * a loopback address */
	const char	*authinfo;	/* authinfo text source for auth */
	FILE		*debug;		/* SMTP transcript, or NULL */
};

struct probe_result {
	char			*host;
	int			 port;
	char			*helo;
	struct probe_step	*steps;
	size_t			 nsteps;
	int			 err;	/* allocation failure */
};

/* 0 when the probe ran (whatever it found), -1 on allocation failure. */
int		 probe_run(const struct probe_options *o, struct probe_result *r);
void		 probe_result_free(struct probe_result *r);
/* Worst verdict among the steps (PV_OK when there is none). */
enum probe_verdict probe_worst(const struct probe_result *r);
const char	*probe_verdict_name(enum probe_verdict v);
const struct probe_step *probe_step_find(const struct probe_result *r,
		    const char *name);
const char	*probe_fact(const struct probe_step *s, const char *key);

#endif
