/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_session.c: one HTTP/1.1 connection (RFC 9112): read a request head
 * through the bounded line reader, check it (http_parse.c), read its body
 * (Content-Length or chunked), hand it to the application, send the
 * answer, and go on with the next request (keep-alive, pipelining: a
 * pipelined request is simply the next bytes in the reader).
 *
 * Time limits, so a slow client cannot hold a thread:
 *  - waiting for a request: KeepAliveTimeout (the read time-out); an idle
 *    connection parks after HibernateAfter (listener_park_when_idle);
 *  - from the request line to the end of the headers: HeaderTimeout (a
 *    deadline), answered 408;
 *  - a body: min-rate mode (HTTP_BODY_RATE_MIN bytes/s on average);
 *  - before the first request, the listener's PreLoginTimeout too.
 * An error in the head is answered with its 4xx/5xx, logged, and the
 * connection closes (the framing of what follows cannot be trusted).
 */
#include "lib/compat.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "http/http.h"
#include "http/http_private.h"

#define HTTP_WRITE_TIMEOUT_MS	(60 * 1000)

_Static_assert(HTTP_REQUEST_LINE_MAX <= HTTP_HEAD_MAX &&
    HTTP_HEADER_LINE_MAX <= HTTP_HEAD_MAX,
    "a request line or header line the reader takes fits the head");
_Static_assert(HTTP_BODY_LIMIT_MAX <= HTTP_LINGER_MAX,
    "a refused body of any size an application allows is drained");

/* One registered service. */
struct http_service {
	const struct http_app	*app;
	struct log_module	*log;
	char			 name[32];
};

struct http_conn {
	struct http_service	*svc;
	struct conn		*c;
	struct log_session	 log;
	struct http_limits	 lim;
	unsigned long		 served;
};

/* One log module per tag ("HTTPA", "HTTPU"), shared by its services. */
#define HTTP_TAGS_MAX	4
static struct log_module log_mods[HTTP_TAGS_MAX];
static size_t nlog_mods;

static struct log_module *
log_module_for(const char *tag)
{
	size_t i;

	for (i = 0; i < nlog_mods; i++)
		if (strcmp(log_mods[i].name, tag) == 0)
			return &log_mods[i];
	if (nlog_mods == HTTP_TAGS_MAX)
		return NULL;
	log_mods[nlog_mods] = (struct log_module)LOG_MODULE(tag);
	log_register(&log_mods[nlog_mods]);
	return &log_mods[nlog_mods++];
}

/* Reads what the client still sends (at most HTTP_LINGER_MAX bytes, for
 * at most HTTP_LINGER_MS) after our last answer, so that closing does not
 * reset the connection before the client has read the answer (a client
 * that sends a whole body too large before it reads, as most do). */
static void
linger_close(struct http_conn *hc)
{
	char scratch[4096];
	size_t got = 0;
	ssize_t n;

	if (conn_flush(hc->c) < 0)
		return;
	if (!conn_is_tls(hc->c))
		(void)shutdown(conn_fd(hc->c), SHUT_WR);
	conn_set_min_rate(hc->c, 0, 0);
	conn_set_deadline(hc->c, HTTP_LINGER_MS, "linger time-out");
	while (got < HTTP_LINGER_MAX &&
	    (n = conn_read(hc->c, scratch, sizeof(scratch))) > 0)
		got += (size_t)n;
}

/* Answers a request that cannot be served (a bad head, a body too
 * large ...) and says the connection closes. */
static void
answer_error(struct http_conn *hc, unsigned version, unsigned code,
    const char *why)
{
	struct http_response resp;
	char text[256];

	log_ses(&hc->log, LOG_PROBLEM, "bad request (%u %s): %s", code,
	    http_reason(code), why);
	http_resp_init(&resp, hc->c, NULL, &hc->log);
	snprintf(text, sizeof(text), "%u %s: %s", code, http_reason(code),
	    why);
	http_resp_text(&resp, code, text);
	resp.close = true;
	(void)http_resp_send(&resp, version == 10 ? 10 : 11);
	http_resp_free(&resp);
	linger_close(hc);
}

