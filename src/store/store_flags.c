/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_flags.c: changing stored messages: flags and keywords with MODSEQ
 * (RFC 7162 CONDSTORE UNCHANGEDSINCE), COPY and MOVE with the UIDPLUS UID
 * map (bodies are shared between copies), EXPUNGE (all \Deleted or a UID
 * set) keeping expunged UIDs for QRESYNC, and changes since a MODSEQ.  Also
 * the keyword and UID-range helpers the other store files use.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "store/store_private.h"

/* ---- helpers ---- */

static int
cmp_range(const void *a, const void *b)
{
	const struct store_uidrange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

size_t
store_ranges_normalise(const struct store_uidrange *v, size_t n,
    struct store_uidrange **out)
{
	static const struct store_uidrange all = { 1, UINT32_MAX };
	struct store_uidrange *r;
	size_t i, m = 0;

	if (v == NULL) {
		v = &all;
		n = 1;
	}
	r = xcalloc(n ? n : 1, sizeof(*r));

	for (i = 0; i < n; i++) {
		r[i] = v[i];
		if (r[i].lo > r[i].hi) {	/* RFC 3501 9: 4:2 == 2:4 */
			uint32_t t = r[i].lo;

			r[i].lo = r[i].hi;
			r[i].hi = t;
		}
	}
	qsort(r, n, sizeof(*r), cmp_range);
	for (i = 0; i < n; i++) {
		if (m > 0 && (uint64_t)r[i].lo <= (uint64_t)r[m - 1].hi + 1) {
			if (r[i].hi > r[m - 1].hi)
				r[m - 1].hi = r[i].hi;
		} else
			r[m++] = r[i];
	}
	*out = r;
	return m;
}

int
store_msgs_query(struct store *s, const char *sql, int64_t mailbox,
    uint64_t lo, uint64_t hi, struct store_msgs *r, struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, sql, err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, (int64_t)lo);
	sqlite3_bind_int64(st, 3, (int64_t)hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_msg *m;

		r->v = store_grow(r->v, r->n, sizeof(*r->v));
		m = &r->v[r->n++];
		m->uid = (uint32_t)sqlite3_column_int64(st, 0);
		m->flags = (unsigned)sqlite3_column_int(st, 1);
		m->keywords = xstrdup((const char *)sqlite3_column_text(st, 2));
		m->modseq = (uint64_t)sqlite3_column_int64(st, 3);
		m->internaldate = sqlite3_column_int64(st, 4);
		m->size = (uint64_t)sqlite3_column_int64(st, 5);
		m->hdr_size = (uint64_t)sqlite3_column_int64(st, 6);
	}
	rc = rc == SQLITE_DONE ? 0 : store_dberr(s, err_r, "messages");
	store_done(s, st);
	return rc;
}

/* RFC 3501 flag-keyword = atom: no atom-specials, no leading '\'. */
static bool
keyword_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > STORE_KEYWORD_MAX || k[0] == '\\')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Splits kw into an array of owned words (validated). */
static int
kw_split(const char *kw, char ***v_r, size_t *n_r, struct error *err_r)
{
	char **v = NULL;
	size_t n = 0, i;
	const char *p = kw != NULL ? kw : "";

	while (*p != '\0') {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0)
			break;
		if (!keyword_ok(p, len)) {
			for (i = 0; i < n; i++)
				free(v[i]);
			free(v);
			return error_set(err_r, ERR_SYNTAX, "bad keyword");
		}
		v = xrealloc(v, size_mul(n + 1, sizeof(*v)));
		v[n++] = xstrndup(p, len);
		p += len;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

/* Sorts, removes duplicates, joins and frees v. */
static int
kw_join(char **v, size_t n, char **out_r, struct error *err_r)
{
	struct buf b;
	size_t i, kept = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	buf_init(&b, SIZE_MAX / 2);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcasecmp(v[i], v[i - 1]) == 0)
			continue;
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, v[i]);
		kept++;
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	if (kept > STORE_KEYWORDS_MAX) {
		buf_free(&b);
		return error_set(err_r, ERR_LIMIT, "too many keywords");
	}
	*out_r = buf_steal(&b);
	return 0;
}

