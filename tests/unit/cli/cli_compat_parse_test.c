/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/cli/cli_compat_parse.c: the APOP and AUTH WEBUSER
 * login lines, SetAccountPassword and GetAccountInfo arguments, and the
 * lone "*" argument of cli_args.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "cli/cli_args.h"
#include "cli/cli_compat_parse.h"

static int
login(const char *s, struct cli_login *l, struct error *e)
{
	return cli_login_parse(s, strlen(s), l, e);
}

static int
args(const char *s, struct cli_args *a)
{
	return cli_args_parse(s, strlen(s), a, NULL);
}

static void
test_login_lines(void)
{
	struct cli_login l;
	struct error e;
	char big[PASSWORD_MAX + 64];

	test_begin("login lines recognised");
	test_assert(cli_login_is_login_line("APOP a b", 8));
	test_assert(cli_login_is_login_line("  auth WEBUSER a b", 18));
	test_assert(cli_login_is_login_line("AUTH", 4));
	test_assert(!cli_login_is_login_line("APOPX a b", 9));
	test_assert(!cli_login_is_login_line("AUTHOR", 6));
	test_assert(!cli_login_is_login_line("ListDomains", 11));
	test_assert(!cli_login_is_login_line("", 0));
	test_end();

	test_begin("APOP as CGP::CLI sends it");
	test_assert(login("APOP postmaster 0123456789ABCDEFabcdef0123456789", &l,
	    &e) == 0);
	test_assert(l.kind == CLI_LOGIN_APOP);
	test_assert_str(l.user, "postmaster");
	test_assert_str(l.secret, "0123456789abcdefabcdef0123456789");
	test_assert(login("apop \"user@dom.example\" "
	    "00000000000000000000000000000000", &l, &e) == 0);
	test_assert_str(l.user, "user@dom.example");
	test_assert(login("APOP u%d.example 00000000000000000000000000000000 ",
	    &l, &e) == 0);
	test_assert_str(l.user, "u%d.example");
	test_end();

	test_begin("APOP errors");
	test_assert(login("APOP", &l, &e) == -1 && e.kind == ERR_SYNTAX);
	test_assert_str(e.msg, "usage: APOP name digest");
	test_assert(login("APOP u", &l, &e) == -1);
	test_assert(login("APOP u 123", &l, &e) == -1);
	test_assert(login("APOP u 0000000000000000000000000000000g", &l, &e) ==
	    -1 && l.secret[0] == '\0');
	test_assert(login("APOP u 000000000000000000000000000000000", &l,
	    &e) == -1);
	test_assert(login("APOP u 00000000000000000000000000000000 x", &l,
	    &e) == -1);
	test_assert(login("APOP \"u 00000000000000000000000000000000", &l,
	    &e) == -1);
	test_assert(login("APOP #12 00000000000000000000000000000000", &l,
	    &e) == -1);
	test_assert(login("APOP \"\" 00000000000000000000000000000000", &l,
	    &e) == -1);
	test_end();

	test_begin("AUTH WEBUSER");
	test_assert(login("AUTH WEBUSER postmaster secret", &l, &e) == 0);
	test_assert(l.kind == CLI_LOGIN_WEBUSER);
	test_assert_str(l.user, "postmaster");
	test_assert_str(l.secret, "secret");
	test_assert(login("auth webuser u two words  here ", &l, &e) == 0);
	test_assert_str(l.secret, "two words  here");
	test_assert(login("AUTH WEBUSER u \"quoted \\\"pw\\\"\"", &l, &e) == 0);
	test_assert_str(l.secret, "quoted \"pw\"");
	test_assert(login("AUTH WEBUSER u \"half", &l, &e) == 0);
	test_assert_str(l.secret, "\"half");
	test_end();

	test_begin("AUTH errors");
	test_assert(login("AUTH", &l, &e) == -1 && e.kind == ERR_SYNTAX);
	test_assert(login("AUTH PLAIN x y", &l, &e) == -1);
	test_assert_str(e.msg, "unsupported AUTH method");
	test_assert(login("AUTH WEBUSER", &l, &e) == -1);
	test_assert(login("AUTH WEBUSER u", &l, &e) == -1);
	test_assert(login("AUTH WEBUSER u   ", &l, &e) == -1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "AUTH WEBUSER u ", 15);
	test_assert(login(big, &l, &e) == -1 && e.kind == ERR_LIMIT &&
	    l.secret[0] == '\0');
	test_assert(login("USER x", &l, &e) == -1);
	test_end();
}

