/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue.h: the durable message queue.
 *
 * Messages live in <base>/Queue/queue.db (SQLite, WAL, synchronous=FULL).
 * Small bodies are stored in the database; bodies over the large-body
 * threshold go to <base>/Queue/bodies/<name>, written and fsynced before the
 * transaction that names them commits.
 *
 * Group commit: queue_submit() may be called by many session threads at
 * once.  It hands the message to the one writer thread and blocks until the
 * writer has committed it; the writer takes everything pending (up to
 * QUEUE_BATCH_MSGS messages or QUEUE_BATCH_BYTES bytes) and commits it in one
 * transaction, so one fsync acknowledges many sessions.  Delivery outcomes,
 * releases and rejections go through the same writer.
 *
 * The queue knows no modules.  Each recipient is routed once, at submit time,
 * through the router callback (module name + target, or a permanent error).
 * After queue_start(), a scheduler hands ready recipients to the dispatcher
 * registered for their module, on a small pool of worker threads, in batches
 * of ALL ready recipients of one (module, target) -- so local delivery can
 * store several messages to one account in one transaction (idempotent with
 * the queue id).  Recipients of a module without a dispatcher stay pending
 * and are listed, never dropped.  Temporary failures are retried on a
 * schedule until the maximum time in queue; permanent failures produce an
 * RFC 3464 delivery status notification to the return-path (never for <>),
 * written in the same transaction as the failure.  A message is deleted
 * (with its body file) once all its recipients are final.
 *
 * Recovery: queue_open() after a crash lets SQLite recover the WAL and
 * removes body files no row names.  "In delivery" is kept in memory only,
 * so everything not recorded as final is simply pending again.
 *
 * The queue core never logs: it reports through the event callback.
 */
#ifndef TEGAMI_QUEUE_QUEUE_H
#define TEGAMI_QUEUE_QUEUE_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"

#define QUEUE_BODY_MAX		(256UL * 1024 * 1024)	/* one message body */
#define QUEUE_LARGE_BODY	(256 * 1024)	/* default: bigger bodies go to files */
#define QUEUE_RCPT_MAX		10000	/* recipients of one message */
#define QUEUE_BATCH_MSGS	256	/* writer jobs per transaction */
#define QUEUE_BATCH_BYTES	(64UL * 1024 * 1024)	/* bytes per transaction */
#define QUEUE_GATHER_US		300	/* a commit waits for bodies being received */
#define QUEUE_DISPATCH_MAX	1000	/* recipients per dispatcher call */
#define QUEUE_MODULE_MAX	15	/* "LOCAL", "SMTP", "PIPE" ... */
#define QUEUE_TARGET_MAX	1100	/* account@domain, host, program */
#define QUEUE_TEXT_MAX		255	/* error texts, ORCPT, ENVID, tags */
#define QUEUE_WORKERS_MAX	64
#define QUEUE_RETRY_STEPS_MAX	32
#define QUEUE_DSN_FULL_MAX	(1024 * 1024)	/* RET=FULL beyond this: headers */
#define QUEUE_DEFAULT_MAX_TIME	(5 * 24 * 3600)	/* MaxQueueTime: 5 days */

/* RFC 3461 NOTIFY bits; 0 means the default (FAILURE, DELAY). */
#define QUEUE_NOTIFY_NEVER	0x1
#define QUEUE_NOTIFY_SUCCESS	0x2
#define QUEUE_NOTIFY_FAILURE	0x4
#define QUEUE_NOTIFY_DELAY	0x8

/* RFC 3461 RET. */
enum queue_ret {
	QUEUE_RET_DEFAULT = 0,	/* headers only */
	QUEUE_RET_HDRS,
	QUEUE_RET_FULL
};

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING = 0,
	QUEUE_RCPT_DELIVERED,
	QUEUE_RCPT_FAILED
};

/* One recipient given to queue_submit(). */
struct queue_rcpt {
	const char	*address;	/* as given in RCPT TO, no <> */
	const char	*orcpt;		/* RFC 3461 ORCPT ("rfc822;a@b") or NULL */
	unsigned	 notify;	/* QUEUE_NOTIFY_* bits, 0 = default */
};

