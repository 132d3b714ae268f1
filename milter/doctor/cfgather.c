/*
 * cfgather.c - the I/O layer of the configuration checks: read the files,
 *	run the programs, resolve the smarthost
 *
 * CONTRACT
 *	See cfcheck.h (cfcheck_gather). Reads only; writes nothing.
 *	The facts about who this host is (class w words, this host's and the
 *	smarthost's addresses) come from cfgather_host.c.
 *	Programs run by run_program() (runprog.h): stdin from
 *	/dev/null, stdout and stderr captured (at most RUN_MAX bytes: more
 *	is an error, not a silent cut), under a time limit after which the
 *	child -- only the child started here -- is killed. The authinfo
 *	source is parsed by authinfo.c without keeping the password. Any
 *	fact that cannot be learned is left unknown with the reason, so the
 *	pure checks skip it visibly.
 */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authinfo.h"
#include "cfcheck.h"
#include "cfcheck_int.h"
#include "config.h"
#include "runprog.h"

#define DEFAULT_CF		"/etc/mail/sendmail.cf"
#define DEFAULT_HOSTS		"/etc/hosts"
#define DEFAULT_SENDMAIL	"/usr/sbin/sendmail"
#define DEFAULT_RM_CONF		"/etc/relaymilter/relaymilter.conf"

void
cfcheck_env_init(struct cfcheck_env *env)
{
	memset(env, 0, sizeof(*env));
	env->sasl_modules = -1;
	env->cacert_file = -1;
	env->cacert_path = -1;
	env->dai_exists = -1;
	env->auth.source.exists = -1;
	env->auth.db.exists = -1;
}

void
cfcheck_env_free(struct cfcheck_env *env)
{
	size_t i;

	free(env->cf_path);
	cf_free(&env->cf);
	free(env->cf_text);
	free(env->mc_path);
	mc_free(&env->mc);
	free(env->mc_text);
	free(env->cf_m4_path);
	for (i = 0; i < env->noptnames; i++) {
		free(env->optnames[i].option);
		free(env->optnames[i].m4);
	}
	free(env->optnames);
	cfc_render_free(&env->render);
	sendmail_info_free(&env->info);
	free(env->info_error);
	free(env->sasl_how);
	free(env->auth.source.path);
	free(env->auth.db.path);
	free(env->auth.read_error);
	free(env->auth.syntax_error);
	for (i = 0; i < env->auth.nentries; i++) {
		free(env->auth.entries[i].host);
		free(env->auth.entries[i].user);
		free(env->auth.entries[i].authid);
		free(env->auth.entries[i].mechs);
	}
	free(env->auth.entries);
	for (i = 0; i < env->nwfile_words; i++) {
		free(env->wfile_words[i].word);
		free(env->wfile_words[i].file);
	}
	free(env->wfile_words);
	free(env->hostname);
	free(env->hosts_path);
	free(env->hosts_text);
	free(env->resolve_error);
	strv_free(env->smarthost_addrs, env->nsmarthost_addrs);
	strv_free(env->local_addrs, env->nlocal_addrs);
	free(env->local_relay_addr);
	free(env->local_relay_greeting);
	free(env->msp_host);
	free(env->rm_path);
	free(env->rm_error);
	free(env->rm_socket);
	free(env->rm_relay_account);
	free(env->rm_authinfo_file);
	free(env->rm_sender_map);
	for (i = 0; i < env->ntlsfiles; i++)
		free(env->tlsfiles[i].path);
	free(env->dai_user);
	free(env->dai_authid);
	mailq_free(&env->mailq);
	free(env->mailq_error);
	cfcheck_env_init(env);
}

