/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out.c: the SMTP dispatcher; see smtp_out.h.  This file holds the
 * batch (hosts to try, one connection, outcomes); the dialogue of one
 * connection is in smtp_out_session.c.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/server.h"
#include "delivery/smtp_out.h"
#include "delivery/smtp_out_private.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/tls.h"
#include "objects/objects.h"
#include "router/router.h"

struct log_module log_smtp_out = LOG_MODULE("SMTP");

/* The last attempt's trace per destination (smtp_out_trace_get). */
struct kept_trace {
	char	*target;
	char	*text;
	int64_t	 when;
};
static struct {
	pthread_mutex_t		 mu;
	struct kept_trace	 t[SMTP_OUT_TRACES_MAX];
	size_t			 n;
} traces = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
trace_keep(const char *target, const struct buf *b)
{
	struct kept_trace *k = NULL;
	size_t i, old = 0;

	pthread_mutex_lock(&traces.mu);
	for (i = 0; i < traces.n; i++) {
		if (strcmp(traces.t[i].target, target) == 0) {
			k = &traces.t[i];
			break;
		}
		if (traces.t[i].when < traces.t[old].when)
			old = i;
	}
	if (k == NULL && traces.n < SMTP_OUT_TRACES_MAX) {
		k = &traces.t[traces.n++];
		k->target = xstrdup(target);
	} else if (k == NULL) {
		k = &traces.t[old];	/* the oldest goes */
		free(k->target);
		k->target = xstrdup(target);
	}
	free(k->text);
	k->text = xstrdup(buf_cstr(b));
	k->when = (int64_t)time(NULL);
	pthread_mutex_unlock(&traces.mu);
}

char *
smtp_out_trace_get(const char *target)
{
	char *text = NULL;
	size_t i;

	pthread_mutex_lock(&traces.mu);
	for (i = 0; i < traces.n; i++)
		if (strcasecmp(traces.t[i].target, target) == 0) {
			text = xstrdup(traces.t[i].text);
			break;
		}
	pthread_mutex_unlock(&traces.mu);
	return text;
}

void
smtp_out_trace(struct smtp_out_batch *b, const char *fmt, ...)
{
	char line[SMTP_REPLY_LINE_MAX];
	va_list ap;
	size_t len;

	if (b->trace_cut)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	if (b->trace.len + len + 1 > SMTP_OUT_TRACE_MAX - 16) {
		buf_puts(&b->trace, "[trace cut]\n");
		b->trace_cut = true;
		return;
	}
	buf_append(&b->trace, line, len);
	buf_putc(&b->trace, '\n');
}

/* RelayHost: empty (none), or what smtp_out_parse_target() takes: host,
 * host:port, [address] or [address]:port with a port of 1 to 65535. */
static int
check_relay_host(const void *field, struct error *err_r)
{
	const char *v = *(const char *const *)field;
	char host[DOMAIN_NAME_MAX + 3];
	unsigned port;
	bool literal;

	if (v == NULL || v[0] == '\0' ||
	    smtp_out_parse_target(v, host, sizeof(host), &port, &literal) == 0)
		return 0;
	return error_set(err_r, ERR_SYNTAX, "host, host:port, [address] or "
	    "[address]:port with a port of 1 to 65535 expected, got \"%.80s\"",
	    v);
}

static const struct setting_def smtp_out_defs[] = {
	SETTING_STR_CHECK("RelayHost", struct smtp_out_conf, relay_host, "",
	    check_relay_host),
	SETTING_STR("SendEncrypted", struct smtp_out_conf, send_encrypted,
	    ""),
	SETTING_STR("TrustedCAFile", struct smtp_out_conf, trusted_ca, ""),
	SETTING_SECS("ConnectTimeout", struct smtp_out_conf, connect_timeout,
	    SMTP_OUT_CONNECT_TIMEOUT_DEFAULT, SMTP_OUT_TIMEOUT_MIN,
	    SMTP_OUT_TIMEOUT_MAX),
	SETTING_SECS("DeliveryTimeout", struct smtp_out_conf, timeout,
	    SMTP_OUT_TIMEOUT_DEFAULT, SMTP_OUT_TIMEOUT_MIN,
	    SMTP_OUT_TIMEOUT_MAX),
	SETTING_DURATION("WarnAfter", struct smtp_out_conf, warn_after, 0, 0,
	    SMTP_OUT_QUEUE_TIME_MAX),
	SETTING_DURATION("BounceAfter", struct smtp_out_conf, bounce_after,
	    SMTP_OUT_BOUNCE_DEFAULT, 1, SMTP_OUT_QUEUE_TIME_MAX),
	SETTING_NUM("MaxOutgoingConnections", struct smtp_out_conf, max_conns,
	    100, 1, SMTP_OUT_CONNS_MAX),
	SETTING_NUM("MaxConnectionsPerHost", struct smtp_out_conf,
	    max_per_host, 10, 1, SMTP_OUT_CONNS_MAX),
};

