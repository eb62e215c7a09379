/*
 * mailflow.c: placeholder until the queue wiring lands (see mailflow.h).
 * The queue is not opened yet: srv->queue stays NULL.
 */
#include "lib/compat.h"

#include "server/mailflow.h"
#include "server/server.h"

int
mailflow_start(struct server *srv, struct error *err_r)
{
	(void)err_r;
	srv->queue = NULL;
	return 0;
}

void
mailflow_stop(struct server *srv)
{
	srv->queue = NULL;
}
