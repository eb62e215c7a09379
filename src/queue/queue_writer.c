/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_writer.c: the one writer thread (group commit).
 *
 * Every change to queue.db is a struct wjob handed over by
 * queue_writer_run().  The writer takes all pending jobs (up to
 * QUEUE_BATCH_MSGS jobs or QUEUE_BATCH_BYTES of bodies), fsyncs the bodies
 * folder when a job names a body file, runs each job inside its own
 * SAVEPOINT in ONE transaction (a failing job is rolled back alone), commits
 * (one fsync of the WAL), and only then wakes the waiting callers.  Side
 * effects that must not happen unless the commit does -- events for the log,
 * unlinking the body files of deleted messages, counters -- are collected
 * during the batch and applied after the commit.
 *
 * Permanent failures (refused at routing, dispatcher PERMFAIL, expiry,
 * rejection) generate their DSN inside the same transaction, so a crash can
 * neither lose the bounce nor send it twice.
 */
#include "lib/compat.h"

#include <stdatomic.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "queue/queue_private.h"

struct wev {
	enum queue_event	 ev;
	uint64_t		 msg_id;
	char			*address;
	char			*text;
};

/* A body cache change (queue_bcache_set), in commit order. */
struct wbody {
	uint64_t	 id;
	char		*data;		/* NULL: clear */
	size_t		 len;
};

/* Side effects of the current batch, applied after COMMIT. */
struct wside {
	struct wev	*evs;
	size_t		 nev, evcap;
	struct wbody	*bodies;
	size_t		 nbody, bodycap;
	char		**unlinks;
	size_t		 nun, uncap;
	uint64_t	 delivered, failed, dsns, submitted;
};

struct writer {
	struct queue	*q;
	struct db	*db;		/* &q->wdb: its kept statements are the
					   writer's (the same few for every
					   message) */
	struct wside	 side;
	int64_t		 now;
};

static void
side_event(struct writer *w, enum queue_event ev, uint64_t msg_id,
    const char *address, const char *text)
{
	struct wside *s = &w->side;
	struct wev *e;

	if (s->nev == s->evcap) {
		s->evcap = s->evcap ? s->evcap * 2 : 64;
		s->evs = xrealloc(s->evs, size_mul(s->evcap, sizeof(*s->evs)));
	}
	e = &s->evs[s->nev++];
	e->ev = ev;
	e->msg_id = msg_id;
	e->address = address ? xstrdup(address) : NULL;
	e->text = text ? xstrdup(text) : NULL;
}

static void
side_unlink(struct writer *w, const char *name)
{
	struct wside *s = &w->side;

	if (s->nun == s->uncap) {
		s->uncap = s->uncap ? s->uncap * 2 : 16;
		s->unlinks = xrealloc(s->unlinks, size_mul(s->uncap,
		    sizeof(*s->unlinks)));
	}
	s->unlinks[s->nun++] = xstrdup(name);
}

/* Records a body cache change for id: a copy of data, or a clear (NULL,
 * or a body too large to keep). */
static void
side_body(struct writer *w, uint64_t id, const char *data, size_t len)
{
	struct wside *s = &w->side;
	struct wbody *b;

	if (s->nbody == s->bodycap) {
		s->bodycap = s->bodycap ? s->bodycap * 2 : 64;
		s->bodies = xrealloc(s->bodies, size_mul(s->bodycap,
		    sizeof(*s->bodies)));
	}
	b = &s->bodies[s->nbody++];
	b->id = id;
	b->data = NULL;
	b->len = 0;
	if (data != NULL && len <= QUEUE_BCACHE_BODY_MAX) {
		b->data = xmalloc(len + 1);
		memcpy(b->data, data, len);
		b->len = len;
	}
}

/* After the commit: the body cache changes, in order. */
static void
side_bodies_apply(struct writer *w)
{
	struct wside *s = &w->side;
	size_t i;

	for (i = 0; i < s->nbody; i++)
		queue_bcache_set(w->q, s->bodies[i].id, s->bodies[i].data,
		    s->bodies[i].len);
	s->nbody = 0;
}

/* Drops side effects recorded after mark (a rolled-back job). */
static void
side_truncate(struct writer *w, const struct wside *mark)
{
	struct wside *s = &w->side;

	while (s->nev > mark->nev) {
		s->nev--;
		free(s->evs[s->nev].address);
		free(s->evs[s->nev].text);
	}
	while (s->nun > mark->nun)
		free(s->unlinks[--s->nun]);
	while (s->nbody > mark->nbody)
		free(s->bodies[--s->nbody].data);
	s->delivered = mark->delivered;
	s->failed = mark->failed;
	s->dsns = mark->dsns;
	s->submitted = mark->submitted;
}

