/*
 * tracegen.c - write a synthetic sendmail maillog for the trace benchmark
 *
 * CONTRACT
 *	usage: tracegen BYTES [START_EPOCH [SEED]]
 *	Writes at least BYTES bytes of maillog to stdout, whole lines, from
 *	realistic line templates of a busy relay that sends through Gmail
 *	with relaymilter (about ten messages a second): relayed messages
 *	with their milter and decision lines, MSP submissions, deferrals
 *	retried 15 to 60 minutes later, bounces with their DSN, messages
 *	with several recipients, inbound noise. Queue ids follow sendmail's
 *	scheme (time, sequence, pid) and are unique. On stderr it prints
 *	"LINES END_EPOCH" so that a second run can continue the same log.
 *	Deterministic for a given SEED. Benchmark input only.
 *
 *	usage: tracegen -s SHAPE LINES
 *	Writes LINES lines of an adversarial shape instead, for the memory
 *	bound (issue 14.8):
 *	  open    every line the from= of a new queue id that is never
 *		  delivered (many open queue ids);
 *	  rcpts   one queue id with 100,000 recipients, each deferred in
 *		  its own to= line, round after round;
 *	  hosts   10,000 hosts in turn, each with a message deferred again
 *		  and again and a message sent, with its own queue ids.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char qchars[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";

static uint64_t rs = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

static char outbuf[1 << 20];
static size_t outlen;
static unsigned long long bytes, lines;
static int64_t now;
static char stamp[32];
static int64_t stamp_t = -1;
static unsigned pid = 1000, seq;

static void
flush(void)
{
	if (outlen && fwrite(outbuf, 1, outlen, stdout) != outlen) {
		perror("tracegen: write");
		exit(1);
	}
	outlen = 0;
}

static void
emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
emit(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (outlen + 2048 > sizeof(outbuf))
		flush();
	if (stamp_t != now) {
		time_t tt = (time_t)now;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
		stamp_t = now;
	}
	n = snprintf(outbuf + outlen, 64, "%s ", stamp);
	outlen += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(outbuf + outlen, 2000, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 2000) {
		fputs("tracegen: line too long\n", stderr);
		exit(1);
	}
	outlen += (size_t)n;
	outbuf[outlen++] = '\n';
	bytes += (unsigned long long)n + strlen(stamp) + 2;
	lines++;
}

static unsigned
nextpid(void)
{
	pid = pid >= 999999 ? 1000 : pid + 1;
	return pid;
}

/* a sendmail-style queue id for the current second */
static void
mkqid(char q[16], unsigned p)
{
	time_t tt = (time_t)now;
	struct tm tm;
	unsigned s = seq++ % 3600;

	gmtime_r(&tt, &tm);
	q[0] = qchars[tm.tm_year % 60];
	q[1] = qchars[tm.tm_mon];
	q[2] = qchars[tm.tm_mday];
	q[3] = qchars[tm.tm_hour];
	q[4] = qchars[tm.tm_min];
	q[5] = qchars[tm.tm_sec];
	q[6] = qchars[s / 60];
	q[7] = qchars[s % 60];
	snprintf(q + 8, 8, "%06u", p % 1000000);
}

static const char *const users[] = { "alice", "bob", "carol", "dave",
    "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar" };
static const char *const domains[] = { "gmail.com", "example.org",
    "remote.test", "customer.example", "partner.example.net" };
#define U()	users[rnd() % (sizeof(users) / sizeof(users[0]))]
#define D()	domains[rnd() % (sizeof(domains) / sizeof(domains[0]))]

struct retry {
	char	 qid[16];
	char	 rcpt[64];
	int64_t	 due, created;
};

#define RQ	8192
static struct retry rq[RQ];
static size_t rqh, rqn;

static void
from_line(const char *q, unsigned p, const char *sender, int nrcpts,
    unsigned size)
{
	emit("mail sm-mta[%u]: %s: from=<%s>, size=%u, class=0, nrcpts=%d, "
	    "msgid=<%lld.%s@client.example>, proto=ESMTP, daemon=MTA, "
	    "relay=localhost [127.0.0.1]", p, q, sender, size, nrcpts,
	    (long long)now, q);
}

static void
milter_lines(const char *q, unsigned p, const char *sender, bool spf_fail)
{
	emit("mail sm-mta[%u]: %s: Milter (relaymilter) chgfrom: "
	    "<relay@example.test>", p, q);
	emit("mail sm-mta[%u]: %s: Milter (relaymilter) insert (0): header: "
	    "X-Relay-Trace: id=%08X%04X; qid=%s", p, q, rnd(), rnd() & 0xffff,
	    q);
	emit("mail relaymilter[700]: %s: action=rewrite, from=<%s>, "
	    "to=<relay@example.test>, account=relay@example.test, "
	    "relay=[smtp.gmail.com], spf=%s, spf_ip=142.250.102.108, "
	    "align=%s, trace=%08X, result=ok", q, sender,
	    spf_fail ? "fail" : "pass", spf_fail ? "fail" : "pass", rnd());
}

