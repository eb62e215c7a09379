/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/cli_compat.c: libFuzzer target for the CLI compatibility parsers
 * (src/cli/cli_compat_parse.c).  Each input line goes through the login
 * line parser (APOP, AUTH WEBUSER), the NEWPASS parser and, through
 * cli_args_parse(), the SetAccountPassword and GetAccountInfo argument
 * parsers; results are
 * checked against the contracts (bounded, NUL-terminated, secret wiped on
 * error, digest lower-case hex).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "cli/cli_args.h"
#include "cli/cli_compat_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const char *p, size_t len)
{
	struct cli_login l;
	struct cli_setpw r;
	struct cli_info_req ir;
	struct cli_args a;
	struct error e;
	size_t i;

	if (cli_login_parse(p, len, &l, &e) == 0) {
		if (!cli_login_is_login_line(p, len) || l.user[0] == '\0' ||
		    strlen(l.user) > ADDRESS_MAX ||
		    strlen(l.secret) > PASSWORD_MAX)
			abort();
		if (l.kind == CLI_LOGIN_APOP) {
			if (strlen(l.secret) != CLI_APOP_DIGEST_LEN)
				abort();
			for (i = 0; i < CLI_APOP_DIGEST_LEN; i++)
				if (strchr("0123456789abcdef", l.secret[i]) ==
				    NULL)
					abort();
		}
		/* WEBUSER: may be empty (a quoted ""), as for PASS. */
	} else if (l.secret[0] != '\0' || e.msg[0] == '\0')
		abort();
	{
		char pw[PASSWORD_MAX + 1];

		if (cli_newpass_parse(p, len, pw, sizeof(pw), &e) == 0) {
			if (!cli_newpass_is_line(p, len) ||
			    strlen(pw) > PASSWORD_MAX)
				abort();
		} else if (pw[0] != '\0')
			abort();
	}
	if (cli_args_parse(p, len, &a, &e) < 0)
		return;
	if (cli_setpw_parse(&a, &r, &e) == 0 && (r.account == NULL ||
	    r.password == NULL || strlen(r.method) > CLI_METHOD_MAX))
		abort();
	if (cli_info_parse(&a, &ir, &e) == 0 && (ir.account == NULL ||
	    (ir.key != NULL && ir.keys != NULL)))
		abort();
	cli_args_clear(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	size_t left = size;

	if (size > 64 * 1024)
		return 0;
	while (left > 0) {
		nl = memchr(p, '\n', left);
		size_t len = nl != NULL ? (size_t)(nl - p) : left;

		check_line(p, len);
		if (nl == NULL)
			break;
		left -= len + 1;
		p = nl + 1;
	}
	return 0;
}