int
store_keywords_normalise(const char *kw, char **out_r, struct error *err_r)
{
	char **v;
	size_t n;

	if (kw_split(kw, &v, &n, err_r) < 0)
		return -1;
	return kw_join(v, n, out_r, err_r);
}

int
store_keywords_register(struct store *s, int64_t mailbox, const char *kw,
    struct error *err_r)
{
	sqlite3_stmt *st;
	const char *p = kw;
	int rc = 0;

	if (*kw == '\0')
		return 0;
	st = store_prepc(s, "INSERT OR IGNORE INTO keywords(mailbox, name) "
	    "VALUES(?, ?)", err_r);
	if (st == NULL)
		return -1;
	while (*p != '\0' && rc == 0) {
		size_t len = strcspn(p, " ");

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, mailbox);
		sqlite3_bind_text(st, 2, p, (int)len, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_dberr(s, err_r, "keywords");
		p += len;
		while (*p == ' ')
			p++;
	}
	store_done(s, st);
	return rc;
}

/* New keyword list for op applied to cur with arg (both normalised). */
static int
kw_apply(const char *cur, enum store_flag_op op, const char *arg,
    char **out_r, struct error *err_r)
{
	char **a, **b;
	size_t na, nb, i, j;

	if (op == STORE_FLAGS_SET)
		return store_keywords_normalise(arg, out_r, err_r);
	if (kw_split(cur, &a, &na, err_r) < 0)
		return -1;
	if (kw_split(arg, &b, &nb, err_r) < 0) {
		(void)kw_join(a, na, out_r, NULL);
		free(*out_r);
		return -1;
	}
	if (op == STORE_FLAGS_ADD) {
		a = xrealloc(a, size_mul(na + nb + 1, sizeof(*a)));
		for (j = 0; j < nb; j++)
			a[na++] = b[j];
		free(b);
		return kw_join(a, na, out_r, err_r);
	}
	for (i = 0; i < na; ) {
		for (j = 0; j < nb && strcasecmp(a[i], b[j]) != 0; j++)
			;
		if (j < nb) {
			free(a[i]);
			a[i] = a[--na];
		} else
			i++;
	}
	for (j = 0; j < nb; j++)
		free(b[j]);
	free(b);
	return kw_join(a, na, out_r, err_r);
}

/* ---- STORE ---- */

int
store_set_flags(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, enum store_flag_op op,
    unsigned flags, const char *keywords, const uint64_t *unchangedsince,
    struct store_msgs *changed_r, uint32_t **failed_r, size_t *nfailed_r,
    struct error *err_r)
{
	struct store_msgs cur = { NULL, 0 }, changed = { NULL, 0 };
	struct store_uidrange *rs;
	struct mbox_row r;
	uint32_t *failed = NULL;
	size_t nfailed = 0, nr, i;
	char *kwarg = NULL;
	sqlite3_stmt *up = NULL;
	int rc = -1;

