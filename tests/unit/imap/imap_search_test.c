/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_search_test.c: SEARCH key parsing (RFC 3501 6.4.4, RFC 7162 MODSEQ):
 * every key and what it parses to, missing and wrong arguments with the
 * error kind, NOT/OR/() nesting at and past IMAP_SEARCH_DEPTH_MAX, the key
 * count bound, sequence sets ('*', reversed ranges, 0, 2^32, 2^64), dates,
 * literals as key arguments, and the evaluator on a small message.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"

#define NMSGS	5
#define MAXUID	100

static struct error perr;

/* Parses "t S <keys>\r\n" and its keys; -2 when the command parser
 * refuses the line (perr then says why). */
static int
sp(const char *keys, size_t len, struct search_key *k, struct error *err)
{
	struct imap_parser p;
	struct buf line;
	int rc = -2;

	buf_init(&line, 4 * IMAP_LINE_MAX);
	buf_puts(&line, "t S ");
	buf_append(&line, keys, len);
	buf_puts(&line, "\r\n");
	imap_parser_init(&p, 1024);
	memset(err, 0, sizeof(*err));
	err->kind = ERR_INTERNAL;
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE)
		rc = imap_search_parse(&p.args.v[2], p.args.n - 2, NMSGS,
		    MAXUID, k, err);
	else
		perr = p.err;
	imap_parser_free(&p);
	buf_free(&line);
	return rc;
}

static int
sps(const char *keys, struct search_key *k, struct error *err)
{
	return sp(keys, strlen(keys), k, err);
}

static const struct {
	const char	*keys;
	enum skey_kind	 kind;
	unsigned	 flag;
	const char	*field, *value;
} good[] = {
	{ "ALL", SK_ALL, 0, NULL, NULL },
	{ "ANSWERED", SK_FLAG, STORE_ANSWERED, NULL, NULL },
	{ "BCC bob", SK_HEADER, 0, "BCC", "bob" },
	{ "BEFORE 1-Feb-1994", SK_BEFORE, 0, NULL, NULL },
	{ "BODY \"two words\"", SK_BODY, 0, NULL, "two words" },
	{ "CC x", SK_HEADER, 0, "CC", "x" },
	{ "DELETED", SK_FLAG, STORE_DELETED, NULL, NULL },
	{ "DRAFT", SK_FLAG, STORE_DRAFT, NULL, NULL },
	{ "FLAGGED", SK_FLAG, STORE_FLAGGED, NULL, NULL },
	{ "FROM a@b", SK_HEADER, 0, "FROM", "a@b" },
	{ "HEADER X-Spam yes", SK_HEADER, 0, "X-Spam", "yes" },
	{ "HEADER \"X-Spam\" \"\"", SK_HEADER, 0, "X-Spam", "" },
	{ "KEYWORD $Junk", SK_KEYWORD, 0, "$Junk", NULL },
	{ "LARGER 100", SK_LARGER, 0, NULL, NULL },
	{ "NEW", SK_NEW, 0, NULL, NULL },
	{ "NOT SEEN", SK_NOT, 0, NULL, NULL },
	{ "OLD", SK_OLD, 0, NULL, NULL },
	{ "ON 24-Mar-2007", SK_ON, 0, NULL, NULL },
	{ "OR SEEN DRAFT", SK_OR, 0, NULL, NULL },
	{ "RECENT", SK_RECENT, 0, NULL, NULL },
	{ "SEEN", SK_FLAG, STORE_SEEN, NULL, NULL },
	{ "SENTBEFORE 1-Jan-2000", SK_SENTBEFORE, 0, NULL, NULL },
	{ "SENTON 1-Jan-2000", SK_SENTON, 0, NULL, NULL },
	{ "SENTSINCE 1-Jan-2000", SK_SENTSINCE, 0, NULL, NULL },
	{ "SINCE 1-Jan-2000", SK_SINCE, 0, NULL, NULL },
	{ "SMALLER 5", SK_SMALLER, 0, NULL, NULL },
	{ "SUBJECT hi", SK_HEADER, 0, "SUBJECT", "hi" },
	{ "TEXT hi", SK_TEXT, 0, NULL, "hi" },
	{ "TO x", SK_HEADER, 0, "TO", "x" },
	{ "UID 1:5", SK_UID, 0, NULL, NULL },
	{ "UNANSWERED", SK_UNFLAG, STORE_ANSWERED, NULL, NULL },
	{ "UNDELETED", SK_UNFLAG, STORE_DELETED, NULL, NULL },
	{ "UNDRAFT", SK_UNFLAG, STORE_DRAFT, NULL, NULL },
	{ "UNFLAGGED", SK_UNFLAG, STORE_FLAGGED, NULL, NULL },
	{ "UNKEYWORD foo", SK_UNKEYWORD, 0, "foo", NULL },
	{ "UNSEEN", SK_UNFLAG, STORE_SEEN, NULL, NULL },
	{ "1:3", SK_SEQ, 0, NULL, NULL },
	{ "*", SK_SEQ, 0, NULL, NULL },
	{ "(SEEN DRAFT)", SK_AND, 0, NULL, NULL },
	{ "MODSEQ 5", SK_MODSEQ, 0, NULL, NULL },
	{ "MODSEQ \"/flags/\\\\Seen\" priv 5", SK_MODSEQ, 0, NULL, NULL },
	{ "MODSEQ \"/flags/$Junk\" shared 0", SK_MODSEQ, 0, NULL, NULL },
	{ "modseq \"/flags/x\" ALL 9223372036854775807", SK_MODSEQ, 0,
	  NULL, NULL },
	{ "seen", SK_FLAG, STORE_SEEN, NULL, NULL },
	{ "subject {5}\r\nhel o", SK_HEADER, 0, "SUBJECT", "hel o" },
	{ "HEADER {7}\r\nX-Ab Cd {0}\r\n", SK_HEADER, 0, "X-Ab Cd", "" },
	{ "BODY ~{3}\r\nabc", SK_BODY, 0, NULL, "abc" },
	{ "SINCE \"1-Jan-2000\"", SK_SINCE, 0, NULL, NULL },
	{ "SINCE {10}\r\n1-Jan-2000", SK_SINCE, 0, NULL, NULL },
};

