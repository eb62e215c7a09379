/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_email_set.c: Email/set (RFC 8621 4.6: keywords and mailboxIds
 * updates, destroy, create from a draft object composed here into an RFC
 * 5322 message) and Email/import (4.8) of uploaded blobs, on the store's
 * flag, copy/move, remove and append calls.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/htmlsan.h"
#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "jmap/jmap_private.h"

/* RFC 8621 4.1.1: %x21-%x7e without ( ) { ] % * " \ */
static bool
keyword_ok(const char *k)
{
	size_t l = strlen(k);
	const char *p;

	if (l == 0 || l > STORE_KEYWORD_MAX)
		return false;
	for (p = k; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e || strchr("(){]%*\"\\", *p) != NULL)
			return false;
	return true;
}

/* A system flag for a keyword, or 0. */
static unsigned
sys_flag(const char *k)
{
	if (strcasecmp(k, "$seen") == 0)
		return STORE_SEEN;
	if (strcasecmp(k, "$answered") == 0)
		return STORE_ANSWERED;
	if (strcasecmp(k, "$flagged") == 0)
		return STORE_FLAGGED;
	if (strcasecmp(k, "$draft") == 0)
		return STORE_DRAFT;
	return 0;
}

bool
jmap_keywords_to_store(json_t *kws, unsigned *flags_r, struct buf *kw)
{
	const char *k;
	json_t *v;

	*flags_r = 0;
	if (kws == NULL || json_is_null(kws))
		return true;
	if (!json_is_object(kws) || json_object_size(kws) >
	    STORE_KEYWORDS_MAX)
		return false;
	json_object_foreach(kws, k, v) {
		unsigned f = sys_flag(k);

		if (!json_is_true(v) || !keyword_ok(k))
			return false;
		if (f != 0)
			*flags_r |= f;
		else {
			if (kw->len > 0)
				buf_putc(kw, ' ');
			buf_puts(kw, k);
		}
	}
	return kw->err == 0;
}

static json_t *
set_err(const char *type, const char *desc)
{
	return json_pack("{s:s, s:s}", "type", type, "description", desc);
}

static json_t *
prop_err(const char *prop)
{
	return json_pack("{s:s, s:[s]}", "type", "invalidProperties",
	    "properties", prop);
}

/* Unescapes a JSON pointer token (~1 '/', ~0 '~') into out (size n). */
static bool
unescape_token(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '~') {
			if (s[1] == '0')
				c = '~';
			else if (s[1] == '1')
				c = '/';
			else
				return false;
			s++;
		}
		if (k + 1 >= n)
			return false;
		out[k++] = c;
	}
	out[k] = '\0';
	return true;
}

/* Applies one update to the Email (mb, uid); the new id (a move) in
 * newid.  NULL on success, else the SetError. */
