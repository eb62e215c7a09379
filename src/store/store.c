/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c: opening an account store (schema, pragmas, INBOX, crash
 * clean-up of body files), the SQLite helpers the other store files use,
 * the per-account change notifier (generation counter, condition
 * variable and the eventfds of the sessions watching the account, shared
 * by every handle of the process on the same directory)
 * and the process-wide handle cache (hash + LRU of idle handles).
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "store/store_private.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mailboxes(id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE, uidvalidity INTEGER NOT NULL,"
	" uidnext INTEGER NOT NULL DEFAULT 1,"
	" highestmodseq INTEGER NOT NULL DEFAULT 1,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" recent_uid INTEGER NOT NULL DEFAULT 1,"
	" noselect INTEGER NOT NULL DEFAULT 0, special_use TEXT);"
	"CREATE TABLE IF NOT EXISTS subscriptions(name TEXT PRIMARY KEY);"
	/* AUTOINCREMENT: a body id (and so a file name b<id>) is never
	 * reused, so unlinking a freed body's file after the commit cannot
	 * hit a file another handle has written since. */
	"CREATE TABLE IF NOT EXISTS bodies(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" data BLOB, file TEXT);"
	"CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY,"
	" mailbox INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" keywords TEXT NOT NULL DEFAULT '', internaldate INTEGER NOT NULL,"
	" size INTEGER NOT NULL, hdr_size INTEGER NOT NULL,"
	" body INTEGER NOT NULL, envelope TEXT NOT NULL,"
	" bodystructure TEXT NOT NULL, bodyplain TEXT NOT NULL,"
	" UNIQUE(mailbox, uid));"
	"CREATE INDEX IF NOT EXISTS messages_modseq ON messages(mailbox, modseq);"
	"CREATE INDEX IF NOT EXISTS messages_body ON messages(body);"
	"CREATE TABLE IF NOT EXISTS expunged(mailbox INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, modseq INTEGER NOT NULL,"
	" PRIMARY KEY(mailbox, uid));"
	"CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox, modseq);"
	"CREATE TABLE IF NOT EXISTS delivered(queue_id TEXT PRIMARY KEY,"
	" mailbox INTEGER NOT NULL, uid INTEGER NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS delivered_at ON delivered(at);"
	"CREATE TABLE IF NOT EXISTS keywords(mailbox INTEGER NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY(mailbox, name));"
	"PRAGMA user_version = 2;";	/* 2: hdrcache (store_hdrcache.c) */

/* ---- SQLite helpers: the store's names for lib/db ---- */

int
store_dberr(struct store *s, struct error *err_r, const char *what)
{
	return db_error(&s->db, err_r, what);
}

sqlite3_stmt *
store_prep(struct store *s, const char *sql, struct error *err_r)
{
	return db_prep_once(&s->db, sql, err_r);
}

sqlite3_stmt *
store_prepc(struct store *s, const char *sql, struct error *err_r)
{
	return db_prep(&s->db, sql, err_r);
}

void
store_done(struct store *s, sqlite3_stmt *st)
{
	db_done(&s->db, st);
}

int
store_execc(struct store *s, const char *sql, struct error *err_r)
{
	return db_exec(&s->db, sql, err_r);
}

int
store_exec(struct store *s, const char *sql, struct error *err_r)
{
	return db_exec_script(&s->db, sql, err_r);
}

/* Back to synchronous=FULL after a light transaction; s->light stays set
 * (and store_begin() tries again) if that fails. */
static int
end_light(struct store *s, struct error *err_r)
{
	if (!s->light)
		return 0;
	if (store_exec(s, "PRAGMA synchronous=FULL", err_r) < 0)
		return -1;
	s->light = false;
	return 0;
}

int
store_begin(struct store *s, struct error *err_r)
{
	if (end_light(s, err_r) < 0)
		return -1;
	return db_begin(&s->db, err_r);
}

