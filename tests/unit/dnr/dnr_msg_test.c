/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_msg_test.c: the DNR's own answer handling (dnr_msg.c): an answer is
 * taken only for its id and its exact question; the count of records of
 * the asked type; the TTL (smallest record, SOA minimum for negative
 * answers, the caps); truncated and malformed messages; name checks; and
 * the answer cache (dnr_cache.c): hits, expiry, replacement, the bound.
 */
#include "lib/compat.h"

#include <ares.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/test.h"
#include "dnr/dnr_private.h"

struct msg {
	unsigned char	b[2048];
	size_t		n;
};

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* An answer header and question for name/type/id with rcode. */
static void
ans_init(struct msg *m, const char *name, int type, uint16_t id,
    unsigned rcode)
{
	unsigned char *q = NULL;
	int qlen = 0;

	memset(m, 0, sizeof(*m));
	if (ares_create_query(name, 1, type, id, 1, &q, &qlen, 0) !=
	    ARES_SUCCESS)
		return;
	memcpy(m->b, q, (size_t)qlen);
	m->n = (size_t)qlen;
	ares_free_string(q);
	m->b[2] |= 0x80;		/* QR */
	m->b[3] = (unsigned char)((m->b[3] & 0xf0) | rcode);
}

/* A record owned by the question's name (pointer to offset 12); section
 * 0 answer, 1 authority. */
static void
add_rr(struct msg *m, int section, int type, uint32_t ttl,
    const void *rd, size_t rdlen)
{
	unsigned char *p = m->b + m->n;
	unsigned count_off = section == 0 ? 6 : 8;

	put16(p, 0xc00c);
	put16(p + 2, (unsigned)type);
	put16(p + 4, 1);
	put32(p + 6, ttl);
	put16(p + 10, (unsigned)rdlen);
	memcpy(p + 12, rd, rdlen);
	m->n += 12 + rdlen;
	put16(m->b + count_off, (unsigned)((m->b[count_off] << 8 |
	    m->b[count_off + 1]) + 1));
}

static void
add_soa(struct msg *m, uint32_t ttl, uint32_t minimum)
{
	unsigned char rd[22];

	rd[0] = 0;			/* mname: the root */
	rd[1] = 0;			/* rname: the root */
	put32(rd + 2, 1);
	put32(rd + 6, 3600);
	put32(rd + 10, 600);
	put32(rd + 14, 86400);
	put32(rd + 18, minimum);
	add_rr(m, 1, 6, ttl, rd, sizeof(rd));
}

