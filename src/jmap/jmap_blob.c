/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_blob.c: binary data (RFC 8620 6): upload to /jmap/upload/{account}/
 * and download from /jmap/download/{account}/{blobId}/{name}?type=.
 *
 * Uploaded blobs are kept in memory, per account, for JMAP_UPLOAD_KEEP
 * seconds (RFC 8620 6.1 allows unreferenced blobs to expire after an
 * hour), at most JMAP_UPLOADS_BYTES_MAX bytes for the whole process: past
 * it an upload is refused (413 with a limit problem), never silently
 * dropped.  A restart forgets them; a blob that was imported lives on as
 * the message.  Message blobs ("B...") are the stored messages, part blobs
 * ("P...") a part of one, decoded.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"
#include "http/http.h"
#include "jmap/jmap_private.h"

struct upload {
	struct upload	*next;
	char		 account[ADDRESS_MAX + 1];
	char		 id[32];
	char		 type[128];
	char		*data;
	size_t		 len;
	time_t		 at;
};

static pthread_mutex_t up_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upload *uploads;
static size_t up_bytes;
static uint64_t up_seq;

/* Drops expired blobs; up_lock held. */
static void
expire(time_t now)
{
	struct upload **pp = &uploads, *u;

	while ((u = *pp) != NULL) {
		if (now - u->at > JMAP_UPLOAD_KEEP) {
			*pp = u->next;
			up_bytes -= u->len;
			free(u->data);
			free(u);
		} else
			pp = &u->next;
	}
}

void
jmap_upload(struct jmap_ctx *c, const char *account)
{
	const char *ct = http_header(c->http, "Content-Type");
	size_t alen = strlen(account);
	struct upload *u;
	time_t now = time(NULL);
	json_t *j;
	char *text;

	if (alen > 0 && account[alen - 1] == '/')
		alen--;
	if (alen != strlen(jmap_account_id(c)) || strncmp(account,
	    jmap_account_id(c), alen) != 0) {
		http_resp_text(c->resp, 404, "No such account\n");
		return;
	}
	if (strcmp(c->http->method, "POST") != 0) {
		http_resp_header(c->resp, "Allow", "POST");
		http_resp_text(c->resp, 405, "Use POST\n");
		return;
	}
	if (c->http->body_len > JMAP_UPLOAD_MAX) {
		http_resp_text(c->resp, 413, "Larger than maxSizeUpload\n");
		return;
	}
	u = xcalloc(1, sizeof(*u));
	snprintf(u->account, sizeof(u->account), "%s", jmap_account_id(c));
	snprintf(u->type, sizeof(u->type), "%s", ct != NULL &&
	    strpbrk(ct, "\r\n") == NULL ? ct : "application/octet-stream");
	u->data = xmalloc(c->http->body_len + 1);
	memcpy(u->data, c->http->body, c->http->body_len);
	u->data[c->http->body_len] = '\0';
	u->len = c->http->body_len;
	u->at = now;
	pthread_mutex_lock(&up_lock);
	expire(now);
	if (up_bytes + u->len > JMAP_UPLOADS_BYTES_MAX) {
		pthread_mutex_unlock(&up_lock);
		log_ses(c->http->log, LOG_PROBLEM, "upload refused: %zu bytes "
		    "of uploads held already", up_bytes);
		free(u->data);
		free(u);
		http_resp_text(c->resp, 413, "Too many uploads held; try "
		    "later\n");
		return;
	}
	snprintf(u->id, sizeof(u->id), "U%llx%04lx",
	    (unsigned long long)++up_seq, (unsigned long)(random() & 0xffff));
	u->next = uploads;
	uploads = u;
	up_bytes += u->len;
	j = json_pack("{s:s, s:s, s:s, s:I}", "accountId", jmap_account_id(c),
	    "blobId", u->id, "type", u->type, "size", (json_int_t)u->len);
	pthread_mutex_unlock(&up_lock);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_resp_status(c->resp, 201);
	http_resp_header(c->resp, "Content-Type", "application/json");
	buf_puts(http_resp_body(c->resp), text != NULL ? text : "{}");
	free(text);
}

/* A part's decoded bytes: pid is its partId (depth-first number). */
static int
part_bytes(const char *msg, size_t len, const char *pid, struct buf *out)
{
	struct mime_message *m = mime_parse(msg, len);
	const struct mime_part *stack[MIME_DEPTH_MAX + 2], *p, *hit = NULL;
	size_t sp = 0;
	unsigned long want = strtoul(pid, NULL, 10), n = 0;

	/* the numbering of jmap_email.c: pre-order over multiparts */
	stack[sp++] = m->root;
	while (sp > 0 && hit == NULL) {
		p = stack[--sp];
		if (++n == want) {
			hit = p;
			break;
		}
		if (p->next != NULL && sp < N_ELEMENTS(stack))
			stack[sp++] = p->next;
		if (p->is_multipart && p->child != NULL &&
		    sp < N_ELEMENTS(stack))
			stack[sp++] = p->child;
	}
	if (hit == NULL || hit->is_multipart) {
		mime_free(&m);
		return -1;
	}
	jmap_decode_cte(hit->encoding, m->data + hit->body_off, hit->body_len,
	    out);
	mime_free(&m);
	return 0;
}

