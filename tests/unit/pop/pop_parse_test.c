/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_parse_test.c: the pure POP3 parser: command lines (keywords, argument
 * counts, PASS with spaces, control bytes), message numbers and TOP counts,
 * the maildrop bound, APOP digests, byte-stuffing fed whole, byte by byte and split at every
 * position, and TOP's line taking across chunk boundaries.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "pop/pop_private.h"

struct parse_case {
	const char	*line;
	size_t		 len;		/* 0: strlen(line) */
	int		 rc;
	enum pop_cmd_id	 id;
	size_t		 nargs;
	const char	*arg0, *arg1;
};

static const struct parse_case parse_cases[] = {
	{ "USER info", 0, 0, POP_CMD_USER, 1, "info", NULL },
	{ "user info", 0, 0, POP_CMD_USER, 1, "info", NULL },
	{ "UsEr  info  ", 0, 0, POP_CMD_USER, 1, "info", NULL },
	{ "USER", 0, -1, POP_CMD_USER, 0, NULL, NULL },
	{ "USER a b", 0, -1, POP_CMD_USER, 0, NULL, NULL },
	{ "PASS my secret  pw", 0, 0, POP_CMD_PASS, 1, "my secret  pw", NULL },
	{ "PASS  lead", 0, 0, POP_CMD_PASS, 1, " lead", NULL },
	{ "PASS", 0, -1, POP_CMD_PASS, 0, NULL, NULL },
	{ "PASS ", 0, -1, POP_CMD_PASS, 0, NULL, NULL },
	{ "APOP mrose c4c9334bac560ecc979e58001b3e22fb", 0, 0, POP_CMD_APOP,
	  2, "mrose", "c4c9334bac560ecc979e58001b3e22fb" },
	{ "APOP mrose", 0, -1, POP_CMD_APOP, 0, NULL, NULL },
	{ "AUTH", 0, 0, POP_CMD_AUTH, 0, NULL, NULL },
	{ "AUTH PLAIN", 0, 0, POP_CMD_AUTH, 1, "PLAIN", NULL },
	{ "AUTH PLAIN AGEAYg==", 0, 0, POP_CMD_AUTH, 2, "PLAIN", "AGEAYg==" },
	{ "AUTH PLAIN = x", 0, -1, POP_CMD_AUTH, 0, NULL, NULL },
	{ "STLS", 0, 0, POP_CMD_STLS, 0, NULL, NULL },
	{ "STLS now", 0, -1, POP_CMD_STLS, 0, NULL, NULL },
	{ "CAPA", 0, 0, POP_CMD_CAPA, 0, NULL, NULL },
	{ "STAT", 0, 0, POP_CMD_STAT, 0, NULL, NULL },
	{ "LIST", 0, 0, POP_CMD_LIST, 0, NULL, NULL },
	{ "LIST 2", 0, 0, POP_CMD_LIST, 1, "2", NULL },
	{ "LIST 2 3", 0, -1, POP_CMD_LIST, 0, NULL, NULL },
	{ "RETR 1", 0, 0, POP_CMD_RETR, 1, "1", NULL },
	{ "RETR", 0, -1, POP_CMD_RETR, 0, NULL, NULL },
	{ "DELE 7", 0, 0, POP_CMD_DELE, 1, "7", NULL },
	{ "NOOP", 0, 0, POP_CMD_NOOP, 0, NULL, NULL },
	{ "RSET", 0, 0, POP_CMD_RSET, 0, NULL, NULL },
	{ "TOP 1 10", 0, 0, POP_CMD_TOP, 2, "1", "10" },
	{ "top 1", 0, -1, POP_CMD_TOP, 0, NULL, NULL },
	{ "UIDL", 0, 0, POP_CMD_UIDL, 0, NULL, NULL },
	{ "UIDL 3", 0, 0, POP_CMD_UIDL, 1, "3", NULL },
	{ "QUIT", 0, 0, POP_CMD_QUIT, 0, NULL, NULL },
	{ "XTND XMIT", 0, 0, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "QUITX", 0, 0, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "QUI", 0, 0, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "", 0, -1, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ " USER x", 0, 0, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "USER a\0b", 8, -1, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "USER\ta", 0, -1, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "PASS a\rb", 0, -1, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "NOOP\x7f", 0, -1, POP_CMD_UNKNOWN, 0, NULL, NULL },
	{ "USER caf\xc3\xa9", 0, 0, POP_CMD_USER, 1, "caf\xc3\xa9", NULL },
};

