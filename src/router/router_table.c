/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router_table.c: the Router Table (the record forms below).  Parses the text
 * into records, finds the first record matching an address and rewrites the
 * address with it.  Pure: no locks, no directory, no logging.
 *
 * Syntax, one record per line, ';' starts a comment outside quotes and
 * brackets, blank lines are ignored:
 *
 *	[Mail:|Access:|Signal:|Relay:|RelayAll:] left = right
 *
 * Address records have "<...>" on the left: "<*@old.dom> = *@main.dom".  A
 * left side without "@domain" ("<postmaster>") matches only the Main Domain
 * (and its aliases); a right side without a domain gets the Main Domain.
 * Domain-level records have a bare domain on the left: "*.client.com =
 * client.smtp".  '*' on the left matches any substring, empty included,
 * case-insensitively; each '*' on the right takes the next captured text in
 * order (address records capture the local part's '*'s, then the domain's).
 * A literal '*' cannot be written on the right.
 *
 * Domain-level rewrite rule (how docs/behaviour.md, B7 works): the right side
 * is
 *   - a domain:  local@D          -> local@right
 *   - an address rl@rd:  local@D  -> local%rl@rd
 * so "client1.com = client1.com@mainhost.com.via" turns user@client1.com
 * into user%client1.com@mainhost.com.via, which the .via pseudo-domain sends
 * to mainhost.com with the envelope address user@client1.com.
 *
 * Prefixes: none = all contexts; Mail:, Access:, Signal: = that context;
 * Relay: = mail context, and routing through it sets relay_ok; RelayAll: =
 * the same plus relay_all.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/strv.h"
#include "lib/xmalloc.h"
#include "router/router_private.h"

#define CTX_BIT(c)	(1u << (c))
#define CTX_ALL		(CTX_BIT(ROUTE_MAIL) | CTX_BIT(ROUTE_ACCESS) | \
			    CTX_BIT(ROUTE_SIGNAL))

static const struct {
	const char	*name;
	unsigned	 ctxmask;
	bool		 relay, relay_all;
} prefixes[] = {
	{ "Mail:",	CTX_BIT(ROUTE_MAIL),	false,	false },
	{ "Access:",	CTX_BIT(ROUTE_ACCESS),	false,	false },
	{ "Signal:",	CTX_BIT(ROUTE_SIGNAL),	false,	false },
	{ "RelayAll:",	CTX_BIT(ROUTE_MAIL),	true,	true },
	{ "Relay:",	CTX_BIT(ROUTE_MAIL),	true,	false },
};

static size_t
count_stars(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (*s == '*')
			n++;
	return n;
}

static void
rec_clear(struct rec *r)
{
	free(r->lpat_local);
	free(r->lpat_domain);
	free(r->r_local);
	free(r->r_domain);
}

void
rtable_free(struct rtable **tp)
{
	struct rtable *t = *tp;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		rec_clear(&t->recs[i]);
	free(t->recs);
	free(t->text);
	free(t);
	*tp = NULL;
}

/* Offset of the first c outside "quotes" and [brackets], or len. */
static size_t
find_unquoted(struct strv s, char c)
{
	size_t i, depth = 0;
	bool quoted = false;

	for (i = 0; i < s.len; i++) {
		if (quoted) {
			if (s.p[i] == '\\')
				i++;
			else if (s.p[i] == '"')
				quoted = false;
		} else if (s.p[i] == '"')
			quoted = true;
		else if (s.p[i] == '[')
			depth++;
		else if (s.p[i] == ']' && depth > 0)
			depth--;
		else if (s.p[i] == c && depth == 0)
			return i;
	}
	return s.len;
}

static int
parse_left(struct strv left, struct rec *r, struct error *err_r)
{
	struct address a;

	if (left.p[0] == '<') {
		if (left.len < 3 || left.p[left.len - 1] != '>')
			return error_set(err_r, ERR_SYNTAX,
			    "bad address pattern");
		r->kind = REC_ADDRESS;
		if (address_parse_ex(left.p, left.len, ADDRESS_F_WILDCARD, &a,
		    err_r) == -1)
			return -1;
		r->lpat_local = xstrdup(a.local);
		if (a.dkind != ADDRESS_DOMAIN_NONE)
			r->lpat_domain = xstrdup(a.domain);
		return 0;
	}
	r->kind = REC_DOMAIN;
	if (address_set_domain(&a, left.p, left.len, ADDRESS_F_WILDCARD,
	    err_r) == -1)
		return -1;
	r->lpat_domain = xstrdup(a.domain);
	return 0;
}

