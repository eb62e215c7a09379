/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_parse.c: the IMAP command line and literal state machine (see
 * imap_parse.h) and sequence sets.  Each byte moves the machine one step;
 * literal data is copied in bulk.  Every dimension is bounded: command text
 * (IMAP_LINE_MAX), nesting (IMAP_NESTING_MAX), argument count
 * (IMAP_ARGS_MAX), literal count and literal size (lit_max).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "imap/imap_parse.h"

void
imap_parser_init(struct imap_parser *p, size_t lit_max)
{
	memset(p, 0, sizeof(*p));
	p->lit_max = lit_max;
	buf_init(&p->tok, IMAP_LINE_MAX + 1);
	p->state = IPS_TAG;
}

void
imap_parser_set_lit_max(struct imap_parser *p, size_t lit_max)
{
	p->lit_max = lit_max;
}

static void
list_free(struct imap_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].str);
		if (l->v[i].list != NULL) {
			list_free(l->v[i].list);
			free(l->v[i].list);
		}
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void
imap_parser_reset(struct imap_parser *p)
{
	list_free(&p->args);
	buf_reset(&p->tok);
	p->tok.max = IMAP_LINE_MAX + 1;
	p->state = IPS_TAG;
	p->depth = 0;
	p->brackets = 0;
	p->lit_len = p->lit_left = 0;
	p->lit_nonsync = p->lit8 = false;
	p->nargs = p->nliterals = p->line_bytes = 0;
	p->tag[0] = '\0';
	error_clear(&p->err);
}

void
imap_parser_free(struct imap_parser *p)
{
	list_free(&p->args);
	buf_free(&p->tok);
}

static struct imap_list *
cur_list(struct imap_parser *p)
{
	return p->depth == 0 ? &p->args : p->stack[p->depth - 1];
}

static enum imap_parse_rc
fail(struct imap_parser *p, enum err_kind kind, const char *why)
{
	p->state = IPS_ERROR;
	error_set(&p->err, kind, "%s", why);
	return IMAP_PARSE_ERROR;
}

/* Appends an argument to the current list; the token buffer's bytes are
 * moved into it for atoms, strings and literals. */
static struct imap_arg *
push_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct imap_list *l = cur_list(p);
	struct imap_arg *a;

	if (++p->nargs > IMAP_ARGS_MAX)
		return NULL;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : size_mul(l->cap, 2);
		l->v = xrealloc(l->v, size_mul(l->cap, sizeof(*l->v)));
	}
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	if (type == IMAP_ARG_LIST) {
		a->list = xcalloc(1, sizeof(*a->list));
	} else {
		a->len = p->tok.len;
		a->str = xmalloc(a->len + 1);
		if (a->len > 0)
			memcpy(a->str, p->tok.data, a->len);
		a->str[a->len] = '\0';
	}
	buf_reset(&p->tok);
	p->tok.max = IMAP_LINE_MAX + 1;
	return a;
}

/*
 * NIL stays an atom: it is also a valid astring ("SEARCH SUBJECT NIL", a
 * keyword or mailbox named NIL); commands that take nil ask
 * imap_arg_is_nil().
 */
static enum imap_parse_rc
finish_atom(struct imap_parser *p)
{
	if (push_arg(p, IMAP_ARG_ATOM) == NULL)
		return fail(p, ERR_LIMIT, "Too many arguments");
	return IMAP_PARSE_MORE;
}

static enum imap_parse_rc
open_list(struct imap_parser *p)
{
	struct imap_arg *a;

	if (p->depth >= IMAP_NESTING_MAX)
		return fail(p, ERR_LIMIT, "Too deeply nested parentheses");
	if ((a = push_arg(p, IMAP_ARG_LIST)) == NULL)
		return fail(p, ERR_LIMIT, "Too many arguments");
	p->stack[p->depth++] = a->list;
	return IMAP_PARSE_MORE;
}

