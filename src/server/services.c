/* SPDX-License-Identifier: Apache-2.0 */
/*
 * services.c: wiring the protocol modules to the listener layer.
 *
 * A service listens only when its protocol module exists.  Module settings
 * (Settings/<MODULE>.settings, read at start) set each service's listener
 * limits (docs/operations.md, "Connection limits and time-outs"):
 * MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork, PreLoginTimeout and
 * LineTimeout, each within the range in lib/bounds.h.  Client IP Addresses
 * are not limited per address or network.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "net/listener.h"
#include "net/listener_settings.h"
#include "net/tls.h"
#include "objects/objects.h"
#include "server/server.h"
#include "server/services.h"
#include "cli/cli.h"

static const char *const all_services[] = {
	"smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps",
	"webadmin", "webadmins", "webuser", "webusers", "ldap", "ldaps", "cli"
};

static struct ssl_ctx_st *server_tls;

/*
 * The protocol modules.  Each registers the listener services it serves
 * (smtp_register: smtp, submission, smtps; ...).  Declared weak while the
 * modules are being written, so the server links without them; a module
 * that is not linked in simply does not listen.
 */
typedef int	register_fn(struct server *, struct error *);
extern register_fn smtp_register __attribute__((weak));
extern register_fn pop_register __attribute__((weak));
extern register_fn imap_register __attribute__((weak));

static register_fn *const protocol_modules[] = {
	cli_register, smtp_register, pop_register, imap_register
};

bool
services_known(const char *service)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(all_services); i++)
		if (strcmp(all_services[i], service) == 0)
			return true;
	return false;
}

void
services_register_logs(void)
{
	log_register(&log_system);
}

/* Which services have a protocol module registered. */
static bool registered[N_ELEMENTS(all_services)];

static int
service_index(const char *service)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(all_services); i++)
		if (strcmp(all_services[i], service) == 0)
			return (int)i;
	return -1;
}

void
services_read_limits(struct server *srv, const char *service,
    struct listener_limits *lim)
{
	const char *tag = listener_log_tag(service);
	struct settings_snap *snap;

	if (tag == NULL)
		tag = "SYSTEM";
	snap = objects_settings_get(srv->objects, tag,
	    &listener_settings_table);
	listener_limits_of(snap, lim);
	settings_snap_unref(&snap);
}

static void
apply_limits(struct server *srv, const char *service)
{
	struct listener_limits lim;
	struct error err;

	services_read_limits(srv, service, &lim);
	if (listener_configure(service, &lim, &err) < 0)
		log_mod(&log_system, LOG_FAILURE, "%s", err.msg);
	else
		log_mod(&log_system, LOG_LOW, "%s: Channels %u, per address "
		    "%u, per network %u, pre-login time-out %u s, line "
		    "time-out %u s", service, lim.max_channels,
		    lim.max_per_ip, lim.max_per_net, lim.prelogin_ms / 1000,
		    lim.line_ms / 1000);
}

static struct server *exempt_srv;

/* Client IP Addresses are trusted networks: not limited per address. */
static bool
exempt_client(const struct sockaddr *peer)
{
	return exempt_srv != NULL && objects_iplist_match(exempt_srv->objects,
	    OBJ_IPS_CLIENT, peer);
}

int
services_bind(struct server *srv, const char *cert, const char *key,
    const struct listen_opt *opts, size_t nopts, struct error *err_r)
{
	size_t i;
	int idx;

	for (i = 0; i < N_ELEMENTS(protocol_modules); i++)
		if (protocol_modules[i] != NULL &&
		    protocol_modules[i](srv, err_r) < 0)
			return -1;
	for (i = 0; i < N_ELEMENTS(all_services); i++)
		registered[i] = listener_is_registered(all_services[i]);
	exempt_srv = srv;
	listener_set_exempt(exempt_client);

	if (cert != NULL && key != NULL) {
		server_tls = tls_server_ctx_new(cert, key, err_r);
		if (server_tls == NULL)
			return -1;
	}
	for (i = 0; i < N_ELEMENTS(all_services); i++) {
		if (!registered[i])
			continue;
		apply_limits(srv, all_services[i]);
		if (server_tls != NULL && listener_set_tls(all_services[i],
		    server_tls, err_r) < 0)
			return -1;
	}
	if (nopts > 0) {
		for (i = 0; i < nopts; i++) {
			idx = service_index(opts[i].service);
			if (idx < 0 || !registered[idx]) {
				log_mod(&log_system, LOG_MAJOR, "service %s is "
				    "not implemented yet; not listening on "
				    "%s:%u", opts[i].service, opts[i].addr,
				    opts[i].port);
				continue;
			}
			if (listener_add(opts[i].service, opts[i].addr,
			    opts[i].port, err_r) < 0)
				return -1;
		}
	} else {
		for (i = 0; i < N_ELEMENTS(all_services); i++) {
			if (!registered[i])
				continue;
			if (listener_add(all_services[i], NULL,
			    listener_default_port(all_services[i]), err_r) < 0)
				return -1;
		}
	}
	return 0;
}

int
services_accept(struct error *err_r)
{
	return listener_start_all(err_r);
}

void
services_reload_limits(struct server *srv)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(all_services); i++)
		if (registered[i])
			apply_limits(srv, all_services[i]);
}

void
services_stop(void)
{
	(void)listener_stop_all();
	tls_ctx_free(&server_tls);
}
