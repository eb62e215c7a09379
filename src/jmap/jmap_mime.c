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
#include "lib/utf8.h"
#include "jmap/jmap_private.h"

void
jmap_decode_cte(const char *cte, const char *in, size_t n, struct buf *out)
{
	mime_decode_cte(cte, in, n, out);
}

/* Copies UTF-8, replacing invalid bytes with U+FFFD and dropping NULs. */
static void
clean_utf8(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t l = utf8_seq_len((const unsigned char *)in + i,
		    n - i);

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

/* Encoded words through iconv, the text between them cleaned as UTF-8. */
static void
words_text(const char *charset, const char *in, size_t n, struct buf *out)
{
	if (charset == NULL)
		clean_utf8(in, n, out);
	else
		(void)jmap_to_utf8(charset, in, n, out);
}

void
jmap_decode_words(const char *in, size_t n, struct buf *out)
{
	mime_decode_words(in, n, 0, words_text, out);
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
