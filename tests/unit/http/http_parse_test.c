/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_parse_test.c: the request head parser (src/http/http_parse.c) and
 * the pure helpers of http_util.c: every refusal with its status, framing,
 * keep-alive, Accept-Encoding, chunk sizes, forms, cookies, ETags.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "http/http.h"
#include "http/http_private.h"

static unsigned
parse(const char *text, struct http_head *h)
{
	struct error err;

	return http_parse_head(h, text, strlen(text), &err);
}

/* The status answered for a head (0: accepted). */
static unsigned
status_of(const char *text)
{
	struct http_head h;
	unsigned rc = parse(text, &h);

	http_head_free(&h);
	return rc;
}

static void
test_accepted(void)
{
	struct http_head h;

	test_begin("a plain GET");
	test_assert(parse("GET /Settings/General?x=1&y=%41 HTTP/1.1\n"
	    "Host: Mail.Example.COM:8010\nAccept-Encoding: gzip, deflate\n"
	    "X-Empty:\nUser-Agent:  curl/8  \n", &h) == 0);
	test_assert_str(h.method, "GET");
	test_assert_str(h.path, "/Settings/General");
	test_assert_str(h.query, "x=1&y=%41");
	test_assert_str(h.host, "mail.example.com");
	test_assert(h.version == 11 && h.keep_alive && h.accept_gzip);
	test_assert(h.nheaders == 4);
	test_assert_str(h.headers[2].value, "");
	test_assert_str(h.headers[3].value, "curl/8");
	test_assert(!h.has_length && !h.chunked);
	http_head_free(&h);

	test_begin("percent-decoded path");
	test_assert(parse("GET /a%20b/%C3%A9 HTTP/1.1\nHost: x\n", &h) == 0);
	test_assert_str(h.path, "/a b/\xc3\xa9");
	http_head_free(&h);

	test_begin("HTTP/1.0 without Host, keep-alive by request");
	test_assert(parse("GET / HTTP/1.0\n", &h) == 0);
	test_assert(h.version == 10 && !h.keep_alive && h.host[0] == '\0');
	http_head_free(&h);
	test_assert(parse("GET / HTTP/1.0\nConnection: Keep-Alive\n", &h) == 0);
	test_assert(h.keep_alive);
	http_head_free(&h);
	test_assert(parse("GET / HTTP/1.1\nHost: a\nConnection: foo, close\n",
	    &h) == 0);
	test_assert(!h.keep_alive);
	http_head_free(&h);

	test_begin("bodies");
	test_assert(parse("POST /api/command HTTP/1.1\nHost: a\n"
	    "Content-Length: 42\n", &h) == 0);
	test_assert(h.has_length && h.content_length == 42);
	http_head_free(&h);
	test_assert(parse("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: "
	    "Chunked\nExpect: 100-continue\n", &h) == 0);
	test_assert(h.chunked && h.expect_continue);
	http_head_free(&h);
	test_assert(parse("POST / HTTP/1.1\nHost: a\nContent-Length: 5\n"
	    "Content-Length: 5\n", &h) == 0);
	http_head_free(&h);
	test_assert(parse("POST / HTTP/1.1\nHost: a\nContent-Length: "
	    "0000000000000000000000000005\n", &h) == 0);
	test_assert(h.has_length && h.content_length == 5);
	http_head_free(&h);
	test_assert(parse("POST / HTTP/1.1\nHost: a\nContent-Length: "
	    "999999999999999999\n", &h) == 0);		/* 18 digits */
	test_assert(h.content_length == 999999999999999999ULL);
	http_head_free(&h);

	test_begin("absolute-form target names the host");
	test_assert(parse("GET http://Client1.com:8010/x?y HTTP/1.1\n"
	    "Host: other\n", &h) == 0);
	test_assert_str(h.host, "client1.com");
	test_assert_str(h.path, "/x");
	test_assert_str(h.query, "y");
	http_head_free(&h);

	test_begin("IPv6 Host");
	test_assert(parse("GET / HTTP/1.1\nHost: [::1]:8010\n", &h) == 0);
	test_assert_str(h.host, "[::1]");
	http_head_free(&h);

	test_begin("Accept-Encoding q=0");
	test_assert(parse("GET / HTTP/1.1\nHost: a\nAccept-Encoding: gzip;q=0,"
	    " br\n", &h) == 0 && !h.accept_gzip);
	http_head_free(&h);
	test_assert(parse("GET / HTTP/1.1\nHost: a\nAccept-Encoding: deflate, "
	    "gzip;q=0.5\n", &h) == 0 && h.accept_gzip);
	http_head_free(&h);
	test_assert(parse("GET / HTTP/1.1\nHost: a\nAccept-Encoding: xgzip\n",
	    &h) == 0 && !h.accept_gzip);
	http_head_free(&h);
}

