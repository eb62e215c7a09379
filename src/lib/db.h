/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.h: the one way Tegami uses SQLite (the queue, the account stores and
 * the directory to come): opening a database with the project's pragmas,
 * a statement cache per connection, transactions with one commit/rollback
 * path, and SQLite errors mapped to struct error.
 *
 * A struct db is one connection and its kept statements.  It is not
 * locked: its owner serialises every call on it (the queue's writer
 * thread, the queue's read lock, a store handle's mutex).  Opening goes
 * through SQLite's default VFS, which is the fault-injection shim
 * (lib/fault.h) once fault_sqlite_register() has run (tests only).
 */
#ifndef TEGAMI_LIB_DB_H
#define TEGAMI_LIB_DB_H

#include "lib/compat.h"

#include <sqlite3.h>

#include "lib/error.h"

#define DB_STMTS_MAX	48	/* kept statements per connection */

enum db_open_flags {
	DB_CREATE	= 1 << 0,	/* create the file when missing */
	/* used from several threads without the owner's lock (SQLite's own
	 * mutex, SQLITE_OPEN_FULLMUTEX); else SQLITE_OPEN_NOMUTEX */
	DB_SHARED	= 1 << 1,
	/* the project's pragmas: journal_mode=WAL, synchronous=FULL (a
	 * COMMIT returns after the WAL is fsynced); a busy journal_mode
	 * switch (another connection setting up the same file) is retried */
	DB_WAL		= 1 << 2,
	/* secure_delete=OFF (Debian's SQLite zeroes freed pages, which
	 * writes every deleted row a second time) and foreign_keys=OFF */
	DB_FAST_DELETE	= 1 << 3,
	DB_QUERY_ONLY	= 1 << 4,	/* PRAGMA query_only: a reader */
	DB_READONLY	= 1 << 5,	/* SQLITE_OPEN_READONLY */
	DB_NOFOLLOW	= 1 << 6	/* SQLITE_OPEN_NOFOLLOW */
};

struct db_stmt {
	const char	*sql;		/* a string literal: the key */
	sqlite3_stmt	*st;
};

struct db {
	sqlite3		*h;		/* NULL when closed */
	size_t		 nstmts;
	struct db_stmt	 stmts[DB_STMTS_MAX];
};

/*
 * Opens path into *db (which must be zeroed or closed) with flags
 * (enum db_open_flags) and a busy timeout of busy_ms.  -1 with err_r
 * (mapped as db_error() does, "open <path>: ...") and *db closed.
 */
int	db_open(struct db *db, const char *path, unsigned flags, int busy_ms,
	    struct error *err_r);
/* Finalizes the kept statements and closes; a closed db is left alone.
 * -1 when SQLite refused to close (a statement was still open). */
int	db_close(struct db *db);

/* The error kind for a SQLite result code (primary or extended):
 * BUSY/LOCKED -> ERR_TEMP, CONSTRAINT -> ERR_EXISTS, IOERR, FULL,
 * CANTOPEN, READONLY, CORRUPT, NOTADB -> ERR_IO, NOMEM -> ERR_TEMP,
 * the rest ERR_INTERNAL. */
enum err_kind	db_err_kind(int sqlite_rc);
/* Fills err_r with "<what>: <the connection's last error>", its kind from
 * db_err_kind(); always -1. */
int	db_error(struct db *db, struct error *err_r, const char *what);
/* True when the last failure was a file SQLite could not open for want of
 * descriptors (EMFILE, ENFILE): the database, its WAL or shared memory.
 * db_open() then fails with ERR_LIMIT; other failures keep their kinds. */
bool	db_out_of_fds(struct db *db);

/*
 * The statement for sql, which must be a string literal (its address is
 * the key): prepared once (SQLITE_PREPARE_PERSISTENT) and kept until
 * db_close().  It must be given back with db_done() before the same sql is
 * asked for again.  When DB_STMTS_MAX are kept, it is prepared for this
 * use only and db_done() finalizes it.  NULL with err_r ("prepare: ...").
 */
sqlite3_stmt	*db_prep(struct db *db, const char *sql, struct error *err_r);
/* A statement prepared for one use only (sql need not be a literal);
 * give it back with db_done() or sqlite3_finalize(). */
sqlite3_stmt	*db_prep_once(struct db *db, const char *sql,
		    struct error *err_r);
/* Gives back a statement of db_prep() (reset, bindings cleared) or of
 * db_prep_once() (finalized).  NULL is ignored. */
void	db_done(struct db *db, sqlite3_stmt *st);
/* True if st is one of db's kept statements (for tests). */
bool	db_is_kept(const struct db *db, const sqlite3_stmt *st);

/* Runs the literal sql (one statement, results ignored) through
 * db_prep(); -1 with err_r ("exec: ..."). */
int	db_exec(struct db *db, const char *sql, struct error *err_r);
/* Runs sql (any number of statements: schemas, pragmas) without keeping
 * anything; -1 with err_r ("exec: ..."). */
int	db_exec_script(struct db *db, const char *sql, struct error *err_r);

/*
 * Transactions.  db_begin(): BEGIN IMMEDIATE (the write lock at once, so
 * a writer never fails half-way on a lock); db_begin_read(): BEGIN (one
 * consistent view for several reads).  db_commit() is the one way out
 * that keeps the changes: when COMMIT fails the transaction is rolled
 * back (db_rollback()) and -1 is returned with err_r.  db_rollback() is
 * the one way out that drops them; it does nothing outside a
 * transaction, so error paths may call it freely.
 */
int	db_begin(struct db *db, struct error *err_r);
int	db_begin_read(struct db *db, struct error *err_r);
int	db_commit(struct db *db, struct error *err_r);
void	db_rollback(struct db *db);
/* True inside a transaction. */
bool	db_in_transaction(struct db *db);

/* PRAGMA integrity_check; -1 with err_r (ERR_IO, its first line). */
int	db_check_integrity(struct db *db, struct error *err_r);

#endif
