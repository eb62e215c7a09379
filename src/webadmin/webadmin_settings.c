/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_settings.c: Settings/HTTPA.settings, the WebAdmin's settings
 * beside its listener limits (docs/http.md).
 */
#include "lib/compat.h"

#include "lib/settings.h"
#include "objects/objects.h"
#include "core/server.h"
#include "webadmin/webadmin.h"
#include "webadmin/webadmin_core.h"

static const struct setting_def wa_defs[] = {
	SETTING_DURATION("SessionTimeout", struct wa_conf, session_timeout,
	    WEBADMIN_SESSION_TIMEOUT_DEFAULT, 1, WEBADMIN_SESSION_TIMEOUT_MAX),
	SETTING_DURATION("KeepAliveTimeout", struct wa_conf,
	    keepalive_timeout, HTTP_IDLE_TIMEOUT_DEFAULT, 1,
	    HTTP_IDLE_TIMEOUT_MAX),
	SETTING_DURATION("HeaderTimeout", struct wa_conf, header_timeout,
	    HTTP_HEADER_TIMEOUT_DEFAULT, 1, HTTP_HEADER_TIMEOUT_MAX),
	SETTING_DURATION("HibernateAfter", struct wa_conf, hibernate_after,
	    5, 0, HTTP_IDLE_TIMEOUT_MAX),
};

const struct settings_table webadmin_settings_table =
    SETTINGS_TABLE("HTTPA", struct wa_conf, wa_defs);

void
wa_conf_read(struct server *srv, struct wa_conf *conf)
{
	struct settings_snap *snap;

	snap = objects_settings_get(srv->objects, "HTTPA",
	    &webadmin_settings_table);
	*conf = *(const struct wa_conf *)settings_snap_conf(snap);
	settings_snap_unref(&snap);
}
