/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_blacklist.h: the CLI commands of the Temporary Blacklisted IP
 * Addresses (docs/admin-cli.md): GetTempBlacklistedIPs and
 * SetTempBlacklistedIPs.  The list itself lives in src/auth (auth.h).
 */
#ifndef TEGAMI_CLI_CLI_BLACKLIST_H
#define TEGAMI_CLI_CLI_BLACKLIST_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

/* GetTempBlacklistedIPs: a string "1.2.3.4-123,5.6.7.8-45", each address
 * with the seconds it stays blacklisted; "" when none. */
enum cli_rc	cli_get_temp_blacklisted_ips(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);

/* SetTempBlacklistedIPs "addresses": adds each "address[-seconds]" (items
 * separated by ',', blanks or line ends; no time: TempBlacklistTime);
 * "address-0" removes the address and forgets its failed logins.  The text
 * is checked whole before anything changes. */
enum cli_rc	cli_set_temp_blacklisted_ips(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);

#endif
