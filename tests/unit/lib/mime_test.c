/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_test.c: the transfer-encoding decoders and RFC 2047 encoded words of
 * lib/mime.h (and the encoders, checked through the decoders), which IMAP (SEARCH, BINARY[]) and JMAP (Email/get) share.
 * Inputs are fed whole and split at every byte (a decoder must not care
 * where a caller's buffer was cut for base64, whose state is per call).
 */
#include "lib/compat.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/test.h"

struct decode_case {
	const char	*in;
	const char	*out;
	size_t		 outlen;	/* 0: strlen(out) */
};

/* Runs each case through decode (whole input), comparing bytes. */
static void
run_cases(void (*decode)(const char *, size_t, struct buf *),
    const struct decode_case *cases, size_t n)
{
	struct buf b;
	size_t i, len;

	buf_init(&b, 1024);
	for (i = 0; i < n; i++) {
		test_begin(cases[i].in);
		buf_reset(&b);
		decode(cases[i].in, strlen(cases[i].in), &b);
		len = cases[i].outlen > 0 ? cases[i].outlen :
		    strlen(cases[i].out);
		test_assert(b.len == len &&
		    memcmp(buf_cstr(&b), cases[i].out, len) == 0);
		test_end();
	}
	buf_free(&b);
}

static void
test_base64(void)
{
	static const struct decode_case cases[] = {
		{ "", "", 0 },
		{ "SGFsbG8=", "Hallo", 0 },
		{ "SGFs\r\nbG8", "Hallo", 0 },		/* line break, no pad */
		{ "SGFsbA", "Hall", 0 },		/* 2 left: 1 byte */
		/* 3 left, 6 bits spare */
		{ "SGFsbG", "Hall", 0 },
		{ "S", "", 0 },				/* 1 left: nothing */
		{ "SG*F$s bG8=junk", "Hallo", 0 },	/* junk, stop at = */
		{ "AP8A/w==", "\0\xff\0\xff", 4 },
		{ "+/+/", "\xfb\xff\xbf", 0 },
	};
	struct buf small;

	run_cases(mime_decode_base64, cases, N_ELEMENTS(cases));
	test_begin("base64 past the buffer's ceiling is a sticky error");
	buf_init(&small, 4);
	mime_decode_base64("SGFsbG8gd29ybGQ=", 16, &small);
	test_assert(small.err != 0);
	buf_free(&small);
	test_end();
	test_begin("base64 digits: '/' for MIME, ',' for modified UTF-7");
	test_assert(mime_base64_value('/', '/') == 63);
	test_assert(mime_base64_value(',', '/') == -1);
	test_assert(mime_base64_value(',', ',') == 63);
	test_assert(mime_base64_value('=', '/') == -1);
	test_end();
}

static void
test_qp(void)
{
	static const struct decode_case cases[] = {
		{ "", "", 0 },
		{ "a=3Db", "a=b", 0 },
		{ "a=3db", "a=b", 0 },			/* lower-case hex */
		/* invalid escape kept */
		{ "a=zzb", "a=zzb", 0 },
		{ "soft=\r\nbreak", "softbreak", 0 },
		/* blanks after = */
		{ "soft= \t\r\nbreak", "softbreak", 0 },
		{ "soft=\nbreak", "softbreak", 0 },
		{ "end=", "end", 0 },
		{ "end=4", "end=4", 0 },
		{ "trail  \r\nx", "trail\r\nx", 0 },	/* 6.7 (3) */
		/* encoded blank stays */
		{ "x=20 \r\n", "x \r\n", 0 },
		{ "a_b", "a_b", 0 },			/* "_" only in words */
		{ "a=00b", "a\0b", 3 },
		{ "hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n"
		  "=62\r\nx=20 \r\n",
		  "hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nx \r\n", 0 },
	};

	run_cases(mime_decode_qp, cases, N_ELEMENTS(cases));
}

static void
test_cte(void)
{
	struct buf b;

	buf_init(&b, 1024);
	test_begin("cte picks the decoder by name, any case");
	mime_decode_cte("BASE64", "SGk=", 4, &b);
	test_assert_str(buf_cstr(&b), "Hi");
	buf_reset(&b);
	mime_decode_cte("Quoted-Printable", "H=69", 4, &b);
	test_assert_str(buf_cstr(&b), "Hi");
	buf_reset(&b);
	mime_decode_cte("8bit", "H=69", 4, &b);
	test_assert_str(buf_cstr(&b), "H=69");
	buf_reset(&b);
	mime_decode_cte(NULL, "SGk=", 4, &b);
	test_assert_str(buf_cstr(&b), "SGk=");
	test_end();
	buf_free(&b);
}

/* Marks each piece: [charset|text] for words, the text alone otherwise. */
static void
mark_text(const char *charset, const char *p, size_t n, struct buf *out)
{
	if (charset == NULL) {
		buf_append(out, p, n);
		return;
	}
	buf_printf(out, "[%s|%.*s]", charset, (int)n, p);
}

static void
test_words(void)
{
	static const struct {
		const char	*in;
		unsigned	 flags;
		const char	*out;
	} cases[] = {
		{ "plain  text", 0, "plain  text" },
		{ "plain  text", MIME_WORDS_FOLD_WS, "plain text" },
		{ "=?UTF-8?B?SGFsbG8=?=", 0, "[UTF-8|Hallo]" },
		{ "=?utf-8?b?SGFsbG8?=", 0, "[utf-8|Hallo]" },
		{ "=?iso-8859-1?Q?W=F6rld_x?=", 0, "[iso-8859-1|W\xf6rld x]" },
		{ "=?iso-8859-1*de?Q?a?=", 0, "[iso-8859-1|a]" },
		/* RFC 2047 6.2: blanks between words go, others stay */
		{ "=?a?Q?x?= \t =?a?Q?y?=", 0, "[a|x][a|y]" },
		{ "x =?a?Q?y?= z", 0, "x [a|y] z" },
		{ "x =?a?Q?y?= z", MIME_WORDS_FOLD_WS, "x [a|y] z" },
		{ "  =?a?Q?y?=\r\n z  ", MIME_WORDS_FOLD_WS, "[a|y] z" },
		{ "  lead", 0, "  lead" },
		{ "tail  ", 0, "tail  " },
		/* not words: kept as text */
		{ "=?", 0, "=?" },
		{ "=?a?Q?no end", 0, "=?a?Q?no end" },
		{ "=?a?Qx?=", 0, "=?a?Qx?=" },
		{ "a=?b", 0, "a=?b" },
		/* a charset name of MIME_CHARSET_NAME_MAX (64) letters */
		{ "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaa?Q?x?=", 0,
		  "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaa?Q?x?=" },
		/* and of 63: a word */
		{ "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaa?Q?x?=", 0,
		  "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaa|x]" },
		{ "=?a?Q?=41=4?=", 0, "[a|A=4]" },
		{ "=?a?Q?" "?=", 0, "[a|]" },
	};
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].in);
		buf_reset(&b);
		mime_decode_words(cases[i].in, strlen(cases[i].in),
		    cases[i].flags, mark_text, &b);
		test_assert_str(buf_cstr(&b), cases[i].out);
		test_end();
	}
	test_begin("words: every prefix is safe");
	{
		static const char s[] = " =?UTF-8?B?SGFsbG8=?= \t=?x?Q?a_b?= c";
		size_t n;

		for (n = 0; n <= sizeof(s) - 1; n++) {
			buf_reset(&b);
			mime_decode_words(s, n, 0, mark_text, &b);
			buf_reset(&b);
			mime_decode_words(s, n, MIME_WORDS_FOLD_WS, mark_text,
			    &b);
		}
		test_assert(b.err == 0);
	}
	test_end();
	buf_free(&b);
}

