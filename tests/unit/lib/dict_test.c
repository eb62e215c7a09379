/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict_test.c: unit tests of the CommuniGate Pro data format (lib/dict.h):
 * every object kind and escape, real settings file content, compact and
 * pretty round trips, malformed input with positions, limits, every prefix
 * of valid text, dict_update, large dictionaries and settings files.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

static struct dval *
parse(const char *s)
{
	struct error err;
	struct dval *v;

	v = dict_parse(s, strlen(s), 0, &err);
	if (v == NULL)
		fprintf(stderr, "parse \"%s\": %s\n", s, err.msg);
	return v;
}

/* Compact one-line text of the tree parsed from s ("ERR" on failure). */
static char *
reformat(const char *s, unsigned flags)
{
	struct dval *v;
	struct buf b;

	if ((v = parse(s)) == NULL)
		return xstrdup("ERR");
	buf_init(&b, DICT_TEXT_MAX);
	dict_write(&b, v, flags);
	dict_free(&v);
	return buf_steal(&b);
}

/* parse -> write (both forms) -> parse gives an equal tree. */
static bool
round_trips(const struct dval *v)
{
	unsigned flags[] = { 0, DICT_WRITE_PRETTY };
	struct dval *again;
	struct error err;
	struct buf b;
	bool ok = true;
	size_t i;

	for (i = 0; i < N_ELEMENTS(flags); i++) {
		buf_init(&b, DICT_TEXT_MAX);
		dict_write(&b, v, flags[i]);
		again = dict_parse(buf_cstr(&b), b.len, 0, &err);
		if (again == NULL || !dict_equal(v, again)) {
			fprintf(stderr, "no round trip: %s (%s)\n",
			    buf_cstr(&b), again ? "differs" : err.msg);
			ok = false;
		}
		dict_free(&again);
		buf_free(&b);
	}
	return ok;
}

