/* SPDX-License-Identifier: Apache-2.0 */
/*
 * park_test.c: the park loop (net/park.h) with socketpairs and eventfds:
 * input, EOF, the second descriptor, deadlines in order, an entry readable
 * when added, one wake per entry when both descriptors fire, wake-all and
 * the refusal after it, and a stress run where worker threads re-park what
 * woke while another thread writes (also built with -fsanitize=thread).
 */
#include "lib/compat.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/test.h"
#include "net/park.h"

#define WAIT_MS		5000		/* every bounded wait here */
#define EVENTS_MAX	4096

struct rec {
	void		*arg;
	enum park_event	 ev;
	int64_t		 at;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct rec recs[EVENTS_MAX];
static size_t nrecs;

static void
on_wake(void *arg, enum park_event ev)
{
	pthread_mutex_lock(&mu);
	if (nrecs < EVENTS_MAX) {
		recs[nrecs].arg = arg;
		recs[nrecs].ev = ev;
		recs[nrecs].at = park_now_ms();
		nrecs++;
	}
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
}

static void
reset(void)
{
	pthread_mutex_lock(&mu);
	nrecs = 0;
	pthread_mutex_unlock(&mu);
}

/* Waits (bounded) until n wakes were recorded; the count. */
static size_t
wait_recs(size_t n)
{
	int64_t end = park_now_ms() + WAIT_MS;
	struct timespec ts;
	size_t got;

	pthread_mutex_lock(&mu);
	while (nrecs < n && park_now_ms() < end) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&cond, &mu, &ts);
	}
	got = nrecs;
	pthread_mutex_unlock(&mu);
	return got;
}

static size_t
nrecs_now(void)
{
	size_t n;

	pthread_mutex_lock(&mu);
	n = nrecs;
	pthread_mutex_unlock(&mu);
	return n;
}

static void
pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
test_input_eof_notify(void)
{
	struct park *p;
	struct error err;
	int sp[2], sp2[2], efd;
	uint64_t one = 1;
	int a = 1, b = 2, c = 3;

	test_begin("park: input, EOF, second descriptor");
	reset();
	p = park_new(on_wake, &err);
	test_assert(p != NULL);
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp2) == 0);
	efd = eventfd(0, EFD_NONBLOCK);
	test_assert(efd >= 0);
	test_assert(park_add(p, sp[0], -1, NULL, 0, &a, &err) == 0);
	test_assert(park_add(p, sp2[0], efd, NULL, 0, &b, &err) == 0);
	test_assert(park_count(p) == 2);
	pause_ms(50);
	test_assert(wait_recs(0) == 0);		/* nothing fired by itself */
	test_assert(nrecs_now() == 0);
	test_assert(write(sp[1], "x", 1) == 1);
	test_assert(wait_recs(1) == 1);
	test_assert(recs[0].arg == &a && recs[0].ev == PARK_INPUT);
	test_assert(write(efd, &one, sizeof(one)) == sizeof(one));
	test_assert(wait_recs(2) == 2);
	test_assert(recs[1].arg == &b && recs[1].ev == PARK_NOTIFY);
	test_assert(park_count(p) == 0);
	/* Readable when added (the byte written above is still there): at
	 * once.  And EOF wakes as input. */
	test_assert(park_add(p, sp[0], -1, NULL, 0, &a, &err) == 0);
	test_assert(wait_recs(3) == 3);
	test_assert(recs[2].arg == &a && recs[2].ev == PARK_INPUT);
	close(sp2[1]);
	test_assert(park_add(p, sp2[0], -1, NULL, 0, &c, &err) == 0);
	test_assert(wait_recs(4) == 4);
	test_assert(recs[3].arg == &c && recs[3].ev == PARK_INPUT);
	/* Both descriptors ready: one wake only. */
	test_assert(park_add(p, sp[0], efd, NULL, 0, &b, &err) == 0);
	pause_ms(50);
	test_assert(wait_recs(5) == 5);
	pause_ms(100);
	test_assert(nrecs_now() == 5);
	park_free(&p);
	test_assert(p == NULL);
	close(sp[0]);
	close(sp[1]);
	close(sp2[0]);
	close(efd);
	test_end();
}

