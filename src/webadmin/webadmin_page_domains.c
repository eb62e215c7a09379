/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_domains.c: Users -> Domains (the list with a filter and
 * paging; create, rename, delete) and a domain's Settings page ([Aliases]
 * with [Update], Assigned IP Addresses, what happens to mail, access and
 * signals for unknown names, Directory Integration with [Insert All] /
 * [Delete All] and the directory operation's progress).  Every change is
 * one CLI command.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "webadmin/webadmin_pages.h"

#define DOMAINS_PAGE	50

static void
domain_links(struct wa_req *r, const char *d)
{
	struct buf *o = wa_out(r);

	wa_printf(r, "<a href=\"");
	wa_href(r, "/Users/Domain");
	buf_puts(o, "?d=");
	http_url_encode(o, d);
	wa_printf(r, "\">Settings</a> <a href=\"");
	wa_href(r, "/Users/Accounts");
	buf_puts(o, "?d=");
	http_url_encode(o, d);
	wa_printf(r, "\">Accounts</a>");
}

static void
domains_draw(struct wa_req *r, const struct wa_err *e)
{
	char filter[DOMAIN_NAME_MAX + 1], sv[16];
	const char *f = wa_query(r, "filter", filter, sizeof(filter));
	struct dval *list = NULL;
	struct error err;
	size_t i, n, shown = 0, matched = 0, start = 0;
	struct buf *o = wa_out(r);

	if (f == NULL)
		f = "";
	if (wa_query(r, "start", sv, sizeof(sv)) != NULL)
		start = strtoul(sv, NULL, 10);
	wa_page_begin(r, "Domains");
	wa_done_note(r);
	wa_err_note(r, e, "");
	wa_printf(r, "<form method=\"get\" class=\"filter\" action=\"");
	wa_href(r, "/Users/Domains");
	wa_printf(r, "\"><label>Filter <input name=\"filter\" value=\"");
	wa_esc(r, f);
	wa_printf(r, "\"></label> <button>Display</button></form>\n");
	if (wa_command(r, "ListDomains", &list, &err) == CLI_ERROR) {
		wa_printf(r, "<p class=\"err\">");
		wa_esc(r, err.msg);
		wa_printf(r, "</p>");
	}
	wa_printf(r, "<table id=\"domains\"><thead><tr><th>Domain</th>"
	    "<th></th><th>Rename</th><th></th></tr></thead><tbody>\n");
	n = list != NULL ? dict_array_len(list) : 0;
	for (i = 0; i < n; i++) {
		const char *d = dict_str(dict_array_get(list, i), NULL);

		if (d == NULL || (*f != '\0' && strcasestr(d, f) == NULL))
			continue;
		if (matched++ < start || shown >= DOMAINS_PAGE)
			continue;
		shown++;
		wa_printf(r, "<tr><td class=\"name\">");
		wa_esc(r, d);
		wa_printf(r, "</td><td>");
		domain_links(r, d);
		wa_printf(r, "</td><td>");
		wa_form_begin(r, "/Users/Domains");
		wa_hidden(r, "d", d);
		wa_printf(r, "<input name=\"newname\" aria-label=\"new name\" "
		    "size=\"16\"> <button name=\"action\" value=\"rename\">"
		    "Rename</button></form>");
		if (e != NULL && e->field != NULL &&
		    strcmp(e->field, d) == 0)
			wa_err_note(r, e, d);
		wa_printf(r, "</td><td>");
		wa_form_begin(r, "/Users/Domains");
		wa_hidden(r, "d", d);
		wa_printf(r, "<button name=\"action\" value=\"delete\" "
		    "class=\"danger\" data-confirm=\"Delete the domain and all "
		    "its accounts?\">Delete</button></form></td></tr>\n");
	}
	wa_printf(r, "</tbody></table>\n<p class=\"pager\">%zu of %zu",
	    shown, matched);
	if (start + shown < matched) {
		wa_printf(r, " <a rel=\"next\" href=\"");
		wa_href(r, "/Users/Domains");
		buf_printf(o, "?start=%zu&amp;filter=", start + shown);
		http_url_encode(o, f);
		wa_printf(r, "\">Next</a>");
	}
	wa_printf(r, "</p>\n");
	dict_free(&list);
	wa_printf(r, "<section class=\"panel\"><h2>Create Domain</h2>\n");
	wa_form_begin(r, "/Users/Domains");
	wa_field(r, "Domain Name", "name", "", e);
	wa_printf(r, " <button name=\"action\" value=\"create\">Create Domain"
	    "</button></form>\n<p class=\"cli\">CLI: <code>CreateDomain name"
	    "</code>, <code>RenameDomain old into new</code>, <code>"
	    "DeleteDomain name</code></p></section>\n");
	wa_page_end(r);
}

