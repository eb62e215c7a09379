/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_email.c: Email/get (RFC 8621 4.1-4.2) from the store's rows and
 * messages parsed with lib/mime.h: metadata, header fields in the parsed
 * forms (Raw, Text, Addresses, GroupedAddresses, MessageIds, Date, URLs),
 * bodyStructure, textBody/htmlBody/attachments (4.1.4's algorithm),
 * bodyValues and preview; Email/changes from per-mailbox MODSEQs.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/addrlist.h"
#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "jmap/jmap_private.h"

#define PREVIEW_CHARS	256	/* RFC 8621 4.1.4: at most 256 characters */

int
jmap_email_fetch(struct jmap_ctx *c, int64_t mb, uint32_t uid,
    struct buf *out)
{
	struct error err;

	if (store_fetch(c->store, mb, uid, 0, UINT64_MAX, out, &err) < 0)
		return -1;
	return 0;
}

/* ---- header forms ---- */

enum hform { HF_RAW, HF_TEXT, HF_ADDR, HF_GADDR, HF_MSGID, HF_DATE, HF_URLS };

static void
iso_date(int64_t t, int off, struct buf *out)
{
	time_t lt = (time_t)(t + off);
	struct tm tm;

	gmtime_r(&lt, &tm);
	if (off == 0)
		buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		    abs(off) / 3600, abs(off) % 3600 / 60);
}

static json_t *
json_date(int64_t t, int off)
{
	struct buf b;
	json_t *j;

	buf_init(&b, 64);
	iso_date(t, off, &b);
	j = json_string(buf_cstr(&b));
	buf_free(&b);
	return j;
}

static json_t *
json_text(struct buf *b)
{
	json_t *j = json_stringn(b->data != NULL ? b->data : "", b->len);

	return j != NULL ? j : json_string("");
}

/* The value of one field in form f; raw is the value as stored. */
static json_t *
header_form(struct strv raw, enum hform f)
{
	struct buf u, d;
	json_t *j = NULL;

	if (f == HF_RAW) {
		buf_init(&u, MIME_HEADER_VALUE_MAX);
		buf_append(&u, raw.p, raw.len);
		j = json_text(&u);
		buf_free(&u);
		return j;
	}
	buf_init(&u, MIME_HEADER_VALUE_MAX);
	mime_unfold(raw, &u);
	switch (f) {
	case HF_TEXT:
		buf_init(&d, MIME_HEADER_VALUE_MAX);
		jmap_decode_words(buf_cstr(&u), u.len, &d);
		j = json_text(&d);
		buf_free(&d);
		break;
	case HF_ADDR:
	case HF_GADDR: {
		struct addrlist l = { NULL, 0 };
		size_t i;

		j = json_array();
		if (addrlist_parse(buf_cstr(&u), u.len, &l, NULL) == 0)
			for (i = 0; i < l.n; i++) {
				json_t *name = json_null();

				if (l.v[i].name[0] != '\0') {
					buf_init(&d, MIME_HEADER_VALUE_MAX);
					jmap_decode_words(l.v[i].name,
					    strlen(l.v[i].name), &d);
					name = json_text(&d);
					buf_free(&d);
				}
				json_array_append_new(j, json_pack("{s:o, s:s?}",
				    "name", name, "email", l.v[i].addr));
			}
		addrlist_clear(&l);
		if (f == HF_GADDR)
			j = json_pack("[{s:n, s:o}]", "name", "addresses", j);
		break;
	}
	case HF_MSGID:
	case HF_URLS: {
		const char *p = buf_cstr(&u), *lt, *gt;

		j = json_array();
		while ((lt = strchr(p, '<')) != NULL &&
		    (gt = strchr(lt, '>')) != NULL) {
			json_t *s = json_stringn(lt + 1, (size_t)(gt - lt - 1));

			if (s != NULL && gt > lt + 1)
				json_array_append_new(j, s);
			else
				json_decref(s);
			p = gt + 1;
		}
		if (json_array_size(j) == 0 && f == HF_MSGID) {
			json_decref(j);
			j = json_null();
		}
		break;
	}
	case HF_DATE: {
		int off = 0;
		time_t t = timefmt_parse_rfc5322(buf_cstr(&u), u.len, &off);

		j = t == (time_t)-1 ? json_null() : json_date(t, off);
		break;
	}
	case HF_RAW:
		break;
	}
	buf_free(&u);
	return j;
}