static enum imap_parse_rc
close_list(struct imap_parser *p)
{
	if (p->depth == 0)
		return fail(p, ERR_SYNTAX, "Unexpected ')'");
	p->depth--;
	p->state = IPS_SEP;
	return IMAP_PARSE_MORE;
}

static enum imap_parse_rc
end_line(struct imap_parser *p)
{
	if (p->depth > 0)
		return fail(p, ERR_SYNTAX, "Missing ')'");
	p->state = IPS_LF;
	return IMAP_PARSE_MORE;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 3501 9: tag = 1*<any ASTRING-CHAR except "+">. */
static bool
is_tag_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '%' && c != '*' && c != '"' && c != '\\' && c != '+';
}

static enum imap_parse_rc
step(struct imap_parser *p, unsigned char c)
{
	switch (p->state) {
	case IPS_TAG:
		if (c == ' ' || c == '\r') {
			if (p->tok.len == 0)
				return fail(p, ERR_SYNTAX, "Missing tag");
			memcpy(p->tag, p->tok.data, p->tok.len);
			p->tag[p->tok.len] = '\0';
			if (push_arg(p, IMAP_ARG_ATOM) == NULL)
				return fail(p, ERR_LIMIT, "Too many arguments");
			if (c == '\r')
				return end_line(p);
			p->state = IPS_ARG;
			return IMAP_PARSE_MORE;
		}
		if (!is_tag_char(c))
			return fail(p, ERR_SYNTAX, "Invalid tag");
		if (p->tok.len >= IMAP_TAG_MAX)
			return fail(p, ERR_LIMIT, "Tag too long");
		buf_putc(&p->tok, (char)c);
		return IMAP_PARSE_MORE;
	case IPS_ARG:
		switch (c) {
		case ' ':		/* tolerate doubled spaces */
			return IMAP_PARSE_MORE;
		case '(':
			return open_list(p);
		case ')':
			return close_list(p);
		case '"':
			p->state = IPS_QUOTED;
			return IMAP_PARSE_MORE;
		case '{':
			p->lit8 = false;
			p->lit_len = 0;
			p->lit_nonsync = false;
			p->lit_digits = 0;
			p->state = IPS_LIT_LEN;
			return IMAP_PARSE_MORE;
		case '~':
			p->state = IPS_LIT8;
			return IMAP_PARSE_MORE;
		case '\r':
			return end_line(p);
		default:
			break;
		}
		if (is_ctl(c))
			return fail(p, ERR_SYNTAX, "Control character in command");
		p->state = IPS_ATOM;
		/* FALLTHROUGH */
	case IPS_ATOM:
		switch (c) {
		case ' ':
			p->state = IPS_ARG;
			return finish_atom(p);
		case ')':
			if (finish_atom(p) == IMAP_PARSE_ERROR)
				return IMAP_PARSE_ERROR;
			return close_list(p);
		case '\r':
			if (finish_atom(p) == IMAP_PARSE_ERROR)
				return IMAP_PARSE_ERROR;
			return end_line(p);
		case '(':
		case '"':
			return fail(p, ERR_SYNTAX, "Unexpected character in atom");
		case '[':
			p->brackets = 1;
			p->state = IPS_ATOM_BRACKET;
			break;
		default:
			if (is_ctl(c))
				return fail(p, ERR_SYNTAX,
				    "Control character in command");
			break;
		}
		buf_putc(&p->tok, (char)c);
		return IMAP_PARSE_MORE;
	case IPS_ATOM_BRACKET:
		if (c == '\r') {
			/*
			 * '[' is an ordinary ATOM-CHAR (only ']' is a
			 * resp-special): "foo[}" is a whole atom, not an
			 * unclosed section.
			 */
			if (finish_atom(p) == IMAP_PARSE_ERROR)
				return IMAP_PARSE_ERROR;
			return end_line(p);
		}
		if (is_ctl(c))
			return fail(p, ERR_SYNTAX, "Missing ']'");
		if (c == '[') {
			if (p->brackets >= IMAP_NESTING_MAX)
				return fail(p, ERR_LIMIT,
				    "Too deeply nested brackets");
			p->brackets++;
		} else if (c == ']' && --p->brackets == 0)
			p->state = IPS_ATOM;
		buf_putc(&p->tok, (char)c);
		return IMAP_PARSE_MORE;
	case IPS_QUOTED:
		if (c == '\\') {
			p->state = IPS_QUOTED_ESC;
			return IMAP_PARSE_MORE;
		}
		if (c == '"') {
			if (push_arg(p, IMAP_ARG_STRING) == NULL)
				return fail(p, ERR_LIMIT, "Too many arguments");
			p->state = IPS_SEP;
			return IMAP_PARSE_MORE;
		}
		if (c == '\r' || c == '\n' || c == '\0')
			return fail(p, ERR_SYNTAX, "Unterminated quoted string");
		buf_putc(&p->tok, (char)c);
		return IMAP_PARSE_MORE;
	case IPS_QUOTED_ESC:
		/* RFC 3501 9: only quoted-specials may be escaped. */
		if (c != '"' && c != '\\')
			return fail(p, ERR_SYNTAX, "Invalid escape in quoted string");
		buf_putc(&p->tok, (char)c);
		p->state = IPS_QUOTED;
		return IMAP_PARSE_MORE;
	case IPS_LIT8:
		if (c != '{') {
			/* an atom that starts with '~' ("~peter/mail") */
			buf_putc(&p->tok, '~');
			p->state = IPS_ATOM;
			return step(p, c);
		}
		p->lit8 = true;
		p->lit_len = 0;
		p->lit_nonsync = false;
		p->lit_digits = 0;
		p->state = IPS_LIT_LEN;
		return IMAP_PARSE_MORE;
	case IPS_LIT_LEN:
		if (c >= '0' && c <= '9') {
			/*
			 * Never fail here: the announcement must reach the
			 * session, which refuses it as a whole (BAD + BYE
			 * for {n+}, whose data is on its way; NO without
			 * the "+" for {n}).  A syntax error here would let
			 * the literal's bytes be read as commands.  The size
			 * saturates at IMAP_LITERAL_HUGE (any number of
			 * digits, leading zeros allowed: RFC 3501 number).
			 */
			unsigned d = (unsigned)(c - '0');

			p->lit_digits++;
			if (p->lit_len > (IMAP_LITERAL_HUGE - d) / 10)
				p->lit_len = IMAP_LITERAL_HUGE;
			else
				p->lit_len = p->lit_len * 10 + d;
			return IMAP_PARSE_MORE;
		}
		if (p->lit_digits == 0)
			return fail(p, ERR_SYNTAX, "Invalid literal size");
		if (c == '+') {
			p->lit_nonsync = true;
			p->state = IPS_LIT_CLOSE;
			return IMAP_PARSE_MORE;
		}
		/* FALLTHROUGH */
	case IPS_LIT_CLOSE:
		if (c != '}')
			return fail(p, ERR_SYNTAX, "Invalid literal size");
		p->state = IPS_LIT_CR;
		return IMAP_PARSE_MORE;
	case IPS_LIT_CR:
		if (c != '\r')
			return fail(p, ERR_SYNTAX,
			    "Literal announcement must end the line");
		p->state = IPS_LIT_LF;
		return IMAP_PARSE_MORE;
	case IPS_LIT_LF:
		if (c != '\n')
			return fail(p, ERR_SYNTAX, "Expected LF");
		if (++p->nliterals > IMAP_LITERALS_MAX)
			return fail(p, ERR_LIMIT, "Too many literals");
		p->lit_left = p->lit_len;
		p->state = IPS_LIT_DATA;
		return IMAP_PARSE_LITERAL;
	case IPS_SEP:
		if (c == ' ') {
			p->state = IPS_ARG;
			return IMAP_PARSE_MORE;
		}
		if (c == ')')
			return close_list(p);
		if (c == '\r')
			return end_line(p);
		return fail(p, ERR_SYNTAX, "Missing space between arguments");
	case IPS_LF:
		if (c != '\n')
			return fail(p, ERR_SYNTAX, "Expected LF after CR");
		p->state = IPS_DONE;
		return IMAP_PARSE_DONE;
	case IPS_LIT_DATA:
	case IPS_DONE:
	case IPS_ERROR:
		break;
	}
	return fail(p, ERR_INTERNAL, "parser misuse");
}

