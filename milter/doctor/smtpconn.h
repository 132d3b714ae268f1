/*
 * smtpconn.h - one SMTP client connection with bounded waits and STARTTLS
 *
 * CONTRACT
 *	The socket is non-blocking from its creation; every wait (connect,
 *	write, reply, TLS handshake) is a poll() bounded by timeout_ms from
 *	the start of that operation. Replies are parsed by smtpreply.c from
 *	the bytes received; bytes after a reply stay buffered for the next
 *	one, and are dropped at STARTTLS (nothing may be read ahead of the
 *	handshake, RFC 3207).
 *
 *	smtpconn_tls() verifies the peer against the system CA store or the
 *	given CA file/directory, with the host name (or address) checked by
 *	X509_VERIFY_PARAM. It never aborts the handshake over a verification
 *	error: every error (up to SMTPCONN_MAX_VERIFY different ones) is
 *	collected in c->verify for the caller to judge.
 *
 *	With debug set, the dialogue is written there as "C: ..." and
 *	"S: ..." lines, sanitized; smtpconn_write() shows `shown` instead of
 *	the bytes when given, which is how secrets stay out of it.
 */
#ifndef RM_SMTPCONN_H
#define RM_SMTPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "smtpreply.h"
#include "util.h"

#define SMTPCONN_MAX_VERIFY	16

struct smtpconn_verr {
	int	err;		/* X509_V_ERR_* */
	int	depth;
};

struct smtpconn_verify {
	struct smtpconn_verr	v[SMTPCONN_MAX_VERIFY];
	size_t			n;
};

struct smtpconn {
	int			 fd;
	SSL			*ssl;
	SSL_CTX			*ctx;
	strbuf			 in;		/* received, not yet parsed */
	unsigned		 timeout_ms;
	FILE			*debug;
	struct smtpconn_verify	 verify;	/* of the last handshake */
};

enum smtpconn_rd {
	SMTPCONN_OK = 0,
	SMTPCONN_TIMEOUT,
	SMTPCONN_CLOSED,
	SMTPCONN_BAD,		/* not an SMTP reply */
	SMTPCONN_ERROR
};

void		 smtpconn_init(struct smtpconn *c, unsigned timeout_ms,
		    FILE *debug);
/* Close the socket, free TLS state and buffers; c can be reused. */
void		 smtpconn_close(struct smtpconn *c);
/* Connect a new socket (c->fd); 0, or -1 with *err (ETIMEDOUT when the
 * time ran out, else the connect errno). */
int		 smtpconn_connect(struct smtpconn *c, const struct sockaddr *sa,
		    socklen_t len, int *err);
/* 0, or -1 with *why. */
int		 smtpconn_write(struct smtpconn *c, const char *buf, size_t n,
		    const char *shown, const char **why);
enum smtpconn_rd smtpconn_reply(struct smtpconn *c, struct smtp_reply *rep,
		    const char **why);
/* Send "cmd\r\n" and read the reply. */
enum smtpconn_rd smtpconn_cmd(struct smtpconn *c, const char *cmd,
		    struct smtp_reply *rep, const char **why);
/* TLS handshake on the connected socket (after STARTTLS's 220, or at once
 * for implicit TLS). 0, or -1 with *why (c->ssl is then NULL). */
int		 smtpconn_tls(struct smtpconn *c, const char *host,
		    const char *cafile, const char *capath, const char **why);

#endif