	if (flags & ~STORE_FLAGS_ALL)
		return error_set(err_r, ERR_SYNTAX, "bad flags");
	if (store_keywords_normalise(keywords, &kwarg, err_r) < 0)
		return -1;
	nr = store_ranges_normalise(set, nset, &rs);
	pthread_mutex_lock(&s->mu);
	if (store_begin_light(s, err_r) < 0)
		goto out;
	if (store_mbox_by_id(s, mailbox, &r, err_r) < 0)
		goto fail;
	for (i = 0; i < nr; i++)
		if (store_msgs_query(s, "SELECT " STORE_MSG_COLS " FROM messages"
		    " WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid",
		    mailbox, rs[i].lo, rs[i].hi, &cur, err_r) < 0)
			goto fail;
	up = store_prepc(s, "UPDATE messages SET flags = ?, keywords = ?, "
	    "modseq = ? WHERE mailbox = ? AND uid = ?", err_r);
	if (up == NULL)
		goto fail;
	for (i = 0; i < cur.n; i++) {
		struct store_msg *m = &cur.v[i];
		unsigned nf;
		char *nk;

		if (unchangedsince != NULL && m->modseq > *unchangedsince) {
			failed = xrealloc(failed, size_mul(nfailed + 1,
			    sizeof(*failed)));
			failed[nfailed++] = m->uid;
			continue;
		}
		nf = op == STORE_FLAGS_SET ? flags : op == STORE_FLAGS_ADD ?
		    m->flags | flags : m->flags & ~flags;
		if (kw_apply(m->keywords, op, kwarg, &nk, err_r) < 0)
			goto fail;
		if (nf == m->flags && strcmp(nk, m->keywords) == 0) {
			free(nk);
			continue;
		}
		if (changed.n == 0)
			r.highestmodseq++;	/* one MODSEQ per command */
		sqlite3_reset(up);
		sqlite3_bind_int(up, 1, (int)nf);
		sqlite3_bind_text(up, 2, nk, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, (int64_t)r.highestmodseq);
		sqlite3_bind_int64(up, 4, mailbox);
		sqlite3_bind_int64(up, 5, m->uid);
		if (sqlite3_step(up) != SQLITE_DONE) {
			free(nk);
			store_dberr(s, err_r, "store flags");
			goto fail;
		}
		changed.v = store_grow(changed.v, changed.n,
		    sizeof(*changed.v));
		changed.v[changed.n] = *m;
		changed.v[changed.n].flags = nf;
		changed.v[changed.n].keywords = nk;
		changed.v[changed.n].modseq = r.highestmodseq;
		changed.n++;
	}
	if (op != STORE_FLAGS_REMOVE &&
	    store_keywords_register(s, mailbox, kwarg, err_r) < 0)
		goto fail;
	if (store_mbox_update(s, &r, err_r) < 0 || store_commit(s, err_r) < 0)
		goto fail;
	rc = 0;
	if (changed.n > 0)
		store_changed(s);
	goto out;
fail:
	store_rollback(s);
out:
	store_done(s, up);
	pthread_mutex_unlock(&s->mu);
	store_msgs_free(&cur);
	free(rs);
	free(kwarg);
	if (rc == 0 && changed_r != NULL)
		*changed_r = changed;
	else
		store_msgs_free(&changed);
	if (rc == 0 && failed_r != NULL) {
		*failed_r = failed;
		*nfailed_r = nfailed;
	} else
		free(failed);
	return rc;
}

/* ---- COPY / MOVE / EXPUNGE ---- */

/* The target of a copy learns the source's keywords (FLAGS list). */
static int
store_keywords_register_copy(struct store *s, int64_t from, int64_t to,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if (from == to)
		return 0;
	st = store_prep(s, "INSERT OR IGNORE INTO keywords(mailbox, name) "
	    "SELECT ?2, name FROM keywords WHERE mailbox = ?1", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "keywords");
	sqlite3_finalize(st);
	return rc;
}

/* Deletes (mailbox, uids) rows, records them expunged at modseq and
 * collects their body ids in *bodies. */
