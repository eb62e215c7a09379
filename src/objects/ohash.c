/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ohash.c: a small chained hash table keyed by lower-cased strings, used for
 * the domain table (names and aliases) and each domain's object-name table.
 * Keys are copied and lower-cased on insert; lookups accept any case.  The
 * table doubles when it holds as many entries as buckets.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "objects/objects_private.h"

static size_t
key_hash(const char *k)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a, case-folded */

	for (; *k != '\0'; k++) {
		h ^= (unsigned char)tolower((unsigned char)*k);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

void
ohash_init(struct ohash *h)
{
	h->nb = OHASH_BUCKETS_MIN;
	h->b = xcalloc(h->nb, sizeof(*h->b));
	h->count = 0;
}

void
ohash_clear(struct ohash *h, void (*free_val)(void *))
{
	struct ohash_ent *e, *next;
	size_t i;

	for (i = 0; i < h->nb; i++) {
		for (e = h->b[i]; e != NULL; e = next) {
			next = e->next;
			if (free_val != NULL)
				free_val(e->val);
			free(e->key);
			free(e);
		}
	}
	free(h->b);
	h->b = NULL;
	h->nb = h->count = 0;
}

static struct ohash_ent **
find_slot(const struct ohash *h, const char *key)
{
	struct ohash_ent **ep;

	ep = &h->b[key_hash(key) % h->nb];
	for (; *ep != NULL; ep = &(*ep)->next)
		if (strcasecmp((*ep)->key, key) == 0)
			break;
	return ep;
}

void *
ohash_get(const struct ohash *h, const char *key)
{
	struct ohash_ent **ep;

	if (h->nb == 0)
		return NULL;
	ep = find_slot(h, key);
	return *ep != NULL ? (*ep)->val : NULL;
}

static void
grow(struct ohash *h)
{
	struct ohash_ent **nb, *e, *next;
	size_t n = size_mul(h->nb, 2), i, j;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < h->nb; i++) {
		for (e = h->b[i]; e != NULL; e = next) {
			next = e->next;
			j = key_hash(e->key) % n;
			e->next = nb[j];
			nb[j] = e;
		}
	}
	free(h->b);
	h->b = nb;
	h->nb = n;
}

void
ohash_put(struct ohash *h, const char *key, void *val)
{
	struct ohash_ent **ep, *e;
	char *p;

	if (h->nb == 0)
		ohash_init(h);
	ep = find_slot(h, key);
	if (*ep != NULL) {
		(*ep)->val = val;
		return;
	}
	if (h->count >= h->nb) {
		grow(h);
		ep = find_slot(h, key);
	}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	for (p = e->key; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	e->val = val;
	*ep = e;
	h->count++;
}

void *
ohash_del(struct ohash *h, const char *key)
{
	struct ohash_ent **ep, *e;
	void *val;

	if (h->nb == 0)
		return NULL;
	ep = find_slot(h, key);
	if ((e = *ep) == NULL)
		return NULL;
	*ep = e->next;
	val = e->val;
	free(e->key);
	free(e);
	h->count--;
	return val;
}

void
ohash_each(const struct ohash *h,
    void (*fn)(const char *key, void *val, void *arg), void *arg)
{
	struct ohash_ent *e;
	size_t i;

	for (i = 0; i < h->nb; i++)
		for (e = h->b[i]; e != NULL; e = e->next)
			fn(e->key, e->val, arg);
}
