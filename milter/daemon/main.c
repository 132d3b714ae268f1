/*
 * main.c - relaymilter(8): options, the check/test/verify modes, start-up
 *	    order, reload
 *
 * CONTRACT
 *	relaymilter [-c FILE] [-p SOCKET] [-f]   run the milter
 *	relaymilter -n [--cf FILE] [-c FILE]     check the configuration and
 *	                                         every file it names (as the
 *	                                         daemon's user), say what it
 *	                                         will do (checkmode.c); exit 1
 *	                                         with FILE:LINE on an error
 *	relaymilter -V                           versions of relaymilter,
 *	                                         libmilter, libspf2, OpenSSL
 *	relaymilter -P                           the option table
 *	relaymilter -k VALUE [-c FILE]           verify a trace header value
 *	relaymilter -T SENDER [--from DOMAIN] [--relay HOST] [--to ADDR] [--cf FILE]
 *	    [-c FILE]
 *	                                         what the milter would decide
 *	relaymilter -S [--cf FILE] [-c FILE]     the relay budget: per key,
 *	                                         used/limit, room again, held
 *	                                         mail (statusmode.c)
 *	relaymilter -R [--cf FILE] [--sendmail PATH] [-c FILE]
 *	                                         release the held mail the
 *	                                         daemon found room for (root;
 *	                                         relaymilter-release.timer,
 *	                                         release.c)
 *
 *	Start-up order (the process plumbing is in daemon.c): read the
 *	configuration (as the invoking user); detach unless -f (the parent waits for the child to report that start-up
 *	worked, so every start-up error reaches the terminal with a non-zero
 *	exit); open the socket with UMask; write PidFile; drop to UserID;
 *	load the snapshot (maps, authinfo, trace key) as that user, so that
 *	what works at start also works at reload; tell systemd READY=1;
 *	smfi_main(). SIGUSR1 reloads (a dedicated thread waits for it; it is
 *	blocked from the start, so one sent during start-up is a reload once
 *	start-up is done);
 *	libmilter itself stops on SIGTERM, SIGINT and SIGHUP. A start that
 *	fails after the socket or the PidFile was made removes them again
 *	(nothing half-started; the error says so when it cannot).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libpsl.h>
#include <openssl/crypto.h>
#include <spf2/spf.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "align.h"
#include "budgetd.h"
#include "checkmode.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "predict.h"
#include "release.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "statusmode.h"
#include "tag.h"
#include "testmode.h"
#include "util.h"

#define DEFAULT_CONFIG	"/etc/relaymilter/relaymilter.conf"

static const char *config_path = DEFAULT_CONFIG;
static const char *socket_override;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: relaymilter [-f] [-c FILE] [-p SOCKET]\n"
	    "       relaymilter -n [--cf SENDMAIL.CF] [-c FILE]  check the "
	    "configuration\n"
	    "       relaymilter -T SENDER [--from DOMAIN] [--relay HOST] "
	    "[--to ADDR] [--cf SENDMAIL.CF] [-c FILE]\n"
	    "       relaymilter -k 'id=...; qid=...' [-c FILE]\n"
	    "       relaymilter -S [--cf SENDMAIL.CF] [-c FILE]  the relay "
	    "budget\n"
	    "       relaymilter -R [--cf SENDMAIL.CF] [--sendmail PATH] "
	    "[-c FILE]  release held mail (root)\n"
	    "       relaymilter -V | -P | -h\n");
}

static void
print_warnings(const strbuf *warn, bool to_log)
{
	char *copy, *line, *next;

	if (warn->len == 0 || (copy = strdup(warn->s)) == NULL)
		return;
	for (line = copy; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (to_log)
			log_msg(LOG_WARNING, NULL, "%s", line);
		else
			fprintf(stderr, "relaymilter: %s\n", line);
	}
	free(copy);
}

static void
print_versions(void)
{
	unsigned int ma, mi, pl;
	int sma, smi, spl;

	printf("relaymilter %s\n", RM_VERSION);
	if (smfi_version(&ma, &mi, &pl) == MI_SUCCESS)
		printf("libmilter %u.%u.%u (sendmail %s, SMFI_VERSION "
		    "0x%x)\n", ma, mi, pl, RM_MILTER_PKGVERSION,
		    SMFI_VERSION);
	SPF_get_lib_version(&sma, &smi, &spl);
	printf("libspf2 %d.%d.%d\n", sma, smi, spl);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libpsl %s, public suffix list: %s\n", psl_get_version(),
	    align_psl_source());
#ifdef HAVE_LIBSYSTEMD
	printf("systemd notification: yes\n");
#else
	printf("systemd notification: no\n");
#endif
}

static void
print_options(void)
{
	const struct opt_desc *o;
	size_t n, i;

	o = config_options(&n);
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\n", o[i].name,
		    config_type_name(o[i].type), o[i].def, o[i].doc);
}

static void
reload(void)
{
	struct snapshot_opts opt = { false, socket_override };
	struct rm_snapshot *s, *old;
	strbuf err, warn;

#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "RELOADING=1");
#endif
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(config_path, &opt, &s, &err, &warn) < 0) {
		log_msg(LOG_ERR, NULL, "reload failed, keeping the previous "
		    "configuration: %s", err.s);
	} else {
		print_warnings(&warn, true);
		old = snapshot_current();
		if (old != NULL && (strcmp(old->cfg->socket, s->cfg->socket) ||
		    strcmp(old->cfg->userid, s->cfg->userid) ||
		    old->cfg->dns_timeout != s->cfg->dns_timeout ||
		    old->cfg->spf_cache_ttl != s->cfg->spf_cache_ttl ||
		    old->cfg->spf_cache_size != s->cfg->spf_cache_size ||
		    strcmp(old->cfg->spf_test_zone, s->cfg->spf_test_zone) ||
		    old->cfg->syslog != s->cfg->syslog ||
		    old->cfg->syslog_facility != s->cfg->syslog_facility))
			log_msg(LOG_WARNING, NULL, "reload: changes to Socket, "
			    "UserID, Syslog, SyslogFacility, DNSTimeout, "
			    "SPFCacheTTL, SPFCacheSize and SPFTestZone take "
			    "effect at the next restart");
		snapshot_unref(old);
		snapshot_install(s);
		log_msg(LOG_INFO, NULL, "reloaded %s (generation %u)",
		    config_path, s->generation);
	}
	sb_free(&err);
	sb_free(&warn);
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "READY=1");
#endif
}

static void *
reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	/* a reload (a million-entry SenderMap takes a second of CPU) yields
	 * to the threads that answer sendmail: nice this thread only */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) == 0 && sig == SIGUSR1)
			reload();
	}
	return NULL;
}