/* Input, and its compact form as written back. */
static const struct {
	const char	*in;
	const char	*out;
} good[] = {
	{ "abc", "abc" },
	{ "  a.b_c  ", "a.b_c" },
	{ "12", "12" },
	{ "user1@client1.com", "\"user1@client1.com\"" },
	{ "-1", "\"-1\"" },
	{ "a#b!c%d:e", "\"a#b!c%d:e\"" },
	{ "\xd0\x96\xd0\xb6", "\"\xd0\x96\xd0\xb6\"" },
	{ "\"\"", "\"\"" },
	{ "\"hello world\"", "\"hello world\"" },
	{ "\"q\\\"b\\\\\"", "\"q\\\"b\\\\\"" },
	{ "\"\\r\\n\\t\"", "\"\\r\\n\\t\"" },
	{ "\"a\\eb\"", "\"a\\nb\"" },
	{ "\"\\065\\066\"", "AB" },
	{ "\"\\001\\255\\127\"", "\"\\001\xff\\127\"" },
	{ "\"plain\"", "plain" },
	{ "[HcqHfHI=]", "[HcqHfHI=]" },
	{ "[QQ==]", "[QQ==]" },
	{ "[QUI=]", "[QUI=]" },
	{ "[QUJD]", "[QUJD]" },
	{ "[]", "[]" },
	{ "[QQ==][QUI=]", "[QUFC]" },
	{ "[ QU\n JD ]", "[QUJD]" },
	{ "#12", "#12" },
	{ "#-3", "#-3" },
	{ "#0", "#0" },
	{ "#9223372036854775807", "#9223372036854775807" },
	{ "#-9223372036854775808", "#-9223372036854775808" },
	{ "#T07-11-2011_16:53:05", "#T07-11-2011_16:53:05" },
	{ "#T07-11-2011", "#T07-11-2011" },
	{ "#T01-01-1970_00:00:00", "#T01-01-1970_00:00:00" },
	{ "#T29-02-2000", "#T29-02-2000" },
	{ "#T31-12-9999_23:59:59", "#T31-12-9999_23:59:59" },
	{ "#TPAST", "#TPAST" },
	{ "#TFUTURE", "#TFUTURE" },
	{ "#NULL#", "#NULL#" },
	{ "()", "()" },
	{ "( )", "()" },
	{ "(a)", "(a)" },
	{ "( a , b ,\"c d\")", "(a, b, \"c d\")" },
	{ "(10, 1m)", "(10, 1m)" },
	{ "((a),(),{})", "((a), (), {})" },
	{ "{}", "{}" },
	{ "{ }", "{}" },
	{ "{a=b;}", "{a = b; }" },
	{ "{ k = v ; k2 = ( 1 , 2 ) ; }", "{k = v; k2 = (1, 2); }" },
	{ "{\"a b\"=c;\"\"=d;}", "{\"a b\" = c; \"\" = d; }" },
	{ "{a=b;A=c;}", "{a = b; A = c; }" },
	{ "\t{\r\n a\t=\r\n b\n;\n}\n", "{a = b; }" },
	{ "{ Password = cp@nel; PasswordEncryption = clear; "
	  "UseAppPassword = YES; WebAdminPrefs = {ExpertLevel=10;}; }",
	  "{Password = \"cp@nel\"; PasswordEncryption = clear; "
	  "UseAppPassword = YES; WebAdminPrefs = {ExpertLevel = 10; }; }" },
	{ "{LicenseAccepted = #T07-11-2011_16:53:05;}",
	  "{LicenseAccepted = #T07-11-2011_16:53:05; }" },
	{ "{Listener = {MaxInputChannels=50; Ports=({PortNumber=8100;},"
	  "{InitialSecurity=on;PortNumber=9100;});};}",
	  "{Listener = {MaxInputChannels = 50; Ports = ({PortNumber = 8100; }, "
	  "{InitialSecurity = on; PortNumber = 9100; }); }; }" },
	{ "{FailedLoginFlow = (10, 1m);}", "{FailedLoginFlow = (10, 1m); }" },
	{ "{MaxMailboxes = \"-1\";}", "{MaxMailboxes = \"-1\"; }" },
	{ "{RulesAllowed = \"Filter Only\"; MailToUnknown = Rejected;}",
	  "{RulesAllowed = \"Filter Only\"; MailToUnknown = Rejected; }" },
};

