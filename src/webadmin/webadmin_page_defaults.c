/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_defaults.c: Users -> Account Defaults: the settings and
 * WebUser preferences new and existing accounts inherit, at the server
 * level (ServerAccountDefaults, ServerAccountPrefs) and at a domain's
 * (AccountDefaults, AccountDefaultPrefs); the account level is on the
 * Account page (AccountSettings, AccountPrefs) with the same editor.  An
 * account's value wins over its domain's, the domain's over the server's
 * (docs/admin-cli.md, Defaults).  The editor lists the level's own keys; a
 * changed value is sent with Update<file>, an emptied one as "default"
 * (removed: the inherited value applies again), a new key from the last
 * row.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "webadmin/webadmin_pages.h"

/* The Get<file> [target] command's answer, or NULL with err. */
static struct dval *
level_get(struct wa_req *r, const char *file, const char *target,
    struct error *err)
{
	struct dval *d = NULL;
	struct buf b;

	buf_init(&b, 1024);
	buf_printf(&b, "Get%s", file);
	if (target != NULL) {
		buf_puts(&b, " ");
		wa_quote(&b, target);
	}
	if (wa_run(r, &b, &d, err) != CLI_DATA || dict_type(d) != DICT_DICT)
		dict_free(&d);
	buf_free(&b);
	return d;
}

void
wa_dict_editor(struct wa_req *r, const char *action, const char *title,
    const char *file, const char *target, const char *hidden_name,
    const struct wa_err *e)
{
	struct dval *d;
	struct error err;
	size_t i;

	wa_printf(r, "<section class=\"panel\" id=\"ed-%s\"><h2>", file);
	wa_esc(r, title);
	wa_printf(r, "</h2>\n");
	d = level_get(r, file, target, &err);
	if (d == NULL) {
		wa_printf(r, "<p class=\"err\">");
		wa_esc(r, err.msg);
		wa_printf(r, "</p></section>\n");
		return;
	}
	wa_form_begin(r, action);
	wa_hidden(r, "which", file);
	if (target != NULL)
		wa_hidden(r, hidden_name, target);
	wa_printf(r, "<table class=\"dict\"><thead><tr><th>Setting</th><th>"
	    "Value (empty: inherit)</th></tr></thead><tbody>\n");
	for (i = 0; i < dict_len(d); i++) {
		const struct dval *v = dict_value_at(d, i);
		char *text = dict_type(v) == DICT_STRING ? NULL :
		    dict_to_text(v);
		const char *k = dict_key_at(d, i);

		wa_printf(r, "<tr><td><code>");
		wa_esc(r, k);
		wa_printf(r, "</code></td><td><input name=\"k:");
		wa_esc(r, k);
		wa_printf(r, "\" aria-label=\"");
		wa_esc(r, k);
		wa_printf(r, "\" value=\"");
		wa_esc(r, text != NULL ? text : dict_str(v, NULL));
		wa_printf(r, "\">");
		wa_err_note(r, e, k);
		wa_printf(r, "</td></tr>\n");
		free(text);
	}
	wa_printf(r, "<tr><td><input name=\"newkey\" aria-label=\"new setting"
	    "\" placeholder=\"new setting\"></td><td><input name=\"newvalue\" "
	    "aria-label=\"its value\" placeholder=\"value\">");
	wa_err_note(r, e, file);
	wa_printf(r, "</td></tr>\n</tbody></table><button>Update</button>"
	    "</form>\n<p class=\"cli\">CLI: <code>Get%s%s</code>, <code>"
	    "Update%s%s {key = value; key = default}</code></p></section>\n",
	    file, target != NULL ? " target" : "", file,
	    target != NULL ? " target" : "");
	dict_free(&d);
}

static const char *const files[] = {
	"ServerAccountDefaults", "ServerAccountPrefs", "AccountDefaults",
	"AccountDefaultPrefs", "AccountSettings", "AccountPrefs", NULL
};

struct upd {
	struct wa_req	*r;
	const struct dval *cur;
	struct buf	*b;
	size_t		 n;
	bool		 bad;
	struct wa_err	*e;
};

static void
put_value(struct upd *u, const char *key, const char *v)
{
	wa_quote(u->b, key);
	buf_puts(u->b, " = ");
	if (*v == '\0')
		buf_puts(u->b, "default");
	else if (v[0] == '(' || v[0] == '{') {
		struct error err;
		struct dval *pv = dict_parse(v, strlen(v), 0, &err);

		if (pv == NULL) {
			u->bad = true;
			u->e->field = "";
			snprintf(u->e->text, sizeof(u->e->text), "%.60s: %.180s",
			    key, err.msg);
			return;
		}
		dict_write(u->b, pv, 0);
		dict_free(&pv);
	} else
		wa_quote(u->b, v);
	buf_puts(u->b, "; ");
	u->n++;
}

