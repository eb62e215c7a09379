/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h: logins, shared by every module that asks for a password (POP, IMAP,
 * SMTP AUTH, the CLI, WebUser).  One place decides (Bn: the behaviours of
 * docs/behaviour.md):
 *
 *  1. Protection (B5): with [Reject all Logins from Non-Client Addresses]
 *     (Protection setting RejectNonClientLogins = YES) a peer outside
 *     [Client IP Addresses] is refused with "access from your network is
 *     denied" -- except from 127.0.0.1 / ::1, so the administrator can always
 *     repair the setting locally.
 *  2. The login domain (B10): a name without '@' or '%' takes the domain
 *     that owns the local address the client connected to; when no domain
 *     owns it the login fails with "unassigned local network address".
 *  3. The Router (B1, B2): the name is routed in the Access context; it must
 *     end at a local account, whose password and rights then apply.
 *  4. The password: clear-text check, or CRAM-MD5 / APOP against a password
 *     stored in clear.
 *  5. Failed-login flow control.  Failures are counted per (account,
 *     client address) and per client address, never per account alone, so
 *     an attacker cannot lock a user out of the addresses the user logs in
 *     from:
 *     - past N failures of one account from one address within the period
 *       (the account setting FailedLoginFlow = (N, period), default
 *       (10, 1m)) that account is refused from that address for the rest of
 *       the period with AUTH_FLOW_ERROR; a correct password from any other
 *       address works;
 *     - past N failures from one address, whatever the names (Protection
 *       setting TempBlacklistFailedLogins = (N, period), default (20, 10m);
 *       N 0 turns it off), the address becomes a Temporary Blacklisted IP
 *       Address for TempBlacklistTime (default 15m): every login from it is
 *       refused with AUTH_BLACKLISTED_ERROR, and SMTP refuses its
 *       connections.  GetTempBlacklistedIPs / SetTempBlacklistedIPs show
 *       and change the list.
 *     Each failure also slows its own answer (AUTH_FAIL_DELAY_MS per recent
 *     failure).  127.0.0.1, ::1 and Unix sockets are never counted per
 *     address or blacklisted (the administrator can always repair things
 *     locally, as in step 1), nor are Client IP Addresses blacklisted.
 *
 * Clear-text passwords (USER/PASS, IMAP LOGIN, AUTH PLAIN/LOGIN) need TLS
 * unless the client is in ClearTextLoginIPs (Protection, default loopback)
 * or AllowClearTextLogins = YES: auth_clear_text_ok() decides, and the SASL
 * engine (auth/sasl.h) offers and accepts those methods by it for SMTP, POP
 * and IMAP alike.  CRAM-MD5 and APOP
 * never send the password and stay available on clear connections.
 *
 * Unknown account and wrong password give the same error text
 * AUTH_GENERIC_ERROR.  Nothing here writes to the network; the caller maps
 * err_r to its protocol and logs (err_r->msg is safe to show the peer).
 */
#ifndef TEGAMI_AUTH_AUTH_H
#define TEGAMI_AUTH_AUTH_H

#include "lib/compat.h"

#include <sys/socket.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/iplist.h"

struct buf;
struct log_session;
struct server;

#define AUTH_GENERIC_ERROR	"incorrect password or account name"
#define AUTH_DENIED_ERROR	"access from your network is denied"
#define AUTH_UNASSIGNED_ERROR	"unassigned local network address"
#define AUTH_FLOW_ERROR		"too many failed logins, try later"
#define AUTH_BLACKLISTED_ERROR	"your address is temporarily blacklisted, try later"
#define AUTH_FAIL_DELAY_MS	200	/* per recent failure, before answering */
#define AUTH_FAIL_DELAY_MAX_MS	3000

struct auth_peer {
	const struct sockaddr	*local;		/* address the client connected to */
	const struct sockaddr	*remote;	/* the client */
	bool			 tls;		/* connection is encrypted */
	const char		*service;	/* "IMAP", "POP", "SMTP", "PWD" ... */
	const struct log_session *log;	/* the session's log, for the record
					 * of a blacklisting; NULL: SYSTEM */
};

struct auth_result {
	char	account[OBJECT_NAME_MAX + 1];	/* canonical account name */
	char	domain[DOMAIN_NAME_MAX + 1];	/* canonical domain */
	char	address[ADDRESS_MAX + 1];	/* "account@domain" */
	bool	master;				/* server administrator */
};

/* Checks peer-level rules only (step 1 and the temporary blacklist), e.g.
 * before offering a login prompt.  0, or -1 with ERR_PERM
 * AUTH_DENIED_ERROR or ERR_LIMIT AUTH_BLACKLISTED_ERROR. */
int	auth_check_peer(struct server *srv, const struct auth_peer *peer,
	    struct error *err_r);

/* Steps 1-3 without a password: the account a login name reaches.
 * -1 with ERR_PERM (denied, unassigned) or ERR_AUTH (generic). */
int	auth_resolve(struct server *srv, const struct auth_peer *peer,
	    const char *name, struct auth_result *res, struct error *err_r);

/* Clear-text login (USER/PASS, LOGIN, AUTH PLAIN/LOGIN).  0, or -1 with
 * ERR_PERM, ERR_AUTH (generic text) or ERR_LIMIT (flow control).  May sleep
 * (flow control). */
int	auth_login(struct server *srv, const struct auth_peer *peer,
	    const char *name, const char *password, struct auth_result *res,
	    struct error *err_r);