/* Malformed input and the offset the error must name. */
static const struct {
	const char	*in;
	size_t		 offset;
	const char	*what;
} bad[] = {
	{ "", 0, "expected an object" },
	{ "   ", 3, "expected an object" },
	{ "a b", 2, "end of text" },
	{ ")", 0, "expected an object" },
	{ "=", 0, "expected an object" },
	{ "\"abc", 0, "unterminated" },
	{ "\"a\\qb\"", 2, "bad escape" },
	{ "\"a\\12\"", 2, "bad escape" },
	{ "\"\\000\"", 1, "not a valid byte" },
	{ "\"\\256\"", 1, "not a valid byte" },
	{ "\"a\\\"", 0, "unterminated" },
	{ "[QQ=]", 0, "not complete" },
	{ "[Q===]", 0, "not complete" },
	{ "[Q=Q=]", 3, "bad character" },
	{ "[QQ*=]", 3, "bad character" },
	{ "[QQ==", 0, "unterminated" },
	{ "#", 0, "expected a number" },
	{ "#-", 0, "expected a number" },
	{ "#x", 0, "expected a number" },
	{ "#12a", 3, "unexpected character" },
	{ "#9223372036854775808", 0, "overflows" },
	{ "#-9223372036854775809", 0, "overflows" },
	{ "#99999999999999999999999", 0, "overflows" },
	{ "#NULL", 0, "expected a number" },
	{ "#T", 0, "bad timestamp" },
	{ "#T1-01-2000", 0, "bad timestamp" },
	{ "#T01-01-200", 0, "bad timestamp" },
	{ "#T01/01/2000", 0, "bad timestamp" },
	{ "#T32-01-2000", 0, "out of range" },
	{ "#T00-01-2000", 0, "out of range" },
	{ "#T29-02-2001", 0, "out of range" },
	{ "#T29-02-1900", 0, "out of range" },
	{ "#T31-04-2000", 0, "out of range" },
	{ "#T01-13-2000", 0, "out of range" },
	{ "#T01-00-2000", 0, "out of range" },
	{ "#T01-01-1969", 0, "out of range" },
	{ "#T01-01-2000_24:00:00", 0, "out of range" },
	{ "#T01-01-2000_23:60:00", 0, "out of range" },
	{ "#T01-01-2000_23:00:60", 0, "out of range" },
	{ "#T01-01-2000_1:00:00", 0, "bad timestamp" },
	{ "#T01-01-2000x", 12, "unexpected character" },
	{ "#TPASTX", 6, "unexpected character" },
	{ "(", 1, "expected an object" },
	{ "(a", 2, "',' or ')'" },
	{ "(a,)", 3, "expected an object" },
	{ "(a b)", 3, "',' or ')'" },
	{ "(,)", 1, "expected an object" },
	{ "{", 1, "a key or '}'" },
	{ "{a}", 2, "'='" },
	{ "{a=}", 3, "expected an object" },
	{ "{a=b}", 4, "';' after dictionary value" },
	{ "{a=b;", 5, "a key or '}'" },
	{ "{=b;}", 1, "a key or '}'" },
	{ "{#1=b;}", 1, "a key or '}'" },
	{ "{(a)=b;}", 1, "a key or '}'" },
	{ "{a=b;a=c;}", 5, "duplicate key \"a\"" },
	{ "{\"\\n\"=b;\"\\n\"=c;}", 8, "duplicate key \"?\"" },
	{ "{a=b;\"a\"=c;}", 5, "duplicate key" },
	{ "{a=b,}", 4, "';'" },
	{ "{a=b;};", 6, "end of text" },
	{ "\x01", 0, "byte 0x01" },
};

static void
test_good(void)
{
	struct dval *v;
	char *out;
	size_t i;

	test_begin("valid objects parse, write back and round trip");
	for (i = 0; i < N_ELEMENTS(good); i++) {
		out = reformat(good[i].in, 0);
		if (strcmp(out, good[i].out) != 0)
			fprintf(stderr, "case %zu: %s\n", i, good[i].in);
		test_assert_str(out, good[i].out);
		free(out);
		if ((v = parse(good[i].in)) != NULL) {
			test_assert(round_trips(v));
			dict_free(&v);
		}
	}
	test_end();
}

static void
test_bad(void)
{
	struct error err;
	struct dval *v;
	char want[64];
	size_t i;

	test_begin("malformed input is rejected with its position");
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error_clear(&err);
		v = dict_parse(bad[i].in, strlen(bad[i].in), 0, &err);
		test_assert(v == NULL);
		dict_free(&v);
		snprintf(want, sizeof(want), "(offset %zu)", bad[i].offset);
		if (strstr(err.msg, want) == NULL ||
		    strstr(err.msg, bad[i].what) == NULL ||
		    strstr(err.msg, "line") == NULL ||
		    strstr(err.msg, "column") == NULL) {
			fprintf(stderr, "case %zu \"%s\": got \"%s\"\n", i,
			    bad[i].in, err.msg);
			test_assert(!"message names position and problem");
		}
		test_assert(err.kind == ERR_SYNTAX);
	}
	test_end();
}

