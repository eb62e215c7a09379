/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_submit.c: Identity/get (RFC 8621 6) and EmailSubmission/set (7.5):
 * a stored Email is sent through the queue as an authenticated submission
 * of the logged-in account (submit tag HTTPU), with the envelope from the
 * identity (MAIL FROM is the account's address) and the recipients from
 * To/Cc/Bcc (or the envelope given), Bcc removed from the text sent.
 * onSuccessUpdateEmail / onSuccessDestroyEmail run as an implicit
 * Email/set.
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
#include "lib/dict.h"
#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "queue/queue.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap_private.h"

static json_t *
set_err(const char *type, const char *desc)
{
	return json_pack("{s:s, s:s}", "type", type, "description", desc);
}

/* Adds every address of the fields To, Cc, Bcc of the header to rcpts. */
static void
header_rcpts(const char *data, size_t off, size_t len, struct addrlist *l)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	struct mime_header_iter it;
	struct strv n, v;
	struct buf u;
	size_t i;

	buf_init(&u, MIME_HEADER_VALUE_MAX);
	mime_header_iter_init(&it, data, off, len);
	while (mime_header_next(&it, &n, &v))
		for (i = 0; i < N_ELEMENTS(fields); i++)
			if (strv_caseeq_cstr(n, fields[i])) {
				buf_reset(&u);
				mime_unfold(v, &u);
				(void)addrlist_parse(buf_cstr(&u), u.len, l,
				    NULL);
			}
	buf_free(&u);
}

/* The message as sent: a Received: line, then the text without its Bcc
 * fields (RFC 5322 3.6.3). */
static void
sent_text(struct jmap_ctx *c, const char *data, size_t len, size_t hdr_len,
    struct buf *out)
{
	struct mime_header_iter it;
	struct strv n, v;
	char date[TIMEFMT_BUF_MAX];

	(void)timefmt_rfc5322(time(NULL), date, sizeof(date));
	buf_printf(out, "Received: from [%s]\r\n\tby %s (Tegami JMAP %s) with "
	    "%s\r\n\t(authenticated as %s); %s\r\n",
	    conn_peer_ip(c->http->conn), c->who.domain, TEGAMI_VERSION,
	    c->http->tls ? "HTTPS" : "HTTP", c->who.address, date);
	mime_header_iter_init(&it, data, 0, hdr_len);
	while (mime_header_next(&it, &n, &v)) {
		if (strv_caseeq_cstr(n, "Bcc"))
			continue;
		buf_append(out, n.p, n.len);
		buf_putc(out, ':');
		buf_append(out, v.p, v.len);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "\r\n");
	buf_append(out, data + hdr_len, len - hdr_len);
}

/* ---- the submissions kept (jmap.data "Submissions", newest last, a
 * record list of jmap_records.c for EmailSubmission/changes) ---- */

static const struct jmap_rec_kind submission_kind = {
	"Submissions", "SubmissionState", "SubmissionChanges", 'S'
};

/* Adds o (the newest JMAP_SUBMISSIONS_KEPT are kept: the older ones are
 * destroyed), retried once if another request wrote meanwhile. */
static int
keep_submission(struct jmap_ctx *c, json_t *o, struct error *err_r)
{
	struct jmap_records r;
	int tries, rc = -1;

	for (tries = 0; tries < 2 && rc < 0; tries++) {
		jmap_records_load(c, &submission_kind, &r);
		while (json_array_size(r.list) >= JMAP_SUBMISSIONS_KEPT) {
			jmap_records_note(&r, json_string_value(
			    json_object_get(json_array_get(r.list, 0), "id")),
			    'd');
			json_array_remove(r.list, 0);
		}
		json_array_append(r.list, o);
		jmap_records_note(&r, json_string_value(json_object_get(o,
		    "id")), 'c');
		rc = jmap_records_save(c, &r, err_r);
		jmap_records_free(&r);
		if (rc < 0 && err_r->kind != ERR_TEMP)
			break;
	}
	return rc;
}

/* Keeps the EmailSubmission for /get and /query and its recipients for
 * address completion (wu_recent_recipients). */
