/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_settings.c: Settings -> Protection and Settings -> each
 * module (SMTP, POP, IMAP, HTTP, LDAP, DNR, LOCAL, QUEUE).  The forms are
 * drawn from the settings tables the modules declare (lib/settings.h) and
 * registered for their files (server/modsettings.c): one field per
 * setting, with its name, type, range and default, and the CLI command
 * that changes it; the values shown are what GetModule answers, and a
 * change is one UpdateModule (or UpdateProtection) with the fields that
 * changed, so the form, the API, the CLI and the file cannot disagree.  A
 * refused value comes back with the server's text next to its field.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "core/server.h"
#include "webadmin/webadmin_pages.h"

static const char *const level_names[] = {
	"Nothing", "Failures", "Major", "Problems", "Low Level", "All Info"
};

/* The settings file behind a page name. */
static const char *
page_file(const char *page)
{
	if (strcasecmp(page, "HTTP") == 0)
		return "HTTPA";
	return page;
}

/* The page's module name: the last part of its path. */
static const char *
page_module(struct wa_req *r)
{
	const char *s = strrchr(r->page, '/');

	return s != NULL ? s + 1 : r->page;
}

static const char *
type_name(const struct setting_def *d)
{
	switch (d->type) {
	case SETTING_STRING:	return "string";
	case SETTING_NUMBER:	return "number";
	case SETTING_SIZE:	return "size (K, M, G, unlimited)";
	case SETTING_TIME:	return "time (s, m, h, d)";
	case SETTING_BOOL:	return "YES or NO";
	case SETTING_IPLIST:	return "IP address list";
	case SETTING_ADDRESS:	return "address";
	case SETTING_ENUM:	return "one of the words";
	case SETTING_TIMES:	return "list of times";
	case SETTING_RATE:	return "(count, period)";
	case SETTING_WORDS:	return "list of words";
	}
	return "";
}

struct tables {
	const struct settings_table	*t[8];
	size_t				 n;
};

static void
add_table(const struct settings_table *t, const struct settings_snap *s,
    void *arg)
{
	struct tables *ts = arg;

	(void)s;
	if (ts->n < sizeof(ts->t) / sizeof(ts->t[0]))
		ts->t[ts->n++] = t;
}

/* A value of the effective dictionary as the text a field shows. */
static char *
value_text(const struct dval *eff, const char *key)
{
	const struct dval *v = eff != NULL ? dict_get(eff, key) : NULL;

	if (v == NULL)
		return xstrdup("");
	if (dict_type(v) == DICT_STRING)
		return xstrdup(dict_str(v, NULL) != NULL ? dict_str(v, NULL) : "");
	return dict_to_text(v);
}

/* The CLI command that updates the page's file, e.g. "UpdateModule SMTP". */
static void
update_cmd(struct buf *b, const char *file)
{
	if (strcmp(file, "Protection") == 0)
		buf_puts(b, "UpdateProtection");
	else
		buf_printf(b, "UpdateModule %s", file);
}