static bool
changed_one(const char *name, const char *value, void *arg)
{
	struct upd *u = arg;
	const struct dval *v;
	char *text;

	if (strncmp(name, "k:", 2) != 0 || name[2] == '\0')
		return true;
	v = dict_get(u->cur, name + 2);
	if (v == NULL)
		return true;
	text = dict_type(v) == DICT_STRING ? xstrdup(dict_str(v, NULL)) :
	    dict_to_text(v);
	if (strcmp(text, value) != 0)
		put_value(u, name + 2, value);
	free(text);
	return !u->bad;
}

/* Applies the editor's POST to file (target: the domain or account, or
 * NULL).  0, or -1 with e set. */
int
wa_dict_editor_post(struct wa_req *r, const char *file, const char *target,
    struct wa_err *e)
{
	char nk[256], nv[4096];
	struct upd u;
	struct error err;
	struct buf b;
	struct dval *cur;
	enum cli_rc rc;

	if ((cur = level_get(r, file, target, &err)) == NULL) {
		wa_err_set(e, "", &err);
		return -1;
	}
	buf_init(&b, 256 * 1024);
	buf_printf(&b, "Update%s ", file);
	if (target != NULL) {
		wa_quote(&b, target);
		buf_puts(&b, " ");
	}
	buf_puts(&b, "{");
	memset(&u, 0, sizeof(u));
	u.r = r;
	u.cur = cur;
	u.b = &b;
	u.e = e;
	if (http_form_foreach((const char *)r->http->body, r->http->body_len,
	    changed_one, &u) < 0) {
		u.bad = true;
		e->field = "";
		snprintf(e->text, sizeof(e->text), "malformed form");
	}
	if (!u.bad && wa_form(r, "newkey", nk, sizeof(nk)) != NULL &&
	    nk[0] != '\0') {
		if (wa_form(r, "newvalue", nv, sizeof(nv)) == NULL)
			nv[0] = '\0';
		put_value(&u, nk, nv);
	}
	buf_puts(&b, "}");
	dict_free(&cur);
	if (u.bad) {
		buf_free(&b);
		return -1;
	}
	rc = u.n > 0 ? wa_run(r, &b, NULL, &err) : CLI_OK;
	buf_free(&b);
	if (rc == CLI_ERROR || rc == CLI_UNKNOWN) {
		wa_err_set(e, file, &err);
		return -1;
	}
	return 0;
}

static void
defaults_draw(struct wa_req *r, const char *d, const struct wa_err *e)
{
	wa_page_begin(r, "Account Defaults");
	wa_done_note(r);
	wa_err_note(r, e, "");
	wa_printf(r, "<p>An account's own value wins over its domain's "
	    "default, the domain's over the server's.  Domain <strong id=\""
	    "domain-name\">");
	wa_esc(r, d);
	wa_printf(r, "</strong>.</p>\n");
	if (r->cli.master) {
		wa_dict_editor(r, "/Users/AccountDefaults", "Server-wide Account "
		    "Defaults", "ServerAccountDefaults", NULL, "d", e);
		wa_dict_editor(r, "/Users/AccountDefaults", "Server-wide WebUser "
		    "Preferences", "ServerAccountPrefs", NULL, "d", e);
	}
	wa_dict_editor(r, "/Users/AccountDefaults", "Domain Account Defaults",
	    "AccountDefaults", d, "d", e);
	wa_dict_editor(r, "/Users/AccountDefaults", "Domain WebUser "
	    "Preferences", "AccountDefaultPrefs", d, "d", e);
	wa_page_end(r);
}

void
wa_defaults_get(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1];

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	defaults_draw(r, d, NULL);
}

void
wa_defaults_post(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1], which[64];
	struct wa_err e = { "", "" };
	struct buf q;
	size_t i;

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	if (wa_form(r, "which", which, sizeof(which)) == NULL)
		which[0] = '\0';
	for (i = 0; files[i] != NULL && i < 4; i++)
		if (strcmp(files[i], which) == 0)
			break;
	if (i >= 4 || files[i] == NULL) {
		http_resp_text(r->resp, 400, "unknown settings");
		return;
	}
	if (wa_dict_editor_post(r, which, strncmp(which, "Server", 6) == 0 ?
	    NULL : d, &e) < 0) {
		http_resp_status(r->resp, 400);
		defaults_draw(r, d, &e);
		return;
	}
	buf_init(&q, 512);
	buf_puts(&q, "done=1&d=");
	http_url_encode(&q, d);
	wa_redirect(r, "/Users/AccountDefaults", buf_cstr(&q));
	buf_free(&q);
}
