/* SPDX-License-Identifier: Apache-2.0 */
/*
 * local.h: the LOCAL dispatcher (docs/architecture.md): delivers queued
 * messages routed to an account into the account's INBOX.
 *
 * The queue hands over all ready recipients of one account ("name@domain")
 * at once.  Every distinct queue message of that batch is stored ONCE in
 * the account (two recipients of one message that route to the same
 * account -- an alias and the account name, say -- give one copy, as in
 * CommuniGate) and all of them go into the store in one transaction
 * (store_deliver_batch), bounded by LOCAL_BATCH_BYTES of bodies in memory.
 * The idempotence key is "Q<queue id>-<time queued>": a delivery repeated
 * after a crash between the store commit and the queue commit is recognised
 * and not stored twice, and a queue rebuilt from scratch (ids restarting)
 * cannot hit an old key.
 *
 * Outcomes: account gone (deleted since the message was queued) ->
 * permanent "unknown account"; account over MaxAccountSize -> temporary
 * "mailbox full" (the queue retries, then bounces after MaxQueueTime);
 * store or disk errors -> temporary.  Each stored message gets a
 * "Return-Path: <sender>" first line (RFC 5321 4.4: the final delivery
 * adds it); nothing else is changed.
 */
#ifndef TEGAMI_DELIVERY_LOCAL_H
#define TEGAMI_DELIVERY_LOCAL_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"
#include "queue/queue.h"

struct dval;
struct objects;
struct log_module;

#define LOCAL_BATCH_BYTES	(64UL * 1024 * 1024)	/* bodies per store call */
#define LOCAL_KEY_MAX		48	/* "Q<id>-<time>" idempotence key */

/* The LOCAL log module ("LOCAL-000123(user@dom) delivered: queue id 17"). */
extern struct log_module log_local;

struct local_ctx {
	struct objects	*objects;
};

/* queue_dispatch_fn for module "LOCAL"; arg is a struct local_ctx *,
 * target "account@domain". */
void	local_dispatch(void *arg, struct queue *q, const char *module,
	    const char *target, struct queue_item *items, size_t n);

/*
 * The account's storage limit from its effective settings
 * (MaxAccountSize: "unlimited", "10M", #1000 ...).  0 means no limit; a
 * missing or malformed value is no limit too (err_r says why, for a log
 * line) and returns -1.
 */
int	local_quota(const struct dval *effective, uint64_t *max_r,
	    struct error *err_r);

/* Appends "Return-Path: <rp>\r\n" to out; "" gives "<>".  Control
 * characters in rp are left out (they cannot be in a routed address). */
void	local_return_path(struct buf *out, const char *rp);

/* The idempotence key of a queue message into buf (LOCAL_KEY_MAX + 1). */
void	local_key(char *buf, size_t size, uint64_t msg_id, int64_t received);

#endif
