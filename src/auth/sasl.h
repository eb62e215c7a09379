/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl.h: the one SASL engine (RFC 4422) of every module that takes a login:
 * SMTP AUTH (RFC 4954), POP AUTH (RFC 5034), IMAP AUTHENTICATE (RFC 3501,
 * RFC 4959 SASL-IR), and later LDAP's SASL bind and the web logins.
 *
 * A protocol keeps only its framing: the continuation ("334 ", "+ ",
 * "+ "), reading a response line, its own reply codes and texts.  What
 * happens between the lines is here:
 *
 *   sasl_offered()/sasl_accepted()  the mechanisms of a connection, from
 *                                   the same settings for every protocol;
 *   sasl_session_new()              one exchange, one mechanism;
 *   sasl_start(), sasl_step_b64()   feed the initial response and each
 *                                   response line; each call answers
 *                                   with one enum sasl_step;
 *   sasl_session_free()             wipes the secrets.
 *
 * The engine verifies through auth.h (auth_login, auth_login_cram_md5), so
 * Protection, the Router, failed-login flow control and the temporary
 * blacklist apply exactly as to USER/PASS or IMAP LOGIN; nothing here
 * writes to the network or logs.  Tests and fuzz targets may swap the
 * verifier (struct sasl_verifier) to drive the engine without a server.
 *
 * Mechanisms (struct sasl_mech, one step function each):
 *   PLAIN     RFC 4616: "[authzid] NUL authcid NUL passwd"; an authzid
 *             other than the authcid (a proxy login) is refused with the
 *             generic error.  May come as the initial response.
 *   LOGIN     draft-murchison-sasl-login: "Username:", "Password:"; an
 *             initial response is the user name.
 *   CRAM-MD5  RFC 2195: challenge "<random.time@host>", response
 *             "name SP 32 hex digits"; no initial response.  The password
 *             never crosses the wire, so it needs no TLS; it works only for
 *             passwords stored in clear (auth_offer_cram_md5).
 *   SCRAM-SHA-256 (RFC 7677) will be a fourth entry: see the comment at
 *             the table in sasl.c for the slot it takes.
 */
#ifndef TEGAMI_AUTH_SASL_H
#define TEGAMI_AUTH_SASL_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/strv.h"
#include "auth/auth.h"

struct server;
struct buf;

enum sasl_mech_id {
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_CRAM_MD5,
	SASL_MECH_COUNT
};
#define SASL_MECH_BIT(id)	(1u << (id))

/* What one step answered. */
enum sasl_step {
	SASL_CONTINUE,		/* send sasl_challenge() (base64, may be
				 * ""), then feed the client's answer */
	SASL_DONE_OK,		/* verified: sasl_result() is the account */
	SASL_DONE_FAIL,		/* not verified: sasl_error() says why (safe
				 * to show the peer: auth.h error texts) */
	SASL_ERROR_SYNTAX,	/* malformed response: sasl_syntax() says
				 * which kind; sasl_error() has the text */
	SASL_CANCELLED		/* the client answered "*" */
};

/* The kinds of SASL_ERROR_SYNTAX, for protocols that word them apart. */
enum sasl_syntax {
	SASL_SYNTAX_BASE64,	/* the line is not base64 */
	SASL_SYNTAX_MESSAGE,	/* decoded, but not what the mechanism takes
				 * (no NULs in PLAIN, a NUL in a LOGIN name,
				 * no digest in CRAM-MD5, an initial
				 * response where none is allowed...) */
	SASL_SYNTAX_TOOLONG	/* past SASL_RESPONSE_MAX or a field limit */
};

struct sasl_session;

struct sasl_mech {
	const char	*name;		/* as advertised, upper case */
	enum sasl_mech_id id;
	bool		 clear_text;	/* sends the password: needs
					 * sasl_clear_ok() */
	bool		 initial_response; /* the client may speak first */
	/* One step: in is the decoded response, NULL when the client sent
	 * none (the start without an initial response). */
	enum sasl_step	(*step)(struct sasl_session *, const struct strv *in);
};

/* How the engine checks what it was given.  Both return 0 and fill res,
 * or -1 with err (ERR_AUTH with AUTH_GENERIC_ERROR, ERR_PERM, ERR_LIMIT,
 * ...).  The default calls auth_login()/auth_login_cram_md5() with the
 * session's server and peer.  A SCRAM mechanism would add a third hook
 * here that hands out the stored key and server key of an account. */
