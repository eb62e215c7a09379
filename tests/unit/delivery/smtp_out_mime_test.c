/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_mime_test.c: the 8BITMIME downgrade (quoted-printable of 8-bit
 * leaf parts, the rest byte for byte).
 */
#include "lib/compat.h"

#include <string.h>

#include "delivery/smtp_out_private.h"
#include "lib/test.h"

static int
down(const char *in, struct buf *out)
{
	buf_init(out, 1 << 20);
	return smtp_out_downgrade(in, strlen(in), out);
}

static void
test_seven_bit(void)
{
	struct buf out;

	test_begin("7-bit message: nothing to do");
	test_assert(down("Subject: x\r\n\r\nplain\r\n", &out) == 0);
	buf_free(&out);
	test_end();
}

static void
test_single_part(void)
{
	struct buf out;

	test_begin("single part: CTE replaced, MIME-Version added");
	test_assert(down("Subject: caf\xc3\xa9\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "caf\xc3\xa9 = ok \r\n"
	    ".dot\r\n", &out) == 1);
	test_assert_str(buf_cstr(&out), "Subject: caf\xc3\xa9\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9 =3D ok=20\r\n"
	    ".dot\r\n");
	buf_free(&out);
	test_end();

	test_begin("folded CTE removed, MIME-Version kept");
	test_assert(down("MIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding:\r\n 8bit\r\n"
	    "X: y\r\n"
	    "\r\n"
	    "\xff\r\n", &out) == 1);
	test_assert_str(buf_cstr(&out), "MIME-Version: 1.0\r\n"
	    "X: y\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=FF\r\n");
	buf_free(&out);
	test_end();
}

static void
test_long_line(void)
{
	char in[400], *p;
	struct buf out;
	const char *s, *nl;
	size_t i;

	test_begin("long 8-bit line: soft breaks, lines <= 76");
	p = in;
	memcpy(p, "Subject: l\r\n\r\n", 14);
	p += 14;
	for (i = 0; i < 100; i++)
		*p++ = (char)0xe9;
	memcpy(p, "\r\n", 3);
	test_assert(down(in, &out) == 1);
	for (s = strstr(buf_cstr(&out), "\r\n\r\n") + 4; *s != '\0';
	    s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			break;
		test_assert((size_t)(nl - s) - 1 <= 76);
	}
	test_assert(strstr(buf_cstr(&out), "=\r\n=E9") != NULL);
	buf_free(&out);
	test_end();
}

static void
test_multipart(void)
{
	static const char in[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "seven bit\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=latin1\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "\xe9t\xe9\r\n"
	    "--b1--\r\n";
	static const char want[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "\r\n"
	    "preamble\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "seven bit\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=latin1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "=E9t=E9\r\n"
	    "--b1--\r\n";
	struct buf out;

	test_begin("multipart: only the 8-bit part converted");
	test_assert(down(in, &out) == 1);
	test_assert_str(buf_cstr(&out), want);
	buf_free(&out);
	test_end();
}

int
main(void)
{
	test_seven_bit();
	test_single_part();
	test_long_line();
	test_multipart();
	return test_done();
}