/* One field of a table. */
static void
setting_field(struct wa_req *r, const char *file, const struct setting_def *d,
    const char *cur, const char *def, const struct wa_err *e)
{
	struct buf cmd;
	size_t i;

	wa_printf(r, "<div class=\"setting-row\" id=\"set-");
	wa_esc(r, d->name);
	wa_printf(r, "\"><label><span class=\"sname\">");
	wa_esc(r, d->name);
	wa_printf(r, "</span> ");
	if (d->type == SETTING_BOOL || d->type == SETTING_ENUM) {
		wa_printf(r, "<select name=\"");
		wa_esc(r, d->name);
		wa_printf(r, "\">");
		if (d->type == SETTING_BOOL) {
			wa_printf(r, "<option%s>YES</option><option%s>NO"
			    "</option>", strcasecmp(cur, "YES") == 0 ?
			    " selected" : "", strcasecmp(cur, "YES") != 0 ?
			    " selected" : "");
		} else {
			for (i = 0; d->words != NULL && d->words[i] != NULL;
			    i++) {
				wa_printf(r, "<option%s>", strcasecmp(cur,
				    d->words[i]) == 0 ? " selected" : "");
				wa_esc(r, d->words[i]);
				wa_printf(r, "</option>");
			}
		}
		wa_printf(r, "</select>");
	} else {
		wa_printf(r, "<input name=\"");
		wa_esc(r, d->name);
		wa_printf(r, "\" value=\"");
		wa_esc(r, cur);
		wa_printf(r, "\">");
	}
	wa_printf(r, "</label>");
	wa_err_note(r, e, d->name);
	wa_printf(r, "<div class=\"help\">%s", type_name(d));
	if (d->type == SETTING_NUMBER)
		wa_printf(r, ", %llu to %llu", (unsigned long long)d->min,
		    (unsigned long long)d->max);
	wa_printf(r, "; default <code>");
	wa_esc(r, def);
	wa_printf(r, "</code>%s; CLI <code>", d->apply == SETTING_AT_RESTART ?
	    "; applies after a restart" : "");
	buf_init(&cmd, 512);
	update_cmd(&cmd, file);
	buf_printf(&cmd, " {%s = ...}", d->name);
	wa_esc(r, cmd.err == 0 ? buf_cstr(&cmd) : "");
	buf_free(&cmd);
	wa_printf(r, "</code></div></div>\n");
}

/* The module's Listener (its sockets, docs/operations.md) as a text area:
 * empty is the start-up set (the --listen options or the default ports). */
static void
listener_field(struct wa_req *r, const char *file, const struct dval *eff,
    const struct wa_err *e)
{
	char *cur = value_text(eff, "Listener");

	wa_printf(r, "<div class=\"setting-row\" id=\"set-Listener\">"
	    "<label><span class=\"sname\">Listener</span> <textarea "
	    "name=\"Listener\" rows=\"3\">");
	wa_esc(r, cur);
	wa_printf(r, "</textarea></label>");
	wa_err_note(r, e, "Listener");
	wa_printf(r, "<div class=\"help\">the module's sockets, e.g. "
	    "<code>{Ports = ({PortNumber = 25;}, {PortNumber = 465; "
	    "InitialSecurity = YES;});}</code>; empty: the start-up set; "
	    "CLI <code>UpdateModule ");
	wa_esc(r, file);
	wa_printf(r, " {Listener = ...}</code></div></div>\n");
	free(cur);
}

/* The form of every table registered for file, with the effective values
 * eff (GetModule's answer). */
static void
tables_form(struct wa_req *r, const char *file, const struct dval *eff,
    const struct wa_err *e)
{
	struct tables ts = { { NULL }, 0 };
	size_t i, j;

	objects_settings_foreach(r->srv->objects, file, add_table, &ts);
	if (log_get_level(file) >= 0) {
		char *cur = value_text(eff, "LogLevel");
		int lv = cur[0] >= '0' && cur[0] <= '5' ? cur[0] - '0' : 3;

		wa_printf(r, "<div class=\"setting-row\" id=\"set-LogLevel\">"
		    "<label><span class=\"sname\">LogLevel</span> <select "
		    "name=\"LogLevel\">");
		for (j = 0; j <= 5; j++)
			wa_printf(r, "<option value=\"%zu\"%s>%s</option>", j,
			    (int)j == lv ? " selected" : "", level_names[j]);
		wa_printf(r, "</select></label>");
		wa_err_note(r, e, "LogLevel");
		wa_printf(r, "<div class=\"help\">Log Level: records more "
		    "detailed are not written; default <code>3</code> "
		    "(Problems); CLI <code>");
		if (strcmp(file, "Protection") == 0)
			wa_printf(r, "UpdateProtection");
		else {
			wa_printf(r, "UpdateModule ");
			wa_esc(r, file);
		}
		wa_printf(r, " {LogLevel = n}</code></div></div>\n");
		free(cur);
	}
	if (listener_module_listens(file))
		listener_field(r, file, eff, e);
	for (i = 0; i < ts.n; i++) {
		struct settings_snap *s = settings_snap_new(ts.t[i], NULL,
		    NULL, NULL);
		struct dval *defs = dict_new_dict();

		settings_snap_effective(s, defs);
		settings_snap_unref(&s);
		wa_printf(r, "<fieldset><legend>");
		wa_esc(r, ts.t[i]->module);
		wa_printf(r, "</legend>\n");
		for (j = 0; j < ts.t[i]->n; j++) {
			const struct setting_def *d = &ts.t[i]->defs[j];
			char *cur = value_text(eff, d->name);
			char *def = value_text(defs, d->name);

			setting_field(r, file, d, cur, def, e);
			free(cur);
			free(def);
		}
		wa_printf(r, "</fieldset>\n");
		dict_free(&defs);
	}
	if (ts.n == 0 && log_get_level(file) < 0)
		wa_printf(r, "<p>This module has no settings in this "
		    "server.</p>\n");
}

