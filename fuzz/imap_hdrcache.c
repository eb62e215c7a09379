/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_hdrcache.c: libFuzzer target for the header field cache parser
 * (src/imap/imap_hdrcache.c), differential: the input's first line is a
 * search string, the rest a header block.  The block is parsed into a
 * cache row, and every cached header key (FROM, TO, CC, SUBJECT, HEADER
 * Message-ID, with the string and with "") and the SENT* day must give
 * the answer the raw header gives, and the sort facts from the row must
 * equal those from the header; any difference aborts.  Rows the parser
 * marks unusable (too long) are not compared.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap.h"
#include "imap/imap_private.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
eval(struct search_key *k, const char *h, size_t hlen,
    const struct store_hdrfields *hc)
{
	struct search_msg sm;
	struct buf raw;

	memset(&sm, 0, sizeof(sm));
	memset(&raw, 0, sizeof(raw));
	raw.data = (char *)(uintptr_t)h;
	raw.len = raw.cap = raw.max = hlen;
	sm.internaldate = 1700000000;
	sm.hdr_size = hlen;
	if (hc != NULL)
		sm.hc = hc;
	else
		sm.raw = &raw;
	return imap_search_match(k, &sm);
}

static void
same_str(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {
		"From", "To", "Cc", "Subject", "Message-ID"
	};
	const char *nl = memchr(data, '\n', size);
	struct store_hdrfields f;
	struct sort_info a, b;
	struct search_key k;
	char *needle, *h;
	size_t hlen, i, j;

	if (nl == NULL)
		return 0;
	needle = xstrndup((const char *)data, (size_t)(nl - (const char *)data));
	hlen = size - (size_t)(nl + 1 - (const char *)data);
	h = xmalloc(hlen + 1);		/* ASan sees overreads */
	memcpy(h, nl + 1, hlen);
	h[hlen] = '\0';
	imap_hdrcache_parse(h, hlen, &f);
	if (f.ok) {
		memset(&k, 0, sizeof(k));
		for (i = 0; i < N_ELEMENTS(fields); i++)
			for (j = 0; j < 2; j++) {
				k.kind = SK_HEADER;
				k.field = (char *)(uintptr_t)fields[i];
				k.value = j == 0 ? needle : (char *)"";
				if (eval(&k, h, hlen, NULL) !=
				    eval(&k, h, hlen, &f))
					abort();
			}
		k.field = k.value = NULL;
		for (i = 0; i < 3; i++) {
			k.kind = i == 0 ? SK_SENTON : i == 1 ? SK_SENTBEFORE :
			    SK_SENTSINCE;
			k.day = 19723;		/* 2024-01-01 */
			if (eval(&k, h, hlen, NULL) != eval(&k, h, hlen, &f))
				abort();
		}
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		imap_hdr_sort_info(&a, h, hlen, INFO_ALL);
		imap_hdrcache_sort_info(&b, &f, INFO_ALL);
		if (a.date != b.date || a.reply != b.reply ||
		    a.nrefs != b.nrefs)
			abort();
		same_str(a.from, b.from);
		same_str(a.to, b.to);
		same_str(a.cc, b.cc);
		same_str(a.subject, b.subject);
		same_str(a.msgid, b.msgid);
		for (i = 0; i < a.nrefs; i++)
			same_str(a.refs[i], b.refs[i]);
		/* imap_sort_info_free() frees the array itself */
		{
			struct sort_info *pa = xmalloc(sizeof(a));
			struct sort_info *pb = xmalloc(sizeof(b));

			*pa = a;
			*pb = b;
			imap_sort_info_free(pa, 1);
			imap_sort_info_free(pb, 1);
		}
	}
	store_hdrfields_clear(&f);
	free(h);
	free(needle);
	return 0;
}
