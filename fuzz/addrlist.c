/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addrlist.c: libFuzzer target for the address-list splitter
 * (src/lib/addrlist.c) and the .sub parser built on it
 * (src/delivery/submitted_parse.c).  Invariants: the item count stays
 * within ADDRLIST_MAX, no addr-spec is empty, longer than ADDRLIST_ITEM_MAX or
 * holds a control character but tab, a failed parse leaves earlier items
 * alone, and a parsed .sub message has recipients and CRLF-only lines.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/submitted.h"
#include "lib/addrlist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_items(const struct addrlist *l)
{
	size_t i;

	if (l->n > ADDRLIST_MAX)
		abort();
	for (i = 0; i < l->n; i++) {
		const char *p;

		for (p = l->v[i].addr; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				abort();
		for (p = l->v[i].name; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				abort();
		if (l->v[i].addr[0] == '\0' ||
		    strlen(l->v[i].addr) > ADDRLIST_ITEM_MAX ||
		    strlen(l->v[i].name) > ADDRLIST_ITEM_MAX ||
		    strpbrk(l->v[i].addr, "\r\n") != NULL ||
		    strpbrk(l->v[i].name, "\r\n") != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct submitted_opts o = { "main.example", 0, "f" };
	struct addrlist l = { NULL, 0 };
	struct submitted_msg m;
	const char *s = (const char *)data;
	size_t n, i;

	if (addrlist_parse("keep@x", 6, &l, NULL) < 0 || l.n != 1)
		abort();
	if (addrlist_parse(s, size, &l, NULL) == 0)
		check_items(&l);
	else if (l.n != 1 || strcmp(l.v[0].addr, "keep@x") != 0)
		abort();
	addrlist_clear(&l);

	if (submitted_parse(s, size, &o, &m, NULL) == 0) {
		if (m.nrcpt == 0 || m.nrcpt > SUBMITTED_RCPT_MAX ||
		    m.return_path == NULL)
			abort();
		n = m.text.len;
		for (i = 0; i < n; i++)
			if (m.text.data[i] == '\n' && (i == 0 ||
			    m.text.data[i - 1] != '\r'))
				abort();
	}
	submitted_msg_clear(&m);
	return 0;
}