void
wa_domains_get(struct wa_req *r)
{
	domains_draw(r, NULL);
}

void
wa_domains_post(struct wa_req *r)
{
	char action[16], name[DOMAIN_NAME_MAX + 1], nn[DOMAIN_NAME_MAX + 1];
	struct wa_err e = { NULL, "" };
	struct buf b;

	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	buf_init(&b, 1024);
	if (strcmp(action, "create") == 0) {
		if (wa_form(r, "name", name, sizeof(name)) == NULL)
			name[0] = '\0';
		buf_puts(&b, "CreateDomain ");
		wa_quote(&b, name);
		e.field = "name";
	} else if (strcmp(action, "rename") == 0 ||
	    strcmp(action, "delete") == 0) {
		if (wa_form(r, "d", name, sizeof(name)) == NULL)
			name[0] = '\0';
		if (wa_form(r, "newname", nn, sizeof(nn)) == NULL)
			nn[0] = '\0';
		buf_puts(&b, action[0] == 'r' ? "RenameDomain " :
		    "DeleteDomain ");
		wa_quote(&b, name);
		if (action[0] == 'r') {
			buf_puts(&b, " into ");
			wa_quote(&b, nn);
		} else
			buf_puts(&b, " force");
		e.field = "";
	} else {
		buf_free(&b);
		http_resp_text(r->resp, 400, "unknown action");
		return;
	}
	if (!wa_post_run(r, &b, &e, e.field)) {
		domains_draw(r, &e);
		return;
	}
	wa_redirect(r, "/Users/Domains", "done=1");
}

/* ---- one domain's Settings ---------------------------------------------- */

static const char *const unknown_policies[] = {
	"Rejected", "Discarded", "Rerouted to", NULL
};

static void
policy_row(struct wa_req *r, const struct dval *eff, const char *what,
    const char *key, const char *rkey, const struct wa_err *e)
{
	const char *cur = dict_get_str(eff, key), *ra = dict_get_str(eff, rkey);
	size_t i;

	wa_printf(r, "<div class=\"row\"><label>%s to Unknown "
	    "<select name=\"%s\">", what, key);
	for (i = 0; unknown_policies[i] != NULL; i++) {
		wa_printf(r, "<option%s>%s</option>", cur != NULL &&
		    strcasecmp(cur, unknown_policies[i]) == 0 ?
		    " selected" : "", unknown_policies[i]);
	}
	wa_printf(r, "</select></label> <input name=\"%s\" aria-label=\"%s\" "
	    "value=\"", rkey, rkey);
	wa_esc(r, ra != NULL ? ra : "");
	wa_printf(r, "\"> <span class=\"setting\">%s, %s</span>", key, rkey);
	wa_err_note(r, e, key);
	wa_printf(r, "</div>\n");
}

/* Directory Integration (ldap.md): the domain's DirectoryIntegration
 * setting, and for the server administrator [Insert All] / [Delete All]
 * (InsertDirectoryRecords / DeleteDirectoryRecords) and the last directory
 * operation's progress (GetDirectoryProgress). */
