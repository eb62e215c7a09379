/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_monitors.c: Monitors -> Queues (the destination queues with
 * their state and last error (ListQueue), a message's envelope
 * (QueueMessageInfo), [Release] (ReleaseSMTPQueue) and [Reject]
 * (RejectQueueMessage)) and Monitors -> Statistics (the page frame; the
 * charts are drawn in the browser by stats.js from the counters it polls
 * through /api/command).
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "webadmin/webadmin_pages.h"

#define QUEUE_PAGE_MSGS	200	/* messages ListQueue lists for the page */

static void
value_cell(struct wa_req *r, const struct dval *v)
{
	char *t;

	if (v == NULL)
		return;
	if (dict_type(v) == DICT_STRING) {
		wa_esc(r, dict_str(v, NULL));
		return;
	}
	t = dict_to_text(v);
	wa_esc(r, t);
	free(t);
}

static void
message_view(struct wa_req *r, const char *id)
{
	struct dval *m = NULL, *rc;
	size_t i;

	if ((m = wa_get_named(r, "QueueMessageInfo", id)) == NULL)
		return;
	wa_printf(r, "<section class=\"panel\" id=\"message\"><h2>Message ");
	wa_esc(r, id);
	wa_printf(r, "</h2><dl><dt>Return-Path</dt><dd>");
	value_cell(r, dict_get(m, "From"));
	wa_printf(r, "</dd><dt>Received</dt><dd>");
	value_cell(r, dict_get(m, "Received"));
	wa_printf(r, "</dd><dt>Size</dt><dd>");
	value_cell(r, dict_get(m, "Size"));
	wa_printf(r, "</dd></dl>\n<table><thead><tr><th>Recipient</th>"
	    "<th>Module</th><th>Queue</th><th>State</th><th>Attempts</th>"
	    "</tr></thead><tbody>\n");
	rc = dict_get(m, "Recipients");
	for (i = 0; rc != NULL && i < dict_array_len(rc); i++) {
		const struct dval *x = dict_array_get(rc, i);

		wa_printf(r, "<tr><td>");
		value_cell(r, dict_get(x, "Address"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(x, "Module"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(x, "Target"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(x, "State"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(x, "Attempts"));
		wa_printf(r, "</td></tr>\n");
	}
	wa_printf(r, "</tbody></table>\n");
	wa_form_begin(r, "/Monitors/Queues");
	wa_hidden(r, "id", id);
	wa_printf(r, "<label>Text <input name=\"text\" value=\"rejected by "
	    "the administrator\"></label> <button name=\"action\" value=\""
	    "reject\" class=\"danger\">Reject</button></form>\n<p class=\"cli"
	    "\">CLI: <code>QueueMessageInfo id</code>, <code>"
	    "RejectQueueMessage id \"text\"</code></p></section>\n");
	dict_free(&m);
}

static void
queues_draw(struct wa_req *r, const struct wa_err *e)
{
	char id[32];
	struct dval *qs = NULL;
	size_t i, j;

	wa_page_begin(r, "Queues");
	wa_done_note(r);
	wa_err_note(r, e, "");
	if (wa_query(r, "id", id, sizeof(id)) != NULL && id[0] != '\0')
		message_view(r, id);
	{
		struct buf b;

		buf_init(&b, 64);
		buf_printf(&b, "ListQueue %d", QUEUE_PAGE_MSGS);
		(void)wa_run_shown(r, &b, &qs);
		buf_free(&b);
	}
	wa_printf(r, "<table id=\"queues\" data-live=\"1\"><thead><tr><th>"
	    "Module</th><th>Queue</th><th>State</th><th>Last Error</th><th>"
	    "Messages</th><th>Recipients</th><th>Size</th><th></th></tr>"
	    "</thead><tbody>\n");
	for (i = 0; qs != NULL && i < dict_array_len(qs); i++) {
		const struct dval *q = dict_array_get(qs, i);
		const struct dval *list = dict_get(q, "List");
		const char *mod = dict_get_str(q, "Module");

		wa_printf(r, "<tr><td>");
		value_cell(r, dict_get(q, "Module"));
		wa_printf(r, "</td><td class=\"qname\">");
		value_cell(r, dict_get(q, "Queue"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(q, "State"));
		wa_printf(r, "</td><td class=\"lasterr\">");
		value_cell(r, dict_get(q, "LastError"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(q, "Messages"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(q, "Recipients"));
		wa_printf(r, "</td><td>");
		value_cell(r, dict_get(q, "Size"));
		wa_printf(r, "</td><td>");
		if (mod != NULL && strcmp(mod, "SMTP") == 0) {
			wa_form_begin(r, "/Monitors/Queues");
			wa_hidden(r, "queue", dict_get_str(q, "Queue"));
			wa_printf(r, "<button name=\"action\" value=\"release\">"
			    "Release</button></form>");
		}
		wa_printf(r, "</td></tr>\n<tr class=\"msgs\"><td colspan=\"8\">");
		for (j = 0; list != NULL && j < dict_array_len(list); j++) {
			const struct dval *m = dict_array_get(list, j);
			char idt[32];

			snprintf(idt, sizeof(idt), "%" PRId64,
			    dict_number(dict_get(m, "ID")));
			wa_printf(r, "<a href=\"");
			wa_href(r, "/Monitors/Queues");
			wa_printf(r, "?id=%s\">%s</a> ", idt, idt);
			value_cell(r, dict_get(m, "From"));
			wa_printf(r, "<br>");
		}
		wa_printf(r, "</td></tr>\n");
	}
	wa_printf(r, "</tbody></table>\n<p class=\"cli\">CLI: <code>ListQueue"
	    "</code>, <code>GetMessageQueueInfo SMTP QUEUE host</code>, <code>"
	    "ReleaseSMTPQueue host</code></p>\n");
	dict_free(&qs);
	wa_page_end(r);
}

void
wa_queues_get(struct wa_req *r)
{
	queues_draw(r, NULL);
}

void
wa_queues_post(struct wa_req *r)
{
	char action[16], v[512], text[512];
	struct wa_err e = { "", "" };
	struct buf b;

	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	buf_init(&b, 2048);
	if (strcmp(action, "release") == 0 &&
	    wa_form(r, "queue", v, sizeof(v)) != NULL) {
		buf_puts(&b, "ReleaseSMTPQueue ");
		wa_quote(&b, v);
	} else if (strcmp(action, "reject") == 0 &&
	    wa_form(r, "id", v, sizeof(v)) != NULL) {
		buf_puts(&b, "RejectQueueMessage ");
		wa_quote(&b, v);
		if (wa_form(r, "text", text, sizeof(text)) != NULL &&
		    text[0] != '\0') {
			buf_puts(&b, " ");
			wa_quote(&b, text);
		}
	} else {
		buf_free(&b);
		http_resp_text(r->resp, 400, "unknown action");
		return;
	}
	if (!wa_post_run(r, &b, &e, "")) {
		queues_draw(r, &e);
		return;
	}
	wa_redirect(r, "/Monitors/Queues", "done=1");
}

void
wa_stats_get(struct wa_req *r)
{
	wa_page_begin(r, "Statistics");
	wa_printf(r, "<p>Counters polled every 2 seconds; the charts keep the "
	    "last 10 minutes.  <span id=\"stats-status\"></span></p>\n"
	    "<div id=\"charts\" class=\"charts\" data-command=\""
	    "GetServerStatistics\"><noscript>The charts need JavaScript; "
	    "the counters are also at /metrics and from the CLI's "
	    "GetServerStatistics."
	    "</noscript></div>\n<script src=\"/admin/stats.js\" defer>"
	    "</script>\n");
	wa_page_end(r);
}
