/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addrlist.c: the RFC 5322 address-list splitter (see addrlist.h).  One
 * pass over the bytes; each list element collects three things at once --
 * the text inside <>, the element as a bare addr-spec (tokens joined
 * without spaces) and its phrase (words joined by one space) -- and at the
 * element's end the angle address wins when there was one.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/addrlist.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

enum tok { T_NONE, T_WORD, T_JOIN };

struct elem {
	struct buf	angle;		/* inside <> */
	struct buf	bare;		/* addr-spec without <> */
	struct buf	phrase;		/* display name */
	struct buf	comment;	/* last comment, fallback name */
	bool		in_angle, saw_angle, space, phrase_only;
	enum tok	last;		/* for "two words without . or @" */
};

static void
elem_init(struct elem *e)
{
	memset(e, 0, sizeof(*e));
	buf_init(&e->angle, ADDRLIST_ITEM_MAX);
	buf_init(&e->bare, ADDRLIST_ITEM_MAX);
	buf_init(&e->phrase, ADDRLIST_ITEM_MAX);
	buf_init(&e->comment, ADDRLIST_ITEM_MAX);
}

static void
elem_reset(struct elem *e)
{
	buf_reset(&e->angle);
	buf_reset(&e->bare);
	buf_reset(&e->phrase);
	buf_reset(&e->comment);
	e->in_angle = e->saw_angle = e->space = e->phrase_only = false;
	e->last = T_NONE;
}

static void
elem_free(struct elem *e)
{
	buf_free(&e->angle);
	buf_free(&e->bare);
	buf_free(&e->phrase);
	buf_free(&e->comment);
}