static int
db_err(struct writer *w, struct error *err_r)
{
	return db_error(w->db, err_r, "queue database");
}

/* The kept statement for sql (a string literal, see db_prep()); give it
 * back with unprep() before asking for the same sql again. */
static sqlite3_stmt *
prep(struct writer *w, const char *sql, struct error *err_r)
{
	return db_prep(w->db, sql, err_r);
}

static void
unprep(struct writer *w, sqlite3_stmt *st)
{
	db_done(w->db, st);
}

/* Runs a statement without results (a literal, see prep()). */
static int
exec(struct writer *w, const char *sql, struct error *err_r)
{
	return db_exec(w->db, sql, err_r);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* True when a failure (or success) of a recipient with notify is reported. */
static bool
notify_wants(unsigned notify, enum queue_dsn_action action)
{
	if (notify & QUEUE_NOTIFY_NEVER)
		return false;
	if (action == QUEUE_DSN_DELIVERED)
		return (notify & QUEUE_NOTIFY_SUCCESS) != 0;
	if (action == QUEUE_DSN_DELAYED)
		return notify == 0 || (notify & QUEUE_NOTIFY_DELAY) != 0;
	return notify == 0 || (notify & QUEUE_NOTIFY_FAILURE) != 0;
}

static int	insert_msg(struct writer *, const struct queue_msg *,
		    const struct queue_route *, const bool *, const char *,
		    uint64_t *, struct error *);

/*
 * Queues a DSN about message id to return_path (never for "").  body is the
 * original text (or NULL: loaded from the database).  A DSN that cannot be
 * built is reported as an event and skipped: the failure itself stands.
 */
static int
gen_dsn(struct writer *w, uint64_t id, const char *return_path,
    const char *envid, enum queue_ret ret, int64_t received,
    const char *body, size_t body_len, const struct queue_dsn_rcpt *rcpts,
    size_t n, struct error *err_r)
{
	struct queue *q = w->q;
	struct queue_dsn d;
	struct queue_msg m;
	struct queue_rcpt r;
	struct queue_route route;
	struct buf orig, out;
	struct error err;
	queue_router_fn router;
	void *rarg;
	char *domain;
	bool refused;
	uint64_t dsn_id;
	int rc = 0;

	if (n == 0 || return_path[0] == '\0')
		return 0;
	buf_init(&orig, QUEUE_DSN_FULL_MAX + 1);
	if (body == NULL) {
		/* Only what the DSN may quote: FULL_MAX + 1 says "too big". */
		if (queue_load_body(q, w->db, id, QUEUE_DSN_FULL_MAX + 1,
		    &orig, &err) < 0 && err.kind != ERR_LIMIT) {
			side_event(w, QUEUE_EV_ERROR, id, return_path,
			    err.msg);
			buf_reset(&orig);
		}
		orig.err = 0;
		body = buf_cstr(&orig);
		body_len = orig.len;
	}
	pthread_mutex_lock(&q->lock);
	domain = xstrdup(q->main_domain);
	router = q->router;
	rarg = q->router_arg;
	pthread_mutex_unlock(&q->lock);

	memset(&d, 0, sizeof(d));
	d.main_domain = domain;
	d.return_path = return_path;
	d.envid = envid;
	d.ret = ret;
	d.queue_id = id;
	d.arrival = received;
	d.now = w->now;
	d.original = body;
	d.original_len = body_len;
	d.rcpts = rcpts;
	d.nrcpt = n;
	buf_init(&out, QUEUE_BATCH_BYTES);
	if (queue_make_dsn(&d, &out, &err) < 0) {
		side_event(w, QUEUE_EV_ERROR, id, return_path, err.msg);
		goto out;
	}

	memset(&route, 0, sizeof(route));
	refused = router == NULL || router(rarg, return_path, &route) < 0 ||
	    route.module[0] == '\0';
	if (refused && route.error[0] == '\0')
		memcpy(route.error, "address refused",
		    sizeof("address refused"));
	route.module[QUEUE_MODULE_MAX] = '\0';
	route.target[QUEUE_TARGET_MAX] = '\0';
	route.error[QUEUE_TEXT_MAX] = '\0';
	memset(&r, 0, sizeof(r));
	r.address = return_path;
	memset(&m, 0, sizeof(m));
	m.return_path = "";
	m.submit_tag = "DSN";
	m.ret = QUEUE_RET_DEFAULT;
	m.rcpts = &r;
	m.nrcpt = 1;
	m.body = buf_cstr(&out);
	m.body_len = out.len;
	/* The DSN's body stays in the database whatever its size: it is
	 * bounded by QUEUE_DSN_FULL_MAX plus the report. */
	rc = insert_msg(w, &m, &route, &refused, NULL, &dsn_id, err_r);
	if (rc == 0) {
		w->side.dsns++;
		side_event(w, QUEUE_EV_DSN, dsn_id, return_path, NULL);
	}
out:
	buf_free(&out);
	buf_free(&orig);
	free(domain);
	return rc;
}

/* Deletes message id when none of its recipients is pending. */
static int
maybe_delete(struct writer *w, uint64_t id, struct error *err_r)
{
	sqlite3_stmt *st;
	char *file = NULL;
	int rc;

	if ((st = prep(w, "SELECT count(*) FROM recipients WHERE msg_id = ?"
	    " AND state = 0", err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_int64(st, 0) != 0) {
		unprep(w, st);
		return rc == SQLITE_ROW ? 0 : db_err(w, err_r);
	}
	unprep(w, st);
	if ((st = prep(w, "SELECT body_file FROM messages WHERE id = ?",
	    err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_TEXT)
		file = xstrdup((const char *)sqlite3_column_text(st, 0));
	unprep(w, st);
	if ((st = prep(w, "DELETE FROM recipients WHERE msg_id = ?",
	    err_r)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	unprep(w, st);
	if (rc != SQLITE_DONE)
		goto dberr;
	if ((st = prep(w, "DELETE FROM messages WHERE id = ?", err_r)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	unprep(w, st);
	if (rc != SQLITE_DONE)
		goto dberr;
	if (file != NULL)
		side_unlink(w, file);
	side_body(w, id, NULL, 0);
	free(file);
	return 0;
dberr:
	db_err(w, err_r);
fail:
	free(file);
	return -1;
}

static int
insert_msg(struct writer *w, const struct queue_msg *msg,
    const struct queue_route *routes, const bool *refused,
    const char *body_file, uint64_t *id_r, struct error *err_r)
{
	struct queue_dsn_rcpt *dr;
	sqlite3_stmt *st;
	uint64_t id;
	size_t i, nd = 0;
	int rc;

	if ((st = prep(w, "INSERT INTO messages (return_path, submit_tag,"
	    " source_ip, auth_user, envid, ret, received, size, body,"
	    " body_file) VALUES (?,?,?,?,?,?,?,?,?,?)", err_r)) == NULL)
		return -1;
	bind_text(st, 1, msg->return_path);
	bind_text(st, 2, msg->submit_tag ? msg->submit_tag : "");
	bind_text(st, 3, msg->source_ip);
	bind_text(st, 4, msg->auth_user);
	bind_text(st, 5, msg->envid);
	sqlite3_bind_int(st, 6, (int)msg->ret);
	sqlite3_bind_int64(st, 7, w->now);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)msg->body_len);
	if (body_file != NULL) {
		sqlite3_bind_null(st, 9);
		bind_text(st, 10, body_file);
	} else {
		sqlite3_bind_blob64(st, 9, msg->body ? msg->body : "",
		    msg->body_len, SQLITE_STATIC);
		sqlite3_bind_null(st, 10);
	}
	rc = sqlite3_step(st);
	unprep(w, st);
	if (rc != SQLITE_DONE)
		return db_err(w, err_r);
	id = (uint64_t)sqlite3_last_insert_rowid(w->db->h);
	/* Kept in memory for delivery (or the slot cleared: ids of deleted
	 * rows can come back). */
	side_body(w, id, body_file == NULL ? (msg->body ? msg->body : "") :
	    NULL, msg->body_len);

	if ((st = prep(w, "INSERT INTO recipients (msg_id, address, orcpt,"
	    " notify, module, target, state, last_error)"
	    " VALUES (?,?,?,?,?,?,?,?)", err_r)) == NULL)
		return -1;
	dr = xcalloc(msg->nrcpt, sizeof(*dr));
	for (i = 0; i < msg->nrcpt; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		bind_text(st, 2, msg->rcpts[i].address);
		bind_text(st, 3, msg->rcpts[i].orcpt);
		sqlite3_bind_int(st, 4, (int)msg->rcpts[i].notify);
		bind_text(st, 5, refused[i] ? "" : routes[i].module);
		bind_text(st, 6, refused[i] ? "" : routes[i].target);
		sqlite3_bind_int(st, 7, refused[i] ? QUEUE_RCPT_FAILED :
		    QUEUE_RCPT_PENDING);
		bind_text(st, 8, refused[i] ? routes[i].error : NULL);
		if (sqlite3_step(st) != SQLITE_DONE) {
			unprep(w, st);
			free(dr);
			return db_err(w, err_r);
		}
		if (!refused[i])
			continue;
		w->side.failed++;
		side_event(w, QUEUE_EV_FAILED, id, msg->rcpts[i].address,
		    routes[i].error);
		if (notify_wants(msg->rcpts[i].notify, QUEUE_DSN_FAILED)) {
			dr[nd].address = msg->rcpts[i].address;
			dr[nd].orcpt = msg->rcpts[i].orcpt;
			dr[nd].action = QUEUE_DSN_FAILED;
			dr[nd].diagnostic = routes[i].error;
			nd++;
		}
	}
	unprep(w, st);
	rc = gen_dsn(w, id, msg->return_path, msg->envid, msg->ret, w->now,
	    msg->body, msg->body_len, dr, nd, err_r);
	free(dr);
	if (rc == 0)
		rc = maybe_delete(w, id, err_r);
	if (rc == 0)
		*id_r = id;
	return rc;
}

struct msg_env {
	char		*return_path;
	char		*envid;
	enum queue_ret	 ret;
	int64_t		 received;
};

static int
load_env(struct writer *w, uint64_t id, struct msg_env *e,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((st = prep(w, "SELECT return_path, envid, ret, received FROM"
	    " messages WHERE id = ?", err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		e->return_path = xstrdup((const char *)sqlite3_column_text(st,
		    0));
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
			e->envid = xstrdup((const char *)
			    sqlite3_column_text(st, 1));
		e->ret = (enum queue_ret)sqlite3_column_int(st, 2);
		e->received = sqlite3_column_int64(st, 3);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = error_set(err_r, ERR_NOTFOUND,
		    "message %llu is not queued", (unsigned long long)id);
	else
		rc = db_err(w, err_r);
	unprep(w, st);
	return rc;
}

static void
env_free(struct msg_env *e)
{
	free(e->return_path);
	free(e->envid);
}

/* Sets one pending recipient final; false when it was not pending. */
static int
set_final(struct writer *w, uint64_t rcpt_id, enum queue_rcpt_state state,
    const char *error, bool *changed_r, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(w, "UPDATE recipients SET state = ?, last_error = ?"
	    " WHERE id = ? AND state = 0", err_r)) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)state);
	bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)rcpt_id);
	rc = sqlite3_step(st);
	unprep(w, st);
	if (rc != SQLITE_DONE)
		return db_err(w, err_r);
	*changed_r = sqlite3_changes(w->db->h) > 0;
	return 0;
}

/* Marks a pending recipient warned (the "delayed" DSN is sent once);
 * *changed_r false when it was already. */
static int
set_warned(struct writer *w, uint64_t rcpt_id, bool *changed_r,
    struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(w, "UPDATE recipients SET warned = 1"
	    " WHERE id = ? AND state = 0 AND warned = 0", err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rcpt_id);
	rc = sqlite3_step(st);
	unprep(w, st);
	if (rc != SQLITE_DONE)
		return db_err(w, err_r);
	*changed_r = sqlite3_changes(w->db->h) > 0;
	return 0;
}

/* Records the outcomes of one message's items[0..n). */
static int
outcomes_one(struct writer *w, const struct queue_item *items, size_t n,
    struct error *err_r)
{
	struct queue *q = w->q;
	struct queue_dsn_rcpt *dr;
	struct msg_env env;
	sqlite3_stmt *st;
	char *texts, *text;
	size_t i, nd = 0;
	uint32_t attempts, days, warn = atomic_load(&w->q->warn_after);
	int64_t next, expire;
	bool changed, any = false;
	int rc = 0;

	dr = xcalloc(n, sizeof(*dr));
	texts = xcalloc(n, QUEUE_TEXT_MAX + 1);
	for (i = 0; i < n && rc == 0; i++) {
		const struct queue_item *it = &items[i];
		enum queue_outcome oc = it->outcome;

		text = texts + i * (QUEUE_TEXT_MAX + 1);
		snprintf(text, QUEUE_TEXT_MAX + 1, "%s", it->error);
		expire = it->received + (int64_t)q->max_time;
		if (oc == QUEUE_OUT_TEMPFAIL && w->now >= expire) {
			days = q->max_time / 86400;
			if (days > 0)
				snprintf(text, QUEUE_TEXT_MAX + 1, "message"
				    " expired after %u day%s in queue: %.200s",
				    days, days == 1 ? "" : "s", it->error);
			else
				snprintf(text, QUEUE_TEXT_MAX + 1, "message"
				    " expired after %u seconds in queue: %.200s",
				    q->max_time, it->error);
			oc = QUEUE_OUT_PERMFAIL;
		}
		changed = false;
		switch (oc) {
		case QUEUE_OUT_DELIVERED:
			rc = set_final(w, it->rcpt_id, QUEUE_RCPT_DELIVERED,
			    NULL, &changed, err_r);
			if (rc < 0 || !changed)
				break;
			w->side.delivered++;
			side_event(w, QUEUE_EV_DELIVERED, it->msg_id,
			    it->address, NULL);
			if (notify_wants(it->notify, QUEUE_DSN_DELIVERED)) {
				dr[nd].action = QUEUE_DSN_DELIVERED;
				dr[nd].address = it->address;
				dr[nd].orcpt = it->orcpt;
				nd++;
			}
			break;
		case QUEUE_OUT_PERMFAIL:
			rc = set_final(w, it->rcpt_id, QUEUE_RCPT_FAILED,
			    text, &changed, err_r);
			if (rc < 0 || !changed)
				break;
			w->side.failed++;
			side_event(w, QUEUE_EV_FAILED, it->msg_id, it->address,
			    text);
			if (notify_wants(it->notify, QUEUE_DSN_FAILED)) {
				dr[nd].action = QUEUE_DSN_FAILED;
				dr[nd].address = it->address;
				dr[nd].orcpt = it->orcpt;
				dr[nd].diagnostic = text;
				nd++;
			}
			break;
		case QUEUE_OUT_TEMPFAIL:
			attempts = it->attempts + 1;
			next = w->now + queue_retry_delay(q, attempts);
			if (next > expire)
				next = expire;	/* last try at expiry */
			if ((st = prep(w, "UPDATE recipients SET attempts = ?,"
			    " next_attempt = ?, last_error = ? WHERE id = ?"
			    " AND state = 0", err_r)) == NULL) {
				rc = -1;
				break;
			}
			sqlite3_bind_int64(st, 1, attempts);
			sqlite3_bind_int64(st, 2, next);
			bind_text(st, 3, text);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)it->rcpt_id);
			rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
			    db_err(w, err_r);
			unprep(w, st);
			if (rc == 0 && sqlite3_changes(w->db->h) > 0)
				side_event(w, QUEUE_EV_DEFERRED, it->msg_id,
				    it->address, text);
			if (rc == 0 && warn > 0 && w->now - it->received >=
			    (int64_t)warn && notify_wants(it->notify,
			    QUEUE_DSN_DELAYED)) {
				rc = set_warned(w, it->rcpt_id, &changed,
				    err_r);
				if (rc == 0 && changed) {
					dr[nd].action = QUEUE_DSN_DELAYED;
					dr[nd].address = it->address;
					dr[nd].orcpt = it->orcpt;
					dr[nd].diagnostic = text;
					nd++;
				}
				changed = false;	/* still pending */
				if (nd > 0)
					any = true;
			}
			break;
		}
		if (changed)
			any = true;
	}
	if (rc == 0 && any) {
		if (nd > 0 && load_env(w, items[0].msg_id, &env, err_r) == 0) {
			rc = gen_dsn(w, items[0].msg_id, env.return_path,
			    env.envid, env.ret, env.received, NULL, 0, dr, nd,
			    err_r);
			env_free(&env);
		}
		if (rc == 0)
			rc = maybe_delete(w, items[0].msg_id, err_r);
	}
	free(texts);
	free(dr);
	return rc;
}

static int
job_outcomes(struct writer *w, struct wjob *job)
{
	size_t i, j;

	for (i = 0; i < job->nitems; i = j) {
		for (j = i + 1; j < job->nitems &&
		    job->items[j].msg_id == job->items[i].msg_id; j++)
			;
		if (outcomes_one(w, job->items + i, j - i, &job->err) < 0)
			return -1;
	}
	return 0;
}

static int
job_reject(struct writer *w, struct wjob *job)
{
	struct queue_dsn_rcpt *dr = NULL;
	struct msg_env env;
	sqlite3_stmt *st;
	char **addrs = NULL, **orcpts = NULL;
	size_t n = 0, cap = 0, nd = 0, i;
	int rc;

	if (load_env(w, job->id, &env, &job->err) < 0)
		return -1;
	if ((st = prep(w, "SELECT address, orcpt, notify FROM recipients"
	    " WHERE msg_id = ? AND state = 0 ORDER BY id", &job->err)) ==
	    NULL) {
		env_free(&env);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)job->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			addrs = xrealloc(addrs, size_mul(cap, sizeof(*addrs)));
			orcpts = xrealloc(orcpts, size_mul(cap,
			    sizeof(*orcpts)));
			dr = xrealloc(dr, size_mul(cap, sizeof(*dr)));
		}
		addrs[n] = xstrdup((const char *)sqlite3_column_text(st, 0));
		orcpts[n] = sqlite3_column_type(st, 1) == SQLITE_TEXT ?
		    xstrdup((const char *)sqlite3_column_text(st, 1)) : NULL;
		if (notify_wants((unsigned)sqlite3_column_int(st, 2),
		    QUEUE_DSN_FAILED)) {
			memset(&dr[nd], 0, sizeof(dr[nd]));
			dr[nd].address = addrs[n];
			dr[nd].orcpt = orcpts[n];
			dr[nd].action = QUEUE_DSN_FAILED;
			dr[nd].diagnostic = job->text;
			nd++;
		}
		n++;
	}
	unprep(w, st);
	if ((st = prep(w, "UPDATE recipients SET state = ?, last_error = ?"
	    " WHERE msg_id = ? AND state = 0", &job->err)) == NULL)
		rc = -1;
	else {
		sqlite3_bind_int(st, 1, QUEUE_RCPT_FAILED);
		bind_text(st, 2, job->text);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)job->id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(w,
		    &job->err);
		unprep(w, st);
	}
	if (rc == 0) {
		for (i = 0; i < n; i++)
			side_event(w, QUEUE_EV_FAILED, job->id, addrs[i],
			    job->text);
		w->side.failed += n;
		rc = gen_dsn(w, job->id, env.return_path, env.envid, env.ret,
		    env.received, NULL, 0, dr, nd, &job->err);
	}
	if (rc == 0)
		rc = maybe_delete(w, job->id, &job->err);
	for (i = 0; i < n; i++) {
		free(addrs[i]);
		free(orcpts[i]);
	}
	free(addrs);
	free(orcpts);
	free(dr);
	env_free(&env);
	job->count_r = n;
	return rc;
}

