/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_message.c: the message pages of WebUser (docs/webuser.md,
 * "Message pages"), for a logged-in session (cookie TegamiUser):
 *
 *   GET /Message/<emailId>/html[?images=1]   the body, sanitised (htmlsan)
 *   GET /Message/<emailId>/part/<partId>     one part, decoded
 *   GET /Message/<emailId>/attachments.zip   every attachment, zipped
 *
 * Ids are the JMAP ones (an Email's id, a part's partId as Email/get
 * gives them); the Email is read through jmap_view_* so that both agree.
 * Nothing here changes state, so no CSRF token is asked; every answer is
 * private to the session and carries a Content-Security-Policy that lets
 * nothing run.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/error.h"
#include "lib/htmlsan.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/utf8.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap.h"
#include "webuser/webuser_private.h"

/* The message document: nothing runs (no script source at all), inline
 * styles of the message apply, images only from here or data: (remote
 * ones too after "Show images"); framed only by the webmail. */
#define MSG_CSP		"default-src 'none'; style-src 'unsafe-inline'; " \
			"img-src 'self' data:%s; frame-ancestors 'self'; " \
			"form-action 'none'; base-uri 'none'"

#define MSG_HEAD	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">" \
			"<meta name=\"referrer\" content=\"no-referrer\">" \
			"<style>body{margin:8px;font-family:sans-serif;" \
			"overflow-wrap:anywhere}pre{white-space:pre-wrap;" \
			"font-family:monospace}img{max-width:100%%}</style>" \
			"</head><body>\n"

struct cid_arg {
	const struct jmap_view	*v;
	const char		*id;
};

/* cid:x -> /Message/<id>/part/<partId of the part with Content-ID x> */
static bool
cid_url(void *arg, const char *cid, struct buf *out)
{
	const struct cid_arg *a = arg;
	struct jmap_view_part p;

	if (!jmap_view_cid(a->v, cid, &p))
		return false;
	buf_puts(out, "/Message/");
	http_url_encode(out, a->id);
	buf_puts(out, "/part/");
	http_url_encode(out, p.part_id);
	return true;
}

static void
message_html(const struct http_request *req, struct http_response *resp,
    const struct jmap_view *v, const char *id)
{
	char q[8];
	bool images, html;
	struct cid_arg ca = { v, id };
	struct htmlsan_opts o;
	struct htmlsan_stats st;
	struct buf *out = http_resp_body(resp), text;
	struct error err;
	size_t i, n, blocked = 0;
	struct jmap_view_part p;

	images = http_form_value(req->query, strlen(req->query), "images", q,
	    sizeof(q)) != NULL && strcmp(q, "1") == 0;
	memset(&o, 0, sizeof(o));
	o.remote_images = images;
	o.links_blank = true;
	o.cid_url = cid_url;
	o.cid_arg = &ca;
	buf_reset(out);
	buf_printf(out, MSG_HEAD);
	n = jmap_view_body_count(v, &html);
	for (i = 0; i < n; i++) {
		if (!jmap_view_body(v, i, &p))
			break;
		if (strncmp(p.type, "image/", 6) == 0) {
			buf_puts(out, "<p><img alt=\"\" src=\"/Message/");
			http_url_encode(out, id);
			buf_puts(out, "/part/");
			http_url_encode(out, p.part_id);
			buf_puts(out, "\"></p>\n");
			continue;
		}
		if (strncmp(p.type, "text/", 5) != 0)
			continue;
		buf_init(&text, STORE_MESSAGE_MAX);
		(void)jmap_view_text(v, p.part_id, &text);
		if (strcmp(p.type, "text/html") == 0) {
			/* the text is UTF-8 already (jmap_view_text) */
			if (htmlsan_clean(buf_cstr(&text), text.len, &o, out,
			    &st, &err) < 0) {
				log_ses(req->log, LOG_PROBLEM, "/Message/%s/html: "
				    "%s", id, err.msg);
				buf_free(&text);
				http_resp_text(resp, 500, "This message is too "
				    "large to show; download it instead\n");
				return;
			}
			if (st.truncated)
				log_ses(req->log, LOG_LOW, "/Message/%s/html: "
				    "nesting deeper than %d cut", id,
				    HTMLSAN_DEPTH_MAX);
			blocked += st.blocked_images;
		} else {
			buf_puts(out, "<pre>");
			htmlsan_text(buf_cstr(&text), text.len, out);
			buf_puts(out, "</pre>\n");
		}
		buf_free(&text);
	}
	buf_puts(out, "\n</body></html>\n");
	http_resp_header(resp, "Content-Type", "text/html; charset=utf-8");
	http_resp_headerf(resp, "Content-Security-Policy", MSG_CSP,
	    images ? " https: http:" : "");
	http_resp_headerf(resp, "X-Blocked-Images", "%zu", blocked);
	http_resp_header(resp, "Cache-Control", "private, no-cache");
}

