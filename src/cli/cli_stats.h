/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_stats.h: GetServerStatistics, the statistics counters (lib/stats.h),
 * the connections of every service (net/listener.h) and the queue size,
 * for administrators, the WebAdmin Statistics page and /metrics.
 */
#ifndef TEGAMI_CLI_CLI_STATS_H
#define TEGAMI_CLI_CLI_STATS_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

struct dval;
struct server;

/* GetServerStatistics: a dictionary
 *   { Connections = { smtp = { Current = #1; Total = #9; Refused = #0;
 *     Shed = #0; }; ... }; MessagesReceived = #3; MessagesDelivered = #3;
 *     MessagesRelayed = #0; LoginsFailed = #1; QueueSize = #0; }
 * (services without a protocol module are left out). */
enum cli_rc	cli_get_server_statistics(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);
/* The same dictionary (caller frees with dict_free). */
struct dval	*cli_server_statistics(struct server *srv);

#endif
