/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_private.h: WebUser's login sessions (webuser_session.c) and its
 * pages (webuser_pages.c), for webuser.c.
 */
#ifndef TEGAMI_WEBUSER_WEBUSER_PRIVATE_H
#define TEGAMI_WEBUSER_WEBUSER_PRIVATE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "auth/auth.h"

struct server;
struct http_request;
struct http_response;

#define WU_COOKIE	"TegamiUser"
#define WU_CSRF_HEADER	"X-CSRF-Token"
#define WU_ID_HEX	32		/* 128 random bits in hex */

/* A logged-in user, as a request finds the session. */
struct wu_user {
	char			 sid[WU_ID_HEX + 1];
	char			 csrf[WU_ID_HEX + 1];
	struct auth_result	 who;
};

enum wu_auth {
	WU_AUTH_NONE,		/* no cookie, or no such session (expired) */
	WU_AUTH_OK,
	WU_AUTH_REFUSED,	/* the session exists but may not be used
				 * from here (B9); it has been logged */
};

/*
 * The session of the request's TegamiUser cookie: its user in *u.  The
 * session ends after SessionTimeout without a request, or when its account
 * is gone.  With the account's effective WebUser preference
 * RequireFixedNetworkAddress on (account, domain defaults, server defaults;
 * B9) a request from another address than the login's is refused.
 */
enum wu_auth	wu_session_get(struct server *srv,
		    const struct http_request *req, struct wu_user *u);
/* A new session for who (after auth_login): new random id and CSRF token
 * (never one the client sent), the cookie set on resp. */
void		wu_session_new(struct server *srv,
		    const struct http_request *req, struct http_response *resp,
		    const struct auth_result *who, struct wu_user *u);
/* Ends the session sid (if any) and clears the cookie. */
void		wu_session_end(const struct http_request *req,
		    struct http_response *resp, const char *sid);

/* The pages: "/", "/login", "/logout", "/Mailboxes".  True when path is
 * one of them (answered), false otherwise (resp untouched). */
bool		wu_pages_handle(struct server *srv,
		    const struct http_request *req, struct http_response *resp);

/* ---- the message pages (webuser_message.c) ---- */

struct dval;

/* GET /Message/<emailId>/html, /part/<partId>, /attachments.zip for the
 * request's session.  True when path is under /Message/ (answered: 401
 * without a session), false otherwise (resp untouched). */
bool		wu_message_handle(struct server *srv,
		    const struct http_request *req, struct http_response *resp);
/* The account's recent recipients (EmailSubmission/set records them; at
 * most JMAP_RECENT_MAX, newest first): an array of address strings, or
 * NULL when there are none.  The caller frees it with dict_free(). */
#define WU_HAVE_RECENT_RECIPIENTS 1
struct dval	*wu_recent_recipients(struct server *srv,
		    const struct auth_result *who);

/* ---- the webmail (webuser_prefs.c, webuser_pages.c) ---- */

/* /Prefs, /Password, /Addresses, /Quota (JSON) for the logged-in user u:
 * true when path is one of them (answered). */
bool		wu_prefs_handle(struct server *srv,
		    const struct http_request *req, struct http_response *resp,
		    const struct wu_user *u);
bool		wu_prefs_path(const char *path);
/* Applies the JSON object body of POST /Prefs to the account's own
 * preferences own (null: removed), each value checked; 0, or -1 with the
 * reason in why (own may then be half changed: do not store it).
 * *timeout_changed_r when SessionTimeout was named.  Pure (fuzzed). */
int		wu_prefs_apply(struct dval *own, const char *body, size_t len,
		    bool *timeout_changed_r, char *why, size_t wsize);
/* The account of u changed its SessionTimeout preference: its sessions
 * take the new one. */
void		wu_session_prefs_changed(struct server *srv,
		    const struct wu_user *u);


#endif
