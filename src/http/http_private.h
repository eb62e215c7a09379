/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_private.h: inside the HTTP module (src/http/): the pure request-head
 * parser (http_parse.c, fuzzed by fuzz/http_request.c), the response
 * (http_resp.c), the connection loop (http_session.c).
 */
#ifndef TEGAMI_HTTP_HTTP_PRIVATE_H
#define TEGAMI_HTTP_HTTP_PRIVATE_H

#include "lib/compat.h"

#include <stdint.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "http/http.h"

/*
 * A parsed request head.  http_parse_head() takes the head as the session
 * read it: the request line and the header lines, each ended by "\n" (the
 * session strips the CR of CR LF), without the empty line that ends it.
 * It works on its own copy; everything below points into it.
 */
struct http_head {
	char		*text;		/* the copy, cut into strings */
	char		*pathbuf;	/* the decoded path */
	const char	*method, *target, *path, *query;
	unsigned	 version;	/* 10 or 11 */
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t		 nheaders;
	char		 host[DOMAIN_NAME_MAX + 1];	/* "" when absent */
	bool		 has_length;
	uint64_t	 content_length;
	bool		 chunked;
	bool		 keep_alive;	/* by version and Connection */
	bool		 expect_continue;
	bool		 accept_gzip;
};

/*
 * Parses a request head (pure: no I/O, no globals).  0, or the status to
 * answer (400, 411, 431, 501, 505) with err_r saying why for the log.  On
 * any return h must be released with http_head_free().
 */
unsigned	http_parse_head(struct http_head *h, const char *text,
		    size_t len, struct error *err_r);
void		http_head_free(struct http_head *h);
/* True for a method the server knows (GET, HEAD, POST, PUT, DELETE,
 * OPTIONS, PATCH); others are answered 501. */
bool		http_method_known(const char *method);
/* Parses a chunk-size line ("1a;ext=1"): 0 and *size_r, or -1. */
int		http_parse_chunk_size(const char *line, size_t len,
		    uint64_t *size_r);
/* Decodes %XX of a path into dst (size >= len + 1); -1 for a bad escape
 * or a NUL. */
int		http_path_decode(const char *src, size_t len, char *dst);
/* The reason phrase of a status ("Not Found"). */
const char	*http_reason(unsigned code);
/* Whether an If-None-Match value matches etag (weak comparison). */
bool		http_etag_match(const char *inm, const char *etag);

/* The response (http_resp.c). */
struct http_response {
	unsigned	 status;
	char		 content_type[128];
	struct buf	 headers;	/* "Name: value\r\n"... */
	struct buf	 body;
	bool		 frame_csp;	/* the handler set frame-ancestors */
	bool		 no_gzip;	/* already compressed or a 304 */
	/* Streaming (http_stream_*). */
	struct conn	*conn;
	const struct http_request *req;
	struct log_session *log;
	bool		 head_only;	/* HEAD: headers only */
	bool		 close;		/* Connection: close */
	bool		 accept_gzip;
	bool		 streaming;
	bool		 chunked_out;
	bool		 gone;
};

void	http_resp_init(struct http_response *resp, struct conn *c,
	    const struct http_request *req, struct log_session *log);
void	http_resp_free(struct http_response *resp);
/* Writes the whole response (status line, headers, body, gzip when
 * accepted); -1 when the connection failed. */
int	http_resp_send(struct http_response *resp, unsigned version);
/* gzip of n bytes onto out (RFC 1952); -1 on a zlib failure. */
int	http_gzip(const void *p, size_t n, struct buf *out);

#endif
