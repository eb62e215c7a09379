/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_parse_test.c: the pure SMTP command parser (src/smtp/smtp_parse.c):
 * verbs, MAIL FROM / RCPT TO paths and ESMTP parameters, xtext, errors and
 * limits.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/test.h"
#include "smtp/smtp.h"

static struct strv
sv(const char *s)
{
	return strv_from(s);
}

static void
test_verb(void)
{
	struct strv verb, args;
	struct error err;
	char buf[64];

	test_begin("verb and arguments");
	test_assert(smtp_parse_verb(sv("EHLO client.example  "), &verb, &args,
	    &err) == 0);
	test_assert(strv_eq(verb, STRV_LIT("EHLO")));
	test_assert(strv_eq(args, STRV_LIT("client.example")));
	test_assert(smtp_parse_verb(sv("quit"), &verb, &args, &err) == 0);
	test_assert(strv_eq(verb, STRV_LIT("quit")) && args.len == 0);
	test_assert(smtp_parse_verb(sv("MAIL FROM:<a@b>"), &verb, &args,
	    &err) == 0);
	test_assert(strv_eq(args, STRV_LIT("FROM:<a@b>")));
	test_end();

	test_begin("verb errors: NUL, control, empty, long, junk");
	test_assert(smtp_parse_verb(strv_make("NO\0OP", 5), &verb, &args,
	    &err) < 0 && err.kind == ERR_SYNTAX);
	test_assert(strstr(err.msg, "NUL") != NULL);
	test_assert(smtp_parse_verb(strv_make("NOOP x\0", 7), &verb, &args,
	    &err) < 0);
	test_assert(smtp_parse_verb(sv("NOOP \x1b[0m"), &verb, &args,
	    &err) < 0);
	test_assert(smtp_parse_verb(sv(""), &verb, &args, &err) < 0);
	test_assert(smtp_parse_verb(sv(" EHLO x"), &verb, &args, &err) < 0);
	memset(buf, 'A', SMTP_VERB_MAX + 1);
	buf[SMTP_VERB_MAX + 1] = '\0';
	test_assert(smtp_parse_verb(sv(buf), &verb, &args, &err) < 0);
	buf[SMTP_VERB_MAX] = '\0';
	test_assert(smtp_parse_verb(sv(buf), &verb, &args, &err) == 0);
	test_assert(smtp_parse_verb(sv("MAIL:FROM"), &verb, &args, &err) < 0);
	test_assert(smtp_parse_verb(sv("EHLO\tx"), &verb, &args, &err) < 0);
	test_end();
}

static void
test_mail(void)
{
	struct smtp_mail_args m;
	struct error err;

	test_begin("MAIL FROM paths");
	test_assert(smtp_parse_mail(sv("FROM:<>"), &m, &err) == 0);
	test_assert(m.null_path && m.path[0] == '\0');
	test_assert(smtp_parse_mail(sv("from:<User@Example.COM>"), &m,
	    &err) == 0);
	test_assert_str(m.path, "User@example.com");
	test_assert(!m.null_path && !m.has_size && m.body == SMTP_BODY_NONE);
	test_assert(smtp_parse_mail(sv("FROM: <a@b.example>"), &m, &err) == 0);
	test_assert_str(m.path, "a@b.example");
	test_assert(smtp_parse_mail(sv("FROM:a@b.example SIZE=10"), &m,
	    &err) == 0);
	test_assert_str(m.path, "a@b.example");
	test_assert(m.has_size && m.size == 10);
	test_assert(smtp_parse_mail(sv("FROM:<\"john smith\"@x.example>"), &m,
	    &err) == 0);
	test_assert_str(m.path, "\"john smith\"@x.example");
	test_assert(smtp_parse_mail(sv("FROM:<\"a>b\"@x.example> SIZE=1"), &m,
	    &err) == 0);
	test_assert_str(m.path, "\"a>b\"@x.example");
	test_assert(smtp_parse_mail(sv("FROM:<@r1.example,@r2.example:u@h."
	    "example>"), &m, &err) == 0);
	test_assert_str(m.path, "u%h.example%r2.example@r1.example");
	test_assert(smtp_parse_mail(sv("FROM:<u\xc3\xa9@x.example> SMTPUTF8"),
	    &m, &err) == 0);
	test_assert(m.path_8bit && m.smtputf8);
	test_end();

	test_begin("MAIL FROM path errors");
	test_assert(smtp_parse_mail(sv("FROM:"), &m, &err) < 0);
	test_assert(m.fail == SMTP_PF_SYNTAX);
	test_assert(smtp_parse_mail(sv("TO:<a@b>"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b>x"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@>"), &m, &err) < 0);
	test_assert(m.fail == SMTP_PF_ADDRESS);
	test_assert(smtp_parse_mail(sv("FROM:<a b@c>"), &m, &err) < 0);
	test_assert(m.fail == SMTP_PF_ADDRESS);
	test_assert(smtp_parse_mail(sv("FROM:<@>"), &m, &err) < 0);
	test_end();

	test_begin("MAIL parameters");
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE=2147483648 "
	    "BODY=8BITMIME RET=HDRS ENVID=QQ+2B314 AUTH=<>"), &m, &err) == 0);
	test_assert(m.size == 2147483648ULL);
	test_assert(m.body == SMTP_BODY_8BITMIME && m.ret == SMTP_RET_HDRS);
	test_assert_str(m.envid, "QQ+314");
	test_assert(m.has_auth && m.auth[0] == '\0');
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> body=7bit ret=full "
	    "AUTH=u+40d.example"), &m, &err) == 0);
	test_assert(m.body == SMTP_BODY_7BIT && m.ret == SMTP_RET_FULL);
	test_assert_str(m.auth, "u@d.example");
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE="
	    "99999999999999999999999999"), &m, &err) == 0);
	test_assert(m.size == UINT64_MAX);
	test_end();

	test_begin("MAIL parameter errors");
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> FOO=1"), &m, &err) < 0);
	test_assert(m.fail == SMTP_PF_UNKNOWN_PARAM && err.kind == ERR_NOTFOUND);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE=1x"), &m, &err) < 0);
	test_assert(m.fail == SMTP_PF_SYNTAX);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE=-1"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE=1 SIZE=2"), &m,
	    &err) < 0);
	test_assert(strstr(err.msg, "duplicate") != NULL);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> BODY=BINARYMIME"), &m,
	    &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SMTPUTF8=1"), &m,
	    &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> RET=ALL"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> ENVID=a+zz"), &m,
	    &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> ENVID=a+0A"), &m,
	    &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> =x"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> SIZE==1"), &m, &err) < 0);
	test_assert(smtp_parse_mail(sv("FROM:<a@b.c> A B C D E F G H I J K L "
	    "M N O P Q"), &m, &err) < 0);
	test_assert(strstr(err.msg, "too many") != NULL);
	test_end();
}

