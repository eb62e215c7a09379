/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_parse_test.c: the IMAP command parser (all at once and one byte at a
 * time), sequence sets, modified UTF-7, FETCH items, SEARCH keys and base
 * subjects.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/mime.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"
#include "imap/imap_utf7.h"

struct pcase {
	const char	*in;
	enum imap_parse_rc rc;
	const char	*out;		/* args rendered, or NULL */
};

static const struct pcase pcases[] = {
	{ "a1 NOOP\r\n", IMAP_PARSE_DONE, "a1 NOOP" },
	{ "a1 LOGIN user \"pa ss\\\"x\"\r\n", IMAP_PARSE_DONE,
	  "a1 LOGIN user \"pa ss\\\"x\"" },
	{ "a2 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)\r\n",
	  IMAP_PARSE_DONE,
	  "a2 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)" },
	{ "a3 APPEND INBOX {5}\r\nhello\r\n", IMAP_PARSE_DONE,
	  "a3 APPEND INBOX {5}\r\nhello" },
	{ "a3 APPEND INBOX {3+}\r\nabc {0}\r\n\r\n", IMAP_PARSE_DONE,
	  "a3 APPEND INBOX {3}\r\nabc {0}\r\n" },
	{ "a4 APPEND INBOX ~{2}\r\na\0\r\n", IMAP_PARSE_DONE, NULL },
	{ "a5 X nil NIL (a (b c) ())\r\n", IMAP_PARSE_DONE,
	  "a5 X nil NIL (a (b c) ())" },
	{ "a6 X  double  space\r\n", IMAP_PARSE_DONE, "a6 X double space" },
	{ "a7 X (a\r\n", IMAP_PARSE_ERROR, NULL },
	{ "a8 X a)\r\n", IMAP_PARSE_ERROR, NULL },
	{ "a9 X \"unterminated\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b1 X {5} rest\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b2 X {}\r\n", IMAP_PARSE_ERROR, NULL },
	/* refused by feed() below as over lit_max, not as bad syntax */
	{ "b3 X {99999999999}\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b3 X {0000000000000000000000003}\r\nabc\r\n", IMAP_PARSE_DONE,
	  "b3 X {3}\r\nabc" },
	{ "b4 X \"a\\b\"\r\n", IMAP_PARSE_ERROR, NULL },
	{ "+ X\r\n", IMAP_PARSE_ERROR, NULL },
	{ " X\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b5 X a\x01" "b\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b6 X \"a\"b\r\n", IMAP_PARSE_ERROR, NULL },
	/* '[' is an ATOM-CHAR: an unclosed one ends with the line */
	{ "b7 X a[b\r\n", IMAP_PARSE_DONE, "b7 X a[b" },
	{ "b7 SELECT !#$&'+,-.:;<=>?@^_`|[}\r\n", IMAP_PARSE_DONE,
	  "b7 SELECT !#$&'+,-.:;<=>?@^_`|[}" },
	{ "b8 X a\rb\r\n", IMAP_PARSE_ERROR, NULL },
	{ "b9\r\n", IMAP_PARSE_DONE, "b9" },
	{ "c1 LIST \"\" %\r\n", IMAP_PARSE_DONE, "c1 LIST \"\" %" },
	{ "c2 STORE 1 +FLAGS (\\Seen $Junk)\r\n", IMAP_PARSE_DONE,
	  "c2 STORE 1 +FLAGS (\\Seen $Junk)" },
};

/* Feeds in whole or byte by byte; literal announcements are accepted. */
static enum imap_parse_rc
feed(struct imap_parser *p, const char *in, size_t len, bool bytewise)
{
	enum imap_parse_rc rc = IMAP_PARSE_MORE;
	size_t off = 0, used, step;

	while (off < len) {
		step = bytewise ? 1 : len - off;
		rc = imap_parser_feed(p, in + off, step, &used);
		off += used;
		if (rc == IMAP_PARSE_LITERAL) {
			if (p->lit_len > p->lit_max)
				return IMAP_PARSE_ERROR;
			continue;
		}
		if (rc != IMAP_PARSE_MORE)
			return rc;
	}
	return rc;
}