static int
remove_uids(struct store *s, struct mbox_row *r, const uint32_t *uids,
    size_t n, int64_t **bodies, size_t *nb, struct error *err_r)
{
	sqlite3_stmt *sel, *del, *exp;
	size_t i;
	int rc = 0;

	sel = store_prepc(s, "SELECT body, size FROM messages WHERE mailbox = ?"
	    " AND uid = ?", err_r);
	del = store_prepc(s, "DELETE FROM messages WHERE mailbox = ? AND "
	    "uid = ?", err_r);
	exp = store_prepc(s, "INSERT OR REPLACE INTO expunged(mailbox, uid, "
	    "modseq) VALUES(?, ?, ?)", err_r);
	if (sel == NULL || del == NULL || exp == NULL)
		rc = -1;
	if (n > 0)
		r->highestmodseq++;
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, r->id);
		sqlite3_bind_int64(sel, 2, uids[i]);
		if (sqlite3_step(sel) != SQLITE_ROW)
			continue;
		*bodies = store_grow(*bodies, *nb, sizeof(int64_t));
		(*bodies)[(*nb)++] = sqlite3_column_int64(sel, 0);
		r->size -= (uint64_t)sqlite3_column_int64(sel, 1);
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, r->id);
		sqlite3_bind_int64(del, 2, uids[i]);
		sqlite3_reset(exp);
		sqlite3_bind_int64(exp, 1, r->id);
		sqlite3_bind_int64(exp, 2, uids[i]);
		sqlite3_bind_int64(exp, 3, (int64_t)r->highestmodseq);
		if (sqlite3_step(del) != SQLITE_DONE ||
		    sqlite3_step(exp) != SQLITE_DONE)
			rc = store_dberr(s, err_r, "expunge");
	}
	store_done(s, sel);
	store_done(s, del);
	store_done(s, exp);
	return rc;
}

int
store_copy(struct store *s, int64_t mailbox, const struct store_uidrange *set,
    size_t nset, const char *dest, bool move, struct store_uidmap *map_r,
    struct error *err_r)
{
	struct store_uidrange *rs;
	struct store_uidmap map = { 0, NULL, NULL, 0 };
	struct mbox_row src, dstrow, *dst;
	struct buf canon;
	int64_t *bodies = NULL;
	size_t nr, nb = 0, i;
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = -1, step;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(dest, &canon, NULL, err_r) < 0) {
		buf_free(&canon);
		return -1;
	}
	nr = store_ranges_normalise(set, nset, &rs);
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (store_mbox_by_id(s, mailbox, &src, err_r) < 0)
		goto fail;
	if (store_mbox_by_name(s, buf_cstr(&canon), &dstrow, err_r) < 0)
		goto fail;
	if (dstrow.noselect) {
		error_set(err_r, ERR_PERM, "mailbox is not selectable");
		goto fail;
	}
	dst = dstrow.id == src.id ? &src : &dstrow;
	map.uidvalidity = dst->uidvalidity;
	sel = store_prep(s, "SELECT uid FROM messages WHERE mailbox = ?1"
	    " AND uid BETWEEN ?2 AND ?3 ORDER BY uid", err_r);
	ins = store_prep(s, "INSERT INTO messages(mailbox, uid, modseq, flags, "
	    "keywords, internaldate, size, hdr_size, body, envelope, "
	    "bodystructure, bodyplain) SELECT ?1, ?2, ?3, flags, keywords, "
	    "internaldate, size, hdr_size, body, envelope, bodystructure, "
	    "bodyplain FROM messages WHERE mailbox = ?4 AND uid = ?5", err_r);
	if (sel == NULL || ins == NULL)
		goto fail;
	for (i = 0; i < nr; i++) {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, mailbox);
		sqlite3_bind_int64(sel, 2, rs[i].lo);
		sqlite3_bind_int64(sel, 3, rs[i].hi);
		while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
			map.src = store_grow(map.src, map.n,
			    sizeof(uint32_t));
			map.src[map.n++] = (uint32_t)sqlite3_column_int64(sel,
			    0);
		}
		if (step != SQLITE_DONE) {
			store_dberr(s, err_r, "copy");
			goto fail;
		}
	}
	map.dst = xcalloc(map.n ? map.n : 1, sizeof(uint32_t));
	if (map.n > 0)
		dst->highestmodseq++;
	for (i = 0; i < map.n; i++) {
		if (dst->uidnext >= UINT32_MAX) {
			error_set(err_r, ERR_LIMIT, "UIDs exhausted");
			goto fail;
		}
		map.dst[i] = dst->uidnext++;
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, dst->id);
		sqlite3_bind_int64(ins, 2, map.dst[i]);
		sqlite3_bind_int64(ins, 3, (int64_t)dst->highestmodseq);
		sqlite3_bind_int64(ins, 4, mailbox);
		sqlite3_bind_int64(ins, 5, map.src[i]);
		if (sqlite3_step(ins) != SQLITE_DONE ||
		    sqlite3_changes(s->db.h) != 1) {
			store_dberr(s, err_r, "copy");
			goto fail;
		}
	}
	/* Sizes: add what was copied. */
	{
		sqlite3_stmt *sz = store_prep(s, "SELECT COALESCE(SUM(size), 0) "
		    "FROM messages WHERE mailbox = ?1 AND uid >= ?2", err_r);

		if (sz == NULL)
			goto fail;
		sqlite3_bind_int64(sz, 1, dst->id);
		sqlite3_bind_int64(sz, 2, map.n > 0 ? map.dst[0] : UINT32_MAX);
		if (sqlite3_step(sz) == SQLITE_ROW)
			dst->size += (uint64_t)sqlite3_column_int64(sz, 0);
		sqlite3_finalize(sz);
	}
	if (store_keywords_register_copy(s, mailbox, dst->id, err_r) < 0)
		goto fail;
	if (move && remove_uids(s, &src, map.src, map.n, &bodies, &nb,
	    err_r) < 0)
		goto fail;
	if ((dst != &src && store_mbox_update(s, dst, err_r) < 0) ||
	    store_mbox_update(s, &src, err_r) < 0 ||
	    store_commit(s, err_r) < 0)
		goto fail;
	rc = 0;
	if (map.n > 0)
		store_changed(s);
	goto out;
