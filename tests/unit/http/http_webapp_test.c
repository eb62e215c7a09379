/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_webapp_test.c: the session-array upkeep WebAdmin and WebUser share
 * (expiry, least recently used, drop, growth).
 */
#include "lib/compat.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "http/http.h"

struct sess {
	char		 id[8];
	int64_t		 last_ms;
};

#define SZ	sizeof(struct sess)
#define OFF	offsetof(struct sess, last_ms)

static struct sess *
add(struct sess *v, size_t *n, size_t *cap, const char *id, int64_t t)
{
	v = http_sessions_room(v, *n, cap, SZ);
	memset(&v[*n], 0, SZ);
	memcpy(v[*n].id, id, strlen(id) + 1);
	v[(*n)++].last_ms = t;
	return v;
}

int
main(void)
{
	struct sess *v = NULL;
	size_t n = 0, cap = 0, i;
	char id[8];

	test_begin("room grows the array as it fills");
	for (i = 0; i < 40; i++) {
		id[0] = (char)('a' + i % 26);
		id[1] = (char)('0' + i / 26);
		id[2] = '\0';
		v = add(v, &n, &cap, id, 1000 + (int64_t)((i * 7) % 40));
	}
	test_assert(n == 40 && cap >= 40);
	test_end();

	test_begin("lru is the smallest last-use time");
	i = http_sessions_lru(v, n, SZ, OFF);
	test_assert(v[i].last_ms == 1000);
	test_assert(strcmp(v[i].id, "a0") == 0);
	test_end();

	test_begin("drop moves the last element in");
	n = http_sessions_drop(v, n, SZ, 0);
	test_assert(n == 39 && strcmp(v[0].id, "n1") == 0);
	n = http_sessions_drop(v, n, SZ, n - 1);
	test_assert(n == 38);
	test_end();

	test_begin("expire keeps only the recent ones");
	n = http_sessions_expire(v, n, SZ, OFF, 1039, 10);
	for (i = 0; i < n; i++)
		test_assert(1039 - v[i].last_ms <= 10);
	test_assert(n == 11);	/* 1029 to 1039 */
	n = http_sessions_expire(v, n, SZ, OFF, 100000, 10);
	test_assert(n == 0);
	test_end();
	free(v);
	return test_done();
}
