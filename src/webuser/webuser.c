/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser.c: the WebUser application on the HTTP server (docs/webuser.md):
 * JMAP requests go to jmap_handle(), with the user of the request's login
 * session (a state-changing request must carry the session's CSRF token in
 * X-CSRF-Token) or else HTTP Basic; the Login page, the login and the
 * pages to webuser_pages.c; every other path is 404.
 */
#include "lib/compat.h"

#include <string.h>

#include <openssl/crypto.h>

#include "lib/bounds.h"
#include "lib/log.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap.h"
#include "webuser/webuser.h"
#include "webuser/webuser_private.h"

static struct server *webuser_srv;

/* A JMAP request with a login session: GET and HEAD as they are, anything
 * else only with the session's CSRF token (a page of another site can send
 * the cookie but not the header). */
static void
jmap_session(const struct http_request *req, struct http_response *resp)
{
	struct wu_user u;
	const char *m = req->method;

	switch (wu_session_get(webuser_srv, req, &u)) {
	case WU_AUTH_NONE:
		/* an ended login session of the webmail: 401 without a Basic
		 * challenge (the browser would open its password dialog) */
		if (http_cookie(req, WU_COOKIE, u.sid, sizeof(u.sid)) != NULL &&
		    http_header(req, "Authorization") == NULL) {
			http_resp_text(resp, 401, "the login session has ended; "
			    "log in again\n");
			return;
		}
		jmap_handle(webuser_srv, req, resp, NULL);
		return;
	case WU_AUTH_REFUSED:
		http_resp_text(resp, 403, "This session may be used only from "
		    "the network address it was opened from\n");
		return;
	case WU_AUTH_OK:
		break;
	}
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    (!http_same_origin(req) ||
	    !http_token_eq(http_header(req, WU_CSRF_HEADER), u.csrf))) {
		log_ses(req->log, LOG_PROBLEM, "%s %s of '%s' refused: missing "
		    "or wrong CSRF token", m, req->path, u.who.address);
		http_resp_text(resp, 403, "missing or wrong CSRF token (send "
		    "the X-CSRF-Token header)\n");
	} else
		jmap_handle(webuser_srv, req, resp, &u.who);
	OPENSSL_cleanse(&u, sizeof(u));
}

static void
webuser_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	(void)arg;
	if (jmap_path(req->path)) {
		jmap_session(req, resp);
		return;
	}
	if (wu_message_handle(webuser_srv, req, resp))
		return;
	if (wu_pages_handle(webuser_srv, req, resp))
		return;
	http_resp_text(resp, 404, "Not found\n");
}

static void
webuser_limits(void *arg, struct http_limits *lim)
{
	struct webuser_conf conf;

	(void)arg;
	webuser_conf_read(webuser_srv, &conf);
	lim->idle_s = (unsigned)conf.keepalive_timeout;
	lim->header_s = (unsigned)conf.header_timeout;
	lim->hibernate_s = (unsigned)conf.hibernate_after;
}

/* Request bodies up to the larger of a JMAP request and an upload; each
 * JMAP path checks its own limit and answers it the RFC's way. */
static const struct http_app webuser_app = {
	.log_tag = "HTTPU",
	.handle = webuser_handle,
	.body_max = JMAP_UPLOAD_MAX > JMAP_REQUEST_MAX ? JMAP_UPLOAD_MAX :
	    JMAP_REQUEST_MAX,
	.limits = webuser_limits,
};

int
webuser_register(struct server *srv, struct error *err_r)
{
	static bool done;

	/* the service table calls this once per service of the module */
	if (done)
		return 0;
	webuser_srv = srv;
	jmap_init();
	if (http_register(srv, "webuser", &webuser_app, err_r) < 0 ||
	    http_register(srv, "webusers", &webuser_app, err_r) < 0)
		return -1;
	done = true;
	return 0;
}