static int
job_release(struct writer *w, struct wjob *job)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(w, "UPDATE recipients SET next_attempt = 0"
	    " WHERE module = ?1 AND state = 0 AND (?2 IS NULL OR target = ?2)",
	    &job->err)) == NULL)
		return -1;
	bind_text(st, 1, job->module);
	bind_text(st, 2, job->target);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(w, &job->err);
	unprep(w, st);
	job->count_r = (size_t)sqlite3_changes(w->db->h);
	return rc;
}

static int
job_run(struct writer *w, struct wjob *job)
{
	switch (job->kind) {
	case WJOB_SUBMIT:
		if (insert_msg(w, job->msg, job->routes, job->refused,
		    job->body_file, &job->id_r, &job->err) < 0)
			return -1;
		w->side.submitted++;
		side_event(w, QUEUE_EV_ENQUEUED, job->id_r, NULL,
		    job->msg->return_path);
		return 0;
	case WJOB_OUTCOMES:
		return job_outcomes(w, job);
	case WJOB_REJECT:
		return job_reject(w, job);
	case WJOB_RELEASE:
		return job_release(w, job);
	}
	return error_set(&job->err, ERR_INTERNAL, "bad queue job");
}

/* Runs one batch in one transaction; jobs get rc and err. */
static void
run_batch(struct writer *w, struct wjob *batch)
{
	struct wjob *j;
	struct wside mark;
	struct error err;
	bool files = false;
	int ok = 0;

	w->now = queue_now(w->q);
	for (j = batch; j != NULL; j = j->next) {
		j->rc = 0;
		if (j->kind == WJOB_SUBMIT && j->body_file != NULL)
			files = true;
	}
	/* The files were fsynced by their writers; their names must be too. */
	if (files && fileio_fsync_dir(w->q->bodies, FILEIO_FAULTS,
	    &err) < 0)
		ok = -1;
	if (ok == 0 && db_begin(w->db, &err) < 0)
		ok = -1;
	if (ok < 0) {
		for (j = batch; j != NULL; j = j->next) {
			j->rc = -1;
			j->err = err;
		}
		return;
	}
	for (j = batch; j != NULL; j = j->next) {
		mark = w->side;
		if (exec(w, "SAVEPOINT job", &j->err) < 0) {
			j->rc = -1;
			continue;
		}
		if (job_run(w, j) < 0) {
			j->rc = -1;
			side_truncate(w, &mark);
			(void)exec(w, "ROLLBACK TO job", NULL);
		}
		(void)exec(w, "RELEASE job", NULL);
	}
	if (db_commit(w->db, &err) < 0) {	/* rolled back */
		side_truncate(w, &(struct wside){ 0 });
		for (j = batch; j != NULL; j = j->next) {
			j->rc = -1;
			j->err = err;
		}
		side_event(w, QUEUE_EV_ERROR, 0, NULL, err.msg);
	}
	/* Before the callers and the scheduler hear of the commit. */
	side_bodies_apply(w);
}

