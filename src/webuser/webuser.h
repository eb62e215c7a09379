/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser.h: WebUser (docs/webuser.md, docs/jmap.md) on the "webuser"
 * (8100) and "webusers" (9100) services through http/http.h, log module
 * HTTPU: the per-domain Login page, login sessions (B9), a start page
 * listing the mailboxes, and JMAP (jmap/jmap.h) at /.well-known/jmap and
 * /jmap/... by session cookie or HTTP Basic.
 */
#ifndef TEGAMI_WEBUSER_WEBUSER_H
#define TEGAMI_WEBUSER_WEBUSER_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/error.h"

struct server;
struct settings_table;

/* Settings/HTTPU.settings. */
struct webuser_conf {
	uint64_t	 keepalive_timeout;	/* KeepAliveTimeout, s */
	uint64_t	 header_timeout;	/* HeaderTimeout, s */
	uint64_t	 hibernate_after;	/* HibernateAfter, s */
	uint64_t	 session_timeout;	/* SessionTimeout, s: idle login */
};
extern const struct settings_table webuser_settings_table;
/* Reads the current settings (a copy). */
void	webuser_conf_read(struct server *srv, struct webuser_conf *conf);

/* Registers the "webuser" and "webusers" services.  0, or -1 with
 * err_r. */
int	webuser_register(struct server *srv, struct error *err_r);

#endif
