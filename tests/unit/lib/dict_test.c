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
	{ "{a=b;a=c;}", 5, "duplicate key" },
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

int
main(void)
{
	test_good();
	test_bad();
	test_types();
	return test_done();
}
