/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_mailbox.c: mailbox commands -- SELECT/EXAMINE (with CONDSTORE and
 * QRESYNC parameters, RFC 7162 3.2.5), CREATE (RFC 6154 USE), DELETE,
 * RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, NAMESPACE (RFC 2342), CHECK,
 * CLOSE, UNSELECT (RFC 3691) and the QUOTA commands (RFC 9208: one root
 * "" for the account, its MaxAccountSize).  Names are modified UTF-7 on the wire, UTF-8 in the
 * store, '/' the hierarchy delimiter.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "imap/imap_private.h"
#include "imap/imap_utf7.h"

int
imap_mailbox_arg(const struct imap_arg *a, struct buf *out,
    struct error *err_r)
{
	if (!imap_arg_is_astring(a))
		return error_set(err_r, ERR_SYNTAX, "Invalid mailbox name");
	if (strlen(a->str) != a->len)
		return error_set(err_r, ERR_SYNTAX, "NUL in mailbox name");
	if (a->len > STORE_MAILBOX_NAME_MAX)
		return error_set(err_r, ERR_SYNTAX, "Mailbox name too long");
	if (imap_utf7_to_utf8(a->str, a->len, out, err_r) < 0) {
		size_t i;

		/* 7-bit text that is not valid modified UTF-7 is a valid
		 * astring naming no mailbox: NO, not BAD (RFC 3501 9) */
		for (i = 0; i < a->len; i++)
			if ((unsigned char)a->str[i] < 0x20 ||
			    (unsigned char)a->str[i] > 0x7e)
				return -1;
		err_r->kind = ERR_PERM;
		return -1;
	}
	return 0;
}

int
imap_mailbox_fail(struct imap_session *s, const struct error *err)
{
	if (err->kind == ERR_SYNTAX)
		return imap_bad(s, "%s", err->msg);
	return imap_no(s, "[CANNOT] %s", err->msg);
}