/* ------------------------------------------------------------ pieces */

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* 1 when path exists (*st filled), 0 when it does not, -1 when unknown. */
static int
stat_exists(const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

static int
stat_file(const char *path, struct cfc_filestat *fs)
{
	struct stat st;

	if ((fs->path = strdup(path)) == NULL)
		return -1;
	if ((fs->exists = stat_exists(path, &st)) == 1) {
		fs->mtime = st.st_mtime;
		fs->mode = st.st_mode;
	}
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat_exists(path, &st);
}

struct inc_arg {
	bool	cf_m4;
	char	*cf_m4_path;
};

static char *
mc_include(const char *path, void *arg)
{
	struct inc_arg *ia = arg;
	size_t n = strlen(path), len;
	char *buf;

	if (n >= 6 && strcmp(path + n - 6, "/cf.m4") == 0) {
		ia->cf_m4 = true;
		if (ia->cf_m4_path == NULL)
			ia->cf_m4_path = strdup(path);
		return NULL;
	}
	if (strncmp(path, "/usr/share/sendmail/", 20) == 0)
		return NULL;
	if (read_file(path, &buf, &len) < 0)
		return NULL;
	return buf;
}

static int
gather_mc(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    strbuf *err)
{
	struct inc_arg ia = { false, NULL };
	char *buf, *path;
	struct stat st;
	size_t len, n;

	if (paths->mc != NULL && *paths->mc == '\0')
		return 0;
	if (paths->mc != NULL) {
		if ((path = strdup(paths->mc)) == NULL)
			return -1;
	} else {
		n = strlen(env->cf_path);
		if (n < 3 || strcmp(env->cf_path + n - 3, ".cf") != 0)
			return 0;
		if ((path = strdup(env->cf_path)) == NULL)
			return -1;
		path[n - 2] = 'm';
		path[n - 1] = 'c';
	}
	if (read_file(path, &buf, &len) < 0) {
		if (paths->mc != NULL) {
			sb_printf(err, "%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
		return 0;
	}
	env->mc_path = path;
	env->mc_text = buf;
	if (stat(path, &st) == 0)
		env->mc_mtime = st.st_mtime;
	if (mc_parse(buf, path, mc_include, &ia, &env->mc, err) < 0) {
		free(ia.cf_m4_path);
		return -1;
	}
	env->have_mc = true;
	env->mc_includes_cf_m4 = ia.cf_m4;
	env->cf_m4_path = ia.cf_m4_path;
	return 0;
}

static void
gather_info(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    const char *sendmail, unsigned timeout)
{
	char *argv[] = { (char *)sendmail, "-C", env->cf_path, "-d0.1", "-bt",
	    NULL };
	strbuf out, why;
	int rc;

	if (paths->no_exec) {
		env->info_error = strdup("not run (--no-exec)");
		return;
	}
	sb_init(&out);
	sb_init(&why);
	rc = run_program(argv, timeout, &out, &why);
	if (rc == -2 && strstr(out.s, "Compiled with:") != NULL) {
		/* it printed its build, then hung: typically resolving its
		 * own unqualified name ("My unqualified host name") */
		env->info_stalled = true;
		env->info_stall_secs = timeout / 1000;
		rc = 0;
	}
	if (rc < 0) {
		env->info_error = sb_steal(&why);
	} else if (sendmail_info_parse(out.s, &env->info) < 0) {
		env->info_error = strdup("out of memory");
	} else if (env->info.ncompiled == 0) {
		sendmail_info_free(&env->info);
		sb_printf(&why, "%s -d0.1 printed no \"Compiled with:\" line "
		    "(exit %d)", sendmail, rc);
		env->info_error = sb_steal(&why);
	} else
		env->have_info = true;
	sb_free(&out);
	sb_free(&why);
}

static void
gather_sasl(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    unsigned timeout)
{
	char *argv[] = { "dpkg-query", "-W", "-f=${Status}",
	    "libsasl2-modules", NULL };
	strbuf out, why;
	glob_t g;
	int rc = -1;

	sb_init(&out);
	sb_init(&why);
	if (!paths->no_exec)
		rc = run_program(argv, timeout, &out, &why);
	if (rc == 0 && strstr(out.s, "install ok installed") != NULL) {
		env->sasl_modules = 1;
		env->sasl_how = strdup("dpkg-query");
	} else if (rc >= 0) {
		env->sasl_modules = 0;
		env->sasl_how = strdup("dpkg-query -W libsasl2-modules");
	} else {
		/* no dpkg: look for the PLAIN plugin itself */
		memset(&g, 0, sizeof(g));
		if (glob("/usr/lib/*/sasl2/libplain.so*", 0, NULL, &g) == 0 ||
		    glob("/usr/lib/sasl2/libplain.so*", GLOB_APPEND, NULL,
		    &g) == 0)
			env->sasl_modules = g.gl_pathc > 0;
		else
			env->sasl_modules = 0;
		env->sasl_how = strdup("no libplain.so in /usr/lib/*/sasl2");
		if (env->sasl_modules == 1) {
			free(env->sasl_how);
			env->sasl_how = strdup(g.gl_pathv[0]);
		}
		globfree(&g);
	}
	sb_free(&out);
	sb_free(&why);
}

static int
gather_authinfo(struct cfcheck_env *env)
{
	const struct cf_map *m = cf_map(&env->cf, "authinfo");
	struct cfc_authinfo *a = &env->auth;
	struct authinfo *ai = NULL;
	strbuf err, src, db;
	size_t n, i;
	int rc = -1;

	if (m == NULL)
		return 0;
	a->map_defined = true;
	a->optional = m->optional;
	a->map_line = m->line;
	if (m->file == NULL || !(str_ieq(m->type, "hash") ||
	    str_ieq(m->type, "btree") || str_ieq(m->type, "cdb")))
		return 0;
	a->file_based = true;
	sb_init(&err);
	sb_init(&src);
	sb_init(&db);
	/* sendmail strips a ".db" the map file name ends with, then adds it */
	n = strlen(m->file);
	if (str_ieq(m->type, "cdb")) {
		if (n > 4 && strcmp(m->file + n - 4, ".cdb") == 0)
			n -= 4;
		sb_append(&src, m->file, n);
		sb_printf(&db, "%s.cdb", src.s);
	} else {
		if (n > 3 && strcmp(m->file + n - 3, ".db") == 0)
			n -= 3;
		sb_append(&src, m->file, n);
		sb_printf(&db, "%s.db", src.s);
	}
	if (src.err || db.err || stat_file(src.s, &a->source) < 0 ||
	    stat_file(db.s, &a->db) < 0)
		goto out;
	rc = 0;
	if (a->source.exists != 1)
		goto out;
	if (authinfo_load(src.s, 0, &ai, &err) < 0) {
		if (access(src.s, R_OK) < 0) {
			sb_reset(&err);
			sb_printf(&err, "%s", strerror(errno));
			a->read_error = sb_steal(&err);
		} else
			a->syntax_error = sb_steal(&err);
		goto out;
	}
	if (ai->n > 0 && (a->entries = calloc(ai->n,
	    sizeof(*a->entries))) == NULL) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < ai->n; i++) {
		const struct authinfo_entry *e = &ai->v[i];
		struct cfc_auth_entry *d = &a->entries[i];

		a->nentries++;
		d->line = e->line;
		if ((d->host = strdup(e->host)) == NULL ||
		    (!e->user_missing && (d->user = dup_or_null(e->user)) ==
		    NULL && e->user != NULL) ||
		    (!e->authid_missing && (d->authid =
		    dup_or_null(e->authid)) == NULL && e->authid != NULL) ||
		    (e->mechs != NULL && (d->mechs = strdup(e->mechs)) ==
		    NULL)) {
			rc = -1;
			goto out;
		}
	}
	a->read = true;
out:
	authinfo_free(ai);
	sb_free(&err);
	sb_free(&src);
	sb_free(&db);
	return rc;
}

static void
gather_rm(const struct cfcheck_paths *paths, struct cfcheck_env *env)
{
	const char *path = paths->rm_conf ? paths->rm_conf : DEFAULT_RM_CONF;
	struct rm_config *cfg = NULL;
	strbuf err;

	env->rm_path = strdup(path);
	sb_init(&err);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		/* relaymilter runs with its defaults without a file */
		if ((cfg = config_defaults()) == NULL) {
			env->rm_error = strdup("out of memory");
			sb_free(&err);
			return;
		}
		env->rm_defaults = true;
	} else if (config_load(path, &cfg, &err) < 0) {
		env->rm_error = sb_steal(&err);
		return;
	}
	sb_free(&err);
	env->have_rm = true;
	env->rm_socket = dup_or_null(cfg->socket);
	env->rm_dns_timeout = cfg->dns_timeout;
	if (cfg->relay_account != NULL && *cfg->relay_account)
		env->rm_relay_account = strdup(cfg->relay_account);
	if (cfg->authinfo_file != NULL && *cfg->authinfo_file)
		env->rm_authinfo_file = strdup(cfg->authinfo_file);
	if (cfg->sender_map != NULL && *cfg->sender_map)
		env->rm_sender_map = strdup(cfg->sender_map);
	env->rm_rewrite_from = cfg->rewrite_header_from;
	config_free(cfg);
}

static void
gather_mailq(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    const char *sendmail, unsigned timeout)
{
	char *argv[] = { (char *)sendmail, "-C", env->cf_path, "-bp", NULL };
	strbuf out, why;
	int rc;

	if (paths->no_mailq || paths->no_exec)
		return;
	if (env->info_stalled) {
		sb_init(&why);
		sb_printf(&why, "not run: %s -d0.1 stalled for %u s already "
		    "(sendmail -bp would stall the same way)", sendmail,
		    env->info_stall_secs);
		env->mailq_error = sb_steal(&why);
		return;
	}
	sb_init(&out);
	sb_init(&why);
	rc = run_program(argv, timeout, &out, &why);
	if (rc != 0) {
		if (rc > 0) {
			sb_printf(&why, "%s -bp exited with status %d: ",
			    sendmail, rc);
			sb_puts_sanitized(&why, out.s);
		}
		env->mailq_error = sb_steal(&why);
	} else if (mailq_parse(out.s, env->now, &env->mailq) < 0)
		env->mailq_error = strdup("out of memory");
	else
		env->have_mailq = true;
	sb_free(&out);
	sb_free(&why);
}

int
cfcheck_gather(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    strbuf *err)
{
	const char *sendmail = paths->sendmail ? paths->sendmail :
	    DEFAULT_SENDMAIL;
	unsigned timeout = paths->timeout_ms ? paths->timeout_ms : 10000;
	const struct cf_kv *o;
	char host[256], *buf;
	struct stat st;
	size_t len;

	cfcheck_env_init(env);
	env->now = time(NULL);
	if ((env->cf_path = strdup(paths->cf ? paths->cf : DEFAULT_CF)) ==
	    NULL)
		goto nomem;
	if (read_file(env->cf_path, &buf, &len) < 0) {
		sb_printf(err, "%s: %s", env->cf_path, strerror(errno));
		return -1;
	}
	env->cf_text = buf;
	if (stat(env->cf_path, &st) == 0)
		env->cf_mtime = st.st_mtime;
	if (cf_parse(buf, &env->cf, err) < 0)
		return -1;
	if (gather_mc(paths, env, err) < 0)
		return -1;
	if (cfc_gather_render(paths, env, timeout) < 0)
		goto nomem;
	gather_info(paths, env, sendmail, timeout);
	gather_sasl(paths, env, timeout);
	/* the CA bundle of this system: Red Hat's, else Debian's */
	if (exists("/etc/pki/tls/certs/ca-bundle.crt") == 1) {
		env->ca_bundle = "/etc/pki/tls/certs/ca-bundle.crt";
		env->ca_dir = "/etc/pki/tls/certs";
	} else if (exists("/etc/ssl/certs/ca-certificates.crt") == 1) {
		env->ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
		env->ca_dir = "/etc/ssl/certs";
	}
	if ((o = cf_option(&env->cf, "CACertFile")) != NULL && *o->value)
		env->cacert_file = exists(o->value);
	if ((o = cf_option(&env->cf, "CACertPath")) != NULL && *o->value)
		env->cacert_path = exists(o->value);
	if (gather_authinfo(env) < 0 || cfc_gather_class_w(env) < 0 ||
	    cfc_gather_files(env) < 0)
		goto nomem;
	if (paths->hostname != NULL)
		env->hostname = strdup(paths->hostname);
	else if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		env->hostname = strdup(host);
	}
	env->hosts_path = strdup(paths->hosts ? paths->hosts : DEFAULT_HOSTS);
	if (env->hosts_path == NULL)
		goto nomem;
	if (read_file(env->hosts_path, &env->hosts_text, &len) < 0)
		env->hosts_text = NULL;
	if (cfc_gather_addresses(env) < 0 || cfc_gather_msp(env) < 0)
		goto nomem;
	gather_rm(paths, env);
	gather_mailq(paths, env, sendmail, timeout);
	return 0;
nomem:
	sb_reset(err);
	sb_puts(err, "out of memory");
	return -1;
}
