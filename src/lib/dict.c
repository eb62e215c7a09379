/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict.c: the value tree of the CommuniGate Pro data format (see dict.h):
 * constructors, accessors, clone, equality and the ordered dictionary.
 *
 * A dictionary keeps its pairs in insertion order in two parallel arrays.
 * Small dictionaries are searched linearly; once one holds more than
 * DICT_INDEX_MIN keys it also gets an open-addressing hash index (FNV-1a,
 * linear probing, slots hold position + 1) so that get and set stay O(1)
 * for settings dictionaries with 100,000 keys.  Removal shifts the arrays
 * and marks the index stale; it is rebuilt on the next lookup.
 * The text form lives in dict_parse.c and dict_write.c.
 */
#include "lib/compat.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"

#define DICT_INDEX_MIN	32	/* keys before a dictionary gets a hash index */

/* Whole-second range the text form can carry: 01-01-1970 .. 31-12-9999. */
#define DICT_TIME_MIN_SEC	0
#define DICT_TIME_MAX_SEC	INT64_C(253402300799)

struct dval {
	enum dict_type	 type;
	union {
		struct {		/* DICT_STRING, DICT_DATA */
			char	*p;	/* len bytes + NUL */
			size_t	 len;
		} s;
		int64_t		 n;
		struct {
			int64_t	 t;
			bool	 has_time;
		} tm;
		struct {
			struct dval	**items;
			size_t		  len, cap;
		} a;
		struct {
			char		**keys;
			size_t		 *klens;
			struct dval	**vals;
			size_t		  len, cap;
			uint32_t	 *idx;	/* hash slots: position + 1, 0 empty */
			size_t		  icap;	/* power of two, or 0 without index */
			bool		  stale;
		} d;
	} u;
};

static struct dval *
dval_alloc(enum dict_type type)
{
	struct dval *v;

	v = xcalloc(1, sizeof(*v));
	v->type = type;
	return v;
}

struct dval *
dict_new_string(const char *p, size_t len)
{
	struct dval *v;

	v = dval_alloc(DICT_STRING);
	v->u.s.p = xmalloc(size_add(len, 1));
	if (len > 0)
		memcpy(v->u.s.p, p, len);
	v->u.s.p[len] = '\0';
	v->u.s.len = len;
	return v;
}

struct dval *
dict_new_cstr(const char *s)
{
	return dict_new_string(s, strlen(s));
}

struct dval *
dict_new_data(const void *p, size_t len)
{
	struct dval *v;

	v = dict_new_string(p, len);
	v->type = DICT_DATA;
	return v;
}

struct dval *
dict_new_number(int64_t n)
{
	struct dval *v;

	v = dval_alloc(DICT_NUMBER);
	v->u.n = n;
	return v;
}

/*
 * Times outside what the text form can show become #TPAST / #TFUTURE, and a
 * date-only time is cut to midnight, so that every tree survives a
 * write/parse round trip unchanged.
 */
struct dval *
dict_new_time(int64_t t, bool has_time)
{
	struct dval *v;

	v = dval_alloc(DICT_TIME);
	if (t < DICT_TIME_MIN_SEC) {
		t = DICT_TIME_PAST;
		has_time = true;
	} else if (t > DICT_TIME_MAX_SEC) {
		t = DICT_TIME_FUTURE;
		has_time = true;
	} else if (!has_time)
		t -= t % 86400;
	v->u.tm.t = t;
	v->u.tm.has_time = has_time;
	return v;
}

struct dval *
dict_new_null(void)
{
	return dval_alloc(DICT_NULL);
}

struct dval *
dict_new_array(void)
{
	return dval_alloc(DICT_ARRAY);
}

struct dval *
dict_new_dict(void)
{
	return dval_alloc(DICT_DICT);
}

void
dict_free(struct dval **vp)
{
	struct dval *v;
	size_t i;

	if (vp == NULL || (v = *vp) == NULL)
		return;
	*vp = NULL;
	switch (v->type) {
	case DICT_STRING:
	case DICT_DATA:
		free(v->u.s.p);
		break;
	case DICT_ARRAY:
		for (i = 0; i < v->u.a.len; i++)
			dict_free(&v->u.a.items[i]);
		free(v->u.a.items);
		break;
	case DICT_DICT:
		for (i = 0; i < v->u.d.len; i++) {
			free(v->u.d.keys[i]);
			dict_free(&v->u.d.vals[i]);
		}
		free(v->u.d.keys);
		free(v->u.d.klens);
		free(v->u.d.vals);
		free(v->u.d.idx);
		break;
	default:
		break;
	}
	free(v);
}

