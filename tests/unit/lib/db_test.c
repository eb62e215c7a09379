/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db_test.c: lib/db on scratch databases: opening sets the project's
 * pragmas (and a reader is query-only), the statement cache hands back the
 * same statement reset and cleared, keeps at most DB_STMTS_MAX and
 * finalizes what it does not keep, transactions commit and roll back
 * (also after an error half-way and when COMMIT itself fails: a deferred
 * constraint, an fsync failed through the fault VFS), and SQLite errors
 * map to the right struct error kinds.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/fault.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

static char *dir, *path;

static void
die(const char *msg)
{
	fprintf(stderr, "db_test: %s\n", msg);
	exit(2);
}

static int64_t
int_query(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prep_once(db, sql, NULL);
	int64_t v = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *
text_query(struct db *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st = db_prep_once(db, sql, NULL);

	out[0] = '\0';
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		(void)snprintf(out, size, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* Statements open on the connection (kept or not). */
static int
nstmts(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	while ((st = sqlite3_next_stmt(db->h, st)) != NULL)
		n++;
	return n;
}

static void
test_open(void)
{
	struct db db, rd, bad;
	struct error err;
	char text[64];
	char *missing;

	test_begin("open: the project's pragmas");
	test_assert(db_open(&db, path, DB_CREATE | DB_WAL | DB_FAST_DELETE,
	    1000, &err) == 0);
	test_assert_str(text_query(&db, "PRAGMA journal_mode", text,
	    sizeof(text)), "wal");
	test_assert(int_query(&db, "PRAGMA synchronous") == 2);	/* FULL */
	test_assert(int_query(&db, "PRAGMA secure_delete") == 0);
	test_assert(int_query(&db, "PRAGMA foreign_keys") == 0);
	test_assert(int_query(&db, "PRAGMA query_only") == 0);
	test_assert(db_exec_script(&db, "CREATE TABLE t(k INTEGER PRIMARY KEY,"
	    " v TEXT UNIQUE); INSERT INTO t(v) VALUES('a');", &err) == 0);
	test_assert(db_check_integrity(&db, &err) == 0);
	test_end();

	test_begin("open: a reader is query-only, a write is refused");
	test_assert(db_open(&rd, path, DB_QUERY_ONLY, 1000, &err) == 0);
	test_assert(int_query(&rd, "PRAGMA query_only") == 1);
	test_assert(int_query(&rd, "SELECT count(*) FROM t") == 1);
	test_assert(db_exec_script(&rd, "INSERT INTO t(v) VALUES('b')",
	    &err) < 0);
	test_assert(err.kind == ERR_IO);	/* SQLITE_READONLY */
	test_assert(strstr(err.msg, "exec: ") == err.msg);
	test_assert(db_close(&rd) == 0 && rd.h == NULL);
	test_assert(db_close(&rd) == 0);	/* closed twice: nothing */
	test_end();

	test_begin("open: a missing file without DB_CREATE is ERR_IO");
	missing = xasprintf("%s/none/x.db", dir);
	error_clear(&err);
	test_assert(db_open(&bad, missing, DB_WAL, 0, &err) < 0);
	test_assert(err.kind == ERR_IO && bad.h == NULL);
	test_assert(strstr(err.msg, "open ") == err.msg);
	free(missing);
	test_end();

	test_begin("open: a read-only connection cannot write");
	test_assert(db_open(&rd, path, DB_READONLY, 0, &err) == 0);
	test_assert(db_exec_script(&rd, "DELETE FROM t", &err) < 0 &&
	    err.kind == ERR_IO);
	(void)db_close(&rd);
	test_end();

	(void)db_close(&db);
}

static void
test_cache(void)
{
	static const char q_bind[] = "SELECT ?1";
	static const char q_rows[] = "SELECT v FROM s ORDER BY v";
	struct db db;
	struct error err;
	sqlite3_stmt *st, *st2;
	char *sqls[DB_STMTS_MAX + 1];
	size_t i, n0;
	int before;

	if (db_open(&db, path, DB_WAL, 1000, &err) < 0)
		die(err.msg);

	test_begin("cache: the same literal gives the same statement");
	st = db_prep(&db, q_bind, &err);
	test_assert(st != NULL && db_is_kept(&db, st));
	sqlite3_bind_int(st, 1, 42);
	test_assert(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == 42);
	db_done(&db, st);
	st2 = db_prep(&db, q_bind, &err);
	test_assert(st2 == st);
	test_assert(db.nstmts == 1);
	test_end();

	test_begin("cache: given back, its bindings are cleared");
	test_assert(sqlite3_step(st2) == SQLITE_ROW &&
	    sqlite3_column_type(st2, 0) == SQLITE_NULL);
	db_done(&db, st2);
	test_end();

	test_begin("cache: given back half-read, it starts again");
	test_assert(db_exec_script(&db, "CREATE TABLE IF NOT EXISTS s(v);"
	    " DELETE FROM s; INSERT INTO s VALUES(1),(2),(3);", &err) == 0);
	st = db_prep(&db, q_rows, &err);
	test_assert(st != NULL);
	test_assert(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == 1);
	test_assert(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == 2);
	db_done(&db, st);
	/* a reset statement holds no read lock: another connection can
	 * write at once */
	test_assert(sqlite3_stmt_busy(st) == 0);
	st = db_prep(&db, q_rows, &err);
	test_assert(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == 1);
	db_done(&db, st);
	test_end();

	test_begin("cache: a one-use statement is finalized by db_done");
	before = nstmts(&db);
	st = db_prep_once(&db, "SELECT 1", &err);
	test_assert(st != NULL && !db_is_kept(&db, st));
	test_assert(nstmts(&db) == before + 1);
	db_done(&db, st);
	test_assert(nstmts(&db) == before);
	db_done(&db, NULL);
	test_end();

	test_begin("cache: at most DB_STMTS_MAX kept, the rest finalized");
	for (i = 0; i < N_ELEMENTS(sqls); i++)
		sqls[i] = xasprintf("SELECT %zu", i);
	for (i = 0; i < N_ELEMENTS(sqls); i++) {
		n0 = db.nstmts;
		st = db_prep(&db, sqls[i], &err);
		test_assert(st != NULL);
		test_assert(db_is_kept(&db, st) == (n0 < DB_STMTS_MAX));
		db_done(&db, st);
	}
	test_assert(db.nstmts == DB_STMTS_MAX);
	test_assert(nstmts(&db) == DB_STMTS_MAX);
	st = db_prep(&db, sqls[DB_STMTS_MAX], &err);	/* not kept */
	test_assert(st != NULL && !db_is_kept(&db, st));
	db_done(&db, st);
	test_assert(nstmts(&db) == DB_STMTS_MAX);
	test_end();

	test_begin("cache: a bad statement is an error, nothing kept");
	error_clear(&err);
	test_assert(db_prep(&db, "SELECT FROM WHERE", &err) == NULL);
	test_assert(err.kind == ERR_INTERNAL);
	test_assert(strstr(err.msg, "prepare: ") == err.msg);
	test_end();

	test_begin("close finalizes every kept statement");
	test_assert(db_close(&db) == 0 && db.nstmts == 0);
	test_end();
	for (i = 0; i < N_ELEMENTS(sqls); i++)
		free(sqls[i]);
}

static void
test_transactions(void)
{
	struct db db, other;
	struct error err;

	if (db_open(&db, path, DB_WAL, 1000, &err) < 0 ||
	    db_open(&other, path, DB_WAL, 100, &err) < 0)
		die(err.msg);
	(void)db_exec_script(&db, "DELETE FROM t;", NULL);

	test_begin("transaction: commit keeps, the other connection sees it");
	test_assert(db_begin(&db, &err) == 0 && db_in_transaction(&db));
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('x')", &err) == 0);
	test_assert(db_commit(&db, &err) == 0 && !db_in_transaction(&db));
	test_assert(int_query(&other, "SELECT count(*) FROM t") == 1);
	test_end();

	test_begin("transaction: rollback drops");
	test_assert(db_begin(&db, &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('y')", &err) == 0);
	db_rollback(&db);
	test_assert(!db_in_transaction(&db));
	test_assert(int_query(&other, "SELECT count(*) FROM t") == 1);
	db_rollback(&db);	/* outside a transaction: nothing */
	test_end();

	test_begin("transaction: an error half-way, rolled back whole");
	test_assert(db_begin(&db, &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('z')", &err) == 0);
	error_clear(&err);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('x')", &err) < 0);
	test_assert(err.kind == ERR_EXISTS);	/* UNIQUE */
	test_assert(strstr(err.msg, "UNIQUE") != NULL);
	test_assert(db_in_transaction(&db));
	db_rollback(&db);
	test_assert(!db_in_transaction(&db));
	test_assert(int_query(&db, "SELECT count(*) FROM t") == 1);
	test_end();

	test_begin("transaction: the write lock is taken at BEGIN (ERR_TEMP)");
	test_assert(db_begin(&db, &err) == 0);
	error_clear(&err);
	test_assert(db_begin(&other, &err) < 0);	/* 100 ms busy */
	test_assert(err.kind == ERR_TEMP);
	test_assert(!db_in_transaction(&other));
	test_assert(db_commit(&db, &err) == 0);
	test_assert(db_begin(&other, &err) == 0);
	db_rollback(&other);
	test_end();

	test_begin("transaction: a COMMIT that fails is rolled back");
	test_assert(db_exec_script(&db, "PRAGMA foreign_keys=ON;"
	    " CREATE TABLE p(id INTEGER PRIMARY KEY);"
	    " CREATE TABLE c(pid INTEGER REFERENCES p(id)"
	    " DEFERRABLE INITIALLY DEFERRED);", &err) == 0);
	test_assert(db_begin(&db, &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO c VALUES(7)", &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('w')", &err) == 0);
	error_clear(&err);
	test_assert(db_commit(&db, &err) < 0);	/* deferred FK fails */
	test_assert(err.kind == ERR_EXISTS);
	test_assert(!db_in_transaction(&db));
	test_assert(int_query(&db, "SELECT count(*) FROM c") == 0);
	test_assert(int_query(&db, "SELECT count(*) FROM t") == 1);
	test_assert(db_begin_read(&db, &err) == 0 && db_in_transaction(&db));
	test_assert(db_commit(&db, &err) == 0);
	test_end();

	test_begin("transaction: a failed fsync at COMMIT: ERR_IO, rolled back");
	if (fault_sqlite_register(&err) < 0)
		die(err.msg);
	(void)db_close(&db);
	(void)db_close(&other);
	if (db_open(&db, path, DB_WAL, 1000, &err) < 0)
		die(err.msg);
	test_assert(db_begin(&db, &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('f')", &err) == 0);
	fault_set(FAULT_FSYNC, 1);
	error_clear(&err);
	test_assert(db_commit(&db, &err) < 0);
	fault_reset();
	test_assert(err.kind == ERR_IO);
	test_assert(strstr(err.msg, "disk I/O error") != NULL);
	test_assert(!db_in_transaction(&db));
	(void)db_close(&db);
	if (db_open(&db, path, DB_WAL, 1000, &err) < 0)
		die(err.msg);
	test_assert(db_check_integrity(&db, &err) == 0);
	/* the failed COMMIT may or may not have reached the WAL; the next
	 * transaction works either way */
	test_assert(db_begin(&db, &err) == 0);
	test_assert(db_exec(&db, "INSERT INTO t(v) VALUES('g')", &err) == 0);
	test_assert(db_commit(&db, &err) == 0);
	test_assert(int_query(&db, "SELECT count(*) FROM t WHERE v = 'g'") ==
	    1);
	(void)db_close(&db);
	test_end();
}

static void
test_errors(void)
{
	struct db closed = { 0 };
	struct error err;

	test_begin("error mapping");
	test_assert(db_err_kind(SQLITE_BUSY) == ERR_TEMP);
	test_assert(db_err_kind(SQLITE_BUSY_SNAPSHOT) == ERR_TEMP);
	test_assert(db_err_kind(SQLITE_LOCKED) == ERR_TEMP);
	test_assert(db_err_kind(SQLITE_NOMEM) == ERR_TEMP);
	test_assert(db_err_kind(SQLITE_CONSTRAINT_UNIQUE) == ERR_EXISTS);
	test_assert(db_err_kind(SQLITE_IOERR_FSYNC) == ERR_IO);
	test_assert(db_err_kind(SQLITE_IOERR_WRITE) == ERR_IO);
	test_assert(db_err_kind(SQLITE_FULL) == ERR_IO);
	test_assert(db_err_kind(SQLITE_CANTOPEN) == ERR_IO);
	test_assert(db_err_kind(SQLITE_READONLY) == ERR_IO);
	test_assert(db_err_kind(SQLITE_CORRUPT) == ERR_IO);
	test_assert(db_err_kind(SQLITE_ERROR) == ERR_INTERNAL);
	test_assert(db_err_kind(SQLITE_MISUSE) == ERR_INTERNAL);
	test_assert(db_error(&closed, &err, "what") == -1);
	test_assert(err.kind == ERR_TEMP && strstr(err.msg, "what: ") ==
	    err.msg);
	test_assert(db_error(&closed, NULL, "what") == -1);
	test_end();
}

/* Out of descriptors: db_open() fails with ERR_LIMIT (a limit of the
 * process the caller may wait out), not ERR_IO; with descriptors back it
 * opens. */
static void
test_out_of_fds(void)
{
	struct rlimit old, rl;
	struct db db;
	struct error e;
	int fds[64], n = 0, i, rc;

	test_begin("out of descriptors: ERR_LIMIT");
	test_assert(getrlimit(RLIMIT_NOFILE, &old) == 0);
	rl = old;
	rl.rlim_cur = 64;
	test_assert(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (n < 64 && (fds[n] = dup(2)) >= 0)
		n++;
	rc = db_open(&db, path, DB_CREATE, 0, &e);
	test_assert(rc < 0 && e.kind == ERR_LIMIT);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	test_assert(setrlimit(RLIMIT_NOFILE, &old) == 0);
	test_assert(db_open(&db, path, DB_CREATE, 0, &e) == 0);
	test_assert(!db_out_of_fds(&db));
	(void)db_close(&db);
	test_end();
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-db-XXXXXX", *cmd;

	if (mkdtemp(tmpl) == NULL)
		die(strerror(errno));
	dir = tmpl;
	path = xasprintf("%s/t.db", dir);
	test_open();
	test_cache();
	test_transactions();
	test_errors();
	test_out_of_fds();
	cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	free(cmd);
	free(path);
	return test_done();
}
