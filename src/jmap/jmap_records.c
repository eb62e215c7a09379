/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_records.c: a list of JSON records kept in the account's jmap.data
 * (jmap_acct.c), with a state and a log of changes for /changes (RFC 8620
 * 5.2).  For a kind with keys K, S, L:
 *
 *	K = ("{\"id\":...}", ...);	each record as JSON text
 *	S = (state, next, base);	numbers as strings
 *	L = ("state kind id", ...);	oldest first, kind c, u or d,
 *					at most JMAP_CHANGES_KEPT
 *
 * Every change of one record moves the state on by one, so that any state
 * between base and the current one can be answered (and a /changes cut at
 * maxChanges has an intermediate state to give).  A client state older
 * than base (log entries dropped) gets cannotCalculateChanges.  Files
 * written before the log existed have no S base: their state is taken as
 * base.  Used by Identity (jmap_identity.c) and EmailSubmission
 * (jmap_submit.c).
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/error.h"
#include "jmap/jmap_private.h"

static long
num_at(const struct dval *arr, size_t i, long dflt)
{
	const char *s = dict_str(dict_array_get(arr, i), NULL);
	char *end;
	long v;

	if (arr == NULL || i >= dict_array_len(arr) || s == NULL)
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return dflt;
	return v;
}

/* Fills r from the dictionary d of jmap.data. */
static void
from_dict(const struct jmap_rec_kind *k, const struct dval *d,
    struct jmap_records *r)
{
	const struct dval *arr = dict_get(d, k->key);
	const struct dval *st = dict_get(d, k->state_key);
	const struct dval *lg = dict_get(d, k->log_key);
	size_t i;

	r->kind = k;
	r->list = json_array();
	r->log = json_array();
	for (i = 0; arr != NULL && i < dict_array_len(arr); i++) {
		const char *t = dict_str(dict_array_get(arr, i), NULL);
		json_t *o = t != NULL ? json_loads(t, 0, NULL) : NULL;

		if (json_is_object(o) && json_is_string(json_object_get(o,
		    "id")))
			json_array_append_new(r->list, o);
		else
			json_decref(o);
	}
	if (st == NULL || dict_type(st) != DICT_ARRAY) {
		/* never written with a state: what is there is state 1 */
		r->state = json_array_size(r->list) > 0 ? 1 : 0;
		r->next = 0;
		r->base = r->state;
	} else {
		r->state = num_at(st, 0, 0);
		r->next = num_at(st, 1, 0);
		r->base = num_at(st, 2, r->state);
		if (r->base > r->state)
			r->base = r->state;
	}
	for (i = 0; lg != NULL && i < dict_array_len(lg); i++) {
		const char *e = dict_str(dict_array_get(lg, i), NULL);

		if (e != NULL)
			json_array_append_new(r->log, json_string(e));
	}
}

void
jmap_records_load(struct jmap_ctx *c, const struct jmap_rec_kind *k,
    struct jmap_records *r)
{
	struct dval *d = jmap_acct_read_all(c->srv, &c->who);

	from_dict(k, d, r);
	r->loaded_state = r->state;
	dict_free(&d);
}

void
jmap_records_free(struct jmap_records *r)
{
	json_decref(r->list);
	json_decref(r->log);
	r->list = r->log = NULL;
}

void
jmap_records_state(const struct jmap_records *r, char *out, size_t n)
{
	snprintf(out, n, "%c%ld", r->kind->prefix, r->state);
}

json_t *
jmap_records_find(const struct jmap_records *r, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(r->list, i, v)
		if (id != NULL && strcmp(json_string_value(json_object_get(v,
		    "id")), id) == 0)
			return v;
	return NULL;
}

void
jmap_records_note(struct jmap_records *r, const char *id, char kind)
{
	char e[160];

	r->state++;
	snprintf(e, sizeof(e), "%ld %c %s", r->state, kind, id);
	json_array_append_new(r->log, json_string(e));
	while (json_array_size(r->log) > JMAP_CHANGES_KEPT) {
		/* the oldest entry goes: its state is no longer answerable
		 * from the state before it */
		r->base = strtol(json_string_value(json_array_get(r->log, 0)),
		    NULL, 10);
		json_array_remove(r->log, 0);
	}
}

