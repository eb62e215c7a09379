/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_args.h: splitting a CLI command line (docs/admin-cli.md) into the
 * command name and its arguments.  Arguments are data-format objects
 * (lib/dict.h):
 * atoms and quoted strings (keywords such as `into`, `TO`, `PASSWORD` are
 * atoms), numbers, arrays, dictionaries; and a lone `*` (the logged-in
 * account), given as the string "*".  Pure: no I/O.
 */
#ifndef TEGAMI_CLI_CLI_ARGS_H
#define TEGAMI_CLI_CLI_ARGS_H

#include "lib/compat.h"

#include "lib/error.h"

#define CLI_ARGS_MAX		32	/* arguments of one command */
#define CLI_NAME_MAX		64	/* command name */

struct dval;

struct cli_args {
	char		 name[CLI_NAME_MAX + 1];
	struct dval	*argv[CLI_ARGS_MAX];
	size_t		 argc;
};

/* Parses line (without its CR LF).  0, or -1 with err_r (ERR_SYNTAX naming
 * the argument and position, ERR_LIMIT).  On success call cli_args_clear(). */
int		 cli_args_parse(const char *line, size_t len, struct cli_args *a,
		    struct error *err_r);
void		 cli_args_clear(struct cli_args *a);

/* Argument i as a string (atom or quoted), else NULL. */
const char	*cli_arg_str(const struct cli_args *a, size_t i);
/* True when argument i is the keyword kw (case-insensitive). */
bool		 cli_arg_is(const struct cli_args *a, size_t i, const char *kw);

#endif