/* The header:Name:form:all property of a header block. */
static json_t *
header_prop(const char *data, size_t off, size_t len, const char *name,
    enum hform f, bool all)
{
	struct mime_header_iter it;
	struct strv n, v;
	json_t *list = all ? json_array() : NULL, *last = NULL;

	mime_header_iter_init(&it, data, off, len);
	while (mime_header_next(&it, &n, &v)) {
		if (!strv_caseeq_cstr(n, name))
			continue;
		if (all)
			json_array_append_new(list, header_form(v, f));
		else {
			if (last != NULL)
				json_decref(last);
			last = header_form(v, f);
		}
	}
	if (all)
		return list;
	return last != NULL ? last : json_null();
}

/* Parses "header:Name[:asForm][:all]"; false when malformed. */
static bool
parse_header_prop(const char *prop, char *name, size_t n, enum hform *f_r,
    bool *all_r)
{
	const char *p = prop + 7, *colon;
	size_t l;

	colon = strchr(p, ':');
	l = colon != NULL ? (size_t)(colon - p) : strlen(p);
	if (l == 0 || l >= n)
		return false;
	memcpy(name, p, l);
	name[l] = '\0';
	*f_r = HF_RAW;
	*all_r = false;
	while (colon != NULL) {
		p = colon + 1;
		colon = strchr(p, ':');
		l = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (l == 3 && strncmp(p, "all", 3) == 0 && colon == NULL)
			*all_r = true;
		else if (l == 5 && strncmp(p, "asRaw", 5) == 0)
			*f_r = HF_RAW;
		else if (l == 6 && strncmp(p, "asText", 6) == 0)
			*f_r = HF_TEXT;
		else if (l == 11 && strncmp(p, "asAddresses", 11) == 0)
			*f_r = HF_ADDR;
		else if (l == 18 && strncmp(p, "asGroupedAddresses", 18) == 0)
			*f_r = HF_GADDR;
		else if (l == 12 && strncmp(p, "asMessageIds", 12) == 0)
			*f_r = HF_MSGID;
		else if (l == 6 && strncmp(p, "asDate", 6) == 0)
			*f_r = HF_DATE;
		else if (l == 6 && strncmp(p, "asURLs", 6) == 0)
			*f_r = HF_URLS;
		else
			return false;
	}
	return true;
}

static json_t *
headers_list(const char *data, size_t off, size_t len)
{
	struct mime_header_iter it;
	struct strv n, v;
	json_t *list = json_array();

	mime_header_iter_init(&it, data, off, len);
	while (mime_header_next(&it, &n, &v)) {
		json_t *nm = json_stringn(n.p, n.len);
		json_t *val = header_form(v, HF_RAW);

		if (nm == NULL)
			nm = json_string("");
		json_array_append_new(list, json_pack("{s:o, s:o}", "name", nm,
		    "value", val));
	}
	return list;
}

/* ---- body structure (RFC 8621 4.1.4) ---- */

static void
number_parts(struct body *b, const struct mime_part *p)
{
	for (; p != NULL; p = p->next) {
		if (b->n >= MIME_PARTS_MAX)
			return;
		b->v[b->n].p = p;
		snprintf(b->v[b->n].id, sizeof(b->v[b->n].id), "%zu",
		    b->n + 1);
		b->n++;
		if (p->is_multipart)
			number_parts(b, p->child);
	}
}

static size_t
index_of(const struct body *b, const struct mime_part *p)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].p == p)
			return i;
	return 0;
}

static bool
is_inline_type(const struct mime_part *p)
{
	return strcasecmp(p->type, "text") == 0 &&
	    (strcasecmp(p->subtype, "plain") == 0 ||
	    strcasecmp(p->subtype, "html") == 0);
}

static bool
is_attachment_disp(const struct mime_part *p)
{
	return p->disposition != NULL &&
	    strcasecmp(p->disposition, "attachment") == 0;
}

static bool
is_media(const struct mime_part *p)
{
	return strcasecmp(p->type, "image") == 0 ||
	    strcasecmp(p->type, "audio") == 0 ||
	    strcasecmp(p->type, "video") == 0;
}

static void
push(size_t **v, size_t *n, size_t x)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = x;
}