static void
tls_line(unsigned p)
{
	emit("mail sm-mta[%u]: STARTTLS=client, relay=smtp.gmail.com., "
	    "version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, "
	    "bits=256/256", p);
}

static void
sent_line(const char *q, unsigned p, const char *rcpt, long delay)
{
	emit("mail sm-mta[%u]: %s: to=<%s>, delay=%02ld:%02ld:%02ld, "
	    "xdelay=00:00:01, mailer=relay, pri=%u, relay=smtp.gmail.com. "
	    "[142.250.102.108], dsn=2.0.0, stat=Sent (OK  %lld "
	    "d2e1a72fcca58-%u - gsmtp)", p, q, rcpt, delay / 3600,
	    (delay / 60) % 60, delay % 60, 30000 + rnd() % 90000,
	    (long long)now, rnd() % 100000);
}

static void
message(void)
{
	char q[16], q2[16], sender[64], rcpt[64], r2[64], r3[64];
	unsigned p = nextpid(), p2 = nextpid(), kind = rnd() % 100;
	struct retry *r;

	snprintf(sender, sizeof(sender), "%s@client.example", U());
	snprintf(rcpt, sizeof(rcpt), "%s%u@%s", U(), rnd() % 100, D());
	mkqid(q, p);
	if (kind < 62) {		/* relayed, sent */
		from_line(q, p, sender, 1, 500 + rnd() % 20000);
		milter_lines(q, p, sender, rnd() % 50 == 0);
		tls_line(p2);
		now += rnd() % 2;
		sent_line(q, p2, rcpt, 1);
	} else if (kind < 72) {		/* local submission through the MSP */
		mkqid(q2, p2);
		from_line(q2, p2, "root@mail.example", 1, 300 + rnd() % 2000);
		emit("mail sm-msp-queue[%u]: %s: from=root, size=%u, class=0, "
		    "nrcpts=1, msgid=<%lld.%s@mail.example>, "
		    "relay=root@localhost", p, q, 200 + rnd() % 2000,
		    (long long)now, q);
		emit("mail sm-msp-queue[%u]: %s: to=%s, ctladdr=root (0/0), "
		    "delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=30300, "
		    "relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (%s "
		    "Message accepted for delivery)", p, q, rcpt, q2);
		milter_lines(q2, p2, "root@mail.example", false);
		p = nextpid();
		tls_line(p);
		sent_line(q2, p, rcpt, 1);
	} else if (kind < 75) {		/* deferred, retried later */
		from_line(q, p, sender, 1, 500 + rnd() % 20000);
		milter_lines(q, p, sender, false);
		switch (rnd() % 3) {
		case 0:
			emit("mail sm-mta[%u]: %s: to=<%s>, delay=00:01:15, "
			    "xdelay=00:01:15, mailer=relay, pri=30500, "
			    "relay=smtp.gmail.com., dsn=4.0.0, stat=Deferred: "
			    "Connection timed out with smtp.gmail.com.", p2, q,
			    rcpt);
			break;
		case 1:
			tls_line(p2);
			emit("mail sm-mta[%u]: AUTH=client, relay=smtp.gmail.com., "
			    "temporary failure, connection abort", p2);
			emit("mail sm-mta[%u]: %s: to=<%s>, delay=00:00:02, "
			    "xdelay=00:00:01, mailer=relay, pri=120700, "
			    "relay=smtp.gmail.com. [142.250.102.108], dsn=4.7.0, "
			    "reply=454 4.7.0 Too many login attempts, please try "
			    "again later. https://support.google.com/mail/answer/"
			    "7126229 - gsmtp, stat=Deferred: Temporary AUTH "
			    "failure", p2, q, rcpt);
			break;
		default:
			tls_line(p2);
			emit("mail sm-mta[%u]: %s: to=<%s>, delay=00:00:02, "
			    "xdelay=00:00:01, mailer=relay, pri=120700, "
			    "relay=smtp.gmail.com. [142.250.102.108], dsn=4.2.1, "
			    "reply=450 4.2.1 The user you are trying to contact is "
			    "receiving mail at a rate that prevents additional "
			    "messages from being delivered. - gsmtp, stat=Deferred: "
			    "450 4.2.1 The user you are trying to contact is "
			    "receiving mail at a rate that prevents additional "
			    "messages from being delivered.", p2, q, rcpt);
			break;
		}
		if (rqn < RQ) {
			r = &rq[(rqh + rqn++) % RQ];
			memcpy(r->qid, q, sizeof(r->qid));
			snprintf(r->rcpt, sizeof(r->rcpt), "%s", rcpt);
			r->created = now;
			r->due = now + 900 + rnd() % 2700;
		}
	} else if (kind < 76) {		/* bounced, with its DSN */
		from_line(q, p, sender, 1, 500 + rnd() % 20000);
		milter_lines(q, p, sender, true);
		tls_line(p2);
		emit("mail sm-mta[%u]: %s: to=<%s>, delay=00:00:02, "
		    "xdelay=00:00:01, mailer=relay, pri=121000, "
		    "relay=smtp.gmail.com. [142.250.102.108], dsn=5.7.26, "
		    "reply=550 5.7.26 Unauthenticated email from client.example "
		    "is not accepted due to domain's DMARC policy. - gsmtp, "
		    "stat=Service unavailable", p2, q, rcpt);
		mkqid(q2, p2);
		emit("mail sm-mta[%u]: %s: %s: DSN: Service unavailable", p2, q,
		    q2);
		emit("mail sm-mta[%u]: %s: to=<%s>, delay=00:00:00, "
		    "xdelay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, "
		    "stat=Sent", p2, q2, sender);
	} else if (kind < 80) {		/* several recipients */
		snprintf(r2, sizeof(r2), "%s%u@%s", U(), rnd() % 100, D());
		snprintf(r3, sizeof(r3), "%s%u@%s", U(), rnd() % 100, D());
		from_line(q, p, sender, 3, 500 + rnd() % 20000);
		milter_lines(q, p, sender, false);
		tls_line(p2);
		emit("mail sm-mta[%u]: %s: to=<%s>,<%s>,<%s>, delay=00:00:02, "
		    "xdelay=00:00:01, mailer=relay, pri=150000, "
		    "relay=smtp.gmail.com. [142.250.102.108], dsn=2.0.0, "
		    "stat=Sent (OK  %lld d2e1a72fcca58-%u - gsmtp)", p2, q, rcpt,
		    r2, r3, (long long)now, rnd() % 100000);
	} else if (kind < 90) {		/* inbound: dropped connection */
		emit("mail sm-mta[%u]: %s: lost input channel from "
		    "host%u.dialup.example [198.51.100.%u] to MTA after rcpt", p,
		    q, rnd() % 1000, rnd() % 250);
		emit("mail sm-mta[%u]: %s: from=<%s@spam.example>, size=0, "
		    "class=0, nrcpts=0, proto=ESMTP, daemon=MTA, "
		    "relay=host%u.dialup.example [198.51.100.%u]", p, q, U(),
		    rnd() % 1000, rnd() % 250);
	} else if (kind < 95) {		/* inbound: relaying denied */
		emit("mail sm-mta[%u]: %s: ruleset=check_rcpt, arg1=<%s>, "
		    "relay=[203.0.113.%u], reject=550 5.7.1 <%s>... Relaying "
		    "denied. Proper authentication required.", p, q, rcpt,
		    rnd() % 250, rcpt);
		emit("mail sm-mta[%u]: %s: from=<%s@spam.example>, size=0, "
		    "class=0, nrcpts=0, proto=ESMTP, daemon=MTA, "
		    "relay=[203.0.113.%u]", p, q, U(), rnd() % 250);
	} else {			/* inbound: a scanner */
		emit("mail sm-mta[%u]: %s: scanner%u.example [192.0.2.%u] did "
		    "not issue MAIL/EXPN/VRFY/ETRN during connection to MTA", p,
		    q, rnd() % 100, rnd() % 250);
	}
}

