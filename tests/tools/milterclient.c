/*
 * milterclient.c - a small MTA-side milter protocol client for tests and bench
 *
 * CONTRACT
 *	Plays sendmail's part of the milter protocol (version 6) against a
 *	filter socket and prints every modification the filter asks for, one
 *	per line, so that tests can assert what miltertest cannot (the value
 *	of a change of sender):
 *	    CHGFROM <new@sender>
 *	    INSHEADER 0 X-Relay-Trace: id=...; qid=...
 *	    CHGHEADER 1 From: ...
 *	    ADDHEADER Reply-To: ...
 *	    QUARANTINE reason
 *	    REPLYCODE 451 4.3.0 ...
 *	    RESULT continue|accept|reject|tempfail|discard
 *	It honours the protocol flags the filter negotiates (no reply for
 *	NR_* steps, skipped steps) and sends the macros relaymilter asks
 *	sendmail for: {j} at connect, i and {auth_authen} at MAIL,
 *	{rcpt_mailer}, {rcpt_host} and {rcpt_addr} at RCPT.
 *
 *	With -n N -c C it sends N messages over C parallel workers, one
 *	connection per message (as sendmail does for one SMTP session), prints
 *	nothing per message and reports messages/s and p50/p99 latency from
 *	the connection to the end-of-message reply. Exit status: 0, or 1 on a
 *	protocol or connection error.
 *
 * usage: milterclient -s unix:/path [options]
 *	-a ADDR       client address (default 127.0.0.1; "none" for local)
 *	-j NAME       {j} macro (default host.example.lan)
 *	-q QID        queue id ({i}); with -n, a prefix
 *	-f SENDER     MAIL FROM argument (default <root@host.example.lan>)
 *	-r RCPT,MAILER,HOST   a recipient and its {rcpt_mailer}/{rcpt_host}
 *	              (repeatable; default <friend@remote.test>,relay,[smarthost.test])
 *	-A AUTHEN     {auth_authen}
 *	-H 'Name: value'  a header (repeatable; default From: = sender)
 *	-m COUNT      messages on one connection (tests state reset)
 *	-K            with -m: between messages send SMFIC_QUIT_NC and the
 *	              connect step again without a new negotiation (the
 *	              connection reuse libmilter supports; sendmail 8.17 never
 *	              does it, other MTAs may)
 *	-x            abort after the headers instead of sending end of message
 *	-e            the values of -f, -H, -q, -j, -A and the address of -r
 *	              carry C escapes: \r \n \t \\ \0 \xHH (for bytes an MTA
 *	              would refuse; a \0 in -f or -H is sent as a NUL byte
 *	              inside the packet, as a hostile peer could)
 *	-Q            do not offer quarantine (SMFIF_QUARANTINE), as an MTA
 *	              without it would
 *	-n N -c C     benchmark mode
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXRCPT	16
#define MAXHDR	16

/* protocol constants (libmilter/mfdef.h) */
#define NR_CONN		0x00001000UL
#define NR_HELO		0x00002000UL
#define NR_MAIL		0x00004000UL
#define NR_RCPT		0x00008000UL
#define NR_DATA		0x00010000UL
#define NR_EOH		0x00040000UL
#define NR_HDR		0x00000080UL
#define NO_CONNECT	0x00000001UL
#define NO_HELO		0x00000002UL
#define NO_MAIL		0x00000004UL
#define NO_RCPT		0x00000008UL
#define NO_BODY		0x00000010UL
#define NO_HDRS		0x00000020UL
#define NO_EOH		0x00000040UL
#define NO_DATA		0x00000200UL

struct opts {
	const char	*sock;
	const char	*addr;
	const char	*j;
	const char	*qid;
	const char	*sender;
	const char	*auth;
	const char	*rcpt[MAXRCPT][3];
	int		 nrcpt;
	const char	*hdr[MAXHDR];
	size_t		 hdr_len[MAXHDR];	/* bytes of hdr[i] (-e: NULs) */
	int		 nhdr;
	size_t		 sender_len;
	int		 escapes;
	int		 per_conn;
	int		 abort_msg;
	int		 reuse;		/* -K */
	int		 no_quarantine;	/* -Q */
	long		 bench_n;
	int		 bench_c;
};