/* Outgoing connections now: in all and per remote address. */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	unsigned	 total;
	unsigned	 waiting;	/* deliveries waiting for a slot */
	struct {
		char		key[80];
		unsigned	n;
	}		 host[SMTP_OUT_HOSTS_BUSY_MAX];
	size_t		 nhost;
} slots = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static size_t
slot_find(const char *key)
{
	size_t i;

	for (i = 0; i < slots.nhost; i++)
		if (strcmp(slots.host[i].key, key) == 0)
			return i;
	return SIZE_MAX;
}

int
smtp_out_slot_take(const char *key, unsigned max_total, unsigned max_host,
    int wait_ms)
{
	struct timespec until;
	size_t i;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&slots.mu);
	for (;;) {
		i = slot_find(key);
		if (slots.total < max_total && (i == SIZE_MAX ?
		    slots.nhost < N_ELEMENTS(slots.host) :
		    slots.host[i].n < max_host))
			break;
		slots.waiting++;
		if (rc != 0 || pthread_cond_timedwait(&slots.cv, &slots.mu,
		    &until) != 0)
			rc = -1;
		slots.waiting--;
		if (rc != 0) {
			/* One more look after the time-out, then give up. */
			i = slot_find(key);
			if (slots.total < max_total && (i == SIZE_MAX ?
			    slots.nhost < N_ELEMENTS(slots.host) :
			    slots.host[i].n < max_host)) {
				rc = 0;
				break;
			}
			pthread_mutex_unlock(&slots.mu);
			return -1;
		}
	}
	if (i == SIZE_MAX) {
		i = slots.nhost++;
		snprintf(slots.host[i].key, sizeof(slots.host[i].key), "%s",
		    key);
		slots.host[i].n = 0;
	}
	slots.host[i].n++;
	slots.total++;
	pthread_mutex_unlock(&slots.mu);
	return 0;
}

bool
smtp_out_slot_contended(void)
{
	bool w;

	pthread_mutex_lock(&slots.mu);
	w = slots.waiting > 0;
	pthread_mutex_unlock(&slots.mu);
	return w;
}

void
smtp_out_slot_release(const char *key)
{
	size_t i;

	pthread_mutex_lock(&slots.mu);
	i = slot_find(key);
	if (i != SIZE_MAX) {
		if (--slots.host[i].n == 0)
			slots.host[i] = slots.host[--slots.nhost];
		slots.total--;
	}
	pthread_cond_broadcast(&slots.cv);
	pthread_mutex_unlock(&slots.mu);
}

const struct settings_table smtp_out_settings_table =
    SETTINGS_TABLE("SMTP", struct smtp_out_conf, smtp_out_defs);

struct smtp_out_ctx *
smtp_out_new(struct server *srv, const struct smtp_out_resolver *res)
{
	struct smtp_out_ctx *ctx;

	ctx = xcalloc(1, sizeof(*ctx));
	ctx->srv = srv;
	if (res != NULL)
		ctx->res = *res;
	pthread_mutex_init(&ctx->tls_mu, NULL);
	return ctx;
}

void
smtp_out_free(struct smtp_out_ctx **ctxp)
{
	struct smtp_out_ctx *ctx;

	if (ctxp == NULL || *ctxp == NULL)
		return;
	ctx = *ctxp;
	smtp_out_idle_flush();
	tls_ctx_free(&ctx->tls);
	free(ctx->tls_ca);
	pthread_mutex_destroy(&ctx->tls_mu);
	free(ctx);
	*ctxp = NULL;
}

/* The client TLS context for ca_file ("" = system CAs only), made again
 * when the setting changed.  The caller holds a reference (SSL_CTX_up_ref
 * through tls_client_ctx_ref) -- here simply: contexts are kept until the
 * dispatcher is freed, old ones too, so a session never loses its own. */
struct ssl_ctx_st *
smtp_out_tls_ctx(struct smtp_out_ctx *ctx, const char *ca_file,
    struct error *err_r)
{
	struct ssl_ctx_st *t;

	pthread_mutex_lock(&ctx->tls_mu);
	if (ctx->tls == NULL || ctx->tls_ca == NULL ||
	    strcmp(ctx->tls_ca, ca_file) != 0) {
		t = tls_client_ctx_new(ca_file[0] != '\0' ? ca_file : NULL,
		    err_r);
		if (t == NULL) {
			pthread_mutex_unlock(&ctx->tls_mu);
			return NULL;
		}
		if (ctx->tls != NULL) {
			/* Sessions may still use the old one: keep it. */
			if (ctx->nold < N_ELEMENTS(ctx->old))
				ctx->old[ctx->nold++] = ctx->tls;
			else
				tls_ctx_free(&ctx->tls);
		}
		ctx->tls = t;
		free(ctx->tls_ca);
		ctx->tls_ca = xstrdup(ca_file);
	}
	t = ctx->tls;
	pthread_mutex_unlock(&ctx->tls_mu);
	return t;
}

