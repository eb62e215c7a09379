/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_pages.c: WebUser's server-rendered pages (docs/webuser.md):
 *
 *   /            the Login page of the domain the Host names (below)
 *   /login       POST username, password: log in (auth_login: the Router,
 *                B5, failed-login flow control), then 303 to /Mailboxes
 *   /logout      POST csrf: log out
 *   /Mailboxes   the webmail (web/user/mail.js, talking JMAP and the JSON
 *                endpoints of webuser_prefs.c); the account's mailboxes
 *                with their message counts are there before it starts (and
 *                without scripts)
 *   /user/<file> static files from <web root>/user/
 *
 * The domain (CGP 12.3, B8): the Host is routed as LoginPage@<host> in the
 * Access context (Router records, domain aliases); a name that does not end
 * in one of our domains gets the pink error page "we do not provide Web
 * Access to this domain".  An IP-address Host takes the domain that owns
 * that address (Assigned IP Addresses, B10), else the main domain.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "router/router.h"
#include "store/store.h"
#include "core/server.h"
#include "http/http.h"
#include "webuser/webuser.h"
#include "webuser/webuser_private.h"

/* Content-Security-Policy of every page: no scripts at all, styles and
 * images from here only, never framed. */
#define WU_CSP	"default-src 'none'; style-src 'self'; img-src 'self'; " \
		"form-action 'self'; frame-ancestors 'none'"
/* The webmail's page: scripts from our files only (never inline), JMAP
 * and the JSON endpoints, messages in frames of our own /Message pages. */
#define WU_APP_CSP "default-src 'none'; script-src 'self'; " \
		"style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
		"frame-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
		"base-uri 'none'"

/* The domain of an IP-address Host: its owner, else the main domain. */
static void
ip_domain(struct server *srv, const char *h, char *domain, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char ip[64];
	size_t n = strlen(h);

	if (h[0] == '[' && n >= 2 && n - 2 < sizeof(ip)) {
		memcpy(ip, h + 1, n - 2);
		ip[n - 2] = '\0';
	} else
		snprintf(ip, sizeof(ip), "%s", h);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	if (ss.ss_family == 0 || objects_domain_for_local_ip(srv->objects,
	    (const struct sockaddr *)&ss, domain, size) < 0)
		objects_main_domain(srv->objects, domain, size);
}

/* The domain whose pages a request shows; false (logged) when the Host is
 * not one of ours (B8). */
static bool
pick_domain(struct server *srv, const struct http_request *req,
    char *domain, size_t size)
{
	char addr[DOMAIN_NAME_MAX + 32];
	const char *h = req->host;

	if (h[0] == '[' || strchr(h, ':') != NULL ||
	    strspn(h, "0123456789.") == strlen(h)) {
		ip_domain(srv, h, domain, size);
		return true;
	}
	if (http_login_domain(srv, h, domain, size, addr, sizeof(addr)) == 0)
		return true;
	log_ses(req->log, LOG_PROBLEM, "no Web Access to '%s': it is neither a "
	    "domain nor a domain alias (failed to route '%s')", h, addr);
	return false;
}

static void
page_begin_csp(struct http_response *resp, unsigned code, const char *title,
    const char *domain, const char *csp)
{
	struct buf *b = http_resp_body(resp);

	http_resp_status(resp, code);
	http_resp_header(resp, "Content-Type", "text/html; charset=utf-8");
	http_resp_header(resp, "Content-Security-Policy", csp);
	http_resp_header(resp, "Cache-Control", "no-store");
	buf_puts(b, "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
	    "<meta name=viewport content=\"width=device-width, "
	    "initial-scale=1\"><title>");
	http_html_escape(b, domain);
	buf_puts(b, " - ");
	http_html_escape(b, title);
	buf_puts(b, "</title><link rel=stylesheet href=\"/user/user.css\">");
	if (strcmp(csp, WU_CSP) != 0)
		buf_puts(b, "<link rel=stylesheet href=\"/user/mail.css\">"
		    "<script src=\"/user/mail.js\" defer></script>");
	buf_puts(b, "</head><body>\n");
}

static void
page_begin(struct http_response *resp, unsigned code, const char *title,
    const char *domain)
{
	page_begin_csp(resp, code, title, domain, WU_CSP);
}

static void
page_end(struct http_response *resp)
{
	buf_puts(http_resp_body(resp), "</body></html>\n");
}

/* B8: the pink page (the colour from user.css: the CSP allows no inline
 * style). */
static void
no_web_access(const struct http_request *req, struct http_response *resp)
{
	struct buf *b = http_resp_body(resp);

	http_resp_status(resp, 404);
	http_resp_header(resp, "Content-Type", "text/html; charset=utf-8");
	http_resp_header(resp, "Content-Security-Policy", WU_CSP);
	buf_puts(b, "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
	    "<title>No Web Access</title><link rel=stylesheet "
	    "href=\"/user/user.css\"></head>"
	    "<body class=pink>\n<h1>");
	http_html_escape(b, req->host);
	buf_puts(b, "</h1>\n<p>Sorry, we do not provide Web Access to this "
	    "domain.</p>\n</body></html>\n");
}

