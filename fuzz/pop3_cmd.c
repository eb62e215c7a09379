/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/pop3_cmd.c: libFuzzer target for the pure POP3 parser
 * (src/pop/pop_parse.c).  The input is split into lines; each line goes
 * through pop_parse_line() and, by its arguments, the number, count and
 * digest parsers.  The whole input is also byte-stuffed whole and in
 * chunks (the results must match, and unstuffing must give the input
 * back), and run through TOP's line taking in chunks (the taken prefix
 * must hold exactly the lines asked for, or everything).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strv.h"
#include "pop/pop_private.h"

#define FUZZ_BUF_MAX	(4 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(struct strv line)
{
	struct pop_cmd_line cmd;
	struct error err;
	uint32_t n;
	uint64_t c;
	size_t i;

	if (pop_parse_line(line, &cmd, &err) < 0) {
		if (err.kind != ERR_SYNTAX || err.msg[0] == '\0')
			abort();
		return;
	}
	if (cmd.nargs > POP_ARGS_MAX)
		abort();
	for (i = 0; i < cmd.nargs; i++) {
		/* Every argument lies inside the line. */
		if (cmd.args[i].p < line.p || cmd.args[i].p +
		    cmd.args[i].len > line.p + line.len)
			abort();
		if (cmd.id != POP_CMD_PASS && (cmd.args[i].len == 0 ||
		    memchr(cmd.args[i].p, ' ', cmd.args[i].len) != NULL))
			abort();
		if (pop_parse_msgno(cmd.args[i], &n) == 0 &&
		    (n == 0 || n > POP_MESSAGES_MAX))
			abort();
		if (pop_parse_count(cmd.args[i], &c) == 0 && c > UINT32_MAX)
			abort();
		(void)pop_valid_digest(cmd.args[i]);
	}
	(void)pop_cmd_name(cmd.id);
}

/* Undoes byte-stuffing: a '.' at the start of a line is dropped. */
static void
unstuff(const char *p, size_t len, struct buf *out)
{
	bool bol = true;
	size_t i;

	for (i = 0; i < len; i++) {
		if (bol && p[i] == '.') {
			if (i + 1 >= len || p[i + 1] != '.')
				abort();	/* a lone dot: not stuffed */
			i++;
		}
		buf_putc(out, p[i]);
		bol = p[i] == '\n';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *q;
	struct buf whole, chunked, back;
	size_t off, k, step, taken, nl;
	uint64_t lines, want;
	bool bol;

	/* Lines, as the session would see them (LF ends, CR before it is
	 * dropped). */
	for (off = 0; off < size; off = k + 1) {
		q = memchr(p + off, '\n', size - off);
		k = q != NULL ? (size_t)(q - p) : size;
		nl = k - off;
		if (nl > 0 && p[off + nl - 1] == '\r')
			nl--;
		if (nl <= POP_LINE_MAX)
			check_line(strv_make(p + off, nl));
	}

	buf_init(&whole, FUZZ_BUF_MAX);
	buf_init(&chunked, FUZZ_BUF_MAX);
	buf_init(&back, FUZZ_BUF_MAX);
	bol = true;
	pop_dot_stuff(&whole, p, size, &bol);
	step = size > 0 ? (size_t)data[0] % 17 + 1 : 1;
	bol = true;
	for (off = 0; off < size; off += k) {
		k = size - off < step ? size - off : step;
		pop_dot_stuff(&chunked, p + off, k, &bol);
	}
	if (whole.err || chunked.err || !strv_eq(buf_strv(&whole),
	    buf_strv(&chunked)))
		abort();
	unstuff(whole.data, whole.len, &back);
	if (back.err || !strv_eq(buf_strv(&back), strv_make(p, size)))
		abort();

	/* TOP: take `want` lines in chunks. */
	want = lines = size > 1 ? data[1] % 8 : 0;
	taken = 0;
	for (off = 0; off < size && lines > 0; off += k) {
		k = size - off < step ? size - off : step;
		taken += pop_top_take(p + off, k, &lines);
		if (lines > 0 && taken != off + k)
			abort();	/* stopped early with lines left */
	}
	nl = 0;
	for (k = 0; k < taken; k++)
		nl += p[k] == '\n';
	if (lines == 0 && want > 0 && (nl != want || p[taken - 1] != '\n'))
		abort();
	if (lines > 0 && (taken != size || nl != want - lines))
		abort();
	buf_free(&whole);
	buf_free(&chunked);
	buf_free(&back);
	return 0;
}
