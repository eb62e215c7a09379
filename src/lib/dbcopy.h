/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbcopy.h: a consistent copy of an open SQLite database into a new file
 * through SQLite's online backup API, and the names of the files it
 * refers to.  Used by the queue and the store for the online backup.
 */
#ifndef TEGAMI_LIB_DBCOPY_H
#define TEGAMI_LIB_DBCOPY_H

#include "lib/compat.h"

#include "lib/error.h"

struct sqlite3;

/* Called for each name names_sql returns; 0 to go on, -1 to stop. */
typedef int	(*dbcopy_name_fn)(void *arg, const char *name,
		    struct error *err_r);

/*
 * Copies the main database of src (one committed state: the copy runs in
 * one read transaction) to path, which must not exist, and fsyncs it.
 * The caller serialises use of src.  -1 with err_r (ERR_IO, ERR_EXISTS);
 * path may then be left behind.
 */
int	dbcopy_backup(struct sqlite3 *src, const char *path,
	    struct error *err_r);

/*
 * Runs names_sql (one text column) on the database at path (read-only)
 * and calls fn for each non-NULL row; *n_r (may be NULL) gets the count.
 * -1 with err_r (ERR_IO, or what fn set).
 */
int	dbcopy_names(const char *path, const char *names_sql,
	    dbcopy_name_fn fn, void *arg, size_t *n_r, struct error *err_r);

#endif
