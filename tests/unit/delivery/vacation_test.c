/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vacation_test.c: the pure parts of the auto-reply (delivery/vacation.c):
 * the RFC 3834 checks, UTCDate parsing, and the reply composed (headers,
 * folding, line lengths); the settings file written and read back.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delivery/vacation.h"
#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/test.h"

static const char *const me[] = { "u@x.example", "alias@x.example" };

static const char *
chk(const char *sender, const char *msg)
{
	return vacation_check(sender, me, 2, msg, strlen(msg));
}

/* Every header line ends in CRLF and is at most 998 bytes. */
static bool
lines_ok(const struct buf *b)
{
	size_t i, start = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			if (i == 0 || b->data[i - 1] != '\r' ||
			    i - 1 - start > 998)
				return false;
			if (i - 1 == start)
				return true;	/* the blank line */
			start = i + 1;
		} else if (b->data[i] == '\r' && (i + 1 >= b->len ||
		    b->data[i + 1] != '\n'))
			return false;
	}
	return false;
}

int
main(void)
{
	struct vacation_cfg v;
	struct buf b, big;
	struct error err;
	char dir[] = "/tmp/vacation_test.XXXXXX";
	size_t i;

	test_begin("who gets no reply");
	test_assert(chk("a@y.example", "To: u@x.example\r\n\r\nhi") == NULL);
	test_assert(chk("a@y.example", "Cc: B <b@y>, U <U@X.example>\r\n"
	    "\r\nhi") == NULL);
	test_assert(chk("a@y.example", "To: Alias <alias@x.example>\r\n"
	    "Auto-Submitted: no\r\n\r\n") == NULL);
	test_assert_str(chk("", "To: u@x.example\r\n\r\n"), "null sender");
	test_assert(chk("MAILER-DAEMON@y", "To: u@x.example\r\n\r\n") != NULL);
	test_assert(chk("mailer-daemon", "To: u@x.example\r\n\r\n") != NULL);
	test_assert(chk("owner-l@y", "To: u@x.example\r\n\r\n") != NULL);
	test_assert(chk("l-request@y", "To: u@x.example\r\n\r\n") != NULL);
	test_assert(chk("request@y", "To: u@x.example\r\n\r\n") == NULL);
	test_assert_str(chk("a@y", "To: u@x.example\r\nAuto-Submitted: "
	    "auto-generated\r\n\r\n"), "Auto-Submitted");
	test_assert_str(chk("a@y", "To: u@x.example\r\nAuto-Submitted:\r\n"
	    " Auto-Replied\r\n\r\n"), "Auto-Submitted");
	test_assert(chk("a@y", "To: u@x.example\r\nAuto-Submitted: no "
	    "(person)\r\n\r\n") == NULL);
	test_assert(chk("a@y", "To: u@x.example\r\nPrecedence: Bulk\r\n\r\n")
	    != NULL);
	test_assert(chk("a@y", "To: u@x.example\r\nPrecedence: list\r\n\r\n")
	    != NULL);
	test_assert(chk("a@y", "To: u@x.example\r\nPrecedence: first-class"
	    "\r\n\r\n") == NULL);
	test_assert(chk("a@y", "To: u@x.example\r\nList-Post: <mailto:l@y>"
	    "\r\n\r\n") != NULL);
	test_assert_str(chk("a@y", "To: other@x.example\r\n\r\n"),
	    "not addressed in To or Cc");
	test_assert_str(chk("a@y", "Bcc: u@x.example\r\n\r\n"),
	    "not addressed in To or Cc");
	/* the header ends at the blank line: a To in the body is no To */
	test_assert(chk("a@y", "Subject: x\r\n\r\nTo: u@x.example\r\n") !=
	    NULL);
	{
		char *s = malloc(VACATION_SENDER_MAX + 8);

		memset(s, 'a', VACATION_SENDER_MAX + 1);
		s[VACATION_SENDER_MAX + 1] = '\0';
		test_assert(chk(s, "To: u@x.example\r\n\r\n") != NULL);
		free(s);
	}
	test_end();

	test_begin("UTCDate");
	test_assert(vacation_parse_date("1970-01-01T00:00:00Z") == 0);
	test_assert(vacation_parse_date("2026-12-03T12:00:01Z") ==
	    1796299201);
	test_assert(vacation_parse_date("2026-12-03T12:00:01") == -1);
	test_assert(vacation_parse_date("2026-12-03T12:00:01Zx") == -1);
	test_assert(vacation_parse_date("2026-12-03 12:00:01Z") == -1);
	test_assert(vacation_parse_date("2026-00-03T12:00:01Z") == -1);
	test_assert(vacation_parse_date("2026-12-03T24:00:01Z") == -1);
	test_assert(vacation_parse_date("+026-12-03T12:00:01Z") == -1);
	test_assert(vacation_parse_date(NULL) == -1);
	test_end();

	test_begin("the reply");
	memset(&v, 0, sizeof(v));
	v.text = (char *)"away";
	buf_init(&b, VACATION_REPLY_MAX);
	vacation_compose(&v, "u@x.example", "a@y.example", "Subject: Hi\r\n"
	    "Message-ID: <m1@y>\r\nReferences: <r1@y>\r\n  <r2@y> junk "
	    "<bad id@y>\r\n\r\nbody", 80, 0, 1, &b);
	test_assert(strstr(buf_cstr(&b), "Subject: Auto: Hi\r\n") != NULL);
	test_assert(strstr(buf_cstr(&b), "In-Reply-To: <m1@y>\r\n") != NULL);
	test_assert(strstr(buf_cstr(&b), "References: <r1@y>\r\n <r2@y>\r\n"
	    " <m1@y>\r\n") != NULL);
	test_assert(strstr(buf_cstr(&b), "Auto-Submitted: auto-replied\r\n")
	    != NULL);
	test_assert(strstr(buf_cstr(&b), "To: <a@y.example>\r\n") != NULL);
	test_assert(strstr(buf_cstr(&b), "\r\n\r\nYXdheQ==\r\n") != NULL);
	test_assert(lines_ok(&b));
	/* no Message-ID: no In-Reply-To; a configured UTF-8 subject is
	 * encoded; an injected line break is not a header */
	buf_reset(&b);
	v.subject = (char *)"\xc3\xa4rger\r\nBcc: x@y";
	vacation_compose(&v, "u@x.example", "a@y.example", "Subject: Hi\r\n"
	    "\r\n", 15, 0, 2, &b);
	test_assert(strstr(buf_cstr(&b), "In-Reply-To") == NULL);
	test_assert(strstr(buf_cstr(&b), "Subject: =?UTF-8?B?") != NULL);
	test_assert(strstr(buf_cstr(&b), "\r\nBcc:") == NULL);
	test_assert(lines_ok(&b));
	/* a long original subject and References stay within 998 a line */
	buf_init(&big, 64 * 1024);
	buf_puts(&big, "Subject: ");
	for (i = 0; i < 3000; i++)
		buf_putc(&big, 'S');
	buf_puts(&big, "\r\nMessage-ID: <");
	for (i = 0; i < 950; i++)
		buf_putc(&big, 'm');
	buf_puts(&big, "@y>\r\nReferences:");
	for (i = 0; i < 300; i++)
		buf_printf(&big, " <ref%zu@y.example>", i);
	buf_puts(&big, "\r\n\r\n");
	buf_reset(&b);
	v.subject = NULL;
	v.html = (char *)"<p>away</p>";
	vacation_compose(&v, "u@x.example", "a@y.example", big.data, big.len,
	    0, 3, &b);
	test_assert(lines_ok(&b));
	test_assert(strstr(buf_cstr(&b), "In-Reply-To") == NULL);
	test_assert(strstr(buf_cstr(&b), "multipart/alternative") != NULL);
	test_assert(strstr(buf_cstr(&b), "text/html") != NULL);
	buf_free(&big);
	buf_free(&b);
	test_end();

	test_begin("the settings file");
	test_assert(mkdtemp(dir) != NULL);
	test_assert(vacation_read(dir, &v, &err) == 0 && !v.enabled &&
	    v.subject == NULL);
	vacation_cfg_clear(&v);
	memset(&v, 0, sizeof(v));
	v.enabled = true;
	snprintf(v.to_date, sizeof(v.to_date), "2030-01-01T00:00:00Z");
	v.subject = strdup("Away \"quoted\"\n");
	v.text = strdup("line 1\nline 2 \xe2\x82\xac \x01\x7f\t\\ \"");
	test_assert(vacation_write(dir, &v, &err) == 0);
	vacation_cfg_clear(&v);
	test_assert(vacation_read(dir, &v, &err) == 0 && v.enabled);
	test_assert_str(v.to_date, "2030-01-01T00:00:00Z");
	test_assert_str(v.from_date, "");
	test_assert_str(v.subject, "Away \"quoted\"\n");
	test_assert_str(v.text, "line 1\nline 2 \xe2\x82\xac \x01\x7f\t\\ \"");
	test_assert(v.html == NULL);
	vacation_cfg_clear(&v);
	{
		char p[sizeof(dir) + 32];

		snprintf(p, sizeof(p), "%s/vacation.data", dir);
		unlink(p);
		rmdir(dir);
	}
	test_end();
	return test_done();
}
