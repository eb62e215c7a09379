/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/server.h: the running server's shared parts, handed to the protocol
 * modules at start.  Each member is thread-safe on its own.
 */
#ifndef TEGAMI_CORE_SERVER_H
#define TEGAMI_CORE_SERVER_H

#include "lib/compat.h"

struct objects;
struct router;
struct queue;
struct directory;
struct dval;
struct error;

struct server {
	const char	*base;		/* base directory (absolute) */
	struct objects	*objects;
	struct router	*router;
	struct queue	*queue;		/* NULL until the queue runs */
	struct directory *directory;	/* the central directory (directory/
					 * directory.h); NULL until opened */
	const char	*version;	/* "Tegami 0.1" */
	/* Asks the main thread to shut down (CLI SHUTDOWN). */
	void		(*request_shutdown)(void);
	/* A module's settings change to d (server/services.c
	 * services_listeners_change: binds new sockets, calls save, closes
	 * the ones no longer named); set by the wiring at start, so the CLI
	 * needs no include of it.  NULL: no listeners, save alone. */
	int		(*listeners_change)(struct server *srv,
			    const char *module, const struct dval *d,
			    int (*save)(void *arg, struct error *err_r),
			    void *arg, struct error *err_r);
	/* The listener limits of every service read again from the
	 * settings snapshots (services_reload_limits); set with the hook
	 * above. */
	void		(*reload_limits)(struct server *srv);
};

#define TEGAMI_VERSION	"0.1"

#endif
