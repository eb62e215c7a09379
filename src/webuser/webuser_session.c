/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_session.c: WebUser login sessions, in memory as WebAdmin's (a
 * restart logs everybody out): 128 random bits in the cookie TegamiUser
 * (HttpOnly, SameSite=Strict, Path=/, Secure on TLS) with a random CSRF
 * token, the address the user logged in from (B9), the last use.  At most
 * WEBUSER_SESSIONS_MAX; past it the least recently used one ends, logged.
 */
#include "lib/compat.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/park.h"
#include "objects/objects.h"
#include "core/server.h"
#include "http/http.h"
#include "webuser/webuser.h"
#include "webuser/webuser_private.h"

struct wu_session {
	struct wu_user		 user;
	struct sockaddr_storage	 from;	/* the login's client address */
	int64_t			 last_ms; /* CLOCK_MONOTONIC of the last use */
	int64_t			 timeout_ms; /* the account's SessionTimeout
					      * preference; 0: the server's */
};

static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wu_session *sessions;	/* [nsessions], unordered */
static size_t nsessions, csessions;

/* Same IP address (the port does not matter). */
static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return true;		/* a Unix socket: one host */
}

static void
drop(size_t i)
{
	nsessions = http_sessions_drop(sessions, nsessions, sizeof(*sessions),
	    i);
}

/* Drops sessions idle longer than their account's SessionTimeout
 * preference, else timeout_ms (under sess_lock). */
static void
expire(int64_t now, int64_t timeout_ms)
{
	size_t i = 0;

	/* Not http_sessions_expire(): each session has its own time-out. */
	while (i < nsessions) {
		if (now - sessions[i].last_ms > (sessions[i].timeout_ms > 0 ?
		    sessions[i].timeout_ms : timeout_ms))
			drop(i);
		else
			i++;
	}
}

/* The index of sid, or -1 (under sess_lock). */
static ssize_t
find(const char *sid)
{
	size_t i;

	if (strlen(sid) != WU_ID_HEX)
		return -1;
	for (i = 0; i < nsessions; i++)
		if (CRYPTO_memcmp(sessions[i].user.sid, sid, WU_ID_HEX) == 0)
			return (ssize_t)i;
	return -1;
}

static void
end_sid(const char *sid)
{
	ssize_t i;

	pthread_mutex_lock(&sess_lock);
	if ((i = find(sid)) >= 0)
		drop((size_t)i);
	pthread_mutex_unlock(&sess_lock);
}