fail:
	store_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	free(bodies);		/* shared with the copies: nothing to collect */
	free(rs);
	buf_free(&canon);
	if (rc == 0 && map_r != NULL)
		*map_r = map;
	else
		store_uidmap_free(&map);
	return rc;
}

void
store_uidmap_free(struct store_uidmap *m)
{
	free(m->src);
	free(m->dst);
	m->src = m->dst = NULL;
	m->n = 0;
}

/* Removes the messages in set (all when NULL), only those flagged
 * \Deleted when only_deleted; one transaction. */
static int
remove_where(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, bool only_deleted,
    uint32_t **uids_r, size_t *n_r, struct error *err_r)
{
	struct store_uidrange *rs;
	struct store_msgs del = { NULL, 0 };
	struct mbox_row r;
	uint32_t *uids = NULL;
	int64_t *bodies = NULL;
	char **files = NULL;
	size_t nr, nb = 0, nfiles = 0, i;
	int rc = -1;

	nr = store_ranges_normalise(set, nset, &rs);
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (store_mbox_by_id(s, mailbox, &r, err_r) < 0)
		goto fail;
	for (i = 0; i < nr; i++)
		if (store_msgs_query(s, only_deleted ? "SELECT "
		    STORE_MSG_COLS " FROM messages WHERE mailbox = ?1 AND uid "
		    "BETWEEN ?2 AND ?3 AND (flags & 8) != 0 ORDER BY uid" :
		    "SELECT " STORE_MSG_COLS " FROM messages WHERE mailbox = ?1"
		    " AND uid BETWEEN ?2 AND ?3 ORDER BY uid", mailbox,
		    rs[i].lo, rs[i].hi, &del, err_r) < 0)
			goto fail;
	uids = xcalloc(del.n ? del.n : 1, sizeof(*uids));
	for (i = 0; i < del.n; i++)
		uids[i] = del.v[i].uid;
	if (del.n > 0 && (remove_uids(s, &r, uids, del.n, &bodies, &nb,
	    err_r) < 0 ||
	    store_bodies_gc(s, bodies, nb, &files, &nfiles, err_r) < 0 ||
	    store_mbox_update(s, &r, err_r) < 0 || store_commit(s, err_r) < 0))
		goto fail;
	if (del.n == 0)
		store_rollback(s);	/* nothing removed: no commit, no fsync */
	rc = 0;
	*uids_r = uids;
	*n_r = del.n;
	uids = NULL;
	store_unlink_files(s, files, nfiles);	/* after the commit */
	files = NULL;
	if (del.n > 0)
		store_changed(s);
	goto out;
fail:
	store_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	store_unlink_files(NULL, files, nfiles);
	store_msgs_free(&del);
	free(uids);
	free(bodies);
	free(rs);
	return rc;
}

