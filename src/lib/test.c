/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test.c: counters of the unit-test harness (see test.h).
 */
#include "lib/compat.h"

#include "lib/test.h"

int test_failures_;
int test_count_;
const char *test_name_ = "";

int
test_done(void)
{
	printf("%d tests, %d failures\n", test_count_, test_failures_);
	return test_failures_ == 0 ? 0 : 1;
}
