/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_private.h: what the WebAdmin core (login, sessions, CSRF, the
 * domain a request administers, the JSON API; webadmin_core.c and friends)
 * gives the pages (webadmin_page_*.c).
 *
 * Every page is server-rendered HTML that works without JavaScript: a GET
 * draws it, a POST (a form with the session's CSRF token, checked by the
 * core before the page's post function runs) changes something through the
 * CLI command table with the administrator's rights and redirects back
 * (POST-redirect-GET), or draws the page again with the server's error text
 * next to the field.  Scripts (the .js files in web/admin) only add live views.
 */
#ifndef TEGAMI_WEBADMIN_WEBADMIN_PRIVATE_H
#define TEGAMI_WEBADMIN_WEBADMIN_PRIVATE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "cli/cli_commands.h"
#include "http/http.h"

struct dval;
struct server;

/* One request of a logged-in administrator. */
struct wa_req {
	struct server			*srv;
	const struct http_request	*http;
	struct http_response		*resp;
	/* The administrator, as the CLI runs commands for him: his rights
	 * (cli.master: the server administrator) and his domain. */
	struct cli_ctx			 cli;
	/* The domain these pages administer: the main domain for the server
	 * WebAdmin (B4, B14: chosen by the core from the Host header or
	 * /MainAdmin). */
	char				 domain[DOMAIN_NAME_MAX + 1];
	bool				 server_pages;	/* server WebAdmin */
	/* URL prefix of this page set: "/MainAdmin" or "" (a domain's). */
	const char			*prefix;
	/* The session's CSRF token: every form carries it as the hidden
	 * field "csrf" (wa_form_begin writes it). */
	const char			*csrf;
	/* The page's path below the prefix ("/Settings/General"). */
	const char			*page;
};

typedef void	wa_page_fn(struct wa_req *r);

#define WA_SERVER_ONLY	0x01	/* only in the server WebAdmin (Master) */

struct wa_page {
	const char	*path;		/* "/Settings/General" */
	const char	*menu;		/* "Settings", "Users", "Monitors" */
	const char	*title;		/* "General" */
	unsigned	 flags;		/* WA_* */
	wa_page_fn	*get;
	wa_page_fn	*post;		/* NULL: GET only (405) */
};

/* The page table (webadmin_pages.c); the core dispatches by path. */
extern const struct wa_page	wa_pages[];
extern const size_t		wa_npages;

/* The layout: <!doctype>, <title> naming r->domain, the stylesheet, the
 * menu of the pages this administrator may see, an <h1>.  Then the page
 * appends its HTML to http_resp_body(r->resp) and calls wa_page_end(). */
void	wa_page_begin(struct wa_req *r, const char *title);
void	wa_page_end(struct wa_req *r);
/* <form method=post action=...> with the hidden csrf field. */
void	wa_form_begin(struct wa_req *r, const char *action);
/* A POST's form value (decoded) copied to buf, or NULL. */
const char *wa_form(struct wa_req *r, const char *name, char *buf, size_t n);

/*
 * Runs one CLI command (the table in cli/cli_commands.c) with the
 * administrator's rights, exactly as the CLI and the JSON API would: line
 * is a command line in the CLI syntax (docs/admin-cli.md); quote values
 * with wa_quote().  CLI_DATA leaves the answer parsed in *data_r (caller
 * frees with dict_free), else *data_r is NULL.  CLI_ERROR: err_r holds the
 * text the CLI would print after "501".
 */
enum cli_rc	wa_command(struct wa_req *r, const char *line,
		    struct dval **data_r, struct error *err_r);
/* Appends s to b as a data-format quoted string. */
void		wa_quote(struct buf *b, const char *s);

#endif