static void
record(struct jmap_ctx *c, json_t *res, const char *ident, const char *eid,
    const char *from, const struct queue_rcpt *qr, size_t n)
{
	json_t *o = json_deep_copy(res), *rcpt = json_array();
	const char **addrs = xcalloc(n + 1, sizeof(*addrs));
	struct error err;
	size_t i;

	for (i = 0; i < n; i++) {
		json_array_append_new(rcpt, json_pack("{s:s, s:n}", "email",
		    qr[i].address, "parameters"));
		addrs[i] = qr[i].address;
	}
	json_object_set_new(o, "identityId", json_string(ident));
	json_object_set_new(o, "emailId", json_string(eid));
	json_object_set_new(o, "envelope", json_pack("{s:{s:s, s:n}, s:o}",
	    "mailFrom", "email", from, "parameters", "rcptTo", rcpt));
	json_object_set_new(o, "deliveryStatus", json_null());
	json_object_set_new(o, "dsnBlobIds", json_array());
	json_object_set_new(o, "mdnBlobIds", json_array());
	if (keep_submission(c, o, &err) < 0)
		log_ses(c->http->log, LOG_PROBLEM, "%s: submission not kept: "
		    "%s", c->who.address, err.msg);
	json_decref(o);
	jmap_recent_add(c, addrs, n);
	free(addrs);
}

/* Every kept submission, oldest first (never NULL), and the state. */
static json_t *
kept(struct jmap_ctx *c, char *state, size_t n)
{
	struct jmap_records r;
	json_t *out;

	jmap_records_load(c, &submission_kind, &r);
	jmap_records_state(&r, state, n);
	out = json_incref(r.list);
	jmap_records_free(&r);
	return out;
}

json_t *
jmap_submission_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *want = json_object_get(args, "properties");
	json_t *all, *list = json_array(), *nf = json_array(), *v, *w;
	size_t i, k;
	char st[64];

	if (ids != NULL && !json_is_null(ids) && (!json_is_array(ids) ||
	    json_array_size(ids) > JMAP_GET_MAX)) {
		json_decref(list);
		json_decref(nf);
		return jmap_fail(c, "invalidArguments", "ids");
	}
	all = kept(c, st, sizeof(st));
	if (ids == NULL || json_is_null(ids))
		json_array_extend(list, all);
	else
		json_array_foreach(ids, i, w) {
			json_t *hit = NULL;

			json_array_foreach(all, k, v)
				if (json_is_string(w) && strcmp(
				    json_string_value(w), json_string_value(
				    json_object_get(v, "id"))) == 0)
					hit = v;
			if (hit != NULL)
				json_array_append(list, hit);
			else
				json_array_append(nf, w);
		}
	if (json_is_array(want))
		json_array_foreach(list, i, v) {
			const char *key;
			json_t *val, *tmp;

			json_object_foreach_safe(v, tmp, key, val) {
				bool keep = strcmp(key, "id") == 0;

				json_array_foreach(want, k, w)
					if (json_is_string(w) && strcmp(
					    json_string_value(w), key) == 0)
						keep = true;
				if (!keep)
					json_object_del(v, key);
			}
		}
	json_decref(all);
	return json_pack("{s:s, s:s, s:o, s:o}", "accountId",
	    jmap_account_id(c), "state", st, "list", list, "notFound", nf);
}

/* Whether the string value of o's key is in the array list. */
static bool
listed_in(json_t *o, const char *key, json_t *list)
{
	const char *s = json_string_value(json_object_get(o, key));
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (s != NULL && json_is_string(v) && strcmp(s,
		    json_string_value(v)) == 0)
			return true;
	return false;
}

/* RFC 8621 7.3: filter identityIds, emailIds, threadIds, undoStatus,
 * before, after; sort by sentAt (or emailId, threadId) either way. */
