/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_mime.c: IMAP's rendering of a lib/mime part tree (imap_mime.h):
 * RFC 3501 strings (quoted or literal), RFC 5322 address lists parsed
 * tolerantly into IMAP address structures (groups, routes, "user@host (Name)" comments,
 * placeholders for missing parts as Dovecot does), ENVELOPE, and BODY /
 * BODYSTRUCTURE written from a parsed part tree.  Pure: no I/O.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"
#include "imap/imap_mime.h"
#include "store/store.h"

/* ---- IMAP strings (RFC 3501 4.3, 9: quoted and literal) ---- */

void
imap_mime_nstring(struct buf *out, const char *s, size_t len)
{
	size_t i;

	if (s == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
			break;
	}
	if (i < len) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_append(out, s, len);
		return;
	}
	buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}

static void
nstr(struct buf *out, const char *s)
{
	imap_mime_nstring(out, s, s != NULL ? strlen(s) : 0);
}

/* ---- RFC 5322 address lists, tolerant ---- */

enum tok_kind { TOK_ATOM, TOK_QSTR, TOK_COMMENT, TOK_SPECIAL };

struct tok {
	enum tok_kind	 kind;
	const char	*p;		/* raw text (without quotes/parens) */
	size_t		 len;
};

static bool
is_addr_special(char c)
{
	return c == '<' || c == '>' || c == ':' || c == ';' || c == ',' ||
	    c == '@';
}

static size_t
tokenize(const char *s, size_t n, struct tok **v_r)
{
	struct tok *v = NULL;
	size_t nv = 0, cap = 0, i = 0;

	while (i < n) {
		struct tok t;
		size_t j;

		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (s[i] == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++)
				if (s[j] == '\\' && j + 1 < n)
					j++;
			t = (struct tok){ TOK_QSTR, s + i + 1,
			    (j < n ? j : n) - i - 1 };
			i = j < n ? j + 1 : n;
		} else if (s[i] == '(') {
			unsigned lvl = 0;

			for (j = i; j < n; j++) {
				if (s[j] == '\\' && j + 1 < n)
					j++;
				else if (s[j] == '(')
					lvl++;
				else if (s[j] == ')' && --lvl == 0)
					break;
			}
			t = (struct tok){ TOK_COMMENT, s + i + 1,
			    (j < n ? j : n) - i - 1 };
			i = j < n ? j + 1 : n;
		} else if (is_addr_special(s[i])) {
			t = (struct tok){ TOK_SPECIAL, s + i, 1 };
			i++;
		} else if (s[i] == '[') {	/* domain literal */
			const char *q = memchr(s + i, ']', n - i);

			j = q != NULL ? (size_t)(q - s) + 1 : n;
			t = (struct tok){ TOK_ATOM, s + i, j - i };
			i = j;
		} else {
			for (j = i; j < n && s[j] != ' ' && s[j] != '\t' &&
			    s[j] != '"' && s[j] != '(' && s[j] != '[' &&
			    !is_addr_special(s[j]); j++)
				;
			t = (struct tok){ TOK_ATOM, s + i, j - i };
			i = j;
		}
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, size_mul(cap, sizeof(*v)));
		}
		v[nv++] = t;
	}
	*v_r = v;
	return nv;
}

static bool
tok_is(const struct tok *t, char c)
{
	return t->kind == TOK_SPECIAL && t->p[0] == c;
}

/* Appends a token's text, unescaping quoted strings and comments. */
static void
tok_text(struct buf *b, const struct tok *t)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (t->kind != TOK_ATOM && t->p[i] == '\\' && i + 1 < t->len)
			i++;
		buf_putc(b, t->p[i]);
	}
}

/* Display name: words of tokens [a, b) joined by single spaces. */
static void
phrase(struct buf *b, const struct tok *v, size_t a, size_t e)
{
	size_t i;

	buf_reset(b);
	for (i = a; i < e; i++) {
		if (v[i].kind == TOK_COMMENT)
			continue;
		if (b->len > 0)
			buf_putc(b, ' ');
		tok_text(b, &v[i]);
	}
}

