/*
 * snapshot.c - load the configuration and its files into one immutable object
 *
 * CONTRACT
 *	See snapshot.h. Every list entry is checked where it is
 *	written: an inline value is reported at the config file's line, a
 *	value read from a list file at that file's line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "authinfo.h"
#include "config.h"
#include "map.h"
#include "netlist.h"
#include "relaylimit.h"
#include "relayprof.h"
#include "snapshot.h"
#include "strtab.h"
#include "tag.h"
#include "util.h"

/* Representative Google egress addresses (mail-sor-f41.google.com). */
static const char *const google_egress[] = {
	"209.85.220.41", "2607:f8b0:4864:20::841", NULL
};

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rm_snapshot *current;
static unsigned generation;

static void
snapshot_free(struct rm_snapshot *s)
{
	if (s == NULL)
		return;
	config_free(s->cfg);
	sendermap_free(s->map);
	authinfo_free(s->authinfo);
	free(s->authid_addr);
	strtab_free(s->allowed, NULL);
	strtab_free(s->local_domains, NULL);
	strtab_free(s->relay_mailers, NULL);
	strtab_free(s->spf_domains, NULL);
	strtab_free(s->dmarc_domains, NULL);
	for (size_t i = 0; i < s->ndkim; i++) {
		free(s->dkim[i].domain);
		free(s->dkim[i].selector);
	}
	free(s->dkim);
	strv_free(s->bounce_domains.v, s->bounce_domains.n);
	netlist_free(s->trusted);
	strv_free(s->spf_addrs.v, s->spf_addrs.n);
	for (size_t i = 0; i < s->nlimits; i++)
		relaylimit_free(&s->limits[i]);
	free(s->limits);
	tag_key_wipe(&s->key);
	free(s);
}