static void
test_parser(void)
{
	struct imap_parser p;
	struct buf out;
	size_t i, len;
	int mode;

	for (mode = 0; mode < 2; mode++)
		for (i = 0; i < N_ELEMENTS(pcases); i++) {
			test_begin(pcases[i].in);
			imap_parser_init(&p, 1024);
			len = strlen(pcases[i].in);
			if (strncmp(pcases[i].in, "a4", 2) == 0)
				len = 26;	/* holds a NUL */
			test_assert(feed(&p, pcases[i].in, len, mode == 1) ==
			    pcases[i].rc);
			if (pcases[i].out != NULL) {
				buf_init(&out, 4096);
				imap_args_write(&out, p.args.v, p.args.n);
				test_assert_str(buf_cstr(&out), pcases[i].out);
				buf_free(&out);
			}
			imap_parser_free(&p);
			test_end();
		}

	test_begin("literal8 keeps NUL");
	imap_parser_init(&p, 1024);
	test_assert(imap_parse_all(&p, "a ~{2}\r\nx\0\r\n", 12) ==
	    IMAP_PARSE_DONE);
	test_assert(p.args.n == 2 && p.args.v[1].type == IMAP_ARG_LITERAL &&
	    p.args.v[1].literal8 && p.args.v[1].len == 2 &&
	    p.args.v[1].str[1] == '\0');
	imap_parser_free(&p);
	test_end();

	test_begin("literal announcement is reported before its data");
	imap_parser_init(&p, 10);
	{
		size_t used;

		test_assert(imap_parser_feed(&p, "t APPEND x {11+}\r\n", 18,
		    &used) == IMAP_PARSE_LITERAL);
		test_assert(used == 18 && p.lit_len == 11 && p.lit_nonsync);
		test_assert(strcmp(p.tag, "t") == 0);
		/* over the parser's ceiling: refused when data arrives */
		test_assert(imap_parser_feed(&p, "x", 1, &used) ==
		    IMAP_PARSE_ERROR);
	}
	imap_parser_free(&p);
	test_end();

	test_begin("huge literal sizes reach the caller, saturated");
	{
		static const struct {
			const char	*in;
			uint64_t	 len;
		} huge[] = {
			{ "t APPEND x {4294967295+}\r\n", 4294967295ULL },
			{ "t APPEND x {4294967296+}\r\n", 4294967296ULL },
			{ "t APPEND x {99999999999+}\r\n", 99999999999ULL },
			{ "t APPEND x {18446744073709551615+}\r\n",
			  UINT64_MAX },
			{ "t APPEND x {18446744073709551616+}\r\n",
			  IMAP_LITERAL_HUGE },
			{ "t APPEND x {99999999999999999999999999999999+}\r\n",
			  IMAP_LITERAL_HUGE },
			{ "t LOGIN {000000000000000000000000000000000099999999999+}"
			  "\r\n", 99999999999ULL },
			{ "t X ~{184467440737095516160}\r\n", IMAP_LITERAL_HUGE },
		};
		size_t k, used;

		for (k = 0; k < N_ELEMENTS(huge); k++) {
			imap_parser_init(&p, 10);
			len = strlen(huge[k].in);
			test_assert(imap_parser_feed(&p, huge[k].in, len,
			    &used) == IMAP_PARSE_LITERAL);
			test_assert(used == len && p.lit_len == huge[k].len);
			test_assert(strcmp(p.tag, "t") == 0);
			imap_parser_free(&p);
		}
	}
	test_end();

	test_begin("nesting limit");
	imap_parser_init(&p, 10);
	{
		char deep[200];
		size_t k = 0, j;

		k += (size_t)snprintf(deep, sizeof(deep), "t X ");
		for (j = 0; j < IMAP_NESTING_MAX + 1; j++)
			deep[k++] = '(';
		deep[k++] = '\r';
		deep[k++] = '\n';
		test_assert(imap_parse_all(&p, deep, k) == IMAP_PARSE_ERROR);
		test_assert(p.err.kind == ERR_LIMIT);
	}
	imap_parser_free(&p);
	test_end();

	test_begin("command text limit");
	imap_parser_init(&p, 10);
	{
		char *big = xmalloc(IMAP_LINE_MAX + 10);

		memset(big, 'a', IMAP_LINE_MAX + 10);
		big[0] = 't';
		big[1] = ' ';
		test_assert(imap_parse_all(&p, big, IMAP_LINE_MAX + 10) ==
		    IMAP_PARSE_ERROR);
		test_assert(p.err.kind == ERR_LIMIT);
		free(big);
	}
	imap_parser_free(&p);
	test_end();

	test_begin("reset reuses the parser");
	imap_parser_init(&p, 10);
	test_assert(imap_parse_all(&p, "a (\r\n", 5) == IMAP_PARSE_ERROR);
	imap_parser_reset(&p);
	test_assert(imap_parse_all(&p, "b NOOP\r\n", 8) == IMAP_PARSE_DONE);
	test_assert(strcmp(p.tag, "b") == 0 && p.args.n == 2);
	imap_parser_free(&p);
	test_end();
}

