/*
 * spfbench.c - time SPF evaluations through the spfcheck module
 *
 * CONTRACT
 *	usage: spfbench (-z ZONEFILE | -n NAMESERVERS) [-N COUNT] SENDER IP
 *	Runs COUNT uncached evaluations (a checker without cache), then one
 *	evaluation that fills the cache of a second checker and COUNT cached
 *	ones, and prints
 *	  uncached_us=U cached_us=C ratio=R queries_per_eval=Q verdict=V
 *	(microseconds per evaluation, wall clock). Exit 1 when an evaluation
 *	fails or the cached answer differs from the uncached one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spfcheck.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	struct spfc_options o = { .dns_timeout_ms = 2000 };
	struct spfc *plain, *cached;
	struct spf_outcome out;
	enum spf_verdict v0;
	strbuf err;
	double t0, unc, hit;
	unsigned long q0;
	long n = 1000, i;
	int ch;

	while ((ch = getopt(argc, argv, "z:n:N:")) != -1) {
		switch (ch) {
		case 'z': o.zone_file = optarg; break;
		case 'n': o.nameservers = optarg; break;
		case 'N': n = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 2 != argc || n <= 0)
		goto usage;
	sb_init(&err);
	plain = spfc_new(&o, &err);
	o.cache_ttl = 3600;
	o.cache_max = 1000;
	cached = plain ? spfc_new(&o, &err) : NULL;
	if (plain == NULL || cached == NULL) {
		fprintf(stderr, "spfbench: %s\n", err.s);
		return 1;
	}
	if (spfc_check(plain, argv[optind], argv[optind + 1], &out) < 0) {
		fprintf(stderr, "spfbench: %s\n", out.detail);
		return 1;
	}
	v0 = out.verdict;
	spf_outcome_clear(&out);

	q0 = spfc_dns_queries(plain);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (spfc_check(plain, argv[optind], argv[optind + 1], &out) <
		    0 || out.verdict != v0 || out.cached)
			return 1;
		spf_outcome_clear(&out);
	}
	unc = (now_us() - t0) / (double)n;

	if (spfc_check(cached, argv[optind], argv[optind + 1], &out) < 0)
		return 1;
	spf_outcome_clear(&out);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (spfc_check(cached, argv[optind], argv[optind + 1], &out) <
		    0 || out.verdict != v0 || !out.cached)
			return 1;
		spf_outcome_clear(&out);
	}
	hit = (now_us() - t0) / (double)n;
	printf("uncached_us=%.1f cached_us=%.2f ratio=%.0f "
	    "queries_per_eval=%.1f verdict=%s\n", unc, hit, unc / hit,
	    (double)(spfc_dns_queries(plain) - q0) / (double)n,
	    spf_verdict_name(v0));
	spfc_free(plain);
	spfc_free(cached);
	sb_free(&err);
	return 0;
usage:
	fprintf(stderr, "usage: spfbench (-z ZONE | -n SERVERS) [-N COUNT] "
	    "SENDER IP\n");
	return 2;
}
