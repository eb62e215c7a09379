/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_request.c: the JMAP request object (RFC 8620 3.3), result
 * references (3.7) with JSON pointers (RFC 6901 plus JMAP's '*'), and the
 * state strings.  Pure: see jmap_request.h.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "jmap/jmap_request.h"

#define STATE_ENTRIES_MAX	16384	/* mailboxes in a state: above STORE_MAILBOXES_MAX */

static int
req_error(struct jmap_req_error *e, const char *type, const char *limit,
    const char *detail)
{
	e->type = type;
	e->limit = limit;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	return -1;
}

/* Whether the JSON text nests deeper than max (arrays and objects; text in
 * strings skipped), checked before jansson recurses. */
static bool
too_deep(const char *p, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return false;
}

void
jmap_req_clear(struct jmap_req *r)
{
	free(r->calls);
	r->calls = NULL;
	r->ncalls = 0;
	if (r->root != NULL)
		json_decref(r->root);
	r->root = NULL;
	r->created_ids = NULL;
}

int
jmap_req_parse(const char *body, size_t len, size_t calls_max,
    struct jmap_req *r, struct jmap_req_error *e)
{
	json_error_t jerr;
	json_t *using, *calls, *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (too_deep(body, len, JMAP_JSON_DEPTH_MAX))
		return req_error(e, "notJSON", NULL, "JSON nested too deep");
	r->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->root == NULL)
		return req_error(e, "notJSON", NULL, "the body is not JSON");
	if (!json_is_object(r->root))
		goto not_request;
	using = json_object_get(r->root, "using");
	calls = json_object_get(r->root, "methodCalls");
	if (!json_is_array(using) || !json_is_array(calls))
		goto not_request;
	json_array_foreach(using, i, v) {
		const char *u = json_string_value(v);

		if (u == NULL)
			goto not_request;
		if (strcmp(u, JMAP_URN_CORE) == 0)
			r->caps |= JMAP_CAP_CORE;
		else if (strcmp(u, JMAP_URN_MAIL) == 0)
			r->caps |= JMAP_CAP_MAIL;
		else if (strcmp(u, JMAP_URN_SUBMISSION) == 0)
			r->caps |= JMAP_CAP_SUBMISSION;
		else if (strcmp(u, JMAP_URN_QUOTA) == 0)
			r->caps |= JMAP_CAP_QUOTA;
		else if (strcmp(u, JMAP_URN_VACATION) == 0)
			r->caps |= JMAP_CAP_VACATION;
		else {
			char d[200];

			snprintf(d, sizeof(d), "unknown capability %.150s", u);
			jmap_req_clear(r);
			return req_error(e, "unknownCapability", NULL, d);
		}
	}
	if (json_array_size(calls) > calls_max) {
		jmap_req_clear(r);
		return req_error(e, "limit", "maxCallsInRequest",
		    "too many method calls");
	}
	v = json_object_get(r->root, "createdIds");
	if (v != NULL && !json_is_object(v))
		goto not_request;
	r->created_ids = v;
	r->ncalls = json_array_size(calls);
	r->calls = xcalloc(r->ncalls + 1, sizeof(*r->calls));
	json_array_foreach(calls, i, v) {
		json_t *n, *a, *id;

		if (!json_is_array(v) || json_array_size(v) != 3)
			goto not_request;
		n = json_array_get(v, 0);
		a = json_array_get(v, 1);
		id = json_array_get(v, 2);
		if (!json_is_string(n) || !json_is_object(a) ||
		    !json_is_string(id))
			goto not_request;
		r->calls[i].name = json_string_value(n);
		r->calls[i].args = a;
		r->calls[i].id = json_string_value(id);
	}
	return 0;
not_request:
	jmap_req_clear(r);
	return req_error(e, "notRequest", NULL,
	    "the body is not a JMAP Request object");
}

/* ---- JSON pointer ---- */

/* The next reference token of ptr (after its '/'), unescaped into tok
 * (size n); *rest_r points at the next '/' or the end.  -1 when too long
 * or a bad escape. */
static int
next_token(const char *ptr, char *tok, size_t n, const char **rest_r)
{
	size_t k = 0;
	const char *p = ptr;

	for (; *p != '\0' && *p != '/'; p++) {
		char c = *p;

		if (c == '~') {
			if (p[1] == '0')
				c = '~';
			else if (p[1] == '1')
				c = '/';
			else
				return -1;
			p++;
		}
		if (k + 1 >= n)
			return -1;
		tok[k++] = c;
	}
	tok[k] = '\0';
	*rest_r = p;
	return 0;
}