static struct opts O;

struct conn {
	int		fd;
	unsigned long	proto;		/* negotiated protocol flags */
	int		quiet;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
send_cmd(struct conn *c, char cmd, const char *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);
	char hdr[5];

	memcpy(hdr, &n, 4);
	hdr[4] = cmd;
	if (write_all(c->fd, hdr, 5) < 0)
		return -1;
	return len ? write_all(c->fd, data, len) : 0;
}

/* Read one packet; *buf is malloc'ed (NUL-terminated for convenience). */
static int
read_pkt(struct conn *c, char *cmd, char **buf, size_t *len)
{
	uint32_t n;

	if (read_all(c->fd, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > 1 << 24)
		return -1;
	if (read_all(c->fd, cmd, 1) < 0)
		return -1;
	*len = n - 1;
	if ((*buf = malloc(*len + 1)) == NULL)
		return -1;
	if (*len && read_all(c->fd, *buf, *len) < 0) {
		free(*buf);
		return -1;
	}
	(*buf)[*len] = '\0';
	return 0;
}

/* Read replies until a final one; print modifications. 0 or -1. */
static int
await(struct conn *c, char *final)
{
	char cmd, *b;
	size_t len;
	uint32_t idx;

	for (;;) {
		if (read_pkt(c, &cmd, &b, &len) < 0)
			return -1;
		switch (cmd) {
		case 'e':
			if (!c->quiet)
				printf("CHGFROM %s\n", b);
			break;
		case 'i':
		case 'm':
			memcpy(&idx, b, 4);
			if (!c->quiet)
				printf("%s %u %s: %s\n", cmd == 'i' ?
				    "INSHEADER" : "CHGHEADER", ntohl(idx),
				    b + 4, b + 4 + strlen(b + 4) + 1);
			break;
		case 'h':
			if (!c->quiet)
				printf("ADDHEADER %s: %s\n", b,
				    b + strlen(b) + 1);
			break;
		case 'q':
			if (!c->quiet)
				printf("QUARANTINE %s\n", b);
			break;
		case 'y':
			if (!c->quiet)
				printf("REPLYCODE %s\n", b);
			*final = b[0] == '5' ? 'r' : 't';
			free(b);
			return 0;
		case 'p':
			break;
		case 'c': case 'a': case 'r': case 't': case 'd': case 's':
			*final = cmd;
			free(b);
			return 0;
		default:
			if (!c->quiet)
				printf("OTHER %c\n", cmd);
		}
		free(b);
	}
}

static int
step(struct conn *c, char cmd, const char *data, size_t len,
    unsigned long nr)
{
	char f;

	if (send_cmd(c, cmd, data, len) < 0)
		return -1;
	if (c->proto & nr)
		return 0;
	if (await(c, &f) < 0)
		return -1;
	if (f != 'c') {
		if (!c->quiet)
			printf("RESULT %s at '%c'\n", f == 'r' ? "reject" :
			    f == 't' ? "tempfail" : f == 'a' ? "accept" :
			    f == 'd' ? "discard" : "other", cmd);
		return 1;
	}
	return 0;
}

/* Build "Xname\0value\0..." for a macro packet. */
static size_t
macros(char *buf, size_t sz, char stage, const char *const *kv)
{
	size_t n = 0, l;

	buf[n++] = stage;
	for (; kv[0] != NULL; kv += 2) {
		if (kv[1] == NULL)
			continue;
		l = strlen(kv[0]) + 1;
		if (n + l + strlen(kv[1]) + 1 > sz)
			break;
		memcpy(buf + n, kv[0], l);
		n += l;
		l = strlen(kv[1]) + 1;
		memcpy(buf + n, kv[1], l);
		n += l;
	}
	return n;
}

static int
one_message(struct conn *c, const char *qid)
{
	char buf[4096], f;
	size_t n;
	int i, rc;
	const char *sender = O.sender;

	{
		const char *kv[] = { "i", qid, "{auth_authen}", O.auth,
		    NULL, NULL };

		n = macros(buf, sizeof(buf), 'M', kv);
		if (send_cmd(c, 'D', buf, n) < 0)
			return -1;
	}
	if (O.sender_len + 1 > sizeof(buf))
		return -1;
	memcpy(buf, sender, O.sender_len);
	buf[O.sender_len] = '\0';
	n = O.sender_len + 1;
	if (!(c->proto & NO_MAIL) && (rc = step(c, 'M', buf, n, NR_MAIL)))
		return rc;
	for (i = 0; i < O.nrcpt; i++) {
		const char *kv[] = { "{rcpt_mailer}", O.rcpt[i][1],
		    "{rcpt_host}", O.rcpt[i][2], "{rcpt_addr}", O.rcpt[i][0],
		    NULL, NULL };

		n = macros(buf, sizeof(buf), 'R', kv);
		if (send_cmd(c, 'D', buf, n) < 0)
			return -1;
		n = (size_t)snprintf(buf, sizeof(buf), "%s", O.rcpt[i][0]) + 1;
		if (!(c->proto & NO_RCPT) && (rc = step(c, 'R', buf, n,
		    NR_RCPT)))
			return rc;
	}
	if (!(c->proto & NO_DATA) && (rc = step(c, 'T', "", 0, NR_DATA)))
		return rc;
	for (i = 0; i < O.nhdr && !(c->proto & NO_HDRS); i++) {
		const char *end = O.hdr[i] + O.hdr_len[i];
		const char *colon = memchr(O.hdr[i], ':', O.hdr_len[i]);
		size_t nl = colon ? (size_t)(colon - O.hdr[i]) : 0;
		const char *v = colon ? colon + 1 : end;
		size_t vl;

		while (v < end && *v == ' ')
			v++;
		vl = (size_t)(end - v);
		if (nl + vl + 2 > sizeof(buf))
			return -1;
		memcpy(buf, O.hdr[i], nl);
		buf[nl] = '\0';
		memcpy(buf + nl + 1, v, vl);
		buf[nl + 1 + vl] = '\0';
		if ((rc = step(c, 'L', buf, nl + vl + 2, NR_HDR)))
			return rc;
	}
	if (!(c->proto & NO_EOH) && (rc = step(c, 'N', "", 0, NR_EOH)))
		return rc;
	if (O.abort_msg) {
		if (send_cmd(c, 'A', "", 0) < 0)
			return -1;
		if (!c->quiet)
			printf("RESULT aborted\n");
		return 0;
	}
	if (!(c->proto & NO_BODY) && (rc = step(c, 'B', "body\r\n", 6, 0)))
		return rc;
	if (send_cmd(c, 'E', "", 0) < 0 || await(c, &f) < 0)
		return -1;
	if (!c->quiet)
		printf("RESULT %s\n", f == 'c' ? "continue" : f == 'a' ?
		    "accept" : f == 'r' ? "reject" : f == 't' ? "tempfail" :
		    f == 'd' ? "discard" : "other");
	return 0;
}

static int connect_step(struct conn *c);

static int
open_conn(struct conn *c)
{
	struct sockaddr_un sun;
	const char *path = O.sock;
	uint32_t w[3];
	char cmd, *b;
	size_t len;

	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	else if (strncmp(path, "local:", 6) == 0)
		path += 6;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(c->fd);
		return -1;
	}
	/* offer everything sendmail 8.17 offers */
	w[0] = htonl(6);
	/* SMFIF_QUARANTINE is 0x20 */
	w[1] = htonl(O.no_quarantine ? 0x1ff & ~0x20UL : 0x1ff);
	w[2] = htonl(0x001fffff);
	if (send_cmd(c, 'O', (char *)w, sizeof(w)) < 0 ||
	    read_pkt(c, &cmd, &b, &len) < 0 || cmd != 'O' || len < 12)
		return -1;
	memcpy(w, b, 12);
	c->proto = ntohl(w[2]);
	free(b);
	return connect_step(c);
}