static void
login_page(struct http_response *resp, unsigned code, const char *domain,
    const char *msg)
{
	struct buf *b;

	page_begin(resp, code, "WebUser Login", domain);
	b = http_resp_body(resp);
	buf_puts(b, "<main class=login><h1>");
	http_html_escape(b, domain);
	buf_puts(b, "</h1>\n");
	if (msg != NULL) {
		buf_puts(b, "<p class=error>");
		http_html_escape(b, msg);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<form method=post action=\"/login\">"
	    "<label>Name <input name=username autocomplete=username "
	    "autofocus required></label>"
	    "<label>Password <input type=password name=password "
	    "autocomplete=current-password required></label>"
	    "<button type=submit>Log in</button></form></main>\n");
	page_end(resp);
}

static void
do_login(struct server *srv, const struct http_request *req,
    struct http_response *resp, const char *domain)
{
	char name[ADDRESS_MAX + 1], pw[PASSWORD_MAX + 1];
	char full[ADDRESS_MAX + DOMAIN_NAME_MAX + 2];
	const char *form = (const char *)req->body;
	struct auth_result who;
	struct auth_peer peer;
	struct wu_user u;
	struct error err;
	char esc[256];

	if (strcmp(req->method, "POST") != 0) {
		http_resp_redirect(resp, "/");
		return;
	}
	if (!http_same_origin(req)) {
		log_ses(req->log, LOG_PROBLEM, "cross-site login refused");
		login_page(resp, 403, domain, "cross-site login refused");
		return;
	}
	if (!http_is_form(req) ||
	    http_form_value(form, req->body_len, "username", name,
	    sizeof(name)) == NULL || http_form_value(form, req->body_len,
	    "password", pw, sizeof(pw)) == NULL || name[0] == '\0') {
		OPENSSL_cleanse(pw, sizeof(pw));
		log_ses(req->log, LOG_PROBLEM, "login refused (400): no "
		    "account name or password, one too long (past %d or %d "
		    "bytes), or a bad form", ADDRESS_MAX, PASSWORD_MAX);
		login_page(resp, 400, domain, "enter the account name and "
		    "password");
		return;
	}
	/* A bare name is an account of the Login page's domain. */
	if (strpbrk(name, "@%") == NULL)
		snprintf(full, sizeof(full), "%s@%s", name, domain);
	else
		snprintf(full, sizeof(full), "%s", name);
	http_auth_peer(req, "HTTPU", &peer);
	if (!auth_clear_text_ok(srv, &peer)) {
		OPENSSL_cleanse(pw, sizeof(pw));
		log_ses(req->log, LOG_PROBLEM, "clear-text login refused from "
		    "%s: not over TLS", conn_peer_text(req->conn));
		login_page(resp, 403, domain, "a password may be sent only "
		    "over TLS from this address (https)");
		return;
	}
	if (auth_login(srv, &peer, full, pw, &who, &err) < 0) {
		OPENSSL_cleanse(pw, sizeof(pw));
		log_escape(esc, sizeof(esc), full, strlen(full));
		log_ses(req->log, LOG_PROBLEM, "login failed for '%s': %s",
		    esc, err.msg);
		login_page(resp, err.kind == ERR_LIMIT ? 429 : err.kind ==
		    ERR_PERM ? 403 : 401, domain, err.msg);
		return;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	wu_session_new(srv, req, resp, &who, &u);
	OPENSSL_cleanse(&u, sizeof(u));
	http_resp_redirect(resp, "/Mailboxes");
}

/* One row per mailbox: name, messages, unseen. */
static void
mailbox_rows(struct server *srv, const struct http_request *req,
    const struct wu_user *u, struct buf *b)
{
	char path[OBJECTS_PATH_MAX];
	struct store_mbinfo *v = NULL;
	struct store_status st;
	struct store *s;
	struct error err;
	size_t n = 0, i;

	if (objects_account_path(srv->objects, u->who.account, u->who.domain,
	    path, sizeof(path), &err) < 0 ||
	    (s = store_cache_get(path, &err)) == NULL) {
		log_ses(req->log, LOG_FAILURE, "%s: cannot open the account: "
		    "%s", u->who.address, err.msg);
		buf_puts(b, "<p class=error>The account cannot be opened.</p>");
		return;
	}
	if (store_mailbox_infos(s, &v, &n, &err) < 0) {
		log_ses(req->log, LOG_FAILURE, "%s: cannot list the mailboxes: "
		    "%s", u->who.address, err.msg);
		buf_puts(b, "<p class=error>The mailboxes cannot be listed."
		    "</p>");
		store_cache_release(&s);
		return;
	}
	buf_puts(b, "<table class=mailboxes><thead><tr><th>Mailbox</th>"
	    "<th>Messages</th><th>Unread</th></tr></thead><tbody>\n");
	for (i = 0; i < n; i++) {
		if (v[i].noselect)
			continue;
		buf_puts(b, "<tr><td>");
		http_html_escape(b, v[i].name);
		if (store_mailbox_status(s, v[i].name, &st, &err) == 0)
			buf_printf(b, "</td><td>%u</td><td>%u</td></tr>\n",
			    st.messages, st.unseen);
		else
			buf_puts(b, "</td><td>-</td><td>-</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
	store_mbinfo_free(v, n);
	store_cache_release(&s);
}

static void
mailboxes_page(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct wu_user *u)
{
	struct buf *b;

	page_begin_csp(resp, 200, "Mailboxes", u->who.domain, WU_APP_CSP);
	b = http_resp_body(resp);
	/* the webmail reads its CSRF token and its account here */
	buf_puts(b, "<div id=wm-data hidden data-csrf=\"");
	http_html_escape(b, u->csrf);
	buf_puts(b, "\" data-account=\"");
	http_html_escape(b, u->who.address);
	buf_puts(b, "\"></div>\n<header id=top><span class=who>");
	http_html_escape(b, u->who.address);
	buf_puts(b, "</span><form method=post action=\"/logout\">"
	    "<input type=hidden name=csrf value=\"");
	http_html_escape(b, u->csrf);
	buf_puts(b, "\"><button type=submit>Log out</button></form></header>"
	    "\n<main id=plain><h1>Mailboxes</h1>\n");
	mailbox_rows(srv, req, u, b);
	buf_puts(b, "</main>\n<div id=app hidden></div>\n");
	page_end(resp);
}

static void
do_logout(const struct http_request *req, struct http_response *resp,
    const struct wu_user *u)
{
	char tok[WU_ID_HEX * 2 + 2];

	if (strcmp(req->method, "POST") != 0) {
		http_resp_header(resp, "Allow", "POST");
		http_resp_text(resp, 405, "log out with a POST\n");
		return;
	}
	if (!http_same_origin(req) || !http_is_form(req) ||
	    !http_token_eq(http_form_value((const char *)req->body,
	    req->body_len, "csrf", tok, sizeof(tok)), u->csrf)) {
		log_ses(req->log, LOG_PROBLEM, "logout of '%s' refused: missing "
		    "or wrong CSRF token", u->who.address);
		http_resp_text(resp, 403, "missing or wrong CSRF token\n");
		return;
	}
	log_ses(req->log, LOG_MAJOR, "'%s' logged out", u->who.address);
	wu_session_end(req, resp, u->sid);
	http_resp_redirect(resp, "/");
}

bool
wu_pages_handle(struct server *srv, const struct http_request *req,
    struct http_response *resp)
{
	const char *p = req->path;
	char domain[DOMAIN_NAME_MAX + 1];
	struct wu_user u;
	enum wu_auth au;

	if (strncmp(p, "/user/", 6) == 0) {
		http_resp_static(resp, req, p + 1);
		return true;
	}
	if (strcmp(p, "/") != 0 && strcmp(p, "/login") != 0 &&
	    strcmp(p, "/logout") != 0 && strcmp(p, "/Mailboxes") != 0 &&
	    !wu_prefs_path(p))
		return false;
	if (!pick_domain(srv, req, domain, sizeof(domain))) {
		no_web_access(req, resp);
		return true;
	}
	if (strcmp(p, "/login") == 0) {
		do_login(srv, req, resp, domain);
		return true;
	}
	au = wu_session_get(srv, req, &u);
	if (au == WU_AUTH_REFUSED) {
		login_page(resp, 403, domain, "this session may be used only "
		    "from the network address it was opened from; please log "
		    "in again");
		return true;
	}
	if (au == WU_AUTH_NONE && wu_prefs_path(p)) {
		http_resp_text(resp, 401, "log in first\n");
		return true;
	}
	if (au == WU_AUTH_NONE) {
		if (strcmp(p, "/") == 0 && strcmp(req->method, "POST") != 0)
			login_page(resp, 200, domain, NULL);
		else
			http_resp_redirect(resp, "/");
		return true;
	}
	if (wu_prefs_handle(srv, req, resp, &u))
		;
	else if (strcmp(p, "/logout") == 0)
		do_logout(req, resp, &u);
	else if (strcmp(p, "/") == 0)
		http_resp_redirect(resp, "/Mailboxes");
	else
		mailboxes_page(srv, req, resp, &u);
	OPENSSL_cleanse(&u, sizeof(u));
	return true;
}
