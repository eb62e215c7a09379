/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser.c: the WebUser application on the HTTP server: JMAP requests go
 * to jmap_handle(); every other path is 404 until the webmail pages exist.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap.h"
#include "webuser/webuser.h"

static struct server *webuser_srv;

static void
webuser_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	(void)arg;
	if (jmap_handle(webuser_srv, req, resp))
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
