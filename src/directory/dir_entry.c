/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_entry.c: directory records, DNs in normal form, and search filters
 * evaluated in three values (RFC 4511 4.5.1.7).  Pure: no I/O, no globals.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "directory/directory.h"

struct dir_entry *
dir_entry_new(const char *dn)
{
	struct dir_entry *e = xcalloc(1, sizeof(*e));

	e->dn = xstrdup(dn != NULL ? dn : "");
	return e;
}

void
dir_entry_free(struct dir_entry **ep)
{
	struct dir_entry *e = *ep;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->navs; i++) {
		free(e->avs[i].name);
		free(e->avs[i].val);
	}
	free(e->avs);
	free(e->dn);
	free(e);
	*ep = NULL;
}

void
dir_entry_add(struct dir_entry *e, const char *name, const char *val)
{
	if (e->navs == e->cap) {
		e->cap = e->cap == 0 ? 8 : e->cap * 2;
		e->avs = xrealloc(e->avs, size_mul(e->cap, sizeof(*e->avs)));
	}
	e->avs[e->navs].name = xstrdup(name);
	e->avs[e->navs].val = xstrdup(val);
	e->navs++;
}

static void
remove_at(struct dir_entry *e, size_t i)
{
	free(e->avs[i].name);
	free(e->avs[i].val);
	memmove(&e->avs[i], &e->avs[i + 1], (e->navs - i - 1) *
	    sizeof(*e->avs));
	e->navs--;
}

size_t
dir_entry_remove(struct dir_entry *e, const char *name)
{
	size_t i = 0, n = 0;

	while (i < e->navs)
		if (strcasecmp(e->avs[i].name, name) == 0) {
			remove_at(e, i);
			n++;
		} else
			i++;
	return n;
}

bool
dir_entry_remove_value(struct dir_entry *e, const char *name,
    const char *val)
{
	size_t i;

	for (i = 0; i < e->navs; i++)
		if (strcasecmp(e->avs[i].name, name) == 0 &&
		    dir_value_cmp(name, e->avs[i].val, val) == 0) {
			remove_at(e, i);
			return true;
		}
	return false;
}

const char *
dir_entry_get(const struct dir_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->navs; i++)
		if (strcasecmp(e->avs[i].name, name) == 0)
			return e->avs[i].val;
	return NULL;
}

bool
dir_entry_has_value(const struct dir_entry *e, const char *name,
    const char *val)
{
	size_t i;

	for (i = 0; i < e->navs; i++)
		if (strcasecmp(e->avs[i].name, name) == 0 &&
		    dir_value_cmp(name, e->avs[i].val, val) == 0)
			return true;
	return false;
}

/* ---- DNs ------------------------------------------------------------------ */

static bool
attr_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == ';';
}

/*
 * RFC 4514 in the forms clients send: "uid=u, cn=Example.COM" becomes
 * "uid=u,cn=example.com".  Escapes ("\,", "\2c") are kept as written, so
 * two spellings of one escaped character stay two DNs; no client of ours
 * escapes differently for the same record.
 */
int
dir_dn_normalize(const char *dn, char *out, size_t size,
    struct error *err_r)
{
	const char *p = dn;
	size_t o = 0, start;
	bool in_value;

