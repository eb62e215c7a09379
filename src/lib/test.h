/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test.h: the unit-test harness.  Each tests/unit/.../foo_test.c has a main()
 * calling test_begin/test_assert/test_end and returns test_done().
 */
#ifndef TEGAMI_LIB_TEST_H
#define TEGAMI_LIB_TEST_H

#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

extern int test_failures_;
extern int test_count_;
extern const char *test_name_;

#define test_begin(name) do { test_name_ = (name); test_count_++; } while (0)
#define test_assert(x) do { if (!(x)) { test_failures_++; \
	fprintf(stderr, "FAIL %s: %s:%d: %s\n", test_name_, __FILE__, \
	__LINE__, #x); } } while (0)
#define test_assert_str(a, b) do { const char *ta_ = (a), *tb_ = (b); \
	if (ta_ == NULL || tb_ == NULL || strcmp(ta_, tb_) != 0) { \
	test_failures_++; fprintf(stderr, "FAIL %s: %s:%d: \"%s\" != \"%s\"\n", \
	test_name_, __FILE__, __LINE__, ta_ ? ta_ : "(null)", \
	tb_ ? tb_ : "(null)"); } } while (0)
#define test_end() do { } while (0)

int	test_done(void);

#endif
