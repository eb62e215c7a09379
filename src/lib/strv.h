/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strv.h: borrowed byte strings with a length (not NUL-terminated).
 */
#ifndef TEGAMI_LIB_STRV_H
#define TEGAMI_LIB_STRV_H

#include "lib/compat.h"

#include <string.h>
#include <strings.h>

struct strv {				/* borrowed, not NUL-terminated */
	const char	*p;
	size_t		 len;
};

#define STRV_LIT(s)	((struct strv){ (s), sizeof(s) - 1 })
#define STRV_NULL	((struct strv){ NULL, 0 })
#define STRV_FMT(s)	(int)(s).len, (s).p	/* for "%.*s" */

static inline struct strv
strv_from(const char *s)
{
	return (struct strv){ s, s ? strlen(s) : 0 };
}

static inline struct strv
strv_make(const char *p, size_t len)
{
	return (struct strv){ p, len };
}

static inline bool
strv_eq(struct strv a, struct strv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
strv_caseeq(struct strv a, struct strv b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

static inline bool
strv_caseeq_cstr(struct strv a, const char *b)
{
	return strv_caseeq(a, strv_from(b));
}

/* The value of a hexadecimal digit (either case), or -1. */
static inline int
hex_digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The byte that the two hexadecimal digits at p stand for (the "41" of a
 * "%41" or "=41" escape), or -1 when fewer than two bytes are left (avail)
 * or either is not a hexadecimal digit.  p[1] is read only when p[0] is a
 * digit, so a NUL-terminated string may be given avail 2. */
int		hex_pair_value(const char *p, size_t avail);

/* Removes leading and trailing spaces and tabs. */
struct strv	strv_trim(struct strv s);
/* Splits at the first c: *head_r gets the part before, returns the rest
 * after c (or STRV_NULL with *head_r = s when c is absent). */
struct strv	strv_split(struct strv s, char c, struct strv *head_r);
/* Parses a decimal unsigned number that fills all of s; 0 or -1. */
int		strv_to_u64(struct strv s, uint64_t *v_r);
bool		strv_has_prefix_case(struct strv s, const char *prefix);

#endif
