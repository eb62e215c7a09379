/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_private.h: what the store's .c files share: the handle, the
 * per-account change notifier, and small SQLite helpers.  Every helper here
 * expects the caller to hold s->mu.
 */
#ifndef TEGAMI_STORE_STORE_PRIVATE_H
#define TEGAMI_STORE_STORE_PRIVATE_H

#include "lib/compat.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "lib/db.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include <sys/types.h>

#include "store/store.h"

struct store_notify;

#define STORE_READERS_MAX 4	/* extra read-only connections per handle */

struct store {
	pthread_mutex_t	 mu;		/* serialises calls on this handle */
	struct db	 db;		/* the connection and its kept
					   statements (store_prepc) */
	char		*dir;
	char		*bodies_dir;
	struct store_notify *notify;

	bool		 light;		/* in a store_begin_light() transaction */

	/*
	 * Read-only connections for calls that only read (store_rd_lock()),
	 * opened when the handle is busy: WAL lets them read while the main
	 * connection writes or fsyncs.  A reader is a struct store of its own
	 * (db, mu, kept statements, dirs; no notify, no readers).
	 */
	struct store	*readers[STORE_READERS_MAX];
	atomic_size_t	 nreaders;	/* set after readers[n] is filled */
	atomic_size_t	 rd_next;	/* round robin when all are busy */
	pthread_mutex_t	 rd_mu;		/* serialises opening readers */

	dev_t		 db_dev;	/* identity of mail.db when opened */
	ino_t		 db_ino;

	/* store_cache bookkeeping, guarded by the cache lock */
	bool		 cached;
	bool		 stale;		/* its folder was deleted or replaced */
	unsigned	 refs;
	struct store	*hash_next;
	struct store	*lru_prev, *lru_next;
};

/* Row of the mailboxes table. */
struct mbox_row {
	int64_t		 id;
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 highestmodseq;
	uint64_t	 size;
	uint32_t	 recent_uid;
	bool		 noselect;
};

/*
 * For calls that only read: locks and returns s itself when it is free,
 * else a free reader (opening one if fewer than STORE_READERS_MAX exist),
 * else waits for a reader.  Every committed change is visible to it.
 * Release with store_rd_unlock().
 */
struct store *store_rd_lock(struct store *s);
void	store_rd_unlock(struct store *r);

/* Fills err_r from the connection's last error; always -1. */
int	store_dberr(struct store *s, struct error *err_r, const char *what);
/* Prepares sql; NULL with err_r filled. */
sqlite3_stmt *store_prep(struct store *s, const char *sql,
	    struct error *err_r);
/* Like store_prep(), but sql must be a string literal: the statement is
 * prepared once and kept with the handle (delivery runs the same few
 * statements for every message).  Must not be used again before it is
 * given back with store_done() (reset, bindings cleared). */
sqlite3_stmt *store_prepc(struct store *s, const char *sql,
	    struct error *err_r);
void	store_done(struct store *s, sqlite3_stmt *st);
/* store_exec() of a literal through store_prepc(). */
int	store_execc(struct store *s, const char *sql, struct error *err_r);
/* Runs a statement without results. */
int	store_exec(struct store *s, const char *sql, struct error *err_r);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int	store_begin(struct store *s, struct error *err_r);
/*
 * BEGIN IMMEDIATE of a transaction that changes only flags, keywords or
 * the recent mark: it commits with synchronous=NORMAL (the WAL is not
 * fsynced; a crash may lose it, never corrupt the database) and
 * store_commit() or store_rollback() puts synchronous=FULL back.  The next
 * FULL commit of any transaction makes it durable too (the WAL is
 * fsynced as a whole).  Message data never goes through here.
 */
int	store_begin_light(struct store *s, struct error *err_r);
int	store_commit(struct store *s, struct error *err_r);
void	store_rollback(struct store *s);
/* Bumps the account generation and wakes waiters (after a commit). */
void	store_changed(struct store *s);

