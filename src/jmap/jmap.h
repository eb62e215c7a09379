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

#endif
