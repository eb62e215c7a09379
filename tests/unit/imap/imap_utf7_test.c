/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_utf7_test.c: modified UTF-7 (RFC 3501 5.1.3) both ways: round trips
 * over the whole code point range, "&-" for '&', the strict decoder's
 * refusals (bad base64, non-canonical forms, unterminated shifts, printable
 * ASCII in base64, unpaired surrogates, U+0000, 8-bit and control bytes),
 * invalid UTF-8 refused by the encoder, and names at the store's length
 * bound.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_utf7.h"

static const struct {
	const char	*utf8, *utf7;
} pairs[] = {
	{ "", "" },
	{ "INBOX", "INBOX" },
	{ "&", "&-" },
	{ "&&", "&-&-" },
	{ "a&b", "a&-b" },
	{ " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
	  " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~" },
	{ "\xc3\xa4", "&AOQ-" },
	{ "\xc3\xa4\xc3\xb6", "&AOQA9g-" },
	{ "a\xc3\xa4" "b", "a&AOQ-b" },
	{ "\xc3\xa4&\xc3\xb6", "&AOQ-&-&APY-" },
	{ "\xc3\xa4 \xc3\xb6", "&AOQ- &APY-" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	/* RFC 3501 5.1.3's example */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	  "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "\x01", "&AAE-" },		/* controls are shifted, not refused */
	{ "\x7f", "&AH8-" },
	{ "\xef\xbf\xbf", "&,,8-" },	/* U+FFFF: ',' stands for '/' */
	{ "\xf0\x90\x80\x80", "&2ADcAA-" },	/* U+10000: a pair */
	{ "\xf4\x8f\xbf\xbf", "&2,,f,w-" },	/* U+10FFFF */
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" },
};

static void
test_pairs(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < N_ELEMENTS(pairs); i++) {
		test_begin(pairs[i].utf7);
		buf_reset(&b);
		test_assert(imap_utf8_to_utf7(pairs[i].utf8,
		    strlen(pairs[i].utf8), &b, NULL) == 0);
		test_assert_str(buf_cstr(&b), pairs[i].utf7);
		buf_reset(&b);
		test_assert(imap_utf7_to_utf8(pairs[i].utf7,
		    strlen(pairs[i].utf7), &b, NULL) == 0);
		test_assert_str(buf_cstr(&b), pairs[i].utf8);
		test_end();
	}
	buf_free(&b);
}

/* Appends the UTF-8 form of cp (no checks). */
static void
utf8_of(struct buf *b, uint32_t cp)
{
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Every code point but the surrogates, in runs of 1 to 4 characters with
 * ASCII between them (all residues of the base64 bit packing). */
static void
test_round_trip_all(void)
{
	struct buf u8, u7, back;
	uint32_t cp;
	unsigned run = 0, fails = 0;
	size_t i;

	buf_init(&u8, 256);
	buf_init(&u7, 256);
	buf_init(&back, 256);
	test_begin("round trip of every code point");
	for (cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		utf8_of(&u8, cp);
		if (++run % 4 != 0 && cp != 0x10ffff)
			continue;
		buf_putc(&u8, 'x');
		buf_reset(&u7);
		buf_reset(&back);
		if (imap_utf8_to_utf7(u8.data, u8.len, &u7, NULL) < 0 ||
		    imap_utf7_to_utf8(u7.data, u7.len, &back, NULL) < 0 ||
		    back.len != u8.len ||
		    memcmp(back.data, u8.data, u8.len) != 0)
			fails++;
		for (i = 0; i < u7.len; i++)
			if (u7.data[i] < 0x20 || u7.data[i] > 0x7e)
				fails++;
		buf_reset(&u8);
		run = cp % 3;
	}
	test_assert(fails == 0);
	test_end();
	buf_free(&u8);
	buf_free(&u7);
	buf_free(&back);
}

static void
test_bad_utf7(void)
{
	static const char *const bad[] = {
		/* unterminated shifts */
		"&", "&AOQ", "a&AOQ", "&U,BTFw", "&-&",
		/* bad base64 */
		"&A=Q-", "&AO Q-", "&AO/-", "&AOQ=-", "&*-",
		/* non-canonical: non-zero padding bits, a spare character,
		 * a partial unit, two shifts in a row */
		"&AOR-", "&AOQA-", "&AOQA9h-", "&A-", "&AO-",
		"&AOQ-&APY-", "x&AOQ-&AOQ-y",
		/* printable ASCII in base64 */
		"&AGE-", "&ACA-", "&ACY-", "&AH4-", "&AOQAYQ-",
		/* unpaired or misordered surrogates */
		"&2AA-", "&3AA-", "&2AAA5A-", "&3ADYAA-", "&2ADYANwA-",
		"&2D0-",
		/* U+0000: "a&AAA-b" must not name "a" */
		"&AAA-", "a&AAA-b", "&AAAAYgBj-",
		/* 8-bit and control bytes */
		"\xc3\xa4", "a\x01", "\x7f", "a\tb", "&AOQ\x80-",
	};
	struct buf b;
	struct error err;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin(bad[i]);
		buf_reset(&b);
		err.kind = ERR_INTERNAL;
		test_assert(imap_utf7_to_utf8(bad[i], strlen(bad[i]), &b,
		    &err) < 0);
		test_assert(err.kind == ERR_SYNTAX);
		test_end();
	}
	test_begin("a NUL byte is refused, not a terminator");
	buf_reset(&b);
	test_assert(imap_utf7_to_utf8("ab\0c", 4, &b, NULL) < 0);
	buf_reset(&b);
	test_assert(imap_utf8_to_utf7("ab\0c", 4, &b, NULL) < 0);
	test_end();
	buf_free(&b);
}

