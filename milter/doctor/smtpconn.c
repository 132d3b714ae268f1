/*
 * smtpconn.c - one SMTP client connection: non-blocking connect, replies,
 *	commands, STARTTLS with OpenSSL, every wait bounded
 *
 * CONTRACT
 *	See smtpconn.h. Used by relaymilter-doctor's probe. Nothing
 *	here decides anything about the relay; it moves bytes, parses
 *	replies with smtpreply.c and reports why an operation failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "deadline.h"
#include "netlist.h"
#include "smtpconn.h"

void
smtpconn_init(struct smtpconn *c, unsigned timeout_ms, FILE *debug)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->debug = debug;
	sb_init(&c->in);
}

void
smtpconn_close(struct smtpconn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	sb_free(&c->in);
	if (c->ctx != NULL) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
}

int
smtpconn_connect(struct smtpconn *c, const struct sockaddr *sa, socklen_t len,
    int *err)
{
	unsigned timeout_ms = c->timeout_ms;
	int fd, so = 0, rc;
	socklen_t sl = sizeof(so);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, sa, len) == 0) {
		c->fd = fd;
		return 0;
	}
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	rc = poll_fd_until(fd, POLLOUT, mono_ms() + timeout_ms);
	if (rc <= 0) {
		*err = rc == 0 ? ETIMEDOUT : errno;
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0 || so != 0) {
		*err = so ? so : errno;
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

static void
debug_line(struct smtpconn *c, const char *dir, const char *s, size_t n)
{
	strbuf sb;

	if (c->debug == NULL)
		return;
	sb_init(&sb);
	sb_append(&sb, s, n);
	sanitize_inplace(sb.s);
	if (!sb.err)
		fprintf(c->debug, "%s %s\n", dir, sb.s);
	sb_free(&sb);
}

/* Write all of buf. 0, or -1 with *why. `shown` is what the transcript
 * says instead of buf (NULL: buf itself). */
int
smtpconn_write(struct smtpconn *c, const char *buf, size_t n, const char *shown,
    const char **why)
{
	uint64_t deadline = mono_ms() + c->timeout_ms;
	size_t off = 0;

	if (shown != NULL)
		debug_line(c, "C:", shown, strlen(shown));
	else
		debug_line(c, "C:", buf, n >= 2 ? n - 2 : n);
	while (off < n) {
		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, buf + off, (int)(n - off));
			int e;

			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			e = SSL_get_error(c->ssl, w);
			if (e == SSL_ERROR_WANT_READ &&
			    poll_fd_until(c->fd, POLLIN, deadline) > 0)
				continue;
			if (e == SSL_ERROR_WANT_WRITE &&
			    poll_fd_until(c->fd, POLLOUT, deadline) > 0)
				continue;
			*why = "TLS write failed";
			return -1;
		} else {
			ssize_t w = send(c->fd, buf + off, n - off,
			    MSG_NOSIGNAL);

			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
			    poll_fd_until(c->fd, POLLOUT, deadline) > 0)
				continue;
			*why = w < 0 && errno != EAGAIN ? strerror(errno) :
			    "timed out while sending";
			return -1;
		}
	}
	return 0;
}

/* Read one complete reply. */
enum smtpconn_rd
smtpconn_reply(struct smtpconn *c, struct smtp_reply *rep, const char **why)
{
	uint64_t deadline = mono_ms() + c->timeout_ms;

	for (;;) {
		size_t used = 0, i;
		char buf[4096];
		enum smtpr_status st;
		ssize_t n;

		st = smtpreply_parse(c->in.s, c->in.len, rep, &used, why);
		if (st == SMTPR_OK) {
			for (i = 0; i < rep->nlines; i++) {
				strbuf l;

				sb_init(&l);
				sb_printf(&l, "%03d%c%s", rep->code,
				    i + 1 < rep->nlines ? '-' : ' ',
				    rep->lines[i]);
				debug_line(c, "S:", l.s, l.len);
				sb_free(&l);
			}
			memmove(c->in.s, c->in.s + used, c->in.len - used);
			c->in.len -= used;
			c->in.s[c->in.len] = '\0';
			return SMTPCONN_OK;
		}
		if (st == SMTPR_BAD)
			return SMTPCONN_BAD;
		if (st == SMTPR_NOMEM) {
			*why = "out of memory";
			return SMTPCONN_ERROR;
		}
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, buf, sizeof(buf)), e;

			if (r > 0) {
				n = r;
			} else {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE) {
					int w = poll_fd_until(c->fd, e ==
					    SSL_ERROR_WANT_READ ? POLLIN :
					    POLLOUT, deadline);

					if (w > 0)
						continue;
					*why = "no reply before the timeout";
					return w == 0 ? SMTPCONN_TIMEOUT : SMTPCONN_ERROR;
				}
				if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL && r == 0)) {
					*why = "the server closed the connection";
					return SMTPCONN_CLOSED;
				}
				*why = "TLS read failed";
				return SMTPCONN_ERROR;
			}
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				int w = poll_fd_until(c->fd, POLLIN, deadline);

				if (w > 0)
					continue;
				*why = "no reply before the timeout";
				return w == 0 ? SMTPCONN_TIMEOUT : SMTPCONN_ERROR;
			}
			if (n == 0) {
				*why = "the server closed the connection";
				return SMTPCONN_CLOSED;
			}
			if (n < 0) {
				*why = strerror(errno);
				return SMTPCONN_ERROR;
			}
		}
		if (sb_append(&c->in, buf, (size_t)n) < 0) {
			*why = "out of memory";
			return SMTPCONN_ERROR;
		}
	}
}

