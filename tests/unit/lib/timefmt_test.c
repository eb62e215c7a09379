/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt_test.c: time stamps and their parsers under several zones
 * (America/Los_Angeles with daylight saving, UTC, Asia/Kolkata at +0530),
 * set with setenv("TZ") + tzset().  Expected texts were computed
 * independently (Python's zoneinfo).  If a zone file is missing the POSIX
 * TZ string equivalent is used.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/test.h"
#include "lib/timefmt.h"

static void
set_zone(const char *name, const char *posix)
{
	char path[256];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	setenv("TZ", access(path, R_OK) == 0 ? name : posix, 1);
	tzset();
}

struct fmt_case {
	time_t		 t;
	const char	*rfc5322, *imap, *zone;
};

static void
check_formats(const struct fmt_case *fc, size_t n)
{
	char buf[TIMEFMT_BUF_MAX];
	size_t i, len;
	int off;

	for (i = 0; i < n; i++) {
		len = timefmt_rfc5322(fc[i].t, buf, sizeof(buf));
		test_assert_str(buf, fc[i].rfc5322);
		test_assert(len == strlen(fc[i].rfc5322));
		test_assert(timefmt_parse_rfc5322(buf, len, &off) == fc[i].t);
		len = timefmt_imap(fc[i].t, buf, sizeof(buf));
		test_assert_str(buf, fc[i].imap);
		test_assert(len == strlen(fc[i].imap));
		test_assert(timefmt_parse_imap(buf, len, NULL) == fc[i].t);
		timefmt_zone(fc[i].t, buf, sizeof(buf));
		test_assert_str(buf, fc[i].zone);
	}
}

/* Every hour over two years, and odd seconds: format then parse back. */
static void
round_trips(void)
{
	char buf[TIMEFMT_BUF_MAX], quoted[TIMEFMT_BUF_MAX + 2];
	time_t t;
	size_t len;
	int bad = 0;

	for (t = 1767225600; t < 1767225600 + 2 * 366 * 86400; t += 3599) {
		len = timefmt_rfc5322(t, buf, sizeof(buf));
		if (len == 0 || timefmt_parse_rfc5322(buf, len, NULL) != t)
			bad++;
		len = timefmt_imap(t, buf, sizeof(buf));
		if (len == 0 || timefmt_parse_imap(buf, len, NULL) != t)
			bad++;
		snprintf(quoted, sizeof(quoted), "\"%s\"", buf);
		if (timefmt_parse_imap(quoted, strlen(quoted), NULL) != t)
			bad++;
	}
	test_assert(bad == 0);
}

static time_t
p5322(const char *s, int *off_r)
{
	return timefmt_parse_rfc5322(s, strlen(s), off_r);
}

static time_t
pimap(const char *s)
{
	return timefmt_parse_imap(s, strlen(s), NULL);
}

static void
test_parse_5322(void)
{
	static const char *const bad[] = {
		"", "Fri, 27 Nov 2026", "Fri, 27 Nov 2026 23:20:16",
		"Fry, 27 Nov 2026 23:20:16 -0800",
		"Fri, 32 Nov 2026 23:20:16 -0800",
		"Fri, 29 Feb 2026 23:20:16 -0800",
		"Fri, 27 Foo 2026 23:20:16 -0800",
		"Fri, 27 Nov 2026 24:20:16 -0800",
		"Fri, 27 Nov 2026 23:60:16 -0800",
		"Fri, 27 Nov 2026 23:20:61 -0800",
		"Fri, 27 Nov 2026 23:20:16 -0860",
		"Fri, 27 Nov 2026 23:20:16 -080",
		"Fri, 27 Nov 2026 23:20:16 -08000",
		"Fri, 27 Nov 20266 23:20:16 -0800",
		"Fri, 27 Nov 1 23:20:16 -0800",
		"Fri, 27 Nov 2026 23:20:16 -0800 junk",
		"Fri, 27 Nov 2026 23:20:16 -0800 (open comment",
		"Fri, 27 Nov 2026 23:2:16 -0800",
		"Fri, 0 Nov 2026 23:20:16 -0800",
		"Fri, 27 Nov 2026 23:20:16 TOOLONGZONE",
	};
	time_t want = 1795850416;		/* 2026-11-28 07:20:16Z */
	size_t i;
	int off = 1;

	test_begin("RFC 5322 parse: forms and obsolete syntax");
	test_assert(p5322("Fri, 27 Nov 2026 23:20:16 -0800", &off) == want);
	test_assert(off == -8 * 3600);
	test_assert(p5322("Sat, 28 Nov 2026 12:50:16 +0530", &off) == want);
	test_assert(off == 5 * 3600 + 1800);
	test_assert(p5322("28 Nov 2026 07:20:16 +0000", NULL) == want);
	test_assert(p5322("  fri,27 nov 2026 23:20:16 -0800  ", NULL) == want);
	test_assert(p5322("Fri 27 Nov 2026 23:20:16 -0800", NULL) == want);
	test_assert(p5322("Fri, 27 Nov 2026 23:20:16 PST", &off) == want);
	test_assert(off == -8 * 3600);
	test_assert(p5322("Sat, 28 Nov 2026 02:20:16 EST", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 03:20:16 EDT", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 01:20:16 CST", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 00:20:16 MST", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 00:20:16 PDT", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 07:20:16 GMT", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 07:20:16 UT", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 07:20:16 Z", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 2026 07:20:16 A", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 26 07:20:16 GMT", NULL) == want);
	test_assert(p5322("Sat, 28 Nov 126 07:20:16 GMT", NULL) == want);
	test_assert(p5322("Fri, 24 Dec 99 16:00:05 -0800", NULL) ==
	    946080005);
	test_assert(p5322("Sat, 28 Nov 2026 07:20 +0000", NULL) ==
	    want - 16);
	test_assert(p5322("Fri, 27 Nov 2026 23:20:16 -0800 (PST)", NULL) ==
	    want);
	test_assert(p5322("(x) Fri (y (nested \\) )), 27\r\n Nov 2026 "
	    "23 : 20 : 16 -0800", NULL) == want);
	test_assert(p5322("Thu, 1 Jan 1970 00:00:00 +0000", NULL) == 0);
	test_assert(p5322("Mon, 29 Feb 2016 12:00:00 +0000", NULL) ==
	    1456747200);
	test_assert(p5322("Sat, 31 Dec 2016 23:59:60 +0000", NULL) ==
	    1483228799);
	test_end();

	test_begin("RFC 5322 parse: bad dates rejected");
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		if (p5322(bad[i], NULL) != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		test_assert(p5322(bad[i], NULL) == -1);
	}
	/* The length is respected: the zone is cut off. */
	test_assert(timefmt_parse_rfc5322("27 Nov 2026 23:20:16 -0800", 20,
	    NULL) == -1);
	test_end();
}

static void
test_parse_imap(void)
{
	static const char *const bad[] = {
		"", "27-Nov-2026 23:20:16", "27-Nov-26 23:20:16 -0800",
		"27 Nov 2026 23:20:16 -0800", "27-Nov-2026 23:20:16 PST",
		"\"27-Nov-2026 23:20:16 -0800", "27-Nov-2026 23:20:16 -0800\"",
		"31-Nov-2026 23:20:16 -0800", "27-Nov-2026 3:20:16 -0800",
		"27-Nov-2026 23:20:16 -0800 ", "27-Nov-2026  23:20:16 -0800",
		"127-Nov-2026 23:20:16 -0800", "02-Jul-1013 06:46:40 +4020",
	};
	time_t want = 1795850416;
	size_t i;
	int off = 0;

	test_begin("IMAP date-time parse");
	test_assert(timefmt_parse_imap("27-Nov-2026 23:20:16 -0800", 26, &off)
	    == want);
	test_assert(off == -8 * 3600);
	test_assert(pimap("\"28-nov-2026 12:50:16 +0530\"") == want);
	test_assert(pimap(" 2-Jul-2026 06:46:40 -0700") == 1783000000);
	test_assert(pimap("2-Jul-2026 06:46:40 -0700") == 1783000000);
	test_assert(pimap("02-Jul-2026 06:46:40 -0700") == 1783000000);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		if (pimap(bad[i]) != -1)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		test_assert(pimap(bad[i]) == -1);
	}
	test_end();
}

int
main(void)
{
	static const struct fmt_case la[] = {
		{ 1795850416, "Fri, 27 Nov 2026 23:20:16 -0800",
		  "27-Nov-2026 23:20:16 -0800", "-0800" },
		{ 1783000000, "Thu, 2 Jul 2026 06:46:40 -0700",
		  " 2-Jul-2026 06:46:40 -0700", "-0700" },
		{ 946080005, "Fri, 24 Dec 1999 16:00:05 -0800",
		  "24-Dec-1999 16:00:05 -0800", "-0800" },
	};
	static const struct fmt_case utc[] = {
		{ 1795850416, "Sat, 28 Nov 2026 07:20:16 +0000",
		  "28-Nov-2026 07:20:16 +0000", "+0000" },
		{ 0, "Thu, 1 Jan 1970 00:00:00 +0000",
		  " 1-Jan-1970 00:00:00 +0000", "+0000" },
	};
	static const struct fmt_case kolkata[] = {
		{ 1795850416, "Sat, 28 Nov 2026 12:50:16 +0530",
		  "28-Nov-2026 12:50:16 +0530", "+0530" },
		{ 1783000000, "Thu, 2 Jul 2026 19:16:40 +0530",
		  " 2-Jul-2026 19:16:40 +0530", "+0530" },
	};
	char buf[TIMEFMT_BUF_MAX], small[10];
	time_t before, after, parsed;

	test_begin("America/Los_Angeles: -0800 and -0700 (DST)");
	set_zone("America/Los_Angeles", "PST8PDT,M3.2.0,M11.1.0");
	check_formats(la, N_ELEMENTS(la));
	round_trips();
	test_end();

	test_begin("UTC");
	set_zone("UTC", "UTC0");
	check_formats(utc, N_ELEMENTS(utc));
	round_trips();
	test_end();

	test_begin("Asia/Kolkata: +0530");
	set_zone("Asia/Kolkata", "IST-5:30");
	check_formats(kolkata, N_ELEMENTS(kolkata));
	round_trips();
	test_end();

	test_begin("server time is now, day zero-padded, local offset");
	before = time(NULL);
	test_assert(timefmt_server_time(buf, sizeof(buf)) == 26);
	after = time(NULL);
	test_assert(buf[0] >= '0' && buf[0] <= '3' && buf[2] == '-');
	test_assert(strcmp(buf + 21, "+0530") == 0);
	parsed = timefmt_parse_imap(buf, strlen(buf), NULL);
	test_assert(parsed >= before && parsed <= after);
	set_zone("America/Los_Angeles", "PST8PDT,M3.2.0,M11.1.0");
	timefmt_server_time(buf, sizeof(buf));
	timefmt_zone(time(NULL), small, sizeof(small));
	test_assert(strcmp(buf + 21, small) == 0);
	test_assert(strcmp(small, "-0800") == 0 || strcmp(small, "-0700") == 0);
	test_end();

	test_begin("small buffers are not overrun");
	test_assert(timefmt_rfc5322(0, small, sizeof(small)) == 0);
	test_assert_str(small, "");
	test_assert(timefmt_imap(0, small, sizeof(small)) == 0);
	test_assert(timefmt_zone(0, small, 5) == 0);
	test_assert(timefmt_zone(0, small, 6) == 5);
	test_assert(timefmt_rfc5322(0, small, 0) == 0);
	test_end();

	test_parse_5322();
	test_parse_imap();
	return test_done();
}
