/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_message.c: message commands -- APPEND (with RFC 3502
 * MULTIAPPEND and RFC 4315 APPENDUID, sent only after the store's durable
 * commit), FETCH (RFC 7162 CHANGEDSINCE/VANISHED), STORE (UNCHANGEDSINCE,
 * MODIFIED), COPY and MOVE (RFC 6851, COPYUID) and EXPUNGE / UID EXPUNGE.
 * EXPUNGE responses themselves are produced by the view sync that runs
 * before every tagged reply (imap_view.c).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "imap/imap_fetch.h"
#include "imap/imap_private.h"

/* ---- APPEND ---- */

struct append_msg {
	const struct imap_arg *data;
	unsigned	 flags;
	struct buf	 keywords;
	int64_t		 date;
};

int
cmd_append(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct append_msg *msgs = NULL;
	struct store_new_msg *nms;
	struct store_status st;
	struct buf name, *enc;
	struct error err;
	char code[32];
	size_t i = 1, nmsgs = 0, k;
	uint32_t uidv = 0, *got;
	int r = 0, rc;

	if (n < 2)
		return imap_bad(s, "APPEND expects a mailbox and a message");
	buf_init(&name, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mailbox_arg(&a[0], &name, &err) < 0) {
		buf_free(&name);
		return imap_mailbox_fail(s, &err);
	}
	/* RFC 3502: one or more [flags] [date-time] literal */
	while (i < n) {
		struct append_msg *m;

		msgs = xrealloc(msgs, size_mul(nmsgs + 1, sizeof(*msgs)));
		m = &msgs[nmsgs++];
		memset(m, 0, sizeof(*m));
		buf_init(&m->keywords, IMAP_KEYWORDS_TEXT_MAX);
		if (i < n && a[i].type == IMAP_ARG_LIST) {
			if (imap_flags_parse(&a[i], &m->flags, &m->keywords,
			    &err) < 0) {
				r = imap_bad(s, "%s", err.msg);
				goto out;
			}
			i++;
		}
		if (i < n && a[i].type == IMAP_ARG_STRING) {
			m->date = timefmt_parse_imap(a[i].str, a[i].len, NULL);
			if (m->date < 0) {
				r = imap_bad(s, "Invalid date-time");
				goto out;
			}
			i++;
		}
		if (i >= n || a[i].type != IMAP_ARG_LITERAL) {
			r = imap_bad(s, "APPEND expects a literal message");
			goto out;
		}
		m->data = &a[i++];
	}
	if (store_mailbox_status(s->store, buf_cstr(&name), &st, &err) < 0) {
		r = err.kind == ERR_NOTFOUND ?
		    imap_no(s, "[TRYCREATE] Mailbox does not exist") :
		    imap_no_err(s, "APPEND", &err);
		goto out;
	}
	/* RFC 3502: if one message cannot be appended, none is */
	for (k = 0; k < nmsgs; k++)
		if (s->max_message_size > 0 &&
		    msgs[k].data->len > s->max_message_size) {
			r = imap_no(s, "[TOOBIG] Message too big");
			goto out;
		}
	nms = xcalloc(nmsgs, sizeof(*nms));
	enc = xcalloc(nmsgs, sizeof(*enc));
	got = xcalloc(nmsgs, sizeof(*got));
	for (k = 0; k < nmsgs; k++) {
		nms[k].data = msgs[k].data->str;
		nms[k].len = msgs[k].data->len;
		buf_init(&enc[k], IMAP_APPEND_MAX * 2);
		if (msgs[k].data->literal8 && imap_binary_encode(nms[k].data,
		    nms[k].len, &enc[k]) && enc[k].err == 0) {
			nms[k].data = enc[k].data;
			nms[k].len = enc[k].len;
		}
		nms[k].flags = msgs[k].flags;
		nms[k].keywords = msgs[k].keywords.len > 0 ?
		    buf_cstr(&msgs[k].keywords) : NULL;
		nms[k].internaldate = msgs[k].date;
	}
	rc = store_append_many(s->store, buf_cstr(&name), nms, nmsgs,
	    s->max_account_size, got, &uidv, &err);
	for (k = 0; k < nmsgs; k++)
		buf_free(&enc[k]);
	free(enc);
	free(nms);
	if (rc < 0) {
		free(got);
		r = imap_no_err(s, "APPEND", &err);
		goto out;
	}
	log_ses(&s->log, LOG_LOW, "appended %zu message(s) to %s", nmsgs,
	    buf_cstr(&name));
	/* RFC 4315: only now, after the durable commit */
	(void)snprintf(code, sizeof(code), "APPENDUID %u", uidv);
	imap_resp_sets(s, code, got, NULL, nmsgs);
	free(got);
	r = imap_ok(s, "APPEND completed");
out:
	for (k = 0; k < nmsgs; k++)
		buf_free(&msgs[k].keywords);
	free(msgs);
	buf_free(&name);
	return r;
}

