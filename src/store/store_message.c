/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_message.c: putting messages into the account store and reading
 * them back.  A new message is normalised to CRLF, parsed once with
 * lib/mime to cache its ENVELOPE, BODYSTRUCTURE and BODY (written by the
 * store_render functions set at start), and stored in one
 * transaction: its body in the bodies table, or for bodies over
 * STORE_INLINE_MAX in bodies/b<id>-<unique> written and fsynced (file and
 * folder) before the COMMIT that makes the row visible.  Local delivery batches
 * several messages into one transaction and records each queue id in the
 * delivered table so a retried delivery is recognised.  Also here: message
 * listing, fetching byte ranges, and body garbage collection.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "store/store_private.h"

/* A message made ready outside the lock: CRLF text and cached strings. */
struct prepared {
	char		*owned;		/* converted copy, or NULL */
	const char	*data;
	size_t		 len;
	size_t		 hdr_size;
	char		*envelope, *bodystructure, *body;
	char		*keywords;	/* normalised */
	unsigned	 flags;
	int64_t		 internaldate;
	struct store_hdrfields hf;	/* header cache row (store_hdrcache.c) */
	bool		 has_hf;
};

/* Files written by the running transaction, removed if it fails. */
struct written {
	char		**files;
	size_t		 n;
};

/* Set once at start, before any thread delivers (store.h). */
static const struct store_render *render;

void
store_set_render(const struct store_render *r)
{
	render = r;
}

static void
prepared_free(struct prepared *p)
{
	free(p->owned);
	free(p->envelope);
	free(p->bodystructure);
	free(p->body);
	free(p->keywords);
	store_hdrfields_clear(&p->hf);
	memset(p, 0, sizeof(*p));
}

/* Bare LF becomes CRLF (RFC 5322 2.3; IMAP sizes count CRLF). */
static int
prepare(const struct store_new_msg *m, struct prepared *p,
    struct error *err_r)
{
	struct mime_message *mm;
	struct buf b;
	const char *q, *e;
	size_t i, bare = 0;