static void
test_deadlines(void)
{
	static int args[200];
	struct park *p;
	struct error err;
	int i, order_ok = 1;
	int64_t now = park_now_ms(), dl[200];
	size_t n = 200, k;

	test_begin("park: deadlines fire in order");
	reset();
	p = park_new(on_wake, &err);
	test_assert(p != NULL);
	srand(7);
	for (i = 0; i < (int)n; i++) {
		dl[i] = now + 50 + rand() % 400;
		args[i] = i;
		/* No descriptor (fd -1): only the deadline wakes it. */
		test_assert(park_add(p, -1, -1, NULL, dl[i], &args[i], &err) == 0);
	}
	test_assert(wait_recs(1) >= 1);
	k = wait_recs(n);
	test_assert(k == n);
	for (k = 0; k < n; k++) {
		i = *(int *)recs[k].arg;
		test_assert(recs[k].ev == PARK_TIMEOUT);
		if (recs[k].at < dl[i])
			order_ok = 0;		/* fired early */
		if (k > 0 && dl[*(int *)recs[k - 1].arg] > dl[i])
			order_ok = 0;
	}
	test_assert(order_ok);
	park_free(&p);
	test_end();
}

static void
test_wake_all(void)
{
	static int args[100];
	struct park *p;
	struct error err;
	int sp[100][2], i, shut = 0;

	test_begin("park: wake-all, then refusal");
	reset();
	p = park_new(on_wake, &err);
	test_assert(p != NULL);
	for (i = 0; i < 100; i++) {
		test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]) == 0);
		test_assert(park_add(p, sp[i][0], -1, NULL,
		    i % 2 ? park_now_ms() + 60000 : 0, &args[i], &err) == 0);
	}
	park_wake_all(p);
	test_assert(nrecs_now() == 100);	/* all before it returned */
	for (i = 0; i < 100; i++)
		shut += recs[i].ev == PARK_SHUTDOWN;
	test_assert(shut == 100);
	test_assert(park_count(p) == 0);
	test_assert(park_add(p, sp[0][0], -1, NULL, 0, &args[0], &err) < 0);
	test_assert(err.kind == ERR_TEMP);
	park_free(&p);
	for (i = 0; i < 100; i++) {
		close(sp[i][0]);
		close(sp[i][1]);
	}
	test_end();
}

static struct park_token tok_a, tok_b;

static void *
notifier(void *arg)
{
	park_notify(arg);
	return NULL;
}

static void
test_tokens(void)
{
	struct park *p;
	struct error err;
	pthread_t t;
	int sp[2], a = 1, b = 2;

	test_begin("park: tokens, a wake without a descriptor");
	reset();
	p = park_new(on_wake, &err);
	test_assert(p != NULL);
	test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	park_token_init(p, &tok_a);
	park_token_init(p, &tok_b);
	test_assert(park_add(p, sp[0], -1, &tok_a, 0, &a, &err) == 0);
	test_assert(park_add(p, -1, -1, &tok_b, 0, &b, &err) == 0);
	pause_ms(50);
	test_assert(nrecs_now() == 0);
	pthread_create(&t, NULL, notifier, &tok_b);	/* another thread */
	pthread_join(t, NULL);
	test_assert(wait_recs(1) == 1);
	test_assert(recs[0].arg == &b && recs[0].ev == PARK_NOTIFY);
	/* Once fired, a notice does nothing; the other entry stays. */
	park_notify(&tok_b);
	park_notify(&tok_b);
	pause_ms(50);
	test_assert(nrecs_now() == 1);
	test_assert(park_count(p) == 1);
	/* Input and a notice at once: one wake. */
	test_assert(write(sp[1], "x", 1) == 1);
	park_notify(&tok_a);
	test_assert(wait_recs(2) == 2);
	pause_ms(50);
	test_assert(nrecs_now() == 2);
	/* Notified before park_add(): fires at once (no lost wake-up). */
	park_token_init(p, &tok_b);
	park_notify(&tok_b);
	test_assert(park_add(p, -1, -1, &tok_b, 0, &b, &err) == 0);
	test_assert(wait_recs(3) == 3);
	test_assert(recs[2].arg == &b && recs[2].ev == PARK_NOTIFY);
	/* A token of no park does nothing. */
	park_token_init(NULL, &tok_a);
	park_notify(&tok_a);
	park_free(&p);
	close(sp[0]);
	close(sp[1]);
	test_end();
}

/* ---- stress: wakes re-parked by workers while a writer writes ---- */

#define STRESS_N	64
#define STRESS_ROUNDS	20

static struct park *sp_park;
static int sp_fd[STRESS_N][2];
static int sp_rounds[STRESS_N];
static int sp_queue[EVENTS_MAX];
static size_t sp_qn, sp_done;
static pthread_mutex_t sp_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sp_cond = PTHREAD_COND_INITIALIZER;
static bool sp_stop;

