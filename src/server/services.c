/* SPDX-License-Identifier: Apache-2.0 */
/*
 * services.c: the service table, and wiring the protocol modules to the
 * listener layer.
 *
 * A service listens only when its protocol module exists.  Its sockets come
 * from --listen, else from the module's Listener setting
 * (server/listen_settings.h), else from the table's default ports; the
 * Listener setting is applied again on SIGHUP (without --listen) and at
 * once by UpdateModule/SetModule (services_listeners_change).  Module settings
 * (Settings/<MODULE>.settings, read at start) set each service's listener
 * limits (docs/operations.md, "Connection limits and time-outs"):
 * MaxChannels, MaxChannelsPerIP, MaxChannelsPerNetwork, PreLoginTimeout and
 * LineTimeout, each within the range in lib/bounds.h.  Client IP Addresses
 * are not limited per address or network.
 */
#include "lib/compat.h"

#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/listener.h"
#include "net/listener_settings.h"
#include "net/tls.h"
#include "objects/objects.h"
#include "core/server.h"
#include "server/listen_settings.h"
#include "server/services.h"
#include "cli/cli.h"
#include "imap/imap.h"
#include "ldap/ldap.h"
#include "pop/pop.h"
#include "smtp/smtp.h"
#include "webadmin/webadmin.h"
#include "webuser/webuser.h"

/*
 * The service table: every TCP service, its default port, whether it is
 * TLS from the first byte, its log module (also its settings file,
 * Settings/<tag>.settings) and the protocol module that serves it (its
 * register function registers every service of the module; NULL: not
 * written yet, the service does not listen).  The listener layer, the
 * --listen options and their usage text, the CLI and docs/operations.md
 * ("Services and listeners") all follow it.
 */
static const struct service_def service_table[] = {
	{ { "smtp",	  25, false, "SMTP" },	smtp_register },
	{ { "submission", 587, false, "SMTP" },	smtp_register },
	{ { "smtps",	 465, true,  "SMTP" },	smtp_register },
	{ { "pop3",	 110, false, "POP" },	pop_register },
	{ { "pop3s",	 995, true,  "POP" },	pop_register },
	{ { "imap",	 143, false, "IMAP" },	imap_register },
	{ { "imaps",	 993, true,  "IMAP" },	imap_register },
	{ { "webadmin",	8010, false, "HTTPA" },	webadmin_register },
	{ { "webadmins", 9010, true, "HTTPA" },	webadmin_register },
	{ { "webuser",	8100, false, "HTTPU" },	webuser_register },
	{ { "webusers",	9100, true,  "HTTPU" },	webuser_register },
	{ { "ldap",	 389, false, "LDAP" },	ldap_register },
	{ { "ldaps",	 636, true,  "LDAP" },	ldap_register },
	{ { "cli",	 106, false, "PWD" },	cli_register },
};
#define NSERVICES	N_ELEMENTS(service_table)

static struct ssl_ctx_st *server_tls;

const struct service_def *
services_table(size_t *n_r)
{
	*n_r = NSERVICES;
	return service_table;
}

const struct service_def *
services_find(const char *service)
{
	size_t i;

	for (i = 0; service != NULL && i < NSERVICES; i++)
		if (strcmp(service_table[i].l.name, service) == 0)
			return &service_table[i];
	return NULL;
}

bool
services_known(const char *service)
{
	return services_find(service) != NULL;
}

void
services_register_logs(void)
{
	struct listener_service defs[NSERVICES];
	struct error err;
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		defs[i] = service_table[i].l;
	if (listener_set_services(defs, NSERVICES, &err) < 0)
		fatal("service table: %s", err.msg);
	log_register(&log_system);
}

/* Which services have a protocol module registered. */
static bool registered[NSERVICES];

/*
 * The sockets: what each module listens on now (cur_all), and what it
 * listens on without a Listener setting (base_all: the --listen options,
 * or the table's default ports).  set_lock serialises changes (CLI
 * sessions, SIGHUP).
 */