static enum imap_parse_rc
literal_done(struct imap_parser *p)
{
	struct imap_arg *a = push_arg(p, IMAP_ARG_LITERAL);

	if (a == NULL)
		return fail(p, ERR_LIMIT, "Too many arguments");
	a->literal8 = p->lit8;
	p->state = IPS_SEP;
	return IMAP_PARSE_MORE;
}

enum imap_parse_rc
imap_parser_feed(struct imap_parser *p, const char *data, size_t len,
    size_t *used_r)
{
	enum imap_parse_rc rc = IMAP_PARSE_MORE;
	size_t i = 0, n;

	if (p->state == IPS_ERROR) {
		*used_r = 0;
		return IMAP_PARSE_ERROR;
	}
	while (i < len) {
		if (p->state == IPS_DONE) {
			rc = IMAP_PARSE_DONE;
			break;
		}
		if (p->state == IPS_LIT_DATA) {
			if (p->lit_len > p->lit_max) {
				rc = fail(p, ERR_LIMIT, "Literal too big");
				break;
			}
			p->tok.max = p->lit_max + 1;
			n = len - i;
			if (n > p->lit_left)
				n = (size_t)p->lit_left;
			buf_append(&p->tok, data + i, n);
			if (p->tok.err != 0) {
				rc = fail(p, ERR_LIMIT, "Literal too big");
				break;
			}
			i += n;
			p->lit_left -= n;
			if (p->lit_left == 0 &&
			    (rc = literal_done(p)) == IMAP_PARSE_ERROR)
				break;
			continue;
		}
		if (++p->line_bytes > IMAP_LINE_MAX) {
			rc = fail(p, ERR_LIMIT, "Command line too long");
			break;
		}
		rc = step(p, (unsigned char)data[i++]);
		if (rc == IMAP_PARSE_LITERAL) {
			/* A zero-length literal is complete at once. */
			if (p->lit_len == 0 && literal_done(p) ==
			    IMAP_PARSE_ERROR)
				rc = IMAP_PARSE_ERROR;
			break;
		}
		if (rc != IMAP_PARSE_MORE)
			break;
	}
	*used_r = i;
	return rc;
}

