/* SPDX-License-Identifier: Apache-2.0 */
/*
 * directory.c: the directory store (see directory.h) on SQLite.
 *
 *   entry(id, ndn UNIQUE, parent, dn, uuid, mtime, attrs)
 *	one row per record; attrs is "name\0value\0" repeated; parent is
 *	the normal DN one level up (scope one lists by it)
 *   idx(attr, val, id)
 *	one row per value of an indexed attribute: the name and the value
 *	in lower case, for equality (val = ?), presence (attr = ?) and
 *	prefix (val >= 'ann' AND val < 'ano') search
 *
 * A search picks its candidates from idx when its filter (or one branch of
 * a top-level AND, or every branch of a top-level OR) names an indexed
 * attribute; otherwise it walks the scope in id order.  Candidates are
 * then checked against the scope and the whole filter, so the index only
 * narrows, it never decides.
 */
#include "lib/compat.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/dbcopy.h"
#include "lib/xmalloc.h"
#include "directory/directory.h"

#define DIR_DB_FLAGS	(DB_CREATE | DB_WAL | DB_FAST_DELETE | DB_NOFOLLOW)
#define DIR_BUSY_MS	10000
/* The reader's memory map (1 GiB of address space) and page cache
 * (64 MiB), and how long at most it reuses a read transaction. */
#define DIR_MMAP_SIZE	"1073741824"
#define DIR_CACHE_KB	"65536"
#define DIR_SNAPSHOT_MS	250

struct directory {
	_Atomic uint64_t gen;		/* + 1 per committed write */
	pthread_mutex_t	 wlock;		/* the writer connection */
	struct db	 wdb;
	pthread_mutex_t	 rlock;		/* the reader connection */
	struct db	 rdb;
	bool		 rtxn;		/* rdb in a read transaction */
	uint64_t	 rgen;		/* begun at this generation */
	int64_t		 rsince;	/* and this time (ms) */
};

