/* SPDX-License-Identifier: Apache-2.0 */
/*
 * address.c: the pure mailbox parser and formatter of address.h.  A mailbox
 * is split into an unquoted local part and a canonical domain; the source
 * route and bang path forms are turned into "next hop" domain plus a
 * "%"-form local part here, so the Router only ever sees local@domain.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "router/address.h"

/* RFC 5322 3.2.3 atext without the alphanumerics. */
static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)		/* RFC 6531: UTF-8 in local parts */
		return true;
	if (isalnum(c))
		return true;
	return c != '\0' && strchr(atext_specials, c) != NULL;
}

/* Bytes an unquoted local part may hold: lenient (dots anywhere), but no
 * RFC 5322 specials and no space. */
static bool
is_local_char(unsigned char c)
{
	return is_atext(c) || c == '.';
}

/* Appends n bytes to dst (length *lenp, capacity cap including NUL). */
static int
append(char *dst, size_t *lenp, size_t cap, const char *src, size_t n)
{
	if (n >= cap - *lenp)
		return -1;
	memcpy(dst + *lenp, src, n);
	*lenp += n;
	dst[*lenp] = '\0';
	return 0;
}

static int
set_literal(struct address *a, const char *s, size_t len, unsigned flags,
    struct error *err_r)
{
	char tmp[ADDRESS_IP_MAX + 8];
	unsigned char bin[16];
	const char *in = s + 1;
	size_t n = len - 2, i;
	bool v6 = false;

	if (n >= 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		v6 = true;
		in += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp) - 1)
		return error_set(err_r, ERR_SYNTAX, "bad address literal");
	memcpy(tmp, in, n);
	tmp[n] = '\0';
	if ((flags & ADDRESS_F_WILDCARD) && memchr(tmp, '*', n) != NULL) {
		/* A pattern: keep it, checked for characters only. */
		for (i = 0; i < n; i++)
			if (!isxdigit((unsigned char)tmp[i]) && tmp[i] != '.' &&
			    tmp[i] != ':' && tmp[i] != '*')
				return error_set(err_r, ERR_SYNTAX,
				    "bad address literal");
		for (i = 0; i < n; i++)
			tmp[i] = (char)tolower((unsigned char)tmp[i]);
		a->dkind = v6 ? ADDRESS_DOMAIN_IPV6 : ADDRESS_DOMAIN_IPV4;
		a->ip[0] = '\0';
	} else {
		if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, bin) != 1)
			return error_set(err_r, ERR_SYNTAX,
			    "bad IP address in address literal");
		if (inet_ntop(v6 ? AF_INET6 : AF_INET, bin, a->ip,
		    sizeof(a->ip)) == NULL)
			return error_set(err_r, ERR_INTERNAL, "inet_ntop");
		a->dkind = v6 ? ADDRESS_DOMAIN_IPV6 : ADDRESS_DOMAIN_IPV4;
		memcpy(tmp, a->ip, strlen(a->ip) + 1);
	}
	n = 0;
	a->domain[0] = '\0';
	if (append(a->domain, &n, sizeof(a->domain), v6 ? "[IPv6:" : "[",
	    v6 ? 6 : 1) == -1 ||
	    append(a->domain, &n, sizeof(a->domain), tmp, strlen(tmp)) == -1 ||
	    append(a->domain, &n, sizeof(a->domain), "]", 1) == -1)
		return error_set(err_r, ERR_LIMIT, "address literal too long");
	return 0;
}

int
address_set_domain(struct address *a_r, const char *s, size_t len,
    unsigned flags, struct error *err_r)
{
	unsigned char bin[4];
	size_t i, label = 0;
	bool digits_only = true;
	char c;

	a_r->ip[0] = '\0';
	if (len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty domain");
	if (s[0] == '[') {
		if (len < 2 || s[len - 1] != ']')
			return error_set(err_r, ERR_SYNTAX,
			    "unterminated address literal");
		return set_literal(a_r, s, len, flags, err_r);
	}
	if (len > DOMAIN_NAME_MAX)
		return error_set(err_r, ERR_LIMIT, "domain name too long");
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '.') {
			if (label == 0)
				return error_set(err_r, ERR_SYNTAX,
				    "empty label in domain name");
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_' &&
		    !(c == '*' && (flags & ADDRESS_F_WILDCARD)))
			return error_set(err_r, ERR_SYNTAX,
			    "bad character in domain name");
		if (!isdigit((unsigned char)c))
			digits_only = false;
		if (++label > ADDRESS_LABEL_MAX)
			return error_set(err_r, ERR_LIMIT,
			    "domain label too long");
	}
	if (label == 0)
		return error_set(err_r, ERR_SYNTAX, "empty label in domain name");
	for (i = 0; i < len; i++)
		a_r->domain[i] = (char)tolower((unsigned char)s[i]);
	a_r->domain[len] = '\0';
	a_r->dkind = ADDRESS_DOMAIN_NAME;
	/* A bare 1.2.3.4 is the literal [1.2.3.4]. */
	if (digits_only && inet_pton(AF_INET, a_r->domain, bin) == 1) {
		char tmp[DOMAIN_NAME_MAX + 3];
		size_t n = 0;

		append(tmp, &n, sizeof(tmp), "[", 1);
		append(tmp, &n, sizeof(tmp), a_r->domain, len);
		append(tmp, &n, sizeof(tmp), "]", 1);
		return set_literal(a_r, tmp, n, flags, err_r);
	}
	return 0;
}

