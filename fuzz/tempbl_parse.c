/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tempbl_parse.c: libFuzzer target for the SetTempBlacklistedIPs text
 * (auth_tempbl_parse, auth/auth.h).  Parses the input with a small and a
 * large item limit; a success must give items whose address formats and
 * parses back to itself and whose time is -1 or within the cap, and a
 * parse under the small limit may fail only with ERR_LIMIT where the large
 * one succeeds.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/iplist.h"
#include "auth/auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FEW	4
#define MANY	512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_tempbl_item items[MANY];
	struct auth_tempbl_item few[FEW];
	struct ipaddr back;
	struct error err;
	char text[INET6_ADDRSTRLEN];
	size_t n, nf, i;
	int r, rf;

	r = auth_tempbl_parse((const char *)data, size, items, MANY, &n, &err);
	if (r < 0 && err.kind != ERR_SYNTAX && err.kind != ERR_LIMIT)
		abort();
	rf = auth_tempbl_parse((const char *)data, size, few, FEW, &nf, &err);
	if (r == 0 && rf < 0 && (err.kind != ERR_LIMIT || n <= FEW))
		abort();
	if (r < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (items[i].seconds < -1 ||
		    items[i].seconds > AUTH_TEMPBL_TIME_MAX)
			abort();
		ipaddr_format(&items[i].addr, text, sizeof(text));
		if (ipaddr_parse(text, &back) < 0 ||
		    memcmp(&back, &items[i].addr, sizeof(back)) != 0)
			abort();
	}
	return 0;
}