static struct dir_entry	*row_entry(sqlite3_stmt *st);
static int	dir_commit(struct directory *d, struct error *err_r);
static void	reader_end(struct directory *d);

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS entry("
    " id INTEGER PRIMARY KEY, ndn TEXT NOT NULL UNIQUE,"
    " parent TEXT NOT NULL, dn TEXT NOT NULL, uuid TEXT NOT NULL,"
    " mtime INTEGER NOT NULL, attrs BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entry_parent ON entry(parent, id);"
    "CREATE TABLE IF NOT EXISTS idx("
    " attr TEXT NOT NULL, val TEXT NOT NULL, id INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS idx_av ON idx(attr, val, id);"
    "CREATE INDEX IF NOT EXISTS idx_id ON idx(id);";

/* The attributes kept in idx, in lower case. */
static const char *const indexed[] = {
	"uid", "mail", "cn", "sn", "givenname", "objectclass", "hostserver",
	"member", NULL
};

static const char *
index_name(const char *attr)
{
	size_t i;

	for (i = 0; indexed[i] != NULL; i++)
		if (strcasecmp(indexed[i], attr) == 0)
			return indexed[i];
	return NULL;
}

/* The indexed form of a value: lower case, blanks at the ends dropped. */
static char *
index_value(const char *v)
{
	size_t n;
	char *s, *p;

	while (*v == ' ')
		v++;
	s = xstrdup(v);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

static int
mkdir_one(const char *path, struct error *err_r)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return error_set(err_r, ERR_IO, "mkdir %s: %s", path,
		    strerror(errno));
	return 0;
}

/*
 * Schema version 1 indexes `member` (groups, memberOf).  A directory made
 * before it may hold member values that LDAP clients added: they go into
 * idx once, so that the index keeps naming every candidate.
 */
static int
migrate(struct directory *d, struct error *err_r)
{
	struct dir_entry *e;
	sqlite3_stmt *st, *ins;
	int64_t version = 0;
	size_t i;
	char *v;
	int rc = 0, src;

	if ((st = db_prep_once(&d->wdb, "PRAGMA user_version", err_r)) ==
	    NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (version >= 1)
		return 0;
	if (db_begin(&d->wdb, err_r) == -1)
		return -1;
	if ((st = db_prep_once(&d->wdb, "SELECT dn, uuid, mtime, attrs, id "
	    "FROM entry", err_r)) == NULL ||
	    (ins = db_prep_once(&d->wdb, "INSERT INTO idx(attr, val, id) "
	    "VALUES('member', ?1, ?2)", err_r)) == NULL) {
		if (st != NULL)
			sqlite3_finalize(st);
		db_rollback(&d->wdb);
		return -1;
	}
	while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
		e = row_entry(st);
		for (i = 0; rc == 0 && i < e->navs; i++) {
			if (strcasecmp(e->avs[i].name, "member") != 0)
				continue;
			v = index_value(e->avs[i].val);
			sqlite3_bind_text(ins, 1, v, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(ins, 2, e->id);
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = db_error(&d->wdb, err_r, "directory "
				    "index");
			sqlite3_reset(ins);
			free(v);
		}
		dir_entry_free(&e);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	if (rc == 0)
		rc = db_exec_script(&d->wdb, "PRAGMA user_version = 1", err_r);
	if (rc == 0)
		rc = dir_commit(d, err_r);
	else
		db_rollback(&d->wdb);
	return rc;
}

struct directory *
directory_open(const char *base, struct error *err_r)
{
	struct directory *d = xcalloc(1, sizeof(*d));
	char *dir, *path;
	int rc = -1;

	pthread_mutex_init(&d->wlock, NULL);
	pthread_mutex_init(&d->rlock, NULL);
	dir = xasprintf("%s/Directory", base);
	path = xasprintf("%s/directory.db", dir);
	if (mkdir_one(dir, err_r) == 0 &&
	    db_open(&d->wdb, path, DIR_DB_FLAGS, DIR_BUSY_MS, err_r) == 0 &&
	    db_exec_script(&d->wdb, schema, err_r) == 0 &&
	    migrate(d, err_r) == 0 &&
	    db_open(&d->rdb, path, DIR_DB_FLAGS | DB_QUERY_ONLY, DIR_BUSY_MS,
	    err_r) == 0 &&
	    /* searches read the pages mapped (no pread per page) and keep
	     * more of them: a 100,000-record directory is ~60 MB */
	    db_exec_script(&d->rdb, "PRAGMA mmap_size=" DIR_MMAP_SIZE ";"
	    "PRAGMA cache_size=-" DIR_CACHE_KB ";", err_r) == 0)
		rc = 0;
	free(dir);
	free(path);
	if (rc == -1)
		directory_close(&d);
	return d;
}

void
directory_close(struct directory **dp)
{
	struct directory *d = *dp;

	if (d == NULL)
		return;
	reader_end(d);
	(void)db_close(&d->rdb);
	(void)db_close(&d->wdb);
	pthread_mutex_destroy(&d->wlock);
	pthread_mutex_destroy(&d->rlock);
	free(d);
	*dp = NULL;
}

/* Commits the writer's transaction; readers' cached views (VLV
 * contexts) end with the generation. */
/*
 * The reader keeps its read transaction from one search to the next while
 * nothing was written: each new one takes and drops the WAL read lock
 * (fcntl calls), the most a search by uid cost.  A write's commit moves
 * the generation on; the next reader_lock() then begins a fresh
 * transaction, so a search sees every change committed before it
 * started.  After a commit the writer ends an idle reader's transaction
 * too, so that the checkpoint can reset the WAL.  A change made by another
 * program (the sqlite3 shell) moves no generation: it is seen after at
 * most DIR_SNAPSHOT_MS, when the transaction is renewed anyway.
 */
static void
reader_end(struct directory *d)
{
	if (d->rtxn) {
		/* a read: nothing to commit */
		(void)db_exec(&d->rdb, "COMMIT", NULL);
		d->rtxn = false;
	}
}

/* Takes rlock with a read transaction at least as new as the last
 * commit; -1 (rlock not held) when it cannot begin. */
static int
reader_lock(struct directory *d, struct error *err_r)
{
	uint64_t g;

	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&d->rlock);
	g = atomic_load(&d->gen);
	if (d->rtxn && d->rgen == g && now - d->rsince < DIR_SNAPSHOT_MS)
		return 0;
	reader_end(d);
	if (db_begin_read(&d->rdb, err_r) == -1) {
		pthread_mutex_unlock(&d->rlock);
		return -1;
	}
	d->rtxn = true;
	d->rgen = g;
	d->rsince = now;
	return 0;
}

static int
dir_commit(struct directory *d, struct error *err_r)
{
	int rc = db_commit(&d->wdb, err_r);

	atomic_fetch_add(&d->gen, 1);
	if (pthread_mutex_trylock(&d->rlock) == 0) {
		reader_end(d);
		pthread_mutex_unlock(&d->rlock);
	}
	return rc;
}

uint64_t
directory_generation(struct directory *d)
{
	return atomic_load(&d->gen);
}

/* ---- records to and from rows ---------------------------------------------- */

static void
encode_attrs(const struct dir_entry *e, struct buf *b)
{
	size_t i;

	for (i = 0; i < e->navs; i++) {
		buf_append(b, e->avs[i].name, strlen(e->avs[i].name) + 1);
		buf_append(b, e->avs[i].val, strlen(e->avs[i].val) + 1);
	}
}

static void
decode_attrs(struct dir_entry *e, const char *p, size_t len)
{
	const char *end = p + len, *name, *val;

	while (p < end) {
		name = p;
		p = memchr(p, '\0', (size_t)(end - p));
		if (p == NULL || ++p >= end)
			return;
		val = p;
		p = memchr(p, '\0', (size_t)(end - p));
		if (p == NULL)
			return;
		p++;
		dir_entry_add(e, name, val);
	}
}

/* Random bytes for entryUUIDs, taken from getrandom() a pool at a time
 * (one system call per 64 records, not an open/read/close each). */
static void
random_bytes(unsigned char *p, size_t n)
{
	static __thread unsigned char pool[1024];
	static __thread size_t left;
	ssize_t got;

	while (n > 0) {
		if (left == 0) {
			got = getrandom(pool, sizeof(pool), 0);
			if (got != (ssize_t)sizeof(pool))
				fatal("getrandom: %s", strerror(errno));
			left = sizeof(pool);
		}
		*p++ = pool[sizeof(pool) - left--];
		n--;
	}
}

static void
make_uuid(char out[37])
{
	unsigned char r[16];

	random_bytes(r, sizeof(r));
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);	/* RFC 4122 v4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	(void)snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

static int
check_entry(const struct dir_entry *e, struct error *err_r)
{
	size_t i;

	if (e->navs > DIR_VALUES_MAX)
		return error_set(err_r, ERR_LIMIT, "more than %u attribute "
		    "values", (unsigned)DIR_VALUES_MAX);
	for (i = 0; i < e->navs; i++)
		if (strlen(e->avs[i].val) > DIR_VALUE_MAX)
			return error_set(err_r, ERR_LIMIT, "attribute value "
			    "longer than %u bytes", (unsigned)DIR_VALUE_MAX);
	return 0;
}

static bool
owned_by(const struct dir_owned *own, const char *name)
{
	size_t i;

	if (strcasecmp(name, "objectClass") == 0)
		return true;
	for (i = 0; i < own->n; i++)
		if (strcasecmp(own->names[i], name) == 0)
			return true;
	return false;
}

/* The record a writer that owns own->names puts over old: e, then what
 * old has that the writer does not own, then old's objectClass values
 * that e lacks (an administrator's auxiliary classes).  NULL when there
 * is nothing to keep. */
static struct dir_entry *
merged_entry(const struct dir_entry *e, const struct dir_entry *old,
    const struct dir_owned *own)
{
	struct dir_entry *m = NULL;
	const struct dir_av *av;
	size_t i;

	for (i = 0; i < old->navs; i++) {
		av = &old->avs[i];
		if (strcasecmp(av->name, "objectClass") == 0) {
			if (dir_entry_has_value(e, av->name, av->val))
				continue;
		} else if (owned_by(own, av->name) ||
		    dir_entry_get(e, av->name) != NULL)
			continue;
		if (m == NULL) {
			size_t j;

			m = dir_entry_new(e->dn);
			for (j = 0; j < e->navs; j++)
				dir_entry_add(m, e->avs[j].name,
				    e->avs[j].val);
		}
		dir_entry_add(m, av->name, av->val);
	}
	return m;
}

/* One text for both users: db_prep() keeps statements by the text's
 * address. */
static const char sql_idx_delete[] = "DELETE FROM idx WHERE id = ?1";

/* Runs the writer's statement sql, whose one parameter is a row id, to its
 * end; -1 with err_r ("<what>: ...") when it fails. */
static int
exec_id_locked(struct directory *d, const char *sql, int64_t id,
    const char *what, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(&d->wdb, sql, err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	db_done(&d->wdb, st);
	if (rc != SQLITE_DONE)
		return db_error(&d->wdb, err_r, what);
	return 0;
}

/* Inside the writer's transaction.  own: merge with the record there (see
 * directory_merge_many); NULL replaces it whole. */
static int
put_locked(struct directory *d, const struct dir_entry *e, bool replace,
    const struct dir_owned *own, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1], uuid[37];
	struct dir_entry *old, *m = NULL;
	struct buf attrs;
	sqlite3_stmt *st;
	int64_t id = -1;
	const char *iname;
	char *v;
	size_t i;
	int rc;

	if (dir_dn_normalize(e->dn, ndn, sizeof(ndn), err_r) == -1 ||
	    check_entry(e, err_r) == -1)
		return -1;
	if (*ndn == '\0')
		return error_set(err_r, ERR_PERM, "the root cannot be "
		    "written");
	if ((st = db_prep(&d->wdb, "SELECT id, attrs FROM entry WHERE "
	    "ndn = ?1", err_r)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (own != NULL && replace) {
			old = dir_entry_new(e->dn);
			decode_attrs(old, sqlite3_column_blob(st, 1),
			    (size_t)sqlite3_column_bytes(st, 1));
			m = merged_entry(e, old, own);
			dir_entry_free(&old);
		}
	}
	db_done(&d->wdb, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		dir_entry_free(&m);
		return db_error(&d->wdb, err_r, "directory lookup");
	}
	if (id >= 0 && !replace)
		return error_set(err_r, ERR_EXISTS, "directory record already "
		    "exists");
	if (m != NULL) {
		if (check_entry(m, err_r) == -1) {
			dir_entry_free(&m);
			return -1;
		}
		e = m;
	}
	buf_init(&attrs, (size_t)DIR_VALUES_MAX * (DIR_VALUE_MAX + 64));
	encode_attrs(e, &attrs);
	if (id >= 0) {
		st = db_prep(&d->wdb, "UPDATE entry SET dn = ?2, mtime = ?3, "
		    "attrs = ?4 WHERE id = ?1", err_r);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
	} else {
		make_uuid(uuid);
		st = db_prep(&d->wdb, "INSERT INTO entry(ndn, parent, dn, "
		    "mtime, attrs, uuid) VALUES(?1, ?5, ?2, ?3, ?4, ?6)", err_r);
		if (st == NULL)
			goto fail;
		sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, dir_dn_parent(ndn), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, uuid, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 2, e->dn, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	/* a record without attributes is an empty blob, not NULL */
	sqlite3_bind_blob(st, 4, attrs.data != NULL ? attrs.data : "",
	    (int)attrs.len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(&d->wdb, st);
	if (rc != SQLITE_DONE) {
		db_error(&d->wdb, err_r, "directory write");
		goto fail;
	}
	if (id < 0)
		id = sqlite3_last_insert_rowid(d->wdb.h);
	else if (exec_id_locked(d, sql_idx_delete, id, "directory index",
	    err_r) == -1)
		goto fail;
	for (i = 0; i < e->navs; i++) {
		if ((iname = index_name(e->avs[i].name)) == NULL)
			continue;
		if ((st = db_prep(&d->wdb, "INSERT INTO idx(attr, val, id) "
		    "VALUES(?1, ?2, ?3)", err_r)) == NULL)
			goto fail;
		v = index_value(e->avs[i].val);
		sqlite3_bind_text(st, 1, iname, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, id);
		rc = sqlite3_step(st);
		db_done(&d->wdb, st);
		free(v);
		if (rc != SQLITE_DONE) {
			db_error(&d->wdb, err_r, "directory index");
			goto fail;
		}
	}
	buf_free(&attrs);
	dir_entry_free(&m);
	return 0;
fail:
	buf_free(&attrs);
	dir_entry_free(&m);
	return -1;
}

int
directory_put(struct directory *d, const struct dir_entry *e, bool replace,
    struct error *err_r)
{
	struct dir_entry *const one[1] = { (struct dir_entry *)e };
	int rc;

	if (!replace) {
		pthread_mutex_lock(&d->wlock);
		rc = db_begin(&d->wdb, err_r);
		if (rc == 0 && put_locked(d, e, false, NULL, err_r) == -1) {
			db_rollback(&d->wdb);
			rc = -1;
		} else if (rc == 0)
			rc = dir_commit(d, err_r);
		pthread_mutex_unlock(&d->wlock);
		return rc;
	}
	return directory_put_many(d, one, 1, err_r);
}

int
directory_put_many(struct directory *d, struct dir_entry *const *es,
    size_t n, struct error *err_r)
{
	return directory_merge_many(d, es, n, NULL, err_r);
}

int
directory_merge_many(struct directory *d, struct dir_entry *const *es,
    size_t n, const struct dir_owned *own, struct error *err_r)
{
	size_t i;
	int rc;

	pthread_mutex_lock(&d->wlock);
	rc = db_begin(&d->wdb, err_r);
	for (i = 0; rc == 0 && i < n; i++)
		if (put_locked(d, es[i], true, own, err_r) == -1) {
			db_rollback(&d->wdb);
			rc = -1;
		}
	if (rc == 0)
		rc = dir_commit(d, err_r);
	pthread_mutex_unlock(&d->wlock);
	return rc;
}

/* Deletes the record of normal DN ndn with its index rows; *found_r. */
static int
delete_locked(struct directory *d, const char *ndn, bool *found_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int64_t id = -1;
	int rc;

	*found_r = false;
	if ((st = db_prep(&d->wdb, "SELECT id FROM entry WHERE ndn = ?1",
	    err_r)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_done(&d->wdb, st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(&d->wdb, err_r, "directory lookup");
	if (id < 0)
		return 0;
	if (exec_id_locked(d, sql_idx_delete, id, "directory index",
	    err_r) == -1 || exec_id_locked(d, "DELETE FROM entry WHERE id = ?1",
	    id, "directory delete", err_r) == -1)
		return -1;
	*found_r = true;
	return 0;
}

int
directory_delete(struct directory *d, const char *dn, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1];
	bool found;
	int rc;

	if (dir_dn_normalize(dn, ndn, sizeof(ndn), err_r) == -1)
		return -1;
	pthread_mutex_lock(&d->wlock);
	rc = db_begin(&d->wdb, err_r);
	if (rc == 0 && delete_locked(d, ndn, &found, err_r) == -1) {
		db_rollback(&d->wdb);
		rc = -1;
	} else if (rc == 0 && !found) {
		db_rollback(&d->wdb);
		rc = error_set(err_r, ERR_NOTFOUND, DIR_NOT_FOUND_ERROR);
	} else if (rc == 0)
		rc = dir_commit(d, err_r);
	pthread_mutex_unlock(&d->wlock);
	return rc;
}

int
directory_delete_subtree(struct directory *d, const char *dn, size_t *n_r,
    struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1];
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	*n_r = 0;
	if (dir_dn_normalize(dn, ndn, sizeof(ndn), err_r) == -1)
		return -1;
	if (*ndn == '\0')
		return error_set(err_r, ERR_PERM, "the root cannot be deleted");
	pthread_mutex_lock(&d->wlock);
	rc = db_begin(&d->wdb, err_r);
	/* ids of the subtree: the record and every ndn ending ",<ndn>" */
	if (rc == 0 && (st = db_prep(&d->wdb, "DELETE FROM idx WHERE id IN "
	    "(SELECT id FROM entry WHERE ndn = ?1 OR "
	    "substr(ndn, -length(?2)) = ?2)", err_r)) != NULL) {
		char *suffix = xasprintf(",%s", ndn);

		sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, suffix, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_error(&d->wdb, err_r, "directory index");
		db_done(&d->wdb, st);
		if (rc == 0 && (st = db_prep(&d->wdb, "DELETE FROM entry "
		    "WHERE ndn = ?1 OR substr(ndn, -length(?2)) = ?2",
		    err_r)) != NULL) {
			sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, suffix, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = db_error(&d->wdb, err_r,
				    "directory delete");
			else
				n = (size_t)sqlite3_changes(d->wdb.h);
			db_done(&d->wdb, st);
		} else if (rc == 0)
			rc = -1;
		free(suffix);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0)
		rc = dir_commit(d, err_r);
	else
		db_rollback(&d->wdb);
	pthread_mutex_unlock(&d->wlock);
	if (rc == 0)
		*n_r = n;
	return rc;
}

/* Reads the row of st (dn, uuid, mtime, attrs, id). */
static struct dir_entry *
row_entry(sqlite3_stmt *st)
{
	struct dir_entry *e;
	const char *uuid;

	e = dir_entry_new((const char *)sqlite3_column_text(st, 0));
	uuid = (const char *)sqlite3_column_text(st, 1);
	(void)snprintf(e->uuid, sizeof(e->uuid), "%s", uuid != NULL ? uuid :
	    "");
	e->mtime = sqlite3_column_int64(st, 2);
	decode_attrs(e, sqlite3_column_blob(st, 3),
	    (size_t)sqlite3_column_bytes(st, 3));
	e->id = sqlite3_column_int64(st, 4);
	return e;
}

int
directory_rename(struct directory *d, const char *dn, const char *newdn,
    struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1], nndn[DIR_DN_MAX + 1];
	struct dir_entry *e = NULL;
	sqlite3_stmt *st;
	bool found;
	int rc, src;

	if (dir_dn_normalize(dn, ndn, sizeof(ndn), err_r) == -1 ||
	    dir_dn_normalize(newdn, nndn, sizeof(nndn), err_r) == -1)
		return -1;
	pthread_mutex_lock(&d->wlock);
	rc = db_begin(&d->wdb, err_r);
	if (rc == 0 && (st = db_prep(&d->wdb, "SELECT dn, uuid, mtime, attrs, "
	    "id, (SELECT count(*) FROM entry WHERE parent = ?1) FROM entry "
	    "WHERE ndn = ?1", err_r)) != NULL) {
		sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
		if ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (sqlite3_column_int64(st, 5) > 0)
				rc = error_set(err_r, ERR_PERM, "the record "
				    "has records below it");
			else
				e = row_entry(st);
		} else if (src == SQLITE_DONE)
			rc = error_set(err_r, ERR_NOTFOUND,
			    DIR_NOT_FOUND_ERROR);
		else
			rc = db_error(&d->wdb, err_r, "directory lookup");
		db_done(&d->wdb, st);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0 && strcmp(ndn, nndn) != 0 && (st = db_prep(&d->wdb,
	    "SELECT 1 FROM entry WHERE ndn = ?1", err_r)) != NULL) {
		sqlite3_bind_text(st, 1, nndn, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = error_set(err_r, ERR_EXISTS, "directory record "
			    "already exists");
		db_done(&d->wdb, st);
	}
	if (rc == 0) {
		free(e->dn);
		e->dn = xstrdup(newdn);
		rc = delete_locked(d, ndn, &found, err_r);
		if (rc == 0)
			rc = put_locked(d, e, false, NULL, err_r);
	}
	if (rc == 0)
		rc = dir_commit(d, err_r);
	else
		db_rollback(&d->wdb);
	pthread_mutex_unlock(&d->wlock);
	dir_entry_free(&e);
	return rc;
}

/* Where the k-th RDN separator (',' or ';', not escaped) of dn is, or NULL
 * when it has fewer. */
static const char *
nth_separator(const char *dn, size_t k)
{
	const char *p;

	for (p = dn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if ((*p == ',' || *p == ';') && --k == 0)
			return p;
	}
	return NULL;
}

/* The RDNs of a normal DN. */
static size_t
rdn_count(const char *ndn)
{
	size_t n = 1;
	const char *p;

	if (*ndn == '\0')
		return 0;
	for (p = ndn; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			n++;
	}
	return n;
}

struct moved {
	int64_t	 id;
	char	*ndn, *dn;
};

int
directory_move_subtree(struct directory *d, const char *dn,
    const char *newdn, size_t *n_r, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1], nndn[DIR_DN_MAX + 1];
	struct moved *mv = NULL;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0, i, keep, olen;
	const char *sep, *parent;
	char *suffix = NULL, *nd = NULL, *nw = NULL;
	int rc, src;

	*n_r = 0;
	if (dir_dn_normalize(dn, ndn, sizeof(ndn), err_r) == -1 ||
	    dir_dn_normalize(newdn, nndn, sizeof(nndn), err_r) == -1)
		return -1;
	if (*ndn == '\0' || *nndn == '\0')
		return error_set(err_r, ERR_PERM, "the root cannot be moved");
	olen = strlen(ndn);
	if (strcmp(ndn, nndn) == 0)
		return 0;
	suffix = xasprintf(",%s", ndn);
	if (strlen(nndn) > olen && strcmp(nndn + strlen(nndn) - olen - 1,
	    suffix) == 0) {
		free(suffix);
		return error_set(err_r, ERR_PERM, "a record cannot move "
		    "below itself");
	}
	pthread_mutex_lock(&d->wlock);
	rc = db_begin(&d->wdb, err_r);
	parent = dir_dn_parent(nndn);
	if (rc == 0 && (st = db_prep(&d->wdb, "SELECT (SELECT count(*) FROM "
	    "entry WHERE ndn = ?1), (SELECT count(*) FROM entry WHERE "
	    "ndn = ?2)", err_r)) != NULL) {
		sqlite3_bind_text(st, 1, nndn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, parent, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			rc = db_error(&d->wdb, err_r, "directory lookup");
		else if (sqlite3_column_int64(st, 0) > 0)
			rc = error_set(err_r, ERR_EXISTS, "directory record "
			    "already exists");
		else if (*parent != '\0' && sqlite3_column_int64(st, 1) == 0)
			rc = error_set(err_r, ERR_NOTFOUND, "the new parent "
			    "does not exist");
		db_done(&d->wdb, st);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0 && (st = db_prep(&d->wdb, "SELECT id, ndn, dn FROM entry "
	    "WHERE ndn = ?1 OR substr(ndn, -length(?2)) = ?2", err_r)) !=
	    NULL) {
		sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, suffix, -1, SQLITE_STATIC);
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				mv = xrealloc(mv, size_mul(cap, sizeof(*mv)));
			}
			mv[n].id = sqlite3_column_int64(st, 0);
			mv[n].ndn = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
			mv[n].dn = xstrdup((const char *)
			    sqlite3_column_text(st, 2));
			n++;
		}
		if (src != SQLITE_DONE)
			rc = db_error(&d->wdb, err_r, "directory read");
		db_done(&d->wdb, st);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0 && n == 0)
		rc = error_set(err_r, ERR_NOTFOUND, DIR_NOT_FOUND_ERROR);
	for (i = 0; rc == 0 && i < n; i++) {
		/* the RDNs below the moved record keep their written form */
		keep = rdn_count(mv[i].ndn) - rdn_count(ndn);
		nd = xasprintf("%.*s%s", (int)(strlen(mv[i].ndn) - olen),
		    mv[i].ndn, nndn);
		if (keep == 0)
			nw = xstrdup(newdn);
		else if ((sep = nth_separator(mv[i].dn, keep)) != NULL)
			nw = xasprintf("%.*s,%s", (int)(sep - mv[i].dn),
			    mv[i].dn, newdn);
		else
			nw = xasprintf("%.*s%s", (int)(strlen(mv[i].ndn) -
			    olen), mv[i].ndn, newdn);
		if (strlen(nd) > DIR_DN_MAX || strlen(nw) > DIR_DN_MAX)
			rc = error_set(err_r, ERR_LIMIT, "DN longer than %u "
			    "bytes", (unsigned)DIR_DN_MAX);
		else if ((st = db_prep(&d->wdb, "UPDATE entry SET ndn = ?2, "
		    "parent = ?3, dn = ?4, mtime = ?5 WHERE id = ?1",
		    err_r)) == NULL)
			rc = -1;
		else {
			sqlite3_bind_int64(st, 1, mv[i].id);
			sqlite3_bind_text(st, 2, nd, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, dir_dn_parent(nd), -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(st, 4, nw, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = db_error(&d->wdb, err_r,
				    "directory write");
			db_done(&d->wdb, st);
		}
		free(nd);
		free(nw);
	}
	if (rc == 0)
		rc = dir_commit(d, err_r);
	else
		db_rollback(&d->wdb);
	pthread_mutex_unlock(&d->wlock);
	for (i = 0; i < n; i++) {
		free(mv[i].ndn);
		free(mv[i].dn);
	}
	free(mv);
	free(suffix);
	if (rc == 0)
		*n_r = n;
	return rc;
}

/* ---- reading ----------------------------------------------------------------- */

/* The entry with normalized DN ndn or, when ndn is NULL, with row id id
 * (d->rlock held); NULL with ERR_NOTFOUND or a database error. */
static struct dir_entry *
get_locked(struct directory *d, const char *ndn, int64_t id,
    struct error *err_r)
{
	struct dir_entry *e = NULL;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(&d->rdb, ndn != NULL ?
	    "SELECT dn, uuid, mtime, attrs, id FROM entry WHERE ndn = ?1" :
	    "SELECT dn, uuid, mtime, attrs, id FROM entry WHERE id = ?1",
	    err_r)) == NULL)
		return NULL;
	if (ndn != NULL)
		sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = row_entry(st);
	else if (rc == SQLITE_DONE)
		error_set(err_r, ERR_NOTFOUND, DIR_NOT_FOUND_ERROR);
	else
		db_error(&d->rdb, err_r, "directory read");
	db_done(&d->rdb, st);
	return e;
}

struct dir_entry *
directory_get(struct directory *d, const char *dn, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1];
	struct dir_entry *e;

	if (dir_dn_normalize(dn, ndn, sizeof(ndn), err_r) == -1 ||
	    reader_lock(d, err_r) == -1)
		return NULL;
	e = get_locked(d, ndn, 0, err_r);
	pthread_mutex_unlock(&d->rlock);
	return e;
}

struct dir_entry *
directory_get_id(struct directory *d, int64_t id, struct error *err_r)
{
	struct dir_entry *e;

	if (reader_lock(d, err_r) == -1)
		return NULL;
	e = get_locked(d, NULL, id, err_r);
	pthread_mutex_unlock(&d->rlock);
	return e;
}

bool
directory_exists(struct directory *d, const char *dn)
{
	struct dir_entry *e = directory_get(d, dn, NULL);
	bool ok = e != NULL;

	dir_entry_free(&e);
	return ok;
}

size_t
directory_count(struct directory *d)
{
	sqlite3_stmt *st;
	size_t n = 0;

	if (reader_lock(d, NULL) == -1)
		return 0;
	if ((st = db_prep(&d->rdb, "SELECT count(*) FROM entry", NULL)) !=
	    NULL) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (size_t)sqlite3_column_int64(st, 0);
		db_done(&d->rdb, st);
	}
	pthread_mutex_unlock(&d->rlock);
	return n;
}