enum imap_parse_rc
imap_parse_all(struct imap_parser *p, const char *data, size_t len)
{
	enum imap_parse_rc rc = IMAP_PARSE_MORE;
	size_t used, off = 0;

	while (off < len) {
		rc = imap_parser_feed(p, data + off, len - off, &used);
		off += used;
		if (rc == IMAP_PARSE_LITERAL) {
			if (p->lit_len > p->lit_max)
				return fail(p, ERR_LIMIT, "Literal too big");
			rc = IMAP_PARSE_MORE;
			continue;
		}
		if (rc != IMAP_PARSE_MORE)
			return rc;
	}
	return rc;
}

bool
imap_arg_is_atom(const struct imap_arg *a, const char *s)
{
	return a != NULL && a->type == IMAP_ARG_ATOM &&
	    strcasecmp(a->str, s) == 0;
}

bool
imap_arg_is_astring(const struct imap_arg *a)
{
	return a != NULL && (a->type == IMAP_ARG_ATOM ||
	    a->type == IMAP_ARG_STRING || a->type == IMAP_ARG_LITERAL);
}

bool
imap_arg_is_nil(const struct imap_arg *a)
{
	return a != NULL && a->type == IMAP_ARG_ATOM && a->len == 3 &&
	    strcasecmp(a->str, "NIL") == 0;
}

bool
imap_arg_is_string(const struct imap_arg *a)
{
	return a != NULL && (a->type == IMAP_ARG_STRING ||
	    a->type == IMAP_ARG_LITERAL);
}

