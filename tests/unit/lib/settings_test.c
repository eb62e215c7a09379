/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings_test.c: the declarative settings layer: every value type's
 * parsing and range errors (at and past the limits, past 2^32 and 2^64,
 * negative, junk, K/M/G overflow), defaults, the effective text form,
 * refcounted snapshots and the holder's swap.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/error.h"
#include "lib/iplist.h"
#include "lib/settings.h"
#include "lib/test.h"

struct conf {
	uint64_t		 num;
	uint64_t		 size;
	uint64_t		 secs;
	uint64_t		 dur;
	bool			 yes;
	const char		*str;
	const struct iplist	*ips;
	const char		*addr;
	unsigned		 mode;
	struct setting_times	 retry;
	uint64_t		 big;
	struct setting_rate	 flow;
	struct setting_words	 words;
	const char		*port;
	struct setting_words	 ports;
};

/* A check hook: a decimal port 1..65535 (or empty). */
static int
port_ok(const char *s)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 5)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return i > 0 && v >= 1 && v <= 65535;
}

static int
check_port(const void *field, struct error *err_r)
{
	const char *s = *(const char *const *)field;

	if (s[0] == '\0' || port_ok(s))
		return 0;
	return error_set(err_r, ERR_SYNTAX, "a port of 1 to 65535 expected, "
	    "got \"%s\"", s);
}

static int
check_ports(const void *field, struct error *err_r)
{
	const struct setting_words *w = field;
	unsigned i;

	for (i = 0; i < w->n; i++)
		if (!port_ok(w->v[i]))
			return error_set(err_r, ERR_SYNTAX, "ports of 1 to "
			    "65535 expected, got \"%s\"", w->v[i]);
	return 0;
}

static const char *const modes[] = { "Off", "Low", "High", NULL };

static const struct setting_def defs[] = {
	SETTING_NUM("Num", struct conf, num, 20, 1, 1000),
	SETTING_SIZE_("Size", struct conf, size, 50 * 1024 * 1024, 1024,
	    256 * 1024 * 1024),
	SETTING_SECS("Secs", struct conf, secs, 300, 1, 3600),
	SETTING_DURATION("Dur", struct conf, dur, 5 * 86400, 60, UINT32_MAX),
	SETTING_BOOL("Yes", struct conf, yes, false),
	SETTING_STR("Str", struct conf, str, "hello"),
	SETTING_IPS("IPs", struct conf, ips, "127.0.0.1"),
	SETTING_ADDR("Addr", struct conf, addr, "postmaster"),
	SETTING_ENUM_("Mode", struct conf, mode, "Low", modes),
	SETTING_TIMES_("Retry", struct conf, retry, "1m, 5m, 1h", 1,
	    UINT32_MAX),
	SETTING_NUM("Big", struct conf, big, 0, 0, UINT64_MAX),
	SETTING_RATE_("Flow", struct conf, flow, 10, 0, 64, "1m"),
	SETTING_WORDS_("Words", struct conf, words),
	SETTING_STR_CHECK("Port", struct conf, port, "", check_port),
	SETTING_WORDS_CHECK("Ports", struct conf, ports, check_ports),
};

static const struct settings_table table =
    SETTINGS_TABLE("TEST", struct conf, defs);

/* Parses text as a dictionary { Key = value; }. */
static struct dval *
dict_of(const char *text)
{
	struct dval *d = dict_parse(text, strlen(text), 0, NULL);

	if (d == NULL) {
		fprintf(stderr, "cannot parse %s\n", text);
		abort();
	}
	return d;
}

/* check(text) == 0 or, for want != NULL, the message is want. */
static void
check(const char *text, const char *want)
{
	struct dval *d = dict_of(text);
	struct error e;
	int r;

	memset(&e, 0, sizeof(e));
	r = settings_check(&table, d, &e);
	if (want == NULL) {
		test_assert(r == 0);
		if (r != 0)
			fprintf(stderr, "  %s: %s\n", text, e.msg);
	} else {
		test_assert(r == -1);
		test_assert_str(e.msg, want);
	}
	dict_free(&d);
}

/* The effective text of key after loading text. */
static char *
effective(const char *text, const char *key)
{
	struct dval *d = dict_of(text), *out = dict_new_dict();
	struct settings_snap *s = settings_snap_new(&table, d, NULL, NULL);
	const struct dval *v;
	char *r;

	settings_snap_effective(s, out);
	v = dict_get(out, key);
	r = dict_type(v) == DICT_STRING ? strdup(dict_str(v, NULL)) :
	    dict_to_text(v);
	settings_snap_unref(&s);
	test_assert(s == NULL);
	dict_free(&d);
	dict_free(&out);
	return r;
}

