/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_backup.c: the queue's part of the online backup.  The database is
 * copied from the read connection in one read transaction (WAL: the
 * writer goes on committing); body files are immutable once named, so
 * the only thing to stop is their removal: while a backup runs, the
 * writer hands the names of files to remove to queue_unlink_body(),
 * which keeps them until the last backup ends.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <unistd.h>

#include "lib/dbcopy.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "queue/queue_private.h"

static void
unlink_now(struct queue *q, char *name)
{
	char *path = xasprintf("%s/%s", q->bodies, name);

	(void)fileio_remove(path, NULL);
	free(path);
	free(name);
}

void
queue_unlink_body(struct queue *q, char *name)
{
	pthread_mutex_lock(&q->pin_mu);
	if (q->pinned > 0) {
		if (q->ndeferred == q->defcap) {
			q->defcap = q->defcap == 0 ? 64 : size_mul(q->defcap, 2);
			q->deferred = xrealloc(q->deferred,
			    size_mul(q->defcap, sizeof(*q->deferred)));
		}
		q->deferred[q->ndeferred++] = name;
		pthread_mutex_unlock(&q->pin_mu);
		return;
	}
	pthread_mutex_unlock(&q->pin_mu);
	unlink_now(q, name);
}

void
queue_pin_free(struct queue *q)
{
	size_t i;

	/* No backup runs at close: what is left is only names. */
	for (i = 0; i < q->ndeferred; i++)
		unlink_now(q, q->deferred[i]);
	free(q->deferred);
	q->deferred = NULL;
	q->ndeferred = q->defcap = 0;
	pthread_mutex_destroy(&q->pin_mu);
}

int
queue_backup(struct queue *q, const char *db_path,
    int (*fn)(void *arg, const char *name, struct error *err_r), void *arg,
    size_t *nbodies_r, struct error *err_r)
{
	char **late = NULL;
	size_t nlate = 0, i;
	int rc;

	pthread_mutex_lock(&q->pin_mu);
	q->pinned++;
	pthread_mutex_unlock(&q->pin_mu);

	pthread_mutex_lock(&q->rlock);
	rc = dbcopy_backup(q->rdb.h, db_path, err_r);
	pthread_mutex_unlock(&q->rlock);
	/* Outside rlock (the scheduler reads under it); still pinned. */
	if (rc == 0)
		rc = dbcopy_names(db_path, "SELECT body_file FROM messages "
		    "WHERE body_file IS NOT NULL", fn, arg, nbodies_r, err_r);

	pthread_mutex_lock(&q->pin_mu);
	if (--q->pinned == 0) {
		late = q->deferred;
		nlate = q->ndeferred;
		q->deferred = NULL;
		q->ndeferred = q->defcap = 0;
	}
	pthread_mutex_unlock(&q->pin_mu);
	for (i = 0; i < nlate; i++)
		unlink_now(q, late[i]);
	free(late);
	return rc;
}
