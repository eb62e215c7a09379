/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_resp_test.c: responses on a socketpair (src/http/http_resp.c,
 * http_static.c): the status line and headers every answer carries, gzip,
 * HEAD, 304 without a body, a dropped header with a line break, an answer
 * too large becoming a 500, streaming in chunks, static files and their
 * refusals.
 */
#include "lib/compat.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/test.h"
#include "net/conn.h"
#include "http/http.h"
#include "http/http_private.h"

static struct log_module test_log = LOG_MODULE("HTTPA");

struct pair {
	struct conn	*c;
	int		 peer;
	struct log_session log;
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	p->c = conn_new(sv[0]);
	p->peer = sv[1];
	log_session_init(&p->log, &test_log, "test");
}

/* Everything the server side wrote, after closing it. */
static char *
pair_close(struct pair *p, size_t *len_r)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;

	conn_free(&p->c);
	buf_init(&b, 1 << 24);
	while ((n = read(p->peer, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(p->peer);
	*len_r = b.len;
	return buf_steal(&b);
}

static const char *
body_of(const char *out)
{
	const char *e = strstr(out, "\r\n\r\n");

	return e != NULL ? e + 4 : "";
}

static void
test_plain_and_head(void)
{
	struct http_response resp;
	struct http_request req;
	struct pair p;
	char *out;
	size_t n;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.version = 11;
	test_begin("a text answer");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	http_resp_text(&resp, 404, "not found");
	http_resp_header(&resp, "X-Bad", "a\r\nSet-Cookie: x=1");
	http_resp_headerf(&resp, "X-Good", "%d", 42);
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strncmp(out, "HTTP/1.1 404 Not Found\r\nDate: ", 30) == 0);
	test_assert(strstr(out, "\r\nServer: Tegami/") != NULL);
	test_assert(strstr(out, "\r\nContent-Type: text/plain; charset=utf-8\r\n")
	    != NULL);
	test_assert(strstr(out, "\r\nX-Content-Type-Options: nosniff\r\n") !=
	    NULL);
	test_assert(strstr(out, "\r\nX-Frame-Options: DENY\r\n") != NULL);
	test_assert(strstr(out, "X-Bad") == NULL && strstr(out, "x=1") == NULL);
	test_assert(strstr(out, "\r\nX-Good: 42\r\n") != NULL);
	test_assert(strstr(out, "\r\nContent-Length: 10\r\n") != NULL);
	test_assert_str(body_of(out), "not found\n");
	free(out);

	test_begin("HEAD: the headers of GET, no body");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	resp.head_only = true;
	http_resp_html(&resp, 200, "<p>hello</p>");
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strstr(out, "\r\nContent-Length: 12\r\n") != NULL);
	test_assert_str(body_of(out), "");
	free(out);

	test_begin("304: no body, no Content-Length; HTTP/1.0 close");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	buf_puts(http_resp_body(&resp), "dropped");
	http_resp_status(&resp, 304);
	resp.close = true;
	test_assert(http_resp_send(&resp, 10) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strncmp(out, "HTTP/1.0 304 Not Modified\r\n", 27) == 0);
	test_assert(strstr(out, "Content-Length") == NULL);
	test_assert(strstr(out, "\r\nConnection: close\r\n") != NULL);
	test_assert_str(body_of(out), "");
	free(out);

	test_begin("a frame-ancestors policy replaces X-Frame-Options");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	http_resp_header(&resp, "Content-Security-Policy",
	    "frame-ancestors 'self'");
	http_resp_redirect(&resp, "/login");
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strncmp(out, "HTTP/1.1 303 See Other\r\n", 24) == 0);
	test_assert(strstr(out, "\r\nLocation: /login\r\n") != NULL);
	test_assert(strstr(out, "X-Frame-Options") == NULL);
	free(out);

	test_begin("an answer past its ceiling is a 500");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	buf_puts(http_resp_body(&resp), "partial");
	resp.body.err = 1;		/* as buf does at HTTP_RESPONSE_MAX */
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strncmp(out, "HTTP/1.1 500 ", 13) == 0);
	test_assert(strstr(out, "partial") == NULL);
	free(out);
}

static void
test_gzip(void)
{
	struct http_response resp;
	struct http_request req;
	struct pair p;
	char *out;
	size_t n, i;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.version = 11;
	test_begin("gzip when accepted and worthwhile");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	resp.accept_gzip = true;
	http_resp_header(&resp, "Content-Type", "application/json");
	for (i = 0; i < 200; i++)
		buf_puts(http_resp_body(&resp), "{\"a\": 1}\n");
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strstr(out, "\r\nContent-Encoding: gzip\r\n") != NULL);
	test_assert(strstr(out, "\r\nVary: Accept-Encoding\r\n") != NULL);
	test_assert((unsigned char)body_of(out)[0] == 0x1f);
	free(out);

	test_begin("no gzip for a small body or an image");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	resp.accept_gzip = true;
	http_resp_text(&resp, 200, "short");
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strstr(out, "Content-Encoding") == NULL);
	free(out);
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	resp.accept_gzip = true;
	http_resp_header(&resp, "Content-Type", "image/png");
	for (i = 0; i < 200; i++)
		buf_puts(http_resp_body(&resp), "aaaaaaaaaa");
	test_assert(http_resp_send(&resp, 11) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strstr(out, "Content-Encoding") == NULL);
	free(out);
}