static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;
static struct listen_port cur_all[LISTENER_SOCKETS_MAX];
static size_t ncur;
static struct listen_port base_all[LISTENER_SOCKETS_MAX];
static size_t nbase;
static bool pinned;			/* --listen given: SIGHUP keeps sockets */

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
		    "%u, per network %u (/%u, /%u), pre-login time-out %u s, line "
		    "time-out %u s", service, lim.max_channels,
		    lim.max_per_ip, lim.max_per_net, lim.net_v4_bits,
		    lim.net_v6_bits, lim.prelogin_ms / 1000,
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

static const char *
module_of(const char *service)
{
	const struct service_def *sd = services_find(service);

	return sd != NULL ? sd->l.log_tag : NULL;
}

/* True when a service of module has its protocol registered. */
static bool
module_listens(const char *module)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (registered[i] && strcasecmp(service_table[i].l.log_tag,
		    module) == 0)
			return true;
	return false;
}

static bool
is_registered(const char *service)
{
	const struct service_def *sd = services_find(service);

	return sd != NULL && registered[sd - service_table];
}

/* The sockets of module among the n in all. */
static int
set_of(const struct listen_port *all, size_t n, const char *module,
    struct listen_set *out, struct error *err_r)
{
	size_t i;

	out->n = 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(module_of(all[i].service), module) != 0)
			continue;
		if (out->n >= LISTEN_PORTS_MAX)
			return error_set(err_r, ERR_LIMIT, "%s: more than %d "
			    "sockets", module, LISTEN_PORTS_MAX);
		out->p[out->n++] = all[i];
	}
	return 0;
}

/* What module should listen on with settings d (may be NULL): d's
 * Listener, else the start-up set.  Services without a protocol are left
 * out. */
static int
wanted(const char *module, const struct dval *d, struct listen_set *out,
    struct error *err_r)
{
	const struct dval *v = d != NULL ? dict_get(d, "Listener") : NULL;
	size_t i, j;

	if (v == NULL)
		return set_of(base_all, nbase, module, out, err_r);
	if (listen_settings_parse(v, module, out, err_r) < 0)
		return -1;
	for (i = j = 0; i < out->n; i++) {
		if (!is_registered(out->p[i].service)) {
			log_mod(&log_system, LOG_MAJOR, "service %s is not "
			    "implemented yet; not listening on %s:%u",
			    out->p[i].service, out->p[i].addr,
			    out->p[i].port);
			continue;
		}
		out->p[j++] = out->p[i];
	}
	out->n = j;
	return 0;
}

/* Adds sockets [0, n) of set back out (a change that failed). */
static void
unbind(const struct listen_port *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)listener_remove(p[i].service, p[i].addr, p[i].port);
}

/* Makes module listen on want (under set_lock): binds what is new, calls
 * save (may be NULL), then closes what is gone.  On any error nothing
 * changed. */
