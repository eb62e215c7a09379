/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault_test.c: the fault injector: the Nth call fails exactly once (also
 * with threads racing), disarming, ops counted apart, TEGAMI_FAULT specs
 * good and bad; then the SQLite VFS shim on a scratch WAL database: a
 * failed fsync or write fails the COMMIT, and after each fault the
 * database reopens with its committed rows and passes integrity_check.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/error.h"
#include "lib/fault.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

#define THREADS		8
#define CALLS		10000	/* per thread */
#define NTH_MAX		200	/* bound of the N loops over SQLite */

static void
test_counting(void)
{
	unsigned long fired = fault_fired();
	int i, hits = 0, at = 0;

	test_begin("nothing armed: nothing fails");
	for (i = 0; i < 100; i++)
		test_assert(!fault_hit(FAULT_WRITE) && !fault_hit(FAULT_FSYNC) &&
		    !fault_hit(FAULT_RENAME));
	test_assert(fault_fired() == fired);
	test_end();

	test_begin("the 3rd call fails, once");
	fault_set(FAULT_FSYNC, 3);
	for (i = 1; i <= 10; i++)
		if (fault_hit(FAULT_FSYNC)) {
			hits++;
			at = i;
		}
	test_assert(hits == 1 && at == 3);
	test_assert(fault_fired() == fired + 1);
	test_end();

	test_begin("ops are counted apart");
	fault_set(FAULT_WRITE, 2);
	fault_set(FAULT_RENAME, 1);
	test_assert(!fault_hit(FAULT_FSYNC));
	test_assert(!fault_hit(FAULT_WRITE));
	test_assert(fault_hit(FAULT_RENAME));
	test_assert(!fault_hit(FAULT_RENAME));
	test_assert(fault_hit(FAULT_WRITE));
	test_assert(!fault_hit(FAULT_WRITE));
	test_assert(fault_fired() == fired + 3);
	test_end();

	test_begin("n = 0 and fault_reset() disarm");
	fault_set(FAULT_WRITE, 1);
	fault_set(FAULT_WRITE, 0);
	test_assert(!fault_hit(FAULT_WRITE));
	fault_set(FAULT_FSYNC, 1);
	fault_set(FAULT_RENAME, 2);
	fault_reset();
	for (i = 0; i < 5; i++)
		test_assert(!fault_hit(FAULT_FSYNC) && !fault_hit(FAULT_RENAME));
	test_assert(fault_fired() == fired + 3);
	test_end();

	test_begin("call-site wrappers fail with EIO");
	fault_set(FAULT_FSYNC, 1);
	errno = 0;
	test_assert(fault_fsync(-1) == -1 && errno == EIO);
	errno = 0;
	test_assert(fault_fsync(-1) == -1 && errno == EBADF);
	fault_set(FAULT_WRITE, 1);
	test_assert(fault_write(-1, "x", 1) == -1 && errno == EIO);
	fault_set(FAULT_RENAME, 1);
	test_assert(fault_rename("/nonexistent/a", "/nonexistent/b") == -1 &&
	    errno == EIO);
	test_end();
}

static int racer_hits[THREADS];

static void *
racer(void *arg)
{
	int *hits = arg, i;

	for (i = 0; i < CALLS; i++)
		if (fault_hit(FAULT_WRITE))
			(*hits)++;
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[THREADS];
	int i, total = 0;

	test_begin("threads racing: exactly one call fails");
	fault_set(FAULT_WRITE, THREADS * CALLS / 2);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, racer, &racer_hits[i]);
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		total += racer_hits[i];
	}
	test_assert(total == 1);
	test_assert(!fault_hit(FAULT_WRITE));
	test_end();
}

static void
test_spec(void)
{
	static const char *const bad[] = {
		"", "fsync", "fsync:", "fsync:0", "fsync:x", "fsync:3x",
		"fsync:-1", "sync:3", "fsync:3,", ",fsync:3", "fsync:3,fsync:4",
		"fsync:99999999999999999999", "write:1;rename:2", "FSYNC:3",
		" fsync:3",
	};
	struct error err;
	unsigned long fired;
	size_t i;
	int n;

	test_begin("good specs arm");
	fault_reset();
	test_assert(fault_from_env("fsync:2", &err) == 0);
	test_assert(!fault_hit(FAULT_FSYNC) && fault_hit(FAULT_FSYNC));
	test_assert(fault_from_env("write:1,rename:2,fsync:1", NULL) == 0);
	test_assert(fault_hit(FAULT_WRITE) && fault_hit(FAULT_FSYNC));
	test_assert(!fault_hit(FAULT_RENAME) && fault_hit(FAULT_RENAME));
	test_end();

	test_begin("bad specs are refused and arm nothing");
	fired = fault_fired();
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error_clear(&err);
		if (fault_from_env(bad[i], &err) == 0 || err.kind != ERR_SYNTAX ||
		    err.msg[0] == '\0')
			fprintf(stderr, "bad spec accepted: '%s'\n", bad[i]);
		test_assert(err.kind == ERR_SYNTAX);
	}
	test_assert(fault_from_env(NULL, NULL) == -1);
	/* "write:1;..." is bad as a whole: write must not be armed. */
	for (n = 0; n < 5; n++)
		test_assert(!fault_hit(FAULT_WRITE) && !fault_hit(FAULT_FSYNC) &&
		    !fault_hit(FAULT_RENAME));
	test_assert(fault_fired() == fired);
	test_end();
}

