/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_vacation.c: VacationResponse/get and /set (RFC 8621 8, capability
 * urn:ietf:params:jmap:vacationresponse): the one object "singleton" of
 * the account, kept in the account's vacation.data by delivery/vacation.c,
 * which LOCAL delivery reads to send the auto-reply.  Its state is a hash
 * of its properties (it changes when they change).  It cannot be created
 * or destroyed (singleton); subject is at most VACATION_SUBJECT_MAX bytes
 * without control characters, each body at most VACATION_BODY_MAX.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "delivery/vacation.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap_private.h"

#define SINGLETON	"singleton"

static int
acct_dir(struct jmap_ctx *c, char *dir, size_t n)
{
	struct error err;

	if (objects_account_path(c->srv->objects, c->who.account,
	    c->who.domain, dir, n, &err) < 0) {
		jmap_fail(c, "serverFail", "%s", err.msg);
		return -1;
	}
	return 0;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
to_json(const struct vacation_cfg *v)
{
	json_t *o = json_pack("{s:s, s:b}", "id", SINGLETON, "isEnabled",
	    v->enabled);

	json_object_set_new(o, "fromDate", str_or_null(v->from_date[0] != '\0' ?
	    v->from_date : NULL));
	json_object_set_new(o, "toDate", str_or_null(v->to_date[0] != '\0' ?
	    v->to_date : NULL));
	json_object_set_new(o, "subject", str_or_null(v->subject));
	json_object_set_new(o, "textBody", str_or_null(v->text));
	json_object_set_new(o, "htmlBody", str_or_null(v->html));
	return o;
}

/* "V" and the FNV-1a hash of the object's JSON. */
static void
state_of(const struct vacation_cfg *v, char *out, size_t n)
{
	json_t *o = to_json(v);
	char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = t != NULL ? t : ""; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	free(t);
	json_decref(o);
	snprintf(out, n, "V%016llx", (unsigned long long)h);
}

static int
load(struct jmap_ctx *c, char *dir, size_t n, struct vacation_cfg *v)
{
	struct error err;

	if (acct_dir(c, dir, n) < 0)
		return -1;
	if (vacation_read(dir, v, &err) < 0) {
		jmap_fail(c, "serverFail", "%s", err.msg);
		return -1;
	}
	return 0;
}

json_t *
jmap_vacation_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list = json_array(), *nf = json_array(), *v, *o;
	struct vacation_cfg cfg;
	char dir[OBJECTS_PATH_MAX], st[32];
	bool want = ids == NULL || json_is_null(ids);
	size_t i;

	if ((!want && (!json_is_array(ids) || json_array_size(ids) >
	    JMAP_GET_MAX)) || (props != NULL && !json_is_null(props) &&
	    !json_is_array(props))) {
		json_decref(list);
		json_decref(nf);
		return jmap_fail(c, "invalidArguments", "ids or properties");
	}
	if (load(c, dir, sizeof(dir), &cfg) < 0) {
		json_decref(list);
		json_decref(nf);
		return NULL;
	}
	json_array_foreach(ids, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v),
		    SINGLETON) == 0)
			want = true;
		else
			json_array_append(nf, v);
	o = to_json(&cfg);
	if (json_is_array(props)) {
		json_t *f = json_pack("{s:s}", "id", SINGLETON), *p;

		json_array_foreach(props, i, p)
			if (json_is_string(p) && json_object_get(o,
			    json_string_value(p)) != NULL)
				json_object_set(f, json_string_value(p),
				    json_object_get(o, json_string_value(p)));
		json_decref(o);
		o = f;
	}
	if (want)
		json_array_append_new(list, o);
	else
		json_decref(o);
	state_of(&cfg, st, sizeof(st));
	vacation_cfg_clear(&cfg);
	return json_pack("{s:s, s:s, s:o, s:o}", "accountId",
	    jmap_account_id(c), "state", st, "list", list, "notFound", nf);
}

