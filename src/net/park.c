/* SPDX-License-Identifier: Apache-2.0 */
/*
 * park.c: one epoll thread watching hibernated sessions (see park.h).
 *
 * Each entry has one or two descriptors on the epoll instance
 * (EPOLLONESHOT, data.ptr = the entry's slot for that descriptor) and an
 * optional deadline in a binary min-heap.  Only the loop thread fires and
 * frees entries: an entry fired by the first event of a batch is marked,
 * a later event of the same batch for it is skipped, and it is freed once
 * the batch is done, so no event ever points at freed memory.  park_add()
 * (any thread) inserts under the lock and writes the loop's eventfd when
 * the new deadline is the earliest, so the loop's epoll_wait() time-out is
 * always that of the first deadline.  park_wake_all() asks the loop to
 * fire everything and waits for it.
 */
#include "lib/compat.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/xmalloc.h"
#include "net/park.h"

#define PARK_BATCH	64		/* events per epoll_wait() */

struct park_entry;

struct park_slot {			/* epoll's data.ptr */
	struct park_entry *e;
	enum park_event	 ev;		/* PARK_INPUT or PARK_NOTIFY */
};

struct park_entry {
	struct park_slot slot[2];
	int		 fd[2];		/* fd[1] -1: none */
	int64_t		 deadline;	/* 0: none */
	size_t		 heap_i;	/* in p->heap, if deadline */
	void		*arg;
	struct park_entry *next, *prev;	/* p->all */
	struct park_entry *fired_next;	/* this batch's fired entries */
	struct park_token *tok;		/* NULL: none */
	struct park_entry *ready_next;	/* p->ready */
	bool		 ready;		/* on p->ready */
	bool		 fired;
};

struct park {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cond;		/* the loop emptied itself */
	pthread_t	 thread;
	park_wake_fn	*wake;
	int		 epfd, evfd;
	struct park_entry **heap;	/* by deadline */
	size_t		 nheap, capheap;
	struct park_entry *all;		/* every parked entry */
	struct park_entry *ready;	/* notified through their token */
	unsigned	 count;
	bool		 stopping;	/* park_wake_all() began */
	bool		 emptied;	/* the loop fired everything */
	bool		 quit;		/* park_free(): the loop ends */
};

int64_t
park_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the deadline heap (under p->mu) ---- */

static void
heap_set(struct park *p, size_t i, struct park_entry *e)
{
	p->heap[i] = e;
	e->heap_i = i;
}

static void
heap_up(struct park *p, size_t i)
{
	struct park_entry *e = p->heap[i];

	while (i > 0 && p->heap[(i - 1) / 2]->deadline > e->deadline) {
		heap_set(p, i, p->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(p, i, e);
}

static void
heap_down(struct park *p, size_t i)
{
	struct park_entry *e = p->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= p->nheap)
			break;
		if (c + 1 < p->nheap &&
		    p->heap[c + 1]->deadline < p->heap[c]->deadline)
			c++;
		if (p->heap[c]->deadline >= e->deadline)
			break;
		heap_set(p, i, p->heap[c]);
		i = c;
	}
	heap_set(p, i, e);
}

static void
heap_push(struct park *p, struct park_entry *e)
{
	if (p->nheap == p->capheap) {
		p->capheap = p->capheap == 0 ? 64 : p->capheap * 2;
		p->heap = xrealloc(p->heap, p->capheap * sizeof(*p->heap));
	}
	heap_set(p, p->nheap++, e);
	heap_up(p, e->heap_i);
}

static void
heap_remove(struct park *p, struct park_entry *e)
{
	size_t i = e->heap_i;
	struct park_entry *last;

	last = p->heap[--p->nheap];
	if (last == e)
		return;
	heap_set(p, i, last);
	heap_up(p, i);
	heap_down(p, last->heap_i);
}

/* ---- entries ---- */

