/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_fault_test.c: fault injection into the account store.  For each op
 * (write, fsync) and N = 1, 2 ... until the fault no longer fires: a fresh
 * store, the Nth op from now fails, M messages are stored one by one --
 * even ones by local delivery (store_deliver_batch with a queue id), odd
 * ones by APPEND; odd ones and the last are large enough for body files --
 * and the calls that returned 0 are noted.  Then the store is closed, or
 * in the crash variant the process holding it exits without closing it,
 * and reopened without faults.  As the queue would, every delivery that
 * did not return 0 is retried with its queue id.  Then: integrity_check is
 * ok, every delivery and every acknowledged APPEND is in INBOX once with
 * its exact bytes, nothing is there twice, and every message there can be
 * read (its body file exists).
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/fault.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_mime.h"

#include "../fault_loop.h"

#define PROMISE	"nothing stored is lost"

#define MSGS		5		/* stored per run */
#define LARGE		(70 * 1024)	/* > STORE_INLINE_MAX: a body file */
#define SMALL		300

static char *bodies[MSGS];
static size_t body_len[MSGS];

static void
make_bodies(void)
{
	char head[64];
	size_t i, h;

	for (i = 0; i < MSGS; i++) {
		body_len[i] = i % 2 == 1 || i == MSGS - 1 ? LARGE : SMALL;
		bodies[i] = xmalloc(body_len[i]);
		memset(bodies[i], 'a' + (int)i, body_len[i]);
		h = (size_t)snprintf(head, sizeof(head), "Subject: fault\r\n"
		    "X-Idx: %zu\r\n\r\n", i);
		memcpy(bodies[i], head, h);
		memcpy(bodies[i] + body_len[i] - 2, "\r\n", 2);
	}
}

static struct store *
open_store(const char *dir)
{
	struct error err;
	struct store *s = store_open(dir, &err);

	if (s == NULL)
		fatal("store_open: %s", err.msg);
	return s;
}

/* Stores message i: delivery (even i) or APPEND (odd).  0 when stored
 * (or, for a delivery, stored before). */
static int
put(struct store *s, size_t i)
{
	struct store_delivery d;
	char qid[32];

	memset(&d, 0, sizeof(d));
	d.msg.data = bodies[i];
	d.msg.len = body_len[i];
	if (i % 2 == 1)
		return store_append(s, "INBOX", &d.msg, 0, NULL, NULL, NULL);
	snprintf(qid, sizeof(qid), "Q%zu", i);
	d.msg.queue_id = qid;
	if (store_deliver_batch(s, "INBOX", &d, 1, 0, NULL) < 0)
		return -1;
	/* a duplicate is what the queue takes for delivered */
	return d.status == STORE_DELIVERED || d.status == STORE_DUPLICATE ?
	    0 : -1;
}

/* Opens the store in dir and stores every message with op's Nth call
 * failing (fault_work_fn); res gets an unsigned with bit i set when
 * message i was stored. */
static size_t
put_all(const char *dir, enum fault_op op, unsigned long nth, bool crash,
    void *res, size_t size)
{
	struct store *st = open_store(dir);
	unsigned acked = 0;
	size_t i;

	fault_set(op, nth);
	for (i = 0; i < MSGS; i++)
		if (put(st, i) == 0)
			acked |= 1u << i;
	if (!crash)
		store_close(&st);	/* its checkpoint counts too */
	if (size < sizeof(acked))
		return 0;
	memcpy(res, &acked, sizeof(acked));
	return sizeof(acked);
}

static bool
integrity_ok(const char *dir)
{
	char *path = xasprintf("%s/mail.db", dir);
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	bool ok = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return ok;
}

static void
verify(const char *dir, unsigned acked, struct fault_stats *s)
{
	struct store *st = open_store(dir);
	struct store_status ss;
	struct store_msgs ms;
	int seen[MSGS] = { 0 };
	struct buf b;
	size_t i, j;

	/* The queue retries what it was not told was delivered. */
	for (i = 0; i < MSGS; i += 2)
		if ((acked & (1u << i)) == 0 && put(st, i) < 0)
			fatal("retried delivery failed");
	if (store_mailbox_status(st, "INBOX", &ss, NULL) < 0 ||
	    store_messages(st, ss.id, NULL, 0, &ms, NULL) < 0)
		fatal("cannot list INBOX");
	buf_init(&b, LARGE * 2);
	for (j = 0; j < ms.n; j++) {
		buf_reset(&b);
		if (store_fetch(st, ss.id, ms.v[j].uid, 0, UINT64_MAX, &b,
		    NULL) < 0) {
			fprintf(stderr, "UID %u cannot be read\n", ms.v[j].uid);
			s->unreadable++;
			continue;
		}
		for (i = 0; i < MSGS; i++)
			if (b.len == body_len[i] && memcmp(b.data, bodies[i],
			    b.len) == 0)
				break;
		if (i == MSGS)
			s->strays++;
		else if (seen[i]++ > 0)
			s->dups++;
	}
	for (i = 0; i < MSGS; i++)
		if (seen[i] == 0 && (i % 2 == 0 || (acked & (1u << i)) != 0)) {
			fprintf(stderr, "message #%zu lost\n", i);
			s->lost++;
		}
	s->present += (unsigned)ms.n;
	store_msgs_free(&ms);
	buf_free(&b);
	store_close(&st);
	if (!integrity_ok(dir))
		s->integrity++;
}

/* One run; true if the fault fired. */
static bool
run_one(enum fault_op op, unsigned long nth, bool crash,
    struct fault_stats *s)
{
	char tmpl[] = "/tmp/tegami-sfault-XXXXXX";
	unsigned long fired;
	unsigned acked = 0;
	size_t len;

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp: %s", strerror(errno));
	fired = fault_run_work(put_all, tmpl, op, nth, crash, &acked,
	    sizeof(acked), &len);
	if (len != sizeof(acked))
		fatal("fault run: no result");
	s->runs++;
	s->fired += fired > 0;
	s->acked += (unsigned)__builtin_popcount(acked);
	s->refused += MSGS - (unsigned)__builtin_popcount(acked);
	verify(tmpl, acked, s);
	fault_rm_dir(tmpl);
	return fired > 0;
}

int
main(void)
{
	size_t i;

	store_set_render(&imap_store_render);

	if (fault_sqlite_register(NULL) < 0)
		fatal("fault_sqlite_register");
	make_bodies();
	fault_nth_loop(PROMISE, "stored", FAULT_WRITE, false, run_one);
	fault_nth_loop(PROMISE, "stored", FAULT_FSYNC, false, run_one);
	fault_nth_loop(PROMISE, "stored", FAULT_WRITE, true, run_one);
	fault_nth_loop(PROMISE, "stored", FAULT_FSYNC, true, run_one);
	for (i = 0; i < MSGS; i++)
		free(bodies[i]);
	return test_done();
}
