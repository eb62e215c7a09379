/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_sort_test.c: SORT and THREAD (RFC 5256): base subject extraction
 * (2.1) with Re:/Fwd: leaders, [blob]s, "(fwd)" trailers, [fwd: ...]
 * wrappers, white space and encoded words; the criteria grammar; sorting
 * by every key; THREAD=ORDEREDSUBJECT and THREAD=REFERENCES on small
 * hand-built mailboxes (including the shape of RFC 5256's example),
 * loops, duplicates and the depth bound.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"

static void
test_base_subject(void)
{
	static const struct {
		const char	*in, *out;
		bool		 reply;
	} cases[] = {
		{ "", "", false },
		{ "Hello", "hello", false },
		{ "Re: Hello", "hello", true },
		{ "RE:Hello", "hello", true },
		{ "re : Hello", "hello", true },
		{ "Re[2]: Hello", "hello", true },
		{ "Re [2] : Hello", "hello", true },
		{ "Fw: x", "x", true },
		{ "FWD: x", "x", true },
		{ "fwd:x", "x", true },
		{ "Fwdx: y", "fwdx: y", false },
		{ "Reply: x", "reply: x", false },
		{ "Re x", "re x", false },
		{ "Re: Re: Fwd: re: x", "x", true },
		{ "[list] Hello", "hello", false },
		{ "[list]Hello", "hello", false },
		{ "[list]", "[list]", false },
		{ "[list]  ", "[list]", false },
		{ "[a] [b]", "[b]", false },
		{ "[a] Re: [b] Re: c", "c", true },
		{ "[list] Re: [other] Hi", "hi", true },
		{ "[a[b]] x", "[a[b]] x", false },
		{ "[a] re: [b]", "[b]", true },
		{ "  Hello  ", "hello", false },
		{ "\tRe:\tHello\t", "hello", true },
		{ "Hello (fwd)", "hello", true },
		{ "Hello(fwd)(FWD) ", "hello", true },
		{ "(fwd) Hello", "(fwd) hello", false },
		{ "Hello (fwd) x", "hello (fwd) x", false },
		{ "[fwd: Hello]", "hello", true },
		{ "[Fwd: Re: [x] Hello (fwd)]", "hello", true },
		{ "re: [fwd: [fwd: re: [fwd: babylon]]]", "babylon", true },
		{ "[foo] Fwd: [bar] Re: fw: b (fWd)  (fwd)", "b", true },
		{ "[fwd:]", "", true },
		{ "[fwd: x", "[fwd: x", false },
		{ "Re:", "", true },
		{ "Re: Re: Re: ", "", true },
		{ "Re: Gr\xc3\x9c\xc3\x9f" "E", "gr\xc3\x9c\xc3\x9f" "e", true },
		{ "MiXeD CaSe", "mixed case", false },
	};
	struct buf b;
	bool reply;
	size_t i;

	buf_init(&b, 256);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		buf_reset(&b);
		reply = !cases[i].reply;
		imap_base_subject(cases[i].in, strlen(cases[i].in), &b,
		    &reply);
		test_assert_str(buf_cstr(&b), cases[i].out);
		test_assert(reply == cases[i].reply);
		test_end();
	}
	buf_free(&b);
}

/* As the SORT/THREAD commands do: RFC 2047 decoding and white space
 * collapsing (RFC 5256 2.1 step 1), then the base subject. */
static void
test_base_subject_decoded(void)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "=?UTF-8?Q?Re=3A_Hello?=", "hello" },
		{ "Re: =?iso-8859-1?Q?Gr=FC=DFe?=", "gr\xc3\xbc\xc3\x9f" "e" },
		{ "=?utf-8?B?UmU6IFtsaXN0XSBIaQ==?=", "hi" },
		{ "Re:   a  \t  b", "a b" },
		{ "Re:\r\n\tfolded\r\n subject", "folded subject" },
		{ "=?UTF-8?Q?Fwd:?= =?UTF-8?Q?_x?=", "x" },
	};
	struct buf dec, b;
	size_t i;

	buf_init(&dec, 256);
	buf_init(&b, 256);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		buf_reset(&dec);
		buf_reset(&b);
		imap_decode_header(cases[i].in, strlen(cases[i].in), &dec);
		imap_base_subject(dec.data, dec.len, &b, NULL);
		test_assert_str(buf_cstr(&b), cases[i].out);
		test_end();
	}
	buf_free(&dec);
	buf_free(&b);
}

