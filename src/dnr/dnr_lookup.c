/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_lookup.c: the DNR's lookups by record type (see dnr.h): each asks
 * dnr_query() (dnr.c: the cache, the socket, the logs) and parses the raw
 * answer with c-ares: MX sorted with equal preferences shuffled, A/AAAA,
 * PTR, TXT, the raw answer, and the RBL check.
 */
#include "lib/compat.h"

#include <ares.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "lib/bounds.h"
#include "dnr/dnr.h"
#include "dnr/dnr_private.h"

#define T_A		1
#define T_PTR		12
#define T_MX		15
#define T_TXT		16
#define T_AAAA		28

static int
mx_cmp(const void *a, const void *b)
{
	const struct dnr_mx *x = a, *y = b;

	return (int)x->pref - (int)y->pref;
}

static uint32_t
rnd32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)rand();
	return v;
}

enum dnr_status
dnr_mx(const char *name, struct dnr_mx *mx_r, size_t max, size_t *n_r,
    struct error *err_r)
{
	struct ares_mx_reply *mx = NULL, *m;
	struct dnr_mx t;
	struct dnr_answer *r;
	enum dnr_status st;
	size_t n = 0, i, j, k;

	*n_r = 0;
	if ((st = dnr_query(name, T_MX, &r, err_r)) != DNR_OK)
		goto out;
	if (ares_parse_mx_reply(r->ans, (int)r->len, &mx) != ARES_SUCCESS) {
		st = DNR_ERROR;
		error_set(err_r, ERR_INTERNAL, "MX:malformed answer");
		goto out;
	}
	for (m = mx; m != NULL && n < max; m = m->next) {
		mx_r[n].pref = m->priority;
		(void)snprintf(mx_r[n].host, sizeof(mx_r[n].host), "%s",
		    m->host[0] != '\0' ? m->host : ".");
		n++;
	}
	ares_free_data(mx);
	qsort(mx_r, n, sizeof(*mx_r), mx_cmp);
	/* Equal preferences in random order (RFC 5321 5.1). */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && mx_r[j].pref == mx_r[i].pref; j++)
			;
		for (k = j - 1; k > i; k--) {
			size_t o = i + rnd32() % (k - i + 1);

			t = mx_r[k];
			mx_r[k] = mx_r[o];
			mx_r[o] = t;
		}
	}
	*n_r = n;
	if (n == 0)
		st = DNR_NODATA;
out:
	dnr_answer_free(&r);
	return st;
}

/* The addresses of one family. */
static enum dnr_status
addrs_one(const char *name, int family, struct sockaddr_storage *addrs_r,
    size_t max, size_t *n_r, struct error *err_r)
{
	struct ares_addrttl a4[DNR_ADDR_MAX];
	struct ares_addr6ttl a6[DNR_ADDR_MAX];
	struct hostent *he = NULL;
	struct dnr_answer *r;
	enum dnr_status st;
	int n = DNR_ADDR_MAX, rc, i;

	st = dnr_query(name, family == AF_INET6 ? T_AAAA : T_A, &r, err_r);
	if (st != DNR_OK)
		goto out;
	rc = family == AF_INET6 ?
	    ares_parse_aaaa_reply(r->ans, (int)r->len, &he, a6, &n) :
	    ares_parse_a_reply(r->ans, (int)r->len, &he, a4, &n);
	if (he != NULL)
		ares_free_hostent(he);
	if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && n == 0)) {
		st = DNR_NODATA;
		goto out;
	}
	if (rc != ARES_SUCCESS) {
		st = DNR_ERROR;
		error_set(err_r, ERR_INTERNAL, "%s:malformed answer",
		    family == AF_INET6 ? "AAAA" : "A");
		goto out;
	}
	for (i = 0; i < n && *n_r < max; i++) {
		struct sockaddr_storage *ss = &addrs_r[*n_r];

		memset(ss, 0, sizeof(*ss));
		if (family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)ss;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, &a6[i].ip6addr, 16);
		} else {
			struct sockaddr_in *s4 = (void *)ss;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, &a4[i].ipaddr, 4);
		}
		(*n_r)++;
	}
