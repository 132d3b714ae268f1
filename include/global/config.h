/*
 * config.h - relaymilter.conf: the one typed option table, and its parser
 *
 * CONTRACT
 *	RM_OPTIONS below is the only place where option names, types,
 *	defaults and one-line descriptions are written. The struct fields,
 *	the parser, `relaymilter -P`, the sample configuration check and the
 *	man page check are all derived from it.
 *
 *	The file holds "Name value" lines; names are case-insensitive; "#"
 *	starts a comment at the beginning of a line or after white space.
 *	List options may be given on several lines (values accumulate); any
 *	other option given twice is an error. Every error names the file and
 *	the line: "FILE:LINE: what is wrong".
 *
 *	config_load() only checks syntax and types. Files named by options are
 *	read by snapshot.c, which reports their errors with their own
 *	file:line.
 */
#ifndef RM_CONFIG_H
#define RM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct strlist {
	char	**v;
	size_t	  n;
	unsigned *at;		/* RULES: the line of each entry; else NULL */
};

enum { ON_TEMPFAIL = 0, ON_ACCEPT = 1 };
enum { HFROM_NO = 0, HFROM_YES, HFROM_UNALIGNED };
/* AlignmentMode holds align.h's enum align_mode (relaxed 0, strict 1) */
enum { ACT_NONE = 0, ACT_TAG, ACT_TEMPFAIL, ACT_REJECT };
enum { RPROF_AUTO = 0, RPROF_GMAIL, RPROF_WSRELAY, RPROF_SENDGRID,
	RPROF_PASSTHROUGH };
enum { OVER_HOLD = 0, OVER_TEMPFAIL, OVER_TAG, OVER_NONE };

/*
 * X(ID, "Name", TYPE, field, "default", max, enumvalues, "description")
 *	TYPE: STRING, PATH (a file that must be readable), ADDR (an e-mail
 *	address), BOOL, UINT, OCTAL, DURATION (seconds; s/m/h/d suffixes),
 *	ENUM (index into enumvalues), LIST (words separated by white space or
 *	commas; a single word starting with "/" names a file of words, one
 *	per line), RULES (each line one entry, kept whole with its line
 *	number and checked when read: RelayLimit, relaylimit.h). max bounds
 *	UINT/OCTAL/DURATION values (0: unbounded).
 */
#define RM_OPTIONS(X) \
X(SOCKET, "Socket", STRING, socket, \
    "local:/run/relaymilter/relaymilter.sock", 0, NULL, \
    "milter socket: local:/path, inet:port@host or inet6:port@host") \
X(USERID, "UserID", STRING, userid, "", 0, NULL, \
    "user[:group] to run as after the socket is open") \
X(UMASK, "UMask", OCTAL, umask, "007", 0777, NULL, \
    "umask applied when the socket and other files are created") \
X(PIDFILE, "PidFile", STRING, pidfile, "", 0, NULL, \
    "file to write the process id to (none when empty)") \
X(SYSLOG, "Syslog", BOOL, syslog, "yes", 0, NULL, \
    "log to syslog (no: log to standard error)") \
X(SYSLOGFACILITY, "SyslogFacility", ENUM, syslog_facility, "mail", 0, \
    rm_facility_names, "syslog facility") \
X(AUTHINFOFILE, "AuthInfoFile", PATH, authinfo_file, "", 0, NULL, \
    "sendmail's authinfo text source; its I: values are the relay accounts") \
X(RELAYACCOUNT, "RelayAccount", ADDR, relay_account, "", 0, NULL, \
    "relay account address; overrides AuthInfoFile") \
X(SENDERMAP, "SenderMap", PATH, sender_map, "", 0, NULL, \
    "genericstable-style map: key (user@domain, user+*@domain, @domain, user) and new sender") \
X(ALLOWEDSENDERS, "AllowedSenders", LIST, allowed_senders, "", 0, NULL, \
    "addresses and @domains kept as they are (verified Send-as aliases, Workspace domains)") \
X(LOCALDOMAINS, "LocalDomains", LIST, local_domains, "", 0, NULL, \
    "domains whose senders are also looked up by bare local part ($j always is)") \
X(RELAYMAILERS, "RelayMailers", LIST, relay_mailers, \
    "relay esmtp smtp smtp8 dsmtp", 0, NULL, \
    "sendmail mailers ({rcpt_mailer}) that mean the message leaves via the relay") \
