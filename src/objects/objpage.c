/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objpage.c: one page of a domain's names (objects_name_page), for
 * ListDomainObjects and WebAdmin's Accounts page.  The name table is walked
 * once under the read lock; only the names of the page are kept (a sorted
 * window of at most limit + 1 pointers), so a page of a domain of 100,000
 * accounts costs one pass over the hash, never a copy or a sort of all of
 * them.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

struct page_walk {
	unsigned	 kinds;		/* 1 << OBJ_* */
	const char	*filter;	/* substring (any case), "" all */
	const char	*after;		/* names > after */
	size_t		 want;		/* limit + 1 */
	const char	**win;		/* sorted, [n] of [want] */
	size_t		 n;
	size_t		 total;
};

static bool
contains_ci(const char *s, const char *sub)
{
	size_t n = strlen(sub);

	if (n == 0)
		return true;
	for (; *s != '\0'; s++)
		if (strncasecmp(s, sub, n) == 0)
			return true;
	return false;
}

static void
page_one(const char *key ATTR_UNUSED, void *val, void *arg)
{
	const struct nament *ne = val;
	struct page_walk *w = arg;
	size_t lo, hi;

	if (!(w->kinds & (1u << ne->kind)) || !contains_ci(ne->name, w->filter))
		return;
	w->total++;
	if (strcmp(ne->name, w->after) <= 0 || w->want == 0)
		return;
	if (w->n == w->want && strcmp(ne->name, w->win[w->n - 1]) >= 0)
		return;
	/* binary search for the place, then shift the window */
	lo = 0;
	hi = w->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(w->win[mid], ne->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (w->n == w->want)
		w->n--;
	memmove(&w->win[lo + 1], &w->win[lo], (w->n - lo) * sizeof(*w->win));
	w->win[lo] = ne->name;
	w->n++;
}

struct dval *
objects_name_page(struct objects *o, const char *domain, unsigned kinds,
    const char *filter, const char *after, size_t limit, size_t *total_r,
    bool *more_r, struct error *err_r)
{
	struct page_walk w;
	struct domain *d;
	struct dval *arr = NULL;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.kinds = kinds;
	w.filter = filter != NULL ? filter : "";
	w.after = after != NULL ? after : "";
	w.want = limit + 1;
	w.win = xcalloc(w.want, sizeof(*w.win));
	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		ohash_each(&d->names, page_one, &w);
		arr = dict_new_array();
		for (i = 0; i < w.n && i < limit; i++)
			dict_array_push_cstr(arr, w.win[i]);
	}
	pthread_rwlock_unlock(&o->lock);
	free(w.win);
	*total_r = w.total;
	*more_r = w.n > limit;
	return arr;
}
