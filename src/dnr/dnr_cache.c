/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_cache.c: the DNR's answer cache (see dnr_private.h): a hash of
 * (name, type) over at most max entries, each the raw answer with its
 * status and expiry; a list in insertion order gives the oldest one when
 * the cache is full and no entry has expired.  Not thread-safe: dnr.c
 * calls it under its lock.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "dnr/dnr_private.h"

struct ent {
	struct ent	*hnext;		/* hash chain */
	struct ent	*older, *newer;	/* insertion order */
	char		 name[DNR_NAME_MAX + 1];
	int		 type;
	enum dnr_status	 st;
	bool		 ad;
	time_t		 expires;
	size_t		 len;
	unsigned char	 ans[];
};

struct dnr_cache {
	size_t		 max, n, nbuckets;
	struct ent	**buckets;
	struct ent	*oldest, *newest;
};

static size_t
hash(const char *name, int type, size_t nbuckets)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)type;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 1099511628211ULL;
	}
	return (size_t)(h & (nbuckets - 1));
}

struct dnr_cache *
dnr_cache_new(size_t max)
{
	struct dnr_cache *c = xcalloc(1, sizeof(*c));

	c->max = max > 0 ? max : 1;
	c->nbuckets = 16;
	while (c->nbuckets < c->max * 2)
		c->nbuckets *= 2;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	return c;
}

static struct ent **
find(struct dnr_cache *c, const char *name, int type)
{
	struct ent **pp = &c->buckets[hash(name, type, c->nbuckets)];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->type == type && strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

static void
unlink_ent(struct dnr_cache *c, struct ent *e)
{
	struct ent **pp = find(c, e->name, e->type);

	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->n--;
	free(e);
}

void
dnr_cache_clear(struct dnr_cache *c)
{
	while (c->oldest != NULL)
		unlink_ent(c, c->oldest);
}

void
dnr_cache_free(struct dnr_cache **cp)
{
	struct dnr_cache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	dnr_cache_clear(c);
	free(c->buckets);
	free(c);
}

size_t
dnr_cache_count(const struct dnr_cache *c)
{
	return c->n;
}

/* Room for one more: an expired entry goes, or else the oldest. */
static void
make_room(struct dnr_cache *c, time_t now)
{
	struct ent *e;

	if (c->n < c->max)
		return;
	for (e = c->oldest; e != NULL; e = e->newer)
		if (e->expires <= now) {
			unlink_ent(c, e);
			return;
		}
	unlink_ent(c, c->oldest);
}

void
dnr_cache_put(struct dnr_cache *c, const char *name, int type,
    enum dnr_status st, const unsigned char *ans, size_t len, bool ad,
    uint32_t ttl, time_t now)
{
	struct ent **pp, *e;
	size_t n = strlen(name);

	if (ttl == 0 || n > DNR_NAME_MAX || len > DNR_RAW_MAX ||
	    (st != DNR_OK && st != DNR_NODATA && st != DNR_NOTFOUND))
		return;
	pp = find(c, name, type);
	if (*pp != NULL)
		unlink_ent(c, *pp);
	make_room(c, now);
	e = xcalloc(1, sizeof(*e) + len);
	memcpy(e->name, name, n + 1);
	e->type = type;
	e->st = st;
	e->ad = ad;
	e->expires = now + (time_t)ttl;
	e->len = len;
	if (len > 0)
		memcpy(e->ans, ans, len);
	pp = find(c, name, type);
	*pp = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->n++;
}

bool
dnr_cache_get(struct dnr_cache *c, const char *name, int type, time_t now,
    enum dnr_status *st_r, unsigned char *ans_r, size_t size, size_t *len_r,
    bool *ad_r)
{
	struct ent *e = *find(c, name, type);

	if (e == NULL)
		return false;
	if (e->expires <= now || e->len > size) {
		unlink_ent(c, e);
		return false;
	}
	*st_r = e->st;
	memcpy(ans_r, e->ans, e->len);
	*len_r = e->len;
	*ad_r = e->ad;
	return true;
}