static void
test_bad_utf8(void)
{
	static const char *const bad[] = {
		"\xc0\x80", "\xc1\xbf",			/* overlong */
		"\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf",		/* surrogates */
		"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf",	/* > U+10FFFF */
		"\xc3", "a\xe6\x97", "\xf0\x9f\x98",	/* truncated */
		"\x80", "a\xbf" "b",			/* bare continuation */
		"\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xc3\x28",				/* bad continuation */
	};
	struct buf b;
	struct error err;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_begin("bad UTF-8");
		buf_reset(&b);
		err.kind = ERR_INTERNAL;
		test_assert(imap_utf8_to_utf7(bad[i], strlen(bad[i]), &b,
		    &err) < 0);
		test_assert(err.kind == ERR_SYNTAX);
		test_end();
	}
	buf_free(&b);
}

static void
test_lengths(void)
{
	struct buf in, out, back;
	size_t i;

	/* the longest stored name, all 3-byte characters (the widest
	 * UTF-7 per byte), and back */
	buf_init(&in, STORE_MAILBOX_NAME_MAX + 4);
	for (i = 0; i + 3 <= STORE_MAILBOX_NAME_MAX; i += 3)
		buf_puts(&in, "\xe6\x97\xa5");
	buf_init(&out, STORE_MAILBOX_NAME_MAX * 4);
	buf_init(&back, STORE_MAILBOX_NAME_MAX + 4);
	test_begin("longest name round trips within the writer's buffer");
	test_assert(imap_utf8_to_utf7(in.data, in.len, &out, NULL) == 0);
	test_assert(out.err == 0 && out.len < STORE_MAILBOX_NAME_MAX * 4);
	test_assert(imap_utf7_to_utf8(out.data, out.len, &back, NULL) == 0);
	test_assert(back.err == 0 && back.len == in.len &&
	    memcmp(back.data, in.data, in.len) == 0);
	test_end();

	test_begin("output past the buffer's ceiling is a sticky error");
	buf_free(&out);
	buf_init(&out, 16);
	(void)imap_utf8_to_utf7(in.data, in.len, &out, NULL);
	test_assert(out.err != 0);
	test_end();

	test_begin("one long shifted run (no '-' until the end)");
	buf_free(&in);
	buf_free(&back);
	buf_init(&in, 8192);
	buf_init(&back, 8192);
	buf_puts(&in, "&");
	for (i = 0; i < 1000; i++)
		buf_puts(&in, "AOQA5ADk");	/* 3 x U+00E4 per 8 chars */
	buf_puts(&in, "-");
	test_assert(imap_utf7_to_utf8(in.data, in.len, &back, NULL) == 0);
	test_assert(back.len == 6000);
	test_end();
	buf_free(&in);
	buf_free(&out);
	buf_free(&back);
}

int
main(void)
{
	test_pairs();
	test_round_trip_all();
	test_bad_utf7();
	test_bad_utf8();
	test_lengths();
	return test_done();
}
