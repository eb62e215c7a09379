/* SPDX-License-Identifier: Apache-2.0 */
/*
 * local.c: the LOCAL dispatcher -- queue recipients routed to an account
 * are stored in its INBOX, a batch of messages per store transaction.  See
 * local.h for the rules (one copy per message and account, idempotence
 * key, quota, outcomes).
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/local.h"
#include "delivery/units.h"
#include "delivery/vacation.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lib/stats.h"
#include "objects/objects.h"
#include "store/store.h"

struct log_module log_local = LOG_MODULE("LOCAL");

/* One distinct queue message of the batch: items [first, last). */
struct lmsg {
	size_t		first, last;
	struct buf	text;		/* Return-Path line + body */
	char		key[LOCAL_KEY_MAX + 1];
	bool		ready;		/* body read */
	bool		fresh;		/* stored now (not a duplicate) */
};

int
local_quota(const struct dval *effective, uint64_t *max_r,
    struct error *err_r)
{
	const struct dval *v;

	*max_r = 0;
	v = effective != NULL ? dict_get(effective, "MaxAccountSize") : NULL;
	if (v == NULL)
		return 0;
	if (units_size_dval(v, max_r, err_r) < 0) {
		*max_r = 0;
		return -1;
	}
	return 0;
}

void
local_return_path(struct buf *out, const char *rp)
{
	const char *p;

	buf_puts(out, "Return-Path: <");
	for (p = rp; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			buf_putc(out, *p);
	buf_puts(out, ">\r\n");
}

void
local_key(char *buf, size_t size, uint64_t msg_id, int64_t received)
{
	snprintf(buf, size, "Q%" PRIu64 "-%" PRId64, msg_id, received);
}

static void
set_outcome(struct queue_item *items, size_t first, size_t last,
    enum queue_outcome out, const char *text)
{
	size_t i;

	for (i = first; i < last; i++) {
		items[i].outcome = out;
		snprintf(items[i].error, sizeof(items[i].error), "%s",
		    text != NULL ? text : "");
	}
}

/* Stores msgs[0..m) (bodies read) in one transaction and sets outcomes. */
static void
store_chunk(struct store *s, struct log_session *ls, uint64_t max,
    struct queue_item *items, struct lmsg *msgs, size_t m)
{
	struct store_delivery *d;
	struct error err;
	size_t i, nd = 0;
	int rc;

	d = xcalloc(m, sizeof(*d));
	for (i = 0; i < m; i++) {
		if (!msgs[i].ready)
			continue;
		d[nd].msg.data = msgs[i].text.data;
		d[nd].msg.len = msgs[i].text.len;
		d[nd].msg.queue_id = msgs[i].key;
		nd++;
	}
	if (nd == 0) {
		free(d);
		return;
	}
	error_clear(&err);
	rc = store_deliver_batch(s, "INBOX", d, nd, max, &err);
	if (rc < 0 && err.kind != ERR_LIMIT) {
		log_ses(ls, LOG_FAILURE, "cannot store %zu message(s): %s", nd,
		    err.msg);
		for (i = 0; i < m; i++)
			if (msgs[i].ready)
				set_outcome(items, msgs[i].first, msgs[i].last,
				    QUEUE_OUT_TEMPFAIL, err.msg);
		free(d);
		return;
	}
	nd = 0;
	for (i = 0; i < m; i++) {
		struct lmsg *lm = &msgs[i];

		if (!lm->ready)
			continue;
		switch (d[nd].status) {
		case STORE_DELIVERED:
			set_outcome(items, lm->first, lm->last,
			    QUEUE_OUT_DELIVERED, NULL);
			stats_add(STAT_MSG_DELIVERED, 1);
			lm->fresh = true;
			log_ses(ls, LOG_MAJOR, "delivered: queue id %" PRIu64
			    ", uid %" PRIu32 ", %zu bytes",
			    items[lm->first].msg_id, d[nd].uid, lm->text.len);
			break;
		case STORE_DUPLICATE:
			set_outcome(items, lm->first, lm->last,
			    QUEUE_OUT_DELIVERED, NULL);
			log_ses(ls, LOG_LOW, "queue id %" PRIu64 " was delivered "
			    "before (uid %" PRIu32 ")", items[lm->first].msg_id,
			    d[nd].uid);
			break;
		case STORE_OVER_QUOTA:
		default:
			set_outcome(items, lm->first, lm->last,
			    QUEUE_OUT_TEMPFAIL, "mailbox full");
			log_ses(ls, LOG_PROBLEM, "queue id %" PRIu64 ": mailbox "
			    "full (limit %" PRIu64 " bytes)",
			    items[lm->first].msg_id, max);
			break;
		}
		nd++;
	}
	free(d);
}

/* Reads the body of msgs->first's message with the Return-Path line. */
static void
read_message(struct queue *q, struct log_session *ls, struct queue_item *items,
    struct lmsg *lm)
{
	const struct queue_item *it = &items[lm->first];
	struct error err;

	buf_init(&lm->text, QUEUE_BODY_MAX + ADDRESS_MAX + 64);
	local_return_path(&lm->text, it->return_path);
	local_key(lm->key, sizeof(lm->key), it->msg_id, it->received);
	error_clear(&err);
	if (queue_read_body(q, it->msg_id, &lm->text, &err) < 0 ||
	    lm->text.err != 0) {
		if (err.msg[0] == '\0')
			error_set(&err, ERR_LIMIT, "message too large");
		log_ses(ls, LOG_FAILURE, "queue id %" PRIu64 ": cannot read "
		    "the message: %s", it->msg_id, err.msg);
		set_outcome(items, lm->first, lm->last, QUEUE_OUT_TEMPFAIL,
		    err.msg);
		buf_free(&lm->text);
		return;
	}
	lm->ready = true;
}

/* The account's auto-reply (vacation.h) to a message just stored. */
static void
auto_reply(struct queue *q, struct log_session *ls, const char *dir,
    const char *account, const struct queue_item *items,
    const struct lmsg *lm)
{
	const char **rcpts = xcalloc(lm->last - lm->first, sizeof(*rcpts));
	size_t i;

	for (i = lm->first; i < lm->last; i++)
		rcpts[i - lm->first] = items[i].address;
	vacation_after_delivery(q, ls, dir, account, rcpts, lm->last -
	    lm->first, items[lm->first].return_path, lm->text.data,
	    lm->text.len, time(NULL));
	free(rcpts);
}

void
local_dispatch(void *arg, struct queue *q, const char *module,
    const char *target, struct queue_item *items, size_t n)
{
	struct local_ctx *ctx = arg;
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	char path[OBJECTS_PATH_MAX];
	struct log_session ls;
	struct dval *eff;
	struct store *s;
	struct lmsg *msgs;
	struct error err;
	const char *at;
	uint64_t max = 0;
	size_t i, m, nmsg, start, bytes;

	(void)module;
	log_session_init(&ls, &log_local, target);
	at = strrchr(target, '@');
	error_clear(&err);
	if (at == NULL || (size_t)(at - target) > OBJECT_NAME_MAX ||
	    strlen(at + 1) > DOMAIN_NAME_MAX) {
		log_ses(&ls, LOG_PROBLEM, "bad local target");
		set_outcome(items, 0, n, QUEUE_OUT_PERMFAIL, "unknown account");
		return;
	}
	memcpy(name, target, (size_t)(at - target));
	name[at - target] = '\0';
	memcpy(domain, at + 1, strlen(at + 1) + 1);

	if (objects_account_find(ctx->objects, name, domain, NULL, 0, NULL, 0,
	    &err) < 0) {
		if (err.kind == ERR_NOTFOUND) {
			log_ses(&ls, LOG_PROBLEM, "%zu recipient(s) failed: "
			    "unknown account", n);
			set_outcome(items, 0, n, QUEUE_OUT_PERMFAIL,
			    "unknown account");
		} else
			set_outcome(items, 0, n, QUEUE_OUT_TEMPFAIL, err.msg);
		return;
	}
	if (objects_account_path(ctx->objects, name, domain, path, sizeof(path),
	    &err) < 0) {
		set_outcome(items, 0, n, err.kind == ERR_NOTFOUND ?
		    QUEUE_OUT_PERMFAIL : QUEUE_OUT_TEMPFAIL, err.kind ==
		    ERR_NOTFOUND ? "unknown account" : err.msg);
		return;
	}
	eff = objects_account_effective_get(ctx->objects, name, domain, &err);
	if (local_quota(eff, &max, &err) < 0)
		log_ses(&ls, LOG_PROBLEM, "MaxAccountSize ignored: %s",
		    err.msg);
	dict_free(&eff);

	s = store_cache_get(path, &err);
	if (s == NULL) {
		log_ses(&ls, LOG_FAILURE, "cannot open the mail store: %s",
		    err.msg);
		set_outcome(items, 0, n, QUEUE_OUT_TEMPFAIL, err.msg);
		return;
	}

	/* Items come sorted by msg_id: one lmsg per run of equal ids. */
	msgs = xcalloc(n, sizeof(*msgs));
	nmsg = 0;
	for (i = 0; i < n; i++) {
		if (nmsg > 0 && items[msgs[nmsg - 1].first].msg_id ==
		    items[i].msg_id) {
			msgs[nmsg - 1].last = i + 1;
			continue;
		}
		msgs[nmsg].first = i;
		msgs[nmsg].last = i + 1;
		nmsg++;
	}
	/* Chunks of at most STORE_BATCH_MAX messages and LOCAL_BATCH_BYTES
	 * of bodies (at least one message each): usually just one. */
	for (start = 0; start < nmsg; start = m) {
		bytes = 0;
		for (m = start; m < nmsg && m - start < STORE_BATCH_MAX; m++) {
			if (m > start && bytes + items[msgs[m].first].size >
			    LOCAL_BATCH_BYTES)
				break;
			read_message(q, &ls, items, &msgs[m]);
			bytes += items[msgs[m].first].size;
		}
		store_chunk(s, &ls, max, items, msgs + start, m - start);
		for (i = start; i < m; i++)
			if (msgs[i].ready) {
				if (msgs[i].fresh)
					auto_reply(q, &ls, path, target, items,
					    &msgs[i]);
				buf_free(&msgs[i].text);
			}
	}
	free(msgs);
	store_cache_release(&s);
}
