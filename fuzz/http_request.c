/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/http_request.c: libFuzzer target for the HTTP request parser
 * (src/http/http_parse.c) and the pure helpers handlers call on what a
 * client sent (http_util.c).  The input is split into lines by the line
 * reader as the session does (LF or CR LF, HTTP_HEADER_LINE_MAX) up to the
 * first empty line; that head is parsed.  An accepted head must hold a
 * path that starts with '/' (or is "*") with no NUL, "." or ".." segment,
 * a lower-case host, no framing conflict, a known method and version.
 * The bytes after the head go through the chunk-size parser (line by
 * line), the form parser and the cookie and ETag matchers.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "net/linereader.h"
#include "http/http.h"
#include "http/http_private.h"

static void
check_head(const struct http_head *h)
{
	const char *p;

	if (strcmp(h->path, "*") != 0 && h->path[0] != '/')
		abort();
	if (strstr(h->path, "/../") != NULL || strstr(h->path, "/./") != NULL)
		abort();
	for (p = h->host; *p != '\0'; p++)
		if (isupper((unsigned char)*p))
			abort();
	if (h->chunked && h->has_length)
		abort();
	if (h->version != 10 && h->version != 11)
		abort();
	if (!http_method_known(h->method))
		abort();
	if (h->nheaders > HTTP_HEADERS_MAX)
		abort();
}

static bool
count_pair(const char *name, const char *value, void *arg)
{
	(void)name;
	(void)value;
	return ++*(unsigned *)arg < 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader lr;
	struct http_head h;
	struct http_request r;
	struct buf head;
	struct strv line;
	struct error err;
	enum line_rc rc;
	uint64_t csize;
	unsigned code, pairs = 0;
	char cookie[64];
	const char *rest;
	size_t rest_len;

	if (size > 256 * 1024)
		return 0;
	linereader_init(&lr, size + 1);
	if (size > 0)
		(void)linereader_feed(&lr, data, size);
	buf_init(&head, HTTP_HEAD_MAX + HTTP_HEADER_LINE_MAX + 2);
	while ((rc = linereader_next(&lr, HTTP_HEADER_LINE_MAX, LINE_LF_OK,
	    &line)) == LINE_OK && line.len > 0) {
		buf_put_strv(&head, line);
		buf_putc(&head, '\n');
	}
	code = http_parse_head(&h, head.data != NULL ? head.data : "",
	    head.len, &err);
	if (code == 0) {
		check_head(&h);
		memset(&r, 0, sizeof(r));
		r.headers = h.headers;
		r.nheaders = h.nheaders;
		(void)http_cookie(&r, "TegamiAdmin", cookie, sizeof(cookie));
		(void)http_is_form(&r);
		if (http_header(&r, "If-None-Match") != NULL)
			(void)http_etag_match(http_header(&r, "If-None-Match"),
			    "W/\"1a-2b\"");
		(void)http_form_foreach(h.query, strlen(h.query), count_pair,
		    &pairs);
	} else if (code < 400 || code > 505)
		abort();
	http_head_free(&h);
	/* What follows the head: chunk-size lines, then a form body. */
	while ((rc = linereader_next(&lr, HTTP_CHUNK_LINE_MAX, LINE_LF_OK,
	    &line)) == LINE_OK || rc == LINE_TOOLONG)
		if (rc == LINE_OK)
			(void)http_parse_chunk_size(line.p, line.len, &csize);
	rest = (const char *)data;
	rest_len = size;
	(void)http_form_foreach(rest, rest_len, count_pair, &pairs);
	buf_free(&head);
	linereader_free(&lr);
	return 0;
}