static bool
has_name(const struct mime_part *p)
{
	return mime_param_get(p->disp_params, p->ndisp_params, "filename") !=
	    NULL || mime_param_get(p->params, p->nparams, "name") != NULL ||
	    mime_param_get(p->disp_params, p->ndisp_params, "filename*") !=
	    NULL || mime_param_get(p->params, p->nparams, "name*") != NULL;
}

static bool
is_type(const struct mime_part *p, const char *type, const char *sub)
{
	return strcasecmp(p->type, type) == 0 && strcasecmp(p->subtype,
	    sub) == 0;
}

/* RFC 8621 4.1.4 parseStructure, as its pseudo-code: text_ok and html_ok
 * stand for the lists not yet set to null in this call. */
static void
parse_structure(struct body *b, const struct mime_part *parts,
    const char *multipart_type, bool in_alternative, bool text_ok,
    bool html_ok, int depth)
{
	const struct mime_part *p;
	size_t text_len0 = b->ntext, html_len0 = b->nhtml;
	bool alt = strcasecmp(multipart_type, "alternative") == 0;
	int i = 0;

	if (depth > MIME_DEPTH_MAX)
		return;
	for (p = parts; p != NULL; p = p->next, i++) {
		bool is_inline;
		size_t k = index_of(b, p);

		is_inline = !is_attachment_disp(p) && (is_inline_type(p) ||
		    is_media(p)) && (i == 0 || (strcasecmp(multipart_type,
		    "related") != 0 && (is_media(p) || !has_name(p))));
		if (p->is_multipart) {
			parse_structure(b, p->child, p->subtype,
			    in_alternative || strcasecmp(p->subtype,
			    "alternative") == 0, text_ok, html_ok, depth + 1);
		} else if (is_inline) {
			if (alt) {
				if (is_type(p, "text", "plain"))
					push(&b->text, &b->ntext, k);
				else if (is_type(p, "text", "html"))
					push(&b->html, &b->nhtml, k);
				else
					push(&b->att, &b->natt, k);
				continue;
			} else if (in_alternative) {
				if (is_type(p, "text", "plain"))
					html_ok = false;
				if (is_type(p, "text", "html"))
					text_ok = false;
			}
			if (text_ok)
				push(&b->text, &b->ntext, k);
			if (html_ok)
				push(&b->html, &b->nhtml, k);
			if ((!text_ok || !html_ok) && is_media(p))
				push(&b->att, &b->natt, k);
		} else
			push(&b->att, &b->natt, k);
	}
	if (alt && text_ok && html_ok) {
		size_t j, nt = b->ntext, nh = b->nhtml;

		if (nt == text_len0 && nh != html_len0)
			for (j = html_len0; j < nh; j++)
				push(&b->text, &b->ntext, b->html[j]);
		if (nh == html_len0 && nt != text_len0)
			for (j = text_len0; j < nt; j++)
				push(&b->html, &b->nhtml, b->text[j]);
	}
}

void
jmap_body_init(struct body *b, const struct mime_message *m)
{
	memset(b, 0, sizeof(*b));
	b->m = m;
	b->v = xcalloc(m->nparts + 1, sizeof(*b->v));
	number_parts(b, m->root);
	parse_structure(b, m->root, "mixed", false, true, true, 1);
}

void
jmap_body_free(struct body *b)
{
	free(b->v);
	free(b->text);
	free(b->html);
	free(b->att);
}

/* The decoded size of a leaf part (what a download gives). */
static size_t
decoded_size(const struct mime_message *m, const struct mime_part *p)
{
	struct buf d;
	size_t n;

	if (p->encoding == NULL || (strcasecmp(p->encoding, "base64") != 0 &&
	    strcasecmp(p->encoding, "quoted-printable") != 0))
		return p->body_len;
	buf_init(&d, STORE_MESSAGE_MAX);
	jmap_decode_cte(p->encoding, m->data + p->body_off, p->body_len, &d);
	n = d.len;
	buf_free(&d);
	return n;
}

