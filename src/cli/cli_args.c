/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_args.c: CLI command line splitting (see cli_args.h).
 */
#include "lib/compat.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "cli/cli_args.h"

int
cli_args_parse(const char *line, size_t len, struct cli_args *a,
    struct error *err_r)
{
	size_t pos = 0, n = 0, used;

	memset(a, 0, sizeof(*a));
	while (pos < len && isspace((unsigned char)line[pos]))
		pos++;
	while (pos < len && !isspace((unsigned char)line[pos])) {
		if (n >= CLI_NAME_MAX)
			return error_set(err_r, ERR_LIMIT, "command name too long");
		if (!isalnum((unsigned char)line[pos]) && line[pos] != '_')
			return error_set(err_r, ERR_SYNTAX,
			    "illegal character in command name");
		a->name[n++] = line[pos++];
	}
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "empty command");
	for (;;) {
		struct error e;
		struct dval *v;

		while (pos < len && isspace((unsigned char)line[pos]))
			pos++;
		if (pos >= len)
			break;
		if (a->argc >= CLI_ARGS_MAX) {
			cli_args_clear(a);
			return error_set(err_r, ERR_LIMIT, "too many arguments");
		}
		/* A lone "*" names the logged-in account (GetAccountInfo *,
		 * GetAccountACL * ...): a string, although no data object. */
		if (line[pos] == '*' && (pos + 1 == len ||
		    isspace((unsigned char)line[pos + 1]))) {
			a->argv[a->argc++] = dict_new_string("*", 1);
			pos++;
			continue;
		}
		v = dict_parse_prefix(line + pos, len - pos, &used, &e);
		if (v == NULL) {
			size_t argn = a->argc + 1;

			cli_args_clear(a);
			return error_set(err_r, ERR_SYNTAX,
			    "argument %zu: %s", argn, e.msg);
		}
		a->argv[a->argc++] = v;
		pos += used;
	}
	return 0;
}

void
cli_args_clear(struct cli_args *a)
{
	size_t i;

	for (i = 0; i < a->argc; i++)
		dict_free(&a->argv[i]);
	a->argc = 0;
}

const char *
cli_arg_str(const struct cli_args *a, size_t i)
{
	if (i >= a->argc || dict_type(a->argv[i]) != DICT_STRING)
		return NULL;
	return dict_str(a->argv[i], NULL);
}

bool
cli_arg_is(const struct cli_args *a, size_t i, const char *kw)
{
	const char *s = cli_arg_str(a, i);

	return s != NULL && strcasecmp(s, kw) == 0;
}