static void
test_stream(void)
{
	struct http_response resp;
	struct http_request req;
	struct pair p;
	char *out;
	size_t n;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.version = 11;
	test_begin("streaming in chunks");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	test_assert(http_stream_begin(&resp, "text/event-stream") == 0);
	test_assert(http_stream_write(&resp, "abc", 3) == 0);
	test_assert(http_stream_wait(&resp, 10) == 0);	/* nothing came */
	test_assert(http_stream_write(&resp, "0123456789abcdefg", 17) == 0);
	test_assert(http_resp_send(&resp, 11) == 0);	/* the last chunk */
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strstr(out, "\r\nTransfer-Encoding: chunked\r\n") != NULL);
	test_assert(strstr(out, "\r\nContent-Type: text/event-stream\r\n") !=
	    NULL);
	test_assert(strstr(out, "Content-Length") == NULL);
	test_assert_str(body_of(out), "3\r\nabc\r\n11\r\n0123456789abcdefg\r\n"
	    "0\r\n\r\n");
	free(out);

	test_begin("a stream notices the client is gone");
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	test_assert(http_stream_begin(&resp, "text/plain") == 0);
	shutdown(p.peer, SHUT_WR);
	test_assert(http_stream_wait(&resp, 2000) == -1);
	test_assert(http_stream_write(&resp, "x", 1) == -1);
	http_resp_free(&resp);
	free(pair_close(&p, &n));

	test_begin("HTTP/1.0 streams without chunks");
	req.version = 10;
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	test_assert(http_stream_begin(&resp, "text/plain") == 0);
	test_assert(http_stream_write(&resp, "abc", 3) == 0);
	test_assert(http_resp_send(&resp, 10) == 0);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	test_assert(strncmp(out, "HTTP/1.0 200 OK\r\n", 17) == 0);
	test_assert(strstr(out, "Transfer-Encoding") == NULL);
	test_assert(strstr(out, "\r\nConnection: close\r\n") != NULL);
	test_assert_str(body_of(out), "abc");
	free(out);
}

/* One static request: the status and (when 200) the body. */
static unsigned
serve_static(const char *rel, const char *inm, const char *method,
    char **body_r, char *etag, size_t etag_size)
{
	struct http_header hdr[1] = { { "If-None-Match", inm } };
	struct http_response resp;
	struct http_request req;
	struct pair p;
	unsigned code;
	char *out;
	const char *e;
	size_t n;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.version = 11;
	req.headers = hdr;
	req.nheaders = inm != NULL ? 1 : 0;
	pair_open(&p);
	http_resp_init(&resp, p.c, &req, &p.log);
	http_resp_static(&resp, &req, rel);
	code = resp.status;
	(void)http_resp_send(&resp, 11);
	http_resp_free(&resp);
	out = pair_close(&p, &n);
	if (etag != NULL && (e = strstr(out, "\r\nETag: ")) != NULL)
		snprintf(etag, etag_size, "%.*s", (int)strcspn(e + 8, "\r"),
		    e + 8);
	if (body_r != NULL)
		*body_r = strdup(body_of(out));
	free(out);
	return code;
}

static void
test_static(void)
{
	char root[] = "/tmp/http_resp_test.XXXXXX", path[256], etag[80];
	char *body;
	int fd;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/admin", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/admin/a.css", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	test_assert(fd >= 0 && write(fd, "p{}\n", 4) == 4);
	close(fd);
	snprintf(path, sizeof(path), "%s/secret", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	test_assert(fd >= 0 && write(fd, "s\n", 2) == 2);
	close(fd);
	snprintf(path, sizeof(path), "%s/admin/link.css", root);
	test_assert(symlink("../secret", path) == 0);
	http_set_web_root(root);

	test_begin("a static file with its ETag");
	test_assert(serve_static("admin/a.css", NULL, "GET", &body, etag,
	    sizeof(etag)) == 200);
	test_assert_str(body, "p{}\n");
	free(body);
	test_assert(strncmp(etag, "W/\"", 3) == 0);
	test_begin("304 for its ETag");
	test_assert(serve_static("admin/a.css", etag, "GET", NULL, NULL, 0) ==
	    304);
	test_assert(serve_static("admin/a.css", "\"other\"", "GET", NULL, NULL,
	    0) == 200);
	test_begin("refused: climbing out, dot files, links, folders, POST");
	test_assert(serve_static("admin/../secret", NULL, "GET", NULL, NULL, 0)
	    == 404);
	test_assert(serve_static("../secret", NULL, "GET", NULL, NULL, 0) ==
	    404);
	test_assert(serve_static("/etc/passwd", NULL, "GET", NULL, NULL, 0) ==
	    404);
	test_assert(serve_static("admin/.a.css", NULL, "GET", NULL, NULL, 0) ==
	    404);
	test_assert(serve_static("admin/link.css", NULL, "GET", NULL, NULL, 0)
	    == 404);
	test_assert(serve_static("admin", NULL, "GET", NULL, NULL, 0) == 404);
	test_assert(serve_static("admin//a.css", NULL, "GET", NULL, NULL, 0) ==
	    404);
	test_assert(serve_static("admin/a.css", NULL, "POST", NULL, NULL, 0) ==
	    405);
	test_assert(serve_static("secret", NULL, "HEAD", NULL, NULL, 0) == 200);
	unlink(path);
	snprintf(path, sizeof(path), "%s/admin/a.css", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/admin", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/secret", root);
	unlink(path);
	rmdir(root);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_plain_and_head();
	test_gzip();
	test_stream();
	test_static();
	return test_done();
}
