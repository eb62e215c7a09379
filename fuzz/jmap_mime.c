/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/jmap_mime.c: libFuzzer target for JMAP's decoders
 * (src/jmap/jmap_mime.c): RFC 2047 encoded words, base64 and
 * quoted-printable bodies, charset conversion, HTML reduced to text and
 * RFC 2231 parameter values, all on the raw input.  The output must be
 * valid UTF-8 wherever the decoder promises it.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "jmap/jmap_private.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_utf8(const struct buf *b)
{
	size_t i = 0;

	while (i < b->len) {
		unsigned char c = (unsigned char)b->data[i];
		size_t l = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		size_t k;

		if (c >= 0x80 && (c < 0xc2 || c > 0xf4))
			abort();
		if (i + l > b->len)
			abort();
		for (k = 1; k < l; k++)
			if (((unsigned char)b->data[i + k] & 0xc0) != 0x80)
				abort();
		i += l;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf out, text;

	buf_init(&out, 4 * size + 64);
	jmap_decode_words(s, size, &out);
	if (out.err == 0)
		check_utf8(&out);
	buf_reset(&out);
	jmap_decode_cte("base64", s, size, &out);
	if (out.len > size)
		abort();
	buf_reset(&out);
	jmap_decode_cte("quoted-printable", s, size, &out);
	if (out.len > size)
		abort();
	buf_reset(&out);
	(void)jmap_to_utf8("iso-8859-1", s, size, &out);
	buf_reset(&out);
	(void)jmap_to_utf8("utf-8", s, size, &out);
	if (out.err == 0)
		check_utf8(&out);
	buf_init(&text, size + 1);
	buf_append(&text, s, size);	/* NUL-terminated copy */
	buf_reset(&out);
	jmap_html_to_text(text.data != NULL ? text.data : "", text.len, &out);
	{
		/* an RFC 2231 parameter value: charset'lang'%XX */
		struct mime_param p = { "filename*", text.data != NULL ?
		    text.data : (char *)"" };

		buf_free(&out);
		buf_init(&out, MIME_HEADER_VALUE_MAX * 4);
		if (jmap_param_text(&p, 1, "filename", &out) && out.err == 0)
			check_utf8(&out);
	}
	buf_free(&text);
	buf_free(&out);
	return 0;
}