static json_t *
part_json(const struct body *b, size_t k, const char *emailid, bool deep)
{
	const struct mime_part *p = b->v[k].p;
	const struct mime_message *m = b->m;
	json_t *o = json_object();
	const char *cs;
	char type[256], blob[64];
	struct buf nb;

	snprintf(type, sizeof(type), "%s/%s", p->type, p->subtype);
	for (char *t = type; *t != '\0'; t++)
		if (*t >= 'A' && *t <= 'Z')
			*t = (char)(*t - 'A' + 'a');
	if (!p->is_multipart) {
		json_object_set_new(o, "partId", json_string(b->v[k].id));
		snprintf(blob, sizeof(blob), "P%s-%s", emailid + 1, b->v[k].id);
		json_object_set_new(o, "blobId", json_string(blob));
		json_object_set_new(o, "size", json_integer((json_int_t)
		    decoded_size(m, p)));
	} else {
		json_object_set_new(o, "partId", json_null());
		json_object_set_new(o, "blobId", json_null());
		json_object_set_new(o, "size", json_integer(0));
	}
	json_object_set_new(o, "headers", headers_list(m->data, p->hdr_off,
	    p->hdr_len));
	buf_init(&nb, MIME_HEADER_VALUE_MAX);
	if (jmap_param_text(p->disp_params, p->ndisp_params, "filename",
	    &nb) || jmap_param_text(p->params, p->nparams, "name", &nb))
		json_object_set_new(o, "name", json_text(&nb));
	else
		json_object_set_new(o, "name", json_null());
	buf_free(&nb);
	json_object_set_new(o, "type", json_string(type));
	cs = mime_param_get(p->params, p->nparams, "charset");
	json_object_set_new(o, "charset", cs != NULL ? json_string(cs) :
	    strcasecmp(p->type, "text") == 0 ? json_string("us-ascii") :
	    json_null());
	json_object_set_new(o, "disposition", p->disposition != NULL ?
	    json_string(p->disposition) : json_null());
	if (p->id != NULL) {
		size_t l = strlen(p->id);
		const char *s = p->id;

		if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
			s++;
			l -= 2;
		}
		json_object_set_new(o, "cid", json_stringn(s, l));
	} else
		json_object_set_new(o, "cid", json_null());
	json_object_set_new(o, "language", p->language != NULL ?
	    json_pack("[s]", p->language) : json_null());
	json_object_set_new(o, "location", p->location != NULL ?
	    json_string(p->location) : json_null());
	if (p->is_multipart && deep) {
		json_t *sub = json_array();
		const struct mime_part *c;

		for (c = p->child; c != NULL; c = c->next)
			json_array_append_new(sub, part_json(b, index_of(b, c),
			    emailid, true));
		json_object_set_new(o, "subParts", sub);
	}
	return o;
}

static json_t *
part_list(const struct body *b, const size_t *v, size_t n,
    const char *emailid)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, part_json(b, v[i], emailid, false));
	return a;
}

/* A part's text (HTML reduced to text when as_text) cut to max bytes
 * (0: all) on a character boundary. */
static json_t *
body_value(const struct body *b, size_t k, size_t max)
{
	const struct mime_part *p = b->v[k].p;
	struct buf t;
	bool trunc = false;
	json_t *j;

	buf_init(&t, STORE_MESSAGE_MAX);
	jmap_part_text(b->m, p, &t);
	if (max > 0 && t.len > max) {
		size_t l = max;

		while (l > 0 && ((unsigned char)t.data[l] & 0xc0) == 0x80)
			l--;
		t.len = l;
		t.data[l] = '\0';
		trunc = true;
	}
	j = json_pack("{s:o, s:b, s:b}", "value", json_text(&t),
	    "isEncodingProblem", 0, "isTruncated", trunc);
	buf_free(&t);
	return j;
}

static json_t *
preview(const struct body *b)
{
	struct buf t, out;
	json_t *j;
	size_t i, chars = 0, k;
	bool space = false;

	buf_init(&t, STORE_MESSAGE_MAX);
	for (i = 0; i < b->ntext; i++) {
		const struct mime_part *p = b->v[b->text[i]].p;

		if (strcasecmp(p->type, "text") != 0)
			continue;
		if (strcasecmp(p->subtype, "html") == 0) {
			struct buf h;

			buf_init(&h, STORE_MESSAGE_MAX);
			jmap_part_text(b->m, p, &h);
			jmap_html_to_text(buf_cstr(&h), h.len, &t);
			buf_free(&h);
		} else
			jmap_part_text(b->m, p, &t);
		break;
	}
	/* white space collapsed, at most PREVIEW_CHARS characters */
	buf_init(&out, PREVIEW_CHARS * 4 + 4);
	for (k = 0; k < t.len && chars < PREVIEW_CHARS; k++) {
		unsigned char ch = (unsigned char)t.data[k];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = true;
			continue;
		}
		if (space && out.len > 0) {
			buf_putc(&out, ' ');
			chars++;
		}
		space = false;
		if ((ch & 0xc0) != 0x80)
			chars += chars < PREVIEW_CHARS ? 1 : 0;
		buf_putc(&out, (char)ch);
	}
	while (k < t.len && ((unsigned char)t.data[k] & 0xc0) == 0x80)
		buf_putc(&out, t.data[k++]);
	j = json_text(&out);
	buf_free(&out);
	buf_free(&t);
	return j;
}