static void
test_seqset(void)
{
	struct imap_seqset s;
	struct buf b;
	uint32_t v[] = { 1, 2, 3, 5, 7, 8 };

	test_begin("seqset merge and star");
	test_assert(imap_seqset_parse(STRV_LIT("5:3,1,2,9:*"), 12, &s,
	    NULL) == 0);
	test_assert(s.n == 2 && s.v[0].lo == 1 && s.v[0].hi == 5 &&
	    s.v[1].lo == 9 && s.v[1].hi == 12);
	test_assert(imap_seqset_contains(&s, 4) &&
	    !imap_seqset_contains(&s, 6) && imap_seqset_contains(&s, 12));
	imap_seqset_free(&s);
	test_end();

	test_begin("seqset star below the start");
	test_assert(imap_seqset_parse(STRV_LIT("559:*"), 100, &s, NULL) == 0);
	test_assert(s.n == 1 && s.v[0].lo == 100 && s.v[0].hi == 559);
	imap_seqset_free(&s);
	test_end();

	test_begin("seqset errors");
	test_assert(imap_seqset_parse(STRV_LIT("0"), 5, &s, NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT("1,"), 5, &s, NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT("a"), 5, &s, NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT("1::2"), 5, &s, NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT("4294967296"), 5, &s,
	    NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT(""), 5, &s, NULL) < 0);
	test_assert(imap_seqset_parse(STRV_LIT("$"), 5, &s, NULL) < 0);
	test_end();

	test_begin("seqset write");
	buf_init(&b, 100);
	imap_seqset_write_list(&b, v, N_ELEMENTS(v));
	test_assert_str(buf_cstr(&b), "1:3,5,7:8");
	buf_free(&b);
	test_end();
}

static void
test_utf7(void)
{
	static const struct {
		const char *utf8, *utf7;
	} cases[] = {
		{ "INBOX", "INBOX" },
		{ "a&b", "a&-b" },
		{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
		{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
		{ "\xf0\x9f\x98\x80", "&2D3eAA-" },
	};
	static const char *const bad[] = {
		"&", "&U,BTFw", "&AGE-", "\xc3\xbc", "&2D0-", "&-&", "a\x01",
		"&A-",
	};
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].utf7);
		buf_reset(&b);
		test_assert(imap_utf8_to_utf7(cases[i].utf8,
		    strlen(cases[i].utf8), &b, NULL) == 0);
		test_assert_str(buf_cstr(&b), cases[i].utf7);
		buf_reset(&b);
		test_assert(imap_utf7_to_utf8(cases[i].utf7,
		    strlen(cases[i].utf7), &b, NULL) == 0);
		test_assert_str(buf_cstr(&b), cases[i].utf8);
		test_end();
	}
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin("bad utf7");
		buf_reset(&b);
		test_assert(imap_utf7_to_utf8(bad[i], strlen(bad[i]), &b,
		    NULL) < 0);
		test_end();
	}
	test_begin("bad utf8");
	buf_reset(&b);
	test_assert(imap_utf8_to_utf7("\xc0\x80", 2, &b, NULL) < 0);
	test_assert(imap_utf8_to_utf7("\xed\xa0\x80", 3, &b, NULL) < 0);
	test_end();
	buf_free(&b);
}