out:
	dnr_answer_free(&r);
	return st;
}

enum dnr_status
dnr_addrs(const char *name, int family, struct sockaddr_storage *addrs_r,
    size_t max, size_t *n_r, struct error *err_r)
{
	enum dnr_status s6, s4;
	struct error e6;

	*n_r = 0;
	if (family == AF_INET || family == AF_INET6)
		return addrs_one(name, family, addrs_r, max, n_r, err_r);
	if (family != AF_UNSPEC) {
		error_set(err_r, ERR_INTERNAL, "bad address family");
		return DNR_ERROR;
	}
	error_clear(&e6);
	s6 = addrs_one(name, AF_INET6, addrs_r, max, n_r, &e6);
	/* A name that does not exist has no A records either. */
	if (s6 == DNR_NOTFOUND || s6 == DNR_ERROR) {
		if (err_r != NULL)
			*err_r = e6;
		return s6;
	}
	s4 = addrs_one(name, AF_INET, addrs_r, max, n_r, err_r);
	if (*n_r > 0)
		return DNR_OK;
	if (s4 == DNR_NODATA && s6 == DNR_TEMPFAIL) {
		if (err_r != NULL)
			*err_r = e6;
		return s6;
	}
	return s4;
}

/* An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) as IPv4, in
 * *tmp; other addresses as they are. */
