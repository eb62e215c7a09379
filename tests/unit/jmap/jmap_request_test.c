/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for jmap/jmap_request.c: request validation, JSON pointers
 * with '*', result references, state strings. */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "jmap/jmap_request.h"

static int
parse(const char *s, struct jmap_req *r, struct jmap_req_error *e)
{
	return jmap_req_parse(s, strlen(s), 4, r, e);
}

static void
test_request(void)
{
	struct jmap_req r;
	struct jmap_req_error e;

	test_begin("a valid request");
	test_assert(parse("{\"using\":[\"urn:ietf:params:jmap:core\","
	    "\"urn:ietf:params:jmap:mail\"],\"methodCalls\":[[\"Core/echo\","
	    "{\"a\":1},\"c1\"]]}", &r, &e) == 0);
	test_assert(r.ncalls == 1);
	test_assert(r.caps == (JMAP_CAP_CORE | JMAP_CAP_MAIL));
	test_assert_str(r.calls[0].name, "Core/echo");
	test_assert_str(r.calls[0].id, "c1");
	jmap_req_clear(&r);
	test_end();

	test_begin("not JSON, not a request, unknown capability, limit");
	test_assert(parse("{\"using\":", &r, &e) == -1);
	test_assert_str(e.type, "notJSON");
	test_assert(parse("[1,2]", &r, &e) == -1);
	test_assert_str(e.type, "notRequest");
	test_assert(parse("{\"using\":[],\"methodCalls\":[[\"x\",{},1]]}", &r,
	    &e) == -1);
	test_assert_str(e.type, "notRequest");
	test_assert(parse("{\"using\":[],\"methodCalls\":[[\"x\",[],\"1\"]]}",
	    &r, &e) == -1);
	test_assert_str(e.type, "notRequest");
	test_assert(parse("{\"using\":[\"urn:x\"],\"methodCalls\":[]}", &r,
	    &e) == -1);
	test_assert_str(e.type, "unknownCapability");
	test_assert(parse("{\"using\":[],\"methodCalls\":[[\"a\",{},\"1\"],"
	    "[\"a\",{},\"2\"],[\"a\",{},\"3\"],[\"a\",{},\"4\"],"
	    "[\"a\",{},\"5\"]]}", &r, &e) == -1);
	test_assert_str(e.type, "limit");
	test_assert_str(e.limit, "maxCallsInRequest");
	test_assert(parse("{\"using\":[],\"using\":[],\"methodCalls\":[]}",
	    &r, &e) == -1);
	test_assert_str(e.type, "notJSON");
	test_end();

	test_begin("nesting past the limit is refused before parsing");
	{
		struct buf b;
		int i;

		buf_init(&b, 100000);
		buf_puts(&b, "{\"using\":[],\"methodCalls\":[],\"x\":");
		for (i = 0; i < 10000; i++)
			buf_putc(&b, '[');
		test_assert(jmap_req_parse(b.data, b.len, 4, &r, &e) == -1);
		test_assert_str(e.type, "notJSON");
		buf_free(&b);
	}
	test_end();
}

static void
test_pointer(void)
{
	json_t *v = json_loads("{\"list\":[{\"id\":\"a\",\"t\":[\"x\",\"y\"]},"
	    "{\"id\":\"b\",\"t\":[\"z\"]}],\"ids\":[\"1\",\"2\"],"
	    "\"a/b\":{\"m~n\":3}}", 0, NULL);
	json_t *r;

	test_begin("JSON pointer with '*' and escapes");
	r = jmap_pointer_eval(v, "/ids");
	test_assert(json_is_array(r) && json_array_size(r) == 2);
	json_decref(r);
	r = jmap_pointer_eval(v, "/list/*/id");
	test_assert(json_array_size(r) == 2);
	test_assert_str(json_string_value(json_array_get(r, 1)), "b");
	json_decref(r);
	r = jmap_pointer_eval(v, "/list/*/t");	/* flattened */
	test_assert(json_array_size(r) == 3);
	test_assert_str(json_string_value(json_array_get(r, 2)), "z");
	json_decref(r);
	r = jmap_pointer_eval(v, "/a~1b/m~0n");
	test_assert(json_integer_value(r) == 3);
	json_decref(r);
	r = jmap_pointer_eval(v, "/list/1/id");
	test_assert_str(json_string_value(r), "b");
	json_decref(r);
	test_assert(jmap_pointer_eval(v, "/list/01/id") == NULL);
	test_assert(jmap_pointer_eval(v, "/list/2") == NULL);
	test_assert(jmap_pointer_eval(v, "/nope") == NULL);
	test_assert(jmap_pointer_eval(v, "ids") == NULL);
	test_assert(jmap_pointer_eval(v, "/a~2b") == NULL);
	test_end();
	json_decref(v);
}