/* ---- FETCH ---- */

/* RFC 7162 3.2.6: the UIDs of the set (taken as sent: '*' is unbounded,
 * expunged UIDs may lie above the last one) expunged since "since". */
static int
send_vanished_earlier(struct imap_session *s, uint64_t since,
    const struct imap_arg *seqarg)
{
	struct store_msgs changed;
	struct imap_seqset set;
	uint32_t *v = NULL, *keep;
	size_t nv = 0, i, nk = 0;
	struct error err;
	struct buf b;
	int rc = 0;

	if (imap_seqset_parse(strv_make(seqarg->str, seqarg->len), UINT32_MAX,
	    &set, &err) < 0)
		return -1;
	if (store_changes_since(s->store, s->mbox_id, since, &changed, &v,
	    &nv, &err) < 0) {
		imap_seqset_free(&set);
		return -1;
	}
	store_msgs_free(&changed);
	keep = xcalloc(nv + 1, sizeof(*keep));
	for (i = 0; i < nv; i++)
		if (imap_seqset_contains(&set, v[i]))
			keep[nk++] = v[i];
	imap_seqset_free(&set);
	if (nk > 0) {
		/* any length: in pieces */
		buf_init(&b, IMAP_OUT_BUF);
		buf_puts(&b, "* VANISHED (EARLIER) ");
		imap_stream_seqset(s, &b, keep, nk);
		if (imap_stream_end(s, &b) < 0)
			rc = -1;
		buf_free(&b);
	}
	free(keep);
	free(v);
	return rc;
}