/* ---- Email/get ---- */

static const char *const default_props[] = {
	"id", "blobId", "threadId", "mailboxIds", "keywords", "size",
	"receivedAt", "messageId", "inReplyTo", "references", "sender", "from",
	"to", "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment",
	"preview", "bodyValues", "textBody", "htmlBody", "attachments",
};

/* Convenience properties: header name and form. */
static const struct {
	const char	*prop, *header;
	enum hform	 form;
} conv_props[] = {
	{ "messageId", "Message-ID", HF_MSGID },
	{ "inReplyTo", "In-Reply-To", HF_MSGID },
	{ "references", "References", HF_MSGID },
	{ "sender", "Sender", HF_ADDR },
	{ "from", "From", HF_ADDR },
	{ "to", "To", HF_ADDR },
	{ "cc", "Cc", HF_ADDR },
	{ "bcc", "Bcc", HF_ADDR },
	{ "replyTo", "Reply-To", HF_ADDR },
	{ "subject", "Subject", HF_TEXT },
	{ "sentAt", "Date", HF_DATE },
};

static bool
needs_body(const char *prop)
{
	static const char *const body_props[] = {
		"hasAttachment", "preview", "bodyValues", "textBody",
		"htmlBody", "attachments", "bodyStructure",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(body_props); i++)
		if (strcmp(prop, body_props[i]) == 0)
			return true;
	return false;
}

static bool
needs_header(const char *prop)
{
	size_t i;

	if (strncmp(prop, "header:", 7) == 0 || strcmp(prop, "headers") == 0)
		return true;
	for (i = 0; i < N_ELEMENTS(conv_props); i++)
		if (strcmp(prop, conv_props[i].prop) == 0)
			return true;
	return false;
}

json_t *
jmap_keywords_json(const struct store_msg *m);
json_t *
jmap_keywords_json(const struct store_msg *m)
{
	json_t *k = json_object();
	const char *p = m->keywords, *sp;

	if (m->flags & STORE_SEEN)
		json_object_set_new(k, "$seen", json_true());
	if (m->flags & STORE_ANSWERED)
		json_object_set_new(k, "$answered", json_true());
	if (m->flags & STORE_FLAGGED)
		json_object_set_new(k, "$flagged", json_true());
	if (m->flags & STORE_DRAFT)
		json_object_set_new(k, "$draft", json_true());
	while (p != NULL && *p != '\0') {
		char kw[STORE_KEYWORD_MAX + 1];
		size_t l, i;

		sp = strchr(p, ' ');
		l = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (l > 0 && l <= STORE_KEYWORD_MAX) {
			/* RFC 8621 4.1.1: keywords are case-insensitive,
			 * shown lower-case */
			for (i = 0; i < l; i++)
				kw[i] = (p[i] >= 'A' && p[i] <= 'Z') ?
				    (char)(p[i] - 'A' + 'a') : p[i];
			kw[l] = '\0';
			json_object_set_new(k, kw, json_true());
		}
		p = sp != NULL ? sp + 1 : NULL;
	}
	return k;
}

struct get_opts {
	json_t		*props;		/* array of names */
	json_t		*body_props;	/* for bodyStructure parts, or NULL */
	bool		 fetch_text, fetch_html, fetch_all;
	size_t		 max_value;
};