static bool
strv_is(struct strv v, const char *s)
{
	return s != NULL && strv_eq(v, strv_from(s));
}

static void
test_parse_lines(void)
{
	struct pop_cmd_line cmd;
	struct error err;
	size_t i;

	for (i = 0; i < N_ELEMENTS(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->line);
		int rc;

		test_begin(c->line);
		rc = pop_parse_line(strv_make(c->line, len), &cmd, &err);
		test_assert(rc == c->rc);
		if (rc == 0) {
			test_assert(cmd.id == c->id);
			test_assert(cmd.nargs == c->nargs);
			if (c->nargs > 0)
				test_assert(strv_is(cmd.args[0], c->arg0));
			if (c->nargs > 1)
				test_assert(strv_is(cmd.args[1], c->arg1));
		} else
			test_assert(err.kind == ERR_SYNTAX);
		test_end();
	}
	test_begin("command names");
	test_assert_str(pop_cmd_name(POP_CMD_TOP), "TOP");
	test_assert_str(pop_cmd_name(POP_CMD_UNKNOWN), "?");
	test_end();
}

/* The maildrop bound: one past it is refused with a reply that says so;
 * at it, the maildrop is shown whole. */
static void
test_maildrop(void)
{
	char reply[160];

	test_begin("maildrop bound");
	reply[0] = '\0';
	test_assert(pop_maildrop_check(0, 3, reply, sizeof(reply)) == 0);
	test_assert(pop_maildrop_check(3, 3, reply, sizeof(reply)) == 0);
	test_assert(reply[0] == '\0');
	test_assert(pop_maildrop_check(4, 3, reply, sizeof(reply)) < 0);
	test_assert(strncmp(reply, "-ERR [SYS/PERM] maildrop too large",
	    34) == 0);
	test_assert(strstr(reply, "(4 messages, over 3)") != NULL);
	test_assert(pop_maildrop_check(POP_MESSAGES_MAX, POP_MESSAGES_MAX,
	    reply, sizeof(reply)) == 0);
	test_assert(pop_maildrop_check((size_t)POP_MESSAGES_MAX + 1,
	    POP_MESSAGES_MAX, reply, sizeof(reply)) < 0);
	test_assert(strstr(reply, "(1000001 messages, over 1000000)") !=
	    NULL);
	test_end();
}

static void
test_numbers(void)
{
	uint32_t n;
	uint64_t c;

	test_begin("message numbers");
	test_assert(pop_parse_msgno(STRV_LIT("1"), &n) == 0 && n == 1);
	test_assert(pop_parse_msgno(STRV_LIT("0001"), &n) == 0 && n == 1);
	test_assert(pop_parse_msgno(STRV_LIT("1000000"), &n) == 0 &&
	    n == POP_MESSAGES_MAX);
	test_assert(pop_parse_msgno(STRV_LIT("1000001"), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT("0"), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT("-1"), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT("+1"), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT("1a"), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT(""), &n) < 0);
	test_assert(pop_parse_msgno(STRV_LIT("99999999999999999999999"),
	    &n) < 0);
	test_end();

	test_begin("TOP counts");
	test_assert(pop_parse_count(STRV_LIT("0"), &c) == 0 && c == 0);
	test_assert(pop_parse_count(STRV_LIT("25"), &c) == 0 && c == 25);
	test_assert(pop_parse_count(STRV_LIT("999999999999999999999999"),
	    &c) == 0 && c == UINT32_MAX);
	test_assert(pop_parse_count(STRV_LIT("-3"), &c) < 0);
	test_assert(pop_parse_count(STRV_LIT(""), &c) < 0);
	test_end();

	test_begin("APOP digests");
	test_assert(pop_valid_digest(
	    STRV_LIT("c4c9334bac560ecc979e58001b3e22fb")));
	test_assert(pop_valid_digest(
	    STRV_LIT("C4C9334BAC560ECC979E58001B3E22FB")));
	test_assert(!pop_valid_digest(
	    STRV_LIT("c4c9334bac560ecc979e58001b3e22f")));
	test_assert(!pop_valid_digest(
	    STRV_LIT("g4c9334bac560ecc979e58001b3e22fb")));
	test_end();

	test_begin("UIDL format");
	{
		char b[POP_UIDL_MAX + 1];

		pop_format_uidl(b, sizeof(b), 1700000000u, 42);
		test_assert_str(b, "1700000000.42");
		pop_format_uidl(b, sizeof(b), UINT32_MAX, UINT32_MAX);
		test_assert_str(b, "4294967295.4294967295");
	}
	test_end();
}