/*
 * auth_login() for protocols that send the password with every request (HTTP
 * Basic: WebAdmin scripts, JMAP clients).  A yescrypt check costs tens of
 * milliseconds, so a login that succeeded is remembered (auth_cache.c) as a
 * keyed hash of (local address, remote address, name, password) with the
 * objects' change epoch and its result, for AUTH_CACHE_SECS.  A hit checks
 * the peer rules again (auth_check_peer: B5, the blacklists) and is taken
 * only while no object changed since (objects_change_epoch): a changed
 * password, a renamed or deleted account or a changed right is honoured at
 * the next request.  Failures are never remembered, so they all go through
 * auth_login() and its flow control.  Same returns as auth_login().
 */
int	auth_login_cached(struct server *srv, const struct auth_peer *peer,
	    const char *name, const char *password, struct auth_result *res,
	    struct error *err_r);

/* CRAM-MD5 (RFC 2195): response_hex = hex HMAC-MD5(password, challenge). */
int	auth_login_cram_md5(struct server *srv, const struct auth_peer *peer,
	    const char *name, const char *challenge, const char *response_hex,
	    struct auth_result *res, struct error *err_r);

/* APOP (RFC 1939): digest_hex = hex MD5(timestamp + password). */
int	auth_login_apop(struct server *srv, const struct auth_peer *peer,
	    const char *name, const char *timestamp, const char *digest_hex,
	    struct auth_result *res, struct error *err_r);

/* Whether to offer CRAM-MD5 (and other challenge-response methods) to a
 * client connected to local: the domain owning that address (else the main
 * domain) must list "CRAM-MD5" in its AUTHMethods setting.  The default
 * "All" means every method that works with hashed passwords (PLAIN, LOGIN):
 * clients try CRAM-MD5 first when offered, and it can only succeed for
 * passwords stored in clear, so offering it by default would make every
 * normal login fail once.  Clients may still use it unadvertised. */
bool	auth_offer_cram_md5(struct server *srv, const struct sockaddr *local);

/* Whether a clear-text password may be taken from this peer: over TLS,
 * from an address in the Protection setting ClearTextLoginIPs (default
 * "127.0.0.0/8,::1"; Unix sockets count as local), or anywhere when
 * AllowClearTextLogins = YES.  Module settings may only be stricter
 * (SMTP RequireTLSForAUTH, IMAP RequireTLS). */
bool	auth_clear_text_ok(struct server *srv, const struct auth_peer *peer);

/* ---- Temporary Blacklisted IP Addresses (auth_tempbl.c) ---- */

/* Whether the address is blacklisted now; *left_r (may be NULL) gets the
 * seconds left.  Unix sockets never are. */
bool	auth_tempbl_check(const struct sockaddr *sa, unsigned *left_r);
/* Blacklists a for seconds (capped at AUTH_TEMPBL_TIME_MAX; an address
 * already listed gets the new time; 0 removes it).  -1 with ERR_LIMIT when
 * AUTH_TEMPBL_MAX addresses are listed. */
int	auth_tempbl_add(const struct ipaddr *a, unsigned seconds,
	    struct error *err_r);
/* Removes a and forgets its failed logins; false if it was not listed. */
bool	auth_tempbl_remove(const struct ipaddr *a);
/* Appends "1.2.3.4-123,5.6.7.8-45" (seconds left) to out. */
void	auth_tempbl_format(struct buf *out);
size_t	auth_tempbl_count(void);
/* Tests: empties the list and the failure records. */
void	auth_tempbl_reset(void);
/* Whether a new connection from sa is to be refused at once: the address is
 * temporarily blacklisted and is neither the server itself nor one of the
 * Client IP Addresses.  *left_r (may be NULL) gets the seconds left. */
bool	auth_tempbl_refuse(struct server *srv, const struct sockaddr *sa,
	    unsigned *left_r);
/* The Protection setting TempBlacklistTime in seconds (default 15m). */
unsigned auth_tempbl_default_time(struct server *srv);

/* One item of SetTempBlacklistedIPs text. */
struct auth_tempbl_item {
	struct ipaddr	addr;
	long		seconds;	/* -1: not given (the default time) */
};
/* Parses "address[-seconds]" items separated by ',', blanks or line ends
 * (pure: no I/O, no globals).  At most max items; -1 with ERR_SYNTAX
 * naming the bad item, or ERR_LIMIT. */
int	auth_tempbl_parse(const char *text, size_t len,
	    struct auth_tempbl_item *items, size_t max, size_t *n_r,
	    struct error *err_r);

/* A fresh challenge "<random.time@host>" for CRAM-MD5 and APOP banners. */
void	auth_make_challenge(const char *host, char *buf, size_t size);

/* SASL helpers below the engine of auth/sasl.h: RFC 4616 PLAIN decoding
 * (b64 is the client's base64 text; 0, or -1 with ERR_SYNTAX). */
int	sasl_plain_decode(const char *b64, char *authzid, size_t azsize,
	    char *user, size_t usize, char *pass, size_t psize,
	    struct error *err_r);
/* Base64 of len bytes / decoding into buf (NUL-terminated); -1 on bad
 * input or too small a buffer. */
int	sasl_b64_encode(const void *p, size_t len, char *buf, size_t size);
int	sasl_b64_decode(const char *b64, char *buf, size_t size,
	    size_t *len_r);

/* The Protection settings logins read (auth_settings.c). */
struct settings_table;
extern const struct settings_table auth_settings_table;

#endif
