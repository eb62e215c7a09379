/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_mime_test.c: lib/mime's parser and imap/imap_mime's writers against
 * hand-checked ENVELOPE, BODY and BODYSTRUCTURE strings (RFC 3501 7.4.2) for real-world-shaped messages:
 * plain text, multipart/alternative, mixed with attachment and an embedded
 * message/rfc822, missing close delimiter, no headers, LF-only input, odd
 * address quoting and groups, RFC 2231 continuations, depth limit.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_mime.h"
#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

#define TXT_PLAIN(size, lines) "(\"text\" \"plain\" (\"charset\" " \
	"\"us-ascii\") NIL NIL \"7bit\" " #size " " #lines

static char envbuf[65536], bsbuf[65536], bodybuf[65536];

/* Parses m (NUL-terminated) and fills the three global result strings. */
static struct mime_message *
parse(const char *m)
{
	struct mime_message *msg = mime_parse(m, strlen(m));
	struct buf b;

	buf_init(&b, 1 << 20);
	imap_mime_envelope(msg, msg->root, &b);
	snprintf(envbuf, sizeof(envbuf), "%s", buf_cstr(&b));
	buf_reset(&b);
	imap_mime_bodystructure(msg, msg->root, true, &b);
	snprintf(bsbuf, sizeof(bsbuf), "%s", buf_cstr(&b));
	buf_reset(&b);
	imap_mime_bodystructure(msg, msg->root, false, &b);
	snprintf(bodybuf, sizeof(bodybuf), "%s", buf_cstr(&b));
	buf_free(&b);
	return msg;
}

/* Converts CRLF to LF (for the bare-LF variant of a message). */
static char *
to_lf(const char *m)
{
	char *r = xstrdup(m), *w = r;

	for (; *m != '\0'; m++)
		if (!(m[0] == '\r' && m[1] == '\n'))
			*w++ = *m;
	*w = '\0';
	return r;
}

static const char simple[] =
	"From: John Doe <jdoe@example.com>\r\n"
	"To: Mary <mary@example.net>, bob@example.org\r\n"
	"Subject: Hello\r\n"
	"  world\r\n"
	"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
	"Message-ID: <1@example.com>\r\n"
	"\r\n"
	"Line one\r\n"
	"Line two\r\n";

static const char alternative[] =
	"From: a@b.c\r\n"
	"Content-Type: multipart/alternative; boundary=\"XX\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--XX\r\n"
	"Content-Type: text/plain; charset=UTF-8\r\n"
	"\r\n"
	"Hi\r\n"
	"--XX\r\n"
	"Content-Type: text/html; charset=\"utf-8\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<b>Hi</b>\r\n"
	"--XX--\r\n"
	"epilogue\r\n";

static const char alternative_bs[] =
	"((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"7bit\" 2 1 "
	"NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL "
	"\"quoted-printable\" 9 1 NIL NIL NIL NIL) \"alternative\" "
	"(\"boundary\" \"XX\") NIL NIL NIL)";

static const char mixed[] =
	"Subject: fwd\r\n"
	"Content-Type: multipart/mixed; boundary=outer\r\n"
	"\r\n"
	"--outer\r\n"
	"\r\n"
	"body text\r\n"
	"--outer\r\n"
	"Content-Type: application/pdf; name=\"a b.pdf\"\r\n"
	"Content-Disposition: attachment;\r\n"
	"\tfilename=\"a b.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-ID: <att1>\r\n"
	"Content-Description: the \"doc\"\r\n"
	"Content-Language: en, fr\r\n"
	"\r\n"
	"QUJD\r\n"
	"--outer\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: \"Smith, J.\" <j@x.org>\r\n"
	"Subject: inner\r\n"
	"\r\n"
	"inner body\r\n"
	"--outer--\r\n";

#define SMITH "((\"Smith, J.\" NIL \"j\" \"x.org\"))"
static const char mixed_bs[] =
	TXT_PLAIN(9, 1) " NIL NIL NIL NIL)"
	"(\"application\" \"pdf\" (\"name\" \"a b.pdf\") \"<att1>\" "
	"\"the \\\"doc\\\"\" \"base64\" 4 NIL (\"attachment\" (\"filename\" "
	"\"a b.pdf\")) (\"en\" \"fr\") NIL)"
	"(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 57 "
	"(NIL \"inner\" " SMITH " " SMITH " " SMITH " NIL NIL NIL NIL NIL) "
	TXT_PLAIN(10, 1) " NIL NIL NIL NIL) 4 NIL NIL NIL NIL)"
	" \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)";

