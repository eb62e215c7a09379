/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener_settings.c: the listener limits as a settings table; see
 * listener_settings.h.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/settings.h"
#include "net/listener.h"
#include "net/listener_settings.h"

struct listener_conf {
	uint64_t	 max_channels;
	uint64_t	 max_per_ip;
	uint64_t	 max_per_net;
	uint64_t	 net_v4;	/* prefix length */
	uint64_t	 net_v6;
	uint64_t	 prelogin;	/* s */
	uint64_t	 line;		/* s */
};

static const struct setting_def listener_defs[] = {
	SETTING_NUM("MaxChannels", struct listener_conf, max_channels,
	    LISTENER_CHANNELS_DEFAULT, 0, LISTENER_CHANNELS_MAX),
	SETTING_NUM("MaxChannelsPerIP", struct listener_conf, max_per_ip,
	    CHANNELS_PER_IP_DEFAULT, 0, CHANNELS_PER_ADDR_MAX),
	SETTING_NUM("MaxChannelsPerNetwork", struct listener_conf, max_per_net,
	    CHANNELS_PER_NET_DEFAULT, 0, CHANNELS_PER_ADDR_MAX),
	SETTING_NUM("NetworkPrefixIPv4", struct listener_conf, net_v4,
	    LISTENER_NET_V4_BITS, LISTENER_NET_V4_MIN, LISTENER_NET_V4_MAX),
	SETTING_NUM("NetworkPrefixIPv6", struct listener_conf, net_v6,
	    LISTENER_NET_V6_BITS, LISTENER_NET_V6_MIN, LISTENER_NET_V6_MAX),
	SETTING_SECS("PreLoginTimeout", struct listener_conf, prelogin,
	    PRELOGIN_TIMEOUT_DEFAULT, PRELOGIN_TIMEOUT_MIN,
	    PRELOGIN_TIMEOUT_MAX),
	SETTING_SECS("LineTimeout", struct listener_conf, line,
	    LINE_TIMEOUT_DEFAULT, LINE_TIMEOUT_MIN, LINE_TIMEOUT_MAX),
};

const struct settings_table listener_settings_table =
    SETTINGS_TABLE("listener", struct listener_conf, listener_defs);

void
listener_limits_of(const struct settings_snap *s, struct listener_limits *lim)
{
	const struct listener_conf *c = settings_snap_conf(s);

	/* The table's ranges keep every value far below UINT_MAX / 1000. */
	lim->max_channels = (unsigned)c->max_channels;
	lim->max_per_ip = (unsigned)c->max_per_ip;
	lim->max_per_net = (unsigned)c->max_per_net;
	lim->net_v4_bits = (unsigned)c->net_v4;
	lim->net_v6_bits = (unsigned)c->net_v6;
	lim->prelogin_ms = 1000 * (unsigned)c->prelogin;
	lim->line_ms = 1000 * (unsigned)c->line;
}