/* Parses "t SORT <crit>\r\n" and the criteria. */
static int
crit(const char *s, struct sort_crit *v, size_t *n, struct error *err)
{
	struct imap_parser p;
	int rc = -2;

	imap_parser_init(&p, 100);
	memset(err, 0, sizeof(*err));
	err->kind = ERR_INTERNAL;
	if (imap_parse_all(&p, s, strlen(s)) == IMAP_PARSE_DONE)
		rc = imap_sort_criteria(&p.args.v[2], v, n, err);
	imap_parser_free(&p);
	return rc;
}

static void
test_criteria(void)
{
	static const struct {
		const char	*in;
		enum err_kind	 kind;
	} bad[] = {
		{ "t SORT ()\r\n", ERR_SYNTAX },
		{ "t SORT (REVERSE)\r\n", ERR_SYNTAX },
		{ "t SORT (SUBJECT REVERSE)\r\n", ERR_SYNTAX },
		{ "t SORT (REVERSE REVERSE DATE)\r\n", ERR_SYNTAX },
		{ "t SORT (BOGUS)\r\n", ERR_SYNTAX },
		{ "t SORT (DATE BOGUS)\r\n", ERR_SYNTAX },
		{ "t SORT (\"DATE\")\r\n", ERR_SYNTAX },
		{ "t SORT ((DATE))\r\n", ERR_SYNTAX },
		{ "t SORT DATE\r\n", ERR_SYNTAX },
		{ "t SORT (DISPLAYFROM)\r\n", ERR_SYNTAX },
		{ "t SORT (DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE "
		  "DATE DATE DATE DATE DATE DATE DATE)\r\n", ERR_LIMIT },
	};
	struct sort_crit v[IMAP_SORT_KEYS_MAX];
	struct error err;
	size_t n, i;

	test_begin("every sort key, REVERSE, any case");
	test_assert(crit("t SORT (ARRIVAL cc REVERSE DATE From SIZE "
	    "REVERSE SUBJECT TO)\r\n", v, &n, &err) == 0);
	test_assert(n == 7);
	test_assert(v[0].key == SORT_ARRIVAL && !v[0].reverse);
	test_assert(v[1].key == SORT_CC && !v[1].reverse);
	test_assert(v[2].key == SORT_DATE && v[2].reverse);
	test_assert(v[3].key == SORT_FROM && !v[3].reverse);
	test_assert(v[4].key == SORT_SIZE && !v[4].reverse);
	test_assert(v[5].key == SORT_SUBJECT && v[5].reverse);
	test_assert(v[6].key == SORT_TO && !v[6].reverse);
	test_end();

	test_begin("criteria at the bound");
	test_assert(crit("t SORT (DATE DATE DATE DATE DATE DATE DATE DATE "
	    "DATE DATE DATE DATE DATE DATE DATE REVERSE DATE)\r\n", v, &n,
	    &err) == 0);
	test_assert(n == IMAP_SORT_KEYS_MAX && v[15].reverse);
	test_end();

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i].in);
		test_assert(crit(bad[i].in, v, &n, &err) == -1);
		test_assert(err.kind == bad[i].kind);
		test_end();
	}
}

static struct sort_info *
sort_set(void)
{
	/*  seq	arrival	date	size	from	to	cc	subject */
	static const struct {
		int64_t		 arrival, date;
		uint64_t	 size;
		const char	*from, *to, *cc, *subject;
	} m[] = {
		{ 3, 300, 50, "b@x", "z@x", NULL, "beta" },
		{ 1, 100, 10, "a@x", "y@x", "c@x", "alpha" },
		{ 2, 100, 30, NULL, "x@x", "a@x", "Beta" },
		{ 1, 200, 10, "_@x", "y@x", "b@x", "gamma" },
	};
	struct sort_info *v = xcalloc(N_ELEMENTS(m), sizeof(*v));
	size_t i;

	for (i = 0; i < N_ELEMENTS(m); i++) {
		v[i].num = 10 * ((uint32_t)i + 1);
		v[i].seq = (uint32_t)i + 1;
		v[i].arrival = m[i].arrival;
		v[i].date = m[i].date;
		v[i].size = m[i].size;
		v[i].from = m[i].from != NULL ? xstrdup(m[i].from) : NULL;
		v[i].to = xstrdup(m[i].to);
		v[i].cc = m[i].cc != NULL ? xstrdup(m[i].cc) : NULL;
		v[i].subject = xstrdup(m[i].subject);
	}
	return v;
}