	memset(p, 0, sizeof(*p));
	if (m->data == NULL && m->len > 0)
		return error_set(err_r, ERR_INTERNAL, "no message data");
	/* memchr: several bytes per step (every delivered message) */
	for (q = m->data, e = m->data + m->len; q < e &&
	    (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
		if (q == m->data || q[-1] != '\r')
			bare++;
	if (m->len > STORE_MESSAGE_MAX || bare > STORE_MESSAGE_MAX - m->len)
		return error_set(err_r, ERR_LIMIT, "message too large");
	if (m->flags & ~STORE_FLAGS_ALL)
		return error_set(err_r, ERR_SYNTAX, "bad flags");
	if (render == NULL)
		return error_set(err_r, ERR_INTERNAL, "store: no render "
		    "functions set (store_set_render)");
	if (store_keywords_normalise(m->keywords, &p->keywords, err_r) < 0)
		return -1;
	p->data = m->data != NULL ? m->data : "";
	p->len = m->len;
	if (bare > 0) {
		char *w = p->owned = xmalloc(m->len + bare + 1);

		for (i = 0; i < m->len; i++) {
			if (m->data[i] == '\n' && (i == 0 ||
			    m->data[i - 1] != '\r'))
				*w++ = '\r';
			*w++ = m->data[i];
		}
		p->data = p->owned;
		p->len = m->len + bare;
	}
	p->flags = m->flags;
	p->internaldate = m->internaldate != 0 ? m->internaldate :
	    (int64_t)time(NULL);
	mm = mime_parse(p->data, p->len);
	p->hdr_size = mm->root->hdr_len;
	buf_init(&b, SIZE_MAX / 2);
	render->envelope(mm, mm->root, &b);
	p->envelope = buf_steal(&b);
	render->bodystructure(mm, mm->root, true, &b);
	p->bodystructure = buf_steal(&b);
	render->bodystructure(mm, mm->root, false, &b);
	p->body = buf_steal(&b);
	mime_free(&mm);
	p->has_hf = store_hdrcache_make(p->data, p->hdr_size, &p->hf);
	return 0;
}


static void
written_undo(struct store *s, struct written *w)
{
	store_unlink_files(s, w->files, w->n);
	w->files = NULL;
	w->n = 0;
}

/* Inserts the body; sets *body_id_r.  Large bodies go to a file. */
static int
insert_body(struct store *s, const struct prepared *p, struct written *w,
    int64_t *body_id_r, struct error *err_r)
{
	bool ext = p->len > STORE_INLINE_MAX;
	static unsigned body_seq;
	struct timespec ts;
	sqlite3_stmt *st;
	char *name, *path;
	int64_t id;

	st = store_prepc(s, "INSERT INTO bodies(data) VALUES(?)", err_r);
	if (st == NULL)
		return -1;
	if (ext)
		sqlite3_bind_null(st, 1);
	else
		sqlite3_bind_blob64(st, 1, p->data, p->len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_done(s, st);
		return store_dberr(s, err_r, "insert body");
	}
	store_done(s, st);
	id = sqlite3_last_insert_rowid(s->db.h);
	*body_id_r = id;
	if (!ext)
		return 0;
	/*
	 * The name is unique, not just the id: a COMMIT whose fsync failed
	 * rolls back here, so its id can be taken again, yet its frames may
	 * come back from the WAL after a crash, naming their own file (kept,
	 * see store_deliver_batch).  O_EXCL makes a clash an error, never an
	 * overwrite.  Names start with 'b' (remove_orphans()).
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	name = xasprintf("b%lld-%llx-%lx-%x", (long long)id,
	    (unsigned long long)ts.tv_sec, (long)ts.tv_nsec,
	    __atomic_fetch_add(&body_seq, 1, __ATOMIC_RELAXED));
	path = xasprintf("%s/%s", s->bodies_dir, name);
	if (fileio_write_new(path, p->data, p->len, 0600,
	    FILEIO_FAULTS, err_r) < 0) {
		free(name);
		free(path);
		return -1;
	}
	free(path);
	w->files = xrealloc(w->files, size_mul(w->n + 1, sizeof(char *)));
	w->files[w->n++] = xstrdup(name);
	st = store_prepc(s, "UPDATE bodies SET file = ? WHERE id = ?", err_r);
	if (st == NULL) {
		free(name);
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	free(name);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_done(s, st);
		return store_dberr(s, err_r, "insert body");
	}
	store_done(s, st);
	return 0;
}

/* Stores p as the next UID of mailbox r (r updated in memory only). */
static int
insert_message(struct store *s, struct mbox_row *r, const struct prepared *p,
    struct written *w, uint32_t *uid_r, struct error *err_r)
{
	sqlite3_stmt *st;
	int64_t body = 0;

	if (r->uidnext >= UINT32_MAX)
		return error_set(err_r, ERR_LIMIT, "UIDs exhausted");
	if (insert_body(s, p, w, &body, err_r) < 0)
		return -1;
	r->highestmodseq++;
	st = store_prepc(s, "INSERT INTO messages(mailbox, uid, modseq, flags, "
	    "keywords, internaldate, size, hdr_size, body, envelope, "
	    "bodystructure, bodyplain) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->uidnext);
	sqlite3_bind_int64(st, 3, (int64_t)r->highestmodseq);
	sqlite3_bind_int(st, 4, (int)p->flags);
	sqlite3_bind_text(st, 5, p->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, p->internaldate);
	sqlite3_bind_int64(st, 7, (int64_t)p->len);
	sqlite3_bind_int64(st, 8, (int64_t)p->hdr_size);
	sqlite3_bind_int64(st, 9, body);
	sqlite3_bind_text(st, 10, p->envelope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, p->bodystructure, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, p->body, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_done(s, st);
		return store_dberr(s, err_r, "insert message");
	}
	store_done(s, st);
	if (p->has_hf && store_hdrcache_put(s, r->id, r->uidnext, p->len,
	    p->internaldate, &p->hf, err_r) < 0)
		return -1;
	if (store_keywords_register(s, r->id, p->keywords, err_r) < 0)
		return -1;
	*uid_r = r->uidnext++;
	r->size += p->len;
	return 0;
}

static int
account_size(struct store *s, uint64_t *size_r, struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "SELECT COALESCE(SUM(size), 0) "
	    "FROM mailboxes", err_r);

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_done(s, st);
		return store_dberr(s, err_r, "account size");
	}
	*size_r = (uint64_t)sqlite3_column_int64(st, 0);
	store_done(s, st);
	return 0;
}

/* Finds a selectable mailbox by (uncanonical) name. */
static int
target_mailbox(struct store *s, const char *name, struct mbox_row *r,
    struct error *err_r)
{
	struct buf canon;
	int rc;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	rc = store_mailbox_name(name, &canon, NULL, err_r);
	if (rc == 0)
		rc = store_mbox_by_name(s, buf_cstr(&canon), r, err_r);
	buf_free(&canon);
	if (rc == 0 && r->noselect)
		rc = error_set(err_r, ERR_PERM, "mailbox is not selectable");
	return rc;
}

/*
 * Commits after making written files' directory entries durable.  When the
 * COMMIT fails the files stay (the caller's written_undo() finds none): a
 * COMMIT whose fsync failed can still be in the WAL and come back after a
 * crash, and a retried delivery is then a duplicate whose body must exist
 * (tests/unit/store/store_fault_test.c).  remove_orphans() takes them
 * later if no row names them.
 */
static int
commit_written(struct store *s, struct written *w, struct error *err_r)
{
	if (w->n > 0 && fileio_fsync_dir(s->bodies_dir,
	    FILEIO_FAULTS, err_r) < 0)
		return -1;
	if (store_commit(s, err_r) < 0) {
		store_unlink_files(NULL, w->files, w->n);  /* names only */
		w->files = NULL;
		w->n = 0;
		return -1;
	}
	return 0;
}

int
store_append_many(struct store *s, const char *mailbox,
    const struct store_new_msg *msgs, size_t n, uint64_t max_size,
    uint32_t *uids_r, uint32_t *uidvalidity_r, struct error *err_r)
{
	struct prepared *p;
	struct written w = { NULL, 0 };
	struct mbox_row r;
	uint64_t used, total = 0;
	size_t i, nprep;
	int rc = -1;

	if (n == 0 || n > STORE_BATCH_MAX)
		return error_set(err_r, ERR_LIMIT, "%zu messages in one append",
		    n);
	p = xcalloc(n, sizeof(*p));
	for (nprep = 0; nprep < n; nprep++) {
		if (prepare(&msgs[nprep], &p[nprep], err_r) < 0)
			goto out_free;
		total += p[nprep].len;
	}
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (target_mailbox(s, mailbox, &r, err_r) < 0)
		goto fail;
	if (max_size > 0) {
		if (account_size(s, &used, err_r) < 0)
			goto fail;
		if (used + total > max_size) {
			error_set(err_r, ERR_LIMIT, "mailbox full");
			goto fail;
		}
	}
	/* RFC 3502: all of them in one transaction, or none */
	for (i = 0; i < n; i++)
		if (insert_message(s, &r, &p[i], &w, &uids_r[i], err_r) < 0)
			goto fail;
	if (store_mbox_update(s, &r, err_r) < 0 ||
	    commit_written(s, &w, err_r) < 0)
		goto fail;
	if (uidvalidity_r != NULL)
		*uidvalidity_r = r.uidvalidity;
	rc = 0;
	store_unlink_files(NULL, w.files, w.n);	/* frees the names only */
	store_changed(s);
	goto out;
fail:
	store_rollback(s);
	written_undo(s, &w);
out:
	pthread_mutex_unlock(&s->mu);
out_free:
	for (i = 0; i < nprep; i++)
		prepared_free(&p[i]);
	free(p);
	return rc;
}

int
store_append(struct store *s, const char *mailbox,
    const struct store_new_msg *msg, uint64_t max_size, uint32_t *uid_r,
    uint32_t *uidvalidity_r, struct error *err_r)
{
	uint32_t uid;

	if (store_append_many(s, mailbox, msg, 1, max_size, &uid,
	    uidvalidity_r, err_r) < 0)
		return -1;
	if (uid_r != NULL)
		*uid_r = uid;
	return 0;
}

/* Looks the queue id up; true (with *uid_r) when already delivered. */
static int
find_delivered(struct store *s, const char *qid, bool *found_r,
    uint32_t *uid_r, struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "SELECT uid FROM delivered WHERE "
	    "queue_id = ?", err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, qid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*found_r = rc == SQLITE_ROW;
	if (*found_r)
		*uid_r = (uint32_t)sqlite3_column_int64(st, 0);
	store_done(s, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(s, err_r, "delivered");
	return 0;
}

static int
record_delivered(struct store *s, const char *qid, int64_t mbox,
    uint32_t uid, int64_t now, struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "INSERT INTO delivered(queue_id, "
	    "mailbox, uid, at) VALUES(?, ?, ?, ?)", err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, qid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mbox);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "delivered");
	store_done(s, st);
	return rc;
}

int
store_deliver_batch(struct store *s, const char *mailbox,
    struct store_delivery *d, size_t n, uint64_t max_size,
    struct error *err_r)
{
	struct prepared *p;
	struct written w = { NULL, 0 };
	struct mbox_row r;
	uint64_t used = 0;
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *st;
	size_t i, full = 0;
	bool committed = false;
	int rc = -1;

