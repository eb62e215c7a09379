/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_router.c: Settings -> Router: the Router Table in an
 * editor (GetRouterTable/SetRouterTable; a bad line is refused with the
 * router's error text) and a test box that routes an address for mail and
 * for access (the CLI's Route) without changing anything.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "webadmin/webadmin_pages.h"

static void
route_row(struct wa_req *r, const char *addr, const char *ctx)
{
	struct dval *res = NULL;
	struct error err;
	struct buf b;

	buf_init(&b, 2048);
	buf_puts(&b, "Route ");
	wa_quote(&b, addr);
	buf_printf(&b, " %s", ctx);
	wa_printf(r, "<tr class=\"route-%s\"><th>%s</th><td>", ctx, ctx);
	if (wa_run(r, &b, &res, &err) == CLI_DATA &&
	    dict_type(res) == DICT_ARRAY && dict_array_len(res) == 3) {
		const char *mod = dict_str(dict_array_get(res, 0), NULL);
		const char *q = dict_str(dict_array_get(res, 1), NULL);
		const char *t = dict_str(dict_array_get(res, 2), NULL);

		wa_printf(r, "<span class=\"module\">");
		wa_esc(r, mod);
		wa_printf(r, "</span> ");
		if (q != NULL && *q != '\0') {
			wa_printf(r, "queue <span class=\"queue\">");
			wa_esc(r, q);
			wa_printf(r, "</span> ");
		}
		wa_printf(r, "address <span class=\"target\">");
		wa_esc(r, t);
		wa_printf(r, "</span>");
	} else {
		wa_printf(r, "<span class=\"err\">");
		wa_esc(r, err.msg);
		wa_printf(r, "</span>");
	}
	wa_printf(r, "</td></tr>\n");
	dict_free(&res);
	buf_free(&b);
}

static void
router_draw(struct wa_req *r, const char *text, const struct wa_err *e)
{
	char test[ADDRESS_MAX + 1];
	const char *t = wa_query(r, "test", test, sizeof(test));
	struct dval *table = NULL;
	struct error err;

	wa_page_begin(r, "Router");
	wa_done_note(r);
	if (text == NULL) {
		if (wa_command(r, "GetRouterTable", &table, &err) == CLI_DATA)
			text = dict_str(table, NULL);
	}
	wa_printf(r, "<section class=\"panel\"><h2>Router Table</h2>\n");
	wa_form_begin(r, "/Settings/Router");
	wa_printf(r, "<textarea name=\"table\" id=\"router-table\" rows=\"16\" "
	    "spellcheck=\"false\" aria-label=\"Router Table\">");
	wa_esc(r, text != NULL ? text : "");
	wa_printf(r, "</textarea>");
	wa_err_note(r, e, "table");
	wa_printf(r, "<div><button>Update</button></div></form>\n<p class=\""
	    "cli\">CLI: <code>GetRouterTable</code>, <code>SetRouterTable "
	    "\"text\"</code></p></section>\n");
	dict_free(&table);

	wa_printf(r, "<section class=\"panel\"><h2>Test Address</h2>\n"
	    "<form method=\"get\" action=\"");
	wa_href(r, "/Settings/Router");
	wa_printf(r, "\"><label>Address <input name=\"test\" value=\"");
	wa_esc(r, t != NULL ? t : "");
	wa_printf(r, "\"></label> <button>Test</button></form>\n");
	if (t != NULL && *t != '\0') {
		wa_printf(r, "<table id=\"route-result\"><tbody>\n");
		route_row(r, t, "mail");
		route_row(r, t, "access");
		wa_printf(r, "</tbody></table>\n");
	}
	wa_printf(r, "<p class=\"cli\">CLI: <code>Route address [mail|access]"
	    "</code></p></section>\n");
	wa_page_end(r);
}

void
wa_router_get(struct wa_req *r)
{
	router_draw(r, NULL, NULL);
}

void
wa_router_post(struct wa_req *r)
{
	struct wa_err e = { "table", "" };
	struct buf b;
	char *t = xmalloc(ROUTER_TABLE_MAX + 1);
	size_t i, j;

	if (wa_form(r, "table", t, ROUTER_TABLE_MAX + 1) == NULL) {
		free(t);
		http_resp_text(r->resp, 400, "Router Table expected (at most "
		    "1 MB)");
		return;
	}
	/* A textarea sends CRLF line ends; the table is kept with LF. */
	for (i = j = 0; t[i] != '\0'; i++)
		if (t[i] != '\r' || t[i + 1] != '\n')
			t[j++] = t[i];
	t[j] = '\0';
	buf_init(&b, ROUTER_TABLE_MAX * 2 + 64);
	buf_puts(&b, "SetRouterTable ");
	wa_quote(&b, t);
	if (!wa_post_run(r, &b, &e, "table")) {
		router_draw(r, t, &e);
		free(t);
		return;
	}
	free(t);
	wa_redirect(r, "/Settings/Router", "done=1");
}