/* Parses a local part at s (len bytes: everything before the domain) into
 * out; quoted or lenient dot-atom. */
static int
parse_local(const char *s, size_t len, char *out, struct error *err_r)
{
	size_t i, n = 0;

	if (len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty local part");
	if (s[0] == '"') {
		if (len < 2 || s[len - 1] != '"')
			return error_set(err_r, ERR_SYNTAX,
			    "unterminated quoted local part");
		for (i = 1; i < len - 1; i++) {
			char c = s[i];

			if (c == '\\') {
				if (++i == len - 1)
					return error_set(err_r, ERR_SYNTAX,
					    "backslash at end of quoted string");
				c = s[i];
			} else if (c == '"')
				return error_set(err_r, ERR_SYNTAX,
				    "quote inside local part");
			if (n >= ADDRESS_MAX)
				return error_set(err_r, ERR_LIMIT,
				    "local part too long");
			out[n++] = c;
		}
	} else {
		for (i = 0; i < len; i++) {
			if (!is_local_char((unsigned char)s[i]))
				return error_set(err_r, ERR_SYNTAX,
				    "bad character in local part");
			if (n >= ADDRESS_MAX)
				return error_set(err_r, ERR_LIMIT,
				    "local part too long");
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "empty local part");
	return 0;
}

/* local@domain or local (no path forms). */
static int
parse_mailbox(const char *s, size_t len, unsigned flags, struct address *a,
    struct error *err_r)
{
	size_t i, at = len;

	if (len > 0 && s[0] == '"') {
		for (i = 1; i < len; i++) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				break;
		}
		if (i >= len)
			return error_set(err_r, ERR_SYNTAX,
			    "unterminated quoted local part");
		at = i + 1;
		if (at < len && s[at] != '@')
			return error_set(err_r, ERR_SYNTAX,
			    "text after quoted local part");
	} else {
		const char *p = memchr(s, '@', len);

		if (p != NULL)
			at = (size_t)(p - s);
	}
	if (parse_local(s, at, a->local, err_r) == -1)
		return -1;
	if (at == len) {
		a->domain[0] = '\0';
		a->ip[0] = '\0';
		a->dkind = ADDRESS_DOMAIN_NONE;
		return 0;
	}
	return address_set_domain(a, s + at + 1, len - at - 1, flags, err_r);
}

/* <@r1,@r2:mailbox>: domain r1, local "user%host%r2". */
static int
parse_source_route(const char *s, size_t len, unsigned flags,
    struct address *a, struct error *err_r)
{
	struct address hop;
	char local[ADDRESS_MAX + 1];
	size_t colon, i, n, start, depth = 0;
	size_t hops[64][2], nhops = 0;

	for (colon = 0; colon < len; colon++) {
		if (s[colon] == '[')
			depth++;
		else if (s[colon] == ']' && depth > 0)
			depth--;
		else if (s[colon] == ':' && depth == 0)
			break;
	}
	if (colon == len)
		return error_set(err_r, ERR_SYNTAX,
		    "source route without ':'");
	for (start = 0; start < colon; start = i + 1) {
		for (i = start; i < colon && s[i] != ','; i++)
			;
		if (i - start < 2 || s[start] != '@')
			return error_set(err_r, ERR_SYNTAX,
			    "bad source route");
		if (nhops == N_ELEMENTS(hops))
			return error_set(err_r, ERR_LIMIT,
			    "too many hops in source route");
		hops[nhops][0] = start + 1;
		hops[nhops][1] = i - start - 1;
		nhops++;
	}
	if (parse_mailbox(s + colon + 1, len - colon - 1, flags, a,
	    err_r) == -1)
		return -1;
	n = strlen(a->local);
	memcpy(local, a->local, n + 1);
	if (a->dkind != ADDRESS_DOMAIN_NONE &&
	    (append(local, &n, sizeof(local), "%", 1) == -1 ||
	    append(local, &n, sizeof(local), a->domain,
	    strlen(a->domain)) == -1))
		return error_set(err_r, ERR_LIMIT, "address too long");
	for (i = nhops; i-- > 1; ) {
		if (address_set_domain(&hop, s + hops[i][0], hops[i][1],
		    flags, err_r) == -1)
			return -1;
		if (append(local, &n, sizeof(local), "%", 1) == -1 ||
		    append(local, &n, sizeof(local), hop.domain,
		    strlen(hop.domain)) == -1)
			return error_set(err_r, ERR_LIMIT, "address too long");
	}
	memcpy(a->local, local, n + 1);
	return address_set_domain(a, s + hops[0][0], hops[0][1], flags, err_r);
}

/* relay!host!user (a->local holds it, no domain): domain relay, local
 * "user%host". */
static int
parse_bang_path(struct address *a, unsigned flags, struct error *err_r)
{
	char local[ADDRESS_MAX + 1], path[ADDRESS_MAX + 1];
	const char *first_end, *p, *end;
	size_t n = 0, plen = strlen(a->local);

	memcpy(path, a->local, plen + 1);
	first_end = strchr(path, '!');
	end = path + plen;
	/* Walk from the right: user, then each host before it. */
	p = strrchr(path, '!');
	if (p + 1 == end)
		return error_set(err_r, ERR_SYNTAX, "empty part in bang path");
	append(local, &n, sizeof(local), p + 1, (size_t)(end - p - 1));
	while (p != first_end) {
		const char *q = p;

		while (q > path && q[-1] != '!')
			q--;
		if (q == p)
			return error_set(err_r, ERR_SYNTAX,
			    "empty part in bang path");
		if (append(local, &n, sizeof(local), "%", 1) == -1 ||
		    append(local, &n, sizeof(local), q, (size_t)(p - q)) == -1)
			return error_set(err_r, ERR_LIMIT, "address too long");
		p = q - 1;
	}
	memcpy(a->local, local, n + 1);
	return address_set_domain(a, path, (size_t)(first_end - path), flags,
	    err_r);
}

int
address_parse_ex(const char *s, size_t len, unsigned flags,
    struct address *a_r, struct error *err_r)
{
	size_t i;
	int rc;

	memset(a_r, 0, sizeof(*a_r));
	if (len > 2 * ADDRESS_MAX + 8)
		return error_set(err_r, ERR_LIMIT, "address too long");
	for (i = 0; i < len; i++)
		if (is_ctl((unsigned char)s[i]) && s[i] != ' ' && s[i] != '\t')
			return error_set(err_r, ERR_SYNTAX,
			    "control character in address");
	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	for (i = 0; i < len; i++)
		if (s[i] == '\t')
			return error_set(err_r, ERR_SYNTAX,
			    "control character in address");
	if (len > 0 && s[0] == '<') {
		if (len < 2 || s[len - 1] != '>')
			return error_set(err_r, ERR_SYNTAX, "unbalanced '<'");
		s++;
		len -= 2;
	}
	if (len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty address");
	if (s[0] == '@')
		rc = parse_source_route(s, len, flags, a_r, err_r);
	else {
		rc = parse_mailbox(s, len, flags, a_r, err_r);
		if (rc == 0 && a_r->dkind == ADDRESS_DOMAIN_NONE &&
		    s[0] != '"' && strchr(a_r->local, '!') != NULL)
			rc = parse_bang_path(a_r, flags, err_r);
	}
	if (rc == -1) {
		memset(a_r, 0, sizeof(*a_r));
		return -1;
	}
	if (strlen(a_r->local) + 1 + strlen(a_r->domain) > ADDRESS_MAX) {
		memset(a_r, 0, sizeof(*a_r));
		return error_set(err_r, ERR_LIMIT, "address too long");
	}
	return 0;
}

int
address_parse(const char *s, size_t len, struct address *a_r,
    struct error *err_r)
{
	return address_parse_ex(s, len, 0, a_r, err_r);
}

bool
address_local_needs_quotes(const char *local)
{
	const unsigned char *p = (const unsigned char *)local;
	size_t i, n = strlen(local);

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return true;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (p[i + 1] == '.')
				return true;
		} else if (!is_atext(p[i]))
			return true;
	}
	return false;
}