static void
test_every_key(void)
{
	struct search_key k;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(good); i++) {
		test_begin(good[i].keys);
		test_assert(sps(good[i].keys, &k, &err) == 0);
		if (k.nsub != 1) {
			test_assert(k.nsub == 1);
			imap_search_free(&k);
			continue;
		}
		test_assert(k.kind == SK_AND);
		test_assert(k.sub[0].kind == good[i].kind);
		test_assert(k.sub[0].flag == good[i].flag);
		if (good[i].field != NULL)
			test_assert_str(k.sub[0].field, good[i].field);
		if (good[i].value != NULL)
			test_assert_str(k.sub[0].value, good[i].value);
		test_assert(imap_search_has_modseq(&k) ==
		    (good[i].kind == SK_MODSEQ));
		imap_search_free(&k);
		test_end();
	}
	test_begin("several keys are an AND, in order");
	test_assert(sps("SEEN LARGER 7 OR 2 UID 9 NOT 3", &k, &err) == 0);
	test_assert(k.nsub == 4 && k.sub[1].kind == SK_LARGER &&
	    k.sub[1].num == 7 && k.sub[2].kind == SK_OR &&
	    k.sub[2].nsub == 2 && k.sub[2].sub[1].kind == SK_UID &&
	    k.sub[3].kind == SK_NOT && k.sub[3].sub[0].kind == SK_SEQ);
	imap_search_free(&k);
	test_end();
}

