/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_backup.h: the CLI command `Backup "DIR"` (cli_backup.c), a
 * front-end of backup_run() in backup/.
 */
#ifndef TEGAMI_CLI_CLI_BACKUP_H
#define TEGAMI_CLI_CLI_BACKUP_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

/* `Backup "DIR"`: backup_run() and a result dictionary. */
enum cli_rc cmd_backup(struct cli_ctx *ctx, const struct cli_args *a,
	    struct buf *out, struct error *err_r);

#endif