static void
stress_wake(void *arg, enum park_event ev)
{
	(void)ev;
	pthread_mutex_lock(&sp_mu);
	sp_queue[sp_qn++] = (int)(intptr_t)arg;
	pthread_cond_signal(&sp_cond);
	pthread_mutex_unlock(&sp_mu);
}

static void *
stress_worker(void *arg)
{
	struct error err;
	char b[16];
	int i;

	(void)arg;
	pthread_mutex_lock(&sp_mu);
	for (;;) {
		while (sp_qn == 0 && !sp_stop)
			pthread_cond_wait(&sp_cond, &sp_mu);
		if (sp_qn == 0)
			break;
		i = sp_queue[--sp_qn];
		pthread_mutex_unlock(&sp_mu);
		while (read(sp_fd[i][0], b, sizeof(b)) > 0)
			;			/* the session's read */
		pthread_mutex_lock(&sp_mu);
		if (++sp_rounds[i] >= STRESS_ROUNDS) {
			sp_done++;
			pthread_cond_broadcast(&sp_cond);
			continue;
		}
		pthread_mutex_unlock(&sp_mu);
		/* Parks again, sometimes with a deadline already due. */
		if (park_add(sp_park, sp_fd[i][0], -1, NULL, i % 3 == 0 ?
		    park_now_ms() : 0, (void *)(intptr_t)i, &err) < 0) {
			test_assert(err.kind == ERR_TEMP);	/* wake-all */
			pthread_mutex_lock(&sp_mu);
			sp_done++;
			continue;
		}
		pthread_mutex_lock(&sp_mu);
	}
	pthread_mutex_unlock(&sp_mu);
	return NULL;
}

static void *
stress_writer(void *arg)
{
	int r, i;

	(void)arg;
	for (r = 0; r < STRESS_ROUNDS * 4; r++) {
		for (i = 0; i < STRESS_N; i++)
			if (write(sp_fd[i][1], "x", 1) < 0)
				break;
		pthread_mutex_lock(&sp_mu);
		if (sp_done == STRESS_N) {
			pthread_mutex_unlock(&sp_mu);
			break;
		}
		pthread_mutex_unlock(&sp_mu);
		pause_ms(2);
	}
	return NULL;
}

static void
test_stress(void)
{
	pthread_t w[3], wr;
	struct error err;
	int64_t end;
	int i, fl;

	test_begin("park: re-parking from several threads");
	sp_park = park_new(stress_wake, &err);
	test_assert(sp_park != NULL);
	for (i = 0; i < STRESS_N; i++) {
		test_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sp_fd[i]) == 0);
		fl = fcntl(sp_fd[i][0], F_GETFL);
		test_assert(fcntl(sp_fd[i][0], F_SETFL, fl | O_NONBLOCK) == 0);
		test_assert(park_add(sp_park, sp_fd[i][0], -1, NULL, 0,
		    (void *)(intptr_t)i, &err) == 0);
	}
	for (i = 0; i < 3; i++)
		pthread_create(&w[i], NULL, stress_worker, NULL);
	pthread_create(&wr, NULL, stress_writer, NULL);
	pthread_join(wr, NULL);
	end = park_now_ms() + WAIT_MS;
	pthread_mutex_lock(&sp_mu);
	while (sp_done < STRESS_N && park_now_ms() < end) {
		pthread_mutex_unlock(&sp_mu);
		pause_ms(10);
		pthread_mutex_lock(&sp_mu);
	}
	pthread_mutex_unlock(&sp_mu);
	/* Those that got fewer than all their rounds (the writer ended) are
	 * still parked or queued: wake-all hands them over, workers drop
	 * them since the park refuses. */
	park_wake_all(sp_park);
	end = park_now_ms() + WAIT_MS;
	pthread_mutex_lock(&sp_mu);
	while (sp_done < STRESS_N && park_now_ms() < end) {
		pthread_mutex_unlock(&sp_mu);
		pause_ms(10);
		pthread_mutex_lock(&sp_mu);
	}
	test_assert(sp_done == STRESS_N);	/* none lost, none twice */
	sp_stop = true;
	pthread_cond_broadcast(&sp_cond);
	pthread_mutex_unlock(&sp_mu);
	for (i = 0; i < 3; i++)
		pthread_join(w[i], NULL);
	park_free(&sp_park);
	for (i = 0; i < STRESS_N; i++) {
		close(sp_fd[i][0]);
		close(sp_fd[i][1]);
	}
	test_end();
}

int
main(void)
{
	test_input_eof_notify();
	test_deadlines();
	test_wake_all();
	test_tokens();
	test_stress();
	return test_done();
}
