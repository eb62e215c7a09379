/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.c: opening SQLite databases, the statement cache, transactions and
 * error mapping (see db.h).
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"

/* A busy journal_mode switch is retried this often, 10 ms apart: two
 * connections setting up a new file at once get SQLITE_BUSY at once,
 * without the busy handler. */
#define DB_WAL_TRIES	200

enum err_kind
db_err_kind(int sqlite_rc)
{
	switch (sqlite_rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
		return ERR_TEMP;
	case SQLITE_CONSTRAINT:
		return ERR_EXISTS;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ERR_IO;
	default:
		return ERR_INTERNAL;
	}
}

int
db_error(struct db *db, struct error *err_r, const char *what)
{
	if (db->h == NULL)
		return error_set(err_r, ERR_TEMP, "%s: out of memory", what);
	return error_set(err_r, db_err_kind(sqlite3_extended_errcode(db->h)),
	    "%s: %s", what, sqlite3_errmsg(db->h));
}

/* Runs a pragma script, retrying while the database is busy. */
static int
pragmas(struct db *db, const char *sql, bool retry)
{
	int tries = 0, rc;

	while ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) ==
	    SQLITE_BUSY && retry && ++tries < DB_WAL_TRIES)
		usleep(10000);
	return rc == SQLITE_OK ? 0 : -1;
}

int
db_open(struct db *db, const char *path, unsigned flags, int busy_ms,
    struct error *err_r)
{
	char what[64];
	int oflags;

	memset(db, 0, sizeof(*db));
	oflags = (flags & DB_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE;
	if (flags & DB_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	oflags |= (flags & DB_SHARED) ? SQLITE_OPEN_FULLMUTEX :
	    SQLITE_OPEN_NOMUTEX;
	if (flags & DB_NOFOLLOW)
		oflags |= SQLITE_OPEN_NOFOLLOW;
	/* "open <last 40 bytes of path>" keeps the message short */
	(void)snprintf(what, sizeof(what), "open %s", strlen(path) > 40 ?
	    path + strlen(path) - 40 : path);
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK)
		goto fail;
	if (busy_ms > 0)
		sqlite3_busy_timeout(db->h, busy_ms);
	if ((flags & DB_WAL) && (pragmas(db, "PRAGMA journal_mode=WAL",
	    true) < 0 || pragmas(db, "PRAGMA synchronous=FULL", false) < 0))
		goto fail;
	if ((flags & DB_FAST_DELETE) && pragmas(db, "PRAGMA foreign_keys=OFF;"
	    " PRAGMA secure_delete=OFF;", false) < 0)
		goto fail;
	if ((flags & DB_QUERY_ONLY) && pragmas(db, "PRAGMA query_only=1",
	    false) < 0)
		goto fail;
	return 0;
fail:
	db_error(db, err_r, what);
	/* Out of descriptors is a limit of the process, not broken
	 * storage: the caller may free some and try again. */
	if (db_out_of_fds(db) && err_r != NULL)
		err_r->kind = ERR_LIMIT;
	(void)db_close(db);
	return -1;
}

bool
db_out_of_fds(struct db *db)
{
	int rc, e;

	if (db->h == NULL)
		return false;
	rc = sqlite3_extended_errcode(db->h) & 0xff;
	if (rc != SQLITE_CANTOPEN && rc != SQLITE_IOERR)
		return false;
	e = sqlite3_system_errno(db->h);
	return e == EMFILE || e == ENFILE;
}

int
db_close(struct db *db)
{
	size_t i;
	int rc;

	for (i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	db->nstmts = 0;
	if (db->h == NULL)
		return 0;
	rc = sqlite3_close_v2(db->h);
	db->h = NULL;
	return rc == SQLITE_OK ? 0 : -1;
}

sqlite3_stmt *
db_prep_once(struct db *db, const char *sql, struct error *err_r)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(db, err_r, "prepare");
		return NULL;
	}
	return st;
}

sqlite3_stmt *
db_prep(struct db *db, const char *sql, struct error *err_r)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return db->stmts[i].st;
	if (db->nstmts == DB_STMTS_MAX)
		return db_prep_once(db, sql, err_r);
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		db_error(db, err_r, "prepare");
		return NULL;
	}
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts].st = st;
	db->nstmts++;
	return st;
}

bool
db_is_kept(const struct db *db, const sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].st == st)
			return true;
	return false;
}

void
db_done(struct db *db, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	if (db_is_kept(db, st)) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return;
	}
	sqlite3_finalize(st);
}

int
db_exec(struct db *db, const char *sql, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(db, sql, err_r)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(db, err_r, "exec");
		db_done(db, st);
		return -1;
	}
	db_done(db, st);
	return 0;
}

int
db_exec_script(struct db *db, const char *sql, struct error *err_r)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err_r, "exec");
	return 0;
}

int
db_begin(struct db *db, struct error *err_r)
{
	return db_exec(db, "BEGIN IMMEDIATE", err_r);
}

int
db_begin_read(struct db *db, struct error *err_r)
{
	return db_exec(db, "BEGIN", err_r);
}

int
db_commit(struct db *db, struct error *err_r)
{
	if (db_exec(db, "COMMIT", err_r) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
db_rollback(struct db *db)
{
	if (db->h != NULL && !sqlite3_get_autocommit(db->h))
		(void)db_exec(db, "ROLLBACK", NULL);
}

bool
db_in_transaction(struct db *db)
{
	return db->h != NULL && !sqlite3_get_autocommit(db->h);
}

int
db_check_integrity(struct db *db, struct error *err_r)
{
	sqlite3_stmt *st;
	const char *text;
	int rc;

	if ((st = db_prep_once(db, "PRAGMA integrity_check", err_r)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && (text = (const char *)
	    sqlite3_column_text(st, 0)) != NULL && strcmp(text, "ok") == 0)
		rc = 0;
	else {
		text = (const char *)sqlite3_column_text(st, 0);
		rc = error_set(err_r, ERR_IO, "integrity: %s", text != NULL ?
		    text : sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(st);
	return rc;
}
