/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_push.c: push through EventSource (RFC 8620 7.3) at
 * /jmap/eventsource?types=&closeafter=&ping=.  The handler sleeps on the
 * store's per-account change notification (store_wait_change: woken at
 * once by any commit of the account, by IMAP, POP, delivery or JMAP), and
 * between wake-ups checks that the client is still there; a StateChange
 * event goes out when the Email, Mailbox or Thread state differs from the
 * last one sent.  Streams per account are bounded (JMAP_PUSH_PER_ACCOUNT)
 * and each lasts at most JMAP_PUSH_LIFETIME seconds (the client's
 * EventSource reconnects).
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "http/http.h"
#include "jmap/jmap_private.h"

#define PUSH_CHECK_MS	1000	/* how often a sleeping stream looks at its
				 * client (a change wakes it at once) */

struct stream_count {
	struct stream_count *next;
	char		 address[ADDRESS_MAX + 1];
	unsigned	 n;
};
static pthread_mutex_t sc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stream_count *streams;

static bool
stream_take(const char *address)
{
	struct stream_count *s;
	bool ok = true;

	pthread_mutex_lock(&sc_lock);
	for (s = streams; s != NULL; s = s->next)
		if (strcmp(s->address, address) == 0)
			break;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		snprintf(s->address, sizeof(s->address), "%s", address);
		s->next = streams;
		streams = s;
	}
	if (s->n >= JMAP_PUSH_PER_ACCOUNT)
		ok = false;
	else
		s->n++;
	pthread_mutex_unlock(&sc_lock);
	return ok;
}

static void
stream_release(const char *address)
{
	struct stream_count **pp, *s;

	pthread_mutex_lock(&sc_lock);
	for (pp = &streams; (s = *pp) != NULL; pp = &s->next)
		if (strcmp(s->address, address) == 0) {
			if (--s->n == 0) {
				*pp = s->next;
				free(s);
			}
			break;
		}
	pthread_mutex_unlock(&sc_lock);
}

/* Whether the types list ("*" or comma-separated names) holds t. */
static bool
type_wanted(const char *types, const char *t)
{
	size_t l = strlen(t);
	const char *p = types;

	if (strcmp(types, "*") == 0 || types[0] == '\0')
		return true;
	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (n == l && strncmp(p, t, l) == 0)
			return true;
		p = comma != NULL ? comma + 1 : NULL;
	}
	return false;
}

static int
send_event(struct jmap_ctx *c, const char *event, json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT);
	struct buf b;
	int rc;

	buf_init(&b, 1024 * 1024 + 64);
	buf_printf(&b, "event: %s\ndata: %s\n\n", event, text != NULL ? text :
	    "{}");
	free(text);
	rc = b.err != 0 ? -1 : http_stream_write(c->resp, b.data, b.len);
	buf_free(&b);
	return rc;
}

void
jmap_eventsource(struct jmap_ctx *c)
{
	char types[256], closeafter[16], ping_s[16];
	const char *q = c->http->query;
	unsigned long ping = 0;
	char *last_e = NULL, *last_m = NULL;
	uint64_t gen;
	time_t start = time(NULL), last_ping;

	if (http_form_value(q, strlen(q), "types", types, sizeof(types)) ==
	    NULL)
		snprintf(types, sizeof(types), "*");
	if (http_form_value(q, strlen(q), "closeafter", closeafter,
	    sizeof(closeafter)) == NULL)
		snprintf(closeafter, sizeof(closeafter), "no");
	if (http_form_value(q, strlen(q), "ping", ping_s, sizeof(ping_s)) !=
	    NULL) {
		char *end;

		ping = strtoul(ping_s, &end, 10);
		if (*end != '\0' || ping > JMAP_PUSH_PING_MAX) {
			http_resp_text(c->resp, 400, "Bad ping interval\n");
			return;
		}
	}
	if (!stream_take(c->who.address)) {
		log_ses(c->http->log, LOG_PROBLEM, "%s: too many EventSource "
		    "streams", c->who.address);
		http_resp_text(c->resp, 429, "Too many event streams for this "
		    "account\n");
		return;
	}
	gen = store_generation(c->store);
	{
		struct buf b;

		buf_init(&b, 1024 * 1024);
		(void)jmap_state(c, 'E', &b);
		last_e = buf_steal(&b);
		buf_init(&b, 1024 * 1024);
		(void)jmap_state(c, 'M', &b);
		last_m = buf_steal(&b);
	}
	http_resp_header(c->resp, "Cache-Control", "no-cache");
	if (http_stream_begin(c->resp, "text/event-stream") < 0)
		goto done;
	log_ses(c->http->log, LOG_LOW, "%s: EventSource stream open",
	    c->who.address);
	last_ping = time(NULL);
	while (time(NULL) - start < JMAP_PUSH_LIFETIME) {
		if (store_wait_change(c->store, gen, PUSH_CHECK_MS)) {
			struct buf e, m;
			json_t *ch = json_object();

			gen = store_generation(c->store);
			buf_init(&e, 1024 * 1024);
			buf_init(&m, 1024 * 1024);
			(void)jmap_state(c, 'E', &e);
			(void)jmap_state(c, 'M', &m);
			if (strcmp(buf_cstr(&e), last_e) != 0) {
				if (type_wanted(types, "Email"))
					json_object_set_new(ch, "Email",
					    json_string(buf_cstr(&e)));
				if (type_wanted(types, "Thread"))
					json_object_set_new(ch, "Thread",
					    json_string(buf_cstr(&e)));
				free(last_e);
				last_e = buf_steal(&e);
			}
			if (strcmp(buf_cstr(&m), last_m) != 0) {
				if (type_wanted(types, "Mailbox"))
					json_object_set_new(ch, "Mailbox",
					    json_string(buf_cstr(&m)));
				free(last_m);
				last_m = buf_steal(&m);
			}
			buf_free(&e);
			buf_free(&m);
			if (json_object_size(ch) > 0) {
				json_t *ev = json_pack("{s:s, s:{s:o}}",
				    "@type", "StateChange", "changed",
				    jmap_account_id(c), ch);
				int rc = send_event(c, "state", ev);

				json_decref(ev);
				if (rc < 0 || strcmp(closeafter, "state") == 0)
					break;
			} else
				json_decref(ch);
		}
		if (ping > 0 && (unsigned long)(time(NULL) - last_ping) >=
		    ping) {
			json_t *ev = json_pack("{s:i}", "interval", (int)ping);
			int rc = send_event(c, "ping", ev);

			json_decref(ev);
			if (rc < 0)
				break;
			last_ping = time(NULL);
		}
		if (http_stream_wait(c->resp, 0) < 0)
			break;		/* the client went away */
	}
done:
	free(last_e);
	free(last_m);
	stream_release(c->who.address);
}
