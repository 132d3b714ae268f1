/*
 * doctor_main.c - relaymilter-doctor: probe the smarthost, lint sendmail's
 *	configuration, say what is wrong and the exact fix
 *
 * CONTRACT
 *	relaymilter-doctor [--json] probe [options] [HOST[:PORT]]
 *	relaymilter-doctor [--json] config [options]
 *	Human text by default, --json for scripts (json-c). Exit status: 0
 *	when all is good (notes allowed), 1 when the worst finding is a
 *	warning, 2 when something is an error -- also for usage errors and
 *	when the configuration cannot be read at all. Every string derived
 *	from a file or the network is sanitized before it is printed (the
 *	modules store it sanitized; json-c escapes the rest). No password
 *	ever reaches stdout, stderr or the JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "causes.h"
#include "cfcheck.h"
#include "doctor_queue.h"
#include "jstr.h"
#include "log.h"
#include "probe.h"
#include "sendmailcf.h"
#include "util.h"

#define EXIT_GOOD	0
#define EXIT_WARN	1
#define EXIT_ERROR	2

#define DEFAULT_CF	"/etc/mail/sendmail.cf"
#define DEFAULT_AUTHINFO "/etc/mail/authinfo"

static const char *progname = "relaymilter-doctor";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [--json] probe [--cafile FILE] [--capath DIR] [--auth]\n"
"           [--allow-plaintext] [--authinfo FILE] [--timeout SEC]\n"
"           [--helo NAME] [--cf FILE] [--no-compare] [--debug] [HOST[:PORT]]\n"
"       %s [--json] config [--cf FILE] [--mc FILE] [--conf FILE]\n"
"           [--hosts FILE] [--hostname NAME] [--sendmail PATH]\n"
"           [--no-mailq] [--no-exec] [--timeout SEC]\n"
"       %s [--json] queue [--cf FILE] [--submit-cf FILE] [--mta-dir DIR]\n"
"           [--msp-dir DIR] [--by domain|relay] [--top N] [--messages]\n"
"           [--trace-header NAME] [--now UNIXTIME]\n"
"       %s -V\n"
"exit status: 0 all good, 1 warnings, 2 errors\n",
	    progname, progname, progname, progname);
}

/* ------------------------------------------------------------ output */

static void
print_wrapped(const char *label, const char *text)
{
	const char *p = text;
	bool first = true;

	while (*p || first) {
		size_t n = strcspn(p, "\n");

		printf("  %-5s %.*s\n", first ? label : "", (int)n, p);
		first = false;
		p += n;
		if (*p == '\n')
			p++;
	}
}

