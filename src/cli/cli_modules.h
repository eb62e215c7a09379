/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_modules.h: the effective settings of the server's modules for
 * GetModule and GetQueueSettings: every setting a module reads, with the
 * value the module uses -- the stored value as the module parses it
 * (clamped, or the default when it is invalid), or the default when absent.
 *
 * The names, defaults and parsing mirror the code that reads each module's
 * settings (smtp_session.c conf_read, imap_session.c load_settings,
 * mailflow.c queue_settings, services.c apply_limits, cli_commands.c
 * apply_level); a declarative settings layer is to replace this table.
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

/* Checks the settings a module validates only at start (QUEUE:
 * MaxQueueTime, RetrySchedule, Processors), so a bad value is refused now
 * rather than ignored at the next start.  0, or -1 with ERR_SYNTAX. */
int		 cli_module_check(const char *module, const struct dval *d,
		    struct error *err_r);

/* The effective value of one stored LogLevel value: 0..5, else 3
 * (Problems), as every module applies it.  v may be NULL. */
int		 cli_module_log_level(const struct dval *v);

#endif