/* GetModule file's answer (effective values), or NULL. */
static struct dval *
module_effective(struct wa_req *r, const char *file, struct error *err)
{
	struct dval *eff = NULL;
	struct buf b;

	buf_init(&b, 256);
	buf_puts(&b, "GetModule ");
	wa_quote(&b, file);
	if (wa_run(r, &b, &eff, err) != CLI_DATA)
		dict_free(&eff);
	buf_free(&b);
	return eff;
}

static void
module_draw(struct wa_req *r, const struct wa_err *e)
{
	const char *page = page_module(r), *file = page_file(page);
	struct dval *eff;
	struct error err;

	wa_page_begin(r, page);
	wa_done_note(r);
	wa_err_note(r, e, "");
	eff = module_effective(r, file, &err);
	if (eff == NULL) {
		wa_printf(r, "<p class=\"err\">");
		wa_esc(r, err.msg);
		wa_printf(r, "</p>");
	}
	wa_form_begin(r, r->page);
	tables_form(r, file, eff, e);
	wa_printf(r, "<div><button>Update</button></div></form>\n"
	    "<p class=\"cli\">CLI: <code>GetModule ");
	wa_esc(r, file);
	wa_printf(r, "</code>, <code>UpdateModule ");
	wa_esc(r, file);
	wa_printf(r, " {...}</code></p>\n");
	dict_free(&eff);
	wa_page_end(r);
}

void
wa_module_get(struct wa_req *r)
{
	module_draw(r, NULL);
}

/* "name: msg" into buf (size n), cut to fit. */
static int
name_msg(char *buf, size_t n, const char *name, const char *msg)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "%s: %s", name, msg);
	snprintf(buf, n, "%.*s", (int)(n - 1), buf_cstr(&b));
	buf_free(&b);
	return 0;
}

/* The changed fields of the form as a dictionary text onto b ("{...}");
 * false (e set) when a list value does not parse. */
static bool
changed_fields(struct wa_req *r, const char *file, const struct dval *eff,
    struct buf *b, size_t *n_r, struct wa_err *e)
{
	struct tables ts = { { NULL }, 0 };
	char *v = xmalloc(SETTINGS_STRING_MAX + 1);
	size_t i, j, vsize = SETTINGS_STRING_MAX + 1;
	bool ok = true;