json_t *
jmap_submission_query(struct jmap_ctx *c, json_t *args)
{
	json_t *f = json_object_get(args, "filter");
	json_t *sort = json_object_get(args, "sort");
	json_int_t pos = json_integer_value(json_object_get(args, "position"));
	json_t *lim = json_object_get(args, "limit");
	json_t *all, *hits = json_array(), *ids = json_array(), *v;
	const char *key;
	size_t i;
	bool desc = false;
	char st[64];

	if ((f != NULL && !json_is_null(f) && !json_is_object(f)) ||
	    (sort != NULL && !json_is_null(sort) && !json_is_array(sort)) ||
	    (lim != NULL && !json_is_null(lim) && (!json_is_integer(lim) ||
	    json_integer_value(lim) < 0))) {
		json_decref(hits);
		json_decref(ids);
		return jmap_fail(c, "invalidArguments", "filter, sort or "
		    "limit");
	}
	json_object_foreach(f, key, v)
		if (strcmp(key, "identityIds") != 0 && strcmp(key,
		    "emailIds") != 0 && strcmp(key, "threadIds") != 0 &&
		    strcmp(key, "undoStatus") != 0 && strcmp(key, "before") !=
		    0 && strcmp(key, "after") != 0) {
			json_decref(hits);
			json_decref(ids);
			return jmap_fail(c, "unsupportedFilter", "%s", key);
		}
	json_array_foreach(sort, i, v) {
		const char *p = json_string_value(json_object_get(v,
		    "property"));

		if (p == NULL || (strcmp(p, "sentAt") != 0 && strcmp(p,
		    "emailId") != 0 && strcmp(p, "threadId") != 0)) {
			json_decref(hits);
			json_decref(ids);
			return jmap_fail(c, "unsupportedSort", "%s", p != NULL ?
			    p : "?");
		}
		if (i == 0)
			desc = json_is_false(json_object_get(v,
			    "isAscending"));
	}
	all = kept(c, st, sizeof(st));
	json_array_foreach(all, i, v) {
		const char *at = json_string_value(json_object_get(v,
		    "sendAt"));
		json_t *x;

		if ((x = json_object_get(f, "identityIds")) != NULL &&
		    !listed_in(v, "identityId", x))
			continue;
		if ((x = json_object_get(f, "emailIds")) != NULL &&
		    !listed_in(v, "emailId", x))
			continue;
		if (json_object_get(f, "threadIds") != NULL)
			continue;	/* threadId is null: matches none */
		if ((x = json_object_get(f, "undoStatus")) != NULL &&
		    (!json_is_string(x) || strcmp(json_string_value(x),
		    "final") != 0))
			continue;
		if ((x = json_object_get(f, "before")) != NULL &&
		    json_is_string(x) && at != NULL &&
		    strcmp(at, json_string_value(x)) >= 0)
			continue;
		if ((x = json_object_get(f, "after")) != NULL &&
		    json_is_string(x) && at != NULL &&
		    strcmp(at, json_string_value(x)) < 0)
			continue;
		json_array_append(hits, json_object_get(v, "id"));
	}
	if (pos < 0)
		pos = (json_int_t)json_array_size(hits) + pos < 0 ? 0 :
		    (json_int_t)json_array_size(hits) + pos;
	for (i = 0; i < json_array_size(hits); i++) {
		size_t k = desc ? json_array_size(hits) - 1 - i : i;

		if ((json_int_t)i < pos)
			continue;
		if (json_is_integer(lim) && (json_int_t)json_array_size(ids) >=
		    json_integer_value(lim))
			break;
		json_array_append(ids, json_array_get(hits, k));
	}
	json_decref(all);
	v = json_pack("{s:s, s:s, s:b, s:I, s:o, s:I}", "accountId",
	    jmap_account_id(c), "queryState", st, "canCalculateChanges", 0,
	    "position", pos, "ids", ids, "total",
	    (json_int_t)json_array_size(hits));
	json_decref(hits);
	return v;
}