	if (n > STORE_BATCH_MAX)
		return error_set(err_r, ERR_INTERNAL, "delivery batch too "
		    "large");
	p = xcalloc(n ? n : 1, sizeof(*p));
	for (i = 0; i < n; i++) {
		if (d[i].msg.queue_id == NULL || *d[i].msg.queue_id == '\0') {
			error_set(err_r, ERR_INTERNAL, "delivery without queue id");
			goto prepfail;
		}
		if (prepare(&d[i].msg, &p[i], err_r) < 0)
			goto prepfail;
	}
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (target_mailbox(s, mailbox, &r, err_r) < 0 ||
	    (max_size > 0 && account_size(s, &used, err_r) < 0))
		goto fail;
	for (i = 0; i < n; i++) {
		bool dup;

		d[i].uid = 0;
		if (find_delivered(s, d[i].msg.queue_id, &dup, &d[i].uid,
		    err_r) < 0)
			goto fail;
		if (dup) {
			d[i].status = STORE_DUPLICATE;
			continue;
		}
		if (max_size > 0 && used + p[i].len > max_size) {
			d[i].status = STORE_OVER_QUOTA;
			full++;
			continue;
		}
		if (insert_message(s, &r, &p[i], &w, &d[i].uid, err_r) < 0 ||
		    record_delivered(s, d[i].msg.queue_id, r.id, d[i].uid, now,
		    err_r) < 0)
			goto fail;
		used += p[i].len;
		d[i].status = STORE_DELIVERED;
	}
	st = store_prepc(s, "DELETE FROM delivered WHERE at < ?", err_r);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now - STORE_DELIVERED_KEEP);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_done(s, st);
		store_dberr(s, err_r, "delivered");
		goto fail;
	}
	store_done(s, st);
	if (store_mbox_update(s, &r, err_r) < 0 ||
	    commit_written(s, &w, err_r) < 0)
		goto fail;
	store_unlink_files(NULL, w.files, w.n);	/* frees the names only */
	store_changed(s);
	committed = true;
	rc = full > 0 ? error_set(err_r, ERR_LIMIT, "mailbox full") : 0;
	goto out;
