/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_backup.c: the store's part of the online backup.  Under the
 * handle's lock (the cache shares one handle per account in the server,
 * and every call that removes body files holds it), the database is
 * copied with SQLite's online backup API and the body files the copy
 * names are handed to the caller, which links or copies them; since the
 * lock is held until then, none of them can be removed in between.
 */
#include "lib/compat.h"


#include "lib/dbcopy.h"
#include "store/store_private.h"

int
store_backup(struct store *s, const char *db_path,
    int (*fn)(void *arg, const char *name, struct error *err_r), void *arg,
    size_t *nbodies_r, struct error *err_r)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = dbcopy_backup(s->db.h, db_path, err_r);
	if (rc == 0)
		rc = dbcopy_names(db_path, "SELECT file FROM bodies WHERE "
		    "file IS NOT NULL", fn, arg, nbodies_r, err_r);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