static void
test_types(void)
{
	struct dval *v, *e;
	const char *s;
	size_t len;
	bool has_time;

	test_begin("types and values");
	v = parse("{s=12;n=#12;d=[HcqHfHI=];t=#T07-11-2011_16:53:05;"
	    "t2=#T02-01-1970;z=#NULL#;a=(x,#1);p=#TPAST;f=#TFUTURE;}");
	test_assert(v != NULL && dict_type(v) == DICT_DICT);
	test_assert(dict_len(v) == 9);
	test_assert(dict_type(dict_get(v, "s")) == DICT_STRING);
	test_assert_str(dict_get_str(v, "s"), "12");
	test_assert(dict_type(dict_get(v, "n")) == DICT_NUMBER);
	test_assert(dict_number(dict_get(v, "n")) == 12);
	test_assert(dict_get_str(v, "n") == NULL);
	e = dict_get(v, "d");
	test_assert(dict_type(e) == DICT_DATA);
	s = dict_str(e, &len);
	test_assert(len == 5 && memcmp(s, "\x1d\xca\x87\x7c\x72", 5) == 0);
	test_assert(dict_time(dict_get(v, "t"), &has_time) == 1320684785 &&
	    has_time);
	test_assert(dict_time(dict_get(v, "t2"), &has_time) == 86400 &&
	    !has_time);
	test_assert(dict_type(dict_get(v, "z")) == DICT_NULL);
	test_assert(dict_array_len(dict_get(v, "a")) == 2);
	test_assert(dict_number(dict_array_get(dict_get(v, "a"), 1)) == 1);
	test_assert(dict_array_get(dict_get(v, "a"), 2) == NULL);
	test_assert(dict_time(dict_get(v, "p"), NULL) == DICT_TIME_PAST);
	test_assert(dict_time(dict_get(v, "f"), NULL) == DICT_TIME_FUTURE);
	test_assert_str(dict_key_at(v, 0), "s");
	test_assert_str(dict_key_at(v, 8), "f");
	test_assert(dict_get(v, "S") == NULL);
	test_assert(round_trips(v));
	dict_free(&v);
	test_assert(v == NULL);
	test_end();
}

static void
test_depth(void)
{
	struct error err;
	struct buf b;
	struct dval *v;
	int i;

	test_begin("nesting limit");
	buf_init(&b, 1024);
	for (i = 0; i < DICT_DEPTH_MAX; i++)
		buf_puts(&b, i % 2 ? "{a=" : "(");
	buf_putc(&b, 'x');
	for (i = DICT_DEPTH_MAX - 1; i >= 0; i--)
		buf_puts(&b, i % 2 ? ";}" : ")");
	v = dict_parse(buf_cstr(&b), b.len, 0, &err);
	test_assert(v != NULL);
	test_assert(v != NULL && round_trips(v));
	dict_free(&v);
	buf_reset(&b);
	for (i = 0; i <= DICT_DEPTH_MAX; i++)
		buf_putc(&b, '(');
	for (i = 0; i <= DICT_DEPTH_MAX; i++)
		buf_putc(&b, ')');
	v = dict_parse(buf_cstr(&b), b.len, 0, &err);
	test_assert(v == NULL && err.kind == ERR_LIMIT);
	test_assert(strstr(err.msg, "nesting") != NULL);
	test_assert(strstr(err.msg, "column 65 ") != NULL);
	buf_free(&b);
	test_end();

	test_begin("text size limit");
	{
		char *big = xmalloc((size_t)DICT_TEXT_MAX + 1);

		memset(big, 'a', (size_t)DICT_TEXT_MAX + 1);
		v = dict_parse(big, (size_t)DICT_TEXT_MAX + 1, 0, &err);
		test_assert(v == NULL && err.kind == ERR_LIMIT);
		v = dict_parse(big, 1000, 0, &err);
		test_assert(v != NULL && dict_str(v, NULL) != NULL &&
		    strlen(dict_str(v, NULL)) == 1000);
		dict_free(&v);
		free(big);
	}
	test_end();
}

