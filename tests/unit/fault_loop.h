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

#include <stdio.h>
#include <string.h>

#include "lib/fault.h"
#include "lib/test.h"

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

#endif
