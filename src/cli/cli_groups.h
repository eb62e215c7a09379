/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_groups.h: the group commands (CGP-REFERENCE 14.2, docs/admin-cli.md):
 * ListGroups [domain], CreateGroup name [{settings}], RenameGroup name into
 * newname, DeleteGroup name, GetGroup name, SetGroup name {settings}.  A
 * name is "group" (main domain) or "group@domain".
 */
#ifndef TEGAMI_CLI_CLI_GROUPS_H
#define TEGAMI_CLI_CLI_GROUPS_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

enum cli_rc	cli_list_groups(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
enum cli_rc	cli_create_group(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
enum cli_rc	cli_rename_group(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
enum cli_rc	cli_delete_group(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
/* The group's settings dictionary ({RealName; Members = (...);}). */
enum cli_rc	cli_get_group(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
/* Replaces the group's settings. */
enum cli_rc	cli_set_group(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);

#endif
