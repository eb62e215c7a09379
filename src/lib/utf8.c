/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.c: UTF-8 checks (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF) for what goes into JSON answers, zip names and
 * message text: a name cut at a byte count may end inside a character,
 * jansson refuses to pack such a string, and a zip with the UTF-8 flag must
 * hold UTF-8 names.  Pure.
 */
#include "lib/compat.h"

#include <stddef.h>
#include <stdint.h>

#include "lib/utf8.h"

size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned long cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_seq_len(p, SIZE_MAX)) == 0)
			return false;
		p += n;
	}
	return true;
}

void
utf8_fix(char *s, char repl)
{
	unsigned char *p = (unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_seq_len(p, SIZE_MAX)) == 0) {
			*p++ = (unsigned char)repl;
			continue;
		}
		p += n;
	}
}