int
store_begin_light(struct store *s, struct error *err_r)
{
	/* not store_execc(): SQLite applies this pragma when it is
	 * prepared, so a kept statement would do nothing the second time */
	if (store_exec(s, "PRAGMA synchronous=NORMAL", err_r) < 0)
		return -1;
	s->light = true;
	if (db_begin(&s->db, err_r) < 0) {
		(void)end_light(s, NULL);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s, struct error *err_r)
{
	int rc = db_commit(&s->db, err_r);	/* rolls back on failure */

	(void)end_light(s, NULL);
	return rc;
}

void
store_rollback(struct store *s)
{
	db_rollback(&s->db);
	(void)end_light(s, NULL);
}

/* ---- change notifier ---- */

/* One waiting session's eventfd, in its account's list (store_watch_new). */
struct store_watch {
	struct store_notify *notify;
	int		 efd;		/* -1 while suspended */
	uint64_t	 pending;	/* changes while suspended */
	store_watch_hook_fn *hook;	/* while suspended */
	void		*hook_arg;
	struct store_watch *next;
};

struct store_notify {
	char		*dir;
	uint64_t	 gen;
	unsigned	 refs;
	pthread_cond_t	 cond;
	struct store_watch *watches;	/* sessions to wake on a change */
	struct store_notify *next;
};

static pthread_mutex_t notify_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_notify *notify_list;
/* Each notifier starts its generations at a new epoch (high 32 bits): a
 * session that held no handle while its account's notifier was freed and
 * made again (hibernation) never takes the new one's numbers for its old
 * ones and so never misses a change. */
static uint64_t notify_epoch;

static struct store_notify *
notify_attach(const char *dir)
{
	struct store_notify *n;
	pthread_condattr_t ca;

	pthread_mutex_lock(&notify_mu);
	for (n = notify_list; n != NULL; n = n->next)
		if (strcmp(n->dir, dir) == 0)
			break;
	if (n == NULL) {
		n = xcalloc(1, sizeof(*n));
		n->dir = xstrdup(dir);
		n->gen = (++notify_epoch << 32) + 1;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&n->cond, &ca);
		pthread_condattr_destroy(&ca);
		n->next = notify_list;
		notify_list = n;
	}
	n->refs++;
	pthread_mutex_unlock(&notify_mu);
	return n;
}

static void
notify_detach(struct store_notify *n)
{
	struct store_notify **pp;

	pthread_mutex_lock(&notify_mu);
	if (--n->refs == 0) {
		for (pp = &notify_list; *pp != n; pp = &(*pp)->next)
			;
		*pp = n->next;
		pthread_cond_destroy(&n->cond);
		free(n->dir);
		free(n);
	}
	pthread_mutex_unlock(&notify_mu);
}

void
store_changed(struct store *s)
{
	static const uint64_t one = 1;
	struct store_watch *w;

	pthread_mutex_lock(&notify_mu);
	s->notify->gen++;
	pthread_cond_broadcast(&s->notify->cond);
	/* Only the sessions of this account.  The eventfd is non-blocking:
	 * a write fails only when the counter would overflow, and then the
	 * session is woken anyway. */
	for (w = s->notify->watches; w != NULL; w = w->next) {
		if (w->efd >= 0) {
			(void)!write(w->efd, &one, sizeof(one));
			continue;
		}
		w->pending++;
		if (w->hook != NULL)
			w->hook(w->hook_arg);
	}
	pthread_mutex_unlock(&notify_mu);
}

