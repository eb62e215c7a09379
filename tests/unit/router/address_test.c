/* SPDX-License-Identifier: Apache-2.0 */
/*
 * address_test.c: the mailbox parser and formatter (src/router/address.c):
 * plain, quoted, source route, bang path, IP literals, limits and errors,
 * and the parse(format(parse(x))) round trip.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/test.h"
#include "router/address.h"

struct ok_case {
	const char	*in;
	const char	*local;
	const char	*domain;
	const char	*formatted;
};

static const struct ok_case ok_cases[] = {
	{ "abc@main.dom", "abc", "main.dom", "abc@main.dom" },
	{ "  <Abc@MAIN.Dom>  ", "Abc", "main.dom", "Abc@main.dom" },
	{ "postmaster", "postmaster", "", "postmaster" },
	{ "<postmaster>", "postmaster", "", "postmaster" },
	{ "\"john smith\"@x.com", "john smith", "x.com",
	    "\"john smith\"@x.com" },
	{ "\"plain\"@x.com", "plain", "x.com", "plain@x.com" },
	{ "\"a\\\"b\\\\c\"@x.com", "a\"b\\c", "x.com",
	    "\"a\\\"b\\\\c\"@x.com" },
	{ "\"a@b\"@x.com", "a@b", "x.com", "\"a@b\"@x.com" },
	{ "a..b@x.com", "a..b", "x.com", "\"a..b\"@x.com" },
	{ "<@relay1.com,@relay2.com:user@host.com>", "user%host.com%relay2.com",
	    "relay1.com", "user%host.com%relay2.com@relay1.com" },
	{ "<@relay1.com:user@host.com>", "user%host.com", "relay1.com",
	    "user%host.com@relay1.com" },
	{ "@relay1.com:user", "user", "relay1.com", "user@relay1.com" },
	{ "relay!host!user", "user%host", "relay", "user%host@relay" },
	{ "a!b!c!user", "user%c%b", "a", "user%c%b@a" },
	{ "\"a!b\"", "a!b", "", "\"a!b\"" },
	{ "x!y@dom.com", "x!y", "dom.com", "x!y@dom.com" },
	{ "user%host@relay.com", "user%host", "relay.com",
	    "user%host@relay.com" },
	{ "u@[1.2.3.4]", "u", "[1.2.3.4]", "u@[1.2.3.4]" },
	{ "u@1.2.3.4", "u", "[1.2.3.4]", "u@[1.2.3.4]" },
	{ "u@[IPv6:2001:DB8:0::1]", "u", "[IPv6:2001:db8::1]",
	    "u@[IPv6:2001:db8::1]" },
	{ "u@[ipv6:::1]", "u", "[IPv6:::1]", "u@[IPv6:::1]" },
	{ "exec*@pipe", "exec*", "pipe", "exec*@pipe" },
	{ "\"execall -u x\"@pipe", "execall -u x", "pipe",
	    "\"execall -u x\"@pipe" },
	{ "Ju\xc3\xa4rgen@x.com", "Ju\xc3\xa4rgen", "x.com",
	    "Ju\xc3\xa4rgen@x.com" },
	{ "a_b@sub_1.x-y.com", "a_b", "sub_1.x-y.com", "a_b@sub_1.x-y.com" },
};

struct err_case {
	const char	*in;
	enum err_kind	 kind;
};

static const struct err_case err_cases[] = {
	{ "", ERR_SYNTAX },
	{ "   ", ERR_SYNTAX },
	{ "<>", ERR_SYNTAX },
	{ "<abc@x.com", ERR_SYNTAX },
	{ "@x.com", ERR_SYNTAX },
	{ "abc@", ERR_SYNTAX },
	{ "\"\"@x.com", ERR_SYNTAX },
	{ "a b@x.com", ERR_SYNTAX },
	{ "a\tb@x.com", ERR_SYNTAX },
	{ "ab\r\n@x.com", ERR_SYNTAX },
	{ "\"a\nb\"@x.com", ERR_SYNTAX },
	{ "a@b@x.com", ERR_SYNTAX },
	{ "a@x..com", ERR_SYNTAX },
	{ "a@.x.com", ERR_SYNTAX },
	{ "a@x.com.", ERR_SYNTAX },
	{ "a@x*.com", ERR_SYNTAX },
	{ "a@[1.2.3]", ERR_SYNTAX },
	{ "a@[1.2.3.4", ERR_SYNTAX },
	{ "a@[IPv6:zz::1]", ERR_SYNTAX },
	{ "a@[tag:stuff]", ERR_SYNTAX },
	{ "\"abc@x.com", ERR_SYNTAX },
	{ "\"a\"b@x.com", ERR_SYNTAX },
	{ "<@relay.com>", ERR_SYNTAX },
	{ "<@relay.com,x:u@h.com>", ERR_SYNTAX },
	{ "!host!user", ERR_SYNTAX },
	{ "relay!!user", ERR_SYNTAX },
	{ "relay!host!", ERR_SYNTAX },
	{ "a(b)@x.com", ERR_SYNTAX },
};

static void
test_ok(void)
{
	struct address a, b;
	struct error err;
	char out[ADDRESS_MAX * 2 + 3];
	size_t i;

	for (i = 0; i < N_ELEMENTS(ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];

		test_begin(c->in);
		test_assert(address_parse(c->in, strlen(c->in), &a,
		    &err) == 0);
		test_assert_str(a.local, c->local);
		test_assert_str(a.domain, c->domain);
		test_assert(address_format(&a, out, sizeof(out)) ==
		    (int)strlen(c->formatted));
		test_assert_str(out, c->formatted);
		test_assert(address_parse(out, strlen(out), &b, &err) == 0);
		test_assert_str(b.local, a.local);
		test_assert_str(b.domain, a.domain);
		test_assert(a.dkind == b.dkind);
		test_end();
	}
}

static void
test_errors(void)
{
	struct address a;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(err_cases); i++) {
		test_begin(err_cases[i].in);
		err.kind = ERR_NONE;
		test_assert(address_parse(err_cases[i].in,
		    strlen(err_cases[i].in), &a, &err) == -1);
		test_assert(err.kind == err_cases[i].kind);
		test_assert(err.msg[0] != '\0');
		test_end();
	}
	test_begin("NUL byte inside the length");
	test_assert(address_parse("ab\0c@x.com", 10, &a, &err) == -1);
	test_end();
	test_begin("length is honoured, no NUL needed");
	test_assert(address_parse("abc@x.comGARBAGE", 9, &a, &err) == 0);
	test_assert_str(a.domain, "x.com");
	test_end();
}

static void
test_kinds(void)
{
	struct address a;

	test_begin("domain kinds and ip");
	test_assert(address_parse("u@[10.0.0.1]", 12, &a, NULL) == 0);
	test_assert(a.dkind == ADDRESS_DOMAIN_IPV4);
	test_assert_str(a.ip, "10.0.0.1");
	test_assert(address_parse("u@[IPv6:::1]", 12, &a, NULL) == 0);
	test_assert(a.dkind == ADDRESS_DOMAIN_IPV6);
	test_assert_str(a.ip, "::1");
	test_assert(address_parse("u@x.com", 7, &a, NULL) == 0);
	test_assert(a.dkind == ADDRESS_DOMAIN_NAME);
	test_assert(a.ip[0] == '\0');
	test_assert(address_parse("u", 1, &a, NULL) == 0);
	test_assert(a.dkind == ADDRESS_DOMAIN_NONE);
	test_end();

	test_begin("wildcard flag");
	test_assert(address_parse("*@*.x.com", 9, &a, NULL) == -1);
	test_assert(address_parse_ex("*@*.x.com", 9, ADDRESS_F_WILDCARD, &a,
	    NULL) == 0);
	test_assert_str(a.domain, "*.x.com");
	test_assert(address_parse_ex("*@[10.*]", 8, ADDRESS_F_WILDCARD, &a,
	    NULL) == 0);
	test_assert_str(a.domain, "[10.*]");
	test_end();
}

static void
test_limits(void)
{
	char s[ADDRESS_MAX * 3], out[ADDRESS_MAX + 1];
	struct address a;
	struct error err;
	size_t n;

	test_begin("local part at and past ADDRESS_MAX");
	n = ADDRESS_MAX - 5;		/* "@x.co" */
	memset(s, 'a', n);
	memcpy(s + n, "@x.co", 5);
	test_assert(address_parse(s, n + 5, &a, &err) == 0);
	test_assert(address_format(&a, out, sizeof(out)) == ADDRESS_MAX);
	test_assert(address_format(&a, out, ADDRESS_MAX) == -1);
	test_assert(out[0] == '\0');
	memset(s, 'a', n + 1);
	memcpy(s + n + 1, "@x.co", 5);
	test_assert(address_parse(s, n + 6, &a, &err) == -1);
	test_assert(err.kind == ERR_LIMIT);
	memset(s, 'a', sizeof(s));
	test_assert(address_parse(s, sizeof(s), &a, &err) == -1);
	test_assert(err.kind == ERR_LIMIT);
	test_end();

	test_begin("domain and label limits");
	memset(s, 'b', 64);
	memcpy(s, "u@", 2);
	memcpy(s + 66, ".com", 4);
	memset(s + 2, 'b', 64);
	test_assert(address_parse(s, 70, &a, &err) == -1);
	test_assert(err.kind == ERR_LIMIT);
	test_assert(address_parse(s + 1, 69, &a, &err) == -1);
	memcpy(s, "u@", 2);
	for (n = 2; n < 2 + DOMAIN_NAME_MAX + 1; n++)
		s[n] = (n % 10 == 0) ? '.' : 'c';
	s[n - 1] = 'c';
	test_assert(address_parse(s, n, &a, &err) == -1);
	test_assert(err.kind == ERR_LIMIT);
	test_assert(address_parse(s, n - 1, &a, &err) == 0);
	test_end();
}

static void
test_join(void)
{
	char out[64];

	test_begin("address_join quoting");
	test_assert(address_join("a b", "x.com", out, sizeof(out)) == 11);
	test_assert_str(out, "\"a b\"@x.com");
	test_assert(address_join(".a", "", out, sizeof(out)) == 4);
	test_assert_str(out, "\".a\"");
	test_assert(address_join("abc", "x.com", out, 9) == -1);
	test_assert(address_join("abc", "x.com", out, 10) == 9);
	test_assert(!address_local_needs_quotes("a.b+c"));
	test_assert(address_local_needs_quotes("a."));
	test_assert(address_local_needs_quotes("a,b"));
	test_end();
}

int
main(void)
{
	test_ok();
	test_errors();
	test_kinds();
	test_limits();
	test_join();
	return test_done();
}
