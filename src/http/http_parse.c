/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_parse.c: the request head parser (RFC 9112 2-7, RFC 9110), pure.
 * Strict where leniency has let requests be smuggled past proxies: one SP
 * between the parts of the request line, no white space before a header's
 * colon, no obs-fold, no Content-Length together with Transfer-Encoding,
 * one Host, Content-Length as plain digits.  A path is decoded once and
 * refused when it holds NUL or a "." or ".." segment, so no handler ever
 * sees one.
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/strv.h"
#include "lib/xmalloc.h"
#include "http/http_private.h"

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

bool
http_method_known(const char *m)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT",
	    "DELETE", "OPTIONS", "PATCH" };
	size_t i;

	for (i = 0; i < N_ELEMENTS(known); i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

int
http_path_decode(const char *src, size_t len, char *dst)
{
	size_t i, o = 0;
	int c;

	for (i = 0; i < len; i++) {
		if (src[i] != '%') {
			if (src[i] == '\0')
				return -1;
			dst[o++] = src[i];
			continue;
		}
		/* a bad or missing escape, or %00 */
		if ((c = hex_pair_value(src + i + 1, len - i - 1)) <= 0)
			return -1;
		dst[o++] = (char)c;
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

/* True when the decoded path has a "." or ".." segment. */
static bool
has_dot_segment(const char *p)
{
	const char *seg = p, *end;
	size_t n;

	while (*seg != '\0') {
		if (*seg == '/') {
			seg++;
			continue;
		}
		end = strchr(seg, '/');
		n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return true;
		seg += n;
	}
	return false;
}

int
http_parse_chunk_size(const char *line, size_t len, uint64_t *size_r)
{
	uint64_t v = 0;
	size_t i = 0, sig = 0;
	int d;

	/* RFC 9112 7.1: chunk-size = 1*HEXDIG; leading zeros are allowed
	 * (bounded by the chunk line), significant digits are not past 15
	 * (below 2^60, far past any body we take, never an overflow). */
	while (i < len && (d = hex_digit_value((unsigned char)line[i])) >= 0) {
		if ((v > 0 || d > 0) && ++sig > 15)
			return -1;
		v = v * 16 + (uint64_t)d;
		i++;
	}
	if (i == 0)
		return -1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] != ';')
		return -1;
	for (; i < len; i++)		/* extensions: ignored, but no CTLs */
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return -1;
	*size_r = v;
	return 0;
}

/* Host (RFC 9110 7.2; RFC 3986 host [":" port]) into h->host, lower-case,
 * without the port.  -1 when malformed. */
static int
parse_host(struct http_head *h, const char *v)
{
	const char *end;
	size_t n, i;

	if (*v == '[') {
		end = strchr(v, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - v) + 1;
		for (i = 1; i < n - 1; i++)
			if (!isxdigit((unsigned char)v[i]) && v[i] != ':' &&
			    v[i] != '.')
				return -1;
	} else {
		for (n = 0; v[n] != '\0' && v[n] != ':'; n++)
			if (!isalnum((unsigned char)v[n]) &&
			    strchr("-._", v[n]) == NULL)
				return -1;
		end = v + n - 1;
	}
	if (n == 0 || n >= sizeof(h->host))
		return -1;
	if (v[n] == ':') {
		for (i = n + 1; v[i] != '\0'; i++)
			if (!isdigit((unsigned char)v[i]) || i - n > 5)
				return -1;
	} else if (v[n] != '\0')
		return -1;
	(void)end;
	for (i = 0; i < n; i++)
		h->host[i] = (char)tolower((unsigned char)v[i]);
	h->host[n] = '\0';
	return 0;
}

/* Case-insensitive search of token tok in a comma-separated list. */
static bool
list_has(const char *list, const char *tok, bool check_q)
{
	size_t tl = strlen(tok);
	const char *p = list, *e, *q;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		e = p;
		while (*e != '\0' && *e != ',' && *e != ';' && *e != ' ' &&
		    *e != '\t')
			e++;
		if ((size_t)(e - p) == tl && strncasecmp(p, tok, tl) == 0) {
			if (!check_q)
				return true;
			/* ";q=0", ";q=0.0", ";q=0.000": not acceptable */
			q = e;
			while (*q == ' ' || *q == '\t' || *q == ';')
				q++;
			if ((q[0] != 'q' && q[0] != 'Q') || q[1] != '=')
				return true;
			q += 2;
			if (*q++ != '0')
				return true;
			if (*q == '.')
				q++;
			while (*q == '0')
				q++;
			return isdigit((unsigned char)*q);
		}
		while (*e != '\0' && *e != ',')
			e++;
		p = e;
	}
	return false;
}

