/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_core.c: the WebAdmin application on "webadmin" and "webadmins"
 * (docs/http.md, docs/api.md): static files, the domain a request
 * administers (B4, B14), the login, the rights check, the CSRF check of
 * every state-changing request, and the dispatch to a page of the table
 * (webadmin_pages.c), the JSON API or /metrics.
 *
 * URL space (prefix "" or "/MainAdmin"):
 *   /admin/<file>            static files from <web root>/admin/ (no login)
 *   <prefix>/login           GET: the login form; POST: log in (a cookie)
 *   <prefix>/logout          POST (with csrf): log out
 *   <prefix>/api/command     POST: the JSON API (webadmin_api.c)
 *   <prefix>/metrics         GET: the statistics counters (Prometheus)
 *   <prefix><page path>      a page of the table: GET draws, POST changes
 * Paths under /MainAdmin always open the server WebAdmin; other paths
 * open the WebAdmin of the domain LoginPage@<host> routes to, the server
 * WebAdmin when that is the main domain or the route fails (logged as
 * ROUTER "failed to route 'LoginPage@<host>'").
 */
#include "lib/compat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "cli/cli_args.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "router/router.h"
#include "core/server.h"
#include "http/http.h"
#include "webadmin/webadmin.h"
#include "webadmin/webadmin_core.h"

static struct log_module log_router_wa = LOG_MODULE("ROUTER");

_Static_assert(WEBADMIN_API_BODY_MAX <= HTTP_BODY_LIMIT_MAX,
    "the HTTP layer takes a JSON command as large as WebAdmin allows");
_Static_assert(WEBADMIN_API_BODY_MAX >= 6 * (uint64_t)ROUTER_TABLE_MAX,
    "a Router Table fits a JSON command with every byte escaped (\\u00XX)");

/* ---- what the pages call ---- */

const char *
wa_form(struct wa_req *r, const char *name, char *buf, size_t n)
{
	const struct http_request *h = r->http;

	if (strcmp(h->method, "POST") == 0 && http_is_form(h))
		return http_form_value((const char *)h->body, h->body_len,
		    name, buf, n);
	return http_form_value(h->query, strlen(h->query), name, buf, n);
}

void
wa_quote(struct buf *b, const char *s)
{
	dict_write_string(b, s, strlen(s));
}

enum cli_rc
wa_command(struct wa_req *r, const char *line, struct dval **data_r,
    struct error *err_r)
{
	struct cli_args a;
	struct buf out;
	enum cli_rc rc;

	*data_r = NULL;
	if (cli_args_parse(line, strlen(line), &a, err_r) < 0)
		return CLI_ERROR;
	buf_init(&out, DICT_TEXT_MAX);
	rc = wa_dispatch(r, &a, &out, err_r);
	if (rc == CLI_UNKNOWN) {
		error_set(err_r, ERR_NOTFOUND, "unknown command %s", a.name);
		rc = CLI_ERROR;
	} else if (rc == CLI_DATA && out.err != 0) {
		error_set(err_r, ERR_LIMIT, "%s: result too large", a.name);
		rc = CLI_ERROR;
	} else if (rc == CLI_DATA &&
	    (*data_r = dict_parse(out.data, out.len, 0, err_r)) == NULL)
		rc = CLI_ERROR;
	if (rc == CLI_ERROR)
		log_ses(r->http->log, LOG_PROBLEM, "%s failed: %s", a.name,
		    err_r->msg);
	else
		log_ses(r->http->log, LOG_LOW, "command %s", a.name);
	buf_free(&out);
	cli_args_clear(&a);
	return rc;
}

/* ---- the domain of a request (B4, B14) ---- */

static void
pick_domain(struct server *srv, const struct http_request *req,
    char *domain, size_t size)
{
	char addr[DOMAIN_NAME_MAX + 32];

	if (http_login_domain(srv, req->host, domain, size, addr,
	    sizeof(addr)) == 0)
		return;
	log_mod(&log_router_wa, LOG_PROBLEM, "failed to route '%s'", addr);
	objects_main_domain(srv->objects, domain, size);
}

/* ---- answers ---- */

static void
forbidden(struct wa_req *r, const char *why)
{
	log_ses(r->http->log, LOG_PROBLEM, "%s %s refused: %s",
	    r->http->method, r->http->path, why);
	wa_message_page(r, 403, "Access denied", why);
}

static const struct wa_page *
find_page(const char *path, bool server_pages)
{
	size_t i;

	for (i = 0; i < wa_npages; i++)
		if (strcmp(wa_pages[i].path, path) == 0 &&
		    (server_pages || !(wa_pages[i].flags & WA_SERVER_ONLY)))
			return &wa_pages[i];
	return NULL;
}

