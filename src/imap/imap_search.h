/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_search.h: SEARCH keys (RFC 3501 6.4.4, RFC 7162 MODSEQ) -- a pure
 * parser into a key tree and an evaluator over one message at a time.  The
 * evaluator asks for the raw message only when a key needs it (header and
 * text keys), through a callback.  Text matching is a case-insensitive
 * (ASCII) substring search on RFC 2047-decoded header values and on the
 * raw body; charsets US-ASCII and UTF-8 are accepted.
 */
#ifndef TEGAMI_IMAP_IMAP_SEARCH_H
#define TEGAMI_IMAP_IMAP_SEARCH_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/imap_parse.h"

#define IMAP_SEARCH_KEYS_MAX	1000	/* keys in one SEARCH */
#define IMAP_SEARCH_DEPTH_MAX	IMAP_NESTING_MAX	/* NOT/OR/() nesting */

enum skey_kind {
	SK_AND, SK_OR, SK_NOT, SK_ALL, SK_SEQ, SK_UID,
	SK_FLAG, SK_UNFLAG, SK_KEYWORD, SK_UNKEYWORD,
	SK_NEW, SK_OLD, SK_RECENT,
	SK_LARGER, SK_SMALLER,
	SK_BEFORE, SK_ON, SK_SINCE, SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE,
	SK_HEADER, SK_BODY, SK_TEXT, SK_MODSEQ
};

struct search_key {
	enum skey_kind	 kind;
	struct search_key *sub;		/* AND: children; OR: 2; NOT: 1 */
	size_t		 nsub;
	unsigned	 flag;		/* STORE_* */
	char		*field;		/* HEADER field name, KEYWORD */
	char		*value;		/* text to find */
	uint64_t	 num;		/* LARGER, SMALLER, MODSEQ */
	int32_t		 day;		/* dates: days since the epoch */
	struct imap_seqset set;		/* SEQ, UID */
};

/*
 * Parses search keys a[0, n) (after any CHARSET, which the caller removed)
 * into an AND node.  nmsgs and maxuid give '*' in sequence sets.  Pure.
 * ERR_SYNTAX for unknown keys or bad arguments, ERR_LIMIT past the limits.
 * Free with imap_search_free().
 */
int	imap_search_parse(const struct imap_arg *a, size_t n, uint32_t nmsgs,
	    uint32_t maxuid, struct search_key *root, struct error *err_r);
void	imap_search_free(struct search_key *k);

/* ESEARCH result options (RFC 4731 3.1) */
#define SEARCH_RET_MIN		0x01
#define SEARCH_RET_MAX		0x02
#define SEARCH_RET_COUNT	0x04
#define SEARCH_RET_ALL		0x08

/*
 * Parses the option list of "SEARCH RETURN (...)" into SEARCH_RET_* bits;
 * "()" means ALL (RFC 4731 3.1).  Pure.  ERR_SYNTAX for an option other
 * than MIN, MAX, COUNT and ALL (SAVE, RFC 5182, is not offered).
 */
int	imap_search_return(const struct imap_arg *list, unsigned *ret_r,
	    struct error *err_r);
/*
 * Checks the argument of CHARSET (SEARCH, SORT, THREAD).  Pure.
 * ERR_SYNTAX when it is not an astring or holds a NUL; ERR_NOTFOUND for a
 * charset other than US-ASCII and UTF-8 (the caller answers NO
 * [BADCHARSET (US-ASCII UTF-8)], RFC 3501 6.4.4).
 */
int	imap_search_charset(const struct imap_arg *a, struct error *err_r);
/* True when the tree uses MODSEQ (the response then carries MODSEQ). */
bool	imap_search_has_modseq(const struct search_key *k);

/* What the evaluator will read of a message for this tree: nothing, the
 * header block only (header fields, sent dates), or the whole message
 * (BODY, TEXT).  With only SEARCH_NEEDS_HEADER, search_msg.raw may hold
 * just the header block (hdr_size bytes). */
#define SEARCH_NEEDS_HEADER	0x01
#define SEARCH_NEEDS_BODY	0x02
unsigned imap_search_needs(const struct search_key *k);

struct store_hdrfields;

/* One message, as the evaluator sees it. */
struct search_msg {
	uint32_t	 seq, uid;
	unsigned	 flags;
	const char	*keywords;
	bool		 recent;
	uint64_t	 size, modseq;
	int64_t		 internaldate;
	uint64_t	 hdr_size;
	/* returns the raw message (NULL on error); called at most once */
	const struct buf *(*load)(void *arg);
	void		*arg;
	const struct buf *raw;	/* set by the evaluator after load */
	/* the message's header cache row, or NULL: header keys on cached
	 * fields and SENT* dates then read it instead of the raw header */
	const struct store_hdrfields *hc;
};

/* True when every header key of the tree can be answered from a header
 * cache row (FROM, TO, CC, SUBJECT, HEADER of those or Message-ID, SENT*)
 * and it has no BODY or TEXT key. */
bool	imap_search_cacheable(const struct search_key *k);
/* The cache columns (STORE_HC_...) the tree reads from a row. */
unsigned imap_search_cache_cols(const struct search_key *k);
/* The enum store_hf of a field name kept in the cache, or -1. */
int	imap_search_cached_field(const char *field);
/*
 * Appends to out what a header key on field matches in the header block
 * h[0, hlen): for each occurrence of the field its unfolded, RFC 2047
 * decoded value and, for address fields, each of its mailboxes as
 * "name <addr>", each followed by a NUL.  Returns whether the field
 * occurs.  A case-insensitive substring of out (the needle has no NUL)
 * is exactly what the uncached evaluator matches.
 */
bool	imap_search_field_text(const char *h, size_t hlen, const char *field,
	    struct buf *out);

/* Evaluates the tree; 1 match, 0 no match. */
int	imap_search_match(const struct search_key *k, struct search_msg *m);

/* Decodes RFC 2047 encoded words in a header value (UTF-8, ISO-8859-1 and
 * ASCII charsets; others are kept as bytes) and collapses white space. */
void	imap_decode_header(const char *p, size_t n, struct buf *out);
/* Days since the epoch of a local time stamp / of "d-Mon-yyyy"; -1 if bad. */
int32_t	imap_day_of(int64_t t);
int32_t	imap_parse_day(const char *s, size_t len);

#endif