void
imap_mailbox_write(struct buf *out, const char *name)
{
	struct buf u;
	size_t i;

	buf_init(&u, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_utf8_to_utf7(name, strlen(name), &u, NULL) < 0) {
		buf_reset(&u);
		buf_puts(&u, name);	/* stored names are valid UTF-8 */
	}
	buf_putc(out, '"');
	for (i = 0; i < u.len; i++) {
		if (u.data[i] == '"' || u.data[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, u.data[i]);
	}
	buf_putc(out, '"');
	buf_free(&u);
}

/* Decodes a mailbox argument into a canonical store name. */
static int
mailbox_name(struct imap_session *s, const struct imap_arg *a,
    struct buf *name, struct error *err)
{
	struct buf raw;
	int r;

	(void)s;
	buf_init(&raw, STORE_MAILBOX_NAME_MAX * 4);
	r = imap_mailbox_arg(a, &raw, err);
	if (r == 0)
		r = store_mailbox_name(buf_cstr(&raw), name, NULL, err);
	buf_free(&raw);
	return r;
}

/* ---- SELECT / EXAMINE ---- */

static void
send_select_untagged(struct imap_session *s, const struct store_status *st)
{
	size_t i, nrecent = 0;

	imap_flags_announce(s);
	imap_send(s, "* %zu EXISTS", s->nmsgs);
	for (i = 0; i < s->nmsgs; i++)
		if (s->msgs[i].recent)
			nrecent++;
	imap_send(s, "* %zu RECENT", nrecent);
	for (i = 0; i < s->nmsgs; i++)
		if (!(s->msgs[i].flags & STORE_SEEN)) {
			imap_send(s, "* OK [UNSEEN %zu] First unseen", i + 1);
			break;
		}
	imap_send(s, "* OK [UIDVALIDITY %u] UIDs valid", st->uidvalidity);
	imap_send(s, "* OK [UIDNEXT %u] Predicted next UID", st->uidnext);
	imap_send(s, "* OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)st->highestmodseq);
}

/* RFC 7162 3.2.5: QRESYNC (uidvalidity modseq [known-uids [seq-match]]). */
static int
qresync_select(struct imap_session *s, const struct imap_list *q,
    struct error *err)
{
	struct imap_seqset known = { NULL, 0 };
	struct store_msgs changed;
	uint32_t *vanished = NULL, *keep;
	size_t nv = 0, i, nk = 0;
	uint64_t uidv, modseq;
	ssize_t idx;
	struct buf b;
	int rc = 0;

	if (q->n < 2 || q->n > 4 || q->v[0].type != IMAP_ARG_ATOM ||
	    q->v[1].type != IMAP_ARG_ATOM ||
	    strv_to_u64(strv_make(q->v[0].str, q->v[0].len), &uidv) < 0 ||
	    strv_to_u64(strv_make(q->v[1].str, q->v[1].len), &modseq) < 0)
		return error_set(err, ERR_SYNTAX, "Invalid QRESYNC parameter");
	if (q->n >= 3 && (q->v[2].type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(strv_make(q->v[2].str, q->v[2].len),
	    UINT32_MAX, &known, err) < 0))
		return error_set(err, ERR_SYNTAX, "Invalid known UIDs");
	if (uidv != s->uidvalidity) {
		imap_seqset_free(&known);
		return 0;		/* full resync by the client */
	}
	if (store_changes_since(s->store, s->mbox_id, modseq, &changed,
	    &vanished, &nv, err) < 0) {
		imap_seqset_free(&known);
		return -1;
	}
	keep = xcalloc(nv + 1, sizeof(*keep));
	for (i = 0; i < nv; i++)
		if (known.n == 0 || imap_seqset_contains(&known, vanished[i]))
			keep[nk++] = vanished[i];
	if (nk > 0) {
		/* any length: in pieces */
		buf_init(&b, IMAP_OUT_BUF);
		buf_puts(&b, "* VANISHED (EARLIER) ");
		imap_stream_seqset(s, &b, keep, nk);
		if (imap_stream_end(s, &b) < 0)
			rc = error_set(err, ERR_IO, "VANISHED (EARLIER) of "
			    "%zu UIDs could not be sent", nk);
		buf_free(&b);
	}
	for (i = 0; i < changed.n && rc == 0; i++) {
		if ((idx = imap_view_find(s, changed.v[i].uid)) < 0)
			continue;
		imap_keywords_check(s, s->msgs[idx].keywords);
		buf_init(&b, IMAP_KEYWORDS_TEXT_MAX + 256);
		buf_printf(&b, "* %zd FETCH (UID %u FLAGS ", idx + 1,
		    changed.v[i].uid);
		imap_flags_write(&b, s->msgs[idx].flags,
		    s->msgs[idx].keywords, s->msgs[idx].recent);
		buf_printf(&b, " MODSEQ (%llu))",
		    (unsigned long long)s->msgs[idx].modseq);
		(void)imap_stream_end(s, &b);
		buf_free(&b);
	}
	free(keep);
	free(vanished);
	store_msgs_free(&changed);
	imap_seqset_free(&known);
	return rc;
}

static int
do_select(struct imap_session *s, const struct imap_arg *a, size_t n,
    bool readonly)
{
	const struct imap_list *q = NULL;
	struct store_status st;
	struct buf name;
	struct error err;
	size_t i;
	bool had = s->state == IST_SELECTED;

	if (n < 1 || n > 2 || (n == 2 && a[1].type != IMAP_ARG_LIST))
		return imap_bad(s, "%s expects a mailbox name",
		    readonly ? "EXAMINE" : "SELECT");
	for (i = 0; n == 2 && i < a[1].list->n; i++) {
		const struct imap_arg *p = &a[1].list->v[i];

		if (imap_arg_is_atom(p, "CONDSTORE"))
			s->condstore = true;
		else if (imap_arg_is_atom(p, "QRESYNC") &&
		    i + 1 < a[1].list->n &&
		    a[1].list->v[i + 1].type == IMAP_ARG_LIST) {
			if (!s->qresync)
				return imap_bad(s, "QRESYNC is not enabled");
			q = a[1].list->v[++i].list;
		} else
			return imap_bad(s, "Unknown SELECT parameter");
	}
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &name, &err) < 0) {
		buf_free(&name);
		if (had)
			imap_view_close(s);
		return imap_mailbox_fail(s, &err);
	}
	if (had && s->qresync)
		imap_send(s, "* OK [CLOSED] Previous mailbox closed");
	if (imap_view_open(s, buf_cstr(&name), readonly, &st, &err) < 0) {
		buf_free(&name);
		return imap_no_err(s, "Cannot select", &err);
	}
	buf_free(&name);
	send_select_untagged(s, &st);
	if (q != NULL && qresync_select(s, q, &err) < 0) {
		imap_view_close(s);
		return imap_no_err(s, "QRESYNC", &err);
	}
	return imap_ok(s, "[%s] %s completed", readonly ? "READ-ONLY" :
	    "READ-WRITE", readonly ? "EXAMINE" : "SELECT");
}