static json_t *
email_json(struct jmap_ctx *c, const char *id, int64_t mb, uint32_t uid,
    const struct get_opts *o)
{
	struct store_uidrange r = { uid, uid };
	struct store_msgs msgs = { NULL, 0 };
	const struct store_msg *m;
	struct mime_message *mm = NULL;
	struct error err;
	struct buf data;
	struct body b;
	bool need_hdr = false, need_body = false, have_body = false;
	json_t *e, *v;
	size_t i;
	char s[64];

	if (store_messages(c->store, mb, &r, 1, &msgs, &err) < 0 ||
	    msgs.n != 1) {
		store_msgs_free(&msgs);
		return NULL;
	}
	m = &msgs.v[0];
	json_array_foreach(o->props, i, v) {
		const char *p = json_string_value(v);

		if (p != NULL && needs_body(p))
			need_body = true;
		else if (p != NULL && needs_header(p))
			need_hdr = true;
	}
	buf_init(&data, STORE_MESSAGE_MAX);
	memset(&b, 0, sizeof(b));
	if (need_body || need_hdr) {
		if (store_fetch(c->store, mb, uid, 0, need_body ? UINT64_MAX :
		    m->hdr_size, &data, &err) < 0) {
			buf_free(&data);
			store_msgs_free(&msgs);
			return NULL;
		}
		mm = mime_parse(buf_cstr(&data), data.len);
		if (need_body) {
			jmap_body_init(&b, mm);
			have_body = true;
		}
	}
	e = json_object();
	json_object_set_new(e, "id", json_string(id));
	json_array_foreach(o->props, i, v) {
		const char *p = json_string_value(v);
		size_t k;

		if (p == NULL || strcmp(p, "id") == 0)
			continue;
		if (strcmp(p, "blobId") == 0) {
			snprintf(s, sizeof(s), "B%s", id + 1);
			json_object_set_new(e, p, json_string(s));
		} else if (strcmp(p, "threadId") == 0) {
			if (jmap_thread_of(c, mb, uid, s, sizeof(s)) < 0)
				snprintf(s, sizeof(s), "T%s", id + 1);
			json_object_set_new(e, p, json_string(s));
		} else if (strcmp(p, "mailboxIds") == 0) {
			snprintf(s, sizeof(s), "M%lld", (long long)mb);
			json_object_set_new(e, p, json_pack("{s:b}", s, 1));
		} else if (strcmp(p, "keywords") == 0)
			json_object_set_new(e, p, jmap_keywords_json(m));
		else if (strcmp(p, "size") == 0)
			json_object_set_new(e, p, json_integer(
			    (json_int_t)m->size));
		else if (strcmp(p, "receivedAt") == 0)
			json_object_set_new(e, p, json_date(m->internaldate,
			    0));
		else if (strcmp(p, "headers") == 0)
			json_object_set_new(e, p, headers_list(mm->data,
			    mm->root->hdr_off, mm->root->hdr_len));
		else if (strncmp(p, "header:", 7) == 0) {
			char hn[256];
			enum hform f;
			bool all;

			if (!parse_header_prop(p, hn, sizeof(hn), &f, &all)) {
				json_decref(e);
				e = NULL;
				jmap_fail(c, "invalidArguments", "bad property "
				    "%.100s", p);
				break;
			}
			json_object_set_new(e, p, header_prop(mm->data,
			    mm->root->hdr_off, mm->root->hdr_len, hn, f, all));
		} else if (have_body && strcmp(p, "bodyStructure") == 0)
			json_object_set_new(e, p, part_json(&b, 0, id, true));
		else if (have_body && strcmp(p, "textBody") == 0)
			json_object_set_new(e, p, part_list(&b, b.text, b.ntext,
			    id));
		else if (have_body && strcmp(p, "htmlBody") == 0)
			json_object_set_new(e, p, part_list(&b, b.html, b.nhtml,
			    id));
		else if (have_body && strcmp(p, "attachments") == 0)
			json_object_set_new(e, p, part_list(&b, b.att, b.natt,
			    id));
		else if (have_body && strcmp(p, "hasAttachment") == 0)
			json_object_set_new(e, p, json_boolean(b.natt > 0));
		else if (have_body && strcmp(p, "preview") == 0)
			json_object_set_new(e, p, preview(&b));
		else if (have_body && strcmp(p, "bodyValues") == 0) {
			json_t *bv = json_object();

			for (k = 0; k < b.n; k++) {
				bool in_text = false, in_html = false;
				size_t j;

				for (j = 0; j < b.ntext; j++)
					in_text |= b.text[j] == k;
				for (j = 0; j < b.nhtml; j++)
					in_html |= b.html[j] == k;
				if (strcasecmp(b.v[k].p->type, "text") != 0 ||
				    b.v[k].p->is_multipart)
					continue;
				if (o->fetch_all || (o->fetch_text && in_text) ||
				    (o->fetch_html && in_html))
					json_object_set_new(bv, b.v[k].id,
					    body_value(&b, k, o->max_value));
			}
			json_object_set_new(e, p, bv);
		} else {
			for (k = 0; k < N_ELEMENTS(conv_props); k++)
				if (strcmp(p, conv_props[k].prop) == 0)
					break;
			if (k == N_ELEMENTS(conv_props)) {
				json_decref(e);
				e = NULL;
				jmap_fail(c, "invalidArguments", "unknown "
				    "property %.100s", p);
				break;
			}
			json_object_set_new(e, p, header_prop(mm->data,
			    mm->root->hdr_off, mm->root->hdr_len,
			    conv_props[k].header, conv_props[k].form, false));
			/* the address and id forms give null when the
			 * field is absent, RFC 8621 4.1.2.3 */
		}
	}
	if (have_body)
		jmap_body_free(&b);
	if (mm != NULL)
		mime_free(&mm);
	buf_free(&data);
	store_msgs_free(&msgs);
	return e;
}

