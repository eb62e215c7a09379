/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_thread.c: threads (RFC 8621 3) from the message ids the store's
 * header field cache keeps for IMAP THREAD: an Email's thread is named by
 * the first id of its References (or its In-Reply-To when there is no
 * References, as RFC 5256 REFERENCES reads them), else its own
 * Message-ID: "Tx<16 hex digits>", a hash of that root id.  An Email with
 * none of them is a thread of its own, "T<mailbox>-<uid>".  So a reply
 * joins its thread whatever mailbox either is in, and the id is the same
 * for every session without any state kept.  Not done: joining by
 * Subject, and repairing a thread whose replies lack References (each
 * such reply is grouped under the message it answers).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "jmap/jmap_private.h"

/* The root id of a cached row: borrowed from f, "" when there is none. */
static struct strv
root_of(const struct store_hdrfields *f)
{
	const char *r = NULL;
	size_t l;

	if (f->refs != NULL && f->refs_len > 0 && f->refs[0] != '\0')
		r = f->refs;
	else if (f->msgid != NULL && f->msgid[0] != '\0')
		r = f->msgid;
	if (r == NULL)
		return STRV_LIT("");
	l = strlen(r);
	if (l >= 2 && r[0] == '<' && r[l - 1] == '>') {
		r++;
		l -= 2;
	}
	return strv_make(r, l);
}

uint64_t
jmap_thread_hash(const struct store_hdrfields *f)
{
	struct strv r = root_of(f);
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	if (r.len == 0)
		return 0;
	for (i = 0; i < r.len; i++) {
		h ^= (unsigned char)r.p[i];
		h *= 1099511628211ULL;
	}
	return h != 0 ? h : 1;
}

/* Whether the row's root is its own Message-ID (it starts its thread). */
static bool
is_root(const struct store_hdrfields *f)
{
	return f->refs == NULL || f->refs_len == 0 || f->refs[0] == '\0';
}

void
jmap_thread_id(uint64_t hash, int64_t mb, uint32_t uid, char *out, size_t n)
{
	if (hash == 0)
		snprintf(out, n, "T%lld-%u", (long long)mb, uid);
	else
		snprintf(out, n, "Tx%016llx", (unsigned long long)hash);
}

struct one {
	uint64_t	 hash;
	bool		 found, root;
};

static int
take_one(void *arg, const struct store_hdrrow *row)
{
	struct one *o = arg;

	o->found = true;
	o->hash = row->f.ok ? jmap_thread_hash(&row->f) : 0;
	o->root = row->f.ok && is_root(&row->f);
	return -1;
}

/* The thread hash of one message (0: a thread of its own); *root_r (may
 * be NULL) whether it starts its thread. */
static int
thread_of(struct jmap_ctx *c, int64_t mb, uint32_t uid, uint64_t *hash_r,
    bool *root_r)
{
	struct store_uidrange r = { uid, uid };
	struct one o = { 0, false, false };
	struct error err;

	if (store_hdrcache_each(c->store, mb, &r, 1, STORE_HC_IDS, take_one,
	    &o, &err) < 0)
		return -1;
	if (!o.found) {
		/* a message stored before the cache, or copied: fill the
		 * mailbox's missing rows once, then ask again */
		if (store_hdrcache_fill(c->store, mb, &err) < 0 ||
		    store_hdrcache_each(c->store, mb, &r, 1, STORE_HC_IDS,
		    take_one, &o, &err) < 0)
			return -1;
	}
	*hash_r = o.hash;
	if (root_r != NULL)
		*root_r = !o.found || o.root;
	return 0;
}

int
jmap_thread_of(struct jmap_ctx *c, int64_t mb, uint32_t uid, char *out,
    size_t n)
{
	uint64_t h = 0;

	if (thread_of(c, mb, uid, &h, NULL) < 0)
		return -1;
	jmap_thread_id(h, mb, uid, out, n);
	return 0;
}

/* ---- Thread/get ---- */

struct member {
	int64_t		 received;
	int64_t		 mb;
	uint32_t	 uid;
	size_t		 want;		/* index of the thread asked for */
};

struct scan {
	const uint64_t	*hashes;
	size_t		 nhashes;
	int64_t		 mb;
	struct member	*v;
	size_t		 n, cap;
};

static int
take_member(void *arg, const struct store_hdrrow *row)
{
	struct scan *sc = arg;
	uint64_t h;
	size_t i;

	if (!row->f.ok || (h = jmap_thread_hash(&row->f)) == 0)
		return 0;
	for (i = 0; i < sc->nhashes; i++)
		if (sc->hashes[i] == h) {
			if (sc->n == sc->cap) {
				sc->cap = sc->cap ? sc->cap * 2 : 16;
				sc->v = xrealloc(sc->v, sc->cap *
				    sizeof(*sc->v));
			}
			sc->v[sc->n].received = row->internaldate;
			sc->v[sc->n].mb = sc->mb;
			sc->v[sc->n].uid = row->uid;
			sc->v[sc->n].want = i;
			sc->n++;
			break;
		}
	return 0;
}

/* RFC 8621 3: emailIds sorted by receivedAt, oldest first. */
static int
cmp_member(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;

	if (a->received != b->received)
		return a->received < b->received ? -1 : 1;
	if (a->mb != b->mb)
		return a->mb < b->mb ? -1 : 1;
	return (a->uid > b->uid) - (a->uid < b->uid);
}

