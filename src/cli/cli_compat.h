/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_compat.h: CLI commands added for the vendor's CGP::CLI module and
 * scripts written for the original (docs/admin-cli.md): SetAccountPassword
 * with PASSWORD / METHOD / CHECK, GetAccountInfo, Get/SetQueueSettings,
 * Get/SetServerIntercept, Get/SetBanned, and GetModule with effective values.
 * The command table in cli_commands.c points at these handlers.
 */
#ifndef TEGAMI_CLI_CLI_COMPAT_H
#define TEGAMI_CLI_CLI_COMPAT_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

struct cli_args;

#define CLI_COMPAT_CMD(fn)						\
enum cli_rc	fn(struct cli_ctx *c, const struct cli_args *a,	\
		    struct buf *out, struct error *err_r)

/* SetAccountPassword name (PASSWORD|TO) p [METHOD mode] [CHECK].  Needs the
 * Master right, except for one's own account (then CHECK applies). */
CLI_COMPAT_CMD(cli_cmd_set_account_password);
/* GetAccountInfo name [Key k | (keys)]; "*" is the logged-in account.  Needs
 * the Master right, except for one's own account. */
CLI_COMPAT_CMD(cli_cmd_get_account_info);
/* NEWPASS (the PWD protocol's own command, CGP::CLI NewPassword): the
 * logged-in account changes its password, under the password policy. */
enum cli_rc	cli_compat_newpass(struct cli_ctx *c, const char *password,
		    struct error *err_r);
CLI_COMPAT_CMD(cli_cmd_get_queue_settings);
CLI_COMPAT_CMD(cli_cmd_set_queue_settings);
CLI_COMPAT_CMD(cli_cmd_get_server_intercept);
CLI_COMPAT_CMD(cli_cmd_set_server_intercept);
CLI_COMPAT_CMD(cli_cmd_get_banned);
CLI_COMPAT_CMD(cli_cmd_set_banned);
/* GetModule name: the effective settings (cli_modules.h). */
CLI_COMPAT_CMD(cli_cmd_get_module);

#endif