static char *
estate(struct jmap_ctx *c)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	if (jmap_state(c, 'E', &b) < 0 || b.err != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* All Email ids of the account (Email/get with ids null): bounded by
 * maxObjectsInGet. */
static json_t *
all_ids(struct jmap_ctx *c, char prefix)
{
	json_t *ids = json_array();
	size_t i, k;

	if (jmap_mbs_load(c) < 0)
		return ids;
	for (i = 0; i < c->nmbs; i++) {
		struct store_msgs msgs = { NULL, 0 };
		struct error err;

		if (store_messages(c->store, c->mbs[i].id, NULL, 0, &msgs,
		    &err) < 0)
			continue;
		for (k = 0; k < msgs.n && json_array_size(ids) <=
		    JMAP_GET_MAX; k++) {
			char s[64];

			snprintf(s, sizeof(s), "%c%lld-%u", prefix,
			    (long long)c->mbs[i].id, msgs.v[k].uid);
			json_array_append_new(ids, json_string(s));
		}
		store_msgs_free(&msgs);
	}
	return ids;
}

json_t *
jmap_email_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list, *nf, *v, *mvb, *r;
	struct get_opts o;
	char *state;
	size_t i;

	memset(&o, 0, sizeof(o));
	if (ids != NULL && !json_is_null(ids) && !json_is_array(ids))
		return jmap_fail(c, "invalidArguments", "ids");
	if (props != NULL && !json_is_null(props) && !json_is_array(props))
		return jmap_fail(c, "invalidArguments", "properties");
	o.fetch_text = json_is_true(json_object_get(args,
	    "fetchTextBodyValues"));
	o.fetch_html = json_is_true(json_object_get(args,
	    "fetchHTMLBodyValues"));
	o.fetch_all = json_is_true(json_object_get(args,
	    "fetchAllBodyValues"));
	mvb = json_object_get(args, "maxBodyValueBytes");
	if (mvb != NULL && (!json_is_integer(mvb) ||
	    json_integer_value(mvb) < 0))
		return jmap_fail(c, "invalidArguments", "maxBodyValueBytes");
	o.max_value = mvb != NULL ? (size_t)json_integer_value(mvb) : 0;
	if (props == NULL || json_is_null(props)) {
		o.props = json_array();
		for (i = 0; i < N_ELEMENTS(default_props); i++)
			json_array_append_new(o.props,
			    json_string(default_props[i]));
	} else
		o.props = json_incref(props);
	if ((state = estate(c)) == NULL) {
		json_decref(o.props);
		return NULL;
	}
	if (ids == NULL || json_is_null(ids))
		ids = all_ids(c, 'E');
	else
		json_incref(ids);
	if (json_array_size(ids) > JMAP_GET_MAX) {
		json_decref(ids);
		json_decref(o.props);
		free(state);
		return jmap_fail(c, "requestTooLarge", "more than %d ids",
		    JMAP_GET_MAX);
	}
	list = json_array();
	nf = json_array();
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		int64_t mb;
		uint32_t uid;
		json_t *e = NULL;

		id = id != NULL ? jmap_resolve_id(c, id) : NULL;
		if (jmap_parse_msgid(id, 'E', &mb, &uid) &&
		    jmap_mb_by_id(c, mb) >= 0)
			e = email_json(c, id, mb, uid, &o);
		if (e == NULL && c->etype != NULL)
			break;
		if (e == NULL)
			json_array_append(nf, v);
		else
			json_array_append_new(list, e);
	}
	json_decref(ids);
	json_decref(o.props);
	if (c->etype != NULL) {
		json_decref(list);
		json_decref(nf);
		free(state);
		return NULL;
	}
	r = json_pack("{s:s, s:s, s:o, s:o}", "accountId", jmap_account_id(c),
	    "state", state, "list", list, "notFound", nf);
	free(state);
	return r;
}

