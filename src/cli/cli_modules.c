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
#include "server/modsettings.h"
#include "server/server.h"
#include "cli/cli_modules.h"

/* The services whose listener limits a module's settings set
 * (services.c apply_limits, through listener_log_tag). */
static const char *const services[] = {
	"smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps",
	"webadmin", "webadmins", "webuser", "webusers", "ldap", "ldaps", "cli"
};

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

static void
put_table(struct server *srv, const char *file, const struct settings_table *t,
    struct dval *d)
{
	struct settings_snap *snap = objects_settings_get(srv->objects, file,
	    t);

	settings_snap_effective(snap, d);
	settings_snap_unref(&snap);
}

struct dval *
cli_module_effective(struct server *srv, const char *module,
    struct error *err_r)
{
	const char *file = cli_module_file_name(module);
	struct log_find lf = { file, false };
	struct dval *stored, *d;
	bool listens = false, own = false;
	size_t i;

	if ((stored = objects_module_get(srv->objects, file, err_r)) == NULL)
		return NULL;
	log_foreach(find_log, &lf);
	for (i = 0; i < modsettings_count; i++)
		if (strcmp(modsettings_all[i].file, file) == 0)
			own = true;
	for (i = 0; i < N_ELEMENTS(services); i++) {
		const char *tag = listener_log_tag(services[i]);

		if (tag != NULL && strcasecmp(tag, file) == 0 &&
		    listener_is_registered(services[i]))
			listens = true;
	}
	if (!lf.found && !own && !listens)
		return stored;
	d = stored;
	if (lf.found) {
		char lv[2] = { (char)('0' + cli_module_log_level(
		    dict_get(d, "LogLevel"))), '\0' };

		dict_set_str(d, "LogLevel", lv);
	}
	if (listens)
		put_table(srv, file, &listener_settings_table, d);
	for (i = 0; i < modsettings_count; i++)
		if (strcmp(modsettings_all[i].file, file) == 0)
			put_table(srv, file, modsettings_all[i].t, d);
	return d;
}