static unsigned
fail(struct error *err_r, unsigned code, const char *what)
{
	error_set(err_r, ERR_SYNTAX, "%s", what);
	return code;
}

/* The request line, in place. */
static unsigned
parse_request_line(struct http_head *h, char *line, struct error *err_r)
{
	char *sp1, *sp2, *v, *t, *q;
	size_t tlen;

	sp1 = strchr(line, ' ');
	if (sp1 == NULL)
		return fail(err_r, 400, "malformed request line");
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || strchr(sp2 + 1, ' ') != NULL)
		return fail(err_r, 400, "malformed request line");
	*sp1 = *sp2 = '\0';
	h->method = line;
	h->target = t = sp1 + 1;
	v = sp2 + 1;
	if (!is_token(line, strlen(line)) || strlen(line) > 32)
		return fail(err_r, 400, "malformed method");
	if (strncmp(v, "HTTP/", 5) != 0 || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]) || v[8] != '\0')
		return fail(err_r, 400, "malformed HTTP version");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(err_r, 505, "HTTP version not supported");
	h->version = v[7] == '1' ? 11 : 10;
	h->keep_alive = h->version == 11;
	tlen = strlen(t);
	for (q = t; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f ||
		    *q == '#')
			return fail(err_r, 400, "bad character in the target");
	if (tlen == 0)
		return fail(err_r, 400, "empty target");
	if (!http_method_known(h->method))
		return fail(err_r, 501, "method not implemented");
	if (strcmp(t, "*") == 0) {
		if (strcmp(h->method, "OPTIONS") != 0)
			return fail(err_r, 400, "'*' target without OPTIONS");
		h->path = "*";
		h->query = "";
		return 0;
	}
	if (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0) {
		/* absolute-form: its authority is the host (RFC 9112
		 * 3.2.2); keep the host text apart from the path. */
		char *a = strstr(t, "//") + 2, *slash = strchr(a, '/');
		char save;

		if (slash == NULL)
			slash = a + strlen(a);
		if (strchr(a, '@') != NULL && strchr(a, '@') < slash)
			return fail(err_r, 400, "userinfo in the target");
		save = *slash;
		*slash = '\0';
		if (parse_host(h, a) < 0)
			return fail(err_r, 400, "bad host in the target");
		*slash = save;
		t = slash;
		if (*t == '\0')
			t = (char *)"/";
	}
	if (t[0] != '/')
		return fail(err_r, 400, "target is not a path");
	q = strchr(t, '?');
	tlen = q != NULL ? (size_t)(q - t) : strlen(t);
	h->query = q != NULL ? q + 1 : "";
	h->pathbuf = xmalloc(tlen + 1);
	if (http_path_decode(t, tlen, h->pathbuf) < 0)
		return fail(err_r, 400, "bad %-escape in the path");
	if (has_dot_segment(h->pathbuf) || strchr(h->pathbuf, '\\') != NULL)
		return fail(err_r, 400, "'.' or '..' segment in the path");
	h->path = h->pathbuf;
	return 0;
}

