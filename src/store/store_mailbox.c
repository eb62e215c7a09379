/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_mailbox.c: mailbox names (canonical INBOX, '/' hierarchy, LIST
 * patterns) and the mailbox operations of the account store: create with
 * implied parents, delete (\Noselect when children remain), rename with
 * children and the RFC 3501 INBOX special case, list, subscriptions,
 * status and the \Recent mark.
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

/* ---- names ---- */

int
store_mailbox_name(const char *name, struct buf *out, bool *container_r,
    struct error *err_r)
{
	size_t len = strlen(name), i, part;

	buf_reset(out);
	if (container_r != NULL)
		*container_r = false;
	if (len > 1 && name[len - 1] == '/') {
		len--;
		if (container_r != NULL)
			*container_r = true;
	}
	if (len == 0 || len > STORE_MAILBOX_NAME_MAX)
		return error_set(err_r, ERR_SYNTAX, "bad mailbox name length");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '*' || c == '%')
			return error_set(err_r, ERR_SYNTAX,
			    "bad character in mailbox name");
	}
	/*
	 * Every hierarchy part is a real name: no empty part ("/a", "a//b",
	 * "a//"), no "." or ".." ("../../etc", "INBOX/.."), which clients
	 * that map mailboxes to directories (mbsync, maildir tools) cannot
	 * sync.  ERR_PERM: IMAP says NO [CANNOT], the rule never changes.
	 */
	for (i = 0, part = 0; i <= len; i++) {
		if (i < len && name[i] != '/')
			continue;
		if (i == part)
			return error_set(err_r, ERR_PERM, "mailbox name has "
			    "an empty hierarchy part (leading, doubled or "
			    "trailing '/')");
		if ((i - part == 1 && name[part] == '.') ||
		    (i - part == 2 && name[part] == '.' &&
		    name[part + 1] == '.'))
			return error_set(err_r, ERR_PERM, "mailbox name has "
			    "a \".\" or \"..\" hierarchy part");
		part = i + 1;
	}
	/* RFC 3501 5.1: INBOX is case-insensitive. */
	if (len >= 5 && strncasecmp(name, "INBOX", 5) == 0 &&
	    (len == 5 || name[5] == '/')) {
		buf_puts(out, "INBOX");
		buf_append(out, name + 5, len - 5);
	} else
		buf_append(out, name, len);
	return out->err != 0 ? error_set(err_r, ERR_LIMIT, "name too long") : 0;
}

bool
store_pattern_match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), i;
	bool *cur, *nxt, ok;
	const char *c;

	/* NFA simulation: cur[i] means "pattern[0, i) matched so far";
	 * linear in pattern x name, no backtracking blow-up. */
	cur = xcalloc(pl + 1, sizeof(bool));
	nxt = xcalloc(pl + 1, sizeof(bool));
	cur[0] = true;
	for (i = 0; i < pl; i++)
		if (cur[i] && (pattern[i] == '*' || pattern[i] == '%'))
			cur[i + 1] = true;
	for (c = name; *c != '\0'; c++) {
		memset(nxt, 0, (pl + 1) * sizeof(bool));
		for (i = 0; i < pl; i++) {
			if (!cur[i])
				continue;
			if (pattern[i] == '*' || (pattern[i] == '%' && *c != '/'))
				nxt[i] = true;
			else if (pattern[i] == *c)
				nxt[i + 1] = true;
		}
		for (i = 0; i < pl; i++)
			if (nxt[i] && (pattern[i] == '*' || pattern[i] == '%'))
				nxt[i + 1] = true;
		memcpy(cur, nxt, (pl + 1) * sizeof(bool));
	}
	ok = cur[pl];
	free(cur);
	free(nxt);
	return ok;
}

/* ---- rows ---- */

