/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8_test.c: utf8_valid(), utf8_fix() and utf8_seq_len()
 * (src/lib/utf8.c): RFC 3629's forms, a name cut inside a
 * character, overlong forms, surrogates, past U+10FFFF.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/test.h"
#include "lib/utf8.h"

static void
fixed(const char *in, const char *want)
{
	char b[64];

	memcpy(b, in, strlen(in) + 1);
	utf8_fix(b, '_');
	test_assert_str(b, want);
	test_assert(utf8_valid(b));
}

int
main(void)
{
	test_begin("valid UTF-8 is valid and left alone");
	test_assert(utf8_valid(""));
	test_assert(utf8_valid("plain.txt"));
	test_assert(utf8_valid("r\xc3\xa9sum\xc3\xa9"));
	test_assert(utf8_valid("\xe2\x82\xac \xf0\x9f\x93\x8e"));
	test_assert(utf8_valid("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	fixed("r\xc3\xa9sum\xc3\xa9", "r\xc3\xa9sum\xc3\xa9");
	test_end();

	test_begin("a string cut inside a character");
	test_assert(!utf8_valid("ab\xc3"));
	fixed("ab\xc3", "ab_");
	fixed("ab\xe2\x82", "ab__");
	fixed("\xf0\x9f\x93", "___");
	test_end();

	test_begin("bytes that never begin a character");
	fixed("\xff\xfe.txt", "__.txt");
	fixed("a\x80" "b", "a_b");
	fixed("\xc0\xaf", "__");				/* overlong '/' */
	fixed("\xe0\x80\xaf", "___");				/* overlong '/' */
	fixed("\xed\xa0\x80", "___");				/* a surrogate */
	fixed("\xf4\x90\x80\x80", "____");			/* past U+10FFFF */
	fixed("\xf5\x80\x80\x80", "____");
	test_assert(!utf8_valid("\xed\xa0\x80"));
	test_end();

	test_begin("utf8_seq_len() keeps within its length");
	test_assert(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 3) == 3);
	test_assert(utf8_seq_len((const unsigned char *)"\xe2\x82\xac", 2) == 0);
	test_assert(utf8_seq_len((const unsigned char *)"\xf0\x9f\x93\x8e", 4) ==
	    4);
	test_assert(utf8_seq_len((const unsigned char *)"\xf0\x9f\x93\x8e", 3) ==
	    0);
	test_assert(utf8_seq_len((const unsigned char *)"a", 1) == 1);
	test_assert(utf8_seq_len((const unsigned char *)"\xc3\xa9", 1) == 0);
	test_end();

	return test_done();
}
