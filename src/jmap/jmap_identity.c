/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_identity.c: Identity/get and Identity/set (RFC 8621 6).  Identity
 * "I1" is always there: the account's address, named by its RealName
 * setting; it may be changed but not destroyed.  More identities may be
 * created, each with the account's own address or one of its aliases, in
 * any of the domain's names (the domain or a domain alias): addresses
 * that reach this same account.  Identities are kept in the account's
 * jmap.data as a record list (jmap_records.c: "Identities", its state
 * and change log for Identity/changes), at most JMAP_IDENTITIES_MAX.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/error.h"
#include "objects/objects.h"
#include "core/server.h"
#include "jmap/jmap_private.h"

#define IDENTITY_MAIN	"I1"

static const char *const props[] = {
	"name", "email", "replyTo", "bcc", "textSignature", "htmlSignature",
};

static const struct jmap_rec_kind identity_kind = {
	"Identities", "IdentityState", "IdentityChanges", 'I'
};

static json_t *
main_identity(struct jmap_ctx *c)
{
	char name[256];
	struct error err;

	if (objects_account_effective_str(c->srv->objects, c->who.account,
	    c->who.domain, "RealName", name, sizeof(name), &err) < 0)
		name[0] = '\0';
	return json_pack("{s:s, s:s, s:s, s:n, s:n, s:s, s:s}", "id",
	    IDENTITY_MAIN, "name", name, "email", c->who.address, "replyTo",
	    "bcc", "textSignature", "", "htmlSignature", "");
}

/* Every identity of the account (copies): I1 (as stored, or the default)
 * first, then the stored ones r holds. */
static json_t *
all_identities(struct jmap_ctx *c, const struct jmap_records *r)
{
	json_t *st = json_deep_copy(r->list), *out = json_array(), *v;
	json_t *m = NULL;
	size_t i;

	json_array_foreach(st, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")),
		    IDENTITY_MAIN) == 0)
			m = v;
	if (m == NULL)
		json_array_append_new(out, main_identity(c));
	else
		json_array_append(out, m);
	json_array_foreach(st, i, v)
		if (v != m)
			json_array_append(out, v);
	json_decref(st);
	json_array_foreach(out, i, v) {
		/* the account's address may have been renamed since */
		if (strcmp(json_string_value(json_object_get(v, "id")),
		    IDENTITY_MAIN) == 0)
			json_object_set_new(v, "email",
			    json_string(c->who.address));
		json_object_set_new(v, "mayDelete", json_boolean(strcmp(
		    json_string_value(json_object_get(v, "id")),
		    IDENTITY_MAIN) != 0));
	}
	return out;
}

bool
jmap_identity_find(struct jmap_ctx *c, const char *id, char *email,
    size_t n)
{
	struct jmap_records r;
	json_t *all, *v;
	size_t i;
	bool found = false;

	jmap_records_load(c, &identity_kind, &r);
	all = all_identities(c, &r);
	jmap_records_free(&r);

	json_array_foreach(all, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")), id) ==
		    0) {
			snprintf(email, n, "%s", json_string_value(
			    json_object_get(v, "email")));
			found = true;
			break;
		}
	json_decref(all);
	return found;
}

json_t *
jmap_identity_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *want = json_object_get(args, "properties");
	json_t *list = json_array(), *nf = json_array(), *all, *v, *w;
	struct jmap_records r;
	size_t i, k;
	char st[64];

	if (ids != NULL && !json_is_null(ids) && !json_is_array(ids)) {
		json_decref(list);
		json_decref(nf);
		return jmap_fail(c, "invalidArguments", "ids");
	}
	jmap_records_load(c, &identity_kind, &r);
	jmap_records_state(&r, st, sizeof(st));
	all = all_identities(c, &r);
	jmap_records_free(&r);
	if (ids == NULL || json_is_null(ids))
		json_array_extend(list, all);
	else
		json_array_foreach(ids, i, w) {
			const char *id = json_is_string(w) ? jmap_resolve_id(c,
			    json_string_value(w)) : NULL;
			bool hit = false;

			json_array_foreach(all, k, v)
				if (id != NULL && strcmp(id, json_string_value(
				    json_object_get(v, "id"))) == 0) {
					json_array_append(list, v);
					hit = true;
				}
			if (!hit)
				json_array_append(nf, w);
		}
	json_decref(all);
	if (json_is_array(want)) {
		json_array_foreach(list, i, v) {
			const char *key;
			json_t *val, *tmp;

			json_object_foreach_safe(v, tmp, key, val) {
				bool keep = strcmp(key, "id") == 0;

				json_array_foreach(want, k, w)
					if (json_is_string(w) && strcmp(
					    json_string_value(w), key) == 0)
						keep = true;
				if (!keep)
					json_object_del(v, key);
			}
		}
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "accountId",
	    jmap_account_id(c), "state", st, "list", list, "notFound", nf);
}

