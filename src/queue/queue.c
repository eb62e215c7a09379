/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue.c: opening and recovering the queue, submitting messages (the caller
 * side of group commit: validate, route, write a large body to its file,
 * hand the job to the writer and wait), reading bodies, and the admin views
 * (list, message info, counts, integrity).  See queue.h for the design and
 * queue_private.h for the threads and locks.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "queue/queue_private.h"

static const uint32_t default_retry[] = {
	60, 300, 900, 1800, 3600, 7200, 14400
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS messages ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"	/* ids never reused */
	" return_path TEXT NOT NULL,"
	" submit_tag TEXT NOT NULL,"
	" source_ip TEXT, auth_user TEXT, envid TEXT,"
	" ret INTEGER NOT NULL DEFAULT 0,"
	" received INTEGER NOT NULL,"
	" size INTEGER NOT NULL,"
	" body BLOB, body_file TEXT);"
	"CREATE TABLE IF NOT EXISTS recipients ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" msg_id INTEGER NOT NULL,"
	" address TEXT NOT NULL, orcpt TEXT,"
	" notify INTEGER NOT NULL DEFAULT 0,"
	" module TEXT NOT NULL, target TEXT NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS rcpt_msg ON recipients(msg_id);"
	"CREATE INDEX IF NOT EXISTS rcpt_ready ON"
	" recipients(module, state, next_attempt);";

/* The "delayed" DSN flag (WarnAfter) of recipients: added to a queue made
 * before it existed. */
static int
add_warned_column(struct queue *q, struct error *err_r)
{
	struct error e;

	if (db_exec(&q->wdb, "SELECT warned FROM recipients LIMIT 0", &e) == 0)
		return 0;
	return db_exec(&q->wdb, "ALTER TABLE recipients ADD COLUMN warned"
	    " INTEGER NOT NULL DEFAULT 0", err_r);
}

void
queue_set_warn_after(struct queue *q, uint32_t secs)
{
	atomic_store(&q->warn_after, secs);
}

int64_t
queue_now(struct queue *q)
{
	if (q->clock != NULL)
		return q->clock(q->clock_arg);
	return (int64_t)time(NULL);
}

uint32_t
queue_retry_delay(const struct queue *q, uint32_t attempts)
{
	size_t i;

	i = attempts == 0 ? 0 : attempts - 1;
	if (i >= q->nretry)
		i = q->nretry - 1;
	return q->retry[i];
}

void
queue_emit(struct queue *q, enum queue_event ev, uint64_t msg_id,
    const char *address, const char *text)
{
	queue_event_fn fn;
	void *arg;

	pthread_mutex_lock(&q->lock);
	fn = q->event;
	arg = q->event_arg;
	pthread_mutex_unlock(&q->lock);
	if (fn != NULL)
		fn(arg, ev, msg_id, address, text);
}

void
queue_bcache_set(struct queue *q, uint64_t id, char *data, size_t len)
{
	struct queue_bcache *b = &q->bcache[id % QUEUE_BCACHE_SLOTS];
	char *old = NULL;

	pthread_mutex_lock(&q->bclock);
	if (data != NULL || b->id == id) {
		old = b->data;
		b->id = id;
		b->data = data;
		b->len = len;
	}
	pthread_mutex_unlock(&q->bclock);
	free(old);
}

/* Appends the cached body of id to out; false when it is not cached. */
static bool
bcache_get(struct queue *q, uint64_t id, struct buf *out)
{
	struct queue_bcache *b = &q->bcache[id % QUEUE_BCACHE_SLOTS];
	bool hit;

	pthread_mutex_lock(&q->bclock);
	hit = b->data != NULL && b->id == id;
	if (hit)
		buf_append(out, b->data, b->len);
	pthread_mutex_unlock(&q->bclock);
	return hit;
}

static void
bcache_free(struct queue *q)
{
	size_t i;

	for (i = 0; i < QUEUE_BCACHE_SLOTS; i++) {
		free(q->bcache[i].data);
		q->bcache[i].data = NULL;
	}
}

/*
 * The project's pragmas (WAL, synchronous=FULL: a COMMIT returns after the
 * WAL is fsynced, the "250") and DB_FAST_DELETE: Debian's SQLite zeroes
 * freed pages by default, which for the queue (every body is deleted after
 * delivery) wrote each body a second time; the text lives on in the
 * account store anyway.
 */
#define QUEUE_DB_FLAGS	(DB_CREATE | DB_WAL | DB_FAST_DELETE)
#define QUEUE_BUSY_MS	10000

static int
mkdir_p1(const char *path, struct error *err_r)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return error_set(err_r, ERR_IO, "mkdir %s: %s", path,
		    strerror(errno));
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Removes body files no committed row names: written by a submitter whose
 * transaction never committed (crash, error) or left after a deletion whose
 * unlink did not happen.
 */
static int
remove_orphans(struct queue *q, struct error *err_r)
{
	sqlite3_stmt *st;
	char **names = NULL, *path;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *de;
	const char *key;

	if ((st = db_prep_once(&q->wdb, "SELECT body_file FROM messages"
	    " WHERE body_file IS NOT NULL", err_r)) == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, size_mul(cap, sizeof(*names)));
		}
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);

	if ((d = opendir(q->bodies)) == NULL) {
		while (n > 0)
			free(names[--n]);
		free(names);
		return error_set(err_r, ERR_IO, "opendir %s: %s", q->bodies,
		    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		key = de->d_name;
		if (n > 0 && bsearch(&key, names, n, sizeof(*names),
		    cmp_str) != NULL)
			continue;
		path = xasprintf("%s/%s", q->bodies, de->d_name);
		(void)fileio_remove(path, NULL);
		free(path);
	}
	closedir(d);
	while (n > 0)
		free(names[--n]);
	free(names);
	return 0;
}

