/*
 * probeaddr.c - the probe's addresses: with a port, this host's
 *
 * CONTRACT
 *	See probe_int.h (the text form of an address is
 *	sockaddr_ntop(), netlist.h). IPv4 and IPv6 only: pr_set_port() takes
 *	anything that is not AF_INET for AF_INET6. pr_addr_is_local() is
 *	true for loopback (127/8, ::1) and for an address of one of this
 *	host's interfaces, false when the interfaces cannot be listed.
 *	pr_addr_is_loopback() is true for 127/8, ::1 and ::ffff:127/104 only.
 *	pr_own_name() is NULL only when out of memory; it falls back to the
 *	short name, then to "localhost".
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_int.h"

void
pr_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

bool
pr_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		/* ::ffff:127.x.y.z */
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool
pr_addr_is_local(const struct sockaddr *sa)
{
	struct ifaddrs *ifa = NULL, *i;
	bool local = false;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		if ((ntohl(s->sin_addr.s_addr) >> 24) == 127)
			return true;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return true;
	}
	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL && !local; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
		    sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET)
			local = memcmp(&((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr,
			    &((const struct sockaddr_in *)(const void *)sa)->
			    sin_addr, 4) == 0;
		else
			local = memcmp(&((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr,
			    &((const struct sockaddr_in6 *)(const void *)sa)->
			    sin6_addr, 16) == 0;
	}
	freeifaddrs(ifa);
	return local;
}

/* This host's name as sendmail would say it in EHLO. */
char *
pr_own_name(void)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	char *name;

	if (gethostname(host, sizeof(host)) < 0)
		return strdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') != NULL)
		return strdup(host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && strchr(res->ai_canonname, '.')) {
		name = strdup(res->ai_canonname);
		freeaddrinfo(res);
		return name;
	}
	if (res != NULL)
		freeaddrinfo(res);
	return strdup(host);
}