uint64_t
store_watch_suspend(struct store_watch *w, store_watch_hook_fn *fn,
    void *arg)
{
	uint64_t n = 0, v;

	pthread_mutex_lock(&notify_mu);
	if (w->efd >= 0) {
		if (read(w->efd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			n = v;
		(void)close(w->efd);
		w->efd = -1;
	}
	w->pending += n;
	n = w->pending;
	w->hook = fn;
	w->hook_arg = arg;
	pthread_mutex_unlock(&notify_mu);
	return n;
}

int
store_watch_resume(struct store_watch *w, struct error *err_r)
{
	int efd, e;

	pthread_mutex_lock(&notify_mu);
	w->hook = NULL;
	w->hook_arg = NULL;
	if (w->efd >= 0) {
		pthread_mutex_unlock(&notify_mu);
		return 0;
	}
	efd = eventfd(w->pending > UINT32_MAX ? UINT32_MAX :
	    (unsigned)w->pending, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		e = errno;
		pthread_mutex_unlock(&notify_mu);
		return error_set(err_r, e == EMFILE || e == ENFILE ?
		    ERR_LIMIT : ERR_TEMP, "eventfd: %s", strerror(e));
	}
	w->efd = efd;
	w->pending = 0;
	pthread_mutex_unlock(&notify_mu);
	return 0;
}

/* Links a watch into its account's list; it holds its own reference on
 * the notifier, so it outlives the handle (a hibernating session lets its
 * handle go: store_watch_new_suspended()). */
static struct store_watch *
watch_add(struct store *s, int efd, store_watch_hook_fn *fn, void *arg)
{
	struct store_watch *w = xcalloc(1, sizeof(*w));

	w->efd = efd;
	w->hook = fn;
	w->hook_arg = arg;
	pthread_mutex_lock(&notify_mu);
	s->notify->refs++;
	w->notify = s->notify;
	w->next = s->notify->watches;
	s->notify->watches = w;
	pthread_mutex_unlock(&notify_mu);
	return w;
}

struct store_watch *
store_watch_new(struct store *s, struct error *err_r)
{
	int efd;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		error_set(err_r, errno == EMFILE || errno == ENFILE ? ERR_LIMIT :
		    ERR_TEMP, "eventfd: %s", strerror(errno));
		return NULL;
	}
	return watch_add(s, efd, NULL, NULL);
}

struct store_watch *
store_watch_new_suspended(struct store *s, store_watch_hook_fn *fn,
    void *arg)
{
	return watch_add(s, -1, fn, arg);
}

int
store_watch_fd(const struct store_watch *w)
{
	return w->efd;
}

uint64_t
store_watch_take(struct store_watch *w)
{
	uint64_t n;
	int efd;

	pthread_mutex_lock(&notify_mu);
	efd = w->efd;
	if (efd < 0) {
		/* suspended: the changes it counted */
		n = w->pending;
		w->pending = 0;
	}
	pthread_mutex_unlock(&notify_mu);
	if (efd < 0)
		return n;
	if (read(efd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

void
store_watch_free(struct store_watch **wp)
{
	struct store_watch *w = *wp, **pp;

	if (w == NULL)
		return;
	*wp = NULL;
	pthread_mutex_lock(&notify_mu);
	for (pp = &w->notify->watches; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&notify_mu);
	notify_detach(w->notify);
	if (w->efd >= 0)
		(void)close(w->efd);
	free(w);
}

uint64_t
store_generation(struct store *s)
{
	uint64_t g;

	pthread_mutex_lock(&notify_mu);
	g = s->notify->gen;
	pthread_mutex_unlock(&notify_mu);
	return g;
}

bool
store_wait_change(struct store *s, uint64_t gen, int timeout_ms)
{
	struct timespec until;
	bool changed;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms < 0)
		timeout_ms = 0;
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&notify_mu);
	while (s->notify->gen == gen) {
		if (pthread_cond_timedwait(&s->notify->cond, &notify_mu,
		    &until) == ETIMEDOUT)
			break;
	}
	changed = s->notify->gen != gen;
	pthread_mutex_unlock(&notify_mu);
	return changed;
}

/* ---- open / close ---- */

int
store_new_uidvalidity(struct store *s, uint32_t *v_r, struct error *err_r)
{
	sqlite3_stmt *st;
	int64_t last = 0, v = (int64_t)time(NULL);

	st = store_prep(s, "SELECT value FROM meta WHERE key = 'uidvalidity'",
	    err_r);
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		last = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (v <= last)
		v = last + 1;
	if (v > (int64_t)UINT32_MAX)
		return error_set(err_r, ERR_LIMIT, "UIDVALIDITY exhausted");
	st = store_prep(s, "INSERT OR REPLACE INTO meta(key, value) "
	    "VALUES('uidvalidity', ?)", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, v);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_dberr(s, err_r, "uidvalidity");
	}
	sqlite3_finalize(st);
	*v_r = (uint32_t)v;
	return 0;
}

static int
ensure_inbox(struct store *s, struct error *err_r)
{
	struct mbox_row r;
	sqlite3_stmt *st;
	uint32_t uv;

	if (store_mbox_by_name(s, "INBOX", &r, NULL) == 0)
		return 0;
	if (store_new_uidvalidity(s, &uv, err_r) < 0)
		return -1;
	st = store_prep(s, "INSERT INTO mailboxes(name, uidvalidity) "
	    "VALUES('INBOX', ?)", err_r);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, uv);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_dberr(s, err_r, "create INBOX");
	}
	sqlite3_finalize(st);
	return 0;
}

