/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_mime.c: decoding for Email/get (RFC 8621 4.1.2-4.1.4): transfer
 * encodings, charsets to UTF-8 (iconv), RFC 2047 encoded words, and HTML
 * reduced to text for previews.  Pure apart from iconv.
 */
#include "lib/compat.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "jmap/jmap_private.h"

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static void
decode_b64(const char *in, size_t n, struct buf *out)
{
	unsigned acc = 0, bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (in[i] == '=')
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static void
decode_qp(const char *in, size_t n, bool header, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (header && c == '_')
			buf_putc(out, ' ');
		else if (c == '=' && i + 2 < n &&
		    hex_digit_value((unsigned char)in[i + 1]) >= 0 &&
		    hex_digit_value((unsigned char)in[i + 2]) >= 0) {
			buf_putc(out, (char)(hex_digit_value(
			    (unsigned char)in[i + 1]) * 16 +
			    hex_digit_value((unsigned char)in[i + 2])));
			i += 2;
		} else if (c == '=' && i + 1 < n && (in[i + 1] == '\r' ||
		    in[i + 1] == '\n')) {
			/* soft line break */
			i++;
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				i++;
		} else
			buf_putc(out, c);
	}
}

void
jmap_decode_cte(const char *cte, const char *in, size_t n, struct buf *out)
{
	if (cte != NULL && strcasecmp(cte, "base64") == 0)
		decode_b64(in, n, out);
	else if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		decode_qp(in, n, false, out);
	else
		buf_append(out, in, n);
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k, len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Copies UTF-8, replacing invalid bytes with U+FFFD and dropping NULs. */
static void
clean_utf8(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t l = utf8_len((const unsigned char *)in + i, n - i);

		if (l == 0) {
			buf_puts(out, "\xef\xbf\xbd");
			i++;
		} else {
			if (!(l == 1 && in[i] == '\0'))
				buf_append(out, in + i, l);
			i += l;
		}
	}
}

bool
jmap_to_utf8(const char *charset, const char *in, size_t n, struct buf *out)
{
	iconv_t cd;
	char tmp[4096];
	char *ip = (char *)(uintptr_t)in;
	size_t il = n;
	struct buf conv;

	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    strcasecmp(charset, "utf8") == 0) {
		clean_utf8(in, n, out);
		return true;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		clean_utf8(in, n, out);
		return false;
	}
	buf_init(&conv, out->max);
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof(tmp);

		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    op == tmp) {
			if (ol == sizeof(tmp) && il > 0) {
				/* an invalid byte: replace and go on */
				buf_puts(&conv, "\xef\xbf\xbd");
				ip++;
				il--;
				continue;
			}
		}
		buf_append(&conv, tmp, (size_t)(op - tmp));
		if (conv.err != 0)
			break;
	}
	iconv_close(cd);
	clean_utf8(conv.data != NULL ? conv.data : "", conv.len, out);
	buf_free(&conv);
	return true;
}

void
jmap_decode_words(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;
	bool last_word = false;
	size_t pending_ws = 0, ws_at = 0;

	while (i < n) {
		/* =?charset?X?text?= */
		if (in[i] == '=' && i + 1 < n && in[i + 1] == '?') {
			const char *cs = in + i + 2, *q1, *q2, *end;
			size_t rest = n - i - 2;

			q1 = memchr(cs, '?', rest);
			if (q1 != NULL && (size_t)(q1 - in) + 3 < n &&
			    q1[2] == '?' && (q2 = q1 + 2) != NULL &&
			    (end = memmem(q2 + 1, n - (size_t)(q2 + 1 - in),
			    "?=", 2)) != NULL && q1 - cs < 64) {
				char charset[64];
				struct buf raw;
				char enc = q1[1];
				char *star;

				memcpy(charset, cs, (size_t)(q1 - cs));
				charset[q1 - cs] = '\0';
				/* RFC 2231 language suffix */
				if ((star = strchr(charset, '*')) != NULL)
					*star = '\0';
				buf_init(&raw, MIME_HEADER_VALUE_MAX);
				if (enc == 'B' || enc == 'b')
					decode_b64(q2 + 1, (size_t)(end -
					    q2 - 1), &raw);
				else
					decode_qp(q2 + 1, (size_t)(end -
					    q2 - 1), true, &raw);
				/* white space between two encoded words is
				 * dropped (RFC 2047 6.2) */
				if (!last_word && pending_ws > 0)
					buf_append(out, in + ws_at, pending_ws);
				pending_ws = 0;
				(void)jmap_to_utf8(charset, raw.data != NULL ?
				    raw.data : "", raw.len, out);
				buf_free(&raw);
				i = (size_t)(end - in) + 2;
				last_word = true;
				continue;
			}
		}
		if (in[i] == ' ' || in[i] == '\t') {
			if (pending_ws == 0)
				ws_at = i;
			pending_ws++;
			i++;
			continue;
		}
		if (pending_ws > 0) {
			buf_append(out, in + ws_at, pending_ws);
			pending_ws = 0;
		}
		{
			size_t start = i;

			while (i < n && in[i] != ' ' && in[i] != '\t' &&
			    !(in[i] == '=' && i + 1 < n && in[i + 1] == '?'))
				i++;
			if (i == start)
				i++;
			clean_utf8(in + start, i - start, out);
		}
		last_word = false;
	}
	if (pending_ws > 0)
		buf_append(out, in + ws_at, pending_ws);
}