int
smtp_out_parse_target(const char *target, char *host, size_t size,
    unsigned *port_r, bool *literal_r)
{
	const char *end, *colon;
	size_t len;
	unsigned long port = 0;
	char *ep;

	*port_r = 0;
	*literal_r = false;
	if (target[0] == '[') {
		end = strchr(target, ']');
		if (end == NULL)
			return -1;
		*literal_r = true;
		len = (size_t)(end - target - 1);
		target++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		/* "[IPv6:...]" as RFC 5321 writes it. */
		if (len > 5 && strncasecmp(target, "IPv6:", 5) == 0) {
			target += 5;
			len -= 5;
		}
	} else {
		colon = strrchr(target, ':');
		len = colon != NULL ? (size_t)(colon - target) : strlen(target);
	}
	if (len == 0 || len >= size)
		return -1;
	memcpy(host, target, len);
	host[len] = '\0';
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			return -1;
		port = strtoul(colon + 1, &ep, 10);
		if (*ep != '\0' || port == 0 || port > 65535)
			return -1;
		*port_r = (unsigned)port;
	}
	if (*literal_r) {
		unsigned char a[16];

		if (inet_pton(AF_INET, host, a) != 1 &&
		    inet_pton(AF_INET6, host, a) != 1)
			return -1;
	}
	return 0;
}

/* Sets the outcome of items [first, last) that are still undecided. */
void
smtp_out_set_undecided(struct queue_item *items, const bool *decided,
    size_t first, size_t last, enum queue_outcome out, const char *text)
{
	size_t i;

	for (i = first; i < last; i++) {
		if (decided != NULL && decided[i])
			continue;
		items[i].outcome = out;
		snprintf(items[i].error, sizeof(items[i].error), "%s", text);
	}
}

void
smtp_out_textf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* True when name (a domain or host) is in the SendEncrypted list. */
bool
smtp_out_listed(const char *list, const char *name)
{
	const char *p = list, *e;
	size_t len, nlen = strlen(name);

	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == ';')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t' &&
		    *e != ';')
			e++;
		len = (size_t)(e - p);
		if (len > 0 && len == nlen && strncasecmp(p, name, len) == 0)
			return true;
		p = e;
	}
	return false;
}

/* The envelope address of each item: the Router's form of the address
 * given (".via": "u%d@relay.via" -> "u@d").  xmalloc'd strings. */
static char **
envelope_addresses(struct smtp_out_ctx *ctx, struct queue_item *items,
    size_t n)
{
	struct route_result res;
	struct error err;
	char **env;
	size_t i;

	env = xcalloc(n, sizeof(*env));
	for (i = 0; i < n; i++) {
		memset(&res, 0, sizeof(res));
		error_clear(&err);
		if (router_route(ctx->srv->router, items[i].address, ROUTE_MAIL,
		    NULL, &res, &err) == 0 && res.module == ROUTE_SMTP &&
		    res.address[0] != '\0')
			env[i] = xstrdup(res.address);
		else
			env[i] = xstrdup(items[i].address);
	}
	return env;
}

/* BounceAfter: a temporary failure of a message queued that long ago is
 * final. */
static void
expire(struct smtp_out_batch *b)
{
	struct queue_item *it;
	int64_t now = (int64_t)time(NULL);
	char text[QUEUE_TEXT_MAX + 1];
	size_t i;

	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->outcome != QUEUE_OUT_TEMPFAIL ||
		    now - it->received < (int64_t)b->conf->bounce_after)
			continue;
		smtp_out_textf(text, sizeof(text), "message expired after %"
		    PRId64 " s in queue (BounceAfter): %.200s",
		    now - it->received, it->error);
		snprintf(it->error, sizeof(it->error), "%s", text);
		it->outcome = QUEUE_OUT_PERMFAIL;
		log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": <%s> %s",
		    it->msg_id, it->address, text);
	}
}

/* Delivers items[0..n) over one connection (reused when one is idle). */
static void
deliver_slice(struct smtp_out_ctx *ctx, struct queue *q, const char *target,
    struct settings_snap *snap, struct queue_item *items, size_t n)
{
	const struct smtp_out_conf *conf = settings_snap_conf(snap);
	struct smtp_out_batch b;
	struct log_session ls;
	size_t i;

	log_session_init(&ls, &log_smtp_out, target);

	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.q = q;
	b.conf = conf;
	b.ls = &ls;
	b.target = target;
	b.items = items;
	b.n = n;
	b.env = envelope_addresses(ctx, items, n);
	b.decided = xcalloc(n, sizeof(*b.decided));
	objects_main_domain(ctx->srv->objects, b.helo, sizeof(b.helo));
	smtp_out_set_undecided(items, NULL, 0, n, QUEUE_OUT_TEMPFAIL,
	    "not attempted");

