/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_directory.h: the Directory Integration commands (docs/ldap.md):
 * InsertDirectoryRecords and DeleteDirectoryRecords (WebAdmin's [Insert
 * All] and [Delete All] of a domain) and GetDirectoryProgress.
 */
#ifndef TEGAMI_CLI_CLI_DIRECTORY_H
#define TEGAMI_CLI_CLI_DIRECTORY_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

/* InsertDirectoryRecords [domain]: the domain record and one per account
 * (idempotent); the answer is the number of records written. */
enum cli_rc	cli_insert_directory_records(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);
/* DeleteDirectoryRecords [domain]: the domain's subtree; the number of
 * records removed. */
enum cli_rc	cli_delete_directory_records(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);
/* GetDirectoryProgress: { Operation; Domain; Done; Total; Running; } of
 * the last (or running) Insert or Delete All. */
enum cli_rc	cli_get_directory_progress(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);

#endif