int
store_expunge(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, uint32_t **uids_r,
    size_t *n_r, struct error *err_r)
{
	return remove_where(s, mailbox, set, nset, true, uids_r, n_r, err_r);
}

int
store_remove(struct store *s, int64_t mailbox,
    const struct store_uidrange *set, size_t nset, uint32_t **uids_r,
    size_t *n_r, struct error *err_r)
{
	return remove_where(s, mailbox, set, nset, false, uids_r, n_r, err_r);
}

/* The changed rows and vanished UIDs (s->mu held, in a transaction). */
static int
changes_query(struct store *s, int64_t mailbox, uint64_t modseq,
    struct store_msgs *changed_r, uint32_t **vanished_r, size_t *nvanished_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	uint32_t *v = NULL;
	size_t n = 0;
	int step;

	if (store_msgs_query(s, "SELECT " STORE_MSG_COLS " FROM messages "
	    "WHERE mailbox = ?1 AND modseq > ?2 AND ?3 ORDER BY uid", mailbox,
	    modseq, 1, changed_r, err_r) < 0)
		return -1;
	st = store_prepc(s, "SELECT uid FROM expunged WHERE mailbox = ? AND "
	    "modseq > ? ORDER BY uid", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, (int64_t)modseq);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		v = store_grow(v, n, sizeof(*v));
		v[n++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	if (step != SQLITE_DONE) {
		store_dberr(s, err_r, "vanished");
		store_done(s, st);
		free(v);
		return -1;
	}
	store_done(s, st);
	*vanished_r = v;
	*nvanished_r = n;
	return 0;
}

int
store_mailbox_sync(struct store *s, int64_t mailbox, uint64_t modseq,
    struct store_msgs *changed_r, uint32_t **vanished_r, size_t *nvanished_r,
    uint32_t *messages_r, uint64_t *highestmodseq_r, struct error *err_r)
{
	struct mbox_row r;
	sqlite3_stmt *st;
	int rc = -1;

	changed_r->v = NULL;
	changed_r->n = 0;
	*vanished_r = NULL;
	*nvanished_r = 0;
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	if (store_execc(s, "BEGIN", err_r) < 0)
		goto out;
	if (store_mbox_by_id(s, mailbox, &r, err_r) < 0)
		goto end;
	st = store_prepc(s, "SELECT COUNT(*) FROM messages WHERE mailbox = ?",
	    err_r);
	if (st == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, mailbox);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_dberr(s, err_r, "count");
		store_done(s, st);
		goto end;
	}
	*messages_r = (uint32_t)sqlite3_column_int64(st, 0);
	store_done(s, st);
	*highestmodseq_r = r.highestmodseq;
	if (changes_query(s, mailbox, modseq, changed_r, vanished_r,
	    nvanished_r, err_r) == 0)
		rc = 0;
end:
	(void)store_execc(s, "COMMIT", NULL);
out:
	store_rd_unlock(s);
	if (rc < 0)
		store_msgs_free(changed_r);
	return rc;
}

int
store_changes_since(struct store *s, int64_t mailbox, uint64_t modseq,
    struct store_msgs *changed_r, uint32_t **vanished_r, size_t *nvanished_r,
    struct error *err_r)
{
	int rc = -1;

	changed_r->v = NULL;
	changed_r->n = 0;
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	if (store_execc(s, "BEGIN", err_r) < 0)
		goto out;
	rc = changes_query(s, mailbox, modseq, changed_r, vanished_r,
	    nvanished_r, err_r);
	(void)store_execc(s, "COMMIT", NULL);
out:
	store_rd_unlock(s);
	if (rc < 0)
		store_msgs_free(changed_r);
	return rc;
}