static char *
thread_state(struct jmap_ctx *c)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	if (jmap_state(c, 'E', &b) < 0 || b.err != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

json_t *
jmap_thread_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *list, *nf, *v, *r;
	uint64_t *hashes;
	struct scan sc;
	struct error err;
	char *state;
	size_t i, k, nh = 0;

	if (!json_is_array(ids))
		return jmap_fail(c, "invalidArguments", "ids");
	if (json_array_size(ids) > JMAP_GET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d ids",
		    JMAP_GET_MAX);
	if ((state = thread_state(c)) == NULL)
		return NULL;
	hashes = xcalloc(json_array_size(ids) + 1, sizeof(*hashes));
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		char *end;
		unsigned long long h;

		if (id != NULL && id[0] == 'T' && id[1] == 'x' &&
		    strlen(id) == 18) {
			h = strtoull(id + 2, &end, 16);
			if (*end == '\0' && h != 0)
				hashes[nh++] = h;
		}
	}
	memset(&sc, 0, sizeof(sc));
	sc.hashes = hashes;
	sc.nhashes = nh;
	/* one pass over the cached ids of every mailbox */
	for (i = 0; nh > 0 && i < c->nmbs; i++) {
		if (c->mbs[i].st.noselect)
			continue;
		sc.mb = c->mbs[i].id;
		if (store_hdrcache_fill(c->store, sc.mb, &err) < 0 ||
		    store_hdrcache_each(c->store, sc.mb, NULL, 0,
		    STORE_HC_IDS, take_member, &sc, &err) < 0) {
			free(sc.v);
			free(hashes);
			free(state);
			return jmap_fail(c, "serverFail", "%s", err.msg);
		}
	}
	if (sc.n > 1)
		qsort(sc.v, sc.n, sizeof(*sc.v), cmp_member);
	list = json_array();
	nf = json_array();
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		int64_t mb;
		uint32_t uid;
		json_t *eids = json_array();
		char eid[64];

		if (id != NULL && id[0] == 'T' && id[1] == 'x') {
			for (k = 0; k < nh; k++) {
				char tid[32];

				jmap_thread_id(hashes[k], 0, 0, tid,
				    sizeof(tid));
				if (strcmp(tid, id) == 0)
					break;
			}
			for (size_t j = 0; k < nh && j < sc.n; j++)
				if (sc.v[j].want == k) {
					snprintf(eid, sizeof(eid), "E%lld-%u",
					    (long long)sc.v[j].mb, sc.v[j].uid);
					json_array_append_new(eids,
					    json_string(eid));
				}
		} else if (jmap_parse_msgid(id, 'T', &mb, &uid) &&
		    jmap_mb_by_id(c, mb) >= 0) {
			struct store_uidrange rg = { uid, uid };
			struct store_msgs msgs = { NULL, 0 };

			if (store_messages(c->store, mb, &rg, 1, &msgs,
			    &err) == 0 && msgs.n == 1) {
				snprintf(eid, sizeof(eid), "E%s", id + 1);
				json_array_append_new(eids, json_string(eid));
			}
			store_msgs_free(&msgs);
		}
		if (json_array_size(eids) == 0) {
			json_decref(eids);
			json_array_append(nf, v);
		} else
			json_array_append_new(list, json_pack("{s:s, s:o}",
			    "id", id, "emailIds", eids));
	}
	free(sc.v);
	free(hashes);
	r = json_pack("{s:s, s:s, s:o, s:o}", "accountId", jmap_account_id(c),
	    "state", state, "list", list, "notFound", nf);
	free(state);
	return r;
}

/*
 * Thread/changes from Email/changes: a new Email that starts a thread
 * makes a created thread, a new reply an updated one; a flag change
 * changes no Thread.  A destroyed Email's thread cannot be named any
 * more (its header is gone), so then the answer is cannotCalculateChanges
 * and the client fetches its threads again.
 */
json_t *
jmap_thread_changes(struct jmap_ctx *c, json_t *args)
{
	json_t *ec = jmap_email_changes(c, args), *cr, *up, *v, *r;
	size_t i;

	if (ec == NULL)
		return NULL;
	if (json_array_size(json_object_get(ec, "destroyed")) > 0) {
		json_decref(ec);
		return jmap_fail(c, "cannotCalculateChanges", "an Email was "
		    "destroyed since: fetch the threads again");
	}
	cr = json_array();
	up = json_array();
	json_array_foreach(json_object_get(ec, "created"), i, v) {
		int64_t mb;
		uint32_t uid;
		uint64_t h = 0;
		bool root = true;
		char tid[32];
		json_t *into;
		size_t k;
		bool dup = false;

		if (!jmap_parse_msgid(json_string_value(v), 'E', &mb, &uid) ||
		    thread_of(c, mb, uid, &h, &root) < 0)
			continue;
		jmap_thread_id(h, mb, uid, tid, sizeof(tid));
		into = root ? cr : up;
		for (k = 0; k < json_array_size(cr) + json_array_size(up);
		    k++) {
			json_t *a = k < json_array_size(cr) ?
			    json_array_get(cr, k) :
			    json_array_get(up, k - json_array_size(cr));

			if (strcmp(json_string_value(a), tid) == 0)
				dup = true;
		}
		if (!dup)
			json_array_append_new(into, json_string(tid));
	}
	r = json_pack("{s:s, s:O, s:O, s:b, s:o, s:o, s:[]}", "accountId",
	    jmap_account_id(c), "oldState", json_object_get(ec, "oldState"),
	    "newState", json_object_get(ec, "newState"), "hasMoreChanges", 0,
	    "created", cr, "updated", up, "destroyed");
	json_decref(ec);
	return r;
}
