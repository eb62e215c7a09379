/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linereader.c: bounded line splitting over a struct buf (see linereader.h).
 * Consumed input is not moved at once: pos marks where unconsumed bytes
 * start, and the buffer is compacted when more input is fed, so a burst of
 * pipelined lines costs one memmove, not one per line.  scanned remembers how
 * far the current partial line has been searched for LF, so input fed one
 * byte at a time is still scanned only once.
 */
#include "lib/compat.h"

#include <string.h>

#include "net/linereader.h"

void
linereader_init(struct linereader *lr, size_t bufmax)
{
	buf_init(&lr->in, bufmax);
	lr->pos = 0;
	lr->scanned = 0;
	lr->skipping = false;
	lr->skip_cr = false;
	lr->last_crlf = lr->prev_crlf = true;
}

void
linereader_free(struct linereader *lr)
{
	buf_free(&lr->in);
	lr->pos = 0;
	lr->scanned = 0;
	lr->skipping = false;
}

/* Drops the consumed bytes before pos. */
static void
linereader_compact(struct linereader *lr)
{
	if (lr->pos == 0)
		return;
	buf_consume(&lr->in, lr->pos);
	lr->pos = 0;
}

int
linereader_feed(struct linereader *lr, const void *p, size_t n)
{
	linereader_compact(lr);
	if (n > lr->in.max || lr->in.len > lr->in.max - n)
		return -1;
	buf_append(&lr->in, p, n);
	return lr->in.err != 0 ? -1 : 0;
}

size_t
linereader_pending(const struct linereader *lr)
{
	return lr->in.len - lr->pos;
}

bool
linereader_prev_crlf(const struct linereader *lr)
{
	return lr->prev_crlf;
}

bool
linereader_in_line(const struct linereader *lr)
{
	return lr->skipping || linereader_pending(lr) > 0;
}

size_t
linereader_take(struct linereader *lr, void *dst, size_t n)
{
	size_t avail = linereader_pending(lr);

	if (n > avail)
		n = avail;
	if (n > 0)
		memcpy(dst, lr->in.data + lr->pos, n);
	lr->pos += n;
	lr->scanned = 0;
	lr->skipping = false;
	lr->skip_cr = false;
	lr->last_crlf = lr->prev_crlf = true;
	if (lr->pos == lr->in.len) {
		buf_reset(&lr->in);
		lr->pos = 0;
	}
	return n;
}

enum line_rc
linereader_next(struct linereader *lr, size_t max, enum line_mode mode,
    struct strv *line_r)
{
	const char *start, *lf;
	size_t avail, len, clen;
	bool bare;

	*line_r = STRV_NULL;
	if (max > LINEREADER_LINE_MAX)
		max = LINEREADER_LINE_MAX;
	for (;;) {
		avail = linereader_pending(lr);
		if (avail == 0) {
			buf_reset(&lr->in);
			lr->pos = 0;
			lr->scanned = 0;
			return LINE_AGAIN;
		}
		start = lr->in.data + lr->pos;
		lf = memchr(start + lr->scanned, '\n', avail - lr->scanned);
		if (lr->skipping) {
			if (lf == NULL) {
				/* Nothing of an over-long line is kept, but
				 * whether it ends in CR LF is remembered. */
				lr->skip_cr = start[avail - 1] == '\r';
				lr->pos = lr->in.len;
				lr->scanned = 0;
				continue;
			}
			lr->last_crlf = lf > start ? lf[-1] == '\r' :
			    lr->skip_cr;
			lr->pos += (size_t)(lf - start) + 1;
			lr->scanned = 0;
			lr->skipping = false;
			continue;
		}
		if (lf == NULL) {
			/*
			 * Check the limit before the terminator arrives: max
			 * bytes and a CR may wait for their LF, one more byte
			 * cannot make a line of max bytes.
			 */
			if (avail > max + 1) {
				lr->skipping = true;
				lr->skip_cr = start[avail - 1] == '\r';
				lr->pos = lr->in.len;
				lr->scanned = 0;
				return LINE_TOOLONG;
			}
			lr->scanned = avail;
			return LINE_AGAIN;
		}
		len = (size_t)(lf - start);
		bare = len == 0 || start[len - 1] != '\r';
		clen = bare ? len : len - 1;
		lr->pos += len + 1;
		lr->scanned = 0;
		if (clen > max) {
			lr->last_crlf = !bare;
			return LINE_TOOLONG;
		}
		lr->prev_crlf = lr->last_crlf;
		lr->last_crlf = !bare;
		*line_r = strv_make(start, clen);
		if (bare && mode == LINE_CRLF_ONLY)
			return LINE_BARE_LF;
		return LINE_OK;
	}
}

const char *
line_rc_name(enum line_rc rc)
{
	switch (rc) {
	case LINE_OK:
		return "LINE_OK";
	case LINE_TOOLONG:
		return "LINE_TOOLONG";
	case LINE_BARE_LF:
		return "LINE_BARE_LF";
	case LINE_EOF:
		return "LINE_EOF";
	case LINE_TIMEOUT:
		return "LINE_TIMEOUT";
	case LINE_ERROR:
		return "LINE_ERROR";
	case LINE_AGAIN:
		return "LINE_AGAIN";
	}
	return "LINE_?";
}