static void
test_msg(void)
{
	static const unsigned char a1[4] = { 127, 0, 0, 1 };
	static const unsigned char a2[4] = { 127, 0, 0, 2 };
	struct dnr_msg_info info;
	struct ares_addrttl at[4];
	struct hostent *he = NULL;
	struct msg m;
	unsigned char q[512];
	int n = 4;

	test_begin("query: c-ares' query with RD and AD, EDNS0");
	test_assert(dnr_msg_query("mail.test", 15, 0x1234, q, sizeof(q)) >
	    12 + 11);
	test_assert(q[0] == 0x12 && q[1] == 0x34 && (q[2] & 1) &&
	    (q[3] & 0x20));
	test_assert(q[11] == 1);	/* ARCOUNT: the OPT record */
	test_assert(dnr_msg_query("mail.test", 15, 1, q, 10) == 0);

	test_begin("an answer with records: count, smallest TTL, OK");
	ans_init(&m, "mail.test", 1, 77, 0);
	add_rr(&m, 0, 1, 300, a1, 4);
	add_rr(&m, 0, 1, 100, a2, 4);
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test", 1, &info) == 0);
	test_assert(info.n_type == 2 && info.ttl == 100 && info.rcode == 0);
	test_assert(dnr_msg_status(&info) == DNR_OK);
	test_assert(!dnr_msg_retry(&info));
	test_assert(ares_parse_a_reply(m.b, (int)m.n, &he, at, &n) ==
	    ARES_SUCCESS && n == 2);
	if (he != NULL)
		ares_free_hostent(he);

	test_begin("the question in another case is the same question");
	test_assert(dnr_msg_check(m.b, m.n, 77, "MAIL.test", 1, &info) == 0);

	test_begin("not ours: id, name, type, QR, question count");
	test_assert(dnr_msg_check(m.b, m.n, 78, "mail.test", 1, &info) < 0);
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test2", 1, &info) < 0);
	test_assert(dnr_msg_check(m.b, m.n, 77, "ail.test", 1, &info) < 0);
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test", 28, &info) < 0);
	m.b[2] &= 0x7f;
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test", 1, &info) < 0);
	m.b[2] |= 0x80;
	m.b[5] = 2;
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test", 1, &info) < 0);
	m.b[5] = 1;

	test_begin("malformed: cut anywhere, a record past the end");
	{
		size_t cut;
		int bad = 0;

		for (cut = 0; cut < m.n; cut++)
			if (dnr_msg_check(m.b, cut, 77, "mail.test", 1,
			    &info) == 0)
				bad++;
		test_assert(bad == 0);
	}
	m.b[m.n - 5] = 0xff;	/* rdlength of the last record */
	test_assert(dnr_msg_check(m.b, m.n, 77, "mail.test", 1, &info) < 0);

	test_begin("other types in the answer do not count (CNAME TTL does)");
	ans_init(&m, "mail.test", 28, 5, 0);
	add_rr(&m, 0, 5, 50, "\0", 1);
	add_rr(&m, 0, 1, 10, a1, 4);
	test_assert(dnr_msg_check(m.b, m.n, 5, "mail.test", 28, &info) == 0);
	test_assert(info.n_type == 0 && dnr_msg_status(&info) == DNR_NODATA);

	test_begin("NXDOMAIN: negative TTL is min(SOA TTL, SOA minimum)");
	ans_init(&m, "nx.test", 1, 9, 3);
	add_soa(&m, 3600, 30);
	test_assert(dnr_msg_check(m.b, m.n, 9, "nx.test", 1, &info) == 0);
	test_assert(dnr_msg_status(&info) == DNR_NOTFOUND && info.ttl == 30);
	ans_init(&m, "nx.test", 1, 9, 3);
	add_soa(&m, 20, 900);
	test_assert(dnr_msg_check(m.b, m.n, 9, "nx.test", 1, &info) == 0);
	test_assert(info.ttl == 20);

	test_begin("NODATA without SOA: the default negative TTL");
	ans_init(&m, "nodata.test", 15, 9, 0);
	test_assert(dnr_msg_check(m.b, m.n, 9, "nodata.test", 15, &info) == 0);
	test_assert(dnr_msg_status(&info) == DNR_NODATA &&
	    info.ttl == DNR_NEG_TTL_DEFAULT);

	test_begin("a bad SOA is a malformed answer");
	ans_init(&m, "nx.test", 1, 9, 3);
	add_rr(&m, 1, 6, 60, "\0\0\0", 3);
	test_assert(dnr_msg_check(m.b, m.n, 9, "nx.test", 1, &info) < 0);

	test_begin("TTL caps: DNR_TTL_MAX, DNR_NEG_TTL_MAX, >= 2^31 is 0");
	ans_init(&m, "mail.test", 1, 1, 0);
	add_rr(&m, 0, 1, 10000000, a1, 4);
	test_assert(dnr_msg_check(m.b, m.n, 1, "mail.test", 1, &info) == 0);
	test_assert(info.ttl == DNR_TTL_MAX);
	ans_init(&m, "mail.test", 1, 1, 0);
	add_rr(&m, 0, 1, 0x80000000U, a1, 4);
	test_assert(dnr_msg_check(m.b, m.n, 1, "mail.test", 1, &info) == 0);
	test_assert(info.ttl == 0);
	ans_init(&m, "nx.test", 1, 1, 3);
	add_soa(&m, 999999, 999999);
	test_assert(dnr_msg_check(m.b, m.n, 1, "nx.test", 1, &info) == 0);
	test_assert(info.ttl == DNR_NEG_TTL_MAX);

	test_begin("TC: asked again, never cached; SERVFAIL: next server");
	ans_init(&m, "big.test", 1, 3, 0);
	m.b[2] |= 0x02;
	test_assert(dnr_msg_check(m.b, m.n, 3, "big.test", 1, &info) == 0);
	test_assert(info.tc && info.ttl == 0 &&
	    dnr_msg_status(&info) == DNR_TEMPFAIL);
	ans_init(&m, "big.test", 1, 3, 2);
	test_assert(dnr_msg_check(m.b, m.n, 3, "big.test", 1, &info) == 0);
	test_assert(dnr_msg_retry(&info) &&
	    dnr_msg_status(&info) == DNR_TEMPFAIL && info.ttl == 0);
	ans_init(&m, "big.test", 1, 3, 5);
	test_assert(dnr_msg_check(m.b, m.n, 3, "big.test", 1, &info) == 0);
	test_assert(dnr_msg_retry(&info) && dnr_msg_status(&info) == DNR_ERROR);

	test_begin("AD bit");
	ans_init(&m, "signed.test", 1, 3, 0);
	m.b[3] |= 0x20;
	test_assert(dnr_msg_check(m.b, m.n, 3, "signed.test", 1, &info) == 0);
	test_assert(info.ad);
}

