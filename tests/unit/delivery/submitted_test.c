/* SPDX-License-Identifier: Apache-2.0 */
/*
 * submitted_test.c: the pure .sub parser (delivery/submitted.h): recipients
 * from Envelope-To: or To/Cc/Bcc less Envelope-Ignore, field removal,
 * sender from Return-Path:/From:/Sender:, LF -> CRLF, added Date: and
 * Message-ID:, the Received: line, bare names, duplicates, errors, limits.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/submitted.h"
#include "lib/buf.h"
#include "lib/test.h"

static const struct submitted_opts opts = {
	"main.example", 1795823828, "u1"
};

static int
parse(const char *s, struct submitted_msg *m, struct error *err)
{
	return submitted_parse(s, strlen(s), &opts, m, err);
}

/* The message after the Received: field (3 lines). */
static const char *
after_received(const struct submitted_msg *m)
{
	const char *p = m->text.data;
	int i;

	for (i = 0; i < 3 && p != NULL; i++) {
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return p != NULL ? p : "";
}

int
main(void)
{
	struct submitted_msg m;
	struct error err;
	struct buf b;
	size_t i;

	test_begin("to, cc, bcc; bcc removed; crlf; date and id added");
	test_assert(parse("From: Me <me@main.example>\nTo: a@x.example, "
	    "\"B\" <b@x.example>\nCc: c\nBcc: d@y.example,\n a@x.example\n"
	    "Subject: s\n\nbody\n.\n", &m, &err) == 0);
	test_assert(m.nrcpt == 4);
	if (m.nrcpt == 4) {
		test_assert_str(m.rcpts[0], "a@x.example");
		test_assert_str(m.rcpts[1], "b@x.example");
		test_assert_str(m.rcpts[2], "c@main.example");
		test_assert_str(m.rcpts[3], "d@y.example");
	}
	test_assert_str(m.return_path, "me@main.example");
	test_assert(strncmp(m.text.data, "Received: from localhost "
	    "(Submitted/u1)\r\n\tby main.example (Tegami PIPE) id u1;\r\n\t",
	    70) == 0);
	test_assert(strncmp(after_received(&m), "From: Me <me@main.example>\r\n"
	    "To: a@x.example, \"B\" <b@x.example>\r\nCc: c\r\nSubject: s\r\n"
	    "Date: ", 88) == 0);
	test_assert(strstr(m.text.data, "\r\nMessage-ID: <u1@main.example>"
	    "\r\n\r\nbody\r\n.\r\n") != NULL);
	test_assert(strstr(m.text.data, "Bcc") == NULL);
	test_assert(strstr(m.text.data, "\n\n") == NULL);
	submitted_msg_clear(&m);
	test_end();

	test_begin("Envelope-To overrides; Return-Path sets the sender");
	test_assert(parse("Return-Path: <rp@z.example>\nEnvelope-To: e1@x\n"
	    "To: t@x\nEnvelope-To: <e2@x>, E1@X\nDate: d\nMessage-ID: <i>\n"
	    "\r\nbody", &m, &err) == 0);
	test_assert(m.nrcpt == 2);
	if (m.nrcpt == 2) {
		test_assert_str(m.rcpts[0], "e1@x");
		test_assert_str(m.rcpts[1], "e2@x");
	}
	test_assert_str(m.return_path, "rp@z.example");
	test_assert_str(after_received(&m), "To: t@x\r\nDate: d\r\n"
	    "Message-ID: <i>\r\n\r\nbody\r\n");
	submitted_msg_clear(&m);
	test_end();

	test_begin("Envelope-Ignore; null Return-Path; Sender fallback");
	test_assert(parse("Return-Path: <>\nTo: a@x, b@x\nCc: c@x\n"
	    "Envelope-Ignore: B@x, c@x\n\n", &m, &err) == 0);
	test_assert(m.nrcpt == 1 && strcmp(m.rcpts[0], "a@x") == 0);
	test_assert_str(m.return_path, "");
	test_assert(strstr(m.text.data, "Envelope-Ignore") == NULL);
	test_assert(strstr(m.text.data, "Return-Path") == NULL);
	submitted_msg_clear(&m);
	test_assert(parse("Sender: s@x\nTo: a@x\n\nb\n", &m, &err) == 0);
	test_assert_str(m.return_path, "s@x");
	submitted_msg_clear(&m);
	test_assert(parse("To: a@x\n\nb\n", &m, &err) == 0);
	test_assert_str(m.return_path, "");
	submitted_msg_clear(&m);
	test_end();

	test_begin("malformed To: does not matter with Envelope-To");
	test_assert(parse("To: \"broken <a@x>\nEnvelope-To: ok@x\n\nb\n", &m,
	    &err) == 0);
	test_assert(m.nrcpt == 1);
	submitted_msg_clear(&m);
	test_assert(parse("To: \"broken <a@x>\n\nb\n", &m, &err) < 0);
	test_assert(err.kind == ERR_SYNTAX);
	submitted_msg_clear(&m);
	test_end();

	test_begin("headers end at a non-field line; no body");
	test_assert(parse("To: a@x\nthis is no field\nmore\n", &m, &err) == 0);
	test_assert(strstr(m.text.data, "To: a@x\r\nDate: ") != NULL);
	test_assert(strstr(m.text.data, ">\r\n\r\nthis is no field\r\nmore"
	    "\r\n") != NULL);
	submitted_msg_clear(&m);
	test_assert(parse("To: a@x", &m, &err) == 0);
	test_assert(m.text.len > 4 && memcmp(m.text.data + m.text.len - 4,
	    ">\r\n\r\n", 4) != 0);
	test_assert(memcmp(m.text.data + m.text.len - 4, "\r\n\r\n", 4) == 0);
	submitted_msg_clear(&m);
	test_end();

	test_begin("errors");
	test_assert(parse("From: a@x\nSubject: none\n\nb\n", &m, &err) < 0);
	test_assert(err.kind == ERR_SYNTAX && strstr(err.msg,
	    "no recipients") != NULL);
	submitted_msg_clear(&m);
	test_assert(parse("To: undisclosed-recipients:;\n\nb\n", &m, &err) < 0);
	submitted_msg_clear(&m);
	test_assert(parse("To: a@x\nReturn-Path: <bad address@@>\n\nb\n", &m,
	    &err) < 0);
	test_assert(strstr(err.msg, "Return-Path") != NULL);
	submitted_msg_clear(&m);
	test_assert(parse("To: a@@x\n\nb\n", &m, &err) < 0);
	submitted_msg_clear(&m);
	test_assert(parse("", &m, &err) < 0);
	submitted_msg_clear(&m);
	test_end();

	test_begin("limits");
	buf_init(&b, 4 * 1024 * 1024);
	buf_puts(&b, "To: ");
	for (i = 0; i < SUBMITTED_RCPT_MAX; i++)
		buf_printf(&b, "u%zu@x,", i);
	buf_puts(&b, "\n\nb\n");
	test_assert(submitted_parse(b.data, b.len, &opts, &m, &err) == 0);
	test_assert(m.nrcpt == SUBMITTED_RCPT_MAX);
	submitted_msg_clear(&m);
	buf_reset(&b);
	buf_puts(&b, "To: ");
	for (i = 0; i <= SUBMITTED_RCPT_MAX; i++)
		buf_printf(&b, "u%zu@x,", i);
	buf_puts(&b, "\n\nb\n");
	test_assert(submitted_parse(b.data, b.len, &opts, &m, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	submitted_msg_clear(&m);
	buf_reset(&b);
	buf_puts(&b, "To: a@x\nX-Long: x\n");
	for (i = 0; i < SUBMITTED_FIELD_MAX / 8 + 1; i++)
		buf_puts(&b, " 1234567\n");
	test_assert(submitted_parse(b.data, b.len, &opts, &m, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	submitted_msg_clear(&m);
	buf_free(&b);
	test_assert(submitted_parse("To: a@x\n\n", SUBMITTED_FILE_MAX + 1,
	    &opts, &m, &err) < 0 && err.kind == ERR_LIMIT);
	submitted_msg_clear(&m);
	test_end();
	return test_done();
}