static const struct sockaddr *
unmapped(const struct sockaddr *sa, struct sockaddr_in *tmp)
{
	const struct sockaddr_in6 *s6 = (const void *)sa;

	if (sa->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return sa;
	memset(tmp, 0, sizeof(*tmp));
	tmp->sin_family = AF_INET;
	memcpy(&tmp->sin_addr, (const unsigned char *)&s6->sin6_addr + 12, 4);
	return (const struct sockaddr *)tmp;
}

/* d.c.b.a.<suffix> or the nibbles of an IPv6 address. */
static int
reverse_name(const struct sockaddr *sa, const char *suffix, char *out,
    size_t size)
{
	const unsigned char *b;
	size_t o = 0;
	int i, k;

	if (sa->sa_family == AF_INET) {
		b = (const void *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		k = snprintf(out, size, "%u.%u.%u.%u.%s", b[3], b[2], b[1],
		    b[0], suffix);
		return k < 0 || (size_t)k >= size ? -1 : 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	b = (const void *)&((const struct sockaddr_in6 *)
	    (const void *)sa)->sin6_addr;
	for (i = 15; i >= 0; i--) {
		k = snprintf(out + o, size - o, "%x.%x.", b[i] & 0xf, b[i] >> 4);
		if (k < 0 || (size_t)k >= size - o)
			return -1;
		o += (size_t)k;
	}
	k = snprintf(out + o, size - o, "%s", suffix);
	return k < 0 || (size_t)k >= size - o ? -1 : 0;
}

enum dnr_status
dnr_ptr(const struct sockaddr *sa, char *name_r, size_t name_size,
    struct error *err_r)
{
	char name[DNR_NAME_MAX + 1];
	struct hostent *he = NULL;
	struct dnr_answer *r;
	enum dnr_status st;
	struct sockaddr_in tmp;
	const void *addr;
	int alen;

	sa = unmapped(sa, &tmp);
	if (name_size > 0)
		name_r[0] = '\0';
	if (reverse_name(sa, sa->sa_family == AF_INET ? "in-addr.arpa" :
	    "ip6.arpa", name, sizeof(name)) < 0) {
		error_set(err_r, ERR_SYNTAX, "PTR:bad address");
		return DNR_ERROR;
	}
	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		alen = 4;
	} else {
		addr = &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr;
		alen = 16;
	}
	if ((st = dnr_query(name, T_PTR, &r, err_r)) != DNR_OK)
		goto out;
	if (ares_parse_ptr_reply(r->ans, (int)r->len, addr, alen,
	    sa->sa_family, &he) != ARES_SUCCESS || he == NULL ||
	    he->h_name == NULL) {
		st = DNR_NODATA;
		error_set(err_r, ERR_NOTFOUND, "PTR:no such records");
	} else
		(void)snprintf(name_r, name_size, "%s", he->h_name);
	if (he != NULL)
		ares_free_hostent(he);
out:
	dnr_answer_free(&r);
	return st;
}

/* The TXT text of an answer: the strings of a record joined, records
 * separated by a line feed. */
static enum dnr_status
txt_of(struct dnr_answer *r, char *txt_r, size_t txt_size, struct error *err_r)
{
	struct ares_txt_ext *txt = NULL, *t;
	size_t o = 0, n;

	if (txt_size > 0)
		txt_r[0] = '\0';
	if (ares_parse_txt_reply_ext(r->ans, (int)r->len, &txt) !=
	    ARES_SUCCESS) {
		error_set(err_r, ERR_INTERNAL, "TXT:malformed answer");
		return DNR_ERROR;
	}
	for (t = txt; t != NULL && txt_size > 0; t = t->next) {
		if (t->record_start && t != txt && o + 1 < txt_size)
			txt_r[o++] = '\n';
		n = t->length;
		if (n > txt_size - 1 - o)
			n = txt_size - 1 - o;
		memcpy(txt_r + o, t->txt, n);
		o += n;
		txt_r[o] = '\0';
	}
	ares_free_data(txt);
	return DNR_OK;
}

enum dnr_status
dnr_txt(const char *name, char *txt_r, size_t txt_size, struct error *err_r)
{
	struct dnr_answer *r;
	enum dnr_status st;

	if (txt_size > 0)
		txt_r[0] = '\0';
	if ((st = dnr_query(name, T_TXT, &r, err_r)) == DNR_OK)
		st = txt_of(r, txt_r, txt_size, err_r);
	dnr_answer_free(&r);
	return st;
}

enum dnr_status
dnr_raw(const char *name, int type, unsigned char *ans_r, size_t ans_size,
    size_t *len_r, bool *ad_r, struct error *err_r)
{
	struct dnr_answer *r;
	enum dnr_status st;

	*len_r = 0;
	*ad_r = false;
	if (type <= 0 || type > 65535) {
		error_set(err_r, ERR_SYNTAX, "bad record type");
		return DNR_ERROR;
	}
	st = dnr_query(name, type, &r, err_r);
	if (r->len > 0 && r->len <= ans_size && st != DNR_TEMPFAIL &&
	    st != DNR_ERROR) {
		memcpy(ans_r, r->ans, r->len);
		*len_r = r->len;
		*ad_r = r->ad;
	} else if (r->len > ans_size && st != DNR_TEMPFAIL) {
		st = DNR_ERROR;
		error_set(err_r, ERR_LIMIT, "answer of %zu bytes: more than "
		    "%zu", r->len, ans_size);
	}
	dnr_answer_free(&r);
	return st;
}

enum dnr_status
dnr_rbl(const struct sockaddr *sa, const char *zone, char *text_r,
    size_t text_size, struct error *err_r)
{
	char name[DNR_NAME_MAX + 1];
	struct sockaddr_in tmp;
	struct error e;
	struct dnr_answer *r;
	enum dnr_status st;

	sa = unmapped(sa, &tmp);
	if (text_size > 0)
		text_r[0] = '\0';
	if (reverse_name(sa, zone, name, sizeof(name)) < 0) {
		error_set(err_r, ERR_SYNTAX, "bad address or zone");
		return DNR_ERROR;
	}
	st = dnr_query(name, T_A, &r, err_r);
	dnr_answer_free(&r);
	if (st != DNR_OK)
		return st;
	/* Listed: the zone's text, if it has one. */
	error_clear(&e);
	(void)dnr_txt(name, text_r, text_size, &e);
	return DNR_OK;
}