static void
test_positions(void)
{
	const char *text = "{\n  a = b;\n  c = d\n  e = f;\n}";
	struct error err;
	struct dval *v;

	test_begin("error position: line, column, offset");
	v = dict_parse(text, strlen(text), 0, &err);
	test_assert(v == NULL);
	test_assert_str(err.msg, "expected ';' after dictionary value, got 'e' "
	    "at line 4, column 3 (offset 21)");
	test_end();
}

/* Every proper prefix of valid text fails cleanly; the whole text parses. */
static void
test_prefixes(void)
{
	static const char *const texts[] = {
		"{ Password = cp@nel; PasswordEncryption = clear; "
		"UseAppPassword = YES; WebAdminPrefs = {ExpertLevel=10;}; }",
		"{Listener = {MaxInputChannels=50; Ports=({PortNumber=8100;},"
		"{InitialSecurity=on;PortNumber=9100;});};}",
		"{a=\"x\\\"y\\065\\n\"; b=[HcqHfHI=][QQ==]; "
		"c=(#12,#-3,#T07-11-2011_16:53:05,#TPAST,#NULL#,());}",
	};
	struct error err;
	struct dval *v;
	size_t i, n, len;

	test_begin("every prefix of valid text fails cleanly");
	for (i = 0; i < N_ELEMENTS(texts); i++) {
		len = strlen(texts[i]);
		for (n = 0; n < len; n++) {
			char *copy = xstrndup(texts[i], n);

			v = dict_parse(copy, n, 0, &err);
			test_assert(v == NULL);
			test_assert(strstr(err.msg, "column") != NULL);
			dict_free(&v);
			free(copy);
		}
		v = dict_parse(texts[i], len, 0, &err);
		test_assert(v != NULL);
		dict_free(&v);
	}
	test_end();
}

static void
test_parse_prefix(void)
{
	const char *line = "CreateAccount user1@client1.com "
	    "{Password=\"x\";}  [QQ==] #5";
	struct error err;
	struct dval *v;
	size_t used, off = 0, len = strlen(line);

	test_begin("dict_parse_prefix over CLI arguments");
	v = dict_parse_prefix(line, len, &used, &err);
	test_assert(v != NULL && used == 13);
	test_assert_str(dict_str(v, NULL), "CreateAccount");
	dict_free(&v);
	off += used;
	v = dict_parse_prefix(line + off, len - off, &used, &err);
	test_assert(v != NULL && used == 18);
	test_assert_str(dict_str(v, NULL), "user1@client1.com");
	dict_free(&v);
	off += used;
	v = dict_parse_prefix(line + off, len - off, &used, &err);
	test_assert(v != NULL && dict_type(v) == DICT_DICT);
	test_assert_str(dict_get_str(v, "Password"), "x");
	dict_free(&v);
	off += used;
	v = dict_parse_prefix(line + off, len - off, &used, &err);
	test_assert(v != NULL && dict_type(v) == DICT_DATA);
	dict_free(&v);
	off += used;
	v = dict_parse_prefix(line + off, len - off, &used, &err);
	test_assert(v != NULL && dict_number(v) == 5);
	dict_free(&v);
	off += used;
	test_assert(off == len);
	v = dict_parse_prefix(line + off, len - off, &used, &err);
	test_assert(v == NULL && strstr(err.msg, "end of text") != NULL);
	v = dict_parse_prefix("{a=b", 4, &used, &err);
	test_assert(v == NULL && strstr(err.msg, "offset 4") != NULL);
	test_end();
}

static void
test_comments(void)
{
	const char *text = "// settings\n{ a = b; // the a\n c = \"//x\"; }"
	    " // end";
	struct error err;
	struct dval *v;

	test_begin("// comments only with DICT_PARSE_COMMENTS");
	v = dict_parse(text, strlen(text), 0, &err);
	test_assert(v == NULL);
	v = dict_parse(text, strlen(text), DICT_PARSE_COMMENTS, &err);
	test_assert(v != NULL && dict_len(v) == 2);
	test_assert_str(dict_get_str(v, "c"), "//x");
	dict_free(&v);
	test_end();
}

