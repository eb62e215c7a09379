/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_view.c: one Email read outside the API (jmap.h, jmap_view_*) for
 * WebUser's /Message/ pages: the same part numbering, body lists and
 * decoding as Email/get (jmap_email.c, jmap_mime.c), so that a partId or a
 * blobId of the API names the same part here.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "core/server.h"
#include "jmap/jmap.h"
#include "jmap/jmap_private.h"

struct jmap_view {
	struct buf	 msg;
	struct mime_message *m;
	struct body	 b;
	bool		 html;		/* the body to show is htmlBody */
};

struct jmap_view *
jmap_view_open(struct server *srv, const struct auth_result *who,
    const char *email_id, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct store *st;
	struct jmap_view *v;
	struct error err;
	int64_t mb;
	uint32_t uid;
	size_t i;

	if (!jmap_parse_msgid(email_id, 'E', &mb, &uid)) {
		error_set(err_r, ERR_NOTFOUND, "not an Email id");
		return NULL;
	}
	if (objects_account_path(srv->objects, who->account, who->domain,
	    path, sizeof(path), &err) < 0 ||
	    (st = store_cache_get(path, &err)) == NULL) {
		error_set(err_r, ERR_IO, "cannot open the account: %s",
		    err.msg);
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	buf_init(&v->msg, STORE_MESSAGE_MAX);
	if (store_fetch(st, mb, uid, 0, UINT64_MAX, &v->msg, &err) < 0) {
		store_cache_release(&st);
		buf_free(&v->msg);
		free(v);
		error_set(err_r, ERR_NOTFOUND, "no such Email");
		return NULL;
	}
	store_cache_release(&st);
	v->m = mime_parse(buf_cstr(&v->msg), v->msg.len);
	jmap_body_init(&v->b, v->m);
	for (i = 0; i < v->b.nhtml; i++) {
		const struct mime_part *p = v->b.v[v->b.html[i]].p;

		if (strcasecmp(p->type, "text") == 0 &&
		    strcasecmp(p->subtype, "html") == 0)
			v->html = true;
	}
	return v;
}

void
jmap_view_free(struct jmap_view **vp)
{
	struct jmap_view *v = *vp;

	if (v == NULL)
		return;
	jmap_body_free(&v->b);
	mime_free(&v->m);
	buf_free(&v->msg);
	free(v);
	*vp = NULL;
}

static bool
in_list(const size_t *l, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == k)
			return true;
	return false;
}

static void
describe(const struct jmap_view *v, size_t k, struct jmap_view_part *r)
{
	const struct mime_part *p = v->b.v[k].p;
	struct buf nb;
	char *t;

	memset(r, 0, sizeof(*r));
	snprintf(r->part_id, sizeof(r->part_id), "%s", v->b.v[k].id);
	snprintf(r->type, sizeof(r->type), "%s/%s", p->type, p->subtype);
	for (t = r->type; *t != '\0'; t++)
		if (*t >= 'A' && *t <= 'Z')
			*t = (char)(*t - 'A' + 'a');
	buf_init(&nb, MIME_HEADER_VALUE_MAX);
	if (jmap_param_text(p->disp_params, p->ndisp_params, "filename",
	    &nb) || jmap_param_text(p->params, p->nparams, "name", &nb))
		snprintf(r->name, sizeof(r->name), "%s", buf_cstr(&nb));
	buf_free(&nb);
	if (p->id != NULL) {
		const char *s = p->id;
		size_t l = strlen(s);

		if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
			s++;
			l -= 2;
		}
		if (l < sizeof(r->cid)) {
			memcpy(r->cid, s, l);
			r->cid[l] = '\0';
		}
	}
	r->attachment = in_list(v->b.att, v->b.natt, k);
	r->disp_inline = p->disposition != NULL &&
	    strcasecmp(p->disposition, "inline") == 0;
}

size_t
jmap_view_body_count(const struct jmap_view *v, bool *html_r)
{
	*html_r = v->html;
	return v->html ? v->b.nhtml : v->b.ntext;
}

bool
jmap_view_body(const struct jmap_view *v, size_t i,
    struct jmap_view_part *p_r)
{
	const size_t *l = v->html ? v->b.html : v->b.text;
	size_t n = v->html ? v->b.nhtml : v->b.ntext;

	if (i >= n)
		return false;
	describe(v, l[i], p_r);
	return true;
}

size_t
jmap_view_att_count(const struct jmap_view *v)
{
	return v->b.natt;
}

bool
jmap_view_att(const struct jmap_view *v, size_t i,
    struct jmap_view_part *p_r)
{
	if (i >= v->b.natt)
		return false;
	describe(v, v->b.att[i], p_r);
	return true;
}

/* Index of leaf part part_id in v->b.v, or -1. */
static long
find_part(const struct jmap_view *v, const char *part_id)
{
	size_t k;

	for (k = 0; k < v->b.n; k++)
		if (strcmp(v->b.v[k].id, part_id) == 0)
			return v->b.v[k].p->is_multipart ? -1 : (long)k;
	return -1;
}

bool
jmap_view_part(const struct jmap_view *v, const char *part_id,
    struct jmap_view_part *p_r)
{
	long k = find_part(v, part_id);

	if (k < 0)
		return false;
	describe(v, (size_t)k, p_r);
	return true;
}

bool
jmap_view_cid(const struct jmap_view *v, const char *cid,
    struct jmap_view_part *p_r)
{
	size_t k;

	size_t l = strlen(cid);

	/* compared in place: a message may hold many cid: URLs */
	for (k = 0; k < v->b.n; k++) {
		const char *id = v->b.v[k].p->id;
		size_t il;

		if (v->b.v[k].p->is_multipart || id == NULL)
			continue;
		il = strlen(id);
		if (il >= 2 && id[0] == '<' && id[il - 1] == '>') {
			id++;
			il -= 2;
		}
		if (il == l && memcmp(id, cid, l) == 0) {
			describe(v, k, p_r);
			return true;
		}
	}
	return false;
}

int
jmap_view_data(const struct jmap_view *v, const char *part_id,
    struct buf *out)
{
	long k = find_part(v, part_id);
	const struct mime_part *p;

	if (k < 0)
		return -1;
	p = v->b.v[k].p;
	jmap_decode_cte(p->encoding, v->m->data + p->body_off, p->body_len,
	    out);
	return out->err != 0 ? -1 : 0;
}

int
jmap_view_text(const struct jmap_view *v, const char *part_id,
    struct buf *out)
{
	long k = find_part(v, part_id);

	if (k < 0)
		return -1;
	jmap_part_text(v->m, v->b.v[k].p, out);
	return out->err != 0 ? -1 : 0;
}

void
jmap_view_subject(const struct jmap_view *v, struct buf *out)
{
	struct buf raw;

	buf_init(&raw, MIME_HEADER_VALUE_MAX);
	if (mime_header_get(v->m->data, v->m->root->hdr_off,
	    v->m->root->hdr_len, "Subject", &raw))
		jmap_decode_words(buf_cstr(&raw), raw.len, out);
	buf_free(&raw);
}