struct queue *
queue_open(const struct queue_config *cfg, struct error *err_r)
{
	struct queue *q;
	char *path;
	size_t i;

	if (cfg->base_dir == NULL || strlen(cfg->base_dir) > QUEUE_PATH_MAX -
	    64) {
		error_set(err_r, ERR_SYNTAX, "queue: bad base directory");
		return NULL;
	}
	if (cfg->nretry > QUEUE_RETRY_STEPS_MAX || (cfg->retry != NULL &&
	    cfg->nretry == 0) || cfg->workers > QUEUE_WORKERS_MAX) {
		error_set(err_r, ERR_LIMIT, "queue: bad retry schedule or"
		    " worker count");
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->dir = xasprintf("%s/Queue", cfg->base_dir);
	q->bodies = xasprintf("%s/bodies", q->dir);
	q->max_time = cfg->max_queue_time ? cfg->max_queue_time :
	    QUEUE_DEFAULT_MAX_TIME;
	if (cfg->retry != NULL) {
		for (i = 0; i < cfg->nretry; i++)
			q->retry[i] = cfg->retry[i];
		q->nretry = cfg->nretry;
	} else {
		for (i = 0; i < N_ELEMENTS(default_retry); i++)
			q->retry[i] = default_retry[i];
		q->nretry = N_ELEMENTS(default_retry);
	}
	q->nworkers = cfg->workers ? cfg->workers : 4;
	q->large_body = cfg->large_body ? cfg->large_body : QUEUE_LARGE_BODY;
	q->clock = cfg->clock;
	q->clock_arg = cfg->clock_arg;
	q->main_domain = xstrdup("localhost");
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->rlock, NULL);
	pthread_mutex_init(&q->bclock, NULL);
	pthread_mutex_init(&q->pin_mu, NULL);
	pthread_cond_init(&q->wcond, NULL);
	pthread_cond_init(&q->scond, NULL);
	pthread_cond_init(&q->jcond, NULL);

	if (mkdir_p1(cfg->base_dir, err_r) < 0 || mkdir_p1(q->dir, err_r) < 0 ||
	    mkdir_p1(q->bodies, err_r) < 0)
		goto fail;
	path = xasprintf("%s/queue.db", q->dir);
	if (db_open(&q->wdb, path, QUEUE_DB_FLAGS, QUEUE_BUSY_MS, err_r) < 0 ||
	    db_exec_script(&q->wdb, schema, err_r) < 0 ||
	    add_warned_column(q, err_r) < 0 ||
	    db_open(&q->rdb, path, QUEUE_DB_FLAGS, QUEUE_BUSY_MS, err_r) < 0) {
		free(path);
		goto fail;
	}
	free(path);
	if (remove_orphans(q, err_r) < 0)
		goto fail;
	if (queue_writer_start(q, err_r) < 0)
		goto fail;
	return q;
fail:
	(void)db_close(&q->rdb);
	(void)db_close(&q->wdb);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->rlock);
	bcache_free(q);
	pthread_mutex_destroy(&q->bclock);
	queue_pin_free(q);
	pthread_cond_destroy(&q->wcond);
	pthread_cond_destroy(&q->scond);
	pthread_cond_destroy(&q->jcond);
	free(q->main_domain);
	free(q->bodies);
	free(q->dir);
	free(q);
	return NULL;
}