static void
test_writer(void)
{
	struct dval *v, *arr;
	struct buf b;
	char *s;

	test_begin("pretty form");
	v = parse("{ b = 1; a = {x = (1, {y=z;}); e = {}; }; c = \"d e\"; }");
	buf_init(&b, 4096);
	dict_write(&b, v, DICT_WRITE_PRETTY);
	test_assert_str(buf_cstr(&b), "{\n\tb = 1;\n\ta = {\n"
	    "\t\tx = (1, {y = z; });\n\t\te = {};\n\t};\n\tc = \"d e\";\n}");
	buf_free(&b);
	s = dict_to_text(v);
	test_assert_str(s, "{b = 1; a = {x = (1, {y = z; }); e = {}; }; "
	    "c = \"d e\"; }");
	free(s);
	dict_free(&v);
	test_end();

	test_begin("constructors and writer");
	v = dict_new_dict();
	dict_set_str(v, "Empty", "");
	dict_set(v, "Num", dict_new_number(-42));
	dict_set(v, "Ctl", dict_new_string("a\001\177\"\\b", 6));
	dict_set(v, "Date", dict_new_time(1320684785, false));
	dict_set(v, "Old", dict_new_time(-5, true));
	dict_set(v, "Far", dict_new_time(INT64_C(300000000000), false));
	dict_set(v, "Bin", dict_new_data("\0\1\2\3", 4));
	arr = dict_new_array();
	dict_array_push_cstr(arr, "x y");
	dict_array_push(arr, dict_new_null());
	dict_set(v, "Arr", arr);
	s = dict_to_text(v);
	test_assert_str(s, "{Empty = \"\"; Num = #-42; "
	    "Ctl = \"a\\001\\127\\\"\\\\b\"; Date = #T07-11-2011; "
	    "Old = #TPAST; Far = #TFUTURE; Bin = [AAECAw==]; "
	    "Arr = (\"x y\", #NULL#); }");
	free(s);
	test_assert(round_trips(v));
	dict_set(v, "Num", dict_new_number(7));
	test_assert(dict_number(dict_get(v, "Num")) == 7);
	test_assert(dict_len(v) == 8);
	test_assert(dict_remove(v, "Num") == 0);
	test_assert(dict_remove(v, "Num") == -1);
	test_assert_str(dict_key_at(v, 1), "Ctl");
	test_assert(dict_len(v) == 7);
	dict_free(&v);
	test_end();
}

static void
test_update(void)
{
	struct dval *dst, *src;
	char *s;

	test_begin("dict_update with \"default\"");
	dst = parse("{a = 1; b = 2; c = {x=y;}; d = 4;}");
	src = parse("{b = default; c = (new); e = 5; f = default; "
	    "d = \"Default\";}");
	dict_update(dst, src);
	s = dict_to_text(dst);
	test_assert_str(s, "{a = 1; c = (new); d = Default; e = 5; }");
	free(s);
	/* dst holds copies: freeing src leaves it intact. */
	dict_free(&src);
	test_assert(dict_array_len(dict_get(dst, "c")) == 1);
	dict_update(dst, dst);
	test_assert(dict_len(dst) == 4);
	dict_free(&dst);
	test_end();
}

