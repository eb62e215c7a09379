/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_reply.h: the SMTP client's reply parser (pure; unit-tested and
 * fuzzed by fuzz/fuzz_smtp_out_reply.c).  A reply is one or more lines
 * "ddd-text" ... "ddd text" (RFC 5321 4.2); every line must carry the same
 * code.  The first line's RFC 3463 enhanced status code ("5.1.1") is kept
 * when its class agrees with the code.  The text of all lines is kept,
 * joined with " / ", up to SMTP_REPLY_TEXT_MAX bytes (then cut with
 * "..."): it goes to logs, queue errors and DSNs, so control characters are
 * replaced by '?'.
 *
 * EHLO extension lines (the lines after the first of the EHLO reply) are
 * read by smtp_out_ext_line().
 */
#ifndef TEGAMI_DELIVERY_SMTP_OUT_REPLY_H
#define TEGAMI_DELIVERY_SMTP_OUT_REPLY_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"

struct smtp_out_reply {
	int		 code;		/* 200..599 once a line was taken */
	char		 status[16];	/* "5.1.1" or "" */
	char		 text[SMTP_REPLY_TEXT_MAX + 1];
	size_t		 text_len;
	unsigned	 nlines;
	bool		 done;		/* the last line was taken */
};

/* The extensions a server announced in its EHLO reply. */
struct smtp_out_ext {
	bool		 pipelining;
	bool		 starttls;
	bool		 eightbitmime;
	bool		 smtputf8;
	bool		 dsn;
	bool		 size;
	uint64_t	 size_max;	/* SIZE n; 0 = no limit given */
};

void	smtp_out_reply_init(struct smtp_out_reply *r);

/*
 * Takes one reply line (without its CR LF).  Returns 1 when it was the
 * last line of the reply, 0 when more lines follow, -1 (ERR_SYNTAX) when
 * the line is not a reply line (no three-digit code 2xx..5xx, a code that
 * differs from the first line's, a bad separator) or past
 * SMTP_REPLY_LINES_MAX lines (ERR_LIMIT).  After 1 or -1 call
 * smtp_out_reply_init() before the next reply.
 */
int	smtp_out_reply_line(struct smtp_out_reply *r, const char *line, size_t len,
	    struct error *err_r);

/* Reads one EHLO line (the whole line, "250-SIZE 1000000") into e;
 * unknown keywords are ignored. */
void	smtp_out_ext_line(struct smtp_out_ext *e, const char *line, size_t len);

/* "550 5.1.1 text" into buf (the form queue errors and DSNs quote). */
void	smtp_out_reply_format(const struct smtp_out_reply *r, char *buf, size_t size);

#endif
