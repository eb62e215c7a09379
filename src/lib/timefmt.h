/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt.h: time stamps in the forms mail protocols use, with the real local
 * time zone offset (docs/behaviour.md, B13), and their parsers.
 *
 *   Fri, 27 Nov 2026 23:20:16 -0800    RFC 5322 Date:/Received:
 *   27-Nov-2026 23:20:16 -0800         IMAP INTERNALDATE (RFC 3501), [Server Time]
 *
 * Formatting uses localtime_r() and tm_gmtoff, so it is thread-safe and uses
 * no global buffers; the zone is the process's (TZ, read once by tzset()).
 * Names of days and months are always English, whatever the locale.
 * Parsers are pure: bytes in, a time_t (UTC seconds) or -1 out.
 */
#ifndef TEGAMI_LIB_TIMEFMT_H
#define TEGAMI_LIB_TIMEFMT_H

#include "lib/compat.h"

#include <time.h>

/* Enough for any of the forms below, with a 4-digit year. */
#define TIMEFMT_BUF_MAX		64
/* Longest date text the parsers look at (a Date: header can carry long
 * comments); longer input is rejected. */
#define TIMEFMT_PARSE_MAX	256

/* "Fri, 27 Nov 2026 23:20:16 -0800" (day not padded) into buf.  Returns the
 * length, or 0 (buf "" when size > 0) if t cannot be converted or buf is too
 * small. */
size_t	timefmt_rfc5322(time_t t, char *buf, size_t size);
/* "27-Nov-2026 23:20:16 -0800", day space-padded to two characters
 * (RFC 3501 date-day-fixed), no quotes.  Returns as timefmt_rfc5322(). */
size_t	timefmt_imap(time_t t, char *buf, size_t size);
/* The local zone offset at time t: "-0800", "+0530".  Returns as above. */
size_t	timefmt_zone(time_t t, char *buf, size_t size);
/* The General page's [Server Time] for now: "07-Nov-2026 23:20:16 -0800"
 * (day zero-padded).  Returns as above. */
size_t	timefmt_server_time(char *buf, size_t size);

/* Parses an RFC 5322 date-time (section 3.3), accepting the obsolete syntax
 * of section 4.3: 2- and 3-digit years, zone names UT, GMT, EST, EDT, CST,
 * CDT, MST, MDT, PST, PDT (military letters mean -0000), comments and folding
 * white space; the day name is optional and not checked against the date;
 * seconds are optional.  Returns UTC seconds, or -1 on error; *gmtoff_r (may
 * be NULL) gets the offset written, in seconds east of UTC. */
time_t	timefmt_parse_rfc5322(const char *s, size_t len, int *gmtoff_r);
/* Parses an IMAP date-time (RFC 3501: "dd-Mon-yyyy hh:mm:ss +zzzz", the day
 * 1 or 2 digits or space-padded, quotes optional).  Returns as above.
 * Both parsers take years 1900-9999 only (and 1969-12-31 23:59:59 UTC reads
 * as -1, like an error). */
time_t	timefmt_parse_imap(const char *s, size_t len, int *gmtoff_r);

/* Days from 1970-01-01 to y-m-d (m 1-12), proleptic Gregorian, negative
 * before 1970 (H. Hinnant's days_from_civil).  Pure arithmetic, no zone. */
long long	timefmt_days_from_civil(long long y, int m, int d);

#endif