static json_t *
invalid(const char *prop, const char *desc)
{
	return json_pack("{s:s, s:[s], s:s}", "type", "invalidProperties",
	    "properties", prop, "description", desc);
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A string property: null, or a string of at most max bytes (no control
 * characters when line is set) copied into *dst. */
static json_t *
take_str(const char *key, json_t *val, size_t max, bool line, char **dst)
{
	const char *s;

	if (json_is_null(val)) {
		free(*dst);
		*dst = NULL;
		return NULL;
	}
	if (!json_is_string(val))
		return invalid(key, "a string or null");
	s = json_string_value(val);
	if (json_string_length(val) != strlen(s))
		return invalid(key, "contains NUL");
	if (strlen(s) > max)
		return invalid(key, "too long");
	if (line && has_control(s))
		return invalid(key, "contains control characters");
	free(*dst);
	*dst = xstrdup(s);
	return NULL;
}

static json_t *
take_date(const char *key, json_t *val, char *dst, size_t n)
{
	if (json_is_null(val)) {
		dst[0] = '\0';
		return NULL;
	}
	if (!json_is_string(val) || vacation_parse_date(json_string_value(
	    val)) < 0)
		return invalid(key, "a UTCDate (YYYY-MM-DDThh:mm:ssZ) or null");
	snprintf(dst, n, "%s", json_string_value(val));
	return NULL;
}

/* Applies patch onto v; NULL, or the SetError. */
static json_t *
apply(struct vacation_cfg *v, json_t *patch)
{
	const char *key;
	json_t *val, *e = NULL;

	json_object_foreach(patch, key, val) {
		if (strcmp(key, "id") == 0) {
			if (!json_is_string(val) || strcmp(json_string_value(
			    val), SINGLETON) != 0)
				e = invalid(key, "immutable");
		} else if (strcmp(key, "isEnabled") == 0) {
			if (!json_is_boolean(val))
				e = invalid(key, "a boolean");
			else
				v->enabled = json_is_true(val);
		} else if (strcmp(key, "fromDate") == 0)
			e = take_date(key, val, v->from_date,
			    sizeof(v->from_date));
		else if (strcmp(key, "toDate") == 0)
			e = take_date(key, val, v->to_date, sizeof(v->to_date));
		else if (strcmp(key, "subject") == 0)
			e = take_str(key, val, VACATION_SUBJECT_MAX, true,
			    &v->subject);
		else if (strcmp(key, "textBody") == 0)
			e = take_str(key, val, VACATION_BODY_MAX, false,
			    &v->text);
		else if (strcmp(key, "htmlBody") == 0)
			e = take_str(key, val, VACATION_BODY_MAX, false,
			    &v->html);
		else
			e = invalid(key, "not a property of VacationResponse");
		if (e != NULL)
			return e;
	}
	return NULL;
}

json_t *
jmap_vacation_set(struct jmap_ctx *c, json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	json_t *if_state = json_object_get(args, "ifInState");
	json_t *updated = json_object(), *nupdated = json_object();
	json_t *ncreated = json_object(), *ndestroyed = json_object();
	json_t *r, *v;
	const char *key;
	struct vacation_cfg cfg;
	struct error err;
	char dir[OBJECTS_PATH_MAX], old_state[32], new_state[32];
	size_t i;
	bool changed = false;

	if ((create != NULL && !json_is_null(create) &&
	    !json_is_object(create)) || (update != NULL &&
	    !json_is_null(update) && !json_is_object(update)) ||
	    (destroy != NULL && !json_is_null(destroy) &&
	    !json_is_array(destroy)) || (if_state != NULL &&
	    !json_is_null(if_state) && !json_is_string(if_state)) ||
	    json_object_size(create) + json_object_size(update) +
	    json_array_size(destroy) > JMAP_SET_MAX) {
		json_decref(updated);
		json_decref(nupdated);
		json_decref(ncreated);
		json_decref(ndestroyed);
		return jmap_fail(c, "invalidArguments", "create, update, "
		    "destroy or ifInState");
	}
	if (load(c, dir, sizeof(dir), &cfg) < 0) {
		json_decref(updated);
		json_decref(nupdated);
		json_decref(ncreated);
		json_decref(ndestroyed);
		return NULL;
	}
	state_of(&cfg, old_state, sizeof(old_state));
	if (json_is_string(if_state) && strcmp(json_string_value(if_state),
	    old_state) != 0) {
		vacation_cfg_clear(&cfg);
		json_decref(updated);
		json_decref(nupdated);
		json_decref(ncreated);
		json_decref(ndestroyed);
		return jmap_fail(c, "stateMismatch", "the state is %s",
		    old_state);
	}
	json_object_foreach(create, key, v)
		json_object_set_new(ncreated, key, json_pack("{s:s, s:s}",
		    "type", "singleton", "description", "there is only the "
		    "singleton"));
	json_array_foreach(destroy, i, v)
		if (json_is_string(v))
			json_object_set_new(ndestroyed, json_string_value(v),
			    json_pack("{s:s, s:s}", "type", "singleton",
			    "description", "the singleton cannot be "
			    "destroyed"));
	json_object_foreach(update, key, v) {
		struct vacation_cfg next;
		json_t *e;

		if (strcmp(key, SINGLETON) != 0) {
			json_object_set_new(nupdated, key, json_pack("{s:s}",
			    "type", "notFound"));
			continue;
		}
		if (!json_is_object(v)) {
			json_object_set_new(nupdated, key, invalid("update",
			    "not an object"));
			continue;
		}
		/* all or nothing: a copy takes the patch */
		next = cfg;
		next.subject = cfg.subject != NULL ? xstrdup(cfg.subject) :
		    NULL;
		next.text = cfg.text != NULL ? xstrdup(cfg.text) : NULL;
		next.html = cfg.html != NULL ? xstrdup(cfg.html) : NULL;
		if ((e = apply(&next, v)) != NULL) {
			vacation_cfg_clear(&next);
			json_object_set_new(nupdated, key, e);
			continue;
		}
		vacation_cfg_clear(&cfg);
		cfg = next;
		json_object_set_new(updated, key, json_null());
		changed = true;
	}
	if (changed && vacation_write(dir, &cfg, &err) < 0) {
		vacation_cfg_clear(&cfg);
		json_decref(updated);
		json_decref(nupdated);
		json_decref(ncreated);
		json_decref(ndestroyed);
		return jmap_fail(c, "serverFail", "%s", err.msg);
	}
	if (changed)
		log_ses(c->http->log, LOG_LOW, "%s: auto-reply %s",
		    c->who.address, cfg.enabled ? "enabled" : "disabled");
	state_of(&cfg, new_state, sizeof(new_state));
	vacation_cfg_clear(&cfg);
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old_state, "newState", new_state);
	json_object_set_new(r, "created", json_null());
	json_object_set_new(r, "updated", updated);
	json_object_set_new(r, "destroyed", json_null());
	json_object_set_new(r, "notCreated", ncreated);
	json_object_set_new(r, "notUpdated", nupdated);
	json_object_set_new(r, "notDestroyed", ndestroyed);
	return r;
}
