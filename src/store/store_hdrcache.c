/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_hdrcache.c: the header field cache.  Per message (keyed by mailbox
 * and UID) the table hdrcache keeps what SEARCH FROM/TO/CC/SUBJECT/HEADER
 * Message-ID, SENT*, LARGER/SMALLER, SORT and THREAD read of it: the Date
 * as UTC seconds and zone, the RFC 5256 sort keys, base subject, message
 * ids, and the decoded texts the SEARCH header keys match.  The store
 * does not interpret headers itself: the IMAP module registers the parser
 * (store_hdrcache_set_parser()), so the values are made by the same code
 * that made them from the raw header before.
 *
 * Rows are written with every new message (delivery, APPEND) and, for
 * messages that have none (stores made before the cache, COPY, a message
 * too large to cache is still given a row with ok = 0), by
 * store_hdrcache_fill() in batches of STORE_HDRCACHE_BATCH, each its own
 * light transaction: the rows can always be made again from the messages,
 * so a crash that loses a batch costs only time.  Triggers on messages
 * delete a message's row with it and follow it when RENAME INBOX moves it.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "store/store_private.h"

static const char hdrcache_schema[] =
	"CREATE TABLE IF NOT EXISTS hdrcache(mailbox INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, ok INTEGER NOT NULL, size INTEGER NOT NULL,"
	" internaldate INTEGER NOT NULL, date INTEGER, date_off INTEGER,"
	" reply INTEGER NOT NULL DEFAULT 0, from_key TEXT, to_key TEXT,"
	" cc_key TEXT, subject TEXT, msgid TEXT, refs BLOB, t_from BLOB,"
	" t_to BLOB, t_cc BLOB, t_subject BLOB, t_msgid BLOB,"
	" PRIMARY KEY(mailbox, uid)) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS hdrcache_delete AFTER DELETE ON messages"
	" BEGIN DELETE FROM hdrcache WHERE mailbox = old.mailbox"
	" AND uid = old.uid; END;"
	"CREATE TRIGGER IF NOT EXISTS hdrcache_move AFTER UPDATE OF mailbox, uid"
	" ON messages BEGIN DELETE FROM hdrcache WHERE mailbox = new.mailbox"
	" AND uid = new.uid; UPDATE hdrcache SET mailbox = new.mailbox,"
	" uid = new.uid WHERE mailbox = old.mailbox AND uid = old.uid; END;";

/* Set once at start-up, before any thread stores a message. */
static store_hdrfields_fn *hdr_parser;

void
store_hdrcache_set_parser(store_hdrfields_fn *fn)
{
	hdr_parser = fn;
}

void
store_hdrfields_clear(struct store_hdrfields *f)
{
	size_t i;

	free(f->from_key);
	free(f->to_key);
	free(f->cc_key);
	free(f->subject);
	free(f->msgid);
	free(f->refs);
	for (i = 0; i < STORE_HF_N; i++)
		free(f->text[i]);
	memset(f, 0, sizeof(*f));
}

int
store_hdrcache_init(struct store *s, struct error *err_r)
{
	return store_exec(s, hdrcache_schema, err_r);
}

bool
store_hdrcache_make(const char *hdr, size_t len, struct store_hdrfields *f)
{
	memset(f, 0, sizeof(*f));
	if (hdr_parser == NULL)
		return false;
	hdr_parser(hdr, len, f);
	return true;
}

