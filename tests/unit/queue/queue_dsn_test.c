/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_dsn_test.c: queue_make_dsn() alone -- structure of the RFC 3464
 * report, RET=HDRS/FULL, status codes, header injection, boundary choice.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "queue/queue.h"

static const char original[] =
	"From: a@example.org\r\n"
	"To: b@example.net\r\n"
	"Subject: hello\r\n"
	"\r\n"
	"secret body line\r\n";

static bool
has(const struct buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

int
main(void)
{
	struct queue_dsn d;
	struct queue_dsn_rcpt r[2];
	struct buf b;
	struct error err;
	const char *p;

	memset(&d, 0, sizeof(d));
	memset(r, 0, sizeof(r));
	r[0].address = "x@example.net";
	r[0].orcpt = "rfc822;X@Example.net";
	r[0].action = QUEUE_DSN_FAILED;
	r[0].diagnostic = "550 5.1.1 <x@example.net>: no such user";
	r[1].address = "y@example.net";
	r[1].action = QUEUE_DSN_FAILED;
	r[1].diagnostic = "account is full";
	d.main_domain = "mail.example.com";
	d.return_path = "a@example.org";
	d.envid = "ENV42";
	d.queue_id = 17;
	d.arrival = 0;
	d.now = 86400;
	d.original = original;
	d.original_len = sizeof(original) - 1;
	d.rcpts = r;
	d.nrcpt = 2;

	test_begin("failure report, headers only by default");
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) == 0);
	test_assert(has(&b, "From: Mail Delivery System"
	    " <MAILER-DAEMON@mail.example.com>\r\n"));
	test_assert(has(&b, "To: <a@example.org>\r\n"));
	test_assert(has(&b, "Date: Fri, 02 Jan 1970 00:00:00 +0000\r\n"));
	test_assert(has(&b, "Auto-Submitted: auto-replied\r\n"));
	test_assert(has(&b, "Content-Type: multipart/report;"
	    " report-type=delivery-status;"));
	test_assert(has(&b, "Content-Type: message/delivery-status\r\n"));
	test_assert(has(&b, "Reporting-MTA: dns; mail.example.com\r\n"));
	test_assert(has(&b, "Original-Envelope-Id: ENV42\r\n"));
	test_assert(has(&b, "Arrival-Date: Thu, 01 Jan 1970 00:00:00"
	    " +0000\r\n"));
	test_assert(has(&b, "Original-Recipient: rfc822;X@Example.net\r\n"));
	test_assert(has(&b, "Final-Recipient: rfc822; x@example.net\r\n"
	    "Action: failed\r\nStatus: 5.1.1\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1"));
	test_assert(has(&b, "Final-Recipient: rfc822; y@example.net\r\n"
	    "Action: failed\r\nStatus: 5.0.0\r\n"
	    "Diagnostic-Code: X-Tegami; account is full\r\n"));
	test_assert(has(&b, "Content-Type: text/rfc822-headers\r\n\r\n"
	    "From: a@example.org\r\n"));
	test_assert(has(&b, "Subject: hello\r\n"));
	test_assert(!has(&b, "secret body line"));
	test_assert(has(&b, "--=_tegami-dsn-17-86400-0--\r\n"));
	/* Every line ends in CRLF. */
	for (p = b.data; (p = memchr(p, '\n', b.len - (size_t)(p - b.data)))
	    != NULL; p++)
		test_assert(p > b.data && p[-1] == '\r');
	buf_free(&b);
	test_end();

	test_begin("RET=FULL returns the whole message; bare LF fixed");
	d.ret = QUEUE_RET_FULL;
	d.original = "Subject: s\n\nbody\nline2";
	d.original_len = strlen(d.original);
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) == 0);
	test_assert(has(&b, "Content-Type: message/rfc822\r\n\r\n"
	    "Subject: s\r\n\r\nbody\r\nline2\r\n"));
	buf_free(&b);
	d.ret = QUEUE_RET_DEFAULT;
	d.original = original;
	d.original_len = sizeof(original) - 1;
	test_end();

	test_begin("delivered report with NOTIFY=SUCCESS");
	r[0].action = QUEUE_DSN_DELIVERED;
	r[0].diagnostic = NULL;
	d.nrcpt = 1;
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) == 0);
	test_assert(has(&b, "Action: delivered\r\nStatus: 2.0.0\r\n"));
	test_assert(has(&b, "Subject: Successful Mail Delivery Report"));
	buf_free(&b);
	r[0].action = QUEUE_DSN_FAILED;
	test_end();

	test_begin("no header injection from texts");
	r[0].diagnostic = "bad\r\nBcc: victim@example.org";
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) == 0);
	test_assert(!has(&b, "\r\nBcc:"));
	test_assert(has(&b, "bad  Bcc: victim"));
	buf_free(&b);
	test_end();

	test_begin("boundary avoids the original's text");
	d.original = "Subject: x\r\n\r\n--=_tegami-dsn-17-86400-0\r\n";
	d.original_len = strlen(d.original);
	d.ret = QUEUE_RET_FULL;
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) == 0);
	test_assert(has(&b, "boundary=\"=_tegami-dsn-17-86400-1\""));
	buf_free(&b);
	test_end();

	test_begin("incomplete input and ceiling");
	d.return_path = "";
	buf_init(&b, 1 << 20);
	test_assert(queue_make_dsn(&d, &b, &err) < 0 && err.kind ==
	    ERR_SYNTAX);
	buf_free(&b);
	d.return_path = "a@example.org";
	buf_init(&b, 100);
	test_assert(queue_make_dsn(&d, &b, &err) < 0 && err.kind == ERR_LIMIT);
	buf_free(&b);
	test_end();

	return test_done();
}