static int
write_records(struct dval *d, void *argp, struct error *err_r)
{
	const struct jmap_records *r = argp;
	const struct jmap_rec_kind *k = r->kind;
	struct jmap_records now;
	struct dval *arr, *st, *lg;
	json_t *v;
	size_t i;
	char n[32];
	long cur;

	/* another request may have changed them since they were read */
	from_dict(k, d, &now);
	cur = now.state;
	jmap_records_free(&now);
	if (cur != r->loaded_state)
		return error_set(err_r, ERR_TEMP, "changed by another request "
		    "meanwhile; try again");
	arr = dict_new_array();
	json_array_foreach(r->list, i, v) {
		char *t = json_dumps(v, JSON_COMPACT);

		if (t == NULL) {
			dict_free(&arr);
			return error_set(err_r, ERR_SYNTAX, "a record cannot "
			    "be written");
		}
		dict_array_push_cstr(arr, t);
		free(t);
	}
	st = dict_new_array();
	snprintf(n, sizeof(n), "%ld", r->state);
	dict_array_push_cstr(st, n);
	snprintf(n, sizeof(n), "%ld", r->next);
	dict_array_push_cstr(st, n);
	snprintf(n, sizeof(n), "%ld", r->base);
	dict_array_push_cstr(st, n);
	lg = dict_new_array();
	json_array_foreach(r->log, i, v)
		dict_array_push_cstr(lg, json_string_value(v));
	dict_set(d, k->key, arr);
	dict_set(d, k->state_key, st);
	dict_set(d, k->log_key, lg);
	return 0;
}

int
jmap_records_save(struct jmap_ctx *c, struct jmap_records *r,
    struct error *err_r)
{
	if (jmap_acct_modify(c->srv, &c->who, write_records, r, err_r) < 0)
		return -1;
	r->loaded_state = r->state;
	return 0;
}

/* Parses "<prefix><decimal>" into *n. */
static bool
parse_state(const char *s, char prefix, long *n)
{
	char *end;

	if (s == NULL || s[0] != prefix || s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	*n = strtol(s + 1, &end, 10);
	return errno == 0 && *end == '\0';
}

json_t *
jmap_records_changes(struct jmap_ctx *c, const struct jmap_rec_kind *k,
    json_t *args)
{
	const char *since = json_string_value(json_object_get(args,
	    "sinceState"));
	struct jmap_records r;
	json_t *seen, *cr, *up, *de, *v, *res;
	const char *id;
	size_t i, max;
	long q, upto;
	bool more = false;
	char st[64];

	if (since == NULL)
		return jmap_fail(c, "invalidArguments", "sinceState");
	if (!jmap_max_changes(c, args, &max))
		return NULL;
	jmap_records_load(c, k, &r);
	if (!parse_state(since, k->prefix, &q) || q > r.state || q < r.base) {
		jmap_records_free(&r);
		return jmap_fail(c, "cannotCalculateChanges", "the state %s "
		    "is not known or too old", since);
	}
	/* id -> "fl": the first and the last kind of change since q */
	seen = json_object();
	upto = q;
	json_array_foreach(r.log, i, v) {
		const char *e = json_string_value(v);
		char *p;
		long s = strtol(e, &p, 10);
		char kind, fl[3];
		json_t *old;

		if (s <= q || p[0] != ' ' || p[1] == '\0' || p[2] != ' ')
			continue;
		kind = p[1];
		id = p + 3;
		old = json_object_get(seen, id);
		if (old == NULL && json_object_size(seen) >= max) {
			more = true;
			break;
		}
		fl[0] = old != NULL ? json_string_value(old)[0] : kind;
		fl[1] = kind;
		fl[2] = '\0';
		json_object_set_new(seen, id, json_string(fl));
		upto = s;
	}
	cr = json_array();
	up = json_array();
	de = json_array();
	json_object_foreach(seen, id, v) {
		const char *fl = json_string_value(v);

		if (fl[0] == 'c' && fl[1] == 'd')
			continue;	/* came and went: nothing to tell */
		if (fl[0] == 'c')
			json_array_append_new(cr, json_string(id));
		else if (fl[1] == 'd')
			json_array_append_new(de, json_string(id));
		else
			json_array_append_new(up, json_string(id));
	}
	json_decref(seen);
	if (!more)
		upto = r.state;
	snprintf(st, sizeof(st), "%c%ld", k->prefix, upto);
	res = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "accountId",
	    jmap_account_id(c), "oldState", since, "newState", st,
	    "hasMoreChanges", more, "created", cr, "updated", up,
	    "destroyed", de);
	jmap_records_free(&r);
	return res;
}
