/*
 * cfgather_host.c - the facts of the configuration checks about who this
 *	host is: the names class w is read from files, this host's
 *	addresses and the smarthost's
 *
 * CONTRACT
 *	Part of cfcheck_gather() (cfgather.c), declared in
 *	cfcheck_int.h. Reads only; writes nothing. Each returns -1
 *	only when out of memory; a fact that cannot be learned is left
 *	unknown. cfc_gather_class_w() adds the words of each absolute-path
 *	file class w is read from (Fw lines) with their file and line,
 *	words separated by blanks and CR, a '#' starting a comment to the end
 *	of the line; a file that cannot be read is skipped.
 *	cfc_gather_addresses() lists this host's interface addresses (none
 *	when getifaddrs() fails) and resolves the smarthost (DS; an "IPv6:"
 *	prefix dropped) into its addresses, or sets resolve_error; addresses
 *	are numeric text (sockaddr_ntop(): IPv4-mapped ones as IPv4), each
 *	listed once.
 */
#include <ifaddrs.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "netlist.h"

static int
add_word(struct cfcheck_env *env, const char *w, size_t n, const char *file,
    unsigned line)
{
	struct cfc_word *nv, *x;

	if ((nv = realloc(env->wfile_words, (env->nwfile_words + 1) *
	    sizeof(*nv))) == NULL)
		return -1;
	env->wfile_words = nv;
	x = &nv[env->nwfile_words];
	x->line = line;
	x->word = strndup(w, n);
	x->file = strdup(file);
	if (x->word == NULL || x->file == NULL) {
		free(x->word);
		free(x->file);
		return -1;
	}
	env->nwfile_words++;
	return 0;
}

/* Words of the files class w is read from (comments after '#' dropped). */
int
cfc_gather_class_w(struct cfcheck_env *env)
{
	size_t i;

	for (i = 0; i < env->cf.nclass_w_files; i++) {
		const struct cf_classfile *f = &env->cf.class_w_files[i];
		unsigned line = 0;
		char *buf, *p;
		size_t len;

		if (f->path[0] != '/' || read_file(f->path, &buf, &len) < 0)
			continue;
		for (p = buf; *p; ) {
			size_t n = strcspn(p, "\n"), k = 0;

			line++;
			while (k < n && p[k] != '#') {
				size_t w;

				while (k < n && (p[k] == ' ' || p[k] == '\t' ||
				    p[k] == '\r'))
					k++;
				w = 0;
				while (k + w < n && p[k + w] != ' ' &&
				    p[k + w] != '\t' && p[k + w] != '\r' &&
				    p[k + w] != '#')
					w++;
				if (w > 0 && add_word(env, p + k, w, f->path,
				    line) < 0) {
					free(buf);
					return -1;
				}
				k += w;
			}
			p += n;
			if (*p)
				p++;
		}
		free(buf);
	}
	return 0;
}

static int
add_addr(char ***v, size_t *n, const char *a)
{
	char **nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], a) == 0)
			return 0;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(a)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
cfc_gather_addresses(struct cfcheck_env *env)
{
	struct cf_smarthost sh;
	struct addrinfo hints, *res = NULL, *ai;
	struct ifaddrs *ifa = NULL, *i;
	char buf[INET6_ADDRSTRLEN];
	int rc, gai;

	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL; i = i->ifa_next)
			if (i->ifa_addr != NULL &&
			    sockaddr_ntop(i->ifa_addr, buf, sizeof(buf)) == 0 &&
			    add_addr(&env->local_addrs, &env->nlocal_addrs,
			    buf) < 0) {
				freeifaddrs(ifa);
				return -1;
			}
		freeifaddrs(ifa);
	}
	if ((rc = cf_smarthost(&env->cf, &sh)) != 0) {
		cf_smarthost_free(&sh);
		return rc < 0 ? -1 : 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(strncasecmp(sh.host, "IPv6:", 5) == 0 ?
	    sh.host + 5 : sh.host, NULL, &hints, &res);
	if (gai != 0) {
		env->resolve_error = strdup(gai_strerror(gai));
		cf_smarthost_free(&sh);
		return 0;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (sockaddr_ntop(ai->ai_addr, buf, sizeof(buf)) == 0 &&
		    add_addr(&env->smarthost_addrs, &env->nsmarthost_addrs,
		    buf) < 0) {
			freeaddrinfo(res);
			cf_smarthost_free(&sh);
			return -1;
		}
	freeaddrinfo(res);
	env->smarthost_resolved = true;
	cf_smarthost_free(&sh);
	return 0;
}