int
cmd_select(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_select(s, a, n, false);
}

int
cmd_examine(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_select(s, a, n, true);
}

/* ---- CREATE / DELETE / RENAME / SUBSCRIBE ---- */

int
cmd_create(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	const char *use = NULL;
	struct buf name;
	struct error err;
	const struct imap_list *l;

	if (n < 1 || n > 2)
		return imap_bad(s, "CREATE expects a mailbox name");
	if (n == 2) {
		/* RFC 6154 5.2: CREATE name (USE (\Sent)) */
		if (a[1].type != IMAP_ARG_LIST || a[1].list->n != 2 ||
		    !imap_arg_is_atom(&a[1].list->v[0], "USE") ||
		    a[1].list->v[1].type != IMAP_ARG_LIST ||
		    a[1].list->v[1].list->n != 1)
			return imap_bad(s, "Invalid CREATE parameters");
		l = a[1].list->v[1].list;
		if (l->v[0].type != IMAP_ARG_ATOM)
			return imap_bad(s, "Invalid special-use flag");
		use = l->v[0].str;
		if (strcasecmp(use, "\\All") != 0 &&
		    strcasecmp(use, "\\Archive") != 0 &&
		    strcasecmp(use, "\\Drafts") != 0 &&
		    strcasecmp(use, "\\Flagged") != 0 &&
		    strcasecmp(use, "\\Junk") != 0 &&
		    strcasecmp(use, "\\Sent") != 0 &&
		    strcasecmp(use, "\\Trash") != 0)
			return imap_no(s, "[USEATTR] Unsupported special use");
	}
	buf_init(&name, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mailbox_arg(&a[0], &name, &err) < 0) {
		buf_free(&name);
		return imap_mailbox_fail(s, &err);
	}
	if (store_mailbox_create(s->store, buf_cstr(&name), use, &err) < 0) {
		buf_free(&name);
		return imap_no_err(s, "Cannot create", &err);
	}
	buf_free(&name);
	return imap_ok(s, "CREATE completed");
}

int
cmd_delete(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf name;
	struct error err;

	if (n != 1)
		return imap_bad(s, "DELETE expects a mailbox name");
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &name, &err) < 0) {
		buf_free(&name);
		return imap_mailbox_fail(s, &err);
	}
	if (s->state == IST_SELECTED && strcmp(s->mbox, buf_cstr(&name)) == 0)
		imap_view_close(s);
	if (store_mailbox_delete(s->store, buf_cstr(&name), &err) < 0) {
		buf_free(&name);
		return imap_no_err(s, "Cannot delete", &err);
	}
	buf_free(&name);
	return imap_ok(s, "DELETE completed");
}

int
cmd_rename(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf from, to;
	struct error err;
	int r;

	if (n != 2)
		return imap_bad(s, "RENAME expects two mailbox names");
	buf_init(&from, STORE_MAILBOX_NAME_MAX + 1);
	buf_init(&to, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &from, &err) < 0 ||
	    mailbox_name(s, &a[1], &to, &err) < 0)
		r = imap_mailbox_fail(s, &err);
	else if (store_mailbox_rename(s->store, buf_cstr(&from),
	    buf_cstr(&to), &err) < 0)
		r = imap_no_err(s, "Cannot rename", &err);
	else
		r = imap_ok(s, "RENAME completed");
	buf_free(&from);
	buf_free(&to);
	return r;
}