static const struct {
	const char	*keys;
	enum err_kind	 kind;
} bad[] = {
	/* missing arguments */
	{ "BCC", ERR_SYNTAX }, { "BEFORE", ERR_SYNTAX }, { "BODY", ERR_SYNTAX },
	{ "CC", ERR_SYNTAX }, { "FROM", ERR_SYNTAX }, { "HEADER", ERR_SYNTAX },
	{ "HEADER X", ERR_SYNTAX }, { "KEYWORD", ERR_SYNTAX },
	{ "LARGER", ERR_SYNTAX }, { "NOT", ERR_SYNTAX }, { "ON", ERR_SYNTAX },
	{ "OR", ERR_SYNTAX }, { "OR SEEN", ERR_SYNTAX },
	{ "SENTBEFORE", ERR_SYNTAX }, { "SENTON", ERR_SYNTAX },
	{ "SENTSINCE", ERR_SYNTAX }, { "SINCE", ERR_SYNTAX },
	{ "SMALLER", ERR_SYNTAX }, { "SUBJECT", ERR_SYNTAX },
	{ "TEXT", ERR_SYNTAX }, { "TO", ERR_SYNTAX }, { "UID", ERR_SYNTAX },
	{ "UNKEYWORD", ERR_SYNTAX }, { "MODSEQ", ERR_SYNTAX },
	{ "SEEN NOT", ERR_SYNTAX }, { "OR NOT SEEN", ERR_SYNTAX },
	/* wrong arguments */
	{ "LARGER x", ERR_SYNTAX }, { "LARGER -1", ERR_SYNTAX },
	{ "LARGER 18446744073709551616", ERR_SYNTAX },
	{ "SMALLER \"5\"", ERR_SYNTAX }, { "SMALLER (5)", ERR_SYNTAX },
	{ "KEYWORD \"$Junk\"", ERR_SYNTAX }, { "KEYWORD (a)", ERR_SYNTAX },
	{ "UID \"1\"", ERR_SYNTAX }, { "UID x", ERR_SYNTAX },
	{ "UID 0", ERR_SYNTAX }, { "UID 4294967296", ERR_SYNTAX },
	{ "SUBJECT (a)", ERR_SYNTAX }, { "HEADER (a) b", ERR_SYNTAX },
	{ "MODSEQ x", ERR_SYNTAX }, { "MODSEQ -1", ERR_SYNTAX },
	{ "MODSEQ 9223372036854775808", ERR_SYNTAX },
	{ "MODSEQ 18446744073709551616", ERR_SYNTAX },
	{ "MODSEQ \"/flags/x\" bogus 5", ERR_SYNTAX },
	{ "MODSEQ \"/flags/x\" all", ERR_SYNTAX },
	/* a literal holding a NUL would be searched for in part */
	{ "BODY {3}\r\na\0b", ERR_SYNTAX },
	{ "HEADER {3}\r\nX\0Y z", ERR_SYNTAX },
	/* unknown keys and bad tokens */
	{ "BOGUS", ERR_SYNTAX }, { "\"SEEN\"", ERR_SYNTAX },
	{ "{4}\r\nSEEN", ERR_SYNTAX }, { "()", ERR_SYNTAX },
	{ "SEEN ()", ERR_SYNTAX }, { "$", ERR_SYNTAX },
	{ "CHARSET UTF-8 ALL", ERR_SYNTAX },	/* the caller removes it */
	{ "NIL", ERR_SYNTAX }, { "UNSEEN2", ERR_SYNTAX },
	/* sequence sets */
	{ "0", ERR_SYNTAX }, { "0:3", ERR_SYNTAX }, { "3:0", ERR_SYNTAX },
	{ "1,", ERR_SYNTAX }, { ",1", ERR_SYNTAX }, { "1::2", ERR_SYNTAX },
	{ "1:2:3", ERR_SYNTAX }, { "4294967296", ERR_SYNTAX },
	{ "18446744073709551616", ERR_SYNTAX },
	{ "99999999999999999999999", ERR_SYNTAX }, { "1a", ERR_SYNTAX },
	{ "*:", ERR_SYNTAX }, { "**", ERR_SYNTAX },
	/* dates */
	{ "SINCE 0-Jan-2000", ERR_SYNTAX }, { "SINCE 32-Jan-2000", ERR_SYNTAX },
	{ "SINCE 31-Apr-2000", ERR_SYNTAX }, { "SINCE 30-Feb-2000", ERR_SYNTAX },
	{ "SINCE 29-Feb-1900", ERR_SYNTAX }, { "SINCE 29-Feb-2001", ERR_SYNTAX },
	{ "SINCE 1-Feb-94", ERR_SYNTAX }, { "SINCE 1-Febr-1994", ERR_SYNTAX },
	{ "SINCE 1/Feb/1994", ERR_SYNTAX }, { "SINCE 1-Feb-19945", ERR_SYNTAX },
	{ "SINCE 001-Feb-1994", ERR_SYNTAX }, { "SINCE \"\"", ERR_SYNTAX },
	{ "SINCE 1-Foo-1994", ERR_SYNTAX }, { "SINCE -Feb-1994", ERR_SYNTAX },
	{ "SINCE 1-Feb-1994-", ERR_SYNTAX }, { "SINCE (1-Feb-1994)", ERR_SYNTAX },
	{ "SINCE {11}\r\n\"1-Feb-1994", ERR_SYNTAX },
	{ "SINCE {12}\r\n\"1-Feb-1994x", ERR_SYNTAX },
	{ "SINCE 1-Feb-1994 x", ERR_SYNTAX },
};

