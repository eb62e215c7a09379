/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_parse.c: the pure parts of POP3: splitting a command line into its
 * keyword and arguments, message numbers and counts, the APOP digest shape,
 * byte-stuffing of multi-line responses and the line counting of TOP.  No
 * I/O, no logging, no globals; fuzzed by fuzz/pop3_cmd.c.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strv.h"
#include "pop/pop_private.h"

struct pop_kw {
	const char	*name;
	enum pop_cmd_id	 id;
	unsigned char	 min_args, max_args;
};

/* RFC 1939 and its extensions: the argument counts each command takes.
 * PASS is special (its argument is the rest of the line) and is checked
 * for "not empty" only. */
static const struct pop_kw keywords[] = {
	{ "USER", POP_CMD_USER, 1, 1 },
	{ "PASS", POP_CMD_PASS, 1, 1 },
	{ "APOP", POP_CMD_APOP, 2, 2 },
	{ "AUTH", POP_CMD_AUTH, 0, 2 },		/* RFC 5034 4 */
	{ "STLS", POP_CMD_STLS, 0, 0 },		/* RFC 2595 4 */
	{ "CAPA", POP_CMD_CAPA, 0, 0 },		/* RFC 2449 5 */
	{ "STAT", POP_CMD_STAT, 0, 0 },
	{ "LIST", POP_CMD_LIST, 0, 1 },
	{ "RETR", POP_CMD_RETR, 1, 1 },
	{ "DELE", POP_CMD_DELE, 1, 1 },
	{ "NOOP", POP_CMD_NOOP, 0, 0 },
	{ "RSET", POP_CMD_RSET, 0, 0 },
	{ "TOP", POP_CMD_TOP, 2, 2 },
	{ "UIDL", POP_CMD_UIDL, 0, 1 },
	{ "QUIT", POP_CMD_QUIT, 0, 0 },
};

const char *
pop_cmd_name(enum pop_cmd_id id)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(keywords); i++)
		if (keywords[i].id == id)
			return keywords[i].name;
	return "?";
}

int
pop_parse_line(struct strv line, struct pop_cmd_line *cmd,
    struct error *err_r)
{
	const struct pop_kw *kw = NULL;
	size_t i, pos, start;

	memset(cmd, 0, sizeof(*cmd));
	if (line.len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty command");
	/* Control bytes (NUL above all) have no place in a command; a TAB is
	 * tolerated as a separator by nobody, so refuse it too. */
	for (i = 0; i < line.len; i++) {
		unsigned char ch = (unsigned char)line.p[i];

		if (ch < 0x20 || ch == 0x7f)
			return error_set(err_r, ERR_SYNTAX,
			    "control character in command");
	}
	for (pos = 0; pos < line.len && line.p[pos] != ' '; pos++)
		;
	cmd->name = strv_make(line.p, pos);
	for (i = 0; i < N_ELEMENTS(keywords); i++)
		if (strv_caseeq_cstr(cmd->name, keywords[i].name)) {
			kw = &keywords[i];
			break;
		}
	if (kw == NULL)
		return 0;	/* POP_CMD_UNKNOWN: the caller says so */
	cmd->id = kw->id;
	if (pos < line.len)
		cmd->rest = strv_make(line.p + pos + 1, line.len - pos - 1);
	if (kw->id == POP_CMD_PASS) {
		/* RFC 1939 7: "a server may treat spaces in the argument as
		 * part of the password". */
		if (cmd->rest.len == 0)
			return error_set(err_r, ERR_SYNTAX,
			    "PASS needs a password");
		cmd->args[0] = cmd->rest;
		cmd->nargs = 1;
		return 0;
	}
	while (pos < line.len) {
		while (pos < line.len && line.p[pos] == ' ')
			pos++;
		if (pos == line.len)
			break;
		start = pos;
		while (pos < line.len && line.p[pos] != ' ')
			pos++;
		if (cmd->nargs == POP_ARGS_MAX || cmd->nargs == kw->max_args)
			return error_set(err_r, ERR_SYNTAX,
			    "too many arguments for %s", kw->name);
		cmd->args[cmd->nargs++] = strv_make(line.p + start,
		    pos - start);
	}
	if (cmd->nargs < kw->min_args)
		return error_set(err_r, ERR_SYNTAX, "missing argument for %s",
		    kw->name);
	return 0;
}

int
pop_parse_msgno(struct strv s, uint32_t *n_r)
{
	uint64_t v;

	if (s.len > 10 || strv_to_u64(s, &v) < 0 || v == 0 ||
	    v > POP_MESSAGES_MAX)
		return -1;
	*n_r = (uint32_t)v;
	return 0;
}

int
pop_maildrop_check(size_t nmsgs, size_t max, char *reply, size_t size)
{
	if (nmsgs <= max)
		return 0;
	/* SYS/PERM (RFC 3206 4): it stays so until messages are removed
	 * by other means (IMAP, WebUser, an administrator) */
	(void)snprintf(reply, size, "-ERR [SYS/PERM] maildrop too large "
	    "(%zu messages, over %zu), remove some by other means", nmsgs,
	    max);
	return -1;
}

int
pop_parse_count(struct strv s, uint64_t *n_r)
{
	size_t i;
	uint64_t v = 0;

	if (s.len == 0)
		return -1;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		if (v < UINT32_MAX)
			v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*n_r = v > UINT32_MAX ? UINT32_MAX : v;
	return 0;
}

bool
pop_valid_digest(struct strv s)
{
	size_t i;

	if (s.len != 32)
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

void
pop_dot_stuff(struct buf *out, const char *p, size_t len, bool *bol)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (*bol && p[i] == '.') {
			buf_append(out, p + run, i - run);
			buf_putc(out, '.');
			run = i;	/* the original dot follows */
		}
		*bol = p[i] == '\n';
	}
	buf_append(out, p + run, len - run);
}

size_t
pop_top_take(const char *p, size_t len, uint64_t *lines_left)
{
	const char *q;
	size_t pos = 0;

	while (*lines_left > 0 && pos < len) {
		q = memchr(p + pos, '\n', len - pos);
		if (q == NULL)
			return len;
		pos = (size_t)(q - p) + 1;
		(*lines_left)--;
	}
	return pos;
}

void
pop_format_uidl(char *buf, size_t size, uint32_t uidvalidity, uint32_t uid)
{
	(void)snprintf(buf, size, "%u.%u", uidvalidity, uid);
}