enum read_rc { READ_OK, READ_END, READ_ANSWERED };

/* The end of the reads of a connection that is closing quietly. */
static enum read_rc
read_ended(struct http_conn *hc, enum line_rc rc, bool mid_request)
{
	struct conn *c = hc->c;

	if (rc == LINE_TIMEOUT && mid_request) {
		answer_error(hc, 11, 408, conn_last_error(c));
		return READ_ANSWERED;
	}
	if (rc == LINE_TIMEOUT)
		log_ses(&hc->log, conn_was_shed(c) ? LOG_PROBLEM : LOG_LOW,
		    "%s", conn_last_error(c));
	else if (rc == LINE_ERROR)
		log_ses(&hc->log, LOG_PROBLEM, "%s", conn_last_error(c));
	else
		log_ses(&hc->log, LOG_LOW, "peer closed the connection");
	return READ_END;
}

/* The request line and the header lines into head ("line\n" each). */
static enum read_rc
read_head(struct http_conn *hc, struct buf *head)
{
	struct conn *c = hc->c;
	struct strv line;
	enum line_rc rc;
	unsigned empty = 0, nlines = 0;

	conn_set_timeouts(c, (int)hc->lim.idle_s * 1000, HTTP_WRITE_TIMEOUT_MS);
	conn_set_sheddable(c, true);
	/* RFC 9112 2.2: empty lines before a request line are ignored. */
	do {
		rc = conn_read_line(c, HTTP_REQUEST_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG) {
			answer_error(hc, 11, 414, "request line too long");
			return READ_ANSWERED;
		}
		if (rc != LINE_OK)
			return read_ended(hc, rc, false);
	} while (line.len == 0 && ++empty < 4);
	if (line.len == 0) {
		answer_error(hc, 11, 400, "empty lines instead of a request");
		return READ_ANSWERED;
	}
	/* Mid-request: the header time-out, and no shedding (an idle
	 * connection between requests may be shed when the service is
	 * full, a request being sent may not). */
	conn_set_deadline(c, (int)hc->lim.header_s * 1000, "header time-out");
	conn_set_sheddable(c, false);
	buf_put_strv(head, line);
	buf_putc(head, '\n');
	for (;;) {
		rc = conn_read_line(c, HTTP_HEADER_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG) {
			answer_error(hc, 11, 431, "header line too long");
			return READ_ANSWERED;
		}
		if (rc != LINE_OK)
			return read_ended(hc, rc, true);
		if (line.len == 0)
			break;
		if (++nlines > HTTP_HEADERS_MAX) {
			answer_error(hc, 11, 431, "too many header fields");
			return READ_ANSWERED;
		}
		buf_put_strv(head, line);
		buf_putc(head, '\n');
		if (head->err != 0 || head->len > HTTP_HEAD_MAX) {
			answer_error(hc, 11, 431, "request head too large");
			return READ_ANSWERED;
		}
	}
	conn_set_deadline(c, 0, NULL);
	return READ_OK;
}

static size_t
body_max(const struct http_service *svc)
{
	size_t m = svc->app->body_max;

	if (m == 0)
		return HTTP_BODY_MAX;
	return m > HTTP_BODY_LIMIT_MAX ? HTTP_BODY_LIMIT_MAX : m;
}

/* A chunked body (RFC 9112 7.1) into body. */
static enum read_rc
read_chunked(struct http_conn *hc, unsigned version, size_t max,
    struct buf *body)
{
	struct conn *c = hc->c;
	struct strv line;
	enum line_rc rc;
	uint64_t size;
	unsigned trailers = 0;
	size_t old;

