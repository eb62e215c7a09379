/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap.h: JMAP (RFC 8620 core, RFC 8621 mail; docs/jmap.md) for WebUser:
 * the session resource /.well-known/jmap and /jmap/api, /jmap/upload/,
 * /jmap/download/, /jmap/eventsource, on the account store.  Log module
 * HTTPU.
 */
#ifndef TEGAMI_JMAP_JMAP_H
#define TEGAMI_JMAP_JMAP_H

#include "lib/compat.h"

#include <stddef.h>

struct server;
struct http_request;
struct http_response;

struct auth_result;

/* Whether path is JMAP's (/.well-known/jmap or under /jmap/). */
bool	jmap_path(const char *path);
/*
 * Answers req when its path is JMAP's and returns true; false (resp
 * untouched) for any other path.  who: the user of a WebUser login session
 * (the caller checked its CSRF token), or NULL: then the request
 * authenticates with HTTP Basic through auth/auth.h.
 */
bool	jmap_handle(struct server *srv, const struct http_request *req,
	    struct http_response *resp, const struct auth_result *who);
/* Registers the HTTPU log module (start-up). */
void	jmap_init(void);

/*
 * One Email read outside the API, for WebUser's /Message/ pages
 * (webuser_message.c): its parts as Email/get numbers them (partId) and
 * its body lists (RFC 8621 4.1.4).  The view holds the message in memory
 * until jmap_view_free().
 */
struct jmap_view;
struct error;
struct buf;

struct jmap_view_part {
	char		 part_id[16];
	char		 type[128];	/* lower-case "type/subtype" */
	char		 name[256];	/* file name decoded (UTF-8), or "" */
	char		 cid[256];	/* Content-ID without <>, or "" */
	bool		 attachment;	/* in the Email's attachments */
	bool		 disp_inline;	/* Content-Disposition: inline */
};

/* Email email_id of who's account.  NULL with err_r: ERR_NOTFOUND (no such
 * Email, or not an Email id), ERR_IO (the store). */
struct jmap_view *jmap_view_open(struct server *srv,
	    const struct auth_result *who, const char *email_id,
	    struct error *err_r);
void	jmap_view_free(struct jmap_view **vp);
/* The body to show: the htmlBody parts when one of them is text/html
 * (*html_r true), else the textBody parts.  Their count; entry i with
 * jmap_view_body(). */
size_t	jmap_view_body_count(const struct jmap_view *v, bool *html_r);
bool	jmap_view_body(const struct jmap_view *v, size_t i,
	    struct jmap_view_part *p_r);
size_t	jmap_view_att_count(const struct jmap_view *v);
bool	jmap_view_att(const struct jmap_view *v, size_t i,
	    struct jmap_view_part *p_r);
/* The leaf part part_id, or the part whose Content-ID is cid (without
 * <>); false when there is none. */
bool	jmap_view_part(const struct jmap_view *v, const char *part_id,
	    struct jmap_view_part *p_r);
bool	jmap_view_cid(const struct jmap_view *v, const char *cid,
	    struct jmap_view_part *p_r);
/* A leaf part's bytes with its transfer encoding undone (data), or as
 * UTF-8 text from its charset (text).  -1 when there is no such part or
 * out hit its ceiling. */
int	jmap_view_data(const struct jmap_view *v, const char *part_id,
	    struct buf *out);
int	jmap_view_text(const struct jmap_view *v, const char *part_id,
	    struct buf *out);
/* The Email's Subject, decoded (UTF-8), onto out. */
void	jmap_view_subject(const struct jmap_view *v, struct buf *out);

struct dval;
/* The account's recent recipients (EmailSubmission/set records them; at
 * most JMAP_RECENT_MAX, newest first): an array of address strings, or
 * NULL when there are none.  The caller frees it with dict_free(). */
struct dval *jmap_recent_recipients(struct server *srv,
	    const struct auth_result *who);

#endif
