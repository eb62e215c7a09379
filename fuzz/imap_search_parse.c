/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_search_parse.c: libFuzzer target for SEARCH keys (RFC 3501 6.4.4,
 * RFC 7162 MODSEQ).  The input becomes the arguments of "t SEARCH ...";
 * what the command parser accepts goes to imap_search_parse(), and a tree
 * it accepts is evaluated against a small message (held in memory, so the
 * header, date and text paths all run) and freed.  Also feeds the input to
 * the date parser and the RFC 2047 header decoder, and the first argument
 * to the RETURN option and CHARSET checks.  Leaks and overreads
 * show up under ASan.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char msg[] =
    "Date: Sat, 24 Mar 2007 23:00:00 -0200\r\n"
    "From: =?UTF-8?B?SGFsbG8=?= <a@x.org>\r\n"
    "To: b@y.org, \"C\" <c@z.org>\r\n"
    "Subject: Re: [list] hello\r\n"
    "Message-ID: <1@x.org>\r\n"
    "\r\n"
    "body text\r\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser p;
	struct search_key k;
	struct search_msg m;
	struct buf line, raw;
	int32_t day;
	unsigned ret;

	day = imap_parse_day((const char *)data, size);
	if (day < -1)
		abort();
	buf_init(&raw, 64 * 1024);
	imap_decode_header((const char *)data, size, &raw);
	buf_free(&raw);

	buf_init(&line, 2 * IMAP_LINE_MAX);
	buf_puts(&line, "t SEARCH ");
	buf_append(&line, data, size);
	buf_puts(&line, "\r\n");
	imap_parser_init(&p, 4096);
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE &&
	    p.args.n >= 3) {
		/* what may precede the keys: RETURN (...), CHARSET x */
		if (imap_search_return(&p.args.v[2], &ret, NULL) == 0 &&
		    (ret == 0 || ret > 0x0f))
			abort();
		(void)imap_search_charset(&p.args.v[2], NULL);
	}
	if (p.args.n >= 3 && imap_search_parse(&p.args.v[2], p.args.n - 2,
	    10, 100, &k, NULL) == 0) {
		if (k.kind != SK_AND || k.nsub == 0)
			abort();
		raw.data = (char *)msg;
		raw.len = sizeof(msg) - 1;
		memset(&m, 0, sizeof(m));
		m.seq = 3;
		m.uid = 30;
		m.size = raw.len;
		m.modseq = 5;
		m.internaldate = 1175000000;
		m.keywords = "$Junk";
		m.hdr_size = raw.len - 11;
		m.raw = &raw;
		if (imap_search_match(&k, &m) < 0)
			abort();
		(void)imap_search_needs(&k);
		(void)imap_search_has_modseq(&k);
		imap_search_free(&k);
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
