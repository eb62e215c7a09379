/* SPDX-License-Identifier: Apache-2.0 */
#include "lib/compat.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/strv.h"
#include "lib/test.h"

int
main(void)
{
	struct buf b;
	struct strv head, rest;
	uint64_t v;

	test_begin("append and printf");
	buf_init(&b, 100);
	buf_puts(&b, "abc");
	buf_printf(&b, "-%d-", 42);
	test_assert_str(buf_cstr(&b), "abc-42-");
	test_assert(b.err == 0);
	buf_free(&b);
	test_end();

	test_begin("ceiling is sticky");
	buf_init(&b, 5);
	buf_puts(&b, "12345");
	test_assert(b.err == 0);
	buf_putc(&b, '6');
	test_assert(b.err == BUF_ETOOBIG);
	buf_puts(&b, "");
	test_assert(b.err == BUF_ETOOBIG);
	test_assert(b.len == 5);
	buf_free(&b);
	test_end();

	test_begin("consume");
	buf_init(&b, 100);
	buf_puts(&b, "hello world");
	buf_consume(&b, 6);
	test_assert_str(buf_cstr(&b), "world");
	buf_free(&b);
	test_end();

	test_begin("strv helpers");
	rest = strv_split(STRV_LIT("a=b=c"), '=', &head);
	test_assert(strv_eq(head, STRV_LIT("a")));
	test_assert(strv_eq(rest, STRV_LIT("b=c")));
	test_assert(strv_eq(strv_trim(STRV_LIT("  x \t")), STRV_LIT("x")));
	test_assert(strv_to_u64(STRV_LIT("18446744073709551615"), &v) == 0 &&
	    v == UINT64_MAX);
	test_assert(strv_to_u64(STRV_LIT("18446744073709551616"), &v) == -1);
	test_assert(strv_to_u64(STRV_LIT("12a"), &v) == -1);
	test_end();

	return test_done();
}