int
jmap_blob_get(struct jmap_ctx *c, const char *blob_id, struct buf *out)
{
	int64_t mb;
	uint32_t uid;

	if (blob_id[0] == 'U') {
		struct upload *u;
		int rc = -1;

		pthread_mutex_lock(&up_lock);
		for (u = uploads; u != NULL; u = u->next)
			if (strcmp(u->id, blob_id) == 0 &&
			    strcmp(u->account, jmap_account_id(c)) == 0) {
				buf_append(out, u->data, u->len);
				rc = out->err != 0 ? -1 : 0;
				break;
			}
		pthread_mutex_unlock(&up_lock);
		return rc;
	}
	if (blob_id[0] == 'B') {
		if (!jmap_parse_msgid(blob_id, 'B', &mb, &uid))
			return -1;
		return jmap_email_fetch(c, mb, uid, out);
	}
	if (blob_id[0] == 'P') {
		char head[64];
		const char *dash;
		struct buf msg;
		int rc;

		/* P<mb>-<uid>-<part> */
		dash = strchr(blob_id, '-');
		if (dash == NULL || (dash = strchr(dash + 1, '-')) == NULL ||
		    (size_t)(dash - blob_id) >= sizeof(head))
			return -1;
		memcpy(head, blob_id, (size_t)(dash - blob_id));
		head[dash - blob_id] = '\0';
		if (!jmap_parse_msgid(head, 'P', &mb, &uid))
			return -1;
		buf_init(&msg, STORE_MESSAGE_MAX);
		if (jmap_email_fetch(c, mb, uid, &msg) < 0) {
			buf_free(&msg);
			return -1;
		}
		rc = part_bytes(buf_cstr(&msg), msg.len, dash + 1, out);
		buf_free(&msg);
		return rc;
	}
	return -1;
}

void
jmap_download(struct jmap_ctx *c, const char *rest)
{
	const char *slash = strchr(rest, '/'), *bslash;
	char blob[128], type[256], name[256];
	struct buf *b = http_resp_body(c->resp);
	size_t alen;

	if (strcmp(c->http->method, "GET") != 0 &&
	    strcmp(c->http->method, "HEAD") != 0) {
		http_resp_header(c->resp, "Allow", "GET, HEAD");
		http_resp_text(c->resp, 405, "Use GET\n");
		return;
	}
	alen = slash != NULL ? (size_t)(slash - rest) : 0;
	if (slash == NULL || alen != strlen(jmap_account_id(c)) ||
	    strncmp(rest, jmap_account_id(c), alen) != 0) {
		http_resp_text(c->resp, 404, "No such account\n");
		return;
	}
	bslash = strchr(slash + 1, '/');
	if (bslash == NULL || (size_t)(bslash - slash - 1) >= sizeof(blob)) {
		http_resp_text(c->resp, 404, "No such blob\n");
		return;
	}
	memcpy(blob, slash + 1, (size_t)(bslash - slash - 1));
	blob[bslash - slash - 1] = '\0';
	snprintf(name, sizeof(name), "%s", bslash + 1);
	buf_reset(b);
	if (jmap_blob_get(c, blob, b) < 0) {
		http_resp_text(c->resp, 404, "No such blob\n");
		return;
	}
	if (http_form_value(c->http->query, strlen(c->http->query), "type",
	    type, sizeof(type)) == NULL || type[0] == '\0' ||
	    strpbrk(type, "\r\n") != NULL)
		snprintf(type, sizeof(type), "%s", blob[0] == 'B' ?
		    "message/rfc822" : "application/octet-stream");
	http_resp_header(c->resp, "Content-Type", type);
	/* never rendered inline from our origin: an HTML attachment must
	 * not run as the webmail (RFC 8620 6.2 leaves this to us) */
	if (strpbrk(name, "\"\\\r\n") == NULL && name[0] != '\0')
		http_resp_headerf(c->resp, "Content-Disposition",
		    "attachment; filename=\"%s\"", name);
	else
		http_resp_header(c->resp, "Content-Disposition", "attachment");
	http_resp_header(c->resp, "Cache-Control", "private, "
	    "immutable, max-age=31536000");
	http_resp_header(c->resp, "Content-Security-Policy", "sandbox");
}