fail:
	store_rollback(s);
	written_undo(s, &w);
out:
	pthread_mutex_unlock(&s->mu);
prepfail:
	/* ERR_LIMIT tells the caller "committed, the statuses are set,
	 * some are over quota": a failure must never say so (out of
	 * descriptors is ERR_LIMIT too, db_error()). */
	if (rc < 0 && !committed && err_r != NULL && err_r->kind == ERR_LIMIT)
		err_r->kind = ERR_TEMP;
	for (i = 0; i < n; i++)
		prepared_free(&p[i]);
	free(p);
	return rc;
}

/* ---- reading ---- */

int
store_messages(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, struct store_msgs *r,
    struct error *err_r)
{
	struct store_uidrange *rs;
	size_t nr, i;
	int rc = 0;

	r->v = NULL;
	r->n = 0;
	nr = store_ranges_normalise(set, nset, &rs);
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	for (i = 0; i < nr && rc == 0; i++)
		rc = store_msgs_query(s, "SELECT " STORE_MSG_COLS " FROM messages"
		    " WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
		    mailbox, rs[i].lo, rs[i].hi, r, err_r);
	store_rd_unlock(s);
	free(rs);
	if (rc < 0)
		store_msgs_free(r);
	return rc;
}

static char *
dup_col(sqlite3_stmt *st, int col)
{
	const char *p = (const char *)sqlite3_column_text(st, col);

	return p != NULL ? xstrdup(p) : NULL;
}