static void
wake_loop(struct park *p)
{
	uint64_t one = 1;

	while (write(p->evfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Queues e to fire as PARK_NOTIFY (under p->mu). */
static void
make_ready(struct park *p, struct park_entry *e)
{
	if (e->ready || e->fired)
		return;
	e->ready = true;
	e->ready_next = p->ready;
	p->ready = e;
	wake_loop(p);
}

void
park_token_init(struct park *p, struct park_token *tok)
{
	tok->p = p;
	tok->entry = NULL;
	tok->notified = false;
}

void
park_notify(struct park_token *tok)
{
	struct park *p = tok->p;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (tok->entry != NULL)
		make_ready(p, tok->entry);
	else
		tok->notified = true;
	pthread_mutex_unlock(&p->mu);
}

int
park_add(struct park *p, int fd, int fd2, struct park_token *tok,
    int64_t deadline, void *arg, struct error *err_r)
{
	struct epoll_event ev;
	struct park_entry *e;
	int i, e_no;

	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return error_set(err_r, ERR_TEMP, "the server is stopping");
	}
	if (p->count >= PARK_ENTRIES_MAX) {
		pthread_mutex_unlock(&p->mu);
		return error_set(err_r, ERR_LIMIT, "more than %d sessions "
		    "hibernated", PARK_ENTRIES_MAX);
	}
	e = xcalloc(1, sizeof(*e));
	e->fd[0] = fd;
	e->fd[1] = fd2;
	e->deadline = deadline;
	e->arg = arg;
	for (i = 0; i < 2; i++) {
		e->slot[i].e = e;
		e->slot[i].ev = i == 0 ? PARK_INPUT : PARK_NOTIFY;
		if (e->fd[i] < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
		ev.data.ptr = &e->slot[i];
		if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, e->fd[i], &ev) != 0) {
			e_no = errno;
			if (i == 1)
				(void)epoll_ctl(p->epfd, EPOLL_CTL_DEL,
				    e->fd[0], NULL);
			pthread_mutex_unlock(&p->mu);
			free(e);
			return error_set(err_r, ERR_IO, "epoll: %s",
			    strerror(e_no));
		}
	}
	e->next = p->all;
	if (p->all != NULL)
		p->all->prev = e;
	p->all = e;
	p->count++;
	if (tok != NULL) {
		e->tok = tok;
		tok->entry = e;
		if (tok->notified)
			make_ready(p, e);
	}
	if (deadline != 0) {
		heap_push(p, e);
		if (e->heap_i == 0)
			wake_loop(p);	/* the loop's time-out shrinks */
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Takes e out of everything (under p->mu); the caller frees it after the
 * batch. */
static void
entry_unlink(struct park *p, struct park_entry *e)
{
	int i;

	for (i = 0; i < 2; i++)
		if (e->fd[i] >= 0)
			(void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, e->fd[i], NULL);
	if (e->deadline != 0)
		heap_remove(p, e);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		p->all = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	p->count--;
	if (e->tok != NULL)
		e->tok->entry = NULL;
	e->fired = true;
}

/* Fires the entries of list (each already unlinked) and frees them. */
static void
fire_list(struct park *p, struct park_entry *list)
{
	struct park_entry *e, *next;

	for (e = list; e != NULL; e = next) {
		next = e->fired_next;
		p->wake(e->arg, (enum park_event)e->heap_i);
		free(e);
	}
}

/* Marks e fired for reason ev and queues it on *list (under p->mu).  The
 * reason is kept in heap_i, which is free once e left the heap. */
struct fired {
	struct park_entry *head, **tail;	/* in firing order */
};

static void
fire_one(struct park *p, struct park_entry *e, enum park_event ev,
    struct fired *list)
{
	entry_unlink(p, e);
	e->heap_i = (size_t)ev;
	e->fired_next = NULL;
	*list->tail = e;
	list->tail = &e->fired_next;
}

static void *
park_loop(void *arg)
{
	struct park *p = arg;
	struct epoll_event evs[PARK_BATCH];
	struct park_slot *sl;
	struct park_entry *e;
	struct fired fired;
	int64_t now, wait;
	uint64_t v;
	int n, i;

	pthread_setname_np(pthread_self(), "park");
	for (;;) {
		pthread_mutex_lock(&p->mu);
		wait = -1;
		if (p->nheap > 0) {
			wait = p->heap[0]->deadline - park_now_ms();
			if (wait < 0)
				wait = 0;
			if (wait > INT32_MAX)
				wait = INT32_MAX;
		}
		pthread_mutex_unlock(&p->mu);
		n = epoll_wait(p->epfd, evs, PARK_BATCH, (int)wait);
		if (n < 0 && errno != EINTR)
			n = 0;		/* cannot happen; treat as time-out */
		fired.head = NULL;
		fired.tail = &fired.head;
		pthread_mutex_lock(&p->mu);
		/* The ready list is emptied here, under the lock, so no entry
		 * on it is ever freed. */
		while ((e = p->ready) != NULL) {
			p->ready = e->ready_next;
			e->ready = false;
			if (!e->fired)
				fire_one(p, e, PARK_NOTIFY, &fired);
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				while (read(p->evfd, &v, sizeof(v)) < 0 &&
				    errno == EINTR)
					;
				continue;
			}
			sl = evs[i].data.ptr;
			if (sl->e->fired)
				continue;	/* its other descriptor fired */
			fire_one(p, sl->e, sl->ev, &fired);
		}
		now = park_now_ms();
		while (p->nheap > 0 && p->heap[0]->deadline <= now)
			fire_one(p, p->heap[0], PARK_TIMEOUT, &fired);
		if (p->stopping) {
			while ((e = p->all) != NULL)
				fire_one(p, e, PARK_SHUTDOWN, &fired);
		}
		pthread_mutex_unlock(&p->mu);
		fire_list(p, fired.head);
		pthread_mutex_lock(&p->mu);
		if (p->stopping && p->all == NULL && !p->emptied) {
			p->emptied = true;
			pthread_cond_broadcast(&p->cond);
		}
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

struct park *
park_new(park_wake_fn *wake, struct error *err_r)
{
	struct park *p = xcalloc(1, sizeof(*p));
	struct epoll_event ev;
	pthread_condattr_t ca;
	int r;

	p->wake = wake;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->epfd < 0 || p->evfd < 0) {
		r = errno;
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) != 0) {
		r = errno;
		goto fail;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&p->thread, NULL, park_loop, p);
	if (r == 0)
		return p;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
fail:
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->evfd >= 0)
		close(p->evfd);
	free(p);
	(void)error_set(err_r, ERR_INTERNAL, "cannot start the park loop: "
	    "%s", strerror(r));
	return NULL;
}

void
park_wake_all(struct park *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	wake_loop(p);
	while (!p->emptied)
		pthread_cond_wait(&p->cond, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

unsigned
park_count(struct park *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->count;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
park_free(struct park **pp)
{
	struct park *p = *pp;

	if (p == NULL)
		return;
	park_wake_all(p);
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	wake_loop(p);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	close(p->epfd);
	close(p->evfd);
	free(p->heap);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
	free(p);
	*pp = NULL;
}