static int
do_subscribe(struct imap_session *s, const struct imap_arg *a, size_t n,
    bool sub)
{
	struct buf name;
	struct error err;
	int r;

	if (n != 1)
		return imap_bad(s, "Mailbox name expected");
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &name, &err) < 0)
		r = imap_mailbox_fail(s, &err);
	else if (store_subscribe(s->store, buf_cstr(&name), sub, &err) < 0)
		r = imap_no_err(s, sub ? "Cannot subscribe" :
		    "Cannot unsubscribe", &err);
	else
		r = imap_ok(s, "%s completed", sub ? "SUBSCRIBE" :
		    "UNSUBSCRIBE");
	buf_free(&name);
	return r;
}

int
cmd_subscribe(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_subscribe(s, a, n, true);
}

int
cmd_unsubscribe(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	return do_subscribe(s, a, n, false);
}

/* ---- STATUS ---- */

#define ST_MESSAGES	0x01
#define ST_RECENT	0x02
#define ST_UIDNEXT	0x04
#define ST_UIDVALIDITY	0x08
#define ST_UNSEEN	0x10
#define ST_HIGHESTMODSEQ 0x20
#define ST_SIZE		0x40

int
imap_status_items(const struct imap_arg *a, unsigned *items_r)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "MESSAGES", ST_MESSAGES }, { "RECENT", ST_RECENT },
		{ "UIDNEXT", ST_UIDNEXT }, { "UIDVALIDITY", ST_UIDVALIDITY },
		{ "UNSEEN", ST_UNSEEN }, { "HIGHESTMODSEQ", ST_HIGHESTMODSEQ },
		{ "SIZE", ST_SIZE },
	};
	size_t i, j;

	*items_r = 0;
	if (a->type != IMAP_ARG_LIST || a->list->n == 0)
		return -1;
	for (i = 0; i < a->list->n; i++) {
		for (j = 0; j < N_ELEMENTS(names); j++)
			if (imap_arg_is_atom(&a->list->v[i], names[j].name))
				break;
		if (j == N_ELEMENTS(names))
			return -1;
		*items_r |= names[j].bit;
	}
	return 0;
}

/* Writes "* STATUS name (...)"; -1 with err when the mailbox is missing. */
int
imap_send_status(struct imap_session *s, const char *name, unsigned items,
    struct error *err)
{
	struct store_status st;
	struct buf b;
	const char *sp = "";

	if (store_mailbox_status(s->store, name, &st, err) < 0)
		return -1;
	if (st.noselect)
		return error_set(err, ERR_PERM, "Mailbox is not selectable");
	if (items & ST_HIGHESTMODSEQ)
		imap_condstore_enable(s);
	buf_init(&b, STORE_MAILBOX_NAME_MAX * 4 + 256);
	buf_puts(&b, "* STATUS ");
	imap_mailbox_write(&b, name);
	buf_puts(&b, " (");
#define ITEM(bit, fmt, v) do { if (items & (bit)) { \
	buf_printf(&b, "%s" fmt, sp, v); sp = " "; } } while (0)
	ITEM(ST_MESSAGES, "MESSAGES %u", st.messages);
	ITEM(ST_RECENT, "RECENT %u", st.recent);
	ITEM(ST_UIDNEXT, "UIDNEXT %u", st.uidnext);
	ITEM(ST_UIDVALIDITY, "UIDVALIDITY %u", st.uidvalidity);
	ITEM(ST_UNSEEN, "UNSEEN %u", st.unseen);
	ITEM(ST_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu",
	    (unsigned long long)st.highestmodseq);
	ITEM(ST_SIZE, "SIZE %llu", (unsigned long long)st.size);
