/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_settings.c: the settings of the SMTP module (Settings/SMTP.settings)
 * as one table: name, type, field of struct smtp_conf, default, min, max
 * (the limits in smtp.h).  Sessions read a snapshot (lib/settings.h).
 */
#include "lib/compat.h"

#include "lib/settings.h"
#include "smtp/smtp_private.h"

static const struct setting_def smtp_defs[] = {
	SETTING_SIZE_("MaxMessageSize", struct smtp_conf, max_msg_size,
	    SMTP_MSG_SIZE_DEFAULT, SMTP_MSG_SIZE_MIN, SMTP_MSG_SIZE_MAX),
	SETTING_NUM("MaxRecipients", struct smtp_conf, max_rcpt,
	    SMTP_RCPT_DEFAULT, SMTP_RCPT_MIN, SMTP_RCPT_MAX),
	SETTING_NUM("MaxErrors", struct smtp_conf, max_errors,
	    SMTP_ERRORS_DEFAULT, SMTP_ERRORS_MIN, SMTP_ERRORS_MAX),
	SETTING_NUM("MaxIdleCommands", struct smtp_conf, max_idle_cmds,
	    SMTP_IDLE_CMDS_DEFAULT, SMTP_IDLE_CMDS_MIN, SMTP_IDLE_CMDS_MAX),
	SETTING_NUM("MaxHeaderFields", struct smtp_conf, max_headers,
	    SMTP_HEADERS_DEFAULT, SMTP_HEADERS_MIN, SMTP_HEADERS_MAX),
	SETTING_SECS("CommandTimeout", struct smtp_conf, cmd_timeout,
	    SMTP_CMD_TIMEOUT_DEFAULT, SMTP_TIMEOUT_MIN, SMTP_TIMEOUT_MAX),
	SETTING_SECS("DataTimeout", struct smtp_conf, data_timeout,
	    SMTP_DATA_TIMEOUT_DEFAULT, SMTP_TIMEOUT_MIN, SMTP_TIMEOUT_MAX),
	SETTING_NUM("MinDataRate", struct smtp_conf, min_data_rate,
	    SMTP_DATA_RATE_DEFAULT, 0, SMTP_DATA_RATE_MAX),
	SETTING_SECS("MaxDataTime", struct smtp_conf, max_data_time,
	    SMTP_DATA_TIME_DEFAULT, SMTP_DATA_TIME_MIN, SMTP_DATA_TIME_MAX),
	SETTING_BOOL("RequireTLSForAUTH", struct smtp_conf, require_tls_auth,
	    false),
	SETTING_WORDS_("RBLs", struct smtp_conf, rbls),
	SETTING_DURATION("HibernateAfter", struct smtp_conf, hibernate_after,
	    SMTP_HIBERNATE_DEFAULT, 0, SMTP_HIBERNATE_MAX),
};

const struct settings_table smtp_settings_table =
    SETTINGS_TABLE("SMTP", struct smtp_conf, smtp_defs);
