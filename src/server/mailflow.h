/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailflow.h: the mail path inside the server: opens the durable queue,
 * routes its recipients with the Router, delivers LOCAL recipients into the
 * account store, watches the Submitted folder (PIPE), and adds the mailbox
 * and queue CLI commands.  srv->queue is set while it runs.
 */
#ifndef TEGAMI_SERVER_MAILFLOW_H
#define TEGAMI_SERVER_MAILFLOW_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;

/* Called by tegamid after objects and router are loaded, before the
 * protocol services start. */
int	mailflow_start(struct server *srv, struct error *err_r);
/* Called after the services stopped: stops the Submitted watcher, the
 * queue workers and writer, and closes the queue and the store cache. */
void	mailflow_stop(struct server *srv);

#endif