void
imap_args_write(struct buf *out, const struct imap_arg *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		switch (v[i].type) {
		case IMAP_ARG_ATOM:
			buf_append(out, v[i].str, v[i].len);
			break;
		case IMAP_ARG_STRING:
			buf_putc(out, '"');
			for (j = 0; j < v[i].len; j++) {
				if (v[i].str[j] == '"' || v[i].str[j] == '\\')
					buf_putc(out, '\\');
				buf_putc(out, v[i].str[j]);
			}
			buf_putc(out, '"');
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(out, "%s{%zu}\r\n", v[i].literal8 ? "~" : "",
			    v[i].len);
			buf_append(out, v[i].str, v[i].len);
			break;
		case IMAP_ARG_LIST:
			buf_putc(out, '(');
			imap_args_write(out, v[i].list->v, v[i].list->n);
			buf_putc(out, ')');
			break;
		}
	}
}

/* ---- sequence sets ---- */

static int
seq_number(struct strv s, uint32_t star, uint32_t *n_r)
{
	uint64_t v;

	if (s.len == 1 && s.p[0] == '*') {
		*n_r = star;
		return 0;
	}
	if (s.len == 0 || s.len > 10 || s.p[0] == '0' ||
	    strv_to_u64(s, &v) < 0 || v > UINT32_MAX)
		return -1;
	*n_r = (uint32_t)v;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int
imap_seqset_parse(struct strv s, uint32_t star, struct imap_seqset *r,
    struct error *err_r)
{
	struct strv rest = s, item, lo, hi;
	struct imap_range *v = NULL;
	size_t n = 0, cap = 0, i, out;
	uint32_t a, b, t;

	r->v = NULL;
	r->n = 0;
	if (s.len == 0)
		return error_set(err_r, ERR_SYNTAX, "Empty sequence set");
	if (s.len == 1 && s.p[0] == '$')
		return error_set(err_r, ERR_SYNTAX,
		    "Saved search results are not supported");
	while (rest.p != NULL) {
		rest = strv_split(rest, ',', &item);
		hi = strv_split(item, ':', &lo);
		if (seq_number(lo, star, &a) < 0 || (hi.p != NULL &&
		    seq_number(hi, star, &b) < 0)) {
			free(v);
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid sequence set");
		}
		if (hi.p == NULL)
			b = a;
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (n >= IMAP_SEQSET_MAX) {
			free(v);
			return error_set(err_r, ERR_LIMIT,
			    "Sequence set too long");
		}
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xrealloc(v, size_mul(cap, sizeof(*v)));
		}
		v[n].lo = a;
		v[n].hi = b;
		n++;
	}
	qsort(v, n, sizeof(*v), range_cmp);
	for (i = 1, out = 0; i < n; i++) {
		if (v[i].lo <= v[out].hi ||
		    (v[out].hi != UINT32_MAX && v[i].lo == v[out].hi + 1)) {
			if (v[i].hi > v[out].hi)
				v[out].hi = v[i].hi;
		} else
			v[++out] = v[i];
	}
	r->v = v;
	r->n = n > 0 ? out + 1 : 0;
	return 0;
}

bool
imap_seqset_contains(const struct imap_seqset *s, uint32_t n)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n < s->v[mid].lo)
			hi = mid;
		else if (n > s->v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
imap_seqset_free(struct imap_seqset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

size_t
imap_seqset_write_run(struct buf *out, const uint32_t *v, size_t n, size_t i)
{
	size_t j = i;

	while (j + 1 < n && v[j + 1] == v[j] + 1)
		j++;
	if (i > 0)
		buf_putc(out, ',');
	if (j > i)
		buf_printf(out, "%u:%u", v[i], v[j]);
	else
		buf_printf(out, "%u", v[i]);
	return j + 1;
}

void
imap_seqset_write_list(struct buf *out, const uint32_t *v, size_t n)
{
	size_t i = 0;

	while (i < n)
		i = imap_seqset_write_run(out, v, n, i);
}
