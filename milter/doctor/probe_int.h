/*
 * probe_int.h - what the probe's modules share: probe.c, proberesult.c,
 * probeaddr.c, probetls.c, probeauth.c
 *
 * CONTRACT
 *	Internal to the probe: nothing else includes it. A step is opened
 *	with pr_step_begin() (its clock starts) and closed with pr_step_end()
 *	(verdict, cause id, message); facts and the server reply are added
 *	in between. Every string stored in a step is sanitized. Step
 *	functions return false when the probe cannot go on.
 */
#ifndef RM_PROBE_INT_H
#define RM_PROBE_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "causes.h"
#include "relayprof.h"
#include "probe.h"
#include "smtpconn.h"
#include "smtpreply.h"

#define MAX_ADDRS	16

struct target {
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			text[INET6_ADDRSTRLEN];
};

struct probe {
	const struct probe_options *o;
	struct probe_result	*r;
	struct target		 addrs[MAX_ADDRS];
	size_t			 naddrs;
	size_t			 used;		/* index of the address that answered */
	struct smtpconn		 c;
	struct ehlo_info	 ehlo;
	bool			 have_ehlo;
	bool			 cert_ok;
};

/* proberesult.c */
struct probe_step *pr_step_begin(struct probe_result *r, const char *name,
		    unsigned *t0);
void		 pr_step_end(struct probe_step *s, unsigned t0,
		    enum probe_verdict v, const char *cause, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
void		 pr_step_fact(struct probe_result *r, struct probe_step *s,
		    const char *key, const char *value);
void		 pr_step_factf(struct probe_result *r, struct probe_step *s,
		    const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
void		 pr_step_reply(struct probe_step *s, const struct smtp_reply *rep);
/* The catalogue id for a server reply, or fallback. */
const char	*pr_classify(const char *host, int port, const char *reply,
		    enum cause_phase phase, const char *fallback);
/* Fail s with "the relay refuses <what>: <reply>" and the reply's cause. */
void		 pr_step_refused(const struct probe_options *o,
		    struct probe_step *s, unsigned t0, enum cause_phase phase,
		    const char *fallback, const char *what);
/* probeehlo.c */
/* EHLO; records the keywords in p->ehlo, says what failed in s. */
bool		 pr_do_ehlo(struct probe *p, struct probe_step *s, unsigned t0,
		    bool after_tls);

/* probeaddr.c */
/* Set the port of an AF_INET or AF_INET6 address. */
void		 pr_set_port(struct sockaddr_storage *ss, int port);
/* Loopback, or an address of one of this host's interfaces. */
bool		 pr_addr_is_local(const struct sockaddr *sa);
/* 127/8 or ::1 (the password of a plaintext AUTH stays on this host). */
bool		 pr_addr_is_loopback(const struct sockaddr *sa);
/* This host's name as sendmail would say it in EHLO; NULL on ENOMEM. */
char		*pr_own_name(void);

/* probetls.c */
bool		 pr_step_starttls(struct probe *p);
void		 pr_step_certificate(struct probe *p);
/* after_tls: EHLO again first (RFC 3207); else the mechanisms of the
 * EHLO already read (a loopback relay without STARTTLS) */
bool		 pr_step_auth_mechs(struct probe *p, bool after_tls);
/* The provider profile of the probed host (relayprof.h), or NULL. */
const struct relay_profile *pr_profile(const struct probe *p);
/* probeauth.c */
void		 pr_step_auth(struct probe *p);

#endif
