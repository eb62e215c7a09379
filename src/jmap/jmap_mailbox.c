/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_mailbox.c: the account's mailboxes for JMAP (RFC 8621 2): the
 * per-request snapshot (names, store status, roles from names and
 * SPECIAL-USE), the state strings, and Mailbox/get, /changes, /query and
 * /set on the store's mailbox calls.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "jmap/jmap_private.h"

void
jmap_mbs_invalidate(struct jmap_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nmbs; i++)
		free(c->mbs[i].name);
	free(c->mbs);
	c->mbs = NULL;
	c->nmbs = 0;
	c->mbs_loaded = false;
}

/* RFC 8621 2 roles (RFC 8457 names) from SPECIAL-USE or a top-level
 * name. */
static const char *
role_of(const char *name, const char *special)
{
	static const struct {
		const char *use, *role;
		const char *names[4];
	} roles[] = {
		{ "\\Sent", "sent", { "Sent", "Sent Items", "Sent Messages" } },
		{ "\\Drafts", "drafts", { "Drafts", NULL } },
		{ "\\Trash", "trash", { "Trash", "Deleted Items",
		    "Deleted Messages" } },
		{ "\\Junk", "junk", { "Junk", "Spam", "Junk E-mail" } },
		{ "\\Archive", "archive", { "Archive", NULL } },
	};
	size_t i, k;

	if (strcmp(name, "INBOX") == 0)
		return "inbox";
	for (i = 0; i < N_ELEMENTS(roles); i++) {
		if (special != NULL && strcasecmp(special, roles[i].use) == 0)
			return roles[i].role;
		for (k = 0; k < 4 && roles[i].names[k] != NULL; k++)
			if (strcasecmp(name, roles[i].names[k]) == 0)
				return roles[i].role;
	}
	return NULL;
}