static void
test_names(void)
{
	char out[DNR_NAME_MAX + 1], big[300];

	test_begin("names: lower case, no trailing dot, label and length");
	test_assert(dnr_name_norm("Mail.Example.", out) == 0);
	test_assert_str(out, "mail.example");
	test_assert(dnr_name_norm("_dmarc.x-y.test", out) == 0);
	test_assert(dnr_name_norm("", out) < 0);
	test_assert(dnr_name_norm(".", out) < 0);
	test_assert(dnr_name_norm("a..b", out) < 0);
	test_assert(dnr_name_norm(".a", out) < 0);
	test_assert(dnr_name_norm("a b", out) < 0);
	test_assert(dnr_name_norm("a\\.b", out) < 0);
	test_assert(dnr_name_norm("a\x80.b", out) < 0);
	memset(big, 'a', 64);
	big[64] = '\0';
	test_assert(dnr_name_norm(big, out) < 0);
	big[63] = '\0';
	test_assert(dnr_name_norm(big, out) == 0);
	memset(big, 'a', 254);
	for (size_t i = 50; i < 254; i += 50)
		big[i] = '.';
	big[254] = '\0';
	test_assert(dnr_name_norm(big, out) < 0);
	big[253] = '\0';
	test_assert(dnr_name_norm(big, out) == 0);
}

static void
test_cache(void)
{
	struct dnr_cache *c = dnr_cache_new(3);
	unsigned char ans[16];
	enum dnr_status st;
	size_t len;
	bool ad;

	test_begin("cache: a hit until the TTL has passed");
	dnr_cache_put(c, "a.test", 1, DNR_OK, (const unsigned char *)"AAAA",
	    4, true, 10, 1000);
	test_assert(dnr_cache_get(c, "a.test", 1, 1009, &st, ans, sizeof(ans),
	    &len, &ad) && st == DNR_OK && len == 4 && ad &&
	    memcmp(ans, "AAAA", 4) == 0);
	test_assert(!dnr_cache_get(c, "a.test", 28, 1009, &st, ans,
	    sizeof(ans), &len, &ad));
	test_assert(!dnr_cache_get(c, "a.test", 1, 1010, &st, ans,
	    sizeof(ans), &len, &ad));
	test_assert(dnr_cache_count(c) == 0);

	test_begin("cache: negative answers; no TTL, failures not kept");
	dnr_cache_put(c, "nx.test", 1, DNR_NOTFOUND, (const unsigned char *)
	    "N", 1, false, 60, 1000);
	test_assert(dnr_cache_get(c, "nx.test", 1, 1001, &st, ans,
	    sizeof(ans), &len, &ad) && st == DNR_NOTFOUND);
	dnr_cache_put(c, "t.test", 1, DNR_TEMPFAIL, ans, 1, false, 60, 1000);
	dnr_cache_put(c, "z.test", 1, DNR_OK, ans, 1, false, 0, 1000);
	test_assert(dnr_cache_count(c) == 1);

	test_begin("cache: the same question replaced, not doubled");
	dnr_cache_put(c, "nx.test", 1, DNR_OK, (const unsigned char *)"Y", 1,
	    false, 60, 1001);
	test_assert(dnr_cache_count(c) == 1);
	test_assert(dnr_cache_get(c, "nx.test", 1, 1002, &st, ans,
	    sizeof(ans), &len, &ad) && st == DNR_OK && ans[0] == 'Y');

	test_begin("cache: bounded; an expired entry goes first, else the "
	    "oldest");
	dnr_cache_put(c, "b.test", 1, DNR_OK, ans, 1, false, 5, 1000);
	dnr_cache_put(c, "c.test", 1, DNR_OK, ans, 1, false, 100, 1000);
	test_assert(dnr_cache_count(c) == 3);
	dnr_cache_put(c, "d.test", 1, DNR_OK, ans, 1, false, 100, 1010);
	test_assert(dnr_cache_count(c) == 3);
	test_assert(!dnr_cache_get(c, "b.test", 1, 1010, &st, ans,
	    sizeof(ans), &len, &ad));
	test_assert(dnr_cache_get(c, "nx.test", 1, 1010, &st, ans,
	    sizeof(ans), &len, &ad));
	dnr_cache_put(c, "e.test", 1, DNR_OK, ans, 1, false, 100, 1011);
	test_assert(dnr_cache_count(c) == 3);
	test_assert(!dnr_cache_get(c, "nx.test", 1, 1011, &st, ans,
	    sizeof(ans), &len, &ad));
	test_assert(dnr_cache_get(c, "e.test", 1, 1011, &st, ans,
	    sizeof(ans), &len, &ad));

	test_begin("cache: an answer larger than the caller's buffer misses");
	test_assert(!dnr_cache_get(c, "e.test", 1, 1011, &st, ans, 0, &len,
	    &ad));
	dnr_cache_clear(c);
	test_assert(dnr_cache_count(c) == 0);
	dnr_cache_free(&c);
	test_assert(c == NULL);
}

int
main(void)
{
	test_msg();
	test_names();
	test_cache();
	return test_done();
}