/* Removes body files that no row names (a crash between writing the file
 * and the commit), once they are old enough not to belong to a
 * transaction of another handle that is still running. */
static void
remove_orphans(struct store *s)
{
	DIR *d = opendir(s->bodies_dir);
	struct dirent *de;
	sqlite3_stmt *st;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	st = store_prep(s, "SELECT 1 FROM bodies WHERE file = ?", NULL);
	while (st != NULL && (de = readdir(d)) != NULL) {
		struct stat sb;
		char *path;
		bool used;

		if (de->d_name[0] != 'b')
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_TRANSIENT);
		used = sqlite3_step(st) == SQLITE_ROW;
		if (used)
			continue;
		path = xasprintf("%s/%s", s->bodies_dir, de->d_name);
		if (stat(path, &sb) == 0 && now - sb.st_mtime > STORE_ORPHAN_AGE)
			(void)fileio_remove(path, NULL);
		free(path);
	}
	sqlite3_finalize(st);
	closedir(d);
}

static int
init_db(struct store *s, struct error *err_r)
{
	if (store_begin(s, err_r) < 0)
		return -1;
	if (store_exec(s, schema_sql, err_r) < 0 ||
	    store_hdrcache_init(s, err_r) < 0 || ensure_inbox(s, err_r) < 0 ||
	    store_commit(s, err_r) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* True when the process cannot open one more descriptor now. */
static bool
out_of_fds(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd >= 0) {
		(void)close(fd);
		return false;
	}
	return errno == EMFILE || errno == ENFILE;
}

struct store *
store_open(const char *account_dir, struct error *err_r)
{
	struct store *s;
	struct stat st;
	struct error err;
	char *path;
	int rc, tries;

	if ((mkdir(account_dir, 0700) < 0 && errno != EEXIST)) {
		error_set(err_r, ERR_IO, "mkdir %s: %s", account_dir,
		    strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->rd_mu, NULL);
	s->dir = xstrdup(account_dir);
	s->bodies_dir = xasprintf("%s/bodies", account_dir);
	if (mkdir(s->bodies_dir, 0700) < 0 && errno != EEXIST) {
		error_set(err_r, ERR_IO, "mkdir %s: %s", s->bodies_dir,
		    strerror(errno));
		goto fail;
	}
	path = xasprintf("%s/mail.db", account_dir);
	/* the project's pragmas (WAL, synchronous=FULL); db_open() retries
	 * a busy journal_mode switch */
	rc = db_open(&s->db, path, DB_CREATE | DB_SHARED | DB_WAL,
	    STORE_BUSY_TIMEOUT_MS, err_r);
	if (rc == 0 && stat(path, &st) == 0) {
		s->db_dev = st.st_dev;
		s->db_ino = st.st_ino;
	}
	free(path);
	if (rc < 0)
		goto fail;
	/*
	 * Connections setting up a new database at the same moment can get
	 * SQLITE_BUSY at once, without the busy handler: try again for a
	 * while.
	 */
	for (tries = 0; init_db(s, &err) < 0; tries++) {
		/* The WAL and shared memory open at the first statement;
		 * the error code may be gone after the rollback, so ask the
		 * process too. */
		if (err.kind != ERR_TEMP && (db_out_of_fds(&s->db) ||
		    out_of_fds()))
			err.kind = ERR_LIMIT;
		if (err.kind != ERR_TEMP || tries >= 200) {
			if (err_r != NULL)
				*err_r = err;
			goto fail;
		}
		usleep(10000);
	}
	s->notify = notify_attach(account_dir);
	remove_orphans(s);
	return s;
fail:
	store_close(&s);
	return NULL;
}

/* ---- read-only connections ---- */

static struct store *
reader_open(struct store *s)
{
	struct store *r = xcalloc(1, sizeof(*r));
	char *path = xasprintf("%s/mail.db", s->dir);
	struct stat st;
	int rc;

	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->rd_mu, NULL);
	r->dir = xstrdup(s->dir);
	r->bodies_dir = xstrdup(s->bodies_dir);
	/* serialised by r->mu: no SQLite mutex needed */
	rc = db_open(&r->db, path, DB_QUERY_ONLY, STORE_BUSY_TIMEOUT_MS,
	    NULL);
	/* the same file as the main connection (not one that replaced it) */
	if (rc < 0 || stat(path, &st) != 0 ||
	    st.st_dev != s->db_dev || st.st_ino != s->db_ino) {
		free(path);
		store_close(&r);
		return NULL;
	}
	free(path);
	return r;
}

struct store *
store_rd_lock(struct store *s)
{
	struct store *r;
	size_t i, n;

	if (pthread_mutex_trylock(&s->mu) == 0)
		return s;
	n = atomic_load_explicit(&s->nreaders, memory_order_acquire);
	for (i = 0; i < n; i++)
		if (pthread_mutex_trylock(&s->readers[i]->mu) == 0)
			return s->readers[i];
	if (n < STORE_READERS_MAX && pthread_mutex_trylock(&s->rd_mu) == 0) {
		n = atomic_load_explicit(&s->nreaders, memory_order_acquire);
		if (n < STORE_READERS_MAX && (r = reader_open(s)) != NULL) {
			pthread_mutex_lock(&r->mu);
			s->readers[n] = r;
			atomic_store_explicit(&s->nreaders, n + 1,
			    memory_order_release);
			pthread_mutex_unlock(&s->rd_mu);
			return r;
		}
		pthread_mutex_unlock(&s->rd_mu);
	}
	if (n == 0) {
		pthread_mutex_lock(&s->mu);
		return s;
	}
	r = s->readers[atomic_fetch_add(&s->rd_next, 1) % n];
	pthread_mutex_lock(&r->mu);
	return r;
}

void
store_rd_unlock(struct store *r)
{
	pthread_mutex_unlock(&r->mu);
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;
	size_t n;

	if (s == NULL)
		return;
	n = atomic_load(&s->nreaders);
	while (n > 0)
		store_close(&s->readers[--n]);
	atomic_store(&s->nreaders, 0);
	(void)db_close(&s->db);
	if (s->notify != NULL)
		notify_detach(s->notify);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->rd_mu);
	free(s->dir);
	free(s->bodies_dir);
	free(s);
	*sp = NULL;
}

