/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_crash_test.c: kill -9 in the middle of group commits.  A child
 * process submits from several threads (some bodies large enough for body
 * files) and writes every acknowledged id to a pipe; the parent kills it
 * mid-run, plants a stray body file, reopens the queue and checks: every
 * acknowledged id is present exactly once, integrity_check is ok, no body
 * file is left that no row names, and delivery then drains the queue.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"

#include "queue_testutil.h"

#define THREADS		4
#define LARGE		(70 * 1024)	/* large_body is 64 KiB here */
#define IDS_MAX		100000

static int pipe_w = -1;
static pthread_mutex_t pipe_mu = PTHREAD_MUTEX_INITIALIZER;

static struct queue *
open_q(const char *base)
{
	return qt_open(base, 64 * 1024, 2);
}

static void *
child_thread(void *arg)
{
	struct queue *q = arg;
	struct queue_msg m;
	struct queue_rcpt r;
	char *body;
	uint64_t id;
	unsigned i;

	body = xmalloc(LARGE);
	memset(body, 'b', LARGE);
	memcpy(body, "Subject: crash\r\n\r\n", 18);
	for (i = 0;; i++) {
		memset(&m, 0, sizeof(m));
		memset(&r, 0, sizeof(r));
		r.address = i % 2 ? "u1@local.test" : "u2@local.test";
		m.return_path = "s@local.test";
		m.submit_tag = "SMTP";
		m.rcpts = &r;
		m.nrcpt = 1;
		m.body = body;
		m.body_len = i % 4 == 0 ? LARGE : 200;
		if (queue_submit(q, &m, &id, NULL) < 0)
			_exit(3);
		pthread_mutex_lock(&pipe_mu);
		if (write(pipe_w, &id, sizeof(id)) != sizeof(id))
			_exit(4);
		pthread_mutex_unlock(&pipe_mu);
	}
	return NULL;
}

static void
child(const char *base)
{
	struct queue *q = open_q(base);
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, child_thread, q);
	for (;;)
		pause();
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int delivered;

static void
deliver_all(void *arg, struct queue *q, const char *module,
    const char *target, struct queue_item *items, size_t n)
{
	size_t i;

	(void)arg;
	(void)q;
	(void)module;
	(void)target;
	for (i = 0; i < n; i++)
		items[i].outcome = QUEUE_OUT_DELIVERED;
	__atomic_add_fetch(&delivered, (int)n, __ATOMIC_SEQ_CST);
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-qcrash-XXXXXX", *bodies, *path, *cmd;
	static uint64_t ids[IDS_MAX];
	struct queue_msg_info *list, info;
	struct queue_counts c;
	struct timespec t0, t1;
	struct dirent *de;
	size_t n = 0, i, nlist, j, dup = 0, missing = 0, orphans = 0;
	ssize_t r;
	pid_t pid;
	int fds[2], st, fd;
	struct queue *q;
	DIR *d;
	bool named;

	test_begin("kill -9 during group commits loses no acknowledged id");
	if (mkdtemp(tmpl) == NULL || pipe(fds) < 0)
		fatal("setup");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		pipe_w = fds[1];
		child(tmpl);
		_exit(0);
	}
	close(fds[1]);
	/* Read acknowledgements for a while, then kill mid-run. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		r = read(fds[0], &ids[n], sizeof(ids[0]));
		if (r == sizeof(ids[0]) && n < IDS_MAX - 1)
			n++;
		else
			usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec -
		    t0.tv_nsec) / 1000000 > 700 && n > 50)
			break;
		if (t1.tv_sec - t0.tv_sec > 20)
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	test_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	fcntl(fds[0], F_SETFL, 0);
	while (n < IDS_MAX && (r = read(fds[0], &ids[n], sizeof(ids[0]))) ==
	    sizeof(ids[0]))
		n++;
	close(fds[0]);
	fprintf(stderr, "crash: %zu acknowledged before kill\n", n);
	test_assert(n > 50);

	/* A half-written body file, as a crash before the commit leaves. */
	bodies = xasprintf("%s/Queue/bodies", tmpl);
	path = xasprintf("%s/stray.body", bodies);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	test_assert(fd >= 0 && write(fd, "half", 4) == 4);
	close(fd);

	q = open_q(tmpl);
	test_assert(queue_check_integrity(q, NULL) == 0);
	qsort(ids, n, sizeof(ids[0]), cmp_u64);
	for (i = 0; i < n; i++) {
		if (i > 0 && ids[i] == ids[i - 1])
			dup++;
		if (queue_message_info(q, ids[i], &info, NULL) < 0)
			missing++;
		else {
			test_assert(info.nrcpt == 1);
			queue_msg_info_clear(&info);
		}
	}
	test_assert(dup == 0);
	test_assert(missing == 0);
	test_assert(access(path, F_OK) < 0);
	free(path);

	/* Every remaining body file is named by a queued message. */
	test_assert(queue_list(q, IDS_MAX, &list, &nlist, NULL) == 0);
	test_assert(nlist >= n);
	d = opendir(bodies);
	test_assert(d != NULL);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		named = false;
		for (j = 0; j < nlist && !named; j++)
			named = list[j].body_file != NULL &&
			    strcmp(list[j].body_file, de->d_name) == 0;
		if (!named)
			orphans++;
	}
	if (d != NULL)
		closedir(d);
	test_assert(orphans == 0);
	queue_list_free(&list, nlist);
	test_end();

	test_begin("delivery resumes after the crash");
	queue_set_dispatcher(q, "LOCAL", deliver_all, NULL);
	test_assert(queue_start(q, NULL) == 0);
	for (i = 0; i < 2000; i++) {
		test_assert(queue_counts(q, &c, NULL) == 0);
		if (c.messages == 0)
			break;
		usleep(10000);
	}
	test_assert(c.messages == 0 && c.rcpts_pending == 0);
	test_assert((size_t)delivered >= n);
	queue_close(&q);
	test_assert(qt_count_body_files(tmpl) == 0);
	test_end();

	free(bodies);
	cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpl);
	free(cmd);
	return test_done();
}