static const struct wa_page *
first_page(bool server_pages)
{
	size_t i;

	for (i = 0; i < wa_npages; i++)
		if (wa_pages[i].menu != NULL && (server_pages ||
		    !(wa_pages[i].flags & WA_SERVER_ONLY)))
			return &wa_pages[i];
	return NULL;
}

/* The login form and its POST. */
static void
do_login(struct wa_req *r)
{
	struct http_response *resp = r->resp;
	char name[ADDRESS_MAX + 1], pw[PASSWORD_MAX + 1], to[1024];
	struct wa_admin a;
	struct error err;
	struct buf loc;

	if (strcmp(r->http->method, "POST") != 0) {
		wa_login_page(r, 200, NULL);
		return;
	}
	if (!http_same_origin(r->http)) {
		forbidden(r, "cross-site login refused");
		return;
	}
	if (wa_form(r, "username", name, sizeof(name)) == NULL ||
	    wa_form(r, "password", pw, sizeof(pw)) == NULL || name[0] == '\0') {
		wa_login_page(r, 400, "enter the account name and password");
		return;
	}
	if (wa_login(r->srv, r->http, resp, name, pw, &a, &err) < 0) {
		explicit_bzero(pw, sizeof(pw));
		wa_login_page(r, 401, err.msg);
		return;
	}
	explicit_bzero(pw, sizeof(pw));
	buf_init(&loc, sizeof(to));
	/* Back to the page asked for first, only ever a local path. */
	if (wa_form(r, "next", to, sizeof(to)) != NULL && to[0] == '/' &&
	    to[1] != '/' && strpbrk(to, "\\\r\n") == NULL)
		buf_puts(&loc, to);
	else
		buf_printf(&loc, "%s/", r->prefix);
	http_resp_redirect(resp, loc.err == 0 ? buf_cstr(&loc) : "/");
	buf_free(&loc);
}

static void
do_logout(struct wa_req *r, const struct wa_admin *a)
{
	char tok[WA_ID_HEX * 2 + 2];
	char to[256];

	if (strcmp(r->http->method, "POST") != 0) {
		http_resp_header(r->resp, "Allow", "POST");
		http_resp_text(r->resp, 405, "log out with a POST");
		return;
	}
	if (!wa_csrf_ok(a, wa_form(r, "csrf", tok, sizeof(tok)))) {
		forbidden(r, "missing or wrong CSRF token");
		return;
	}
	wa_logout(r->http, r->resp);
	snprintf(to, sizeof(to), "%s/login", r->prefix);
	http_resp_redirect(r->resp, to);
}

/* A page of the table, for a logged-in administrator. */
static void
do_page(struct wa_req *r, const struct wa_admin *a)
{
	const struct wa_page *pg = find_page(r->page, r->server_pages);
	const char *m = r->http->method;
	char tok[WA_ID_HEX * 2 + 2];

	if (pg == NULL && strcmp(r->page, "/") == 0 &&
	    (pg = first_page(r->server_pages)) != NULL) {
		/* No start page in the table: the first page of the menu. */
		char to[512];

		snprintf(to, sizeof(to), "%s%s", r->prefix, pg->path);
		http_resp_redirect(r->resp, to);
		return;
	}
	if (pg == NULL) {
		wa_message_page(r, 404, "Not found", "There is no such page.");
		return;
	}
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		pg->get(r);
		return;
	}
	if (strcmp(m, "POST") != 0 || pg->post == NULL) {
		http_resp_header(r->resp, "Allow", pg->post != NULL ?
		    "GET, HEAD, POST" : "GET, HEAD");
		http_resp_text(r->resp, 405, "method not allowed");
		return;
	}
	if (!http_same_origin(r->http)) {
		forbidden(r, "cross-site request refused");
		return;
	}
	if (!wa_csrf_ok(a, wa_form(r, "csrf", tok, sizeof(tok)))) {
		forbidden(r, "missing or wrong CSRF token");
		return;
	}
	pg->post(r);
}

/* Whether the API request carries what a state change needs: a cookie
 * session its X-CSRF-Token, a Basic call its JSON Content-Type. */
static bool
api_csrf_ok(struct wa_req *r, const struct wa_admin *a)
{
	const char *ct = http_header(r->http, "Content-Type");

	if (!http_same_origin(r->http))
		return false;
	if (!a->basic)
		return wa_csrf_ok(a, http_header(r->http, WA_CSRF_HEADER));
	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0;
}