static void
test_sort_run(void)
{
	static const struct {
		const char	*crit;
		const char	*order;		/* nums after sorting */
	} cases[] = {
		{ "(ARRIVAL)", "20 40 30 10" },
		{ "(REVERSE ARRIVAL)", "10 30 20 40" },
		{ "(DATE)", "20 30 40 10" },
		{ "(REVERSE DATE)", "10 40 20 30" },
		{ "(SIZE)", "20 40 30 10" },
		{ "(REVERSE SIZE)", "10 30 20 40" },
		/* NULL sorts as ""; i;ascii-casemap puts '_' after letters */
		{ "(FROM)", "30 20 10 40" },
		{ "(TO)", "30 20 40 10" },
		{ "(CC)", "10 30 40 20" },
		{ "(SUBJECT)", "20 10 30 40" },
		{ "(REVERSE SUBJECT)", "40 10 30 20" },
		{ "(SUBJECT REVERSE DATE)", "20 10 30 40" },
		{ "(SIZE REVERSE TO)", "20 40 30 10" },
		{ "(ARRIVAL SIZE)", "20 40 30 10" },
	};
	struct sort_crit c[IMAP_SORT_KEYS_MAX];
	struct sort_info *v;
	struct error err;
	struct buf line, got;
	size_t nc, i, j;

	buf_init(&line, 256);
	buf_init(&got, 256);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].crit);
		buf_reset(&line);
		buf_printf(&line, "t SORT %s\r\n", cases[i].crit);
		test_assert(crit(line.data, c, &nc, &err) == 0);
		v = sort_set();
		imap_sort_run(v, 4, c, nc);
		buf_reset(&got);
		for (j = 0; j < 4; j++)
			buf_printf(&got, j == 0 ? "%u" : " %u", v[j].num);
		test_assert_str(buf_cstr(&got), cases[i].order);
		imap_sort_info_free(v, 4);
		test_end();
	}
	buf_free(&line);
	buf_free(&got);
}

/* One message of a hand-built mailbox. */
struct tmsg {
	uint32_t	 num;
	const char	*id, *refs, *subject;
	int64_t		 date;
};

static struct sort_info *
build(const struct tmsg *m, size_t n)
{
	struct sort_info *v = xcalloc(n, sizeof(*v));
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < n; i++) {
		v[i].num = m[i].num;
		v[i].seq = (uint32_t)i + 1;
		v[i].date = m[i].date;
		v[i].msgid = m[i].id != NULL ? xstrdup(m[i].id) : NULL;
		if (m[i].refs != NULL)
			v[i].nrefs = imap_parse_msgids(m[i].refs,
			    strlen(m[i].refs), &v[i].refs,
			    IMAP_REFERENCES_MAX);
		buf_reset(&b);
		imap_base_subject(m[i].subject, strlen(m[i].subject), &b,
		    &v[i].reply);
		v[i].subject = xstrdup(buf_cstr(&b));
	}
	buf_free(&b);
	return v;
}

static int
keep(void *arg, struct buf *out)
{
	(void)arg;
	(void)out;
	return 0;
}

static void
thread_case(const char *name, const struct tmsg *m, size_t n, bool refs,
    const char *want)
{
	struct sort_info *v = build(m, n);
	struct buf out;

	test_begin(name);
	buf_init(&out, 64 * 1024);
	test_assert((refs ? imap_thread_references(v, n, &out, keep, NULL) :
	    imap_thread_orderedsubject(v, n, &out, keep, NULL)) == 0);
	test_assert_str(buf_cstr(&out), want);
	buf_free(&out);
	imap_sort_info_free(v, n);
	test_end();
}