	while (*p == ' ')
		p++;
	if (*p == '\0' || strcasecmp(p, "top") == 0) {
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	if (strlen(dn) > DIR_DN_MAX)
		return error_set(err_r, ERR_LIMIT, "DN longer than %u bytes",
		    (unsigned)DIR_DN_MAX);
	for (;;) {
		/* one RDN component: attr = value */
		while (*p == ' ')
			p++;
		start = o;
		while (attr_char((unsigned char)*p)) {
			if (o + 1 >= size)
				goto toolong;
			out[o++] = (char)tolower((unsigned char)*p++);
		}
		if (o == start)
			return error_set(err_r, ERR_SYNTAX, "invalid DN "
			    "syntax: attribute name expected");
		while (*p == ' ')
			p++;
		if (*p != '=')
			return error_set(err_r, ERR_SYNTAX, "invalid DN "
			    "syntax: '=' expected");
		p++;
		if (o + 1 >= size)
			goto toolong;
		out[o++] = '=';
		while (*p == ' ')
			p++;
		in_value = true;
		start = o;
		while (in_value && *p != '\0') {
			if (*p == '\\' && p[1] != '\0') {
				if (o + 2 >= size)
					goto toolong;
				out[o++] = *p++;
				out[o++] = (char)tolower((unsigned char)*p++);
				continue;
			}
			if (*p == ',' || *p == '+' || *p == ';')
				break;
			if (o + 1 >= size)
				goto toolong;
			out[o++] = (char)tolower((unsigned char)*p++);
		}
		/* trailing blanks of the value (unescaped) */
		while (o > start && out[o - 1] == ' ' &&
		    !(o >= start + 2 && out[o - 2] == '\\'))
			o--;
		if (*p == '\0')
			break;
		if (o + 1 >= size)
			goto toolong;
		out[o++] = *p == '+' ? '+' : ',';
		p++;
	}
	out[o] = '\0';
	return 0;
toolong:
	return error_set(err_r, ERR_LIMIT, "DN longer than %u bytes",
	    (unsigned)DIR_DN_MAX);
}

/* The first unescaped ',' of a normal DN, or NULL. */
static const char *
first_comma(const char *ndn)
{
	const char *p;

	for (p = ndn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			return p;
	}
	return NULL;
}

const char *
dir_dn_parent(const char *ndn)
{
	const char *c = first_comma(ndn);

	return c != NULL ? c + 1 : "";
}

bool
dir_dn_in_scope(const char *ndn, const char *base, enum dir_scope scope)
{
	size_t nl = strlen(ndn), bl = strlen(base);

	switch (scope) {
	case DIR_SCOPE_BASE:
		return strcmp(ndn, base) == 0;
	case DIR_SCOPE_ONE:
		return *ndn != '\0' && strcmp(dir_dn_parent(ndn), base) == 0;
	case DIR_SCOPE_SUB:
	default:
		if (bl == 0)
			return true;
		if (nl == bl)
			return strcmp(ndn, base) == 0;
		return nl > bl && ndn[nl - bl - 1] == ',' &&
		    strcmp(ndn + nl - bl, base) == 0;
	}
}

/* ---- filters ---------------------------------------------------------------- */

struct dir_filter *
dir_filter_new(enum dir_filter_kind kind)
{
	struct dir_filter *f = xcalloc(1, sizeof(*f));

	f->kind = kind;
	return f;
}

void
dir_filter_free(struct dir_filter **fp)
{
	struct dir_filter *f = *fp;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nkids; i++)
		dir_filter_free(&f->kids[i]);
	free(f->kids);
	for (i = 0; i < f->nany; i++)
		free(f->any[i]);
	free(f->any);
	free(f->attr);
	free(f->value);
	free(f->initial);
	free(f->final);
	free(f);
	*fp = NULL;
}

/* userPassword and other octet strings compare exactly; everything else
 * as caseIgnoreMatch (blanks at the ends ignored). */
static bool
exact_attr(const char *attr)
{
	return strcasecmp(attr, "userPassword") == 0;
}

int
dir_value_cmp(const char *attr, const char *a, const char *b)
{
	if (exact_attr(attr))
		return strcmp(a, b);
	while (*a == ' ')
		a++;
	while (*b == ' ')
		b++;
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a);
		int cb = tolower((unsigned char)*b);

		/* trailing blanks do not count */
		if (ca == ' ' && a[strspn(a, " ")] == '\0')
			ca = '\0';
		if (cb == ' ' && b[strspn(b, " ")] == '\0')
			cb = '\0';
		if (ca != cb)
			return ca - cb;
		if (ca == '\0')
			return 0;
	}
}

/* Case-insensitive search of needle in hay from *pos; advances *pos past
 * the match. */