void
queue_close(struct queue **qp)
{
	struct queue *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	queue_sched_stop(q);
	queue_writer_stop(q);
	(void)db_close(&q->rdb);
	(void)db_close(&q->wdb);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->rlock);
	bcache_free(q);
	pthread_mutex_destroy(&q->bclock);
	queue_pin_free(q);
	pthread_cond_destroy(&q->wcond);
	pthread_cond_destroy(&q->scond);
	pthread_cond_destroy(&q->jcond);
	free(q->main_domain);
	free(q->bodies);
	free(q->dir);
	free(q);
}

void
queue_set_router(struct queue *q, queue_router_fn fn, void *arg)
{
	pthread_mutex_lock(&q->lock);
	q->router = fn;
	q->router_arg = arg;
	pthread_mutex_unlock(&q->lock);
}

void
queue_set_event_handler(struct queue *q, queue_event_fn fn, void *arg)
{
	pthread_mutex_lock(&q->lock);
	q->event = fn;
	q->event_arg = arg;
	pthread_mutex_unlock(&q->lock);
}

void
queue_set_main_domain(struct queue *q, const char *domain)
{
	char *old, *dom;

	dom = xstrndup(domain, strnlen(domain, DOMAIN_NAME_MAX));
	pthread_mutex_lock(&q->lock);
	old = q->main_domain;
	q->main_domain = dom;
	pthread_mutex_unlock(&q->lock);
	free(old);
}

void
queue_set_dispatcher(struct queue *q, const char *module,
    queue_dispatch_fn fn, void *arg)
{
	size_t i;

	if (strlen(module) > QUEUE_MODULE_MAX)
		return;
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->ndisp; i++)
		if (strcmp(q->disp[i].module, module) == 0)
			break;
	if (fn == NULL) {
		if (i < q->ndisp) {
			q->disp[i] = q->disp[q->ndisp - 1];
			q->ndisp--;
		}
	} else if (i < q->ndisp || q->ndisp < QUEUE_DISPATCHERS_MAX) {
		if (i == q->ndisp)
			q->ndisp++;
		memcpy(q->disp[i].module, module, strlen(module) + 1);
		q->disp[i].fn = fn;
		q->disp[i].arg = arg;
	}
	q->kicked = true;
	pthread_cond_signal(&q->scond);
	pthread_mutex_unlock(&q->lock);
}

void
queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicked = true;
	pthread_cond_signal(&q->scond);
	pthread_mutex_unlock(&q->lock);
}

int
queue_start(struct queue *q, struct error *err_r)
{
	return queue_sched_start(q, err_r);
}