/* Content-Disposition with an RFC 8187 file name (and a plain ASCII
 * fall-back for old clients). */
static void
disposition(struct http_response *resp, const char *kind, const char *name)
{
	struct buf b, enc;
	const char *s;

	buf_init(&b, 2048);
	buf_init(&enc, 2048);
	http_url_encode(&enc, name);
	buf_printf(&b, "%s; filename=\"", kind);
	for (s = name; *s != '\0'; s++)
		buf_putc(&b, (unsigned char)*s < 0x20 || (unsigned char)*s >=
		    0x7f || *s == '"' || *s == '\\' ? '_' : *s);
	buf_printf(&b, "\"; filename*=UTF-8''%s", buf_cstr(&enc));
	if (b.err == 0)
		http_resp_header(resp, "Content-Disposition", buf_cstr(&b));
	else
		http_resp_header(resp, "Content-Disposition", kind);
	buf_free(&b);
	buf_free(&enc);
}

/* Types shown inline from our origin: raster images and plain text.
 * Anything else is a download, and nothing is ever served as a type a
 * browser would run (HTML, SVG, XML, scripts). */
static bool
inline_type(const char *t)
{
	static const char *const ok[] = {
		"image/png", "image/gif", "image/jpeg", "image/jpg",
		"image/webp", "image/bmp", "text/plain",
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(ok); i++)
		if (strcmp(t, ok[i]) == 0)
			return true;
	return false;
}

static bool
risky_type(const char *t)
{
	return strstr(t, "html") != NULL || strstr(t, "xml") != NULL ||
	    strstr(t, "svg") != NULL || strstr(t, "script") != NULL ||
	    strchr(t, ';') != NULL || strpbrk(t, "\r\n\"") != NULL;
}

static void
part_name(const struct jmap_view_part *p, char *out, size_t n)
{
	if (p->name[0] != '\0')
		snprintf(out, n, "%s", p->name);
	else
		snprintf(out, n, "part-%s", p->part_id);
}

static void
message_part(const struct http_request *req, struct http_response *resp,
    const struct jmap_view *v, const char *id, const char *pid)
{
	struct jmap_view_part p;
	struct buf *out = http_resp_body(resp);
	char q[8], name[300];
	bool download;

	if (!jmap_view_part(v, pid, &p)) {
		char esc[256];

		log_escape(esc, sizeof(esc), req->path, strlen(req->path));
		log_ses(req->log, LOG_PROBLEM, "%s %s refused (404): no such "
		    "part", req->method, esc);
		http_resp_text(resp, 404, "No such part\n");
		return;
	}
	buf_reset(out);
	if (jmap_view_data(v, pid, out) < 0) {
		log_ses(req->log, LOG_PROBLEM, "/Message/%s/part/%s: too large",
		    id, pid);
		http_resp_text(resp, 500, "This part is too large\n");
		return;
	}
	download = (http_form_value(req->query, strlen(req->query),
	    "download", q, sizeof(q)) != NULL && strcmp(q, "1") == 0) ||
	    !inline_type(p.type) || (p.attachment && !p.disp_inline &&
	    strncmp(p.type, "image/", 6) != 0);
	part_name(&p, name, sizeof(name));
	if (strcmp(p.type, "text/plain") == 0) {
		/* decoded bytes in the part's own charset: as UTF-8 text */
		buf_reset(out);
		(void)jmap_view_text(v, pid, out);
		http_resp_header(resp, "Content-Type",
		    "text/plain; charset=utf-8");
	} else
		http_resp_header(resp, "Content-Type", risky_type(p.type) ?
		    "application/octet-stream" : p.type);
	disposition(resp, download ? "attachment" : "inline", name);
	http_resp_header(resp, "Content-Security-Policy", "default-src "
	    "'none'; sandbox");
	http_resp_header(resp, "Cache-Control", "private, max-age=3600");
}

/* ---- a zip (PKWARE APPNOTE 4.3: local headers, deflated data, central
 * directory, end record; names in UTF-8, flag bit 11) ---- */

struct zip_entry {
	char		 name[300];
	uint32_t	 crc, csize, usize, off;
};

static void
le16(struct buf *b, unsigned v)
{
	buf_putc(b, (char)(v & 0xff));
	buf_putc(b, (char)((v >> 8) & 0xff));
}

