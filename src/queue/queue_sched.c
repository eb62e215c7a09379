/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_sched.c: the scheduler and the delivery workers.
 *
 * The scheduler thread looks, for every module with a dispatcher, for
 * pending recipients whose next attempt is due, groups them by target
 * (ALL ready recipients of one target in one batch, up to
 * QUEUE_DISPATCH_MAX), marks the (module, target) in flight and queues the
 * batch for a worker.  A target in flight is skipped until its batch is
 * recorded, so one account or host is never delivered to by two workers at
 * once and what arrives meanwhile forms the next batch.
 *
 * A worker calls the module's dispatcher, then hands the outcomes to the
 * writer (one transaction for the whole batch) and waits for the commit.
 * "In flight" lives in memory only: after a crash every recipient not
 * recorded as final is simply pending again.
 *
 * The scheduler wakes when kicked (commit of new messages, a finished batch,
 * release, a new dispatcher) or when the earliest retry is due, polling at
 * least every QUEUE_POLL_MAX seconds.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xmalloc.h"
#include "queue/queue_private.h"

/* Under q->lock. */
struct queue_flight *
queue_flight_locked(struct queue *q, const char *module, const char *target)
{
	struct queue_flight *f;

	for (f = q->flights; f != NULL; f = f->next)
		if (strcmp(f->module, module) == 0 &&
		    strcmp(f->target, target) == 0)
			return f;
	return NULL;
}

bool
queue_in_flight(struct queue *q, const char *module, const char *target)
{
	bool r;

	if (module == NULL || target == NULL)
		return false;
	pthread_mutex_lock(&q->lock);
	r = queue_flight_locked(q, module, target) != NULL;
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Under q->lock. */
static void
flight_remove(struct queue *q, const char *module, const char *target)
{
	struct queue_flight **fp, *f;

	for (fp = &q->flights; (f = *fp) != NULL; fp = &f->next)
		if (strcmp(f->module, module) == 0 &&
		    strcmp(f->target, target) == 0) {
			*fp = f->next;
			free(f->module);
			free(f->target);
			free(f);
			return;
		}
}

static void
djob_free(struct queue_djob *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free((void *)j->items[i].return_path);
		free((void *)j->items[i].address);
		free((void *)j->items[i].orcpt);
		free((void *)j->items[i].envid);
	}
	free(j->items);
	free(j->module);
	free(j->target);
	free(j);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return xstrdup((const char *)sqlite3_column_text(st, i));
}

/* Queues j for the workers and marks its target in flight; under q->lock. */
static void
djob_push(struct queue *q, struct queue_djob *j)
{
	struct queue_flight *f;

	f = xcalloc(1, sizeof(*f));
	f->module = xstrdup(j->module);
	f->target = xstrdup(j->target);
	f->nrcpt = j->n;
	f->next = q->flights;
	q->flights = f;
	if (q->jtail != NULL)
		q->jtail->next = j;
	else
		q->jhead = j;
	q->jtail = j;
	pthread_cond_signal(&q->jcond);
}

static struct queue_djob *
djob_new(const struct queue_disp *d, const char *target)
{
	struct queue_djob *j;

	j = xcalloc(1, sizeof(*j));
	j->module = xstrdup(d->module);
	j->target = xstrdup(target);
	j->fn = d->fn;
	j->arg = d->arg;
	return j;
}

static void
djob_add(struct queue_djob *j, size_t *cap, sqlite3_stmt *st)
{
	struct queue_item *it;

	if (j->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		j->items = xrealloc(j->items, size_mul(*cap,
		    sizeof(*j->items)));
	}
	it = &j->items[j->n++];
	memset(it, 0, sizeof(*it));
	it->rcpt_id = (uint64_t)sqlite3_column_int64(st, 0);
	it->msg_id = (uint64_t)sqlite3_column_int64(st, 1);
	it->address = col_dup(st, 2);
	it->orcpt = col_dup(st, 3);
	it->notify = (unsigned)sqlite3_column_int(st, 4);
	it->attempts = (uint32_t)sqlite3_column_int64(st, 5);
	it->return_path = col_dup(st, 7);
	it->envid = col_dup(st, 8);
	it->size = (uint64_t)sqlite3_column_int64(st, 9);
	it->received = sqlite3_column_int64(st, 10);
	it->ret = (enum queue_ret)sqlite3_column_int(st, 11);
	it->outcome = QUEUE_OUT_TEMPFAIL;
	memcpy(it->error, "no outcome given", sizeof("no outcome given"));
}

