/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_modules.h: the effective settings of the server's modules for
 * GetModule and GetQueueSettings: every setting a module reads, with the
 * value the module uses: the stored value, or the default when absent (or
 * when a file edited by hand holds a bad value).
 *
 * The values come from the modules' settings tables (lib/settings.h,
 * server/modsettings.c), the same snapshots the modules read; LogLevel as
 * cli_commands.c apply_level reads it.  A bad value never reaches a file:
 * objects_module_set/update check every table of the file first.
 */
#ifndef TEGAMI_CLI_CLI_MODULES_H
#define TEGAMI_CLI_CLI_MODULES_H

#include "lib/compat.h"

#include "lib/error.h"

struct dval;
struct server;

/* The settings file name of a module name given to the CLI: "CLI" is the
 * PWD module (it serves the CLI); other names are returned as they are. */
const char	*cli_module_file_name(const char *module);

/* The module's stored settings with every setting the module uses set to
 * its effective value; stored keys the module does not read are kept as
 * they are.  A name that is no module of the server gives its stored
 * settings file (usually {}).  NULL with err_r on a bad name or I/O error. */
struct dval	*cli_module_effective(struct server *srv, const char *module,
		    struct error *err_r);

/* The effective value of one stored LogLevel value: 0..5, else 3
 * (Problems), as every module applies it.  v may be NULL. */
int		 cli_module_log_level(const struct dval *v);

#endif
