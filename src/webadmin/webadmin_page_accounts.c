/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_accounts.c: a domain's Accounts (the list of its accounts
 * and forwarders, filtered and paged by ListDomainObjects so 100,000
 * accounts are never drawn or sent at once; create, rename, delete) and one
 * Account's page (its effective settings, a setting changed, its password,
 * its aliases).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "webadmin/webadmin_pages.h"

#define ACCOUNTS_PAGE	50

/* name@domain into buf; "" when it does not fit (the command then
 * refuses the empty name). */
static void
full_name(char *buf, size_t n, const char *name, const char *d)
{
	if ((size_t)snprintf(buf, n, "%s@%s", name, d) >= n)
		buf[0] = '\0';
}

static void
account_href(struct wa_req *r, const char *name, const char *d)
{
	char full[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];

	full_name(full, sizeof(full), name, d);
	wa_href(r, "/Users/Account");
	buf_puts(wa_out(r), "?a=");
	http_url_encode(wa_out(r), full);
}

static void
accounts_draw(struct wa_req *r, const char *d, const struct wa_err *e)
{
	char filter[OBJECT_NAME_MAX + 1], cookie[OBJECT_NAME_MAX + 1];
	const char *f = wa_query(r, "filter", filter, sizeof(filter));
	const char *ck = wa_query(r, "cookie", cookie, sizeof(cookie));
	struct dval *res = NULL, *objs;
	struct buf b, *o = wa_out(r);
	size_t i;
	int64_t total = 0;
	const char *next = "";

	if (f == NULL)
		f = "";
	wa_page_begin(r, "Accounts");
	wa_done_note(r);
	wa_printf(r, "<p class=\"crumbs\">Domain <strong id=\"domain-name\">");
	wa_esc(r, d);
	wa_printf(r, "</strong></p>\n");
	wa_err_note(r, e, "");
	wa_printf(r, "<form method=\"get\" class=\"filter\" action=\"");
	wa_href(r, "/Users/Accounts");
	wa_printf(r, "\">");
	wa_hidden(r, "d", d);
	wa_printf(r, "<label>Filter <input name=\"filter\" value=\"");
	wa_esc(r, f);
	wa_printf(r, "\"></label> <button>Display</button></form>\n");

	buf_init(&b, 2048);
	buf_puts(&b, "ListDomainObjects ");
	wa_quote(&b, d);
	if (*f != '\0') {
		buf_puts(&b, " FILTER ");
		wa_quote(&b, f);
	}
	buf_printf(&b, " %d", ACCOUNTS_PAGE);
	if (ck != NULL && *ck != '\0') {
		buf_puts(&b, " COOKIE ");
		wa_quote(&b, ck);
	}
	if (wa_run_shown(r, &b, &res) && (dict_type(res) != DICT_ARRAY ||
	    dict_array_len(res) != 3))
		wa_printf(r, "<p class=\"err\">unexpected ListDomainObjects "
		    "result</p>");
	buf_free(&b);
	objs = res != NULL && dict_array_len(res) == 3 ?
	    dict_array_get(res, 1) : NULL;
	if (objs != NULL) {
		total = dict_number(dict_array_get(res, 0));
		next = dict_str(dict_array_get(res, 2), NULL);
	}
	wa_printf(r, "<table id=\"accounts\"><thead><tr><th>Name</th>"
	    "<th>Type</th><th>Rename</th><th></th></tr></thead><tbody>\n");
	for (i = 0; objs != NULL && i < dict_len(objs); i++) {
		const char *name = dict_key_at(objs, i);
		const struct dval *v = dict_value_at(objs, i);
		bool fwd = dict_type(v) == DICT_DICT;

		wa_printf(r, "<tr><td class=\"name\">");
		if (!fwd) {
			wa_printf(r, "<a href=\"");
			account_href(r, name, d);
			wa_printf(r, "\">");
		}
		wa_esc(r, name);
		wa_printf(r, "%s</td><td>", fwd ? "" : "</a>");
		if (fwd) {
			wa_printf(r, "Forwarder to ");
			wa_esc(r, dict_get_str(v, "Forwarder"));
		} else
			wa_esc(r, dict_str(v, NULL));
		wa_printf(r, "</td><td>");
		if (!fwd) {
			wa_form_begin(r, "/Users/Accounts");
			wa_hidden(r, "d", d);
			wa_hidden(r, "name", name);
			wa_printf(r, "<input name=\"newname\" size=\"12\" "
			    "aria-label=\"new name\"> <button name=\"action\" "
			    "value=\"rename\">Rename</button></form>");
		}
		wa_printf(r, "</td><td>");
		wa_form_begin(r, "/Users/Accounts");
		wa_hidden(r, "d", d);
		wa_hidden(r, "name", name);
		wa_printf(r, "<button name=\"action\" value=\"%s\" class=\""
		    "danger\" data-confirm=\"Delete %s?\">Delete</button>"
		    "</form></td></tr>\n", fwd ? "deletefwd" : "delete",
		    fwd ? "the forwarder" : "the account and its mail");
	}
	wa_printf(r, "</tbody></table>\n<p class=\"pager\"><span id=\"total\">"
	    "%lld</span> found", (long long)total);
	if (ck != NULL && *ck != '\0') {
		wa_printf(r, " <a href=\"");
		wa_href(r, "/Users/Accounts");
		buf_puts(o, "?d=");
		http_url_encode(o, d);
		buf_puts(o, "&amp;filter=");
		http_url_encode(o, f);
		wa_printf(r, "\">First</a>");
	}
	if (next != NULL && *next != '\0') {
		wa_printf(r, " <a rel=\"next\" href=\"");
		wa_href(r, "/Users/Accounts");
		buf_puts(o, "?d=");
		http_url_encode(o, d);
		buf_puts(o, "&amp;filter=");
		http_url_encode(o, f);
		buf_puts(o, "&amp;cookie=");
		http_url_encode(o, next);
		wa_printf(r, "\">Next</a>");
	}
	wa_printf(r, "</p>\n");
	dict_free(&res);

	wa_printf(r, "<section class=\"panel\"><h2>Create Account</h2>\n");
	wa_form_begin(r, "/Users/Accounts");
	wa_hidden(r, "d", d);
	wa_field(r, "Name", "name", "", e);
	wa_printf(r, " <label>Password <input type=\"password\" name=\""
	    "password\" autocomplete=\"new-password\"></label>");
	wa_err_note(r, e, "password");
	wa_printf(r, " <button name=\"action\" value=\"create\">Create Account"
	    "</button></form>\n<p class=\"cli\">CLI: <code>CreateAccount "
	    "name@domain</code>, <code>SetAccountPassword name@domain PASSWORD "
	    "\"...\"</code>, <code>ListDomainObjects domain FILTER \"...\" 50 "
	    "COOKIE \"...\"</code></p></section>\n");
	wa_printf(r, "<section class=\"panel\"><h2>Create Forwarder</h2>\n");
	wa_form_begin(r, "/Users/Accounts");
	wa_hidden(r, "d", d);
	wa_field(r, "Name", "fname", "", e);
	wa_printf(r, " ");
	wa_field(r, "Forward to", "to", "", e);
	wa_printf(r, " <button name=\"action\" value=\"createfwd\">Create "
	    "Forwarder</button></form>\n<p class=\"cli\">CLI: <code>"
	    "CreateForwarder name@domain TO \"address\"</code></p>"
	    "</section>\n");
	wa_page_end(r);
}