struct dval *
dict_clone(const struct dval *v)
{
	struct dval *c;
	size_t i;

	switch (v->type) {
	case DICT_STRING:
		return dict_new_string(v->u.s.p, v->u.s.len);
	case DICT_DATA:
		return dict_new_data(v->u.s.p, v->u.s.len);
	case DICT_NUMBER:
		return dict_new_number(v->u.n);
	case DICT_TIME:
		return dict_new_time(v->u.tm.t, v->u.tm.has_time);
	case DICT_NULL:
		return dict_new_null();
	case DICT_ARRAY:
		c = dict_new_array();
		for (i = 0; i < v->u.a.len; i++)
			dict_array_push(c, dict_clone(v->u.a.items[i]));
		return c;
	case DICT_DICT:
		c = dict_new_dict();
		for (i = 0; i < v->u.d.len; i++)
			dict_set(c, v->u.d.keys[i], dict_clone(v->u.d.vals[i]));
		return c;
	}
	fatal("dict_clone: bad type %d", (int)v->type);
}

/*
 * Dictionaries are equal when they hold the same keys with equal values; the
 * order of keys does not matter.
 */
bool
dict_equal(const struct dval *a, const struct dval *b)
{
	struct dval *bv;
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case DICT_STRING:
	case DICT_DATA:
		return a->u.s.len == b->u.s.len &&
		    memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
	case DICT_NUMBER:
		return a->u.n == b->u.n;
	case DICT_TIME:
		return a->u.tm.t == b->u.tm.t &&
		    a->u.tm.has_time == b->u.tm.has_time;
	case DICT_NULL:
		return true;
	case DICT_ARRAY:
		if (a->u.a.len != b->u.a.len)
			return false;
		for (i = 0; i < a->u.a.len; i++)
			if (!dict_equal(a->u.a.items[i], b->u.a.items[i]))
				return false;
		return true;
	case DICT_DICT:
		if (a->u.d.len != b->u.d.len)
			return false;
		for (i = 0; i < a->u.d.len; i++) {
			bv = dict_get(b, a->u.d.keys[i]);
			if (bv == NULL || !dict_equal(a->u.d.vals[i], bv))
				return false;
		}
		return true;
	}
	return false;
}

enum dict_type
dict_type(const struct dval *v)
{
	return v->type;
}

const char *
dict_str(const struct dval *v, size_t *len_r)
{
	if (v == NULL || (v->type != DICT_STRING && v->type != DICT_DATA)) {
		if (len_r != NULL)
			*len_r = 0;
		return NULL;
	}
	if (len_r != NULL)
		*len_r = v->u.s.len;
	return v->u.s.p;
}

int64_t
dict_number(const struct dval *v)
{
	return v != NULL && v->type == DICT_NUMBER ? v->u.n : 0;
}

int64_t
dict_time(const struct dval *v, bool *has_time_r)
{
	if (v == NULL || v->type != DICT_TIME) {
		if (has_time_r != NULL)
			*has_time_r = false;
		return 0;
	}
	if (has_time_r != NULL)
		*has_time_r = v->u.tm.has_time;
	return v->u.tm.t;
}

/* Arrays. */

size_t
dict_array_len(const struct dval *arr)
{
	return arr != NULL && arr->type == DICT_ARRAY ? arr->u.a.len : 0;
}

struct dval *
dict_array_get(const struct dval *arr, size_t i)
{
	if (arr == NULL || arr->type != DICT_ARRAY || i >= arr->u.a.len)
		return NULL;
	return arr->u.a.items[i];
}

void
dict_array_push(struct dval *arr, struct dval *item)
{
	ASSERT(arr->type == DICT_ARRAY && item != NULL);
	if (arr->u.a.len == arr->u.a.cap) {
		arr->u.a.cap = arr->u.a.cap ? size_mul(arr->u.a.cap, 2) : 4;
		arr->u.a.items = xrealloc(arr->u.a.items,
		    size_mul(arr->u.a.cap, sizeof(*arr->u.a.items)));
	}
	arr->u.a.items[arr->u.a.len++] = item;
}

void
dict_array_push_cstr(struct dval *arr, const char *s)
{
	dict_array_push(arr, dict_new_cstr(s));
}

/* Dictionaries. */