static bool
is_special(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	    c == ']' || c == ':' || c == ';' || c == '@' || c == ',' ||
	    c == '.' || c == '"';
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A word (atom or quoted string) outside <>: raw text to bare, unquoted
 * text to the phrase. */
static void
add_word(struct elem *e, const char *raw, size_t rlen, const char *text,
    size_t tlen)
{
	if (e->last == T_WORD && e->space)
		e->phrase_only = true;
	buf_append(&e->bare, raw, rlen);
	if (e->phrase.len > 0 && e->space)
		buf_putc(&e->phrase, ' ');
	buf_append(&e->phrase, text, tlen);
	e->last = T_WORD;
	e->space = false;
}

static void
add_join(struct elem *e, char c)
{
	buf_putc(&e->bare, c);
	if (e->phrase.len > 0 && e->space)
		buf_putc(&e->phrase, ' ');
	buf_putc(&e->phrase, c);
	e->last = T_JOIN;
	e->space = false;
}

static int
push_item(struct addrlist *l, struct elem *e, struct error *err_r)
{
	const struct buf *addr;
	const char *name;
	struct addrlist_item *it;

	if (e->angle.err || e->bare.err || e->phrase.err || e->comment.err)
		return error_set(err_r, ERR_LIMIT, "address longer than %d "
		    "bytes", ADDRLIST_ITEM_MAX);
	if (e->saw_angle) {
		addr = &e->angle;
		name = e->phrase.len > 0 ? buf_cstr(&e->phrase) :
		    buf_cstr(&e->comment);
	} else {
		if (e->bare.len == 0) {		/* empty element (4.4) */
			elem_reset(e);
			return 0;
		}
		if (e->phrase_only)
			return error_set(err_r, ERR_SYNTAX, "display name "
			    "without address: %.64s", buf_cstr(&e->phrase));
		addr = &e->bare;
		name = buf_cstr(&e->comment);
	}
	if (addr->len == 0) {			/* "<>": nobody */
		elem_reset(e);
		return 0;
	}
	if (l->n >= ADDRLIST_MAX)
		return error_set(err_r, ERR_LIMIT, "more than %d addresses",
		    ADDRLIST_MAX);
	l->v = xrealloc(l->v, size_mul(l->n + 1, sizeof(*l->v)));
	it = &l->v[l->n++];
	it->addr = xstrndup(addr->data, addr->len);
	it->name = xstrdup(name);
	elem_reset(e);
	return 0;
}

/* Skips a comment starting at s[*i] == '('; its text goes to out. */
static int
comment(const char *s, size_t len, size_t *i, struct buf *out,
    struct error *err_r)
{
	size_t depth = 0;

	buf_reset(out);
	for (; *i < len; (*i)++) {
		unsigned char c = (unsigned char)s[*i];

		if (c == '\\' && *i + 1 < len) {
			(*i)++;
			if (s[*i] != '\r' && s[*i] != '\n')
				buf_putc(out, s[*i]);
			continue;
		}
		if (c == '(') {
			if (++depth > ADDRLIST_COMMENT_DEPTH)
				return error_set(err_r, ERR_LIMIT, "comments "
				    "nested deeper than %d",
				    ADDRLIST_COMMENT_DEPTH);
			if (depth > 1)
				buf_putc(out, '(');
			continue;
		}
		if (c == ')') {
			if (--depth == 0) {
				(*i)++;
				if (out->err != 0)
					return error_set(err_r, ERR_LIMIT,
					    "comment longer than %d bytes",
					    ADDRLIST_ITEM_MAX);
				return 0;
			}
			buf_putc(out, ')');
			continue;
		}
		if (c == '\r' || c == '\n')
			continue;
		buf_putc(out, (char)c);
	}
	return error_set(err_r, ERR_SYNTAX, "unterminated comment");
}

/* A quoted string at s[*i] == '"': raw (with quotes and escapes) and
 * unquoted text. */
static int
quoted(const char *s, size_t len, size_t *i, struct buf *raw,
    struct buf *text, struct error *err_r)
{
	buf_reset(raw);
	buf_reset(text);
	buf_putc(raw, '"');
	for ((*i)++; *i < len; (*i)++) {
		char c = s[*i];

		if (c == '\\' && *i + 1 < len) {
			(*i)++;
			if (s[*i] == '\r' || s[*i] == '\n')
				continue;	/* an escaped line end: folding */
			buf_putc(raw, c);
			buf_putc(raw, s[*i]);
			buf_putc(text, s[*i]);
			continue;
		}
		if (c == '"') {
			buf_putc(raw, '"');
			(*i)++;
			if (raw->err != 0 || text->err != 0)
				return error_set(err_r, ERR_LIMIT, "quoted "
				    "string longer than %d bytes",
				    ADDRLIST_ITEM_MAX);
			return 0;
		}
		if (c == '\r' || c == '\n')	/* folding inside quotes */
			continue;
		buf_putc(raw, c);
		buf_putc(text, c);
	}
	return error_set(err_r, ERR_SYNTAX, "unterminated quoted string");
}

static int
parse(const char *s, size_t len, struct addrlist *l, struct elem *e,
    struct buf *raw, struct buf *text, struct error *err_r)
{
	bool in_group = false;
	size_t i = 0, j;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c)) {
			e->space = true;
			i++;
		} else if (c == '(') {
			if (comment(s, len, &i, &e->comment, err_r) < 0)
				return -1;
			e->space = true;
		} else if (c == '"') {
			if (quoted(s, len, &i, raw, text, err_r) < 0)
				return -1;
			if (e->in_angle)
				buf_append(&e->angle, raw->data, raw->len);
			else
				add_word(e, raw->data, raw->len, text->data,
				    text->len);
		} else if (c == '[') {
			j = i + 1;
			while (j < len && s[j] != ']' && s[j] != '[' &&
			    s[j] != '\\')
				j++;
			if (j >= len || s[j] != ']')
				return error_set(err_r, ERR_SYNTAX,
				    "unterminated domain literal");
			j++;
			/* White space inside the literal is dropped (RFC
			 * 5322 3.4.1: FWS between dtext). */
			buf_reset(raw);
			for (; i < j; i++)
				if (!is_space((unsigned char)s[i]))
					buf_putc(raw, s[i]);
			if (e->in_angle)
				buf_append(&e->angle, raw->data, raw->len);
			else
				add_word(e, raw->data, raw->len, raw->data,
				    raw->len);
		} else if (c == '<') {
			if (e->in_angle)
				return error_set(err_r, ERR_SYNTAX,
				    "'<' inside an angle address");
			if (e->saw_angle)
				return error_set(err_r, ERR_SYNTAX,
				    "two angle addresses in one element");
			e->in_angle = e->saw_angle = true;
			i++;
		} else if (c == '>') {
			if (!e->in_angle)
				return error_set(err_r, ERR_SYNTAX,
				    "'>' without '<'");
			e->in_angle = false;
			i++;
		} else if (e->in_angle) {
			/* Route ",@b:" and the addr-spec; spaces dropped. */
			buf_putc(&e->angle, (char)c);
			i++;
		} else if (c == ',') {
			if (push_item(l, e, err_r) < 0)
				return -1;
			i++;
		} else if (c == ':' && !in_group) {
			/* Group: "name:" -- the name is no address. */
			elem_reset(e);
			in_group = true;
			i++;
		} else if (c == ';' && in_group) {
			if (push_item(l, e, err_r) < 0)
				return -1;
			in_group = false;
			i++;
		} else if (c == '.' || c == '@' || c == ':' || c == ';' ||
		    c == ')' || c == ']') {
			add_join(e, (char)c);
			i++;
		} else {
			j = i;
			while (j < len && !is_special((unsigned char)s[j]) &&
			    !is_space((unsigned char)s[j]))
				j++;
			add_word(e, s + i, j - i, s + i, j - i);
			i = j;
		}
	}
	if (e->in_angle)
		return error_set(err_r, ERR_SYNTAX,
		    "unterminated angle address");
	return push_item(l, e, err_r);
}

int
addrlist_parse(const char *s, size_t len, struct addrlist *l,
    struct error *err_r)
{
	struct elem e;
	struct buf raw, text;
	size_t old = l->n, i;
	int rc;

	if (len > ADDRLIST_TEXT_MAX)
		return error_set(err_r, ERR_LIMIT, "address list longer than "
		    "%d bytes", ADDRLIST_TEXT_MAX);
	/* Control characters (NUL included) have no place in addresses,
	 * names or comments; obsolete syntax allowed some in quotes, but no
	 * mail program writes them. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !is_space(c)) || c == 0x7f)
			return error_set(err_r, ERR_SYNTAX, "control "
			    "character 0x%02x at offset %zu", c, i);
	}
	elem_init(&e);
	buf_init(&raw, ADDRLIST_ITEM_MAX);
	buf_init(&text, ADDRLIST_ITEM_MAX);
	rc = parse(s, len, l, &e, &raw, &text, err_r);
	elem_free(&e);
	buf_free(&raw);
	buf_free(&text);
	if (rc < 0) {
		for (i = old; i < l->n; i++) {
			free(l->v[i].addr);
			free(l->v[i].name);
		}
		l->n = old;
		if (old == 0) {
			free(l->v);
			l->v = NULL;
		}
	}
	return rc;
}

void
addrlist_clear(struct addrlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].addr);
		free(l->v[i].name);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