struct stuff_case {
	const char	*in, *out;
};

static const struct stuff_case stuff_cases[] = {
	{ "", "" },
	{ "abc\r\n", "abc\r\n" },
	{ ".", ".." },
	{ ".\r\n", "..\r\n" },
	{ "a\r\n.\r\n", "a\r\n..\r\n" },
	{ "a.b\r\n..c\r\n", "a.b\r\n...c\r\n" },
	{ "x\r\n.\r\n.\r\n", "x\r\n..\r\n..\r\n" },
	{ "\r.\r\n", "\r.\r\n" },	/* only after LF */
	{ "a\n.b\n", "a\n..b\n" },
};

static void
stuff_all(const char *in, size_t step, struct buf *out)
{
	size_t len = strlen(in), off, k;
	bool bol = true;

	buf_reset(out);
	for (off = 0; off < len; off += k) {
		k = len - off < step ? len - off : step;
		pop_dot_stuff(out, in + off, k, &bol);
	}
}

static void
test_stuffing(void)
{
	struct buf out;
	size_t i, step;

	buf_init(&out, 4096);
	for (i = 0; i < N_ELEMENTS(stuff_cases); i++) {
		test_begin(stuff_cases[i].in);
		for (step = 1; step <= strlen(stuff_cases[i].in) + 1; step++) {
			stuff_all(stuff_cases[i].in, step, &out);
			test_assert_str(buf_cstr(&out), stuff_cases[i].out);
		}
		test_end();
	}
	test_begin("stuffing a chunk boundary right after LF");
	{
		bool bol = true;

		buf_reset(&out);
		pop_dot_stuff(&out, "a\r\n", 3, &bol);
		test_assert(bol);
		pop_dot_stuff(&out, ".x", 2, &bol);
		test_assert(!bol);
		test_assert_str(buf_cstr(&out), "a\r\n..x");
	}
	test_end();
	buf_free(&out);
}

static void
test_top(void)
{
	const char *body = "l1\r\nl2\r\nl3\r\n";
	uint64_t left;
	size_t i, total;

	test_begin("TOP 0 takes nothing");
	left = 0;
	test_assert(pop_top_take(body, strlen(body), &left) == 0);
	test_end();

	test_begin("TOP 2 takes two lines");
	left = 2;
	test_assert(pop_top_take(body, strlen(body), &left) == 8);
	test_assert(left == 0);
	test_end();

	test_begin("TOP past the end takes all");
	left = 10;
	test_assert(pop_top_take(body, strlen(body), &left) == strlen(body));
	test_assert(left == 7);
	test_end();

	test_begin("TOP with no final newline");
	left = 3;
	test_assert(pop_top_take("a\r\nb", 4, &left) == 4);
	test_assert(left == 2);
	test_end();

	test_begin("TOP one byte at a time gives the same prefix");
	left = 2;
	total = 0;
	for (i = 0; i < strlen(body) && left > 0; i++)
		total += pop_top_take(body + i, 1, &left);
	test_assert(total == 8);
	test_end();
}

int
main(void)
{
	test_parse_lines();
	test_numbers();
	test_maildrop();
	test_stuffing();
	test_top();
	return test_done();
}