int
directory_backup(struct directory *d, const char *path, struct error *err_r)
{
	int rc;

	pthread_mutex_lock(&d->rlock);
	reader_end(d);			/* the backup reads the newest state */
	rc = dbcopy_backup(d->rdb.h, path, err_r);
	pthread_mutex_unlock(&d->rlock);
	return rc;
}

/* ---- search ------------------------------------------------------------------- */

struct idset {
	int64_t	*v;
	size_t	 n, cap;
};

static void
idset_add(struct idset *s, int64_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 256 : s->cap * 2;
		s->v = xrealloc(s->v, size_mul(s->cap, sizeof(*s->v)));
	}
	s->v[s->n++] = id;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether f alone can name its candidates from idx. */
static bool
plannable(const struct dir_filter *f)
{
	size_t i;

	switch (f->kind) {
	case DF_EQ:
	case DF_APPROX:
		return index_name(f->attr) != NULL;
	case DF_SUBSTR:
		return index_name(f->attr) != NULL && f->initial != NULL &&
		    *f->initial != '\0';
	case DF_PRESENT:
		/* every record has an objectClass: walking is cheaper */
		return index_name(f->attr) != NULL &&
		    strcasecmp(f->attr, "objectClass") != 0;
	case DF_AND:
		for (i = 0; i < f->nkids; i++)
			if (plannable(f->kids[i]))
				return true;
		return false;
	case DF_OR:
		for (i = 0; i < f->nkids; i++)
			if (!plannable(f->kids[i]))
				return false;
		return f->nkids > 0;
	default:
		return false;
	}
}

