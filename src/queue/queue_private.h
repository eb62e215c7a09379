/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_private.h: the queue's internals, shared by queue.c (open, submit,
 * reads, admin), queue_writer.c (the one writer thread and its
 * transactions) and queue_sched.c (scheduler and delivery workers).
 *
 * Threads and locks:
 *   - the writer thread owns q->wdb; every change to the database goes
 *     through it as a struct wjob (group commit);
 *   - q->rdb is the read connection (WAL readers never block the writer),
 *     used under q->rlock by the scheduler and the admin/read calls;
 *   - q->lock guards the writer's job list, the settings (router,
 *     dispatchers, main domain), the in-flight targets and the counters.
 */
#ifndef TEGAMI_QUEUE_QUEUE_PRIVATE_H
#define TEGAMI_QUEUE_QUEUE_PRIVATE_H

#include "lib/compat.h"

#include <stdatomic.h>

#include <pthread.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "queue/queue.h"

#define QUEUE_DISPATCHERS_MAX	16	/* registered modules */
#define QUEUE_SCAN_MAX		10000	/* recipients looked at per scan */
#define QUEUE_POLL_MAX		5	/* seconds the scheduler sleeps at most */
#define QUEUE_PATH_MAX		4096
#define QUEUE_BCACHE_SLOTS	512	/* bodies kept in memory for delivery */
#define QUEUE_BCACHE_BODY_MAX	(64 * 1024)	/* larger ones are not kept */

enum wjob_kind {
	WJOB_SUBMIT,
	WJOB_OUTCOMES,
	WJOB_REJECT,
	WJOB_RELEASE
};

/* One unit of work for the writer; lives on the caller's stack until done. */
struct wjob {
	enum wjob_kind		 kind;
	struct wjob		*next;
	/* WJOB_SUBMIT */
	const struct queue_msg	*msg;
	const struct queue_route *routes;	/* per recipient */
	const bool		*refused;	/* per recipient */
	const char		*body_file;	/* large body already written */
	/* WJOB_OUTCOMES */
	const struct queue_item	*items;
	size_t			 nitems;
	/* WJOB_REJECT (id, text), WJOB_RELEASE (module, target) */
	uint64_t		 id;
	const char		*text;
	const char		*module;
	const char		*target;
	/* results */
	pthread_mutex_t		 mu;		/* guards done */
	pthread_cond_t		 cond;		/* signalled when done */
	bool			 done;
	int			 rc;
	struct error		 err;
	uint64_t		 id_r;
	size_t			 count_r;
};

struct queue_disp {
	char			 module[QUEUE_MODULE_MAX + 1];
	queue_dispatch_fn	 fn;
	void			*arg;
};

/* A (module, target) a worker is delivering to now. */
struct queue_flight {
	struct queue_flight	*next;
	char			*module;
	char			*target;
	size_t			 nrcpt;
};

/* A batch for one worker. */
struct queue_djob {
	struct queue_djob	*next;
	char			*module;
	char			*target;
	queue_dispatch_fn	 fn;
	void			*arg;
	struct queue_item	*items;
	size_t			 n;
};

struct queue {
	char			*dir;		/* <base>/Queue */
	char			*bodies;	/* <base>/Queue/bodies */
	uint32_t		 max_time;
	_Atomic uint32_t	 warn_after;	/* 0: no "delayed" DSN */
	uint32_t		 retry[QUEUE_RETRY_STEPS_MAX];
	size_t			 nretry;
	unsigned		 nworkers;
	size_t			 large_body;
	queue_clock_fn		 clock;
	void			*clock_arg;

	struct db		 wdb;		/* writer thread only */
	struct db		 rdb;		/* under rlock */
	pthread_mutex_t		 rlock;
	/*
	 * Bodies of recently committed messages (direct-mapped by id), so
	 * delivery need not read back what was just written.  Only the
	 * writer changes it, after a commit, in commit order: a message
	 * inserted sets its slot (or clears it: body too large or in a
	 * file), a deleted one clears it, so a reused id never finds an
	 * old body.  The database stays the truth; empty after a restart.
	 */
	pthread_mutex_t		 bclock;
	struct queue_bcache {
		uint64_t	 id;
		char		*data;		/* NULL: empty */
		size_t		 len;
	}			 bcache[QUEUE_BCACHE_SLOTS];

	pthread_mutex_t		 lock;
	/* writer */
	pthread_cond_t		 wcond;		/* jobs for the writer */
	struct wjob		*whead, *wtail;
	bool			 wstop;
	unsigned		 receiving;	/* bodies being received */
	bool			 wgathering;	/* writer holds for them */
	pthread_t		 wthread;
	/* settings */
	queue_router_fn		 router;
	void			*router_arg;
	queue_event_fn		 event;
	void			*event_arg;
	char			*main_domain;
	struct queue_disp	 disp[QUEUE_DISPATCHERS_MAX];
	size_t			 ndisp;
	/* scheduler and workers */
	bool			 started;
	bool			 sstop;
	bool			 kicked;
	pthread_cond_t		 scond;		/* wakes the scheduler */
	pthread_cond_t		 jcond;		/* wakes workers */
	struct queue_djob	*jhead, *jtail;
	struct queue_flight	*flights;
	pthread_t		 sthread;
	pthread_t		*workers;
	/* counters */
	struct queue_counts	 stats;
	unsigned		 file_seq;

	/*
	 * Online backup (queue_backup()): while pinned > 0 the writer does
	 * not remove body files of deleted messages but keeps their names
	 * in deferred; the last backup to end removes them.
	 */
	pthread_mutex_t		 pin_mu;
	unsigned		 pinned;
	char			**deferred;
	size_t			 ndeferred, defcap;
};

/* queue.c */
int64_t	queue_now(struct queue *q);
uint32_t queue_retry_delay(const struct queue *q, uint32_t attempts);
void	queue_emit(struct queue *q, enum queue_event ev, uint64_t msg_id,
	    const char *address, const char *text);
/* Body cache (see struct queue): sets id's slot to a copy of data (len
 * bytes; data NULL clears it), takes ownership of data. */
void	queue_bcache_set(struct queue *q, uint64_t id, char *data, size_t len);
/* Reads at most max bytes of the stored body (blob or file) into out. */
int	queue_load_body(struct queue *q, struct db *db, uint64_t id, size_t max,
	    struct buf *out, struct error *err_r);

/* queue_backup.c: removes the body file name now, or after the running
 * backups when the bodies are pinned; takes ownership of name. */
void	queue_unlink_body(struct queue *q, char *name);
void	queue_pin_free(struct queue *q);

/* queue_writer.c */
int	queue_writer_start(struct queue *q, struct error *err_r);
void	queue_writer_stop(struct queue *q);
/* Hands job to the writer and waits until it is committed (or failed). */
int	queue_writer_run(struct queue *q, struct wjob *job);

/* queue_sched.c */
int	queue_sched_start(struct queue *q, struct error *err_r);
void	queue_sched_stop(struct queue *q);
bool	queue_in_flight(struct queue *q, const char *module, const char *target);
/* The flight of (module, target), or NULL; under q->lock. */
struct queue_flight *queue_flight_locked(struct queue *q, const char *module,
	    const char *target);

#endif
