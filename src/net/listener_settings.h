/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener_settings.h: the listener limits a protocol module's settings
 * file holds (MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork with
 * NetworkPrefixIPv4 and NetworkPrefixIPv6,
 * PreLoginTimeout, LineTimeout in Settings/SMTP.settings, POP.settings,
 * IMAP.settings, PWD.settings ...), as one settings table (lib/settings.h).
 */
#ifndef TEGAMI_NET_LISTENER_SETTINGS_H
#define TEGAMI_NET_LISTENER_SETTINGS_H

#include "lib/compat.h"

struct listener_limits;
struct settings_snap;
struct settings_table;

extern const struct settings_table listener_settings_table;

/* The limits of a snapshot of listener_settings_table. */
void	listener_limits_of(const struct settings_snap *s,
	    struct listener_limits *lim);

#endif