static int
cmp_mb_id(const void *a, const void *b)
{
	const struct jmap_mb *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int
jmap_mbs_load(struct jmap_ctx *c)
{
	struct store_mbinfo *v = NULL;
	size_t n = 0, i, k;
	struct error err;

	if (c->mbs_loaded)
		return 0;
	if (store_mailbox_infos(c->store, &v, &n, &err) < 0) {
		jmap_fail(c, "serverFail", "%s", err.msg);
		return -1;
	}
	c->mbs = xcalloc(n + 1, sizeof(*c->mbs));
	c->nmbs = n;
	for (i = 0; i < n; i++) {
		struct jmap_mb *m = &c->mbs[i];

		m->name = v[i].name;		/* taken over */
		v[i].name = NULL;
		m->id = v[i].id;
		m->st.id = v[i].id;
		m->st.uidvalidity = v[i].uidvalidity;
		m->st.uidnext = v[i].uidnext;
		m->st.highestmodseq = v[i].highestmodseq;
		m->st.noselect = v[i].noselect;
		m->subscribed = v[i].subscribed;
		m->role = role_of(m->name, v[i].special_use);
	}
	store_mbinfo_free(v, n);
	qsort(c->mbs, c->nmbs, sizeof(*c->mbs), cmp_mb_id);
	for (i = 0; i < c->nmbs; i++) {
		const char *slash = strrchr(c->mbs[i].name, '/');

		c->mbs[i].parent = -1;
		if (slash == NULL)
			continue;
		for (k = 0; k < c->nmbs; k++)
			if (strlen(c->mbs[k].name) ==
			    (size_t)(slash - c->mbs[i].name) &&
			    strncmp(c->mbs[k].name, c->mbs[i].name,
			    (size_t)(slash - c->mbs[i].name)) == 0)
				c->mbs[i].parent = (int)k;
	}
	c->mbs_loaded = true;
	return 0;
}

int
jmap_mb_counts(struct jmap_ctx *c, size_t k)
{
	struct store_status st;
	struct error err;

	if (c->mbs[k].counted)
		return 0;
	if (store_mailbox_status(c->store, c->mbs[k].name, &st, &err) < 0) {
		jmap_fail(c, "serverFail", "%s", err.msg);
		return -1;
	}
	c->mbs[k].st.messages = st.messages;
	c->mbs[k].st.unseen = st.unseen;
	c->mbs[k].counted = true;
	return 0;
}

int
jmap_mb_by_id(struct jmap_ctx *c, int64_t id)
{
	size_t lo = 0, hi;

	if (jmap_mbs_load(c) < 0)
		return -1;
	hi = c->nmbs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->mbs[mid].id == id)
			return (int)mid;
		if (c->mbs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
jmap_mb_by_jid(struct jmap_ctx *c, const char *jid)
{
	char *end;
	long long id;

	if (jid == NULL || jid[0] != 'M' || jid[1] < '1' || jid[1] > '9')
		return -1;
	id = strtoll(jid + 1, &end, 10);
	if (*end != '\0')
		return -1;
	return jmap_mb_by_id(c, id);
}

int
jmap_mb_by_role(struct jmap_ctx *c, const char *role)
{
	size_t i;

	if (jmap_mbs_load(c) < 0)
		return -1;
	for (i = 0; i < c->nmbs; i++)
		if (c->mbs[i].role != NULL && strcmp(c->mbs[i].role, role) == 0)
			return (int)i;
	return -1;
}

static uint32_t
name_hash(const struct jmap_mb *m)
{
	return jmap_hash(0, m->name) ^ (m->subscribed ? 1u : 0u);
}

int
jmap_state(struct jmap_ctx *c, char kind, struct buf *out)
{
	struct jmap_mbstate *v;
	size_t i;

	jmap_mbs_invalidate(c);		/* the state of now */
	if (jmap_mbs_load(c) < 0)
		return -1;
	v = xcalloc(c->nmbs + 1, sizeof(*v));
	for (i = 0; i < c->nmbs; i++) {
		v[i].id = c->mbs[i].id;
		v[i].uidvalidity = c->mbs[i].st.uidvalidity;
		v[i].uidnext = c->mbs[i].st.uidnext;
		v[i].modseq = c->mbs[i].st.highestmodseq;
		v[i].namehash = name_hash(&c->mbs[i]);
	}
	jmap_state_format(kind, v, c->nmbs, out);
	free(v);
	return 0;
}

static char *
state_str(struct jmap_ctx *c, char kind)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	if (jmap_state(c, kind, &b) < 0 || b.err != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static const char *
last_part(const char *name)
{
	const char *s = strrchr(name, '/');

	return s != NULL ? s + 1 : name;
}

static bool
want(json_t *props, const char *name)
{
	size_t i;
	json_t *v;

	if (props == NULL || json_is_null(props))
		return true;
	json_array_foreach(props, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static json_t *
mailbox_json(struct jmap_ctx *c, struct jmap_mb *m, json_t *props)
{
	json_t *o = json_object();
	char id[32];

	if ((want(props, "totalEmails") || want(props, "unreadEmails") ||
	    want(props, "totalThreads") || want(props, "unreadThreads")) &&
	    jmap_mb_counts(c, (size_t)(m - c->mbs)) < 0) {
		json_decref(o);
		return NULL;
	}

	snprintf(id, sizeof(id), "M%lld", (long long)m->id);
	json_object_set_new(o, "id", json_string(id));
	if (want(props, "name"))
		json_object_set_new(o, "name", json_string(
		    strcmp(m->name, "INBOX") == 0 ? "Inbox" :
		    last_part(m->name)));
	if (want(props, "parentId")) {
		if (m->parent >= 0) {
			snprintf(id, sizeof(id), "M%lld",
			    (long long)c->mbs[m->parent].id);
			json_object_set_new(o, "parentId", json_string(id));
		} else
			json_object_set_new(o, "parentId", json_null());
	}
	if (want(props, "role"))
		json_object_set_new(o, "role", m->role != NULL ?
		    json_string(m->role) : json_null());
	if (want(props, "sortOrder"))
		json_object_set_new(o, "sortOrder", json_integer(
		    m->role != NULL && strcmp(m->role, "inbox") == 0 ? 1 : 10));
	if (want(props, "totalEmails"))
		json_object_set_new(o, "totalEmails",
		    json_integer(m->st.messages));
	if (want(props, "unreadEmails"))
		json_object_set_new(o, "unreadEmails",
		    json_integer(m->st.unseen));
	/* one thread per Email (docs/jmap.md) */
	if (want(props, "totalThreads"))
		json_object_set_new(o, "totalThreads",
		    json_integer(m->st.messages));
	if (want(props, "unreadThreads"))
		json_object_set_new(o, "unreadThreads",
		    json_integer(m->st.unseen));
	if (want(props, "myRights"))
		json_object_set_new(o, "myRights", json_pack("{s:b, s:b, s:b, "
		    "s:b, s:b, s:b, s:b, s:b, s:b}", "mayReadItems", 1,
		    "mayAddItems", !m->st.noselect, "mayRemoveItems", 1,
		    "maySetSeen", 1, "maySetKeywords", 1, "mayCreateChild", 1,
		    "mayRename", strcmp(m->name, "INBOX") != 0,
		    "mayDelete", strcmp(m->name, "INBOX") != 0, "maySubmit", 1));
	if (want(props, "isSubscribed"))
		json_object_set_new(o, "isSubscribed",
		    json_boolean(m->subscribed));
	return o;
}

json_t *
jmap_mailbox_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list, *nf, *v;
	char *state;
	size_t i;

	if (ids != NULL && !json_is_null(ids) && !json_is_array(ids))
		return jmap_fail(c, "invalidArguments", "ids");
	if (json_array_size(ids) > JMAP_GET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d ids",
		    JMAP_GET_MAX);
	if ((state = state_str(c, 'M')) == NULL)
		return NULL;
	list = json_array();
	nf = json_array();
	if (ids == NULL || json_is_null(ids)) {
		for (i = 0; i < c->nmbs; i++)
			json_array_append_new(list, mailbox_json(c, &c->mbs[i],
			    props));
	} else
		json_array_foreach(ids, i, v) {
			const char *id = json_string_value(v);
			int k;

			id = id != NULL ? jmap_resolve_id(c, id) : NULL;
			k = jmap_mb_by_jid(c, id);
			if (k < 0)
				json_array_append(nf, v);
			else
				json_array_append_new(list, mailbox_json(c,
				    &c->mbs[k], props));
		}
	v = json_pack("{s:s, s:s, s:o, s:o}", "accountId", jmap_account_id(c),
	    "state", state, "list", list, "notFound", nf);
	free(state);
	return v;
}

static void
add_id(json_t *a, char prefix, int64_t id)
{
	char s[32];

	snprintf(s, sizeof(s), "%c%lld", prefix, (long long)id);
	json_array_append_new(a, json_string(s));
}

/* maxChanges: a positive integer or absent. */
bool
jmap_max_changes(struct jmap_ctx *c, json_t *args, size_t *max_r)
{
	json_t *m = json_object_get(args, "maxChanges");

	*max_r = JMAP_CHANGES_MAX;
	if (m == NULL || json_is_null(m))
		return true;
	if (!json_is_integer(m) || json_integer_value(m) <= 0) {
		jmap_fail(c, "invalidArguments", "maxChanges");
		return false;
	}
	if ((uint64_t)json_integer_value(m) < *max_r)
		*max_r = (size_t)json_integer_value(m);
	return true;
}

json_t *
jmap_mailbox_changes(struct jmap_ctx *c, json_t *args)
{
	const char *since = json_string_value(json_object_get(args,
	    "sinceState"));
	struct jmap_mbstate *old;
	size_t nold, i, k, max, total;
	json_t *cr, *up, *de, *r;
	bool counts_only = true;
	char *state;

	if (since == NULL)
		return jmap_fail(c, "invalidArguments", "sinceState");
	if (!jmap_max_changes(c, args, &max))
		return NULL;
	if (jmap_state_parse('M', since, &old, &nold) < 0)
		return jmap_fail(c, "cannotCalculateChanges",
		    "not a state of this server");
	if ((state = state_str(c, 'M')) == NULL) {
		free(old);
		return NULL;
	}
	cr = json_array();
	up = json_array();
	de = json_array();
	/* both lists are sorted by id: merge */
	for (i = 0, k = 0; i < c->nmbs || k < nold;) {
		const struct jmap_mb *m = i < c->nmbs ? &c->mbs[i] : NULL;

		if (m != NULL && (k == nold || m->id < old[k].id)) {
			add_id(cr, 'M', m->id);
			i++;
		} else if (m == NULL || old[k].id < m->id) {
			add_id(de, 'M', old[k].id);
			k++;
		} else {
			if (m->st.uidvalidity != old[k].uidvalidity) {
				add_id(de, 'M', old[k].id);
				add_id(cr, 'M', m->id);
			} else if (m->st.highestmodseq != old[k].modseq ||
			    m->st.uidnext != old[k].uidnext ||
			    name_hash(m) != old[k].namehash) {
				if (name_hash(m) != old[k].namehash)
					counts_only = false;
				add_id(up, 'M', m->id);
			}
			i++;
			k++;
		}
	}
	free(old);
	total = json_array_size(cr) + json_array_size(up) +
	    json_array_size(de);
	if (total > max) {
		/* an intermediate state cannot be named: the client
		 * fetches all mailboxes again (RFC 8620 5.2) */
		json_decref(cr);
		json_decref(up);
		json_decref(de);
		free(state);
		return jmap_fail(c, "cannotCalculateChanges",
		    "more than maxChanges changes");
	}
	r = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
	    "accountId", jmap_account_id(c), "oldState", since,
	    "newState", state, "hasMoreChanges", 0, "created", cr,
	    "updated", up, "destroyed", de);
	json_object_set_new(r, "updatedProperties", counts_only &&
	    json_array_size(up) > 0 ? json_pack("[s, s, s, s]", "totalEmails",
	    "unreadEmails", "totalThreads", "unreadThreads") : json_null());
	free(state);
	return r;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct jmap_mb *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

json_t *
jmap_mailbox_query(struct jmap_ctx *c, json_t *args)
{
	json_t *filter = json_object_get(args, "filter");
	json_t *ids, *f, *r;
	const struct jmap_mb **v;
	char *state;
	size_t i, n = 0;

	if (filter != NULL && !json_is_null(filter) && !json_is_object(filter))
		return jmap_fail(c, "invalidArguments", "filter");
	if ((state = state_str(c, 'M')) == NULL)
		return NULL;
	v = xcalloc(c->nmbs + 1, sizeof(*v));
	for (i = 0; i < c->nmbs; i++) {
		const struct jmap_mb *m = &c->mbs[i];
		bool ok = true;

		if ((f = json_object_get(filter, "role")) != NULL)
			ok = json_is_null(f) ? m->role == NULL :
			    m->role != NULL && json_is_string(f) &&
			    strcmp(m->role, json_string_value(f)) == 0;
		if (ok && (f = json_object_get(filter, "hasAnyRole")) != NULL)
			ok = json_is_true(f) == (m->role != NULL);
		if (ok && (f = json_object_get(filter, "isSubscribed")) != NULL)
			ok = json_is_true(f) == m->subscribed;
		if (ok && (f = json_object_get(filter, "name")) != NULL)
			ok = json_is_string(f) && strcasestr(last_part(m->name),
			    json_string_value(f)) != NULL;
		if (ok && (f = json_object_get(filter, "parentId")) != NULL) {
			int p = json_is_null(f) ? -1 :
			    jmap_mb_by_jid(c, json_string_value(f));

			ok = json_is_null(f) ? m->parent < 0 :
			    p >= 0 && m->parent == p;
		}
		if (ok)
			v[n++] = m;
	}
	qsort(v, n, sizeof(*v), cmp_name);
	ids = json_array();
	for (i = 0; i < n; i++)
		add_id(ids, 'M', v[i]->id);
	free(v);
	r = json_pack("{s:s, s:s, s:b, s:i, s:o, s:i}", "accountId",
	    jmap_account_id(c), "queryState", state, "canCalculateChanges", 0,
	    "position", 0, "ids", ids, "total", (int)n);
	free(state);
	return r;
}

/* ---- Mailbox/set ---- */

/* The full store name for a new name under parentId (NULL: top level). */
static int
full_name(struct jmap_ctx *c, json_t *parent, const char *name,
    struct buf *out)
{
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL)
		return -1;
	if (parent != NULL && !json_is_null(parent)) {
		const char *pid = json_string_value(parent);
		int p;

		pid = pid != NULL ? jmap_resolve_id(c, pid) : NULL;
		if ((p = jmap_mb_by_jid(c, pid)) < 0)
			return -1;
		buf_printf(out, "%s/", c->mbs[p].name);
	}
	buf_puts(out, name);
	return 0;
}

static json_t *
set_error(const char *type, const char *desc)
{
	return json_pack("{s:s, s:s}", "type", type, "description", desc);
}

json_t *
jmap_mailbox_set(struct jmap_ctx *c, json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	const char *if_state = json_string_value(json_object_get(args,
	    "ifInState"));
	bool remove_emails = json_is_true(json_object_get(args,
	    "onDestroyRemoveEmails"));
	json_t *created, *ncreated, *updated, *nupdated, *destroyed,
	    *ndestroyed, *v, *r;
	const char *key;
	char *old, *now;
	struct error err;
	size_t i;

	if (json_object_size(create) + json_object_size(update) +
	    json_array_size(destroy) > JMAP_SET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d objects",
		    JMAP_SET_MAX);
	if ((old = state_str(c, 'M')) == NULL)
		return NULL;
	if (if_state != NULL && strcmp(if_state, old) != 0) {
		free(old);
		return jmap_fail(c, "stateMismatch", "ifInState");
	}
	created = json_object();
	ncreated = json_object();
	updated = json_object();
	nupdated = json_object();
	destroyed = json_array();
	ndestroyed = json_object();
	json_object_foreach(create, key, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		struct buf n;
		struct store_status st;

		buf_init(&n, STORE_MAILBOX_NAME_MAX + 1);
		jmap_mbs_load(c);
		if (!json_is_object(v) || full_name(c, json_object_get(v,
		    "parentId"), name, &n) < 0 || n.err != 0) {
			json_object_set_new(ncreated, key, json_pack("{s:s, "
			    "s:[s]}", "type", "invalidProperties",
			    "properties", "name"));
		} else if (store_mailbox_create(c->store, buf_cstr(&n), NULL,
		    &err) < 0 || store_mailbox_status(c->store, buf_cstr(&n),
		    &st, &err) < 0) {
			json_object_set_new(ncreated, key, set_error(
			    err.kind == ERR_EXISTS ? "alreadyExists" :
			    err.kind == ERR_LIMIT ? "overQuota" :
			    "invalidProperties", err.msg));
		} else {
			char id[32];

			if (json_is_true(json_object_get(v, "isSubscribed")))
				(void)store_subscribe(c->store, buf_cstr(&n),
				    true, &err);
			snprintf(id, sizeof(id), "M%lld", (long long)st.id);
			json_object_set_new(created, key, json_pack("{s:s}",
			    "id", id));
			json_object_set_new(c->created, key, json_string(id));
			jmap_mbs_invalidate(c);
		}
		buf_free(&n);
	}
	json_object_foreach(update, key, v) {
		int k;
		json_t *nm = json_object_get(v, "name");
		json_t *par = json_object_get(v, "parentId");
		json_t *sub = json_object_get(v, "isSubscribed");
		const char *id = jmap_resolve_id(c, key);
		char *cur;

		jmap_mbs_load(c);
		if ((k = jmap_mb_by_jid(c, id)) < 0) {
			json_object_set_new(nupdated, key, set_error("notFound",
			    "no such mailbox"));
			continue;
		}
		if ((nm != NULL || par != NULL) &&
		    strcmp(c->mbs[k].name, "INBOX") == 0) {
			/* mayRename is false: IMAP's RENAME INBOX would move
			 * its messages out instead */
			json_object_set_new(nupdated, key, set_error(
			    "forbidden", "the inbox cannot be renamed or moved"));
			continue;
		}
		cur = xstrdup(c->mbs[k].name);
		if (nm != NULL || par != NULL) {
			struct buf n;
			const char *newname = nm != NULL ?
			    json_string_value(nm) : last_part(cur);
			json_t *parent = par;
			json_t *pj = NULL;

			if (par == NULL && c->mbs[k].parent >= 0) {
				char pid[32];

				snprintf(pid, sizeof(pid), "M%lld", (long long)
				    c->mbs[c->mbs[k].parent].id);
				pj = json_string(pid);
				parent = pj;
			}
			buf_init(&n, STORE_MAILBOX_NAME_MAX + 1);
			if (full_name(c, parent, newname, &n) < 0 ||
			    n.err != 0) {
				json_object_set_new(nupdated, key, json_pack(
				    "{s:s, s:[s]}", "type", "invalidProperties",
				    "properties", "name"));
				buf_free(&n);
				json_decref(pj);
				free(cur);
				continue;
			}
			json_decref(pj);
			if (strcmp(buf_cstr(&n), cur) != 0 &&
			    store_mailbox_rename(c->store, cur, buf_cstr(&n),
			    &err) < 0) {
				json_object_set_new(nupdated, key, set_error(
				    err.kind == ERR_EXISTS ? "alreadyExists" :
				    "forbidden", err.msg));
				buf_free(&n);
				free(cur);
				continue;
			}
			free(cur);
			cur = buf_steal(&n);
			jmap_mbs_invalidate(c);
		}
		if (sub != NULL) {
			if (!json_is_boolean(sub) || store_subscribe(c->store,
			    cur, json_is_true(sub), &err) < 0) {
				json_object_set_new(nupdated, key, json_pack(
				    "{s:s, s:[s]}", "type", "invalidProperties",
				    "properties", "isSubscribed"));
				free(cur);
				continue;
			}
			jmap_mbs_invalidate(c);
		}
		free(cur);
		json_object_set_new(updated, key, json_null());
	}
	json_array_foreach(destroy, i, v) {
		const char *id = json_string_value(v);
		int k;

		id = id != NULL ? jmap_resolve_id(c, id) : NULL;
		jmap_mbs_load(c);
		if ((k = jmap_mb_by_jid(c, id)) < 0) {
			json_object_set_new(ndestroyed, json_string_value(v) ?
			    json_string_value(v) : "", set_error("notFound",
			    "no such mailbox"));
			continue;
		}
		if (!remove_emails && (jmap_mb_counts(c, (size_t)k) < 0 ||
		    c->mbs[k].st.messages > 0)) {
			json_object_set_new(ndestroyed, id, set_error(
			    "mailboxHasEmail", "the mailbox holds messages"));
			continue;
		}
		{
			size_t j;
			bool kids = false;

			for (j = 0; j < c->nmbs; j++)
				if (c->mbs[j].parent == k)
					kids = true;
			if (kids) {
				json_object_set_new(ndestroyed, id, set_error(
				    "mailboxHasChild", "the mailbox has "
				    "children"));
				continue;
			}
		}
		if (store_mailbox_delete(c->store, c->mbs[k].name, &err) < 0) {
			json_object_set_new(ndestroyed, id, set_error(
			    "forbidden", err.msg));
			continue;
		}
		json_array_append_new(destroyed, json_string(id));
		jmap_mbs_invalidate(c);
	}
	if ((now = state_str(c, 'M')) == NULL)
		now = xstrdup(old);
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old, "newState", now);
	json_object_set_new(r, "created", json_object_size(created) ? created :
	    (json_decref(created), json_null()));
	json_object_set_new(r, "updated", json_object_size(updated) ? updated :
	    (json_decref(updated), json_null()));
	json_object_set_new(r, "destroyed", json_array_size(destroyed) ?
	    destroyed : (json_decref(destroyed), json_null()));
	json_object_set_new(r, "notCreated", json_object_size(ncreated) ?
	    ncreated : (json_decref(ncreated), json_null()));
	json_object_set_new(r, "notUpdated", json_object_size(nupdated) ?
	    nupdated : (json_decref(nupdated), json_null()));
	json_object_set_new(r, "notDestroyed", json_object_size(ndestroyed) ?
	    ndestroyed : (json_decref(ndestroyed), json_null()));
	free(old);
	free(now);
	return r;
}