static void
test_simple(void)
{
	struct mime_message *msg;
	char *lf;

	test_begin("simple text message");
	msg = parse(simple);
	test_assert_str(envbuf, "(\"Mon, 7 Feb 1994 21:52:25 -0800\" "
	    "\"Hello  world\" ((\"John Doe\" NIL \"jdoe\" \"example.com\")) "
	    "((\"John Doe\" NIL \"jdoe\" \"example.com\")) "
	    "((\"John Doe\" NIL \"jdoe\" \"example.com\")) "
	    "((\"Mary\" NIL \"mary\" \"example.net\")"
	    "(NIL NIL \"bob\" \"example.org\")) NIL NIL NIL "
	    "\"<1@example.com>\")");
	test_assert_str(bsbuf, TXT_PLAIN(20, 2) " NIL NIL NIL NIL)");
	test_assert_str(bodybuf, TXT_PLAIN(20, 2) ")");
	test_assert(msg->root->hdr_off == 0);
	test_assert(msg->root->body_off == strlen(simple) - 20);
	test_assert(msg->nparts == 1 && !msg->truncated);
	mime_free(&msg);
	test_assert(msg == NULL);
	test_end();

	test_begin("simple text message with bare LF");
	lf = to_lf(simple);
	msg = parse(lf);
	test_assert_str(bsbuf, TXT_PLAIN(18, 2) " NIL NIL NIL NIL)");
	test_assert(msg->root->body_off == strlen(lf) - 18);
	mime_free(&msg);
	free(lf);
	test_end();
}

static void
test_multipart(void)
{
	struct mime_message *msg;
	const struct mime_part *c;
	char *lf;

	test_begin("multipart/alternative with preamble and epilogue");
	msg = parse(alternative);
	test_assert_str(bsbuf, alternative_bs);
	test_assert_str(bodybuf, "((\"text\" \"plain\" (\"charset\" \"UTF-8\") "
	    "NIL NIL \"7bit\" 2 1)(\"text\" \"html\" (\"charset\" \"utf-8\") "
	    "NIL NIL \"quoted-printable\" 9 1) \"alternative\")");
	c = msg->root->child;
	test_assert(c != NULL && memcmp(alternative + c->body_off, "Hi", 2) == 0);
	test_assert(c != NULL && c->next != NULL && memcmp(alternative +
	    c->next->body_off, "<b>Hi</b>", 9) == 0);
	test_assert(msg->nparts == 3);
	mime_free(&msg);
	test_end();

	test_begin("multipart/alternative with bare LF");
	lf = to_lf(alternative);
	msg = parse(lf);
	test_assert_str(bsbuf, alternative_bs);
	mime_free(&msg);
	free(lf);
	test_end();

	test_begin("multipart/mixed: attachment and message/rfc822");
	msg = parse(mixed);
	test_assert_str(envbuf, "(NIL \"fwd\" NIL NIL NIL NIL NIL NIL NIL NIL)");
	test_assert_str(bsbuf, "(" TXT_PLAIN(9, 1) " NIL NIL NIL NIL)"
	    "(\"application\" \"pdf\" (\"name\" \"a b.pdf\") \"<att1>\" "
	    "\"the \\\"doc\\\"\" \"base64\" 4 NIL (\"attachment\" (\"filename\" "
	    "\"a b.pdf\")) (\"en\" \"fr\") NIL)"
	    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 57 "
	    "(NIL \"inner\" " SMITH " " SMITH " " SMITH " NIL NIL NIL NIL NIL) "
	    TXT_PLAIN(10, 1) " NIL NIL NIL NIL) 4 NIL NIL NIL NIL)"
	    " \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)");
	test_assert(strcmp(bsbuf + 1, mixed_bs) == 0);
	c = msg->root->child->next->next;
	test_assert(c->is_message && c->child != NULL &&
	    c->child->depth == 2 && c->child->parent == c);
	mime_free(&msg);
	test_end();

	test_begin("missing close delimiter: last part runs to the end");
	msg = parse("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n");
	test_assert_str(bodybuf, "(" TXT_PLAIN(3, 1) ")" TXT_PLAIN(5, 1) ")"
	    " \"mixed\")");
	mime_free(&msg);
	test_end();

	test_begin("boundary that prefixes an inner boundary");
	msg = parse("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: multipart/related; boundary=b2\n\n"
	    "--b2\n\nx\n--b2\n\ny\n--b2--\n--b\n\nz\n--b--\n");
	test_assert_str(bodybuf, "((" TXT_PLAIN(1, 1) ")" TXT_PLAIN(1, 1) ")"
	    " \"related\")" TXT_PLAIN(1, 1) ") \"mixed\")");
	mime_free(&msg);
	test_end();

	test_begin("multipart without boundary or delimiters");
	msg = parse("Content-Type: multipart/mixed\r\n\r\nhello\r\n");
	test_assert_str(bodybuf, "(" TXT_PLAIN(0, 0) ") \"mixed\")");
	mime_free(&msg);
	msg = parse("Content-Type: multipart/mixed; boundary=q\r\n\r\nhi\r\n");
	test_assert_str(bsbuf, "(" TXT_PLAIN(0, 0) " NIL NIL NIL NIL) \"mixed\" "
	    "(\"boundary\" \"q\") NIL NIL NIL)");
	mime_free(&msg);
	test_end();

	test_begin("empty parts and multipart/digest default type");
	msg = parse("Content-Type: multipart/digest; boundary=d\r\n\r\n"
	    "--d\r\n--d\r\n\r\nSubject: s\r\n\r\nb\r\n--d--\r\n");
	test_assert(msg->root->child != NULL &&
	    msg->root->child->body_len == 0);
	test_assert(strncmp(bodybuf, "((\"message\" \"rfc822\" NIL NIL NIL "
	    "\"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (", 70) == 0);
	mime_free(&msg);
	test_end();
}