static void
test_newpass(void)
{
	char pw[PASSWORD_MAX + 1];
	struct error e;

	test_begin("NEWPASS");
	test_assert(cli_newpass_is_line("NEWPASS x", 9));
	test_assert(cli_newpass_is_line("newpass", 7));
	test_assert(!cli_newpass_is_line("NEWPASSx y", 10));
	test_assert(cli_newpass_parse("NEWPASS new secret", 18, pw, sizeof(pw),
	    &e) == 0);
	test_assert_str(pw, "new secret");
	test_assert(cli_newpass_parse("NEWPASS \"q p\"", 13, pw, sizeof(pw),
	    &e) == 0);
	test_assert_str(pw, "q p");
	test_assert(cli_newpass_parse("NEWPASS", 7, pw, sizeof(pw), &e) == -1 &&
	    e.kind == ERR_SYNTAX && pw[0] == '\0');
	test_assert(cli_newpass_parse("NEWPASS a\0b", 11, pw, sizeof(pw),
	    &e) == -1 && pw[0] == '\0');
	test_end();
}

static void
test_setpw(void)
{
	struct cli_args a;
	struct cli_setpw r;
	struct error e;

	test_begin("SetAccountPassword forms");
	test_assert(args("SetAccountPassword u PASSWORD \"p w\"", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == 0);
	test_assert_str(r.account, "u");
	test_assert_str(r.password, "p w");
	test_assert(!r.check && r.method[0] == '\0');
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u@d TO p", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == 0 && !r.check);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u password p method SIP check",
	    &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == 0 && r.check);
	test_assert_str(r.method, "SIP");
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD p CHECK METHOD POP",
	    &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == 0 && r.check);
	test_assert_str(r.method, "POP");
	cli_args_clear(&a);
	test_end();

	test_begin("SetAccountPassword errors");
	test_assert(args("SetAccountPassword u PASSWORD", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1 && e.kind == ERR_SYNTAX);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u FOR p", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD p CHECK CHECK", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD p METHOD", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD p METHOD a METHOD b",
	    &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD {a=b;}", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("SetAccountPassword u PASSWORD p METHOD "
	    "abcdefghijabcdefghijabcdefghijabc", &a) == 0);
	test_assert(cli_setpw_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_end();
}

static void
test_info(void)
{
	struct cli_args a;
	struct cli_info_req r;
	struct error e;

	test_begin("GetAccountInfo forms and the lone *");
	test_assert(args("GetAccountInfo *", &a) == 0 && a.argc == 1);
	test_assert(cli_info_parse(&a, &r, &e) == 0);
	test_assert_str(r.account, "*");
	test_assert(r.key == NULL && r.keys == NULL);
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u Key LastLogin", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == 0);
	test_assert_str(r.key, "LastLogin");
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u@d (LastLogin, \"StorageUsed\")",
	    &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == 0 && r.keys != NULL &&
	    dict_array_len(r.keys) == 2);
	cli_args_clear(&a);
	test_assert(args("Foo * *", &a) == 0 && a.argc == 2);
	test_assert_str(cli_arg_str(&a, 1), "*");
	cli_args_clear(&a);
	test_assert(args("Foo *x", &a) == -1);
	test_end();

	test_begin("GetAccountInfo errors");
	test_assert(args("GetAccountInfo", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == -1 && e.kind == ERR_SYNTAX);
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u Key", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u Nope x", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u (a, #1)", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_assert(args("GetAccountInfo u {a=b;}", &a) == 0);
	test_assert(cli_info_parse(&a, &r, &e) == -1);
	cli_args_clear(&a);
	test_end();
}

int
main(void)
{
	test_login_lines();
	test_newpass();
	test_setpw();
	test_info();
	return test_done();
}
