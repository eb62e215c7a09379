/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_pages.c: the page table (webadmin_private.h).  This minimal one
 * has the start page only; the pages of issue 11 replace it.
 */
#include "lib/compat.h"

#include "lib/dict.h"
#include "http/http.h"
#include "webadmin/webadmin_private.h"

/* The start page: who is logged in and what this WebAdmin administers. */
static void
start_get(struct wa_req *r)
{
	struct buf *b = http_resp_body(r->resp);

	wa_page_begin(r, r->server_pages ? "Server" : "Domain");
	buf_puts(b, "<p>Logged in as ");
	http_html_escape(b, r->cli.account);
	buf_putc(b, '@');
	http_html_escape(b, r->cli.domain);
	buf_puts(b, r->cli.master ? " (Master)" : "");
	buf_puts(b, ", administering ");
	http_html_escape(b, r->domain);
	buf_puts(b, ".</p>\n");
	wa_page_end(r);
}

const struct wa_page wa_pages[] = {
	{ "/", NULL, "Start", 0, start_get, NULL },
};
const size_t wa_npages = N_ELEMENTS(wa_pages);