static void
json_print(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ------------------------------------------------------------ probe */

static int
verdict_exit(enum probe_verdict v)
{
	return v == PV_FAIL ? EXIT_ERROR : v == PV_WARN ? EXIT_WARN :
	    EXIT_GOOD;
}

static void
probe_text(const struct probe_result *r)
{
	size_t i, j;

	printf("relaymilter-doctor probe: %s port %d (EHLO %s)\n", r->host,
	    r->port, r->helo);
	for (i = 0; i < r->nsteps; i++) {
		const struct probe_step *s = &r->steps[i];
		const struct cause *c = s->cause_id ? cause_by_id(s->cause_id) :
		    NULL;

		printf("%-5s %-16s %5u ms  %s\n",
		    s->verdict == PV_OK ? "ok" : s->verdict == PV_INFO ?
		    "info" : s->verdict == PV_WARN ? "WARN" : "FAIL",
		    s->name, s->ms, s->message ? s->message : "");
		if (s->verdict >= PV_WARN) {
			if (s->reply != NULL && (s->message == NULL ||
			    strstr(s->message, s->reply) == NULL))
				print_wrapped("reply", s->reply);
			if (c != NULL) {
				print_wrapped("cause", c->summary);
				print_wrapped("fix", c->fix);
			}
		}
		for (j = 0; j < s->nfacts; j++)
			if (s->verdict != PV_OK || strcmp(s->name, "ports") ==
			    0 || strcmp(s->facts[j].key, "mechanisms") == 0)
				printf("        %s: %s\n", s->facts[j].key,
				    s->facts[j].value);
	}
	switch (probe_worst(r)) {
	case PV_FAIL:
		printf("result: FAIL\n");
		break;
	case PV_WARN:
		printf("result: warnings\n");
		break;
	default:
		printf("result: ok\n");
		break;
	}
}

static void
probe_json(const struct probe_result *r)
{
	json_object *root = json_object_new_object(), *steps;
	size_t i, j;

	json_object_object_add(root, "command", jstr("probe"));
	json_object_object_add(root, "host", jstr(r->host));
	json_object_object_add(root, "port", json_object_new_int(r->port));
	json_object_object_add(root, "helo", jstr(r->helo));
	json_object_object_add(root, "result",
	    jstr(probe_verdict_name(probe_worst(r))));
	json_object_object_add(root, "exit",
	    json_object_new_int(verdict_exit(probe_worst(r))));
	steps = json_object_new_array();
	for (i = 0; i < r->nsteps; i++) {
		const struct probe_step *s = &r->steps[i];
		const struct cause *c = s->cause_id ? cause_by_id(s->cause_id) :
		    NULL;
		json_object *o = json_object_new_object(), *facts;

		json_object_object_add(o, "step", jstr(s->name));
		json_object_object_add(o, "verdict",
		    jstr(probe_verdict_name(s->verdict)));
		json_object_object_add(o, "ms", json_object_new_int64(s->ms));
		json_object_object_add(o, "message", jstr(s->message));
		if (s->reply)
			json_object_object_add(o, "reply", jstr(s->reply));
		if (s->cause_id) {
			json_object_object_add(o, "cause", jstr(s->cause_id));
			if (c != NULL) {
				json_object_object_add(o, "summary",
				    jstr(c->summary));
				json_object_object_add(o, "fix", jstr(c->fix));
			}
		}
		facts = json_object_new_object();
		for (j = 0; j < s->nfacts; j++)
			json_object_object_add(facts, s->facts[j].key,
			    jstr(s->facts[j].value));
		json_object_object_add(o, "facts", facts);
		json_object_array_add(steps, o);
	}
	json_object_object_add(root, "steps", steps);
	json_print(root);
	json_object_put(root);
}

/* "[host]:port", "host:port", "host", "[v6]:port", "v6" */
static int
parse_target(const char *arg, char **host, int *port)
{
	const char *h = arg, *end, *colon = NULL;
	size_t n;

	*port = 0;
	if (*arg == '[') {
		if ((end = strchr(arg, ']')) == NULL)
			return -1;
		h = arg + 1;
		n = (size_t)(end - h);
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1] != '\0')
			return -1;
	} else {
		colon = strrchr(arg, ':');
		if (colon != NULL && strchr(arg, ':') != colon)
			colon = NULL;	/* an IPv6 address without port */
		n = colon ? (size_t)(colon - arg) : strlen(arg);
	}
	if (n == 0)
		return -1;
	if (colon != NULL && (*port = cf_port_number(colon + 1)) < 0)
		return -1;
	if ((*host = strndup(h, n)) == NULL)
		return -1;
	/* a trailing dot is the same host */
	if (n > 1 && (*host)[n - 1] == '.')
		(*host)[n - 1] = '\0';
	return 0;
}