#undef ITEM
	buf_putc(&b, ')');
	(void)imap_stream_end(s, &b);
	buf_free(&b);
	return 0;
}

int
cmd_status(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf name;
	struct error err;
	unsigned items;
	int r;

	if (n != 2 || imap_status_items(&a[1], &items) < 0)
		return imap_bad(s, "STATUS expects a mailbox and item list");
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &name, &err) < 0)
		r = imap_mailbox_fail(s, &err);
	else if (imap_send_status(s, buf_cstr(&name), items, &err) < 0)
		r = imap_no_err(s, "STATUS", &err);
	else
		r = imap_ok(s, "STATUS completed");
	buf_free(&name);
	return r;
}

int
cmd_namespace(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	if (n != 0)
		return imap_bad(s, "NAMESPACE takes no arguments");
	imap_send(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	return imap_ok(s, "NAMESPACE completed");
}

/* ---- selected state ---- */

int
cmd_check(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	if (n != 0)
		return imap_bad(s, "CHECK takes no arguments");
	return imap_ok(s, "CHECK completed");
}

int
cmd_close(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	uint32_t *uids = NULL;
	size_t nu = 0;
	struct error err;

	(void)a;
	if (n != 0)
		return imap_bad(s, "CLOSE takes no arguments");
	/* RFC 3501 6.4.2: expunge silently unless read-only */
	if (!s->readonly && store_expunge(s->store, s->mbox_id, NULL, 0,
	    &uids, &nu, &err) < 0)
		log_ses(&s->log, LOG_PROBLEM, "CLOSE expunge: %s", err.msg);
	free(uids);
	imap_view_close(s);
	return imap_ok(s, "CLOSE completed");
}

int
cmd_unselect(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	if (n != 0)
		return imap_bad(s, "UNSELECT takes no arguments");
	imap_view_close(s);
	return imap_ok(s, "UNSELECT completed");
}

/* ---- QUOTA (RFC 9208) ---- */

static int
send_quota(struct imap_session *s)
{
	uint64_t used = 0;
	struct error err;

	if (store_account_size(s->store, &used, &err) < 0)
		return imap_no_err(s, "GETQUOTA", &err);
	if (s->max_account_size == 0)
		imap_send(s, "* QUOTA \"\" ()");
	else
		imap_send(s, "* QUOTA \"\" (STORAGE %llu %llu)",
		    (unsigned long long)((used + 1023) / 1024),
		    (unsigned long long)(s->max_account_size / 1024));
	return 0;
}

int
cmd_getquota(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	if (n != 1 || !imap_arg_is_astring(&a[0]))
		return imap_bad(s, "GETQUOTA expects a quota root");
	if (a[0].len != 0)
		return imap_no(s, "[NONEXISTENT] No such quota root");
	if (send_quota(s) < 0)
		return -1;
	return imap_ok(s, "GETQUOTA completed");
}

int
cmd_getquotaroot(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf name, b;
	struct store_status st;
	struct error err;

	if (n != 1)
		return imap_bad(s, "GETQUOTAROOT expects a mailbox");
	buf_init(&name, STORE_MAILBOX_NAME_MAX + 1);
	if (mailbox_name(s, &a[0], &name, &err) < 0) {
		buf_free(&name);
		return imap_mailbox_fail(s, &err);
	}
	if (store_mailbox_status(s->store, buf_cstr(&name), &st, &err) < 0) {
		buf_free(&name);
		return imap_no_err(s, "GETQUOTAROOT", &err);
	}
	buf_init(&b, STORE_MAILBOX_NAME_MAX * 4 + 64);
	buf_puts(&b, "* QUOTAROOT ");
	imap_mailbox_write(&b, buf_cstr(&name));
	buf_puts(&b, " \"\"");
	(void)imap_stream_end(s, &b);
	buf_free(&b);
	buf_free(&name);
	if (send_quota(s) < 0)
		return -1;
	return imap_ok(s, "GETQUOTAROOT completed");
}

int
cmd_setquota(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	(void)n;
	return imap_no(s, "[NOPERM] Quotas are set by the administrator");
}
