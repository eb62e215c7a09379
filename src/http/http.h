/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h: the HTTP/1.1 server (docs/http.md; RFC 9110, RFC 9112) on the
 * listener/connection/TLS layer (net/).  One module serves both web
 * applications: WebAdmin on "webadmin"/"webadmins" (log module HTTPA) and,
 * later, WebUser on "webuser"/"webusers" (HTTPU).  The HTTP layer owns the
 * wire: request parsing with limits (lib/bounds.h, answered with the right
 * 4xx and a log line), keep-alive and pipelining, Content-Length and chunked
 * request bodies, gzip responses when the client asks (zlib), idle and
 * header time-outs, static files from the web root with ETag and
 * conditional GET.  An application sees one parsed request at a time and
 * fills one response; it never touches the socket.
 *
 * Threads: a request is handled on its connection's thread (blocking
 * handlers are fine); an idle keep-alive connection parks like the other
 * protocols (listener_park_when_idle).
 */
#ifndef TEGAMI_HTTP_HTTP_H
#define TEGAMI_HTTP_HTTP_H

#include "lib/compat.h"

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/error.h"

struct conn;
struct server;
struct log_session;

struct http_header {
	const char	*name;		/* as sent; compare case-insensitively */
	const char	*value;		/* leading/trailing blanks removed */
};

/* One parsed request.  All strings are NUL-terminated and live until the
 * handler returns. */
struct http_request {
	const char	*method;	/* "GET", "POST", ... (case as sent) */
	const char	*target;	/* the raw request-target */
	const char	*path;		/* percent-decoded path, no query; starts
					 * with '/'; never holds NUL, "/../" or
					 * "/./" (refused with 400 by the parser) */
	const char	*query;		/* raw text after '?', or "" */
	unsigned	 version;	/* 10 (HTTP/1.0) or 11 (HTTP/1.1) */
	const struct http_header *headers;
	size_t		 nheaders;
	const char	*host;		/* Host header without port, lower-case,
					 * or the local IP when absent */
	const unsigned char *body;	/* the whole body (de-chunked), NUL-
					 * terminated; "" when none */
	size_t		 body_len;
	struct conn	*conn;		/* peer and local address, TLS state */
	bool		 tls;		/* the connection is TLS */
	struct log_session *log;	/* the connection's log session */
};

/* The first header named name (case-insensitive), or NULL. */
const char	*http_header(const struct http_request *r, const char *name);
/* The value of cookie name from the Cookie headers copied to buf (size n);
 * NULL when absent or longer than n - 1. */
const char	*http_cookie(const struct http_request *r, const char *name,
		    char *buf, size_t n);
/* The value of name in an application/x-www-form-urlencoded text (a query
 * string or a POST body), decoded ('+' is a space, %XX), copied to buf (size
 * n).  The first occurrence; NULL when absent, or when the decoded value is
 * longer than n - 1 or holds a NUL. */
const char	*http_form_value(const char *form, size_t form_len,
		    const char *name, char *buf, size_t n);
/* The same, saying why not: 1 found (in buf), 0 absent, -1 a malformed
 * text (http_form_foreach), -2 longer than n - 1. */
int		 http_form_find(const char *form, size_t form_len,
		    const char *name, char *buf, size_t n);
/* Calls fn for every name=value pair of a form text, decoded; stops when fn
 * returns false.  -1 if the text is malformed (bad %XX, an over-long pair). */
int		 http_form_foreach(const char *form, size_t form_len,
		    bool (*fn)(const char *name, const char *value, void *arg),
		    void *arg);
/* True when the request's body is a form (application/x-www-form-
 * urlencoded). */
bool		 http_is_form(const struct http_request *r);

/* False for a state-changing request from a page of another site: the
 * browser's Origin (RFC 6454) names another host than Host; a missing Origin
 * is fine (older clients, curl). */
bool		 http_same_origin(const struct http_request *r);

/*
 * The response.  A handler sets the status (default 200), adds headers and
 * appends the body; the HTTP layer adds Date, Server, Content-Length (or
 * chunked), Connection, gzip when accepted and worthwhile, and security
 * headers every response carries (X-Content-Type-Options: nosniff,
 * Referrer-Policy: same-origin, X-Frame-Options: DENY unless the handler
 * set its own Content-Security-Policy frame-ancestors).
 */
struct http_response;

void		 http_resp_status(struct http_response *resp, unsigned code);
/* Adds a header (Set-Cookie may be added more than once; a second
 * Content-Type replaces the first).  Values with CR or LF are refused (the
 * header is dropped and logged). */
void		 http_resp_header(struct http_response *resp, const char *name,
		    const char *value);
void		 http_resp_headerf(struct http_response *resp, const char *name,
		    const char *fmt, ...) ATTR_FORMAT(3, 4);
/* The body so far; append with buf_*.  Bounded by HTTP_RESPONSE_MAX: a
 * body that hits it becomes a 500 with a log line, never a short answer. */
struct buf	*http_resp_body(struct http_response *resp);
/* A whole simple answer: status, Content-Type: text/plain (or text/html when
 * html), and the text.  Replaces what the body held. */
void		 http_resp_text(struct http_response *resp, unsigned code,
		    const char *text);
void		 http_resp_html(struct http_response *resp, unsigned code,
		    const char *html);
