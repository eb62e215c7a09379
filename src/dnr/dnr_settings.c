/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_settings.c: the settings of the DNR module (Settings/DNR.settings)
 * as one table (lib/settings.h).  LogLevel is the module's log level, read
 * by the log machinery as for every module.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/settings.h"
#include "dnr/dnr.h"

static const struct setting_def dnr_defs[] = {
	SETTING_WORDS_("Servers", struct dnr_conf, servers),
	SETTING_SECS("Timeout", struct dnr_conf, timeout, DNR_TIMEOUT_DEFAULT,
	    1, DNR_TIMEOUT_MAX),
	SETTING_NUM("Retries", struct dnr_conf, retries, DNR_RETRIES_DEFAULT,
	    0, DNR_RETRIES_MAX),
};

const struct settings_table dnr_settings_table =
    SETTINGS_TABLE("DNR", struct dnr_conf, dnr_defs);
