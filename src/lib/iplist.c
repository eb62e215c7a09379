/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iplist.c: network address lists.  iplist_parse() turns the text form (see
 * iplist.h) into an array of inclusive ranges [lo, hi] over 16-byte
 * addresses (IPv4 held as IPv4-mapped IPv6), each marked include or exclude,
 * in the order written.  Because a later line overrides an earlier one for
 * the addresses it covers, iplist_match() scans from the last entry back and
 * the first entry that covers the address decides.  Parsing is pure: bytes
 * in, a list or an error naming the line out.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "lib/iplist.h"

/* One entry as text: the longest IPv6 range "a/b" or "a-b" with spaces fits
 * easily; anything longer is not an address. */
#define IPLIST_ENTRY_MAX	128

struct ipentry {
	struct ipaddr	lo, hi;
	bool		exclude;
};

struct iplist {
	struct ipentry	*e;
	size_t		 n, cap;
};

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

bool
ipaddr_is_v4(const struct ipaddr *a)
{
	return memcmp(a->b, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

/* Parses s (NUL-terminated, no brackets) into *a_r; *v4_r tells whether it
 * was written as IPv4. */
static int
addr_parse(const char *s, struct ipaddr *a_r, bool *v4_r)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(a_r->b, v4mapped_prefix, sizeof(v4mapped_prefix));
		memcpy(a_r->b + 12, &a4, 4);
		*v4_r = true;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(a_r->b, &a6, 16);
		*v4_r = false;
		return 0;
	}
	return -1;
}

int
ipaddr_parse(const char *s, struct ipaddr *a_r)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t len;
	bool v4;

	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return addr_parse(tmp, a_r, &v4);
}

void
ipaddr_from_sa(const struct sockaddr *sa, struct ipaddr *a_r)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(a_r, 0, sizeof(*a_r));
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(a_r->b, v4mapped_prefix, sizeof(v4mapped_prefix));
		memcpy(a_r->b + 12, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(a_r->b, &sin6->sin6_addr, 16);
	}
}

void
ipaddr_format(const struct ipaddr *a, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (ipaddr_is_v4(a)) {
		if (inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)size) != NULL)
			return;
	} else if (inet_ntop(AF_INET6, a->b, buf, (socklen_t)size) != NULL)
		return;
	buf[0] = '\0';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks from both ends of [*p, *p + *len). */
static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && is_space(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*p)[*len - 1]))
		(*len)--;
}

/* Fills err_r with "line N: what 'entry'", the entry cut and with
 * unprintable bytes shown as '?' (the caller may log it). */
static int
entry_error(struct error *err_r, unsigned line, const char *what,
    const char *p, size_t len)
{
	char shown[64];
	size_t i;

	if (len >= sizeof(shown))
		len = sizeof(shown) - 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		shown[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	shown[len] = '\0';
	return error_set(err_r, ERR_SYNTAX, "line %u: %s '%s'", line, what,
	    shown);
}

/* Parses one address of an entry, [p, p + len), trimmed. */
static int
entry_addr(const char *p, size_t len, struct ipaddr *a_r, bool *v4_r)
{
	char tmp[IPLIST_ENTRY_MAX + 1];

	trim(&p, &len);
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (len == 0 || len > IPLIST_ENTRY_MAX || memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return addr_parse(tmp, a_r, v4_r);
}

/* Sets the bits of *a below the first `bits` bits to `one`. */
static void
fill_host_bits(struct ipaddr *a, unsigned bits, bool one)
{
	unsigned i;

	for (i = bits; i < 128; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));

		if (one)
			a->b[i / 8] |= m;
		else
			a->b[i / 8] &= (uint8_t)~m;
	}
}

/* Parses one entry (trimmed, non-empty) into *e. */
static int
entry_parse(const char *p, size_t len, unsigned line, struct ipentry *e,
    struct error *err_r)
{
	const char *ent = p, *sep;
	size_t entlen = len, i;
	struct ipaddr tmp;
	unsigned bits;
	bool v4, v4b;

	memset(e, 0, sizeof(*e));
	if (p[0] == '!') {
		e->exclude = true;
		p++;
		len--;
		trim(&p, &len);
		if (len == 0)
			return entry_error(err_r, line, "missing address after",
			    ent, entlen);
	}
	if (len > IPLIST_ENTRY_MAX)
		return entry_error(err_r, line, "entry too long", ent, entlen);

