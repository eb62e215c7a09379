/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_private.h: the parts of the DNR that need no socket, for dnr.c, the
 * unit tests and the fuzz target: the check of an answer against the
 * request it claims to answer (dnr_msg.c) and the answer cache
 * (dnr_cache.c).  Both are pure: no locks, no logs.
 */
#ifndef TEGAMI_DNR_DNR_PRIVATE_H
#define TEGAMI_DNR_DNR_PRIVATE_H

#include "lib/compat.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dnr/dnr.h"

/* What dnr_msg_check found in an answer. */
struct dnr_msg_info {
	unsigned	rcode;		/* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN... */
	bool		tc;		/* truncated: ask again over TCP */
	bool		ad;		/* authenticated data */
	unsigned	n_type;		/* answer records of the asked type */
	uint32_t	ttl;		/* how long to cache it, s (bounded) */
};

/* Is ans (len bytes) an answer to the query id for name (lower case, no
 * trailing dot) and rr type, class IN?  0 and *info_r filled, or -1 when
 * it is not an answer to that question (wrong id, question, malformed
 * header or records): the DNR drops it.  The TTL is the smallest of the
 * records of the answer section (positive) or min(SOA TTL, SOA minimum)
 * of the authority section (negative; DNR_NEG_TTL_DEFAULT without SOA),
 * capped at DNR_TTL_MAX / DNR_NEG_TTL_MAX. */
int	dnr_msg_check(const unsigned char *ans, size_t len, uint16_t id,
	    const char *name, int type, struct dnr_msg_info *info_r);

/* The final status of a checked answer: OK, NODATA, NOTFOUND, TEMPFAIL
 * (SERVFAIL) or ERROR (REFUSED, FORMERR...). */
enum dnr_status dnr_msg_status(const struct dnr_msg_info *info);

/* May another server give a better answer (SERVFAIL, REFUSED, NOTIMP)? */
bool	dnr_msg_retry(const struct dnr_msg_info *info);

/* The query for name and type with id (RD and AD set, EDNS0 with a UDP
 * size of DNR_RAW_MAX) into q_r (size bytes); its length, or 0 when name
 * cannot be put in a query. */
size_t	dnr_msg_query(const char *name, int type, uint16_t id,
	    unsigned char *q_r, size_t size);

/* Lower-cases name into out (DNR_NAME_MAX + 1 bytes) without a trailing
 * dot; -1 when it is no domain name (empty label, label over 63 bytes,
 * white space or control bytes, longer than DNR_NAME_MAX). */
int	dnr_name_norm(const char *name, char *out);

/* ---- cache ---------------------------------------------------------------*/

struct dnr_cache;

struct dnr_cache *dnr_cache_new(size_t max);
void	dnr_cache_free(struct dnr_cache **cp);
/* Keeps a copy of the answer (status OK, NODATA or NOTFOUND) for ttl
 * seconds from now; ttl 0 keeps nothing.  When the cache holds max
 * entries an expired one goes, or else the oldest. */
void	dnr_cache_put(struct dnr_cache *c, const char *name, int type,
	    enum dnr_status st, const unsigned char *ans, size_t len,
	    bool ad, uint32_t ttl, time_t now);
/* The cached answer, copied into ans_r (size bytes): true, or false when
 * there is none that is still valid at now (an expired one is removed). */
bool	dnr_cache_get(struct dnr_cache *c, const char *name, int type,
	    time_t now, enum dnr_status *st_r, unsigned char *ans_r,
	    size_t size, size_t *len_r, bool *ad_r);
size_t	dnr_cache_count(const struct dnr_cache *c);
void	dnr_cache_clear(struct dnr_cache *c);

#endif
