/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_fetch.c: renders one message's FETCH response (RFC 3501 7.4.2).
 * FLAGS, UID and MODSEQ come from the session's view; INTERNALDATE and
 * RFC822.SIZE from the store row; ENVELOPE, BODY and BODYSTRUCTURE from the
 * strings the store cached at delivery; BODY[section]<partial> and
 * BINARY[section] (RFC 3516) from the raw message, located with the MIME
 * parser (lib/mime.h).  The raw message is read at most once per message.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/strv.h"
#include "lib/xmalloc.h"
#include "imap/imap_fetch.h"
#include "imap/imap_private.h"

/* ---- APPEND of binary content (RFC 3516 4.3) ---- */

static void
encode_base64_lines(const unsigned char *p, size_t n, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		if (col == 76) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_putc(out, tab[(v >> 18) & 63]);
		buf_putc(out, tab[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_putc(out, i + 2 < n ? tab[v & 63] : '=');
		col += 4;
	}
}

static bool
needs_encoding(const struct mime_message *mm, const struct mime_part *pt)
{
	if (pt->is_multipart || pt->is_message)
		return false;
	if (pt->encoding != NULL && strcasecmp(pt->encoding, "binary") == 0)
		return true;
	return memchr(mm->data + pt->body_off, '\0', pt->body_len) != NULL;
}

/* Depth-first, in message order: re-encodes each binary leaf. */
static void
encode_parts(const struct mime_message *mm, const struct mime_part *pt,
    size_t *pos, struct buf *out, bool *changed)
{
	struct mime_header_iter it;
	struct strv name, value;
	const struct mime_part *c;

	if (pt->is_multipart || pt->is_message) {
		for (c = pt->child; c != NULL; c = c->next)
			encode_parts(mm, c, pos, out, changed);
		return;
	}
	if (!needs_encoding(mm, pt) || pt->hdr_off < *pos)
		return;
	buf_append(out, mm->data + *pos, pt->hdr_off - *pos);
	mime_header_iter_init(&it, mm->data, pt->hdr_off, pt->hdr_len);
	while (mime_header_next(&it, &name, &value)) {
		if (strv_caseeq_cstr(name, "Content-Transfer-Encoding"))
			continue;
		buf_append(out, name.p, (size_t)(value.p + value.len - name.p));
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
	encode_base64_lines((const unsigned char *)mm->data + pt->body_off,
	    pt->body_len, out);
	if (pt->body_off + pt->body_len >= mm->len)
		buf_puts(out, "\r\n");
	*pos = pt->body_off + pt->body_len;
	*changed = true;
}

bool
imap_binary_encode(const char *p, size_t n, struct buf *out)
{
	struct mime_message *mm = mime_parse(p, n);
	size_t pos = 0;
	bool changed = false;

	encode_parts(mm, mm->root, &pos, out, &changed);
	if (changed && pos < n)
		buf_append(out, p + pos, n - pos);
	mime_free(&mm);
	return changed;
}

/* ---- message data ---- */

/* A top-level section that lies within the header block. */
static bool
header_section(const struct fetch_item *it)
{
	return it->kind == FI_SECTION && !it->binary && it->nparts == 0 &&
	    (it->sec == SEC_HEADER || it->sec == SEC_FIELDS ||
	    it->sec == SEC_FIELDS_NOT);
}


struct msgdata {
	struct buf	 raw;
	bool		 loaded;
	struct mime_message *mime;
	const char	*hdr;		/* the header block (hdr_size bytes) from
					 * the store, or NULL */
};

static int
load_raw(struct imap_session *s, const struct store_msg *m,
    struct msgdata *md, struct error *err_r)
{
	if (md->loaded)
		return 0;
	if (store_fetch(s->store, s->mbox_id, m->uid, 0, UINT64_MAX, &md->raw,
	    err_r) < 0)
		return -1;
	md->loaded = true;
	return 0;
}

static struct mime_message *
get_mime(struct msgdata *md)
{
	if (md->mime == NULL)
		md->mime = mime_parse(md->raw.data != NULL ? md->raw.data : "",
		    md->raw.len);
	return md->mime;
}

/* Finds the part a section's numbers name (RFC 3501 6.4.5). */
static const struct mime_part *
find_part(const struct mime_part *root, const uint32_t *num, size_t n)
{
	const struct mime_part *cur = root, *c;
	size_t i;
	uint32_t k;

	for (i = 0; i < n; i++) {
		if (cur->is_message && cur->child != NULL && i > 0)
			cur = cur->child;
		if (cur->is_multipart) {
			for (c = cur->child, k = 1; c != NULL && k < num[i];
			    c = c->next)
				k++;
			if (c == NULL)
				return NULL;
			cur = c;
		} else if (num[i] != 1)
			return NULL;
	}
	return cur;
}

static void
header_fields(const char *data, size_t off, size_t len,
    const struct fetch_item *it, struct buf *out)
{
	struct mime_header_iter iter;
	struct strv name, value;
	size_t i;
	bool match;

	mime_header_iter_init(&iter, data, off, len);
	while (mime_header_next(&iter, &name, &value)) {
		for (i = 0, match = false; i < it->nfields && !match; i++)
			match = strv_caseeq_cstr(name, it->fields[i]);
		if (match != (it->sec == SEC_FIELDS))
			continue;
		buf_append(out, name.p, (size_t)(value.p + value.len - name.p));
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\n");
}

/* Puts the bytes of a section into tmp, or points p_r and n_r at them. */
static int
section_bytes(struct imap_session *s, const struct store_msg *m,
    struct msgdata *md, const struct fetch_item *it, struct buf *tmp,
    const char **p_r, size_t *n_r, struct error *err_r)
{
	const struct mime_part *part, *msgpart;
	struct mime_message *mm;
	const char *enc;

	/* HEADER and HEADER.FIELDS of the message itself: the header block
	 * is all they need (no body read, no MIME parse) */
	if (md->hdr != NULL && header_section(it)) {
		if (it->sec == SEC_HEADER) {
			*p_r = md->hdr;
			*n_r = (size_t)m->hdr_size;
		} else {
			header_fields(md->hdr, 0, (size_t)m->hdr_size, it, tmp);
			*p_r = tmp->data != NULL ? tmp->data : "";
			*n_r = tmp->len;
		}
		return 0;
	}
	if (load_raw(s, m, md, err_r) < 0)
		return -1;
	if (it->nparts == 0 && it->sec == SEC_ALL) {
		*p_r = md->raw.data;
		*n_r = md->raw.len;
		return 0;
	}
	mm = get_mime(md);
	part = it->nparts == 0 ? mm->root : find_part(mm->root, it->part,
	    it->nparts);
	if (part == NULL) {
		*p_r = "";
		*n_r = 0;
		return 0;		/* RFC 3501: nonexistent part is empty */
	}
	/* HEADER, TEXT and FIELDS of a part: its encapsulated message */
	msgpart = part;
	if (it->nparts > 0 && it->sec != SEC_ALL && it->sec != SEC_MIME) {
		if (!part->is_message || part->child == NULL) {
			*p_r = "";
			*n_r = 0;
			return 0;
		}
		msgpart = part->child;
	}
	switch (it->sec) {
	case SEC_ALL:
		if (it->binary) {
			enc = part->encoding;
			/* a multipart or message/rfc822 part is 7bit, 8bit
			 * or binary itself (RFC 2045 6.4): its bytes as
			 * they are, like BODY[section] */
			if (part->is_multipart || part->is_message)
				break;
			if (enc == NULL || strcasecmp(enc, "7bit") == 0 ||
			    strcasecmp(enc, "8bit") == 0 ||
			    strcasecmp(enc, "binary") == 0)
				break;
			if (strcasecmp(enc, "base64") == 0)
				mime_decode_base64(mm->data + part->body_off,
				    part->body_len, tmp);
			else if (strcasecmp(enc, "quoted-printable") == 0)
				mime_decode_qp(mm->data + part->body_off,
				    part->body_len, tmp);
			else
				return error_set(err_r, ERR_PERM,
				    "[UNKNOWN-CTE] Unknown transfer encoding");
			*p_r = tmp->data != NULL ? tmp->data : "";
			*n_r = tmp->len;
			return 0;
		}
		break;
	case SEC_MIME:
		*p_r = mm->data + part->hdr_off;
		*n_r = part->hdr_len;
		return 0;
	case SEC_HEADER:
		*p_r = mm->data + msgpart->hdr_off;
		*n_r = msgpart->hdr_len;
		return 0;
	case SEC_TEXT:
		*p_r = mm->data + msgpart->body_off;
		*n_r = msgpart->body_len;
		return 0;
	case SEC_FIELDS:
	case SEC_FIELDS_NOT:
		header_fields(mm->data, msgpart->hdr_off, msgpart->hdr_len, it,
		    tmp);
		*p_r = tmp->data != NULL ? tmp->data : "";
		*n_r = tmp->len;
		return 0;
	}
	*p_r = mm->data + part->body_off;
	*n_r = part->body_len;
	return 0;
}

static void
write_literal(struct buf *out, const char *p, size_t n, bool binary)
{
	bool nul = binary && memchr(p, '\0', n) != NULL;

	buf_printf(out, "%s{%zu}\r\n", nul ? "~" : "", n);
	buf_append(out, p, n);
}

static int
render_section(struct imap_session *s, const struct store_msg *m,
    struct msgdata *md, const struct fetch_item *it, struct buf *out,
    struct error *err_r)
{
	struct buf tmp;
	const char *p = "";
	size_t n = 0;

	buf_init(&tmp, IMAP_FETCH_MAX);
	if (section_bytes(s, m, md, it, &tmp, &p, &n, err_r) < 0) {
		buf_free(&tmp);
		return -1;
	}
	buf_printf(out, "%s ", it->name);
	if (it->kind == FI_BINARY_SIZE) {
		buf_printf(out, "%zu", n);
	} else {
		if (it->partial) {
			if (it->p_off >= n)
				n = 0;
			else {
				p += it->p_off;
				n -= (size_t)it->p_off;
				if (n > it->p_len)
					n = (size_t)it->p_len;
			}
		}
		write_literal(out, p, n, it->binary);
	}
	buf_free(&tmp);
	return 0;
}

unsigned
imap_fetch_with(const struct fetch_req *r)
{
	unsigned with = 0;
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].kind == FI_ENVELOPE)
			with |= STORE_WITH_ENVELOPE;
		else if (r->v[i].kind == FI_BODYSTRUCTURE)
			with |= STORE_WITH_BODYSTRUCTURE;
		else if (r->v[i].kind == FI_BODY)
			with |= STORE_WITH_BODY;
		else if (header_section(&r->v[i]))
			with |= STORE_WITH_HEADER;
	}
	return with;
}