static int
read_row(struct store *s, sqlite3_stmt *st, struct mbox_row *r,
    struct error *err_r)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		r->uidvalidity = (uint32_t)sqlite3_column_int64(st, 1);
		r->uidnext = (uint32_t)sqlite3_column_int64(st, 2);
		r->highestmodseq = (uint64_t)sqlite3_column_int64(st, 3);
		r->size = (uint64_t)sqlite3_column_int64(st, 4);
		r->recent_uid = (uint32_t)sqlite3_column_int64(st, 5);
		r->noselect = sqlite3_column_int(st, 6) != 0;
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = error_set(err_r, ERR_NOTFOUND, "no such mailbox");
	else
		rc = store_dberr(s, err_r, "mailbox");
	store_done(s, st);	/* finalizes one not kept */
	return rc;
}

#define ROW_COLS "id, uidvalidity, uidnext, highestmodseq, size, recent_uid, " \
	"noselect"

int
store_mbox_by_name(struct store *s, const char *name, struct mbox_row *r,
    struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "SELECT " ROW_COLS
	    " FROM mailboxes WHERE name = ?", err_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return read_row(s, st, r, err_r);
}

int
store_mbox_by_id(struct store *s, int64_t id, struct mbox_row *r,
    struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "SELECT " ROW_COLS
	    " FROM mailboxes WHERE id = ?", err_r);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return read_row(s, st, r, err_r);
}

int
store_mbox_update(struct store *s, const struct mbox_row *r,
    struct error *err_r)
{
	sqlite3_stmt *st = store_prepc(s, "UPDATE mailboxes SET uidnext = ?, "
	    "highestmodseq = ?, size = ?, recent_uid = ? WHERE id = ?", err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->uidnext);
	sqlite3_bind_int64(st, 2, (int64_t)r->highestmodseq);
	sqlite3_bind_int64(st, 3, (int64_t)r->size);
	sqlite3_bind_int64(st, 4, r->recent_uid);
	sqlite3_bind_int64(st, 5, r->id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "update mailbox");
	store_done(s, st);
	return rc;
}

/* Runs sql binding text a (and b when not NULL); -1 on error. */
static int
exec_text(struct store *s, const char *sql, const char *a, const char *b,
    struct error *err_r)
{
	sqlite3_stmt *st = store_prep(s, sql, err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_dberr(s, err_r, sql);
	sqlite3_finalize(st);
	return rc;
}

static int
insert_mailbox(struct store *s, const char *name, bool noselect,
    const char *special_use, struct error *err_r)
{
	sqlite3_stmt *st;
	uint32_t uv;
	int rc;

	st = store_prep(s, "SELECT COUNT(*) FROM mailboxes", err_r);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc >= STORE_MAILBOXES_MAX)
		return error_set(err_r, ERR_LIMIT, "too many mailboxes");
	if (store_new_uidvalidity(s, &uv, err_r) < 0)
		return -1;
	st = store_prep(s, "INSERT INTO mailboxes(name, uidvalidity, noselect,"
	    " special_use) VALUES(?, ?, ?, ?)", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uv);
	sqlite3_bind_int(st, 3, noselect);
	if (special_use != NULL)
		sqlite3_bind_text(st, 4, special_use, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "create mailbox");
	sqlite3_finalize(st);
	return rc;
}

/* Creates the missing superiors of name (RFC 3501 6.3.3). */
static int
create_parents(struct store *s, const char *name, struct error *err_r)
{
	char *tmp = xstrdup(name), *p;
	struct mbox_row r;
	int rc = 0;

	for (p = strchr(tmp, '/'); p != NULL && rc == 0;
	    p = strchr(p + 1, '/')) {
		*p = '\0';
		if (store_mbox_by_name(s, tmp, &r, NULL) < 0)
			rc = insert_mailbox(s, tmp, false, NULL, err_r);
		*p = '/';
	}
	free(tmp);
	return rc;
}

/* Makes a \Noselect mailbox selectable with UIDVALIDITY uv. */
static int
exec_uv(struct store *s, int64_t id, uint32_t uv, struct error *err_r)
{
	sqlite3_stmt *st = store_prep(s, "UPDATE mailboxes SET noselect = 0, "
	    "uidvalidity = ? WHERE id = ?", err_r);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, uv);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	    store_dberr(s, err_r, "create mailbox");
	sqlite3_finalize(st);
	return rc;
}

