/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units.c: sizes ("10M", "unlimited") and durations ("5d") of account
 * settings values; see units.h.  The parsing is lib/settings.c's.
 */
#include "lib/compat.h"

#include <string.h>
#include <strings.h>

#include "delivery/units.h"
#include "lib/dict.h"
#include "lib/settings.h"

int
units_size(const char *s, uint64_t *v_r, struct error *err_r)
{
	size_t len = s != NULL ? strlen(s) : 0;
	struct error e;
	uint64_t v;
	bool unl;

	if (s == NULL || len > UNITS_TEXT_MAX)
		return error_set(err_r, ERR_SYNTAX, "size value expected");
	/* "10MB", "10KB": the account settings allow a trailing B after a
	 * unit letter; the one size parser does the rest. */
	if (len >= 3 && (s[len - 1] == 'B' || s[len - 1] == 'b') &&
	    strchr("KkMmGgTt", s[len - 2]) != NULL)
		len--;
	if (settings_parse_size(s, len, &v, &unl, &e) < 0)
		return error_set(err_r, e.kind, e.kind == ERR_LIMIT ?
		    "size too large: %s" : "bad size: %s", s);
	*v_r = v;		/* 0 for "unlimited" */
	return 0;
}

int
units_duration(const char *s, uint32_t *v_r, struct error *err_r)
{
	struct error e;
	uint64_t v;

	if (s == NULL || strlen(s) > UNITS_TEXT_MAX)
		return error_set(err_r, ERR_SYNTAX, "time value expected");
	if (settings_parse_time(s, strlen(s), &v, &e) < 0)
		return error_set(err_r, e.kind, e.kind == ERR_LIMIT ?
		    "time too large: %s" : "bad time: %s", s);
	if (v > UINT32_MAX)
		return error_set(err_r, ERR_LIMIT, "time too large: %s", s);
	*v_r = (uint32_t)v;
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
