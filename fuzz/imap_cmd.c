/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd.c: libFuzzer target for the IMAP command parser.  The input is
 * fed in fragments whose sizes come from the first byte (so literals and
 * CRLFs get split everywhere); every complete command is then run through
 * the FETCH item and SEARCH key parsers and sequence sets, and rendered
 * back.  Leaks and overreads show up under ASan.
 *
 * When the first byte has its high bit set, the rest is a literal size
 * instead (each byte one digit): the announcement "t APPEND x {digits+}"
 * must come back as IMAP_PARSE_LITERAL with the size saturated at
 * IMAP_LITERAL_HUGE, whatever the digit count (2^64 and far beyond), never
 * as a syntax error that would let the literal's bytes be read as commands.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_utf7.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(struct imap_parser *p)
{
	struct fetch_req fr;
	struct search_key sk;
	struct imap_seqset ss;
	struct buf out;
	size_t i;

	buf_init(&out, 1024 * 1024);
	imap_args_write(&out, p->args.v, p->args.n);
	if (p->args.n >= 3) {
		const struct imap_arg *a = &p->args.v[2];

		if (imap_fetch_parse(a, p->args.n >= 4 ? &p->args.v[3] : NULL,
		    &fr, NULL) == 0)
			imap_fetch_req_free(&fr);
		if (imap_search_parse(a, p->args.n - 2, 10, 100, &sk,
		    NULL) == 0)
			imap_search_free(&sk);
		if (a->type == IMAP_ARG_ATOM && imap_seqset_parse(
		    strv_make(a->str, a->len), 7, &ss, NULL) == 0) {
			for (i = 0; i + 1 < ss.n; i++)
				if (ss.v[i].hi >= ss.v[i + 1].lo)
					abort();	/* must be merged */
			imap_seqset_free(&ss);
		}
		if (imap_arg_is_astring(a)) {
			buf_reset(&out);
			(void)imap_utf7_to_utf8(a->str, a->len, &out, NULL);
		}
	}
	buf_free(&out);
}

/* The literal-size path; see the file comment. */
static void
literal_size(const uint8_t *data, size_t size)
{
	struct imap_parser p;
	enum imap_parse_rc rc;
	struct buf line;
	uint64_t want = 0;
	bool lit8 = (data[0] & 0x40) != 0, nonsync = (data[0] & 0x20) != 0;
	size_t i, used, chunk = (size_t)(data[0] % 7) + 1, off;
	unsigned d;

	buf_init(&line, 64 * 1024);
	buf_puts(&line, lit8 ? "t APPEND x ~{" : "t APPEND x {");
	for (i = 1; i < size && i < 4096; i++) {
		d = data[i] % 10;
		buf_putc(&line, (char)('0' + d));
		if (want > (UINT64_MAX - d) / 10)
			want = IMAP_LITERAL_HUGE;
		else if (want != IMAP_LITERAL_HUGE)
			want = want * 10 + d;
	}
	if (size == 1)
		buf_putc(&line, '0');
	buf_puts(&line, nonsync ? "+}\r\n" : "}\r\n");
	imap_parser_init(&p, 4096);
	rc = IMAP_PARSE_MORE;
	for (off = 0; off < line.len && rc == IMAP_PARSE_MORE; off += used) {
		size_t n = line.len - off < chunk ? line.len - off : chunk;

		rc = imap_parser_feed(&p, line.data + off, n, &used);
	}
	if (rc != IMAP_PARSE_LITERAL || off != line.len ||
	    p.lit_len != want || p.lit_nonsync != nonsync ||
	    p.lit8 != lit8 || strcmp(p.tag, "t") != 0)
		abort();
	if (want <= p.lit_max) {	/* accepted: data, then the end */
		buf_reset(&line);
		for (i = 0; i < want; i++)
			buf_putc(&line, 'x');
		buf_puts(&line, "\r\n");
		rc = imap_parse_all(&p, line.data, line.len);
		if (want > 0 && (rc != IMAP_PARSE_DONE || p.args.n != 4 ||
		    p.args.v[3].len != want))
			abort();
	}
	imap_parser_free(&p);
	buf_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser p;
	enum imap_parse_rc rc;
	size_t off = 1, used, chunk;

	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		literal_size(data, size);
		return 0;
	}
	chunk = (size_t)(data[0] % 17) + 1;
	imap_parser_init(&p, 4096);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		rc = imap_parser_feed(&p, (const char *)data + off, n, &used);
		if (used > n)
			abort();
		off += used;
		if (rc == IMAP_PARSE_LITERAL && p.lit_len > p.lit_max)
			rc = IMAP_PARSE_ERROR;
		if (rc == IMAP_PARSE_DONE)
			exercise(&p);
		if (rc == IMAP_PARSE_DONE || rc == IMAP_PARSE_ERROR) {
			imap_parser_reset(&p);
			if (used == 0)
				off++;		/* skip the offending byte */
		}
	}
	imap_parser_free(&p);
	return 0;
}