int
store_messages_with(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, unsigned with,
    struct store_msgs *r, struct store_msg_extra **extra_r,
    struct error *err_r)
{
	/* one statement with the header (it joins the bodies), one without */
	static const char sql_hdr[] = "SELECT " STORE_MSG_COLS_M ", "
	    "CASE WHEN ?4 & 1 THEN m.envelope END, "
	    "CASE WHEN ?4 & 2 THEN m.bodystructure END, "
	    "CASE WHEN ?4 & 4 THEN m.bodyplain END, "
	    "CASE WHEN b.file IS NULL THEN substr(b.data, 1, m.hdr_size) END "
	    "FROM messages m JOIN bodies b ON b.id = m.body "
	    "WHERE m.mailbox = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid";
	static const char sql_nohdr[] = "SELECT " STORE_MSG_COLS_M ", "
	    "CASE WHEN ?4 & 1 THEN m.envelope END, "
	    "CASE WHEN ?4 & 2 THEN m.bodystructure END, "
	    "CASE WHEN ?4 & 4 THEN m.bodyplain END, NULL "
	    "FROM messages m "
	    "WHERE m.mailbox = ?1 AND m.uid BETWEEN ?2 AND ?3 ORDER BY m.uid";
	struct store_uidrange *rs;
	struct store_msg_extra *x = NULL;
	sqlite3_stmt *st = NULL;
	size_t nr, i, cap = 0;
	int rc = 0, step;

