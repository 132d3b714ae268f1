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
 *	listed once. When the smarthost's first address is one of this
 *	host's, it connects there on the smarthost's port (LISTEN_WAIT_MS for
 *	the connection and the greeting, writing nothing) and keeps the
 *	first line of the greeting: whether sendmail itself or another server
 *	answers is what tells a loop from a relay that bypasses the milter.
 *	cfc_gather_msp() reads submit.cf beside sendmail.cf: the host its
 *	MSP hands mail to (D{MTAHost}, default [localhost]) and the port of
 *	its relay mailer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "deadline.h"
#include "netlist.h"

#define LISTEN_WAIT_MS	2000

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

/* Connect to addr:port on this host and read the first greeting line. */
static int
local_greeting(struct cfcheck_env *env, const struct sockaddr *sa,
    socklen_t len, const char *text, int port)
{
	struct sockaddr_storage ss;
	char buf[512];
	size_t got = 0;
	uint64_t deadline = mono_ms() + LISTEN_WAIT_MS;
	int fd, so = 0;
	socklen_t sl = sizeof(so);

	if ((env->local_relay_addr = strdup(text)) == NULL)
		return -1;
	env->local_relay_port = port;
	env->local_relay_state = -1;
	memcpy(&ss, sa, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	else
		return 0;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS ||
		    poll_fd_until(fd, POLLOUT, deadline) <= 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0 ||
		    so != 0) {
			if (so == ECONNREFUSED || errno == ECONNREFUSED)
				env->local_relay_state = 0;
			close(fd);
			return 0;
		}
	}
	while (got < sizeof(buf) - 1) {
		ssize_t n;

		if (poll_fd_until(fd, POLLIN, deadline) <= 0)
			break;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got) != NULL)
			break;
	}
	close(fd);
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (got > 0) {
		env->local_relay_state = 1;
		if ((env->local_relay_greeting = sanitize_dup(buf)) == NULL)
			return -1;
	}
	return 0;
}

int
cfc_gather_msp(struct cfcheck_env *env)
{
	struct sendmail_cf cf;
	const struct cf_kv *h;
	const struct cf_mailer *m;
	const char *slash = strrchr(env->cf_path, '/');
	strbuf path;
	char *buf;
	size_t len, n;
	int rc = 0;

	sb_init(&path);
	if (slash != NULL)
		sb_append(&path, env->cf_path, (size_t)(slash - env->cf_path + 1));
	sb_puts(&path, "submit.cf");
	if (path.err)
		return -1;
	if (read_file(path.s, &buf, &len) < 0) {
		sb_free(&path);
		return 0;
	}
	sb_free(&path);
	if (cf_parse(buf, &cf, NULL) < 0) {
		free(buf);
		return -1;
	}
	free(buf);
	h = cf_macro(&cf, "MTAHost");
	{
		const char *v = h && h->value[0] ? h->value : "[localhost]";

		if (*v == '[')
			v++;
		n = strcspn(v, "]");
		if ((env->msp_host = strndup(v, n)) == NULL)
			rc = -1;
	}
	m = cf_mailer(&cf, "relay");
	env->msp_port = m ? cf_mailer_port(m) : 25;
	env->have_msp = rc == 0;
	cf_free(&cf);
	return rc;
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
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (sockaddr_ntop(ai->ai_addr, buf, sizeof(buf)) < 0)
			continue;
		if (add_addr(&env->smarthost_addrs, &env->nsmarthost_addrs,
		    buf) < 0 || (env->local_relay_addr == NULL &&
		    sh.port > 0 && cfc_addr_is_local(env, buf) &&
		    local_greeting(env, ai->ai_addr, ai->ai_addrlen, buf,
		    sh.port) < 0)) {
			freeaddrinfo(res);
			cf_smarthost_free(&sh);
			return -1;
		}
	}
	freeaddrinfo(res);
	env->smarthost_resolved = true;
	cf_smarthost_free(&sh);
	return 0;
}
