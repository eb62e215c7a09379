/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linereader_test.c: tables of inputs and the lines they must give, in both
 * modes, run with the input fed all at once, one byte at a time, and split in
 * two at every byte position; all must give the same results.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/test.h"
#include "net/linereader.h"

struct lr_case {
	const char	*name;
	const char	*input;
	size_t		 max;
	enum line_mode	 mode;
	const char	*expect;	/* results, see record() */
};

static const struct lr_case cases[] = {
	{ "simple CRLF", "HELO a\r\nQUIT\r\n", 100, LINE_CRLF_ONLY,
	  "OK:HELO a|OK:QUIT|" },
	{ "empty lines", "\r\n\r\nx\r\n", 100, LINE_CRLF_ONLY, "OK:|OK:|OK:x|" },
	{ "partial last line waits", "abc\r\ndef", 100, LINE_CRLF_ONLY,
	  "OK:abc|" },
	{ "partial CR waits", "abc\r", 100, LINE_CRLF_ONLY, "" },
	{ "bare LF reported", "abc\ndef\r\n", 100, LINE_CRLF_ONLY,
	  "BARE:abc|OK:def|" },
	{ "empty bare LF", "\n", 100, LINE_CRLF_ONLY, "BARE:|" },
	{ "CR inside line kept", "a\rb\r\n", 100, LINE_CRLF_ONLY, "OK:a\rb|" },
	{ "CR CR LF keeps one CR", "a\r\r\n", 100, LINE_CRLF_ONLY, "OK:a\r|" },
	{ "LF mode accepts LF", "abc\ndef\r\n\n", 100, LINE_LF_OK,
	  "OK:abc|OK:def|OK:|" },
	{ "LF mode strips only last CR", "a\r\r\nb\rc\n", 100, LINE_LF_OK,
	  "OK:a\r|OK:b\rc|" },
	{ "NUL bytes kept", "a\0b\r\n", 100, LINE_CRLF_ONLY, "OK:a.b|" },
	{ "exactly max", "12345678\r\nx\r\n", 8, LINE_CRLF_ONLY,
	  "OK:12345678|OK:x|" },
	{ "exactly max LF mode", "12345678\nx\n", 8, LINE_LF_OK,
	  "OK:12345678|OK:x|" },
	{ "max + 1", "123456789\r\nx\r\n", 8, LINE_CRLF_ONLY, "TOOLONG|OK:x|" },
	{ "max + 1 LF mode", "123456789\nx\n", 8, LINE_LF_OK, "TOOLONG|OK:x|" },
	{ "over-long reported once", "0123456789\r\nnext\r\n", 8,
	  LINE_CRLF_ONLY, "TOOLONG|OK:next|" },
	{ "very long reported once", "0123456789012345678901234567890123456789"
	  "0123456789\r\nnext\r\n", 8, LINE_CRLF_ONLY, "TOOLONG|OK:next|" },
	{ "over-long without end yet", "0123456789012", 8, LINE_CRLF_ONLY,
	  "TOOLONG|" },
	{ "over-long bare LF is too long", "0123456789\nok\r\n", 8,
	  LINE_CRLF_ONLY, "TOOLONG|OK:ok|" },
	{ "two over-long lines", "aaaaaaaaaaaa\r\nbbbbbbbbbbbb\r\nc\r\n", 4,
	  LINE_CRLF_ONLY, "TOOLONG|TOOLONG|OK:c|" },
	{ "max 0", "\r\na\r\n\r\n", 0, LINE_CRLF_ONLY, "OK:|TOOLONG|OK:|" },
	{ "over-long CR run", "\r\r\r\r\r\r\r\r\r\r\r\r\nz\r\n", 4,
	  LINE_CRLF_ONLY, "TOOLONG|OK:z|" },
	{ "max CR then more", "1234\rx\r\n", 4, LINE_LF_OK, "TOOLONG|" },
	{ "pipelined", "A\r\nB\r\nC\r\nD", 10, LINE_CRLF_ONLY,
	  "OK:A|OK:B|OK:C|" },
};

/* Drains lr, appending "OK:line|", "BARE:line|" or "TOOLONG|" to out (NUL
 * shown as '.'). */
