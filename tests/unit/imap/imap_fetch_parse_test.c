/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_fetch_parse_test.c: FETCH items (RFC 3501 6.4.5, RFC 3516 BINARY,
 * RFC 7162 MODSEQ and CHANGEDSINCE): the macros, simple items, every
 * section form with and without part numbers, .PEEK, BINARY, HEADER.FIELDS
 * (.NOT) lists, partial ranges at and past 2^32, the modifier list, the
 * item and field-name bounds, and junk refused with the right error kind.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"

/* Parses "t FETCH 1 <items> [mods]\r\n" and its items; -2 when the command
 * parser refuses the line. */
static int
fp(const char *items, struct fetch_req *r, struct error *err)
{
	struct imap_parser p;
	struct buf line;
	int rc = -2;

	buf_init(&line, 4 * IMAP_LINE_MAX);
	buf_printf(&line, "t FETCH 1 %s\r\n", items);
	imap_parser_init(&p, 1024);
	memset(err, 0, sizeof(*err));
	err->kind = ERR_INTERNAL;
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE &&
	    p.args.n >= 4)
		rc = imap_fetch_parse(&p.args.v[3], p.args.n >= 5 ?
		    &p.args.v[4] : NULL, r, err);
	imap_parser_free(&p);
	buf_free(&line);
	return rc;
}

/* The items' response names, space separated. */
static const char *
names(const struct fetch_req *r, struct buf *b)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < r->n; i++)
		buf_printf(b, i == 0 ? "%s" : " %s", r->v[i].name);
	return buf_cstr(b);
}

static void
test_macros_and_simple(void)
{
	static const struct {
		const char	*in, *names;
		bool		 seen, msg;
	} cases[] = {
		{ "ALL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE", false,
		  false },
		{ "fast", "FLAGS INTERNALDATE RFC822.SIZE", false, false },
		{ "Full", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY",
		  false, false },
		{ "(flags internaldate rfc822.size envelope body "
		  "bodystructure uid modseq)", "FLAGS INTERNALDATE RFC822.SIZE "
		  "ENVELOPE BODY BODYSTRUCTURE UID MODSEQ", false, false },
		{ "RFC822", "RFC822", true, true },
		{ "RFC822.HEADER", "RFC822.HEADER", false, true },
		{ "RFC822.TEXT", "RFC822.TEXT", true, true },
		{ "UID", "UID", false, false },
		{ "(UID UID)", "UID UID", false, false },
	};
	struct fetch_req r;
	struct error err;
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		test_assert(fp(cases[i].in, &r, &err) == 0);
		test_assert_str(names(&r, &b), cases[i].names);
		test_assert(r.sets_seen == cases[i].seen);
		test_assert(r.need_msg == cases[i].msg);
		imap_fetch_req_free(&r);
		test_end();
	}
	test_begin("RFC822.HEADER is a peek at the header, RFC822.TEXT not");
	test_assert(fp("(RFC822.HEADER RFC822.TEXT)", &r, &err) == 0);
	test_assert(r.v[0].kind == FI_SECTION && r.v[0].sec == SEC_HEADER &&
	    r.v[0].peek);
	test_assert(r.v[1].sec == SEC_TEXT && !r.v[1].peek);
	imap_fetch_req_free(&r);
	test_end();
	buf_free(&b);
}

static void
test_sections(void)
{
	static const struct {
		const char	*in, *name;
		enum fetch_section sec;
		size_t		 nparts;
		uint32_t	 last;		/* last part number */
		bool		 peek, binary, seen;
	} cases[] = {
		{ "BODY[]", "BODY[]", SEC_ALL, 0, 0, false, false, true },
		{ "BODY.PEEK[]", "BODY[]", SEC_ALL, 0, 0, true, false, false },
		{ "body.peek[header]", "BODY[header]", SEC_HEADER, 0, 0, true,
		  false, false },
		{ "BODY[TEXT]", "BODY[TEXT]", SEC_TEXT, 0, 0, false, false,
		  true },
		{ "BODY[1]", "BODY[1]", SEC_ALL, 1, 1, false, false, true },
		{ "BODY[1.2.3]", "BODY[1.2.3]", SEC_ALL, 3, 3, false, false,
		  true },
		{ "BODY[2.HEADER]", "BODY[2.HEADER]", SEC_HEADER, 1, 2, false,
		  false, true },
		{ "BODY[2.TEXT]", "BODY[2.TEXT]", SEC_TEXT, 1, 2, false, false,
		  true },
		{ "BODY[2.1.MIME]", "BODY[2.1.MIME]", SEC_MIME, 2, 1, false,
		  false, true },
		{ "BODY[4294967295]", "BODY[4294967295]", SEC_ALL, 1,
		  4294967295u, false, false, true },
		{ "BODY[HEADER.FIELDS (From)]", "BODY[HEADER.FIELDS (From)]",
		  SEC_FIELDS, 0, 0, false, false, true },
		{ "BODY.PEEK[3.HEADER.FIELDS.NOT (A B)]",
		  "BODY[3.HEADER.FIELDS.NOT (A B)]", SEC_FIELDS_NOT, 1, 3,
		  true, false, false },
		{ "BINARY[]", "BINARY[]", SEC_ALL, 0, 0, false, true, true },
		{ "BINARY[1.2]", "BINARY[1.2]", SEC_ALL, 2, 2, false, true,
		  true },
		{ "BINARY.PEEK[1]", "BINARY[1]", SEC_ALL, 1, 1, true, true,
		  false },
		{ "BINARY.SIZE[1]", "BINARY.SIZE[1]", SEC_ALL, 1, 1, true,
		  true, false },
	};
	struct fetch_req r;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		test_assert(fp(cases[i].in, &r, &err) == 0);
		if (r.n != 1) {
			test_assert(r.n == 1);
			continue;
		}
		test_assert_str(r.v[0].name, cases[i].name);
		test_assert(r.v[0].sec == cases[i].sec);
		test_assert(r.v[0].nparts == cases[i].nparts);
		if (cases[i].nparts > 0)
			test_assert(r.v[0].part[cases[i].nparts - 1] ==
			    cases[i].last);
		test_assert(r.v[0].peek == cases[i].peek);
		test_assert(r.v[0].binary == cases[i].binary);
		test_assert(r.sets_seen == cases[i].seen && r.need_msg);
		test_assert(!r.v[0].partial);
		imap_fetch_req_free(&r);
		test_end();
	}
}

