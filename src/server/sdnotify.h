/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdnotify.h: the systemd readiness notification (Type=notify units).
 */
#ifndef TEGAMI_SERVER_SDNOTIFY_H
#define TEGAMI_SERVER_SDNOTIFY_H

#include "lib/compat.h"

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...") to
 * the socket named by $NOTIFY_SOCKET, as sd_notify(3) does.  Returns 1 when
 * sent, 0 when not run by systemd (no NOTIFY_SOCKET), -1 on error. */
int	sdnotify(const char *state);

#endif
