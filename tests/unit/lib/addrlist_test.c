/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addrlist_test.c: the RFC 5322 address-list splitter -- display names,
 * quoted strings with commas, groups (empty and not), comments, source
 * routes, obsolete spaces, folding, empty elements, errors and limits.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addrlist.h"
#include "lib/buf.h"
#include "lib/test.h"

/* Parses s; returns "addr|name;addr|name;" or "ERR:<kind>". */
static char *
run(const char *s)
{
	static char out[8192];
	struct addrlist l = { NULL, 0 };
	struct error err;
	struct buf b;
	size_t i;

	if (addrlist_parse(s, strlen(s), &l, &err) < 0) {
		snprintf(out, sizeof(out), "ERR:%s", error_kind_name(err.kind));
		return out;
	}
	buf_init(&b, sizeof(out) - 1);
	for (i = 0; i < l.n; i++)
		buf_printf(&b, "%s|%s;", l.v[i].addr, l.v[i].name);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_free(&b);
	addrlist_clear(&l);
	return out;
}

static const struct {
	const char *in, *out;
} cases[] = {
	{ "a@x.example", "a@x.example|;" },
	{ "  <a@x.example>  ", "a@x.example|;" },
	{ "a@x, b@y", "a@x|;b@y|;" },
	{ "John Doe <jd@x>", "jd@x|John Doe;" },
	{ "\"Doe, John\" <jd@x>, b@y", "jd@x|Doe, John;b@y|;" },
	{ "\"a \\\"q\\\" b\" <q@x>", "q@x|a \"q\" b;" },
	{ "jd@x (John Doe)", "jd@x|John Doe;" },
	{ "jd@x (outer (inner) text)", "jd@x|outer (inner) text;" },
	{ "(c) a @ x . example", "a@x.example|c;" },
	{ "john . doe @ x", "john.doe@x|;" },
	{ "\"john doe\"@x", "\"john doe\"@x|;" },
	{ "<\"a,b\"@x>", "\"a,b\"@x|;" },
	{ "<@r1,@r2:u@h>", "@r1,@r2:u@h|;" },
	{ "a@[192.0.2.1]", "a@[192.0.2.1]|;" },
	{ "undisclosed-recipients:;", "" },
	{ "Team: a@x, B <b@x>;, c@y", "a@x|;b@x|B;c@y|;" },
	{ "Team: a@x", "a@x|;" },
	{ ", ,a@x,,", "a@x|;" },
	{ "a@x,\r\n\tb@y", "a@x|;b@y|;" },
	{ "\"folded\r\n name\" <f@x>", "f@x|folded name;" },
	{ "postmaster", "postmaster|;" },
	{ "<>", "" },
	{ "", "" },
	{ "\xc3\xa9l\xc3\xa8ve <e@x>", "e@x|\xc3\xa9l\xc3\xa8ve;" },
	/* errors */
	{ "\"unterminated <a@x>", "ERR:syntax" },
	{ "a@x (no end", "ERR:syntax" },
	{ "<a@x", "ERR:syntax" },
	{ "a@x>", "ERR:syntax" },
	{ "<<a@x>>", "ERR:syntax" },
	{ "<a@x> <b@x>", "ERR:syntax" },
	{ "John Doe", "ERR:syntax" },
	{ "a@[1.2.3.4", "ERR:syntax" },
	{ "a\001b@x", "ERR:syntax" },
	{ "\"a\x7f\"@x", "ERR:syntax" },
	{ "a@x,\tb@y", "a@x|;b@y|;" },
};

int
main(void)
{
	struct addrlist l = { NULL, 0 };
	struct error err;
	struct buf b;
	size_t i;
	char *s;

	test_begin("addrlist cases");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = run(cases[i].in);

		if (strcmp(got, cases[i].out) != 0)
			fprintf(stderr, "case %zu: \"%s\" -> \"%s\", want "
			    "\"%s\"\n", i, cases[i].in, got, cases[i].out);
		test_assert_str(got, cases[i].out);
	}
	test_end();

	test_begin("addrlist appends and keeps old items on error");
	test_assert(addrlist_parse("a@x", 3, &l, &err) == 0);
	test_assert(addrlist_parse("b@y, c@z", 8, &l, &err) == 0);
	test_assert(l.n == 3);
	test_assert(addrlist_parse("d@w, <broken", 12, &l, &err) < 0);
	test_assert(err.kind == ERR_SYNTAX);
	test_assert(l.n == 3);
	test_assert_str(l.v[2].addr, "c@z");
	addrlist_clear(&l);
	test_assert(l.n == 0 && l.v == NULL);
	test_end();

	test_begin("addrlist limits");
	buf_init(&b, 10 * 1024 * 1024);
	for (i = 0; i < ADDRLIST_MAX; i++)
		buf_printf(&b, "u%zu@x,", i);
	test_assert(addrlist_parse(b.data, b.len, &l, &err) == 0);
	test_assert(l.n == ADDRLIST_MAX);
	addrlist_clear(&l);
	buf_puts(&b, "one@more");
	test_assert(addrlist_parse(b.data, b.len, &l, &err) < 0);
	test_assert(err.kind == ERR_LIMIT && l.n == 0);
	buf_reset(&b);
	for (i = 0; i < ADDRLIST_COMMENT_DEPTH + 1; i++)
		buf_putc(&b, '(');
	test_assert(addrlist_parse(b.data, b.len, &l, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	buf_reset(&b);
	for (i = 0; i < ADDRLIST_ITEM_MAX + 1; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "@x");
	test_assert(addrlist_parse(b.data, b.len, &l, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	s = malloc(ADDRLIST_TEXT_MAX + 1);
	memset(s, ' ', ADDRLIST_TEXT_MAX + 1);
	test_assert(addrlist_parse(s, ADDRLIST_TEXT_MAX + 1, &l, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	test_assert(addrlist_parse(s, ADDRLIST_TEXT_MAX, &l, &err) == 0);
	test_assert(l.n == 0);
	free(s);
	buf_free(&b);
	test_end();
	return test_done();
}