X(TRUSTEDNETWORKS, "TrustedNetworks", LIST, trusted_networks, \
    "127.0.0.0/8 ::1", 0, NULL, \
    "client networks (CIDR, IPv4 and IPv6) whose senders may be rewritten") \
X(TRUSTAUTHENTICATED, "TrustAuthenticated", BOOL, trust_authenticated, \
    "yes", 0, NULL, \
    "also trust clients that authenticated to sendmail ({auth_authen} set)") \
X(REWRITEHEADERFROM, "RewriteHeaderFrom", ENUM, rewrite_header_from, "no", \
    0, rm_hfrom_names, \
    "rewrite the From: header to the new sender: no, yes, or unaligned (only when not aligned)") \
X(TRACEHEADER, "TraceHeader", STRING, trace_header, "X-Relay-Trace", 0, \
    NULL, "name of the trace header (empty: no header)") \
X(TRACEKEYFILE, "TraceKeyFile", STRING, trace_key_file, \
    "/var/lib/relaymilter/trace.key", 0, NULL, \
    "HMAC key of the trace ids; created mode 0600 when missing") \
X(ONINTERNALERROR, "On-InternalError", ENUM, on_internal_error, \
    "tempfail", 0, rm_on_names, \
    "what to do with the message on an internal error: tempfail or accept") \
X(DRYRUN, "DryRun", BOOL, dry_run, "no", 0, NULL, \
    "decide and log, change nothing") \
X(SPFRELAYADDRESS, "SPFRelayAddress", LIST, spf_relay_address, "", 0, NULL, \
    "addresses the recipient's MX sees (relay egress) for the SPF check; \"google\" = 209.85.220.41 2607:f8b0:4864:20::841; empty: no SPF check") \
X(SPFDOMAINS, "SPFDomains", LIST, spf_domains, "", 0, NULL, \
    "further envelope domains whose SPF may be checked (besides those the rewrite and the config produce)") \
X(ALIGNMENTMODE, "AlignmentMode", ENUM, alignment_mode, "relaxed", 0, \
    rm_align_names, "DMARC alignment of From: with the envelope: relaxed or strict") \
X(SPFFAILACTION, "SPFFailAction", ENUM, spf_fail_action, "tag", 0, \
    rm_action_names, "when SPF would not pass at the relay: none, tag, tempfail or reject") \
X(MISALIGNEDACTION, "MisalignedAction", ENUM, misaligned_action, "tag", 0, \
    rm_action_names, "when From: is not aligned: none, tag, tempfail or reject") \
X(ONDNSERROR, "On-DNSError", ENUM, on_dns_error, "accept", 0, rm_on_names, \
    "what to do when DNS fails during the SPF or DMARC check: tempfail or accept") \
X(DNSTIMEOUT, "DNSTimeout", DURATION, dns_timeout, "2", 30, NULL, \
    "bound on the DNS time of one message's SPF, DMARC and DKIM key lookups (keep below sendmail's milter R: timeout)") \
X(SPFCACHETTL, "SPFCacheTTL", DURATION, spf_cache_ttl, "1h", 86400, NULL, \
    "how long an SPF verdict (per domain and address) and a DMARC or DKIM key record are cached") \
X(SPFCACHESIZE, "SPFCacheSize", UINT, spf_cache_size, "10000", 10000000, \
    NULL, "most SPF verdicts kept in the cache (and as many DMARC and DKIM key records)") \
X(RELAYPROFILE, "RelayProfile", ENUM, relay_profile, "auto", 0, \
    rm_relayprofile_names, \
    "what the relay does to the message (envelope, From:, DKIM): auto (by the smarthost's name), gmail, workspace-relay, sendgrid or passthrough") \
X(RELAYDKIM, "RelayDKIM", LIST, relay_dkim, "provider", 0, NULL, \
    "DKIM signatures the recipient will see: provider, none, account[:SELECTOR], from[:SELECTOR] or DOMAIN[:SELECTOR]") \
X(RELAYBOUNCEDOMAIN, "RelayBounceDomain", LIST, relay_bounce_domain, "", \
    0, NULL, \
    "envelope domains a relay that replaces the envelope uses for your domains (SendGrid: em1234.example.com); empty: its own") \
X(DMARCDOMAINS, "DMARCDomains", LIST, dmarc_domains, "", 0, NULL, \
    "further From: domains whose DMARC record may be looked up (besides those the rewrite and the config produce)") \
X(DMARCFAILACTION, "DMARCFailAction", ENUM, dmarc_fail_action, "tag", 0, \
    rm_action_names, \
    "when the recipient would apply a DMARC policy of quarantine or reject: none, tag, tempfail or reject") \
