/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/jmap_request.c: libFuzzer target for the pure JMAP request layer
 * (src/jmap/jmap_request.c).  The input goes through jmap_req_parse(); for
 * a valid request every call's arguments have their result references
 * resolved against the calls before it (each taken as its own response,
 * as Core/echo answers), every string value found is also tried as a JSON
 * pointer and as a state string, and a state that parses must format and
 * parse back to the same values.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "jmap/jmap_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
try_state(const char *s)
{
	struct jmap_mbstate *v;
	size_t n;
	char kind;

	for (kind = 'E'; kind != 0; kind = kind == 'E' ? 'M' : 0) {
		if (jmap_state_parse(kind, s, &v, &n) == 0) {
			struct buf b;
			struct jmap_mbstate *v2;
			size_t n2;

			buf_init(&b, 1024 * 1024);
			jmap_state_format(kind, v, n, &b);
			/* what formats must parse back to the same values */
			if (b.err == 0) {
				if (jmap_state_parse(kind, b.data, &v2,
				    &n2) < 0 || n2 != n || (n > 0 &&
				    memcmp(v, v2, n * sizeof(*v)) != 0))
					abort();
				free(v2);
			}
			buf_free(&b);
			free(v);
		}
	}
}

static void
walk(json_t *root, json_t *v, int depth)
{
	const char *k;
	json_t *x;
	size_t i;

	if (depth > JMAP_JSON_DEPTH_MAX + 1)
		abort();
	if (json_is_string(v)) {
		json_t *r = jmap_pointer_eval(root, json_string_value(v));

		if (r != NULL)
			json_decref(r);
		try_state(json_string_value(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			walk(root, x, depth + 1);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			walk(root, x, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmap_req r;
	struct jmap_req_error e;
	json_t *responses;
	size_t i;

	if (jmap_req_parse((const char *)data, size, JMAP_CALLS_MAX, &r,
	    &e) < 0) {
		if (e.type == NULL || (strcmp(e.type, "limit") == 0) !=
		    (e.limit != NULL))
			abort();
		return 0;
	}
	if (r.ncalls > JMAP_CALLS_MAX)
		abort();
	walk(r.root, r.root, 0);
	responses = json_array();
	for (i = 0; i < r.ncalls; i++) {
		json_t *args = json_deep_copy(r.calls[i].args);
		const char *etype = NULL;
		char desc[200];

		if (jmap_resolve_refs(args, responses, &etype, desc,
		    sizeof(desc)) < 0) {
			if (etype == NULL)
				abort();
		} else {
			const char *k;
			json_t *x;

			/* no reference is left behind */
			json_object_foreach(args, k, x)
				if (k[0] == '#')
					abort();
		}
		json_array_append_new(responses, json_pack("[s, o, s]",
		    r.calls[i].name, args, r.calls[i].id));
	}
	json_decref(responses);
	jmap_req_clear(&r);
	return 0;
}