	if ((sep = memchr(p, '/', len)) != NULL) {
		const char *m = sep + 1;
		size_t mlen = len - (size_t)(m - p);

		if (entry_addr(p, (size_t)(sep - p), &e->lo, &v4) != 0)
			return entry_error(err_r, line, "bad address", ent,
			    entlen);
		trim(&m, &mlen);
		if (mlen == 0 || mlen > 3)
			return entry_error(err_r, line, "bad mask", ent, entlen);
		bits = 0;
		for (i = 0; i < mlen; i++) {
			if (m[i] < '0' || m[i] > '9')
				return entry_error(err_r, line, "bad mask", ent,
				    entlen);
			bits = bits * 10 + (unsigned)(m[i] - '0');
		}
		if (bits > (v4 ? 32u : 128u))
			return entry_error(err_r, line, "bad mask", ent, entlen);
		if (v4)
			bits += 96;
		tmp = e->lo;
		fill_host_bits(&tmp, bits, false);
		if (memcmp(&tmp, &e->lo, sizeof(tmp)) != 0)
			return entry_error(err_r, line,
			    "address has bits set below the mask", ent, entlen);
		e->hi = e->lo;
		fill_host_bits(&e->hi, bits, true);
		return 0;
	}

	if ((sep = memchr(p, '-', len)) != NULL) {
		if (entry_addr(p, (size_t)(sep - p), &e->lo, &v4) != 0 ||
		    entry_addr(sep + 1, len - (size_t)(sep + 1 - p), &e->hi,
		    &v4b) != 0)
			return entry_error(err_r, line, "bad address range",
			    ent, entlen);
		if (v4 != v4b)
			return entry_error(err_r, line,
			    "range mixes IPv4 and IPv6", ent, entlen);
		if (memcmp(&e->lo, &e->hi, sizeof(e->lo)) > 0)
			return entry_error(err_r, line,
			    "range end is below its start", ent, entlen);
		return 0;
	}

	if (entry_addr(p, len, &e->lo, &v4) != 0)
		return entry_error(err_r, line, "bad address", ent, entlen);
	e->hi = e->lo;
	return 0;
}

static void
list_add(struct iplist *l, const struct ipentry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : size_mul(l->cap, 2);
		l->e = xrealloc(l->e, size_mul(l->cap, sizeof(*l->e)));
	}
	l->e[l->n++] = *e;
}

struct iplist *
iplist_parse(const char *text, size_t len, struct error *err_r)
{
	struct iplist *l;
	struct ipentry e;
	const char *p = text, *end = text + len, *eol, *q, *comma, *lend;
	unsigned line = 0;
	size_t n;

	if (len > IPLIST_TEXT_MAX) {
		error_set(err_r, ERR_LIMIT, "address list longer than %d bytes",
		    IPLIST_TEXT_MAX);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	while (p < end) {
		line++;
		/* A line ends at LF, CR or CRLF. */
		for (eol = p; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			;
		/* ';' starts a comment running to the end of the line. */
		lend = memchr(p, ';', (size_t)(eol - p));
		if (lend == NULL)
			lend = eol;
		/* Entries within the line are separated by ','. */
		for (q = p; q < lend; q = comma + 1) {
			const char *s = q;

			comma = memchr(q, ',', (size_t)(lend - q));
			if (comma == NULL)
				comma = lend;
			n = (size_t)(comma - q);
			trim(&s, &n);
			if (n > 0 && entry_parse(s, n, line, &e, err_r) != 0) {
				iplist_free(&l);
				return NULL;
			}
			if (n > 0)
				list_add(l, &e);
			if (comma == lend)
				break;
		}
		if (eol == end)
			break;
		if (*eol == '\r' && eol + 1 < end && eol[1] == '\n')
			p = eol + 2;
		else
			p = eol + 1;
	}
	return l;
}

void
iplist_free(struct iplist **lp)
{
	if (*lp == NULL)
		return;
	free((*lp)->e);
	free(*lp);
	*lp = NULL;
}

bool
iplist_empty(const struct iplist *l)
{
	return l == NULL || l->n == 0;
}

bool
iplist_match(const struct iplist *l, const struct ipaddr *a)
{
	size_t i;

	if (l == NULL)
		return false;
	for (i = l->n; i-- > 0;) {
		const struct ipentry *e = &l->e[i];

		if (memcmp(a, &e->lo, sizeof(*a)) >= 0 &&
		    memcmp(a, &e->hi, sizeof(*a)) <= 0)
			return !e->exclude;
	}
	return false;
}

bool
iplist_match_sa(const struct iplist *l, const struct sockaddr *sa)
{
	struct ipaddr a;

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return false;
	ipaddr_from_sa(sa, &a);
	return iplist_match(l, &a);
}