static void
test_bad_keys(void)
{
	struct search_key k;
	struct error err;
	size_t i, len;

	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i].keys);
		len = strlen(bad[i].keys);
		if (strstr(bad[i].keys, "{3}\r\n") != NULL)
			len = strcspn(bad[i].keys, "\n") + 4 +
			    (bad[i].keys[0] == 'H' ? 2 : 0);
		test_assert(sp(bad[i].keys, len, &k, &err) == -1);
		test_assert(err.kind == bad[i].kind);
		test_end();
	}
}

/* "NOT NOT ... SEEN" and "((( SEEN )))" with d levels. */
static int
nested(const char *op, unsigned d, bool parens, struct error *err)
{
	struct search_key k;
	struct buf b;
	unsigned i;
	int rc;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < d; i++)
		buf_puts(&b, parens ? "(" : op);
	buf_puts(&b, "SEEN");
	for (i = 0; parens && i < d; i++)
		buf_puts(&b, ")");
	for (i = 0; !parens && strcmp(op, "OR ") == 0 && i < d; i++)
		buf_puts(&b, " ALL");
	rc = sp(b.data, b.len, &k, err);
	if (rc == 0)
		imap_search_free(&k);
	buf_free(&b);
	return rc;
}

static void
test_nesting(void)
{
	struct search_key k;
	struct error err;
	struct buf b;
	size_t i;

	test_begin("NOT nested to the depth bound, and one past it");
	test_assert(nested("NOT ", IMAP_SEARCH_DEPTH_MAX, false, &err) == 0);
	test_assert(nested("NOT ", IMAP_SEARCH_DEPTH_MAX + 1, false, &err) ==
	    -1 && err.kind == ERR_LIMIT);
	test_assert(nested("NOT ", 5000, false, &err) == -1 &&
	    err.kind == ERR_LIMIT);
	test_end();

	test_begin("OR nested to the depth bound, and one past it");
	test_assert(nested("OR ", IMAP_SEARCH_DEPTH_MAX, false, &err) == 0);
	test_assert(nested("OR ", IMAP_SEARCH_DEPTH_MAX + 1, false, &err) ==
	    -1 && err.kind == ERR_LIMIT);
	test_end();

	test_begin("parentheses to the command parser's bound");
	/* the list depth the command parser allows is also allowed here */
	test_assert(nested("", IMAP_NESTING_MAX, true, &err) == 0);
	test_assert(nested("", IMAP_NESTING_MAX + 1, true, &err) == -2 &&
	    perr.kind == ERR_LIMIT);
	test_end();

	test_begin("NOT inside parentheses counts both");
	buf_init(&b, 4096);
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX / 2; i++)
		buf_puts(&b, "(NOT ");
	buf_puts(&b, "SEEN");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX / 2; i++)
		buf_puts(&b, ")");
	test_assert(sp(b.data, b.len, &k, &err) == 0);
	imap_search_free(&k);
	buf_reset(&b);
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX / 2; i++)
		buf_puts(&b, "(NOT ");
	buf_puts(&b, "NOT SEEN");
	for (i = 0; i < IMAP_SEARCH_DEPTH_MAX / 2; i++)
		buf_puts(&b, ")");
	test_assert(sp(b.data, b.len, &k, &err) == -1 &&
	    err.kind == ERR_LIMIT);
	buf_free(&b);
	test_end();

	test_begin("key count bound");
	buf_init(&b, 64 * 1024);
	for (i = 0; i < IMAP_SEARCH_KEYS_MAX; i++)
		buf_puts(&b, i == 0 ? "SEEN" : " SEEN");
	test_assert(sp(b.data, b.len, &k, &err) == 0);
	test_assert(k.nsub == IMAP_SEARCH_KEYS_MAX);
	imap_search_free(&k);
	buf_puts(&b, " SEEN");
	test_assert(sp(b.data, b.len, &k, &err) == -1 &&
	    err.kind == ERR_LIMIT);
	buf_free(&b);
	test_end();
}