static int
join(const char *local, const char *domain, bool force_quotes, char *buf,
    size_t size)
{
	size_t n = 0, i, ll = strlen(local);

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (force_quotes || address_local_needs_quotes(local)) {
		if (append(buf, &n, size, "\"", 1) == -1)
			goto toolong;
		for (i = 0; i < ll; i++) {
			if ((local[i] == '"' || local[i] == '\\') &&
			    append(buf, &n, size, "\\", 1) == -1)
				goto toolong;
			if (append(buf, &n, size, local + i, 1) == -1)
				goto toolong;
		}
		if (append(buf, &n, size, "\"", 1) == -1)
			goto toolong;
	} else if (append(buf, &n, size, local, ll) == -1)
		goto toolong;
	if (domain[0] != '\0' &&
	    (append(buf, &n, size, "@", 1) == -1 ||
	    append(buf, &n, size, domain, strlen(domain)) == -1))
		goto toolong;
	return (int)n;
toolong:
	buf[0] = '\0';
	return -1;
}

int
address_join(const char *local, const char *domain, char *buf, size_t size)
{
	return join(local, domain, false, buf, size);
}

int
address_format(const struct address *a, char *buf, size_t size)
{
	/* Without a domain, "a!b" would read back as a bang path. */
	bool force = a->domain[0] == '\0' && strchr(a->local, '!') != NULL;

	return join(a->local, a->domain, force, buf, size);
}