	*n_r = 0;
	objects_settings_foreach(r->srv->objects, file, add_table, &ts);
	buf_puts(b, "{");
	if (log_get_level(file) >= 0 &&
	    wa_form(r, "LogLevel", v, vsize) != NULL) {
		char *cur = value_text(eff, "LogLevel");

		if (strcmp(cur, v) != 0) {
			buf_puts(b, "LogLevel = ");
			wa_quote(b, v);
			buf_puts(b, "; ");
			(*n_r)++;
		}
		free(cur);
	}
	if (listener_module_listens(file) &&
	    wa_form(r, "Listener", v, vsize) != NULL) {
		char *cur = value_text(eff, "Listener");
		struct dval *pv = NULL;
		struct error err;

		if (strcmp(cur, v) == 0)
			;
		else if (v[strspn(v, " \t\r\n")] == '\0') {
			buf_puts(b, "Listener = default; ");
			(*n_r)++;
		} else if ((pv = dict_parse(v, strlen(v), 0, &err)) == NULL) {
			e->field = "Listener";
			(void)name_msg(e->text, sizeof(e->text), "Listener",
			    err.msg);
			ok = false;
		} else {
			buf_puts(b, "Listener = ");
			dict_write(b, pv, 0);
			buf_puts(b, "; ");
			(*n_r)++;
		}
		dict_free(&pv);
		free(cur);
	}
	for (i = 0; i < ts.n; i++)
		for (j = 0; j < ts.t[i]->n; j++) {
			const struct setting_def *d = &ts.t[i]->defs[j];
			char *cur;

			if (!ok || wa_form(r, d->name, v, vsize) == NULL)
				continue;
			cur = value_text(eff, d->name);
			if (strcmp(cur, v) != 0) {
				wa_quote(b, d->name);
				buf_puts(b, " = ");
				if (v[0] == '(' || v[0] == '{') {
					struct error err;
					struct dval *pv = dict_parse(v,
					    strlen(v), 0, &err);

					if (pv == NULL) {
						free(cur);
						e->field = d->name;
						e->text[0] = '\0';
						(void)name_msg(e->text,
						    sizeof(e->text), d->name,
						    err.msg);
						ok = false;
						continue;
					}
					dict_write(b, pv, 0);
					dict_free(&pv);
				} else
					wa_quote(b, v);
				buf_puts(b, "; ");
				(*n_r)++;
			}
			free(cur);
		}
	buf_puts(b, "}");
	free(v);
	return ok;
}

/* The field a settings error names: "Name: ..." */
static void
error_field(struct wa_err *e, const struct error *err, char *buf, size_t n)
{
	const char *colon = strchr(err->msg, ':');
	size_t len = colon != NULL ? (size_t)(colon - err->msg) : 0;

	wa_err_set(e, "", err);
	if (len > 0 && len < n && strcspn(err->msg, " \"") >= len) {
		memcpy(buf, err->msg, len);
		buf[len] = '\0';
		e->field = buf;
	}
}

/* Applies the changed fields of file; redirects or draws with the error
 * through draw. */
static void
settings_post(struct wa_req *r, const char *file, const char *path,
    void (*draw)(struct wa_req *, const struct wa_err *))
{
	struct wa_err e = { "", "" };
	char fieldbuf[128];
	struct dval *eff;
	struct error err;
	struct buf b;
	size_t n;
	enum cli_rc rc;

	eff = module_effective(r, file, &err);
	buf_init(&b, 256 * 1024);
	update_cmd(&b, file);
	buf_puts(&b, " ");
	if (!changed_fields(r, file, eff, &b, &n, &e)) {
		dict_free(&eff);
		buf_free(&b);
		http_resp_status(r->resp, 400);
		draw(r, &e);
		return;
	}
	dict_free(&eff);
	rc = n > 0 ? wa_run(r, &b, NULL, &err) : CLI_OK;
	buf_free(&b);
	if (rc == CLI_ERROR || rc == CLI_UNKNOWN) {
		error_field(&e, &err, fieldbuf, sizeof(fieldbuf));
		http_resp_status(r->resp, 400);
		draw(r, &e);
		return;
	}
	wa_redirect(r, path, "done=1");
}

void
wa_module_post(struct wa_req *r)
{
	settings_post(r, page_file(page_module(r)), r->page, module_draw);
}

/* ---- Protection --------------------------------------------------------- */

static const struct {
	const char	*list;		/* Get/Set<list> */
	const char	*title;
} ip_lists[] = {
	{ "ClientIPs", "Client IP Addresses" },
	{ "BlacklistedIPs", "Blacklisted IP Addresses" },
	{ "WhiteHoleIPs", "White Hole IP Addresses" },
	{ "DebugIPs", "Debug IP Addresses" },
	{ "LANIPs", "LAN IP Addresses" },
	{ "DeniedIPs", "Denied IP Addresses" },
};

