/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_concurrency_test.c: the account store under concurrency and
 * crashes: threads appending to one account through separate handles and
 * through one shared cached handle, the change generation waking a waiter,
 * the handle cache, and a child process SIGKILLed while appending (every
 * acknowledged UID must survive, PRAGMA integrity_check must pass).
 */
#include "lib/compat.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_mime.h"

#define THREADS		4
#define PER_THREAD	50

static char tmpl[] = "/tmp/tegami-storec-XXXXXX";
static char *dir;

struct worker {
	struct store	*s;		/* shared handle, or NULL: open own */
	int		 id;
	int		 ok;
};

static void *
appender(void *arg)
{
	struct worker *w = arg;
	struct store *s = w->s != NULL ? w->s : store_open(dir, NULL);
	int i;

	for (i = 0; s != NULL && i < PER_THREAD; i++) {
		char *m = xasprintf("Subject: t%d m%d\r\n\r\nbody\r\n", w->id, i);
		struct store_new_msg nm = { m, strlen(m), 0, NULL, 0, NULL };

		if (store_append(s, "INBOX", &nm, 0, NULL, NULL, NULL) == 0)
			w->ok++;
		free(m);
	}
	if (w->s == NULL)
		store_close(&s);
	return NULL;
}

static void
run_threads(struct store *shared, int *ok_r)
{
	pthread_t t[THREADS];
	struct worker w[THREADS];
	int i;

	*ok_r = 0;
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ shared, i, 0 };
		pthread_create(&t[i], NULL, appender, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		*ok_r += w[i].ok;
	}
}

static bool
uids_dense(struct store *s, uint32_t n)
{
	struct store_status st;
	struct store_msgs ms;
	bool ok;
	size_t i;

	if (store_mailbox_status(s, "INBOX", &st, NULL) < 0 ||
	    store_messages(s, st.id, NULL, 0, &ms, NULL) < 0)
		return false;
	ok = ms.n == n && st.uidnext == n + 1;
	for (i = 0; ok && i < ms.n; i++)
		ok = ms.v[i].uid == i + 1;
	store_msgs_free(&ms);
	return ok;
}

struct waiter {
	struct store	*s;
	uint64_t	 gen;
	bool		 woke;
};

static void *
wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->woke = store_wait_change(w->s, w->gen, 10000);
	return NULL;
}

