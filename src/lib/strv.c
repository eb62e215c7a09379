/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strv.c: helpers on borrowed length-carrying strings.
 */
#include "lib/compat.h"

#include "lib/strv.h"

struct strv
strv_trim(struct strv s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

struct strv
strv_split(struct strv s, char c, struct strv *head_r)
{
	const char *q = s.len ? memchr(s.p, c, s.len) : NULL;

	if (q == NULL) {
		*head_r = s;
		return STRV_NULL;
	}
	*head_r = strv_make(s.p, (size_t)(q - s.p));
	return strv_make(q + 1, s.len - (size_t)(q - s.p) - 1);
}

int
strv_to_u64(struct strv s, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 20)
		return -1;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*v_r = v;
	return 0;
}

bool
strv_has_prefix_case(struct strv s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s.len >= n && strncasecmp(s.p, prefix, n) == 0;
}

int
hex_pair_value(const char *p, size_t avail)
{
	int hi, lo;

	if (avail < 2 || (hi = hex_digit_value((unsigned char)p[0])) < 0 ||
	    (lo = hex_digit_value((unsigned char)p[1])) < 0)
		return -1;
	return hi * 16 + lo;
}