/* Adds the ids of f's candidates (f plannable) after after_id. */
static int
plan_ids(struct directory *d, const struct dir_filter *f, int64_t after_id,
    struct idset *ids, struct error *err_r)
{
	sqlite3_stmt *st;
	char *lo = NULL, *hi = NULL;
	size_t i, n;
	int rc;

	switch (f->kind) {
	case DF_AND:
		for (i = 0; i < f->nkids; i++)
			if (plannable(f->kids[i]))
				return plan_ids(d, f->kids[i], after_id, ids,
				    err_r);
		return 0;
	case DF_OR:
		for (i = 0; i < f->nkids; i++)
			if (plan_ids(d, f->kids[i], after_id, ids, err_r) == -1)
				return -1;
		return 0;
	case DF_PRESENT:
		st = db_prep(&d->rdb, "SELECT id FROM idx WHERE attr = ?1 AND "
		    "id > ?2", err_r);
		break;
	case DF_SUBSTR:
		lo = index_value(f->initial);
		hi = xstrdup(lo);
		n = strlen(hi);
		/* the first string after every one starting with lo */
		while (n > 0 && (unsigned char)hi[n - 1] == 0xff)
			hi[--n] = '\0';
		if (n > 0)
			hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);
		st = db_prep(&d->rdb, n > 0 ? "SELECT id FROM idx WHERE "
		    "attr = ?1 AND val >= ?3 AND val < ?4 AND id > ?2" :
		    "SELECT id FROM idx WHERE attr = ?1 AND val >= ?3 AND "
		    "id > ?2", err_r);
		if (st != NULL) {
			sqlite3_bind_text(st, 3, lo, -1, SQLITE_STATIC);
			if (n > 0)
				sqlite3_bind_text(st, 4, hi, -1, SQLITE_STATIC);
		}
		break;
	default:			/* EQ, APPROX */
		lo = index_value(f->value);
		st = db_prep(&d->rdb, "SELECT id FROM idx WHERE attr = ?1 AND "
		    "val = ?3 AND id > ?2", err_r);
		if (st != NULL)
			sqlite3_bind_text(st, 3, lo, -1, SQLITE_STATIC);
		break;
	}
	if (st == NULL) {
		free(lo);
		free(hi);
		return -1;
	}
	sqlite3_bind_text(st, 1, index_name(f->attr), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		idset_add(ids, sqlite3_column_int64(st, 0));
	db_done(&d->rdb, st);
	free(lo);
	free(hi);
	if (rc != SQLITE_DONE)
		return db_error(&d->rdb, err_r, "directory index read");
	return 0;
}