static void
unauthorized(struct wa_req *r, bool api, const char *why)
{
	struct buf loc;

	if (api) {
		http_resp_headerf(r->resp, "WWW-Authenticate", "Basic realm=\"%s\", "
		    "charset=\"UTF-8\"", WA_REALM);
		wa_json_error(r, 401, why);
		return;
	}
	if (strcmp(r->http->method, "GET") == 0 && why == NULL) {
		/* The login form, then back here. */
		buf_init(&loc, 2048);
		buf_printf(&loc, "%s/login?next=", r->prefix);
		http_url_encode(&loc, r->http->path);
		http_resp_redirect(r->resp, loc.err == 0 ? buf_cstr(&loc) :
		    "/login");
		buf_free(&loc);
		return;
	}
	wa_login_page(r, 401, why != NULL ? why : "please log in");
}

static void
dispatch(struct wa_req *r)
{
	const char *page = r->page;
	bool api = strcmp(page, "/api/command") == 0 ||
	    strcmp(page, "/metrics") == 0;
	struct wa_admin a;
	struct error err;
	enum wa_auth au;

	if (strcmp(page, "/login") == 0) {
		do_login(r);
		return;
	}
	au = wa_authenticate(r->srv, r->http, &a, &err);
	if (au != WA_AUTH_OK) {
		unauthorized(r, api, au == WA_AUTH_FAILED ? err.msg : NULL);
		return;
	}
	snprintf(r->cli.account, sizeof(r->cli.account), "%s", a.account);
	snprintf(r->cli.domain, sizeof(r->cli.domain), "%s", a.domain);
	r->cli.master = a.master;
	r->csrf = a.csrf;
	if (strcmp(page, "/logout") == 0) {
		do_logout(r, &a);
		return;
	}
	if (!wa_may_administer(r->srv, &a, r->domain, r->server_pages, &err)) {
		if (api) {
			log_ses(r->http->log, LOG_PROBLEM, "%s refused: %s",
			    page, err.msg);
			wa_json_error(r, 403, err.msg);
		} else
			forbidden(r, err.msg);
		return;
	}
	if (strcmp(page, "/metrics") == 0)
		wa_api_metrics(r);
	else if (api) {
		if (strcmp(r->http->method, "POST") != 0) {
			http_resp_header(r->resp, "Allow", "POST");
			wa_json_error(r, 405, "use POST");
		} else if (!api_csrf_ok(r, &a)) {
			log_ses(r->http->log, LOG_PROBLEM, "API call refused: "
			    "missing or wrong CSRF token");
			wa_json_error(r, 403, "missing or wrong CSRF token (send "
			    "the X-CSRF-Token header)");
		} else
			wa_api_command(r);
	} else
		do_page(r, &a);
}

static void
wa_handle(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct server *srv = arg;
	struct wa_req r;
	char main_dom[DOMAIN_NAME_MAX + 1];
	const char *path = req->path;

	if (strncmp(path, "/admin/", 7) == 0) {
		http_resp_static(resp, req, path + 1);
		return;
	}
	if (strcmp(path, "/favicon.ico") == 0) {
		http_resp_static(resp, req, "admin/favicon.ico");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.srv = srv;
	r.http = req;
	r.resp = resp;
	r.cli.srv = srv;
	r.cli.log = req->log;
	r.csrf = "";
	objects_main_domain(srv->objects, main_dom, sizeof(main_dom));
	if (strncmp(path, "/MainAdmin", 10) == 0 &&
	    (path[10] == '\0' || path[10] == '/')) {
		r.prefix = "/MainAdmin";
		r.page = path[10] != '\0' ? path + 10 : "/";
		snprintf(r.domain, sizeof(r.domain), "%s", main_dom);
		r.server_pages = true;
	} else {
		r.prefix = "";
		r.page = path;
		pick_domain(srv, req, r.domain, sizeof(r.domain));
		r.server_pages = strcasecmp(r.domain, main_dom) == 0;
	}
	dispatch(&r);
}

static void
wa_limits(void *arg, struct http_limits *lim)
{
	struct wa_conf conf;

	wa_conf_read(arg, &conf);
	lim->idle_s = (unsigned)conf.keepalive_timeout;
	lim->header_s = (unsigned)conf.header_timeout;
	lim->hibernate_s = (unsigned)conf.hibernate_after;
}

static struct http_app wa_app = {
	.log_tag = "HTTPA",
	.handle = wa_handle,
	.body_max = WEBADMIN_API_BODY_MAX,
	.limits = wa_limits,
};

int
webadmin_register(struct server *srv, struct error *err_r)
{
	log_register(&log_router_wa);
	wa_app.arg = srv;
	if (http_register(srv, "webadmin", &wa_app, err_r) < 0 ||
	    http_register(srv, "webadmins", &wa_app, err_r) < 0)
		return -1;
	return 0;
}
