/*
 * testutil.c - temporary files for unit tests (see testutil.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char dir[256];

const char *
tu_dir(void)
{
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/rmtest.XXXXXX");
		if (mkdtemp(dir) == NULL)
			fail_msg("mkdtemp failed");
	}
	return dir;
}

const char *
tu_write(const char *name, const char *text, int mode)
{
	static char path[8][512];
	static int slot;
	char *p = path[slot++ % 8];
	FILE *fp;

	snprintf(p, 512, "%s/%s", tu_dir(), name);
	unlink(p);
	if ((fp = fopen(p, "w")) == NULL)
		fail_msg("cannot write %s", p);
	fputs(text, fp);
	fclose(fp);
	chmod(p, (mode_t)mode);
	return p;
}

void
tu_cleanup(void)
{
	char cmd[512];

	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		dir[0] = '\0';
	}
}