static void
drain(struct linereader *lr, size_t max, enum line_mode mode, struct buf *out)
{
	struct strv line;
	enum line_rc rc;
	size_t i;

	while ((rc = linereader_next(lr, max, mode, &line)) != LINE_AGAIN) {
		if (rc == LINE_TOOLONG) {
			buf_puts(out, "TOOLONG|");
			continue;
		}
		buf_puts(out, rc == LINE_OK ? "OK:" : rc == LINE_BARE_LF ?
		    "BARE:" : "?:");
		for (i = 0; i < line.len; i++)
			buf_putc(out, line.p[i] == '\0' ? '.' : line.p[i]);
		buf_putc(out, '|');
	}
}

/* Feeds input in pieces of at most step bytes after an optional first split
 * at split (0 = no split); returns the results as text in out. */
static void
run(const struct lr_case *tc, size_t inlen, size_t split, size_t step,
    struct buf *out)
{
	struct linereader lr;
	size_t off = 0, n;

	buf_reset(out);
	linereader_init(&lr, 4096);
	if (split > 0) {
		test_assert(linereader_feed(&lr, tc->input, split) == 0);
		drain(&lr, tc->max, tc->mode, out);
		off = split;
	}
	while (off < inlen) {
		n = inlen - off < step ? inlen - off : step;
		test_assert(linereader_feed(&lr, tc->input + off, n) == 0);
		drain(&lr, tc->max, tc->mode, out);
		off += n;
	}
	linereader_free(&lr);
}

static size_t
case_len(const struct lr_case *tc)
{
	/* "a\0b" style inputs: the NUL case is the only one with a NUL. */
	if (strcmp(tc->name, "NUL bytes kept") == 0)
		return 6;
	return strlen(tc->input);
}

static void
test_tables(void)
{
	struct buf out;
	size_t i, len, split;
	char name[128];

	buf_init(&out, 65536);
	for (i = 0; i < N_ELEMENTS(cases); i++) {
		const struct lr_case *tc = &cases[i];

		len = case_len(tc);
		snprintf(name, sizeof(name), "%s (all at once)", tc->name);
		test_begin(name);
		run(tc, len, 0, len > 0 ? len : 1, &out);
		test_assert_str(buf_cstr(&out), tc->expect);
		test_end();

		snprintf(name, sizeof(name), "%s (byte at a time)", tc->name);
		test_begin(name);
		run(tc, len, 0, 1, &out);
		test_assert_str(buf_cstr(&out), tc->expect);
		test_end();

		snprintf(name, sizeof(name), "%s (split at every byte)",
		    tc->name);
		test_begin(name);
		for (split = 1; split < len; split++) {
			run(tc, len, split, len, &out);
			test_assert_str(buf_cstr(&out), tc->expect);
		}
		test_end();
	}
	buf_free(&out);
}

static void
test_style_example(void)
{
	struct linereader lr;
	struct strv line;

	test_begin("over-long line is reported once, then skipped");
	linereader_init(&lr, 1024);
	test_assert(linereader_feed(&lr, "0123456789\r\nnext\r\n", 18) == 0);
	test_assert(linereader_next(&lr, 8, LINE_CRLF_ONLY, &line) ==
	    LINE_TOOLONG);
	test_assert(linereader_next(&lr, 8, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("next")));
	test_assert(linereader_next(&lr, 8, LINE_CRLF_ONLY, &line) ==
	    LINE_AGAIN);
	linereader_free(&lr);
	test_end();
}

static void
test_bounded_memory(void)
{
	struct linereader lr;
	struct strv line;
	char chunk[100];
	int i;

	test_begin("an endless line never holds more than max + 1 + chunk");
	memset(chunk, 'x', sizeof(chunk));
	linereader_init(&lr, 256);
	test_assert(linereader_feed(&lr, chunk, sizeof(chunk)) == 0);
	test_assert(linereader_next(&lr, 50, LINE_CRLF_ONLY, &line) ==
	    LINE_TOOLONG);
	for (i = 0; i < 1000; i++) {
		test_assert(linereader_feed(&lr, chunk, sizeof(chunk)) == 0);
		test_assert(linereader_next(&lr, 50, LINE_CRLF_ONLY, &line) ==
		    LINE_AGAIN);
		test_assert(lr.in.len <= 51 + sizeof(chunk));
	}
	test_assert(linereader_feed(&lr, "\r\nok\r\n", 6) == 0);
	test_assert(linereader_next(&lr, 50, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("ok")));
	linereader_free(&lr);
	test_end();

	test_begin("feeding past the buffer ceiling fails and keeps data");
	linereader_init(&lr, 10);
	test_assert(linereader_feed(&lr, "abc\r\n", 5) == 0);
	test_assert(linereader_feed(&lr, "0123456789", 10) == -1);
	test_assert(linereader_pending(&lr) == 5);
	test_assert(linereader_next(&lr, 8, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("abc")));
	/* The consumed line's room is reclaimed. */
	test_assert(linereader_feed(&lr, "0123456789", 10) == 0);
	linereader_free(&lr);
	test_end();
}

