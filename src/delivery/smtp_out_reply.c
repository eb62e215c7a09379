/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_reply.c: the SMTP client's reply parser; see smtp_out_reply.h.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "delivery/smtp_out_reply.h"

void
smtp_out_reply_init(struct smtp_out_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Appends p to r->text, control bytes as '?', cut with "...". */
static void
add_bytes(struct smtp_out_reply *r, const char *p, size_t len)
{
	size_t i, room;

	for (i = 0; i < len; i++) {
		room = sizeof(r->text) - 1 - r->text_len;
		if (room == 0)
			break;
		if (room <= 3 && i + room < len) {
			memcpy(r->text + r->text_len, "...", room);
			r->text_len += room;
			break;
		}
		r->text[r->text_len++] = ((unsigned char)p[i] < 0x20 ||
		    p[i] == 0x7f) ? '?' : p[i];
	}
	r->text[r->text_len] = '\0';
}

/* The text of one more line, after " / " when there is text before. */
static void
add_text(struct smtp_out_reply *r, const char *p, size_t len)
{
	if (r->text_len > 0 && len > 0)
		add_bytes(r, " / ", 3);
	add_bytes(r, p, len);
}

/* "d.ddd.ddd" (RFC 3463) at the start of p, then a space or the end. */
static size_t
status_len(const char *p, size_t len)
{
	size_t i = 0, n;
	int part;

	for (part = 0; part < 3; part++) {
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
		for (n = 0; i < len && is_digit(p[i]) && n < 3; n++)
			i++;
		if (n == 0 || (part == 0 && n != 1) || (i < len &&
		    is_digit(p[i])))
			return 0;
	}
	if (i < len && p[i] != ' ')
		return 0;
	return i;
}

int
smtp_out_reply_line(struct smtp_out_reply *r, const char *line, size_t len,
    struct error *err_r)
{
	const char *text;
	size_t tlen, sl;
	bool last;
	int code;

	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]) || line[0] < '2' || line[0] > '5' ||
	    line[1] > '5')
		return error_set(err_r, ERR_SYNTAX, "not an SMTP reply");
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return error_set(err_r, ERR_SYNTAX, "bad SMTP reply separator");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return error_set(err_r, ERR_SYNTAX, "reply code changed within "
		    "a multi-line reply");
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return error_set(err_r, ERR_LIMIT, "reply of more than %d "
		    "lines", SMTP_REPLY_LINES_MAX);
	last = len == 3 || line[3] == ' ';
	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;
	if (r->nlines == 0) {
		r->code = code;
		sl = status_len(text, tlen);
		if (sl > 0 && sl < sizeof(r->status) && text[0] == line[0]) {
			memcpy(r->status, text, sl);
			r->status[sl] = '\0';
			text += sl;
			tlen -= sl;
			while (tlen > 0 && *text == ' ') {
				text++;
				tlen--;
			}
		}
	}
	r->nlines++;
	add_text(r, text, tlen);
	r->done = last;
	return last ? 1 : 0;
}

static bool
keyword(const char *p, size_t len, const char *kw, size_t *arg_r)
{
	size_t k = strlen(kw);

	if (len < k || strncasecmp(p, kw, k) != 0 || (len > k && p[k] != ' '))
		return false;
	*arg_r = len > k ? k + 1 : k;
	return true;
}

void
smtp_out_ext_line(struct smtp_out_ext *e, const char *line, size_t len)
{
	const char *p;
	size_t arg, i;
	uint64_t v;

	if (len < 5)
		return;
	p = line + 4;
	len -= 4;
	if (keyword(p, len, "PIPELINING", &arg))
		e->pipelining = true;
	else if (keyword(p, len, "STARTTLS", &arg))
		e->starttls = true;
	else if (keyword(p, len, "8BITMIME", &arg))
		e->eightbitmime = true;
	else if (keyword(p, len, "SMTPUTF8", &arg))
		e->smtputf8 = true;
	else if (keyword(p, len, "DSN", &arg))
		e->dsn = true;
	else if (keyword(p, len, "SIZE", &arg)) {
		e->size = true;
		v = 0;
		for (i = arg; i < len && is_digit(p[i]); i++) {
			if (v > (UINT64_MAX - 9) / 10) {
				v = 0;		/* absurd: treat as no limit */
				break;
			}
			v = v * 10 + (uint64_t)(p[i] - '0');
		}
		e->size_max = v;
	}
}

void
smtp_out_reply_format(const struct smtp_out_reply *r, char *buf, size_t size)
{
	snprintf(buf, size, "%03d%s%s%s%s", r->code,
	    r->status[0] != '\0' ? " " : "", r->status,
	    r->text_len > 0 ? " " : "", r->text);
}