static int
cmd_probe(int argc, char **argv, bool json)
{
	static const struct option opts[] = {
		{ "cafile", required_argument, NULL, 'c' },
		{ "capath", required_argument, NULL, 'C' },
		{ "auth", no_argument, NULL, 'a' },
		{ "allow-plaintext", no_argument, NULL, 'P' },
		{ "authinfo", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "helo", required_argument, NULL, 'H' },
		{ "cf", required_argument, NULL, 'f' },
		{ "no-compare", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct probe_options o;
	struct probe_result r;
	const char *cf_path = DEFAULT_CF, *authinfo = NULL;
	char *host = NULL, *authinfo_alloc = NULL;
	unsigned long secs;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 10000;
	o.compare_ports = true;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.cafile = optarg; break;
		case 'C': o.capath = optarg; break;
		case 'a': o.auth = true; break;
		case 'P': o.allow_plaintext = true; break;
		case 'i': authinfo = optarg; break;
		case 't':
			if (parse_uint(optarg, 600, &secs) < 0 || secs == 0) {
				log_warnx("--timeout wants 1..600 seconds");
				return EXIT_ERROR;
			}
			o.timeout_ms = (unsigned)secs * 1000;
			break;
		case 'H': o.helo = optarg; break;
		case 'f': cf_path = optarg; break;
		case 'n': o.compare_ports = false; break;
		case 'd': o.debug = stderr; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_GOOD;
		default: usage(stderr); return EXIT_ERROR;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (argc - optind == 1) {
		if (parse_target(argv[optind], &host, &o.port) < 0) {
			log_warnx("bad target \"%s\": want HOST[:PORT]",
			    argv[optind]);
			return EXIT_ERROR;
		}
		if (o.port == 0)
			o.port = 587;
	}
	if (host == NULL || (o.auth && authinfo == NULL)) {
		/* the smarthost, its port and authinfo from sendmail.cf */
		struct sendmail_cf cf;
		struct cf_smarthost sh;
		const struct cf_map *m;
		strbuf err;
		char *buf;
		size_t len;

		sb_init(&err);
		if (read_file(cf_path, &buf, &len) < 0) {
			if (host == NULL) {
				log_warnx("%s: %s (give HOST[:PORT])", cf_path,
				    strerror(errno));
				return EXIT_ERROR;
			}
		} else {
			if (cf_parse(buf, &cf, &err) < 0) {
				free(buf);
				log_warnx("%s", err.s);
				sb_free(&err);
				return EXIT_ERROR;
			}
			free(buf);
			if (host == NULL) {
				if (cf_smarthost(&cf, &sh) != 0 ||
				    sh.port == 0) {
					log_warnx("%s names no "
					    "smarthost with a TCP port (give "
					    "HOST[:PORT])",
					    cf_path);
					cf_smarthost_free(&sh);
					cf_free(&cf);
					return EXIT_ERROR;
				}
				host = strdup(sh.host);
				o.port = sh.port;
				cf_smarthost_free(&sh);
			}
			if (o.auth && authinfo == NULL &&
			    (m = cf_map(&cf, "authinfo")) != NULL &&
			    m->file != NULL) {
				size_t n = strlen(m->file);

				if (n > 3 && strcmp(m->file + n - 3, ".db") == 0)
					n -= 3;
				authinfo = authinfo_alloc = strndup(m->file, n);
			}
			cf_free(&cf);
		}
		sb_free(&err);
	}
	if (host == NULL) {
		log_warnx("out of memory");
		return EXIT_ERROR;
	}
	o.host = host;
	o.authinfo = authinfo ? authinfo : DEFAULT_AUTHINFO;
	if (probe_run(&o, &r) < 0) {
		log_warnx("out of memory");
		probe_result_free(&r);
		free(host);
		free(authinfo_alloc);
		return EXIT_ERROR;
	}
	if (json)
		probe_json(&r);
	else
		probe_text(&r);
	rc = verdict_exit(probe_worst(&r));
	probe_result_free(&r);
	free(host);
	free(authinfo_alloc);
	return rc;
}

/* ------------------------------------------------------------ config */

static int
report_exit(const struct cfc_report *r)
{
	int w = cfc_report_worst(r);

	return w == CFS_ERROR ? EXIT_ERROR : w == CFS_WARN ? EXIT_WARN :
	    EXIT_GOOD;
}

static void
config_text(const struct cfcheck_env *env, const struct cfc_report *r)
{
	struct cf_smarthost sh;
	size_t i, n[3] = { 0, 0, 0 };

	printf("relaymilter-doctor config: %s%s%s\n", env->cf_path,
	    env->have_mc ? ", " : "", env->have_mc ? env->mc_path : "");
	if (cf_smarthost(&env->cf, &sh) == 0) {
		if (sh.port == 0 && sh.port_word != NULL)
			printf("smarthost %s (mailer %s, port %s: no port)",
			    sh.raw, sh.mailer, sh.port_word);
		else
			printf("smarthost %s (mailer %s, port %d)", sh.raw,
			    sh.mailer, sh.port);
		if (env->smarthost_resolved && env->nsmarthost_addrs > 0)
			printf(", %s", env->smarthost_addrs[0]);
		else if (env->resolve_error != NULL)
			printf(", does not resolve: %s", env->resolve_error);
		printf("\n");
	}
	cf_smarthost_free(&sh);
	for (i = 0; i < r->n; i++) {
		const struct cfc_finding *f = &r->v[i];

		n[f->severity]++;
		printf("\n%s %s", f->severity == CFS_ERROR ? "ERROR" :
		    f->severity == CFS_WARN ? "WARNING" : "NOTE", f->id);
		if (f->file != NULL && f->line > 0)
			printf("  %s:%u", f->file, f->line);
		else if (f->file != NULL)
			printf("  %s", f->file);
		printf("\n");
		print_wrapped("what:", f->what);
		print_wrapped("why:", f->why);
		print_wrapped("fix:", f->fix);
	}
	if (r->n == 0)
		printf("\nno problem found\n");
	else
		printf("\n%zu error%s, %zu warning%s, %zu note%s\n",
		    n[CFS_ERROR], n[CFS_ERROR] == 1 ? "" : "s", n[CFS_WARN],
		    n[CFS_WARN] == 1 ? "" : "s", n[CFS_INFO],
		    n[CFS_INFO] == 1 ? "" : "s");
}

static void
config_json(const struct cfcheck_env *env, const struct cfc_report *r)
{
	json_object *root = json_object_new_object(), *arr, *q;
	struct cf_smarthost sh;
	size_t i, j;

	json_object_object_add(root, "command", jstr("config"));
	json_object_object_add(root, "cf", jstr(env->cf_path));
	if (env->have_mc)
		json_object_object_add(root, "mc", jstr(env->mc_path));
	if (cf_smarthost(&env->cf, &sh) == 0) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "host", jstr(sh.host));
		json_object_object_add(o, "mailer", jstr(sh.mailer));
		json_object_object_add(o, "port", json_object_new_int(sh.port));
		json_object_object_add(o, "bracketed",
		    json_object_new_boolean(sh.bracketed));
		arr = json_object_new_array();
		for (i = 0; i < env->nsmarthost_addrs; i++)
			json_object_array_add(arr,
			    jstr(env->smarthost_addrs[i]));
		json_object_object_add(o, "addresses", arr);
		json_object_object_add(root, "smarthost", o);
	}
	cf_smarthost_free(&sh);
	json_object_object_add(root, "result", jstr(cfc_report_worst(r) < 0 ?
	    "ok" : cfc_severity_name((enum cfc_severity)cfc_report_worst(r))));
	json_object_object_add(root, "exit",
	    json_object_new_int(report_exit(r)));
	arr = json_object_new_array();
	for (i = 0; i < r->n; i++) {
		const struct cfc_finding *f = &r->v[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", jstr(f->id));
		json_object_object_add(o, "severity",
		    jstr(cfc_severity_name(f->severity)));
		json_object_object_add(o, "what", jstr(f->what));
		json_object_object_add(o, "why", jstr(f->why));
		json_object_object_add(o, "fix", jstr(f->fix));
		if (f->file != NULL)
			json_object_object_add(o, "file", jstr(f->file));
		if (f->line > 0)
			json_object_object_add(o, "line",
			    json_object_new_int64(f->line));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "findings", arr);
	if (env->have_mailq) {
		q = json_object_new_array();
		for (i = 0; i < env->mailq.n; i++) {
			const struct mailq_entry *e = &env->mailq.v[i];
			json_object *o = json_object_new_object(), *rc;

			json_object_object_add(o, "qid", jstr(e->qid));
			json_object_object_add(o, "queued", jstr(e->qtime));
			json_object_object_add(o, "sender", jstr(e->sender));
			if (e->error)
				json_object_object_add(o, "error",
				    jstr(e->error));
			rc = json_object_new_array();
			for (j = 0; j < e->nrcpts; j++)
				json_object_array_add(rc, jstr(e->rcpts[j]));
			json_object_object_add(o, "recipients", rc);
			json_object_array_add(q, o);
		}
		json_object_object_add(root, "queue", q);
	}
	json_print(root);
	json_object_put(root);
}

static int
cmd_config(int argc, char **argv, bool json)
{
	static const struct option opts[] = {
		{ "cf", required_argument, NULL, 'f' },
		{ "mc", required_argument, NULL, 'm' },
		{ "conf", required_argument, NULL, 'c' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "hostname", required_argument, NULL, 'n' },
		{ "sendmail", required_argument, NULL, 's' },
		{ "no-mailq", no_argument, NULL, 'q' },
		{ "no-exec", no_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cfcheck_paths paths;
	struct cfcheck_env env;
	struct cfc_report r;
	unsigned long secs;
	strbuf err;
	int ch, rc;

	memset(&paths, 0, sizeof(paths));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': paths.cf = optarg; break;
		case 'm': paths.mc = optarg; break;
		case 'c': paths.rm_conf = optarg; break;
		case 'H': paths.hosts = optarg; break;
		case 'n': paths.hostname = optarg; break;
		case 's': paths.sendmail = optarg; break;
		case 'q': paths.no_mailq = true; break;
		case 'x': paths.no_exec = true; break;
		case 't':
			if (parse_uint(optarg, 600, &secs) < 0 || secs == 0) {
				log_warnx("--timeout wants 1..600 seconds");
				return EXIT_ERROR;
			}
			paths.timeout_ms = (unsigned)secs * 1000;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_GOOD;
		default: usage(stderr); return EXIT_ERROR;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	sb_init(&err);
	if (cfcheck_gather(&paths, &env, &err) < 0) {
		log_warnx("%s", err.s);
		sb_free(&err);
		cfcheck_env_free(&env);
		return EXIT_ERROR;
	}
	sb_free(&err);
	memset(&r, 0, sizeof(r));
	if (cfcheck_run(&env, &r) < 0) {
		log_warnx("out of memory");
		rc = EXIT_ERROR;
	} else {
		if (json)
			config_json(&env, &r);
		else
			config_text(&env, &r);
		rc = report_exit(&r);
	}
	cfc_report_free(&r);
	cfcheck_env_free(&env);
	return rc;
}

int
main(int argc, char **argv)
{
	bool json = false;
	int i = 1;

	/* SIGCHLD ignored by whoever started us (it survives exec) would let
	 * the kernel reap sendmail -d0.1, mailq and dpkg-query before their
	 * exit status is read */
	signal(SIGCHLD, SIG_DFL);
	log_set_ident(progname);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("relaymilter-doctor %s\n", RM_VERSION);
			return EXIT_GOOD;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_GOOD;
		} else {
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[i], "probe") == 0)
		return cmd_probe(argc - i, argv + i, json);
	if (strcmp(argv[i], "config") == 0)
		return cmd_config(argc - i, argv + i, json);
	if (strcmp(argv[i], "queue") == 0)
		return doctor_queue(argc - i, argv + i, json);
	log_warnx("unknown command \"%s\"", argv[i]);
	usage(stderr);
	return EXIT_ERROR;
}
