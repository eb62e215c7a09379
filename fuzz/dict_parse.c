/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict_parse.c: libFuzzer target for the data format parser (lib/dict.h).
 * Parses the input (with and without comments, and as a CLI prefix); when
 * it parses, writes it in compact and in pretty form, parses that again and
 * aborts unless the trees are equal, and checks that clone and dict_update
 * agree with the original.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_round_trip(const struct dval *v, unsigned flags)
{
	struct dval *again;
	struct error err;
	struct buf b;

	buf_init(&b, 4 * (size_t)DICT_TEXT_MAX);
	dict_write(&b, v, flags);
	if (b.err != 0)
		abort();
	again = dict_parse(buf_cstr(&b), b.len, 0, &err);
	if (again == NULL) {
		fprintf(stderr, "re-parse failed: %s\n%s\n", err.msg,
		    buf_cstr(&b));
		abort();
	}
	if (!dict_equal(v, again)) {
		fprintf(stderr, "round trip differs:\n%s\n", buf_cstr(&b));
		abort();
	}
	dict_free(&again);
	buf_free(&b);
}

/* dict_update(clone of d, d): every "default" key goes, the rest stay. */
static void
check_update(const struct dval *d)
{
	struct dval *c;
	const struct dval *val;
	const char *s;
	size_t i, kept = 0, len;

	c = dict_clone(d);
	if (!dict_equal(d, c))
		abort();
	dict_update(c, d);
	for (i = 0; i < dict_len(d); i++) {
		val = dict_value_at(d, i);
		s = dict_str(val, &len);
		if (dict_type(val) == DICT_STRING && len == 7 &&
		    memcmp(s, "default", 7) == 0) {
			if (dict_get(c, dict_key_at(d, i)) != NULL)
				abort();
		} else {
			if (!dict_equal(dict_get(c, dict_key_at(d, i)), val))
				abort();
			kept++;
		}
	}
	if (dict_len(c) != kept)
		abort();
	dict_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct dval *v, *p, *s;
	struct error err;
	size_t used;

	v = dict_parse(text, size, 0, &err);
	if (v != NULL) {
		check_round_trip(v, 0);
		check_round_trip(v, DICT_WRITE_PRETTY);
		if (dict_type(v) == DICT_DICT)
			check_update(v);
	}
	/* A prefix parse agrees with a whole parse of the bytes it used. */
	p = dict_parse_prefix(text, size, &used, &err);
	if (p != NULL) {
		if (used > size)
			abort();
		s = dict_parse(text, used, 0, &err);
		if (s == NULL || !dict_equal(p, s))
			abort();
		dict_free(&s);
	}
	if (v != NULL && (p == NULL || !dict_equal(v, p)))
		abort();
	dict_free(&p);
	dict_free(&v);
	v = dict_parse(text, size, DICT_PARSE_COMMENTS, &err);
	dict_free(&v);
	return 0;
}
