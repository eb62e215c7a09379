/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_pages.h: what the page files (webadmin_page_*.c) share: writing
 * HTML onto the response, reading the query, running a command built from
 * pieces, drawing a field with its error.  On top of webadmin_private.h.
 */
#ifndef TEGAMI_WEBADMIN_WEBADMIN_PAGES_H
#define TEGAMI_WEBADMIN_WEBADMIN_PAGES_H

#include "lib/compat.h"

#include "webadmin/webadmin_private.h"

/* A form's error: the field it belongs to ("" for the page) and the
 * server's text, drawn next to that field. */
struct wa_err {
	const char	*field;
	char		 text[256];
};

/* The response body. */
struct buf	*wa_out(struct wa_req *r);
/* Appends printf text (not escaped) / an escaped string. */
void		 wa_printf(struct wa_req *r, const char *fmt, ...)
		    ATTR_FORMAT(2, 3);
void		 wa_esc(struct wa_req *r, const char *s);
/* A query value (decoded) into buf, or NULL. */
const char	*wa_query(struct wa_req *r, const char *name, char *buf,
		    size_t n);
/* An href to a page of this page set: prefix + path (path holds no query). */
void		 wa_href(struct wa_req *r, const char *path);
/* Runs the command line in b (wa_command); frees nothing. */
enum cli_rc	 wa_run(struct wa_req *r, struct buf *b, struct dval **data_r,
		    struct error *err_r);
/* Runs the command in b; when it gives no data, draws its error as a
 * paragraph of class "err" and returns false.  Frees nothing; *data_r is
 * the caller's to free either way. */
bool		 wa_run_shown(struct wa_req *r, struct buf *b,
		    struct dval **data_r);
/* Runs "cmd name" (name quoted): its data, which the caller frees, or NULL
 * after drawing the error as wa_run_shown() does. */
struct dval	*wa_get_named(struct wa_req *r, const char *cmd,
		    const char *name);
/* A POST's command: runs b and frees it.  True when it succeeded; else
 * records the error in e for field, sets the status 400 and returns false
 * (the caller draws its form again with e). */
bool		 wa_post_run(struct wa_req *r, struct buf *b, struct wa_err *e,
		    const char *field);
/* The error note for field when e names it (class "err"). */
void		 wa_err_note(struct wa_req *r, const struct wa_err *e,
		    const char *field);
/* Records err's text in e for field. */
void		 wa_err_set(struct wa_err *e, const char *field,
		    const struct error *err);
/* After a successful POST: 303 to prefix + path + "?" + query (query may be
 * NULL or "", and is appended as given: callers encode it). */
void		 wa_redirect(struct wa_req *r, const char *path,
		    const char *query);
/* The domain a page administers: the "d" query/form value for the server
 * administrator, else r->domain.  False (and a 403 page drawn) when a domain
 * administrator names another domain. */
bool		 wa_target_domain(struct wa_req *r, char *buf, size_t n);
/* A one-line text input row: label, name, value, error. */
void		 wa_field(struct wa_req *r, const char *label, const char *name,
		    const char *value, const struct wa_err *e);
/* A hidden input. */
void		 wa_hidden(struct wa_req *r, const char *name, const char *value);
/* The "Updated" note after a redirect with ?done=1. */
void		 wa_done_note(struct wa_req *r);

/* A dictionary editor of one settings level (webadmin_page_defaults.c):
 * Get<file> [target] drawn as key/value rows with a row for a new key, a
 * form posting to action with "which" = file and hidden_name = target. */
void		 wa_dict_editor(struct wa_req *r, const char *action,
		    const char *title, const char *file, const char *target,
		    const char *hidden_name, const struct wa_err *e);
/* Its POST: one Update<file> [target] {...} with the changed keys (an
 * emptied value as "default").  0, or -1 with e. */
int		 wa_dict_editor_post(struct wa_req *r, const char *file,
		    const char *target, struct wa_err *e);

/* The pages. */
wa_page_fn	wa_general_get, wa_general_post;
wa_page_fn	wa_domains_get, wa_domains_post;
wa_page_fn	wa_domain_get, wa_domain_post;
wa_page_fn	wa_accounts_get, wa_accounts_post;
wa_page_fn	wa_account_get, wa_account_post;
wa_page_fn	wa_defaults_get, wa_defaults_post;
wa_page_fn	wa_router_get, wa_router_post;
wa_page_fn	wa_logs_get;
wa_page_fn	wa_protection_get, wa_protection_post;
wa_page_fn	wa_module_get, wa_module_post;
wa_page_fn	wa_queues_get, wa_queues_post;
wa_page_fn	wa_stats_get;

#endif
