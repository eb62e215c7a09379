/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_listeners.h: UpdateModule/SetModule of a protocol module, with its
 * Listener setting applied at once (server/services.h).
 */
#ifndef TEGAMI_CLI_CLI_LISTENERS_H
#define TEGAMI_CLI_CLI_LISTENERS_H

#include "lib/compat.h"

#include "lib/error.h"

struct dval;
struct server;

/* Stores d as module's settings (update: merged into them, "default"
 * removes a key; else replacing them) and makes the module's sockets
 * follow the result (an update without a Listener key leaves them alone):
 * new ones bound before the settings are saved, gone ones closed after.  A bad Listener value or a socket that cannot be bound
 * is refused with err_r and nothing changes. */
int	cli_module_change_listeners(struct server *srv, const char *module,
	    const struct dval *d, bool update, struct error *err_r);

#endif
