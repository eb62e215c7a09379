/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime.c: MIME message parser (see mime.h).  The parser walks a message held
 * in memory: a header block (fields until the first empty line), then a body
 * that is split at boundary delimiter lines for multipart types (RFC 2046
 * 5.1.1) or parsed as a whole message for message/rfc822.  Each part's
 * region is fixed by its parent before the part itself is parsed, so an
 * inner multipart never reads past an outer boundary, and a missing close
 * delimiter simply lets the last part run to the end of its region.  The
 * ENVELOPE and BODYSTRUCTURE writers live in imap/imap_mime.c.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"

struct parse_ctx {
	struct mime_message *msg;
};

/* ---- header block ---- */

void
mime_header_iter_init(struct mime_header_iter *it, const char *data,
    size_t off, size_t len)
{
	it->data = data;
	it->pos = off;
	it->end = off + len;
	it->count = 0;
}

/* End of the line starting at pos: index of its LF, or end. */
static size_t
line_end(const char *data, size_t pos, size_t end)
{
	const char *q = pos < end ? memchr(data + pos, '\n', end - pos) : NULL;

	return q == NULL ? end : (size_t)(q - data);
}

/* True when data[pos..] is an empty line ("\n", "\r\n") or pos == end. */
static bool
empty_line(const char *data, size_t pos, size_t end)
{
	if (pos >= end)
		return true;
	if (data[pos] == '\n')
		return true;
	return data[pos] == '\r' && pos + 1 < end && data[pos + 1] == '\n';
}

bool
mime_header_next(struct mime_header_iter *it, struct strv *name_r,
    struct strv *value_r)
{
	const char *d = it->data;

	while (it->pos < it->end && it->count < MIME_HEADERS_MAX) {
		size_t ls = it->pos, le = line_end(d, ls, it->end);
		size_t colon, vs, ve, ne;
		const char *c;

		if (empty_line(d, ls, it->end))
			return false;
		it->pos = le < it->end ? le + 1 : le;
		if (d[ls] == ' ' || d[ls] == '\t')
			continue;		/* stray continuation */
		c = memchr(d + ls, ':', le - ls);
		if (c == NULL)
			continue;		/* not a field; skip the junk line */
		colon = (size_t)(c - d);
		ne = colon;
		while (ne > ls && (d[ne - 1] == ' ' || d[ne - 1] == '\t'))
			ne--;
		if (ne == ls)
			continue;
		/* The value runs over continuation lines. */
		vs = colon + 1;
		while (it->pos < it->end &&
		    (d[it->pos] == ' ' || d[it->pos] == '\t'))
			it->pos = line_end(d, it->pos, it->end) + 1;
		if (it->pos > it->end)
			it->pos = it->end;
		ve = it->pos;
		if (ve > vs && d[ve - 1] == '\n')
			ve--;
		if (ve > vs && d[ve - 1] == '\r')
			ve--;
		it->count++;
		*name_r = strv_make(d + ls, ne - ls);
		*value_r = strv_make(d + vs, ve > vs ? ve - vs : 0);
		return true;
	}
	return false;
}

void
mime_unfold(struct strv raw, struct buf *out)
{
	size_t i, start = out->len, added = 0;

	for (i = 0; i < raw.len && added < MIME_HEADER_VALUE_MAX; i++) {
		char ch = raw.p[i];

		if (ch == '\r' || ch == '\n' || ch == '\0')
			continue;
		if ((ch == ' ' || ch == '\t') && out->len == start)
			continue;		/* leading white space */
		buf_putc(out, ch);
		added++;
	}
	while (out->len > start &&
	    (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\t'))
		out->len--;
	if (out->data != NULL)
		out->data[out->len] = '\0';
}

bool
mime_header_get(const char *data, size_t off, size_t len, const char *name,
    struct buf *out)
{
	struct mime_header_iter it;
	struct strv n, v;

	mime_header_iter_init(&it, data, off, len);
	while (mime_header_next(&it, &n, &v)) {
		if (strv_caseeq_cstr(n, name)) {
			buf_reset(out);
			mime_unfold(v, out);
			return true;
		}
	}
	return false;
}

/* ---- parameters (RFC 2045 5.1, RFC 2231) ---- */

/* Skips white space and RFC 822 comments. */
static size_t
skip_cfws(const char *s, size_t i, size_t n)
{
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '(') {
			unsigned lvl = 0;

			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == '(')
					lvl++;
				else if (s[i] == ')' && --lvl == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		return i;
	}
}

/* Reads a token or quoted string at s[*ip]; returns an owned copy. */
static char *
read_value(const char *s, size_t *ip, size_t n, bool value)
{
	struct buf b;
	size_t i = *ip;

	buf_init(&b, MIME_HEADER_VALUE_MAX);
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			buf_putc(&b, s[i]);
		}
		if (i < n)
			i++;
	} else {
		for (; i < n; i++) {
			char c = s[i];

			if (c == ' ' || c == '\t' || c == ';' || c == '"' ||
			    c == '(')
				break;
			if (!value && (c == '=' || c == '/'))
				break;
			buf_putc(&b, c);
		}
	}
	*ip = i;
	return buf_steal(&b);		/* NULL when empty */
}

