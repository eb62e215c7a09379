/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_test.c: the queue in a temporary base directory, with a fake router,
 * fake dispatchers and an injected clock: body round trips (small, large),
 * group commit under 20 threads, dispatcher batching per target, retry
 * schedule, expiry, DSNs (and none for <>), rejection, release, and
 * recipients of a module without a dispatcher staying pending.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"

#include "queue_testutil.h"

static int64_t fake_now = 1000000;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t
clock_fn(void *arg)
{
	int64_t t;

	(void)arg;
	pthread_mutex_lock(&mu);
	t = fake_now;
	pthread_mutex_unlock(&mu);
	return t;
}

static void
clock_set(int64_t t)
{
	pthread_mutex_lock(&mu);
	fake_now = t;
	pthread_mutex_unlock(&mu);
}

/* *@local.test -> LOCAL(address); *@remote.test -> SMTP(remote.test);
 * anything else is refused. */
static int
router_fn(void *arg, const char *address, struct queue_route *r)
{
	const char *at = strchr(address, '@');

	(void)arg;
	if (at != NULL && strcmp(at, "@local.test") == 0) {
		snprintf(r->module, sizeof(r->module), "LOCAL");
		snprintf(r->target, sizeof(r->target), "%s", address);
		return 0;
	}
	if (at != NULL && strcmp(at, "@remote.test") == 0) {
		snprintf(r->module, sizeof(r->module), "SMTP");
		snprintf(r->target, sizeof(r->target), "remote.test");
		return 0;
	}
	snprintf(r->error, sizeof(r->error), "5.1.2 unknown domain");
	return -1;
}

#define CALLS_MAX	64
struct call {
	char		target[64];
	size_t		n;
	uint64_t	ids[16];
};
static struct call calls[CALLS_MAX];
static size_t ncalls;
static size_t body_ok;

/* temp* -> TEMPFAIL, perm* -> PERMFAIL, else delivered; checks bodies. */
static void
local_fn(void *arg, struct queue *q, const char *module, const char *target,
    struct queue_item *items, size_t n)
{
	struct call *c;
	struct buf b;
	size_t i;

	(void)arg;
	test_assert_str(module, "LOCAL");
	pthread_mutex_lock(&mu);
	if (ncalls < CALLS_MAX) {
		c = &calls[ncalls++];
		snprintf(c->target, sizeof(c->target), "%s", target);
		c->n = n;
		for (i = 0; i < n && i < 16; i++)
			c->ids[i] = items[i].msg_id;
	}
	pthread_mutex_unlock(&mu);
	for (i = 0; i < n; i++) {
		buf_init(&b, 1 << 20);
		if (queue_read_body(q, items[i].msg_id, &b, NULL) == 0 &&
		    b.len == items[i].size) {
			pthread_mutex_lock(&mu);
			body_ok++;
			pthread_mutex_unlock(&mu);
		}
		buf_free(&b);
		test_assert_str(items[i].address, target);
		if (strncmp(items[i].address, "temp", 4) == 0) {
			items[i].outcome = QUEUE_OUT_TEMPFAIL;
			snprintf(items[i].error, sizeof(items[i].error),
			    "4.2.2 mailbox busy");
		} else if (strncmp(items[i].address, "perm", 4) == 0) {
			items[i].outcome = QUEUE_OUT_PERMFAIL;
			snprintf(items[i].error, sizeof(items[i].error),
			    "5.2.1 mailbox disabled");
		} else
			items[i].outcome = QUEUE_OUT_DELIVERED;
	}
}

static char *
make_base(void)
{
	char tmpl[] = "/tmp/tegami-queue-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		fatal("mkdtemp");
	return xstrdup(tmpl);
}

static void
rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

static struct queue *
open_q(const char *base)
{
	static const uint32_t sched[] = { 60, 120 };
	struct queue_config cfg;
	struct queue *q;
	struct error err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.base_dir = base;
	cfg.retry = sched;
	cfg.nretry = 2;
	cfg.max_queue_time = 300;
	cfg.workers = 2;
	cfg.clock = clock_fn;
	q = queue_open(&cfg, &err);
	if (q == NULL)
		fatal("queue_open: %s", err.msg);
	queue_set_router(q, router_fn, NULL);
	queue_set_main_domain(q, "local.test");
	return q;
}

