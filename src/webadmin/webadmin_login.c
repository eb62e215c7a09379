/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_login.c: who is asking.  Two ways in, both through the shared
 * login code (auth/auth.h: the Router, B5 RejectNonClientLogins, the
 * failed-login flow control, as IMAP and POP):
 *
 *  - the login form: a session of 128 random bits (RAND_bytes) in the
 *    cookie TegamiAdmin (HttpOnly, SameSite=Strict, Path=/, Secure on TLS),
 *    with its own random CSRF token; it ends at logout or after
 *    SessionTimeout without a request;
 *  - HTTP Basic on every request (scripts): no session; its CSRF token is
 *    an HMAC of the account under a key made at start, so server-rendered
 *    forms work the same way.  The JSON API takes Basic calls without a
 *    token but only with Content-Type: application/json, which no page of
 *    another site can send without a CORS preflight (never granted).
 *    A password check costs a tenth of a second or more (yescrypt), so
 *    Basic logins go through auth_login_cached(): remembered for a short
 *    while, only until any account or domain changes, with the peer
 *    checks (B5, blacklisting) taken again at every request.
 *
 * Sessions live in memory: a restart logs everybody out.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "net/conn.h"
#include "net/park.h"
#include "objects/objects.h"
#include "core/server.h"
#include "http/http.h"
#include "webadmin/webadmin_core.h"

struct wa_session {
	char		 sid[WA_ID_HEX + 1];
	char		 csrf[WA_ID_HEX + 1];
	char		 account[OBJECT_NAME_MAX + 1];
	char		 domain[DOMAIN_NAME_MAX + 1];
	bool		 master;
	int64_t		 last_ms;	/* CLOCK_MONOTONIC of the last use */
};

static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wa_session *sessions;	/* [nsessions], unordered */
static size_t nsessions, csessions;
static unsigned char basic_key[32];
static bool basic_key_set;

/* Drops sessions idle longer than timeout_ms (under sess_lock). */
static void
expire(int64_t now, int64_t timeout_ms)
{
	nsessions = http_sessions_expire(sessions, nsessions,
	    sizeof(*sessions), offsetof(struct wa_session, last_ms), now,
	    timeout_ms);
}

static struct wa_session *
find(const char *sid)
{
	size_t i;

	if (strlen(sid) != WA_ID_HEX)
		return NULL;
	for (i = 0; i < nsessions; i++)
		if (CRYPTO_memcmp(sessions[i].sid, sid, WA_ID_HEX) == 0)
			return &sessions[i];
	return NULL;
}

static void
key_init(void)
{
	pthread_mutex_lock(&sess_lock);
	if (!basic_key_set) {
		if (RAND_bytes(basic_key, sizeof(basic_key)) != 1)
			fatal("RAND_bytes failed for the WebAdmin CSRF key");
		basic_key_set = true;
	}
	pthread_mutex_unlock(&sess_lock);
}