/* ---- Email/changes (RFC 8620 5.2 over the store's MODSEQs) ---- */

static void
add_msg(json_t *a, char prefix, int64_t mb, uint32_t uid)
{
	char s[64];

	snprintf(s, sizeof(s), "%c%lld-%u", prefix, (long long)mb, uid);
	json_array_append_new(a, json_string(s));
}

/* Every change since the state: created, updated, destroyed. */
static json_t *
changes(struct jmap_ctx *c, json_t *args, char prefix)
{
	const char *since = json_string_value(json_object_get(args,
	    "sinceState"));
	json_t *mc = json_object_get(args, "maxChanges");
	struct jmap_mbstate *old;
	size_t nold, i, k, max = JMAP_CHANGES_MAX;
	json_t *cr, *up, *de, *r;
	char *state;

	if (since == NULL)
		return jmap_fail(c, "invalidArguments", "sinceState");
	if (mc != NULL && !json_is_null(mc)) {
		if (!json_is_integer(mc) || json_integer_value(mc) <= 0)
			return jmap_fail(c, "invalidArguments", "maxChanges");
		if ((uint64_t)json_integer_value(mc) < max)
			max = (size_t)json_integer_value(mc);
	}
	if (jmap_state_parse('E', since, &old, &nold) < 0)
		return jmap_fail(c, "cannotCalculateChanges",
		    "not a state of this server");
	if ((state = estate(c)) == NULL) {
		free(old);
		return NULL;
	}
	cr = json_array();
	up = json_array();
	de = json_array();
	/* a mailbox gone since: its UIDs are not known any more */
	for (k = 0; k < nold; k++) {
		int at = jmap_mb_by_id(c, old[k].id);

		if (at < 0 || c->mbs[at].st.uidvalidity != old[k].uidvalidity)
			goto cannot;
	}
	for (i = 0; i < c->nmbs; i++) {
		const struct jmap_mb *m = &c->mbs[i];
		const struct jmap_mbstate *o = NULL;
		struct store_msgs ch = { NULL, 0 };
		uint32_t *van = NULL;
		size_t nvan = 0, j;
		struct error err;

		for (k = 0; k < nold; k++)
			if (old[k].id == m->id)
				o = &old[k];
		if (o != NULL && o->modseq == m->st.highestmodseq)
			continue;
		if (store_changes_since(c->store, m->id, o != NULL ? o->modseq :
		    0, &ch, &van, &nvan, &err) < 0)
			goto cannot;
		for (j = 0; j < ch.n; j++) {
			if (o == NULL || ch.v[j].uid >= o->uidnext)
				add_msg(cr, prefix, m->id, ch.v[j].uid);
			else if (prefix == 'E')
				add_msg(up, prefix, m->id, ch.v[j].uid);
		}
		for (j = 0; o != NULL && j < nvan; j++)
			if (van[j] < o->uidnext)
				add_msg(de, prefix, m->id, van[j]);
		store_msgs_free(&ch);
		free(van);
	}
	if (json_array_size(cr) + json_array_size(up) + json_array_size(de) >
	    max)
		goto cannot;
	free(old);
	r = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
	    "accountId", jmap_account_id(c), "oldState", since,
	    "newState", state, "hasMoreChanges", 0, "created", cr,
	    "updated", up, "destroyed", de);
	free(state);
	return r;
cannot:
	/* RFC 8620 5.2: the client then refetches; also used when more
	 * than maxChanges changes happened (no intermediate state can be
	 * named per message: docs/jmap.md) */
	free(old);
	free(state);
	json_decref(cr);
	json_decref(up);
	json_decref(de);
	return jmap_fail(c, "cannotCalculateChanges", "changes since that "
	    "state cannot be listed");
}

json_t *
jmap_email_changes(struct jmap_ctx *c, json_t *args)
{
	return changes(c, args, 'E');
}