void
jmap_part_text(const struct mime_message *m, const struct mime_part *p,
    struct buf *out)
{
	struct buf dec;
	const char *cs = mime_param_get(p->params, p->nparams, "charset");

	buf_init(&dec, out->max);
	jmap_decode_cte(p->encoding, m->data + p->body_off, p->body_len, &dec);
	(void)jmap_to_utf8(cs, dec.data != NULL ? dec.data : "", dec.len, out);
	buf_free(&dec);
}

void
jmap_html_to_text(const char *in, size_t n, struct buf *out)
{
	static const struct {
		const char *ent, *text;
	} ents[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&nbsp;", " " }, { "&#39;", "'" },
	};
	size_t i = 0, k;
	bool space = false;

	while (i < n) {
		if (in[i] == '<') {
			const char *gt = memchr(in + i, '>', n - i);
			bool skip = (n - i > 7 && strncasecmp(in + i, "<style",
			    6) == 0) || (n - i > 8 && strncasecmp(in + i,
			    "<script", 7) == 0);

			if (gt == NULL)
				break;
			if (skip) {
				const char *close = strcasestr(in + i,
				    in[i + 2] == 't' || in[i + 2] == 'T' ?
				    "</style" : "</script");

				if (close == NULL || close > in + n)
					break;
				gt = memchr(close, '>', n - (size_t)(close -
				    in));
				if (gt == NULL)
					break;
			}
			i = (size_t)(gt - in) + 1;
			space = true;
			continue;
		}
		if (in[i] == '&') {
			for (k = 0; k < N_ELEMENTS(ents); k++) {
				size_t l = strlen(ents[k].ent);

				if (n - i >= l && strncasecmp(in + i,
				    ents[k].ent, l) == 0) {
					buf_puts(out, ents[k].text);
					i += l;
					break;
				}
			}
			if (k < N_ELEMENTS(ents))
				continue;
		}
		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' ||
		    in[i] == '\n') {
			space = true;
			i++;
			continue;
		}
		if (space && out->len > 0)
			buf_putc(out, ' ');
		space = false;
		buf_putc(out, in[i]);
		i++;
	}
}

bool
jmap_param_text(const struct mime_param *params, size_t n, const char *name,
    struct buf *out)
{
	const char *v = mime_param_get(params, n, name), *q1, *q2;
	char ext[64], cs[64];
	struct buf raw;

	if (v != NULL) {
		jmap_decode_words(v, strlen(v), out);
		return true;
	}
	/* RFC 2231 4: name*=charset'language'percent-encoded (the sections
	 * are merged by lib/mime.c, the encoding is undone here) */
	if ((size_t)snprintf(ext, sizeof(ext), "%s*", name) >= sizeof(ext) ||
	    (v = mime_param_get(params, n, ext)) == NULL)
		return false;
	q1 = strchr(v, '\'');
	q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
	if (q2 == NULL || (size_t)(q1 - v) >= sizeof(cs)) {
		jmap_to_utf8(NULL, v, strlen(v), out);
		return true;
	}
	memcpy(cs, v, (size_t)(q1 - v));
	cs[q1 - v] = '\0';
	buf_init(&raw, MIME_HEADER_VALUE_MAX);
	for (v = q2 + 1; *v != '\0'; v++) {
		if (*v == '%' && hex_digit_value((unsigned char)v[1]) >= 0 &&
		    hex_digit_value((unsigned char)v[2]) >= 0) {
			buf_putc(&raw, (char)(hex_digit_value((unsigned char)
			    v[1]) * 16 + hex_digit_value((unsigned char)v[2])));
			v += 2;
		} else
			buf_putc(&raw, *v);
	}
	(void)jmap_to_utf8(cs[0] != '\0' ? cs : NULL, raw.data != NULL ?
	    raw.data : "", raw.len, out);
	buf_free(&raw);
	return true;
}