int
store_account_size(struct store *s, uint64_t *size_r, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc = -1;

	s = store_rd_lock(s);	/* reads only: a reader if busy */
	st = store_prep(s, "SELECT COALESCE(SUM(size), 0) FROM mailboxes",
	    err_r);
	if (st != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			*size_r = (uint64_t)sqlite3_column_int64(st, 0);
			rc = 0;
		} else
			store_dberr(s, err_r, "account size");
		sqlite3_finalize(st);
	}
	store_rd_unlock(s);
	return rc;
}

/* ---- handle cache ---- */

#define CACHE_BUCKETS	4096

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store *cache_hash[CACHE_BUCKETS];
static struct store *lru_head, *lru_tail;	/* idle handles, MRU first */
static size_t lru_count;

static size_t
cache_bucket(const char *dir)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *dir != '\0'; dir++)
		h = (h ^ (unsigned char)*dir) * 1099511628211ULL;
	return (size_t)(h % CACHE_BUCKETS);
}

static void
lru_unlink(struct store *s)
{
	if (s->lru_prev != NULL)
		s->lru_prev->lru_next = s->lru_next;
	else
		lru_head = s->lru_next;
	if (s->lru_next != NULL)
		s->lru_next->lru_prev = s->lru_prev;
	else
		lru_tail = s->lru_prev;
	s->lru_prev = s->lru_next = NULL;
	lru_count--;
}

static void
hash_unlink(struct store *s)
{
	struct store **pp = &cache_hash[cache_bucket(s->dir)];

	while (*pp != s)
		pp = &(*pp)->hash_next;
	*pp = s->hash_next;
}

