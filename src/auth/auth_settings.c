/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_settings.c: the Protection settings a login reads
 * (Settings/Protection.settings) as one settings table; logins read a
 * snapshot, so no list is parsed per login.  The account's FailedLoginFlow
 * is an account setting, read in auth.c with the same (N, period) parser.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/settings.h"
#include "auth/auth_private.h"

static const struct setting_def auth_defs[] = {
	SETTING_BOOL("RejectNonClientLogins", struct auth_conf,
	    reject_non_client, false),
	SETTING_BOOL("AllowClearTextLogins", struct auth_conf, allow_clear,
	    false),
	SETTING_IPS("ClearTextLoginIPs", struct auth_conf, clear_ips,
	    AUTH_CLEAR_TEXT_IPS_DEFAULT),
	/* (0, ...) turns the check off; N is bounded by the failures a
	 * record remembers. */
	SETTING_RATE_("TempBlacklistFailedLogins", struct auth_conf, bl_rate,
	    TEMPBL_DEFAULT_N, 0, AUTH_FLOW_RING, "10m"),
	SETTING_DURATION("TempBlacklistTime", struct auth_conf, bl_time,
	    AUTH_TEMPBL_TIME_DEFAULT, 1, AUTH_TEMPBL_TIME_MAX),
};

const struct settings_table auth_settings_table =
    SETTINGS_TABLE("Protection", struct auth_conf, auth_defs);
