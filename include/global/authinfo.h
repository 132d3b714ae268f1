/*
 * authinfo.h - sendmail's authinfo text source: the relay account per smarthost
 *
 * CONTRACT
 *	Reads the file makemap turns into authinfo.db (FEATURE(`authinfo')) or
 *	the AuthInfo: lines of an access map: "AuthInfo:host" (or a bare
 *	"AuthInfo:" default) followed by "TDvalue" tokens in double quotes, T
 *	one of U I P R M (any case), D ":" for text or "=" for base64, exactly
 *	as sendmail's getauth() accepts them (domain-facts §1.4). A missing I:
 *	is taken from U: (and the other way round), as sendmail does; an entry
 *	without U:/I: or without P:, an unknown tag, an unquoted token, bad
 *	base64 or a duplicate key is an error naming file and line. Lines with
 *	other tags (Connect:, To:, ...) are skipped: they belong to an access
 *	map.
 *
 *	Secrets: the password is decoded only to validate it and then wiped,
 *	unless AUTHINFO_KEEP_SECRET is given (relaymilter-doctor --auth): then
 *	it is kept in the entry and wiped by authinfo_free(). The whole input
 *	buffer is wiped before authinfo_load() returns. Nothing here logs or
 *	prints a password, not even in an error message.
 *
 *	Lookup mirrors sendmail: "AuthInfo:<server name>" (the {rcpt_host}
 *	with brackets and a trailing dot removed, case-folded), then the bare
 *	"AuthInfo:" default. Keys are kept as written (case-folded, as makemap
 *	does), so a key sendmail would never match ("AuthInfo:[host]",
 *	"AuthInfo:host.") does not match here either; authinfo_key_unusable()
 *	says so, for a warning.
 */
#ifndef RM_AUTHINFO_H
#define RM_AUTHINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define AUTHINFO_KEEP_SECRET	0x01

struct authinfo_entry {
	char		*host;		/* "" for the default entry */
	char		*user;		/* U: (authorization id) */
	char		*authid;	/* I: (authentication id: the account) */
	char		*realm;		/* R: or NULL */
	char		*mechs;		/* M: or NULL */
	char		*password;	/* only with AUTHINFO_KEEP_SECRET */
	size_t		 password_len;
	bool		 authid_missing;	/* I: absent, copied from U: */
	bool		 user_missing;		/* U: absent, copied from I: */
	unsigned	 line;
};

struct authinfo {
	char			*path;
	struct authinfo_entry	*v;
	size_t			 n;
	unsigned		 skipped;	/* non-AuthInfo lines */
};

int	authinfo_load(const char *path, unsigned flags, struct authinfo **out,
	    strbuf *err);
/* Parse text (wiped before return) under the name used in messages. */
int	authinfo_parse(const char *name, char *text, size_t len,
	    unsigned flags, struct authinfo **out, strbuf *err);
void	authinfo_free(struct authinfo *ai);
/* The entry sendmail would use for a connection to server (a {rcpt_host}
 * value such as "[smtp.gmail.com]" or a name); NULL when none applies. */
const struct authinfo_entry *
	authinfo_lookup(const struct authinfo *ai, const char *server);
/* Why sendmail can never use this entry's key, or NULL when it can. */
const char *authinfo_key_unusable(const struct authinfo_entry *e);
/* "smtp.gmail.com" from "[smtp.gmail.com.]": malloc'ed, NULL on ENOMEM. */
char	*authinfo_server_key(const char *server);

#endif