static void
expect_effective(const char *text, const char *key, const char *want)
{
	char *got = effective(text, key);

	test_assert_str(got, want);
	free(got);
}

static int reports;

static void
count_report(void *arg, const struct settings_table *t,
    const struct error *e)
{
	(void)arg;
	(void)t;
	test_assert(strncmp(e->msg, "Num: ", 5) == 0);
	reports++;
}

static void *
reader(void *arg)
{
	struct settings_holder *h = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		struct settings_snap *s = settings_holder_get(h);
		const struct conf *c = settings_snap_conf(s);

		/* Each snapshot is whole: Num and Size were set together. */
		test_assert(c->size == c->num * 1024);
		settings_snap_unref(&s);
	}
	return NULL;
}

int
main(void)
{
	struct error e;
	uint64_t v;
	bool b;

	test_begin("the table itself");
	test_assert(settings_table_check(&table, &e) == 0);

	test_begin("u64: digits only, up to 2^64-1");
	test_assert(settings_parse_u64("0", 1, &v, NULL) == 0 && v == 0);
	test_assert(settings_parse_u64("18446744073709551615", 20, &v,
	    NULL) == 0 && v == UINT64_MAX);
	test_assert(settings_parse_u64("18446744073709551616", 20, &v,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert(settings_parse_u64("99999999999999999999999", 23, &v,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert(settings_parse_u64("4294967296", 10, &v, NULL) == 0 &&
	    v == 4294967296ULL);
	test_assert(settings_parse_u64("", 0, &v, &e) == -1 &&
	    e.kind == ERR_SYNTAX);
	test_assert(settings_parse_u64("-1", 2, &v, &e) == -1);
	test_assert(settings_parse_u64("+1", 2, &v, &e) == -1);
	test_assert(settings_parse_u64("1 ", 2, &v, &e) == -1);
	test_assert(settings_parse_u64("0x10", 4, &v, &e) == -1);
	test_assert(settings_parse_u64("12", 1, &v, NULL) == 0 && v == 1);

	test_begin("size: K/M/G/T, unlimited, overflow");
	test_assert(settings_parse_size("10K", 3, &v, &b, NULL) == 0 &&
	    v == 10240);
	test_assert(settings_parse_size("50m", 3, &v, &b, NULL) == 0 &&
	    v == 50ULL << 20);
	test_assert(settings_parse_size("1G", 2, &v, &b, NULL) == 0 &&
	    v == 1ULL << 30);
	test_assert(settings_parse_size("2t", 2, &v, &b, NULL) == 0 &&
	    v == 2ULL << 40);
	test_assert(settings_parse_size("UNLIMITED", 9, &v, &b, NULL) == 0 &&
	    v == 0 && b);
	test_assert(settings_parse_size("18446744073709551615", 20, &v, &b,
	    NULL) == 0 && v == UINT64_MAX && !b);
	test_assert(settings_parse_size("16777215T", 9, &v, &b, NULL) == 0 &&
	    v == 16777215ULL << 40);
	test_assert(settings_parse_size("16777216T", 9, &v, &b, &e) == -1 &&
	    e.kind == ERR_LIMIT);
	test_assert(settings_parse_size("17179869184G", 12, &v, &b,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert(settings_parse_size("18446744073709551615K", 21, &v, &b,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert(settings_parse_size("10X", 3, &v, &b, &e) == -1 &&
	    e.kind == ERR_SYNTAX);
	test_assert(settings_parse_size("10KB", 4, &v, &b, &e) == -1);
	test_assert(settings_parse_size("K", 1, &v, &b, &e) == -1);
	test_assert(settings_parse_size("-1K", 3, &v, &b, &e) == -1);

	test_begin("time: s, m, min, h, d, w");
	test_assert(settings_parse_time("45", 2, &v, NULL) == 0 && v == 45);
	test_assert(settings_parse_time("45s", 3, &v, NULL) == 0 && v == 45);
	test_assert(settings_parse_time("10m", 3, &v, NULL) == 0 && v == 600);
	test_assert(settings_parse_time("10MIN", 5, &v, NULL) == 0 &&
	    v == 600);
	test_assert(settings_parse_time("1h", 2, &v, NULL) == 0 && v == 3600);
	test_assert(settings_parse_time("5d", 2, &v, NULL) == 0 &&
	    v == 432000);
	test_assert(settings_parse_time("2w", 2, &v, NULL) == 0 &&
	    v == 1209600);
	test_assert(settings_parse_time("30500568904943w", 15, &v,
	    NULL) == 0 && v == 30500568904943ULL * 604800);
	test_assert(settings_parse_time("30500568904944w", 15, &v,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert(settings_parse_time("1y", 2, &v, &e) == -1);
	test_assert(settings_parse_time("m", 1, &v, &e) == -1);

	test_begin("yes/no");
	test_assert(settings_parse_bool("YES", 3, &b, NULL) == 0 && b);
	test_assert(settings_parse_bool("yes", 3, &b, NULL) == 0 && b);
	test_assert(settings_parse_bool("1", 1, &b, NULL) == 0 && b);
	test_assert(settings_parse_bool("True", 4, &b, NULL) == 0 && b);
	test_assert(settings_parse_bool("no", 2, &b, NULL) == 0 && !b);
	test_assert(settings_parse_bool("0", 1, &b, NULL) == 0 && !b);
	test_assert(settings_parse_bool("FALSE", 5, &b, NULL) == 0 && !b);
	test_assert(settings_parse_bool("yess", 4, &b, &e) == -1);
	test_assert(settings_parse_bool("", 0, &b, &e) == -1);

	test_begin("numbers: at and past the limits, junk, negative");
	check("{}", NULL);
	check("{Num = 1;}", NULL);
	check("{Num = 1000;}", NULL);
	check("{Num = \"1000\";}", NULL);
	check("{Num = \" 7 \";}", NULL);
	check("{Num = #1000;}", NULL);
	check("{Num = 0;}", "Num: 1 to 1000 expected, got \"0\"");
	check("{Num = 1001;}", "Num: 1 to 1000 expected, got \"1001\"");
	check("{Num = #1001;}", "Num: 1 to 1000 expected, got \"#1001\"");
	check("{Num = #-1;}", "Num: 1 to 1000 expected, got \"#-1\"");
	check("{Num = \"-1\";}", "Num: 1 to 1000 expected, got \"-1\"");
	check("{Num = lots;}", "Num: 1 to 1000 expected, got \"lots\"");
	check("{Num = 4294967297;}",
	    "Num: 1 to 1000 expected, got \"4294967297\"");
	check("{Num = 18446744073709551616;}",
	    "Num: 1 to 1000 expected, got \"18446744073709551616\"");
	check("{Num = 10K;}", "Num: 1 to 1000 expected, got \"10K\"");
	check("{Num = (1);}", "Num: 1 to 1000 expected, got \"(not a "
	    "string)\"");
	check("{Big = 18446744073709551615;}", NULL);
	check("{Big = 18446744073709551616;}", "Big: 0 to "
	    "18446744073709551615 expected, got \"18446744073709551616\"");

	test_begin("sizes: range in K/M/G, unlimited is the maximum");
	check("{Size = 1K;}", NULL);
	check("{Size = 256M;}", NULL);
	check("{Size = unlimited;}", NULL);
	check("{Size = 1023;}", "Size: 1K to 256M expected, got \"1023\"");
	check("{Size = 268435457;}",
	    "Size: 1K to 256M expected, got \"268435457\"");
	check("{Size = 257M;}", "Size: 1K to 256M expected, got \"257M\"");
	check("{Size = 99999999999G;}",
	    "Size: 1K to 256M expected, got \"99999999999G\"");
	check("{Size = 18014398509481984K;}",
	    "Size: 1K to 256M expected, got \"18014398509481984K\"");
	expect_effective("{Size = unlimited;}", "Size", "256M");
	expect_effective("{Size = 10240;}", "Size", "10K");
	expect_effective("{Size = 1025;}", "Size", "1025");
	expect_effective("{}", "Size", "50M");

	test_begin("times: seconds written plainly or with a unit");
	check("{Secs = 1;}", NULL);
	check("{Secs = 1h;}", NULL);
	check("{Secs = 61m;}", "Secs: 1 to 3600 expected, got \"61m\"");
	check("{Secs = 0;}", "Secs: 1 to 3600 expected, got \"0\"");
	check("{Dur = 10s;}", "Dur: 1m to 4294967295s expected, got \"10s\"");
	check("{Dur = 4294967296;}",
	    "Dur: 1m to 4294967295s expected, got \"4294967296\"");
	check("{Dur = 2d;}", NULL);
	expect_effective("{Secs = 2m;}", "Secs", "120");
	expect_effective("{Dur = 172800;}", "Dur", "2d");
	expect_effective("{Dur = 90s;}", "Dur", "90s");

	test_begin("yes/no settings");
	check("{Yes = YES;}", NULL);
	check("{Yes = #1;}", NULL);
	check("{Yes = maybe;}", "Yes: YES or NO expected, got \"maybe\"");
	check("{Yes = #2;}", "Yes: YES or NO expected, got \"#2\"");
	expect_effective("{Yes = true;}", "Yes", "YES");
	expect_effective("{}", "Yes", "NO");

	test_begin("enum, string, address, IP list");
	check("{Mode = high;}", NULL);
	check("{Mode = Medium;}",
	    "Mode: one of Off, Low, High expected, got \"Medium\"");
	expect_effective("{Mode = high;}", "Mode", "High");
	expect_effective("{}", "Mode", "Low");
	expect_effective("{}", "Str", "hello");
	expect_effective("{Str = \"a b\";}", "Str", "a b");
	check("{Str = (a);}", "Str: a string of at most 65536 bytes "
	    "expected, got \"(not a string)\"");
	check("{Addr = \"a@b.example\";}", NULL);
	check("{Addr = \"a b@c\";}",
	    "Addr: an address without spaces expected, got \"a b@c\"");
	check("{IPs = \"10.0.0.0/8, 192.0.2.1\";}", NULL);
	{
		struct dval *d = dict_of("{IPs = \"10.0.0.300\";}");

		test_assert(settings_check(&table, d, &e) == -1 &&
		    strncmp(e.msg, "IPs: an IP address list expected, got "
		    "\"10.0.0.300\": ", 51) == 0);
		dict_free(&d);
	}
	expect_effective("{IPs = \"10.0.0.0/8\";}", "IPs", "10.0.0.0/8");
	expect_effective("{IPs = \"junk\";}", "IPs", "127.0.0.1");

	test_begin("time lists");
	check("{Retry = (1m, \"90s\", #30);}", NULL);
	check("{Retry = ();}", "Retry: 1 to 32 times expected, got \"0 "
	    "elements\"");
	check("{Retry = 1m;}", "Retry: 1 to 32 times expected, got \"1m\"");
	check("{Retry = (1m, x);}", "Retry: element 2: 1s to 4294967295s "
	    "expected, got \"x\"");
	check("{Retry = (1m, 0);}", "Retry: element 2: 1s to 4294967295s "
	    "expected, got \"0\"");
	check("{Retry = (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
	    "21,22,23,24,25,26,27,28,29,30,31,32);}", NULL);
	check("{Retry = (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
	    "21,22,23,24,25,26,27,28,29,30,31,32,33);}",
	    "Retry: 1 to 32 times expected, got \"33 elements\"");
	expect_effective("{}", "Retry", "(1m, 5m, 1h)");
	expect_effective("{Retry = (90s, 10m);}", "Retry", "(90s, 10m)");

	test_begin("rates: (count, period)");
	check("{Flow = (3, 10m);}", NULL);
	check("{Flow = (0, 1s);}", NULL);
	check("{Flow = (64, \"1w\");}", NULL);
	check("{Flow = (#5, #600);}", NULL);
	check("{Flow = (65, 1m);}", "Flow: (count, period): a count of 0 to "
	    "64 expected, got 65");
	check("{Flow = (18446744073709551616, 1m);}", "Flow: (count, "
	    "period): count: 0 to 18446744073709551615 expected, got "
	    "\"18446744073709551616\"");
	check("{Flow = (3, 0);}", "Flow: (count, period): period: 1s to 1w "
	    "expected, got \"0\"");
	check("{Flow = (3, 8d);}", "Flow: (count, period): period: 1s to 1w "
	    "expected, got \"8d\"");
	check("{Flow = (-1, 1m);}", "Flow: (count, period): count: 0 to "
	    "18446744073709551615 expected, got \"-1\"");
	check("{Flow = (3);}", "Flow: (count, period) expected, got \"1 "
	    "elements\"");
	check("{Flow = (3, 1m, 1m);}", "Flow: (count, period) expected, got "
	    "\"3 elements\"");
	check("{Flow = \"3 per minute\";}", "Flow: (count, period) "
	    "expected, got \"3 per minute\"");
	expect_effective("{}", "Flow", "(10, 1m)");
	expect_effective("{Flow = (3, 600);}", "Flow", "(3, 10m)");
	expect_effective("{Flow = (99, 1m);}", "Flow", "(10, 1m)");

	test_begin("unknown keys are not checked");
	check("{Comment = \"anything\"; LogLevel = 9;}", NULL);

	test_begin("a bad stored value takes the default and is reported");
	{
		struct dval *d = dict_of("{Num = 5000; Size = 2M;}");
		struct settings_snap *s;
		const struct conf *c;

		reports = 0;
		s = settings_snap_new(&table, d, count_report, NULL);
		c = settings_snap_conf(s);
		test_assert(reports == 1);
		test_assert(c->num == 20);
		test_assert(c->size == 2 * 1024 * 1024);
		test_assert(strcmp(c->str, "hello") == 0);
		test_assert(c->ips != NULL);
		test_assert(settings_snap_table(s) == &table);
		settings_snap_unref(&s);
		dict_free(&d);
	}

	test_begin("a reference outlives the swap");
	{
		struct settings_holder h;
		struct settings_snap *old, *cur;
		struct dval *d = dict_of("{Num = 7;}");

		settings_holder_init(&h, settings_snap_new(&table, NULL, NULL,
		    NULL));
		old = settings_holder_get(&h);
		settings_holder_swap(&h, settings_snap_new(&table, d, NULL,
		    NULL));
		cur = settings_holder_get(&h);
		test_assert(((const struct conf *)settings_snap_conf(old))->num
		    == 20);
		test_assert(((const struct conf *)settings_snap_conf(cur))->num
		    == 7);
		settings_snap_unref(&old);
		settings_snap_unref(&cur);
		settings_holder_destroy(&h);
		dict_free(&d);
	}

	test_begin("swaps while readers take and drop references");
	{
		struct settings_holder h;
		struct dval *d0 = dict_of("{Num = 1; Size = 1K;}");
		pthread_t th[3];
		char txt[64];
		int i;

		settings_holder_init(&h, settings_snap_new(&table, d0, NULL,
		    NULL));
		dict_free(&d0);
		for (i = 0; i < 3; i++)
			pthread_create(&th[i], NULL, reader, &h);
		for (i = 0; i < 2000; i++) {
			struct dval *d;

			(void)snprintf(txt, sizeof(txt), "{Num = %d; Size = "
			    "%dK;}", 1 + i % 256, 1 + i % 256);
			d = dict_of(txt);
			settings_holder_swap(&h, settings_snap_new(&table, d,
			    NULL, NULL));
			dict_free(&d);
		}
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		settings_holder_destroy(&h);
	}

	test_begin("words: an array of words (or one), bounded");
	check("{Words = (\"127.0.0.1:53\", \"[::1]:5353\");}", NULL);
	check("{Words = \"rbl.example\";}", NULL);
	check("{Words = ();}", NULL);
	check("{Words = (\"a b\");}", "Words: element 1: a word of at "
	    "most 255 bytes expected, got \"a b\"");
	check("{Words = (\"\");}", "Words: element 1: a word of at most "
	    "255 bytes expected, got \"\"");
	check("{Words = ((\"x\"));}", "Words: element 1: a word of at most "
	    "255 bytes expected, got \"(not a string)\"");
	check("{Words = (a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,"
	    "aa,bb,cc,dd,ee,ff,gg);}", "Words: an array of at most 32 words "
	    "expected, got \"33 elements\"");
	expect_effective("{}", "Words", "()");
	expect_effective("{Words = rbl.example;}", "Words", "(rbl.example)");
	expect_effective("{Words = (a, \"b.c:53\");}", "Words",
	    "(a, \"b.c:53\")");
	{
		struct dval *d = dict_of("{Words = (one, two);}");
		struct settings_snap *sn = settings_snap_new(&table, d, NULL,
		    NULL);
		const struct conf *c = settings_snap_conf(sn);

		test_assert(c->words.n == 2);
		test_assert_str(c->words.v[0], "one");
		test_assert_str(c->words.v[1], "two");
		settings_snap_unref(&sn);
		dict_free(&d);
	}

	test_begin("a per-setting check refuses what type and range allow");
	check("{Port = \"25\";}", NULL);
	check("{Port = \"\";}", NULL);
	check("{Port = \"99999\";}", "Port: a port of 1 to 65535 expected, "
	    "got \"99999\"");
	check("{Ports = (\"53\", \"5353\");}", NULL);
	check("{Ports = (\"53\", \"70000\");}", "Ports: ports of 1 to 65535 "
	    "expected, got \"70000\"");
	/* A bad stored value (a hand-edited file) takes the default and is
	 * reported, as a range error is. */
	expect_effective("{Port = \"99999\";}", "Port", "");
	expect_effective("{Port = \"587\";}", "Port", "587");
	test_assert(settings_table_check(&table, &e) == 0);
	test_end();

	return test_done();
}
