/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener_limits.c: the listener limits of a module's settings (see
 * listener_limits.h).
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "net/listener.h"
#include "net/listener_limits.h"

_Static_assert(CHANNELS_PER_ADDR_MAX == LISTENER_CHANNELS_MAX,
    "per-address channel limit and service channel limit share one range");

/* A number setting within [min, max] (clamped); def when missing or not a
 * number (then *bad_r names it, when it is the first). */
static unsigned
setting_uint(const struct dval *d, const char *key, unsigned def,
    unsigned min, unsigned max, struct error *err_r, bool *bad_r)
{
	const struct dval *dv = d != NULL ? dict_get(d, key) : NULL;
	const char *v = d != NULL ? dict_get_str(d, key) : NULL;
	unsigned long n;
	char *end;

	if (dv != NULL && dict_type(dv) == DICT_NUMBER) {	/* #20 */
		n = dict_number(dv) < 0 ? 0 : (unsigned long)dict_number(dv);
		goto clamp;
	}
	if (v == NULL)
		return def;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || v[0] == '-') {
		if (!*bad_r)
			error_set(err_r, ERR_SYNTAX, "setting %s: \"%s\" is "
			    "not a number; using %u", key, v, def);
		*bad_r = true;
		return def;
	}
clamp:
	if (n < min)
		n = min;
	if (n > max)
		n = max;
	return (unsigned)n;
}

int
listener_limits_read(const struct dval *d, struct listener_limits *lim,
    struct error *err_r)
{
	bool bad = false;

	lim->max_channels = setting_uint(d, "MaxChannels",
	    LISTENER_CHANNELS_DEFAULT, 0, LISTENER_CHANNELS_MAX, err_r, &bad);
	lim->max_per_ip = setting_uint(d, "MaxChannelsPerIP",
	    CHANNELS_PER_IP_DEFAULT, 0, CHANNELS_PER_ADDR_MAX, err_r, &bad);
	lim->max_per_net = setting_uint(d, "MaxChannelsPerNetwork",
	    CHANNELS_PER_NET_DEFAULT, 0, CHANNELS_PER_ADDR_MAX, err_r, &bad);
	lim->prelogin_ms = 1000 * setting_uint(d, "PreLoginTimeout",
	    PRELOGIN_TIMEOUT_DEFAULT, PRELOGIN_TIMEOUT_MIN,
	    PRELOGIN_TIMEOUT_MAX, err_r, &bad);
	lim->line_ms = 1000 * setting_uint(d, "LineTimeout",
	    LINE_TIMEOUT_DEFAULT, LINE_TIMEOUT_MIN, LINE_TIMEOUT_MAX, err_r,
	    &bad);
	return bad ? -1 : 0;
}
