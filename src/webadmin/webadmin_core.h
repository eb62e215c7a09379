/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_core.h: inside the WebAdmin core (webadmin_core.c,
 * webadmin_login.c, webadmin_api.c, webadmin_rights.c,
 * webadmin_settings.c): the settings, the login sessions, and running a
 * command with an administrator's rights.  The pages use
 * webadmin_private.h only.
 */
#ifndef TEGAMI_WEBADMIN_WEBADMIN_CORE_H
#define TEGAMI_WEBADMIN_WEBADMIN_CORE_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "cli/cli_commands.h"
#include "webadmin/webadmin_private.h"

struct cli_args;
struct server;
struct http_request;
struct http_response;

#define WA_COOKIE	"TegamiAdmin"	/* the session cookie's name */
#define WA_ID_HEX	32		/* 128 random bits in hex */
#define WA_CSRF_HEADER	"X-CSRF-Token"
#define WA_REALM	"Tegami WebAdmin"
#define WA_RIGHT_DOMAIN	"Domain"	/* the Domain Administrator right */

/* Settings/HTTPA.settings (webadmin_settings.c). */
struct wa_conf {
	uint64_t	 session_timeout;	/* SessionTimeout, s */
	uint64_t	 keepalive_timeout;	/* KeepAliveTimeout, s */
	uint64_t	 header_timeout;	/* HeaderTimeout, s */
	uint64_t	 hibernate_after;	/* HibernateAfter, s */
};

/* Reads the current settings (a copy). */
void	wa_conf_read(struct server *srv, struct wa_conf *conf);

/* Who is logged in, as the core found it for one request. */
struct wa_admin {
	char	 account[OBJECT_NAME_MAX + 1];
	char	 domain[DOMAIN_NAME_MAX + 1];
	bool	 master;
	bool	 basic;			/* HTTP Basic, no session */
	char	 sid[WA_ID_HEX + 1];	/* the session (cookie) id; "" for
					 * Basic */
	char	 csrf[WA_ID_HEX * 2 + 1];
};

/* ---- login and sessions (webadmin_login.c) ---- */

enum wa_auth {
	WA_AUTH_OK,
	WA_AUTH_NONE,		/* no credentials: the login form or 401 */
	WA_AUTH_FAILED		/* wrong Basic credentials: err_r says why */
};

/* Finds the administrator of a request: the session cookie (not expired;
 * its idle time restarts), else an Authorization: Basic header (checked
 * through auth_login, with its protection and flow control). */
enum wa_auth	wa_authenticate(struct server *srv,
		    const struct http_request *req, struct wa_admin *a,
		    struct error *err_r);
/* The login form's POST: checks name and password, opens a session and
 * sets its cookie on resp.  0, or -1 with err_r (the text to show). */
int	wa_login(struct server *srv, const struct http_request *req,
	    struct http_response *resp, const char *name, const char *password,
	    struct wa_admin *a, struct error *err_r);
/* Ends the session of the request (if any) and clears the cookie. */
void	wa_logout(const struct http_request *req, struct http_response *resp);
/* Whether the request carries the CSRF token of a (form field "csrf", or
 * the X-CSRF-Token header). */
bool	wa_csrf_ok(const struct wa_admin *a, const char *token);
/* Live sessions (for tests and the statistics). */
size_t	wa_session_count(void);

/* ---- rights (webadmin_rights.c) ---- */

/* Whether the administrator may administer domain (server_pages: the
 * server WebAdmin).  false with err_r saying why. */
bool	wa_may_administer(struct server *srv, const struct wa_admin *a,
	    const char *domain, bool server_pages, struct error *err_r);
/* Runs a parsed command as the administrator of r (the CLI's rights: a
 * server administrator runs anything; a domain administrator only the
 * domain commands, and only on r->domain). */
enum cli_rc	wa_dispatch(struct wa_req *r, const struct cli_args *args,
		    struct buf *out, struct error *err_r);

/* ---- the JSON API and /metrics (webadmin_api.c) ---- */

void	wa_api_command(struct wa_req *r);
void	wa_api_metrics(struct wa_req *r);
/* {"error": why} with status code. */
void	wa_json_error(struct wa_req *r, unsigned code, const char *why);

/* ---- pages of the core (webadmin_layout.c) ---- */

/* The login form (error: a text shown above it, or NULL). */
void	wa_login_page(struct wa_req *r, unsigned code, const char *error);
/* A page with a title and one message (403, 404 ...). */
void	wa_message_page(struct wa_req *r, unsigned code, const char *title,
	    const char *text);

#endif