static void
le32(struct buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

/* Raw deflate of in onto out; -1 when zlib fails or out is full. */
static int
deflate_raw(const struct buf *in, struct buf *out)
{
	z_stream z;
	unsigned char tmp[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(in->data != NULL ? in->data : "");
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = deflate(&z, Z_FINISH);
		buf_append(out, tmp, sizeof(tmp) - z.avail_out);
	} while (rc == Z_OK && out->err == 0);
	deflateEnd(&z);
	return rc == Z_STREAM_END && out->err == 0 ? 0 : -1;
}

/* The names given so far, for uniqueness: an open-addressing set of
 * entry indexes (a message has at most MIME_PARTS_MAX parts). */
struct zip_names {
	struct zip_entry	*e;
	size_t			*slot;		/* index + 1; 0: free */
	size_t			 mask;
	unsigned		 next_k;	/* the next "<k>-" prefix */
};

static size_t
name_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of name: the one holding it, or the free one it would take. */
static size_t *
name_slot(const struct zip_names *zn, const char *name)
{
	size_t i = name_hash(name) & zn->mask;

	while (zn->slot[i] != 0 && strcmp(zn->e[zn->slot[i] - 1].name,
	    name) != 0)
		i = (i + 1) & zn->mask;
	return &zn->slot[i];
}

/*
 * A name safe in any unzip (no folders, no drive, no leading dot, no
 * controls, valid UTF-8: the archive says its names are UTF-8), unique in
 * the archive.  A taken name becomes "<k>-name" with k counting up over
 * the whole archive: two such names never collide (k's digits end at the
 * first '-'), so each entry takes at most two tries past the first.
 */
static void
zip_name(const struct jmap_view_part *p, struct zip_names *zn, size_t ne)
{
	char base[280], *s;
	size_t *slot;

	part_name(p, base, sizeof(base));
	utf8_fix(base, '_');
	for (s = base; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == '/' || *s == '\\' ||
		    *s == ':' || *s == 0x7f)
			*s = '_';
	if (base[0] == '.')
		base[0] = '_';
	snprintf(zn->e[ne].name, sizeof(zn->e[ne].name), "%s", base);
	while (*(slot = name_slot(zn, zn->e[ne].name)) != 0)
		snprintf(zn->e[ne].name, sizeof(zn->e[ne].name), "%u-%s",
		    zn->next_k++, base);
	*slot = ne + 1;
}

static void
message_zip(const struct http_request *req, struct http_response *resp,
    const struct jmap_view *v, const char *id)
{
	struct buf *out = http_resp_body(resp), data;
	struct zip_entry *e;
	struct zip_names zn;
	struct jmap_view_part p;
	size_t i, n = jmap_view_att_count(v), ne = 0, cd_off, cd_len;
	time_t now = time(NULL);
	struct tm tm;
	unsigned dtime, ddate;

	if (n == 0) {
		http_resp_text(resp, 404, "This message has no attachments\n");
		return;
	}
	gmtime_r(&now, &tm);
	dtime = (unsigned)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	ddate = (unsigned)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 |
	    tm.tm_mday);
	e = xcalloc(n, sizeof(*e));
	zn.e = e;
	for (zn.mask = 1; zn.mask < 4 * n; zn.mask <<= 1)
		;
	zn.slot = xcalloc(zn.mask, sizeof(*zn.slot));
	zn.mask--;
	zn.next_k = 2;
	buf_reset(out);
	for (i = 0; i < n && out->err == 0; i++) {
		struct buf z;
		size_t off = out->len;

		if (!jmap_view_att(v, i, &p))
			break;
		buf_init(&data, STORE_MESSAGE_MAX);
		buf_init(&z, STORE_MESSAGE_MAX);
		if (jmap_view_data(v, p.part_id, &data) < 0 ||
		    deflate_raw(&data, &z) < 0) {
			buf_free(&data);
			buf_free(&z);
			free(zn.slot);
			free(e);
			log_ses(req->log, LOG_PROBLEM, "/Message/%s/attachments."
			    "zip: part %s failed", id, p.part_id);
			http_resp_text(resp, 500, "Cannot zip the attachments\n");
			return;
		}
		zip_name(&p, &zn, ne);
		e[ne].crc = (uint32_t)crc32(0L, (const Bytef *)(data.data != NULL ?
		    data.data : ""), (uInt)data.len);
		e[ne].csize = (uint32_t)z.len;
		e[ne].usize = (uint32_t)data.len;
		e[ne].off = (uint32_t)off;
		le32(out, 0x04034b50);
		le16(out, 20);			/* version needed: 2.0 */
		le16(out, 1u << 11);		/* names in UTF-8 */
		le16(out, 8);			/* deflated */
		le16(out, dtime);
		le16(out, ddate);
		le32(out, e[ne].crc);
		le32(out, e[ne].csize);
		le32(out, e[ne].usize);
		le16(out, (unsigned)strlen(e[ne].name));
		le16(out, 0);
		buf_puts(out, e[ne].name);
		buf_append(out, z.data, z.len);
		ne++;
		buf_free(&data);
		buf_free(&z);
	}
	cd_off = out->len;
	for (i = 0; i < ne; i++) {
		le32(out, 0x02014b50);
		le16(out, 3u << 8 | 20);	/* made by: Unix, 2.0 */
		le16(out, 20);
		le16(out, 1u << 11);
		le16(out, 8);
		le16(out, dtime);
		le16(out, ddate);
		le32(out, e[i].crc);
		le32(out, e[i].csize);
		le32(out, e[i].usize);
		le16(out, (unsigned)strlen(e[i].name));
		le16(out, 0);			/* extra */
		le16(out, 0);			/* comment */
		le16(out, 0);			/* disk */
		le16(out, 0);			/* internal attributes */
		le32(out, 0100644u << 16);	/* external: a plain file */
		le32(out, e[i].off);
		buf_puts(out, e[i].name);
	}
	cd_len = out->len - cd_off;
	le32(out, 0x06054b50);
	le16(out, 0);
	le16(out, 0);
	le16(out, (unsigned)ne);
	le16(out, (unsigned)ne);
	le32(out, (uint32_t)cd_len);
	le32(out, (uint32_t)cd_off);
	le16(out, 0);
	free(zn.slot);
	free(e);
	/* a zip is bounded by HTTP_RESPONSE_MAX (< 4 GiB: no Zip64); the
	 * HTTP layer turns a full body into a 500 with a log line */
	http_resp_header(resp, "Content-Type", "application/zip");
	disposition(resp, "attachment", "attachments.zip");
	http_resp_header(resp, "Cache-Control", "private, no-cache");
}

