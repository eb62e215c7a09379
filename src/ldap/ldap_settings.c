/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_settings.c: the settings of the LDAP module (Settings/LDAP.settings,
 * beside its listener limits) as one table; a session reads a snapshot
 * taken at its start.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/settings.h"
#include "ldap/ldap.h"
#include "ldap/ldap_private.h"

static const struct setting_def ldap_defs[] = {
	SETTING_BOOL("AllowAnonymous", struct ldap_conf, allow_anonymous,
	    true),
	SETTING_NUM("SizeLimit", struct ldap_conf, size_limit,
	    LDAP_SIZELIMIT_DEFAULT, 1, LDAP_SIZELIMIT_MAX),
	SETTING_SECS("TimeLimit", struct ldap_conf, time_limit,
	    LDAP_TIMELIMIT_DEFAULT, 1, LDAP_TIMELIMIT_MAX),
	SETTING_DURATION("HibernateAfter", struct ldap_conf, hibernate_after,
	    LDAP_HIBERNATE_DEFAULT, 0, LDAP_HIBERNATE_MAX),
};

const struct settings_table ldap_settings_table =
    SETTINGS_TABLE("LDAP", struct ldap_conf, ldap_defs);