X(SPFTESTZONE, "SPFTestZone", PATH, spf_test_zone, "", 0, NULL, \
    "for tests: answer SPF, DMARC and DKIM key lookups from this zone file instead of DNS") \
X(RELAYLIMIT, "RelayLimit", RULES, relay_limit, "", 0, NULL, \
    "relay budget, one rule a line: [PRESET] [per=account|sender|relay] [relay=HOST] [WINDOW=N]... (presets gmail, workspace, workspace-relay, microsoft365; windows msgs/24h, rcpts/24h, msgs/min, rcpts/min, rcpts/msg)") \
X(LIMITWARN, "LimitWarn", UINT, limit_warn, "80", 100, NULL, \
    "log one warning when a relay budget window reaches this percentage of its limit (0: never)") \
X(OVERLIMITACTION, "OverLimitAction", ENUM, over_limit_action, "hold", 0, \
    rm_over_names, "mail over the relay budget: hold (kept in sendmail's queue, quarantined, released when the window has room), tempfail, tag or none (both only log)") \
X(STATEDIRECTORY, "StateDirectory", STRING, state_directory, \
    "/var/lib/relaymilter", 0, NULL, \
    "directory of the relay budget's counts (budget.state, kept across restarts) and of the releases (budget.released)") \
X(ALLOWROOT, "AllowRoot", BOOL, allow_root, "no", 0, NULL, \
    "allow running as root when UserID is not set")

#define CTYPE_STRING	char *
#define CTYPE_PATH	char *
#define CTYPE_ADDR	char *
#define CTYPE_BOOL	bool
#define CTYPE_UINT	unsigned long
#define CTYPE_OCTAL	unsigned long
#define CTYPE_DURATION	unsigned long
#define CTYPE_ENUM	int
#define CTYPE_LIST	struct strlist
#define CTYPE_RULES	struct strlist

enum opt_type {
	OT_STRING, OT_PATH, OT_ADDR, OT_BOOL, OT_UINT, OT_OCTAL, OT_DURATION,
	OT_ENUM, OT_LIST, OT_RULES
};

#define RM_OPT_ENUM(id, name, type, field, def, max, vals, doc) OPT_##id,
enum opt_id { RM_OPTIONS(RM_OPT_ENUM) OPT_COUNT };
#undef RM_OPT_ENUM

struct rm_config {
	char		*path;			/* file it was read from */
	unsigned	 line[OPT_COUNT];	/* where each option was set, 0: default */
#define RM_OPT_FIELD(id, name, type, field, def, max, vals, doc) \
	CTYPE_##type field;
	RM_OPTIONS(RM_OPT_FIELD)
#undef RM_OPT_FIELD
};

struct opt_desc {
	const char		*name;
	enum opt_type		 type;
	size_t			 offset;
	const char		*def;
	unsigned long		 max;
	const char *const	*values;	/* ENUM names, NULL-terminated */
	const char		*doc;
};

extern const char *const rm_facility_names[];
extern const char *const rm_hfrom_names[];
extern const char *const rm_on_names[];
extern const char *const rm_align_names[];
extern const char *const rm_action_names[];
extern const char *const rm_relayprofile_names[];
extern const char *const rm_over_names[];

const struct opt_desc	*config_options(size_t *count);
const char		*config_type_name(enum opt_type t);
/* Option by name (case-insensitive), NULL when unknown. */
const struct opt_desc	*config_option(const char *name);

/* A configuration with every default; NULL on allocation failure. */
struct rm_config	*config_defaults(void);
/* Read path over the defaults. -1 with "FILE:LINE: ..." in err. */
int			 config_load(const char *path, struct rm_config **out,
			    strbuf *err);
/* The same from text in memory (modified in place); path names it in
 * error messages. */
int			 config_parse(const char *path, char *text,
			    struct rm_config **out, strbuf *err);
/* Set one option as if read from path:line (used by -p and tests). */
int			 config_set(struct rm_config *cfg, const char *name,
			    const char *value, const char *path, unsigned line,
			    strbuf *err);
void			 config_free(struct rm_config *cfg);
/* "FILE:LINE" of an option, or "FILE (default)"; for error messages. */
void			 config_where(const struct rm_config *cfg,
			    enum opt_id id, strbuf *out);
/* The value of an option as text (lists joined by spaces). */
int			 config_value_text(const struct rm_config *cfg,
			    const struct opt_desc *d, strbuf *out);

#endif
