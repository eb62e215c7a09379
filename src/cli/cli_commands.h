/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_commands.h: the CLI command table and its dispatcher.
 */
#ifndef TEGAMI_CLI_CLI_COMMANDS_H
#define TEGAMI_CLI_CLI_COMMANDS_H

#include "lib/compat.h"

#include <stdio.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"

struct cli_args;
struct server;
struct log_session;

/* What a command runs as. */
struct cli_ctx {
	struct server		*srv;
	struct log_session	*log;
	char			 account[OBJECT_NAME_MAX + 1];
	char			 domain[DOMAIN_NAME_MAX + 1];
	bool			 master;	/* server administrator */
};

enum cli_rc {
	CLI_OK = 0,		/* "200 OK" */
	CLI_DATA,		/* data in *out: "200 data follow" or "201 ..." */
	CLI_ERROR,		/* "501 <err.msg>" */
	CLI_UNKNOWN		/* "500 unknown command" */
};

#define CMD_MASTER	0x01	/* needs the Master right */
#define CLI_EXTRA_MAX	64	/* commands added by other modules */
#define CLI_USAGE_MAX	96	/* a generated usage text (settings files) */

struct cli_cmd {
	const char	*name;
	unsigned	 flags;		/* CMD_* */
	enum cli_rc	(*run)(struct cli_ctx *, const struct cli_args *,
			    struct buf *out, struct error *err_r);
	const char	*usage;
};

/* Adds a module's commands (the table must live as long as the server).
 * Call at start-up, before sessions run. */
void		cli_add_commands(const struct cli_cmd *cmds, size_t n);

/* Runs the command in a.  For CLI_DATA, out holds one data-format object in
 * its one-line text form. */
enum cli_rc	cli_dispatch(struct cli_ctx *ctx, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
/* Prints "  Name args" for every command (tegami --help). */
void		cli_commands_print(FILE *f);

#endif