/* The connect step: {j} and SMFIC_CONNECT (also after SMFIC_QUIT_NC, when
 * the connection is reused without a new negotiation). */
static int
connect_step(struct conn *c)
{
	char buf[512];
	size_t n;
	int rc;

	{
		const char *kv[] = { "j", O.j, NULL, NULL };

		n = macros(buf, sizeof(buf), 'C', kv);
		if (send_cmd(c, 'D', buf, n) < 0)
			return -1;
	}
	if (strcmp(O.addr, "none") == 0) {
		n = (size_t)snprintf(buf, sizeof(buf), "localhost") + 1;
		buf[n++] = 'U';		/* unknown family: no address */
	} else {
		int v6 = strchr(O.addr, ':') != NULL;

		n = (size_t)snprintf(buf, sizeof(buf), "client.test") + 1;
		buf[n++] = v6 ? '6' : '4';
		buf[n++] = 0;
		buf[n++] = 25;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
		    O.addr) + 1;
	}
	if (!(c->proto & NO_CONNECT) && (rc = step(c, 'C', buf, n,
	    NR_CONN)) != 0)
		return rc < 0 ? -1 : 1;
	return 0;
}

/* -e: decode C escapes in place; returns the decoded length. */
static size_t
unescape(char *s)
{
	char *r = s, *w = s;
	int k, v;

	if (strchr(s, '\\') == NULL)	/* also leaves the defaults alone */
		return strlen(s);
	while (*r) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'r': *w++ = '\r'; r++; break;
		case 'n': *w++ = '\n'; r++; break;
		case 't': *w++ = '\t'; r++; break;
		case '0': *w++ = '\0'; r++; break;
		case 'x':
			r++;
			for (k = 0, v = 0; k < 2 && isxdigit((unsigned char)*r);
			    k++, r++)
				v = v * 16 + (isdigit((unsigned char)*r) ?
				    *r - '0' : (tolower((unsigned char)*r) -
				    'a' + 10));
			*w++ = (char)v;
			break;
		default: *w++ = *r++; break;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct worker {
	long		 from, to;
	double		*lat;
	int		 failed;
};

static void *
bench_worker(void *arg)
{
	struct worker *w = arg;
	struct conn c;
	char qid[64];
	double t0;
	long i;

	for (i = w->from; i < w->to; i++) {
		memset(&c, 0, sizeof(c));
		c.quiet = 1;
		snprintf(qid, sizeof(qid), "%s%08ld", O.qid ? O.qid : "BQ", i);
		t0 = now_us();
		if (open_conn(&c) != 0 || one_message(&c, qid) != 0) {
			w->failed++;
			if (c.fd > 0)
				close(c.fd);
			continue;
		}
		(void)send_cmd(&c, 'Q', "", 0);
		close(c.fd);
		w->lat[i] = now_us() - t0;
	}
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
bench(void)
{
	pthread_t th[256];
	struct worker w[256];
	double *lat, t0, el;
	long per, i;
	int k, failed = 0;

	if (O.bench_c < 1 || O.bench_c > 256)
		return 1;
	if ((lat = calloc((size_t)O.bench_n, sizeof(*lat))) == NULL)
		return 1;
	per = (O.bench_n + O.bench_c - 1) / O.bench_c;
	t0 = now_us();
	for (k = 0; k < O.bench_c; k++) {
		w[k].from = k * per;
		w[k].to = (k + 1) * per < O.bench_n ? (k + 1) * per : O.bench_n;
		w[k].lat = lat;
		w[k].failed = 0;
		pthread_create(&th[k], NULL, bench_worker, &w[k]);
	}
	for (k = 0; k < O.bench_c; k++) {
		pthread_join(th[k], NULL);
		failed += w[k].failed;
	}
	el = (now_us() - t0) / 1e6;
	qsort(lat, (size_t)O.bench_n, sizeof(*lat), cmp_d);
	i = O.bench_n;
	printf("messages=%ld concurrency=%d failed=%d seconds=%.3f "
	    "msgs_per_s=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f\n",
	    O.bench_n, O.bench_c, failed, el, O.bench_n / el, lat[i / 2],
	    lat[(i * 99) / 100 < i ? (i * 99) / 100 : i - 1], lat[i - 1]);
	free(lat);
	return failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct conn c;
	int ch, m, rc = 0;
	char qid[600], *p1, *p2;

	O.addr = "127.0.0.1";
	O.j = "host.example.lan";
	O.qid = "TESTQID1";
	O.sender = "<root@host.example.lan>";
	O.per_conn = 1;
	while ((ch = getopt(argc, argv, "s:a:j:q:f:r:A:H:m:xen:c:KQ")) != -1) {
		switch (ch) {
		case 's': O.sock = optarg; break;
		case 'a': O.addr = optarg; break;
		case 'j': O.j = optarg; break;
		case 'q': O.qid = optarg; break;
		case 'f': O.sender = optarg; break;
		case 'A': O.auth = optarg; break;
		case 'm': O.per_conn = atoi(optarg); break;
		case 'x': O.abort_msg = 1; break;
		case 'K': O.reuse = 1; break;
		case 'Q': O.no_quarantine = 1; break;
		case 'e': O.escapes = 1; break;
		case 'n': O.bench_n = atol(optarg); break;
		case 'c': O.bench_c = atoi(optarg); break;
		case 'H':
			if (O.nhdr < MAXHDR)
				O.hdr[O.nhdr++] = optarg;
			break;
		case 'r':
			if (O.nrcpt >= MAXRCPT)
				break;
			O.rcpt[O.nrcpt][0] = optarg;
			if ((p1 = strchr(optarg, ',')) != NULL) {
				*p1++ = '\0';
				O.rcpt[O.nrcpt][1] = p1;
				if ((p2 = strchr(p1, ',')) != NULL) {
					*p2++ = '\0';
					O.rcpt[O.nrcpt][2] = p2;
				}
			}
			O.nrcpt++;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of "
			    "tests/tools/milterclient.c\n");
			return 2;
		}
	}
	if (O.sock == NULL)
		return 2;
	O.sender_len = strlen(O.sender);
	for (m = 0; m < O.nhdr; m++)
		O.hdr_len[m] = strlen(O.hdr[m]);
	if (O.escapes) {
		/* getopt's argv strings are ours to change */
		O.sender_len = unescape((char *)O.sender);
		for (m = 0; m < O.nhdr; m++)
			O.hdr_len[m] = unescape((char *)O.hdr[m]);
		(void)unescape((char *)O.qid);
		(void)unescape((char *)O.j);
		if (O.auth != NULL)
			(void)unescape((char *)O.auth);
		for (m = 0; m < O.nrcpt; m++)
			(void)unescape((char *)O.rcpt[m][0]);
	}
	if (O.nrcpt == 0) {
		O.rcpt[0][0] = "<friend@remote.test>";
		O.rcpt[0][1] = "relay";
		O.rcpt[0][2] = "[smarthost.test]";
		O.nrcpt = 1;
	}
	if (O.nhdr == 0) {
		static char from[512];

		snprintf(from, sizeof(from), "From: %s", O.sender);
		O.hdr_len[O.nhdr] = strlen(from);
		O.hdr[O.nhdr++] = from;
	}
	if (O.bench_n > 0)
		return bench();
	memset(&c, 0, sizeof(c));
	if ((rc = open_conn(&c)) != 0) {
		fprintf(stderr, "milterclient: cannot open %s\n", O.sock);
		return 1;
	}
	for (m = 0; m < O.per_conn; m++) {
		if (m > 0 && O.reuse && (send_cmd(&c, 'K', "", 0) < 0 ||
		    connect_step(&c) != 0)) {
			fprintf(stderr, "milterclient: reuse (QUIT_NC) "
			    "failed\n");
			rc = 1;
			break;
		}
		if ((size_t)snprintf(qid, sizeof(qid), "%s%s", O.qid,
		    m ? "X" : "") >= sizeof(qid)) {
			fprintf(stderr, "milterclient: -q is longer than %zu "
			    "bytes\n", sizeof(qid) - 2);
			rc = 1;
			break;
		}
		if (m)
			qid[strlen(qid) - 1] = (char)('A' + m);
		if (one_message(&c, qid) < 0) {
			fprintf(stderr, "milterclient: protocol error\n");
			rc = 1;
			break;
		}
		fflush(stdout);
	}
	(void)send_cmd(&c, 'Q', "", 0);
	close(c.fd);
	return rc;
}
