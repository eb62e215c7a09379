/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_settings.c: Settings/HTTPU.settings, WebUser's connection
 * settings beside its listener limits (docs/http.md, docs/jmap.md).
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/settings.h"
#include "objects/objects.h"
#include "core/server.h"
#include "http/http.h"
#include "webuser/webuser.h"

static const struct setting_def wu_defs[] = {
	SETTING_DURATION("KeepAliveTimeout", struct webuser_conf,
	    keepalive_timeout, HTTP_IDLE_TIMEOUT_DEFAULT, 1,
	    HTTP_IDLE_TIMEOUT_MAX),
	SETTING_DURATION("HeaderTimeout", struct webuser_conf, header_timeout,
	    HTTP_HEADER_TIMEOUT_DEFAULT, 1, HTTP_HEADER_TIMEOUT_MAX),
	SETTING_DURATION("HibernateAfter", struct webuser_conf,
	    hibernate_after, 5, 0, HTTP_IDLE_TIMEOUT_MAX),
	SETTING_DURATION("SessionTimeout", struct webuser_conf,
	    session_timeout, WEBUSER_SESSION_TIMEOUT_DEFAULT, 1,
	    WEBUSER_SESSION_TIMEOUT_MAX),
};

const struct settings_table webuser_settings_table =
    SETTINGS_TABLE("HTTPU", struct webuser_conf, wu_defs);

void
webuser_conf_read(struct server *srv, struct webuser_conf *conf)
{
	struct settings_snap *snap;

	snap = objects_settings_get(srv->objects, "HTTPU",
	    &webuser_settings_table);
	*conf = *(const struct webuser_conf *)settings_snap_conf(snap);
	settings_snap_unref(&snap);
}