static void
test_refused(void)
{
	static const struct {
		const char	*head;
		unsigned	 status;
	} cases[] = {
		{ "GET  / HTTP/1.1\nHost: a\n", 400 },
		{ "GET / HTTP/1.1 \nHost: a\n", 400 },
		{ "GET /\nHost: a\n", 400 },
		{ "GET / http/1.1\nHost: a\n", 400 },
		{ "GET / HTTP/1.1x\nHost: a\n", 400 },
		{ "GET / HTTP/2.0\nHost: a\n", 505 },
		{ "GET / HTTP/0.9\nHost: a\n", 505 },
		{ "BREW / HTTP/1.1\nHost: a\n", 501 },
		{ "G@T / HTTP/1.1\nHost: a\n", 400 },
		{ "GET / HTTP/1.1\n", 400 },
		{ "GET / HTTP/1.1\nHost: a\nHost: b\n", 400 },
		{ "GET / HTTP/1.1\nHost: a b\n", 400 },
		{ "GET / HTTP/1.1\nHost: a:80x\n", 400 },
		{ "GET / HTTP/1.1\nHost: a\n folded\n", 400 },
		{ "GET / HTTP/1.1\nHost : a\n", 400 },
		{ "GET / HTTP/1.1\nHost: a\nNoColon\n", 400 },
		{ "GET / HTTP/1.1\nHost: a\nX: a\rb\n", 400 },
		{ "GET /a/../b HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a/%2e%2E/b HTTP/1.1\nHost: a\n", 400 },
		{ "GET /./b HTTP/1.1\nHost: a\n", 400 },
		{ "GET /.. HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a%00b HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a%zz HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a% HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a%5cb HTTP/1.1\nHost: a\n", 400 },
		{ "GET /a#frag HTTP/1.1\nHost: a\n", 400 },
		{ "GET a/b HTTP/1.1\nHost: a\n", 400 },
		{ "GET * HTTP/1.1\nHost: a\n", 400 },
		{ "GET http://u@h/ HTTP/1.1\nHost: a\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\n", 411 },
		{ "PUT / HTTP/1.1\nHost: a\n", 411 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: -1\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: 1e3\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: 5, 5\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: 5\n"
		  "Content-Length: 6\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: "
		  "9999999999999999999999\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: "
		  "9223372036854775808\n", 400 },		/* 2^63 */
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: "
		  "1000000000000000000\n", 400 },		/* 19 digits */
		{ "POST / HTTP/1.1\nHost: a\nContent-Length: 5\n"
		  "Transfer-Encoding: chunked\n", 400 },
		{ "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n", 501 },
		{ "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n",
		  501 },
		{ "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n"
		  "Transfer-Encoding: chunked\n", 501 },
		{ "POST / HTTP/1.0\nTransfer-Encoding: chunked\n", 400 },
		{ "GET / HTTP/1.1\nHost: a\nExpect: 200-ok\n", 417 },
		{ "GET / HTTP/1.1\nHost: a\n\nX: y\n", 400 },
	};
	char big[200 * 8];
	size_t i, o;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		char name[64];

		snprintf(name, sizeof(name), "refused %zu (%u)", i,
		    cases[i].status);
		test_begin(name);
		test_assert(status_of(cases[i].head) == cases[i].status);
		if (status_of(cases[i].head) != cases[i].status)
			fprintf(stderr, "  %s -> %u\n", cases[i].head,
			    status_of(cases[i].head));
	}
	test_begin("too many header fields: 431");
	o = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\n");
	for (i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "X%zu: 1\n", i);
	test_assert(status_of(big) == 431);
	test_begin("NUL in the head: 400");
	{
		struct http_head h;
		struct error err;

		test_assert(http_parse_head(&h, "GET / HTTP/1.1\nHost: a\0b\n",
		    25, &err) == 400);
		http_head_free(&h);
	}
}