static bool
text_ok(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

/* Writes and fsyncs a large body; its name goes into *name_r. */
static int
write_body_file(struct queue *q, const char *body, size_t len,
    char **name_r, struct error *err_r)
{
	struct timespec ts;
	char *name, *path;
	unsigned seq;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&q->lock);
	seq = q->file_seq++;
	pthread_mutex_unlock(&q->lock);
	name = xasprintf("%llx-%lx-%x-%u.body", (unsigned long long)ts.tv_sec,
	    (long)ts.tv_nsec, (unsigned)getpid(), seq);
	path = xasprintf("%s/%s", q->bodies, name);
	rc = fileio_write_new(path, body, len, 0600, FILEIO_FAULTS, err_r);
	free(path);
	if (rc < 0) {
		free(name);
		return -1;
	}
	*name_r = name;
	return 0;
}

int
queue_submit(struct queue *q, const struct queue_msg *msg, uint64_t *id_r,
    struct error *err_r)
{
	struct queue_route *routes;
	bool *refused;
	struct wjob job;
	queue_router_fn router;
	void *rarg;
	char *body_file = NULL;
	size_t i;
	int rc;

	if (msg->nrcpt == 0 || msg->rcpts == NULL)
		return error_set(err_r, ERR_SYNTAX, "no recipients");
	if (msg->nrcpt > QUEUE_RCPT_MAX)
		return error_set(err_r, ERR_LIMIT, "too many recipients");
	if (msg->body_len > QUEUE_BODY_MAX)
		return error_set(err_r, ERR_LIMIT, "message too large");
	if (msg->return_path == NULL || !text_ok(msg->return_path,
	    ADDRESS_MAX) || !text_ok(msg->submit_tag, QUEUE_TEXT_MAX) ||
	    !text_ok(msg->source_ip, QUEUE_TEXT_MAX) ||
	    !text_ok(msg->auth_user, QUEUE_TEXT_MAX) ||
	    !text_ok(msg->envid, QUEUE_TEXT_MAX))
		return error_set(err_r, ERR_LIMIT, "envelope field too long");
	for (i = 0; i < msg->nrcpt; i++)
		if (msg->rcpts[i].address == NULL ||
		    !text_ok(msg->rcpts[i].address, ADDRESS_MAX) ||
		    !text_ok(msg->rcpts[i].orcpt, QUEUE_TEXT_MAX))
			return error_set(err_r, ERR_LIMIT,
			    "recipient address too long");
	pthread_mutex_lock(&q->lock);
	router = q->router;
	rarg = q->router_arg;
	pthread_mutex_unlock(&q->lock);
	if (router == NULL)
		return error_set(err_r, ERR_INTERNAL, "queue has no router");

	/* The enqueuer routes each recipient once, here, in parallel. */
	routes = xcalloc(msg->nrcpt, sizeof(*routes));
	refused = xcalloc(msg->nrcpt, sizeof(*refused));
	for (i = 0; i < msg->nrcpt; i++) {
		if (router(rarg, msg->rcpts[i].address, &routes[i]) < 0 ||
		    routes[i].module[0] == '\0') {
			refused[i] = true;
			if (routes[i].error[0] == '\0')
				memcpy(routes[i].error, "address refused",
				    sizeof("address refused"));
		}
		routes[i].module[QUEUE_MODULE_MAX] = '\0';
		routes[i].target[QUEUE_TARGET_MAX] = '\0';
		routes[i].error[QUEUE_TEXT_MAX] = '\0';
	}
	if (msg->body_len > q->large_body && write_body_file(q, msg->body,
	    msg->body_len, &body_file, err_r) < 0) {
		free(routes);
		free(refused);
		return -1;
	}