static void
apply_side(struct writer *w)
{
	struct queue *q = w->q;
	struct wside *s = &w->side;
	size_t i;

	for (i = 0; i < s->nun; i++)
		queue_unlink_body(q, s->unlinks[i]);
	s->nun = 0;
	for (i = 0; i < s->nev; i++) {
		queue_emit(q, s->evs[i].ev, s->evs[i].msg_id,
		    s->evs[i].address, s->evs[i].text);
		free(s->evs[i].address);
		free(s->evs[i].text);
	}
	s->nev = 0;
}

/*
 * True if j is a submission whose every recipient goes to a (module,
 * target) a worker is delivering to now: the end of that batch kicks the
 * scheduler, and its scan sees j's rows (committed before), so a kick now
 * would only rescan and skip them.  Under q->lock.
 */
static bool
submit_in_flight(struct queue *q, const struct wjob *j)
{
	size_t i;

	if (j->kind != WJOB_SUBMIT || j->msg == NULL || j->rc != 0)
		return false;
	for (i = 0; i < j->msg->nrcpt; i++)
		if (j->refused[i] || !queue_flight_locked(q,
		    j->routes[i].module, j->routes[i].target))
			return false;
	return true;
}

/* Jobs waiting for the writer; under q->lock. */
static size_t
pending(const struct queue *q)
{
	const struct wjob *j;
	size_t n = 0;

	for (j = q->whead; j != NULL && n < QUEUE_BATCH_MSGS; j = j->next)
		n++;
	return n;
}

