/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbcopy.c: online copy of a SQLite database (sqlite3_backup_*): the
 * whole database in one step, so the copy is one committed state even
 * while other connections commit; then the copy is fsynced.  And the
 * names of the files a copy's rows refer to.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/dbcopy.h"
#include "lib/fileio.h"

int
dbcopy_backup(struct sqlite3 *src, const char *path, struct error *err_r)
{
	struct db dst;
	sqlite3_backup *bk;
	struct stat sb;
	int rc = 0, step;

	if (lstat(path, &sb) == 0)
		return error_set(err_r, ERR_EXISTS, "%s exists", path);
	if (db_open(&dst, path, DB_CREATE | DB_NOFOLLOW, 0, err_r) < 0)
		return -1;
	if ((bk = sqlite3_backup_init(dst.h, "main", src, "main")) == NULL) {
		rc = error_set(err_r, ERR_IO, "backup of %s: %s", path,
		    sqlite3_errmsg(dst.h));
		goto out;
	}
	/* -1: every page in one step, under one read transaction of src. */
	step = sqlite3_backup_step(bk, -1);
	if (sqlite3_backup_finish(bk) != SQLITE_OK || step != SQLITE_DONE)
		rc = error_set(err_r, ERR_IO, "backup of %s: %s", path,
		    step != SQLITE_DONE ? sqlite3_errstr(step) :
		    sqlite3_errmsg(dst.h));
	/* The copy of a WAL database is marked WAL: make it a file that
	 * stands alone (readers of the copy then create no -wal or -shm
	 * beside it); the server sets WAL again when it opens it. */
	else if (db_exec_script(&dst, "PRAGMA journal_mode=DELETE", err_r) < 0)
		rc = -1;
out:
	if (db_close(&dst) < 0 && rc == 0)
		rc = error_set(err_r, ERR_IO, "close %s", path);
	if (rc == 0)
		rc = fileio_fsync_file(path, 0, err_r);
	return rc;
}

int
dbcopy_names(const char *path, const char *names_sql, dbcopy_name_fn fn,
    void *arg, size_t *n_r, struct error *err_r)
{
	struct db db;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc = 0, step = SQLITE_DONE;

	if (n_r != NULL)
		*n_r = 0;
	if (db_open(&db, path, DB_READONLY | DB_NOFOLLOW, 0, err_r) < 0)
		return -1;
	if ((st = db_prep_once(&db, names_sql, NULL)) == NULL) {
		rc = error_set(err_r, ERR_IO, "read %s: %s", path,
		    sqlite3_errmsg(db.h));
		goto out;
	}
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL)
			continue;
		n++;
		if (fn != NULL)
			rc = fn(arg, name, err_r);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = error_set(err_r, ERR_IO, "read %s: %s", path,
		    sqlite3_errmsg(db.h));
out:
	sqlite3_finalize(st);
	(void)db_close(&db);
	if (rc == 0 && n_r != NULL)
		*n_r = n;
	return rc;
}