/* Takes idle handles out of the cache until at most keep remain
 * (cache_mu held); returns them as a list for cache_close(). */
static struct store *
cache_take(size_t keep)
{
	struct store *list = NULL;

	while (lru_count > keep) {
		struct store *s = lru_tail;

		lru_unlink(s);
		hash_unlink(s);
		s->lru_next = list;
		list = s;
	}
	return list;
}

/* Closes handles cache_take() gave, after cache_mu was let go: closing
 * the last connection of a WAL database checkpoints it (writes and syncs
 * the database), which must not hold up every other open and release. */
static void
cache_close(struct store *list)
{
	struct store *s;

	while ((s = list) != NULL) {
		list = s->lru_next;
		store_close(&s);
	}
}

/* Closes idle handles until at most keep remain (cache_mu held; for the
 * rare callers that must have the descriptors back at once). */
static void
cache_trim(size_t keep)
{
	cache_close(cache_take(keep));
}

/* True while the handle's mail.db is still the file at its path. */
static bool
same_db(const struct store *s)
{
	struct stat st;
	char *path = xasprintf("%s/mail.db", s->dir);
	int r = stat(path, &st);

	free(path);
	return r == 0 && st.st_dev == s->db_dev && st.st_ino == s->db_ino;
}

struct store *
store_cache_get(const char *account_dir, struct error *err_r)
{
	size_t b = cache_bucket(account_dir);
	struct store *s;
	struct error err;

	pthread_mutex_lock(&cache_mu);
	for (s = cache_hash[b]; s != NULL; s = s->hash_next)
		if (strcmp(s->dir, account_dir) == 0)
			break;
	if (s != NULL && !same_db(s)) {
		/* The account was deleted, or deleted and created again, or
		 * renamed and another took its name: drop the old handle. */
		hash_unlink(s);
		if (s->refs == 0) {
			lru_unlink(s);
			store_close(&s);
		} else
			s->stale = true;
		s = NULL;
	}
	if (s == NULL && (s = store_open(account_dir, &err)) == NULL &&
	    err.kind == ERR_LIMIT && lru_count > 0) {
		/* Out of descriptors: the idle handles are the process's
		 * reserve (3 each: the database, its WAL and shared memory);
		 * give half of them back and try once more. */
		cache_trim(lru_count / 2);
		s = store_open(account_dir, &err);
	}
	if (s == NULL) {
		if (err_r != NULL)
			*err_r = err;
	} else if (!s->cached) {
		s->cached = true;
		s->refs = 1;
		s->hash_next = cache_hash[b];
		cache_hash[b] = s;
	} else if (s->refs++ == 0)
		lru_unlink(s);
	pthread_mutex_unlock(&cache_mu);
	return s;
}

struct store *
store_cache_get_wait(const char *account_dir, struct error *err_r)
{
	struct store *s;
	struct error err;
	int tries;

	for (tries = 1;; tries++) {
		if ((s = store_cache_get(account_dir, &err)) != NULL)
			return s;
		if (err.kind != ERR_LIMIT || tries >= STORE_FD_WAIT_TRIES)
			break;
		(void)poll(NULL, 0, STORE_FD_WAIT_MS);
	}
	if (err_r != NULL)
		*err_r = err;
	return NULL;
}

void
store_cache_release(struct store **sp)
{
	struct store *s = *sp, *old = NULL;

	if (s == NULL)
		return;
	*sp = NULL;
	pthread_mutex_lock(&cache_mu);
	ASSERT(s->cached && s->refs > 0);	/* refs under the lock */
	if (--s->refs == 0 && s->stale) {
		store_close(&s);
	} else if (s->refs == 0) {
		s->lru_next = lru_head;
		if (lru_head != NULL)
			lru_head->lru_prev = s;
		lru_head = s;
		if (lru_tail == NULL)
			lru_tail = s;
		lru_count++;
		old = cache_take(STORE_CACHE_IDLE_MAX);
	}
	pthread_mutex_unlock(&cache_mu);
	cache_close(old);
}

void
store_cache_flush(void)
{
	pthread_mutex_lock(&cache_mu);
	cache_trim(0);
	pthread_mutex_unlock(&cache_mu);
}
