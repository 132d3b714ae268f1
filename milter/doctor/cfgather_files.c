/*
 * cfgather_files.c - the facts of the configuration checks about files
 *	sendmail.cf names for TLS and for DefaultAuthInfo
 *
 * CONTRACT
 *	Part of cfcheck_gather() (cfgather.c), declared in
 *	cfcheck_int.h. Reads only; writes nothing. For each of
 *	ServerCertFile, ServerKeyFile, ClientCertFile, ClientKeyFile and
 *	CRLFile set in sendmail.cf: whether the file exists, and the PEM
 *	blocks in its first TLS_READ_MAX bytes (certificates, CRLs, private
 *	keys), counted and not kept. For DefaultAuthInfo: whether its file
 *	exists and its first two lines (the user id and the authentication
 *	id); the third line, the password, is never read into memory that is
 *	kept (the file is read in full, then wiped). Returns -1 only when out
 *	of memory; a file that cannot be read is left unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

#define TLS_READ_MAX	(256u * 1024)

static int
exists(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

static unsigned
count(const char *text, const char *what)
{
	unsigned n = 0;
	const char *p = text;

	while ((p = strstr(p, what)) != NULL) {
		n++;
		p += strlen(what);
	}
	return n;
}

static void
classify(struct cfc_tlsfile *t)
{
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((t->exists = exists(t->path)) != 1)
		return;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return;
	if ((buf = malloc(TLS_READ_MAX + 1)) == NULL) {
		close(fd);
		return;
	}
	while (got < TLS_READ_MAX &&
	    (n = read(fd, buf + got, TLS_READ_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	if (memchr(buf, '\0', got) == NULL) {
		t->certs = count(buf, "-----BEGIN CERTIFICATE-----") +
		    count(buf, "-----BEGIN TRUSTED CERTIFICATE-----");
		t->crls = count(buf, "-----BEGIN X509 CRL-----");
		t->keys = count(buf, "PRIVATE KEY-----") / 2;
		t->read = true;
	}
	free_secret(buf, TLS_READ_MAX + 1);
}

/* The first two lines of DefaultAuthInfo's file. */
static int
read_dai(struct cfcheck_env *env, const char *path)
{
	char *buf, *p;
	size_t len, n;

	if ((env->dai_exists = exists(path)) != 1)
		return 0;
	if (read_file(path, &buf, &len) < 0)
		return 0;
	p = buf;
	n = strcspn(p, "\r\n");
	env->dai_user = strndup(p, n);
	p += n;
	p += strspn(p, "\r");
	if (*p == '\n')
		p++;
	n = strcspn(p, "\r\n");
	env->dai_authid = strndup(p, n);
	free_secret(buf, len);
	if (env->dai_user == NULL || env->dai_authid == NULL)
		return -1;
	return 0;
}

int
cfc_gather_files(struct cfcheck_env *env)
{
	static const char *const options[] = { "ServerCertFile",
	    "ServerKeyFile", "ClientCertFile", "ClientKeyFile", "CRLFile" };
	const struct cf_kv *o;
	size_t i;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		struct cfc_tlsfile *t;

		if ((o = cf_option(&env->cf, options[i])) == NULL ||
		    o->value[0] == '\0')
			continue;
		t = &env->tlsfiles[env->ntlsfiles++];
		t->option = options[i];
		t->exists = -1;
		if ((t->path = strdup(o->value)) == NULL)
			return -1;
		classify(t);
	}
	if ((o = cf_option(&env->cf, "DefaultAuthInfo")) != NULL &&
	    o->value[0] != '\0')
		return read_dai(env, o->value);
	return 0;
}