static json_t *
update_one(struct jmap_ctx *c, int64_t mb, uint32_t uid, json_t *patch,
    char *newid, size_t nid)
{
	struct store_uidrange r = { uid, uid };
	struct error err;
	const char *key;
	json_t *v;
	int64_t dest = mb;
	int dest_changes = 0;
	bool mb_full = false;

	/* check everything first, then change */
	json_object_foreach(patch, key, v) {
		char tok[STORE_KEYWORD_MAX + 2];

		if (strcmp(key, "keywords") == 0) {
			struct buf kw;
			unsigned f;
			bool ok;

			buf_init(&kw, STORE_KEYWORDS_MAX *
			    (STORE_KEYWORD_MAX + 1));
			ok = jmap_keywords_to_store(v, &f, &kw);
			buf_free(&kw);
			if (!ok || !json_is_object(v))
				return prop_err("keywords");
		} else if (strncmp(key, "keywords/", 9) == 0) {
			if (!unescape_token(key + 9, tok, sizeof(tok)) ||
			    !keyword_ok(tok) || !(json_is_true(v) ||
			    json_is_null(v)))
				return prop_err(key);
		} else if (strcmp(key, "mailboxIds") == 0) {
			const char *k2;
			json_t *v2;

			if (!json_is_object(v) || json_object_size(v) != 1)
				return set_err("invalidProperties", "an Email "
				    "is in exactly one mailbox on this server");
			json_object_foreach(v, k2, v2) {
				int at = jmap_mb_by_jid(c, jmap_resolve_id(c,
				    k2));

				if (at < 0 || !json_is_true(v2))
					return prop_err("mailboxIds");
				dest = c->mbs[at].id;
			}
			mb_full = true;
		} else if (strncmp(key, "mailboxIds/", 11) == 0) {
			const char *jid;
			int at;

			if (!unescape_token(key + 11, tok, sizeof(tok)) ||
			    (jid = jmap_resolve_id(c, tok)) == NULL ||
			    (at = jmap_mb_by_jid(c, jid)) < 0)
				return prop_err(key);
			if (json_is_true(v)) {
				if (c->mbs[at].id != mb) {
					dest = c->mbs[at].id;
					dest_changes++;
				}
			} else if (json_is_null(v)) {
				if (c->mbs[at].id == mb)
					dest_changes--;
			} else
				return prop_err(key);
		} else
			return set_err("invalidProperties", "only keywords and "
			    "mailboxIds can be changed");
	}
	/* with patches: add one mailbox and remove the current one (a
	 * move); anything else leaves it in zero or two mailboxes */
	if (!mb_full && dest_changes != 0)
		return set_err("invalidProperties", "an Email is in exactly "
		    "one mailbox on this server: add one and remove the "
		    "other in the same update");
	json_object_foreach(patch, key, v) {
		char tok[STORE_KEYWORD_MAX + 2];

		if (strcmp(key, "keywords") == 0) {
			struct buf kw;
			unsigned f;

			buf_init(&kw, STORE_KEYWORDS_MAX *
			    (STORE_KEYWORD_MAX + 1));
			(void)jmap_keywords_to_store(v, &f, &kw);
			if (store_set_flags(c->store, mb, &r, 1,
			    STORE_FLAGS_SET, f, buf_cstr(&kw), NULL, NULL, NULL,
			    NULL, &err) < 0) {
				buf_free(&kw);
				return set_err("serverFail", err.msg);
			}
			buf_free(&kw);
		} else if (strncmp(key, "keywords/", 9) == 0) {
			unsigned f;

			(void)unescape_token(key + 9, tok, sizeof(tok));
			f = sys_flag(tok);
			if (store_set_flags(c->store, mb, &r, 1,
			    json_is_true(v) ? STORE_FLAGS_ADD :
			    STORE_FLAGS_REMOVE, f, f != 0 ? NULL : tok, NULL,
			    NULL, NULL, NULL, &err) < 0)
				return set_err("serverFail", err.msg);
		}
	}
	snprintf(newid, nid, "E%lld-%u", (long long)mb, uid);
	if (dest != mb) {
		struct store_uidmap map;
		int at = jmap_mb_by_id(c, dest);

		memset(&map, 0, sizeof(map));
		if (at < 0 || store_copy(c->store, mb, &r, 1, c->mbs[at].name,
		    true, &map, &err) < 0)
			return set_err("serverFail", at < 0 ? "no such mailbox" :
			    err.msg);
		if (map.n == 1)
			snprintf(newid, nid, "E%lld-%u", (long long)dest,
			    map.dst[0]);
		store_uidmap_free(&map);
	}
	return NULL;
}

/* ---- composing a draft (RFC 8621 4.6 create) ---- */

