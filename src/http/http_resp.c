/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_resp.c: the response a handler fills, and how it goes out: the
 * status line, the headers every response carries, Content-Length (or
 * chunked when streaming), gzip when the client accepts it and the body is
 * worth compressing (RFC 9110 8.4, RFC 1952).
 */
#include "lib/compat.h"

#include <poll.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <zlib.h>

#include "lib/log.h"
#include "net/conn.h"
#include "core/server.h"
#include "http/http.h"
#include "http/http_private.h"

#define GZIP_MIN	256	/* smaller bodies are sent as they are */

void
http_resp_init(struct http_response *resp, struct conn *c,
    const struct http_request *req, struct log_session *log)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	buf_init(&resp->headers, HTTP_HEAD_MAX);
	buf_init(&resp->body, HTTP_RESPONSE_MAX);
	resp->conn = c;
	resp->req = req;
	resp->log = log;
}

void
http_resp_free(struct http_response *resp)
{
	buf_free(&resp->headers);
	buf_free(&resp->body);
}

void
http_resp_status(struct http_response *resp, unsigned code)
{
	resp->status = code >= 100 && code <= 599 ? code : 500;
}

void
http_resp_header(struct http_response *resp, const char *name,
    const char *value)
{
	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL) {
		log_ses(resp->log, LOG_FAILURE, "response header '%s' with a "
		    "line break dropped", name);
		return;
	}
	if (strcasecmp(name, "Content-Type") == 0) {
		snprintf(resp->content_type, sizeof(resp->content_type), "%s",
		    value);
		return;
	}
	if (strcasecmp(name, "Content-Security-Policy") == 0 &&
	    strstr(value, "frame-ancestors") != NULL)
		resp->frame_csp = true;
	if (strcasecmp(name, "Content-Encoding") == 0)
		resp->no_gzip = true;
	buf_printf(&resp->headers, "%s: %s\r\n", name, value);
}

void
http_resp_headerf(struct http_response *resp, const char *name,
    const char *fmt, ...)
{
	char v[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v)) {
		log_ses(resp->log, LOG_FAILURE, "response header '%s' too long; "
		    "dropped", name);
		return;
	}
	http_resp_header(resp, name, v);
}

struct buf *
http_resp_body(struct http_response *resp)
{
	return &resp->body;
}

void
http_resp_text(struct http_response *resp, unsigned code, const char *text)
{
	http_resp_status(resp, code);
	snprintf(resp->content_type, sizeof(resp->content_type),
	    "text/plain; charset=utf-8");
	buf_reset(&resp->body);
	buf_puts(&resp->body, text);
	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		buf_putc(&resp->body, '\n');
}

void
http_resp_html(struct http_response *resp, unsigned code, const char *html)
{
	http_resp_status(resp, code);
	snprintf(resp->content_type, sizeof(resp->content_type),
	    "text/html; charset=utf-8");
	buf_reset(&resp->body);
	buf_puts(&resp->body, html);
}

void
http_resp_redirect(struct http_response *resp, const char *location)
{
	buf_reset(&resp->body);
	http_resp_status(resp, 303);
	http_resp_header(resp, "Location", location);
	snprintf(resp->content_type, sizeof(resp->content_type),
	    "text/plain; charset=utf-8");
	buf_printf(&resp->body, "See %s\n", location);
}

