/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt_parse.c: libFuzzer target for the lib/timefmt parsers.  Feeds the
 * input to both; whatever parses must format back (in UTC) to text that
 * parses to the same time.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/timefmt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(time_t t)
{
	char buf[TIMEFMT_BUF_MAX];
	size_t len;

	if (t == -1)
		return;
	len = timefmt_rfc5322(t, buf, sizeof(buf));
	if (len > 0 && timefmt_parse_rfc5322(buf, len, NULL) != t)
		abort();
	len = timefmt_imap(t, buf, sizeof(buf));
	if (len > 0 && timefmt_parse_imap(buf, len, NULL) != t)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		setenv("TZ", "UTC", 1);
		tzset();
		init = true;
	}
	check(timefmt_parse_rfc5322((const char *)data, size, NULL));
	check(timefmt_parse_imap((const char *)data, size, NULL));
	return 0;
}
