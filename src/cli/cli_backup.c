/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_backup.c: the CLI command `Backup "DIR"` (server administrators
 * only): runs the online backup and answers with its counts.
 */
#include "lib/compat.h"

#include "backup/backup.h"
#include "cli/cli_args.h"
#include "cli/cli_backup.h"
#include "lib/dict.h"

enum cli_rc
cmd_backup(struct cli_ctx *ctx, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	struct backup_result r;
	struct dval *d;
	const char *dir = cli_arg_str(a, 0);

	if (a->argc != 1 || dir == NULL) {
		error_set(err_r, ERR_SYNTAX, "usage: Backup \"/absolute/dir\"");
		return CLI_ERROR;
	}
	if (backup_run(ctx->srv, dir, &r, err_r) < 0)
		return CLI_ERROR;
	d = dict_new_dict();
	dict_set(d, "Files", dict_new_number((int64_t)r.files));
	dict_set(d, "Bytes", dict_new_number((int64_t)r.bytes));
	dict_set(d, "Accounts", dict_new_number((int64_t)r.accounts));
	dict_set(d, "QueueBodies", dict_new_number((int64_t)r.queue_bodies));
	dict_set(d, "Linked", dict_new_number((int64_t)r.linked));
	dict_set(d, "Copied", dict_new_number((int64_t)r.copied));
	dict_write(out, d, 0);
	dict_free(&d);
	return CLI_DATA;
}
