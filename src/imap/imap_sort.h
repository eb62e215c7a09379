/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_sort.h: SORT and THREAD (RFC 5256) over per-message facts the
 * caller extracts from the headers: base subject extraction (2.1), sort
 * criteria, THREAD=ORDEREDSUBJECT and THREAD=REFERENCES.  Pure.
 */
#ifndef TEGAMI_IMAP_IMAP_SORT_H
#define TEGAMI_IMAP_IMAP_SORT_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"
#include "imap/imap_parse.h"

#define IMAP_SORT_KEYS_MAX	16	/* criteria in one SORT */
#define IMAP_REFERENCES_MAX	1000	/* message ids taken from References */
/* THREAD=REFERENCES tree depth (it recurses on a small stack); the children
 * of a deeper container start threads of their own */
#define IMAP_THREAD_DEPTH_MAX	500

enum sort_key {
	SORT_ARRIVAL, SORT_CC, SORT_DATE, SORT_FROM, SORT_SIZE, SORT_SUBJECT,
	SORT_TO
};

struct sort_crit {
	enum sort_key	 key;
	bool		 reverse;
};

struct sort_info {
	uint32_t	 num;		/* what is printed: seq or UID */
	uint32_t	 seq;		/* tie breaker */
	int64_t		 arrival;
	int64_t		 date;		/* Date: header, else arrival */
	uint64_t	 size;
	char		*from, *to, *cc;	/* first addr-mailbox, lower case */
	char		*subject;	/* base subject */
	bool		 reply;		/* the subject was a reply or forward */
	char		*msgid;		/* "<...>" or NULL */
	char		**refs;		/* References (or In-Reply-To) ids */
	size_t		 nrefs;
};

/* Parses "(REVERSE SUBJECT DATE)".  ERR_SYNTAX / ERR_LIMIT. */
int	imap_sort_criteria(const struct imap_arg *a, struct sort_crit *v,
	    size_t *n_r, struct error *err_r);
/* Sorts v in place (ties by seq). */
void	imap_sort_run(struct sort_info *v, size_t n,
	    const struct sort_crit *crit, size_t ncrit);
/* RFC 5256 2.1 base subject of a decoded subject (UTF-8); *reply_r (may
 * be NULL) tells whether a Re:/Fwd: leader or (fwd) trailer was removed. */
void	imap_base_subject(const char *s, size_t len, struct buf *out,
	    bool *reply_r);
/* Called after each piece of a long response is appended to out (it may
 * write out's bytes away and empty it); -1 stops the writer. */
typedef int	imap_piece_fn(void *arg, struct buf *out);
/* Appends the THREAD response body ("(1 2)(3 (4)(5))") for v, calling
 * piece(arg, out) after each message; returns -1 when piece() did. */
int	imap_thread_orderedsubject(struct sort_info *v, size_t n,
	    struct buf *out, imap_piece_fn *piece, void *arg);
int	imap_thread_references(struct sort_info *v, size_t n,
	    struct buf *out, imap_piece_fn *piece, void *arg);
/* Extracts the message ids "<a@b>" of a References/In-Reply-To value. */
size_t	imap_parse_msgids(const char *s, size_t len, char ***ids_r,
	    size_t max);
void	imap_sort_info_free(struct sort_info *v, size_t n);

#endif