static void
directory_panel(struct wa_req *r, const char *d, const struct dval *eff,
    const struct wa_err *e)
{
	static const char *const modes[] = { "None", "Keep In Sync", NULL };
	const char *cur = dict_get_str(eff, "DirectoryIntegration");
	struct dval *prog = NULL;
	struct error err;
	struct buf b;
	size_t i;

	if (cur == NULL)
		cur = "None";
	wa_printf(r, "<section class=\"panel\"><h2>Directory</h2>\n");
	wa_form_begin(r, "/Users/Domain");
	wa_hidden(r, "d", d);
	wa_printf(r, "<div class=\"row\"><label>Directory Integration "
	    "<select name=\"DirectoryIntegration\">");
	for (i = 0; modes[i] != NULL; i++)
		wa_printf(r, "<option%s>%s</option>",
		    strcasecmp(cur, modes[i]) == 0 ? " selected" : "",
		    modes[i]);
	wa_printf(r, "</select></label> <span class=\"setting\">"
	    "DirectoryIntegration</span>");
	wa_err_note(r, e, "DirectoryIntegration");
	wa_printf(r, "</div>\n<button name=\"action\" value=\"directory\">"
	    "Update</button>");
	if (r->cli.master)
		wa_printf(r, " <button name=\"action\" value=\"dirinsert\">"
		    "Insert All</button> <button name=\"action\" "
		    "value=\"dirdelete\">Delete All</button>");
	wa_err_note(r, e, "directory");
	wa_printf(r, "</form>\n");
	if (r->cli.master) {
		buf_init(&b, 64);
		buf_puts(&b, "GetDirectoryProgress");
		if (wa_run(r, &b, &prog, &err) == CLI_DATA && prog != NULL) {
			const char *op = dict_get_str(prog, "Operation");
			const char *pd = dict_get_str(prog, "Domain");
			const char *run = dict_get_str(prog, "Running");

			wa_printf(r, "<p id=\"dir-progress\">");
			if (op == NULL || *op == '\0')
				wa_printf(r, "No directory operation since the "
				    "server started.");
			else {
				wa_printf(r, "Last operation: ");
				wa_esc(r, op);
				wa_printf(r, " ");
				wa_esc(r, pd != NULL ? pd : "");
				wa_printf(r, ": <span id=\"dir-done\">%lld"
				    "</span> of <span id=\"dir-total\">%lld"
				    "</span> records, %s",
				    (long long)dict_number(dict_get(prog,
				    "Done")),
				    (long long)dict_number(dict_get(prog,
				    "Total")),
				    run != NULL && strcasecmp(run, "YES") == 0 ?
				    "running" : "finished");
			}
			wa_printf(r, "</p>\n");
		}
		dict_free(&prog);
		buf_free(&b);
	}
	wa_printf(r, "<p class=\"cli\">CLI: <code>UpdateDomainSettings domain "
	    "{DirectoryIntegration=...}</code>, <code>InsertDirectoryRecords "
	    "domain</code>, <code>DeleteDirectoryRecords domain</code>, "
	    "<code>GetDirectoryProgress</code></p></section>\n");
}

static void
domain_draw(struct wa_req *r, const char *d, const struct wa_err *e)
{
	struct dval *aliases = NULL, *eff = NULL;
	const char *ips;
	size_t i, n;

	wa_page_begin(r, "Domain Settings");
	wa_done_note(r);
	wa_printf(r, "<p class=\"crumbs\">Domain <strong id=\"domain-name\">");
	wa_esc(r, d);
	wa_printf(r, "</strong> ");
	domain_links(r, d);
	wa_printf(r, "</p>\n");
	{

		if ((eff = wa_get_named(r, "GetDomainEffectiveSettings", d)) ==
		    NULL) {
			wa_page_end(r);
			return;
		}
		aliases = wa_get_named(r, "GetDomainAliases", d);
	}

	wa_printf(r, "<section class=\"panel\"><h2>Aliases</h2>\n");
	wa_form_begin(r, "/Users/Domain");
	wa_hidden(r, "d", d);
	wa_printf(r, "<table id=\"aliases\"><tbody>\n");
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
	    "</form>\n<p class=\"cli\">CLI: <code>SetDomainAliases domain "
	    "(aliases)</code></p></section>\n");
	dict_free(&aliases);

	wa_printf(r, "<section class=\"panel\"><h2>Settings</h2>\n");
	wa_form_begin(r, "/Users/Domain");
	wa_hidden(r, "d", d);
	ips = dict_get_str(eff, "IPAddresses");
	wa_printf(r, "<div class=\"row\">");
	wa_field(r, "Assigned IP Addresses", "IPAddresses",
	    ips != NULL ? ips : "", e);
	wa_printf(r, " <span class=\"setting\">IPAddresses (\"All\": every "
	    "address no other domain has)</span></div>\n");
	policy_row(r, eff, "Mail", "MailToUnknown", "MailRerouteAddress", e);
	policy_row(r, eff, "Access", "AccessToUnknown",
	    "AccessRerouteAddress", e);
	policy_row(r, eff, "Signal", "SignalToUnknown",
	    "SignalRerouteAddress", e);
	wa_printf(r, "<button name=\"action\" value=\"settings\">Update"
	    "</button></form>\n<p class=\"cli\">CLI: <code>UpdateDomainSettings"
	    " domain {IPAddresses=...; MailToUnknown=...}</code></p>"
	    "</section>\n");
	directory_panel(r, d, eff, e);
	dict_free(&eff);
	wa_page_end(r);
}

