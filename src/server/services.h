/* SPDX-License-Identifier: Apache-2.0 */
/*
 * services.h: which protocol modules serve which listener services, and
 * starting/stopping them from the --listen options.
 */
#ifndef TEGAMI_SERVER_SERVICES_H
#define TEGAMI_SERVER_SERVICES_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;
struct listen_opt;
struct dval;
struct listener_limits;

/* True for the service names of the listener table. */
bool	services_known(const char *service);
/* Registers the log modules of every module (so levels apply at start). */
void	services_register_logs(void);
/* Registers the implemented protocol handlers and binds their sockets: on
 * the --listen addresses when any were given (services not implemented yet
 * are skipped with a log line), else on the standard ports.  cert/key may be
 * NULL (no TLS services then).  A socket that cannot be bound is an error
 * naming the service, address and port.  Starts no thread, so tegamid binds
 * as root and then drops to its user before any connection is read. */
int	services_bind(struct server *srv, const char *cert, const char *key,
	    const struct listen_opt *opts, size_t nopts, struct error *err_r);
/* Reads the listener limits of every running service again (SIGHUP):
 * MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork, PreLoginTimeout,
 * LineTimeout.  New connections get the new values; a MaxChannels of 0
 * refuses them (the sockets stay open until a restart). */
void	services_reload_limits(struct server *srv);
/* Starts accepting on every socket services_bind() bound. */
int	services_accept(struct error *err_r);
void	services_stop(void);
/* The listener limits of service from the current snapshot of its
 * module's settings file (net/listener_settings.h); no file is parsed. */
void	services_read_limits(struct server *srv, const char *service,
	    struct listener_limits *lim);

/* One --listen option (tegamid.c fills them). */
struct listen_opt {
	char		*service;
	char		*addr;
	unsigned	 port;
};

#endif
