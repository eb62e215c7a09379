/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iplist.h: network address lists (Client IP Addresses, Blacklisted IPs,
 * Debug IPs, a domain's Assigned IP Addresses ...).  Text form, one entry a
 * line:
 *
 *   192.0.2.7             single address (IPv4 or IPv6)
 *   192.0.2.1-192.0.2.99  inclusive range
 *   10.0.0.0/8            address/bits (bits below the mask must be zero)
 *   !10.1.2.3             exclude from what the lines above built
 *   ; comment             to end of line; blank lines ignored
 *
 * Lines are applied in order: a later line overrides an earlier one for the
 * addresses it covers.  Entries may also be separated by ',' (CLI arrays).
 */
#ifndef TEGAMI_LIB_IPLIST_H
#define TEGAMI_LIB_IPLIST_H

#include "lib/compat.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/error.h"

struct iplist;

/* A parsed address: IPv4 is held as IPv4-mapped IPv6. */
struct ipaddr {
	uint8_t	b[16];
};

/* NULL with err_r naming the line on a bad entry. */
struct iplist	*iplist_parse(const char *text, size_t len, struct error *err_r);
void		 iplist_free(struct iplist **lp);
bool		 iplist_empty(const struct iplist *l);	/* NULL-safe */
bool		 iplist_match(const struct iplist *l, const struct ipaddr *a);
bool		 iplist_match_sa(const struct iplist *l, const struct sockaddr *sa);

int		 ipaddr_parse(const char *s, struct ipaddr *a_r);
void		 ipaddr_from_sa(const struct sockaddr *sa, struct ipaddr *a_r);
/* "1.2.3.4" or "::1" into buf (INET6_ADDRSTRLEN). */
void		 ipaddr_format(const struct ipaddr *a, char *buf, size_t size);
bool		 ipaddr_is_v4(const struct ipaddr *a);

#endif