void
wa_accounts_get(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1];

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	accounts_draw(r, d, NULL);
}

void
wa_accounts_post(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1], action[16], name[OBJECT_NAME_MAX + 1];
	char arg[ADDRESS_MAX + 1];
	char full[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	struct wa_err e = { "", "" };
	struct error err;
	struct buf b, q;
	enum cli_rc rc;

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	if (wa_form(r, strcmp(action, "createfwd") == 0 ? "fname" : "name",
	    name, sizeof(name)) == NULL)
		name[0] = '\0';
	full_name(full, sizeof(full), name, d);
	buf_init(&b, 4096);
	if (strcmp(action, "create") == 0) {
		buf_puts(&b, "CreateAccount ");
		wa_quote(&b, full);
		e.field = "name";
	} else if (strcmp(action, "rename") == 0) {
		char nfull[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];

		if (wa_form(r, "newname", arg, sizeof(arg)) == NULL)
			arg[0] = '\0';
		full_name(nfull, sizeof(nfull), arg, d);
		buf_puts(&b, "RenameAccount ");
		wa_quote(&b, full);
		buf_puts(&b, " into ");
		wa_quote(&b, nfull);
	} else if (strcmp(action, "delete") == 0) {
		buf_puts(&b, "DeleteAccount ");
		wa_quote(&b, full);
	} else if (strcmp(action, "deletefwd") == 0) {
		buf_puts(&b, "DeleteForwarder ");
		wa_quote(&b, full);
	} else if (strcmp(action, "createfwd") == 0) {
		if (wa_form(r, "to", arg, sizeof(arg)) == NULL)
			arg[0] = '\0';
		buf_puts(&b, "CreateForwarder ");
		wa_quote(&b, full);
		buf_puts(&b, " TO ");
		wa_quote(&b, arg);
		e.field = "fname";
	} else {
		buf_free(&b);
		http_resp_text(r->resp, 400, "unknown action");
		return;
	}
	rc = wa_run(r, &b, NULL, &err);
	/* a new account's password, when given */
	if (rc != CLI_ERROR && rc != CLI_UNKNOWN &&
	    strcmp(action, "create") == 0 &&
	    wa_form(r, "password", arg, sizeof(arg)) != NULL && *arg != '\0') {
		buf_reset(&b);
		buf_puts(&b, "SetAccountPassword ");
		wa_quote(&b, full);
		buf_puts(&b, " PASSWORD ");
		wa_quote(&b, arg);
		rc = wa_run(r, &b, NULL, &err);
		e.field = "password";
	}
	buf_free(&b);
	if (rc == CLI_ERROR || rc == CLI_UNKNOWN) {
		wa_err_set(&e, e.field, &err);
		http_resp_status(r->resp, 400);
		accounts_draw(r, d, &e);
		return;
	}
	buf_init(&q, 512);
	buf_puts(&q, "done=1&d=");
	http_url_encode(&q, d);
	wa_redirect(r, "/Users/Accounts", buf_cstr(&q));
	buf_free(&q);
}