static void
test_take(void)
{
	struct linereader lr;
	struct strv line;
	char raw[16];

	test_begin("raw bytes after a line come from the buffer");
	linereader_init(&lr, 1024);
	test_assert(linereader_feed(&lr, "A1 APPEND {5}\r\nhelloA2 NOOP\r\n",
	    29) == 0);
	test_assert(linereader_next(&lr, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("A1 APPEND {5}")));
	test_assert(linereader_pending(&lr) == 14);
	test_assert(linereader_take(&lr, raw, 5) == 5);
	test_assert(memcmp(raw, "hello", 5) == 0);
	test_assert(linereader_next(&lr, 100, LINE_CRLF_ONLY, &line) == LINE_OK);
	test_assert(strv_eq(line, STRV_LIT("A2 NOOP")));
	test_assert(linereader_take(&lr, raw, sizeof(raw)) == 0);
	test_assert(linereader_pending(&lr) == 0);
	linereader_free(&lr);
	test_end();

	test_begin("take returns at most what is buffered");
	linereader_init(&lr, 1024);
	test_assert(linereader_feed(&lr, "abc", 3) == 0);
	test_assert(linereader_take(&lr, raw, sizeof(raw)) == 3);
	test_assert(linereader_pending(&lr) == 0);
	test_assert(linereader_next(&lr, 100, LINE_LF_OK, &line) == LINE_AGAIN);
	linereader_free(&lr);
	test_end();
}

static void
test_names(void)
{
	test_begin("rc names");
	test_assert_str(line_rc_name(LINE_OK), "LINE_OK");
	test_assert_str(line_rc_name(LINE_BARE_LF), "LINE_BARE_LF");
	test_assert_str(line_rc_name(LINE_AGAIN), "LINE_AGAIN");
	test_end();
}

/* The terminator before each returned line, also after a skipped
 * over-long line, fed at once and byte by byte (SMTP DATA's CRLF.CRLF). */
static void
test_prev_crlf(void)
{
	static const struct {
		const char	*name, *input;
		bool		 want;		/* before the "." line */
	} pc[] = {
		{ "after CRLF", "abc\r\n.\r\n", true },
		{ "after bare LF", "abc\n.\r\n", false },
		{ "after over-long CRLF", "aaaaaaaaaaaaaaaa\r\n.\r\n", true },
		{ "after over-long bare LF", "aaaaaaaaaaaaaaaa\n.\r\n", false },
		{ "after over-long CR in line", "aaaaaa\raaaaaaaa\n.\r\n",
		  false },
		{ "first line", ".\r\n", true },
	};
	struct linereader lr;
	struct strv line;
	enum line_rc rc;
	size_t i, off, step, n;
	bool seen;

	for (i = 0; i < N_ELEMENTS(pc); i++) {
		for (step = 1; step <= 64; step += 63) {
			char name[128];

			snprintf(name, sizeof(name), "prev_crlf %s (step %zu)",
			    pc[i].name, step);
			test_begin(name);
			linereader_init(&lr, 4096);
			seen = false;
			for (off = 0; off < strlen(pc[i].input); off += n) {
				n = strlen(pc[i].input) - off;
				if (n > step)
					n = step;
				test_assert(linereader_feed(&lr,
				    pc[i].input + off, n) == 0);
				while ((rc = linereader_next(&lr, 8,
				    LINE_CRLF_ONLY, &line)) != LINE_AGAIN) {
					if (rc != LINE_OK || line.len != 1 ||
					    line.p[0] != '.')
						continue;
					seen = true;
					test_assert(linereader_prev_crlf(&lr) ==
					    pc[i].want);
				}
			}
			test_assert(seen);
			test_assert(!linereader_in_line(&lr));
			linereader_free(&lr);
			test_end();
		}
	}
}

int
main(void)
{
	test_tables();
	test_prev_crlf();
	test_style_example();
	test_bounded_memory();
	test_take();
	test_names();
	return test_done();
}
