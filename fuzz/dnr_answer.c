/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_answer.c: libFuzzer target for the DNS answer handling the DNR does
 * itself (dnr_msg.c: id and question matching, the record walk, TTL
 * extraction) and the c-ares parse calls dnr.c makes on an accepted
 * answer, and the cache round trip.  The input is one answer; its own id
 * and question (when they decode) are taken as the request, so most inputs
 * reach the record walk.  An accepted answer must have a TTL within the
 * caps, a status consistent with its rcode, and come back from the cache
 * byte for byte.
 */
#include "lib/compat.h"

#include <ares.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "dnr/dnr_private.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int types[] = { 1, 28, 15, 16, 12, 6, 255 };

/* What dnr.c does with an accepted answer of type t. */
static void
parse_all(const unsigned char *a, int len, int t)
{
	struct ares_addrttl a4[DNR_ADDR_MAX];
	struct ares_addr6ttl a6[DNR_ADDR_MAX];
	struct ares_mx_reply *mx = NULL;
	struct ares_txt_ext *txt = NULL;
	struct hostent *he = NULL;
	unsigned char addr[16] = { 127, 0, 0, 1 };
	int n = DNR_ADDR_MAX;

	switch (t) {
	case 1:
		if (ares_parse_a_reply(a, len, &he, a4, &n) == ARES_SUCCESS &&
		    (n < 0 || n > DNR_ADDR_MAX))
			abort();
		break;
	case 28:
		if (ares_parse_aaaa_reply(a, len, &he, a6, &n) ==
		    ARES_SUCCESS && (n < 0 || n > DNR_ADDR_MAX))
			abort();
		break;
	case 15:
		(void)ares_parse_mx_reply(a, len, &mx);
		break;
	case 16:
		(void)ares_parse_txt_reply_ext(a, len, &txt);
		break;
	case 12:
		(void)ares_parse_ptr_reply(a, len, addr, 4, AF_INET, &he);
		break;
	default:
		break;
	}
	if (he != NULL)
		ares_free_hostent(he);
	if (mx != NULL)
		ares_free_data(mx);
	if (txt != NULL)
		ares_free_data(txt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnr_cache *cache;
	static unsigned char back[DNR_RAW_MAX];
	char norm[DNR_NAME_MAX + 1];
	struct dnr_msg_info info;
	enum dnr_status st;
	char *qname = NULL;
	long enclen = 0;
	uint16_t id;
	size_t i, blen;
	bool ad;
	int t;

	if (cache == NULL)
		cache = dnr_cache_new(8);
	if (size < 12 || size > DNR_RAW_MAX)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	/* A question that is not this answer's: always refused. */
	if (dnr_msg_check(data, size, (uint16_t)(id + 1), "mail.test", 1,
	    &info) == 0)
		abort();
	if (ares_expand_name(data + 12, data, (int)size, &qname, &enclen) !=
	    ARES_SUCCESS)
		return 0;
	if (dnr_name_norm(qname, norm) < 0) {
		ares_free_string(qname);
		return 0;
	}
	ares_free_string(qname);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		t = types[i];
		if (dnr_msg_check(data, size, id, norm, t, &info) < 0)
			continue;
		if (info.ttl > DNR_TTL_MAX || (info.tc && info.ttl != 0))
			abort();
		st = dnr_msg_status(&info);
		if ((st == DNR_OK) != (info.rcode == 0 && info.n_type > 0 &&
		    !info.tc))
			abort();
		parse_all(data, (int)size, t);
		dnr_cache_put(cache, norm, t, st, data, size, info.ad,
		    info.ttl, 1000);
		if (info.ttl > 0 && (st == DNR_OK || st == DNR_NODATA ||
		    st == DNR_NOTFOUND)) {
			if (!dnr_cache_get(cache, norm, t, 1000, &st, back,
			    sizeof(back), &blen, &ad) || blen != size ||
			    memcmp(back, data, size) != 0)
				abort();
		}
	}
	return 0;
}