static void
retries(void)
{
	struct retry *r;
	long d;

	while (rqn > 0 && rq[rqh].due <= now) {
		r = &rq[rqh];
		d = (long)(now - r->created);
		sent_line(r->qid, nextpid(), r->rcpt, d);
		rqh = (rqh + 1) % RQ;
		rqn--;
	}
}

/* ------------------------------------------------------------ shapes */

static void
shape_open(unsigned long long n)
{
	char q[16];

	while (lines < n) {
		if (rnd() % 4 == 0)
			now++;
		mkqid(q, nextpid());
		from_line(q, pid, "mallory@spam.example", 1, 100);
	}
}

static void
shape_rcpts(unsigned long long n)
{
	const unsigned nr = 100000;
	char q[16];
	unsigned i, round = 0;
	long delay;
	int64_t t0 = now;

	mkqid(q, nextpid());
	from_line(q, pid, "list@client.example", (int)nr, 5000);
	while (lines < n) {
		for (i = 0; i < nr && lines < n; i++) {
			if (i % 1000 == 0)
				now++;
			delay = (long)(now - t0);
			emit("mail sm-mta[%u]: %s: to=<u%u@r%u.example>, "
			    "delay=%ld+%02ld:%02ld:%02ld, xdelay=00:00:01, "
			    "mailer=relay, "
			    "pri=%u, relay=smtp.gmail.com. [142.250.102.108], "
			    "dsn=4.2.1, reply=450 4.2.1 The user you are trying "
			    "to contact is receiving mail at a rate that prevents "
			    "additional messages from being delivered. - gsmtp, "
			    "stat=Deferred: 450 4.2.1 The user you are trying to "
			    "contact is receiving mail at a rate that prevents "
			    "additional messages from being delivered.", pid, q, i,
			    i % 97, delay / 86400, delay / 3600 % 24,
			    delay / 60 % 60, delay % 60, 30000 + round * 90000);
		}
		round++;
		now += 900;
	}
}