/* The CSRF token of a Basic login: HMAC-SHA256(key, address). */
static void
basic_csrf(const char *account, const char *domain, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char addr[ADDRESS_MAX + 1];

	key_init();
	snprintf(addr, sizeof(addr), "%s@%s", account, domain);
	HMAC(EVP_sha256(), basic_key, sizeof(basic_key),
	    (const unsigned char *)addr, strlen(addr), md, &mdlen);
	for (i = 0; i < mdlen && i < WA_ID_HEX / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}


/* auth_login and its log lines. */
static int
check_login(struct server *srv, const struct http_request *req,
    const char *name, const char *password, const char *how,
    struct wa_admin *a, struct error *err_r)
{
	bool basic = strcmp(how, "Basic") == 0;
	struct auth_peer peer;
	struct auth_result res;
	char esc[256];

	http_auth_peer(req, "HTTP", &peer);
	if (!auth_clear_text_ok(srv, &peer)) {
		log_ses(req->log, LOG_PROBLEM, "clear-text login refused from "
		    "%s: not over TLS", conn_peer_text(req->conn));
		return error_set(err_r, ERR_PERM, "a password may be sent only "
		    "over TLS from this address (https, port 9010)");
	}
	if ((basic ? auth_login_cached(srv, &peer, name, password, &res,
	    err_r) : auth_login(srv, &peer, name, password, &res, err_r)) < 0) {
		log_escape(esc, sizeof(esc), name, strlen(name));
		log_ses(req->log, LOG_PROBLEM, "login failed for '%s' (%s): %s",
		    esc, how, err_r->msg);
		return -1;
	}
	memset(a, 0, sizeof(*a));
	snprintf(a->account, sizeof(a->account), "%s", res.account);
	snprintf(a->domain, sizeof(a->domain), "%s", res.domain);
	a->master = res.master;
	return 0;
}

/* "Basic base64(name:password)" (RFC 7617). */
static enum wa_auth
basic_auth(struct server *srv, const struct http_request *req,
    const char *hdr, struct wa_admin *a, struct error *err_r)
{
	char dec[ADDRESS_MAX + PASSWORD_MAX + 8];
	char *colon;
	size_t len;
	int rc;

	while (*hdr == ' ')
		hdr++;
	if (strncasecmp(hdr, "Basic ", 6) != 0) {
		error_set(err_r, ERR_AUTH, "only Basic authorization is "
		    "supported");
		return WA_AUTH_FAILED;
	}
	hdr += 6;
	while (*hdr == ' ')
		hdr++;
	if (sasl_b64_decode(hdr, dec, sizeof(dec), &len) < 0 ||
	    memchr(dec, '\0', len) != NULL ||
	    (colon = strchr(dec, ':')) == NULL) {
		OPENSSL_cleanse(dec, sizeof(dec));
		error_set(err_r, ERR_AUTH, "malformed Basic credentials");
		return WA_AUTH_FAILED;
	}
	*colon = '\0';
	rc = check_login(srv, req, dec, colon + 1, "Basic", a, err_r);
	OPENSSL_cleanse(dec, sizeof(dec));
	if (rc < 0)
		return WA_AUTH_FAILED;
	a->basic = true;
	basic_csrf(a->account, a->domain, a->csrf);
	return WA_AUTH_OK;
}

/* Removes the session sid (if it still exists). */
static void
end_session(const char *sid)
{
	struct wa_session *s;

	pthread_mutex_lock(&sess_lock);
	s = find(sid);
	if (s != NULL) {
		OPENSSL_cleanse(s, sizeof(*s));
		*s = sessions[--nsessions];
	}
	pthread_mutex_unlock(&sess_lock);
}

enum wa_auth
wa_authenticate(struct server *srv, const struct http_request *req,
    struct wa_admin *a, struct error *err_r)
{
	char sid[WA_ID_HEX + 2], tgt[OBJECT_NAME_MAX + 1];
	const char *auth;
	struct wa_session *s;
	struct wa_conf conf;
	int64_t now = park_now_ms();

	error_clear(err_r);
	if (http_cookie(req, WA_COOKIE, sid, sizeof(sid)) != NULL) {
		wa_conf_read(srv, &conf);
		pthread_mutex_lock(&sess_lock);
		expire(now, (int64_t)conf.session_timeout * 1000);
		s = find(sid);
		if (s != NULL) {
			s->last_ms = now;
			memset(a, 0, sizeof(*a));
			memcpy(a->sid, s->sid, sizeof(a->sid));
			memcpy(a->csrf, s->csrf, sizeof(s->csrf));
			memcpy(a->account, s->account, sizeof(a->account));
			memcpy(a->domain, s->domain, sizeof(a->domain));
			a->master = s->master;
		}
		pthread_mutex_unlock(&sess_lock);
		/* The rights as they are now: a deleted account's session
		 * ends, a revoked Master right is gone at once. */
		if (s != NULL && objects_find_object(srv->objects, a->domain,
		    a->account, tgt, sizeof(tgt)) != OBJ_ACCOUNT) {
			log_ses(req->log, LOG_MAJOR, "session of '%s@%s' ended: "
			    "the account is gone", a->account, a->domain);
			end_session(sid);
			s = NULL;
		} else if (s != NULL)
			a->master = objects_account_has_master(srv->objects,
			    a->account, a->domain);
		if (s != NULL)
			return WA_AUTH_OK;
	}
	auth = http_header(req, "Authorization");
	if (auth != NULL)
		return basic_auth(srv, req, auth, a, err_r);
	return WA_AUTH_NONE;
}

int
wa_login(struct server *srv, const struct http_request *req,
    struct http_response *resp, const char *name, const char *password,
    struct wa_admin *a, struct error *err_r)
{
	struct wa_session *s;
	struct wa_conf conf;
	int64_t now = park_now_ms();
	size_t oldest;

	if (check_login(srv, req, name, password, "form", a, err_r) < 0)
		return -1;
	wa_conf_read(srv, &conf);
	pthread_mutex_lock(&sess_lock);
	expire(now, (int64_t)conf.session_timeout * 1000);
	if (nsessions == WEBADMIN_SESSIONS_MAX) {
		/* Full: the least recently used session goes. */
		oldest = http_sessions_lru(sessions, nsessions,
		    sizeof(*sessions), offsetof(struct wa_session, last_ms));
		log_ses(req->log, LOG_PROBLEM, "%u WebAdmin sessions open "
		    "(WEBADMIN_SESSIONS_MAX): the oldest one, of %s@%s, ends",
		    WEBADMIN_SESSIONS_MAX, sessions[oldest].account,
		    sessions[oldest].domain);
		nsessions = http_sessions_drop(sessions, nsessions,
		    sizeof(*sessions), oldest);
	}
	sessions = http_sessions_room(sessions, nsessions, &csessions,
	    sizeof(*sessions));
	s = &sessions[nsessions++];
	memset(s, 0, sizeof(*s));
	http_token_new(s->sid, WA_ID_HEX / 2);
	http_token_new(s->csrf, WA_ID_HEX / 2);
	memcpy(s->account, a->account, sizeof(s->account));
	memcpy(s->domain, a->domain, sizeof(s->domain));
	s->master = a->master;
	s->last_ms = now;
	memcpy(a->sid, s->sid, sizeof(a->sid));
	memcpy(a->csrf, s->csrf, sizeof(s->csrf));
	pthread_mutex_unlock(&sess_lock);
	http_resp_headerf(resp, "Set-Cookie", "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s", WA_COOKIE, a->sid, req->tls ? "; Secure" : "");
	log_ses(req->log, LOG_MAJOR, "'%s@%s' connected from %s%s",
	    a->account, a->domain, conn_peer_text(req->conn), a->master ?
	    " (Master access granted)" : "");
	return 0;
}

void
wa_logout(const struct http_request *req, struct http_response *resp)
{
	char sid[WA_ID_HEX + 2];
	struct wa_session *s;

	if (http_cookie(req, WA_COOKIE, sid, sizeof(sid)) != NULL) {
		pthread_mutex_lock(&sess_lock);
		s = find(sid);
		if (s != NULL) {
			log_ses(req->log, LOG_MAJOR, "'%s@%s' logged out",
			    s->account, s->domain);
			OPENSSL_cleanse(s, sizeof(*s));
			*s = sessions[--nsessions];
		}
		pthread_mutex_unlock(&sess_lock);
	}
	http_resp_headerf(resp, "Set-Cookie", "%s=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0%s", WA_COOKIE, req->tls ?
	    "; Secure" : "");
}

bool
wa_csrf_ok(const struct wa_admin *a, const char *token)
{
	return http_token_eq(token, a->csrf);
}

size_t
wa_session_count(void)
{
	size_t n;

	pthread_mutex_lock(&sess_lock);
	n = nsessions;
	pthread_mutex_unlock(&sess_lock);
	return n;
}