/* Last comment in [a, e) into b (old "user@host (Full Name)" form). */
static void
comment_name(struct buf *b, const struct tok *v, size_t a, size_t e)
{
	size_t i;

	for (i = a; i < e; i++)
		if (v[i].kind == TOK_COMMENT) {
			buf_reset(b);
			tok_text(b, &v[i]);
		}
}

/* addr-spec from tokens [a, e): local part before the last '@', host
 * after it; quoted local parts keep their quotes. */
static void
addr_spec(const struct tok *v, size_t a, size_t e, struct buf *local,
    struct buf *host)
{
	size_t i, at = e;

	buf_reset(local);
	buf_reset(host);
	for (i = a; i < e; i++)
		if (tok_is(&v[i], '@'))
			at = i;
	for (i = a; i < at; i++) {
		if (v[i].kind == TOK_COMMENT || tok_is(&v[i], '@'))
			continue;
		if (v[i].kind == TOK_QSTR) {
			buf_putc(local, '"');
			buf_append(local, v[i].p, v[i].len);
			buf_putc(local, '"');
		} else
			buf_append(local, v[i].p, v[i].len);
	}
	for (i = at + 1; i < e; i++)
		if (v[i].kind != TOK_COMMENT && !tok_is(&v[i], '@'))
			buf_append(host, v[i].p, v[i].len);
}

struct addr_out {
	struct buf	*out;
	size_t		 count;
};

static void
emit_addr(struct addr_out *ao, const char *name, size_t nlen,
    const char *adl, const char *mbox, const char *host)
{
	if (ao->count >= MIME_ADDRESSES_MAX)
		return;
	if (ao->count == 0)
		buf_putc(ao->out, '(');
	ao->count++;
	buf_putc(ao->out, '(');
	imap_mime_nstring(ao->out, name, nlen);
	buf_putc(ao->out, ' ');
	nstr(ao->out, adl);
	buf_putc(ao->out, ' ');
	nstr(ao->out, mbox);
	buf_putc(ao->out, ' ');
	nstr(ao->out, host);
	buf_putc(ao->out, ')');
}

/* One mailbox: display name tokens [a, lt) (lt == e if no angle form). */
static void
emit_mailbox(struct addr_out *ao, const struct tok *v, size_t a, size_t e,
    struct buf *tmp[4])
{
	struct buf *name = tmp[0], *adl = tmp[1], *local = tmp[2],
	    *host = tmp[3];
	size_t i, lt = e, gt = e, s;

	for (i = a; i < e; i++)
		if (tok_is(&v[i], '<')) {
			lt = i;
			break;
		}
	buf_reset(name);
	buf_reset(adl);
	if (lt < e) {
		phrase(name, v, a, lt);
		for (gt = lt + 1; gt < e && !tok_is(&v[gt], '>'); gt++)
			;
		s = lt + 1;
		/* RFC 5322 obs-route: "<@a,@b:user@host>" */
		if (s < gt && tok_is(&v[s], '@')) {
			for (i = s; i < gt && !tok_is(&v[i], ':'); i++)
				tok_text(adl, &v[i]);
			if (i < gt)
				s = i + 1;
			else
				buf_reset(adl);
		}
		addr_spec(v, s, gt, local, host);
		if (name->len == 0)
			comment_name(name, v, gt, e);
	} else {
		addr_spec(v, a, e, local, host);
		comment_name(name, v, a, e);
		if (local->len == 0 && host->len == 0)
			return;			/* only comments */
	}
	emit_addr(ao, name->len ? buf_cstr(name) : NULL, name->len,
	    adl->len ? buf_cstr(adl) : NULL,
	    local->len ? buf_cstr(local) : "MISSING_MAILBOX",
	    host->len ? buf_cstr(host) : "MISSING_DOMAIN");
}

