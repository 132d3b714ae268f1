/*
 * netlist.h - lists of IPv4/IPv6 networks (CIDR) and address matching
 *
 * CONTRACT
 *	netlist_add() accepts "192.0.2.0/24", "192.0.2.7", "2001:db8::/32",
 *	"::1", "[::1]" and "IPv6:2001:db8::1"; anything else is -1 with the
 *	reason in err. Host bits set below the prefix are an error too (a
 *	typo such as 192.168.1.5/16 is reported, not silently widened).
 *	Matching treats an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the
 *	IPv4 address a.b.c.d, so a v4 entry covers clients that sendmail or
 *	the kernel present in mapped form, and a v6 entry never matches a
 *	mapped v4 client by accident.
 */
#ifndef RM_NETLIST_H
#define RM_NETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util.h"

struct netlist;

struct netlist	*netlist_new(void);
void		 netlist_free(struct netlist *nl);
int		 netlist_add(struct netlist *nl, const char *spec, strbuf *err);
size_t		 netlist_count(const struct netlist *nl);
bool		 netlist_match_sa(const struct netlist *nl,
		    const struct sockaddr *sa);
/* Match an address in text form; false for text that is not an address. */
bool		 netlist_match_str(const struct netlist *nl, const char *ip);

/* Text form of a socket address ("192.0.2.1", "2001:db8::1"; mapped
 * addresses as IPv4). -1 for other families. */
int		 sockaddr_text(const struct sockaddr *sa, strbuf *out);
/* The same into buf (len >= INET6_ADDRSTRLEN holds any); -1 for other
 * families or a buffer too small. */
int		 sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t len);
/* Is this text an IPv4/IPv6 address? Sets *v6 (when v6 is not NULL); maps
 * ::ffff:a.b.c.d to v4 text in canon (when canon is not NULL). */
bool		 ip_parse_text(const char *s, bool *v6, strbuf *canon);
bool		 ip_is_loopback_text(const char *s);

#endif