static void
test_odd(void)
{
	struct mime_message *msg;
	struct buf b, out;
	int i;

	test_begin("no header block");
	msg = parse("\r\nJust a body\r\n");
	test_assert_str(envbuf, "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	test_assert_str(bodybuf, TXT_PLAIN(13, 1) ")");
	test_assert(msg->root->hdr_len == 2 && msg->root->body_off == 2);
	mime_free(&msg);
	msg = parse("");
	test_assert_str(bsbuf, TXT_PLAIN(0, 0) " NIL NIL NIL NIL)");
	mime_free(&msg);
	msg = parse("Subject: only headers, no blank line");
	test_assert_str(envbuf, "(NIL \"only headers, no blank line\" NIL NIL "
	    "NIL NIL NIL NIL NIL NIL)");
	test_assert_str(bodybuf, TXT_PLAIN(0, 0) ")");
	mime_free(&msg);
	test_end();

	test_begin("addresses: quoting, comments, groups, routes, 8-bit");
	msg = parse("From: \"Joe \\\"Q\\\" Public\" <joe@ex.com>, (c) "
	    "mary@ex.com (Mary Smith)\r\n"
	    "To: undisclosed-recipients:;\r\n"
	    "Cc: Team: a@x.com, \"B\" <b@x.com>;, c@x.com\r\n"
	    "Bcc: <@relay1,@relay2:d@x.com>, nodomain\r\n"
	    "Subject: caf\xc3\xa9 ok\r\n"
	    "Reply-To: \r\n"
	    "In-Reply-To: <p@x>\r\n\r\n");
	test_assert_str(envbuf, "(NIL {8}\r\ncaf\xc3\xa9 ok "
	    "((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"ex.com\")"
	    "(\"Mary Smith\" NIL \"mary\" \"ex.com\")) "
	    "((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"ex.com\")"
	    "(\"Mary Smith\" NIL \"mary\" \"ex.com\")) "
	    "((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"ex.com\")"
	    "(\"Mary Smith\" NIL \"mary\" \"ex.com\")) "
	    "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
	    "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"x.com\")"
	    "(\"B\" NIL \"b\" \"x.com\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"c\" \"x.com\")) "
	    "((NIL \"@relay1,@relay2\" \"d\" \"x.com\")"
	    "(NIL NIL \"nodomain\" \"MISSING_DOMAIN\")) "
	    "\"<p@x>\" NIL)");
	mime_free(&msg);
	test_end();

	test_begin("parameters: RFC 2231, comments, junk");
	msg = parse("Content-Type: text/plain; charset=us-ascii (Plain text);"
	    " junk; format = flowed\r\n"
	    "Content-Disposition: inline; filename*1=\".txt\";"
	    " filename*0*=utf-8''a%20b\r\n\r\nx");
	test_assert_str(bsbuf, "(\"text\" \"plain\" (\"charset\" \"us-ascii\" "
	    "\"format\" \"flowed\") NIL NIL \"7bit\" 1 1 NIL (\"inline\" "
	    "(\"filename*\" \"utf-8''a%20b.txt\")) NIL NIL)");
	mime_free(&msg);
	msg = parse("Content-Type: application/x; name*0=\"long\"; "
	    "name*1=\"name.txt\"\r\nContent-Type: text/html\r\n\r\n");
	test_assert_str(bodybuf, "(\"application\" \"x\" (\"name\" "
	    "\"longname.txt\") NIL NIL \"7bit\" 0)");
	mime_free(&msg);
	msg = parse("Content-Type: garbage\r\nContent-Transfer-Encoding: "
	    "BASE64\r\n\r\nab\r\n");
	test_assert_str(bodybuf, "(\"text\" \"plain\" (\"charset\" \"us-ascii\")"
	    " NIL NIL \"BASE64\" 4 1)");
	test_assert(!msg->root->ctype_given);
	mime_free(&msg);
	test_end();

	test_begin("header lookup and unfolding");
	buf_init(&b, 1024);
	test_assert(mime_header_get(simple, 0, sizeof(simple) - 1, "subject",
	    &b));
	test_assert_str(buf_cstr(&b), "Hello  world");
	test_assert(!mime_header_get(simple, 0, sizeof(simple) - 1, "Cc", &b));
	test_assert(mime_header_get("X-A: 1\r\nX-A: 2\r\n\r\nX-B: 3", 0, 22,
	    "x-a", &b));
	test_assert_str(buf_cstr(&b), "1");
	test_assert(!mime_header_get("X-A: 1\r\nX-A: 2\r\n\r\nX-B: 3", 0, 22,
	    "x-b", &b));
	buf_free(&b);
	test_end();

	test_begin("depth limit");
	buf_init(&b, 1 << 20);
	for (i = 0; i < 40; i++)
		buf_puts(&b, "Content-Type: message/rfc822\r\n\r\n");
	buf_puts(&b, "Subject: deep\r\n\r\nbody\r\n");
	msg = mime_parse(b.data, b.len);
	test_assert(msg->truncated);
	test_assert(msg->nparts == MIME_DEPTH_MAX);
	buf_init(&out, 1 << 20);
	imap_mime_bodystructure(msg, msg->root, true, &out);
	test_assert(out.err == 0 && out.len > 0);
	mime_free(&msg);
	buf_free(&b);
	buf_free(&out);
	test_end();

	test_begin("nstring forms");
	buf_init(&b, 1024);
	imap_mime_nstring(&b, NULL, 0);
	buf_putc(&b, ' ');
	imap_mime_nstring(&b, "a\"b\\c", 5);
	buf_putc(&b, ' ');
	imap_mime_nstring(&b, "x\ry", 3);
	test_assert_str(buf_cstr(&b), "NIL \"a\\\"b\\\\c\" {3}\r\nx\ry");
	buf_free(&b);
	test_end();
}

/* Every prefix of a real message parses without trouble (byte feeding). */
static void
test_prefixes(void)
{
	size_t n, len = strlen(mixed);
	int bad = 0;

	test_begin("every prefix of a message parses");
	for (n = 0; n <= len; n++) {
		char *copy = xmalloc(n + 1);
		struct mime_message *msg;
		struct buf b;

		memcpy(copy, mixed, n);
		msg = mime_parse(copy, n);
		buf_init(&b, 1 << 20);
		imap_mime_envelope(msg, msg->root, &b);
		imap_mime_bodystructure(msg, msg->root, true, &b);
		if (b.err != 0 || msg->root->body_off > n)
			bad++;
		buf_free(&b);
		mime_free(&msg);
		free(copy);
	}
	test_assert(bad == 0);
	test_end();
}

int
main(void)
{
	test_simple();
	test_multipart();
	test_odd();
	test_prefixes();
	return test_done();
}