/*
 * Dispatches the ready recipients of one module; returns the earliest
 * future next_attempt of its pending recipients (INT64_MAX if none).
 */
static int64_t
scan_module(struct queue *q, const struct queue_disp *d, int64_t now)
{
	sqlite3_stmt *st;
	struct queue_djob *j = NULL;
	const char *target;
	char *skip = NULL;
	size_t cap = 0;
	int64_t next = INT64_MAX;
	bool busy;

	pthread_mutex_lock(&q->rlock);
	if ((st = db_prep(&q->rdb, "SELECT r.id, r.msg_id, r.address,"
	    " r.orcpt, r.notify, r.attempts, r.target, m.return_path, m.envid,"
	    " m.size, m.received, m.ret FROM recipients r JOIN messages m"
	    " ON m.id = r.msg_id WHERE r.module = ?1 AND r.state = 0"
	    " AND r.next_attempt <= ?2 ORDER BY r.target, r.msg_id, r.id"
	    " LIMIT ?3", NULL)) == NULL) {
		pthread_mutex_unlock(&q->rlock);
		return now + 1;
	}
	sqlite3_bind_text(st, 1, d->module, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, QUEUE_SCAN_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		target = (const char *)sqlite3_column_text(st, 6);
		if (j != NULL && strcmp(j->target, target) != 0) {
			pthread_mutex_lock(&q->lock);
			djob_push(q, j);
			pthread_mutex_unlock(&q->lock);
			j = NULL;
		}
		if (j != NULL && j->n == QUEUE_DISPATCH_MAX)
			continue;	/* the rest go in the next batch */
		if (j == NULL) {
			if (skip != NULL && strcmp(skip, target) == 0)
				continue;
			free(skip);
			skip = NULL;
			pthread_mutex_lock(&q->lock);
			busy = queue_flight_locked(q, d->module, target) !=
			    NULL;
			pthread_mutex_unlock(&q->lock);
			if (busy) {
				skip = xstrdup(target);
				continue;
			}
			j = djob_new(d, target);
			cap = 0;
		}
		djob_add(j, &cap, st);
	}
	db_done(&q->rdb, st);
	if (j != NULL) {
		pthread_mutex_lock(&q->lock);
		djob_push(q, j);
		pthread_mutex_unlock(&q->lock);
	}
	free(skip);
	if ((st = db_prep(&q->rdb, "SELECT min(next_attempt) FROM"
	    " recipients WHERE module = ?1 AND state = 0 AND next_attempt > ?2",
	    NULL)) != NULL) {
		sqlite3_bind_text(st, 1, d->module, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			next = sqlite3_column_int64(st, 0);
		db_done(&q->rdb, st);
	}
	pthread_mutex_unlock(&q->rlock);
	return next;
}

static void *
sched_main(void *arg)
{
	struct queue *q = arg;
	struct queue_disp disp[QUEUE_DISPATCHERS_MAX];
	struct timespec ts;
	size_t i, n;
	int64_t now, next, due, wait;

	pthread_setname_np(pthread_self(), "qsched");
	pthread_mutex_lock(&q->lock);
	while (!q->sstop) {
		q->kicked = false;
		n = q->ndisp;
		memcpy(disp, q->disp, n * sizeof(disp[0]));
		pthread_mutex_unlock(&q->lock);

		now = queue_now(q);
		next = INT64_MAX;
		for (i = 0; i < n; i++) {
			due = scan_module(q, &disp[i], now);
			if (due < next)
				next = due;
		}
		wait = next == INT64_MAX ? QUEUE_POLL_MAX : next - queue_now(q);
		if (wait > QUEUE_POLL_MAX)
			wait = QUEUE_POLL_MAX;
		if (wait < 1)
			wait = 1;

		pthread_mutex_lock(&q->lock);
		if (!q->kicked && !q->sstop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)wait;
			while (!q->kicked && !q->sstop &&
			    pthread_cond_timedwait(&q->scond, &q->lock, &ts) !=
			    ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
queue_report(struct queue *q, const struct queue_item *items, size_t n,
    struct error *err_r)
{
	struct wjob wj;

	if (n == 0)
		return 0;
	memset(&wj, 0, sizeof(wj));
	wj.kind = WJOB_OUTCOMES;
	wj.items = items;
	wj.nitems = n;
	if (queue_writer_run(q, &wj) < 0) {
		if (err_r != NULL)
			*err_r = wj.err;
		return -1;
	}
	return 0;
}

static void *
worker_main(void *arg)
{
	struct queue *q = arg;
	struct queue_djob *j;
	struct wjob wj;

	pthread_setname_np(pthread_self(), "qdeliver");
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->jhead == NULL && !q->sstop)
			pthread_cond_wait(&q->jcond, &q->lock);
		if (q->sstop)
			break;
		j = q->jhead;
		q->jhead = j->next;
		if (q->jhead == NULL)
			q->jtail = NULL;
		pthread_mutex_unlock(&q->lock);

		j->fn(j->arg, q, j->module, j->target, j->items, j->n);
		memset(&wj, 0, sizeof(wj));
		wj.kind = WJOB_OUTCOMES;
		wj.items = j->items;
		wj.nitems = j->n;
		if (queue_writer_run(q, &wj) < 0)
			queue_emit(q, QUEUE_EV_ERROR, j->items[0].msg_id, NULL,
			    wj.err.msg);

		pthread_mutex_lock(&q->lock);
		flight_remove(q, j->module, j->target);
		q->kicked = true;
		pthread_cond_signal(&q->scond);
		pthread_mutex_unlock(&q->lock);
		djob_free(j);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int
queue_sched_start(struct queue *q, struct error *err_r)
{
	unsigned i;
	int e;

	pthread_mutex_lock(&q->lock);
	if (q->started) {
		pthread_mutex_unlock(&q->lock);
		return error_set(err_r, ERR_EXISTS, "queue already started");
	}
	q->started = true;
	q->sstop = false;
	pthread_mutex_unlock(&q->lock);
	q->workers = xcalloc(q->nworkers, sizeof(*q->workers));
	for (i = 0; i < q->nworkers; i++)
		if ((e = pthread_create(&q->workers[i], NULL, worker_main,
		    q)) != 0)
			fatal("queue worker: %s", strerror(e));
	if ((e = pthread_create(&q->sthread, NULL, sched_main, q)) != 0)
		fatal("queue scheduler: %s", strerror(e));
	return 0;
}

void
queue_sched_stop(struct queue *q)
{
	struct queue_djob *j;
	struct queue_flight *f;
	unsigned i;

	pthread_mutex_lock(&q->lock);
	if (!q->started) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	q->sstop = true;
	pthread_cond_broadcast(&q->jcond);
	pthread_cond_signal(&q->scond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->sthread, NULL);
	for (i = 0; i < q->nworkers; i++)
		pthread_join(q->workers[i], NULL);
	free(q->workers);
	q->workers = NULL;
	/* Batches not started stay pending in the database. */
	pthread_mutex_lock(&q->lock);
	while ((j = q->jhead) != NULL) {
		q->jhead = j->next;
		djob_free(j);
	}
	q->jtail = NULL;
	while ((f = q->flights) != NULL) {
		q->flights = f->next;
		free(f->module);
		free(f->target);
		free(f);
	}
	q->started = false;
	pthread_mutex_unlock(&q->lock);
}