static void
shape_hosts(unsigned long long n)
{
	const unsigned nh = 10000;
	static char (*dq)[16];
	char q[16];
	unsigned h, p;
	bool first = true;

	if ((dq = calloc(nh, sizeof(*dq))) == NULL) {
		perror("tracegen");
		exit(1);
	}
	while (lines < n) {
		for (h = 0; h < nh && lines < n; h++) {
			if (h % 100 == 0)
				now++;
			p = nextpid();
			if (first) {
				mkqid(dq[h], p);
				emit("mx%u.example sm-mta[%u]: %s: from=<a@client."
				    "example>, size=100, class=0, nrcpts=1, "
				    "proto=ESMTP, daemon=MTA, relay=localhost "
				    "[127.0.0.1]", h, p, dq[h]);
			}
			emit("mx%u.example sm-mta[%u]: %s: to=<b@remote.test>, "
			    "delay=00:10:00, xdelay=00:00:01, mailer=relay, "
			    "pri=30100, relay=smtp.gmail.com. [142.250.102.108], "
			    "dsn=4.3.0, reply=451 4.3.0 try later, stat=Deferred: "
			    "451 4.3.0 try later", h, p, dq[h]);
			mkqid(q, p);
			emit("mx%u.example sm-mta[%u]: %s: from=<a@client.example>, "
			    "size=100, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, "
			    "relay=localhost [127.0.0.1]", h, p, q);
			emit("mx%u.example sm-mta[%u]: %s: to=<c@remote.test>, "
			    "delay=00:00:01, xdelay=00:00:01, mailer=relay, "
			    "pri=30100, relay=smtp.gmail.com. [142.250.102.108], "
			    "dsn=2.0.0, stat=Sent (OK)", h, p, q);
		}
		first = false;
	}
	free(dq);
}

int
main(int argc, char **argv)
{
	unsigned long long target;
	char *end;

	if (argc == 4 && strcmp(argv[1], "-s") == 0) {
		target = strtoull(argv[3], &end, 10);
		if (*end != '\0' || target == 0) {
			fputs("tracegen: bad LINES\n", stderr);
			return 2;
		}
		now = 1793491200;
		if (strcmp(argv[2], "open") == 0)
			shape_open(target);
		else if (strcmp(argv[2], "rcpts") == 0)
			shape_rcpts(target);
		else if (strcmp(argv[2], "hosts") == 0)
			shape_hosts(target);
		else {
			fputs("tracegen: shapes: open, rcpts, hosts\n", stderr);
			return 2;
		}
		flush();
		fprintf(stderr, "%llu %lld\n", lines, (long long)now + 1);
		return 0;
	}

	if (argc < 2 || argc > 4) {
		fputs("usage: tracegen BYTES [START_EPOCH [SEED]]\n"
		    "       tracegen -s open|rcpts|hosts LINES\n", stderr);
		return 2;
	}
	target = strtoull(argv[1], &end, 10);
	if (*end != '\0' || target == 0) {
		fputs("tracegen: bad BYTES\n", stderr);
		return 2;
	}
	now = argc > 2 ? strtoll(argv[2], NULL, 10) : 1793491200; /* Nov 1 */
	if (argc > 3)
		rs ^= strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ULL;
	while (bytes < target) {
		/* about ten messages a second */
		if (rnd() % 10 == 0)
			now++;
		retries();
		message();
	}
	flush();
	fprintf(stderr, "%llu %lld\n", lines, (long long)now + 1);
	return 0;
}
