/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_modules.c: module settings with their effective values (see
 * cli_modules.h).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "net/listener.h"
#include "net/listener_settings.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli_modules.h"

const char *
cli_module_file_name(const char *module)
{
	return strcasecmp(module, "CLI") == 0 ? "PWD" : module;
}

int
cli_module_log_level(const struct dval *v)
{
	const char *lv = v != NULL ? dict_str(v, NULL) : NULL;

	if (v != NULL && dict_type(v) == DICT_STRING && lv != NULL &&
	    lv[0] >= '0' && lv[0] <= '5' && lv[1] == '\0')
		return lv[0] - '0';
	if (v != NULL && dict_type(v) == DICT_NUMBER && dict_number(v) >= 0 &&
	    dict_number(v) <= 5)
		return (int)dict_number(v);
	return LOG_PROBLEM;
}

/* ---- which module reads what -------------------------------------------- */

struct log_find {
	const char	*name;
	bool		 found;
};

static void
find_log(struct log_module *m, void *arg)
{
	struct log_find *f = arg;

	if (strcasecmp(m->name, f->name) == 0)
		f->found = true;
}

struct put_arg {
	struct dval	*d;
	bool		 listens;
};

/* One table's effective values into the answer; the listener limits only
 * where a service of the module listens (net/listener.h). */
static void
put_table(const struct settings_table *t, const struct settings_snap *snap,
    void *arg)
{
	struct put_arg *pa = arg;

	if (t == &listener_settings_table && !pa->listens)
		return;
	settings_snap_effective(snap, pa->d);
}

/* A module's own table (not the listener limits every module shares). */
static void
count_table(const struct settings_table *t, const struct settings_snap *snap,
    void *arg)
{
	(void)snap;
	if (t != &listener_settings_table)
		*(bool *)arg = true;
}

struct dval *
cli_module_effective(struct server *srv, const char *module,
    struct error *err_r)
{
	const char *file = cli_module_file_name(module);
	struct log_find lf = { file, false };
	struct dval *stored, *d;
	struct put_arg pa;
	bool listens, own = false;

	if ((stored = objects_module_get(srv->objects, file, err_r)) == NULL)
		return NULL;
	log_foreach(find_log, &lf);
	listens = listener_module_listens(file);
	objects_settings_foreach(srv->objects, file, count_table, &own);
	if (!lf.found && !own && !listens)
		return stored;
	d = stored;
	if (lf.found) {
		char lv[2] = { (char)('0' + cli_module_log_level(
		    dict_get(d, "LogLevel"))), '\0' };

		dict_set_str(d, "LogLevel", lv);
	}
	pa.d = d;
	pa.listens = listens;
	objects_settings_foreach(srv->objects, file, put_table, &pa);
	return d;
}
