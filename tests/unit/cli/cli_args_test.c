/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "cli/cli_args.h"

static int
parse(const char *s, struct cli_args *a)
{
	return cli_args_parse(s, strlen(s), a, NULL);
}

int
main(void)
{
	struct cli_args a;
	struct error e;

	test_begin("transcript commands");
	test_assert(parse("CreateAccount \"user1\"", &a) == 0);
	test_assert_str(a.name, "CreateAccount");
	test_assert(a.argc == 1);
	test_assert_str(cli_arg_str(&a, 0), "user1");
	cli_args_clear(&a);

	test_assert(parse("RenameAccount \"user1\" into \"user2\"", &a) == 0);
	test_assert(a.argc == 3 && cli_arg_is(&a, 1, "INTO"));
	cli_args_clear(&a);

	test_assert(parse("CreateAccount user1@client1.com {Password=\"x\";}", &a) == 0);
	test_assert_str(cli_arg_str(&a, 0), "user1@client1.com");
	test_assert(a.argc == 2 && dict_type(a.argv[1]) == DICT_DICT);
	test_assert_str(dict_get_str(a.argv[1], "Password"), "x");
	cli_args_clear(&a);

	test_assert(parse("SetDomainAliases d.com (a.com, b.com)", &a) == 0);
	test_assert(a.argc == 2 && dict_type(a.argv[1]) == DICT_ARRAY &&
	    dict_array_len(a.argv[1]) == 2);
	cli_args_clear(&a);

	test_assert(parse("  ListDomains  ", &a) == 0 && a.argc == 0);
	test_assert_str(a.name, "ListDomains");
	cli_args_clear(&a);

	test_assert(parse("SetRouterTable \"<a> = b\\e<c> = d\\e\"", &a) == 0);
	test_assert_str(cli_arg_str(&a, 0), "<a> = b\n<c> = d\n");
	cli_args_clear(&a);
	test_end();

	test_begin("errors");
	test_assert(cli_args_parse("", 0, &a, &e) == -1);
	test_assert(cli_args_parse("Foo \"unterminated", 17, &a, &e) == -1 &&
	    e.kind == ERR_SYNTAX && strstr(e.msg, "argument 1") != NULL);
	test_assert(cli_args_parse("Foo {a=b;", 9, &a, &e) == -1);
	test_assert(cli_args_parse("Fo<o", 4, &a, &e) == -1);
	test_end();

	return test_done();
}
