/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime.h: a pure, tolerant RFC 5322 / MIME (RFC 2045-2047, 2231) message
 * parser (IMAP's ENVELOPE, BODY and BODYSTRUCTURE are written from its
 * result by imap/imap_mime.h).  mime_parse() takes a whole message held in memory and returns a
 * tree of parts described by offsets into that memory plus the decoded
 * Content-* fields.  It never fails: malformed input (missing boundaries,
 * no headers, broken parameters, bare LF) still yields a structure, and
 * every dimension is bounded by the limits below.  No I/O, no logging.
 */
#ifndef TEGAMI_LIB_MIME_H
#define TEGAMI_LIB_MIME_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/strv.h"

#define MIME_DEPTH_MAX		32	/* nested multipart/message levels */
#define MIME_PARTS_MAX		5000	/* parts in one message; bounds BODYSTRUCTURE */
#define MIME_HEADERS_MAX	2000	/* header fields examined per header block */
#define MIME_HEADER_VALUE_MAX	(64 * 1024)	/* one unfolded header value; cut */
#define MIME_PARAMS_MAX		64	/* parameters per Content-Type/-Disposition */
#define MIME_BOUNDARY_MAX	200	/* RFC 2046 says 70; real mail is sloppier */
#define MIME_ADDRESSES_MAX	1000	/* addresses in one address list (ENVELOPE) */

struct mime_param {
	char		*name;		/* as sent; RFC 2231 sections merged */
	char		*value;		/* unquoted */
};

struct mime_part {
	struct mime_part *parent;
	struct mime_part *child;	/* first sub-part, or embedded message */
	struct mime_part *next;		/* next sibling in a multipart */
	unsigned	 depth;		/* 0 for the message itself */

	size_t		 hdr_off;	/* header block, including its blank line */
	size_t		 hdr_len;
	size_t		 body_off;	/* body: after the blank line, up to the */
	size_t		 body_len;	/* line break before the next boundary */
	size_t		 body_lines;	/* lines in the body (last partial counts) */

	char		*type;		/* always set; "text" when absent/broken */
	char		*subtype;	/* always set; "plain" when absent/broken */
	bool		 ctype_given;	/* a usable Content-Type was present */
	struct mime_param *params;	/* Content-Type parameters */
	size_t		 nparams;
	char		*id;		/* Content-ID, or NULL */
	char		*description;	/* Content-Description, or NULL */
	char		*encoding;	/* Content-Transfer-Encoding, or NULL */
	char		*disposition;	/* Content-Disposition value, or NULL */
	struct mime_param *disp_params;
	size_t		 ndisp_params;
	char		*language;	/* Content-Language as sent, or NULL */
	char		*location;	/* Content-Location, or NULL */

	bool		 is_multipart;	/* type multipart: children, maybe none */
	bool		 is_message;	/* message/rfc822 (or global): child is
					   the embedded message's root part */
};

struct mime_message {
	const char	*data;		/* borrowed: the caller keeps it alive */
	size_t		 len;
	struct mime_part *root;
	size_t		 nparts;
	bool		 truncated;	/* a limit stopped the parse somewhere */
};

/*
 * Parses data[0, len) into a part tree.  Never fails and never returns
 * NULL; data must outlive the result.  Free with mime_free().
 */
struct mime_message *mime_parse(const char *data, size_t len);
void	mime_free(struct mime_message **msgp);

/* Returns the value of parameter name (case-insensitive), or NULL. */
const char *mime_param_get(const struct mime_param *params, size_t n,
	    const char *name);

/*
 * Header access over one header block data[off, off + len).  The iterator
 * yields each field's name and raw value (folding kept, without the final
 * line break), at most MIME_HEADERS_MAX fields.
 */
struct mime_header_iter {
	const char	*data;
	size_t		 pos, end;
	size_t		 count;
};
void	mime_header_iter_init(struct mime_header_iter *it, const char *data,
	    size_t off, size_t len);
bool	mime_header_next(struct mime_header_iter *it, struct strv *name_r,
	    struct strv *value_r);
/* Appends raw unfolded (line breaks removed, NULs dropped, trimmed) to out,
 * at most MIME_HEADER_VALUE_MAX bytes. */
void	mime_unfold(struct strv raw, struct buf *out);
/* Finds the first field called name (case-insensitive) in the header block
 * and replaces out's contents with its unfolded value; false if absent. */
bool	mime_header_get(const char *data, size_t off, size_t len,
	    const char *name, struct buf *out);

/*
 * Content-Transfer-Encoding decoders (RFC 2045 6.7, 6.8): each appends the
 * decoded bytes to out (out's ceiling bounds them; its sticky error tells).
 * Base64 skips characters outside its alphabet (line breaks, junk) and
 * stops at '='; 2 or 3 characters left over give 1 or 2 bytes, as if
 * padded.  Quoted-printable keeps invalid escapes as they are (6.7 note 1),
 * drops soft line breaks ("=" and optional blanks before a line break, or
 * "=" at the very end) and deletes literal blanks at the end of a line
 * (6.7 rule 3).  mime_decode_cte() picks the decoder by the
 * Content-Transfer-Encoding name cte (NULL or an identity encoding copies).
 */
void	mime_decode_base64(const char *p, size_t n, struct buf *out);
/* The value of a base64 digit (RFC 4648 4) with c63 as the last one ('/';
 * ',' in IMAP's modified UTF-7), or -1. */
int	mime_base64_value(unsigned char c, char c63);
void	mime_decode_qp(const char *p, size_t n, struct buf *out);
void	mime_decode_cte(const char *cte, const char *p, size_t n,
	    struct buf *out);

/*
 * Encoders, for the messages the server writes (JMAP drafts, auto-replies).
 * mime_is_ascii(): s has no byte >= 0x80.  mime_encode_base64() appends
 * p[0, n) in base64 lines of 76 characters, each ending in CRLF.
 * mime_encode_words() appends s as it is when ASCII, else as RFC 2047 "B"
 * words of UTF-8, each of at most 45 bytes of s (a UTF-8 sequence is never
 * split), folded with CRLF SP between them so no line grows past 998.
 */
bool	mime_is_ascii(const char *s);
void	mime_encode_base64(const void *p, size_t n, struct buf *out);
void	mime_encode_words(const char *s, struct buf *out);

/*
 * RFC 2047 encoded words ("=?charset?B|Q?text?=", charset names shorter than
 * MIME_CHARSET_NAME_MAX, an RFC 2231 "*language" suffix dropped) in the
 * header value p[0, n) are decoded and handed to text() with their charset;
 * the text between them is handed to text() with charset NULL.  text()
 * converts and appends to out.  White space between two encoded words is
 * dropped (RFC 2047 6.2).  With MIME_WORDS_FOLD_WS every other run of
 * white space (CR and LF included) becomes one space and white space at
 * the start (when out is empty) and at the end goes; without it, white
 * space is copied as it is.
 */
#define MIME_CHARSET_NAME_MAX	64
#define MIME_WORDS_FOLD_WS	0x01
typedef void mime_text_fn(const char *charset, const char *p, size_t n,
	    struct buf *out);
void	mime_decode_words(const char *p, size_t n, unsigned flags,
	    mime_text_fn *text, struct buf *out);

#endif