void
wa_domain_get(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1];

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	domain_draw(r, d, NULL);
}

struct alias_acc {
	struct buf	*b;
	bool		 first;
};

static bool
add_alias(const char *name, const char *value, void *arg)
{
	struct alias_acc *a = arg;

	if (strcmp(name, "alias") != 0 || value[0] == '\0')
		return true;
	if (!a->first)
		buf_puts(a->b, ", ");
	a->first = false;
	wa_quote(a->b, value);
	return true;
}

static void
setting_pair(struct wa_req *r, struct buf *b, const char *key)
{
	char v[1024];

	if (wa_form(r, key, v, sizeof(v)) == NULL)
		return;
	wa_quote(b, key);
	buf_puts(b, " = ");
	wa_quote(b, v);
	buf_puts(b, "; ");
}

void
wa_domain_post(struct wa_req *r)
{
	char d[DOMAIN_NAME_MAX + 1], action[16];
	struct wa_err e = { NULL, "" };
	struct error err;
	struct buf b, q;

	if (!wa_target_domain(r, d, sizeof(d)))
		return;
	if (wa_form(r, "action", action, sizeof(action)) == NULL)
		action[0] = '\0';
	buf_init(&b, 64 * 1024);
	if (strcmp(action, "aliases") == 0) {
		struct alias_acc acc = { &b, true };

		buf_puts(&b, "SetDomainAliases ");
		wa_quote(&b, d);
		buf_puts(&b, " (");
		if (http_form_foreach((const char *)r->http->body,
		    r->http->body_len, add_alias, &acc) < 0) {
			buf_free(&b);
			http_resp_text(r->resp, 400, "malformed form");
			return;
		}
		buf_puts(&b, ")");
		e.field = "alias";
	} else if (strcmp(action, "settings") == 0) {
		buf_puts(&b, "UpdateDomainSettings ");
		wa_quote(&b, d);
		buf_puts(&b, " {");
		setting_pair(r, &b, "IPAddresses");
		setting_pair(r, &b, "MailToUnknown");
		setting_pair(r, &b, "MailRerouteAddress");
		setting_pair(r, &b, "AccessToUnknown");
		setting_pair(r, &b, "AccessRerouteAddress");
		setting_pair(r, &b, "SignalToUnknown");
		setting_pair(r, &b, "SignalRerouteAddress");
		buf_puts(&b, "}");
		e.field = "IPAddresses";
	} else if (strcmp(action, "directory") == 0) {
		char v[32];

		/* the page offers the two values dirsync knows; another one
		 * would silently mean None */
		if (wa_form(r, "DirectoryIntegration", v, sizeof(v)) == NULL ||
		    (strcasecmp(v, "None") != 0 &&
		    strcasecmp(v, "Keep In Sync") != 0)) {
			buf_free(&b);
			error_set(&err, ERR_SYNTAX, "DirectoryIntegration: "
			    "None or Keep In Sync");
			wa_err_set(&e, "DirectoryIntegration", &err);
			http_resp_status(r->resp, 400);
			domain_draw(r, d, &e);
			return;
		}
		buf_puts(&b, "UpdateDomainSettings ");
		wa_quote(&b, d);
		buf_puts(&b, " {");
		setting_pair(r, &b, "DirectoryIntegration");
		buf_puts(&b, "}");
		e.field = "DirectoryIntegration";
	} else if (strcmp(action, "dirinsert") == 0 ||
	    strcmp(action, "dirdelete") == 0) {
		buf_puts(&b, action[3] == 'i' ? "InsertDirectoryRecords " :
		    "DeleteDirectoryRecords ");
		wa_quote(&b, d);
		e.field = "directory";
	} else {
		buf_free(&b);
		http_resp_text(r->resp, 400, "unknown action");
		return;
	}
	if (!wa_post_run(r, &b, &e, e.field)) {
		/* "MailToUnknown: ..." names its field */
		if (strncmp(e.text, "MailToUnknown", 13) == 0)
			e.field = "MailToUnknown";
		else if (strncmp(e.text, "AccessToUnknown", 15) == 0)
			e.field = "AccessToUnknown";
		else if (strncmp(e.text, "SignalToUnknown", 15) == 0)
			e.field = "SignalToUnknown";
		domain_draw(r, d, &e);
		return;
	}
	buf_init(&q, 512);
	buf_puts(&q, "done=1&d=");
	http_url_encode(&q, d);
	wa_redirect(r, "/Users/Domain", buf_cstr(&q));
	buf_free(&q);
}
