/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict_parse.c: the parser of the CommuniGate Pro data format (dict.h).
 *
 * A recursive-descent parser whose recursion is bounded by DICT_DEPTH_MAX
 * (arrays and dictionaries only; every other object is a leaf), over text of
 * at most DICT_TEXT_MAX bytes.  It is pure: bytes in, a tree or an error
 * with line, column and offset out.  Accepted on input beyond the formal
 * grammar, as the vendor's Perl parser does: the wider atom character set
 * (- @ ! # % : and bytes 0x80-0xFF), several datablocks back to back as one
 * value, white space inside datablocks, an empty datablock "[]", and
 * #TPAST / #TFUTURE / #NULL#.
 */
#include "lib/compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"

struct parser {
	const char	*text;
	size_t		 len, pos;
	unsigned	 flags;
	struct error	*err;
};

static struct dval	*parse_value(struct parser *, int);

/* Fails at offset at: "<what> at line L, column C (offset O)". */
static void ATTR_FORMAT(4, 5)
perr(struct parser *ps, size_t at, enum err_kind kind, const char *fmt, ...)
{
	char what[160];
	size_t i, line = 1, col = 1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (at > ps->len)
		at = ps->len;
	for (i = 0; i < at; i++) {
		if (ps->text[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	(void)error_set(ps->err, kind, "%s at line %zu, column %zu (offset %zu)",
	    what, line, col, at);
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Atom characters accepted on input (the writer uses a narrower set). */
static bool
is_atom_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c >= 0x80 || c == '.' || c == '_' || c == '-' ||
	    c == '@' || c == '!' || c == '#' || c == '%' || c == ':';
}

static int
peek(const struct parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->text[ps->pos] : -1;
}

/* White space; with DICT_PARSE_COMMENTS also "//" to the end of the line. */
static void
skip_ws(struct parser *ps)
{
	while (ps->pos < ps->len) {
		if (is_space((unsigned char)ps->text[ps->pos]))
			ps->pos++;
		else if ((ps->flags & DICT_PARSE_COMMENTS) &&
		    ps->pos + 1 < ps->len && ps->text[ps->pos] == '/' &&
		    ps->text[ps->pos + 1] == '/') {
			while (ps->pos < ps->len && ps->text[ps->pos] != '\n')
				ps->pos++;
		} else
			break;
	}
}

/* Names what stands at the current position, for error messages. */
static void
unexpected(struct parser *ps, const char *expected)
{
	int c = peek(ps);

	if (c < 0)
		perr(ps, ps->pos, ERR_SYNTAX, "expected %s, got end of text",
		    expected);
	else if (c > 0x20 && c < 0x7f)
		perr(ps, ps->pos, ERR_SYNTAX, "expected %s, got '%c'",
		    expected, c);
	else
		perr(ps, ps->pos, ERR_SYNTAX, "expected %s, got byte 0x%02x",
		    expected, (unsigned)c);
}

/*
 * A string: an atom or a quoted string.  Returns an allocated NUL-terminated
 * copy (strings never hold NUL) and its length in *len_r, or NULL.
 */
static char *
parse_string(struct parser *ps, size_t *len_r)
{
	const char *t = ps->text;
	size_t start = ps->pos, end, n;
	char *out;
	int c, v;

	if (peek(ps) != '"') {
		while (ps->pos < ps->len && is_atom_char((unsigned char)t[ps->pos]))
			ps->pos++;
		*len_r = ps->pos - start;
		return xstrndup(t + start, ps->pos - start);
	}
	/* First find the closing quote, so the copy is sized exactly. */
	for (end = start + 1; end < ps->len && t[end] != '"'; end++)
		if (t[end] == '\\')
			end++;
	if (end >= ps->len) {
		perr(ps, start, ERR_SYNTAX, "unterminated quoted string");
		return NULL;
	}
	out = xmalloc(end - start);
	n = 0;
	for (ps->pos = start + 1; ps->pos < end; ps->pos++) {
		c = (unsigned char)t[ps->pos];
		if (c == '\0') {
			perr(ps, ps->pos, ERR_SYNTAX, "NUL byte in string");
			goto fail;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		c = (unsigned char)t[++ps->pos];
		switch (c) {
		case '"':
		case '\\':
			out[n++] = (char)c;
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
		case 'e':		/* the platform end of line: LF here */
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		default:
			if (!is_digit(c) || ps->pos + 2 >= end ||
			    !is_digit((unsigned char)t[ps->pos + 1]) ||
			    !is_digit((unsigned char)t[ps->pos + 2])) {
				perr(ps, ps->pos - 1, ERR_SYNTAX,
				    "bad escape in quoted string");
				goto fail;
			}
			v = (c - '0') * 100 + (t[ps->pos + 1] - '0') * 10 +
			    (t[ps->pos + 2] - '0');
			if (v == 0 || v > 255) {
				perr(ps, ps->pos - 1, ERR_SYNTAX,
				    "escape \\%03d is not a valid byte", v);
				goto fail;
			}
			out[n++] = (char)v;
			ps->pos += 2;
			break;
		}
	}
	out[n] = '\0';
	ps->pos = end + 1;
	*len_r = n;
	return out;
fail:
	free(out);
	return NULL;
}

static bool
is_b64_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '+' || c == '/';
}

/*
 * Datablocks: one or more "[base64]" back to back, decoded and joined.
 * White space inside the brackets is ignored; each block must be complete
 * base64 (a multiple of four characters, '=' only as final padding).
 */
static struct dval *
parse_data(struct parser *ps)
{
	struct dval *v = NULL;
	unsigned char *b64 = NULL, *out = NULL;
	size_t start, n, pad, outlen = 0, end;
	int c, got;

	while (peek(ps) == '[') {
		start = ps->pos++;
		for (end = ps->pos; end < ps->len && ps->text[end] != ']'; end++)
			;
		if (end >= ps->len) {
			perr(ps, start, ERR_SYNTAX, "unterminated datablock");
			goto out;
		}
		b64 = xrealloc(b64, end - ps->pos + 1);
		n = pad = 0;
		for (; ps->pos < end; ps->pos++) {
			c = (unsigned char)ps->text[ps->pos];
			if (is_space(c))
				continue;
			if (c == '=')
				pad++;
			else if (!is_b64_char(c) || pad > 0) {
				perr(ps, ps->pos, ERR_SYNTAX,
				    "bad character in datablock");
				goto out;
			}
			b64[n++] = (unsigned char)c;
		}
		if (n % 4 != 0 || pad > 2) {
			perr(ps, start, ERR_SYNTAX,
			    "datablock is not complete base64");
			goto out;
		}
		out = xrealloc(out, size_add(outlen, n / 4 * 3 + 1));
		got = EVP_DecodeBlock(out + outlen, b64, (int)n);
		if (got < 0 || (size_t)got != n / 4 * 3) {
			perr(ps, start, ERR_SYNTAX, "bad base64 in datablock");
			goto out;
		}
		outlen += (size_t)got - pad;
		ps->pos = end + 1;
	}
	v = dict_new_data(out, outlen);
out:
	free(b64);
	free(out);
	return v;
}

static bool
is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at the current position; -1 when they are not there. */
static int
digits(struct parser *ps, int n)
{
	int v = 0;

	for (; n > 0; n--) {
		if (!is_digit(peek(ps)))
			return -1;
		v = v * 10 + (ps->text[ps->pos++] - '0');
	}
	return v;
}

static bool
match(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if (ps->len - ps->pos < n || memcmp(ps->text + ps->pos, word, n) != 0)
		return false;
	ps->pos += n;
	return true;
}

/* "#T..." after the "#T". */
static struct dval *
parse_time(struct parser *ps, size_t start)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int d, m, y, hh = 0, mm = 0, ss = 0;
	bool has_time = false;
	int64_t t;

	if (match(ps, "PAST"))
		return dict_new_time(DICT_TIME_PAST, true);
	if (match(ps, "FUTURE"))
		return dict_new_time(DICT_TIME_FUTURE, true);
	if ((d = digits(ps, 2)) < 0 || !match(ps, "-") ||
	    (m = digits(ps, 2)) < 0 || !match(ps, "-") ||
	    (y = digits(ps, 4)) < 0)
		goto bad;
	if (peek(ps) == '_') {
		ps->pos++;
		if ((hh = digits(ps, 2)) < 0 || !match(ps, ":") ||
		    (mm = digits(ps, 2)) < 0 || !match(ps, ":") ||
		    (ss = digits(ps, 2)) < 0)
			goto bad;
		has_time = true;
	}
	if (m < 1 || m > 12 || d < 1 || y < 1970 ||
	    (unsigned)d > mdays[m - 1] + (m == 2 && is_leap((unsigned)y)) ||
	    hh > 23 || mm > 59 || ss > 59) {
		perr(ps, start, ERR_SYNTAX, "timestamp out of range");
		return NULL;
	}
	t = (int64_t)timefmt_days_from_civil(y, m, d) * 86400 +
	    hh * 3600 + mm * 60 + ss;
	return dict_new_time(t, has_time);
bad:
	perr(ps, start, ERR_SYNTAX,
	    "bad timestamp (expected #Tdd-mm-yyyy or #Tdd-mm-yyyy_hh:mm:ss)");
	return NULL;
}

/* Objects starting with '#': numbers, timestamps, #NULL#. */
static struct dval *
parse_hash(struct parser *ps)
{
	size_t start = ps->pos;
	uint64_t n = 0, limit;
	bool neg = false;
	struct dval *v;
	int c;

	ps->pos++;
	c = peek(ps);
	if (c == 'T') {
		ps->pos++;
		v = parse_time(ps, start);
	} else if (match(ps, "NULL#")) {
		v = dict_new_null();
	} else {
		if (c == '-') {
			neg = true;
			ps->pos++;
		}
		if (!is_digit(peek(ps))) {
			perr(ps, start, ERR_SYNTAX,
			    "expected a number, timestamp or #NULL# after '#'");
			return NULL;
		}
		limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		while (is_digit(c = peek(ps))) {
			if (n > (limit - (uint64_t)(c - '0')) / 10) {
				perr(ps, start, ERR_SYNTAX, "number overflows");
				return NULL;
			}
			n = n * 10 + (uint64_t)(c - '0');
			ps->pos++;
		}
		if (neg)
			v = dict_new_number(n == (uint64_t)INT64_MAX + 1 ?
			    INT64_MIN : -(int64_t)n);
		else
			v = dict_new_number((int64_t)n);
	}
	if (v != NULL && ps->pos < ps->len &&
	    is_atom_char((unsigned char)ps->text[ps->pos])) {
		perr(ps, ps->pos, ERR_SYNTAX, "unexpected character after '#' object");
		dict_free(&v);
	}
	return v;
}

static struct dval *
parse_array(struct parser *ps, int depth)
{
	struct dval *arr, *item;

	ps->pos++;			/* '(' */
	arr = dict_new_array();
	skip_ws(ps);
	if (peek(ps) == ')') {
		ps->pos++;
		return arr;
	}
	for (;;) {
		if ((item = parse_value(ps, depth)) == NULL)
			goto fail;
		dict_array_push(arr, item);
		skip_ws(ps);
		if (peek(ps) == ')') {
			ps->pos++;
			return arr;
		}
		if (peek(ps) != ',') {
			unexpected(ps, "',' or ')' after array element");
			goto fail;
		}
		ps->pos++;
		skip_ws(ps);
	}
fail:
	dict_free(&arr);
	return NULL;
}

/* Whether a key can be quoted in an error message as it is. */
static bool
printable(const char *s, size_t len)
{
	size_t i;
	int c;

	if (len > 64)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static struct dval *
parse_dict(struct parser *ps, int depth)
{
	struct dval *d, *v;
	size_t kstart, klen;
	char *key = NULL;
	int c;

	ps->pos++;			/* '{' */
	d = dict_new_dict();
	for (;;) {
		skip_ws(ps);
		c = peek(ps);
		if (c == '}') {
			ps->pos++;
			return d;
		}
		kstart = ps->pos;
		if (c != '"' && (c < 0 || c == '#' || !is_atom_char(c))) {
			unexpected(ps, "a key or '}'");
			goto fail;
		}
		if ((key = parse_string(ps, &klen)) == NULL)
			goto fail;
		if (dict_get(d, key) != NULL) {
			perr(ps, kstart, ERR_SYNTAX, "duplicate key \"%s\"",
			    printable(key, klen) ? key : "?");
			goto fail;
		}
		skip_ws(ps);
		if (peek(ps) != '=') {
			unexpected(ps, "'=' after dictionary key");
			goto fail;
		}
		ps->pos++;
		skip_ws(ps);
		if ((v = parse_value(ps, depth)) == NULL)
			goto fail;
		dict_set(d, key, v);
		free(key);
		key = NULL;
		skip_ws(ps);
		if (peek(ps) != ';') {
			unexpected(ps, "';' after dictionary value");
			goto fail;
		}
		ps->pos++;
	}
fail:
	free(key);
	dict_free(&d);
	return NULL;
}

/* One object at the current position (white space already skipped). */
static struct dval *
parse_value(struct parser *ps, int depth)
{
	char *s;
	size_t len;
	struct dval *v;
	int c = peek(ps);

	switch (c) {
	case '"':
		if ((s = parse_string(ps, &len)) == NULL)
			return NULL;
		v = dict_new_string(s, len);
		free(s);
		return v;
	case '[':
		return parse_data(ps);
	case '#':
		return parse_hash(ps);
	case '(':
	case '{':
		if (depth >= DICT_DEPTH_MAX) {
			perr(ps, ps->pos, ERR_LIMIT, "nesting deeper than %d",
			    DICT_DEPTH_MAX);
			return NULL;
		}
		return c == '(' ? parse_array(ps, depth + 1) :
		    parse_dict(ps, depth + 1);
	default:
		if (c >= 0 && is_atom_char(c)) {
			s = parse_string(ps, &len);
			v = dict_new_string(s, len);
			free(s);
			return v;
		}
		unexpected(ps, "an object");
		return NULL;
	}
}

static struct dval *
parse_top(struct parser *ps, bool prefix, size_t *used_r)
{
	struct dval *v;

	if (ps->len > DICT_TEXT_MAX) {
		(void)error_set(ps->err, ERR_LIMIT,
		    "text of %zu bytes exceeds the limit of %d", ps->len,
		    DICT_TEXT_MAX);
		return NULL;
	}
	skip_ws(ps);
	if ((v = parse_value(ps, 0)) == NULL)
		return NULL;
	if (prefix) {
		*used_r = ps->pos;
		return v;
	}
	skip_ws(ps);
	if (ps->pos != ps->len) {
		unexpected(ps, "end of text after the object");
		dict_free(&v);
	}
	return v;
}

struct dval *
dict_parse(const char *text, size_t len, unsigned flags, struct error *err_r)
{
	struct parser ps = { text, len, 0, flags, err_r };

	return parse_top(&ps, false, NULL);
}

struct dval *
dict_parse_prefix(const char *text, size_t len, size_t *used_r,
    struct error *err_r)
{
	struct parser ps = { text, len, 0, 0, err_r };
	struct dval *v;

	*used_r = 0;
	v = parse_top(&ps, true, used_r);
	return v;
}