static int
parse_cmd(struct imap_parser *p, const char *s)
{
	imap_parser_reset(p);
	return imap_parse_all(p, s, strlen(s)) == IMAP_PARSE_DONE ? 0 : -1;
}

static void
test_fetch_items(void)
{
	struct imap_parser p;
	struct fetch_req r;
	struct error err;

	imap_parser_init(&p, 100);
	test_begin("fetch macro ALL");
	test_assert(parse_cmd(&p, "t F ALL\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) == 0);
	test_assert(r.n == 4 && r.v[3].kind == FI_ENVELOPE && !r.need_msg);
	imap_fetch_req_free(&r);
	test_end();

	test_begin("fetch sections");
	test_assert(parse_cmd(&p, "t F (BODY.PEEK[1.2.HEADER.FIELDS.NOT "
	    "(From \"X-A\")]<5.10> BINARY[3] RFC822 UID)\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) == 0);
	test_assert(r.n == 4);
	test_assert(r.v[0].kind == FI_SECTION && r.v[0].peek &&
	    r.v[0].nparts == 2 && r.v[0].part[1] == 2 &&
	    r.v[0].sec == SEC_FIELDS_NOT && r.v[0].nfields == 2 &&
	    strcmp(r.v[0].fields[1], "X-A") == 0 && r.v[0].partial &&
	    r.v[0].p_off == 5 && r.v[0].p_len == 10);
	test_assert_str(r.v[0].name,
	    "BODY[1.2.HEADER.FIELDS.NOT (From \"X-A\")]<5>");
	test_assert(r.v[1].binary && r.v[1].part[0] == 3);
	test_assert(r.sets_seen && r.need_msg);
	imap_fetch_req_free(&r);
	test_end();

	test_begin("fetch modifiers");
	test_assert(parse_cmd(&p, "t F FLAGS (CHANGEDSINCE 12 VANISHED)\r\n")
	    == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], &p.args.v[3], &r,
	    &err) == 0);
	test_assert(r.changedsince_set && r.changedsince == 12 && r.vanished &&
	    r.v[r.n - 1].kind == FI_MODSEQ);
	imap_fetch_req_free(&r);
	test_end();

	test_begin("fetch errors");
	test_assert(parse_cmd(&p, "t F (BODY[0])\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_assert(parse_cmd(&p, "t F BODY[TEXT]<1.0>\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_assert(parse_cmd(&p, "t F BINARY[HEADER]\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_assert(parse_cmd(&p, "t F (ALL)\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_assert(parse_cmd(&p, "t F BODY[HEADER.FIELDS ()]\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_assert(parse_cmd(&p, "t F FOO\r\n") == 0);
	test_assert(imap_fetch_parse(&p.args.v[2], NULL, &r, &err) < 0);
	test_end();
	imap_parser_free(&p);
}

static void
test_search_keys(void)
{
	struct imap_parser p;
	struct search_key k;
	struct search_msg m;
	struct error err;
	const struct imap_arg *a;

	imap_parser_init(&p, 100);
	test_begin("search keys parse and match");
	test_assert(parse_cmd(&p, "t S OR SEEN (LARGER 10 NOT DELETED) "
	    "UID 1:* 2:4 SINCE 1-Feb-1994 KEYWORD $Junk\r\n") == 0);
	a = &p.args.v[2];
	test_assert(imap_search_parse(a, p.args.n - 2, 5, 100, &k, &err) == 0);
	memset(&m, 0, sizeof(m));
	m.seq = 3;
	m.uid = 30;
	m.size = 20;
	m.internaldate = 1000000000;
	m.keywords = "$Junk Other";
	test_assert(imap_search_match(&k, &m) == 1);
	m.flags = STORE_DELETED;
	test_assert(imap_search_match(&k, &m) == 0);
	m.flags = STORE_DELETED | STORE_SEEN;
	test_assert(imap_search_match(&k, &m) == 1);
	m.seq = 5;
	test_assert(imap_search_match(&k, &m) == 0);
	imap_search_free(&k);
	test_end();

	test_begin("search key errors");
	test_assert(parse_cmd(&p, "t S SINCE 31-Foo-2000\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 1, 5, 5, &k, &err) < 0);
	test_assert(parse_cmd(&p, "t S OR SEEN\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 2, 5, 5, &k, &err) < 0);
	test_assert(parse_cmd(&p, "t S BOGUS\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 1, 5, 5, &k, &err) < 0);
	test_assert(parse_cmd(&p, "t S LARGER x\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 2, 5, 5, &k, &err) < 0);
	test_assert(parse_cmd(&p, "t S 0:3\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 1, 5, 5, &k, &err) < 0);
	test_assert(parse_cmd(&p, "t S HEADER X\r\n") == 0);
	test_assert(imap_search_parse(&p.args.v[2], 2, 5, 5, &k, &err) < 0);
	test_end();

	test_begin("search MODSEQ with entry");
	test_assert(parse_cmd(&p, "t S MODSEQ \"/flags/\\\\draft\" all 7\r\n")
	    == 0);
	test_assert(imap_search_parse(&p.args.v[2], 4, 5, 5, &k, &err) == 0);
	test_assert(imap_search_has_modseq(&k));
	memset(&m, 0, sizeof(m));
	m.modseq = 7;
	test_assert(imap_search_match(&k, &m) == 1);
	m.modseq = 6;
	test_assert(imap_search_match(&k, &m) == 0);
	imap_search_free(&k);
	test_end();

	test_begin("search SENTON (date as written) and FROM (parsed)");
	{
		static struct buf raw;
		static const char msg[] = "Date: Sat, 24 Mar 2007 23:00:00 "
		    "-0200\r\nFrom: <a-b (c)@ (d) x.org>\r\n\r\nbody\r\n";

		raw.data = (char *)msg;
		raw.len = sizeof(msg) - 1;
		test_assert(parse_cmd(&p, "t S SENTON 24-Mar-2007 "
		    "FROM a-b@x.org\r\n") == 0);
		test_assert(imap_search_parse(&p.args.v[2], 4, 5, 5, &k,
		    &err) == 0);
		memset(&m, 0, sizeof(m));
		m.hdr_size = sizeof(msg) - 1 - 6;
		m.raw = &raw;
		test_assert(imap_search_match(&k, &m) == 1);
		imap_search_free(&k);
		test_assert(parse_cmd(&p, "t S SENTON 25-Mar-2007\r\n") == 0);
		test_assert(imap_search_parse(&p.args.v[2], 2, 5, 5, &k,
		    &err) == 0);
		test_assert(imap_search_match(&k, &m) == 0);
		imap_search_free(&k);
	}
	test_end();
	imap_parser_free(&p);

	test_begin("header decoding");
	{
		struct buf b;

		buf_init(&b, 256);
		imap_decode_header("=?UTF-8?B?SGFsbG8=?= =?iso-8859-1?Q?W=F6rld?="
		    "  x", 48, &b);
		test_assert_str(buf_cstr(&b), "HalloW\xc3\xb6rld x");
		buf_free(&b);
	}
	test_end();
}

static void
test_base_subject(void)
{
	static const struct {
		const char *in, *out;
		bool reply;
	} cases[] = {
		{ "Hello", "hello", false },
		{ "Re: Hello", "hello", true },
		{ "RE: re: Fwd: [list] Hello  (fwd)", "hello", true },
		{ "[fwd: Re: Hello]", "hello", true },
		{ "[list] Re: [other] Hi", "hi", true },
		{ "[only]", "[only]", false },
		{ "Re:", "", true },
		{ "re: [fwd: [fwd: re: [fwd: babylon]]]", "babylon", true },
		{ "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "b", true },
		{ "[a[b]] x", "[a[b]] x", false },
	};
	struct buf b;
	bool reply;
	size_t i;

	buf_init(&b, 256);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		buf_reset(&b);
		imap_base_subject(cases[i].in, strlen(cases[i].in), &b,
		    &reply);
		test_assert_str(buf_cstr(&b), cases[i].out);
		test_assert(reply == cases[i].reply);
		test_end();
	}
	buf_free(&b);
}

/* imap_piece_fn that keeps everything in the buffer */
static int
keep_piece(void *arg, struct buf *b)
{
	(void)arg;
	(void)b;
	return 0;
}

/* imap_piece_fn that moves every piece out (as the session streams it);
 * fails once the total passes 40 bytes when asked to */
static int
move_piece(void *arg, struct buf *b)
{
	struct buf *all = arg;

	buf_append(all, b->data, b->len);
	buf_reset(b);
	return all->max == 40 && all->err != 0 ? -1 : 0;
}

static void
test_thread_pieces(void)
{
	struct sort_info *v = xcalloc(200, sizeof(*v));
	struct buf b, all, whole;
	size_t i;

	for (i = 0; i < 200; i++) {
		v[i].num = v[i].seq = (uint32_t)i + 1;
		v[i].date = (int64_t)i;
		v[i].subject = xstrdup(i % 3 == 0 ? "same" : "x");
	}
	buf_init(&whole, 64 * 1024);
	buf_init(&b, 64);
	buf_init(&all, 64 * 1024);
	test_begin("THREAD written in pieces equals the whole");
	test_assert(imap_thread_orderedsubject(v, 200, &whole, keep_piece,
	    NULL) == 0);
	test_assert(imap_thread_orderedsubject(v, 200, &b, move_piece,
	    &all) == 0);
	buf_append(&all, b.data, b.len);
	test_assert(b.err == 0 && whole.len > 64);
	test_assert_str(buf_cstr(&all), buf_cstr(&whole));
	buf_reset(&whole);
	buf_reset(&all);
	buf_reset(&b);
	test_assert(imap_thread_references(v, 200, &whole, keep_piece,
	    NULL) == 0);
	test_assert(imap_thread_references(v, 200, &b, move_piece,
	    &all) == 0);
	buf_append(&all, b.data, b.len);
	test_assert(b.err == 0 && whole.len > 64);
	test_assert_str(buf_cstr(&all), buf_cstr(&whole));
	test_end();
	test_begin("THREAD stops when a piece fails");
	buf_free(&all);
	buf_init(&all, 40);
	buf_reset(&b);
	test_assert(imap_thread_references(v, 200, &b, move_piece,
	    &all) == -1);
	buf_reset(&b);
	test_assert(imap_thread_orderedsubject(v, 200, &b, move_piece,
	    &all) == -1);
	test_end();
	buf_free(&all);
	buf_free(&b);
	buf_free(&whole);
	imap_sort_info_free(v, 200);
}

static void
test_threads(void)
{
	struct sort_info *v = xcalloc(4, sizeof(*v));
	struct buf b;
	size_t i;

	for (i = 0; i < 4; i++) {
		v[i].num = v[i].seq = (uint32_t)i + 1;
		v[i].date = (int64_t)(i + 1) * 100;
	}
	v[0].msgid = xstrdup("<a@x>");
	v[0].subject = xstrdup("topic");
	v[1].msgid = xstrdup("<b@x>");
	v[1].subject = xstrdup("topic");
	v[1].nrefs = imap_parse_msgids("<a@x>", 5, &v[1].refs, 10);
	v[2].msgid = xstrdup("<c@x>");
	v[2].subject = xstrdup("other");
	v[3].msgid = xstrdup("<d@x>");
	v[3].subject = xstrdup("topic");
	v[3].nrefs = imap_parse_msgids("<a@x> <zz@x>", 12, &v[3].refs, 10);
	buf_init(&b, 1024);
	test_begin("THREAD REFERENCES");
	imap_thread_references(v, 4, &b, keep_piece, NULL);
	test_assert_str(buf_cstr(&b), "(1 (2)(4))(3)");
	test_end();
	test_begin("THREAD ORDEREDSUBJECT");
	buf_reset(&b);
	imap_thread_orderedsubject(v, 4, &b, keep_piece, NULL);
	test_assert_str(buf_cstr(&b), "(1 (2)(4))(3)");
	test_end();
	buf_free(&b);
	imap_sort_info_free(v, 4);

	/* 1.B: own References win; a loop leaves the message a root */
	v = xcalloc(3, sizeof(*v));
	for (i = 0; i < 3; i++)
		v[i].num = v[i].seq = (uint32_t)i + 1;
	v[0].date = 300;
	v[1].date = 100;
	v[2].date = 200;
	v[0].msgid = xstrdup("<a@b>");
	v[1].msgid = xstrdup("<b@b>");
	v[1].nrefs = imap_parse_msgids("<a@b> <c@b>", 11, &v[1].refs, 10);
	v[2].msgid = xstrdup("<c@b>");
	v[2].nrefs = imap_parse_msgids("<b@b>", 5, &v[2].refs, 10);
	buf_init(&b, 1024);
	test_begin("THREAD REFERENCES loop");
	imap_thread_references(v, 3, &b, keep_piece, NULL);
	test_assert_str(buf_cstr(&b), "(3 2)(1)");
	test_end();
	buf_free(&b);
	imap_sort_info_free(v, 3);
}

/* RFC 5256 step 5: roots merged by base subject. */
static void
test_thread_subjects(void)
{
	static const struct {
		const char	*name;
		const char	*subject[3];
		bool		 reply[3];
		const char	*want;
	} cases[] = {
		{ "two originals: a dummy holds both",
		    { "topic", "topic", "other" }, { false, false, false },
		    "((1)(2))(3)" },
		{ "a reply goes under the original",
		    { "topic", "topic", "other" }, { false, true, false },
		    "(1 2)(3)" },
		{ "an earlier reply still goes under the original",
		    { "topic", "topic", "topic" }, { true, false, true },
		    "(2 (1)(3))" },
		{ "two replies without an original: a dummy",
		    { "topic", "other", "topic" }, { true, false, true },
		    "((1)(3))(2)" },
	};
	struct sort_info *v;
	struct buf b;
	size_t c, i;

	for (c = 0; c < N_ELEMENTS(cases); c++) {
		v = xcalloc(3, sizeof(*v));
		for (i = 0; i < 3; i++) {
			v[i].num = v[i].seq = (uint32_t)i + 1;
			v[i].date = (int64_t)(i + 1) * 100;
			v[i].subject = xstrdup(cases[c].subject[i]);
			v[i].reply = cases[c].reply[i];
		}
		buf_init(&b, 1024);
		test_begin(cases[c].name);
		imap_thread_references(v, 3, &b, keep_piece, NULL);
		test_assert_str(buf_cstr(&b), cases[c].want);
		test_end();
		buf_free(&b);
		imap_sort_info_free(v, 3);
	}
}

/* RFC 2045 6.7 QP decoding; RFC 3516 binary APPEND re-encoding. */
static void
test_cte(void)
{
	static const char bin[] = "From: a@b\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Transfer-Encoding: "
	    "binary\r\n\r\n\0-\xe4\n\r\n\n";
	static const char qp[] = "hello  \r\nbar=\r\n\r\nfoo\t=\r\n"
	    "bar\r\nfoo\t \t= \r\n=62\r\nx=20 \r\n";
	struct buf b, d;

	test_begin("cte");
	buf_init(&b, 4096);
	mime_decode_qp(qp, sizeof(qp) - 1, &b);
	test_assert_str(buf_cstr(&b), "hello\r\nbar\r\nfoo\tbar\r\n"
	    "foo\t \tb\r\nx \r\n");
	buf_reset(&b);
	test_assert(imap_binary_encode(bin, sizeof(bin) - 1, &b));
	test_assert(strstr(buf_cstr(&b), "binary") == NULL);
	test_assert(strstr(buf_cstr(&b), "Content-Transfer-Encoding: "
	    "base64\r\n\r\n") != NULL);
	buf_init(&d, 4096);
	mime_decode_base64(strstr(b.data, "\r\n\r\n") + 4,
	    b.len - (size_t)(strstr(b.data, "\r\n\r\n") + 4 - b.data), &d);
	test_assert(d.len == 7 && memcmp(d.data, "\0-\xe4\n\r\n\n", 7) == 0);
	buf_reset(&b);
	test_assert(!imap_binary_encode("Subject: x\r\n\r\ntext\r\n", 20,
	    &b));
	buf_free(&d);
	buf_free(&b);
	test_end();
}

int
main(void)
{
	test_parser();
	test_seqset();
	test_utf7();
	test_fetch_items();
	test_search_keys();
	test_base_subject();
	test_threads();
	test_thread_pieces();
	test_thread_subjects();
	test_cte();
	return test_done();
}
