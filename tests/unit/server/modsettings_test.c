/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modsettings_test.c: every module's settings table (server/modsettings.c)
 * and the listener limits table: names unique (also across the tables that
 * share a settings file), every default parses and lies within its range,
 * every field inside its struct; and each table loads from an empty file.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <strings.h>

#include "lib/error.h"
#include "lib/settings.h"
#include "lib/test.h"
#include "net/listener_settings.h"
#include "server/modsettings.h"

static bool
is_listener_file(const char *file)
{
	size_t i;

	for (i = 0; modsettings_listener_files[i] != NULL; i++)
		if (strcasecmp(modsettings_listener_files[i], file) == 0)
			return true;
	return false;
}

static void
check_table(const struct settings_table *t)
{
	struct settings_snap *s;
	struct error e;

	e.msg[0] = '\0';
	test_assert(settings_table_check(t, &e) == 0);
	if (e.msg[0] != '\0')
		fprintf(stderr, "  %s\n", e.msg);
	test_assert(t->n > 0);
	s = settings_snap_new(t, NULL, NULL, NULL);
	test_assert(settings_snap_table(s) == t);
	settings_snap_unref(&s);
}

int
main(void)
{
	size_t i, j, k;

	test_begin("there are module tables");
	test_assert(modsettings_count >= 3);

	test_begin("every module table is sound");
	for (i = 0; i < modsettings_count; i++)
		check_table(modsettings_all[i].t);

	test_begin("the listener limits table is sound");
	check_table(&listener_settings_table);

	test_begin("names are unique within a settings file");
	for (i = 0; i < modsettings_count; i++) {
		const struct settings_table *t = modsettings_all[i].t;

		if (!is_listener_file(modsettings_all[i].file))
			continue;
		for (j = 0; j < t->n; j++)
			for (k = 0; k < listener_settings_table.n; k++)
				test_assert(strcasecmp(t->defs[j].name,
				    listener_settings_table.defs[k].name) != 0);
	}
	for (i = 0; i < modsettings_count; i++)
		for (j = 0; j < i; j++)
			test_assert(strcasecmp(modsettings_all[i].file,
			    modsettings_all[j].file) != 0 ||
			    modsettings_all[i].t != modsettings_all[j].t);

	test_begin("no table sets LogLevel (checked for every module apart)");
	for (i = 0; i < modsettings_count; i++)
		for (j = 0; j < modsettings_all[i].t->n; j++)
			test_assert(strcasecmp(modsettings_all[i].t->defs[j].name,
			    "LogLevel") != 0);

	return test_done();
}