struct sasl_verifier {
	int	(*plain)(void *ctx, const char *authcid, const char *password,
		    struct auth_result *res, struct error *err);
	int	(*cram_md5)(void *ctx, const char *authcid,
		    const char *challenge, const char *response_hex,
		    struct auth_result *res, struct error *err);
};

/* ---- which mechanisms a connection gets ---- */

/* Whether a mechanism that sends the password may be used: over TLS, or
 * when auth_clear_text_ok() allows the peer and the module does not ask
 * for TLS everywhere (require_tls: SMTP RequireTLSForAUTH, IMAP
 * RequireTLS; POP has none). */
bool	sasl_clear_ok(struct server *srv, const struct auth_peer *peer,
	    bool require_tls);

/* SASL_MECH_BIT()s to advertise (EHLO AUTH, POP CAPA SASL, IMAP
 * AUTH=): PLAIN and LOGIN when sasl_clear_ok(), CRAM-MD5 when the domain
 * of the local address lists it in AUTHMethods (auth_offer_cram_md5). */
unsigned sasl_offered(struct server *srv, const struct auth_peer *peer,
	    bool require_tls);

/* SASL_MECH_BIT()s a client may use: the offered ones, and CRAM-MD5
 * always (it never sends the password; clients may use it unadvertised,
 * and it fails for passwords not stored in clear). */
unsigned sasl_accepted(struct server *srv, const struct auth_peer *peer,
	    bool require_tls);

/* Appends " <prefix>NAME" for each mechanism in mask, in table order
 * (PLAIN LOGIN CRAM-MD5). */
void	sasl_format(unsigned mask, const char *prefix, struct buf *out);

/* The mechanism of that name (any case), or NULL. */
const struct sasl_mech *sasl_mech_find(struct strv name);

/* ---- one exchange ---- */

/* A session for one exchange of mech.  srv and peer (copied; its
 * pointers must outlive the session) serve the default verifier; host
 * names the server in the CRAM-MD5 challenge.  Never NULL. */
struct sasl_session *sasl_session_new(const struct sasl_mech *mech,
	    struct server *srv, const struct auth_peer *peer,
	    const char *host);

/* Replaces the verifier (tests, fuzzing; later LDAP or web logins with
 * their own checks).  v must outlive the session. */
void	sasl_session_set_verifier(struct sasl_session *s,
	    const struct sasl_verifier *v, void *ctx);

/* Wipes the secrets and frees *s; sets *s to NULL. */
void	sasl_session_free(struct sasl_session **s);

/* The first step.  ir is the initial response as sent (base64; "=" is an
 * empty one, RFC 4954 4, RFC 5034 4, RFC 4959 3), NULL when there is
 * none.  A mechanism that takes no initial response answers
 * SASL_ERROR_SYNTAX (SASL_SYNTAX_MESSAGE) to one. */
enum sasl_step sasl_start(struct sasl_session *s, const struct strv *ir);

/* A further step with the client's response line: "*" cancels, else
 * base64 (an empty line is an empty response).  Past SASL_RESPONSE_MAX
 * bytes: SASL_ERROR_SYNTAX with SASL_SYNTAX_TOOLONG and ERR_LIMIT. */
enum sasl_step sasl_step_b64(struct sasl_session *s, struct strv line);

/* A further step with a decoded response (what sasl_step_b64 calls; LDAP
 * carries SASL credentials without base64). */
enum sasl_step sasl_step(struct sasl_session *s, struct strv in);

/* After SASL_CONTINUE: the challenge to send, base64 ("" for an empty
 * one).  Valid until the next step. */
const char *sasl_challenge(const struct sasl_session *s);

/* After SASL_DONE_OK: the verified account. */
const struct auth_result *sasl_result(const struct sasl_session *s);

/* The names the client gave (after the step that decoded them; "" before
 * or when none): for log lines, never checked identities before
 * SASL_DONE_OK. */
const char *sasl_authcid(const struct sasl_session *s);
const char *sasl_authzid(const struct sasl_session *s);

/* After SASL_DONE_FAIL or SASL_ERROR_SYNTAX. */
const struct error *sasl_error(const struct sasl_session *s);
enum sasl_syntax sasl_syntax(const struct sasl_session *s);

/* The mechanism of the session. */
const struct sasl_mech *sasl_mech(const struct sasl_session *s);

#endif
