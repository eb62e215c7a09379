/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_logs.c: Monitors -> Logs: the stored log files (the current
 * one marked *), and one file's records through ListLogs/ReadLog with a time
 * interval, a level cut-off ("cut off records more detailed than the
 * selected level"), a module and a substring filter.  Drawn by the server;
 * logs.js adds the live tail by polling ReadLog from the offset the page
 * ends at.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "webadmin/webadmin_pages.h"

static const char *const level_names[] = {
	"Nothing", "Failures", "Major", "Problems", "Low Level", "All Info"
};

struct mods {
	const char	*v[64];
	size_t		 n;
};

static void
add_mod(struct log_module *m, void *arg)
{
	struct mods *ms = arg;
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (strcasecmp(ms->v[i], m->name) == 0)
			return;
	if (ms->n < sizeof(ms->v) / sizeof(ms->v[0]))
		ms->v[ms->n++] = m->name;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
wa_logs_get(struct wa_req *r)
{
	char file[64], from[16], till[16], lv[4], mod[32], filter[256];
	const char *fl, *cur = NULL;
	struct dval *files = NULL, *res = NULL, *lines;
	struct error err;
	struct mods ms = { { NULL }, 0 };
	struct buf b;
	size_t i;
	int level = 5;

	fl = wa_query(r, "file", file, sizeof(file));
	if (wa_query(r, "from", from, sizeof(from)) == NULL)
		from[0] = '\0';
	if (wa_query(r, "till", till, sizeof(till)) == NULL)
		till[0] = '\0';
	if (wa_query(r, "level", lv, sizeof(lv)) != NULL && lv[0] >= '0' &&
	    lv[0] <= '5')
		level = lv[0] - '0';
	if (wa_query(r, "module", mod, sizeof(mod)) == NULL)
		mod[0] = '\0';
	if (wa_query(r, "filter", filter, sizeof(filter)) == NULL)
		filter[0] = '\0';

	wa_page_begin(r, "Logs");
	(void)wa_command(r, "ListLogs", &files, &err);
	for (i = 0; files != NULL && i < dict_array_len(files); i++) {
		const struct dval *f = dict_array_get(files, i);

		if (fl != NULL && *fl != '\0' &&
		    strcmp(dict_get_str(f, "Name"), fl) == 0)
			cur = fl;
	}
	if (cur == NULL && files != NULL && dict_array_len(files) > 0)
		cur = dict_get_str(dict_array_get(files, 0), "Name");

	wa_printf(r, "<form method=\"get\" class=\"filter\" id=\"log-filter\" "
	    "action=\"");
	wa_href(r, "/Monitors/Logs");
	wa_printf(r, "\"><label>File <select name=\"file\">");
	for (i = 0; files != NULL && i < dict_array_len(files); i++) {
		const struct dval *f = dict_array_get(files, i);
		const char *n = dict_get_str(f, "Name");

		wa_printf(r, "<option value=\"");
		wa_esc(r, n);
		wa_printf(r, "\"%s>", cur != NULL && strcmp(n, cur) == 0 ?
		    " selected" : "");
		wa_esc(r, n);
		wa_printf(r, "%s (%lld bytes)</option>",
		    dict_get_str(f, "Current") != NULL ? " *" : "",
		    (long long)dict_number(dict_get(f, "Size")));
	}
	wa_printf(r, "</select></label>\n<label>From <input name=\"from\" "
	    "size=\"8\" placeholder=\"hh:mm\" value=\"");
	wa_esc(r, from);
	wa_printf(r, "\"></label> <label>Till <input name=\"till\" size=\"8\" "
	    "placeholder=\"hh:mm\" value=\"");
	wa_esc(r, till);
	wa_printf(r, "\"></label>\n<label>Level <select name=\"level\">");
	for (i = 1; i <= 5; i++)
		wa_printf(r, "<option value=\"%zu\"%s>%s</option>", i,
		    (int)i == level ? " selected" : "", level_names[i]);
	wa_printf(r, "</select></label>\n<label>Module <select name=\""
	    "module\"><option value=\"\">All</option>");
	log_foreach(add_mod, &ms);
	qsort(ms.v, ms.n, sizeof(ms.v[0]), cmp_str);
	for (i = 0; i < ms.n; i++) {
		wa_printf(r, "<option%s>", strcasecmp(ms.v[i], mod) == 0 ?
		    " selected" : "");
		wa_esc(r, ms.v[i]);
		wa_printf(r, "</option>");
	}
	wa_printf(r, "</select></label>\n<label>Containing <input name=\""
	    "filter\" value=\"");
	wa_esc(r, filter);
	wa_printf(r, "\"></label> <button>Display</button> <label class=\""
	    "tail\"><input type=\"checkbox\" id=\"live-tail\"> Live</label>"
	    "</form>\n");

	if (cur == NULL) {
		wa_printf(r, "<p>No log files.</p>");
		dict_free(&files);
		wa_page_end(r);
		return;
	}
	buf_init(&b, 2048);
	buf_puts(&b, "ReadLog ");
	wa_quote(&b, cur);
	buf_printf(&b, " {Level = %d; Limit = 1000; ", level);
	if (mod[0] != '\0') {
		buf_puts(&b, "Module = ");
		wa_quote(&b, mod);
		buf_puts(&b, "; ");
	}
	if (filter[0] != '\0') {
		buf_puts(&b, "Filter = ");
		wa_quote(&b, filter);
		buf_puts(&b, "; ");
	}
	if (from[0] != '\0') {
		buf_puts(&b, "From = ");
		wa_quote(&b, from);
		buf_puts(&b, "; ");
	}
	if (till[0] != '\0') {
		buf_puts(&b, "Till = ");
		wa_quote(&b, till);
		buf_puts(&b, "; ");
	}
	buf_puts(&b, "}");
	(void)wa_run_shown(r, &b, &res);
	buf_free(&b);
	lines = res != NULL ? dict_get(res, "Lines") : NULL;
	/* The live tail continues with the same filters from Offset. */
	wa_printf(r, "<pre id=\"log\" class=\"log\" data-file=\"");
	wa_esc(r, cur);
	wa_printf(r, "\" data-offset=\"%lld\" data-level=\"%d\" data-module=\"",
	    res != NULL ? (long long)dict_number(dict_get(res, "Offset")) : 0,
	    level);
	wa_esc(r, mod);
	wa_printf(r, "\" data-filter=\"");
	wa_esc(r, filter);
	/* The newest file: the live tail follows the switch to the next
	 * day's file (logs.js). */
	wa_printf(r, "\" data-newest=\"%d\">", cur != NULL && files != NULL &&
	    dict_array_len(files) > 0 && strcmp(cur, dict_get_str(
	    dict_array_get(files, 0), "Name")) == 0);
	for (i = 0; lines != NULL && i < dict_array_len(lines); i++) {
		const char *l = dict_str(dict_array_get(lines, i), NULL);
		int lvl = l != NULL && strlen(l) > 14 && l[13] >= '0' &&
		    l[13] <= '5' ? l[13] - '0' : 5;

		wa_printf(r, "<span class=\"l%d\">", lvl);
		wa_esc(r, l);
		wa_printf(r, "</span>\n");
	}
	wa_printf(r, "</pre>\n<p class=\"cli\">CLI: <code>ListLogs</code>, "
	    "<code>ReadLog \"file\" {Level=n; Module=tag; Filter=text; "
	    "From=hh:mm; Till=hh:mm; Offset=n}</code>; a module's level is "
	    "set on its Settings page (LogLevel).</p>\n"
	    "<script src=\"/admin/logs.js\" defer></script>\n");
	dict_free(&res);
	dict_free(&files);
	wa_page_end(r);
}
