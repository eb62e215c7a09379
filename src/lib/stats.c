/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stats.c: the statistics counters (stats.h).
 */
#include "lib/compat.h"

#include <stdatomic.h>

#include "lib/stats.h"

static _Atomic uint64_t counters[STAT_COUNT];

static const char *const names[STAT_COUNT] = {
	"MessagesReceived", "MessagesDelivered", "MessagesRelayed",
	"LoginsFailed"
};

void
stats_add(enum stat_id id, uint64_t n)
{
	if ((unsigned)id < STAT_COUNT)
		atomic_fetch_add_explicit(&counters[id], n,
		    memory_order_relaxed);
}

uint64_t
stats_get(enum stat_id id)
{
	if ((unsigned)id >= STAT_COUNT)
		return 0;
	return atomic_load_explicit(&counters[id], memory_order_relaxed);
}

const char *
stats_name(enum stat_id id)
{
	return (unsigned)id < STAT_COUNT ? names[id] : "";
}
