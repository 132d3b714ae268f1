/*
 * mapbench.c - SenderMap load time, memory and lookup rate for a large map
 *
 * usage: mapbench FILE N   writes a map of N entries to FILE (a mix of full
 *                          addresses, @domain and user+* keys), then loads
 *                          it and looks up N senders (a quarter of them hit).
 * Prints: entries, load seconds, RSS growth in MB, lookups per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "addr.h"
#include "map.h"
#include "util.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

int
main(int argc, char **argv)
{
	struct sendermap *m;
	struct map_hit hit;
	struct rm_addr a;
	strbuf err;
	FILE *fp;
	long n, i, hits = 0, rss0;
	double t0, tl, tq;
	char buf[128];

	if (argc != 3 || (n = atol(argv[2])) <= 0)
		return 2;
	if ((fp = fopen(argv[1], "w")) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		switch (i % 4) {
		case 0: fprintf(fp, "user%ld@host%ld.example.lan\tacct%ld@"
		    "example.com\n", i, i % 1000, i); break;
		case 1: fprintf(fp, "@dom%ld.example.lan\t%%1.alerts%ld@"
		    "example.com\n", i, i); break;
		case 2: fprintf(fp, "list%ld+*@example.lan\tlists+%%1@"
		    "example.com\n", i); break;
		default: fprintf(fp, "local%ld\tlocal%ld@example.com\n", i, i);
		}
	}
	fclose(fp);
	sb_init(&err);
	rss0 = rss_kb();
	t0 = now();
	if (sendermap_load(argv[1], &m, &err) < 0) {
		fprintf(stderr, "%s\n", err.s);
		return 1;
	}
	tl = now() - t0;
	t0 = now();
	for (i = 0; i < n; i++) {
		if (i % 2)
			snprintf(buf, sizeof(buf), "<user%ld@host%ld.example.lan>",
			    i - 1, (i - 1) % 1000);
		else
			snprintf(buf, sizeof(buf), "<nobody%ld@else.example>", i);
		if (addr_parse_envelope(buf, &a) < 0)
			return 1;
		if (sendermap_lookup(m, &a, false, &hit) == MAP_FOUND)
			hits++;
		map_hit_free(&hit);
		addr_free(&a);
	}
	tq = now() - t0;
	printf("entries=%zu load_s=%.3f rss_mb=%.1f lookups_per_s=%.0f "
	    "hits=%ld\n", sendermap_count(m), tl, (rss_kb() - rss0) / 1024.0,
	    n / tq, hits);
	sendermap_free(m);
	sb_free(&err);
	return 0;
}