static void
test_seqsets(void)
{
	static const struct {
		const char	*keys;
		uint32_t	 lo, hi;
	} sets[] = {
		{ "*", NMSGS, NMSGS },
		{ "5:3", 3, 5 },
		{ "*:2", 2, NMSGS },
		{ "2:*", 2, NMSGS },
		{ "9:*", NMSGS, 9 },		/* '*' below the start */
		{ "4294967295", 4294967295u, 4294967295u },
		{ "1:4294967295", 1, 4294967295u },
		{ "UID *", MAXUID, MAXUID },
		{ "UID 200:*", MAXUID, 200 },
		{ "UID 7:3", 3, 7 },
	};
	struct search_key k;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(sets); i++) {
		test_begin(sets[i].keys);
		test_assert(sps(sets[i].keys, &k, &err) == 0);
		test_assert(k.nsub == 1 && k.sub[0].set.n == 1 &&
		    k.sub[0].set.v[0].lo == sets[i].lo &&
		    k.sub[0].set.v[0].hi == sets[i].hi);
		imap_search_free(&k);
		test_end();
	}
	test_begin("ranges merge");
	test_assert(sps("4:5,1,2:3,9", &k, &err) == 0);
	test_assert(k.sub[0].set.n == 2 && k.sub[0].set.v[0].lo == 1 &&
	    k.sub[0].set.v[0].hi == 5 && k.sub[0].set.v[1].lo == 9);
	imap_search_free(&k);
	test_end();
}

static void
test_dates(void)
{
	static const struct {
		const char	*s;
		int32_t		 day;
	} days[] = {
		{ "1-Jan-1970", 0 },
		{ "01-Jan-1970", 0 },
		{ "1-jAN-1970", 0 },
		{ "\"2-Jan-1970\"", 1 },
		{ "1-Feb-1994", 8797 },
		{ "29-Feb-2000", 11016 },
		{ "29-Feb-2004", 12477 },
		{ "31-Dec-1999", 10956 },
		{ "1-Mar-2000", 11017 },
		{ "31-Feb-2000", -1 },
		{ "29-Feb-2100", -1 },
		{ "31-Jun-2000", -1 },
		{ "31-Nov-2000", -1 },
		{ "\"1-Jan-1970", -1 },
		{ "1-Jan-1970\"", -1 },
		{ "\"", -1 },
		{ "", -1 },
		{ "1-Jan-197", -1 },
		{ "1 Jan 1970", -1 },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(days); i++) {
		test_begin(days[i].s);
		test_assert(imap_parse_day(days[i].s, strlen(days[i].s)) ==
		    days[i].day);
		test_end();
	}
}

