/* SPDX-License-Identifier: Apache-2.0 */
/*
 * localip.c: this server's own network addresses (getifaddrs, cached and
 * refreshed on reload) and the directory adaptor the Router uses
 * (objects_router_ops): domain and object lookup, the domains' unknown-name
 * policies, and "is this one of our addresses".
 */
#include "lib/compat.h"

#include <sys/socket.h>

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/iplist.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

void
localip_free(struct objects *o)
{
	free(o->local);
	o->local = NULL;
	o->nlocal = 0;
}

void
objects_refresh_local_ips(struct objects *o)
{
	struct ifaddrs *ifa, *i;
	struct ipaddr *v;
	size_t n = 0;

	v = xcalloc(OBJECTS_LOCAL_IPS_MAX, sizeof(*v));
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL && n < OBJECTS_LOCAL_IPS_MAX;
		    i = i->ifa_next) {
			if (i->ifa_addr == NULL ||
			    (i->ifa_addr->sa_family != AF_INET &&
			    i->ifa_addr->sa_family != AF_INET6))
				continue;
			ipaddr_from_sa(i->ifa_addr, &v[n++]);
		}
		freeifaddrs(ifa);
	}
	pthread_mutex_lock(&o->iflock);
	free(o->local);
	o->local = v;
	o->nlocal = n;
	pthread_mutex_unlock(&o->iflock);
}

struct dval *
objects_local_ips(struct objects *o)
{
	char buf[INET6_ADDRSTRLEN];
	struct dval *arr = dict_new_array();
	size_t i;

	pthread_mutex_lock(&o->iflock);
	for (i = 0; i < o->nlocal; i++) {
		ipaddr_format(&o->local[i], buf, sizeof(buf));
		dict_array_push_cstr(arr, buf);
	}
	pthread_mutex_unlock(&o->iflock);
	return arr;
}

static bool
is_loopback(const struct ipaddr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (ipaddr_is_v4(a))
		return a->b[12] == 127;		/* 127.0.0.0/8 */
	return memcmp(a->b, v6lo, sizeof(v6lo)) == 0;
}

bool
objects_is_local_ip(struct objects *o, const char *ip)
{
	struct ipaddr a;
	bool r = false;
	size_t i;

	if (ipaddr_parse(ip, &a) == -1)
		return false;
	if (is_loopback(&a))
		return true;
	pthread_mutex_lock(&o->iflock);
	for (i = 0; i < o->nlocal && !r; i++)
		r = memcmp(o->local[i].b, a.b, sizeof(a.b)) == 0;
	pthread_mutex_unlock(&o->iflock);
	return r;
}

/* ---- the Router's directory -------------------------------------------- */

static void
rops_main_domain(void *ctx, char *buf, size_t size)
{
	objects_main_domain(ctx, buf, size);
}

static int
rops_find_domain(void *ctx, const char *name, char *buf, size_t size)
{
	return objects_find_domain(ctx, name, buf, size);
}

static enum dir_obj
rops_find_object(void *ctx, const char *domain, const char *name,
    char *target, size_t size)
{
	switch (objects_find_object(ctx, domain, name, target, size)) {
	case OBJ_ACCOUNT:
		return DIR_ACCOUNT;
	case OBJ_ALIAS:
		return DIR_ALIAS;
	case OBJ_FORWARDER:
		return DIR_FORWARDER;
	case OBJ_GROUP:
		return DIR_GROUP;
	default:
		return DIR_NONE;
	}
}

static void
rops_unknown_policy(void *ctx, const char *domain, enum route_ctx rctx,
    char *policy, size_t psize, char *reroute, size_t rsize)
{
	struct objects *o = ctx;
	const char *pkey, *rkey, *p, *r;
	struct domain *d;
	struct dval *eff = NULL;

	switch (rctx) {
	case ROUTE_ACCESS:
		pkey = "AccessToUnknown";
		rkey = "AccessRerouteAddress";
		break;
	case ROUTE_SIGNAL:
		pkey = "SignalToUnknown";
		rkey = "SignalRerouteAddress";
		break;
	default:
		pkey = "MailToUnknown";
		rkey = "MailRerouteAddress";
		break;
	}
	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_find(o->st, domain)) != NULL)
		eff = dom_effective(o->st, d);
	pthread_rwlock_unlock(&o->lock);
	p = eff != NULL ? dict_get_str(eff, pkey) : NULL;
	r = eff != NULL ? dict_get_str(eff, rkey) : NULL;
	obj_copy(policy, psize, p != NULL ? p : "Rejected");
	obj_copy(reroute, rsize, r != NULL ? r : "");
	dict_free(&eff);
}

static bool
rops_is_local_ip(void *ctx, const char *ip)
{
	return objects_is_local_ip(ctx, ip);
}

const struct router_dir_ops objects_router_ops = {
	.main_domain = rops_main_domain,
	.find_domain = rops_find_domain,
	.find_object = rops_find_object,
	.unknown_policy = rops_unknown_policy,
	.is_local_ip = rops_is_local_ip,
};