/* Sends one Email; the created object, or NULL with *err_r. */
static json_t *
submit_one(struct jmap_ctx *c, json_t *sub, const char **email_id_r,
    json_t **err_r)
{
	const char *ident = json_string_value(json_object_get(sub,
	    "identityId"));
	const char *eid = json_string_value(json_object_get(sub, "emailId"));
	json_t *env = json_object_get(sub, "envelope");
	struct addrlist rl = { NULL, 0 };
	struct queue_rcpt *qr = NULL;
	struct queue_msg qm;
	struct buf data, text;
	struct mime_message *mm;
	struct error err;
	uint64_t qid = 0;
	int64_t mb;
	uint32_t uid;
	size_t i, n = 0;
	json_t *res = NULL;
	char sid[48], from_addr[ADDRESS_MAX + DOMAIN_NAME_MAX + 2];

	*err_r = NULL;
	if (ident == NULL || !jmap_identity_find(c, ident, from_addr,
	    sizeof(from_addr))) {
		*err_r = json_pack("{s:s, s:[s]}", "type", "invalidProperties",
		    "properties", "identityId");
		return NULL;
	}
	eid = eid != NULL ? jmap_resolve_id(c, eid) : NULL;
	if (eid == NULL || !jmap_parse_msgid(eid, 'E', &mb, &uid)) {
		*err_r = json_pack("{s:s, s:[s]}", "type", "invalidProperties",
		    "properties", "emailId");
		return NULL;
	}
	*email_id_r = eid;
	if (c->srv->queue == NULL) {
		*err_r = set_err("serverFail", "the queue is not running");
		return NULL;
	}
	buf_init(&data, STORE_MESSAGE_MAX);
	if (jmap_email_fetch(c, mb, uid, &data) < 0) {
		buf_free(&data);
		*err_r = set_err("notFound", "no such Email");
		return NULL;
	}
	mm = mime_parse(buf_cstr(&data), data.len);
	if (env != NULL && !json_is_null(env)) {
		const char *from = json_string_value(json_object_get(
		    json_object_get(env, "mailFrom"), "email"));
		json_t *to = json_object_get(env, "rcptTo"), *a;

		if (from == NULL || (strcasecmp(from, c->who.address) != 0 &&
		    strcasecmp(from, from_addr) != 0)) {
			*err_r = set_err("forbiddenFrom", "the envelope "
			    "sender must be the identity's or the account's "
			    "address");
			goto out;
		}
		snprintf(from_addr, sizeof(from_addr), "%s", from);
		json_array_foreach(to, i, a) {
			const char *e = json_string_value(json_object_get(a,
			    "email"));

			if (e != NULL && strlen(e) <= ADDRESS_MAX &&
			    strpbrk(e, "\r\n<> ") == NULL) {
				rl.v = xrealloc(rl.v, (rl.n + 1) *
				    sizeof(*rl.v));
				rl.v[rl.n].addr = xstrdup(e);
				rl.v[rl.n].name = xstrdup("");
				rl.n++;
			}
		}
	} else
		header_rcpts(mm->data, mm->root->hdr_off, mm->root->hdr_len,
		    &rl);
	if (rl.n == 0) {
		*err_r = set_err("noRecipients", "the Email has no recipients");
		goto out;
	}
	if (rl.n > QUEUE_RCPT_MAX) {
		*err_r = set_err("tooManyRecipients", "too many recipients");
		json_object_set_new(*err_r, "maxRecipients",
		    json_integer(QUEUE_RCPT_MAX));
		goto out;
	}
	qr = xcalloc(rl.n, sizeof(*qr));
	for (i = 0; i < rl.n; i++) {
		if (strchr(rl.v[i].addr, '@') == NULL) {
			*err_r = json_pack("{s:s, s:s, s:[s]}", "type",
			    "invalidRecipients", "description",
			    "a recipient has no domain", "invalidRecipients",
			    rl.v[i].addr);
			goto out;
		}
		qr[n++].address = rl.v[i].addr;
	}
	buf_init(&text, STORE_MESSAGE_MAX);
	sent_text(c, mm->data, mm->len, mm->root->hdr_len, &text);
	if (text.err != 0) {
		buf_free(&text);
		*err_r = set_err("tooLarge", "the message is too large");
		goto out;
	}
	memset(&qm, 0, sizeof(qm));
	/* the identity's address: the account's own or one of its aliases
	 * (Identity/set checks) */
	qm.return_path = from_addr;
	qm.submit_tag = "HTTPU";
	qm.source_ip = conn_peer_ip(c->http->conn);
	qm.auth_user = c->who.address;
	qm.ret = QUEUE_RET_DEFAULT;
	qm.rcpts = qr;
	qm.nrcpt = n;
	qm.body = buf_cstr(&text);
	qm.body_len = text.len;
	if (queue_submit(c->srv->queue, &qm, &qid, &err) < 0) {
		buf_free(&text);
		log_ses(c->http->log, LOG_PROBLEM, "%s: submission failed: %s",
		    c->who.address, err.msg);
		*err_r = set_err(err.kind == ERR_LIMIT ? "tooLarge" :
		    "serverFail", err.msg);
		goto out;
	}
	buf_free(&text);
	log_ses(c->http->log, LOG_LOW, "%s: %s submitted as queue id %llu, %zu "
	    "recipient(s)", c->who.address, eid, (unsigned long long)qid, n);
	snprintf(sid, sizeof(sid), "S%llu", (unsigned long long)qid);
	{
		char date[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		res = json_pack("{s:s, s:s, s:s, s:s}", "id", sid,
		    "undoStatus", "final", "sendAt", date, "threadId", "");
		json_object_set_new(res, "threadId", json_null());
		record(c, res, ident, eid, from_addr, qr, n);
	}
out:
	free(qr);
	addrlist_clear(&rl);
	mime_free(&mm);
	buf_free(&data);
	return res;
}

json_t *
jmap_submission_set(struct jmap_ctx *c, json_t *args)
{
	json_t *create = json_object_get(args, "create");
	json_t *on_update = json_object_get(args, "onSuccessUpdateEmail");
	json_t *on_destroy = json_object_get(args, "onSuccessDestroyEmail");
	json_t *created = json_object(), *ncreated = json_object();
	json_t *eupdate = json_object(), *edestroy = json_array();
	json_t *v, *r;
	const char *key;
	size_t i;

	char old_state[64], new_state[64];

	if (create != NULL && !json_is_null(create) && !json_is_object(create))
		return jmap_fail(c, "invalidArguments", "create");
	json_decref(kept(c, old_state, sizeof(old_state)));
	if (json_object_get(args, "update") != NULL &&
	    json_object_size(json_object_get(args, "update")) > 0)
		return jmap_fail(c, "invalidArguments", "sent messages cannot "
		    "be changed (undoStatus is final)");
	if (json_object_size(create) > JMAP_SET_MAX)
		return jmap_fail(c, "requestTooLarge", "too many objects");
	json_object_foreach(create, key, v) {
		const char *eid = NULL;
		json_t *err, *res = submit_one(c, v, &eid, &err);
		char ref[128];
		json_t *u;

		if (res == NULL) {
			json_object_set_new(ncreated, key, err);
			continue;
		}
		json_object_set_new(created, key, res);
		json_object_set_new(c->created, key, json_object_get(res,
		    "id") ? json_incref(json_object_get(res, "id")) :
		    json_null());
		snprintf(ref, sizeof(ref), "#%s", key);
		if ((u = json_object_get(on_update, ref)) != NULL)
			json_object_set(eupdate, eid, u);
		json_array_foreach(on_destroy, i, u)
			if (json_is_string(u) && strcmp(json_string_value(u),
			    ref) == 0)
				json_array_append_new(edestroy,
				    json_string(eid));
	}
	json_decref(kept(c, new_state, sizeof(new_state)));
	r = json_pack("{s:s, s:s, s:s}", "accountId", jmap_account_id(c),
	    "oldState", old_state, "newState", new_state);
	json_object_set_new(r, "created", json_object_size(created) ? created :
	    (json_decref(created), json_null()));
	json_object_set_new(r, "notCreated", json_object_size(ncreated) ?
	    ncreated : (json_decref(ncreated), json_null()));
	if (json_object_size(eupdate) > 0 || json_array_size(edestroy) > 0) {
		json_t *a = json_pack("{s:o, s:o}", "update", eupdate,
		    "destroy", edestroy);

		c->implicit = jmap_email_set(c, a);
		c->implicit_name = "Email/set";
		if (c->implicit == NULL) {
			c->implicit = json_pack("{s:s}", "type", c->etype ?
			    c->etype : "serverFail");
			c->implicit_name = "error";
			c->etype = NULL;
		}
		json_decref(a);
	} else {
		json_decref(eupdate);
		json_decref(edestroy);
	}
	return r;
}

json_t *
jmap_submission_changes(struct jmap_ctx *c, json_t *args)
{
	return jmap_records_changes(c, &submission_kind, args);
}