	for (;;) {
		rc = conn_read_line(c, HTTP_CHUNK_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG) {
			answer_error(hc, version, 400, "chunk-size line too "
			    "long");
			return READ_ANSWERED;
		}
		if (rc != LINE_OK)
			return read_ended(hc, rc, true);
		if (http_parse_chunk_size(line.p, line.len, &size) < 0) {
			answer_error(hc, version, 400, "bad chunk size");
			return READ_ANSWERED;
		}
		if (size == 0)
			break;
		if (size > max || body->len + size > max) {
			answer_error(hc, version, 413, "request body too large");
			return READ_ANSWERED;
		}
		old = body->len;
		while (body->len < old + size) {
			char chunk[16384];
			size_t want = old + size - body->len;
			ssize_t n = conn_read(c, chunk, want < sizeof(chunk) ?
			    want : sizeof(chunk));

			if (n <= 0)
				return read_ended(hc, conn_timed_out(c) ?
				    LINE_TIMEOUT : LINE_EOF, true);
			buf_append(body, chunk, (size_t)n);
		}
		rc = conn_read_line(c, 2, LINE_LF_OK, &line);
		if (rc != LINE_OK || line.len != 0) {
			if (rc == LINE_OK || rc == LINE_TOOLONG) {
				answer_error(hc, version, 400, "chunk data "
				    "not followed by CRLF");
				return READ_ANSWERED;
			}
			return read_ended(hc, rc, true);
		}
	}
	/* Trailer fields: read and dropped. */
	for (;;) {
		rc = conn_read_line(c, HTTP_HEADER_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG || (rc == LINE_OK &&
		    ++trailers > HTTP_TRAILERS_MAX)) {
			answer_error(hc, version, 431, "trailer section too "
			    "large");
			return READ_ANSWERED;
		}
		if (rc != LINE_OK)
			return read_ended(hc, rc, true);
		if (line.len == 0)
			return READ_OK;
	}
}

static enum read_rc
read_body(struct http_conn *hc, const struct http_head *h, struct buf *body)
{
	struct conn *c = hc->c;
	size_t max = body_max(hc->svc), got;
	enum read_rc rc = READ_OK;

	if (!h->chunked && (!h->has_length || h->content_length == 0))
		return READ_OK;
	if (h->has_length && h->content_length > max) {
		answer_error(hc, h->version, 413, "request body too large");
		return READ_ANSWERED;
	}
	if (h->expect_continue && h->version == 11) {
		(void)conn_puts(c, "HTTP/1.1 100 Continue\r\n\r\n");
		(void)conn_flush(c);
	}
	conn_set_min_rate(c, (int)hc->lim.header_s * 1000, HTTP_BODY_RATE_MIN);
	if (h->chunked)
		rc = read_chunked(hc, h->version, max, body);
	else {
		for (got = 0; got < h->content_length; ) {
			char chunk[16384];
			size_t want = h->content_length - got;
			ssize_t n = conn_read(c, chunk, want < sizeof(chunk) ?
			    want : sizeof(chunk));

			if (n <= 0) {
				rc = read_ended(hc, conn_timed_out(c) ?
				    LINE_TIMEOUT : LINE_EOF, true);
				break;
			}
			buf_append(body, chunk, (size_t)n);
			got += (size_t)n;
		}
	}
	conn_set_min_rate(c, 0, 0);
	return rc;
}

