/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stats.h: the server's statistics counters (docs/api.md, /metrics;
 * CLI GetServerStatistics): a few process-wide counters that only grow,
 * kept with atomic adds so any thread may count without a lock.  Counted
 * where the event is final: a message accepted by SMTP (queued), a
 * message stored in a local mailbox, a message accepted by a remote
 * server, a failed login (any protocol).
 */
#ifndef TEGAMI_LIB_STATS_H
#define TEGAMI_LIB_STATS_H

#include "lib/compat.h"

#include <stdint.h>

enum stat_id {
	STAT_MSG_RECEIVED,	/* SMTP: a message accepted into the queue */
	STAT_MSG_DELIVERED,	/* LOCAL: a message stored in a mailbox */
	STAT_MSG_RELAYED,	/* SMTP out: a message accepted remotely */
	STAT_LOGINS_FAILED,	/* a login refused (any module) */
	STAT_COUNT
};

void		 stats_add(enum stat_id id, uint64_t n);
uint64_t	 stats_get(enum stat_id id);
/* "MessagesReceived" ...: the names the CLI and the API show. */
const char	*stats_name(enum stat_id id);

#endif