static char *dbpath;

static sqlite3 *
db_open(void)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    " CREATE TABLE IF NOT EXISTS t(x INTEGER, pad BLOB)", NULL, NULL,
	    NULL) != SQLITE_OK)
		fatal("scratch database: %s", db ? sqlite3_errmsg(db) : "?");
	return db;
}

static int
count_rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool
integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

/* One transaction of 3 rows with 8 KiB each (several pages). */
static int
txn(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN; INSERT INTO t VALUES(1, zeroblob(8192));"
	    " INSERT INTO t VALUES(2, randomblob(8192));"
	    " INSERT INTO t VALUES(3, zeroblob(8192)); COMMIT", NULL, NULL,
	    NULL);
}

/*
 * For N = 1, 2 ... until the fault no longer fires: the Nth op of a
 * transaction fails; then the database must reopen intact, holding the
 * transaction's rows only if it reported success.
 */
static void
nth_loop(enum fault_op op, const char *name)
{
	unsigned long n, fired;
	int rows, rc, runs = 0, failed = 0;
	sqlite3 *db;

	test_begin(name);
	for (n = 1; n <= NTH_MAX; n++) {
		db = db_open();
		rows = count_rows(db);
		fired = fault_fired();
		fault_set(op, n);
		rc = txn(db);
		if (rc != SQLITE_OK) {
			failed++;
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
		sqlite3_close(db);	/* checkpoints: faults count here too */
		fault_reset();
		/* a failed commit never reports success */
		test_assert(rc == SQLITE_OK || fault_fired() == fired + 1);
		db = db_open();
		test_assert(integrity_ok(db));
		test_assert(count_rows(db) == rows + (rc == SQLITE_OK ? 3 : 0));
		sqlite3_close(db);
		runs++;
		if (fault_fired() == fired)
			break;		/* past the last op: done */
	}
	test_assert(n <= NTH_MAX);
	test_assert(failed > 0);
	printf("%s: %d runs, %d failed commits\n", name, runs, failed);
	test_end();
}

static void
test_vfs(void)
{
	char tmpl[] = "/tmp/tegami-fault-XXXXXX", *cmd;
	unsigned long fired;
	struct error err;
	sqlite3 *db, *db2;
	int rows, rc;

	test_begin("the shim becomes the default VFS, once");
	test_assert(fault_sqlite_register(&err) == 0);
	test_assert(fault_sqlite_register(NULL) == 0);
	test_assert(strcmp(sqlite3_vfs_find(NULL)->zName, "tegami-fault") == 0);
	test_end();

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp: %s", strerror(errno));
	dbpath = xasprintf("%s/t.db", tmpl);

	test_begin("WAL works through the shim (two connections)");
	db = db_open();
	db2 = db_open();
	test_assert(txn(db) == SQLITE_OK);
	test_assert(count_rows(db2) == 3);
	sqlite3_close(db2);
	test_end();

	test_begin("fsync 1 fails the COMMIT with an I/O error");
	rows = count_rows(db);
	fired = fault_fired();
	fault_set(FAULT_FSYNC, 1);
	rc = txn(db);
	test_assert(rc == SQLITE_IOERR_FSYNC || (rc & 0xff) == SQLITE_IOERR);
	test_assert(fault_fired() == fired + 1);
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	db = db_open();
	test_assert(integrity_ok(db));
	test_assert(count_rows(db) == rows);
	test_assert(txn(db) == SQLITE_OK);
	test_assert(count_rows(db) == rows + 3);
	sqlite3_close(db);
	test_end();

	test_begin("write 1 fails the COMMIT with an I/O error");
	db = db_open();
	rows = count_rows(db);
	fault_set(FAULT_WRITE, 1);
	rc = txn(db);
	test_assert((rc & 0xff) == SQLITE_IOERR);
	fault_reset();
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	db = db_open();
	test_assert(integrity_ok(db) && count_rows(db) == rows);
	sqlite3_close(db);
	test_end();

	nth_loop(FAULT_FSYNC, "every Nth fsync of a transaction");
	nth_loop(FAULT_WRITE, "every Nth write of a transaction");

	cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	free(cmd);
	free(dbpath);
}

int
main(void)
{
	test_counting();
	test_threads();
	test_spec();
	test_vfs();
	fault_reset();
	return test_done();
}