/* mark_text without the marks: the decoded text alone. */
static void
plain_text(const char *charset, const char *p, size_t n, struct buf *out)
{
	(void)charset;
	buf_append(out, p, n);
}

static void
test_encoders(void)
{
	unsigned char bytes[200];
	struct buf e, d;
	size_t n, i, col;

	buf_init(&e, 1 << 16);
	buf_init(&d, 1 << 16);
	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 11);
	test_begin("base64 encode: lines of 76 and CRLF, every length");
	for (n = 0; n <= sizeof(bytes); n++) {
		buf_reset(&e);
		buf_reset(&d);
		mime_encode_base64(bytes, n, &e);
		test_assert(e.len == (n + 2) / 3 * 4 + (n + 56) / 57 * 2);
		for (i = 0, col = 0; i < e.len; i++) {
			if (e.data[i] == '\r') {
				test_assert(col <= 76 && e.data[i + 1] == '\n');
				test_assert(col == 76 || i + 2 == e.len);
				col = 0;
				i++;
			} else
				col++;
		}
		mime_decode_base64(buf_cstr(&e), e.len, &d);
		test_assert(d.len == n &&
		    (n == 0 || memcmp(d.data, bytes, n) == 0));
	}
	test_end();
	test_begin("words: ASCII as it is");
	buf_reset(&e);
	mime_encode_words("Plain subject", &e);
	test_assert_str(buf_cstr(&e), "Plain subject");
	test_end();
	test_begin("words: UTF-8 in words of at most 45 bytes, folded, "
	    "decoded back");
	{
		static const char *in[] = { "H\xc3\xa9llo", "\xe2\x82\xac",
		    /* 60 euro signs: 180 bytes, never split inside one */
		    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		    "x\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac" };

		for (i = 0; i < N_ELEMENTS(in); i++) {
			const char *w;

			buf_reset(&e);
			buf_reset(&d);
			mime_encode_words(in[i], &e);
			test_assert(strncmp(buf_cstr(&e), "=?UTF-8?B?", 10) == 0);
			/* each word: 10 + at most 60 + 2 characters */
			for (w = buf_cstr(&e); w != NULL;
			    w = strstr(w + 1, "\r\n "))
				test_assert(strcspn(w + (w[0] == '\r' ? 3 : 0),
				    "\r") <= 72);
			mime_decode_words(e.data, e.len, MIME_WORDS_FOLD_WS,
			    plain_text, &d);
			test_assert_str(buf_cstr(&d), in[i]);
		}
	}
	test_end();
	buf_free(&e);
	buf_free(&d);
}

int
main(void)
{
	test_base64();
	test_qp();
	test_cte();
	test_words();
	test_encoders();
	return test_done();
}