static void
test_refs(void)
{
	json_t *resp = json_loads("[[\"Email/query\",{\"ids\":[\"E1-1\","
	    "\"E1-2\"]},\"t0\"]]", 0, NULL);
	json_t *args;
	const char *etype;
	char desc[200];

	test_begin("a result reference is resolved");
	args = json_loads("{\"#ids\":{\"resultOf\":\"t0\",\"name\":"
	    "\"Email/query\",\"path\":\"/ids\"}}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == 0);
	test_assert(json_array_size(json_object_get(args, "ids")) == 2);
	test_assert(json_object_get(args, "#ids") == NULL);
	json_decref(args);
	test_end();

	test_begin("bad references");
	args = json_loads("{\"#ids\":{\"resultOf\":\"t9\",\"name\":"
	    "\"Email/query\",\"path\":\"/ids\"}}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == -1);
	test_assert_str(etype, "invalidResultReference");
	json_decref(args);
	args = json_loads("{\"#ids\":{\"resultOf\":\"t0\",\"name\":"
	    "\"Email/get\",\"path\":\"/ids\"}}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == -1);
	test_assert_str(etype, "invalidResultReference");
	json_decref(args);
	args = json_loads("{\"#ids\":{\"resultOf\":\"t0\",\"name\":"
	    "\"Email/query\",\"path\":\"/nope\"}}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == -1);
	test_assert_str(etype, "invalidResultReference");
	json_decref(args);
	args = json_loads("{\"ids\":[],\"#ids\":{\"resultOf\":\"t0\","
	    "\"name\":\"Email/query\",\"path\":\"/ids\"}}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == -1);
	test_assert_str(etype, "invalidArguments");
	json_decref(args);
	args = json_loads("{\"#ids\":\"x\"}", 0, NULL);
	test_assert(jmap_resolve_refs(args, resp, &etype, desc,
	    sizeof(desc)) == -1);
	test_assert_str(etype, "invalidResultReference");
	json_decref(args);
	test_end();
	json_decref(resp);
}

static void
test_state(void)
{
	struct jmap_mbstate v[2] = {
		{ 1, 100, 5, 9, 0 }, { 7, 200, 1, 1, 0xdeadbeef }
	}, *p;
	struct buf b;
	size_t n;

	test_begin("state strings round-trip");
	buf_init(&b, 1024);
	jmap_state_format('M', v, 2, &b);
	test_assert(jmap_state_parse('M', b.data, &p, &n) == 0);
	test_assert(n == 2 && p[1].id == 7 && p[1].uidvalidity == 200 &&
	    p[1].namehash == 0xdeadbeef && p[0].modseq == 9 &&
	    p[0].uidnext == 5);
	free(p);
	test_assert(jmap_state_parse('E', b.data, &p, &n) == -1);
	buf_reset(&b);
	jmap_state_format('E', v, 2, &b);
	test_assert_str(b.data, "E1.100.5.9_7.200.1.1");
	test_assert(jmap_state_parse('E', "E", &p, &n) == 0 && n == 0);
	free(p);
	test_assert(jmap_state_parse('E', "E1.2.3", &p, &n) == -1);
	test_assert(jmap_state_parse('E', "E1.2.3.4_", &p, &n) == -1);
	test_assert(jmap_state_parse('E', "E1.99999999999.3.4", &p, &n) ==
	    -1);
	test_assert(jmap_state_parse('E', "x", &p, &n) == -1);
	buf_free(&b);
	test_end();
}

int
main(void)
{
	test_request();
	test_pointer();
	test_refs();
	test_state();
	return test_done();
}