/* Answers a refused /Message request and logs it (the path escaped). */
static void
refuse(const struct http_request *req, struct http_response *resp,
    const struct wu_user *u, unsigned code, const char *text)
{
	char esc[256];

	log_escape(esc, sizeof(esc), req->path, strlen(req->path));
	log_ses(req->log, LOG_PROBLEM, "%s %s of '%s' refused (%u): %.*s",
	    req->method, esc, u->who.address, code,
	    (int)strcspn(text, "\n"), text);
	http_resp_text(resp, code, text);
}

bool
wu_message_handle(struct server *srv, const struct http_request *req,
    struct http_response *resp)
{
	const char *p = req->path, *slash, *rest;
	char id[64];
	struct wu_user u;
	struct jmap_view *v;
	struct error err;

	if (strncmp(p, "/Message/", 9) != 0)
		return false;
	switch (wu_session_get(srv, req, &u)) {
	case WU_AUTH_NONE:
		http_resp_text(resp, 401, "Not logged in\n");
		return true;
	case WU_AUTH_REFUSED:
		http_resp_text(resp, 403, "This session may be used only from "
		    "the network address it was opened from\n");
		return true;
	case WU_AUTH_OK:
		break;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") !=
	    0) {
		http_resp_header(resp, "Allow", "GET, HEAD");
		refuse(req, resp, &u, 405, "Use GET\n");
		goto out;
	}
	p += 9;
	slash = strchr(p, '/');
	if (slash == NULL || (size_t)(slash - p) >= sizeof(id)) {
		refuse(req, resp, &u, 404, "Not found\n");
		goto out;
	}
	memcpy(id, p, (size_t)(slash - p));
	id[slash - p] = '\0';
	rest = slash + 1;
	if (strcmp(rest, "html") != 0 && strcmp(rest, "attachments.zip") !=
	    0 && strncmp(rest, "part/", 5) != 0) {
		refuse(req, resp, &u, 404, "Not found\n");
		goto out;
	}
	v = jmap_view_open(srv, &u.who, id, &err);
	if (v == NULL) {
		if (err.kind == ERR_NOTFOUND) {
			refuse(req, resp, &u, 404, "No such message\n");
			goto out;
		}
		log_ses(req->log, LOG_PROBLEM, "/Message/%s: %s", id,
		    err.msg);
		http_resp_text(resp, 500, "Cannot read the message\n");
		goto out;
	}
	if (strcmp(rest, "html") == 0)
		message_html(req, resp, v, id);
	else if (strcmp(rest, "attachments.zip") == 0)
		message_zip(req, resp, v, id);
	else
		message_part(req, resp, v, id, rest + 5);
	jmap_view_free(&v);
out:
	OPENSSL_cleanse(&u, sizeof(u));
	return true;
}

struct dval *
wu_recent_recipients(struct server *srv, const struct auth_result *who)
{
	return jmap_recent_recipients(srv, who);
}