static int
render_cached(struct imap_session *s, const struct store_msg *m,
    const struct store_msg_extra *x, const struct fetch_item *it,
    struct buf *out, struct error *err_r)
{
	const char *have = NULL;
	char *text = NULL;
	int r;

	if (x != NULL)
		have = it->kind == FI_ENVELOPE ? x->envelope :
		    it->kind == FI_BODYSTRUCTURE ? x->bodystructure : x->body;
	if (have != NULL) {
		buf_printf(out, "%s %s", it->name, have);
		return 0;
	}
	if (it->kind == FI_ENVELOPE)
		r = store_fetch_cached(s->store, s->mbox_id, m->uid, &text,
		    NULL, NULL, err_r);
	else if (it->kind == FI_BODYSTRUCTURE)
		r = store_fetch_cached(s->store, s->mbox_id, m->uid, NULL,
		    &text, NULL, err_r);
	else
		r = store_fetch_cached(s->store, s->mbox_id, m->uid, NULL,
		    NULL, &text, err_r);
	if (r < 0)
		return -1;
	buf_printf(out, "%s %s", it->name, text != NULL ? text : "NIL");
	free(text);
	return 0;
}

int
imap_fetch_render(struct imap_session *s, const struct fetch_req *r,
    const struct store_msg *m, const struct store_msg_extra *x,
    size_t idx, bool flags_changed, struct buf *out, struct error *err_r)
{
	const struct imap_view_msg *v = &s->msgs[idx];
	struct msgdata md;
	char date[TIMEFMT_BUF_MAX];
	bool sp = false, has_uid = false, has_flags = false;
	size_t i;
	int rc = 0;

	memset(&md, 0, sizeof(md));
	/* a new keyword is announced before the FETCH line (RFC 3501 7.2.6) */
	imap_keywords_check(s, v->keywords);
	buf_init(&md.raw, IMAP_FETCH_MAX);
	if (x != NULL && x->header != NULL)
		md.hdr = x->header;
	buf_printf(out, "* %zu FETCH (", idx + 1);
	for (i = 0; i < r->n && rc == 0; i++) {
		const struct fetch_item *it = &r->v[i];

		if (sp)
			buf_putc(out, ' ');
		sp = true;
		switch (it->kind) {
		case FI_FLAGS:
			has_flags = true;
			buf_puts(out, "FLAGS ");
			imap_flags_write(out, v->flags, v->keywords, v->recent);
			break;
		case FI_INTERNALDATE:
			if (timefmt_imap((time_t)m->internaldate, date,
			    sizeof(date)) == 0)
				date[0] = '\0';
			buf_printf(out, "INTERNALDATE \"%s\"", date);
			break;
		case FI_SIZE:
			buf_printf(out, "RFC822.SIZE %llu",
			    (unsigned long long)m->size);
			break;
		case FI_UID:
			has_uid = true;
			buf_printf(out, "UID %u", m->uid);
			break;
		case FI_MODSEQ:
			buf_printf(out, "MODSEQ (%llu)",
			    (unsigned long long)v->modseq);
			break;
		case FI_ENVELOPE:
		case FI_BODY:
		case FI_BODYSTRUCTURE:
			rc = render_cached(s, m, x, it, out, err_r);
			break;
		case FI_SECTION:
		case FI_BINARY_SIZE:
			rc = render_section(s, m, &md, it, out, err_r);
			break;
		}
	}
	if (rc == 0 && s->uid_cmd && !has_uid)
		buf_printf(out, "%sUID %u", sp ? " " : "", m->uid);
	if (rc == 0 && flags_changed && !has_flags) {
		buf_puts(out, " FLAGS ");
		imap_flags_write(out, v->flags, v->keywords, v->recent);
	}
	buf_puts(out, ")\r\n");
	if (md.mime != NULL)
		mime_free(&md.mime);
	buf_free(&md.raw);
	if (rc == 0 && out->err != 0)
		return error_set(err_r, ERR_LIMIT, "FETCH response too big");
	return rc;
}
