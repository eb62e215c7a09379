/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units.h: the size and time values of CommuniGate-style settings, as the
 * delivery modules read them: MaxAccountSize = "10M" / "100K" / "unlimited"
 * / #1048576, MaxQueueTime = "5d" / "90m" / #3600.  Pure functions.
 */
#ifndef TEGAMI_DELIVERY_UNITS_H
#define TEGAMI_DELIVERY_UNITS_H

#include "lib/compat.h"

#include "lib/error.h"

struct dval;

#define UNITS_TEXT_MAX	32	/* longest size/duration text looked at */

/*
 * Parses a size: decimal digits with an optional K, M, G or T suffix
 * (powers of 1024, case-insensitive, an optional trailing "B"), or
 * "unlimited" (case-insensitive) which gives 0 = no limit.  0 with *v_r,
 * or -1 with ERR_SYNTAX / ERR_LIMIT (overflow of 64 bits).
 */
int	units_size(const char *s, uint64_t *v_r, struct error *err_r);

/*
 * Parses a duration into seconds: digits with an optional suffix s, m
 * (or min), h, d, w (case-insensitive).  0 or -1 with ERR_SYNTAX/ERR_LIMIT
 * (more than UINT32_MAX seconds).
 */
int	units_duration(const char *s, uint32_t *v_r, struct error *err_r);

/* The same for a settings value: a string goes through the parsers above,
 * a number is taken as bytes / seconds (negative is an error). */
int	units_size_dval(const struct dval *v, uint64_t *v_r,
	    struct error *err_r);
int	units_duration_dval(const struct dval *v, uint32_t *v_r,
	    struct error *err_r);

#endif