static void
results_push(struct dir_results *r, struct dir_entry *e, size_t max)
{
	if (r->e == NULL)
		r->e = xcalloc(max, sizeof(*r->e));
	r->e[r->n++] = e;
}

/* Checks a candidate: true when it was taken or skipped; false when the
 * batch is full and it matched (then r->more). */
static bool
consider(const struct dir_search *s, struct dir_entry *e, const char *ndn,
    struct dir_results *r)
{
	r->examined++;
	if (!dir_dn_in_scope(ndn, s->base, s->scope) ||
	    (s->filter != NULL && dir_filter_match(s->filter, e) != DIR_TRUE)) {
		dir_entry_free(&e);
		return true;
	}
	if (r->n >= s->max) {
		r->more = true;
		dir_entry_free(&e);
		return false;
	}
	results_push(r, e, s->max);
	return true;
}

static int
search_ids(struct directory *d, const struct dir_search *s,
    struct idset *ids, struct dir_results *r, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1];
	struct dir_entry *e;
	sqlite3_stmt *st;
	size_t i, j;
	int rc;

	if (ids->n > 1)
		qsort(ids->v, ids->n, sizeof(*ids->v), cmp_id);
	for (i = 0, j = 0; i < ids->n; i++)		/* unique */
		if (j == 0 || ids->v[j - 1] != ids->v[i])
			ids->v[j++] = ids->v[i];
	ids->n = j;
	for (i = 0; i < ids->n; i++) {
		if ((st = db_prep(&d->rdb, "SELECT dn, uuid, mtime, attrs, id, "
		    "ndn FROM entry WHERE id = ?1", err_r)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, ids->v[i]);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW) {
			db_done(&d->rdb, st);
			if (rc == SQLITE_DONE)
				continue;
			return db_error(&d->rdb, err_r, "directory read");
		}
		e = row_entry(st);
		(void)snprintf(ndn, sizeof(ndn), "%s",
		    (const char *)sqlite3_column_text(st, 5));
		db_done(&d->rdb, st);
		if (!consider(s, e, ndn, r))
			break;
	}
	return 0;
}