/*
 * Waits, under q->lock, until no session is receiving a body, the batch is
 * full, the queue stops or QUEUE_GATHER_US have passed.  Submitters signal
 * wcond during the wait only when the last receiving session hands over.
 */
static void
gather(struct queue *q)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += QUEUE_GATHER_US * 1000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	q->wgathering = true;
	while (q->receiving > 0 && !q->wstop &&
	    pending(q) < QUEUE_BATCH_MSGS)
		if (pthread_cond_clockwait(&q->wcond, &q->lock,
		    CLOCK_MONOTONIC, &deadline) == ETIMEDOUT)
			break;
	q->wgathering = false;
}

static void *
writer_main(void *arg)
{
	struct writer w;
	struct queue *q = arg;
	struct wjob *batch, *last, *j;
	size_t njobs, bytes;
	bool kick;

	pthread_setname_np(pthread_self(), "qwriter");
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.db = &q->wdb;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->whead == NULL && !q->wstop)
			pthread_cond_wait(&q->wcond, &q->lock);
		if (q->whead == NULL)
			break;
		/*
		 * Sessions are receiving bodies they will hand over within
		 * moments: hold the commit for them (bounded), so one fsync
		 * covers them too.  Under load this halves the transactions
		 * and saves CPU per message (docs/performance.md); a lone
		 * session never waits, since it stopped receiving before it
		 * handed over its own message.
		 */
		if (q->receiving > 0 && !q->wstop)
			gather(q);
		/*
		 * A single job waiting: let runnable sessions (that are about
		 * to hand over theirs) run first, once, so one commit covers
		 * more of them.  Costs nothing when none is runnable.
		 */
		else if (q->whead == q->wtail && !q->wstop) {
			pthread_mutex_unlock(&q->lock);
			sched_yield();
			pthread_mutex_lock(&q->lock);
		}
		/* Take everything pending, up to the batch limits. */
		batch = last = q->whead;
		njobs = 1;
		bytes = batch->msg ? batch->msg->body_len : 0;
		while (last->next != NULL && njobs < QUEUE_BATCH_MSGS) {
			j = last->next;
			if (j->msg != NULL && bytes + j->msg->body_len >
			    QUEUE_BATCH_BYTES)
				break;
			bytes += j->msg ? j->msg->body_len : 0;
			last = j;
			njobs++;
		}
		q->whead = last->next;
		if (q->whead == NULL)
			q->wtail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&q->lock);

		run_batch(&w, batch);

		pthread_mutex_lock(&q->lock);
		q->stats.transactions++;
		q->stats.delivered += w.side.delivered;
		q->stats.failed += w.side.failed;
		q->stats.dsns += w.side.dsns;
		q->stats.submitted += w.side.submitted;
		w.side.delivered = w.side.failed = w.side.dsns = 0;
		w.side.submitted = 0;
		/* New recipients need a scan, unless their targets are all
		 * being delivered to (that batch's end kicks). */
		kick = false;
		for (j = batch; j != NULL && !kick; j = j->next)
			kick = j->kind != WJOB_OUTCOMES &&
			    !submit_in_flight(q, j);
		if (kick) {
			q->kicked = true;
			pthread_cond_signal(&q->scond);
		}
		pthread_mutex_unlock(&q->lock);
		/* Each caller waits on its job's own lock and condition, so
		 * the woken do not queue up on q->lock. */
		for (j = batch; j != NULL; j = last) {
			last = j->next;
			pthread_mutex_lock(&j->mu);
			j->done = true;
			pthread_cond_signal(&j->cond);
			/* The caller frees j once it holds j->mu. */
			pthread_mutex_unlock(&j->mu);
		}
		apply_side(&w);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	free(w.side.bodies);
	free(w.side.evs);
	free(w.side.unlinks);
	return NULL;
}