static void
test_threads_and_notify(void)
{
	struct store *a, *b;
	struct waiter w;
	pthread_t t;
	struct timespec t0, t1;
	int ok;

	test_begin("threads with their own handles append concurrently");
	run_threads(NULL, &ok);
	test_assert(ok == THREADS * PER_THREAD);
	a = store_open(dir, NULL);
	test_assert(a != NULL && uids_dense(a, THREADS * PER_THREAD));
	test_end();

	test_begin("threads sharing one cached handle");
	b = store_cache_get(dir, NULL);
	test_assert(b != NULL && store_cache_get(dir, NULL) == b);
	store_cache_release(&b);
	test_assert(b == NULL);
	b = store_cache_get(dir, NULL);
	run_threads(b, &ok);
	test_assert(ok == THREADS * PER_THREAD);
	test_assert(uids_dense(b, 2 * THREADS * PER_THREAD));
	test_end();

	test_begin("a change on one handle wakes a waiter on another");
	w = (struct waiter){ a, store_generation(a), false };
	test_assert(store_generation(b) == w.gen);
	pthread_create(&t, NULL, wait_thread, &w);
	usleep(50000);
	test_assert(store_mailbox_create(b, "Notify", NULL, NULL) == 0);
	pthread_join(t, NULL);
	test_assert(w.woke && store_generation(a) > w.gen);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_assert(!store_wait_change(a, store_generation(a), 100));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	test_assert(t1.tv_sec - t0.tv_sec < 5 &&
	    (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000 >= 90);
	test_end();

	store_cache_release(&b);
	store_cache_flush();
	store_close(&a);
}

static bool
readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* The eventfd watch of one account: woken by its changes (from any
 * handle), never by another account's. */
static void
test_watch(void)
{
	struct store *a, *a2, *other;
	struct store_watch *w1, *w2, *wo;
	char *odir = xasprintf("%s/other", dir);

	test_begin("a change wakes the watches of its account only");
	a = store_open(dir, NULL);
	a2 = store_open(dir, NULL);
	other = store_open(odir, NULL);
	test_assert(a != NULL && a2 != NULL && other != NULL);
	w1 = store_watch_new(a, NULL);
	w2 = store_watch_new(a2, NULL);
	wo = store_watch_new(other, NULL);
	test_assert(w1 != NULL && w2 != NULL && wo != NULL);
	test_assert(!readable(store_watch_fd(w1)) &&
	    !readable(store_watch_fd(wo)));
	test_assert(store_mailbox_create(other, "Elsewhere", NULL, NULL) == 0);
	test_assert(readable(store_watch_fd(wo)));
	test_assert(!readable(store_watch_fd(w1)) &&
	    !readable(store_watch_fd(w2)));
	test_assert(store_watch_take(wo) >= 1 && store_watch_take(wo) == 0);
	test_assert(!readable(store_watch_fd(wo)));
	test_assert(store_mailbox_create(a2, "Watched", NULL, NULL) == 0);
	test_assert(readable(store_watch_fd(w1)) &&
	    readable(store_watch_fd(w2)) && !readable(store_watch_fd(wo)));
	test_assert(store_watch_take(w1) >= 1 && !readable(store_watch_fd(w1)));
	store_watch_free(&w1);
	test_assert(w1 == NULL);
	/* A freed watch is out of the list: later changes still work. */
	test_assert(store_mailbox_create(a, "Watched2", NULL, NULL) == 0);
	test_assert(readable(store_watch_fd(w2)));
	store_watch_free(&w2);
	store_watch_free(&wo);
	store_close(&other);
	store_close(&a2);
	store_close(&a);
	free(odir);
	test_end();
}

static void
count_hook(void *arg)
{
	(*(int *)arg)++;
}

/* A hibernating session's watch: made without a descriptor it counts the
 * changes and calls its hook; it outlives the handle it was made from; a
 * notifier made again starts at generations the old one never had. */
static void
test_watch_suspended(void)
{
	struct store *a, *b;
	struct store_watch *w;
	uint64_t gen;
	int hits = 0;

	test_begin("a suspended watch outlives its handle and counts changes");
	a = store_open(dir, NULL);
	test_assert(a != NULL);
	gen = store_generation(a);
	w = store_watch_new_suspended(a, count_hook, &hits);
	test_assert(w != NULL && store_watch_fd(w) < 0);
	store_close(&a);		/* the session let its handle go */
	b = store_open(dir, NULL);
	test_assert(b != NULL);
	test_assert(store_mailbox_create(b, "WhileParked", NULL, NULL) == 0);
	test_assert(hits >= 1);
	test_assert(store_watch_take(w) >= 1 && store_watch_take(w) == 0);
	test_assert(store_watch_resume(w, NULL) == 0 &&
	    store_watch_fd(w) >= 0 && !readable(store_watch_fd(w)));
	test_assert(store_mailbox_create(b, "WhileAwake", NULL, NULL) == 0);
	test_assert(readable(store_watch_fd(w)));
	store_watch_free(&w);
	store_close(&b);
	/* No handle and no watch: the notifier is gone; the next one's
	 * generations are not the old ones. */
	b = store_open(dir, NULL);
	test_assert(b != NULL && store_generation(b) != gen &&
	    store_generation(b) > gen + 1);
	store_close(&b);
	test_end();
}

/* Child: appends forever, writing each acknowledged UID to fd. */
static void
crash_child(int fd)
{
	struct store *s = store_open(dir, NULL);
	char *big = xmalloc(70000);
	uint32_t i;

	memset(big, 'z', 70000);
	memcpy(big, "Subject: c\r\n\r\n", 14);
	for (i = 0; s != NULL; i++) {
		struct store_new_msg m = { big, (i % 3 == 0) ? 70000 : 500, 0,
		    NULL, 0, NULL };
		uint32_t uid;

		if (store_append(s, "Crash", &m, 0, &uid, NULL, NULL) < 0)
			_exit(2);
		if (write(fd, &uid, sizeof(uid)) != sizeof(uid))
			_exit(3);
	}
	_exit(1);
}

static int
integrity_ok(void)
{
	char *path = xasprintf("%s/mail.db", dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK) {
		ok = sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	free(path);
	return ok;
}

static void
test_crash(void)
{
	int p[2], round, status;
	uint32_t acked[4096];
	size_t nacked = 0;

	test_begin("SIGKILL during appends loses no acknowledged message");
	{
		struct store *s = store_open(dir, NULL);

		test_assert(s != NULL &&
		    store_mailbox_create(s, "Crash", NULL, NULL) == 0);
		store_close(&s);
	}
	for (round = 0; round < 3; round++) {
		pid_t pid;
		ssize_t r;
		uint32_t uid;
		size_t want = nacked + 20 + (size_t)round * 7;

		if (pipe(p) < 0)
			break;
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			crash_child(p[1]);
		}
		close(p[1]);
		while (nacked < want && nacked < N_ELEMENTS(acked) &&
		    (r = read(p[0], &uid, sizeof(uid))) == sizeof(uid))
			acked[nacked++] = uid;
		kill(pid, SIGKILL);
		/* acks already in the pipe were acknowledged, too */
		while ((r = read(p[0], &uid, sizeof(uid))) == sizeof(uid) &&
		    nacked < N_ELEMENTS(acked))
			acked[nacked++] = uid;
		waitpid(pid, &status, 0);
		close(p[0]);
		test_assert(WIFSIGNALED(status));
		test_assert(integrity_ok());
	}
	{
		struct store *s = store_open(dir, NULL);
		struct store_status st;
		struct store_msgs ms;
		size_t i, j, found = 0;
		struct buf b;

		test_assert(s != NULL);
		if (s == NULL)
			return;
		test_assert(store_mailbox_status(s, "Crash", &st, NULL) == 0);
		test_assert(store_messages(s, st.id, NULL, 0, &ms, NULL) == 0);
		for (i = 0; i < nacked; i++)
			for (j = 0; j < ms.n; j++)
				if (ms.v[j].uid == acked[i]) {
					found++;
					break;
				}
		test_assert(nacked >= 60 && found == nacked);
		/* every stored message is readable in full */
		buf_init(&b, 1 << 20);
		for (j = 0; j < ms.n; j++) {
			buf_reset(&b);
			test_assert(store_fetch(s, st.id, ms.v[j].uid, 0,
			    UINT64_MAX, &b, NULL) == 0 && b.len == ms.v[j].size);
		}
		buf_free(&b);
		store_msgs_free(&ms);
		store_close(&s);
	}
	test_end();
}

int
main(void)
{
	char *cmd;

	store_set_render(&imap_store_render);

	dir = mkdtemp(tmpl);
	if (dir == NULL)
		return 1;
	test_threads_and_notify();
	test_watch();
	test_watch_suspended();
	test_crash();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(cmd);
	return test_done();
}