/* One header line, in place, into h->headers. */
static unsigned
parse_header(struct http_head *h, char *line, struct error *err_r)
{
	char *colon, *v, *e, *p;

	if (line[0] == ' ' || line[0] == '\t')
		return fail(err_r, 400, "obsolete line folding");
	colon = strchr(line, ':');
	if (colon == NULL)
		return fail(err_r, 400, "header line without a colon");
	if (!is_token(line, (size_t)(colon - line)))
		return fail(err_r, 400, "malformed header name");
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (p = v; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fail(err_r, 400, "control character in a header");
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (h->nheaders >= HTTP_HEADERS_MAX)
		return fail(err_r, 431, "too many header fields");
	h->headers[h->nheaders].name = line;
	h->headers[h->nheaders].value = v;
	h->nheaders++;
	return 0;
}

/* What the headers mean for framing and the connection. */
static unsigned
check_headers(struct http_head *h, struct error *err_r)
{
	unsigned hosts = 0, tes = 0;
	bool close = false, ka = false;
	const char *n, *v, *te = NULL;
	size_t i;

	for (i = 0; i < h->nheaders; i++) {
		n = h->headers[i].name;
		v = h->headers[i].value;
		if (strcasecmp(n, "Host") == 0) {
			if (++hosts > 1)
				return fail(err_r, 400, "more than one Host");
			if (h->host[0] == '\0' && parse_host(h, v) < 0)
				return fail(err_r, 400, "malformed Host");
		} else if (strcasecmp(n, "Content-Length") == 0) {
			uint64_t cl = 0;
			size_t k, sig = 0;

			/* RFC 9110 8.6: 1*DIGIT, leading zeros allowed; past
			 * 18 significant digits (10^18 < 2^63) it is not a
			 * length we could hold */
			if (v[0] == '\0')
				return fail(err_r, 400, "bad Content-Length");
			for (k = 0; v[k] != '\0'; k++) {
				if (!isdigit((unsigned char)v[k]) ||
				    ((cl > 0 || v[k] != '0') && ++sig > 18))
					return fail(err_r, 400,
					    "bad Content-Length");
				cl = cl * 10 + (uint64_t)(v[k] - '0');
			}
			if (h->has_length && cl != h->content_length)
				return fail(err_r, 400, "conflicting "
				    "Content-Length");
			h->has_length = true;
			h->content_length = cl;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			tes++;
			te = v;
		} else if (strcasecmp(n, "Connection") == 0) {
			close |= list_has(v, "close", false);
			ka |= list_has(v, "keep-alive", false);
		} else if (strcasecmp(n, "Expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0)
				return fail(err_r, 417, "unknown expectation");
			h->expect_continue = true;
		} else if (strcasecmp(n, "Accept-Encoding") == 0)
			h->accept_gzip |= list_has(v, "gzip", true);
	}
	if (h->version == 11 && hosts == 0)
		return fail(err_r, 400, "HTTP/1.1 request without Host");
	if (tes > 0) {
		if (h->version == 10)
			return fail(err_r, 400, "Transfer-Encoding in HTTP/1.0");
		if (h->has_length)
			return fail(err_r, 400, "both Content-Length and "
			    "Transfer-Encoding");
		if (tes > 1 || strcasecmp(te, "chunked") != 0)
			return fail(err_r, 501, "transfer coding not "
			    "implemented");
		h->chunked = true;
	}
	if (!h->has_length && !h->chunked &&
	    (strcmp(h->method, "POST") == 0 || strcmp(h->method, "PUT") == 0 ||
	    strcmp(h->method, "PATCH") == 0))
		return fail(err_r, 411, "a body without its length");
	if (close)
		h->keep_alive = false;
	else if (ka && h->version == 10)
		h->keep_alive = true;
	return 0;
}

unsigned
http_parse_head(struct http_head *h, const char *text, size_t len,
    struct error *err_r)
{
	char *line, *nl;
	unsigned rc;

	memset(h, 0, sizeof(*h));
	h->method = h->target = h->path = h->query = "";
	error_clear(err_r);
	if (len > HTTP_HEAD_MAX)
		return fail(err_r, 431, "request head too large");
	if (memchr(text, '\0', len) != NULL)
		return fail(err_r, 400, "NUL in the request head");
	h->text = xmalloc(len + 1);
	memcpy(h->text, text, len);
	h->text[len] = '\0';
	line = h->text;
	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	if ((rc = parse_request_line(h, line, err_r)) != 0)
		return rc;
	while (nl != NULL && nl[1] != '\0') {
		line = nl + 1;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '\0')
			return fail(err_r, 400, "empty line inside the head");
		if ((rc = parse_header(h, line, err_r)) != 0)
			return rc;
	}
	return check_headers(h, err_r);
}

void
http_head_free(struct http_head *h)
{
	free(h->text);
	free(h->pathbuf);
	h->text = h->pathbuf = NULL;
}

bool
http_etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *e;
	size_t n;

	if (etag[0] == 'W' && etag[1] == '/')
		etag += 2;
	n = strlen(etag);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		e = p;
		while (*e != '\0' && *e != ',')
			e++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - p) == n && memcmp(p, etag, n) == 0)
			return true;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return false;
}

const char *
http_reason(unsigned code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
