/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mailflow.c: the mail path inside the server.  mailflow_start() opens the
 * durable queue (<base>/Queue), routes every recipient through the Router
 * once at submit time (LOCAL -> module "LOCAL" target "account@domain";
 * SMTP -> "SMTP" target host; NULL -> "NULL", discarded by a dispatcher
 * that reports it delivered; PIPE -> "PIPE" target the program, which has
 * no dispatcher yet so such recipients stay queued and listed; a refused
 * address fails permanently with the Router's text and a DSN), registers
 * the LOCAL dispatcher (src/delivery/local.c), starts the Submitted folder
 * watcher (src/delivery/submitted.c) and adds the mailbox and queue CLI
 * commands.  Queue events are logged under QUEUE.
 *
 * Settings (Settings/QUEUE.settings, all optional): MaxQueueTime ("5d",
 * #seconds), RetrySchedule (array of times: "1m", "5m" ...; the last
 * repeats), Processors (delivery threads, 1..QUEUE_WORKERS_MAX), LogLevel.
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_mail.h"
#include "delivery/group.h"
#include "delivery/local.h"
#include "delivery/smtp_out.h"
#include "delivery/submitted.h"
#include "delivery/units.h"
#include "dnr/dnr.h"
#include "imap/imap.h"
#include "imap/imap_mime.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "objects/objects.h"
#include "queue/queue.h"
#include "queue/queue_settings.h"
#include "router/router.h"
#include "server/mailflow.h"
#include "core/server.h"
#include "store/store.h"

static struct log_module log_queue = LOG_MODULE("QUEUE");

static struct {
	struct queue		*queue;
	struct local_ctx	 local;
	struct group_ctx	 group;
	struct smtp_out_ctx	*smtp_out;
	struct submitted	*submitted;
} mf;

/* queue_router_fn: the Router decides, in the Mail context. */
static int
route_cb(void *arg, const char *address, struct queue_route *r)
{
	struct server *srv = arg;
	struct route_result res;
	struct error err;

	memset(&res, 0, sizeof(res));
	error_clear(&err);
	if (router_route(srv->router, address, ROUTE_MAIL, NULL, &res,
	    &err) < 0 || res.module == ROUTE_ERROR) {
		snprintf(r->error, sizeof(r->error), "%s", res.error[0] != '\0' ?
		    res.error : err.msg[0] != '\0' ? err.msg : "address refused");
		return -1;
	}
	switch (res.module) {
	case ROUTE_LOCAL:
		snprintf(r->module, sizeof(r->module), "LOCAL");
		if (snprintf(r->target, sizeof(r->target), "%s@%s", res.account,
		    res.domain) >= (int)sizeof(r->target))
			goto toolong;
		return 0;
	case ROUTE_SMTP:
		snprintf(r->module, sizeof(r->module), "SMTP");
		if (snprintf(r->target, sizeof(r->target), "%s", res.host) >=
		    (int)sizeof(r->target))
			goto toolong;
		return 0;
	case ROUTE_NULL:
		snprintf(r->module, sizeof(r->module), "NULL");
		snprintf(r->target, sizeof(r->target), "NULL");
		return 0;
	case ROUTE_PIPE:
		/* No PIPE dispatcher yet: such recipients stay queued (and
		 * listed by ListQueue) until one exists. */
		snprintf(r->module, sizeof(r->module), "PIPE");
		if (snprintf(r->target, sizeof(r->target), "%s", res.address) >=
		    (int)sizeof(r->target))
			goto toolong;
		return 0;
	case ROUTE_GROUP:
		/* expanded by the GROUP dispatcher (delivery/group.c) */
		snprintf(r->module, sizeof(r->module), "GROUP");
		if (snprintf(r->target, sizeof(r->target), "%s", res.address) >=
		    (int)sizeof(r->target))
			goto toolong;
		return 0;
	case ROUTE_ERROR:
	default:
		break;
	}
	snprintf(r->error, sizeof(r->error), "address refused");
	return -1;
toolong:
	snprintf(r->error, sizeof(r->error), "address too long");
	return -1;
}

/* Dispatcher for module NULL: the Router said "accept and discard". */
static void
null_dispatch(void *arg, struct queue *q, const char *module,
    const char *target, struct queue_item *items, size_t n)
{
	size_t i;

	(void)arg;
	(void)q;
	(void)module;
	(void)target;
	for (i = 0; i < n; i++) {
		items[i].outcome = QUEUE_OUT_DELIVERED;
		log_mod(&log_queue, LOG_LOW, "queue id %" PRIu64 ": %s "
		    "discarded (NULL route)", items[i].msg_id,
		    items[i].address);
	}
}

/* queue_event_fn: one log line per event. */
static void
event_cb(void *arg, enum queue_event ev, uint64_t id, const char *address,
    const char *text)
{
	const char *a = address != NULL ? address : "";
	const char *t = text != NULL ? text : "";

	(void)arg;
	switch (ev) {
	case QUEUE_EV_ENQUEUED:
		log_mod(&log_queue, LOG_LOW, "queue id %" PRIu64 " enqueued "
		    "from <%s>", id, t);
		break;
	case QUEUE_EV_DELIVERED:
		log_mod(&log_queue, LOG_LOW, "queue id %" PRIu64 ": %s "
		    "delivered", id, a);
		break;
	case QUEUE_EV_DEFERRED:
		log_mod(&log_queue, LOG_LOW, "queue id %" PRIu64 ": %s "
		    "delayed: %s", id, a, t);
		break;
	case QUEUE_EV_FAILED:
		log_mod(&log_queue, LOG_MAJOR, "queue id %" PRIu64 ": %s "
		    "failed: %s", id, a, t);
		break;
	case QUEUE_EV_DSN:
		log_mod(&log_queue, LOG_MAJOR, "queue id %" PRIu64 ": delivery "
		    "notification to <%s> enqueued", id, a);
		break;
	case QUEUE_EV_ERROR:
	default:
		if (id != 0)
			log_mod(&log_queue, LOG_FAILURE, "queue problem with "
			    "queue id %" PRIu64 ": %s", id, t);
		else
			log_mod(&log_queue, LOG_FAILURE, "queue problem: %s",
			    t);
		break;
	}
}

/* Settings/QUEUE.settings into cfg (retry points into retry), from the
 * checked snapshot (queue_settings.c). */
static void
queue_settings(struct objects *o, struct queue_config *cfg, uint32_t *retry)
{
	struct settings_snap *snap;
	const struct queue_conf *c;
	unsigned i;

	snap = objects_settings_get(o, "QUEUE", &queue_settings_table);
	c = settings_snap_conf(snap);
	cfg->max_queue_time = (uint32_t)c->max_queue_time;
	for (i = 0; i < c->retry.n && i < QUEUE_RETRY_STEPS_MAX; i++)
		retry[i] = c->retry.v[i];
	cfg->retry = retry;
	cfg->nretry = i;
	cfg->workers = (unsigned)c->workers;
	settings_snap_unref(&snap);
}

int
mailflow_start(struct server *srv, struct error *err_r)
{
	struct queue_config cfg;
	uint32_t retry[QUEUE_RETRY_STEPS_MAX];
	char domain[DOMAIN_NAME_MAX + 1];

	log_register(&log_queue);
	log_register(&log_local);
	log_register(&log_group);
	log_register(&log_pipe);
	log_register(&log_smtp_out);
	cli_apply_log_levels(srv);
	/* The store caches IMAP's forms and header fields of each new
	 * message. */
	store_set_render(&imap_store_render);
	store_hdrcache_set_parser(imap_hdrcache_parse);

	memset(&cfg, 0, sizeof(cfg));
	cfg.base_dir = srv->base;
	queue_settings(srv->objects, &cfg, retry);
	mf.queue = queue_open(&cfg, err_r);
	if (mf.queue == NULL)
		return -1;
	objects_main_domain(srv->objects, domain, sizeof(domain));
	queue_set_main_domain(mf.queue, domain);
	queue_set_router(mf.queue, route_cb, srv);
	queue_set_event_handler(mf.queue, event_cb, NULL);
	mf.local.objects = srv->objects;
	queue_set_dispatcher(mf.queue, "LOCAL", local_dispatch, &mf.local);
	queue_set_dispatcher(mf.queue, "NULL", null_dispatch, NULL);
	mf.group.objects = srv->objects;
	mf.group.router = srv->router;
	queue_set_dispatcher(mf.queue, "GROUP", group_dispatch, &mf.group);
	mf.smtp_out = smtp_out_new(srv, &(const struct smtp_out_resolver){
	    .mx = dnr_mx, .addrs = dnr_addrs });
	queue_set_dispatcher(mf.queue, "SMTP", smtp_out_dispatch, mf.smtp_out);
	{
		/* WarnAfter (SMTP settings); the dispatcher refreshes it. */
		struct settings_snap *snap = objects_settings_get(srv->objects,
		    "SMTP", &smtp_out_settings_table);
		const struct smtp_out_conf *oc = settings_snap_conf(snap);

		queue_set_warn_after(mf.queue, (uint32_t)oc->warn_after);
		settings_snap_unref(&snap);
	}
	if (queue_start(mf.queue, err_r) < 0) {
		queue_close(&mf.queue);
		smtp_out_free(&mf.smtp_out);
		return -1;
	}
	srv->queue = mf.queue;
	cli_mail_register();
	mf.submitted = submitted_start(srv, err_r);
	if (mf.submitted == NULL) {
		srv->queue = NULL;
		queue_close(&mf.queue);
		smtp_out_free(&mf.smtp_out);
		return -1;
	}
	log_mod(&log_queue, LOG_MAJOR, "queue started (%u workers, max time "
	    "%" PRIu32 " s)", cfg.workers != 0 ? cfg.workers : 4,
	    cfg.max_queue_time != 0 ? cfg.max_queue_time :
	    (uint32_t)QUEUE_DEFAULT_MAX_TIME);
	return 0;
}

void
mailflow_stop(struct server *srv)
{
	/* First nothing new comes in (Submitted), then the queue stops its
	 * workers -- waiting for dispatchers in the store -- and closes,
	 * then the store handles they used are closed. */
	submitted_stop(&mf.submitted);
	srv->queue = NULL;
	if (mf.queue != NULL)
		queue_close(&mf.queue);
	smtp_out_free(&mf.smtp_out);
	store_cache_flush();
}
