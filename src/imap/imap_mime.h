/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_mime.h: IMAP's ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 7.4.2)
 * written from a message parsed by lib/mime.  Pure: no I/O, no logging;
 * every size is bounded by lib/mime's limits.  The store caches these
 * strings at delivery through imap_store_render (store_set_render()).
 */
#ifndef TEGAMI_IMAP_IMAP_MIME_H
#define TEGAMI_IMAP_IMAP_MIME_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/mime.h"

struct store_render;

/*
 * Appends an IMAP string for s[0, len) to out: NIL when s is NULL, a quoted
 * string when every byte is 7-bit and not CR, LF or NUL, else a literal
 * {len}CRLF followed by the bytes.
 */
void	imap_mime_nstring(struct buf *out, const char *s, size_t len);

/* Appends the RFC 3501 ENVELOPE of the message whose header block is
 * part's (the root, or the child of a message/rfc822 part). */
void	imap_mime_envelope(const struct mime_message *msg,
	    const struct mime_part *part, struct buf *out);
/* Appends BODYSTRUCTURE (extended true) or BODY (false) of part. */
void	imap_mime_bodystructure(const struct mime_message *msg,
	    const struct mime_part *part, bool extended, struct buf *out);

/* The two writers above, for store_set_render(). */
extern const struct store_render imap_store_render;

#endif