static void
test_orderedsubject(void)
{
	static const struct tmsg m[] = {
		{ 1, NULL, NULL, "A", 10 },
		{ 2, NULL, NULL, "Re: B", 20 },
		{ 3, NULL, NULL, "Re: A", 30 },
		{ 4, NULL, NULL, "b", 5 },
		{ 5, NULL, NULL, "c", 40 },
		{ 6, NULL, NULL, "[list] a", 35 },
	};
	static const struct tmsg same_date[] = {
		{ 7, NULL, NULL, "x", 10 },
		{ 8, NULL, NULL, "y", 10 },
		{ 9, NULL, NULL, "x", 10 },
	};

	thread_case("ORDEREDSUBJECT groups by base subject, threads by date",
	    m, N_ELEMENTS(m), false, "(4 2)(1 (3)(6))(5)");
	thread_case("ORDEREDSUBJECT ties go by sequence number", same_date,
	    N_ELEMENTS(same_date), false, "(7 9)(8)");
	thread_case("ORDEREDSUBJECT of nothing", m, 0, false, "");
	thread_case("ORDEREDSUBJECT of one message", m, 1, false, "(1)");
}

static void
test_references(void)
{
	/* the shape of RFC 5256 section 4's example answer */
	static const struct tmsg rfc[] = {
		{ 2, "<2@x>", NULL, "two", 1 },
		{ 3, "<3@x>", NULL, "three", 2 },
		{ 6, "<6@x>", "<3@x>", "Re: three", 3 },
		{ 4, "<4@x>", "<3@x> <6@x>", "Re: three", 4 },
		{ 23, "<23@x>", "<3@x> <6@x> <4@x>", "Re: three", 5 },
		{ 44, "<44@x>", "<3@x> <6@x>", "Re: three", 6 },
		{ 7, "<7@x>", "<3@x> <6@x> <44@x>", "Re: three", 7 },
		{ 96, "<96@x>", "<3@x>\r\n <6@x> <44@x> <7@x>", "Re: three",
		  8 },
	};
	/* the same mailbox arriving in another order */
	static const struct tmsg shuffled[] = {
		{ 96, "<96@x>", "<3@x> <6@x> <44@x> <7@x>", "Re: three", 8 },
		{ 23, "<23@x>", "<3@x> <6@x> <4@x>", "Re: three", 5 },
		{ 44, "<44@x>", "<3@x> <6@x>", "Re: three", 6 },
		{ 3, "<3@x>", NULL, "three", 2 },
		{ 7, "<7@x>", "<3@x> <6@x> <44@x>", "Re: three", 7 },
		{ 2, "<2@x>", NULL, "two", 1 },
		{ 4, "<4@x>", "<3@x> <6@x>", "Re: three", 4 },
		{ 6, "<6@x>", "<3@x>", "Re: three", 3 },
	};
	static const struct tmsg missing_parent[] = {
		{ 1, "<a@x>", "<gone@x>", "one", 1 },
		{ 2, "<b@x>", "<gone@x>", "two", 2 },
		{ 3, "<c@x>", "<lost@x>", "three", 3 },
	};
	static const struct tmsg subjects[] = {
		{ 1, "<a@x>", NULL, "hello", 1 },
		{ 2, "<b@x>", NULL, "Re: hello", 2 },
		{ 3, "<c@x>", NULL, "other", 3 },
		{ 4, "<d@x>", NULL, "other", 4 },
		{ 5, "<e@x>", NULL, "", 5 },
		{ 6, "<f@x>", NULL, "", 6 },
	};
	static const struct tmsg loops[] = {
		{ 1, "<a@x>", "<b@x>", "s", 1 },
		{ 2, "<b@x>", "<a@x>", "t", 2 },
		{ 3, "<c@x>", "<c@x>", "u", 3 },
		{ 4, "<d@x>", "<e@x> <d@x> <e@x>", "v", 4 },
	};
	static const struct tmsg dups[] = {
		{ 1, "<a@x>", NULL, "s", 1 },
		{ 2, "<a@x>", NULL, "t", 2 },
		{ 3, NULL, "<a@x>", "u", 3 },
		{ 4, NULL, NULL, "w", 0 },
	};

	thread_case("REFERENCES: RFC 5256's example shape", rfc,
	    N_ELEMENTS(rfc), true, "(2)(3 6 (4 23)(44 7 96))");
	thread_case("REFERENCES: arrival order does not matter", shuffled,
	    N_ELEMENTS(shuffled), true, "(2)(3 6 (4 23)(44 7 96))");
	thread_case("REFERENCES: a missing parent is a dummy", missing_parent,
	    N_ELEMENTS(missing_parent), true, "((1)(2))(3)");
	thread_case("REFERENCES: roots merge by base subject", subjects,
	    N_ELEMENTS(subjects), true, "(1 2)((3)(4))(5)(6)");
	/* 1 names <b@x> its parent; 2's own References would make 1 its
	 * parent, a loop: that link is not made (step 1.B) */
	thread_case("REFERENCES: loops are broken", loops, N_ELEMENTS(loops),
	    true, "(2 1)(3)(4)");
	thread_case("REFERENCES: duplicate ids", dups, N_ELEMENTS(dups), true,
	    "(4)(1 3)(2)");
	thread_case("REFERENCES of nothing", rfc, 0, true, "");
}