	memset(&job, 0, sizeof(job));
	job.kind = WJOB_SUBMIT;
	job.msg = msg;
	job.routes = routes;
	job.refused = refused;
	job.body_file = body_file;
	rc = queue_writer_run(q, &job);
	/*
	 * On failure the body file stays: a COMMIT whose fsync failed can
	 * still be in the WAL and come back after a crash, naming the file
	 * (tests/unit/queue/queue_fault_test.c).  queue_open() removes it
	 * when no row names it.
	 */
	if (rc < 0) {
		if (err_r != NULL)
			*err_r = job.err;
	} else if (id_r != NULL)
		*id_r = job.id_r;
	free(body_file);
	free(routes);
	free(refused);
	return rc;
}

/* Reads at most max bytes of a body file into out. */
static int
read_file(const char *path, size_t max, struct buf *out, struct error *err_r)
{
	if (fileio_read(path, 0, max, false, out, err_r) < 0)
		return -1;
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "message body too large");
	return 0;
}

int
queue_load_body(struct queue *q, struct db *db, uint64_t id, size_t max,
    struct buf *out, struct error *err_r)
{
	sqlite3_stmt *st;
	char *path = NULL;
	const void *p;
	size_t len;
	int rc;

	if ((st = db_prep(db, "SELECT body, body_file FROM messages"
	    " WHERE id = ?", err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			error_set(err_r, ERR_NOTFOUND,
			    "message %llu is not queued",
			    (unsigned long long)id);
		else
			db_error(db, err_r, "queue");
		db_done(db, st);
		return -1;
	}
	if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
		path = xasprintf("%s/%s", q->bodies,
		    (const char *)sqlite3_column_text(st, 1));
	else {
		p = sqlite3_column_blob(st, 0);
		len = (size_t)sqlite3_column_bytes(st, 0);
		if (len > max)
			len = max;
		if (p != NULL)
			buf_append(out, p, len);
	}
	db_done(db, st);
	if (path != NULL) {
		rc = read_file(path, max, out, err_r);
		free(path);
		return rc;
	}
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "message body too large");
	return 0;
}

int
queue_read_body(struct queue *q, uint64_t id, struct buf *out,
    struct error *err_r)
{
	sqlite3_stmt *st;
	char *name = NULL, *path;
	const void *p;
	int rc;

	/* Just committed: the copy kept in memory. */
	if (bcache_get(q, id, out))
		return out->err != 0 ? error_set(err_r, ERR_LIMIT,
		    "message body too large") : 0;
	/* Only the name is read under the lock; a large file is read after. */
	pthread_mutex_lock(&q->rlock);
	if ((st = db_prep(&q->rdb, "SELECT body, body_file FROM messages"
	    " WHERE id = ?", err_r)) == NULL) {
		pthread_mutex_unlock(&q->rlock);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
			name = xstrdup((const char *)sqlite3_column_text(st,
			    1));
		else {
			p = sqlite3_column_blob(st, 0);
			if (p != NULL)
				buf_append(out, p,
				    (size_t)sqlite3_column_bytes(st, 0));
		}
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = error_set(err_r, ERR_NOTFOUND,
		    "message %llu is not queued", (unsigned long long)id);
	else
		rc = db_error(&q->rdb, err_r, "queue");
	db_done(&q->rdb, st);
	pthread_mutex_unlock(&q->rlock);
	if (rc < 0)
		return -1;
	if (name != NULL) {
		path = xasprintf("%s/%s", q->bodies, name);
		rc = read_file(path, QUEUE_BODY_MAX, out, err_r);
		free(path);
		free(name);
		return rc;
	}
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "message body too large");
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return xstrdup((const char *)sqlite3_column_text(st, i));
}

#define MSG_COLS "id, return_path, submit_tag, source_ip, auth_user, envid," \
	" ret, received, size, body_file"

static void
fill_msg(sqlite3_stmt *st, struct queue_msg_info *m)
{
	memset(m, 0, sizeof(*m));
	m->id = (uint64_t)sqlite3_column_int64(st, 0);
	m->return_path = col_dup(st, 1);
	m->submit_tag = col_dup(st, 2);
	m->source_ip = col_dup(st, 3);
	m->auth_user = col_dup(st, 4);
	m->envid = col_dup(st, 5);
	m->ret = (enum queue_ret)sqlite3_column_int(st, 6);
	m->received = sqlite3_column_int64(st, 7);
	m->size = (uint64_t)sqlite3_column_int64(st, 8);
	m->body_file = col_dup(st, 9);
}

/* Loads m's recipients (pending ones only if pending_only); under rlock. */
static int
load_rcpts(struct queue *q, struct queue_msg_info *m, bool pending_only,
    struct error *err_r)
{
	sqlite3_stmt *st;
	struct queue_rcpt_info *r;
	size_t cap = 0;
	int rc;

