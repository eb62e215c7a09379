/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vacation.c: libFuzzer target for the auto-reply's reading of a delivered
 * message (src/delivery/vacation.c): vacation_check() over its header and
 * vacation_compose() of the reply to it (the original's Subject,
 * Message-ID and References carried over).  Invariants: the reply's
 * header lines end in CRLF, are at most 998 bytes and hold no NUL, and
 * the first input line doubles as a UTCDate given to vacation_parse_date()
 * (a result is -1 or a time from 1970 on).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/vacation.h"
#include "lib/bounds.h"
#include "lib/buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const rcpts[] = { "u@x.example" };

static void
check_header(const struct buf *b)
{
	size_t i, start = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\0')
			abort();
		if (b->data[i] == '\n') {
			if (i == 0 || b->data[i - 1] != '\r' ||
			    i - 1 - start > 998)
				abort();
			if (i - 1 == start)
				return;
			start = i + 1;
		} else if (b->data[i] == '\r' && (i + 1 >= b->len ||
		    b->data[i + 1] != '\n'))
			abort();
	}
	abort();		/* no end of header */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vacation_cfg v;
	struct buf b;
	char line[64];
	const char *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - (const char *)data) : size;

	if (size > 256 * 1024)
		return 0;
	if (n < sizeof(line)) {
		memcpy(line, data, n);
		line[n] = '\0';
		if (vacation_parse_date(line) < -1)
			abort();
	}
	(void)vacation_check("a@y.example", rcpts, 1, (const char *)data,
	    size);
	memset(&v, 0, sizeof(v));
	v.text = (char *)"away";
	if (size > 0 && (data[0] & 1))
		v.html = (char *)"<p>away</p>";
	buf_init(&b, VACATION_REPLY_MAX);
	vacation_compose(&v, "u@x.example", "a@y.example", (const char *)data,
	    size, 0, 1, &b);
	if (b.err == 0)
		check_header(&b);
	buf_free(&b);
	return 0;
}
