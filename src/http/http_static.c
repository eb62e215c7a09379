/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.c: files from the web root (docs/http.md): Content-Type by
 * extension, an ETag of size and modification time, 304 for a matching
 * If-None-Match (RFC 9110 13.1.2), Cache-Control: no-cache so browsers ask
 * again each time and get the 304.  The file is opened with O_NOFOLLOW
 * below a root that was made absolute at start, and a relative name is
 * refused when it has a "." or ".." segment, so nothing outside the root is
 * ever served.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "http/http.h"
#include "http/http_private.h"

static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
static char *web_root;

void
http_set_web_root(const char *dir)
{
	char real[PATH_MAX];
	char *old;

	pthread_mutex_lock(&root_lock);
	old = web_root;
	web_root = xstrdup(realpath(dir, real) != NULL ? real : dir);
	pthread_mutex_unlock(&root_lock);
	free(old);
}

const char *
http_web_root(void)
{
	const char *r;

	/* Set once at start, before the listeners run. */
	pthread_mutex_lock(&root_lock);
	r = web_root;
	pthread_mutex_unlock(&root_lock);
	return r;
}

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "application/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "ico", "image/x-icon" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "woff2", "font/woff2" },
};

static const char *
type_of(const char *rel)
{
	const char *dot = strrchr(rel, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; i < N_ELEMENTS(types); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static bool
rel_ok(const char *rel)
{
	const char *seg = rel, *e;
	size_t n;

	if (rel[0] == '\0' || rel[0] == '/')
		return false;
	while (*seg != '\0') {
		e = strchr(seg, '/');
		n = e != NULL ? (size_t)(e - seg) : strlen(seg);
		if (n == 0 || seg[0] == '.')	/* "", ".", "..", dot files */
			return false;
		seg += n + (e != NULL ? 1 : 0);
	}
	return strchr(rel, '\\') == NULL;
}

void
http_resp_static(struct http_response *resp, const struct http_request *req,
    const char *rel)
{
	const char *root = http_web_root();
	char path[PATH_MAX], etag[80];
	const char *inm;
	struct stat st;
	ssize_t n;
	size_t got;
	int fd;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_resp_header(resp, "Allow", "GET, HEAD");
		http_resp_text(resp, 405, "method not allowed");
		return;
	}
	if (root == NULL || !rel_ok(rel) || (size_t)snprintf(path,
	    sizeof(path), "%s/%s", root, rel) >= sizeof(path)) {
		http_resp_text(resp, 404, "not found");
		return;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_resp_text(resp, 404, "not found");
		return;
	}
	if (st.st_size > HTTP_STATIC_FILE_MAX) {
		close(fd);
		log_ses(resp->log, LOG_FAILURE, "static file %s is over %u "
		    "bytes; not served", rel, HTTP_STATIC_FILE_MAX);
		http_resp_text(resp, 500, "file too large");
		return;
	}
	snprintf(etag, sizeof(etag), "W/\"%llx-%llx%09lx\"",
	    (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
	    (unsigned long)st.st_mtim.tv_nsec);
	http_resp_header(resp, "ETag", etag);
	http_resp_header(resp, "Cache-Control", "no-cache");
	inm = http_header(req, "If-None-Match");
	if (inm != NULL && http_etag_match(inm, etag)) {
		close(fd);
		buf_reset(&resp->body);
		http_resp_status(resp, 304);
		return;
	}
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	    type_of(rel));
	buf_reset(&resp->body);
	for (got = 0; got < (size_t)st.st_size; got += (size_t)n) {
		char chunk[16384];

		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
		buf_append(&resp->body, chunk, (size_t)n);
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		http_resp_text(resp, 500, "file changed while read");
		return;
	}
	http_resp_status(resp, 200);
}

void
http_set_web_root_default(void)
{
	static const char *const rel[] = { "../web", "../share/tegami/web" };
	char exe[PATH_MAX], dir[PATH_MAX + 32], *slash;
	struct stat st;
	ssize_t n;
	size_t i;

	if (http_web_root() != NULL)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	for (i = 0; i < N_ELEMENTS(rel); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", exe, rel[i]);
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			http_set_web_root(dir);
			return;
		}
	}
}