static void
test_match(void)
{
	static struct buf raw;
	static const char msg[] =
	    "Date: Sat, 24 Mar 2007 23:00:00 -0200\r\n"
	    "From: =?UTF-8?B?SGFsbG8=?= <a@x.org>\r\n"
	    "Subject: Re: [list] hello\r\n"
	    "X-Empty:\r\n"
	    "\r\n"
	    "Body Text here\r\n";
	static const struct {
		const char	*keys;
		int		 match;
	} cases[] = {
		{ "ALL", 1 }, { "SEEN", 1 }, { "UNSEEN", 0 }, { "DRAFT", 0 },
		{ "UNDRAFT", 1 }, { "ANSWERED", 0 }, { "FLAGGED", 1 },
		{ "KEYWORD $junk", 1 }, { "KEYWORD other", 0 },
		{ "UNKEYWORD $Junk", 0 }, { "RECENT", 1 }, { "NEW", 0 },
		{ "OLD", 0 }, { "LARGER 99", 1 }, { "LARGER 100", 0 },
		{ "SMALLER 101", 1 }, { "SMALLER 100", 0 },
		{ "3", 1 }, { "1:2,4:*", 0 }, { "*", 0 }, { "UID 30", 1 },
		{ "UID 31:*", 0 }, { "MODSEQ 7", 1 }, { "MODSEQ 8", 0 },
		{ "FROM hallo", 1 }, { "FROM A@X.ORG", 1 }, { "FROM b@", 0 },
		{ "SUBJECT \"re: [LIST]\"", 1 }, { "SUBJECT bye", 0 },
		{ "HEADER X-Empty \"\"", 1 }, { "HEADER X-None \"\"", 0 },
		{ "HEADER subject hello", 1 }, { "TO \"\"", 0 },
		{ "BODY \"text HERE\"", 1 }, { "BODY hello", 0 },
		{ "TEXT hello", 1 }, { "TEXT here", 1 }, { "TEXT nothing", 0 },
		{ "SENTON 24-Mar-2007", 1 }, { "SENTBEFORE 24-Mar-2007", 0 },
		{ "SENTBEFORE 25-Mar-2007", 1 }, { "SENTSINCE 24-Mar-2007", 1 },
		{ "SENTSINCE 25-Mar-2007", 0 },
		{ "NOT SEEN", 0 }, { "OR DRAFT SEEN", 1 },
		{ "OR DRAFT ANSWERED", 0 }, { "(SEEN FLAGGED 3)", 1 },
		{ "(SEEN DRAFT)", 0 }, { "NOT (SEEN DRAFT)", 1 },
		{ "NOT NOT NOT NOT SEEN", 1 },
	};
	struct search_key k;
	struct search_msg m;
	struct error err;
	size_t i;

	raw.data = (char *)msg;
	raw.len = sizeof(msg) - 1;
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].keys);
		test_assert(sps(cases[i].keys, &k, &err) == 0);
		memset(&m, 0, sizeof(m));
		m.seq = 3;
		m.uid = 30;
		m.flags = STORE_SEEN | STORE_FLAGGED;
		m.keywords = "$Junk";
		m.recent = true;
		m.size = 100;
		m.modseq = 7;
		m.internaldate = 1175000000;
		m.hdr_size = raw.len - 16;
		m.raw = &raw;
		test_assert(imap_search_match(&k, &m) == cases[i].match);
		imap_search_free(&k);
		test_end();
	}
	test_begin("internal dates compare by local day");
	{
		char keys[64];
		int32_t day = imap_day_of(1175000000);
		static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr",
		    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
		int y, mo, d;
		long long z = day + 719468, era, doe, yoe, doy, mp;

		/* civil_from_days (H. Hinnant) */
		era = (z >= 0 ? z : z - 146096) / 146097;
		doe = z - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = (int)(doy - (153 * mp + 2) / 5 + 1);
		mo = (int)(mp < 10 ? mp + 3 : mp - 9);
		y = (int)(yoe + era * 400 + (mo <= 2));
		snprintf(keys, sizeof(keys), "ON %d-%s-%d SINCE %d-%s-%d",
		    d, mon[mo - 1], y, d, mon[mo - 1], y);
		test_assert(sps(keys, &k, &err) == 0);
		memset(&m, 0, sizeof(m));
		m.internaldate = 1175000000;
		test_assert(imap_search_match(&k, &m) == 1);
		imap_search_free(&k);
		snprintf(keys, sizeof(keys), "BEFORE %d-%s-%d", d,
		    mon[mo - 1], y);
		test_assert(sps(keys, &k, &err) == 0);
		test_assert(imap_search_match(&k, &m) == 0);
		imap_search_free(&k);
	}
	test_end();

	test_begin("what the evaluator will read");
	test_assert(sps("SEEN UID 1:* LARGER 5", &k, &err) == 0);
	test_assert(imap_search_needs(&k) == 0);
	imap_search_free(&k);
	test_assert(sps("NOT OR SENTON 1-Jan-2000 SEEN", &k, &err) == 0);
	test_assert(imap_search_needs(&k) == SEARCH_NEEDS_HEADER);
	imap_search_free(&k);
	test_assert(sps("(SUBJECT a (TEXT b))", &k, &err) == 0);
	test_assert(imap_search_needs(&k) ==
	    (SEARCH_NEEDS_HEADER | SEARCH_NEEDS_BODY));
	imap_search_free(&k);
	test_end();
}