	if ((st = db_prep(&q->rdb, pending_only ?
	    "SELECT id, address, orcpt, notify, module, target, state,"
	    " attempts, next_attempt, last_error FROM recipients"
	    " WHERE msg_id = ? AND state = 0 ORDER BY id" :
	    "SELECT id, address, orcpt, notify, module, target, state,"
	    " attempts, next_attempt, last_error FROM recipients"
	    " WHERE msg_id = ? ORDER BY id", err_r)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->nrcpt == cap) {
			cap = cap ? cap * 2 : 4;
			m->rcpts = xrealloc(m->rcpts, size_mul(cap,
			    sizeof(*m->rcpts)));
		}
		r = &m->rcpts[m->nrcpt++];
		memset(r, 0, sizeof(*r));
		r->id = (uint64_t)sqlite3_column_int64(st, 0);
		r->address = col_dup(st, 1);
		r->orcpt = col_dup(st, 2);
		r->notify = (unsigned)sqlite3_column_int(st, 3);
		r->module = col_dup(st, 4);
		r->target = col_dup(st, 5);
		r->state = (enum queue_rcpt_state)sqlite3_column_int(st, 6);
		r->attempts = (uint32_t)sqlite3_column_int64(st, 7);
		r->next_attempt = sqlite3_column_int64(st, 8);
		r->last_error = col_dup(st, 9);
		r->in_delivery = r->state == QUEUE_RCPT_PENDING &&
		    queue_in_flight(q, r->module, r->target);
	}
	if (rc != SQLITE_DONE)
		db_error(&q->rdb, err_r, "queue");
	db_done(&q->rdb, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
queue_msg_info_clear(struct queue_msg_info *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].orcpt);
		free(m->rcpts[i].module);
		free(m->rcpts[i].target);
		free(m->rcpts[i].last_error);
	}
	free(m->rcpts);
	free(m->return_path);
	free(m->submit_tag);
	free(m->source_ip);
	free(m->auth_user);
	free(m->envid);
	free(m->body_file);
	memset(m, 0, sizeof(*m));
}

