/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_webapp.c: what the two web applications on the HTTP layer (WebAdmin
 * and WebUser) share: the domain a request's Host names, found as the
 * original does by routing "LoginPage@<host>" (an IP address as an address
 * literal), and the upkeep of their session arrays (idle expiry, the least
 * recently used one when full, growth).  The arrays are the callers', each
 * behind its own lock; these functions only see bytes, an element size and
 * where the element keeps its last-use time.
 */
#include "lib/compat.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "net/conn.h"
#include "lib/xmalloc.h"
#include "router/router.h"
#include "core/server.h"
#include "http/http.h"

int
http_login_domain(struct server *srv, const char *host, char *domain,
    size_t size, char *addr_r, size_t addr_size)
{
	struct route_result res;
	struct error err;
	size_t n = strlen(host);

	/* An IP address is an address literal for the router (RFC 5321
	 * 4.1.3: "[1.2.3.4]", "[IPv6:::1]"). */
	if (host[0] == '[' || strchr(host, ':') != NULL) {
		if (host[0] == '[' && n >= 2) {
			host++;
			n -= 2;
		}
		snprintf(addr_r, addr_size, "LoginPage@[IPv6:%.*s]", (int)n,
		    host);
	} else if (strspn(host, "0123456789.") == n)
		snprintf(addr_r, addr_size, "LoginPage@[%s]", host);
	else
		snprintf(addr_r, addr_size, "LoginPage@%s", host);
	if (router_route(srv->router, addr_r, ROUTE_ACCESS, NULL, &res,
	    &err) == 0 && res.module == ROUTE_LOCAL) {
		snprintf(domain, size, "%s", res.domain);
		return 0;
	}
	return -1;
}

static int64_t
last_use(const void *v, size_t i, size_t size, size_t last_off)
{
	int64_t t;

	memcpy(&t, (const char *)v + i * size + last_off, sizeof(t));
	return t;
}

size_t
http_sessions_drop(void *v, size_t n, size_t size, size_t i)
{
	char *a = v;

	OPENSSL_cleanse(a + i * size, size);
	if (i != n - 1)
		memcpy(a + i * size, a + (n - 1) * size, size);
	return n - 1;
}

size_t
http_sessions_expire(void *v, size_t n, size_t size, size_t last_off,
    int64_t now, int64_t timeout_ms)
{
	size_t i = 0;

	while (i < n) {
		if (now - last_use(v, i, size, last_off) > timeout_ms)
			n = http_sessions_drop(v, n, size, i);
		else
			i++;
	}
	return n;
}

size_t
http_sessions_lru(const void *v, size_t n, size_t size, size_t last_off)
{
	size_t i, oldest = 0;

	for (i = 1; i < n; i++)
		if (last_use(v, i, size, last_off) <
		    last_use(v, oldest, size, last_off))
			oldest = i;
	return oldest;
}

void *
http_sessions_room(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 16 : size_mul(*cap, 2);
	return xrealloc(v, size_mul(*cap, size));
}

void
http_auth_peer(const struct http_request *req, const char *service,
    struct auth_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	peer->local = (const struct sockaddr *)conn_local_addr(req->conn);
	peer->remote = (const struct sockaddr *)conn_peer_addr(req->conn);
	peer->tls = req->tls;
	peer->service = service;
	peer->log = req->log;
}