static int
search_walk(struct directory *d, const struct dir_search *s,
    struct dir_results *r, struct error *err_r)
{
	char ndn[DIR_DN_MAX + 1];
	struct dir_entry *e;
	sqlite3_stmt *st;
	int rc;

	if (s->scope == DIR_SCOPE_BASE)
		st = db_prep(&d->rdb, "SELECT dn, uuid, mtime, attrs, id, ndn "
		    "FROM entry WHERE ndn = ?1 AND id > ?2", err_r);
	else if (s->scope == DIR_SCOPE_ONE)
		st = db_prep(&d->rdb, "SELECT dn, uuid, mtime, attrs, id, ndn "
		    "FROM entry WHERE parent = ?1 AND id > ?2 ORDER BY id",
		    err_r);
	else
		st = db_prep(&d->rdb, "SELECT dn, uuid, mtime, attrs, id, ndn "
		    "FROM entry WHERE id > ?2 ORDER BY id", err_r);
	if (st == NULL)
		return -1;
	if (s->scope != DIR_SCOPE_SUB)
		sqlite3_bind_text(st, 1, s->base, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->after_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e = row_entry(st);
		(void)snprintf(ndn, sizeof(ndn), "%s",
		    (const char *)sqlite3_column_text(st, 5));
		if (!consider(s, e, ndn, r)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(&d->rdb, st);
	if (rc != SQLITE_DONE)
		return db_error(&d->rdb, err_r, "directory read");
	return 0;
}

/* 0 when the record ndn exists, else -1 with ERR_NOTFOUND (rlock held). */
static int
base_exists_locked(struct directory *d, const char *ndn, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(&d->rdb, "SELECT 1 FROM entry WHERE ndn = ?1",
	    err_r)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ndn, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(&d->rdb, st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return error_set(err_r, ERR_NOTFOUND, DIR_NOT_FOUND_ERROR);
	return db_error(&d->rdb, err_r, "directory read");
}

int
directory_search(struct directory *d, const struct dir_search *s,
    struct dir_results *r, struct error *err_r)
{
	struct idset ids = { NULL, 0, 0 };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (s->max == 0)
		return error_set(err_r, ERR_INTERNAL, "search batch of 0");
	if (reader_lock(d, err_r) == -1)
		return -1;
	if (*s->base != '\0')
		rc = base_exists_locked(d, s->base, err_r);
	if (rc == 0 && s->scope != DIR_SCOPE_BASE && s->filter != NULL &&
	    plannable(s->filter)) {
		rc = plan_ids(d, s->filter, s->after_id, &ids, err_r);
		if (rc == 0)
			rc = search_ids(d, s, &ids, r, err_r);
	} else if (rc == 0)
		rc = search_walk(d, s, r, err_r);
	if (rc == -1)
		reader_end(d);
	pthread_mutex_unlock(&d->rlock);
	free(ids.v);
	if (rc == -1)
		dir_results_clear(r);
	return rc;
}

void
dir_results_clear(struct dir_results *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		dir_entry_free(&r->e[i]);
	free(r->e);
	memset(r, 0, sizeof(*r));
}