static char *
steal_or_empty(struct buf *b)
{
	char *p = buf_steal(b);

	return p != NULL ? p : xstrdup("");
}

/* Splits "name*N" / "name*N*" into base length and section; -1 if not. */
static long
rfc2231_section(const char *name, size_t *baselen_r, bool *ext_r)
{
	const char *star = strchr(name, '*');
	const char *p;
	long sec = 0;

	if (star == NULL || star[1] < '0' || star[1] > '9')
		return -1;
	for (p = star + 1; *p >= '0' && *p <= '9'; p++) {
		sec = sec * 10 + (*p - '0');
		if (sec > 1000)
			return -1;
	}
	if (*p == '*' && p[1] == '\0')
		*ext_r = true;
	else if (*p == '\0')
		*ext_r = false;
	else
		return -1;
	*baselen_r = (size_t)(star - name);
	return sec;
}

/* Merges RFC 2231 continuations (name*0, name*1*, ...) into one param. */
static void
rfc2231_merge(struct mime_param *v, size_t *np)
{
	size_t i, j, n = *np;

	for (i = 0; i < n; i++) {
		size_t blen, blen2;
		bool ext, ext0 = false, ext2;
		long sec;
		struct buf val;
		long want;

		if (rfc2231_section(v[i].name, &blen, &ext) != 0)
			continue;
		ext0 = ext;
		buf_init(&val, MIME_HEADER_VALUE_MAX);
		buf_puts(&val, v[i].value);
		/* Append sections 1, 2, ... in order; sections may be sent
		 * out of order, so look for each in turn. */
		for (want = 1; ; want++) {
			bool found = false;

			for (j = 0; j < n; j++) {
				if (j == i)
					continue;
				sec = rfc2231_section(v[j].name, &blen2, &ext2);
				if (sec != want || blen2 != blen ||
				    strncasecmp(v[j].name, v[i].name, blen) != 0)
					continue;
				buf_puts(&val, v[j].value);
				free(v[j].name);
				free(v[j].value);
				memmove(&v[j], &v[j + 1],
				    (n - j - 1) * sizeof(*v));
				n--;
				if (j < i)
					i--;
				found = true;
				break;
			}
			if (!found)
				break;
		}
		v[i].name[blen] = ext0 ? '*' : '\0';
		if (ext0)
			v[i].name[blen + 1] = '\0';
		free(v[i].value);
		v[i].value = steal_or_empty(&val);
	}
	*np = n;
}

/* Parses "; a=b; c="d"" from s[i..n) into an owned parameter array. */
static void
parse_params(const char *s, size_t i, size_t n, struct mime_param **v_r,
    size_t *n_r)
{
	struct mime_param *v = NULL;
	size_t nv = 0;

	while (i < n) {
		char *name, *value;

		i = skip_cfws(s, i, n);
		if (i < n && s[i] == ';') {
			i++;
			continue;
		}
		if (i >= n)
			break;
		name = read_value(s, &i, n, false);
		if (name == NULL || *name == '\0') {
			free(name);
			i++;			/* skip a stray special */
			continue;
		}
		i = skip_cfws(s, i, n);
		if (i >= n || s[i] != '=') {
			free(name);		/* attribute without value */
			continue;
		}
		i = skip_cfws(s, i + 1, n);
		value = read_value(s, &i, n, true);
		if (value == NULL)
			value = xstrdup("");
		if (nv == MIME_PARAMS_MAX) {
			free(name);
			free(value);
			continue;
		}
		v = xrealloc(v, (nv + 1) * sizeof(*v));
		v[nv].name = name;
		v[nv].value = value;
		nv++;
	}
	rfc2231_merge(v, &nv);
	*v_r = v;
	*n_r = nv;
}

