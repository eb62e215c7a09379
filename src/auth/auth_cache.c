/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_cache.c: auth_login_cached() (auth.h), the one place that remembers
 * password logins for protocols that send the password with every request
 * (HTTP Basic in WebAdmin and JMAP).
 *
 * An entry is HMAC-SHA256, under a key drawn at the first use, of the
 * service, the local address and port, the remote address (not its port:
 * a client opens new connections) and the name and password; the password
 * itself is never kept.  An entry holds only while the objects' change
 * epoch is the one it was made at, and for AUTH_CACHE_SECS at most.  The
 * table is direct-mapped by the hash: a collision replaces the older entry,
 * which costs one password check, nothing else.
 */
#include "lib/compat.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/bounds.h"
#include "lib/log.h"
#include "objects/objects.h"
#include "core/server.h"
#include "auth/auth.h"

struct cache_entry {
	unsigned char		mac[32];
	uint64_t		epoch;		/* objects_change_epoch() then */
	time_t			until;
	struct auth_result	res;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache[AUTH_CACHE_MAX];
static unsigned char cache_key[32];
static bool cache_keyed;

/* The address bytes of sa (and its port when with_port), or 0 bytes. */
static size_t
addr_bytes(const struct sockaddr *sa, bool with_port, unsigned char *out)
{
	size_t n = 0;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		memcpy(out, &in->sin_addr, 4);
		n = 4;
		if (with_port) {
			memcpy(out + n, &in->sin_port, 2);
			n += 2;
		}
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		n = 16;
		if (with_port) {
			memcpy(out + n, &in6->sin6_port, 2);
			n += 2;
		}
	}
	return n;
}

/* Appends p[0..n) to buf at *off, when it fits. */
static bool
put(unsigned char *buf, size_t size, size_t *off, const void *p, size_t n)
{
	if (n > size - *off)
		return false;
	memcpy(buf + *off, p, n);
	*off += n;
	return true;
}

/* false when no key could be drawn or the fields are over-long (then
 * nothing is remembered). */
static bool
entry_mac(const struct auth_peer *peer, const char *name, const char *pw,
    unsigned char mac[32])
{
	unsigned char text[2 * (1 + 18) + 64 + 2 * (ADDRESS_MAX + 1) +
	    PASSWORD_MAX + 1];
	const char *svc = peer->service != NULL ? peer->service : "";
	unsigned char a[1 + 18];
	unsigned int len = 0;
	size_t off = 0;
	bool ok;

	pthread_mutex_lock(&cache_lock);
	if (!cache_keyed)
		cache_keyed = RAND_bytes(cache_key, sizeof(cache_key)) == 1;
	ok = cache_keyed;
	pthread_mutex_unlock(&cache_lock);
	/* Each field with its terminator or its length, so that fields cannot
	 * run into each other. */
	ok = ok && put(text, sizeof(text), &off, svc, strlen(svc) + 1);
	a[0] = (unsigned char)addr_bytes(peer->local, true, a + 1);
	ok = ok && put(text, sizeof(text), &off, a, 1 + (size_t)a[0]);
	a[0] = (unsigned char)addr_bytes(peer->remote, false, a + 1);
	ok = ok && put(text, sizeof(text), &off, a, 1 + (size_t)a[0]);
	ok = ok && put(text, sizeof(text), &off, name, strlen(name) + 1) &&
	    put(text, sizeof(text), &off, pw, strlen(pw) + 1);
	ok = ok && HMAC(EVP_sha256(), cache_key, sizeof(cache_key), text, off,
	    mac, &len) != NULL && len == 32;
	OPENSSL_cleanse(text, sizeof(text));
	return ok;
}

static struct cache_entry *
slot_of(const unsigned char mac[32])
{
	return &cache[(mac[0] | (unsigned)mac[1] << 8 |
	    (unsigned)mac[2] << 16) % AUTH_CACHE_MAX];
}

static bool
cache_find(const unsigned char mac[32], struct auth_result *res)
{
	struct cache_entry *e = slot_of(mac);
	bool hit;

	pthread_mutex_lock(&cache_lock);
	hit = e->until > time(NULL) &&
	    e->epoch == objects_change_epoch() &&
	    CRYPTO_memcmp(e->mac, mac, 32) == 0;
	if (hit)
		*res = e->res;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void
cache_add(const unsigned char mac[32], uint64_t epoch,
    const struct auth_result *res)
{
	struct cache_entry *e = slot_of(mac);

	pthread_mutex_lock(&cache_lock);
	memcpy(e->mac, mac, 32);
	e->epoch = epoch;
	e->until = time(NULL) + AUTH_CACHE_SECS;
	e->res = *res;
	pthread_mutex_unlock(&cache_lock);
}

int
auth_login_cached(struct server *srv, const struct auth_peer *peer,
    const char *name, const char *password, struct auth_result *res,
    struct error *err_r)
{
	unsigned char mac[32];
	uint64_t epoch;
	bool keyed;

	keyed = entry_mac(peer, name, password, mac);
	if (keyed && cache_find(mac, res))
		return auth_check_peer(srv, peer, err_r);
	/* The epoch before the check: a change during the check makes the
	 * entry stale at once rather than trusted. */
	epoch = objects_change_epoch();
	if (auth_login(srv, peer, name, password, res, err_r) < 0)
		return -1;
	if (keyed)
		cache_add(mac, epoch, res);
	return 0;
}
