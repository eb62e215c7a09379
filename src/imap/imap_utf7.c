/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_utf7.c: modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8.  Printable ASCII
 * other than '&' stands for itself, "&-" is '&', and "&...-" holds UTF-16BE
 * in base64 with ',' for '/' and no padding.
 */
#include "lib/compat.h"

#include "lib/mime.h"
#include "imap/imap_utf7.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static void
put_utf8(struct buf *out, uint32_t cp)
{
	if (cp < 0x80)
		buf_putc(out, (char)cp);
	else if (cp < 0x800) {
		buf_putc(out, (char)(0xc0 | (cp >> 6)));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(out, (char)(0xe0 | (cp >> 12)));
		buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(out, (char)(0xf0 | (cp >> 18)));
		buf_putc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

int
imap_utf7_to_utf8(const char *in, size_t len, struct buf *out,
    struct error *err_r)
{
	size_t i = 0, start;
	uint32_t bits, nbits, u, hi;
	unsigned char c;
	int v;
	bool after_shift = false;	/* the last byte closed a base64 run */

	while (i < len) {
		c = (unsigned char)in[i];
		if (c < 0x20 || c > 0x7e)
			return error_set(err_r, ERR_SYNTAX,
			    "Mailbox name is not 7-bit modified UTF-7");
		if (c != '&') {
			buf_putc(out, (char)c);
			i++;
			after_shift = false;
			continue;
		}
		i++;
		if (i < len && in[i] == '-') {
			buf_putc(out, '&');
			i++;
			after_shift = false;
			continue;
		}
		/* "&AOQ-&APY-" is "&AOQA9g-" written in two runs: one name
		 * would have two wire forms (the encoder writes one run) */
		if (after_shift)
			return error_set(err_r, ERR_SYNTAX,
			    "Non-canonical modified UTF-7 in mailbox name");
		bits = nbits = 0;
		hi = 0;
		start = i;
		for (; i < len && in[i] != '-'; i++) {
			v = mime_base64_value((unsigned char)in[i], ',');
			if (v < 0)
				return error_set(err_r, ERR_SYNTAX,
				    "Invalid modified UTF-7 in mailbox name");
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			u = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			if (hi != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					return error_set(err_r, ERR_SYNTAX,
					    "Unpaired surrogate in mailbox name");
				put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) +
				    (u - 0xdc00));
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff)
				hi = u;
			else if (u >= 0xdc00 && u <= 0xdfff)
				return error_set(err_r, ERR_SYNTAX,
				    "Unpaired surrogate in mailbox name");
			else if (u >= 0x20 && u <= 0x7e)
				return error_set(err_r, ERR_SYNTAX,
				    "ASCII encoded in modified UTF-7");
			else if (u == 0)
				/* names are C strings: "a&AAA-b" would
				 * be read as "a" */
				return error_set(err_r, ERR_SYNTAX,
				    "NUL in mailbox name");
			else
				put_utf8(out, u);
		}
		if (i >= len || i == start || hi != 0 || nbits >= 6 ||
		    bits != 0)
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid modified UTF-7 in mailbox name");
		i++;			/* '-' */
		after_shift = true;
	}
	return 0;
}

/* Decodes one UTF-8 sequence at s[*ip]; -1 if invalid. */
static int
get_utf8(const unsigned char *s, size_t len, size_t *ip, uint32_t *cp_r)
{
	size_t i = *ip, n, k;
	uint32_t cp, min;

	if (s[i] < 0x80) {
		*cp_r = s[i];
		*ip = i + 1;
		return 0;
	}
	if ((s[i] & 0xe0) == 0xc0) {
		n = 1;
		cp = s[i] & 0x1f;
		min = 0x80;
	} else if ((s[i] & 0xf0) == 0xe0) {
		n = 2;
		cp = s[i] & 0x0f;
		min = 0x800;
	} else if ((s[i] & 0xf8) == 0xf0) {
		n = 3;
		cp = s[i] & 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - i <= n)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*cp_r = cp;
	*ip = i + n + 1;
	return 0;
}

static void
flush_b64(struct buf *out, uint32_t *bits, unsigned *nbits)
{
	if (*nbits > 0)
		buf_putc(out, b64chars[(*bits << (6 - *nbits)) & 0x3f]);
	*bits = 0;
	*nbits = 0;
}

static void
put_u16(struct buf *out, uint32_t u, uint32_t *bits, unsigned *nbits)
{
	*bits = (*bits << 16) | u;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		buf_putc(out, b64chars[(*bits >> *nbits) & 0x3f]);
	}
	*bits &= (1u << *nbits) - 1;
}

int
imap_utf8_to_utf7(const char *in, size_t len, struct buf *out,
    struct error *err_r)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	uint32_t cp, bits = 0;
	unsigned nbits = 0;
	bool shifted = false;

	while (i < len) {
		if (get_utf8(s, len, &i, &cp) < 0 || cp == 0)
			return error_set(err_r, ERR_SYNTAX,
			    "Mailbox name is not valid UTF-8");
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted) {
				flush_b64(out, &bits, &nbits);
				buf_putc(out, '-');
				shifted = false;
			}
			if (cp == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, (char)cp);
			continue;
		}
		if (!shifted) {
			buf_putc(out, '&');
			shifted = true;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_u16(out, 0xd800 + (cp >> 10), &bits, &nbits);
			put_u16(out, 0xdc00 + (cp & 0x3ff), &bits, &nbits);
		} else
			put_u16(out, cp, &bits, &nbits);
	}
	if (shifted) {
		flush_b64(out, &bits, &nbits);
		buf_putc(out, '-');
	}
	return 0;
}