static void
test_large(void)
{
	struct dval *d, *again;
	struct error err;
	struct buf b;
	char key[32];
	size_t i, n = 100000;
	bool ok = true;

	test_begin("100,000 keys: set, get, remove, text round trip");
	d = dict_new_dict();
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "user%zu@example.com", i);
		dict_set(d, key, dict_new_number((int64_t)i));
	}
	test_assert(dict_len(d) == n);
	for (i = 0; i < n; i += 7) {
		snprintf(key, sizeof(key), "user%zu@example.com", i);
		if (dict_number(dict_get(d, key)) != (int64_t)i)
			ok = false;
	}
	test_assert(ok);
	test_assert(dict_get(d, "nobody") == NULL);
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "user%zu@example.com", i * 3);
		test_assert(dict_remove(d, key) == 0);
	}
	test_assert(dict_get(d, "user3@example.com") == NULL);
	test_assert(dict_number(dict_get(d, "user4@example.com")) == 4);
	test_assert_str(dict_key_at(d, 0), "user1@example.com");
	buf_init(&b, DICT_TEXT_MAX);
	dict_write(&b, d, DICT_WRITE_PRETTY);
	test_assert(b.err == 0);
	again = dict_parse(buf_cstr(&b), b.len, 0, &err);
	test_assert(again != NULL && dict_equal(d, again));
	test_assert(again != NULL && dict_len(again) == n - 100);
	dict_free(&again);
	buf_free(&b);
	dict_free(&d);
	test_end();
}

static void
test_files(void)
{
	char dir[] = "/tmp/dict_test.XXXXXX";
	struct dval *v, *r;
	struct error err;
	struct stat st;
	char *path, *apath, *tmp;
	FILE *fp;

	test_begin("settings files");
	test_assert(mkdtemp(dir) != NULL);
	path = xasprintf("%s/Main.settings", dir);
	apath = xasprintf("%s/account.settings", dir);
	tmp = xasprintf("%s.tmp", path);

	r = dict_file_read(path, &err);
	test_assert(r == NULL && err.kind == ERR_NOTFOUND);

	v = parse("{LicenseAccepted = #T07-11-2011_16:53:05; LogLevel = 3; "
	    "Listener = {Ports=({PortNumber=8100;});}; Key = [HcqHfHI=];}");
	test_assert(dict_file_write(path, v, &err) == 0);
	test_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	test_assert(access(tmp, F_OK) < 0);
	r = dict_file_read(path, &err);
	test_assert(r != NULL && dict_equal(v, r));
	dict_free(&r);

	/* The mode of an existing file is kept. */
	test_assert(chmod(path, 0640) == 0);
	dict_set_str(v, "LogLevel", "5");
	test_assert(dict_file_write(path, v, &err) == 0);
	test_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	r = dict_file_read(path, &err);
	test_assert_str(dict_get_str(r, "LogLevel"), "5");
	dict_free(&r);

	test_assert(dict_file_write(apath, v, &err) == 0);
	test_assert(stat(apath, &st) == 0 && (st.st_mode & 0777) == 0600);

	/* Hand-written file with comments and a BOM. */
	fp = fopen(path, "w");
	fputs("\xef\xbb\xbf// comment\n{\n\tA = b;\n\tC = d\n}\n", fp);
	fclose(fp);
	r = dict_file_read(path, &err);
	test_assert(r == NULL && err.kind == ERR_SYNTAX);
	test_assert(strstr(err.msg, path) != NULL);
	test_assert(strstr(err.msg, "line 5, column 1") != NULL);
	fp = fopen(path, "w");
	fputs("(a, b)\n", fp);
	fclose(fp);
	r = dict_file_read(path, &err);
	test_assert(r == NULL && strstr(err.msg, "not a dictionary") != NULL);

	/* A directory that does not exist. */
	free(tmp);
	tmp = xasprintf("%s/nodir/x.settings", dir);
	test_assert(dict_file_write(tmp, v, &err) == -1 && err.kind == ERR_IO);

	unlink(path);
	unlink(apath);
	rmdir(dir);
	dict_free(&v);
	free(path);
	free(apath);
	free(tmp);
	test_end();
}

int
main(void)
{
	test_good();
	test_bad();
	test_types();
	test_depth();
	test_positions();
	test_prefixes();
	test_parse_prefix();
	test_comments();
	test_writer();
	test_update();
	test_large();
	test_files();
	return test_done();
}
