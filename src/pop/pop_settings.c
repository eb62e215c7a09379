/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_settings.c: the settings of the POP module (Settings/POP.settings,
 * beside its listener limits) as one table; sessions read a snapshot taken
 * at session start.
 */
#include "lib/compat.h"

#include "lib/settings.h"
#include "pop/pop.h"
#include "pop/pop_private.h"

static const struct setting_def pop_defs[] = {
	SETTING_DURATION("HibernateAfter", struct pop_conf, hibernate_after,
	    POP_HIBERNATE_DEFAULT, 0, POP_HIBERNATE_MAX),
};

const struct settings_table pop_settings_table =
    SETTINGS_TABLE("POP", struct pop_conf, pop_defs);
