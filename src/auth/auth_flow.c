/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_flow.c: the failed-login records behind flow control (auth.c) and
 * temporary blacklisting (auth_tempbl.c).  See auth_private.h.
 *
 * Each table is a fixed array of records with a hash index (chains through
 * `next`) and a free list, allocated on first use.  A hostile client may
 * try many account names from many addresses: only names that reach an
 * account get a pair record, every table is capped, and when one is full
 * the record that expires first makes room, so memory never grows past the
 * caps and old failures age out.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/xmalloc.h"
#include "auth/auth_private.h"

struct flow_rec {
	struct ipaddr	 ip;
	char		*account;	/* "account@domain"; NULL: address */
	uint32_t	 hash;
	int32_t		 next;		/* hash chain or free list; -1 ends */
	bool		 used;
	uint32_t	 fails[AUTH_FLOW_RING];	/* monotonic seconds, a ring */
	unsigned	 head, count;
	uint32_t	 expires;	/* last failure + its period */
};

struct flow_table {
	struct flow_rec	*rec;
	int32_t		*bucket;
	size_t		 cap, nbuckets, used;
	int32_t		 free_head;
};

static pthread_mutex_t flow_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flow_table pairs = { NULL, NULL, AUTH_FLOW_PAIRS_MAX, 0, 0, -1 };
static struct flow_table ips = { NULL, NULL, AUTH_FLOW_IPS_MAX, 0, 0, -1 };

uint32_t
auth_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: a time of 0 never occurs, so 0 can mean "none". */
	return (uint32_t)ts.tv_sec + 1;
}

/* FNV-1a over the address and the account name. */
static uint32_t
rec_hash(const char *account, const struct ipaddr *ip)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(ip->b); i++)
		h = (h ^ ip->b[i]) * 16777619u;
	if (account != NULL)
		for (; *account != '\0'; account++)
			h = (h ^ (unsigned char)*account) * 16777619u;
	return h;
}

static void
table_init(struct flow_table *t)
{
	size_t i;

	if (t->rec != NULL)
		return;
	t->nbuckets = t->cap * 2;
	t->rec = xcalloc(t->cap, sizeof(*t->rec));
	t->bucket = xcalloc(t->nbuckets, sizeof(*t->bucket));
	for (i = 0; i < t->nbuckets; i++)
		t->bucket[i] = -1;
	for (i = 0; i < t->cap; i++)
		t->rec[i].next = i + 1 < t->cap ? (int32_t)(i + 1) : -1;
	t->free_head = 0;
	t->used = 0;
}

static struct flow_table *
table_of(const char *account)
{
	return account != NULL ? &pairs : &ips;
}

static int32_t
rec_find(struct flow_table *t, const char *account, const struct ipaddr *ip,
    uint32_t h)
{
	int32_t i;

	if (t->rec == NULL)
		return -1;
	for (i = t->bucket[h % t->nbuckets]; i >= 0; i = t->rec[i].next) {
		const struct flow_rec *r = &t->rec[i];

		if (r->hash == h && memcmp(&r->ip, ip, sizeof(*ip)) == 0 &&
		    (account == NULL ? r->account == NULL :
		    r->account != NULL && strcmp(r->account, account) == 0))
			return i;
	}
	return -1;
}

static void
rec_remove(struct flow_table *t, int32_t idx)
{
	struct flow_rec *r = &t->rec[idx];
	int32_t *pp = &t->bucket[r->hash % t->nbuckets];

	while (*pp != idx)
		pp = &t->rec[*pp].next;
	*pp = r->next;
	free(r->account);
	memset(r, 0, sizeof(*r));
	r->next = t->free_head;
	t->free_head = idx;
	t->used--;
}

/* The record for the key, made when missing.  When the table is full the
 * record expiring first goes; *evicted_r says whether it was still live. */
