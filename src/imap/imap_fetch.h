/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_fetch.h: FETCH items (RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162
 * MODSEQ/CHANGEDSINCE) -- the pure parser (imap_fetch_parse.c) and the
 * renderer (imap_fetch.c), plus the transfer-encoding decoders the renderer
 * and SEARCH share.
 */
#ifndef TEGAMI_IMAP_IMAP_FETCH_H
#define TEGAMI_IMAP_IMAP_FETCH_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/mime.h"
#include "imap/imap_parse.h"

#define IMAP_FETCH_ITEMS_MAX	100	/* items in one FETCH */
#define IMAP_SECTION_PARTS_MAX	MIME_DEPTH_MAX	/* numbers in 1.2.3 */
#define IMAP_FETCH_FIELDS_MAX	200	/* names in HEADER.FIELDS */

enum fetch_kind {
	FI_FLAGS,
	FI_INTERNALDATE,
	FI_SIZE,		/* RFC822.SIZE */
	FI_ENVELOPE,
	FI_BODY,		/* BODY without a section: non-extended */
	FI_BODYSTRUCTURE,
	FI_UID,
	FI_MODSEQ,
	FI_SECTION,		/* BODY[..], BINARY[..], RFC822, .HEADER, .TEXT */
	FI_BINARY_SIZE
};

enum fetch_section {
	SEC_ALL,		/* [] or [1.2] */
	SEC_HEADER,
	SEC_FIELDS,
	SEC_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME
};

struct fetch_item {
	enum fetch_kind	 kind;
	char		*name;		/* echoed in the response */
	bool		 peek;		/* does not set \Seen */
	bool		 binary;	/* BINARY[..]: decode the CTE */
	uint32_t	 part[IMAP_SECTION_PARTS_MAX];
	size_t		 nparts;
	enum fetch_section sec;
	char		**fields;	/* HEADER.FIELDS names */
	size_t		 nfields;
	bool		 partial;
	uint64_t	 p_off, p_len;
};

struct fetch_req {
	struct fetch_item *v;
	size_t		 n;
	bool		 sets_seen;	/* some item is a non-peek section */
	bool		 need_msg;	/* some item needs the message bytes */
	bool		 changedsince_set;
	uint64_t	 changedsince;
	bool		 vanished;	/* RFC 7162 3.2.6 */
};

/*
 * Parses the FETCH items argument (an atom, a macro or a list) and the
 * optional modifier list "(CHANGEDSINCE n [VANISHED])" (mods may be NULL).
 * Pure.  ERR_SYNTAX for unknown items or bad sections, ERR_LIMIT past the
 * limits above.  Free with imap_fetch_req_free().
 */
int	imap_fetch_parse(const struct imap_arg *items,
	    const struct imap_arg *mods, struct fetch_req *r,
	    struct error *err_r);
void	imap_fetch_req_free(struct fetch_req *r);

/*
 * RFC 3516 4.3: a message APPENDed as literal8 may hold binary parts; the
 * store keeps text (it turns bare LF into CRLF), so each leaf part whose
 * Content-Transfer-Encoding is "binary" or whose body holds a NUL is
 * rewritten as base64 (BINARY[] decodes it back byte for byte).  Returns
 * true and the new message in out, false (out untouched) when no part
 * needed it.
 */
bool	imap_binary_encode(const char *p, size_t n, struct buf *out);

struct imap_session;
struct store_msg;
struct store_msg_extra;
struct fetch_msgdata;

/* The STORE_WITH_... extras worth reading with the rows for r: cached
 * ENVELOPE/BODYSTRUCTURE/BODY strings and the header block when a
 * top-level HEADER or HEADER.FIELDS section is asked for. */
unsigned imap_fetch_with(const struct fetch_req *r);

/*
 * Renders "* seq FETCH (...)" for one message into out (CRLF included).
 * m is the store's row, x its extras (NULL: read them from the store as
 * needed); idx its index in the view.  -1 with err_r when the message
 * vanished (ERR_NOTFOUND) or a part cannot be decoded.
 */
int	imap_fetch_render(struct imap_session *s, const struct fetch_req *r,
	    const struct store_msg *m, const struct store_msg_extra *x,
	    size_t idx, bool flags_changed, struct buf *out,
	    struct error *err_r);

#endif
