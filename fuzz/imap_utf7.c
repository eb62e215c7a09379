/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_utf7.c: libFuzzer target for modified UTF-7 (RFC 3501 5.1.3).  The
 * input is tried both ways: as modified UTF-7, which must decode either to
 * an error or to UTF-8 that encodes back to exactly the input (the decoder
 * accepts only the canonical form), and as UTF-8, which must encode either
 * to an error or to 7-bit text that decodes back to exactly the input.
 * Any mismatch aborts.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/imap_utf7.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same(const struct buf *b, const uint8_t *data, size_t size)
{
	return b->err == 0 && b->len == size &&
	    (size == 0 || memcmp(b->data, data, size) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct buf a, b;
	size_t i;

	buf_init(&a, 64 * 1024);
	buf_init(&b, 64 * 1024);
	/* UTF-7 -> UTF-8 -> UTF-7 */
	if (imap_utf7_to_utf8(in, size, &a, NULL) == 0) {
		if (imap_utf8_to_utf7(a.data, a.len, &b, NULL) < 0 ||
		    !same(&b, data, size))
			abort();
	}
	/* UTF-8 -> UTF-7 -> UTF-8 */
	buf_reset(&a);
	buf_reset(&b);
	if (imap_utf8_to_utf7(in, size, &a, NULL) == 0) {
		for (i = 0; i < a.len; i++)
			if ((unsigned char)a.data[i] < 0x20 ||
			    (unsigned char)a.data[i] > 0x7e)
				abort();	/* not 7-bit printable */
		if (imap_utf7_to_utf8(a.data, a.len, &b, NULL) < 0 ||
		    !same(&b, data, size))
			abort();
	}
	buf_free(&a);
	buf_free(&b);
	return 0;
}