static uint32_t
key_hash(const char *k, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static void
index_insert(struct dval *d, size_t pos)
{
	size_t mask = d->u.d.icap - 1, s;

	s = key_hash(d->u.d.keys[pos], d->u.d.klens[pos]) & mask;
	while (d->u.d.idx[s] != 0)
		s = (s + 1) & mask;
	d->u.d.idx[s] = (uint32_t)(pos + 1);
}

/* Builds the index with room for at least twice the keys held. */
static void
index_rebuild(struct dval *d)
{
	size_t i, icap = 64;

	if (d->u.d.len > UINT32_MAX - 1)
		fatal("dict: too many keys");
	while (icap < d->u.d.len * 2)
		icap = size_mul(icap, 2);
	free(d->u.d.idx);
	d->u.d.idx = xcalloc(icap, sizeof(*d->u.d.idx));
	d->u.d.icap = icap;
	for (i = 0; i < d->u.d.len; i++)
		index_insert(d, i);
	d->u.d.stale = false;
}

/* Position of key, or -1. */
static ssize_t
dict_find(const struct dval *cd, const char *key, size_t klen)
{
	struct dval *d = (struct dval *)cd;	/* index is a cache */
	size_t i, mask, s;
	uint32_t slot;

	if (d->u.d.len <= DICT_INDEX_MIN) {
		for (i = 0; i < d->u.d.len; i++)
			if (d->u.d.klens[i] == klen &&
			    memcmp(d->u.d.keys[i], key, klen) == 0)
				return (ssize_t)i;
		return -1;
	}
	if (d->u.d.icap == 0 || d->u.d.stale)
		index_rebuild(d);
	mask = d->u.d.icap - 1;
	for (s = key_hash(key, klen) & mask; (slot = d->u.d.idx[s]) != 0;
	    s = (s + 1) & mask) {
		i = slot - 1;
		if (d->u.d.klens[i] == klen &&
		    memcmp(d->u.d.keys[i], key, klen) == 0)
			return (ssize_t)i;
	}
	return -1;
}

size_t
dict_len(const struct dval *d)
{
	return d != NULL && d->type == DICT_DICT ? d->u.d.len : 0;
}

const char *
dict_key_at(const struct dval *d, size_t i)
{
	if (d == NULL || d->type != DICT_DICT || i >= d->u.d.len)
		return NULL;
	return d->u.d.keys[i];
}

struct dval *
dict_value_at(const struct dval *d, size_t i)
{
	if (d == NULL || d->type != DICT_DICT || i >= d->u.d.len)
		return NULL;
	return d->u.d.vals[i];
}

struct dval *
dict_get(const struct dval *d, const char *key)
{
	ssize_t i;

	if (d == NULL || d->type != DICT_DICT)
		return NULL;
	i = dict_find(d, key, strlen(key));
	return i < 0 ? NULL : d->u.d.vals[i];
}

const char *
dict_get_str(const struct dval *d, const char *key)
{
	struct dval *v;

	v = dict_get(d, key);
	return v != NULL && v->type == DICT_STRING ? v->u.s.p : NULL;
}

void
dict_set(struct dval *d, const char *key, struct dval *v)
{
	size_t klen, pos;
	ssize_t i;

	ASSERT(d->type == DICT_DICT && v != NULL);
	klen = strlen(key);
	if ((i = dict_find(d, key, klen)) >= 0) {
		dict_free(&d->u.d.vals[i]);
		d->u.d.vals[i] = v;
		return;
	}
	if (d->u.d.len == d->u.d.cap) {
		d->u.d.cap = d->u.d.cap ? size_mul(d->u.d.cap, 2) : 8;
		d->u.d.keys = xrealloc(d->u.d.keys,
		    size_mul(d->u.d.cap, sizeof(*d->u.d.keys)));
		d->u.d.klens = xrealloc(d->u.d.klens,
		    size_mul(d->u.d.cap, sizeof(*d->u.d.klens)));
		d->u.d.vals = xrealloc(d->u.d.vals,
		    size_mul(d->u.d.cap, sizeof(*d->u.d.vals)));
	}
	pos = d->u.d.len++;
	d->u.d.keys[pos] = xstrndup(key, klen);
	d->u.d.klens[pos] = klen;
	d->u.d.vals[pos] = v;
	if (d->u.d.icap != 0 && !d->u.d.stale) {
		if (d->u.d.len * 2 > d->u.d.icap)
			index_rebuild(d);
		else
			index_insert(d, pos);
	}
}

void
dict_set_str(struct dval *d, const char *key, const char *s)
{
	dict_set(d, key, dict_new_cstr(s));
}

int
dict_remove(struct dval *d, const char *key)
{
	size_t n;
	ssize_t i;

	if (d == NULL || d->type != DICT_DICT)
		return -1;
	if ((i = dict_find(d, key, strlen(key))) < 0)
		return -1;
	free(d->u.d.keys[i]);
	dict_free(&d->u.d.vals[i]);
	n = d->u.d.len - (size_t)i - 1;
	memmove(&d->u.d.keys[i], &d->u.d.keys[i + 1], n * sizeof(char *));
	memmove(&d->u.d.klens[i], &d->u.d.klens[i + 1], n * sizeof(size_t));
	memmove(&d->u.d.vals[i], &d->u.d.vals[i + 1],
	    n * sizeof(struct dval *));
	d->u.d.len--;
	if (d->u.d.icap != 0)
		d->u.d.stale = true;
	return 0;
}

void
dict_update(struct dval *dst, const struct dval *src)
{
	const struct dval *v;
	struct dval *copy;
	size_t i;

	ASSERT(dst->type == DICT_DICT && src->type == DICT_DICT);
	if (dst == src) {		/* removals would shift src under us */
		copy = dict_clone(src);
		dict_update(dst, copy);
		dict_free(&copy);
		return;
	}
	for (i = 0; i < src->u.d.len; i++) {
		v = src->u.d.vals[i];
		if (v->type == DICT_STRING && v->u.s.len == 7 &&
		    memcmp(v->u.s.p, "default", 7) == 0)
			(void)dict_remove(dst, src->u.d.keys[i]);
		else
			dict_set(dst, src->u.d.keys[i], dict_clone(v));
	}
}