int
http_gzip(const void *p, size_t n, struct buf *out)
{
	z_stream z;
	unsigned char chunk[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper, not zlib's. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return -1;
		}
		buf_append(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return out->err != 0 ? -1 : 0;
}

static bool
compressible(const char *ct)
{
	return strncasecmp(ct, "text/", 5) == 0 ||
	    strncasecmp(ct, "application/json", 16) == 0 ||
	    strncasecmp(ct, "application/javascript", 22) == 0 ||
	    strncasecmp(ct, "image/svg+xml", 13) == 0;
}

static void
date_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Status line and headers onto out. */
static void
write_head(struct http_response *resp, unsigned version, struct buf *out,
    bool gz, bool has_body)
{
	char date[64];

	date_now(date, sizeof(date));
	buf_printf(out, "HTTP/1.%u %u %s\r\nDate: %s\r\nServer: Tegami/%s\r\n",
	    version == 10 ? 0 : 1, resp->status, http_reason(resp->status),
	    date, TEGAMI_VERSION);
	if (has_body && resp->content_type[0] != '\0')
		buf_printf(out, "Content-Type: %s\r\n", resp->content_type);
	if (gz)
		buf_puts(out, "Content-Encoding: gzip\r\n");
	buf_puts(out, "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: same-origin\r\n");
	if (!resp->frame_csp)
		buf_puts(out, "X-Frame-Options: DENY\r\n");
	buf_append(out, resp->headers.data, resp->headers.len);
	if (resp->close)
		buf_puts(out, "Connection: close\r\n");
	else if (version == 10)
		buf_puts(out, "Connection: keep-alive\r\n");
}

int
http_resp_send(struct http_response *resp, unsigned version)
{
	struct buf head, gz;
	const void *body;
	size_t blen;
	bool use_gz = false, has_body;

	if (resp->streaming) {
		if (resp->chunked_out && !resp->gone)
			(void)conn_puts(resp->conn, "0\r\n\r\n");
		return conn_flush(resp->conn);
	}
	if (resp->body.err != 0 || resp->headers.err != 0) {
		log_ses(resp->log, LOG_FAILURE, "response of over %u bytes; "
		    "answered 500", HTTP_RESPONSE_MAX);
		http_resp_text(resp, 500, "response too large");
		buf_reset(&resp->headers);
	}
	/* 1xx, 204 and 304 have no body (RFC 9110 6.4.1). */
	has_body = resp->status >= 200 && resp->status != 204 &&
	    resp->status != 304;
	body = resp->body.data;
	blen = has_body ? resp->body.len : 0;
	buf_init(&gz, HTTP_RESPONSE_MAX);
	if (has_body && resp->accept_gzip && !resp->no_gzip &&
	    blen >= GZIP_MIN && compressible(resp->content_type)) {
		if (http_gzip(body, blen, &gz) == 0 && gz.len < blen) {
			use_gz = true;
			body = gz.data;
			blen = gz.len;
		}
	}
	/* The whole answer must go out at HTTP_BODY_RATE_MIN at least, so a
	 * client that does not read cannot hold the thread. */
	conn_set_deadline(resp->conn, (int)(HTTP_SEND_MIN_MS +
	    (uint64_t)blen * 1000 / HTTP_BODY_RATE_MIN > INT32_MAX ? INT32_MAX :
	    HTTP_SEND_MIN_MS + (uint64_t)blen * 1000 / HTTP_BODY_RATE_MIN),
	    "write time-out");
	buf_init(&head, HTTP_HEAD_MAX * 2);
	write_head(resp, version, &head, use_gz, has_body);
	if (has_body && compressible(resp->content_type) && !resp->no_gzip)
		buf_puts(&head, "Vary: Accept-Encoding\r\n");
	/* 304 and 204 carry no Content-Length: a 304's would have to be the
	 * length of the 200 it stands for (RFC 9110 8.6). */
	if (has_body)
		buf_printf(&head, "Content-Length: %zu\r\n\r\n", blen);
	else
		buf_puts(&head, "\r\n");
	if (conn_write(resp->conn, head.data, head.len) < 0 ||
	    (!resp->head_only && blen > 0 && conn_write(resp->conn, body,
	    blen) < 0) || conn_flush(resp->conn) < 0) {
		log_ses(resp->log, LOG_PROBLEM, "answer not sent: %s",
		    conn_last_error(resp->conn));
		buf_free(&head);
		buf_free(&gz);
		return -1;
	}
	conn_set_deadline(resp->conn, 0, NULL);
	buf_free(&head);
	buf_free(&gz);
	return 0;
}

/* ---- streaming ---- */

int
http_stream_begin(struct http_response *resp, const char *content_type)
{
	struct buf head;
	unsigned version = resp->req != NULL ? resp->req->version : 11;
	int rc;

	if (resp->streaming)
		return resp->gone ? -1 : 0;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	    content_type);
	resp->streaming = true;
	resp->close = true;
	resp->chunked_out = version == 11 && !resp->head_only;
	buf_init(&head, HTTP_HEAD_MAX * 2);
	write_head(resp, version, &head, false, true);
	buf_puts(&head, "Cache-Control: no-cache\r\n");
	if (resp->chunked_out)
		buf_puts(&head, "Transfer-Encoding: chunked\r\n");
	buf_puts(&head, "\r\n");
	rc = conn_write(resp->conn, head.data, head.len);
	buf_free(&head);
	if (rc < 0 || conn_flush(resp->conn) < 0) {
		resp->gone = true;
		return -1;
	}
	return 0;
}

int
http_stream_write(struct http_response *resp, const void *p, size_t n)
{
	if (!resp->streaming || resp->gone)
		return -1;
	if (n == 0 || resp->head_only)
		return 0;
	if ((resp->chunked_out && conn_printf(resp->conn, "%zx\r\n", n) < 0) ||
	    conn_write(resp->conn, p, n) < 0 ||
	    (resp->chunked_out && conn_puts(resp->conn, "\r\n") < 0) ||
	    conn_flush(resp->conn) < 0) {
		resp->gone = true;
		return -1;
	}
	return 0;
}

int
http_stream_wait(struct http_response *resp, int ms)
{
	struct pollfd pfd;
	char scratch[512];
	ssize_t n;

	if (resp->gone)
		return -1;
	if (!conn_input_buffered(resp->conn)) {
		pfd.fd = conn_fd(resp->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, ms) <= 0)
			return 0;
	}
	/* Something came: a client that is gone, or bytes we drop (a client
	 * must not send a request over a streaming connection). */
	n = conn_read(resp->conn, scratch, sizeof(scratch));
	if (n <= 0) {
		resp->gone = true;
		return -1;
	}
	return 0;
}