/* The first argument of "t S <args>\r\n". */
static int
first_arg(const char *args, int (*fn)(const struct imap_arg *, void *),
    void *arg)
{
	struct imap_parser p;
	struct buf line;
	int rc = -2;

	buf_init(&line, 4096);
	buf_printf(&line, "t S %s\r\n", args);
	imap_parser_init(&p, 1024);
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE)
		rc = fn(&p.args.v[2], arg);
	imap_parser_free(&p);
	buf_free(&line);
	return rc;
}

struct ret_arg {
	unsigned	 ret;
	struct error	 err;
};

static int
ret_fn(const struct imap_arg *a, void *arg)
{
	struct ret_arg *r = arg;

	r->ret = 0xff;
	r->err.kind = ERR_INTERNAL;
	return imap_search_return(a, &r->ret, &r->err);
}

static int
charset_fn(const struct imap_arg *a, void *arg)
{
	struct error *err = arg;

	err->kind = ERR_INTERNAL;
	return imap_search_charset(a, err);
}

static void
test_return_and_charset(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 ret;
	} rets[] = {
		{ "()", 0, SEARCH_RET_ALL },
		{ "(MIN)", 0, SEARCH_RET_MIN },
		{ "(max count)", 0, SEARCH_RET_MAX | SEARCH_RET_COUNT },
		{ "(MIN MAX COUNT ALL)", 0, SEARCH_RET_MIN | SEARCH_RET_MAX |
		  SEARCH_RET_COUNT | SEARCH_RET_ALL },
		{ "(MIN MIN)", 0, SEARCH_RET_MIN },
		{ "(SAVE)", -1, 0 },		/* RFC 5182: not offered */
		{ "(PARTIAL 1:10)", -1, 0 },
		{ "(MIN BOGUS)", -1, 0 },
		{ "(\"MIN\")", -1, 0 },
		{ "((MIN))", -1, 0 },
		{ "MIN", -1, 0 },
	};
	static const struct {
		const char	*in;
		int		 rc;
		enum err_kind	 kind;
	} charsets[] = {
		{ "UTF-8", 0, ERR_NONE },
		{ "utf-8", 0, ERR_NONE },
		{ "US-ASCII", 0, ERR_NONE },
		{ "\"us-ascii\"", 0, ERR_NONE },
		{ "{5}\r\nUTF-8", 0, ERR_NONE },
		{ "ISO-8859-1", -1, ERR_NOTFOUND },
		{ "UTF8", -1, ERR_NOTFOUND },
		{ "\"\"", -1, ERR_NOTFOUND },
		{ "(UTF-8)", -1, ERR_SYNTAX },
	};
	struct ret_arg r;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(rets); i++) {
		test_begin(rets[i].in);
		test_assert(first_arg(rets[i].in, ret_fn, &r) == rets[i].rc);
		if (rets[i].rc == 0)
			test_assert(r.ret == rets[i].ret);
		else
			test_assert(r.err.kind == ERR_SYNTAX);
		test_end();
	}
	for (i = 0; i < N_ELEMENTS(charsets); i++) {
		test_begin(charsets[i].in);
		test_assert(first_arg(charsets[i].in, charset_fn, &err) ==
		    charsets[i].rc);
		if (charsets[i].rc != 0)
			test_assert(err.kind == charsets[i].kind);
		test_end();
	}
	test_begin("a charset literal holding a NUL");
	{
		struct imap_parser p;

		imap_parser_init(&p, 100);
		test_assert(imap_parse_all(&p, "t S {7}\r\nUTF-8\0x\r\n",
		    19) == IMAP_PARSE_DONE);
		test_assert(imap_search_charset(&p.args.v[2], &err) == -1 &&
		    err.kind == ERR_SYNTAX);
		imap_parser_free(&p);
	}
	test_end();
}

int
main(void)
{
	test_return_and_charset();
	test_every_key();
	test_bad_keys();
	test_nesting();
	test_seqsets();
	test_dates();
	test_match();
	return test_done();
}
