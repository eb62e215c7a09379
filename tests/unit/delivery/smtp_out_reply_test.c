/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_reply_test.c: the SMTP client's reply parser, EHLO extension
 * lines, and the target syntax of the SMTP dispatcher.
 */
#include "lib/compat.h"

#include <string.h>

#include "delivery/smtp_out.h"
#include "delivery/smtp_out_reply.h"
#include "lib/test.h"

static int
feed(struct smtp_out_reply *r, const char *line)
{
	return smtp_out_reply_line(r, line, strlen(line), NULL);
}

static void
test_single(void)
{
	struct smtp_out_reply r;
	char buf[300];

	test_begin("single line with enhanced status");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "550 5.1.1 <bob@x>: no such user") == 1);
	test_assert(r.code == 550);
	test_assert_str(r.status, "5.1.1");
	test_assert_str(r.text, "<bob@x>: no such user");
	smtp_out_reply_format(&r, buf, sizeof(buf));
	test_assert_str(buf, "550 5.1.1 <bob@x>: no such user");
	test_end();

	test_begin("status class must agree with the code");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "250 5.1.1 odd") == 1);
	test_assert_str(r.status, "");
	test_assert_str(r.text, "5.1.1 odd");
	test_end();

	test_begin("bare code, no text");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "354") == 1);
	test_assert(r.code == 354 && r.text_len == 0);
	smtp_out_reply_format(&r, buf, sizeof(buf));
	test_assert_str(buf, "354");
	test_end();

	test_begin("not a status: 4.7 or 4.7.1x");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "421 4.7 busy") == 1);
	test_assert_str(r.status, "");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "421 4.7.1x busy") == 1);
	test_assert_str(r.status, "");
	test_end();
}

static void
test_multi(void)
{
	struct smtp_out_reply r;
	struct smtp_out_ext e;

	test_begin("multi-line EHLO reply and extensions");
	smtp_out_reply_init(&r);
	memset(&e, 0, sizeof(e));
	test_assert(feed(&r, "250-mx.example hello") == 0);
	test_assert(feed(&r, "250-PIPELINING") == 0);
	smtp_out_ext_line(&e, "250-PIPELINING", 14);
	test_assert(feed(&r, "250-SIZE 10240000") == 0);
	smtp_out_ext_line(&e, "250-SIZE 10240000", 17);
	smtp_out_ext_line(&e, "250-starttls", 12);
	smtp_out_ext_line(&e, "250-8BITMIMEX", 13);
	smtp_out_ext_line(&e, "250-DSN", 7);
	test_assert(feed(&r, "250 SMTPUTF8") == 1);
	smtp_out_ext_line(&e, "250 SMTPUTF8", 12);
	test_assert(r.done && r.nlines == 4);
	test_assert(e.pipelining && e.starttls && e.dsn && e.smtputf8);
	test_assert(!e.eightbitmime);
	test_assert(e.size && e.size_max == 10240000);
	test_end();

	test_begin("SIZE without a number, absurd number");
	memset(&e, 0, sizeof(e));
	smtp_out_ext_line(&e, "250-SIZE", 8);
	test_assert(e.size && e.size_max == 0);
	smtp_out_ext_line(&e, "250-SIZE 99999999999999999999999", 32);
	test_assert(e.size && e.size_max == 0);
	test_end();

	test_begin("code changes inside a reply");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "250-a") == 0);
	test_assert(feed(&r, "251 b") == -1);
	test_end();

	test_begin("text joined and cut");
	smtp_out_reply_init(&r);
	test_assert(feed(&r, "451-first") == 0);
	test_assert(feed(&r, "451 second") == 1);
	test_assert_str(r.text, "first / second");
	smtp_out_reply_init(&r);
	{
		char line[600];
		int i;

		memcpy(line, "250-", 4);
		memset(line + 4, 'a', sizeof(line) - 5);
		line[sizeof(line) - 1] = '\0';
		test_assert(feed(&r, line) == 0);
		line[3] = ' ';
		test_assert(feed(&r, line) == 1);
		test_assert(r.text_len == SMTP_REPLY_TEXT_MAX);
		test_assert(strcmp(r.text + r.text_len - 3, "...") == 0);
		for (i = 0; i < SMTP_REPLY_TEXT_MAX; i++)
			if (r.text[i] == '\0')
				break;
		test_assert(i == SMTP_REPLY_TEXT_MAX);
	}
	test_end();

	test_begin("control characters replaced");
	smtp_out_reply_init(&r);
	test_assert(smtp_out_reply_line(&r, "550 a\tb\x01", 8, NULL) == 1);
	test_assert_str(r.text, "a?b?");
	test_end();

	test_begin("too many lines");
	{
		int i, rc = 0;

		smtp_out_reply_init(&r);
		for (i = 0; i <= SMTP_REPLY_LINES_MAX && rc == 0; i++)
			rc = feed(&r, "250-x");
		test_assert(rc == -1 && i == SMTP_REPLY_LINES_MAX + 1);
	}
	test_end();
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"", "25", "abc", "150 x", "650 x", "2a0 x", "260 x", "250x",
		"250_x", "099 x",
	};
	struct smtp_out_reply r;
	size_t i;

	test_begin("not replies");
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		smtp_out_reply_init(&r);
		test_assert(feed(&r, bad[i]) == -1);
	}
	test_end();
}

static void
test_target(void)
{
	char host[300];
	unsigned port;
	bool lit;

	test_begin("targets");
	test_assert(smtp_out_parse_target("mx.example", host, sizeof(host),
	    &port, &lit) == 0);
	test_assert_str(host, "mx.example");
	test_assert(port == 0 && !lit);
	test_assert(smtp_out_parse_target("mainhost.com:2525", host,
	    sizeof(host), &port, &lit) == 0);
	test_assert_str(host, "mainhost.com");
	test_assert(port == 2525 && !lit);
	test_assert(smtp_out_parse_target("[127.0.1.9]:2525", host,
	    sizeof(host), &port, &lit) == 0);
	test_assert_str(host, "127.0.1.9");
	test_assert(port == 2525 && lit);
	test_assert(smtp_out_parse_target("[IPv6:::1]", host, sizeof(host),
	    &port, &lit) == 0);
	test_assert_str(host, "::1");
	test_assert(port == 0 && lit);
	test_assert(smtp_out_parse_target("[::1]:25", host, sizeof(host),
	    &port, &lit) == 0);
	test_assert(port == 25 && lit);
	test_assert(smtp_out_parse_target("[1.2.3.4", host, sizeof(host),
	    &port, &lit) == -1);
	test_assert(smtp_out_parse_target("[1.2.3.4]x", host, sizeof(host),
	    &port, &lit) == -1);
	test_assert(smtp_out_parse_target("[mx.example]", host, sizeof(host),
	    &port, &lit) == -1);
	test_assert(smtp_out_parse_target("h:0", host, sizeof(host), &port,
	    &lit) == -1);
	test_assert(smtp_out_parse_target("h:65536", host, sizeof(host),
	    &port, &lit) == -1);
	test_assert(smtp_out_parse_target("h:25x", host, sizeof(host), &port,
	    &lit) == -1);
	test_assert(smtp_out_parse_target(":25", host, sizeof(host), &port,
	    &lit) == -1);
	test_assert(smtp_out_parse_target("h:-1", host, sizeof(host), &port,
	    &lit) == -1);
	test_end();
}

int
main(void)
{
	test_single();
	test_multi();
	test_bad();
	test_target();
	return test_done();
}