/* 303 See Other to location (the POST-redirect-GET of the forms). */
void		 http_resp_redirect(struct http_response *resp,
		    const char *location);
/* Serves the file at rel (relative to the web root, e.g. "admin/app.css")
 * with its Content-Type by extension, an ETag from size and mtime, 304 for a
 * matching If-None-Match, Cache-Control: no-cache.  404 when absent or when
 * rel climbs out of the web root. */
void		 http_resp_static(struct http_response *resp,
		    const struct http_request *req, const char *rel);

/*
 * Streaming (a live log tail, EventSource push): after http_stream_begin()
 * the status and headers are sent at once and the body goes out in chunks
 * (HTTP/1.1) as it is written; the connection closes when the handler
 * returns.  http_stream_write() returns -1 once the client is gone.
 * http_stream_wait() sleeps until the client closes or sends something, or
 * ms pass (0 on time-out, -1 when the client is gone): handlers poll their
 * source between waits.
 */
int		 http_stream_begin(struct http_response *resp,
		    const char *content_type);
int		 http_stream_write(struct http_response *resp, const void *p,
		    size_t n);
int		 http_stream_wait(struct http_response *resp, int ms);

/* 2 * nbytes hex digits of RAND_bytes and a NUL into out (nbytes <= 64):
 * a session id or a CSRF token.  Fatal when the generator fails. */
void		 http_token_new(char *out, size_t nbytes);
/* Whether token (may be NULL) equals want (non-empty), in constant time. */
bool		 http_token_eq(const char *token, const char *want);
/* HTML-escapes s (&, <, >, ", ') onto b. */
void		 http_html_escape(struct buf *b, const char *s);
/* Percent-encodes s for a URL path segment or a query value onto b. */
void		 http_url_encode(struct buf *b, const char *s);

/*
 * An application: one handler for every request on its services.  The
 * handler runs after the request is parsed and checked; it must fill resp.
 */
typedef void	http_handler_fn(void *arg, const struct http_request *req,
		    struct http_response *resp);

/* The time limits of a connection (s), read when it opens; 0 = the
 * default in lib/bounds.h. */
struct http_limits {
	unsigned	 idle_s;	/* KeepAliveTimeout: wait for a request */
	unsigned	 header_s;	/* HeaderTimeout: request line to the
					 * end of the headers */
	unsigned	 hibernate_s;	/* park an idle keep-alive connection
					 * after this; 0 = never */
};

struct http_app {
	const char	*log_tag;	/* "HTTPA", "HTTPU" */
	http_handler_fn	*handle;
	void		*arg;
	size_t		 body_max;	/* largest request body accepted (413
					 * past it); 0: HTTP_BODY_MAX; at most
					 * HTTP_BODY_LIMIT_MAX */
	/* Fills the limits for a new connection (its settings); NULL: the
	 * defaults. */
	void		(*limits)(void *arg, struct http_limits *lim);
};

/* Registers an application on a listener service ("webadmin", ...).  app
 * must outlive the listeners.  0, or -1 with err_r. */
int		 http_register(struct server *srv, const char *service,
		    const struct http_app *app, struct error *err_r);

/* The web root (static files, installed from the source tree's web/):
 * set at start from --web-root / the installed path; see docs/http.md. */
void		 http_set_web_root(const char *dir);
const char	*http_web_root(void);
/* Sets the web root, unless one is set, to the first of these that is a
 * folder: <folder of the program>/../web (the source tree's, for
 * build/tegamid), <folder of the program>/../share/tegami/web (installed
 * in $(PREFIX)/sbin).  Leaves it unset (every static file 404) when there
 * is none. */
void		 http_set_web_root_default(void);

/*
 * For the web applications (http_webapp.c).  http_login_domain(): the
 * local domain that "LoginPage@<host>" routes to (host as in
 * http_request.host; an IP address becomes an address literal).  0 with
 * the domain in domain[size]; -1 when it routes elsewhere or nowhere.
 * Either way the address routed is left in addr_r[addr_size] for the log.
 */
int	http_login_domain(struct server *srv, const char *host, char *domain,
	    size_t size, char *addr_r, size_t addr_size);
/* Fills *peer (auth.h) for a login by the client of req to service
 * ("HTTP", "HTTPU"): its addresses, TLS and log. */
struct auth_peer;
void	http_auth_peer(const struct http_request *req, const char *service,
	    struct auth_peer *peer);
/*
 * A web application's session array v: n elements of size bytes, unordered,
 * each with an int64_t last-use time (ms) at offset last_off; the caller
 * holds its lock.  drop wipes element i and moves the last one into its
 * place; expire drops those idle longer than timeout_ms; both return the
 * new count.  lru is the index of the least recently used (n > 0).  room
 * returns the array (reallocated, *cap grown, when n == *cap) with room
 * for one more.
 */
size_t	http_sessions_drop(void *v, size_t n, size_t size, size_t i);
size_t	http_sessions_expire(void *v, size_t n, size_t size, size_t last_off,
	    int64_t now, int64_t timeout_ms);
size_t	http_sessions_lru(const void *v, size_t n, size_t size,
	    size_t last_off);
void	*http_sessions_room(void *v, size_t n, size_t *cap, size_t size);

#endif
