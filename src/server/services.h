/* SPDX-License-Identifier: Apache-2.0 */
/*
 * services.h: the one service table (services.c: name, default port, TLS
 * from the first byte, log module = settings file, the protocol module's
 * register function) and the wiring of protocol modules to listeners: the
 * --listen options, the modules' Listener settings (server/listen_settings.h)
 * at start, on SIGHUP and at once on UpdateModule/SetModule.
 */
#ifndef TEGAMI_SERVER_SERVICES_H
#define TEGAMI_SERVER_SERVICES_H

#include "lib/compat.h"

#include "lib/error.h"
#include "net/listener.h"

struct server;
struct listen_opt;
struct dval;

/* A protocol module's entry point: registers the listener handlers of its
 * services (smtp_register: smtp, submission, smtps). */
typedef int	services_register_fn(struct server *, struct error *);

struct service_def {
	struct listener_service	 l;	/* name, port, tls, log tag */
	services_register_fn	*reg;	/* NULL: not implemented yet */
};

/* The table (n_r gets its length) and one row by name (NULL: unknown). */
const struct service_def	*services_table(size_t *n_r);
const struct service_def	*services_find(const char *service);

/* True for the service names of the table. */
bool	services_known(const char *service);
/* Installs the table in the listener layer and registers the log modules
 * (so levels apply at start).  Call first. */
void	services_register_logs(void);
/* Registers the implemented protocol handlers and binds their sockets:
 * when --listen options were given, on those alone (services not
 * implemented yet are skipped with a log line); else each module's
 * Listener setting, or the table's default ports when it has none.  A bad
 * Listener setting or a socket that cannot be bound is an error naming it.
 * cert/key may be NULL (no TLS services then).  Starts no thread, so
 * tegamid binds as root and then drops to its user before any connection
 * is read. */
int	services_bind(struct server *srv, const char *cert, const char *key,
	    const struct listen_opt *opts, size_t nopts, struct error *err_r);
/* Reads the listener limits of every running service again (SIGHUP):
 * MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork, PreLoginTimeout,
 * LineTimeout.  New connections get the new values; a MaxChannels of 0
 * refuses them (the sockets stay open until a restart). */
void	services_reload_limits(struct server *srv);
/* SIGHUP without --listen: every module's sockets follow its Listener
 * setting again (as services_listeners_change); errors are logged and
 * leave that module's sockets as they were. */
void	services_reload_listeners(struct server *srv);
/*
 * A module's settings change to d (the whole new settings dictionary).
 * When that changes the module's sockets (d's Listener, or the start-up
 * set when d has none), the new sockets are bound first (through the bind
 * helper for ports below 1024 after the switch to the server's user); then
 * save(arg) stores the settings; only when both succeeded are the sockets
 * no longer wanted closed and the new ones accepting.  Otherwise nothing
 * changes and err_r says why (a bad Listener value, a port in use).
 * Sessions on kept or removed sockets go on.  Calls save in every case.
 */
int	services_listeners_change(struct server *srv, const char *module,
	    const struct dval *d, int (*save)(void *arg, struct error *),
	    void *arg, struct error *err_r);
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