static void
test_thread_depth(void)
{
	size_t n = IMAP_THREAD_DEPTH_MAX + 20, i;
	struct sort_info *v = xcalloc(n, sizeof(*v));
	struct buf out, want, ids;
	char id[32];

	buf_init(&ids, 64 * 1024);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "<%zu@x>", i + 1);
		v[i].num = v[i].seq = (uint32_t)i + 1;
		v[i].date = (int64_t)i;
		v[i].msgid = xstrdup(id);
		v[i].subject = xstrdup("chain");
		/* each message lists its parent only: a chain */
		if (i > 0) {
			snprintf(id, sizeof(id), "<%zu@x>", i);
			v[i].nrefs = imap_parse_msgids(id, strlen(id),
			    &v[i].refs, IMAP_REFERENCES_MAX);
		}
	}
	buf_init(&out, 1024 * 1024);
	buf_init(&want, 1024 * 1024);
	/* the chain is cut below depth IMAP_THREAD_DEPTH_MAX; the rest
	 * starts a thread of its own, merged back by subject (5.C: both
	 * under a dummy) */
	buf_puts(&want, "((1");
	for (i = 2; i <= n; i++)
		buf_printf(&want, i == IMAP_THREAD_DEPTH_MAX + 1 ? ")(%zu" :
		    " %zu", i);
	buf_puts(&want, "))");
	test_begin("REFERENCES depth bound");
	test_assert(imap_thread_references(v, n, &out, keep, NULL) == 0);
	test_assert_str(buf_cstr(&out), buf_cstr(&want));
	test_end();
	imap_sort_info_free(v, n);

	test_begin("REFERENCES with the most ids per message");
	v = xcalloc(5, sizeof(*v));
	for (i = 0; i < IMAP_REFERENCES_MAX + 5; i++)
		buf_printf(&ids, "<r%zu@x> ", i);
	for (i = 0; i < 5; i++) {
		v[i].num = v[i].seq = (uint32_t)i + 1;
		v[i].subject = xstrdup("");
		v[i].nrefs = imap_parse_msgids(ids.data, ids.len, &v[i].refs,
		    IMAP_REFERENCES_MAX);
	}
	test_assert(v[0].nrefs == IMAP_REFERENCES_MAX);
	buf_reset(&out);
	test_assert(imap_thread_references(v, 5, &out, keep, NULL) == 0);
	/* all five hang below the same chain of 1,000 dummies, which the
	 * depth bound cuts twice: below the second cut each message is a
	 * thread of its own (unbounded it would be "((1)(2)(3)(4)(5))") */
	test_assert_str(buf_cstr(&out), "(1)(2)(3)(4)(5)");
	imap_sort_info_free(v, 5);
	test_end();
	buf_free(&ids);
	buf_free(&out);
	buf_free(&want);
}

static void
test_msgids(void)
{
	char **ids;
	size_t n, i;

	test_begin("message ids from References");
	n = imap_parse_msgids(" <a@x> junk <> <b@y>\r\n\t<c@z", 28, &ids, 10);
	test_assert(n == 2);
	test_assert_str(ids[0], "<a@x>");
	test_assert_str(ids[1], "<b@y>");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	n = imap_parse_msgids("<a@x><b@x><c@x>", 15, &ids, 2);
	test_assert(n == 2);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	test_end();
}

int
main(void)
{
	test_base_subject();
	test_base_subject_decoded();
	test_criteria();
	test_sort_run();
	test_orderedsubject();
	test_references();
	test_thread_depth();
	test_msgids();
	return test_done();
}