/* Whether email reaches this account: its name or an alias, at its domain
 * or a domain alias. */
static bool
own_address(struct jmap_ctx *c, const char *email)
{
	const char *at = strrchr(email, '@');
	struct dval *names = NULL, *doms = NULL;
	struct error err;
	size_t i, llen;
	bool local = false, dom = false;

	if (at == NULL || at == email)
		return false;
	llen = (size_t)(at - email);
	if (strcasecmp(at + 1, c->who.domain) == 0)
		dom = true;
	else if ((doms = objects_domain_aliases_get(c->srv->objects,
	    c->who.domain, &err)) != NULL)
		for (i = 0; i < dict_array_len(doms); i++) {
			const char *d = dict_str(dict_array_get(doms, i), NULL);

			if (d != NULL && strcasecmp(d, at + 1) == 0)
				dom = true;
		}
	if (strlen(c->who.account) == llen && strncasecmp(email,
	    c->who.account, llen) == 0)
		local = true;
	else if ((names = objects_account_aliases_get(c->srv->objects,
	    c->who.account, c->who.domain, &err)) != NULL)
		for (i = 0; i < dict_array_len(names); i++) {
			const char *a = dict_str(dict_array_get(names, i),
			    NULL);

			if (a != NULL && strlen(a) == llen &&
			    strncasecmp(a, email, llen) == 0)
				local = true;
		}
	dict_free(&names);
	dict_free(&doms);
	return local && dom;
}

/* Checks one EmailAddress[] or null. */
static bool
addr_list_ok(json_t *v)
{
	json_t *a;
	size_t i;

	if (json_is_null(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) > 100)
		return false;
	json_array_foreach(v, i, a) {
		json_t *e = json_object_get(a, "email"), *n =
		    json_object_get(a, "name");

		if (!json_is_object(a) || !json_is_string(e) ||
		    strchr(json_string_value(e), '@') == NULL ||
		    (n != NULL && !json_is_null(n) && !json_is_string(n)))
			return false;
	}
	return true;
}

static json_t *
invalid(const char *prop, const char *desc)
{
	return json_pack("{s:s, s:[s], s:s}", "type", "invalidProperties",
	    "properties", prop, "description", desc);
}

/* Applies the properties of patch onto ident; NULL, or the SetError. */
static json_t *
apply(struct jmap_ctx *c, json_t *ident, json_t *patch, bool create)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(patch, key, v) {
		bool known = false;

		for (i = 0; i < N_ELEMENTS(props); i++)
			if (strcmp(key, props[i]) == 0)
				known = true;
		if (strcmp(key, "id") == 0 || strcmp(key, "mayDelete") == 0 ||
		    !known)
			return invalid(key, "not a settable property");
		if (strcmp(key, "email") == 0) {
			/* RFC 8621 6: email is immutable after creation */
			if (!create)
				return invalid(key, "email cannot be changed");
			if (!json_is_string(v) || !own_address(c,
			    json_string_value(v)))
				return json_pack("{s:s, s:s}", "type",
				    "forbiddenFrom", "description", "email "
				    "must be the account's address or one of "
				    "its aliases");
		} else if (strcmp(key, "replyTo") == 0 ||
		    strcmp(key, "bcc") == 0) {
			if (!addr_list_ok(v))
				return invalid(key, "an EmailAddress list or "
				    "null");
		} else if (!json_is_string(v) || strlen(json_string_value(v)) >
		    JMAP_SIGNATURE_MAX)
			return invalid(key, "not a string, or too long");
		json_object_set(ident, key, v);
	}
	if (create && !json_is_string(json_object_get(ident, "email")))
		return invalid("email", "required");
	return NULL;
}