/* The process-wide SPF checker, with the start-up configuration. */
static struct spfc *
spf_checker_new(const struct rm_config *cfg, strbuf *err)
{
	struct spfc *sc;
	strbuf msg;

	if ((sc = predict_checker_new(cfg, err)) == NULL)
		return NULL;
	/* prove that libspf2's fatal errors unwind instead of aborting */
	sb_init(&msg);
	if (spfc_selftest_error_handler(&msg) < 0)
		log_msg(LOG_WARNING, NULL, "libspf2 error handler self-test "
		    "failed: %s", msg.s);
	sb_free(&msg);
	return sc;
}

/*
 * How long the stop waits for callbacks in flight: a message's work at end
 * of message is bounded by one DNSTimeout (README "DNS time is bounded");
 * twice that and 5 s more covers the rest, and stays below the unit's
 * TimeoutStopSec=20s with the default DNSTimeout.
 */
static unsigned
stop_wait_ms(const struct rm_config *cfg)
{
	unsigned long ms = (unsigned long)cfg->dns_timeout * 2000UL + 5000UL;

	return ms > 600000UL ? 600000U : (unsigned)ms;
}

static int
verify_trace(const char *value)
{
	struct rm_config *cfg;
	struct tag_key key;
	strbuf err;
	time_t when;
	char ts[64];
	int rc;

	sb_init(&err);
	if (config_load(config_path, &cfg, &err) < 0 ||
	    tag_key_load(cfg->trace_key_file, false, &key, &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		sb_free(&err);
		return 2;
	}
	rc = tag_verify(&key, value, &when);
	tag_key_wipe(&key);
	config_free(cfg);
	sb_free(&err);
	if (rc < 0) {
		fprintf(stderr, "relaymilter: not a trace header value "
		    "(expected \"id=ID; qid=QUEUEID\")\n");
		return 2;
	}
	if (rc == 0) {
		printf("NOT GENUINE: this id was not made with this key\n");
		return 1;
	}
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S %z", localtime(&when));
	printf("genuine: made by this relaymilter at %s\n", ts);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'F' },
		{ "relay", required_argument, NULL, 1001 },
		{ "cf", required_argument, NULL, 'C' },
		{ "to", required_argument, NULL, 'O' },
		{ "sendmail", required_argument, NULL, 1002 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rm_config *cfg;
	struct rm_snapshot *snap;
	struct spfc *spf;
	struct snapshot_opts sopt = { false, NULL };
	bool foreground = false, check = false, status = false;
	bool release = false, cf_given = false;
	const char *test_sender = NULL, *test_from = NULL, *test_relay = NULL;
	const char *test_to = NULL;
	const char *test_cf = "/etc/mail/sendmail.cf";
	const char *sendmail_path = "/usr/sbin/sendmail";
	const char *verify = NULL;
	const char *sockpath;
	strbuf err, warn;
	sigset_t set;
	pthread_t rt;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:p:fnVPT:k:hSR", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'p': socket_override = optarg; break;
		case 'f': foreground = true; break;
		case 'n': check = true; break;
		case 'V': print_versions(); return 0;
		case 'P': print_options(); return 0;
		case 'T': test_sender = optarg; break;
		case 'F': test_from = optarg; break;
		case 1001: test_relay = optarg; break;
		case 'C': test_cf = optarg; cf_given = true; break;
		case 1002: sendmail_path = optarg; break;
		case 'S': status = true; break;
		case 'R': release = true; break;
		case 'O': test_to = optarg; break;
		case 'k': verify = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (verify != NULL)
		return verify_trace(verify);
	if (status)
		return statusmode_run(config_path, test_cf);
	if (release) {
		struct release_opts ro = { config_path,
		    cf_given ? test_cf : NULL, sendmail_path, false };

		return release_run(&ro);
	}
	if (test_sender != NULL)
		return testmode_run(config_path, test_sender, test_from,
		    test_relay, test_cf, test_to);

	if (check)
		return checkmode_run(config_path, socket_override, test_cf);

	/*
	 * SIGUSR1 (reload) is blocked from the very start: one that comes
	 * while the daemon starts (the PidFile exists before the snapshot is
	 * loaded) would kill it; blocked, it stays pending and the reload
	 * thread takes it once start-up is done.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	sb_init(&err);
	sb_init(&warn);
	if (config_load(config_path, &cfg, &err) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		return 1;
	}

	if (log_open("relaymilter", rm_facility_names[cfg->syslog_facility],
	    cfg->syslog) < 0) {
		fprintf(stderr, "relaymilter: cannot open the log\n");
		return 1;
	}
	if (socket_override != NULL) {
		char *s = strdup(socket_override);

		if (s == NULL)
			daemon_die("out of memory");
		free(cfg->socket);
		cfg->socket = s;
	}
	if (!foreground)
		daemon_detach();
	signal(SIGPIPE, SIG_IGN);

	if (milter_register() < 0)
		daemon_die("smfi_register failed");
	if (smfi_setconn(cfg->socket) != MI_SUCCESS)
		daemon_die("bad Socket '%s'", cfg->socket);
	umask((mode_t)cfg->umask);
	sockpath = daemon_socket_path(cfg->socket);
	/* libmilter unlinks an existing socket: never take a live one over */
	if (sockpath != NULL && daemon_socket_in_use(sockpath))
		daemon_die("%s is in use: another relaymilter (or milter) "
		    "listens there; stop it first, or choose another Socket",
		    sockpath);
	if (smfi_opensocket(true) != MI_SUCCESS)
		daemon_die("cannot open the socket %s (does its directory exist, is "
		    "another relaymilter running?)", cfg->socket);
	daemon_made_socket(sockpath);
	daemon_write_pidfile(cfg->pidfile);
	daemon_drop_privileges(cfg, sockpath);

	sopt.socket = socket_override;
	if (snapshot_build(cfg, &sopt, &snap, &err, &warn) < 0)
		daemon_die("%s", err.s);
	print_warnings(&warn, true);
	if (foreground)
		print_warnings(&warn, false);
	snapshot_install(snap);
	if ((spf = spf_checker_new(snap->cfg, &err)) == NULL)
		daemon_die("%s", err.s);
	milter_set_spf(spf);

	/*
	 * Block the signals before any thread exists, so that every thread
	 * inherits the mask: SIGUSR1 is then taken by the reload thread only,
	 * and SIGTERM/SIGINT/SIGHUP by libmilter's own signal thread (which
	 * stops smfi_main), never by a thread that would die of them.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&rt, NULL, reload_thread, NULL) != 0)
		daemon_die("cannot start the reload thread");
	/* the relay budget: its counts read back, its thread (which keeps
	 * them on disk and hands held mail to the releaser); after the
	 * signal mask, like every thread */
	if (budgetd_start(snap, &err) < 0)
		daemon_die("%s", err.s);

	log_msg(LOG_INFO, NULL, "relaymilter %s starting on %s (uid %u)",
	    RM_VERSION, snap->cfg->socket, (unsigned)geteuid());
	daemon_started();
	rc = smfi_main();
	log_msg(LOG_INFO, NULL, "relaymilter stopping");
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	/*
	 * libmilter does not join its session threads: one may still be in
	 * a callback (waiting on DNS at end of message). Let those finish
	 * (one DNSTimeout bounds a message) before freeing what they read;
	 * the reload thread goes first, so no new snapshot appears.
	 */
	pthread_cancel(rt);
	pthread_join(rt, NULL);
	{
		struct rm_snapshot *now = snapshot_current();
		unsigned busy = 0, limit_ms = now != NULL ?
		    stop_wait_ms(now->cfg) : 9000;

		snapshot_unref(now);

		if (milter_quiesce(limit_ms, &busy) < 0) {
			log_msg(LOG_ERR, NULL, "%u session(s) still inside a "
			    "callback after %u ms: exiting without freeing "
			    "their state", busy, limit_ms);
			budgetd_stop(false);	/* the counts still reach the disk */
			log_close();
			_exit(rc == MI_SUCCESS ? 0 : 1);
		}
	}
	budgetd_stop(true);
	milter_set_spf(NULL);
	spfc_free(spf);
	snapshot_shutdown();
	sb_free(&err);
	sb_free(&warn);
	log_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
