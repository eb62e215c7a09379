/*
 * auth.h: logins, shared by every module that asks for a password (POP, IMAP,
 * SMTP AUTH, the CLI, WebUser).  One place decides:
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
 *  5. Failed-login flow control (FailedLoginFlow = (N, period), account
 *     setting, default (10, 1m)): each failure slows the next answer; past N
 *     failures in the period, per account and per client address, logins are
 *     refused for the rest of the period with "too many failed logins, try
 *     later".
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

struct server;

#define AUTH_GENERIC_ERROR	"incorrect password or account name"
#define AUTH_DENIED_ERROR	"access from your network is denied"
#define AUTH_UNASSIGNED_ERROR	"unassigned local network address"
#define AUTH_FLOW_ERROR		"too many failed logins, try later"
#define AUTH_FAIL_DELAY_MS	200	/* per recent failure, before answering */
#define AUTH_FAIL_DELAY_MAX_MS	3000

struct auth_peer {
	const struct sockaddr	*local;		/* address the client connected to */
	const struct sockaddr	*remote;	/* the client */
	bool			 tls;		/* connection is encrypted */
	const char		*service;	/* "IMAP", "POP", "SMTP", "PWD" ... */
};

struct auth_result {
	char	account[OBJECT_NAME_MAX + 1];	/* canonical account name */
	char	domain[DOMAIN_NAME_MAX + 1];	/* canonical domain */
	char	address[ADDRESS_MAX + 1];	/* "account@domain" */
	bool	master;				/* server administrator */
};

/* Checks peer-level rules only (step 1), e.g. before offering a login
 * prompt.  0, or -1 with ERR_PERM AUTH_DENIED_ERROR. */
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

/* A fresh challenge "<random.time@host>" for CRAM-MD5 and APOP banners. */
void	auth_make_challenge(const char *host, char *buf, size_t size);

/* SASL helpers (RFC 4616 PLAIN, draft LOGIN).  b64 is the client's base64
 * text.  0, or -1 with ERR_SYNTAX. */
int	sasl_plain_decode(const char *b64, char *authzid, size_t azsize,
	    char *user, size_t usize, char *pass, size_t psize,
	    struct error *err_r);
/* Base64 of len bytes / decoding into buf (NUL-terminated); -1 on bad
 * input or too small a buffer. */
int	sasl_b64_encode(const void *p, size_t len, char *buf, size_t size);
int	sasl_b64_decode(const char *b64, char *buf, size_t size,
	    size_t *len_r);

#endif