/* ---- one account -------------------------------------------------------- */

/* The "a" value split; false (403 or 400 drawn) when not allowed. */
static bool
target_account(struct wa_req *r, char *full, size_t n)
{
	char v[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	const char *a = NULL, *at;

	if (http_is_form(r->http))
		a = wa_form(r, "a", v, sizeof(v));
	if (a == NULL)
		a = wa_query(r, "a", v, sizeof(v));
	if (a == NULL || *a == '\0') {
		full[0] = '\0';
		return true;
	}
	at = strrchr(a, '@');
	if ((size_t)(at == NULL ? snprintf(full, n, "%s@%s", a, r->domain) :
	    snprintf(full, n, "%s", a)) >= n) {
		http_resp_text(r->resp, 400, "account name too long");
		return false;
	}
	at = strrchr(full, '@');
	if (!r->cli.master && strcasecmp(at + 1, r->domain) != 0) {
		http_resp_text(r->resp, 403, "not enough access rights");
		return false;
	}
	return true;
}

static void
account_draw(struct wa_req *r, const char *full, const struct wa_err *e)
{
	struct dval *eff = NULL, *aliases = NULL;
	size_t i, n;

	wa_page_begin(r, "Account");
	wa_done_note(r);
	if (full[0] == '\0') {
		wa_printf(r, "<form method=\"get\" action=\"");
		wa_href(r, "/Users/Account");
		wa_printf(r, "\"><label>Account <input name=\"a\"></label> "
		    "<button>Open</button></form>\n");
		wa_page_end(r);
		return;
	}
	wa_printf(r, "<p class=\"crumbs\">Account <strong id=\"account-name\">");
	wa_esc(r, full);
	wa_printf(r, "</strong></p>\n");
	if ((eff = wa_get_named(r, "GetAccountEffectiveSettings", full)) ==
	    NULL) {
		wa_page_end(r);
		return;
	}
	aliases = wa_get_named(r, "GetAccountAliases", full);

	wa_printf(r, "<section class=\"panel\"><h2>Password</h2>\n");
	wa_form_begin(r, "/Users/Account");
	wa_hidden(r, "a", full);
	wa_printf(r, "<label>New Password <input type=\"password\" name=\""
	    "password\" autocomplete=\"new-password\"></label>");
	wa_err_note(r, e, "password");
	wa_printf(r, " <button name=\"action\" value=\"password\">Update"
	    "</button></form>\n<p class=\"cli\">CLI: <code>SetAccountPassword "
	    "name PASSWORD \"...\"</code></p></section>\n");

	wa_printf(r, "<section class=\"panel\"><h2>Aliases</h2>\n");
	wa_form_begin(r, "/Users/Account");
	wa_hidden(r, "a", full);
	wa_printf(r, "<table id=\"account-aliases\"><tbody>\n");
	n = aliases != NULL ? dict_array_len(aliases) : 0;
	for (i = 0; i < n + 2; i++) {
		wa_printf(r, "<tr><td><input name=\"alias\" aria-label=\"alias"
		    "\" value=\"");
		if (i < n)
			wa_esc(r, dict_str(dict_array_get(aliases, i), NULL));
		wa_printf(r, "\"></td></tr>\n");
	}
	wa_printf(r, "</tbody></table>");
	wa_err_note(r, e, "alias");
	wa_printf(r, "<button name=\"action\" value=\"aliases\">Update</button>"
	    "</form>\n<p class=\"cli\">CLI: <code>SetAccountAliases name "
	    "(aliases)</code></p></section>\n");
	dict_free(&aliases);

	wa_printf(r, "<section class=\"panel\"><h2>Effective Settings</h2>\n"
	    "<p class=\"help\">With what the domain and the server give; "
	    "change the account's own below or the defaults on the Account "
	    "Defaults page.</p>\n<table id=\"account-settings\"><thead><tr><th>Setting</th>"
	    "<th>Effective value</th></tr></thead><tbody>\n");
	for (i = 0; eff != NULL && dict_type(eff) == DICT_DICT &&
	    i < dict_len(eff); i++) {
		const struct dval *v = dict_value_at(eff, i);
		char *text = dict_type(v) == DICT_STRING ? NULL :
		    dict_to_text(v);

		wa_printf(r, "<tr><td>");
		wa_esc(r, dict_key_at(eff, i));
		wa_printf(r, "</td><td>");
		wa_esc(r, text != NULL ? text : dict_str(v, NULL));
		wa_printf(r, "</td></tr>\n");
		free(text);
	}
	wa_printf(r, "</tbody></table>\n");
	dict_free(&eff);
	wa_printf(r, "</section>\n");
	wa_dict_editor(r, "/Users/Account", "Account's Own Settings",
	    "AccountSettings", full, "a", e);
	wa_dict_editor(r, "/Users/Account", "WebUser Preferences",
	    "AccountPrefs", full, "a", e);
	wa_page_end(r);
}

void
wa_account_get(struct wa_req *r)
{
	char full[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];

	if (!target_account(r, full, sizeof(full)))
		return;
	account_draw(r, full, NULL);
}

static bool
add_alias(const char *name, const char *value, void *arg)
{
	struct buf *b = arg;

	if (strcmp(name, "alias") != 0 || value[0] == '\0')
		return true;
	if (b->data[b->len - 1] != '(')
		buf_puts(b, ", ");
	wa_quote(b, value);
	return true;
}

void
wa_account_post(struct wa_req *r)
{
	char full[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2], action[16];
	char v[1024], k[64];
	struct wa_err e = { "", "" };
	struct buf b, q;

	if (!target_account(r, full, sizeof(full)))
		return;
	if (full[0] == '\0') {
		http_resp_text(r->resp, 400, "account name expected");
		return;
	}
	if (wa_form(r, "which", k, sizeof(k)) != NULL &&
	    (strcmp(k, "AccountSettings") == 0 ||
	    strcmp(k, "AccountPrefs") == 0)) {
		if (wa_dict_editor_post(r, k, full, &e) < 0) {
			http_resp_status(r->resp, 400);
			account_draw(r, full, &e);
			return;
		}
		goto done;
	}
	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	buf_init(&b, 64 * 1024);
	if (strcmp(action, "password") == 0) {
		if (wa_form(r, "password", v, sizeof(v)) == NULL)
			v[0] = '\0';
		buf_puts(&b, "SetAccountPassword ");
		wa_quote(&b, full);
		buf_puts(&b, " PASSWORD ");
		wa_quote(&b, v);
		e.field = "password";
	} else if (strcmp(action, "aliases") == 0) {
		buf_puts(&b, "SetAccountAliases ");
		wa_quote(&b, full);
		buf_puts(&b, " (");
		if (http_form_foreach((const char *)r->http->body,
		    r->http->body_len, add_alias, &b) < 0) {
			buf_free(&b);
			http_resp_text(r->resp, 400, "malformed form");
			return;
		}
		buf_puts(&b, ")");
		e.field = "alias";
	} else {
		buf_free(&b);
		http_resp_text(r->resp, 400, "unknown action");
		return;
	}
	if (!wa_post_run(r, &b, &e, e.field)) {
		account_draw(r, full, &e);
		return;
	}
done:
	buf_init(&q, 512);
	buf_puts(&q, "done=1&a=");
	http_url_encode(&q, full);
	wa_redirect(r, "/Users/Account", buf_cstr(&q));
	buf_free(&q);
}