static void
protection_draw(struct wa_req *r, const struct wa_err *e)
{
	struct dval *eff, *v;
	struct error err;
	struct buf b;
	size_t i;

	wa_page_begin(r, "Protection");
	wa_done_note(r);
	wa_err_note(r, e, "");
	wa_printf(r, "<section class=\"panel\"><h2>Network Address Lists"
	    "</h2>\n");
	wa_form_begin(r, "/Settings/Protection");
	wa_printf(r, "<div class=\"iplists\">");
	for (i = 0; i < sizeof(ip_lists) / sizeof(ip_lists[0]); i++) {
		v = NULL;
		buf_init(&b, 128);
		buf_printf(&b, "Get%s", ip_lists[i].list);
		(void)wa_run(r, &b, &v, &err);
		buf_free(&b);
		wa_printf(r, "<div class=\"iplist\"><label>%s<br><textarea "
		    "name=\"%s\" rows=\"4\" spellcheck=\"false\">",
		    ip_lists[i].title, ip_lists[i].list);
		wa_esc(r, v != NULL ? dict_str(v, NULL) : "");
		wa_printf(r, "</textarea></label>");
		wa_err_note(r, e, ip_lists[i].list);
		wa_printf(r, "<div class=\"help\">CLI <code>Set%s \"list\""
		    "</code></div></div>\n", ip_lists[i].list);
		dict_free(&v);
	}
	wa_printf(r, "</div><div><button name=\"action\" value=\"lists\">"
	    "Update</button></div></form></section>\n");

	wa_printf(r, "<section class=\"panel\"><h2>Logins</h2>\n<p>"
	    "RejectNonClientLogins is [Reject all Logins from Non-Client "
	    "Addresses]; TempBlacklistFailedLogins is the failed-login flow "
	    "(failures from one address within the period before it is "
	    "blacklisted for TempBlacklistTime).</p>\n");
	eff = module_effective(r, "Protection", &err);
	wa_form_begin(r, "/Settings/Protection");
	wa_hidden(r, "action", "settings");
	tables_form(r, "Protection", eff, e);
	wa_printf(r, "<div><button>Update</button></div></form></section>\n");
	dict_free(&eff);
	wa_page_end(r);
}

void
wa_protection_get(struct wa_req *r)
{
	protection_draw(r, NULL);
}

void
wa_protection_post(struct wa_req *r)
{
	char action[16];
	struct wa_err e = { "", "" };
	struct error err;
	struct buf b;
	size_t i;

	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	if (strcmp(action, "settings") == 0) {
		settings_post(r, "Protection", "/Settings/Protection",
		    protection_draw);
		return;
	}
	buf_init(&b, 256 * 1024);
	for (i = 0; i < sizeof(ip_lists) / sizeof(ip_lists[0]); i++) {
		char *v = xmalloc(IPLIST_TEXT_MAX + 1), *p, *q;
		struct dval *cur = NULL;
		enum cli_rc rc;

		if (wa_form(r, ip_lists[i].list, v, IPLIST_TEXT_MAX + 1) ==
		    NULL) {
			free(v);
			continue;
		}
		/* a textarea sends CRLF; the list keeps one entry a line */
		for (p = q = v; *p != '\0'; p++)
			if (*p != '\r')
				*q++ = *p;
		*q = '\0';
		buf_reset(&b);
		buf_printf(&b, "Get%s", ip_lists[i].list);
		(void)wa_run(r, &b, &cur, &err);
		if (cur != NULL && strcmp(dict_str(cur, NULL), v) == 0) {
			dict_free(&cur);
			free(v);
			continue;
		}
		dict_free(&cur);
		buf_reset(&b);
		buf_printf(&b, "Set%s ", ip_lists[i].list);
		wa_quote(&b, v);
		free(v);
		rc = wa_run(r, &b, NULL, &err);
		if (rc == CLI_ERROR || rc == CLI_UNKNOWN) {
			buf_free(&b);
			wa_err_set(&e, ip_lists[i].list, &err);
			http_resp_status(r->resp, 400);
			protection_draw(r, &e);
			return;
		}
	}
	buf_free(&b);
	wa_redirect(r, "/Settings/Protection", "done=1");
}