int
store_mailbox_create(struct store *s, const char *name,
    const char *special_use, struct error *err_r)
{
	struct buf canon;
	struct mbox_row r;
	bool container;
	int rc = -1;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(name, &canon, &container, err_r) < 0) {
		buf_free(&canon);
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (store_mbox_by_name(s, buf_cstr(&canon), &r, NULL) == 0) {
		uint32_t uv;

		/* A \Noselect left by DELETE becomes selectable again, with
		 * a new UIDVALIDITY. */
		if (!r.noselect || container) {
			error_set(err_r, ERR_EXISTS, "mailbox already exists");
			store_rollback(s);
			goto out;
		}
		if (store_new_uidvalidity(s, &uv, err_r) < 0 ||
		    exec_uv(s, r.id, uv, err_r) < 0 ||
		    store_commit(s, err_r) < 0) {
			store_rollback(s);
			goto out;
		}
		rc = 0;
		store_changed(s);
		goto out;
	}
	if (create_parents(s, buf_cstr(&canon), err_r) < 0 ||
	    insert_mailbox(s, buf_cstr(&canon), container, special_use,
	    err_r) < 0 || store_commit(s, err_r) < 0) {
		store_rollback(s);
		goto out;
	}
	rc = 0;
	store_changed(s);
out:
	pthread_mutex_unlock(&s->mu);
	buf_free(&canon);
	return rc;
}

static bool
has_children(struct store *s, const char *name)
{
	/* Children sort between "name/" and "name0" ('0' follows '/'), so
	 * the name index answers without a scan. */
	sqlite3_stmt *st = store_prepc(s, "SELECT 1 FROM mailboxes WHERE "
	    "name > ?1 || '/' AND name < ?1 || '0' LIMIT 1", NULL);
	bool r;

	if (st == NULL)
		return true;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	store_done(s, st);
	return r;
}

int
store_mailbox_delete(struct store *s, const char *name, struct error *err_r)
{
	struct buf canon;
	struct mbox_row r;
	char **files = NULL;
	size_t nfiles = 0;
	sqlite3_stmt *st;
	int rc = -1;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(name, &canon, NULL, err_r) < 0) {
		buf_free(&canon);
		return -1;
	}
	if (strcmp(buf_cstr(&canon), "INBOX") == 0) {
		buf_free(&canon);
		return error_set(err_r, ERR_PERM, "INBOX cannot be deleted");
	}
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (store_mbox_by_name(s, buf_cstr(&canon), &r, err_r) < 0)
		goto fail;
	if (store_mbox_purge(s, r.id, &files, &nfiles, err_r) < 0)
		goto fail;
	if (has_children(s, buf_cstr(&canon))) {
		if (r.noselect) {
			error_set(err_r, ERR_PERM, "mailbox has children");
			goto fail;
		}
		st = store_prep(s, "UPDATE mailboxes SET noselect = 1, size = 0"
		    " WHERE id = ?", err_r);
	} else
		st = store_prep(s, "DELETE FROM mailboxes WHERE id = ?", err_r);
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, r.id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		store_dberr(s, err_r, "delete mailbox");
		goto fail;
	}
	sqlite3_finalize(st);
	if (store_commit(s, err_r) < 0)
		goto fail;
	rc = 0;
	store_unlink_files(s, files, nfiles);
	files = NULL;
	store_changed(s);
	goto out;
