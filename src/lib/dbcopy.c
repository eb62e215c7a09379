/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbcopy.c: online copy of a SQLite database (sqlite3_backup_*): the
 * whole database in one step, so the copy is one committed state even
 * while other connections commit; then the copy is fsynced.  And the
 * names of the files a copy's rows refer to.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/dbcopy.h"

static int
fsync_path(const char *path, struct error *err_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return error_set(err_r, ERR_IO, "open %s: %s", path,
		    strerror(errno));
	if (fsync(fd) < 0)
		rc = error_set(err_r, ERR_IO, "fsync %s: %s", path,
		    strerror(errno));
	close(fd);
	return rc;
}

int
dbcopy_backup(struct sqlite3 *src, const char *path, struct error *err_r)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *bk;
	struct stat sb;
	int rc = 0, step;

	if (lstat(path, &sb) == 0)
		return error_set(err_r, ERR_EXISTS, "%s exists", path);
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		rc = error_set(err_r, ERR_IO, "create %s: %s", path,
		    dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((bk = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		rc = error_set(err_r, ERR_IO, "backup of %s: %s", path,
		    sqlite3_errmsg(dst));
		goto out;
	}
	/* -1: every page in one step, under one read transaction of src. */
	step = sqlite3_backup_step(bk, -1);
	if (sqlite3_backup_finish(bk) != SQLITE_OK || step != SQLITE_DONE)
		rc = error_set(err_r, ERR_IO, "backup of %s: %s", path,
		    step != SQLITE_DONE ? sqlite3_errstr(step) :
		    sqlite3_errmsg(dst));
	/* The copy of a WAL database is marked WAL: make it a file that
	 * stands alone (readers of the copy then create no -wal or -shm
	 * beside it); the server sets WAL again when it opens it. */
	else if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL,
	    NULL) != SQLITE_OK)
		rc = error_set(err_r, ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(dst));
out:
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = error_set(err_r, ERR_IO, "close %s", path);
	if (rc == 0)
		rc = fsync_path(path, err_r);
	return rc;
}

int
dbcopy_names(const char *path, const char *names_sql, dbcopy_name_fn fn,
    void *arg, size_t *n_r, struct error *err_r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc = 0, step = SQLITE_DONE;

	if (n_r != NULL)
		*n_r = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, names_sql, -1, &st, NULL) != SQLITE_OK) {
		rc = error_set(err_r, ERR_IO, "read %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
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
		    sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc == 0 && n_r != NULL)
		*n_r = n;
	return rc;
}
