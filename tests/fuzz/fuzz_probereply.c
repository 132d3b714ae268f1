/*
 * fuzz_probereply.c - libFuzzer target: the SMTP reply reader of
 *	relaymilter-doctor's probe (smtpconn_reply(): the bytes a relay sends,
 *	received in pieces, assembled and parsed into replies)
 *
 * The input is cut at every 0xff byte into the pieces a server sends (an
 * empty piece is skipped); they go over a SOCK_SEQPACKET socket pair, so
 * that each recv() of the reader gets one piece as a network read would,
 * then the sender closes. The reader reads replies until it stops.
 * Properties: every reply has a code 200..599, one to SMTPR_MAX_LINES
 * lines without control characters; what it keeps unparsed never grows
 * past what was sent; it stops with CLOSED or BAD (never TIMEOUT: the
 * peer has closed), and never more replies than pieces of text sent can
 * hold (each reply takes at least four bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtpconn.h"
#include "smtpreply.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpconn c;
	int sv[2];
	size_t i, start = 0, sent = 0, replies = 0;
	enum smtpconn_rd rd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) < 0)
		return 0;
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != 0xff)
			continue;
		if (i > start) {
			if (send(sv[1], data + start, i - start,
			    MSG_NOSIGNAL) < 0)
				break;
			sent += i - start;
		}
		start = i + 1;
	}
	close(sv[1]);
	smtpconn_init(&c, 1000, NULL);
	c.fd = sv[0];
	for (;;) {
		struct smtp_reply rep;
		const char *why = NULL;
		size_t j;

		memset(&rep, 0, sizeof(rep));
		rd = smtpconn_reply(&c, &rep, &why);
		if (rd != SMTPCONN_OK)
			break;
		if (rep.code < 200 || rep.code > 599 || rep.nlines == 0 ||
		    rep.nlines > SMTPR_MAX_LINES)
			__builtin_trap();
		for (j = 0; j < rep.nlines; j++)
			check_text(rep.lines[j]);
		check_text(rep.enh);
		smtpreply_free(&rep);
		if (++replies > sent / 4 + 1 || c.in.len > sent)
			__builtin_trap();
	}
	if (rd == SMTPCONN_TIMEOUT || c.in.len > sent)
		__builtin_trap();
	smtpconn_close(&c);
	return 0;
}