fail:
	store_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
	store_unlink_files(NULL, files, nfiles);	/* just frees */
	buf_free(&canon);
	return rc;
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox. */
static int
rename_inbox(struct store *s, const char *to, struct error *err_r)
{
	struct mbox_row in, nb;
	sqlite3_stmt *st;

	if (store_mbox_by_name(s, "INBOX", &in, err_r) < 0 ||
	    create_parents(s, to, err_r) < 0 ||
	    insert_mailbox(s, to, false, NULL, err_r) < 0 ||
	    store_mbox_by_name(s, to, &nb, err_r) < 0)
		return -1;
	nb.uidnext = in.uidnext;
	nb.size = in.size;
	nb.highestmodseq = in.highestmodseq;
	nb.recent_uid = in.recent_uid;
	/* INBOX sessions see the messages go as expunges. */
	in.highestmodseq++;
	in.size = 0;
	st = store_prep(s, "INSERT OR REPLACE INTO expunged(mailbox, uid, "
	    "modseq) SELECT mailbox, uid, ?1 FROM messages WHERE mailbox = ?2",
	    err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)in.highestmodseq);
	sqlite3_bind_int64(st, 2, in.id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_dberr(s, err_r, "rename INBOX");
	}
	sqlite3_finalize(st);
	st = store_prep(s, "UPDATE messages SET mailbox = ?1 WHERE mailbox = ?2",
	    err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, nb.id);
	sqlite3_bind_int64(st, 2, in.id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_dberr(s, err_r, "rename INBOX");
	}
	sqlite3_finalize(st);
	if (store_mbox_update(s, &in, err_r) < 0 ||
	    store_mbox_update(s, &nb, err_r) < 0)
		return -1;
	return exec_text(s, "INSERT OR IGNORE INTO keywords(mailbox, name) "
	    "SELECT (SELECT id FROM mailboxes WHERE name = ?1), name FROM "
	    "keywords WHERE mailbox = (SELECT id FROM mailboxes WHERE "
	    "name = 'INBOX')", to, NULL, err_r);
}

int
store_mailbox_rename(struct store *s, const char *from, const char *to,
    struct error *err_r)
{
	struct buf f, t;
	struct mbox_row r;
	size_t fl;
	int rc = -1;

	buf_init(&f, STORE_MAILBOX_NAME_MAX);
	buf_init(&t, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(from, &f, NULL, err_r) < 0 ||
	    store_mailbox_name(to, &t, NULL, err_r) < 0)
		goto done;
	fl = f.len;
	if (strcmp(f.data, t.data) == 0 || (t.len > fl &&
	    strncmp(t.data, f.data, fl) == 0 && t.data[fl] == '/' &&
	    strcmp(f.data, "INBOX") != 0)) {
		error_set(err_r, ERR_SYNTAX, "cannot rename into itself");
		goto done;
	}
	pthread_mutex_lock(&s->mu);
	if (store_begin(s, err_r) < 0)
		goto out;
	if (store_mbox_by_name(s, f.data, &r, err_r) < 0)
		goto fail;
	if (store_mbox_by_name(s, t.data, &r, NULL) == 0) {
		error_set(err_r, ERR_EXISTS, "target mailbox exists");
		goto fail;
	}
	if (strcmp(f.data, "INBOX") == 0) {
		if (rename_inbox(s, t.data, err_r) < 0)
			goto fail;
	} else {
		/* Children move along: every name equal to from or below it
		 * gets the new prefix.  Target names of children must not
		 * exist either (the UNIQUE constraint refuses them). */
		if (exec_text(s, "UPDATE mailboxes SET name = ?2 || "
		    "substr(name, length(?1) + 1) WHERE name = ?1 OR "
		    "substr(name, 1, length(?1) + 1) = ?1 || '/'",
		    f.data, t.data, err_r) < 0 ||
		    create_parents(s, t.data, err_r) < 0)
			goto fail;
		if (exec_text(s, "UPDATE subscriptions SET name = ?2 || "
		    "substr(name, length(?1) + 1) WHERE name = ?1 OR "
		    "substr(name, 1, length(?1) + 1) = ?1 || '/'",
		    f.data, t.data, NULL) < 0)
			goto fail;
	}
	if (store_commit(s, err_r) < 0)
		goto fail;
	rc = 0;
	store_changed(s);
	goto out;
fail:
	store_rollback(s);
out:
	pthread_mutex_unlock(&s->mu);
done:
	buf_free(&f);
	buf_free(&t);
	return rc;
}