static void
test_fields(void)
{
	struct fetch_req r;
	struct error err;
	struct buf b;
	size_t i;

	test_begin("HEADER.FIELDS names: atoms and quoted, escapes");
	test_assert(fp("BODY[HEADER.FIELDS (From  \"X-A b\" \"q\\\"x\" "
	    "\"\\\\\" To)]", &r, &err) == 0);
	test_assert(r.v[0].nfields == 5);
	test_assert_str(r.v[0].fields[0], "From");
	test_assert_str(r.v[0].fields[1], "X-A b");
	test_assert_str(r.v[0].fields[2], "q\"x");
	test_assert_str(r.v[0].fields[3], "\\");
	test_assert_str(r.v[0].fields[4], "To");
	imap_fetch_req_free(&r);
	test_end();

	test_begin("HEADER.FIELDS at the name bound, and one past it");
	buf_init(&b, 64 * 1024);
	buf_puts(&b, "BODY[HEADER.FIELDS (");
	for (i = 0; i < IMAP_FETCH_FIELDS_MAX; i++)
		buf_printf(&b, " X-%zu", i);
	buf_puts(&b, ")]");
	test_assert(fp(b.data, &r, &err) == 0);
	test_assert(r.v[0].nfields == IMAP_FETCH_FIELDS_MAX);
	imap_fetch_req_free(&r);
	b.len -= 2;
	buf_puts(&b, " X-last)]");
	test_assert(fp(b.data, &r, &err) == -1 && err.kind == ERR_LIMIT);
	buf_free(&b);
	test_end();
}

static void
test_partial(void)
{
	static const struct {
		const char	*in, *name;
		uint64_t	 off, len;
	} cases[] = {
		{ "BODY[]<0.10>", "BODY[]<0>", 0, 10 },
		{ "BODY.PEEK[TEXT]<5.1>", "BODY[TEXT]<5>", 5, 1 },
		{ "BINARY[1]<7.3>", "BINARY[1]<7>", 7, 3 },
		{ "BODY[1.MIME]<0.4294967295>", "BODY[1.MIME]<0>", 0,
		  4294967295u },
		/* past 32 bits: kept as asked (the renderer clamps) */
		{ "BODY[]<4294967296.4294967296>", "BODY[]<4294967296>",
		  4294967296ULL, 4294967296ULL },
		{ "BODY[]<1000000000000000000.1>", "BODY[]<1000000000000000000>",
		  1000000000000000000ULL, 1 },
	};
	static const char *const bad[] = {
		"BODY[]<0.0>", "BODY[]<1>", "BODY[]<1.>", "BODY[]<.1>",
		"BODY[]<1.2", "BODY[]<1.2>x", "BODY[]<-1.2>", "BODY[]<a.2>",
		"BODY[]<1.2.3>", "BODY[]< 1.2>", "BINARY.SIZE[1]<0.1>",
		"BODY[]<18446744073709551616.1>",
		"BODY[]<1.18446744073709551616>",
		"BODY[]<99999999999999999999999.1>",
		"BODY[]<0.10><0.10>",
	};
	struct fetch_req r;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		test_assert(fp(cases[i].in, &r, &err) == 0);
		test_assert(r.n == 1 && r.v[0].partial);
		test_assert(r.v[0].p_off == cases[i].off &&
		    r.v[0].p_len == cases[i].len);
		test_assert_str(r.v[0].name, cases[i].name);
		imap_fetch_req_free(&r);
		test_end();
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i]);
		test_assert(fp(bad[i], &r, &err) == -1);
		test_assert(err.kind == ERR_SYNTAX);
		test_end();
	}
}