json_t *
jmap_identity_set(struct jmap_ctx *c, json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	const char *if_state = json_string_value(json_object_get(args,
	    "ifInState"));
	json_t *all, *created = json_object(), *ncreated = json_object();
	json_t *updated = json_object(), *nupdated = json_object();
	json_t *destroyed = json_array(), *ndestroyed = json_object();
	json_t *v, *r, *e;
	const char *key;
	char old_state[64], new_state[64];
	struct jmap_records rec;
	struct error err;
	size_t i, k;
	bool changed = false;
	long next;

	jmap_records_load(c, &identity_kind, &rec);
	jmap_records_state(&rec, old_state, sizeof(old_state));
	next = rec.next > 2 ? rec.next : 2;
	if (if_state != NULL && strcmp(if_state, old_state) != 0) {
		jmap_records_free(&rec);
		json_decref(created);
		json_decref(ncreated);
		json_decref(updated);
		json_decref(nupdated);
		json_decref(destroyed);
		json_decref(ndestroyed);
		return jmap_fail(c, "stateMismatch", "the state is %s",
		    old_state);
	}
	all = all_identities(c, &rec);
	json_array_foreach(all, i, v) {
		long n = strtol(json_string_value(json_object_get(v, "id")) + 1,
		    NULL, 10);

		if (n >= next)
			next = n + 1;
	}
	json_object_foreach(create, key, v) {
		json_t *ident;
		char id[32];

		if (json_array_size(all) >= JMAP_IDENTITIES_MAX) {
			json_object_set_new(ncreated, key, json_pack("{s:s, "
			    "s:s}", "type", "overQuota", "description",
			    "too many identities"));
			continue;
		}
		snprintf(id, sizeof(id), "I%ld", next);
		ident = json_pack("{s:s, s:s, s:n, s:n, s:s, s:s}", "id", id,
		    "name", "", "replyTo", "bcc", "textSignature", "",
		    "htmlSignature", "");
		if (!json_is_object(v))
			e = invalid("create", "not an object");
		else
			e = apply(c, ident, v, true);
		if (e != NULL) {
			json_decref(ident);
			json_object_set_new(ncreated, key, e);
			continue;
		}
		next++;
		json_object_set_new(ident, "mayDelete", json_true());
		json_array_append(all, ident);
		json_object_set_new(created, key, json_pack("{s:s, s:b}", "id",
		    id, "mayDelete", 1));
		json_object_set_new(c->created, key, json_string(id));
		json_decref(ident);
		jmap_records_note(&rec, id, 'c');
		changed = true;
	}
	json_object_foreach(update, key, v) {
		json_t *hit = NULL, *w;
		const char *id = jmap_resolve_id(c, key);

		json_array_foreach(all, k, w)
			if (id != NULL && strcmp(json_string_value(
			    json_object_get(w, "id")), id) == 0)
				hit = w;
		if (hit == NULL) {
			json_object_set_new(nupdated, key, json_pack("{s:s}",
			    "type", "notFound"));
			continue;
		}
		{
			json_t *copy = json_deep_copy(hit);

			e = json_is_object(v) ? apply(c, copy, v, false) :
			    invalid("update", "not an object");
			if (e != NULL) {
				json_decref(copy);
				json_object_set_new(nupdated, key, e);
				continue;
			}
			json_object_update(hit, copy);
			json_decref(copy);
		}
		json_object_set_new(updated, id, json_null());
		jmap_records_note(&rec, id, 'u');
		changed = true;
	}
	json_array_foreach(destroy, i, v) {
		const char *id = json_is_string(v) ? jmap_resolve_id(c,
		    json_string_value(v)) : NULL;
		bool hit = false;

		if (id != NULL && strcmp(id, IDENTITY_MAIN) == 0) {
			json_object_set_new(ndestroyed, json_string_value(v),
			    json_pack("{s:s, s:s}", "type", "forbidden",
			    "description", "the account's own identity"));
			continue;
		}
		for (k = 0; id != NULL && k < json_array_size(all); k++)
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(all, k), "id")), id) == 0) {
				json_array_remove(all, k);
				hit = true;
				break;
			}
		if (!hit) {
			if (json_is_string(v))
				json_object_set_new(ndestroyed,
				    json_string_value(v), json_pack("{s:s}",
				    "type", "notFound"));
			continue;
		}
		json_array_append_new(destroyed, json_string(id));
		jmap_records_note(&rec, id, 'd');
		changed = true;
	}
	if (changed) {
		json_array_clear(rec.list);
		json_array_foreach(all, i, v) {
			json_t *copy = json_deep_copy(v);

			json_object_del(copy, "mayDelete");
			json_array_append_new(rec.list, copy);
		}
		rec.next = next;
		if (jmap_records_save(c, &rec, &err) < 0) {
			jmap_records_free(&rec);
			json_decref(all);
			json_decref(created);
			json_decref(ncreated);
			json_decref(updated);
			json_decref(nupdated);
			json_decref(destroyed);
			json_decref(ndestroyed);
			return jmap_fail(c, "serverFail", "%s", err.msg);
		}
	}
	jmap_records_state(&rec, new_state, sizeof(new_state));
	jmap_records_free(&rec);
	json_decref(all);
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old_state, "newState", new_state);
	json_object_set_new(r, "created", created);
	json_object_set_new(r, "notCreated", ncreated);
	json_object_set_new(r, "updated", updated);
	json_object_set_new(r, "notUpdated", nupdated);
	json_object_set_new(r, "destroyed", destroyed);
	json_object_set_new(r, "notDestroyed", ndestroyed);
	return r;
}

/* RFC 8620 5.2 over the identities' change log (jmap_records.c); I1 as
 * the default (never stored) has no changes to tell. */
json_t *
jmap_identity_changes(struct jmap_ctx *c, json_t *args)
{
	return jmap_records_changes(c, &identity_kind, args);
}
