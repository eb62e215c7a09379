/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_reply.c: libFuzzer target for the SMTP client's reply parser
 * (src/delivery/smtp_out_reply.c).  The input is split at LF (a trailing CR
 * dropped, as the line reader does) and fed line by line as replies, each
 * line also as an EHLO extension line; a finished or refused reply starts
 * a new one.  Invariants: the kept text stays NUL-terminated within its
 * ceiling and has no control bytes, the code of a taken line is 200..599,
 * the status is empty or "d.d+.d+" starting with the code's class, and the
 * formatted reply fits its buffer.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/smtp_out_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct smtp_out_reply *r)
{
	char buf[SMTP_REPLY_TEXT_MAX + 32];
	size_t i;

	if (r->text_len > SMTP_REPLY_TEXT_MAX || r->text[r->text_len] != '\0' ||
	    strlen(r->text) != r->text_len)
		abort();
	for (i = 0; i < r->text_len; i++)
		if ((unsigned char)r->text[i] < 0x20 || r->text[i] == 0x7f)
			abort();
	if (r->nlines > 0 && (r->code < 200 || r->code > 599))
		abort();
	if (r->status[0] != '\0' && (r->status[0] != '0' + r->code / 100 ||
	    r->status[1] != '.'))
		abort();
	smtp_out_reply_format(r, buf, sizeof(buf));
	if (memchr(buf, '\0', sizeof(buf)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	struct smtp_out_reply r;
	struct smtp_out_ext e;
	size_t len;
	int rc;

	smtp_out_reply_init(&r);
	memset(&e, 0, sizeof(e));
	while (size > 0) {
		nl = memchr(p, '\n', size);
		len = nl != NULL ? (size_t)(nl - p) : size;
		if (len > SMTP_REPLY_LINE_MAX)
			return 0;
		rc = smtp_out_reply_line(&r, p, len > 0 && p[len - 1] == '\r' ?
		    len - 1 : len, NULL);
		smtp_out_ext_line(&e, p, len);
		if (rc < -1 || rc > 1)
			abort();
		check(&r);
		if (rc != 0)
			smtp_out_reply_init(&r);
		if (nl == NULL)
			break;
		size -= len + 1;
		p += len + 1;
	}
	return 0;
}
