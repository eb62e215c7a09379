/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linereader.h: the one bounded line splitter for every line protocol (SMTP,
 * POP3, IMAP, HTTP headers, CLI).  It is pure: bytes are fed into an internal
 * bounded struct buf and complete lines are taken out; no I/O, no logging.
 * conn_read_line() (net/conn.h) adds the socket, TLS and timeouts.
 *
 * Rules:
 * - A line is at most max bytes, not counting its terminator.  The limit is
 *   checked before the terminator arrives, so at most max + 1 bytes of one
 *   line (max bytes and a CR) are ever held.
 * - An over-long line is reported once as LINE_TOOLONG; the rest of it, up to
 *   and including its LF, is dropped, and the next line is returned normally
 *   (Postfix).  Feeding the input one byte at a time or all at once gives the
 *   same sequence of results.
 * - LINE_CRLF_ONLY: only CR LF ends a line; an LF without CR before it ends the
 *   line too but is reported as LINE_BARE_LF (the line, without the LF, is in
 *   *line_r) so the protocol may refuse it (SMTP smuggling, RFC 5321 2.3.8).
 * - LINE_LF_OK: LF or CR LF ends a line; a CR just before the LF is stripped.
 *   Any other CR is part of the line.
 */
#ifndef TEGAMI_NET_LINEREADER_H
#define TEGAMI_NET_LINEREADER_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/strv.h"

enum line_rc {
	LINE_OK,		/* *line_r holds a complete line */
	LINE_TOOLONG,		/* a line longer than max; it is being skipped */
	LINE_BARE_LF,		/* LINE_CRLF_ONLY: line ended by LF alone */
	LINE_EOF,		/* peer closed (conn only; a partial line is lost) */
	LINE_TIMEOUT,		/* read timeout (conn only) */
	LINE_ERROR,		/* I/O or TLS error (conn only) */
	LINE_AGAIN		/* need more input (linereader only) */
};

enum line_mode {
	LINE_CRLF_ONLY,
	LINE_LF_OK
};

/* Largest max a caller may pass: bounds the buffer a peer can make us hold. */
#define LINEREADER_LINE_MAX	(64 * 1024 * 1024)

struct linereader {
	struct buf	 in;		/* input; bytes before pos are consumed */
	size_t		 pos;		/* start of the unconsumed input */
	size_t		 scanned;	/* bytes after pos already searched for LF */
	bool		 skipping;	/* dropping the rest of an over-long line */
	bool		 skip_cr;	/* the last byte dropped while skipping was CR */
	bool		 last_crlf;	/* the last line ended (or was skipped) with CR LF */
	bool		 prev_crlf;	/* the line before the one last returned did */
};

/* Prepares lr; bufmax is the ceiling of the input buffer (the largest line
 * plus whatever the caller feeds at once). */
void	linereader_init(struct linereader *lr, size_t bufmax);
void	linereader_free(struct linereader *lr);

/* Appends n bytes of input.  Returns 0, or -1 when the buffer ceiling would
 * be passed (nothing is appended then). */
int	linereader_feed(struct linereader *lr, const void *p, size_t n);

/* Takes the next line.  On LINE_OK and LINE_BARE_LF, *line_r points into the
 * reader's buffer, without the terminator, and stays valid until the next
 * call to any linereader function on lr.  Returns LINE_AGAIN when no
 * complete line (nor an over-long prefix) is buffered yet; never LINE_EOF,
 * LINE_TIMEOUT or LINE_ERROR.  max must be <= LINEREADER_LINE_MAX. */
enum line_rc	linereader_next(struct linereader *lr, size_t max,
		    enum line_mode mode, struct strv *line_r);

/* Whether the terminator just before the line last returned (LINE_OK or
 * LINE_BARE_LF) was CR LF, counting the terminator of a skipped over-long
 * line; true before the first line and after linereader_take().  SMTP DATA
 * uses it: "." ends the data only after a CR LF (RFC 5321 4.1.1.4). */
bool	linereader_prev_crlf(const struct linereader *lr);

/* True while part of a line is buffered or an over-long line is being
 * skipped (the peer is in the middle of a line). */
bool	linereader_in_line(const struct linereader *lr);

/* Bytes buffered and not yet returned (pipelined input, or the start of a
 * raw block such as DATA or an IMAP literal). */
size_t	linereader_pending(const struct linereader *lr);

/* Moves up to n buffered bytes into dst (raw reads); returns the count.
 * Ends any skipping of an over-long line: raw data is taken as is. */
size_t	linereader_take(struct linereader *lr, void *dst, size_t n);

/* Name of rc for logs and tests ("LINE_OK" ...). */
const char	*line_rc_name(enum line_rc rc);

#endif
