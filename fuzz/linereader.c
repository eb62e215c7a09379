/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/linereader.c: libFuzzer target for net/linereader.  The first byte
 * picks the mode and max line length, the second the chunk size; the rest is
 * input.  The input is split all at once and in chunks, and both runs must
 * give the same results (the lines, and whether a CR LF came before each);
 * every line must respect max and hold no LF.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "net/linereader.h"

#define FUZZ_BUF_MAX	(1024 * 1024)

static void
drain(struct linereader *lr, size_t max, enum line_mode mode, struct buf *out)
{
	struct strv line;
	enum line_rc rc;

	while ((rc = linereader_next(lr, max, mode, &line)) != LINE_AGAIN) {
		if (rc != LINE_OK && rc != LINE_BARE_LF && rc != LINE_TOOLONG)
			abort();
		if (rc == LINE_TOOLONG) {
			if (line.len != 0)
				abort();
		} else if (line.len > max ||
		    (line.len > 0 && memchr(line.p, '\n', line.len) != NULL))
			abort();
		if (rc == LINE_BARE_LF && mode != LINE_CRLF_ONLY)
			abort();
		buf_putc(out, (char)('0' + rc));
		/* The terminator before each line (SMTP DATA's CRLF.CRLF
		 * check) must not depend on how the input was split. */
		if (rc != LINE_TOOLONG)
			buf_putc(out, linereader_prev_crlf(lr) ? 'C' : 'L');
		buf_append(out, &line.len, sizeof(line.len));
		buf_append(out, line.p, line.len);
	}
}

static void
split(const uint8_t *p, size_t n, size_t step, size_t max,
    enum line_mode mode, struct buf *out)
{
	struct linereader lr;
	size_t off, k;

	linereader_init(&lr, FUZZ_BUF_MAX);
	for (off = 0; off < n; off += k) {
		k = n - off < step ? n - off : step;
		if (linereader_feed(&lr, p + off, k) != 0)
			abort();
		drain(&lr, max, mode, out);
		/* Bounded: a partial line never exceeds max + 1 bytes. */
		if (linereader_pending(&lr) > max + 1)
			abort();
	}
	linereader_free(&lr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	enum line_mode mode;
	size_t max, step;

	if (size < 2 || size > FUZZ_BUF_MAX)
		return 0;
	mode = (data[0] & 0x80) ? LINE_LF_OK : LINE_CRLF_ONLY;
	max = data[0] & 0x7f;
	step = (size_t)data[1] % 17 + 1;
	data += 2;
	size -= 2;
	buf_init(&a, 4 * FUZZ_BUF_MAX);
	buf_init(&b, 4 * FUZZ_BUF_MAX);
	split(data, size, size > 0 ? size : 1, max, mode, &a);
	split(data, size, step, max, mode, &b);
	if (a.err != 0 || b.err != 0 || a.len != b.len ||
	    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
