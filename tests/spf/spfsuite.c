/*
 * spfsuite.c - run SPF test-suite cases through the spfcheck module
 *
 * CONTRACT
 *	usage: spfsuite [-b] CASES.tsv
 *	Reads the case list made by yaml2cases.py (NAME HELO HOST MAILFROM
 *	ZONEFILE RESULTS, tab-separated, \\ and \xHH escapes), loads each
 *	scenario's zone file into the in-memory zone of a fresh checker and
 *	prints one line per case: NAME<TAB>RESULT<TAB>EXPECTED<TAB>DETAIL.
 *	RESULT is "error" when spfc_eval() refused the input. -b evaluates
 *	with libspf2 alone (spfc_options.libspf2_only), for comparison.
 *	Exit 0 when every case ran, 1 on a bad case list or zone file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spfcheck.h"
#include "util.h"

static int
unescape(char *s)
{
	char *w = s;

	while (*s != '\0') {
		if (*s != '\\') {
			*w++ = *s++;
		} else if (s[1] == '\\') {
			*w++ = '\\';
			s += 2;
		} else if (s[1] == 'x' && s[2] != '\0' && s[3] != '\0') {
			char hex[3] = { s[2], s[3], '\0' };

			*w++ = (char)strtol(hex, NULL, 16);
			s += 4;
		} else {
			return -1;
		}
	}
	*w = '\0';
	return 0;
}

int
main(int argc, char **argv)
{
	struct spfc_options opt = { .dns_timeout_ms = 2000 };
	struct spfc *sc = NULL;
	char *buf, *line, *next, *f[6], *zone = NULL;
	size_t len, lineno = 0;
	strbuf err;
	int ch, i, rc = 0;

	while ((ch = getopt(argc, argv, "b")) != -1) {
		if (ch != 'b') {
			fprintf(stderr, "usage: spfsuite [-b] CASES.tsv\n");
			return 2;
		}
		opt.libspf2_only = true;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: spfsuite [-b] CASES.tsv\n");
		return 2;
	}
	if (read_file(argv[optind], &buf, &len) < 0) {
		perror(argv[optind]);
		return 1;
	}
	sb_init(&err);
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		struct spf_outcome out;
		const char *res;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		for (i = 0; i < 6; i++) {
			f[i] = strsep(&line, "\t");
			if (f[i] == NULL || (i < 4 && unescape(f[i]) < 0)) {
				fprintf(stderr, "%s:%zu: bad case line\n",
				    argv[optind], lineno);
				rc = 1;
				goto out;
			}
		}
		if (zone == NULL || strcmp(zone, f[4]) != 0) {
			spfc_free(sc);
			free(zone);
			zone = strdup(f[4]);
			opt.zone_file = zone;
			sb_reset(&err);
			sc = spfc_new(&opt, &err);
			if (sc == NULL) {
				fprintf(stderr, "%s\n", err.s);
				rc = 1;
				goto out;
			}
		}
		if (spfc_eval(sc, f[3], f[1], f[2], &out) < 0)
			res = "error";
		else
			res = spf_verdict_name(out.verdict);
		printf("%s\t%s\t%s\t%s\n", f[0], res, f[5],
		    out.detail ? out.detail : "");
		spf_outcome_clear(&out);
	}
out:
	spfc_free(sc);
	free(zone);
	free(buf);
	sb_free(&err);
	return rc;
}