static int
parse_right(struct strv right, struct rec *r, struct error *err_r)
{
	struct address a;

	if (r->kind == REC_DOMAIN && right.p[0] != '<' &&
	    find_unquoted(right, '@') == right.len) {
		if (address_set_domain(&a, right.p, right.len,
		    ADDRESS_F_WILDCARD, err_r) == -1)
			return -1;
		r->r_domain = xstrdup(a.domain);
		return 0;
	}
	if (address_parse_ex(right.p, right.len, ADDRESS_F_WILDCARD, &a,
	    err_r) == -1)
		return -1;
	if (r->kind == REC_DOMAIN && a.dkind == ADDRESS_DOMAIN_NONE)
		return error_set(err_r, ERR_SYNTAX,
		    "domain record needs a domain on the right");
	r->r_local = xstrdup(a.local);
	r->r_domain = xstrdup(a.domain);
	return 0;
}

static int
parse_line(struct strv line, int lineno, struct rec *r, struct error *err_r)
{
	struct strv left, right;
	size_t i, eq, lstars;

	memset(r, 0, sizeof(*r));
	r->line = lineno;
	r->ctxmask = CTX_ALL;
	for (i = 0; i < N_ELEMENTS(prefixes); i++) {
		if (strv_has_prefix_case(line, prefixes[i].name)) {
			size_t n = strlen(prefixes[i].name);

			r->ctxmask = prefixes[i].ctxmask;
			r->relay = prefixes[i].relay;
			r->relay_all = prefixes[i].relay_all;
			line = strv_trim(strv_make(line.p + n, line.len - n));
			break;
		}
	}
	eq = find_unquoted(line, '=');
	if (eq == line.len)
		return error_set(err_r, ERR_SYNTAX, "'=' expected");
	left = strv_trim(strv_make(line.p, eq));
	right = strv_trim(strv_make(line.p + eq + 1, line.len - eq - 1));
	if (left.len == 0 || right.len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty side in record");
	if (parse_left(left, r, err_r) == -1 ||
	    parse_right(right, r, err_r) == -1)
		return -1;
	lstars = count_stars(r->lpat_local) + count_stars(r->lpat_domain);
	if (lstars > ROUTER_STARS_MAX)
		return error_set(err_r, ERR_LIMIT, "too many '*' in record");
	if (count_stars(r->r_local) + count_stars(r->r_domain) > lstars)
		return error_set(err_r, ERR_SYNTAX,
		    "more '*' on the right than on the left");
	return 0;
}

struct rtable *
rtable_parse(const char *text, struct error *err_r)
{
	struct rtable *t;
	struct strv rest, line;
	struct error e;
	size_t cap = 0, len;
	int lineno = 0;

	len = strlen(text);
	if (len > ROUTER_TABLE_MAX) {
		error_set(err_r, ERR_LIMIT, "router table too long");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->text = xstrdup(text);
	rest = strv_make(t->text, len);
	while (rest.p != NULL && rest.len > 0) {
		rest = strv_split(rest, '\n', &line);
		lineno++;
		line = strv_make(line.p, find_unquoted(line, ';'));
		line = strv_trim(line);
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line = strv_trim(strv_make(line.p, line.len - 1));
		if (line.len == 0)
			continue;
		if (t->n == cap) {
			cap = cap == 0 ? 16 : size_mul(cap, 2);
			t->recs = xrealloc(t->recs, size_mul(cap,
			    sizeof(*t->recs)));
		}
		if (parse_line(line, lineno, &t->recs[t->n], &e) == -1) {
			rec_clear(&t->recs[t->n]);
			error_set(err_r, e.kind, "line %d: %s", lineno, e.msg);
			rtable_free(&t);
			return NULL;
		}
		t->n++;
	}
	return t;
}

/*
 * '*'-only glob, case-insensitive, appending one capture per '*' to caps.
 * The classic single-backtrack-point algorithm: O(len(pat) * len(s)), and
 * each '*' gets the shortest text that lets the rest match.
 */
static bool
glob(const char *pat, const char *s, struct rcap *caps, size_t *ncaps)
{
	size_t pi = 0, si = 0, n = *ncaps;
	size_t plen = strlen(pat), slen = strlen(s);
	size_t star_pi = SIZE_MAX, star_cap = 0, star_si = 0;

	while (si < slen) {
		if (pi < plen && pat[pi] == '*') {
			star_pi = pi;
			star_si = si;
			star_cap = n;
			caps[n].p = s + si;
			caps[n].len = 0;
			n++;
			pi++;
		} else if (pi < plen && tolower((unsigned char)pat[pi]) ==
		    tolower((unsigned char)s[si])) {
			pi++;
			si++;
		} else if (star_pi != SIZE_MAX) {
			star_si++;
			caps[star_cap].len++;
			si = star_si;
			pi = star_pi + 1;
			n = star_cap + 1;
		} else
			return false;
	}
	for (; pi < plen && pat[pi] == '*'; pi++) {
		caps[n].p = s + slen;
		caps[n].len = 0;
		n++;
	}
	if (pi != plen)
		return false;
	*ncaps = n;
	return true;
}

const struct rec *
rtable_match(const struct rtable *t, const struct address *a,
    enum route_ctx rctx, bool is_main, struct rcap *caps_r, size_t *ncaps_r)
{
	const struct rec *r;
	size_t i, pass, n;

	/* Pass 0: address records; pass 1: domain records. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < t->n; i++) {
			r = &t->recs[i];
			if (!(r->ctxmask & CTX_BIT(rctx)))
				continue;
			n = 0;
			if (pass == 0 && r->kind == REC_ADDRESS) {
				if (!glob(r->lpat_local, a->local, caps_r, &n))
					continue;
				if (r->lpat_domain == NULL ? !is_main :
				    !glob(r->lpat_domain, a->domain, caps_r,
				    &n))
					continue;
			} else if (pass == 1 && r->kind == REC_DOMAIN) {
				if (!glob(r->lpat_domain, a->domain, caps_r,
				    &n))
					continue;
			} else
				continue;
			*ncaps_r = n;
			return r;
		}
	}
	return NULL;
}

int
rtable_subst(const char *tpl, const struct rcap *caps, size_t ncaps,
    size_t *ci, char *out, size_t size)
{
	size_t n = 0;
	const char *p;
	size_t plen;

	for (; *tpl != '\0'; tpl++) {
		if (*tpl == '*') {
			if (*ci < ncaps) {
				p = caps[*ci].p;
				plen = caps[*ci].len;
			} else {
				p = "";
				plen = 0;
			}
			(*ci)++;
		} else {
			p = tpl;
			plen = 1;
		}
		if (plen >= size - n)
			return -1;
		memcpy(out + n, p, plen);
		n += plen;
	}
	out[n] = '\0';
	return 0;
}

int
rtable_apply(const struct rec *rec, const struct rcap *caps, size_t ncaps,
    const char *main_domain, struct address *a, struct error *err_r)
{
	char local[ADDRESS_MAX + 1], rl[ADDRESS_MAX + 1];
	char dom[ADDRESS_MAX + 1];
	size_t ci = 0, n;
	struct error e;

	/* Captures point into *a: build the new parts before touching it. */
	if (rec->r_local != NULL &&
	    rtable_subst(rec->r_local, caps, ncaps, &ci, rl, sizeof(rl)) == -1)
		goto toolong;
	if (rtable_subst(rec->r_domain, caps, ncaps, &ci, dom,
	    sizeof(dom)) == -1)
		goto toolong;
	if (rec->kind == REC_DOMAIN && rec->r_local != NULL) {
		n = (size_t)snprintf(local, sizeof(local), "%s%%%s",
		    a->local, rl);
		if (n >= sizeof(local))
			goto toolong;
	} else if (rec->kind == REC_DOMAIN)
		memcpy(local, a->local, strlen(a->local) + 1);
	else
		memcpy(local, rl, strlen(rl) + 1);
	if (local[0] == '\0')
		return error_set(err_r, ERR_SYNTAX,
		    "record at line %d made an empty local part", rec->line);
	if (dom[0] == '\0') {
		n = strlen(main_domain);
		if (n >= sizeof(dom))
			goto toolong;
		memcpy(dom, main_domain, n + 1);
	}
	if (address_set_domain(a, dom, strlen(dom), 0, &e) == -1)
		return error_set(err_r, e.kind, "record at line %d: %s",
		    rec->line, e.msg);
	if (strlen(local) + 1 + strlen(a->domain) > ADDRESS_MAX)
		goto toolong;
	memcpy(a->local, local, strlen(local) + 1);
	return 0;
toolong:
	return error_set(err_r, ERR_LIMIT,
	    "address too long after record at line %d", rec->line);
}