struct rm_snapshot *
snapshot_ref(struct rm_snapshot *s)
{
	if (s != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void
snapshot_unref(struct rm_snapshot *s)
{
	if (s != NULL && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		snapshot_free(s);
}

void
snapshot_install(struct rm_snapshot *s)
{
	struct rm_snapshot *old;

	pthread_mutex_lock(&cur_lock);
	old = current;
	current = s;
	pthread_mutex_unlock(&cur_lock);
	snapshot_unref(old);
}

struct rm_snapshot *
snapshot_current(void)
{
	struct rm_snapshot *s;

	pthread_mutex_lock(&cur_lock);
	s = snapshot_ref(current);
	pthread_mutex_unlock(&cur_lock);
	return s;
}

void
snapshot_shutdown(void)
{
	snapshot_install(NULL);
}

bool
snapshot_addr_is_google(const char *ip)
{
	size_t i;

	for (i = 0; google_egress[i] != NULL; i++)
		if (strcmp(ip, google_egress[i]) == 0)
			return true;
	return false;
}

bool
snapshot_authid_is_address(const struct rm_snapshot *s,
    const struct authinfo_entry *e)
{
	return s->authinfo != NULL && s->authid_addr != NULL &&
	    e >= s->authinfo->v && e < s->authinfo->v + s->authinfo->n &&
	    s->authid_addr[e - s->authinfo->v];
}

bool
snapshot_spf_domain_ok(const struct rm_snapshot *s, const char *domain)
{
	char *d;
	bool ok;

	if (domain == NULL || (d = strdup_lower(domain)) == NULL)
		return false;
	domain_normalise(d);
	ok = strtab_get(s->spf_domains, d, NULL) == 1;
	free(d);
	return ok;
}

bool
snapshot_dmarc_domain_ok(const struct rm_snapshot *s, const char *domain)
{
	char *d;
	bool ok;

	if (snapshot_spf_domain_ok(s, domain))
		return true;
	if (domain == NULL || (d = strdup_lower(domain)) == NULL)
		return false;
	domain_normalise(d);
	ok = strtab_get(s->dmarc_domains, d, NULL) == 1;
	free(d);
	return ok;
}

/*
 * One list entry with its location. The checker returns 0 or -1 with the
 * reason in err (without location: the caller prefixes it).
 */
typedef int (*entry_fn)(struct rm_snapshot *, const char *, strbuf *);

/* Feed every entry of a LIST option to fn, from the value or a file. */
static int
each_entry(struct rm_snapshot *s, enum opt_id id, entry_fn fn, strbuf *err)
{
	const struct strlist *l;
	const struct opt_desc *opts;
	size_t n, i;
	strbuf where, why;
	char *buf, *line, *next, *cur, *tok;
	size_t len;
	unsigned lineno;
	int rc = 0;

	opts = config_options(&n);
	l = (const struct strlist *)(const void *)((const char *)s->cfg +
	    opts[id].offset);
	sb_init(&where);
	sb_init(&why);
	config_where(s->cfg, id, &where);
	if (l->n == 1 && l->v[0][0] == '/') {
		if (read_file(l->v[0], &buf, &len) < 0) {
			sb_printf(err, "%s: %s: cannot read %s: %s", where.s,
			    opts[id].name, l->v[0], strerror(errno));
			rc = -1;
			goto out;
		}
		lineno = 0;
		for (line = buf; line != NULL && rc == 0; line = next) {
			lineno++;
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			line = str_trim(line);
			if (*line == '#')
				continue;
			cur = line;
			while ((tok = str_token(&cur)) != NULL) {
				if (*tok == '#')
					break;
				if (fn(s, tok, &why) < 0) {
					sb_printf(err, "%s:%u: %s", l->v[0],
					    lineno, why.s);
					rc = -1;
					break;
				}
			}
		}
		free(buf);
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		if (fn(s, l->v[i], &why) < 0) {
			sb_printf(err, "%s: %s: %s", where.s, opts[id].name,
			    why.s);
			rc = -1;
			break;
		}
	}
out:
	sb_free(&where);
	sb_free(&why);
	return rc;
}

static int
put_lower(struct strtab *t, const char *s, strbuf *err)
{
	char *k = strdup_lower(s);
	int rc;

	if (k == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	rc = strtab_put(t, k, NULL, NULL);
	free(k);
	if (rc < 0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	return 0;
}

static int
add_spf_domain(struct rm_snapshot *s, const char *domain, strbuf *err)
{
	char *d = strdup_lower(domain);
	int rc;

	if (d == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	domain_normalise(d);
	rc = strtab_put(s->spf_domains, d, NULL, NULL) < 0 ? -1 : 0;
	free(d);
	if (rc < 0)
		sb_puts(err, "out of memory");
	return rc;
}

/* One AllowedSenders entry ("<alias@example.com>" is the address inside,
 * as an admin may copy it from a MAIL FROM). */
static int
add_allowed_1(struct rm_snapshot *s, const char *v, strbuf *err)
{
	struct rm_addr a;

	if (v[0] == '@') {
		if (!domain_is_valid(v + 1)) {
			sb_printf(err, "'%s' is not a valid @domain", v);
			return -1;
		}
		if (put_lower(s->allowed, v, err) < 0)
			return -1;
		return add_spf_domain(s, v + 1, err);
	}
	if (v[0] == '<' || addr_parse_envelope(v, &a) < 0 || a.null ||
	    a.domain == NULL) {
		if (v[0] != '<')
			addr_free(&a);
		sb_printf(err, "'%s' is not an address (user@domain) or "
		    "@domain", v);
		return -1;
	}
	addr_free(&a);
	if (put_lower(s->allowed, v, err) < 0)
		return -1;
	return add_spf_domain(s, strrchr(v, '@') + 1, err);
}

static int
add_allowed(struct rm_snapshot *s, const char *v, strbuf *err)
{
	char *copy = strdup(v);
	int rc;

	if (copy == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	rc = add_allowed_1(s, addr_unbracket(copy), err);
	free(copy);
	return rc;
}

static int
add_local_domain(struct rm_snapshot *s, const char *v, strbuf *err)
{
	char *d;
	int rc;

	if (!domain_is_valid(v) || v[0] == '[') {
		sb_printf(err, "'%s' is not a domain", v);
		return -1;
	}
	if ((d = strdup_lower(v)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	domain_normalise(d);
	rc = put_lower(s->local_domains, d, err);
	if (rc == 0)
		rc = add_spf_domain(s, d, err);
	free(d);
	return rc;
}

static int
add_mailer(struct rm_snapshot *s, const char *v, strbuf *err)
{
	const char *p;

	for (p = v; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
			sb_printf(err, "'%s' is not a sendmail mailer name", v);
			return -1;
		}
	}
	return put_lower(s->relay_mailers, v, err);
}

static int
add_network(struct rm_snapshot *s, const char *v, strbuf *err)
{
	return netlist_add(s->trusted, v, err);
}

static int
push_addr(struct strlist *l, const char *ip, strbuf *err)
{
	char **nv, *d;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], ip) == 0)
			return 0;
	if ((d = strdup(ip)) == NULL ||
	    (nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(d);
		sb_puts(err, "out of memory");
		return -1;
	}
	nv[l->n++] = d;
	l->v = nv;
	return 0;
}

static int
add_spf_addr(struct rm_snapshot *s, const char *v, strbuf *err)
{
	strbuf canon;
	bool v6;
	size_t i;
	int rc;

	if (str_ieq(v, "google")) {
		for (i = 0; google_egress[i] != NULL; i++)
			if (push_addr(&s->spf_addrs, google_egress[i], err) < 0)
				return -1;
		return 0;
	}
	sb_init(&canon);
	if (!ip_parse_text(v, &v6, &canon)) {
		sb_printf(err, "'%s' is not an IPv4 or IPv6 address (or "
		    "\"google\")", v);
		sb_free(&canon);
		return -1;
	}
	if (ip_is_loopback_text(canon.s)) {
		sb_printf(err, "'%s' is a loopback address: the recipient's MX "
		    "never sees it (and libspf2 always passes loopback)", v);
		sb_free(&canon);
		return -1;
	}
	rc = push_addr(&s->spf_addrs, canon.s, err);
	sb_free(&canon);
	return rc;
}

static int
add_spf_domain_opt(struct rm_snapshot *s, const char *v, strbuf *err)
{
	if (!domain_is_valid(v) || v[0] == '[') {
		sb_printf(err, "'%s' is not a domain", v);
		return -1;
	}
	return add_spf_domain(s, v, err);
}

static int
add_dmarc_domain(struct rm_snapshot *s, const char *v, strbuf *err)
{
	char *d;
	int rc;

	if (!domain_is_valid(v) || v[0] == '[') {
		sb_printf(err, "'%s' is not a domain", v);
		return -1;
	}
	if ((d = strdup_lower(v)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	domain_normalise(d);
	rc = put_lower(s->dmarc_domains, d, err);
	free(d);
	return rc;
}

static int
add_bounce_domain(struct rm_snapshot *s, const char *v, strbuf *err)
{
	char *d;
	int rc;

	if (!domain_is_valid(v) || v[0] == '[' || strchr(v, '.') == NULL) {
		sb_printf(err, "'%s' is not a domain (SendGrid's return path "
		    "looks like em1234.example.com)", v);
		return -1;
	}
	if ((d = strdup_lower(v)) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	domain_normalise(d);
	rc = push_addr(&s->bounce_domains, d, err);
	if (rc == 0)
		rc = add_spf_domain(s, d, err);
	free(d);
	return rc;
}

/* A DKIM selector: dot-separated labels of letters, digits, '-', '_'. */
static bool
selector_ok(const char *sel)
{
	const char *p;
	size_t lab = 0;

	if (*sel == '\0' || strlen(sel) > 63)
		return false;
	for (p = sel; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0)
				return false;
			if (*p == '\0')
				return true;
			lab = 0;
		} else if (ch_alpha(*p) || ch_digit(*p) || *p == '-' ||
		    *p == '_') {
			lab++;
		} else {
			return false;
		}
	}
}

/* One RelayDKIM word: provider, none, account[:SEL], from[:SEL] or
 * DOMAIN[:SEL]. */
static int
add_dkim(struct rm_snapshot *s, const char *v, strbuf *err)
{
	struct dkim_entry e, *nv;
	const char *colon = strchr(v, ':');
	char *word;

	memset(&e, 0, sizeof(e));
	if (str_ieq(v, "provider"))
		return 0;	/* the default, always the fallback */
	if (str_ieq(v, "none")) {
		s->dkim_none = true;
		return 0;
	}
	if ((word = colon ? strndup(v, (size_t)(colon - v)) : strdup(v)) ==
	    NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	if (colon != NULL && !selector_ok(colon + 1)) {
		sb_printf(err, "'%s': '%s' is not a DKIM selector", v,
		    colon + 1);
		free(word);
		return -1;
	}
	if (str_ieq(word, "account")) {
		e.kind = DKIM_ACCOUNT;
	} else if (str_ieq(word, "from")) {
		e.kind = DKIM_FROM;
	} else if (domain_is_valid(word) && word[0] != '[' &&
	    strchr(word, '.') != NULL) {
		e.kind = DKIM_EXPLICIT;
		e.domain = domain_normalise(str_lower_inplace(word));
		word = NULL;
	} else {
		sb_printf(err, "'%s' is not provider, none, account[:SELECTOR], "
		    "from[:SELECTOR] or DOMAIN[:SELECTOR]", v);
		free(word);
		return -1;
	}
	free(word);
	if (colon != NULL && (e.selector = strdup(colon + 1)) == NULL)
		goto nomem;
	if ((nv = realloc(s->dkim, (s->ndkim + 1) * sizeof(*nv))) == NULL)
		goto nomem;
	s->dkim = nv;
	s->dkim[s->ndkim++] = e;
	return 0;
nomem:
	free(e.domain);
	free(e.selector);
	sb_puts(err, "out of memory");
	return -1;
}

static void
note_map_domain(const char *domain, void *arg)
{
	strbuf dummy;

	sb_init(&dummy);
	(void)add_spf_domain(arg, domain, &dummy);
	sb_free(&dummy);
}

static bool
trace_header_name_ok(const char *h)
{
	const unsigned char *p;

	for (p = (const unsigned char *)h; *p; p++)
		if (*p <= 32 || *p >= 127 || *p == ':')
			return false;
	return true;
}

static int
qualified_domains(struct rm_snapshot *s, const struct authinfo_entry *e,
    strbuf *err)
{
	const struct relay_profile *rp;
	size_t k;

	if (e->host[0] != '\0') {
		rp = relay_profile_for(e->host);
		return rp != NULL && rp->account_domain != NULL ?
		    add_spf_domain(s, rp->account_domain, err) : 0;
	}
	for (k = 0; k < relay_profile_count(); k++) {
		rp = relay_profile_at(k);
		if (rp->account_domain != NULL &&
		    add_spf_domain(s, rp->account_domain, err) < 0)
			return -1;
	}
	return 0;
}

static int
load_authinfo(struct rm_snapshot *s, strbuf *err, strbuf *warn)
{
	const char *path = s->cfg->authinfo_file;
	struct stat st;
	size_t i;
	const char *at;
	char *fixed;

	if (path == NULL || *path == '\0')
		return 0;
	if (authinfo_load(path, 0, &s->authinfo, err) < 0)
		return -1;
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		sb_printf(warn, "%s: WARNING: the authinfo file is readable by "
		    "everyone (mode %04o): it holds the relay password; run "
		    "chmod o-rwx %s\n", path, (unsigned)(st.st_mode & 07777),
		    path);
	if (s->authinfo->n == 0)
		sb_printf(warn, "%s: no AuthInfo: entries: the relay account "
		    "can only come from RelayAccount\n", path);
	if ((s->authid_addr = calloc(s->authinfo->n + 1, sizeof(bool))) ==
	    NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	for (i = 0; i < s->authinfo->n; i++) {
		struct rm_addr a;

		/* parsed once here, not per message (policy.c) */
		if (addr_parse_envelope(s->authinfo->v[i].authid, &a) == 0) {
			s->authid_addr[i] = !a.null && a.domain != NULL;
			addr_free(&a);
		}
		if ((at = strrchr(s->authinfo->v[i].authid, '@')) != NULL &&
		    add_spf_domain(s, at + 1, err) < 0)
			return -1;
		/* "I:user_id" becomes user_id@<the provider's domain> (policy.c,
		 * relayprof.c): that domain is one the configuration produces,
		 * for the SPF check too; a default entry may serve any relay */
		if (at == NULL && qualified_domains(s, &s->authinfo->v[i],
		    err) < 0)
			return -1;
		if (authinfo_key_unusable(&s->authinfo->v[i]) != NULL &&
		    (fixed = authinfo_server_key(s->authinfo->v[i].host)) !=
		    NULL) {
			fixed[strcspn(fixed, ":")] = '\0';
			sb_printf(warn, "%s:%u: AuthInfo:%s is never used: %s; "
			    "write AuthInfo:%s\n", path, s->authinfo->v[i].line,
			    s->authinfo->v[i].host,
			    authinfo_key_unusable(&s->authinfo->v[i]), fixed);
			free(fixed);
		}
		if (s->authinfo->v[i].authid_missing)
			sb_printf(warn, "%s:%u: no \"I:\" in this entry: "
			    "sendmail uses the \"U:\" value as the account\n",
			    path, s->authinfo->v[i].line);
	}
	return 0;
}

/*
 * The trace key: created at start when missing. A check (-n) never
 * creates it; it says whether the daemon will be able to.
 */
static int
load_key(struct rm_snapshot *s, bool check_only, strbuf *err, strbuf *warn)
{
	const char *path = s->cfg->trace_key_file;
	struct stat st;
	char *dir, *slash;
	int ok;

	if (path == NULL || path[0] != '/') {
		sb_printf(err, "TraceKeyFile: '%s' is not an absolute path",
		    path ? path : "");
		return -1;
	}
	if (check_only && lstat(path, &st) < 0 && errno == ENOENT) {
		if ((dir = strdup(path)) == NULL) {
			sb_puts(err, "out of memory");
			return -1;
		}
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		ok = access(dir, W_OK) == 0;
		if (ok)
			sb_printf(warn, "%s: the trace key does not exist yet; "
			    "relaymilter creates it (mode 0600) at start\n",
			    path);
		else
			sb_printf(err, "%s: the trace key does not exist and "
			    "%s is not writable (%s)", path, dir,
			    strerror(errno));
		free(dir);
		return ok ? 0 : -1;
	}
	if (tag_key_load(path, !check_only, &s->key, err) < 0)
		return -1;
	(void)tag_key_prepare(&s->key);	/* failure: the slow path */
	s->have_key = true;
	return 0;
}

/*
 * A file an option names that does not exist yet: say which step of the
 * set-up is missing (a first start before the file was made restarted the
 * unit every 2 s with a bare "No such file"). True when it is missing.
 */
static bool
missing_step(const struct rm_config *cfg, enum opt_id id, const char *path,
    strbuf *err)
{
	struct stat st;
	strbuf where;

	if (stat(path, &st) == 0 || errno != ENOENT)
		return false;
	sb_init(&where);
	config_where(cfg, id, &where);
	sb_printf(err, "%s: %s %s does not exist yet: ", where.s,
	    id == OPT_AUTHINFOFILE ? "AuthInfoFile" : "SenderMap", path);
	if (id == OPT_AUTHINFOFILE)
		sb_printf(err, "create it first, one line per smarthost "
		    "(AuthInfo:smtp.gmail.com \"U:smmsp\" \"I:you@gmail.com\" "
		    "\"P:app-password\" \"M:PLAIN LOGIN\"), group smmsp, mode "
		    "0640, then makemap hash %s < %s for sendmail; or set "
		    "RelayAccount instead, or comment the line out until the "
		    "file exists", path, path);
	else
		sb_puts(err, "create it (\"key new-sender\" lines, see "
		    "sendermap.sample), or comment the line out until it "
		    "exists");
	sb_free(&where);
	return true;
}

/*
 * RelayLimit: each line was checked when the configuration was read; here
 * it becomes a rule. More than the budget takes for one message is an
 * error at the line that is one too many.
 */
static int
load_limits(struct rm_snapshot *s, strbuf *err)
{
	const struct strlist *l = &s->cfg->relay_limit;
	const char *path = s->cfg->path ? s->cfg->path : "(built-in)";
	strbuf why;
	size_t i;

	if (s->cfg->state_directory == NULL ||
	    s->cfg->state_directory[0] != '/') {
		strbuf where;

		sb_init(&where);
		config_where(s->cfg, OPT_STATEDIRECTORY, &where);
		sb_printf(err, "%s: StateDirectory: '%s' is not an absolute "
		    "path", where.s, s->cfg->state_directory ?
		    s->cfg->state_directory : "");
		sb_free(&where);
		return -1;
	}
	if (l->n == 0)
		return 0;
	if (l->n > RM_MAX_LIMITS) {
		sb_printf(err, "%s:%u: RelayLimit: more than %d lines", path,
		    l->at ? l->at[RM_MAX_LIMITS] : 0, RM_MAX_LIMITS);
		return -1;
	}
	if ((s->limits = calloc(l->n, sizeof(*s->limits))) == NULL) {
		sb_puts(err, "out of memory");
		return -1;
	}
	sb_init(&why);
	for (i = 0; i < l->n; i++) {
		if (relaylimit_parse(l->v[i], &s->limits[i], &why) < 0) {
			sb_printf(err, "%s:%u: %s", path, l->at ? l->at[i] : 0,
			    why.s);
			sb_free(&why);
			return -1;
		}
		s->nlimits++;
	}
	sb_free(&why);
	return 0;
}

int
snapshot_build(struct rm_config *cfg, const struct snapshot_opts *opt,
    struct rm_snapshot **out, strbuf *err, strbuf *warn)
{
	struct rm_snapshot *s;
	strbuf where;
	const char *at;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		config_free(cfg);
		sb_puts(err, "out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->refs = 1;
	s->loaded = time(NULL);
	if (opt != NULL && opt->socket != NULL) {
		char *sock = strdup(opt->socket);

		if (sock == NULL)
			goto nomem;
		free(cfg->socket);
		cfg->socket = sock;
	}
	if ((s->allowed = strtab_new(16)) == NULL ||
	    (s->local_domains = strtab_new(16)) == NULL ||
	    (s->relay_mailers = strtab_new(16)) == NULL ||
	    (s->spf_domains = strtab_new(64)) == NULL ||
	    (s->dmarc_domains = strtab_new(16)) == NULL ||
	    (s->trusted = netlist_new()) == NULL)
		goto nomem;
	sb_init(&where);
	if (cfg->trace_header != NULL && *cfg->trace_header != '\0' &&
	    !trace_header_name_ok(cfg->trace_header)) {
		config_where(cfg, OPT_TRACEHEADER, &where);
		sb_printf(err, "%s: TraceHeader: '%s' is not a header field "
		    "name", where.s, cfg->trace_header);
		sb_free(&where);
		goto fail;
	}
	sb_free(&where);
	if (each_entry(s, OPT_ALLOWEDSENDERS, add_allowed, err) < 0 ||
	    each_entry(s, OPT_LOCALDOMAINS, add_local_domain, err) < 0 ||
	    each_entry(s, OPT_RELAYMAILERS, add_mailer, err) < 0 ||
	    each_entry(s, OPT_TRUSTEDNETWORKS, add_network, err) < 0 ||
	    each_entry(s, OPT_SPFRELAYADDRESS, add_spf_addr, err) < 0 ||
	    each_entry(s, OPT_SPFDOMAINS, add_spf_domain_opt, err) < 0 ||
	    each_entry(s, OPT_RELAYDKIM, add_dkim, err) < 0 ||
	    each_entry(s, OPT_RELAYBOUNCEDOMAIN, add_bounce_domain, err) < 0 ||
	    each_entry(s, OPT_DMARCDOMAINS, add_dmarc_domain, err) < 0)
		goto fail;
	if (cfg->relay_profile != RPROF_AUTO)
		s->profile = relay_profile_named(
		    rm_relayprofile_names[cfg->relay_profile]);
	if (cfg->relay_account != NULL && *cfg->relay_account != '\0' &&
	    (at = strrchr(cfg->relay_account, '@')) != NULL &&
	    add_spf_domain(s, at + 1, err) < 0)
		goto fail;
	if (cfg->sender_map != NULL && *cfg->sender_map != '\0') {
		if (missing_step(cfg, OPT_SENDERMAP, cfg->sender_map, err))
			goto fail;
		if (sendermap_load(cfg->sender_map, &s->map, err) < 0)
			goto fail;
		sendermap_value_domains(s->map, note_map_domain, s);
	}
	if (cfg->authinfo_file != NULL && *cfg->authinfo_file != '\0' &&
	    missing_step(cfg, OPT_AUTHINFOFILE, cfg->authinfo_file, err))
		goto fail;
	if (load_authinfo(s, err, warn) < 0 || load_limits(s, err) < 0)
		goto fail;
	if (cfg->trace_header != NULL && *cfg->trace_header != '\0') {
		if (load_key(s, opt != NULL && opt->check_only, err, warn) < 0)
			goto fail;
	}
	pthread_mutex_lock(&cur_lock);
	s->generation = ++generation;
	pthread_mutex_unlock(&cur_lock);
	*out = s;
	return 0;
nomem:
	sb_puts(err, "out of memory");
fail:
	snapshot_free(s);
	return -1;
}

int
snapshot_load(const char *path, const struct snapshot_opts *opt,
    struct rm_snapshot **out, strbuf *err, strbuf *warn)
{
	struct rm_config *cfg;

	if (config_load(path, &cfg, err) < 0)
		return -1;
	return snapshot_build(cfg, opt, out, err, warn);
}
