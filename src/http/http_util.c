/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_util.c: what handlers read from a request (headers, cookies, form
 * fields) and the escaping they write with.  Pure.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/strv.h"
#include "lib/xmalloc.h"
#include "http/http.h"
#include "http/http_private.h"

const char *
http_header(const struct http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* Cookie: a=1; b=2 (RFC 6265 5.4), over every Cookie header. */
const char *
http_cookie(const struct http_request *r, const char *name, char *buf,
    size_t n)
{
	size_t i, nl = strlen(name), vl;
	const char *p, *e;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, "Cookie") != 0)
			continue;
		for (p = r->headers[i].value; *p != '\0'; p = e) {
			while (*p == ' ' || *p == ';')
				p++;
			e = strchr(p, ';');
			if (e == NULL)
				e = p + strlen(p);
			if ((size_t)(e - p) > nl && strncmp(p, name, nl) == 0 &&
			    p[nl] == '=') {
				vl = (size_t)(e - p) - nl - 1;
				if (vl >= n)
					return NULL;
				memcpy(buf, p + nl + 1, vl);
				buf[vl] = '\0';
				return buf;
			}
		}
	}
	return NULL;
}

/* Decodes [p, p + n) ('+' is a space, %XX) into dst (size >= n + 1);
 * *len_r the decoded length; -1 on a bad escape. */
static int
form_decode(const char *p, size_t n, char *dst, size_t *len_r)
{
	size_t i, o = 0;
	int c;

	for (i = 0; i < n; i++) {
		if (p[i] == '+')
			dst[o++] = ' ';
		else if (p[i] == '%') {
			if ((c = hex_pair_value(p + i + 1, n - i - 1)) < 0)
				return -1;
			dst[o++] = (char)c;
			i += 2;
		} else
			dst[o++] = p[i];
	}
	dst[o] = '\0';
	*len_r = o;
	return 0;
}

int
http_form_foreach(const char *form, size_t form_len,
    bool (*fn)(const char *name, const char *value, void *arg), void *arg)
{
	const char *p = form, *end = form + form_len, *amp, *eq;
	char *name, *value;
	size_t nl, vl;
	bool go = true;

	while (p < end && go) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if ((size_t)(amp - p) > HTTP_FORM_VALUE_MAX)
			return -1;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		name = xmalloc((size_t)(eq - p) + 1);
		value = xmalloc((size_t)(amp - eq) + 1);
		if (form_decode(p, (size_t)(eq - p), name, &nl) < 0 ||
		    form_decode(eq < amp ? eq + 1 : eq, eq < amp ?
		    (size_t)(amp - eq - 1) : 0, value, &vl) < 0 ||
		    strlen(name) != nl || strlen(value) != vl) {
			free(name);
			free(value);
			return -1;
		}
		go = fn(name, value, arg);
		free(name);
		free(value);
		p = amp < end ? amp + 1 : end;
	}
	return 0;
}

struct find_arg {
	const char	*name;
	char		*buf;
	size_t		 n;
	bool		 found, fits;
};

static bool
find_one(const char *name, const char *value, void *arg)
{
	struct find_arg *f = arg;
	size_t vl;

	if (strcmp(name, f->name) != 0)
		return true;
	f->found = true;
	vl = strlen(value);
	f->fits = vl < f->n;
	if (f->fits)
		memcpy(f->buf, value, vl + 1);
	return false;
}

int
http_form_find(const char *form, size_t form_len, const char *name,
    char *buf, size_t n)
{
	struct find_arg f = { name, buf, n, false, false };

	if (http_form_foreach(form, form_len, find_one, &f) < 0)
		return -1;
	if (!f.found)
		return 0;
	return f.fits ? 1 : -2;
}

const char *
http_form_value(const char *form, size_t form_len, const char *name,
    char *buf, size_t n)
{
	if (n == 0 || http_form_find(form, form_len, name, buf, n) != 1)
		return NULL;
	return buf;
}

bool
http_is_form(const struct http_request *r)
{
	const char *ct = http_header(r, "Content-Type");
	size_t n = strlen("application/x-www-form-urlencoded");

	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded",
	    n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

void
http_html_escape(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *p); break;
		}
	}
}

void
http_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@", *p) != NULL)
			buf_putc(b, (char)*p);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

/* A state-changing request from a page of another site: the browser's
 * Origin names it (RFC 6454); a missing Origin is fine (older clients,
 * curl). */
bool
http_same_origin(const struct http_request *req)
{
	const char *o = http_header(req, "Origin"), *host, *p;
	size_t n;

	if (o == NULL || strcmp(o, "null") == 0)
		return o == NULL;
	p = strstr(o, "://");
	host = http_header(req, "Host");
	if (p == NULL || host == NULL)
		return false;
	p += 3;
	n = strlen(host);
	return strncasecmp(p, host, n) == 0 && p[n] == '\0';
}