/* A message given to queue_submit(); everything is borrowed for the call. */
struct queue_msg {
	const char		*return_path;	/* "" for <> */
	const char		*submit_tag;	/* "SMTP", "PIPE", "DSN" ... */
	const char		*source_ip;	/* peer address or NULL */
	const char		*auth_user;	/* authenticated sender or NULL */
	const char		*envid;		/* RFC 3461 ENVID or NULL */
	enum queue_ret		 ret;
	const struct queue_rcpt	*rcpts;
	size_t			 nrcpt;		/* 1..QUEUE_RCPT_MAX */
	const char		*body;		/* the message text, CRLF lines */
	size_t			 body_len;	/* <= QUEUE_BODY_MAX */
};

/* What the router callback returns for one recipient. */
struct queue_route {
	char	module[QUEUE_MODULE_MAX + 1];	/* dispatcher name */
	char	target[QUEUE_TARGET_MAX + 1];	/* batch key within module */
	char	error[QUEUE_TEXT_MAX + 1];	/* refused: the reason */
};

/*
 * Routes address.  0 with module and target filled, or -1 with error filled:
 * the recipient then fails permanently with that text (and a DSN is sent).
 * Called from submitting threads and the writer thread; must be thread-safe.
 */
typedef int	(*queue_router_fn)(void *arg, const char *address,
		    struct queue_route *route_r);

enum queue_outcome {
	QUEUE_OUT_DELIVERED = 0,
	QUEUE_OUT_TEMPFAIL,	/* retry later on the schedule */
	QUEUE_OUT_PERMFAIL	/* final; DSN to the return-path */
};

/* One recipient handed to a dispatcher.  Pointers are valid for the call. */
struct queue_item {
	uint64_t		 msg_id;	/* the queue id */
	uint64_t		 rcpt_id;
	const char		*return_path;	/* "" for <> */
	const char		*address;	/* as given */
	const char		*orcpt;		/* or NULL */
	const char		*envid;		/* or NULL */
	enum queue_ret		 ret;		/* RFC 3461 RET of the message */
	unsigned		 notify;
	uint32_t		 attempts;	/* failed attempts so far */
	uint64_t		 size;		/* body size */
	int64_t			 received;	/* time queued */
	/* Filled by the dispatcher; on entry TEMPFAIL "no outcome given".
	 * A dispatcher may also clear QUEUE_NOTIFY_SUCCESS in notify when
	 * the next hop took over the DSN duty (SMTP relay to a DSN host). */
	enum queue_outcome	 outcome;
	char			 error[QUEUE_TEXT_MAX + 1];
};

struct queue;

/*
 * Delivers items (all for module/target, n <= QUEUE_DISPATCH_MAX, sorted by
 * msg_id) and sets each item's outcome and error.  Runs on a worker thread;
 * one (module, target) is never in two calls at once.  Bodies are read with
 * queue_read_body().
 */
typedef void	(*queue_dispatch_fn)(void *arg, struct queue *q,
		    const char *module, const char *target,
		    struct queue_item *items, size_t n);

/*
 * Records now (committed when it returns) the outcomes a dispatcher has
 * already decided for items[0..n) -- DELIVERED or PERMFAIL; a TEMPFAIL is
 * recorded as usual -- so that a crash later in a long dispatcher call does
 * not repeat them (SMTP out reports each message after its 250).  The
 * outcomes recorded again when the call returns change nothing (a final
 * recipient stays final, no second DSN).  Called from the dispatcher's
 * thread.  -1 with err_r (disk, database).
 */
int	queue_report(struct queue *q, const struct queue_item *items,
	    size_t n, struct error *err_r);

enum queue_event {
	QUEUE_EV_ENQUEUED,	/* message committed; text = return-path */
	QUEUE_EV_DELIVERED,	/* address delivered */
	QUEUE_EV_DEFERRED,	/* temporary failure; text = reason */
	QUEUE_EV_FAILED,	/* permanent failure; text = reason */
	QUEUE_EV_DSN,		/* a DSN was queued; msg_id = the DSN's id */
	QUEUE_EV_ERROR		/* internal problem (disk, database); text */
};

/* Called from queue threads, never with a queue lock held; address may be
 * NULL.  For the daemon's log. */
typedef void	(*queue_event_fn)(void *arg, enum queue_event ev,
		    uint64_t msg_id, const char *address, const char *text);

/* Returns "now" in seconds since the epoch; injectable for tests. */
typedef int64_t	(*queue_clock_fn)(void *arg);