const char *
mime_param_get(const struct mime_param *params, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(params[i].name, name) == 0)
			return params[i].value;
	return NULL;
}

static void
free_params(struct mime_param *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* Content-Type: type "/" subtype *(";" parameter).  Leaves defaults in
 * place when the value is unusable. */
static void
parse_content_type(struct mime_part *p, const char *s, size_t n)
{
	size_t i = skip_cfws(s, 0, n);
	char *type, *sub;

	type = read_value(s, &i, n, false);
	i = skip_cfws(s, i, n);
	if (type == NULL || *type == '\0' || i >= n || s[i] != '/') {
		free(type);
		return;
	}
	i = skip_cfws(s, i + 1, n);
	sub = read_value(s, &i, n, false);
	if (sub == NULL || *sub == '\0') {
		free(type);
		free(sub);
		return;
	}
	free(p->type);
	free(p->subtype);
	p->type = type;
	p->subtype = sub;
	p->ctype_given = true;
	parse_params(s, i, n, &p->params, &p->nparams);
}

static void
parse_disposition(struct mime_part *p, const char *s, size_t n)
{
	size_t i = skip_cfws(s, 0, n);
	char *d = read_value(s, &i, n, false);

	if (d == NULL || *d == '\0') {
		free(d);
		return;
	}
	free(p->disposition);
	free_params(p->disp_params, p->ndisp_params);
	p->disposition = d;
	parse_params(s, i, n, &p->disp_params, &p->ndisp_params);
}

/* Stores a single-valued field (first occurrence wins). */
static void
set_field(char **fieldp, struct buf *val)
{
	if (*fieldp == NULL)
		*fieldp = xstrndup(buf_cstr(val), val->len);
}

static void
parse_headers(struct mime_part *p, const char *data)
{
	struct mime_header_iter it;
	struct strv name, raw;
	struct buf val;
	bool ct = false, cd = false;

	buf_init(&val, MIME_HEADER_VALUE_MAX + 1);
	mime_header_iter_init(&it, data, p->hdr_off, p->hdr_len);
	while (mime_header_next(&it, &name, &raw)) {
		if (!strv_has_prefix_case(name, "content-"))
			continue;
		buf_reset(&val);
		mime_unfold(raw, &val);
		if (strv_caseeq_cstr(name, "content-type") && !ct) {
			ct = true;
			parse_content_type(p, buf_cstr(&val), val.len);
		} else if (strv_caseeq_cstr(name, "content-disposition") &&
		    !cd) {
			cd = true;
			parse_disposition(p, buf_cstr(&val), val.len);
		} else if (strv_caseeq_cstr(name, "content-id"))
			set_field(&p->id, &val);
		else if (strv_caseeq_cstr(name, "content-description"))
			set_field(&p->description, &val);
		else if (strv_caseeq_cstr(name, "content-transfer-encoding"))
			set_field(&p->encoding, &val);
		else if (strv_caseeq_cstr(name, "content-language"))
			set_field(&p->language, &val);
		else if (strv_caseeq_cstr(name, "content-location"))
			set_field(&p->location, &val);
	}
	buf_free(&val);
}

/* ---- body structure ---- */

static size_t
count_lines(const char *s, size_t n)
{
	const char *q = s, *e = s + n;
	size_t lines = 0;

	/* memchr: several bytes per step, not one (delivery parses every
	 * message it stores) */
	while (q < e && (q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
		lines++;
		q++;
	}
	if (n > 0 && s[n - 1] != '\n')
		lines++;
	return lines;
}

/*
 * If a delimiter line "--boundary" or "--boundary--" starts at ls, returns
 * true, sets *close_r and *next_r (start of the following line).
 */
static bool
is_delimiter(const char *d, size_t ls, size_t end, const char *b, size_t bl,
    bool *close_r, size_t *next_r)
{
	size_t i;

	if (end - ls < 2 + bl || d[ls] != '-' || d[ls + 1] != '-' ||
	    memcmp(d + ls + 2, b, bl) != 0)
		return false;
	i = ls + 2 + bl;
	*close_r = false;
	if (i + 1 < end && d[i] == '-' && d[i + 1] == '-') {
		*close_r = true;
		i += 2;
	}
	/* RFC 2046: only transport padding may follow on the line. */
	while (i < end && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r'))
		i++;
	if (i < end && d[i] != '\n')
		return false;
	*next_r = i < end ? i + 1 : end;
	return true;
}

static struct mime_part *new_part(struct parse_ctx *, struct mime_part *,
	    unsigned);
static void parse_part(struct parse_ctx *, struct mime_part *, size_t,
	    size_t, bool);

/* End of a part's body: before the line break preceding ls, not before
 * start. */
static size_t
body_end_before(const char *d, size_t start, size_t ls)
{
	size_t e = ls;

	if (e > start && d[e - 1] == '\n') {
		e--;
		if (e > start && d[e - 1] == '\r')
			e--;
	}
	return e;
}

static void
split_multipart(struct parse_ctx *ctx, struct mime_part *p, const char *b)
{
	const char *d = ctx->msg->data;
	size_t bl = strlen(b), pos = p->body_off;
	size_t end = p->body_off + p->body_len;
	size_t part_start = 0;
	bool in_part = false, close = false, digest;
	struct mime_part **tail = &p->child;

	digest = strcasecmp(p->subtype, "digest") == 0;
	while (pos < end) {
		size_t next;

		if (is_delimiter(d, pos, end, b, bl, &close, &next)) {
			if (in_part) {
				struct mime_part *c = new_part(ctx, p,
				    p->depth + 1);

				if (c == NULL)
					return;
				*tail = c;
				tail = &c->next;
				parse_part(ctx, c, part_start,
				    body_end_before(d, part_start, pos),
				    digest);
			}
			if (close)
				return;		/* the rest is epilogue */
			in_part = true;
			part_start = next;
			pos = next;
			continue;
		}
		pos = line_end(d, pos, end) + 1;
	}
	if (in_part) {			/* no close delimiter: runs to the end */
		struct mime_part *c = new_part(ctx, p, p->depth + 1);

		if (c == NULL)
			return;
		*tail = c;
		parse_part(ctx, c, part_start < end ? part_start : end, end,
		    digest);
	}
}

static struct mime_part *
new_part(struct parse_ctx *ctx, struct mime_part *parent, unsigned depth)
{
	struct mime_part *p;

	if (ctx->msg->nparts >= MIME_PARTS_MAX) {
		ctx->msg->truncated = true;
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->parent = parent;
	p->depth = depth;
	ctx->msg->nparts++;
	return p;
}

/* Parses the part occupying data[start, end): headers, then body. */
static void
parse_part(struct parse_ctx *ctx, struct mime_part *p, size_t start,
    size_t end, bool in_digest)
{
	const char *d = ctx->msg->data;
	size_t pos = start;
	const char *boundary;

	/* Header block: until an empty line (or the end of the region). */
	p->hdr_off = start;
	if (empty_line(d, pos, end) && pos < end)
		pos = line_end(d, pos, end) + 1;
	else {
		while (pos < end) {
			size_t le = line_end(d, pos, end);

			pos = le < end ? le + 1 : end;
			if (empty_line(d, pos, end)) {
				if (pos < end)
					pos = line_end(d, pos, end) + 1;
				break;
			}
		}
	}
	if (pos > end)
		pos = end;
	p->hdr_len = pos - start;
	p->body_off = pos;
	p->body_len = end - pos;
	p->body_lines = count_lines(d + pos, p->body_len);
	p->type = xstrdup(in_digest ? "message" : "text");
	p->subtype = xstrdup(in_digest ? "rfc822" : "plain");
	parse_headers(p, d);

	/* A multipart is written as one even when it cannot be split (no
	 * boundary, too deep): BODYSTRUCTURE then shows an empty part. */
	p->is_multipart = strcasecmp(p->type, "multipart") == 0;
	if (p->depth + 1 >= MIME_DEPTH_MAX) {
		if (p->is_multipart || strcasecmp(p->type, "message") == 0)
			ctx->msg->truncated = true;
		return;
	}
	if (p->is_multipart) {
		boundary = mime_param_get(p->params, p->nparams, "boundary");
		if (boundary == NULL || *boundary == '\0' ||
		    strlen(boundary) > MIME_BOUNDARY_MAX)
			return;
		split_multipart(ctx, p, boundary);
	} else if (strcasecmp(p->type, "message") == 0 &&
	    (strcasecmp(p->subtype, "rfc822") == 0 ||
	    strcasecmp(p->subtype, "global") == 0)) {
		struct mime_part *c = new_part(ctx, p, p->depth + 1);

		if (c == NULL)
			return;
		p->is_message = true;
		p->child = c;
		parse_part(ctx, c, p->body_off, end, false);
	}
}

struct mime_message *
mime_parse(const char *data, size_t len)
{
	struct mime_message *msg = xcalloc(1, sizeof(*msg));
	struct parse_ctx ctx = { msg };

	msg->data = data != NULL ? data : "";
	msg->len = data != NULL ? len : 0;
	msg->root = new_part(&ctx, NULL, 0);
	parse_part(&ctx, msg->root, 0, msg->len, false);
	return msg;
}

static void
free_part(struct mime_part *p)
{
	while (p != NULL) {
		struct mime_part *next = p->next;

		free_part(p->child);
		free(p->type);
		free(p->subtype);
		free_params(p->params, p->nparams);
		free(p->id);
		free(p->description);
		free(p->encoding);
		free(p->disposition);
		free_params(p->disp_params, p->ndisp_params);
		free(p->language);
		free(p->location);
		free(p);
		p = next;
	}
}

void
mime_free(struct mime_message **msgp)
{
	if (*msgp == NULL)
		return;
	free_part((*msgp)->root);
	free(*msgp);
	*msgp = NULL;
}

/* ---- transfer encodings and encoded words ---- */

int
mime_base64_value(unsigned char c, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == (unsigned char)c63)
		return 63;
	return -1;
}

void
mime_decode_base64(const char *p, size_t n, struct buf *out)
{
	unsigned acc = 0, bits = 0;
	size_t i;

	for (i = 0; i < n && p[i] != '='; i++) {
		int v = mime_base64_value((unsigned char)p[i], '/');

		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

void
mime_decode_qp(const char *p, size_t n, struct buf *out)
{
	size_t i, j, ws = SIZE_MAX;	/* start of trailing literal blanks */
	int c;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			/* RFC 2045 6.7 (3): white space at the end of an
			 * encoded line is padding; a decoder deletes it */
			if (ws != SIZE_MAX && out->err == 0) {
				out->len = ws;
				out->data[ws] = '\0';
			}
			ws = SIZE_MAX;
			buf_putc(out, p[i]);
			continue;
		}
		if (p[i] == ' ' || p[i] == '\t') {
			if (ws == SIZE_MAX)
				ws = out->len;
			buf_putc(out, p[i]);
			continue;
		}
		ws = SIZE_MAX;
		if (p[i] != '=') {
			buf_putc(out, p[i]);
			continue;
		}
		/* soft line break: "=" then optional white space, CRLF */
		for (j = i + 1; j < n && (p[j] == ' ' || p[j] == '\t'); j++)
			;
		if (j < n && (p[j] == '\r' || p[j] == '\n')) {
			if (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')
				j++;
			i = j;
			continue;
		}
		if (j >= n) {
			i = j;
			continue;
		}
		if ((c = hex_pair_value(p + i + 1, n - i - 1)) >= 0) {
			buf_putc(out, (char)c);
			i += 2;
		} else
			buf_putc(out, '=');
	}
}

void
mime_decode_cte(const char *cte, const char *p, size_t n, struct buf *out)
{
	if (cte != NULL && strcasecmp(cte, "base64") == 0)
		mime_decode_base64(p, n, out);
	else if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		mime_decode_qp(p, n, out);
	else
		buf_append(out, p, n);
}

/* RFC 2047 4.2: the "Q" encoding; "_" is a space, no soft line breaks. */
static void
decode_q(const char *p, size_t n, struct buf *out)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		if (p[i] == '_')
			buf_putc(out, ' ');
		else if (p[i] == '=' &&
		    (c = hex_pair_value(p + i + 1, n - i - 1)) >= 0) {
			buf_putc(out, (char)c);
			i += 2;
		} else
			buf_putc(out, p[i]);
	}
}

/*
 * If p[i] starts an encoded word, fills its charset (NUL-terminated, RFC
 * 2231 language cut), encoding letter and text span, and returns the index
 * after its "?="; returns 0 when it is not one.
 */
static size_t
encoded_word(const char *p, size_t n, size_t i,
    char charset[MIME_CHARSET_NAME_MAX], char *enc_r, size_t *text_r,
    size_t *text_len_r)
{
	const char *q1, *end;
	size_t cs = i + 2, t;
	char *star;

	if (p[i] != '=' || i + 1 >= n || p[i + 1] != '?')
		return 0;
	q1 = memchr(p + cs, '?', n - cs);
	if (q1 == NULL || (size_t)(q1 - p) + 3 >= n || q1[2] != '?' ||
	    (size_t)(q1 - p) - cs >= MIME_CHARSET_NAME_MAX)
		return 0;
	t = (size_t)(q1 - p) + 3;
	end = memmem(p + t, n - t, "?=", 2);
	if (end == NULL)
		return 0;
	memcpy(charset, p + cs, (size_t)(q1 - p) - cs);
	charset[(size_t)(q1 - p) - cs] = '\0';
	if ((star = strchr(charset, '*')) != NULL)
		*star = '\0';
	*enc_r = q1[1];
	*text_r = t;
	*text_len_r = (size_t)(end - p) - t;
	return (size_t)(end - p) + 2;
}

static bool
words_ws(char c, bool fold)
{
	return c == ' ' || c == '\t' || (fold && (c == '\r' || c == '\n'));
}

static void
words_put_ws(const char *ws, size_t n, bool fold, struct buf *out)
{
	if (!fold)
		buf_append(out, ws, n);
	else if (out->len > 0)
		buf_putc(out, ' ');
}

void
mime_decode_words(const char *p, size_t n, unsigned flags,
    mime_text_fn *text, struct buf *out)
{
	bool fold = (flags & MIME_WORDS_FOLD_WS) != 0, last_word = false;
	size_t i = 0, ws_at = 0, nws = 0, next, t, tlen, start;
	char charset[MIME_CHARSET_NAME_MAX], enc;
	struct buf raw;

	buf_init(&raw, MIME_HEADER_VALUE_MAX);
	while (i < n) {
		if (words_ws(p[i], fold)) {
			if (nws++ == 0)
				ws_at = i;
			i++;
			continue;
		}
		next = encoded_word(p, n, i, charset, &enc, &t, &tlen);
		if (next > 0) {
			/* RFC 2047 6.2: white space between two encoded
			 * words is dropped */
			if (nws > 0 && !last_word)
				words_put_ws(p + ws_at, nws, fold, out);
			nws = 0;
			buf_reset(&raw);
			if (enc == 'B' || enc == 'b')
				mime_decode_base64(p + t, tlen, &raw);
			else
				decode_q(p + t, tlen, &raw);
			text(charset, buf_cstr(&raw), raw.len, out);
			i = next;
			last_word = true;
			continue;
		}
		if (nws > 0)
			words_put_ws(p + ws_at, nws, fold, out);
		nws = 0;
		start = i;
		while (i < n && !words_ws(p[i], fold) &&
		    !(p[i] == '=' && i + 1 < n && p[i + 1] == '?'))
			i++;
		if (i == start)
			i++;
		text(NULL, p + start, i - start, out);
		last_word = false;
	}
	if (nws > 0 && !fold)
		buf_append(out, p + ws_at, nws);
	buf_free(&raw);
}

/* ---- encoders ---- */

bool
mime_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

void
mime_encode_base64(const void *p, size_t n, struct buf *out)
{
	const unsigned char *b = p;
	unsigned char line[76 + 1];	/* 57 bytes make 76 characters */
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < 57 ? n - i : 57;
		buf_append(out, line, (size_t)EVP_EncodeBlock(line, b + i,
		    (int)k));
		buf_puts(out, "\r\n");
	}
}

void
mime_encode_words(const char *s, struct buf *out)
{
	size_t len = strlen(s), start, i;

	if (mime_is_ascii(s)) {
		buf_append(out, s, len);
		return;
	}
	for (start = 0; start < len; start = i) {
		unsigned char w[60 + 1];	/* base64 of 45 bytes */

		i = start + 45 < len ? start + 45 : len;
		while (i < len && i > start &&
		    ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		if (i == start)
			i = start + 1;
		if (start > 0)
			buf_puts(out, "\r\n ");
		buf_puts(out, "=?UTF-8?B?");
		buf_append(out, w, (size_t)EVP_EncodeBlock(w,
		    (const unsigned char *)s + start, (int)(i - start)));
		buf_puts(out, "?=");
	}
}
