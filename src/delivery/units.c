/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units.c: sizes ("10M", "unlimited") and durations ("5d") of settings
 * values; see units.h.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "delivery/units.h"
#include "lib/dict.h"

/* Leading decimal digits of s into *v_r; returns the number of digits,
 * 0 when there are none, -1 on overflow. */
static int
digits(const char *s, uint64_t *v_r)
{
	uint64_t v = 0;
	int n = 0;

	while (isdigit((unsigned char)s[n])) {
		unsigned d = (unsigned)(s[n] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		n++;
	}
	*v_r = v;
	return n;
}

int
units_size(const char *s, uint64_t *v_r, struct error *err_r)
{
	uint64_t v, mul = 1;
	const char *p;
	int n;

	if (s == NULL || strlen(s) > UNITS_TEXT_MAX)
		return error_set(err_r, ERR_SYNTAX, "size value expected");
	if (strcasecmp(s, "unlimited") == 0) {
		*v_r = 0;
		return 0;
	}
	n = digits(s, &v);
	if (n < 0)
		return error_set(err_r, ERR_LIMIT, "size too large: %s", s);
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "bad size: %s", s);
	p = s + n;
	switch (toupper((unsigned char)*p)) {
	case 'K':
		mul = 1024ULL;
		p++;
		break;
	case 'M':
		mul = 1024ULL * 1024;
		p++;
		break;
	case 'G':
		mul = 1024ULL * 1024 * 1024;
		p++;
		break;
	case 'T':
		mul = 1024ULL * 1024 * 1024 * 1024;
		p++;
		break;
	default:
		break;
	}
	if (toupper((unsigned char)*p) == 'B')
		p++;
	if (*p != '\0')
		return error_set(err_r, ERR_SYNTAX, "bad size: %s", s);
	if (v != 0 && mul > UINT64_MAX / v)
		return error_set(err_r, ERR_LIMIT, "size too large: %s", s);
	*v_r = v * mul;
	return 0;
}

int
units_duration(const char *s, uint32_t *v_r, struct error *err_r)
{
	uint64_t v, mul = 1;
	const char *p;
	int n;

	if (s == NULL || strlen(s) > UNITS_TEXT_MAX)
		return error_set(err_r, ERR_SYNTAX, "time value expected");
	n = digits(s, &v);
	if (n < 0)
		return error_set(err_r, ERR_LIMIT, "time too large: %s", s);
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "bad time: %s", s);
	p = s + n;
	if (strcasecmp(p, "") == 0 || strcasecmp(p, "s") == 0)
		mul = 1;
	else if (strcasecmp(p, "m") == 0 || strcasecmp(p, "min") == 0)
		mul = 60;
	else if (strcasecmp(p, "h") == 0)
		mul = 3600;
	else if (strcasecmp(p, "d") == 0)
		mul = 86400;
	else if (strcasecmp(p, "w") == 0)
		mul = 7 * 86400;
	else
		return error_set(err_r, ERR_SYNTAX, "bad time: %s", s);
	if (v > UINT32_MAX / mul)
		return error_set(err_r, ERR_LIMIT, "time too large: %s", s);
	*v_r = (uint32_t)(v * mul);
	return 0;
}

int
units_size_dval(const struct dval *v, uint64_t *v_r, struct error *err_r)
{
	if (v != NULL && dict_type(v) == DICT_NUMBER) {
		if (dict_number(v) < 0)
			return error_set(err_r, ERR_SYNTAX, "negative size");
		*v_r = (uint64_t)dict_number(v);
		return 0;
	}
	if (v == NULL || dict_type(v) != DICT_STRING)
		return error_set(err_r, ERR_SYNTAX, "size value expected");
	return units_size(dict_str(v, NULL), v_r, err_r);
}

int
units_duration_dval(const struct dval *v, uint32_t *v_r, struct error *err_r)
{
	if (v != NULL && dict_type(v) == DICT_NUMBER) {
		if (dict_number(v) < 0 || dict_number(v) > UINT32_MAX)
			return error_set(err_r, ERR_LIMIT, "time out of range");
		*v_r = (uint32_t)dict_number(v);
		return 0;
	}
	if (v == NULL || dict_type(v) != DICT_STRING)
		return error_set(err_r, ERR_SYNTAX, "time value expected");
	return units_duration(dict_str(v, NULL), v_r, err_r);
}
