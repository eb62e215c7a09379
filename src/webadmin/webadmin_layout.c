/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_layout.c: the frame of every WebAdmin page (head, <title> naming
 * the domain administered, the menu of the pages this administrator may
 * see, the logout button), forms with their CSRF field, and the pages of
 * the core itself: the login form and one-message pages (403, 404).
 *
 * Pages carry a Content-Security-Policy that allows only the server's own
 * scripts (no inline script, no event-handler attributes), its own style
 * sheets and inline style attributes, and no framing.
 */
#include "lib/compat.h"

#include <string.h>

#include "http/http.h"
#include "webadmin/webadmin_core.h"

#define WA_CSP	"default-src 'self'; img-src 'self' data:; " \
		"style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; " \
		"form-action 'self'; base-uri 'none'"

static void
head(struct wa_req *r, const char *title)
{
	struct buf *b = http_resp_body(r->resp);

	http_resp_header(r->resp, "Content-Type", "text/html; charset=utf-8");
	http_resp_header(r->resp, "Content-Security-Policy", WA_CSP);
	http_resp_header(r->resp, "Cache-Control", "no-store");
	buf_reset(b);
	buf_puts(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>");
	http_html_escape(b, title);
	buf_puts(b, " \xe2\x80\x94 ");
	http_html_escape(b, r->domain);
	buf_puts(b, " \xe2\x80\x94 Tegami WebAdmin</title>\n"
	    "<link rel=\"stylesheet\" href=\"/admin/admin.css\">\n");
	if (r->csrf != NULL && r->csrf[0] != '\0') {
		buf_puts(b, "<meta name=\"csrf-token\" content=\"");
		http_html_escape(b, r->csrf);
		buf_puts(b, "\">\n");
	}
	buf_puts(b, "</head>\n<body data-prefix=\"");
	http_html_escape(b, r->prefix);
	buf_puts(b, "\" data-domain=\"");
	http_html_escape(b, r->domain);
	buf_puts(b, "\">\n");
}

/* The menu: the pages with a menu name, grouped by it in table order. */
static void
menu(struct wa_req *r)
{
	struct buf *b = http_resp_body(r->resp);
	const char *groups[16];
	size_t ng = 0, i, j;

	for (i = 0; i < wa_npages; i++) {
		const struct wa_page *p = &wa_pages[i];

		if (p->menu == NULL || ((p->flags & WA_SERVER_ONLY) &&
		    !r->server_pages))
			continue;
		for (j = 0; j < ng && strcmp(groups[j], p->menu) != 0; j++)
			;
		if (j == ng && ng < N_ELEMENTS(groups))
			groups[ng++] = p->menu;
	}
	buf_puts(b, "<nav class=\"menu\">\n");
	for (j = 0; j < ng; j++) {
		buf_puts(b, "<div class=\"menu-group\"><span>");
		http_html_escape(b, groups[j]);
		buf_puts(b, "</span>");
		for (i = 0; i < wa_npages; i++) {
			const struct wa_page *p = &wa_pages[i];

			if (p->menu == NULL || strcmp(p->menu, groups[j]) != 0 ||
			    ((p->flags & WA_SERVER_ONLY) && !r->server_pages))
				continue;
			buf_puts(b, " <a href=\"");
			http_html_escape(b, r->prefix);
			http_html_escape(b, p->path);
			buf_puts(b, "\"");
			if (r->page != NULL && strcmp(r->page, p->path) == 0)
				buf_puts(b, " aria-current=\"page\"");
			buf_puts(b, ">");
			http_html_escape(b, p->title);
			buf_puts(b, "</a>");
		}
		buf_puts(b, "</div>\n");
	}
	buf_puts(b, "</nav>\n");
}

void
wa_page_begin(struct wa_req *r, const char *title)
{
	struct buf *b = http_resp_body(r->resp);

	head(r, title);
	buf_puts(b, "<header class=\"top\">\n<a class=\"brand\" href=\"");
	http_html_escape(b, r->prefix);
	buf_puts(b, "/\">Tegami</a>\n<span class=\"domain\">");
	http_html_escape(b, r->domain);
	buf_puts(b, r->server_pages ? " (server)" : " (domain)");
	buf_puts(b, "</span>\n<span class=\"who\">");
	http_html_escape(b, r->cli.account);
	buf_putc(b, '@');
	http_html_escape(b, r->cli.domain);
	buf_puts(b, "</span>\n");
	wa_form_begin(r, "/logout");
	buf_puts(b, "<button type=\"submit\">Log out</button></form>\n"
	    "</header>\n");
	menu(r);
	buf_puts(b, "<main>\n<h1>");
	http_html_escape(b, title);
	buf_puts(b, "</h1>\n");
}

void
wa_page_end(struct wa_req *r)
{
	buf_puts(http_resp_body(r->resp), "</main>\n</body>\n</html>\n");
}

void
wa_form_begin(struct wa_req *r, const char *action)
{
	struct buf *b = http_resp_body(r->resp);

	buf_puts(b, "<form method=\"post\" action=\"");
	http_html_escape(b, r->prefix);
	http_html_escape(b, action);
	buf_puts(b, "\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
	http_html_escape(b, r->csrf != NULL ? r->csrf : "");
	buf_puts(b, "\">\n");
}

void
wa_login_page(struct wa_req *r, unsigned code, const char *error)
{
	struct buf *b = http_resp_body(r->resp);
	char next[1024];

	head(r, "Login");
	http_resp_status(r->resp, code);
	buf_puts(b, "<main class=\"login\">\n<h1>Tegami WebAdmin</h1>\n"
	    "<p class=\"domain\">");
	http_html_escape(b, r->domain);
	buf_puts(b, "</p>\n");
	if (error != NULL) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">");
		http_html_escape(b, error);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<form method=\"post\" action=\"");
	http_html_escape(b, r->prefix);
	buf_puts(b, "/login\">\n");
	if (wa_form(r, "next", next, sizeof(next)) != NULL) {
		buf_puts(b, "<input type=\"hidden\" name=\"next\" value=\"");
		http_html_escape(b, next);
		buf_puts(b, "\">\n");
	}
	buf_puts(b, "<label>Name <input name=\"username\" "
	    "autocomplete=\"username\" required autofocus></label>\n"
	    "<label>Password <input name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required></label>\n"
	    "<button type=\"submit\">Enter</button>\n</form>\n</main>\n"
	    "</body>\n</html>\n");
}

void
wa_message_page(struct wa_req *r, unsigned code, const char *title,
    const char *text)
{
	struct buf *b = http_resp_body(r->resp);

	head(r, title);
	http_resp_status(r->resp, code);
	buf_puts(b, "<main>\n<h1>");
	http_html_escape(b, title);
	buf_puts(b, "</h1>\n<p class=\"error\">");
	http_html_escape(b, text);
	buf_puts(b, "</p>\n<p><a href=\"");
	http_html_escape(b, r->prefix);
	buf_puts(b, "/\">Back</a></p>\n</main>\n</body>\n</html>\n");
}
