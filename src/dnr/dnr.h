/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr.h: the DNR module, the one DNS resolver of the server (CGP's Domain
 * Name Resolver).  Log module "DNR".
 *
 * One UDP socket is opened at dnr_start() (local port chosen by the system)
 * and used for every request while the server runs (B16); it is closed at
 * dnr_stop().  Queries are built and answers parsed with c-ares; the socket,
 * the request ids, the time-outs, the retries and the cache are the DNR's.
 * Answers are cached, positive and negative, for their TTL (bounded size).
 *
 * Settings: Settings/DNR.settings, changed with `UpdateModule DNR {...}` and
 * applied at once: Servers (array of "address" or "address:port" /
 * "[v6]:port"; absent: the system's /etc/resolv.conf), Timeout, Retries,
 * LogLevel.
 *
 * The calls below block the calling thread until the answer, a time-out or
 * dnr_stop(); they are thread-safe and may run from any session or delivery
 * thread at once (the number of requests in flight is bounded; past it a
 * caller waits for a slot).
 *
 * B15: an unknown name logs "DNR-<n>(<name>) <TYPE>:host name is unknown" at
 * the Problems level.
 */
#ifndef TEGAMI_DNR_DNR_H
#define TEGAMI_DNR_DNR_H

#include "lib/compat.h"

#include <sys/socket.h>

#include "lib/error.h"
#include "lib/settings.h"

struct server;

#define DNR_NAME_MAX	255	/* a domain name in text, no trailing dot */
#define DNR_MX_MAX	32	/* MX records kept per name */
#define DNR_ADDR_MAX	16	/* addresses kept per name and family */
#define DNR_TXT_MAX	1024	/* TXT text kept per name (strings joined) */
#define DNR_RAW_MAX	4096	/* a raw answer */

/* The result of a lookup. */
enum dnr_status {
	DNR_OK = 0,		/* records returned */
	DNR_NOTFOUND,		/* NXDOMAIN: the name does not exist */
	DNR_NODATA,		/* the name exists, no records of that type */
	DNR_TEMPFAIL,		/* time-out, SERVFAIL, no server answered */
	DNR_ERROR		/* bad name, refused, malformed answer; err_r */
};

struct dnr_mx {
	uint16_t	pref;
	char		host[DNR_NAME_MAX + 1];	/* "." for a null MX (RFC 7505) */
};

/* Settings/DNR.settings (dnr_settings.c; registered in server/modsettings.c).
 * Servers: "address", "address:port" or "[v6]:port" (port 53 if none); none
 * (or none usable): the nameservers of /etc/resolv.conf.  Timeout: one
 * attempt; Retries: attempts after the first, each to the next server. */
#define DNR_TIMEOUT_DEFAULT	5	/* s */
#define DNR_RETRIES_DEFAULT	3
struct dnr_conf {
	struct setting_words	 servers;
	uint64_t		 timeout;
	uint64_t		 retries;
};
extern const struct settings_table dnr_settings_table;
/* One Servers word: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53" (port 53
 * when none, else 1 to 65535).  0, or -1 when it is not one. */
int	dnr_parse_server(const char *s, struct sockaddr_storage *ss,
	    socklen_t *len_r);

/* Opens the socket, reads Settings/DNR.settings, starts the DNR thread and
 * adds the DNR settings to UpdateModule/GetModule.  Before any module that
 * resolves starts. */
int	dnr_start(struct server *srv, struct error *err_r);
/* Wakes every waiting caller with DNR_TEMPFAIL, stops, closes the socket. */
void	dnr_stop(void);

/* MX records of name, sorted by preference, equal preferences shuffled;
 * *n_r of them (at most max). */
enum dnr_status dnr_mx(const char *name, struct dnr_mx *mx_r, size_t max,
	    size_t *n_r, struct error *err_r);

/* A (family AF_INET), AAAA (AF_INET6) or both (AF_UNSPEC: AAAA first, then
 * A) addresses of name, port 0; *n_r of them (at most max). */
enum dnr_status dnr_addrs(const char *name, int family,
	    struct sockaddr_storage *addrs_r, size_t max, size_t *n_r,
	    struct error *err_r);

/* The PTR name of an address (the first one). */
enum dnr_status dnr_ptr(const struct sockaddr *sa, char *name_r,
	    size_t name_size, struct error *err_r);

/* The TXT strings of name, joined, NUL-terminated. */
enum dnr_status dnr_txt(const char *name, char *txt_r, size_t txt_size,
	    struct error *err_r);

/* The raw answer (the whole DNS message) for name and rr type, with the
 * AD bit of its header, for DANE and MTA-STS work. */
enum dnr_status dnr_raw(const char *name, int type, unsigned char *ans_r,
	    size_t ans_size, size_t *len_r, bool *ad_r, struct error *err_r);

/* RBL check: the address looked up as d.c.b.a.<zone> (IPv6 as nibbles).
 * DNR_OK: listed (A record present; the TXT, if any, in text_r);
 * DNR_NOTFOUND/DNR_NODATA: not listed. */
enum dnr_status dnr_rbl(const struct sockaddr *sa, const char *zone,
	    char *text_r, size_t text_size, struct error *err_r);

/* The text of a status, for logs and queue errors. */
const char	*dnr_status_text(enum dnr_status st);

#endif
