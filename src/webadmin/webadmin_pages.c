/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_pages.c: the WebAdmin page table (the core dispatches by path)
 * and the helpers the page files share (webadmin_pages.h).  Realms and page
 * names as in the original: Settings, Users, Monitors.
 */
#include "lib/compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "webadmin/webadmin_pages.h"

/* The start page: the server's General page, or a domain's Accounts (the
 * original shows a Domain Administrator the list of his accounts). */
static void
start_get(struct wa_req *r)
{
	if (r->server_pages)
		wa_general_get(r);
	else
		wa_accounts_get(r);
}

const struct wa_page wa_pages[] = {
	{ "/", NULL, "Start", 0, start_get, NULL },
	{ "/Settings/General", "Settings", "General", WA_SERVER_ONLY,
	  wa_general_get, wa_general_post },
	{ "/Settings/Protection", "Settings", "Protection", WA_SERVER_ONLY,
	  wa_protection_get, wa_protection_post },
	{ "/Settings/Router", "Settings", "Router", WA_SERVER_ONLY,
	  wa_router_get, wa_router_post },
	{ "/Settings/SMTP", "Settings", "SMTP", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/POP", "Settings", "POP", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/IMAP", "Settings", "IMAP", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/HTTP", "Settings", "HTTP", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/LDAP", "Settings", "LDAP", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/DNR", "Settings", "DNR", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/LOCAL", "Settings", "LOCAL", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Settings/QUEUE", "Settings", "QUEUE", WA_SERVER_ONLY,
	  wa_module_get, wa_module_post },
	{ "/Users/Domains", "Users", "Domains", WA_SERVER_ONLY,
	  wa_domains_get, wa_domains_post },
	{ "/Users/Domain", "Users", "Domain Settings", 0,
	  wa_domain_get, wa_domain_post },
	{ "/Users/Accounts", "Users", "Accounts", 0,
	  wa_accounts_get, wa_accounts_post },
	{ "/Users/Account", "Users", "Account", 0,
	  wa_account_get, wa_account_post },
	{ "/Users/AccountDefaults", "Users", "Account Defaults", 0,
	  wa_defaults_get, wa_defaults_post },
	{ "/Monitors/Logs", "Monitors", "Logs", WA_SERVER_ONLY,
	  wa_logs_get, NULL },
	{ "/Monitors/Queues", "Monitors", "Queues", WA_SERVER_ONLY,
	  wa_queues_get, wa_queues_post },
	{ "/Monitors/Statistics", "Monitors", "Statistics", WA_SERVER_ONLY,
	  wa_stats_get, NULL },
};
const size_t wa_npages = sizeof(wa_pages) / sizeof(wa_pages[0]);

struct buf *
wa_out(struct wa_req *r)
{
	return http_resp_body(r->resp);
}

void
wa_printf(struct wa_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(wa_out(r), fmt, ap);
	va_end(ap);
}

void
wa_esc(struct wa_req *r, const char *s)
{
	http_html_escape(wa_out(r), s != NULL ? s : "");
}

const char *
wa_query(struct wa_req *r, const char *name, char *buf, size_t n)
{
	const char *q = r->http->query != NULL ? r->http->query : "";

	return http_form_value(q, strlen(q), name, buf, n);
}

void
wa_href(struct wa_req *r, const char *path)
{
	wa_esc(r, r->prefix);
	wa_esc(r, path);
}

enum cli_rc
wa_run(struct wa_req *r, struct buf *b, struct dval **data_r,
    struct error *err_r)
{
	struct dval *dummy = NULL;
	enum cli_rc rc;

	if (b->err != 0) {
		error_set(err_r, ERR_LIMIT, "command too long");
		return CLI_ERROR;
	}
	rc = wa_command(r, buf_cstr(b), data_r != NULL ? data_r : &dummy,
	    err_r);
	dict_free(&dummy);
	return rc;
}

bool
wa_run_shown(struct wa_req *r, struct buf *b, struct dval **data_r)
{
	struct error err;

	error_set(&err, ERR_INTERNAL, "no data");
	if (wa_run(r, b, data_r, &err) == CLI_DATA)
		return true;
	wa_printf(r, "<p class=\"err\">");
	wa_esc(r, err.msg);
	wa_printf(r, "</p>");
	return false;
}

struct dval *
wa_get_named(struct wa_req *r, const char *cmd, const char *name)
{
	struct dval *data = NULL;
	struct buf b;

	buf_init(&b, 1024);
	buf_puts(&b, cmd);
	buf_puts(&b, " ");
	wa_quote(&b, name);
	if (!wa_run_shown(r, &b, &data))
		dict_free(&data);
	buf_free(&b);
	return data;
}

bool
wa_post_run(struct wa_req *r, struct buf *b, struct wa_err *e,
    const char *field)
{
	struct error err;
	enum cli_rc rc;

	error_set(&err, ERR_INTERNAL, "failed");
	rc = wa_run(r, b, NULL, &err);
	buf_free(b);
	if (rc != CLI_ERROR && rc != CLI_UNKNOWN)
		return true;
	wa_err_set(e, field, &err);
	http_resp_status(r->resp, 400);
	return false;
}

void
wa_err_note(struct wa_req *r, const struct wa_err *e, const char *field)
{
	if (e == NULL || e->field == NULL || strcmp(e->field, field) != 0)
		return;
	wa_printf(r, "<span class=\"err\" role=\"alert\">");
	wa_esc(r, e->text);
	wa_printf(r, "</span>");
}

void
wa_err_set(struct wa_err *e, const char *field, const struct error *err)
{
	e->field = field;
	snprintf(e->text, sizeof(e->text), "%s",
	    err->msg[0] != '\0' ? err->msg : "failed");
}

void
wa_redirect(struct wa_req *r, const char *path, const char *query)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_printf(&b, "%s%s", r->prefix, path);
	if (query != NULL && query[0] != '\0')
		buf_printf(&b, "?%s", query);
	http_resp_redirect(r->resp, b.err == 0 ? buf_cstr(&b) : r->prefix);
	buf_free(&b);
}

bool
wa_target_domain(struct wa_req *r, char *buf, size_t n)
{
	char v[DOMAIN_NAME_MAX + 1];
	const char *d = NULL;

	if (http_is_form(r->http))
		d = wa_form(r, "d", v, sizeof(v));
	if (d == NULL || *d == '\0')
		d = wa_query(r, "d", v, sizeof(v));
	if (d == NULL || *d == '\0')
		d = r->domain;
	if (!r->cli.master && strcasecmp(d, r->domain) != 0) {
		http_resp_text(r->resp, 403, "not enough access rights");
		return false;
	}
	snprintf(buf, n, "%s", d);
	return true;
}

void
wa_field(struct wa_req *r, const char *label, const char *name,
    const char *value, const struct wa_err *e)
{
	wa_printf(r, "<label>");
	wa_esc(r, label);
	wa_printf(r, " <input name=\"");
	wa_esc(r, name);
	wa_printf(r, "\" value=\"");
	wa_esc(r, value);
	wa_printf(r, "\"></label>");
	wa_err_note(r, e, name);
}

void
wa_hidden(struct wa_req *r, const char *name, const char *value)
{
	wa_printf(r, "<input type=\"hidden\" name=\"");
	wa_esc(r, name);
	wa_printf(r, "\" value=\"");
	wa_esc(r, value);
	wa_printf(r, "\">");
}

void
wa_done_note(struct wa_req *r)
{
	char v[8];

	if (wa_query(r, "done", v, sizeof(v)) != NULL)
		wa_printf(r, "<p class=\"ok\" role=\"status\">Updated</p>\n");
}