int
store_subscribe(struct store *s, const char *name, bool subscribe,
    struct error *err_r)
{
	struct buf canon;
	int rc;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(name, &canon, NULL, err_r) < 0) {
		buf_free(&canon);
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	rc = exec_text(s, subscribe ? "INSERT OR IGNORE INTO subscriptions"
	    "(name) VALUES(?)" : "DELETE FROM subscriptions WHERE name = ?",
	    buf_cstr(&canon), NULL, err_r);
	pthread_mutex_unlock(&s->mu);
	buf_free(&canon);
	return rc;
}

/* Pattern with a leading INBOX component made canonical. */
static char *
canon_pattern(const char *pattern)
{
	if (strncasecmp(pattern, "INBOX", 5) == 0 &&
	    (pattern[5] == '\0' || pattern[5] == '/'))
		return xasprintf("INBOX%s", pattern + 5);
	return xstrdup(pattern);
}

int
store_mailbox_list(struct store *s, const char *pattern, bool subscribed_only,
    struct store_mailbox **v_r, size_t *n_r, struct error *err_r)
{
	struct store_mailbox *v = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *st;
	char *pat = canon_pattern(pattern);
	int rc;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	st = store_prepc(s, subscribed_only ?
	    "SELECT s.name, COALESCE(m.noselect, 1), m.special_use, 1 FROM "
	    "subscriptions s LEFT JOIN mailboxes m ON m.name = s.name "
	    "ORDER BY s.name" :
	    "SELECT m.name, m.noselect, m.special_use, s.name IS NOT NULL FROM "
	    "mailboxes m LEFT JOIN subscriptions s ON s.name = m.name "
	    "ORDER BY m.name", err_r);
	if (st == NULL) {
		store_rd_unlock(s);
		free(pat);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *su = (const char *)sqlite3_column_text(st, 2);

		if (name == NULL || !store_pattern_match(pat, name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, size_mul(cap, sizeof(*v)));
		}
		v[n].name = xstrdup(name);
		v[n].noselect = sqlite3_column_int(st, 1) != 0;
		v[n].special_use = su != NULL ? xstrdup(su) : NULL;
		v[n].subscribed = sqlite3_column_int(st, 3) != 0;
		v[n].has_children = has_children(s, name);
		n++;
	}
	store_done(s, st);
	if (rc != SQLITE_DONE) {
		store_dberr(s, err_r, "list");
		store_rd_unlock(s);
		store_mailbox_list_free(v, n);
		free(pat);
		return -1;
	}
	store_rd_unlock(s);
	free(pat);
	for (i = 0; i < n; i++)		/* keep INBOX first, as clients expect */
		if (strcmp(v[i].name, "INBOX") == 0 && i > 0) {
			struct store_mailbox tmp = v[i];

			memmove(&v[1], &v[0], i * sizeof(*v));
			v[0] = tmp;
		}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_mailbox_list_free(struct store_mailbox *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].special_use);
	}
	free(v);
}

int
store_mailbox_infos(struct store *s, struct store_mbinfo **v_r, size_t *n_r,
    struct error *err_r)
{
	struct store_mbinfo *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	st = store_prepc(s, "SELECT m.id, m.name, m.uidvalidity, m.uidnext, "
	    "m.highestmodseq, m.noselect, m.special_use, s.name IS NOT NULL "
	    "FROM mailboxes m LEFT JOIN subscriptions s ON s.name = m.name "
	    "ORDER BY m.id", err_r);
	if (st == NULL) {
		store_rd_unlock(s);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *su = (const char *)sqlite3_column_text(st, 6);

		if (name == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, size_mul(cap, sizeof(*v)));
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].name = xstrdup(name);
		v[n].uidvalidity = (uint32_t)sqlite3_column_int64(st, 2);
		v[n].uidnext = (uint32_t)sqlite3_column_int64(st, 3);
		v[n].highestmodseq = (uint64_t)sqlite3_column_int64(st, 4);
		v[n].noselect = sqlite3_column_int(st, 5) != 0;
		v[n].special_use = su != NULL ? xstrdup(su) : NULL;
		v[n].subscribed = sqlite3_column_int(st, 7) != 0;
		n++;
	}
	store_done(s, st);
	if (rc != SQLITE_DONE) {
		store_dberr(s, err_r, "mailbox list");
		store_rd_unlock(s);
		store_mbinfo_free(v, n);
		return -1;
	}
	store_rd_unlock(s);
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_mbinfo_free(struct store_mbinfo *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].special_use);
	}
	free(v);
}