/* Appends an RFC 3501 address list for value s (NIL when it holds none). */
static void
address_list(struct buf *out, const char *s, size_t n)
{
	struct tok *v;
	size_t nv, i = 0, j;
	struct buf tb[4];
	struct buf *tmp[4] = { &tb[0], &tb[1], &tb[2], &tb[3] };
	struct addr_out ao = { out, 0 };
	bool in_group = false;

	if (s == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	for (j = 0; j < 4; j++)
		buf_init(&tb[j], MIME_HEADER_VALUE_MAX);
	nv = tokenize(s, n, &v);
	while (i < nv) {
		bool angle = false;

		if (tok_is(&v[i], ',')) {
			i++;
			continue;
		}
		if (tok_is(&v[i], ';')) {
			if (in_group)
				emit_addr(&ao, NULL, 0, NULL, NULL, NULL);
			in_group = false;
			i++;
			continue;
		}
		/* Find the end of this item: ',' or ';' outside <>, or a
		 * ':' before any '<' (group start). */
		for (j = i; j < nv; j++) {
			if (tok_is(&v[j], '<'))
				angle = true;
			else if (tok_is(&v[j], '>'))
				angle = false;
			else if (!angle && (tok_is(&v[j], ',') ||
			    tok_is(&v[j], ';')))
				break;
			else if (!angle && !in_group && tok_is(&v[j], ':'))
				break;
		}
		if (j < nv && tok_is(&v[j], ':')) {
			phrase(&tb[0], v, i, j);
			emit_addr(&ao, NULL, 0, NULL, buf_cstr(&tb[0]), NULL);
			in_group = true;
			i = j + 1;
			continue;
		}
		emit_mailbox(&ao, v, i, j, tmp);
		i = j;
	}
	if (in_group)
		emit_addr(&ao, NULL, 0, NULL, NULL, NULL);
	free(v);
	for (j = 0; j < 4; j++)
		buf_free(&tb[j]);
	if (ao.count == 0)
		buf_puts(out, "NIL");
	else
		buf_putc(out, ')');
}

/* ---- ENVELOPE (RFC 3501 7.4.2) ---- */

enum env_field { ENV_DATE, ENV_SUBJECT, ENV_FROM, ENV_SENDER, ENV_REPLY_TO,
	ENV_TO, ENV_CC, ENV_BCC, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_COUNT };

static const char *const env_names[ENV_COUNT] = { "date", "subject", "from",
	"sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id" };

/* True when the address-list value s holds at least one address. */
static bool
has_addresses(const struct buf *b)
{
	struct buf tmp;
	bool r;

	buf_init(&tmp, SIZE_MAX / 2);
	address_list(&tmp, buf_cstr(b), b->len);
	r = strcmp(buf_cstr(&tmp), "NIL") != 0;
	buf_free(&tmp);
	return r;
}

void
imap_mime_envelope(const struct mime_message *msg, const struct mime_part *part,
    struct buf *out)
{
	struct buf val[ENV_COUNT];
	bool have[ENV_COUNT] = { false };
	struct mime_header_iter it;
	struct strv name, raw;
	size_t f;

	for (f = 0; f < ENV_COUNT; f++)
		buf_init(&val[f], MIME_HEADER_VALUE_MAX + 1);
	mime_header_iter_init(&it, msg->data, part->hdr_off, part->hdr_len);
	while (mime_header_next(&it, &name, &raw)) {
		for (f = 0; f < ENV_COUNT; f++) {
			if (!have[f] && strv_caseeq_cstr(name, env_names[f])) {
				have[f] = true;
				mime_unfold(raw, &val[f]);
				break;
			}
		}
	}
	/* RFC 3501: absent or empty Sender/Reply-To take From's value. */
	for (f = ENV_SENDER; f <= ENV_REPLY_TO; f++) {
		if (have[ENV_FROM] && (!have[f] || !has_addresses(&val[f]))) {
			buf_reset(&val[f]);
			buf_append(&val[f], val[ENV_FROM].data,
			    val[ENV_FROM].len);
			have[f] = true;
		}
	}
	buf_putc(out, '(');
	for (f = 0; f < ENV_COUNT; f++) {
		if (f > 0)
			buf_putc(out, ' ');
		if (f >= ENV_FROM && f <= ENV_BCC)
			address_list(out, have[f] ? buf_cstr(&val[f]) : NULL,
			    val[f].len);
		else
			imap_mime_nstring(out, have[f] ? buf_cstr(&val[f]) :
			    NULL, val[f].len);
	}
	buf_putc(out, ')');
	for (f = 0; f < ENV_COUNT; f++)
		buf_free(&val[f]);
}

/* ---- BODY / BODYSTRUCTURE (RFC 3501 7.4.2) ---- */

static void
write_params(struct buf *out, const struct mime_param *v, size_t n,
    bool add_charset)
{
	size_t i;

	if (n == 0 && !add_charset) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		nstr(out, v[i].name);
		buf_putc(out, ' ');
		nstr(out, v[i].value);
	}
	if (add_charset)
		buf_puts(out, n > 0 ? " \"charset\" \"us-ascii\"" :
		    "\"charset\" \"us-ascii\"");
	buf_putc(out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
write_ext_common(struct buf *out, const struct mime_part *p)
{
	buf_putc(out, ' ');
	if (p->disposition == NULL)
		buf_puts(out, "NIL");
	else {
		buf_putc(out, '(');
		nstr(out, p->disposition);
		buf_putc(out, ' ');
		write_params(out, p->disp_params, p->ndisp_params, false);
		buf_putc(out, ')');
	}
	buf_putc(out, ' ');
	if (p->language == NULL)
		buf_puts(out, "NIL");
	else {
		const char *s = p->language;
		size_t n = 0, i = 0, len = strlen(s);
		struct buf langs;

		buf_init(&langs, SIZE_MAX / 2);
		while (i < len) {
			size_t j;

			while (i < len && (s[i] == ',' || s[i] == ' ' ||
			    s[i] == '\t'))
				i++;
			for (j = i; j < len && s[j] != ',' && s[j] != ' ' &&
			    s[j] != '\t'; j++)
				;
			if (j > i) {
				if (n++ > 0)
					buf_putc(&langs, ' ');
				imap_mime_nstring(&langs, s + i, j - i);
			}
			i = j;
		}
		if (n == 0)
			buf_puts(out, "NIL");
		else if (n == 1)
			buf_put_strv(out, buf_strv(&langs));
		else {
			buf_putc(out, '(');
			buf_put_strv(out, buf_strv(&langs));
			buf_putc(out, ')');
		}
		buf_free(&langs);
	}
	buf_putc(out, ' ');
	nstr(out, p->location);
}

static void
write_part(const struct mime_message *msg, const struct mime_part *p,
    bool ext, struct buf *out)
{
	const struct mime_part *c;
	bool text;

	buf_putc(out, '(');
	if (p->is_multipart) {
		for (c = p->child; c != NULL; c = c->next)
			write_part(msg, c, ext, out);
		if (p->child == NULL)	/* RFC 3501 needs at least one */
			buf_puts(out, ext ? "(\"text\" \"plain\" (\"charset\" "
			    "\"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
			    "NIL)" : "(\"text\" \"plain\" (\"charset\" "
			    "\"us-ascii\") NIL NIL \"7bit\" 0 0)");
		buf_putc(out, ' ');
		nstr(out, p->subtype);
		if (ext) {
			buf_putc(out, ' ');
			write_params(out, p->params, p->nparams, false);
			write_ext_common(out, p);
		}
		buf_putc(out, ')');
		return;
	}
	text = strcasecmp(p->type, "text") == 0;
	nstr(out, p->type);
	buf_putc(out, ' ');
	nstr(out, p->subtype);
	buf_putc(out, ' ');
	write_params(out, p->params, p->nparams, text &&
	    mime_param_get(p->params, p->nparams, "charset") == NULL);
	buf_putc(out, ' ');
	nstr(out, p->id);
	buf_putc(out, ' ');
	nstr(out, p->description);
	buf_putc(out, ' ');
	nstr(out, p->encoding != NULL && *p->encoding != '\0' ?
	    p->encoding : "7bit");
	buf_printf(out, " %zu", p->body_len);
	if (p->is_message && p->child != NULL) {
		buf_putc(out, ' ');
		imap_mime_envelope(msg, p->child, out);
		buf_putc(out, ' ');
		write_part(msg, p->child, ext, out);
		buf_printf(out, " %zu", p->body_lines);
	} else if (text)
		buf_printf(out, " %zu", p->body_lines);
	if (ext) {
		buf_puts(out, " NIL");		/* body-fld-md5 */
		write_ext_common(out, p);
	}
	buf_putc(out, ')');
}

void
imap_mime_bodystructure(const struct mime_message *msg,
    const struct mime_part *part, bool extended, struct buf *out)
{
	write_part(msg, part, extended, out);
}

const struct store_render imap_store_render = {
	imap_mime_envelope,
	imap_mime_bodystructure
};