int
queue_writer_start(struct queue *q, struct error *err_r)
{
	int e;

	q->wstop = false;
	if ((e = pthread_create(&q->wthread, NULL, writer_main, q)) != 0)
		return error_set(err_r, ERR_INTERNAL, "queue writer: %s",
		    strerror(e));
	return 0;
}

void
queue_writer_stop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->wstop = true;
	pthread_cond_signal(&q->wcond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->wthread, NULL);
}

void
queue_receiving(struct queue *q, bool begin)
{
	/* No wake-up here: a session that stops receiving hands its message
	 * over moments later, and that hand-over wakes a gathering writer.
	 * One that hands nothing over costs the writer QUEUE_GATHER_US. */
	pthread_mutex_lock(&q->lock);
	if (begin)
		q->receiving++;
	else if (q->receiving > 0)
		q->receiving--;
	pthread_mutex_unlock(&q->lock);
}

int
queue_writer_run(struct queue *q, struct wjob *job)
{
	bool wake;

	job->next = NULL;
	job->done = false;
	/* One lock and condition per job: a commit wakes exactly its own
	 * caller, which then does not contend for q->lock. */
	pthread_mutex_init(&job->mu, NULL);
	pthread_cond_init(&job->cond, NULL);
	pthread_mutex_lock(&q->lock);
	if (q->wstop) {
		pthread_mutex_unlock(&q->lock);
		pthread_cond_destroy(&job->cond);
		pthread_mutex_destroy(&job->mu);
		return error_set(&job->err, ERR_TEMP, "queue is closing");
	}
	if (q->wtail != NULL)
		q->wtail->next = job;
	else
		q->whead = job;
	q->wtail = job;
	/* A gathering writer waits for the last receiving session only. */
	wake = !q->wgathering || q->receiving == 0;
	pthread_mutex_unlock(&q->lock);
	if (wake)
		pthread_cond_signal(&q->wcond);
	pthread_mutex_lock(&job->mu);
	while (!job->done)
		pthread_cond_wait(&job->cond, &job->mu);
	pthread_mutex_unlock(&job->mu);
	pthread_cond_destroy(&job->cond);
	pthread_mutex_destroy(&job->mu);
	return job->rc;
}