/* Send a command line (CRLF added) and read the reply. */
enum smtpconn_rd
smtpconn_cmd(struct smtpconn *c, const char *cmd, struct smtp_reply *rep,
    const char **why)
{
	strbuf sb;
	int rc;

	sb_init(&sb);
	sb_printf(&sb, "%s\r\n", cmd);
	if (sb.err) {
		*why = "out of memory";
		return SMTPCONN_ERROR;
	}
	rc = smtpconn_write(c, sb.s, sb.len, NULL, why);
	sb_free(&sb);
	if (rc < 0)
		return SMTPCONN_ERROR;
	return smtpconn_reply(c, rep, why);
}

static int verify_idx = -1;	/* SSL ex_data slot of struct smtpconn_verify */

/* Collect every verification error and let the handshake go on: the
 * probe reports them all and never sends anything that matters. */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct smtpconn_verify *vs = ssl ? SSL_get_ex_data(ssl, verify_idx) : NULL;
	int err = X509_STORE_CTX_get_error(x);
	size_t i;

	if (!ok && vs != NULL) {
		for (i = 0; i < vs->n; i++)
			if (vs->v[i].err == err)
				return 1;
		if (vs->n < SMTPCONN_MAX_VERIFY) {
			vs->v[vs->n].err = err;
			vs->v[vs->n].depth = X509_STORE_CTX_get_error_depth(x);
			vs->n++;
		}
	}
	return 1;
}

static int
tls_setup(struct smtpconn *c, const char *cafile, const char *capath,
    const char **why)
{
	if (verify_idx < 0)
		verify_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		*why = "cannot create a TLS context";
		return -1;
	}
	if (cafile != NULL || capath != NULL) {
		if (SSL_CTX_load_verify_locations(c->ctx, cafile,
		    capath) != 1) {
			*why = "cannot load the CA file or directory";
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		*why = "cannot load the system CA store";
		return -1;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_cb);
	return 0;
}

int
smtpconn_tls(struct smtpconn *c, const char *host, const char *cafile,
    const char *capath, const char **why)
{
	uint64_t deadline = mono_ms() + c->timeout_ms;
	X509_VERIFY_PARAM *vp;

	if (c->ctx == NULL && tls_setup(c, cafile, capath, why) < 0)
		return -1;
	if ((c->ssl = SSL_new(c->ctx)) == NULL) {
		*why = "cannot create a TLS session";
		return -1;
	}
	memset(&c->verify, 0, sizeof(c->verify));
	SSL_set_ex_data(c->ssl, verify_idx, &c->verify);
	vp = SSL_get0_param(c->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (ip_parse_text(host, NULL, NULL))
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	else {
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
		SSL_set_tlsext_host_name(c->ssl, host);
	}
	SSL_set_fd(c->ssl, c->fd);
	for (;;) {
		int rc = SSL_connect(c->ssl), e, w;

		if (rc == 1)
			return 0;
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = poll_fd_until(c->fd, e == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, deadline);
			if (w > 0)
				continue;
			*why = "the TLS handshake timed out";
		} else {
			unsigned long ee = ERR_peek_last_error();

			*why = ee ? ERR_reason_error_string(ee) : NULL;
			if (*why == NULL)
				*why = e == SSL_ERROR_SYSCALL ?
				    "the connection was closed during the "
				    "handshake" : "the TLS handshake failed";
		}
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
}