void
queue_list_free(struct queue_msg_info **list, size_t n)
{
	size_t i;

	if (*list == NULL)
		return;
	for (i = 0; i < n; i++)
		queue_msg_info_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

int
queue_list(struct queue *q, size_t max, struct queue_msg_info **list_r,
    size_t *n_r, struct error *err_r)
{
	struct queue_msg_info *list = NULL;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	int rc = 0;

	pthread_mutex_lock(&q->rlock);
	/* One read transaction so messages and recipients agree. */
	(void)db_begin_read(&q->rdb, NULL);
	if ((st = db_prep(&q->rdb, "SELECT " MSG_COLS " FROM messages"
	    " WHERE EXISTS (SELECT 1 FROM recipients r WHERE"
	    " r.msg_id = messages.id AND r.state = 0) ORDER BY id LIMIT ?",
	    err_r)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(max > INT64_MAX ?
	    INT64_MAX : max));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			list = xrealloc(list, size_mul(cap, sizeof(*list)));
		}
		fill_msg(st, &list[n++]);
	}
	db_done(&q->rdb, st);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = load_rcpts(q, &list[i], true, err_r);
out:
	db_rollback(&q->rdb);	/* it only read */
	pthread_mutex_unlock(&q->rlock);
	if (rc < 0) {
		queue_list_free(&list, n);
		return -1;
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

int
queue_message_info(struct queue *q, uint64_t id,
    struct queue_msg_info *info_r, struct error *err_r)
{
	sqlite3_stmt *st;
	int rc;

	memset(info_r, 0, sizeof(*info_r));
	pthread_mutex_lock(&q->rlock);
	(void)db_begin_read(&q->rdb, NULL);
	if ((st = db_prep(&q->rdb, "SELECT " MSG_COLS " FROM messages"
	    " WHERE id = ?", err_r)) == NULL) {
		rc = -1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		fill_msg(st, info_r);
		rc = 0;
	} else
		rc = error_set(err_r, ERR_NOTFOUND,
		    "message %llu is not queued", (unsigned long long)id);
	db_done(&q->rdb, st);
	if (rc == 0)
		rc = load_rcpts(q, info_r, false, err_r);
out:
	db_rollback(&q->rdb);	/* it only read */
	pthread_mutex_unlock(&q->rlock);
	if (rc < 0)
		queue_msg_info_clear(info_r);
	return rc;
}

static int
count_query(struct queue *q, const char *sql, uint64_t *v_r,
    struct error *err_r)
{
	sqlite3_stmt *st;

	if ((st = db_prep(&q->rdb, sql, err_r)) == NULL)
		return -1;
	*v_r = sqlite3_step(st) == SQLITE_ROW ?
	    (uint64_t)sqlite3_column_int64(st, 0) : 0;
	db_done(&q->rdb, st);
	return 0;
}

int
queue_counts(struct queue *q, struct queue_counts *c_r, struct error *err_r)
{
	struct queue_flight *f;
	uint64_t msgs, pend;
	int rc;

	pthread_mutex_lock(&q->rlock);
	rc = count_query(q, "SELECT count(*) FROM messages", &msgs, err_r);
	if (rc == 0)
		rc = count_query(q, "SELECT count(*) FROM recipients"
		    " WHERE state = 0", &pend, err_r);
	pthread_mutex_unlock(&q->rlock);
	if (rc < 0)
		return -1;
	pthread_mutex_lock(&q->lock);
	*c_r = q->stats;
	c_r->rcpts_in_delivery = 0;
	for (f = q->flights; f != NULL; f = f->next)
		c_r->rcpts_in_delivery += f->nrcpt;
	pthread_mutex_unlock(&q->lock);
	c_r->messages = msgs;
	c_r->rcpts_pending = pend;
	return 0;
}

int
queue_check_integrity(struct queue *q, struct error *err_r)
{
	struct error err;
	int rc;

	pthread_mutex_lock(&q->rlock);
	rc = db_check_integrity(&q->rdb, &err);
	pthread_mutex_unlock(&q->rlock);
	if (rc < 0)
		error_set(err_r, err.kind, "queue %s", err.msg);
	return rc;
}

int
queue_reject_message(struct queue *q, uint64_t id, const char *text,
    struct error *err_r)
{
	struct wjob job;

	memset(&job, 0, sizeof(job));
	job.kind = WJOB_REJECT;
	job.id = id;
	job.text = text != NULL ? text : "rejected by the administrator";
	if (queue_writer_run(q, &job) < 0) {
		if (err_r != NULL)
			*err_r = job.err;
		return -1;
	}
	return 0;
}

int
queue_release(struct queue *q, const char *module, const char *target,
    size_t *n_r, struct error *err_r)
{
	struct wjob job;

	memset(&job, 0, sizeof(job));
	job.kind = WJOB_RELEASE;
	job.module = module;
	job.target = target;
	if (queue_writer_run(q, &job) < 0) {
		if (err_r != NULL)
			*err_r = job.err;
		return -1;
	}
	if (n_r != NULL)
		*n_r = job.count_r;
	queue_kick(q);
	return 0;
}
