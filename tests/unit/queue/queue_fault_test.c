/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_fault_test.c: fault injection into the queue (SQLite's I/O-error
 * tests, curl's torture).  For each op (write, fsync) and N = 1, 2 ...
 * until the fault no longer fires: a fresh queue, the Nth op from now
 * fails, M messages are submitted one by one (half of them large enough
 * for body files) and the ones queue_submit() acknowledged are noted.
 * Then the queue is closed -- or, in the crash variant, the process that
 * held it exits without closing it -- and reopened without faults:
 * integrity_check is ok, every acknowledged message is there once with
 * its exact body, and every message there (acknowledged or not) is one
 * that was submitted, once, with a readable and exact body; no body file
 * is left that no message names.
 *
 * There is no rename to fail: a body file is created under its final name
 * and named by the row only once fsynced.  The last test checks that.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fault.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"

#include "../fault_loop.h"
#include "queue_testutil.h"

#define PROMISE	"no acknowledged message lost"

#define MSGS		6		/* submitted per run */
#define LARGE_BODY	(64 * 1024)	/* cfg.large_body */
#define LARGE		(70 * 1024)	/* odd-numbered bodies (the last too) */
#define SMALL		300
#define LIST_MAX	100

static char *bodies[MSGS];
static size_t body_len[MSGS];

struct ack {
	int		 idx;		/* bodies[idx] */
	uint64_t	 id;
};

static struct queue *
open_q(const char *base)
{
	return qt_open(base, LARGE_BODY, 1);
}

static void
make_bodies(void)
{
	char head[64];
	size_t i, h;

	for (i = 0; i < MSGS; i++) {
		body_len[i] = i % 2 == 1 ? LARGE : SMALL;
		bodies[i] = xmalloc(body_len[i]);
		memset(bodies[i], 'a' + (int)i, body_len[i]);
		h = (size_t)snprintf(head, sizeof(head), "Subject: fault\r\n"
		    "X-Idx: %zu\r\n\r\n", i);
		memcpy(bodies[i], head, h);
		memcpy(bodies[i] + body_len[i] - 2, "\r\n", 2);
	}
}

/* Submits message i; 0 with *id_r when acknowledged. */
static int
submit(struct queue *q, size_t i, uint64_t *id_r)
{
	struct queue_rcpt r;
	struct queue_msg m;

	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	r.address = "u@local.test";
	m.return_path = "s@local.test";
	m.submit_tag = "SMTP";
	m.rcpts = &r;
	m.nrcpt = 1;
	m.body = bodies[i];
	m.body_len = body_len[i];
	return queue_submit(q, &m, id_r, NULL);
}

/* The message whose exact body b is, or -1. */
static int
body_idx(const struct buf *b)
{
	size_t i;

	for (i = 0; i < MSGS; i++)
		if (b->len == body_len[i] && memcmp(b->data, bodies[i],
		    b->len) == 0)
			return (int)i;
	return -1;
}

/* Reopens the queue without faults and checks it against acks. */
static void
verify(const char *base, const struct ack *acks, size_t nack,
    struct fault_stats *s)
{
	struct queue_msg_info *list;
	int seen[MSGS] = { 0 }, idx;
	struct queue *q = open_q(base);
	size_t i, j, n = 0, found, named = 0;
	struct buf b;

	buf_init(&b, LARGE * 2);
	if (queue_check_integrity(q, NULL) < 0)
		s->integrity++;
	if (queue_list(q, LIST_MAX, &list, &n, NULL) < 0)
		fatal("queue_list");
	for (j = 0; j < n; j++) {
		named += list[j].body_file != NULL;
		buf_reset(&b);
		if (queue_read_body(q, list[j].id, &b, NULL) < 0) {
			fprintf(stderr, "queued message %llu has no body "
			    "(file %s)\n", (unsigned long long)list[j].id,
			    list[j].body_file ? list[j].body_file : "-");
			s->unreadable++;
			continue;
		}
		if ((idx = body_idx(&b)) < 0)
			s->strays++;
		else if (seen[idx]++ > 0)
			s->dups++;
	}
	s->present += (unsigned)n;
	/* queue_open() removed the files of failed submissions */
	if (qt_count_body_files(base) != named)
		s->orphans++;
	for (i = 0; i < nack; i++) {
		found = 0;
		for (j = 0; j < n; j++)
			if (list[j].id == acks[i].id)
				found++;
		buf_reset(&b);
		if (found != 1 || queue_read_body(q, acks[i].id, &b,
		    NULL) < 0 || body_idx(&b) != acks[i].idx) {
			fprintf(stderr, "acknowledged message %llu (#%d) lost\n",
			    (unsigned long long)acks[i].id, acks[i].idx);
			s->lost++;
		}
	}
	queue_list_free(&list, n);
	buf_free(&b);
	queue_close(&q);
}

/* Opens a queue in dir and submits every message with op's Nth call
 * failing (fault_work_fn); the acknowledged ones go to res, a struct ack
 * each. */
static size_t
submit_all(const char *dir, enum fault_op op, unsigned long nth, bool crash,
    void *res, size_t size)
{
	struct queue *q = open_q(dir);
	struct ack *acks = res;
	size_t i, n = 0;

	fault_set(op, nth);
	for (i = 0; i < MSGS && (n + 1) * sizeof(*acks) <= size; i++)
		if (submit(q, i, &acks[n].id) == 0)
			acks[n++].idx = (int)i;
	if (!crash)
		queue_close(&q);	/* its checkpoint counts too */
	return n * sizeof(*acks);
}

/* One run; true if the fault fired. */
static bool
run_one(enum fault_op op, unsigned long nth, bool crash,
    struct fault_stats *s)
{
	char tmpl[] = "/tmp/tegami-qfault-XXXXXX";
	struct ack acks[MSGS];
	unsigned long fired;
	size_t len, nack;

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp: %s", strerror(errno));
	fired = fault_run_work(submit_all, tmpl, op, nth, crash, acks,
	    sizeof(acks), &len);
	nack = len / sizeof(acks[0]);
	s->runs++;
	s->fired += fired > 0;
	s->acked += (unsigned)nack;
	s->refused += MSGS - (unsigned)nack;
	verify(tmpl, acks, nack, s);
	fault_rm_dir(tmpl);
	return fired > 0;
}

int
main(void)
{
	struct fault_stats s;
	size_t i;

	if (fault_sqlite_register(NULL) < 0)
		fatal("fault_sqlite_register");
	make_bodies();
	fault_nth_loop(PROMISE, "acknowledged", FAULT_WRITE, false, run_one);
	fault_nth_loop(PROMISE, "acknowledged", FAULT_FSYNC, false, run_one);
	fault_nth_loop(PROMISE, "acknowledged", FAULT_WRITE, true, run_one);
	fault_nth_loop(PROMISE, "acknowledged", FAULT_FSYNC, true, run_one);

	test_begin("the queue renames nothing");
	memset(&s, 0, sizeof(s));
	test_assert(!run_one(FAULT_RENAME, 1, false, &s));
	test_assert(s.acked == MSGS && s.lost == 0);
	test_end();

	for (i = 0; i < MSGS; i++)
		free(bodies[i]);
	return test_done();
}