/* The effective WebUser preference RequireFixedNetworkAddress (B9). */
static bool
fixed_address(struct server *srv, const struct auth_result *who)
{
	struct dval *prefs;
	struct error err;
	const char *v;
	bool on;

	prefs = objects_account_effective_prefs_get(srv->objects, who->account,
	    who->domain, &err);
	if (prefs == NULL)
		return true;	/* cannot tell: the safer way */
	v = dict_get_str(prefs, "RequireFixedNetworkAddress");
	on = v != NULL && (strcasecmp(v, "YES") == 0 ||
	    strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
	dict_free(&prefs);
	return on;
}

/* The effective WebUser preference SessionTimeout in ms, 0 when no level
 * sets one (the server's HTTPU SessionTimeout then). */
static int64_t
pref_timeout_ms(struct server *srv, const struct auth_result *who)
{
	struct dval *prefs;
	struct error err;
	const char *v;
	int64_t ms = 0;
	char *end;
	long n;

	prefs = objects_account_effective_prefs_get(srv->objects, who->account,
	    who->domain, &err);
	if (prefs == NULL)
		return 0;
	v = dict_get_str(prefs, "SessionTimeout");
	if (v != NULL && v[0] >= '0' && v[0] <= '9') {
		n = strtol(v, &end, 10);
		if (*end == '\0' && n >= 60 && n <= WEBUSER_SESSION_TIMEOUT_MAX)
			ms = (int64_t)n * 1000;
	}
	dict_free(&prefs);
	return ms;
}

void
wu_session_prefs_changed(struct server *srv, const struct wu_user *u)
{
	int64_t ms = pref_timeout_ms(srv, &u->who);
	size_t i;

	pthread_mutex_lock(&sess_lock);
	for (i = 0; i < nsessions; i++)
		if (strcmp(sessions[i].user.who.address, u->who.address) == 0)
			sessions[i].timeout_ms = ms;
	pthread_mutex_unlock(&sess_lock);
}

enum wu_auth
wu_session_get(struct server *srv, const struct http_request *req,
    struct wu_user *u)
{
	char sid[WU_ID_HEX + 2], tgt[OBJECT_NAME_MAX + 1];
	struct sockaddr_storage from;
	struct webuser_conf conf;
	int64_t now = park_now_ms();
	ssize_t i;

	if (http_cookie(req, WU_COOKIE, sid, sizeof(sid)) == NULL)
		return WU_AUTH_NONE;
	webuser_conf_read(srv, &conf);
	pthread_mutex_lock(&sess_lock);
	expire(now, (int64_t)conf.session_timeout * 1000);
	if ((i = find(sid)) >= 0) {
		*u = sessions[i].user;
		from = sessions[i].from;
	}
	pthread_mutex_unlock(&sess_lock);
	if (i < 0)
		return WU_AUTH_NONE;
	if (objects_find_object(srv->objects, u->who.domain, u->who.account,
	    tgt, sizeof(tgt)) != OBJ_ACCOUNT) {
		log_ses(req->log, LOG_MAJOR, "session of '%s' ended: the "
		    "account is gone", u->who.address);
		end_sid(sid);
		return WU_AUTH_NONE;
	}
	if (!same_addr(&from, conn_peer_addr(req->conn)) &&
	    fixed_address(srv, &u->who)) {
		log_ses(req->log, LOG_PROBLEM, "session of '%s' refused from "
		    "%s: Require Fixed Network Address is on and the session "
		    "was opened from another address", u->who.address,
		    conn_peer_text(req->conn));
		OPENSSL_cleanse(u, sizeof(*u));
		return WU_AUTH_REFUSED;
	}
	pthread_mutex_lock(&sess_lock);
	if ((i = find(sid)) >= 0)
		sessions[i].last_ms = now;
	pthread_mutex_unlock(&sess_lock);
	return WU_AUTH_OK;
}

void
wu_session_new(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct auth_result *who,
    struct wu_user *u)
{
	struct webuser_conf conf;
	struct wu_session *s;
	int64_t now = park_now_ms(), tmo = pref_timeout_ms(srv, who);
	size_t oldest;

	webuser_conf_read(srv, &conf);
	pthread_mutex_lock(&sess_lock);
	expire(now, (int64_t)conf.session_timeout * 1000);
	if (nsessions == WEBUSER_SESSIONS_MAX) {
		oldest = http_sessions_lru(sessions, nsessions,
		    sizeof(*sessions), offsetof(struct wu_session, last_ms));
		log_ses(req->log, LOG_PROBLEM, "%u WebUser sessions open "
		    "(WEBUSER_SESSIONS_MAX): the least recently used one, of "
		    "%s, ends", WEBUSER_SESSIONS_MAX,
		    sessions[oldest].user.who.address);
		drop(oldest);
	}
	sessions = http_sessions_room(sessions, nsessions, &csessions,
	    sizeof(*sessions));
	s = &sessions[nsessions++];
	memset(s, 0, sizeof(*s));
	http_token_new(s->user.sid, WU_ID_HEX / 2);
	http_token_new(s->user.csrf, WU_ID_HEX / 2);
	s->user.who = *who;
	s->from = *conn_peer_addr(req->conn);
	s->last_ms = now;
	s->timeout_ms = tmo;
	*u = s->user;
	pthread_mutex_unlock(&sess_lock);
	http_resp_headerf(resp, "Set-Cookie", "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s", WU_COOKIE, u->sid, req->tls ? "; Secure" : "");
	log_ses(req->log, LOG_MAJOR, "'%s' connected from %s", who->address,
	    conn_peer_text(req->conn));
}

void
wu_session_end(const struct http_request *req, struct http_response *resp,
    const char *sid)
{
	end_sid(sid);
	http_resp_headerf(resp, "Set-Cookie", "%s=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0%s", WU_COOKIE, req->tls ?
	    "; Secure" : "");
}