int
cmd_fetch(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct store_uidrange *set = NULL, vset;
	struct store_msgs msgs = { NULL, 0 }, changed = { NULL, 0 };
	struct store_msg_extra *extra = NULL;
	struct fetch_req req;
	struct error err;
	struct buf out;
	size_t nset, i, j;
	ssize_t idx;
	bool *seen_now = NULL;
	int r;

	if (n < 2 || n > 3)
		return imap_bad(s, "FETCH expects a sequence set and items");
	if (imap_fetch_parse(&a[1], n == 3 ? &a[2] : NULL, &req, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (req.vanished && (!s->uid_cmd || !s->qresync)) {
		imap_fetch_req_free(&req);
		return imap_bad(s, "VANISHED needs UID FETCH and QRESYNC");
	}
	for (i = 0; i < req.n; i++)
		if (req.v[i].kind == FI_MODSEQ)
			imap_condstore_enable(s);
	if (req.changedsince_set)
		imap_condstore_enable(s);
	if (imap_view_uidset(s, &a[0], s->uid_cmd, &set, &nset, &err) < 0) {
		imap_fetch_req_free(&req);
		return imap_bad(s, "%s", err.msg);
	}
	if (req.vanished && send_vanished_earlier(s, req.changedsince,
	    &a[0]) < 0) {
		r = imap_no(s, "[SERVERBUG] VANISHED (EARLIER) could not be "
		    "found or sent");
		goto done;
	}
	r = 0;
	if (nset > 0 && store_messages_with(s->store, s->mbox_id, set, nset,
	    imap_fetch_with(&req), &msgs, &extra, &err) < 0) {
		r = imap_no_err(s, "FETCH", &err);
		goto done;
	}
	/* RFC 3501 6.4.5: BODY[...] sets \Seen */
	seen_now = xcalloc(msgs.n + 1, sizeof(*seen_now));
	if (req.sets_seen && !s->readonly && msgs.n > 0) {
		for (i = 0; i < msgs.n; i++) {
			if (msgs.v[i].flags & STORE_SEEN)
				continue;
			vset.lo = vset.hi = msgs.v[i].uid;
			if (store_set_flags(s->store, s->mbox_id, &vset, 1,
			    STORE_FLAGS_ADD, STORE_SEEN, NULL, NULL, &changed,
			    NULL, NULL, &err) < 0)
				break;
			for (j = 0; j < changed.n; j++)
				imap_view_update(s, &changed.v[j]);
			if (changed.n > 0)
				seen_now[i] = true;
			store_msgs_free(&changed);
		}
	}
	buf_init(&out, IMAP_FETCH_MAX + IMAP_LINE_MAX);
	for (i = 0; i < msgs.n; i++) {
		if ((idx = imap_view_find(s, msgs.v[i].uid)) < 0 ||
		    s->msgs[idx].expunged)
			continue;
		if (req.changedsince_set &&
		    s->msgs[idx].modseq <= req.changedsince)
			continue;
		buf_reset(&out);
		if (imap_fetch_render(s, &req, &msgs.v[i], &extra[i],
		    (size_t)idx, seen_now[i], &out, &err) < 0) {
			if (err.kind == ERR_NOTFOUND)
				continue;	/* expunged meanwhile */
			buf_free(&out);
			r = err.kind == ERR_PERM ? imap_no(s, "%s", err.msg) :
			    imap_no_err(s, "FETCH", &err);
			goto done;
		}
		if (imap_send_raw(s, out.data, out.len) < 0) {
			buf_free(&out);
			r = imap_no(s, "[SERVERBUG] FETCH response could not "
			    "be sent");
			goto done;
		}
	}
	buf_free(&out);
	r = imap_ok(s, "FETCH completed");
done:
	free(seen_now);
	store_msg_extra_free(extra, msgs.n);
	store_msgs_free(&msgs);
	free(set);
	imap_fetch_req_free(&req);
	return r;
}

/* ---- STORE ---- */

int
cmd_store(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct store_uidrange *set = NULL;
	struct store_msgs changed = { NULL, 0 }, all = { NULL, 0 };
	enum store_flag_op op;
	uint64_t unchanged = 0;
	uint32_t *failed = NULL;
	size_t nset, nfailed = 0, i, k = 1;
	const char *what;
	bool silent = false, has_unchanged = false;
	unsigned flags;
	struct buf kw, b;
	struct error err;
	ssize_t idx;
	int r;

	if (n >= 2 && a[1].type == IMAP_ARG_LIST) {
		/* RFC 7162 3.1.3: (UNCHANGEDSINCE n) */
		const struct imap_list *l = a[1].list;

		if (l->n != 2 || !imap_arg_is_atom(&l->v[0], "UNCHANGEDSINCE")
		    || l->v[1].type != IMAP_ARG_ATOM ||
		    strv_to_u64(strv_make(l->v[1].str, l->v[1].len),
		    &unchanged) < 0)
			return imap_bad(s, "Invalid STORE modifier");
		has_unchanged = true;
		imap_condstore_enable(s);
		k = 2;
	}
	if (n != k + 2 || a[k].type != IMAP_ARG_ATOM)
		return imap_bad(s, "STORE expects a set, an item and flags");
	what = a[k].str;
	if (what[0] == '+') {
		op = STORE_FLAGS_ADD;
		what++;
	} else if (what[0] == '-') {
		op = STORE_FLAGS_REMOVE;
		what++;
	} else
		op = STORE_FLAGS_SET;
	if (strcasecmp(what, "FLAGS.SILENT") == 0)
		silent = true;
	else if (strcasecmp(what, "FLAGS") != 0)
		return imap_bad(s, "Invalid STORE item");
	if (s->readonly)
		return imap_no(s, "[READ-ONLY] Mailbox is read-only");
	buf_init(&kw, IMAP_KEYWORDS_TEXT_MAX);
	if (imap_flags_parse(&a[k + 1], &flags, &kw, &err) < 0) {
		buf_free(&kw);
		return imap_bad(s, "%s", err.msg);
	}
	if (imap_view_uidset(s, &a[0], s->uid_cmd, &set, &nset, &err) < 0) {
		buf_free(&kw);
		return imap_bad(s, "%s", err.msg);
	}
	if (nset > 0 && store_set_flags(s->store, s->mbox_id, set, nset, op,
	    flags, kw.len > 0 ? buf_cstr(&kw) : NULL,
	    has_unchanged ? &unchanged : NULL, &changed, &failed, &nfailed,
	    &err) < 0) {
		r = imap_no_err(s, "STORE", &err);
		goto done;
	}
	for (i = 0; i < changed.n; i++)
		imap_view_update(s, &changed.v[i]);
	/* RFC 3501 6.4.6: the new flags of every message in the set (none
	 * for .SILENT, unless CONDSTORE wants the MODSEQs: no store call) */
	if (silent && !(s->condstore && has_unchanged))
		nset = 0;
	if (nset > 0 && store_messages(s->store, s->mbox_id, set, nset, &all,
	    &err) == 0) {
		for (i = 0; i < all.n; i++) {
			bool was_failed = false;
			size_t j;

			for (j = 0; j < nfailed; j++)
				if (failed[j] == all.v[i].uid)
					was_failed = true;
			if (was_failed)
				continue;
			if ((idx = imap_view_find(s, all.v[i].uid)) < 0 ||
			    s->msgs[idx].expunged)
				continue;
			if (silent && !(s->condstore && has_unchanged))
				continue;
			buf_init(&b, IMAP_KEYWORDS_TEXT_MAX + 256);
			buf_printf(&b, "* %zd FETCH (", idx + 1);
			if (!silent) {
				imap_keywords_check(s, s->msgs[idx].keywords);
				buf_puts(&b, "FLAGS ");
				imap_flags_write(&b, s->msgs[idx].flags,
				    s->msgs[idx].keywords,
				    s->msgs[idx].recent);
				buf_putc(&b, ' ');
			}
			if (s->uid_cmd)
				buf_printf(&b, "UID %u ", all.v[i].uid);
			if (s->condstore)
				buf_printf(&b, "MODSEQ (%llu) ",
				    (unsigned long long)s->msgs[idx].modseq);
			b.len--;
			b.data[b.len] = '\0';
			buf_putc(&b, ')');
			(void)imap_stream_end(s, &b);
			buf_free(&b);
		}
		store_msgs_free(&all);
	}
	if (nfailed > 0) {
		if (!s->uid_cmd)
			for (i = 0; i < nfailed; i++) {
				idx = imap_view_find(s, failed[i]);
				failed[i] = idx >= 0 ? (uint32_t)idx + 1 : 0;
			}
		/* any length: the tagged reply writes it in pieces */
		imap_resp_sets(s, "MODIFIED", failed, NULL, nfailed);
		r = imap_ok(s, "Conditional STORE failed");
	} else
		r = imap_ok(s, "STORE completed");
done:
	store_msgs_free(&changed);
	free(failed);
	free(set);
	buf_free(&kw);
	return r;
}

/* ---- COPY / MOVE ---- */

static int
do_copy(struct imap_session *s, const struct imap_arg *a, size_t n,
    bool move)
{
	struct store_uidrange *set = NULL;
	struct store_uidmap map;
	struct buf name, b;
	struct error err;
	size_t nset;
	int r;

	if (n != 2)
		return imap_bad(s, "%s expects a set and a mailbox",
		    move ? "MOVE" : "COPY");
	if (move && s->readonly)
		return imap_no(s, "[READ-ONLY] Mailbox is read-only");
	buf_init(&name, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mailbox_arg(&a[1], &name, &err) < 0) {
		buf_free(&name);
		return imap_mailbox_fail(s, &err);
	}
	if (imap_view_uidset(s, &a[0], s->uid_cmd, &set, &nset, &err) < 0) {
		buf_free(&name);
		return imap_bad(s, "%s", err.msg);
	}
	memset(&map, 0, sizeof(map));
	if (nset == 0) {
		r = imap_ok(s, "%s completed", move ? "MOVE" : "COPY");
		goto done;
	}
	if (store_copy(s->store, s->mbox_id, set, nset, buf_cstr(&name), move,
	    &map, &err) < 0) {
		r = err.kind == ERR_NOTFOUND ?
		    imap_no(s, "[TRYCREATE] Mailbox does not exist") :
		    imap_no_err(s, move ? "MOVE" : "COPY", &err);
		goto done;
	}
	if (map.n == 0) {
		r = imap_ok(s, "%s completed", move ? "MOVE" : "COPY");
		goto done;
	}
	/* the UID sets may be long: written in pieces */
	if (move) {
		/* RFC 6851 4.3: COPYUID in an untagged OK before EXPUNGEs */
		buf_init(&b, IMAP_OUT_BUF);
		buf_printf(&b, "* OK [COPYUID %u ", map.uidvalidity);
		imap_stream_seqset(s, &b, map.src, map.n);
		buf_putc(&b, ' ');
		imap_stream_seqset(s, &b, map.dst, map.n);
		buf_puts(&b, "] Moved");
		if (imap_stream_end(s, &b) < 0)
			r = imap_no(s, "[SERVERBUG] MOVE done, but its "
			    "COPYUID could not be sent");
		else
			r = imap_ok(s, "MOVE completed");
		buf_free(&b);
	} else {
		char code[32];

		(void)snprintf(code, sizeof(code), "COPYUID %u",
		    map.uidvalidity);
		imap_resp_sets(s, code, map.src, map.dst, map.n);
		r = imap_ok(s, "COPY completed");
	}
	store_uidmap_free(&map);
done:
	free(set);
	buf_free(&name);
	return r;
}

int
cmd_copy(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_copy(s, a, n, false);
}

int
cmd_move(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_copy(s, a, n, true);
}

/* ---- EXPUNGE ---- */

int
cmd_expunge(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct store_uidrange *set = NULL;
	uint32_t *uids = NULL;
	size_t nset = 0, nu = 0;
	struct error err;

	if (s->uid_cmd ? n != 1 : n != 0)
		return imap_bad(s, s->uid_cmd ? "UID EXPUNGE expects a set" :
		    "EXPUNGE takes no arguments");
	if (s->readonly)
		return imap_no(s, "[READ-ONLY] Mailbox is read-only");
	if (s->uid_cmd) {
		if (imap_view_uidset(s, &a[0], true, &set, &nset, &err) < 0)
			return imap_bad(s, "%s", err.msg);
		if (nset == 0) {
			free(set);
			return imap_ok(s, "EXPUNGE completed");
		}
	}
	if (store_expunge(s->store, s->mbox_id, set, nset, &uids, &nu,
	    &err) < 0) {
		free(set);
		return imap_no_err(s, "EXPUNGE", &err);
	}
	free(set);
	free(uids);
	return imap_ok(s, "EXPUNGE completed");
}