struct queue_config {
	const char	*base_dir;	/* the queue lives in <base_dir>/Queue */
	uint32_t	 max_queue_time;	/* seconds; 0 = 5 days */
	/* Delays after the 1st, 2nd ... failure; the last repeats.  NULL =
	 * 1m 5m 15m 30m 1h 2h 4h.  nretry <= QUEUE_RETRY_STEPS_MAX. */
	const uint32_t	*retry;
	size_t		 nretry;
	unsigned	 workers;	/* delivery threads; 0 = 4 */
	size_t		 large_body;	/* 0 = QUEUE_LARGE_BODY */
	queue_clock_fn	 clock;		/* NULL = time() */
	void		*clock_arg;
};

/*
 * Opens (creating if needed) the queue under cfg->base_dir, recovers after a
 * crash (WAL, orphan body files) and starts the writer thread: submits work
 * from here on.  Delivery starts with queue_start().  NULL on error.
 */
struct queue	*queue_open(const struct queue_config *cfg, struct error *err_r);

/* Setters; call before queue_start() (safe later too). */
void	queue_set_router(struct queue *q, queue_router_fn fn, void *arg);
void	queue_set_event_handler(struct queue *q, queue_event_fn fn, void *arg);
/* The domain DSNs come from (MAILER-DAEMON@domain); copied. */
void	queue_set_main_domain(struct queue *q, const char *domain);
/* Registers the dispatcher for module (copied name); fn NULL removes it. */
void	queue_set_dispatcher(struct queue *q, const char *module,
	    queue_dispatch_fn fn, void *arg);

/* WarnAfter: a recipient still pending this long after the message was
 * queued gets ONE "delayed" DSN (RFC 3464 action delayed; NOTIFY default or
 * DELAY; never to <>), sent with the first temporary failure past that
 * time.  0 (the default) sends none.  Safe at any time. */
void	queue_set_warn_after(struct queue *q, uint32_t secs);

/* Starts the scheduler and the worker threads.  0 or -1. */
int	queue_start(struct queue *q, struct error *err_r);

/*
 * Stores msg durably and returns its queue id in *id_r; blocks until the
 * transaction holding it is committed (fsynced).  Each recipient is routed
 * now; refused recipients fail at once (DSN as usual).  Thread-safe.
 * -1 with ERR_LIMIT (sizes), ERR_SYNTAX (no recipients), ERR_IO/ERR_TEMP
 * (disk, database) -- then nothing is acknowledged.
 */
int	queue_submit(struct queue *q, const struct queue_msg *msg,
	    uint64_t *id_r, struct error *err_r);

/*
 * A session tells the queue that it began (true) or stopped (false)
 * receiving a message body it is about to submit.  While any body is being
 * received, the writer holds a commit for up to QUEUE_GATHER_US so that one
 * fsync covers those messages too; it commits at once when the last of them
 * is handed over.  Each begin must be paired with one end.  Thread-safe.
 */
void	queue_receiving(struct queue *q, bool begin);

/* Appends the body of message id to out (bounded by out's ceiling).
 * -1 with ERR_NOTFOUND, ERR_IO or ERR_LIMIT. */
int	queue_read_body(struct queue *q, uint64_t id, struct buf *out,
	    struct error *err_r);

/* A recipient as shown by the admin interfaces. */
struct queue_rcpt_info {
	uint64_t		 id;
	char			*address;
	char			*orcpt;		/* or NULL */
	unsigned		 notify;
	char			*module;
	char			*target;
	enum queue_rcpt_state	 state;
	bool			 in_delivery;	/* a dispatcher has it now */
	uint32_t		 attempts;
	int64_t			 next_attempt;
	char			*last_error;	/* or NULL */
};

struct queue_msg_info {
	uint64_t		 id;
	char			*return_path;
	char			*submit_tag;
	char			*source_ip;	/* or NULL */
	char			*auth_user;	/* or NULL */
	char			*envid;		/* or NULL */
	enum queue_ret		 ret;
	int64_t			 received;
	uint64_t		 size;
	char			*body_file;	/* name under Queue/bodies or NULL */
	struct queue_rcpt_info	*rcpts;
	size_t			 nrcpt;
};

/*
 * Lists up to max messages (oldest first) with their PENDING recipients.
 * The caller frees with queue_list_free().  0 or -1.
 */
int	queue_list(struct queue *q, size_t max, struct queue_msg_info **list_r,
	    size_t *n_r, struct error *err_r);