static void
bind_text_or_null(sqlite3_stmt *st, int col, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* A zero-length blob is not NULL: an empty field is still a field. */
static void
bind_blob_or_null(sqlite3_stmt *st, int col, const char *v, size_t len)
{
	if (v != NULL)
		sqlite3_bind_blob64(st, col, len > 0 ? v : "", len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

int
store_hdrcache_put(struct store *s, int64_t mailbox, uint32_t uid,
    uint64_t size, int64_t internaldate, const struct store_hdrfields *f,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int i, rc;

	st = store_prepc(s, "INSERT OR REPLACE INTO hdrcache(mailbox, uid, ok,"
	    " size, internaldate, date, date_off, reply, from_key, to_key,"
	    " cc_key, subject, msgid, refs, t_from, t_to, t_cc, t_subject,"
	    " t_msgid) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int(st, 3, f->ok);
	sqlite3_bind_int64(st, 4, (int64_t)size);
	sqlite3_bind_int64(st, 5, internaldate);
	if (f->ok && f->has_date) {
		sqlite3_bind_int64(st, 6, f->date);
		sqlite3_bind_int(st, 7, f->date_off);
	}
	if (f->ok) {
		sqlite3_bind_int(st, 8, f->reply);
		bind_text_or_null(st, 9, f->from_key);
		bind_text_or_null(st, 10, f->to_key);
		bind_text_or_null(st, 11, f->cc_key);
		bind_text_or_null(st, 12, f->subject);
		bind_text_or_null(st, 13, f->msgid);
		bind_blob_or_null(st, 14, f->refs, f->refs_len);
		for (i = 0; i < STORE_HF_N; i++)
			bind_blob_or_null(st, 15 + i, f->text[i],
			    f->text_len[i]);
	} else
		sqlite3_bind_int(st, 8, 0);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "header cache");
	store_done(s, st);
	return rc;
}

/* The header block of a body kept in a file; false if it cannot be read. */
static bool
read_file_header(struct store *s, const char *name, size_t len,
    struct buf *out)
{
	char *path = xasprintf("%s/%s", s->bodies_dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char tmp[65536];
	size_t off = 0;

	free(path);
	if (fd < 0)
		return false;
	while (off < len) {
		size_t want = len - off < sizeof(tmp) ? len - off : sizeof(tmp);
		ssize_t got = pread(fd, tmp, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		buf_append(out, tmp, (size_t)got);
		off += (size_t)got;
	}
	close(fd);
	return off == len && out->err == 0;
}

/*
 * One batch: caches up to STORE_HDRCACHE_BATCH messages of mailbox above
 * *after that have no row; *after moves to the last one seen, *more_r
 * tells whether the batch was full.  A message whose header cannot be read
 * gets no row (a later call tries again).
 */
static int
fill_batch(struct store *s, int64_t mailbox, uint32_t *after, bool *more_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	struct store_hdrfields f;
	struct buf hdr;
	size_t n = 0;
	int step, rc = 0;

	*more_r = false;
	if (store_begin_light(s, err_r) < 0)
		return -1;
	st = store_prep(s, "SELECT m.uid, m.size, m.internaldate, m.hdr_size,"
	    " CASE WHEN b.file IS NULL THEN substr(b.data, 1, m.hdr_size) END,"
	    " b.file FROM messages m JOIN bodies b ON b.id = m.body"
	    " WHERE m.mailbox = ?1 AND m.uid > ?2 AND NOT EXISTS (SELECT 1"
	    " FROM hdrcache h WHERE h.mailbox = ?1 AND h.uid = m.uid)"
	    " ORDER BY m.uid LIMIT ?3", err_r);
	if (st == NULL) {
		store_rollback(s);
		return -1;
	}
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, *after);
	sqlite3_bind_int(st, 3, STORE_HDRCACHE_BATCH);
	buf_init(&hdr, STORE_MESSAGE_MAX);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(st, 0);
		uint64_t hsize = (uint64_t)sqlite3_column_int64(st, 3);
		const void *h = sqlite3_column_blob(st, 4);
		bool have;

		n++;
		*after = uid;
		buf_reset(&hdr);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			have = read_file_header(s, (const char *)
			    sqlite3_column_text(st, 5), (size_t)hsize, &hdr);
		else {
			have = (uint64_t)sqlite3_column_bytes(st, 4) == hsize;
			if (have && hsize > 0)
				buf_append(&hdr, h, (size_t)hsize);
		}
		if (!have)
			continue;
		store_hdrcache_make(buf_cstr(&hdr), hdr.len, &f);
		rc = store_hdrcache_put(s, mailbox, uid,
		    (uint64_t)sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), &f, err_r);
		store_hdrfields_clear(&f);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = store_dberr(s, err_r, "header cache");
	sqlite3_finalize(st);
	buf_free(&hdr);
	if (rc == 0)
		rc = store_commit(s, err_r);
	else
		store_rollback(s);
	*more_r = n == STORE_HDRCACHE_BATCH;
	return rc;
}

int
store_hdrcache_fill(struct store *s, int64_t mailbox, struct error *err_r)
{
	uint32_t after = 0;
	bool more = true;
	int rc = 0;

	if (hdr_parser == NULL)
		return 0;
	while (more && rc == 0) {
		/* the lock is let go between batches: deliveries and
		 * other sessions go on while a large mailbox is filled */
		pthread_mutex_lock(&s->mu);
		rc = fill_batch(s, mailbox, &after, &more, err_r);
		pthread_mutex_unlock(&s->mu);
	}
	return rc;
}

static const char *
col_blob(sqlite3_stmt *st, int col, size_t *len_r)
{
	const char *p;

	/* NULL also for a zero-length blob, so the type tells them apart */
	p = sqlite3_column_blob(st, col);
	*len_r = (size_t)sqlite3_column_bytes(st, col);
	if (p != NULL)
		return p;
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : "";
}

/* NULL for NULL; "" stays "" (one call: see store_hdrcache_each()) */
static char *
col_text(sqlite3_stmt *st, int col)
{
	return (char *)(uintptr_t)sqlite3_column_text(st, col);
}

/* The columns of the STORE_HC_ bits, in the order they are read. */
static const struct {
	unsigned	 bit;
	const char	*cols;
} hc_cols[] = {
	{ STORE_HC_DATE, ", date, date_off" },
	{ STORE_HC_SUBJECT, ", reply, subject" },
	{ STORE_HC_FROM_KEY, ", from_key" },
	{ STORE_HC_TO_KEY, ", to_key" },
	{ STORE_HC_CC_KEY, ", cc_key" },
	{ STORE_HC_IDS, ", msgid, refs" },
	{ STORE_HC_TEXT(STORE_HF_FROM), ", t_from" },
	{ STORE_HC_TEXT(STORE_HF_TO), ", t_to" },
	{ STORE_HC_TEXT(STORE_HF_CC), ", t_cc" },
	{ STORE_HC_TEXT(STORE_HF_SUBJECT), ", t_subject" },
	{ STORE_HC_TEXT(STORE_HF_MSGID), ", t_msgid" },
};

/* One row's columns (as selected by what) into row. */
static void
read_row(sqlite3_stmt *st, unsigned what, struct store_hdrrow *row)
{
	struct store_hdrfields *f = &row->f;
	size_t len;
	int c = 4, k;

	/* only the columns asked for are read: each call costs (a mutex on
	 * a serialised connection) */
	memset(row, 0, sizeof(*row));
	row->uid = (uint32_t)sqlite3_column_int64(st, 0);
	f->ok = sqlite3_column_int(st, 1) != 0;
	row->size = (uint64_t)sqlite3_column_int64(st, 2);
	row->internaldate = sqlite3_column_int64(st, 3);
	if (what & STORE_HC_DATE) {
		f->has_date = sqlite3_column_type(st, c) != SQLITE_NULL;
		f->date = sqlite3_column_int64(st, c++);
		f->date_off = (int32_t)sqlite3_column_int(st, c++);
	}
	if (what & STORE_HC_SUBJECT) {
		f->reply = sqlite3_column_int(st, c++) != 0;
		f->subject = col_text(st, c++);
	}
	if (what & STORE_HC_FROM_KEY)
		f->from_key = col_text(st, c++);
	if (what & STORE_HC_TO_KEY)
		f->to_key = col_text(st, c++);
	if (what & STORE_HC_CC_KEY)
		f->cc_key = col_text(st, c++);
	if (what & STORE_HC_IDS) {
		f->msgid = col_text(st, c++);
		f->refs = (char *)(uintptr_t)col_blob(st, c++, &len);
		f->refs_len = len;
	}
	for (k = 0; k < STORE_HF_N; k++)
		if (what & STORE_HC_TEXT(k)) {
			f->text[k] = (char *)(uintptr_t)col_blob(st, c++, &len);
			f->text_len[k] = len;
		}
}

int
store_hdrcache_each(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, unsigned what,
    int (*fn)(void *arg, const struct store_hdrrow *row), void *arg,
    struct error *err_r)
{
	struct store_uidrange *rs;
	struct store_hdrrow row;
	sqlite3_stmt *st = NULL;
	struct buf sql;
	size_t nr, i;
	bool stop = false;
	int rc = 0, step = SQLITE_DONE;

	/* a statement with just the columns asked for (a few are made per
	 * command, so it is prepared each time, not kept) */
	buf_init(&sql, 1024);
	buf_puts(&sql, "SELECT uid, ok, size, internaldate");
	for (i = 0; i < N_ELEMENTS(hc_cols); i++)
		if (what & hc_cols[i].bit)
			buf_puts(&sql, hc_cols[i].cols);
	buf_puts(&sql, " FROM hdrcache WHERE mailbox = ?1 AND"
	    " uid BETWEEN ?2 AND ?3 ORDER BY uid");
	nr = store_ranges_normalise(set, nset, &rs);
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	if (store_execc(s, "BEGIN", err_r) < 0 ||
	    (st = store_prep(s, buf_cstr(&sql), err_r)) == NULL)
		rc = -1;
	for (i = 0; i < nr && rc == 0 && !stop; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mailbox);
		sqlite3_bind_int64(st, 2, (int64_t)rs[i].lo);
		sqlite3_bind_int64(st, 3, (int64_t)rs[i].hi);
		while (!stop && (step = sqlite3_step(st)) == SQLITE_ROW) {
			read_row(st, what, &row);
			if (fn(arg, &row) < 0)
				stop = true;
		}
		if (!stop && step != SQLITE_DONE)
			rc = store_dberr(s, err_r, "header cache");
	}
	sqlite3_finalize(st);
	(void)store_execc(s, "COMMIT", NULL);
	store_rd_unlock(s);
	buf_free(&sql);
	free(rs);
	return rc;
}

int
store_hdrcache_count(struct store *s, int64_t mailbox, uint64_t *n_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int rc = -1;

	s = store_rd_lock(s);
	st = store_prep(s, "SELECT COUNT(*) FROM hdrcache WHERE mailbox = ?",
	    err_r);
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, mailbox);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*n_r = (uint64_t)sqlite3_column_int64(st, 0);
			rc = 0;
		} else
			store_dberr(s, err_r, "header cache");
		sqlite3_finalize(st);
	}
	store_rd_unlock(s);
	return rc;
}
