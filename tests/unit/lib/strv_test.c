/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strv_test.c: the hexadecimal digit helpers of lib/strv.h that every
 * %XX / =XX decoder uses (HTTP paths and forms, the HTML sanitizer, backup
 * manifests, SMTP xtext, quoted-printable): every byte value against a
 * reference, both cases, short input, and no read past a NUL.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strv.h"
#include "lib/test.h"

/* The reference: the digit's position in "0123456789abcdef". */
static int
ref_digit(int c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = c - 'A' + 'a';
	if (c == '\0' || (p = strchr(digits, c)) == NULL)
		return -1;
	return (int)(p - digits);
}

int
main(void)
{
	char pair[3], *one;
	int c, d, want;
	bool ok = true;

	test_begin("hex_digit_value: all 256 byte values");
	for (c = 0; c < 256; c++)
		if (hex_digit_value((unsigned char)c) != ref_digit(c))
			ok = false;
	test_assert(ok);
	test_end();

	test_begin("hex_pair_value: all pairs of digits and non-digits");
	ok = true;
	for (c = 0; c < 256; c++)
		for (d = 0; d < 256; d++) {
			pair[0] = (char)c;
			pair[1] = (char)d;
			want = ref_digit(c) < 0 || ref_digit(d) < 0 ? -1 :
			    ref_digit(c) * 16 + ref_digit(d);
			if (hex_pair_value(pair, 2) != want ||
			    hex_pair_value(pair, 3) != want)
				ok = false;
		}
	test_assert(ok);
	test_assert(hex_pair_value("00", 2) == 0);
	test_assert(hex_pair_value("fF", 2) == 255);
	test_assert(hex_pair_value("7e", 2) == 0x7e);
	test_end();

	test_begin("hex_pair_value: fewer than two bytes, or a NUL");
	test_assert(hex_pair_value("41", 1) == -1);
	test_assert(hex_pair_value("41", 0) == -1);
	test_assert(hex_pair_value("4", 2) == -1);
	/* Only p[0] is read when it is no digit (ASan sees a read past). */
	one = malloc(1);
	one[0] = '\0';
	test_assert(hex_pair_value(one, 2) == -1);
	one[0] = 'g';
	test_assert(hex_pair_value(one, 2) == -1);
	free(one);
	test_end();
	return test_done();
}
