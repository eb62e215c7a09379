/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_mime.c: 8BITMIME downgrade (RFC 6152 3: a message with 8-bit
 * data for a host without 8BITMIME is converted).  Every leaf part whose
 * body has 8-bit bytes is re-encoded as quoted-printable (RFC 2045 6.7),
 * its Content-Transfer-Encoding field replaced; the rest of the message is
 * copied byte for byte.  MIME-Version: 1.0 is added to a message without
 * it whose own body is converted.  8-bit bytes in header fields are left
 * as they are (only RFC 2047 could carry them).  Pure; unit-tested.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delivery/smtp_out_private.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"

#define QP_LINE_MAX	76	/* RFC 2045 6.7 (5) */

bool
smtp_out_has_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

/* RFC 2045 6.7: quoted-printable of p[0..len), CRLF line breaks. */
static void
qp_encode(struct buf *out, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, end, col, linelen;
	unsigned char ch;
	char enc[4];
	size_t elen;

	for (i = 0; i < len; i = end + 1) {
		const char *nl = memchr(p + i, '\n', len - i);

		end = nl != NULL ? (size_t)(nl - p) : len;
		linelen = end - i;
		if (linelen > 0 && nl != NULL && p[end - 1] == '\r')
			linelen--;
		col = 0;
		for (size_t k = 0; k < linelen; k++) {
			ch = (unsigned char)p[i + k];
			if ((ch >= 33 && ch <= 126 && ch != '=') ||
			    ((ch == ' ' || ch == '\t') && k + 1 < linelen)) {
				enc[0] = (char)ch;
				elen = 1;
			} else {
				enc[0] = '=';
				enc[1] = hex[ch >> 4];
				enc[2] = hex[ch & 15];
				elen = 3;
			}
			if (col + elen > QP_LINE_MAX - 1) {
				buf_puts(out, "=\r\n");	/* soft break */
				col = 0;
			}
			buf_append(out, enc, elen);
			col += elen;
		}
		if (nl != NULL)
			buf_puts(out, "\r\n");
		if (nl == NULL)
			break;
	}
}

/* The header block data[off, off + len) without Content-Transfer-Encoding
 * (and its continuation lines), then "Content-Transfer-Encoding:
 * quoted-printable" (and MIME-Version when add_version) before the blank
 * line. */
static void
rewrite_header(struct buf *out, const char *data, size_t off, size_t len,
    bool add_version)
{
	size_t pos = off, end = off + len, eol, body_end = end;
	bool skipping = false;

	/* The blank line that ends the block stays last. */
	if (len >= 2 && data[end - 1] == '\n') {
		body_end = end - 1;
		if (body_end > off && data[body_end - 1] == '\r')
			body_end--;
	}
	while (pos < body_end) {
		const char *nl = memchr(data + pos, '\n', body_end - pos);

		eol = nl != NULL ? (size_t)(nl - data) + 1 : body_end;
		if (data[pos] == ' ' || data[pos] == '\t') {
			if (!skipping)
				buf_append(out, data + pos, eol - pos);
		} else {
			skipping = eol - pos >= 26 && strncasecmp(data + pos,
			    "Content-Transfer-Encoding:", 26) == 0;
			if (!skipping)
				buf_append(out, data + pos, eol - pos);
		}
		pos = eol;
	}
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_puts(out, "\r\n");
	if (add_version)
		buf_puts(out, "MIME-Version: 1.0\r\n");
	buf_puts(out, "Content-Transfer-Encoding: quoted-printable\r\n");
	buf_append(out, data + body_end, end - body_end);
	if (end == body_end)
		buf_puts(out, "\r\n");
}

/* Leaf parts with 8-bit bodies, in order, into v (at most max). */
static void
collect(const struct mime_message *mm, const struct mime_part *p,
    const struct mime_part **v, size_t max, size_t *n)
{
	for (; p != NULL; p = p->next) {
		if (p->is_multipart || p->is_message) {
			collect(mm, p->child, v, max, n);
			continue;
		}
		if (*n < max && p->body_len > 0 &&
		    smtp_out_has_8bit(mm->data + p->body_off, p->body_len))
			v[(*n)++] = p;
	}
}

int
smtp_out_downgrade(const char *data, size_t len, struct buf *out)
{
	struct mime_message *mm;
	const struct mime_part **leaves;
	struct buf ver;
	size_t n = 0, i, pos = 0;
	bool has_version;

	if (!smtp_out_has_8bit(data, len))
		return 0;
	mm = mime_parse(data, len);
	leaves = xcalloc(MIME_PARTS_MAX, sizeof(*leaves));
	collect(mm, mm->root, leaves, MIME_PARTS_MAX, &n);
	buf_init(&ver, 256);
	has_version = mime_header_get(data, mm->root->hdr_off,
	    mm->root->hdr_len, "MIME-Version", &ver);
	buf_free(&ver);
	for (i = 0; i < n; i++) {
		const struct mime_part *p = leaves[i];

		buf_append(out, data + pos, p->hdr_off - pos);
		rewrite_header(out, data, p->hdr_off, p->hdr_len,
		    p == mm->root && !has_version);
		/* Between the header block and the body: nothing, normally. */
		if (p->body_off > p->hdr_off + p->hdr_len)
			buf_append(out, data + p->hdr_off + p->hdr_len,
			    p->body_off - p->hdr_off - p->hdr_len);
		qp_encode(out, data + p->body_off, p->body_len);
		pos = p->body_off + p->body_len;
	}
	buf_append(out, data + pos, len - pos);
	free(leaves);
	mime_free(&mm);
	return n > 0 ? 1 : 0;
}
