/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener_limits.h: a service's listener limits from its module's
 * settings (MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork,
 * PreLoginTimeout, LineTimeout), each clamped to its range in
 * lib/bounds.h.  Pure: the server applies them (server/services.c) and
 * GetModule shows them (cli/cli_modules.c) from this one reader.
 */
#ifndef TEGAMI_NET_LISTENER_LIMITS_H
#define TEGAMI_NET_LISTENER_LIMITS_H

#include "lib/compat.h"

#include "lib/error.h"

struct dval;
struct listener_limits;

/*
 * Fills *lim from the settings dictionary d (NULL: every default).  A value
 * out of range is clamped; a value that is not a number gives the default,
 * and then -1 with ERR_SYNTAX naming the first such setting (lim is filled
 * all the same); else 0.
 */
int	listener_limits_read(const struct dval *d, struct listener_limits *lim,
	    struct error *err_r);

#endif
