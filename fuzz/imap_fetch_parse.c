/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_fetch_parse.c: libFuzzer target for FETCH items (RFC 3501 6.4.5,
 * RFC 3516 BINARY, RFC 7162 CHANGEDSINCE).  The input becomes the
 * arguments of "t FETCH 1 ..."; what the command parser accepts goes to
 * imap_fetch_parse() (items, then the optional modifier list), and an
 * accepted request is checked for the parser's promises: every item has a
 * name, partial ranges are not empty, HEADER.FIELDS lists are not empty,
 * part numbers are not 0.  A broken promise aborts.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct fetch_req *r)
{
	const struct fetch_item *it;
	size_t i, j;

	if (r->n == 0 || r->n > IMAP_FETCH_ITEMS_MAX + 1)
		abort();
	if (r->vanished && !r->changedsince_set)
		abort();
	for (i = 0; i < r->n; i++) {
		it = &r->v[i];
		if (it->name == NULL || it->name[0] == '\0')
			abort();
		if (it->partial && it->p_len == 0)
			abort();
		if (it->nparts > IMAP_SECTION_PARTS_MAX)
			abort();
		for (j = 0; j < it->nparts; j++)
			if (it->part[j] == 0)
				abort();
		if ((it->sec == SEC_FIELDS || it->sec == SEC_FIELDS_NOT) !=
		    (it->nfields > 0))
			abort();
		if (it->nfields > IMAP_FETCH_FIELDS_MAX)
			abort();
		for (j = 0; j < it->nfields; j++)
			if (it->fields[j][0] == '\0')
				abort();
		if (it->binary && it->sec != SEC_ALL)
			abort();
		if (it->sec == SEC_MIME && it->nparts == 0)
			abort();
		if (it->kind == FI_SECTION && !it->peek && !r->sets_seen)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_parser p;
	struct fetch_req r;
	struct buf line;

	buf_init(&line, 2 * IMAP_LINE_MAX);
	buf_puts(&line, "t FETCH 1 ");
	buf_append(&line, data, size);
	buf_puts(&line, "\r\n");
	imap_parser_init(&p, 4096);
	if (imap_parse_all(&p, line.data, line.len) == IMAP_PARSE_DONE &&
	    p.args.n >= 4 && imap_fetch_parse(&p.args.v[3],
	    p.args.n >= 5 ? &p.args.v[4] : NULL, &r, NULL) == 0) {
		check(&r);
		imap_fetch_req_free(&r);
	}
	imap_parser_free(&p);
	buf_free(&line);
	return 0;
}