static void
test_rcpt(void)
{
	struct smtp_rcpt_args r;
	struct error err;
	char big[SMTP_ORCPT_MAX + 64];
	size_t i;

	test_begin("RCPT TO paths and DSN parameters");
	test_assert(smtp_parse_rcpt(sv("TO:<postmaster>"), &r, &err) == 0);
	test_assert_str(r.path, "postmaster");
	test_assert(r.notify == 0 && r.orcpt[0] == '\0');
	test_assert(smtp_parse_rcpt(sv("To:<u@d.example> NOTIFY=SUCCESS,"
	    "DELAY ORCPT=rfc822;u+2Bx@d.example"), &r, &err) == 0);
	test_assert(r.notify == (SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY));
	test_assert_str(r.orcpt, "rfc822;u+x@d.example");
	test_assert(smtp_parse_rcpt(sv("TO:<u@d.example> NOTIFY=never"), &r,
	    &err) == 0);
	test_assert(r.notify == SMTP_NOTIFY_NEVER);
	test_end();

	test_begin("RCPT errors");
	test_assert(smtp_parse_rcpt(sv("TO:<>"), &r, &err) < 0);
	test_assert(smtp_parse_rcpt(sv("FROM:<u@d>"), &r, &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> NOTIFY=NEVER,SUCCESS"), &r,
	    &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> NOTIFY=SOMETIMES"), &r,
	    &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> NOTIFY=SUCCESS,"), &r,
	    &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> ORCPT=u@d"), &r, &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> ORCPT=rfc822;"), &r,
	    &err) < 0);
	test_assert(smtp_parse_rcpt(sv("TO:<u@d> SIZE=10"), &r, &err) < 0);
	test_assert(r.fail == SMTP_PF_UNKNOWN_PARAM);
	memcpy(big, "TO:<u@d> ORCPT=rfc822;", 22);
	for (i = 22; i < sizeof(big) - 1; i++)
		big[i] = 'a';
	big[sizeof(big) - 1] = '\0';
	test_assert(smtp_parse_rcpt(sv(big), &r, &err) < 0);
	test_assert(err.kind == ERR_LIMIT);
	test_end();

	test_begin("path limits");
	{
		char path[ADDRESS_MAX + 64];
		size_t n;

		n = (size_t)snprintf(path, sizeof(path), "TO:<");
		while (n < ADDRESS_MAX + 20)
			path[n++] = 'x';
		memcpy(path + n, "@d.example>", 12);
		test_assert(smtp_parse_rcpt(sv(path), &r, &err) < 0);
		test_assert(r.fail == SMTP_PF_ADDRESS);
	}
	test_end();
}

static void
test_xtext(void)
{
	char buf[16];
	size_t len;
	struct error err;

	test_begin("xtext");
	test_assert(smtp_xtext_decode(sv("abc+2B+3D"), buf, sizeof(buf), &len,
	    &err) == 0);
	test_assert_str(buf, "abc+=");
	test_assert(len == 5);
	test_assert(smtp_xtext_decode(sv(""), buf, sizeof(buf), &len,
	    &err) == 0 && len == 0);
	test_assert(smtp_xtext_decode(sv("a+2"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("a+"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("a+G1"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("a=b"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("a b"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("a+00"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("\xc3\xa9"), buf, sizeof(buf), NULL,
	    &err) < 0);
	test_assert(smtp_xtext_decode(sv("0123456789abcdef"), buf, sizeof(buf),
	    NULL, &err) < 0 && err.kind == ERR_LIMIT);
	test_assert(buf[0] == '\0');
	test_assert(smtp_xtext_decode(sv("0123456789abcde"), buf, sizeof(buf),
	    &len, &err) == 0 && len == 15);
	test_end();
}

int
main(void)
{
	test_verb();
	test_mail();
	test_rcpt();
	test_xtext();
	return test_done();
}