static struct flow_rec *
rec_get(struct flow_table *t, const char *account, const struct ipaddr *ip,
    uint32_t now, bool *evicted_r)
{
	uint32_t h = rec_hash(account, ip);
	int32_t idx, victim = -1;
	struct flow_rec *r;
	size_t i;

	table_init(t);
	if ((idx = rec_find(t, account, ip, h)) >= 0)
		return &t->rec[idx];
	if (t->free_head < 0) {
		for (i = 0; i < t->cap; i++)
			if (victim < 0 ||
			    t->rec[i].expires < t->rec[victim].expires)
				victim = (int32_t)i;
		if (t->rec[victim].expires > now && evicted_r != NULL)
			*evicted_r = true;
		rec_remove(t, victim);
	}
	idx = t->free_head;
	r = &t->rec[idx];
	t->free_head = r->next;
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->ip = *ip;
	r->account = account != NULL ? xstrdup(account) : NULL;
	r->hash = h;
	r->next = t->bucket[h % t->nbuckets];
	t->bucket[h % t->nbuckets] = idx;
	t->used++;
	return r;
}

static unsigned
rec_recent(const struct flow_rec *r, uint32_t now, uint32_t period_s)
{
	unsigned i, n = 0;

	for (i = 0; i < r->count; i++)
		if (now - r->fails[(r->head + AUTH_FLOW_RING - 1 - i) %
		    AUTH_FLOW_RING] < period_s)
			n++;
	return n;
}

unsigned
auth_flow_recent(const char *account, const struct ipaddr *ip,
    uint32_t period_s)
{
	struct flow_table *t = table_of(account);
	unsigned n = 0;
	int32_t idx;

	pthread_mutex_lock(&flow_lock);
	idx = rec_find(t, account, ip, rec_hash(account, ip));
	if (idx >= 0)
		n = rec_recent(&t->rec[idx], auth_now_s(), period_s);
	pthread_mutex_unlock(&flow_lock);
	return n;
}

unsigned
auth_flow_fail(const char *account, const struct ipaddr *ip,
    uint32_t period_s, bool *evicted_r)
{
	struct flow_rec *r;
	uint32_t now = auth_now_s();
	unsigned n;

	if (evicted_r != NULL)
		*evicted_r = false;
	pthread_mutex_lock(&flow_lock);
	r = rec_get(table_of(account), account, ip, now, evicted_r);
	r->fails[r->head] = now;
	r->head = (r->head + 1) % AUTH_FLOW_RING;
	if (r->count < AUTH_FLOW_RING)
		r->count++;
	if (now + period_s > r->expires)
		r->expires = now + period_s;
	n = rec_recent(r, now, period_s);
	pthread_mutex_unlock(&flow_lock);
	return n;
}

void
auth_flow_clear(const char *account, const struct ipaddr *ip)
{
	struct flow_table *t = table_of(account);
	int32_t idx;

	pthread_mutex_lock(&flow_lock);
	idx = rec_find(t, account, ip, rec_hash(account, ip));
	if (idx >= 0)
		rec_remove(t, idx);
	pthread_mutex_unlock(&flow_lock);
}

void
auth_flow_forget_ip(const struct ipaddr *ip)
{
	int32_t idx;
	size_t i;

	pthread_mutex_lock(&flow_lock);
	idx = rec_find(&ips, NULL, ip, rec_hash(NULL, ip));
	if (idx >= 0)
		rec_remove(&ips, idx);
	for (i = 0; pairs.rec != NULL && i < pairs.cap; i++)
		if (pairs.rec[i].used &&
		    memcmp(&pairs.rec[i].ip, ip, sizeof(*ip)) == 0)
			rec_remove(&pairs, (int32_t)i);
	pthread_mutex_unlock(&flow_lock);
}

size_t
auth_flow_count(bool pair)
{
	size_t n;

	pthread_mutex_lock(&flow_lock);
	n = pair ? pairs.used : ips.used;
	pthread_mutex_unlock(&flow_lock);
	return n;
}

void
auth_flow_reset(void)
{
	size_t i;

	pthread_mutex_lock(&flow_lock);
	for (i = 0; pairs.rec != NULL && i < pairs.cap; i++)
		if (pairs.rec[i].used)
			rec_remove(&pairs, (int32_t)i);
	for (i = 0; ips.rec != NULL && i < ips.cap; i++)
		if (ips.rec[i].used)
			rec_remove(&ips, (int32_t)i);
	pthread_mutex_unlock(&flow_lock);
}