void	queue_list_free(struct queue_msg_info **list, size_t n);
/* One message with all its recipients; free with queue_msg_info_clear().
 * -1 with ERR_NOTFOUND when it is not (or no longer) queued. */
int	queue_message_info(struct queue *q, uint64_t id,
	    struct queue_msg_info *info_r, struct error *err_r);
void	queue_msg_info_clear(struct queue_msg_info *info);

/* CLI RejectQueueMessage: fails every pending recipient of id with text
 * (NULL: "rejected by the administrator"), DSN as usual.  ERR_NOTFOUND. */
int	queue_reject_message(struct queue *q, uint64_t id, const char *text,
	    struct error *err_r);

/* Retries now every pending recipient of module whose target is target
 * (NULL: all of the module).  Sets *n_r (may be NULL) to how many. */
int	queue_release(struct queue *q, const char *module, const char *target,
	    size_t *n_r, struct error *err_r);

/* Asks the scheduler to look for ready recipients now (after the injected
 * clock moved, say). */
void	queue_kick(struct queue *q);

struct queue_counts {
	uint64_t	messages;		/* queued now */
	uint64_t	rcpts_pending;		/* pending now */
	uint64_t	rcpts_in_delivery;	/* with a dispatcher now */
	uint64_t	delivered;		/* since open */
	uint64_t	failed;			/* since open */
	uint64_t	dsns;			/* generated since open */
	uint64_t	transactions;		/* writer commits since open */
	uint64_t	submitted;		/* messages since open */
};

int	queue_counts(struct queue *q, struct queue_counts *c_r,
	    struct error *err_r);

/*
 * Online backup: writes a copy of the queue database as of one commit to
 * db_path (SQLite's online backup API, on the read connection) and calls
 * fn with the name of every body file the copy names (files in
 * <base_dir>/Queue/bodies; never changed once written).  Until it
 * returns, the writer keeps the body files of messages it deletes
 * (removing them afterwards), so each name given to fn exists.
 * Submissions and deliveries go on meanwhile.  *nbodies_r (may be NULL)
 * gets the number of names.  -1 with err_r (ERR_IO, or fn's error).
 */
int	queue_backup(struct queue *q, const char *db_path,
	    int (*fn)(void *arg, const char *name, struct error *err_r),
	    void *arg, size_t *nbodies_r, struct error *err_r);

/* PRAGMA integrity_check; -1 with the first problem in err_r. */
int	queue_check_integrity(struct queue *q, struct error *err_r);

/*
 * Stops the scheduler and workers (waiting for running dispatcher calls),
 * lets the writer finish what was handed to it, closes the database and
 * frees *qp, setting it to NULL.  Submitters must have returned.
 */
void	queue_close(struct queue **qp);

/* --- DSN (RFC 3464), a pure function ------------------------------------ */

enum queue_dsn_action {
	QUEUE_DSN_FAILED = 0,
	QUEUE_DSN_DELAYED,
	QUEUE_DSN_DELIVERED
};

struct queue_dsn_rcpt {
	const char		*address;	/* final recipient */
	const char		*orcpt;		/* or NULL */
	enum queue_dsn_action	 action;
	const char		*diagnostic;	/* the error text, or NULL */
};

struct queue_dsn {
	const char			*main_domain;	/* MAILER-DAEMON@... */
	const char			*return_path;	/* To:, not "" */
	const char			*envid;		/* or NULL */
	enum queue_ret			 ret;
	uint64_t			 queue_id;	/* of the original */
	int64_t				 arrival;	/* original received */
	int64_t				 now;		/* Date: */
	const char			*original;	/* message text */
	size_t				 original_len;
	const struct queue_dsn_rcpt	*rcpts;
	size_t				 nrcpt;
};

/*
 * Appends to out a multipart/report; report-type=delivery-status message
 * (RFC 3464) with CRLF lines: a human part, the status part (Reporting-MTA,
 * Original-Envelope-Id, Arrival-Date, per recipient Original-Recipient,
 * Final-Recipient, Action, Status, Diagnostic-Code) and the original headers
 * (RET=HDRS/default, or RET=FULL above QUEUE_DSN_FULL_MAX) or the whole
 * original (RET=FULL).  The output depends only on d.  -1 with ERR_LIMIT if
 * out's ceiling is hit, ERR_SYNTAX if d is incomplete.
 */
int	queue_make_dsn(const struct queue_dsn *d, struct buf *out,
	    struct error *err_r);

#endif
