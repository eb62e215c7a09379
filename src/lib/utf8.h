/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h: UTF-8 checks (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF).  Pure.
 */
#ifndef TEGAMI_LIB_UTF8_H
#define TEGAMI_LIB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1-4) of the valid UTF-8 sequence at s, len bytes at most
 * (SIZE_MAX in a NUL-terminated string: a NUL ends any sequence), or 0. */
size_t	utf8_seq_len(const unsigned char *s, size_t len);
/* True when the string s is UTF-8. */
bool	utf8_valid(const char *s);
/* Replaces, in place, each byte of s that does not begin a valid UTF-8
 * sequence with repl (ASCII): a string cut at a byte count, or of an
 * unknown charset, becomes valid UTF-8 of the same length. */
void	utf8_fix(char *s, char repl);

#endif
