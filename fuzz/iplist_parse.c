/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iplist_parse.c: libFuzzer target for lib/iplist.  Parses the input as an
 * address list; when it parses, matches a few addresses taken from the input
 * bytes and the obvious ones, and checks that a list made of the same text
 * followed by a catch-all exclusion matches nothing (the last line decides).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/iplist.h"
#include "lib/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "\n!::/0\n!0.0.0.0/0";
	struct iplist *l, *l2;
	struct ipaddr a;
	struct error err;
	char *text;
	size_t i;

	l = iplist_parse((const char *)data, size, &err);
	if (l == NULL) {
		if (strncmp(err.msg, "line ", 5) != 0 &&
		    err.kind != ERR_LIMIT)
			abort();
		return 0;
	}
	text = xmalloc(size + sizeof(tail));
	memcpy(text, data, size);
	memcpy(text + size, tail, sizeof(tail));
	l2 = iplist_parse(text, size + sizeof(tail) - 1, NULL);
	/* The tail starts with a newline, so it parses whatever line the
	 * input ended in (even a comment). */
	if (l2 == NULL && size + sizeof(tail) - 1 <= IPLIST_TEXT_MAX)
		abort();
	for (i = 0; i < 4; i++) {
		memset(&a, 0, sizeof(a));
		if (size >= 16 * (i + 1))
			memcpy(a.b, data + 16 * i, 16);
		else if (i == 1)
			memset(a.b, 0xff, 16);
		else if (i == 2)
			a.b[10] = a.b[11] = 0xff;
		(void)iplist_match(l, &a);
		if (l2 != NULL && iplist_match(l2, &a))
			abort();
	}
	iplist_free(&l2);
	iplist_free(&l);
	free(text);
	return 0;
}