static uint64_t
submit1(struct queue *q, const char *rp, const char *rcpt, const char *body,
    size_t len)
{
	struct queue_msg m;
	struct queue_rcpt r;
	struct error err;
	uint64_t id = 0;

	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	r.address = rcpt;
	m.return_path = rp;
	m.submit_tag = "SMTP";
	m.source_ip = "192.0.2.7";
	m.rcpts = &r;
	m.nrcpt = 1;
	m.body = body;
	m.body_len = len;
	if (queue_submit(q, &m, &id, &err) < 0) {
		fprintf(stderr, "submit: %s\n", err.msg);
		return 0;
	}
	return id;
}

static struct queue_counts
counts(struct queue *q)
{
	struct queue_counts c;

	memset(&c, 0, sizeof(c));
	test_assert(queue_counts(q, &c, NULL) == 0);
	return c;
}

/* Waits (up to 10 s) until the queue is quiet: nothing in delivery and
 * the given number of outcomes recorded. */
static bool
wait_outcomes(struct queue *q, uint64_t delivered, uint64_t failed)
{
	struct queue_counts c;
	int i;

	for (i = 0; i < 1000; i++) {
		c = counts(q);
		if (c.delivered >= delivered && c.failed >= failed &&
		    c.rcpts_in_delivery == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static const char small_body[] = "Subject: t\r\n\r\nhello\r\n";

static void
test_round_trip(void)
{
	struct queue *q;
	struct queue_msg_info info, *list;
	struct buf b;
	char *base, *big, *path, small[1000];
	uint64_t id1, id2;
	size_t i, n;
	struct stat stt;

	test_begin("submit, list, read body: small and large, byte for byte");
	base = make_base();
	q = open_q(base);
	for (i = 0; i < sizeof(small); i++)
		small[i] = (char)(i * 7);	/* includes NULs */
	big = xmalloc(300 * 1024);
	for (i = 0; i < 300 * 1024; i++)
		big[i] = (char)(i % 251);
	id1 = submit1(q, "s@remote.test", "x@remote.test", small,
	    sizeof(small));
	id2 = submit1(q, "s@remote.test", "x@remote.test", big, 300 * 1024);
	test_assert(id1 != 0 && id2 != 0 && id1 != id2);

	buf_init(&b, 1 << 20);
	test_assert(queue_read_body(q, id1, &b, NULL) == 0);
	test_assert(b.len == sizeof(small) && memcmp(b.data, small,
	    sizeof(small)) == 0);
	buf_reset(&b);
	test_assert(queue_read_body(q, id2, &b, NULL) == 0);
	test_assert(b.len == 300 * 1024 && memcmp(b.data, big, b.len) == 0);
	buf_free(&b);

	test_assert(queue_message_info(q, id1, &info, NULL) == 0);
	test_assert(info.body_file == NULL);
	test_assert_str(info.return_path, "s@remote.test");
	test_assert_str(info.submit_tag, "SMTP");
	test_assert_str(info.source_ip, "192.0.2.7");
	test_assert(info.size == sizeof(small) && info.nrcpt == 1);
	test_assert(info.received == 1000000);
	test_assert_str(info.rcpts[0].module, "SMTP");
	test_assert_str(info.rcpts[0].target, "remote.test");
	queue_msg_info_clear(&info);
	test_assert(queue_message_info(q, id2, &info, NULL) == 0);
	test_assert(info.body_file != NULL);
	path = xasprintf("%s/Queue/bodies/%s", base, info.body_file ?
	    info.body_file : "");
	test_assert(stat(path, &stt) == 0 && stt.st_size == 300 * 1024);
	free(path);
	queue_msg_info_clear(&info);

	test_assert(queue_list(q, 100, &list, &n, NULL) == 0);
	test_assert(n == 2 && list[0].id == id1 && list[1].id == id2);
	test_assert(n == 2 && list[1].nrcpt == 1 &&
	    list[1].rcpts[0].state == QUEUE_RCPT_PENDING);
	queue_list_free(&list, n);

	/* Survives a clean reopen. */
	queue_close(&q);
	test_assert(q == NULL);
	q = open_q(base);
	buf_init(&b, 1 << 20);
	test_assert(queue_read_body(q, id2, &b, NULL) == 0);
	test_assert(b.len == 300 * 1024 && memcmp(b.data, big, b.len) == 0);
	buf_free(&b);
	test_assert(queue_check_integrity(q, NULL) == 0);
	test_assert(queue_read_body(q, id2 + 100, &b, NULL) < 0);
	queue_close(&q);
	free(big);
	rm_rf(base);
	free(base);
	test_end();
}

struct gc_arg {
	struct queue	*q;
	uint64_t	 ids[50];
	int		 failures;
};

static void *
gc_thread(void *arg)
{
	struct gc_arg *a = arg;
	int i;

	for (i = 0; i < 50; i++) {
		a->ids[i] = submit1(a->q, "s@remote.test", "x@remote.test",
		    small_body, sizeof(small_body) - 1);
		if (a->ids[i] == 0)
			a->failures++;
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_group_commit(void)
{
	struct queue *q;
	struct gc_arg args[20];
	pthread_t th[20];
	struct queue_counts c;
	uint64_t all[1000];
	char *base;
	size_t i, j, dup = 0;
	int fails = 0;

	test_begin("group commit: 20 threads x 50 submits");
	base = make_base();
	q = open_q(base);
	for (i = 0; i < 20; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].q = q;
		pthread_create(&th[i], NULL, gc_thread, &args[i]);
	}
	for (i = 0; i < 20; i++) {
		pthread_join(th[i], NULL);
		fails += args[i].failures;
		for (j = 0; j < 50; j++)
			all[i * 50 + j] = args[i].ids[j];
	}
	test_assert(fails == 0);
	qsort(all, 1000, sizeof(all[0]), cmp_u64);
	for (i = 1; i < 1000; i++)
		if (all[i] == all[i - 1])
			dup++;
	test_assert(dup == 0 && all[0] != 0);
	c = counts(q);
	test_assert(c.messages == 1000 && c.rcpts_pending == 1000);
	test_assert(c.submitted == 1000);
	fprintf(stderr, "group commit: 1000 messages in %llu transactions\n",
	    (unsigned long long)c.transactions);
	test_assert(c.transactions < 500);
	queue_close(&q);
	rm_rf(base);
	free(base);
	test_end();
}

/* Threads that announce a body, then hand it over, as SMTP sessions do. */
static void *
announce_thread(void *arg)
{
	struct gc_arg *a = arg;
	int i;

	for (i = 0; i < 50; i++) {
		queue_receiving(a->q, true);
		sched_yield();
		queue_receiving(a->q, false);
		a->ids[i] = submit1(a->q, "s@remote.test", "x@remote.test",
		    small_body, sizeof(small_body) - 1);
		if (a->ids[i] == 0)
			a->failures++;
	}
	return NULL;
}

static void
test_receiving(void)
{
	struct queue *q;
	struct gc_arg args[10];
	pthread_t th[10];
	struct queue_counts c;
	char *base;
	size_t i;
	int fails = 0;

	test_begin("announced bodies: commits gather them; one never handed "
	    "over does not hold commits back");
	base = make_base();
	q = open_q(base);
	/* a session stuck in DATA for the whole test */
	queue_receiving(q, true);
	for (i = 0; i < 20; i++)
		test_assert(submit1(q, "s@remote.test", "x@remote.test",
		    small_body, sizeof(small_body) - 1) != 0);
	for (i = 0; i < 10; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].q = q;
		pthread_create(&th[i], NULL, announce_thread, &args[i]);
	}
	for (i = 0; i < 10; i++) {
		pthread_join(th[i], NULL);
		fails += args[i].failures;
	}
	queue_receiving(q, false);
	test_assert(fails == 0);
	c = counts(q);
	test_assert(c.messages == 520 && c.submitted == 520);
	fprintf(stderr, "receiving: 520 messages in %llu transactions\n",
	    (unsigned long long)c.transactions);
	test_assert(c.transactions <= 520);
	/* unbalanced ends are ignored */
	queue_receiving(q, false);
	test_assert(submit1(q, "s@remote.test", "x@remote.test", small_body,
	    sizeof(small_body) - 1) != 0);
	queue_close(&q);
	rm_rf(base);
	free(base);
	test_end();
}

/* Finds the DSN in the queue (return-path <>), checks it names text. */
static bool
find_dsn(struct queue *q, const char *to, const char *text)
{
	struct queue_msg_info *list;
	struct buf b;
	size_t i, n;
	bool found = false;

	if (queue_list(q, 1000, &list, &n, NULL) < 0)
		return false;
	for (i = 0; i < n && !found; i++) {
		if (strcmp(list[i].return_path, "") != 0 ||
		    strcmp(list[i].submit_tag, "DSN") != 0 ||
		    list[i].nrcpt != 1 ||
		    strcmp(list[i].rcpts[0].address, to) != 0)
			continue;
		buf_init(&b, 1 << 20);
		if (queue_read_body(q, list[i].id, &b, NULL) == 0 &&
		    memmem(b.data, b.len, text, strlen(text)) != NULL)
			found = true;
		buf_free(&b);
	}
	queue_list_free(&list, n);
	return found;
}

static void
test_delivery(void)
{
	struct queue *q;
	struct queue_msg_info info;
	struct queue_counts c;
	char *base, *big;
	uint64_t a[5], bid = 0, tid, pid, pid0, rid, sid, bigid;
	size_t i, n, ncall_a = 0, na = 0;
	DIR *d;

	base = make_base();
	q = open_q(base);
	queue_set_dispatcher(q, "LOCAL", local_fn, NULL);

	test_begin("dispatcher gets all ready messages of one target at once");
	for (i = 0; i < 5; i++) {
		a[i] = submit1(q, "s@remote.test", "a@local.test", small_body,
		    sizeof(small_body) - 1);
		if (i == 2)
			bid = submit1(q, "s@remote.test", "b@local.test",
			    small_body, sizeof(small_body) - 1);
	}
	big = xmalloc(400 * 1024);
	memset(big, 'x', 400 * 1024);
	bigid = submit1(q, "s@remote.test", "c@local.test", big, 400 * 1024);
	free(big);
	test_assert(queue_start(q, NULL) == 0);
	test_assert(wait_outcomes(q, 7, 0));
	pthread_mutex_lock(&mu);
	for (i = 0; i < ncalls; i++)
		if (strcmp(calls[i].target, "a@local.test") == 0) {
			ncall_a++;
			na = calls[i].n;
			test_assert(calls[i].ids[0] == a[0] &&
			    calls[i].ids[4] == a[4]);
		}
	test_assert(body_ok == 7);
	pthread_mutex_unlock(&mu);
	test_assert(ncall_a == 1 && na == 5);
	test_assert(queue_message_info(q, a[0], &info, NULL) < 0);
	test_assert(queue_message_info(q, bid, &info, NULL) < 0);
	test_assert(queue_message_info(q, bigid, &info, NULL) < 0);
	c = counts(q);
	test_assert(c.messages == 0 && c.delivered == 7);
	/* The delivered large body's file is gone. */
	d = opendir(base);
	test_assert(d != NULL);
	closedir(d);
	test_assert(qt_count_body_files(base) == 0);
	test_end();

	test_begin("temporary failure: rescheduled, released, expired");
	tid = submit1(q, "s@remote.test", "temp@local.test", small_body,
	    sizeof(small_body) - 1);
	test_assert(wait_outcomes(q, 7, 0));
	for (i = 0; i < 200; i++) {
		test_assert(queue_message_info(q, tid, &info, NULL) == 0);
		n = info.nrcpt == 1 ? info.rcpts[0].attempts : 0;
		if (n == 1)
			break;
		queue_msg_info_clear(&info);
		usleep(10000);
	}
	test_assert(info.nrcpt == 1 && info.rcpts[0].attempts == 1);
	test_assert(info.nrcpt == 1 && info.rcpts[0].next_attempt ==
	    1000000 + 60);
	test_assert(info.nrcpt == 1 && info.rcpts[0].last_error != NULL &&
	    strcmp(info.rcpts[0].last_error, "4.2.2 mailbox busy") == 0);
	queue_msg_info_clear(&info);
	/* Retry when due. */
	clock_set(1000000 + 60);
	queue_kick(q);
	for (i = 0; i < 200; i++) {
		test_assert(queue_message_info(q, tid, &info, NULL) == 0);
		n = info.nrcpt == 1 ? info.rcpts[0].attempts : 0;
		if (n == 2)
			break;
		queue_msg_info_clear(&info);
		usleep(10000);
	}
	test_assert(n == 2 && info.rcpts[0].next_attempt == 1000000 + 180);
	queue_msg_info_clear(&info);
	/* Release: retried now although not due. */
	test_assert(queue_release(q, "LOCAL", "temp@local.test", &n, NULL) ==
	    0 && n == 1);
	for (i = 0; i < 200; i++) {
		test_assert(queue_message_info(q, tid, &info, NULL) == 0);
		n = info.nrcpt == 1 ? info.rcpts[0].attempts : 0;
		if (n == 3)
			break;
		queue_msg_info_clear(&info);
		usleep(10000);
	}
	test_assert(n == 3);
	/* Never scheduled past the expiry time. */
	test_assert(info.rcpts[0].next_attempt == 1000000 + 180);
	queue_msg_info_clear(&info);
	/* MaxQueueTime (300 s): the next failure is final, with a DSN. */
	clock_set(1000000 + 300);
	queue_kick(q);
	test_assert(wait_outcomes(q, 7, 1));
	test_assert(queue_message_info(q, tid, &info, NULL) < 0);
	test_assert(find_dsn(q, "s@remote.test", "expired after 300 seconds"));
	test_assert(find_dsn(q, "s@remote.test",
	    "Final-Recipient: rfc822; temp@local.test"));
	test_end();

	test_begin("permanent failure: DSN to the return-path, none for <>");
	c = counts(q);
	pid = submit1(q, "s@remote.test", "perm1@local.test", small_body,
	    sizeof(small_body) - 1);
	test_assert(wait_outcomes(q, 7, 2));
	test_assert(queue_message_info(q, pid, &info, NULL) < 0);
	test_assert(find_dsn(q, "s@remote.test", "5.2.1 mailbox disabled"));
	test_assert(counts(q).dsns == c.dsns + 1);
	pid0 = submit1(q, "", "perm2@local.test", small_body,
	    sizeof(small_body) - 1);
	test_assert(wait_outcomes(q, 7, 3));
	test_assert(queue_message_info(q, pid0, &info, NULL) < 0);
	test_assert(counts(q).dsns == c.dsns + 1);
	test_end();

	test_begin("refused at routing: fails at once with a DSN");
	c = counts(q);
	rid = submit1(q, "s@remote.test", "who@nowhere.test", small_body,
	    sizeof(small_body) - 1);
	test_assert(rid != 0);
	test_assert(queue_message_info(q, rid, &info, NULL) < 0);
	test_assert(counts(q).dsns == c.dsns + 1);
	test_assert(find_dsn(q, "s@remote.test", "5.1.2 unknown domain"));
	test_end();

	test_begin("module without dispatcher stays pending; reject");
	sid = submit1(q, "s@local.test", "far@remote.test", small_body,
	    sizeof(small_body) - 1);
	queue_kick(q);
	usleep(100000);
	test_assert(queue_message_info(q, sid, &info, NULL) == 0);
	test_assert(info.nrcpt == 1 && info.rcpts[0].state ==
	    QUEUE_RCPT_PENDING && info.rcpts[0].attempts == 0);
	test_assert(info.nrcpt == 1 && strcmp(info.rcpts[0].module, "SMTP")
	    == 0);
	queue_msg_info_clear(&info);
	c = counts(q);
	test_assert(queue_reject_message(q, sid, "stopped by admin", NULL) ==
	    0);
	test_assert(queue_message_info(q, sid, &info, NULL) < 0);
	test_assert(queue_reject_message(q, sid, NULL, NULL) < 0);
	test_assert(counts(q).failed == c.failed + 1);
	/* The DSN goes to s@local.test: delivered by LOCAL. */
	test_assert(wait_outcomes(q, 8, c.failed + 1));
	pthread_mutex_lock(&mu);
	test_assert(ncalls > 0 && strcmp(calls[ncalls - 1].target,
	    "s@local.test") == 0);
	pthread_mutex_unlock(&mu);
	test_end();

	queue_close(&q);
	rm_rf(base);
	free(base);
}

int
main(void)
{
	test_round_trip();
	test_group_commit();
	test_receiving();
	test_delivery();
	return test_done();
}