static void
test_modifiers(void)
{
	static const char *const bad[] = {
		"FLAGS ()", "FLAGS (VANISHED)", "FLAGS (CHANGEDSINCE)",
		"FLAGS (CHANGEDSINCE x)", "FLAGS (CHANGEDSINCE 0)",
		"FLAGS (CHANGEDSINCE -1)",
		"FLAGS (CHANGEDSINCE 9223372036854775808)",
		"FLAGS (CHANGEDSINCE 18446744073709551616)",
		"FLAGS (CHANGEDSINCE \"5\")", "FLAGS (CHANGEDSINCE (5))",
		"FLAGS (CHANGEDSINCE 5 CHANGEDSINCE 6)",
		"FLAGS (CHANGEDSINCE 5 VANISHED VANISHED)",
		"FLAGS (FOO)", "FLAGS CHANGEDSINCE", "FLAGS \"x\"",
	};
	struct fetch_req r;
	struct error err;
	size_t i;

	test_begin("CHANGEDSINCE adds MODSEQ");
	test_assert(fp("(FLAGS UID) (CHANGEDSINCE 9223372036854775807)", &r,
	    &err) == 0);
	test_assert(r.changedsince_set && !r.vanished &&
	    r.changedsince == 9223372036854775807ULL);
	test_assert(r.n == 3 && r.v[2].kind == FI_MODSEQ);
	imap_fetch_req_free(&r);
	test_assert(fp("FLAGS (vanished changedsince 1)", &r, &err) == 0);
	test_assert(r.changedsince_set && r.vanished && r.changedsince == 1);
	imap_fetch_req_free(&r);
	test_end();

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i]);
		test_assert(fp(bad[i], &r, &err) == -1);
		test_assert(err.kind == ERR_SYNTAX);
		test_end();
	}
}

static void
test_junk(void)
{
	static const char *const bad[] = {
		/* macros only alone */
		"(ALL)", "(FLAGS FAST)", "(FULL)",
		/* unknown and misspelt items */
		"FOO", "BODY.PEEK", "BODYPEEK[]", "BODY.PEEK.[]", "BINARYX[]",
		"BINARY.SIZE", "RFC822.PEEK", "()", "\"FLAGS\"", "{5}\r\nFLAGS",
		"(FLAGS (UID))", "NIL",
		/* part numbers */
		"BODY[0]", "BODY[1.0]", "BODY[0.1]", "BODY[01x]",
		"BODY[4294967296]", "BODY[18446744073709551616]",
		"BODY[1.]", "BODY[1..2]", "BODY[.1]", "BODY[1.2.]",
		"BODY[1HEADER]", "BODY[1.2TEXT]", "BODY[1MIME]",
		"BODY[1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
		"1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
		"1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1]",
		/* section texts */
		"BODY[MIME]", "BODY[HEADERS]", "BODY[TEXTX]", "BODY[HEADER ]",
		"BODY[header.fields]", "BODY[HEADER.FIELDS()]",
		"BODY[HEADER.FIELDS ()]", "BODY[HEADER.FIELDS (From]",
		"BODY[HEADER.FIELDS From]", "BODY[HEADER.FIELDS (Fr:om)]",
		"BODY[HEADER.FIELDS (\"\")]", "BODY[HEADER.FIELDS (\"From)]",
		"BODY[HEADER.FIELDS (From) ]", "BODY[HEADER.FIELDS.NOT]",
		"BODY[HEADER.FIELDS.NOTX (A)]", "BODY[1.HEADER.FIELDS (A (B))]",
		"BODY[TEXT]junk", "BODY[]]", "BODY[", "BODY[[]]",
		/* BINARY takes part numbers only */
		"BINARY[HEADER]", "BINARY[1.TEXT]", "BINARY[1.MIME]",
		"BINARY.PEEK[TEXT]", "BINARY.SIZE[HEADER]",
	};
	struct fetch_req r;
	struct error err;
	struct buf b;
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i]);
		rc = fp(bad[i], &r, &err);
		test_assert(rc == -1 || rc == -2);
		if (rc == -1)
			test_assert(err.kind == ERR_SYNTAX);
		if (rc == 0)
			imap_fetch_req_free(&r);
		test_end();
	}

	test_begin("items at the bound, and one past it");
	buf_init(&b, 64 * 1024);
	buf_puts(&b, "(");
	for (i = 0; i < IMAP_FETCH_ITEMS_MAX; i++)
		buf_puts(&b, i == 0 ? "UID" : " UID");
	buf_puts(&b, ")");
	test_assert(fp(b.data, &r, &err) == 0 &&
	    r.n == IMAP_FETCH_ITEMS_MAX);
	imap_fetch_req_free(&r);
	b.len--;
	buf_puts(&b, " UID)");
	test_assert(fp(b.data, &r, &err) == -1 && err.kind == ERR_LIMIT);
	buf_free(&b);
	test_end();
}

int
main(void)
{
	test_macros_and_simple();
	test_sections();
	test_fields();
	test_partial();
	test_modifiers();
	test_junk();
	return test_done();
}
