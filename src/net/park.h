/* SPDX-License-Identifier: Apache-2.0 */
/*
 * park.h: hibernated sessions watched by one epoll thread
 * (docs/architecture.md, Threads).
 *
 * A session that has waited for its client longer than a short setting
 * (HibernateAfter) gives its thread back: its state stays in memory (a TLS
 * conn included: an OpenSSL object is not tied to a thread) and park_add()
 * hands its socket, optionally a second descriptor (the IMAP IDLE change
 * eventfd) and a deadline to the park loop.  The first of: input on the
 * socket (also EOF or an error), the second descriptor readable, the
 * deadline, or park_wake_all() fires the entry once; the loop then calls
 * the wake function with the entry's argument and the reason, on the loop
 * thread, which must hand the session to a worker and return at once.
 *
 * Entries belong to the park; they are freed on the loop thread after they
 * fired, so nothing the caller holds refers to one.  park_add() may be
 * called from any thread; the wake function of that entry may run before
 * park_add() returns, so the caller must not touch the session after it.
 */
#ifndef TEGAMI_NET_PARK_H
#define TEGAMI_NET_PARK_H

#include "lib/compat.h"

#include "lib/error.h"

enum park_event {
	PARK_INPUT,		/* the socket is readable (or closed) */
	PARK_NOTIFY,		/* the second descriptor is readable */
	PARK_TIMEOUT,		/* the deadline passed */
	PARK_SHUTDOWN		/* park_wake_all(): the server stops */
};

struct park;
struct park_entry;

/*
 * A wake-up without a descriptor: the caller keeps a token (in its
 * session), sets it up with park_token_init() before it registers
 * anything that may call park_notify(), and passes it to park_add().
 * park_notify() (any thread; takes only the park's lock) fires the entry
 * parked with the token as PARK_NOTIFY, or, before park_add(), makes
 * park_add() fire it at once; once the entry fired it does nothing.  The
 * fields are the park's.
 */
struct park_token {
	struct park	*p;
	struct park_entry *entry;
	bool		 notified;
};

/* Called once per entry on the loop thread (or in park_wake_all()'s
 * caller when the loop could not run); must not block. */
typedef void	park_wake_fn(void *arg, enum park_event ev);

/* Starts the loop thread.  NULL with err_r filled when the epoll instance,
 * its wake-up eventfd or the thread cannot be made. */
struct park	*park_new(park_wake_fn *wake, struct error *err_r);
/*
 * Parks: fd (the socket) and fd2 (-1: none) are watched for input, tok
 * (NULL: none) may fire it as PARK_NOTIFY, deadline is a CLOCK_MONOTONIC time in ms (0: none).  0, or -1 with
 * err_r filled: ERR_TEMP once park_wake_all() began (the caller resumes
 * the session itself with PARK_SHUTDOWN), ERR_LIMIT past PARK_ENTRIES_MAX,
 * ERR_IO when epoll refuses the descriptor.
 */
int	park_add(struct park *p, int fd, int fd2, struct park_token *tok,
	    int64_t deadline, void *arg, struct error *err_r);
/* p may be NULL (park_notify() then does nothing). */
void	park_token_init(struct park *p, struct park_token *tok);
void	park_notify(struct park_token *tok);
/* Fires every entry with PARK_SHUTDOWN and refuses new ones; returns when
 * the wake function has been called for all of them. */
void	park_wake_all(struct park *p);
/* Entries parked now. */
unsigned	park_count(struct park *p);
/* park_wake_all(), stops the loop thread, frees; sets *pp to NULL. */
void	park_free(struct park **pp);

/* CLOCK_MONOTONIC in ms, the clock of the deadlines. */
int64_t	park_now_ms(void);

#endif
