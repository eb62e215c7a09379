/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_quota.c: the account's storage quota (RFC 9425, capability
 * urn:ietf:params:jmap:quota): Quota/get and Quota/query from the
 * account's effective MaxAccountSize (the limit local delivery and IMAP
 * APPEND enforce) and the store's total size.  One Quota, id "Q1", scope
 * "account", resourceType "octets", for the "Mail" data type; none when
 * the account has no limit.  Email/set create and Email/import are
 * refused with overQuota past it (jmap_email_set.c).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/error.h"
#include "objects/objects.h"
#include "delivery/local.h"
#include "core/server.h"
#include "jmap/jmap_private.h"

#define QUOTA_ID	"Q1"

uint64_t
jmap_quota_max(struct jmap_ctx *c)
{
	struct error err;
	struct dval *eff;
	uint64_t max = 0;

	eff = objects_account_effective_get(c->srv->objects, c->who.account,
	    c->who.domain, &err);
	(void)local_quota(eff, &max, &err);	/* malformed: no limit */
	dict_free(&eff);
	return max;
}

/* The state changes when the limit or the use changes. */
static void
quota_state(uint64_t max, uint64_t used, char *out, size_t n)
{
	snprintf(out, n, "Q%llx-%llx", (unsigned long long)max,
	    (unsigned long long)used);
}

static int
quota_now(struct jmap_ctx *c, uint64_t *max_r, uint64_t *used_r)
{
	struct error err;

	*max_r = jmap_quota_max(c);
	if (store_account_size(c->store, used_r, &err) < 0) {
		jmap_fail(c, "serverFail", "%s", err.msg);
		return -1;
	}
	return 0;
}

static json_t *
quota_json(const struct jmap_ctx *c, uint64_t max, uint64_t used,
    json_t *props)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:s, s:s}",
	    "id", QUOTA_ID, "resourceType", "octets", "scope", "account",
	    "used", (json_int_t)used, "hardLimit", (json_int_t)max,
	    "types", "Mail", "name", c->who.address, "description",
	    "MaxAccountSize");

	if (json_is_array(props)) {
		json_t *f = json_object(), *p;
		size_t i;

		json_array_foreach(props, i, p)
			if (json_is_string(p) && json_object_get(o,
			    json_string_value(p)) != NULL)
				json_object_set(f, json_string_value(p),
				    json_object_get(o, json_string_value(p)));
		json_object_set(f, "id", json_object_get(o, "id"));
		json_decref(o);
		o = f;
	}
	return o;
}

json_t *
jmap_quota_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list = json_array(), *nf = json_array(), *v;
	uint64_t max, used;
	char st[64];
	size_t i;
	bool want = ids == NULL || json_is_null(ids);

	if (!want && !json_is_array(ids)) {
		json_decref(list);
		json_decref(nf);
		return jmap_fail(c, "invalidArguments", "ids");
	}
	if (quota_now(c, &max, &used) < 0) {
		json_decref(list);
		json_decref(nf);
		return NULL;
	}
	json_array_foreach(ids, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v),
		    QUOTA_ID) == 0 && max > 0)
			want = true;
		else
			json_array_append(nf, v);
	if (want && max > 0)
		json_array_append_new(list, quota_json(c, max, used, props));
	quota_state(max, used, st, sizeof(st));
	return json_pack("{s:s, s:s, s:o, s:o}", "accountId",
	    jmap_account_id(c), "state", st, "list", list, "notFound", nf);
}

json_t *
jmap_quota_query(struct jmap_ctx *c, json_t *args)
{
	uint64_t max, used;
	char st[64];
	json_t *ids = json_array();

	(void)args;
	if (quota_now(c, &max, &used) < 0) {
		json_decref(ids);
		return NULL;
	}
	if (max > 0)
		json_array_append_new(ids, json_string(QUOTA_ID));
	quota_state(max, used, st, sizeof(st));
	return json_pack("{s:s, s:s, s:b, s:i, s:o, s:I}", "accountId",
	    jmap_account_id(c), "queryState", st, "canCalculateChanges", 0,
	    "position", 0, "ids", ids, "total",
	    (json_int_t)(max > 0 ? 1 : 0));
}

/* The state is the object itself (limit and use), so the changes since
 * any state of this form can be told: Q1 exists when the limit is not 0. */
json_t *
jmap_quota_changes(struct jmap_ctx *c, json_t *args)
{
	const char *since = json_string_value(json_object_get(args,
	    "sinceState"));
	unsigned long long omax, oused;
	uint64_t max, used;
	json_t *cr, *up, *de;
	size_t lim;
	char st[64], chk[64];
	int n = 0;

	if (since == NULL)
		return jmap_fail(c, "invalidArguments", "sinceState");
	if (!jmap_max_changes(c, args, &lim))
		return NULL;
	/* only what quota_state() writes: the same text back */
	if (sscanf(since, "Q%llx-%llx%n", &omax, &oused, &n) != 2 ||
	    (size_t)n != strlen(since))
		return jmap_fail(c, "cannotCalculateChanges", "not a state "
		    "of this server");
	quota_state(omax, oused, chk, sizeof(chk));
	if (strcmp(chk, since) != 0)
		return jmap_fail(c, "cannotCalculateChanges", "not a state "
		    "of this server");
	if (quota_now(c, &max, &used) < 0)
		return NULL;
	quota_state(max, used, st, sizeof(st));
	cr = json_array();
	up = json_array();
	de = json_array();
	if (strcmp(st, since) != 0) {
		if (omax == 0 && max > 0)
			json_array_append_new(cr, json_string(QUOTA_ID));
		else if (omax > 0 && max == 0)
			json_array_append_new(de, json_string(QUOTA_ID));
		else if (max > 0)
			json_array_append_new(up, json_string(QUOTA_ID));
	}
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:n}",
	    "accountId", jmap_account_id(c), "oldState", since, "newState", st,
	    "hasMoreChanges", 0, "created", cr, "updated", up, "destroyed", de,
	    "updatedProperties");
}
