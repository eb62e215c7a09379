/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_stats.c: GetServerStatistics (cli_stats.h).
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "lib/stats.h"
#include "net/listener.h"
#include "queue/queue.h"
#include "core/server.h"
#include "cli/cli_args.h"
#include "cli/cli_stats.h"

/* The services of the table (server/services.c), which the CLI does not
 * include; one not registered, or without a listening socket and a
 * connection, is skipped (WebAdmin's Statistics draws no chart for it). */
static const char *const services[] = {
	"smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps",
	"webadmin", "webadmins", "webuser", "webusers", "ldap", "ldaps", "cli",
};

struct dval *
cli_server_statistics(struct server *srv)
{
	struct dval *d = dict_new_dict(), *conns = dict_new_dict(), *one;
	struct listener_stats st;
	struct queue_counts qc;
	size_t i;

	for (i = 0; i < N_ELEMENTS(services); i++) {
		if (!listener_is_registered(services[i]) ||
		    listener_get_stats(services[i], &st) < 0 ||
		    (st.sockets == 0 && st.current == 0))
			continue;
		one = dict_new_dict();
		dict_set(one, "Current", dict_new_number(st.current));
		dict_set(one, "Total", dict_new_number((int64_t)st.total));
		dict_set(one, "Refused", dict_new_number((int64_t)st.refused));
		dict_set(one, "Shed", dict_new_number((int64_t)st.shed));
		dict_set(conns, services[i], one);
	}
	dict_set(d, "Connections", conns);
	for (i = 0; i < STAT_COUNT; i++)
		dict_set(d, stats_name((enum stat_id)i),
		    dict_new_number((int64_t)stats_get((enum stat_id)i)));
	memset(&qc, 0, sizeof(qc));
	if (srv->queue != NULL)
		(void)queue_counts(srv->queue, &qc, NULL);
	dict_set(d, "QueueSize", dict_new_number((int64_t)qc.messages));
	return d;
}

enum cli_rc
cli_get_server_statistics(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct dval *d;

	if (a->argc != 0)
		return error_set(err_r, ERR_SYNTAX, "usage: "
		    "GetServerStatistics"), CLI_ERROR;
	d = cli_server_statistics(c->srv);
	dict_write(out, d, 0);
	dict_free(&d);
	return CLI_DATA;
}
