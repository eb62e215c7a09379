/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault_loop.h: the driver the queue and store fault tests share.  For one
 * operation (write or fsync) it runs a test's scenario with the 1st, 2nd,
 * ... call of that operation failing, until a run where the fault no
 * longer fires (the scenario has fewer calls), and checks the totals:
 * something fired and was refused, nothing acknowledged was lost, damaged
 * or stored twice.
 */
#ifndef TEGAMI_TESTS_FAULT_LOOP_H
#define TEGAMI_TESTS_FAULT_LOOP_H

#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

#define FAULT_LOOP_MAX	400	/* bound of each N loop */

struct fault_stats {
	unsigned	 runs, fired, refused, acked, present, lost, unreadable,
			 dups, strays, integrity, orphans;
};

/* One scenario with the nth call of op failing (then a crash if asked);
 * adds to *s; false when the fault did not fire. */
typedef bool fault_run_fn(enum fault_op op, unsigned long nth, bool crash,
    struct fault_stats *s);

static inline void
fault_nth_loop(const char *promise, const char *acked_word,
    enum fault_op op, bool crash, fault_run_fn *run)
{
	struct fault_stats s;
	unsigned long nth;
	char name[128];

	snprintf(name, sizeof(name), "every Nth %s fails%s: %s",
	    fault_op_name(op), crash ? ", then a crash" : "", promise);
	test_begin(name);
	memset(&s, 0, sizeof(s));
	for (nth = 1; nth <= FAULT_LOOP_MAX; nth++)
		if (!run(op, nth, crash, &s))
			break;
	printf("%s:%s %u runs, %u fired, %u refused, %u %s, %u present, "
	    "%u lost, %u unreadable, %u dups\n", fault_op_name(op),
	    crash ? " crash," : "", s.runs, s.fired, s.refused, s.acked,
	    acked_word, s.present, s.lost, s.unreadable, s.dups);
	test_assert(nth <= FAULT_LOOP_MAX);	/* went past the last call */
	test_assert(s.fired > 0 && s.refused > 0);
	test_assert(s.integrity == 0);
	test_assert(s.lost == 0);
	test_assert(s.unreadable == 0);
	test_assert(s.dups == 0 && s.strays == 0);
	test_assert(s.orphans == 0);
	test_end();
}

/* The part of a scenario that runs under the fault: opens what it tests in
 * dir, arms the fault, does its work, closes unless crash, and writes what
 * was acknowledged into res (at most size bytes); returns its length. */
typedef size_t fault_work_fn(const char *dir, enum fault_op op,
    unsigned long nth, bool crash, void *res, size_t size);

/* Runs work here, then disarms the fault; or, with crash, in a child that
 * exits holding what it opened, as after a crash, and sends res back
 * through a pipe.  *len_r gets res's length; returns how many times the
 * fault fired.  A failed child is fatal. */
static inline unsigned long
fault_run_work(fault_work_fn *work, const char *dir, enum fault_op op,
    unsigned long nth, bool crash, void *res, size_t size, size_t *len_r)
{
	unsigned long fired = fault_fired();
	size_t len = 0;
	ssize_t r = 0;
	int fds[2], st;
	bool ok;
	pid_t pid;

	if (!crash) {
		*len_r = work(dir, op, nth, false, res, size);
		fault_reset();
		return fault_fired() - fired;
	}
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		fatal("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		len = work(dir, op, nth, true, res, size);
		fired = fault_fired() - fired;
		if (write(fds[1], &fired, sizeof(fired)) != sizeof(fired) ||
		    write(fds[1], res, len) != (ssize_t)len)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	ok = read(fds[0], &fired, sizeof(fired)) == sizeof(fired);
	while (ok && len < size &&
	    (r = read(fds[0], (char *)res + len, size - len)) > 0)
		len += (size_t)r;
	close(fds[0]);
	if (!ok || r < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		fatal("fault child failed");
	*len_r = len;
	return fired;
}

/* Removes a scenario's directory. */
static inline void
fault_rm_dir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

#endif