	queue_set_warn_after(q, (uint32_t)conf->warn_after);
	buf_init(&b.trace, SMTP_OUT_TRACE_MAX + 1);
	{
		char when[32];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		smtp_out_trace(&b, "attempt at %s: %zu recipient(s) for %s%s%s",
		    when, n, target, conf->relay_host[0] != '\0' ?
		    " via RelayHost " : "", conf->relay_host);
	}
	smtp_out_deliver(&b);
	expire(&b);
	{
		size_t nd = 0, nt = 0, np = 0;

		for (i = 0; i < n; i++) {
			if (items[i].outcome == QUEUE_OUT_DELIVERED)
				nd++;
			else if (items[i].outcome == QUEUE_OUT_TEMPFAIL)
				nt++;
			else
				np++;
		}
		smtp_out_trace(&b, "result: %zu delivered, %zu delayed, %zu "
		    "failed%s%s", nd, nt, np, nt + np > 0 ? "; last error: " :
		    "", nt + np > 0 ? b.last_error : "");
	}
	trace_keep(target, &b.trace);
	buf_free(&b.trace);

	for (i = 0; i < n; i++)
		free(b.env[i]);
	free(b.env);
	free(b.decided);
}

/* One slice of a batch delivered on its own thread. */
struct slice {
	struct smtp_out_ctx	*ctx;
	struct queue		*q;
	const char		*target;
	struct settings_snap	*snap;
	struct queue_item	*items;
	size_t			 n;
	pthread_t		 t;
	bool			 started;
};

static void *
slice_main(void *arg)
{
	struct slice *sl = arg;

	pthread_setname_np(pthread_self(), "smtpout");
	deliver_slice(sl->ctx, sl->q, sl->target, sl->snap, sl->items, sl->n);
	return NULL;
}

/*
 * The queue never runs two calls for one destination at once, so a batch
 * of many messages is cut here, at message boundaries, into slices of at
 * least SMTP_OUT_SLICE_MSGS messages, each delivered over its own
 * connection in parallel: at most MaxConnectionsPerHost and
 * SMTP_OUT_PARALLEL_MAX of them (the connection slots still apply).  One
 * connection in turn would bound a busy destination by the round trips of
 * one session.
 */
void
smtp_out_dispatch(void *arg, struct queue *q, const char *module,
    const char *target, struct queue_item *items, size_t n)
{
	struct smtp_out_ctx *ctx = arg;
	struct settings_snap *snap;
	const struct smtp_out_conf *conf;
	struct slice sl[SMTP_OUT_PARALLEL_MAX];
	size_t i, nmsg = 1, k, per, start, cnt, m;

	(void)module;
	snap = objects_settings_get(ctx->srv->objects, "SMTP",
	    &smtp_out_settings_table);
	conf = settings_snap_conf(snap);
	for (i = 1; i < n; i++)
		if (items[i].msg_id != items[i - 1].msg_id)
			nmsg++;
	k = nmsg / SMTP_OUT_SLICE_MSGS;
	if (k > conf->max_per_host)
		k = (size_t)conf->max_per_host;
	if (k > SMTP_OUT_PARALLEL_MAX)
		k = SMTP_OUT_PARALLEL_MAX;
	if (k <= 1) {
		deliver_slice(ctx, q, target, snap, items, n);
		settings_snap_unref(&snap);
		return;
	}
	/* k slices of per messages (the last takes the rest). */
	per = (nmsg + k - 1) / k;
	memset(sl, 0, sizeof(sl));
	for (i = 0, start = 0, cnt = 0; i < k && start < n; i++) {
		size_t end = start;

		for (m = 0; end < n && (m < per || i == k - 1); ) {
			end++;
			if (end == n || items[end].msg_id != items[end - 1].msg_id)
				m++;
		}
		sl[i] = (struct slice){ .ctx = ctx, .q = q, .target = target,
		    .snap = snap, .items = items + start, .n = end - start };
		start = end;
		cnt++;
	}
	/* Slice 0 on this thread; a slice whose thread cannot start too. */
	for (i = 1; i < cnt; i++)
		sl[i].started = pthread_create(&sl[i].t, NULL, slice_main,
		    &sl[i]) == 0;
	deliver_slice(ctx, q, target, snap, sl[0].items, sl[0].n);
	for (i = 1; i < cnt; i++) {
		if (sl[i].started)
			pthread_join(sl[i].t, NULL);
		else
			deliver_slice(ctx, q, target, snap, sl[i].items,
			    sl[i].n);
	}
	settings_snap_unref(&snap);
}