	r->v = NULL;
	r->n = 0;
	*extra_r = NULL;
	nr = store_ranges_normalise(set, nset, &rs);
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	if (nr > 1 && store_execc(s, "BEGIN", err_r) < 0)
		rc = -1;
	for (i = 0; i < nr && rc == 0; i++) {
		st = store_prepc(s, (with & STORE_WITH_HEADER) ? sql_hdr :
		    sql_nohdr, err_r);
		if (st == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, mailbox);
		sqlite3_bind_int64(st, 2, (int64_t)rs[i].lo);
		sqlite3_bind_int64(st, 3, (int64_t)rs[i].hi);
		sqlite3_bind_int(st, 4, (int)with);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			struct store_msg *m;
			struct store_msg_extra *e;
			const void *h;

			if (r->n == cap) {
				cap = cap == 0 ? 16 : size_mul(cap, 2);
				r->v = xrealloc(r->v, size_mul(cap,
				    sizeof(*r->v)));
				x = xrealloc(x, size_mul(cap, sizeof(*x)));
			}
			m = &r->v[r->n];
			e = &x[r->n];
			r->n++;
			m->uid = (uint32_t)sqlite3_column_int64(st, 0);
			m->flags = (unsigned)sqlite3_column_int(st, 1);
			m->keywords = xstrdup((const char *)
			    sqlite3_column_text(st, 2));
			m->modseq = (uint64_t)sqlite3_column_int64(st, 3);
			m->internaldate = sqlite3_column_int64(st, 4);
			m->size = (uint64_t)sqlite3_column_int64(st, 5);
			m->hdr_size = (uint64_t)sqlite3_column_int64(st, 6);
			e->envelope = dup_col(st, 7);
			e->bodystructure = dup_col(st, 8);
			e->body = dup_col(st, 9);
			e->header = NULL;
			h = sqlite3_column_blob(st, 10);
			if (h != NULL && (uint64_t)sqlite3_column_bytes(st, 10) ==
			    m->hdr_size) {
				e->header = xmalloc(m->hdr_size + 1);
				memcpy(e->header, h, m->hdr_size);
				e->header[m->hdr_size] = '\0';
			}
		}
		if (step != SQLITE_DONE)
			rc = store_dberr(s, err_r, "messages");
		store_done(s, st);
	}
	if (nr > 1)
		(void)store_execc(s, "COMMIT", NULL);
	store_rd_unlock(s);
	free(rs);
	if (rc < 0) {
		store_msg_extra_free(x, r->n);
		store_msgs_free(r);
		return -1;
	}
	*extra_r = x;
	return 0;
}

void
store_msg_extra_free(struct store_msg_extra *x, size_t n)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(x[i].envelope);
		free(x[i].bodystructure);
		free(x[i].body);
		free(x[i].header);
	}
	free(x);
}

void
store_msgs_free(struct store_msgs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].keywords);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int
store_fetch(struct store *s, int64_t mailbox, uint32_t uid, uint64_t offset,
    uint64_t len, struct buf *out, struct error *err_r)
{
	sqlite3_stmt *st;
	sqlite3_blob *blob = NULL;
	uint64_t size;
	int64_t body;
	char *path = NULL;
	int rc = -1;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	/* One read transaction so the row and the body agree. */
	if (store_execc(s, "BEGIN", err_r) < 0)
		goto out;
	st = store_prepc(s, "SELECT m.size, m.body, b.file FROM messages m "
	    "JOIN bodies b ON b.id = m.body WHERE m.mailbox = ? AND m.uid = ?",
	    err_r);
	if (st == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_done(s, st);
		error_set(err_r, ERR_NOTFOUND, "no such message");
		goto end;
	}
	size = (uint64_t)sqlite3_column_int64(st, 0);
	body = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		path = xasprintf("%s/%s", s->bodies_dir,
		    (const char *)sqlite3_column_text(st, 2));
	store_done(s, st);
	if (offset > size)
		offset = size;
	if (len > size - offset)
		len = size - offset;
	if (path != NULL)
		rc = fileio_read(path, offset, len, true, out, err_r);
	else if (len == 0)
		rc = 0;
	else if (sqlite3_blob_open(s->db.h, "main", "bodies", "data", body, 0,
	    &blob) != SQLITE_OK)
		store_dberr(s, err_r, "open body");
	else {
		size_t start = out->len;

		while (out->err == 0 && out->len - start < len) {
			char tmp[65536];
			size_t want = len - (out->len - start) < sizeof(tmp) ?
			    (size_t)(len - (out->len - start)) : sizeof(tmp);

			if (sqlite3_blob_read(blob, tmp, (int)want,
			    (int)(offset + (out->len - start))) != SQLITE_OK) {
				store_dberr(s, err_r, "read body");
				break;
			}
			buf_append(out, tmp, want);
		}
		if (out->len - start == len)
			rc = 0;
		sqlite3_blob_close(blob);
	}
	if (rc == 0 && out->err != 0)
		rc = error_set(err_r, ERR_LIMIT, "message does not fit");
end:
	(void)store_execc(s, "COMMIT", NULL);
out:
	store_rd_unlock(s);
	free(path);
	return rc;
}

