/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units_test.c: settings values of the delivery modules -- sizes
 * (MaxAccountSize: "unlimited", "10M", "100K", numbers), durations
 * (MaxQueueTime, RetrySchedule) -- and the LOCAL helpers built on them:
 * local_quota() on effective settings, the Return-Path line, the
 * idempotence key.
 */
#include "lib/compat.h"

#include <string.h>

#include "delivery/local.h"
#include "delivery/units.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/test.h"

static int
size_of(const char *s, uint64_t *v)
{
	return units_size(s, v, NULL);
}

int
main(void)
{
	struct error err;
	struct dval *d;
	struct buf b;
	uint64_t v;
	uint32_t t;
	char key[LOCAL_KEY_MAX + 1];

	test_begin("sizes");
	test_assert(size_of("unlimited", &v) == 0 && v == 0);
	test_assert(size_of("Unlimited", &v) == 0 && v == 0);
	test_assert(size_of("0", &v) == 0 && v == 0);
	test_assert(size_of("1234", &v) == 0 && v == 1234);
	test_assert(size_of("100K", &v) == 0 && v == 102400);
	test_assert(size_of("100k", &v) == 0 && v == 102400);
	test_assert(size_of("10M", &v) == 0 && v == 10485760);
	test_assert(size_of("10MB", &v) == 0 && v == 10485760);
	test_assert(size_of("2G", &v) == 0 && v == 2147483648ULL);
	test_assert(size_of("1T", &v) == 0 && v == 1099511627776ULL);
	test_assert(size_of("18446744073709551615", &v) == 0 &&
	    v == UINT64_MAX);
	test_assert(units_size("18446744073709551616", &v, &err) < 0 &&
	    err.kind == ERR_LIMIT);
	test_assert(units_size("17179869184G", &v, &err) < 0 &&
	    err.kind == ERR_LIMIT);
	test_assert(units_size("", &v, &err) < 0 && err.kind == ERR_SYNTAX);
	test_assert(size_of("M", &v) < 0);
	test_assert(size_of("10X", &v) < 0);
	test_assert(size_of("10 M", &v) < 0);
	test_assert(size_of("-1", &v) < 0);
	test_assert(size_of("10MM", &v) < 0);
	test_assert(size_of(NULL, &v) < 0);
	test_assert(size_of("000000000000000000000000000000000001", &v) < 0);
	test_end();

	test_begin("durations");
	test_assert(units_duration("30", &t, NULL) == 0 && t == 30);
	test_assert(units_duration("30s", &t, NULL) == 0 && t == 30);
	test_assert(units_duration("10m", &t, NULL) == 0 && t == 600);
	test_assert(units_duration("10min", &t, NULL) == 0 && t == 600);
	test_assert(units_duration("2H", &t, NULL) == 0 && t == 7200);
	test_assert(units_duration("5d", &t, NULL) == 0 && t == 432000);
	test_assert(units_duration("1w", &t, NULL) == 0 && t == 604800);
	test_assert(units_duration("4294967295", &t, NULL) == 0 &&
	    t == UINT32_MAX);
	test_assert(units_duration("4294967296", &t, &err) < 0 &&
	    err.kind == ERR_LIMIT);
	test_assert(units_duration("50000d", &t, &err) < 0 &&
	    err.kind == ERR_LIMIT);
	test_assert(units_duration("5x", &t, NULL) < 0);
	test_assert(units_duration("d", &t, NULL) < 0);
	test_end();

	test_begin("dval forms");
	d = dict_new_number(4096);
	test_assert(units_size_dval(d, &v, NULL) == 0 && v == 4096);
	test_assert(units_duration_dval(d, &t, NULL) == 0 && t == 4096);
	dict_free(&d);
	d = dict_new_number(-1);
	test_assert(units_size_dval(d, &v, NULL) < 0);
	test_assert(units_duration_dval(d, &t, NULL) < 0);
	dict_free(&d);
	d = dict_new_cstr("1K");
	test_assert(units_size_dval(d, &v, NULL) == 0 && v == 1024);
	dict_free(&d);
	d = dict_new_array();
	test_assert(units_size_dval(d, &v, NULL) < 0);
	test_assert(units_size_dval(NULL, &v, NULL) < 0);
	dict_free(&d);
	test_end();

	test_begin("local_quota");
	d = dict_new_dict();
	test_assert(local_quota(d, &v, NULL) == 0 && v == 0);
	dict_set_str(d, "MaxAccountSize", "unlimited");
	test_assert(local_quota(d, &v, NULL) == 0 && v == 0);
	dict_set_str(d, "MaxAccountSize", "100K");
	test_assert(local_quota(d, &v, NULL) == 0 && v == 102400);
	dict_set(d, "MaxAccountSize", dict_new_number(5000));
	test_assert(local_quota(d, &v, NULL) == 0 && v == 5000);
	dict_set_str(d, "MaxAccountSize", "lots");
	test_assert(local_quota(d, &v, &err) < 0 && v == 0);
	test_assert(strstr(err.msg, "lots") != NULL);
	test_assert(local_quota(NULL, &v, NULL) == 0 && v == 0);
	dict_free(&d);
	test_end();

	test_begin("Return-Path line and key");
	buf_init(&b, 4096);
	local_return_path(&b, "a@b.example");
	test_assert_str(buf_cstr(&b), "Return-Path: <a@b.example>\r\n");
	buf_reset(&b);
	local_return_path(&b, "");
	test_assert_str(buf_cstr(&b), "Return-Path: <>\r\n");
	buf_reset(&b);
	local_return_path(&b, "x\r\nInjected: yes@y");
	test_assert_str(buf_cstr(&b), "Return-Path: <xInjected: yes@y>\r\n");
	buf_free(&b);
	local_key(key, sizeof(key), 17, 1700000000);
	test_assert_str(key, "Q17-1700000000");
	local_key(key, sizeof(key), UINT64_MAX, INT64_MIN);
	test_assert(strlen(key) <= LOCAL_KEY_MAX);
	test_end();
	return test_done();
}