static bool
find_from(const char *hay, size_t *pos, const char *needle)
{
	size_t hl = strlen(hay), nl = strlen(needle), i;

	for (i = *pos; i + nl <= hl; i++)
		if (strncasecmp(hay + i, needle, nl) == 0) {
			*pos = i + nl;
			return true;
		}
	return false;
}

static bool
substr_match(const struct dir_filter *f, const char *v)
{
	size_t pos = 0, vl = strlen(v), i, fl;

	if (f->initial != NULL) {
		size_t il = strlen(f->initial);

		if (il > vl || strncasecmp(v, f->initial, il) != 0)
			return false;
		pos = il;
	}
	for (i = 0; i < f->nany; i++)
		if (!find_from(v, &pos, f->any[i]))
			return false;
	if (f->final != NULL) {
		fl = strlen(f->final);
		if (fl > vl - pos || strcasecmp(v + vl - fl, f->final) != 0)
			return false;
	}
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* DF_DNSET: e's DN, in normal form, among the sorted any[]. */
static enum dir_match
dnset_match(const struct dir_filter *f, const struct dir_entry *e)
{
	char ndn[DIR_DN_MAX + 1];
	const char *key = ndn;
	struct error err;

	if (f->nany == 0 || e->dn == NULL ||
	    dir_dn_normalize(e->dn, ndn, sizeof(ndn), &err) == -1)
		return DIR_FALSE;
	return bsearch(&key, f->any, f->nany, sizeof(*f->any), cmp_str) !=
	    NULL ? DIR_TRUE : DIR_FALSE;
}

static enum dir_match
item_match(const struct dir_filter *f, const struct dir_entry *e)
{
	bool seen = false;
	size_t i;
	int c;

	for (i = 0; i < e->navs; i++) {
		const char *v = e->avs[i].val;

		if (strcasecmp(e->avs[i].name, f->attr) != 0)
			continue;
		seen = true;
		switch (f->kind) {
		case DF_PRESENT:
			return DIR_TRUE;
		case DF_EQ:
		case DF_APPROX:
			if (dir_value_cmp(f->attr, v, f->value) == 0)
				return DIR_TRUE;
			break;
		case DF_GE:
		case DF_LE:
			c = dir_value_cmp(f->attr, v, f->value);
			if ((f->kind == DF_GE && c >= 0) ||
			    (f->kind == DF_LE && c <= 0))
				return DIR_TRUE;
			break;
		case DF_SUBSTR:
			if (substr_match(f, v))
				return DIR_TRUE;
			break;
		default:
			break;
		}
	}
	if (f->kind == DF_PRESENT)
		return DIR_FALSE;
	/* RFC 4511 4.5.1.7: no such attribute -> Undefined */
	return seen ? DIR_FALSE : DIR_UNDEFINED;
}

enum dir_match
dir_filter_match(const struct dir_filter *f, const struct dir_entry *e)
{
	enum dir_match m, r;
	size_t i;

	switch (f->kind) {
	case DF_AND:
		r = DIR_TRUE;
		for (i = 0; i < f->nkids; i++) {
			m = dir_filter_match(f->kids[i], e);
			if (m == DIR_FALSE)
				return DIR_FALSE;
			if (m == DIR_UNDEFINED)
				r = DIR_UNDEFINED;
		}
		return r;
	case DF_OR:
		r = DIR_FALSE;
		for (i = 0; i < f->nkids; i++) {
			m = dir_filter_match(f->kids[i], e);
			if (m == DIR_TRUE)
				return DIR_TRUE;
			if (m == DIR_UNDEFINED)
				r = DIR_UNDEFINED;
		}
		return r;
	case DF_NOT:
		if (f->nkids != 1)
			return DIR_UNDEFINED;
		m = dir_filter_match(f->kids[0], e);
		return m == DIR_UNDEFINED ? DIR_UNDEFINED :
		    m == DIR_TRUE ? DIR_FALSE : DIR_TRUE;
	case DF_DNSET:
		return dnset_match(f, e);
	default:
		return item_match(f, e);
	}
}