int
store_fetch_cached(struct store *s, int64_t mailbox, uint32_t uid,
    char **envelope_r, char **bodystructure_r, char **body_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	char **outs[3] = { envelope_r, bodystructure_r, body_r };
	int i, rc = -1;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	st = store_prepc(s, "SELECT envelope, bodystructure, bodyplain FROM "
	    "messages WHERE mailbox = ? AND uid = ?", err_r);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 3; i++)
			if (outs[i] != NULL)
				*outs[i] = xstrdup((const char *)
				    sqlite3_column_text(st, i));
		rc = 0;
	} else
		error_set(err_r, ERR_NOTFOUND, "no such message");
	store_done(s, st);
out:
	store_rd_unlock(s);
	return rc;
}

/* ---- body garbage collection ---- */

int
store_bodies_gc(struct store *s, const int64_t *ids, size_t n, char ***files,
    size_t *nfiles, struct error *err_r)
{
	sqlite3_stmt *sel, *del;
	size_t i;
	int rc = 0;

	sel = store_prepc(s, "SELECT file FROM bodies WHERE id = ?1 AND NOT "
	    "EXISTS (SELECT 1 FROM messages WHERE body = ?1)", err_r);
	if (sel == NULL)
		return -1;
	del = store_prepc(s, "DELETE FROM bodies WHERE id = ?", err_r);
	if (del == NULL) {
		store_done(s, sel);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, ids[i]);
		if (sqlite3_step(sel) != SQLITE_ROW)
			continue;	/* still used, or already gone */
		if (sqlite3_column_type(sel, 0) != SQLITE_NULL) {
			*files = xrealloc(*files, size_mul(*nfiles + 1,
			    sizeof(char *)));
			(*files)[(*nfiles)++] = xstrdup((const char *)
			    sqlite3_column_text(sel, 0));
		}
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, ids[i]);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = store_dberr(s, err_r, "delete body");
	}
	store_done(s, sel);
	store_done(s, del);
	return rc;
}

void
store_unlink_files(struct store *s, char **files, size_t n)
{
	size_t i;

	if (files == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (s != NULL) {
			char *path = xasprintf("%s/%s", s->bodies_dir,
			    files[i]);

			(void)fileio_remove(path, NULL);
			free(path);
		}
		free(files[i]);
	}
	free(files);
}

int
store_mbox_purge(struct store *s, int64_t id, char ***files, size_t *nfiles,
    struct error *err_r)
{
	static const char *const dels[] = {
		"DELETE FROM messages WHERE mailbox = ?",
		"DELETE FROM expunged WHERE mailbox = ?",
		"DELETE FROM keywords WHERE mailbox = ?",
	};
	sqlite3_stmt *st;
	int64_t *bodies = NULL;
	size_t nb = 0, i;
	int rc;

	st = store_prep(s, "SELECT DISTINCT body FROM messages WHERE "
	    "mailbox = ?", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bodies = xrealloc(bodies, size_mul(nb + 1, sizeof(*bodies)));
		bodies[nb++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(bodies);
		return store_dberr(s, err_r, "purge");
	}
	for (i = 0; i < N_ELEMENTS(dels); i++) {
		st = store_prep(s, dels[i], err_r);
		if (st == NULL) {
			free(bodies);
			return -1;
		}
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			free(bodies);
			return store_dberr(s, err_r, "purge");
		}
	}
	rc = store_bodies_gc(s, bodies, nb, files, nfiles, err_r);
	free(bodies);
	return rc;
}