/* Looks up a mailbox by canonical name (0) or id; ERR_NOTFOUND. */
int	store_mbox_by_name(struct store *s, const char *name,
	    struct mbox_row *r, struct error *err_r);
int	store_mbox_by_id(struct store *s, int64_t id, struct mbox_row *r,
	    struct error *err_r);
/* Sets uidnext, highestmodseq and size of a mailbox row. */
int	store_mbox_update(struct store *s, const struct mbox_row *r,
	    struct error *err_r);
/* A new UIDVALIDITY, larger than any given before in this account. */
int	store_new_uidvalidity(struct store *s, uint32_t *v_r,
	    struct error *err_r);
/* Deletes body rows no longer referenced among ids; file names of removed
 * external bodies are added to *files (to unlink after the commit). */
int	store_bodies_gc(struct store *s, const int64_t *ids, size_t n,
	    char ***files, size_t *nfiles, struct error *err_r);
/* Unlinks and frees the file names collected by store_bodies_gc(). */
void	store_unlink_files(struct store *s, char **files, size_t n);
/* Removes every message of a mailbox (recording nothing as expunged);
 * files as for store_bodies_gc(). */
int	store_mbox_purge(struct store *s, int64_t id, char ***files,
	    size_t *nfiles, struct error *err_r);


/* ---- store_hdrcache.c ---- */

/* Creates the header cache table and its triggers (in the open
 * transaction of store_open()). */
int	store_hdrcache_init(struct store *s, struct error *err_r);
/* The registered parser's fields of a new message, outside the lock;
 * false (f zeroed) when there is no parser. */
bool	store_hdrcache_make(const char *hdr, size_t len,
	    struct store_hdrfields *f);
/* Inserts the cache row of a message being stored (in its transaction). */
int	store_hdrcache_put(struct store *s, int64_t mailbox, uint32_t uid,
	    uint64_t size, int64_t internaldate,
	    const struct store_hdrfields *f, struct error *err_r);

/* Columns read by store_msgs_query(), in struct store_msg order. */
#define STORE_MSG_COLS	"uid, flags, keywords, modseq, internaldate, size, " \
	"hdr_size"
/* The same columns of "messages m" (joined queries). */
#define STORE_MSG_COLS_M "m.uid, m.flags, m.keywords, m.modseq, " \
	"m.internaldate, m.size, m.hdr_size"
/* Runs sql (binding ?1 mailbox, ?2 lo, ?3 hi) and appends the rows. */
int	store_msgs_query(struct store *s, const char *sql, int64_t mailbox,
	    uint64_t lo, uint64_t hi, struct store_msgs *r,
	    struct error *err_r);
/* Sorts and merges UID ranges (lo > hi swapped, as IMAP allows); returns
 * the count and an allocated array in *out.  v == NULL means every UID. */
size_t	store_ranges_normalise(const struct store_uidrange *v, size_t n,
	    struct store_uidrange **out);
/* Validates a space-separated keyword list and returns it deduplicated
 * (case-insensitively) and sorted, allocated ("" for NULL). */
int	store_keywords_normalise(const char *kw, char **out_r,
	    struct error *err_r);
/* Remembers the keywords of kw (normalised) for the mailbox FLAGS list. */
int	store_keywords_register(struct store *s, int64_t mailbox,
	    const char *kw, struct error *err_r);

/*
 * Room for one more element in an array of n that only this function
 * grows, starting empty (v NULL, n 0): its capacity is 8, then the next
 * power of two, so n appends cost O(n) copies, not O(n^2) (a realloc per
 * row copies the whole array under ASan and for small blocks; a SELECT of
 * 120,000 messages took minutes in the ASan build).
 */
static inline void *
store_grow(void *v, size_t n, size_t size)
{
	if (n == 0)
		return xrealloc(v, size_mul(8, size));
	if (n >= 8 && (n & (n - 1)) == 0)
		return xrealloc(v, size_mul(size_mul(n, 2), size));
	return v;
}

#endif
