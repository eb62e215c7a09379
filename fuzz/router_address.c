/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router_address.c: libFuzzer target for the mailbox parser
 * (src/router/address.c).  Every input is parsed plain and as a Router Table
 * pattern; a parsed address must format, and the formatted text must parse
 * back to the same struct (the round trip the Router relies on when it hands
 * addresses to SMTP).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "router/address.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address a, b;
	char out[2 * ADDRESS_MAX + 4];
	int n;

	(void)address_parse_ex((const char *)data, size, ADDRESS_F_WILDCARD,
	    &a, NULL);
	if (address_parse((const char *)data, size, &a, NULL) == -1)
		return 0;
	if (a.local[0] == '\0' || strlen(a.local) + 1 + strlen(a.domain) >
	    ADDRESS_MAX)
		abort();
	n = address_format(&a, out, sizeof(out));
	if (n < 0 || (size_t)n != strlen(out))
		abort();
	if (address_parse(out, (size_t)n, &b, NULL) == -1)
		abort();
	if (strcmp(a.local, b.local) != 0 || strcmp(a.domain, b.domain) != 0 ||
	    a.dkind != b.dkind || strcmp(a.ip, b.ip) != 0)
		abort();
	return 0;
}