int
store_mailbox_status(struct store *s, const char *name,
    struct store_status *st_r, struct error *err_r)
{
	struct buf canon;
	struct mbox_row r;
	sqlite3_stmt *st;
	int rc = -1;

	buf_init(&canon, STORE_MAILBOX_NAME_MAX);
	if (store_mailbox_name(name, &canon, NULL, err_r) < 0) {
		buf_free(&canon);
		return -1;
	}
	s = store_rd_lock(s);	/* reads only: a reader if busy */
	if (store_mbox_by_name(s, buf_cstr(&canon), &r, err_r) < 0)
		goto out;
	st = store_prepc(s, "SELECT COUNT(*), COALESCE(SUM((flags & 1) = 0), 0),"
	    " COALESCE(SUM(uid >= ?2), 0) FROM messages WHERE mailbox = ?1",
	    err_r);
	if (st == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_int64(st, 2, r.recent_uid);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_dberr(s, err_r, "status");
		store_done(s, st);
		goto out;
	}
	memset(st_r, 0, sizeof(*st_r));
	st_r->id = r.id;
	st_r->uidvalidity = r.uidvalidity;
	st_r->uidnext = r.uidnext;
	st_r->highestmodseq = r.highestmodseq;
	st_r->size = r.size;
	st_r->noselect = r.noselect;
	st_r->messages = (uint32_t)sqlite3_column_int64(st, 0);
	st_r->unseen = (uint32_t)sqlite3_column_int64(st, 1);
	st_r->recent = (uint32_t)sqlite3_column_int64(st, 2);
	store_done(s, st);
	rc = 0;
out:
	store_rd_unlock(s);
	buf_free(&canon);
	return rc;
}

int
store_claim_recent(struct store *s, int64_t mailbox, uint32_t *first_r,
    struct error *err_r)
{
	struct mbox_row r;
	struct store *rd;
	int rc = -1;

	/* Nothing to claim (another session took every new UID, the usual
	 * case with several sessions on one mailbox): a read, no write
	 * transaction.  Every UID this caller listed is below UIDNEXT, so
	 * first = UIDNEXT marks none of them \Recent. */
	rd = store_rd_lock(s);
	rc = store_mbox_by_id(rd, mailbox, &r, err_r);
	store_rd_unlock(rd);
	if (rc < 0)
		return -1;
	if (r.recent_uid >= r.uidnext) {
		*first_r = r.uidnext;
		return 0;
	}
	rc = -1;
	pthread_mutex_lock(&s->mu);
	if (store_begin_light(s, err_r) < 0)
		goto out;
	if (store_mbox_by_id(s, mailbox, &r, err_r) < 0) {
		store_rollback(s);
		goto out;
	}
	*first_r = r.recent_uid;
	r.recent_uid = r.uidnext;
	if (store_mbox_update(s, &r, err_r) < 0 || store_commit(s, err_r) < 0) {
		store_rollback(s);
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
store_mailbox_keywords(struct store *s, int64_t mailbox, char **kw_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	struct buf b;
	int rc;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	st = store_prepc(s, "SELECT name FROM keywords WHERE mailbox = ? "
	    "ORDER BY name", err_r);
	if (st == NULL) {
		store_rd_unlock(s);
		return -1;
	}
	sqlite3_bind_int64(st, 1, mailbox);
	buf_init(&b, SIZE_MAX / 2);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (b.len > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, (const char *)sqlite3_column_text(st, 0));
	}
	if (rc != SQLITE_DONE)
		store_dberr(s, err_r, "keywords");
	store_done(s, st);
	if (rc != SQLITE_DONE) {
		store_rd_unlock(s);
		buf_free(&b);
		return -1;
	}
	store_rd_unlock(s);
	*kw_r = buf_steal(&b);
	return 0;
}