static json_t *
pointer_eval(json_t *v, const char *ptr, unsigned stars)
{
	char tok[256];
	const char *rest;

	if (*ptr == '\0')
		return json_incref(v);
	if (*ptr != '/' || next_token(ptr + 1, tok, sizeof(tok), &rest) < 0)
		return NULL;
	if (json_is_object(v)) {
		json_t *c = json_object_get(v, tok);

		return c == NULL ? NULL : pointer_eval(c, rest, stars);
	}
	if (!json_is_array(v))
		return NULL;
	if (strcmp(tok, "*") == 0) {
		json_t *out, *item;
		size_t i;

		if (stars >= JMAP_REF_DEPTH_MAX)
			return NULL;
		out = json_array();
		json_array_foreach(v, i, item) {
			json_t *r = pointer_eval(item, rest, stars + 1);

			if (r == NULL) {
				json_decref(out);
				return NULL;
			}
			if (json_is_array(r))
				json_array_extend(out, r);
			else
				json_array_append(out, r);
			json_decref(r);
		}
		return out;
	}
	/* RFC 6901 4: an array index is "0" or digits without a leading 0 */
	{
		char *end;
		unsigned long idx;

		if (tok[0] < '0' || tok[0] > '9' ||
		    (tok[0] == '0' && tok[1] != '\0'))
			return NULL;
		idx = strtoul(tok, &end, 10);
		if (*end != '\0' || idx >= json_array_size(v))
			return NULL;
		return pointer_eval(json_array_get(v, idx), rest, stars);
	}
}

json_t *
jmap_pointer_eval(json_t *v, const char *ptr)
{
	return pointer_eval(v, ptr, 0);
}

/* ---- result references ---- */

static int
ref_error(const char **etype_r, const char *type, char *desc, size_t n,
    const char *text, const char *key)
{
	*etype_r = type;
	snprintf(desc, n, "%s: %.100s", text, key);
	return -1;
}

int
jmap_resolve_refs(json_t *args, json_t *responses, const char **etype_r,
    char *desc, size_t n)
{
	const char *key;
	json_t *val;
	void *tmp;

	json_object_foreach_safe(args, tmp, key, val) {
		const char *of, *name, *path;
		json_t *resp, *found = NULL, *res;
		size_t i;

		if (key[0] != '#')
			continue;
		if (json_object_get(args, key + 1) != NULL)
			return ref_error(etype_r, "invalidArguments", desc, n,
			    "both a reference and a value for", key + 1);
		of = json_string_value(json_object_get(val, "resultOf"));
		name = json_string_value(json_object_get(val, "name"));
		path = json_string_value(json_object_get(val, "path"));
		if (!json_is_object(val) || of == NULL || name == NULL ||
		    path == NULL)
			return ref_error(etype_r, "invalidResultReference",
			    desc, n, "malformed ResultReference", key);
		json_array_foreach(responses, i, resp) {
			const char *rid = json_string_value(
			    json_array_get(resp, 2));

			if (rid != NULL && strcmp(rid, of) == 0) {
				found = resp;
				break;
			}
		}
		if (found == NULL)
			return ref_error(etype_r, "invalidResultReference",
			    desc, n, "no earlier response with call id", of);
		{
			const char *rn = json_string_value(
			    json_array_get(found, 0));

			if (rn == NULL || strcmp(rn, name) != 0)
				return ref_error(etype_r,
				    "invalidResultReference", desc, n,
				    "the referenced response is not", name);
		}
		res = jmap_pointer_eval(json_array_get(found, 1), path);
		if (res == NULL)
			return ref_error(etype_r, "invalidResultReference",
			    desc, n, "path does not resolve", path);
		{
			char *plain = xstrdup(key + 1);

			json_object_del(args, key);
			json_object_set_new(args, plain, res);
			free(plain);
		}
	}
	return 0;
}

/* ---- state strings ---- */

uint32_t
jmap_hash(uint32_t h, const char *s)
{
	if (h == 0)
		h = 2166136261u;
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void
jmap_state_format(char kind, const struct jmap_mbstate *v, size_t n,
    struct buf *out)
{
	size_t i;

	buf_putc(out, kind);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%lld.%u.%u.%llu", i > 0 ? "_" : "",
		    (long long)v[i].id, v[i].uidvalidity, v[i].uidnext,
		    (unsigned long long)v[i].modseq);
		if (kind == 'M')
			buf_printf(out, ".%u", v[i].namehash);
	}
}

static bool
take_num(const char **pp, uint64_t max, uint64_t *v_r)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*v_r = v;
	return true;
}

int
jmap_state_parse(char kind, const char *s, struct jmap_mbstate **v_r,
    size_t *n_r)
{
	struct jmap_mbstate *v = NULL;
	size_t n = 0, cap = 0;
	const char *p = s;

	if (*p++ != kind)
		return -1;
	while (*p != '\0') {
		uint64_t id, uv, un, ms, nh = 0;

		if (n > 0 && *p++ != '_')
			goto bad;
		if (!take_num(&p, INT64_MAX, &id) || *p++ != '.' ||
		    !take_num(&p, UINT32_MAX, &uv) || *p++ != '.' ||
		    !take_num(&p, UINT32_MAX, &un) || *p++ != '.' ||
		    !take_num(&p, INT64_MAX, &ms))
			goto bad;
		if (kind == 'M' && (*p++ != '.' ||
		    !take_num(&p, UINT32_MAX, &nh)))
			goto bad;
		if (n == cap) {
			if (cap >= STATE_ENTRIES_MAX)
				goto bad;
			cap = cap == 0 ? 16 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].id = (int64_t)id;
		v[n].uidvalidity = (uint32_t)uv;
		v[n].uidnext = (uint32_t)un;
		v[n].modseq = ms;
		v[n].namehash = (uint32_t)nh;
		n++;
	}
	*v_r = v;
	*n_r = n;
	return 0;
bad:
	free(v);
	return -1;
}
