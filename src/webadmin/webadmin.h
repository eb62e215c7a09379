/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin.h: WebAdmin (docs/webadmin.md), the administration pages and the
 * JSON API (docs/api.md) on the "webadmin" (8010) and "webadmins" (9010)
 * services, through http/http.h.  Log module HTTPA.
 */
#ifndef TEGAMI_WEBADMIN_WEBADMIN_H
#define TEGAMI_WEBADMIN_WEBADMIN_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;
struct settings_table;

/* Settings/HTTPA.settings: session time-out and the like. */
extern const struct settings_table webadmin_settings_table;

/* Registers the "webadmin" and "webadmins" services.  0, or -1 with err_r. */
int	webadmin_register(struct server *srv, struct error *err_r);

#endif