static int
apply_set(const char *module, const struct listen_set *want,
    int (*save)(void *, struct error *), void *arg, struct error *err_r)
{
	struct listen_set have, added;
	struct listen_port keep[LISTENER_SOCKETS_MAX];
	size_t i, nkeep;

	if (set_of(cur_all, ncur, module, &have, err_r) < 0)
		return -1;
	if (listen_set_equal(&have, want))
		return save != NULL ? save(arg, err_r) : 0;
	added.n = 0;
	for (i = 0; i < want->n; i++) {
		const struct listen_port *w = &want->p[i];

		if (listen_set_has(&have, w->service, w->addr, w->port))
			continue;
		if (listener_add(w->service, w->addr, w->port, err_r) < 0) {
			unbind(added.p, added.n);
			return -1;
		}
		added.p[added.n++] = *w;
	}
	if (save != NULL && save(arg, err_r) < 0) {
		unbind(added.p, added.n);
		return -1;
	}
	for (i = 0; i < have.n; i++) {
		const struct listen_port *h = &have.p[i];

		if (listen_set_has(want, h->service, h->addr, h->port))
			continue;
		(void)listener_remove(h->service, h->addr, h->port);
		log_mod(&log_system, LOG_MAJOR, "%s: no longer listening "
		    "for %s on %s:%u", module, h->service, h->addr, h->port);
	}
	for (i = 0; i < added.n; i++)
		log_mod(&log_system, LOG_MAJOR, "%s: listening for %s on "
		    "%s:%u", module, added.p[i].service, added.p[i].addr,
		    added.p[i].port);
	for (i = nkeep = 0; i < ncur; i++)
		if (strcasecmp(module_of(cur_all[i].service), module) != 0)
			keep[nkeep++] = cur_all[i];
	for (i = 0; i < want->n && nkeep < LISTENER_SOCKETS_MAX; i++)
		keep[nkeep++] = want->p[i];
	memcpy(cur_all, keep, nkeep * sizeof(keep[0]));
	ncur = nkeep;
	return 0;
}

/* The start-up set: --listen, or every registered service on its port. */
static void
set_base(const struct listen_opt *opts, size_t nopts)
{
	const struct service_def *sd;
	struct listen_port *b;
	size_t i;

	nbase = 0;
	pinned = nopts > 0;
	for (i = 0; i < nopts && nbase < LISTENER_SOCKETS_MAX; i++) {
		sd = services_find(opts[i].service);
		if (sd == NULL || !registered[sd - service_table]) {
			log_mod(&log_system, LOG_MAJOR, "service %s is not "
			    "implemented yet; not listening on %s:%u",
			    opts[i].service, opts[i].addr, opts[i].port);
			continue;
		}
		b = &base_all[nbase++];
		b->service = sd->l.name;
		b->port = opts[i].port;
		if (listen_addr_canon(opts[i].addr, b->addr,
		    sizeof(b->addr)) < 0)	/* listener_add says why */
			snprintf(b->addr, sizeof(b->addr), "%s", opts[i].addr);
	}
	for (i = 0; !pinned && i < NSERVICES; i++) {
		if (!registered[i])
			continue;
		b = &base_all[nbase++];
		b->service = service_table[i].l.name;
		b->port = service_table[i].l.port;
		snprintf(b->addr, sizeof(b->addr), "*");
	}
}

/* module's sockets as its settings say now (start, SIGHUP). */
static int
listen_from_settings(struct server *srv, const char *module,
    struct error *err_r)
{
	struct listen_set want;
	struct dval *d = NULL;
	struct error e;
	int rc;

	if (!pinned)
		d = objects_module_get(srv->objects, module, NULL);
	rc = wanted(module, d, &want, &e);
	dict_free(&d);
	if (rc < 0)
		return error_set(err_r, e.kind, "Settings/%s.settings: %s",
		    module, e.msg);
	pthread_mutex_lock(&set_lock);
	rc = apply_set(module, &want, NULL, NULL, err_r);
	pthread_mutex_unlock(&set_lock);
	return rc;
}

/* Calls fn for every module with a registered service, once each. */
static int
each_module(struct server *srv, int (*fn)(struct server *, const char *,
    struct error *), struct error *err_r)
{
	size_t i, j;

	for (i = 0; i < NSERVICES; i++) {
		if (!registered[i])
			continue;
		for (j = 0; j < i; j++)
			if (registered[j] && strcmp(service_table[j].l.log_tag,
			    service_table[i].l.log_tag) == 0)
				break;
		if (j == i && fn(srv, service_table[i].l.log_tag, err_r) < 0)
			return -1;
	}
	return 0;
}