static bool
no_crlf(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* "Name <a@b>, ..." from EmailAddress[]; false when malformed. */
static bool
put_addresses(struct buf *out, const char *hdr, json_t *list)
{
	json_t *a;
	size_t i;

	if (list == NULL || json_is_null(list))
		return true;
	if (!json_is_array(list))
		return false;
	if (json_array_size(list) == 0)
		return true;
	buf_printf(out, "%s: ", hdr);
	json_array_foreach(list, i, a) {
		const char *name = json_string_value(json_object_get(a,
		    "name"));
		const char *email = json_string_value(json_object_get(a,
		    "email"));

		if (email == NULL || !no_crlf(email) || strpbrk(email,
		    "<>,; ") != NULL || (name != NULL && !no_crlf(name)))
			return false;
		if (i > 0)
			buf_puts(out, ",\r\n ");
		if (name != NULL && name[0] != '\0') {
			if (mime_is_ascii(name) && strpbrk(name,
			    "()<>[]:;@\\,.\"") == NULL)
				buf_puts(out, name);
			else if (mime_is_ascii(name)) {
				buf_putc(out, '"');
				for (const char *p = name; *p != '\0'; p++) {
					if (*p == '"' || *p == '\\')
						buf_putc(out, '\\');
					buf_putc(out, *p);
				}
				buf_putc(out, '"');
			} else
				mime_encode_words(name, out);
			buf_printf(out, " <%s>", email);
		} else
			buf_puts(out, email);
	}
	buf_puts(out, "\r\n");
	return true;
}

static void
put_ids(struct buf *out, const char *hdr, json_t *list)
{
	json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return;
	buf_printf(out, "%s:", hdr);
	json_array_foreach(list, i, v)
		if (json_is_string(v) && no_crlf(json_string_value(v)) &&
		    strpbrk(json_string_value(v), "<> ") == NULL)
			buf_printf(out, " <%s>", json_string_value(v));
	buf_puts(out, "\r\n");
}

/* The text of a body part given with partId and bodyValues. */
static const char *
part_value(json_t *email, json_t *part)
{
	const char *pid = json_string_value(json_object_get(part, "partId"));

	if (pid == NULL)
		return NULL;
	return json_string_value(json_object_get(json_object_get(
	    json_object_get(email, "bodyValues"), pid), "value"));
}

/* A text part with its headers: 7bit for ASCII, else base64. */
static void
put_text_part(struct buf *out, const char *subtype, const char *text)
{
	buf_printf(out, "Content-Type: text/%s; charset=utf-8\r\n", subtype);
	if (mime_is_ascii(text)) {
		const char *p;

		buf_puts(out, "Content-Transfer-Encoding: 7bit\r\n\r\n");
		for (p = text; *p != '\0'; p++) {
			if (*p == '\n' && (p == text || p[-1] != '\r'))
				buf_putc(out, '\r');
			buf_putc(out, *p);
		}
		buf_puts(out, "\r\n");
	} else {
		buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
		mime_encode_base64(text, strlen(text), out);
	}
}

static void
make_boundary(char *b, size_t n, unsigned k)
{
	snprintf(b, n, "=_tegami_%08lx%04x_%u", (unsigned long)time(NULL),
	    (unsigned)(random() & 0xffff), k);
}

static json_t *compose_text(struct jmap_ctx *c, json_t *e, struct buf *out,
    struct buf *clean);

/* cid: URLs of a composed HTML body stay as they are (its parts). */
static bool
keep_cid(void *arg, const char *cid, struct buf *out)
{
	(void)arg;
	buf_puts(out, "cid:");
	buf_puts(out, cid);
	return true;
}

/* Composes the message of a draft into out; NULL, or the SetError. */
static json_t *
compose(struct jmap_ctx *c, json_t *e, struct buf *out)
{
	json_t *r;
	struct buf clean = { 0 };

	r = compose_text(c, e, out, &clean);
	buf_free(&clean);
	return r;
}

static json_t *
compose_text(struct jmap_ctx *c, json_t *e, struct buf *out,
    struct buf *clean)
{
	static const struct {
		const char *prop, *hdr;
	} addrs[] = { { "from", "From" }, { "sender", "Sender" },
	    { "to", "To" }, { "cc", "Cc" }, { "bcc", "Bcc" },
	    { "replyTo", "Reply-To" } };
	json_t *text = json_object_get(e, "textBody");
	json_t *html = json_object_get(e, "htmlBody");
	json_t *atts = json_object_get(e, "attachments");
	const char *subject = json_string_value(json_object_get(e, "subject"));
	const char *sent = json_string_value(json_object_get(e, "sentAt"));
	const char *tv = NULL, *hv = NULL;
	char date[TIMEFMT_BUF_MAX], outer[64], alt[64];
	size_t i;
	json_t *a;

	for (i = 0; i < N_ELEMENTS(addrs); i++)
		if (!put_addresses(out, addrs[i].hdr, json_object_get(e,
		    addrs[i].prop)))
			return prop_err(addrs[i].prop);
	if (subject != NULL) {
		if (!no_crlf(subject))
			return prop_err("subject");
		buf_puts(out, "Subject: ");
		mime_encode_words(subject, out);
		buf_puts(out, "\r\n");
	}
	(void)sent;		/* the Date is the time of composing */
	(void)timefmt_rfc5322(time(NULL), date, sizeof(date));
	buf_printf(out, "Date: %s\r\n", date);
	{
		json_t *mid = json_object_get(e, "messageId");

		if (json_is_array(mid) && json_array_size(mid) == 1)
			put_ids(out, "Message-ID", mid);
		else
			buf_printf(out, "Message-ID: <%lx.%lx.jmap@%s>\r\n",
			    (unsigned long)time(NULL), (unsigned long)random(),
			    c->who.domain);
	}
	put_ids(out, "In-Reply-To", json_object_get(e, "inReplyTo"));
	put_ids(out, "References", json_object_get(e, "references"));
	buf_puts(out, "MIME-Version: 1.0\r\n");
	if (json_is_array(text) && json_array_size(text) > 0)
		tv = part_value(e, json_array_get(text, 0));
	if (json_is_array(html) && json_array_size(html) > 0)
		hv = part_value(e, json_array_get(html, 0));
	if ((json_array_size(text) > 0 && tv == NULL) ||
	    (json_array_size(html) > 0 && hv == NULL))
		return prop_err("bodyValues");
	if (tv == NULL && hv == NULL)
		tv = "";
	if (hv != NULL && c->web_session) {
		/* what the webmail's editor wrote is stored (and sent) only
		 * through the sanitiser: drafts and sent HTML are clean */
		struct htmlsan_opts o;
		struct error err;

		memset(&o, 0, sizeof(o));
		o.remote_images = true;
		o.cid_url = keep_cid;
		buf_init(clean, STORE_MESSAGE_MAX);
		if (htmlsan_clean(hv, strlen(hv), &o, clean, NULL, &err) < 0)
			return set_err("tooLarge", err.msg);
		hv = buf_cstr(clean);
	}
	make_boundary(outer, sizeof(outer), 1);
	make_boundary(alt, sizeof(alt), 2);
	if (json_array_size(atts) > 0)
		buf_printf(out, "Content-Type: multipart/mixed; "
		    "boundary=\"%s\"\r\n\r\n--%s\r\n", outer, outer);
	if (tv != NULL && hv != NULL) {
		buf_printf(out, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\r\n\r\n--%s\r\n", alt, alt);
		put_text_part(out, "plain", tv);
		buf_printf(out, "--%s\r\n", alt);
		put_text_part(out, "html", hv);
		buf_printf(out, "--%s--\r\n", alt);
	} else
		put_text_part(out, tv != NULL ? "plain" : "html",
		    tv != NULL ? tv : hv);
	json_array_foreach(atts, i, a) {
		const char *blob = json_string_value(json_object_get(a,
		    "blobId"));
		const char *type = json_string_value(json_object_get(a, "type"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *cid = json_string_value(json_object_get(a, "cid"));
		const char *disp = json_string_value(json_object_get(a,
		    "disposition"));
		struct buf data;

		buf_init(&data, JMAP_UPLOAD_MAX);
		if (blob == NULL || jmap_blob_get(c, blob, &data) < 0) {
			buf_free(&data);
			return set_err("blobNotFound", "an attachment's blobId "
			    "is unknown");
		}
		if (type == NULL || !no_crlf(type) || strpbrk(type, ";\"") !=
		    NULL)
			type = "application/octet-stream";
		buf_printf(out, "--%s\r\nContent-Type: %s\r\n", outer, type);
		buf_printf(out, "Content-Disposition: %s",
		    disp != NULL && strcmp(disp, "inline") == 0 ? "inline" :
		    "attachment");
		if (name != NULL && no_crlf(name)) {
			if (mime_is_ascii(name) && strchr(name, '"') == NULL)
				buf_printf(out, "; filename=\"%s\"", name);
			else {
				/* RFC 2231 */
				buf_puts(out, ";\r\n filename*=utf-8''");
				for (const char *p = name; *p != '\0'; p++)
					if ((*p >= 'a' && *p <= 'z') ||
					    (*p >= 'A' && *p <= 'Z') ||
					    (*p >= '0' && *p <= '9') ||
					    strchr(".-_", *p) != NULL)
						buf_putc(out, *p);
					else
						buf_printf(out, "%%%02X",
						    (unsigned char)*p);
			}
		}
		buf_puts(out, "\r\n");
		if (cid != NULL && no_crlf(cid) && strpbrk(cid, "<> ") == NULL)
			buf_printf(out, "Content-ID: <%s>\r\n", cid);
		buf_puts(out, "Content-Transfer-Encoding: base64\r\n\r\n");
		mime_encode_base64((data.data != NULL ?
		    data.data : ""), data.len, out);
		buf_free(&data);
	}
	if (json_array_size(atts) > 0)
		buf_printf(out, "--%s--\r\n", outer);
	if (out->err != 0)
		return set_err("tooLarge", "the message is too large");
	return NULL;
}

/* The one mailbox of a new Email's mailboxIds; -1 if not exactly one. */
static int
one_mailbox(struct jmap_ctx *c, json_t *ids)
{
	const char *k;
	json_t *v;
	int at = -1;

	if (!json_is_object(ids) || json_object_size(ids) != 1)
		return -1;
	json_object_foreach(ids, k, v) {
		const char *jid = jmap_resolve_id(c, k);

		if (!json_is_true(v) || (at = jmap_mb_by_jid(c, jid)) < 0)
			return -1;
	}
	return at;
}

static char *
email_state(struct jmap_ctx *c)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	if (jmap_state(c, 'E', &b) < 0 || b.err != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void
set_or_null(json_t *r, const char *name, json_t *v)
{
	if ((json_is_object(v) && json_object_size(v) == 0) ||
	    (json_is_array(v) && json_array_size(v) == 0)) {
		json_decref(v);
		v = json_null();
	}
	json_object_set_new(r, name, v);
}

/* Stores a message in mailbox index at; the created-object answer. */
static json_t *
store_new(struct jmap_ctx *c, int at, const char *data, size_t len,
    unsigned flags, const char *keywords, int64_t received, json_t **err_r,
    const char *cid)
{
	struct store_new_msg nm;
	struct error err;
	uint32_t uid;
	char id[64], blob[64], thr[64];

	memset(&nm, 0, sizeof(nm));
	nm.data = data;
	nm.len = len;
	nm.flags = flags;
	nm.keywords = keywords;
	nm.internaldate = received;
	/* the account's limit, as IMAP APPEND and local delivery */
	if (store_append(c->store, c->mbs[at].name, &nm, jmap_quota_max(c),
	    &uid, NULL, &err) < 0) {
		*err_r = set_err(err.kind == ERR_LIMIT ? "overQuota" :
		    "serverFail", err.msg);
		return NULL;
	}
	snprintf(id, sizeof(id), "E%lld-%u", (long long)c->mbs[at].id, uid);
	snprintf(blob, sizeof(blob), "B%lld-%u", (long long)c->mbs[at].id,
	    uid);
	if (jmap_thread_of(c, c->mbs[at].id, uid, thr, sizeof(thr)) < 0)
		snprintf(thr, sizeof(thr), "T%lld-%u", (long long)c->mbs[at].id,
		    uid);
	json_object_set_new(c->created, cid, json_string(id));
	return json_pack("{s:s, s:s, s:s, s:I}", "id", id, "blobId", blob,
	    "threadId", thr, "size", (json_int_t)len);
}

static int64_t
received_of(json_t *e)
{
	const char *s = json_string_value(json_object_get(e, "receivedAt"));
	int y, mo, d, h, mi, se;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h,
	    &mi, &se) != 6 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	return (int64_t)timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + se;
}

json_t *
jmap_email_set(struct jmap_ctx *c, json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	const char *if_state = json_string_value(json_object_get(args,
	    "ifInState"));
	json_t *created, *ncreated, *updated, *nupdated, *destroyed,
	    *ndestroyed, *v, *r;
	const char *key;
	char *old, *now;
	size_t i;

	if ((create != NULL && !json_is_object(create) &&
	    !json_is_null(create)) || (update != NULL &&
	    !json_is_object(update) && !json_is_null(update)) ||
	    (destroy != NULL && !json_is_array(destroy) &&
	    !json_is_null(destroy)))
		return jmap_fail(c, "invalidArguments", "create, update or "
		    "destroy");
	if (json_object_size(create) + json_object_size(update) +
	    json_array_size(destroy) > JMAP_SET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d objects",
		    JMAP_SET_MAX);
	if ((old = email_state(c)) == NULL)
		return NULL;
	if (if_state != NULL && strcmp(if_state, old) != 0) {
		free(old);
		return jmap_fail(c, "stateMismatch", "ifInState does not "
		    "match the current state");
	}
	created = json_object();
	ncreated = json_object();
	updated = json_object();
	nupdated = json_object();
	destroyed = json_array();
	ndestroyed = json_object();
	json_object_foreach(create, key, v) {
		struct buf msg, kw;
		unsigned flags;
		json_t *err = NULL, *res;
		int at;

		jmap_mbs_load(c);
		if ((at = one_mailbox(c, json_object_get(v, "mailboxIds"))) <
		    0) {
			json_object_set_new(ncreated, key, json_pack("{s:s, "
			    "s:s, s:[s]}", "type", "invalidProperties",
			    "description", "an Email is in exactly one mailbox "
			    "on this server", "properties", "mailboxIds"));
			continue;
		}
		buf_init(&kw, STORE_KEYWORDS_MAX * (STORE_KEYWORD_MAX + 1));
		if (!jmap_keywords_to_store(json_object_get(v, "keywords"),
		    &flags, &kw)) {
			buf_free(&kw);
			json_object_set_new(ncreated, key, prop_err("keywords"));
			continue;
		}
		buf_init(&msg, STORE_MESSAGE_MAX);
		if ((err = compose(c, v, &msg)) == NULL &&
		    (res = store_new(c, at, buf_cstr(&msg), msg.len, flags,
		    buf_cstr(&kw), received_of(v), &err, key)) != NULL)
			json_object_set_new(created, key, res);
		else
			json_object_set_new(ncreated, key, err);
		buf_free(&msg);
		buf_free(&kw);
		jmap_mbs_invalidate(c);
	}
	json_object_foreach(update, key, v) {
		const char *id = jmap_resolve_id(c, key);
		int64_t mb;
		uint32_t uid;
		struct store_msgs msgs = { NULL, 0 };
		struct store_uidrange rg;
		struct error e;
		json_t *err;
		char newid[64];

		jmap_mbs_load(c);
		if (!jmap_parse_msgid(id, 'E', &mb, &uid) ||
		    jmap_mb_by_id(c, mb) < 0 || !json_is_object(v) ||
		    (rg.lo = rg.hi = uid, store_messages(c->store, mb, &rg, 1,
		    &msgs, &e) < 0) || msgs.n != 1) {
			store_msgs_free(&msgs);
			json_object_set_new(nupdated, key, set_err("notFound",
			    "no such Email"));
			continue;
		}
		store_msgs_free(&msgs);
		err = update_one(c, mb, uid, v, newid, sizeof(newid));
		if (err != NULL)
			json_object_set_new(nupdated, key, err);
		else if (strcmp(newid, id) != 0)
			/* a move gives the Email a new id (docs/jmap.md) */
			json_object_set_new(updated, key, json_pack("{s:s}",
			    "id", newid));
		else
			json_object_set_new(updated, key, json_null());
		jmap_mbs_invalidate(c);
	}
	json_array_foreach(destroy, i, v) {
		const char *id = json_string_value(v);
		int64_t mb;
		uint32_t uid;
		uint32_t *gone = NULL;
		size_t ngone = 0;
		struct store_uidrange rg;
		struct error e;

		id = id != NULL ? jmap_resolve_id(c, id) : NULL;
		jmap_mbs_load(c);
		if (!jmap_parse_msgid(id, 'E', &mb, &uid) ||
		    jmap_mb_by_id(c, mb) < 0) {
			json_object_set_new(ndestroyed, json_is_string(v) ?
			    json_string_value(v) : "", set_err("notFound",
			    "no such Email"));
			continue;
		}
		rg.lo = rg.hi = uid;
		if (store_remove(c->store, mb, &rg, 1, &gone, &ngone, &e) < 0 ||
		    ngone != 1) {
			json_object_set_new(ndestroyed, id, set_err("notFound",
			    "no such Email"));
		} else
			json_array_append_new(destroyed, json_string(id));
		free(gone);
		jmap_mbs_invalidate(c);
	}
	if ((now = email_state(c)) == NULL)
		now = xstrdup(old);
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old, "newState", now);
	set_or_null(r, "created", created);
	set_or_null(r, "updated", updated);
	set_or_null(r, "destroyed", destroyed);
	set_or_null(r, "notCreated", ncreated);
	set_or_null(r, "notUpdated", nupdated);
	set_or_null(r, "notDestroyed", ndestroyed);
	free(old);
	free(now);
	return r;
}

json_t *
jmap_email_import(struct jmap_ctx *c, json_t *args)
{
	json_t *emails = json_object_get(args, "emails");
	const char *if_state = json_string_value(json_object_get(args,
	    "ifInState"));
	json_t *created, *ncreated, *v, *r;
	const char *key;
	char *old, *now;

	if (!json_is_object(emails))
		return jmap_fail(c, "invalidArguments", "emails");
	if (json_object_size(emails) > JMAP_SET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d emails",
		    JMAP_SET_MAX);
	if ((old = email_state(c)) == NULL)
		return NULL;
	if (if_state != NULL && strcmp(if_state, old) != 0) {
		free(old);
		return jmap_fail(c, "stateMismatch", "ifInState");
	}
	created = json_object();
	ncreated = json_object();
	json_object_foreach(emails, key, v) {
		const char *blob = json_string_value(json_object_get(v,
		    "blobId"));
		struct buf data, kw;
		unsigned flags;
		json_t *err = NULL, *res;
		int at;

		jmap_mbs_load(c);
		if ((at = one_mailbox(c, json_object_get(v, "mailboxIds"))) <
		    0) {
			json_object_set_new(ncreated, key, prop_err(
			    "mailboxIds"));
			continue;
		}
		buf_init(&kw, STORE_KEYWORDS_MAX * (STORE_KEYWORD_MAX + 1));
		if (!jmap_keywords_to_store(json_object_get(v, "keywords"),
		    &flags, &kw)) {
			buf_free(&kw);
			json_object_set_new(ncreated, key, prop_err("keywords"));
			continue;
		}
		buf_init(&data, STORE_MESSAGE_MAX);
		if (blob == NULL || jmap_blob_get(c, jmap_resolve_id(c, blob) ?
		    jmap_resolve_id(c, blob) : blob, &data) < 0)
			json_object_set_new(ncreated, key, set_err(
			    "blobNotFound", "no such blob"));
		else if ((res = store_new(c, at, buf_cstr(&data), data.len,
		    flags, buf_cstr(&kw), received_of(v), &err, key)) != NULL)
			json_object_set_new(created, key, res);
		else
			json_object_set_new(ncreated, key, err);
		buf_free(&data);
		buf_free(&kw);
		jmap_mbs_invalidate(c);
	}
	if ((now = email_state(c)) == NULL)
		now = xstrdup(old);
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old, "newState", now);
	set_or_null(r, "created", created);
	set_or_null(r, "notCreated", ncreated);
	free(old);
	free(now);
	return r;
}