/* One request: false when the connection ends. */
static bool
serve_one(struct http_conn *hc)
{
	struct http_request req;
	struct http_response resp;
	struct http_head h;
	struct buf head, body;
	struct error err;
	enum read_rc rc;
	unsigned code;
	bool go_on = false;

	buf_init(&head, HTTP_HEAD_MAX + HTTP_HEADER_LINE_MAX + 2);
	buf_init(&body, body_max(hc->svc) + 1);
	memset(&h, 0, sizeof(h));
	rc = read_head(hc, &head);
	if (rc != READ_OK)
		goto out;
	code = http_parse_head(&h, head.data, head.len, &err);
	if (code != 0) {
		answer_error(hc, h.version, code, err.msg);
		goto out;
	}
	if (read_body(hc, &h, &body) != READ_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.method = h.method;
	req.target = h.target;
	req.path = h.path;
	req.query = h.query;
	req.version = h.version;
	req.headers = h.headers;
	req.nheaders = h.nheaders;
	req.host = h.host[0] != '\0' ? h.host : conn_local_ip(hc->c);
	req.body = (const unsigned char *)(body.data != NULL ? body.data : "");
	req.body_len = body.len;
	req.conn = hc->c;
	req.tls = conn_is_tls(hc->c);
	req.log = &hc->log;
	http_resp_init(&resp, hc->c, &req, &hc->log);
	resp.head_only = strcmp(h.method, "HEAD") == 0;
	resp.accept_gzip = h.accept_gzip;
	resp.close = !h.keep_alive;
	hc->svc->app->handle(hc->svc->app->arg, &req, &resp);
	log_ses(&hc->log, LOG_LOW, "%s %s %u", h.method, h.target, resp.status);
	go_on = http_resp_send(&resp, h.version) == 0 && !resp.close;
	if (!go_on && resp.status >= 400 && !resp.streaming)
		linger_close(hc);
	http_resp_free(&resp);
	hc->served++;
out:
	http_head_free(&h);
	buf_free(&head);
	buf_free(&body);
	return go_on;
}

static void http_resume(struct conn *c, void *arg, enum park_event why);

static void
http_loop(struct http_conn *hc)
{
	for (;;) {
		if (hc->served > 0 && listener_park_when_idle(hc->c,
		    (int64_t)hc->lim.hibernate_s * 1000,
		    (int64_t)hc->lim.idle_s * 1000, http_resume, hc))
			return;
		if (!serve_one(hc))
			break;
	}
	conn_flush(hc->c);
	log_ses(&hc->log, LOG_LOW, "closing connection");
	free(hc);
}

static void
http_resume(struct conn *c, void *arg, enum park_event why)
{
	struct http_conn *hc = arg;

	(void)c;
	if (why == PARK_INPUT) {
		http_loop(hc);
		return;
	}
	log_ses(&hc->log, LOG_LOW, "%s; closing connection",
	    why == PARK_TIMEOUT ? "keep-alive time-out" : "server shutdown");
	free(hc);
}

static void
http_handler(struct conn *c, void *arg)
{
	struct http_service *svc = arg;
	struct http_conn *hc = xcalloc(1, sizeof(*hc));

	hc->svc = svc;
	hc->c = c;
	log_session_init(&hc->log, svc->log, conn_peer_text(c));
	if (svc->app->limits != NULL)
		svc->app->limits(svc->app->arg, &hc->lim);
	if (hc->lim.idle_s == 0 || hc->lim.idle_s > HTTP_IDLE_TIMEOUT_MAX)
		hc->lim.idle_s = HTTP_IDLE_TIMEOUT_DEFAULT;
	if (hc->lim.header_s == 0 || hc->lim.header_s > HTTP_HEADER_TIMEOUT_MAX)
		hc->lim.header_s = HTTP_HEADER_TIMEOUT_DEFAULT;
	if (hc->lim.hibernate_s >= hc->lim.idle_s)
		hc->lim.hibernate_s = 0;
	log_ses(&hc->log, LOG_LOW, "connected to %s%s", conn_local_text(c),
	    conn_is_tls(c) ? " (TLS)" : "");
	http_loop(hc);
}

static void
http_refuse(struct conn *c, const char *why)
{
	conn_printf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
	    "text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
	    "%s\n", strlen(why) + 1, why);
	conn_flush(c);
}

int
http_register(struct server *srv, const char *service,
    const struct http_app *app, struct error *err_r)
{
	struct http_service *svc;
	struct log_module *m;

	(void)srv;
	http_set_web_root_default();	/* unless --web-root set one */
	m = log_module_for(app->log_tag);
	if (m == NULL)
		return error_set(err_r, ERR_LIMIT, "more than %d HTTP log "
		    "modules", HTTP_TAGS_MAX);
	/* Lives as long as the listeners (the process). */
	svc = xcalloc(1, sizeof(*svc));
	svc->app = app;
	svc->log = m;
	snprintf(svc->name, sizeof(svc->name), "%s", service);
	if (listener_register(service, http_handler, http_refuse, svc, m,
	    err_r) < 0) {
		free(svc);
		return -1;
	}
	return 0;
}