/*
 * Every connection holds a socket; the databases (an open account: 3),
 * logs and listeners need some more.  A session's other descriptors are
 * transient: an IMAP session in IDLE that finds no descriptor for its
 * change eventfd hibernates at once (a parked session holds its socket
 * only, not even its account's handle), and an account that cannot be
 * opened is retried for a while (store_cache_get_wait()).  When the
 * channel limits add up to more than the process may open, say so (the
 * limit is the hard one: raise_fd_limit() took it at start): past it,
 * accept() waits and logins are refused with [UNAVAILABLE].
 */
static void
check_fd_budget(struct server *srv)
{
	struct listener_limits lim;
	struct rlimit rl;
	unsigned long channels = 0, need;
	size_t i;

	/* The services that have a socket now. */
	for (i = 0; i < NSERVICES; i++) {
		if (!registered[i] ||
		    listener_bound_port(service_table[i].l.name, 0) == 0)
			continue;
		services_read_limits(srv, service_table[i].l.name, &lim);
		channels += lim.max_channels;
	}
	need = channels + SERVICES_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur)
		return;
	log_mod(&log_system, LOG_PROBLEM, "the channel limits allow %lu "
	    "connections, which may need %lu descriptors (1 each and %d "
	    "more), but the process may open %llu (ulimit -n; LimitNOFILE= in "
	    "the systemd unit): lower MaxChannels or raise the limit", channels,
	    need, SERVICES_FD_RESERVE, (unsigned long long)rl.rlim_cur);
}

int
services_bind(struct server *srv, const char *cert, const char *key,
    const struct listen_opt *opts, size_t nopts, struct error *err_r)
{
	size_t i, j;

	srv->listeners_change = services_listeners_change;
	srv->reload_limits = services_reload_limits;
	/* Each protocol module once (it registers all its services). */
	for (i = 0; i < NSERVICES; i++) {
		if (service_table[i].reg == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (service_table[j].reg == service_table[i].reg)
				break;
		if (j == i && service_table[i].reg(srv, err_r) < 0)
			return -1;
	}
	for (i = 0; i < NSERVICES; i++)
		registered[i] = listener_is_registered(
		    service_table[i].l.name);
	exempt_srv = srv;
	listener_set_exempt(exempt_client);

	if (cert != NULL && key != NULL) {
		server_tls = tls_server_ctx_new(cert, key, err_r);
		if (server_tls == NULL)
			return -1;
	}
	for (i = 0; i < NSERVICES; i++) {
		if (!registered[i])
			continue;
		apply_limits(srv, service_table[i].l.name);
		if (server_tls != NULL && listener_set_tls(
		    service_table[i].l.name, server_tls, err_r) < 0)
			return -1;
	}
	set_base(opts, nopts);
	if (each_module(srv, listen_from_settings, err_r) < 0)
		return -1;
	check_fd_budget(srv);
	return 0;
}

static int
reload_one(struct server *srv, const char *module, struct error *err_r)
{
	struct error e;

	(void)err_r;
	if (listen_from_settings(srv, module, &e) < 0)
		log_mod(&log_system, LOG_FAILURE, "%s; its sockets are kept",
		    e.msg);
	return 0;
}

void
services_reload_listeners(struct server *srv)
{
	if (!pinned)
		(void)each_module(srv, reload_one, NULL);
}

int
services_listeners_change(struct server *srv, const char *module,
    const struct dval *d, int (*save)(void *arg, struct error *),
    void *arg, struct error *err_r)
{
	struct listen_set want;
	int rc;

	(void)srv;
	if (!module_listens(module))
		return save(arg, err_r);
	if (wanted(module, d, &want, err_r) < 0)
		return -1;
	pthread_mutex_lock(&set_lock);
	rc = apply_set(module, &want, save, arg, err_r);
	pthread_mutex_unlock(&set_lock);
	return rc;
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

	for (i = 0; i < NSERVICES; i++)
		if (registered[i])
			apply_limits(srv, service_table[i].l.name);
	check_fd_budget(srv);
}

void
services_stop(void)
{
	(void)listener_stop_all();
	tls_ctx_free(&server_tls);
}