static void
test_chunk_size(void)
{
	uint64_t v;

	test_begin("chunk sizes");
	test_assert(http_parse_chunk_size("1a", 2, &v) == 0 && v == 26);
	test_assert(http_parse_chunk_size("0", 1, &v) == 0 && v == 0);
	test_assert(http_parse_chunk_size("FF ; ext=1", 10, &v) == 0 &&
	    v == 255);
	test_assert(http_parse_chunk_size("", 0, &v) < 0);
	test_assert(http_parse_chunk_size("x1", 2, &v) < 0);
	test_assert(http_parse_chunk_size("1 2", 3, &v) < 0);
	test_assert(http_parse_chunk_size("-1", 2, &v) < 0);
	test_assert(http_parse_chunk_size("fffffffffffffffff", 17, &v) < 0);
	/* 2^64, 2^64 - 1, 2^60 - 1: past 15 significant digits or not */
	test_assert(http_parse_chunk_size("10000000000000000", 17, &v) < 0);
	test_assert(http_parse_chunk_size("ffffffffffffffff", 16, &v) < 0);
	test_assert(http_parse_chunk_size("fffffffffffffff", 15, &v) == 0 &&
	    v == 0xfffffffffffffffULL);
	/* leading zeros are 1*HEXDIG too */
	test_assert(http_parse_chunk_size("0000000000000000000005", 22, &v) ==
	    0 && v == 5);
	test_assert(http_parse_chunk_size("00000000000000000000", 20, &v) ==
	    0 && v == 0);
}

static void
test_helpers(void)
{
	struct http_header hdrs[] = {
		{ "Cookie", "a=1; TegamiAdmin=abc" },
		{ "cookie", "b=2" },
		{ "Content-Type", "application/x-www-form-urlencoded; charset=x" },
	};
	struct http_request r;
	char buf[16];
	struct buf b;

	memset(&r, 0, sizeof(r));
	r.headers = hdrs;
	r.nheaders = N_ELEMENTS(hdrs);
	test_begin("cookies");
	test_assert_str(http_cookie(&r, "TegamiAdmin", buf, sizeof(buf)), "abc");
	test_assert_str(http_cookie(&r, "b", buf, sizeof(buf)), "2");
	test_assert(http_cookie(&r, "Tegami", buf, sizeof(buf)) == NULL);
	test_assert(http_cookie(&r, "TegamiAdmin", buf, 3) == NULL);
	test_assert(http_is_form(&r));
	test_assert_str(http_header(&r, "COOKIE"), "a=1; TegamiAdmin=abc");

	test_begin("form values");
	test_assert_str(http_form_value("a=1&b=x+y%21&a=2", 16, "b", buf,
	    sizeof(buf)), "x y!");
	test_assert_str(http_form_value("a=1&b=x+y%21&a=2", 16, "a", buf,
	    sizeof(buf)), "1");
	test_assert_str(http_form_value("&&c&d=", 6, "c", buf, sizeof(buf)),
	    "");
	test_assert(http_form_value("a=%zz", 5, "a", buf, sizeof(buf)) ==
	    NULL);
	test_assert(http_form_value("a=%00", 5, "a", buf, sizeof(buf)) ==
	    NULL);
	test_assert(http_form_value("a=0123456789abcdef", 18, "a", buf,
	    sizeof(buf)) == NULL);
	test_assert(http_form_value("a=1", 3, "b", buf, sizeof(buf)) == NULL);
	/* http_form_find says which */
	test_assert(http_form_find("a=1&b=2", 7, "b", buf, sizeof(buf)) == 1);
	test_assert(http_form_find("a=1", 3, "b", buf, sizeof(buf)) == 0);
	test_assert(http_form_find("a=%zz", 5, "a", buf, sizeof(buf)) == -1);
	test_assert(http_form_find("a=%00", 5, "a", buf, sizeof(buf)) == -1);
	test_assert(http_form_find("a=0123456789abcdef", 18, "a", buf,
	    sizeof(buf)) == -2);

	test_begin("ETag matching");
	test_assert(http_etag_match("\"x\"", "W/\"x\""));
	test_assert(http_etag_match("W/\"y\", W/\"x\"", "W/\"x\""));
	test_assert(http_etag_match("*", "\"x\""));
	test_assert(!http_etag_match("\"xy\"", "\"x\""));

	test_begin("escaping");
	buf_init(&b, 1024);
	http_html_escape(&b, "<a href=\"x\">&'</a>");
	test_assert_str(buf_cstr(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
	    "&lt;/a&gt;");
	buf_reset(&b);
	http_url_encode(&b, "/a b?c=d&e");
	test_assert_str(buf_cstr(&b), "%2Fa%20b%3Fc%3Dd%26e");
	buf_free(&b);

	test_begin("gzip");
	{
		struct buf gz;
		char in[4096];

		memset(in, 'a', sizeof(in));
		buf_init(&gz, 1 << 20);
		test_assert(http_gzip(in, sizeof(in), &gz) == 0);
		test_assert(gz.len > 18 && gz.len < 200);
		test_assert((unsigned char)gz.data[0] == 0x1f &&
		    (unsigned char)gz.data[1] == 0x8b);
		buf_free(&gz);
	}
}

int
main(void)
{
	test_accepted();
	test_refused();
	test_chunk_size();
	test_helpers();
	return test_done();
}
