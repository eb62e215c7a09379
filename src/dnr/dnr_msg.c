/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_msg.c: the part of DNS message handling the DNR does itself (see
 * dnr_private.h): the query (built by c-ares, AD bit added), the check that
 * an answer answers that query (id, one question equal to ours, class IN),
 * the walk over its records for the count of the asked type and the TTL to
 * cache it for.  Every offset is checked against the message length; the
 * records' data is parsed later by c-ares (dnr.c).
 */
#include "lib/compat.h"

#include <ares.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "dnr/dnr_private.h"

#define HDR_LEN		12
#define RR_FIXED	10	/* type, class, ttl, rdlength */
#define T_CNAME		5
#define T_SOA		6
#define C_IN_		1
#define TTL_SANE	0x7fffffffU	/* RFC 2181 8: larger means 0 */

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Moves *off past the (possibly compressed) name at it. */
static int
skip_name(const unsigned char *m, size_t len, size_t *off)
{
	size_t o = *off;
	unsigned c;

	for (;;) {
		if (o >= len)
			return -1;
		c = m[o];
		if ((c & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			*off = o + 2;
			return 0;
		}
		if ((c & 0xc0) != 0)
			return -1;
		if (c == 0) {
			*off = o + 1;
			return 0;
		}
		o += 1 + c;
	}
}

static uint32_t
min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The question: exactly ours.  *off is past it. */
static int
check_question(const unsigned char *ans, size_t len, const char *name,
    int type, size_t *off)
{
	char *qname = NULL;
	long enclen = 0;
	size_t o = HDR_LEN;
	int same;

	if (ares_expand_name(ans + o, ans, (int)len, &qname, &enclen) !=
	    ARES_SUCCESS)
		return -1;
	same = strcasecmp(qname, name) == 0;
	ares_free_string(qname);
	if (!same || enclen <= 0)
		return -1;
	o += (size_t)enclen;
	if (o + 4 > len || get16(ans + o) != (unsigned)type ||
	    get16(ans + o + 2) != C_IN_)
		return -1;
	*off = o + 4;
	return 0;
}

int
dnr_msg_check(const unsigned char *ans, size_t len, uint16_t id,
    const char *name, int type, struct dnr_msg_info *info_r)
{
	unsigned ancount, nscount, i, rtype, rdlen;
	uint32_t ttl, pos_ttl = TTL_SANE, neg_ttl = DNR_NEG_TTL_DEFAULT;
	size_t off, rd, o;
	bool soa = false;

	memset(info_r, 0, sizeof(*info_r));
	if (len < HDR_LEN || len > DNR_RAW_MAX || get16(ans) != id ||
	    (ans[2] & 0x80) == 0 ||		/* QR: a response */
	    (ans[2] & 0x78) != 0 ||		/* OPCODE: QUERY */
	    get16(ans + 4) != 1)		/* one question */
		return -1;
	info_r->tc = (ans[2] & 0x02) != 0;
	info_r->ad = (ans[3] & 0x20) != 0;
	info_r->rcode = ans[3] & 0x0f;
	if (check_question(ans, len, name, type, &off) < 0)
		return -1;
	if (info_r->tc) {
		/* The records may be cut: the caller asks again. */
		info_r->ttl = 0;
		return 0;
	}
	ancount = get16(ans + 6);
	nscount = get16(ans + 8);
	for (i = 0; i < ancount + nscount; i++) {
		if (skip_name(ans, len, &off) < 0 || off + RR_FIXED > len)
			return -1;
		rtype = get16(ans + off);
		ttl = get32(ans + off + 4);
		if (ttl > TTL_SANE)
			ttl = 0;
		rdlen = get16(ans + off + 8);
		rd = off + RR_FIXED;
		if (rd + rdlen > len)
			return -1;
		off = rd + rdlen;
		if (get16(ans + rd - 8) != C_IN_)
			continue;
		if (i < ancount) {
			if (rtype == (unsigned)type) {
				info_r->n_type++;
				pos_ttl = min32(pos_ttl, ttl);
			} else if (rtype == T_CNAME)
				pos_ttl = min32(pos_ttl, ttl);
			continue;
		}
		if (rtype != T_SOA || soa)
			continue;
		/* SOA: mname, rname, serial, refresh, retry, expire,
		 * minimum. */
		o = rd;
		if (skip_name(ans, len, &o) < 0 || skip_name(ans, len, &o) < 0 ||
		    o + 20 != rd + rdlen)
			return -1;
		neg_ttl = min32(ttl, get32(ans + o + 16));
		soa = true;
	}
	if (info_r->rcode == 0 && info_r->n_type > 0)
		info_r->ttl = min32(pos_ttl, DNR_TTL_MAX);
	else if (info_r->rcode == 0 || info_r->rcode == 3)
		info_r->ttl = min32(neg_ttl, DNR_NEG_TTL_MAX);
	else
		info_r->ttl = 0;
	return 0;
}

enum dnr_status
dnr_msg_status(const struct dnr_msg_info *info)
{
	if (info->tc)
		return DNR_TEMPFAIL;
	switch (info->rcode) {
	case 0:
		return info->n_type > 0 ? DNR_OK : DNR_NODATA;
	case 2:
		return DNR_TEMPFAIL;
	case 3:
		return DNR_NOTFOUND;
	default:
		return DNR_ERROR;
	}
}

bool
dnr_msg_retry(const struct dnr_msg_info *info)
{
	return info->rcode == 2 || info->rcode == 4 || info->rcode == 5;
}

size_t
dnr_msg_query(const char *name, int type, uint16_t id, unsigned char *q_r,
    size_t size)
{
	unsigned char *q = NULL;
	int qlen = 0;

	if (ares_create_query(name, C_IN_, type, id, 1, &q, &qlen,
	    DNR_RAW_MAX) != ARES_SUCCESS || q == NULL)
		return 0;
	if (qlen < HDR_LEN || (size_t)qlen > size) {
		ares_free_string(q);
		return 0;
	}
	memcpy(q_r, q, (size_t)qlen);
	ares_free_string(q);
	q_r[3] |= 0x20;		/* AD: tell us what was validated (RFC 6840) */
	return (size_t)qlen;
}

int
dnr_name_norm(const char *name, char *out)
{
	size_t n = strlen(name), i, label = 0;
	unsigned char c;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNR_NAME_MAX - 2)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return -1;
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (++label > 63)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	return 0;
}
