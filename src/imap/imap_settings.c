/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_settings.c: the settings of the IMAP module (Settings/IMAP.settings)
 * as one table; sessions read a snapshot taken at session start.
 */
#include "lib/compat.h"

#include "lib/settings.h"
#include "imap/imap_private.h"

static const struct setting_def imap_defs[] = {
	SETTING_BOOL("RequireTLS", struct imap_conf, require_tls, false),
	SETTING_NUM("MaxSessionsPerAccount", struct imap_conf, max_sessions,
	    IMAP_SESSIONS_DEFAULT, 1, IMAP_SESSIONS_MAX),
	SETTING_DURATION("HibernateAfter", struct imap_conf, hibernate_after,
	    IMAP_HIBERNATE_DEFAULT, 0, IMAP_HIBERNATE_MAX),
	SETTING_DURATION("IdleTimeout", struct imap_conf, idle_timeout,
	    IMAP_IDLE_TIMEOUT_MS / 1000, 1, IMAP_IDLE_TIMEOUT_MAX),
};

const struct settings_table imap_settings_table =
    SETTINGS_TABLE("IMAP", struct imap_conf, imap_defs);
