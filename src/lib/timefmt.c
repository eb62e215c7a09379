/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt.c: RFC 5322 and IMAP time stamps with the local zone offset, and
 * their parsers.  Formatting converts with localtime_r() and takes the offset
 * from tm_gmtoff; day and month names come from our own tables so the locale
 * never changes them.  Parsing converts the civil date to days since the
 * epoch with plain arithmetic (no timegm(), no TZ), then subtracts the
 * written offset.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/timefmt.h"

/* Nesting of comments in a Date: header ("(a (b) c)"). */
#define TIMEFMT_COMMENT_DEPTH_MAX	16

static const char *const day_names[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Checks snprintf's result: the length, or 0 with buf "" if it did not fit. */
static size_t
fit(int n, char *buf, size_t size)
{
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* Local broken-down time of t; false (and buf "") if it cannot be had. */
static bool
local_tm(time_t t, struct tm *tm, char *buf, size_t size)
{
	if (localtime_r(&t, tm) == NULL || tm->tm_mon < 0 ||
	    tm->tm_mon > 11 || tm->tm_wday < 0 || tm->tm_wday > 6) {
		if (size > 0)
			buf[0] = '\0';
		return false;
	}
	return true;
}

/* Offset sign, hours and minutes of tm_gmtoff (seconds of historic offsets
 * are dropped). */
static void
zone_parts(const struct tm *tm, char *sign_r, int *h_r, int *m_r)
{
	long off = tm->tm_gmtoff;

	*sign_r = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	*h_r = (int)(off / 3600);
	*m_r = (int)(off % 3600 / 60);
}

size_t
timefmt_rfc5322(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char sign;
	int zh, zm;

	if (!local_tm(t, &tm, buf, size))
		return 0;
	zone_parts(&tm, &sign, &zh, &zm);
	return fit(snprintf(buf, size, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, zh, zm),
	    buf, size);
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" with the day padded by pad (' ' or '0'). */
static size_t
format_dmy(time_t t, char pad, char *buf, size_t size)
{
	struct tm tm;
	char sign;
	int zh, zm;

	if (!local_tm(t, &tm, buf, size))
		return 0;
	zone_parts(&tm, &sign, &zh, &zm);
	return fit(snprintf(buf, size, "%c%d-%s-%04d %02d:%02d:%02d %c%02d%02d",
	    tm.tm_mday < 10 ? pad : (char)('0' + tm.tm_mday / 10),
	    tm.tm_mday % 10, month_names[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, zh, zm), buf, size);
}

size_t
timefmt_imap(time_t t, char *buf, size_t size)
{
	return format_dmy(t, ' ', buf, size);
}

size_t
timefmt_server_time(char *buf, size_t size)
{
	return format_dmy(time(NULL), '0', buf, size);
}

size_t
timefmt_zone(time_t t, char *buf, size_t size)
{
	struct tm tm;
	char sign;
	int zh, zm;

	if (!local_tm(t, &tm, buf, size))
		return 0;
	zone_parts(&tm, &sign, &zh, &zm);
	return fit(snprintf(buf, size, "%c%02d%02d", sign, zh, zm), buf, size);
}

/*
 * Parsing.
 */

struct cursor {
	const char	*p, *end;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

long long
timefmt_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Reads 1..maxd digits; the count read in *nd_r (0: none, an error). */
static int
read_num(struct cursor *c, int maxd, int *nd_r)
{
	int v = 0, nd = 0;

	while (c->p < c->end && is_digit(*c->p) && nd < maxd) {
		v = v * 10 + (*c->p - '0');
		c->p++;
		nd++;
	}
	if (c->p < c->end && is_digit(*c->p))
		nd = 0;			/* too many digits */
	*nd_r = nd;
	return v;
}

/* Reads a run of letters into name (size bytes); false if none or too
 * long. */
static bool
read_word(struct cursor *c, char *name, size_t size)
{
	size_t n = 0;

	while (c->p < c->end && is_alpha(*c->p)) {
		if (n + 1 >= size)
			return false;
		name[n++] = *c->p++;
	}
	name[n] = '\0';
	return n > 0;
}

static int
month_index(const char *name)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strcasecmp(name, month_names[i]) == 0)
			return i + 1;
	return 0;
}

/* Skips folding white space and (nested) comments, RFC 5322 3.2.2. */
static bool
skip_cfws(struct cursor *c)
{
	int depth = 0;

	while (c->p < c->end) {
		char ch = *c->p;

		if (depth > 0) {
			if (ch == '\\') {
				c->p++;
				if (c->p == c->end)
					return false;
			} else if (ch == '(') {
				if (++depth > TIMEFMT_COMMENT_DEPTH_MAX)
					return false;
			} else if (ch == ')')
				depth--;
			c->p++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			c->p++;
		else if (ch == '(') {
			depth = 1;
			c->p++;
		} else
			break;
	}
	return depth == 0;
}

static bool
expect(struct cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* "+hhmm" / "-hhmm" into seconds east of UTC. */
static bool
read_numeric_zone(struct cursor *c, int *off_r)
{
	int sign, v, nd;

	if (c->p >= c->end || (*c->p != '+' && *c->p != '-'))
		return false;
	sign = *c->p == '-' ? -1 : 1;
	c->p++;
	v = read_num(c, 4, &nd);
	if (nd != 4 || v % 100 > 59)
		return false;
	*off_r = sign * (v / 100 * 3600 + v % 100 * 60);
	return true;
}

/* RFC 5322 4.3 obs-zone names. */
static int
obs_zone_offset(const char *name)
{
	static const struct {
		const char	*name;
		int		 hours;
	} zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(zones); i++)
		if (strcasecmp(name, zones[i].name) == 0)
			return zones[i].hours * 3600;
	/* Military letters and unknown names: "-0000", unknown offset. */
	return 0;
}

/* Checks the fields and converts; -1 on a bad date or time. */
static time_t
civil_to_time(int y, int mon, int d, int h, int mi, int s, int off)
{
	long long t;

	if (mon < 1 || mon > 12 || d < 1 || d > days_in_month(y, mon) ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	if (s == 60)
		s = 59;			/* a leap second: keep it in its minute */
	t = timefmt_days_from_civil(y, mon, d) * 86400LL + h * 3600 + mi * 60 + s -
	    off;
	if ((time_t)t != t)
		return -1;
	return (time_t)t;
}

time_t
timefmt_parse_rfc5322(const char *s, size_t len, int *gmtoff_r)
{
	struct cursor c = { s, s + len };
	char word[8];
	int day, mon, year, h, mi, sec = 0, off, nd, i;

	if (len > TIMEFMT_PARSE_MAX || !skip_cfws(&c))
		return -1;
	/* [ day-of-week "," ] */
	if (c.p < c.end && is_alpha(*c.p)) {
		if (!read_word(&c, word, sizeof(word)))
			return -1;
		for (i = 0; i < 7; i++)
			if (strcasecmp(word, day_names[i]) == 0)
				break;
		if (i == 7)
			return -1;
		if (!skip_cfws(&c))
			return -1;
		(void)expect(&c, ',');	/* obs: some omit the comma */
		if (!skip_cfws(&c))
			return -1;
	}
	day = read_num(&c, 2, &nd);
	if (nd == 0 || !skip_cfws(&c))
		return -1;
	if (!read_word(&c, word, sizeof(word)) || (mon = month_index(word)) == 0)
		return -1;
	if (!skip_cfws(&c))
		return -1;
	year = read_num(&c, 4, &nd);
	if (nd == 0)
		return -1;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;	/* RFC 5322 4.3 */
	else if (nd == 3)
		year += 1900;
	else if (nd == 1 || year < 1900)
		return -1;
	if (!skip_cfws(&c))
		return -1;
	h = read_num(&c, 2, &nd);
	if (nd == 0 || !skip_cfws(&c) || !expect(&c, ':') || !skip_cfws(&c))
		return -1;
	mi = read_num(&c, 2, &nd);
	if (nd != 2 || !skip_cfws(&c))
		return -1;
	if (expect(&c, ':')) {
		if (!skip_cfws(&c))
			return -1;
		sec = read_num(&c, 2, &nd);
		if (nd != 2 || !skip_cfws(&c))
			return -1;
	}
	if (c.p < c.end && is_alpha(*c.p)) {
		if (!read_word(&c, word, sizeof(word)))
			return -1;
		off = obs_zone_offset(word);
	} else if (!read_numeric_zone(&c, &off))
		return -1;
	if (!skip_cfws(&c) || c.p != c.end)
		return -1;
	if (gmtoff_r != NULL)
		*gmtoff_r = off;
	return civil_to_time(year, mon, day, h, mi, sec, off);
}

time_t
timefmt_parse_imap(const char *s, size_t len, int *gmtoff_r)
{
	struct cursor c = { s, s + len };
	char word[4];
	int day, mon, year, h, mi, sec, off, nd;
	bool quoted;

	if (len > TIMEFMT_PARSE_MAX)
		return -1;
	quoted = expect(&c, '"');
	if (quoted) {
		if (c.p == c.end || c.end[-1] != '"')
			return -1;
		c.end--;
	}
	(void)expect(&c, ' ');		/* date-day-fixed: SP DIGIT */
	day = read_num(&c, 2, &nd);
	if (nd == 0 || !expect(&c, '-'))
		return -1;
	if (!read_word(&c, word, sizeof(word)) || (mon = month_index(word)) == 0)
		return -1;
	if (!expect(&c, '-'))
		return -1;
	year = read_num(&c, 4, &nd);
	if (nd != 4 || year < 1900 || !expect(&c, ' '))
		return -1;
	h = read_num(&c, 2, &nd);
	if (nd != 2 || !expect(&c, ':'))
		return -1;
	mi = read_num(&c, 2, &nd);
	if (nd != 2 || !expect(&c, ':'))
		return -1;
	sec = read_num(&c, 2, &nd);
	if (nd != 2 || !expect(&c, ' '))
		return -1;
	if (!read_numeric_zone(&c, &off) || c.p != c.end)
		return -1;
	if (gmtoff_r != NULL)
		*gmtoff_r = off;
	return civil_to_time(year, mon, day, h, mi, sec, off);
}
