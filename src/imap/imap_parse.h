/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_parse.h: the IMAP command parser (RFC 3501 section 9 grammar).  Pure:
 * bytes in, an argument tree or an error out; no I/O, no logging, no
 * globals.  The token grammar is a byte-at-a-time state machine, so a
 * command may arrive in any fragments: the session feeds each line with its
 * CRLF, and when the parser stops at a literal announcement ({n} or {n+},
 * RFC 3501 4.3 and RFC 7888) the session checks the size against its limit
 * BEFORE sending the "+" continuation, then feeds the literal bytes.
 *
 * Arguments are atoms (anything up to SP, ')' or CRLF; a '[' inside an atom
 * takes everything up to its matching ']', spaces and parentheses included,
 * so "BODY[HEADER.FIELDS (FROM)]<0.10>" is one atom), quoted strings,
 * literals ({n}, and ~{n} from RFC 3516) and parenthesised lists; NIL is
 * an atom (imap_arg_is_nil()).  The
 * first argument is the tag, the second the command name.
 *
 * Also here: sequence sets (RFC 3501 9, seq-set) and small helpers the
 * command handlers share.
 */
#ifndef TEGAMI_IMAP_IMAP_PARSE_H
#define TEGAMI_IMAP_IMAP_PARSE_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"
#include "lib/strv.h"

#define IMAP_LINE_MAX		(64 * 1024)	/* command text with CRLFs, literals excluded */
#define IMAP_LITERAL_MAX	(64 * 1024)	/* a literal outside APPEND */
#define IMAP_APPEND_MAX		(64 * 1024 * 1024)	/* APPEND literal without a MaxMessageSize */
#define IMAP_NESTING_MAX	32	/* parenthesised list depth */
#define IMAP_ARGS_MAX		20000	/* arguments in one command, all levels */
#define IMAP_LITERALS_MAX	1000	/* literals in one command (MULTIAPPEND) */
#define IMAP_SEQSET_MAX		10000	/* ranges in one sequence set */
#define IMAP_TAG_MAX		64	/* bytes in a tag */
/* An announced literal size past this reads as this (saturated; always
 * refused: no limit comes near it). */
#define IMAP_LITERAL_HUGE	UINT64_MAX

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING,		/* quoted string */
	IMAP_ARG_LITERAL,		/* {n} or ~{n} (literal8) */
	IMAP_ARG_LIST
};

struct imap_list;

struct imap_arg {
	enum imap_arg_type type;
	char		*str;		/* NUL-terminated copy; literals may hold NULs */
	size_t		 len;
	bool		 literal8;	/* ~{n} (RFC 3516) */
	struct imap_list *list;		/* IMAP_ARG_LIST */
};

struct imap_list {
	struct imap_arg	*v;
	size_t		 n, cap;
};

enum imap_pstate {
	IPS_TAG,		/* reading the tag */
	IPS_SEP,		/* after an argument: SP, ')' or CR */
	IPS_ARG,		/* start of an argument */
	IPS_ATOM,
	IPS_ATOM_BRACKET,	/* inside [...] of an atom */
	IPS_QUOTED,
	IPS_QUOTED_ESC,
	IPS_LIT8,		/* saw '~', expect '{' */
	IPS_LIT_LEN,		/* digits of {n} */
	IPS_LIT_CLOSE,		/* saw '+', expect '}' */
	IPS_LIT_CR,		/* after '}' */
	IPS_LIT_LF,
	IPS_LIT_DATA,
	IPS_LF,			/* after the final CR */
	IPS_DONE,
	IPS_ERROR
};

enum imap_parse_rc {
	IMAP_PARSE_MORE,	/* all input consumed; feed more */
	IMAP_PARSE_LITERAL,	/* a literal was announced: see lit_len */
	IMAP_PARSE_DONE,	/* a whole command is in args */
	IMAP_PARSE_ERROR	/* syntax or limit: see err */
};

struct imap_parser {
	enum imap_pstate state;
	struct imap_list args;		/* top level: tag, command, arguments */
	struct imap_list *stack[IMAP_NESTING_MAX + 1];
	unsigned	 depth;
	struct buf	 tok;		/* token being read */
	unsigned	 brackets;	/* '[' depth inside an atom */
	uint64_t	 lit_len;	/* announced literal size (saturated) */
	uint64_t	 lit_left;	/* literal bytes still expected */
	bool		 lit_nonsync;	/* {n+} */
	bool		 lit8;		/* ~{n} */
	unsigned	 lit_digits;	/* digits of the size read so far */
	size_t		 nargs;
	size_t		 nliterals;
	size_t		 line_bytes;	/* command text so far, literals excluded */
	size_t		 lit_max;	/* ceiling for the literal buffer */
	char		 tag[IMAP_TAG_MAX + 1];	/* once read; "" before */
	struct error	 err;
};

/* Prepares p; lit_max is the largest literal the parser will hold (the
 * caller refuses bigger announcements before feeding data). */
void	imap_parser_init(struct imap_parser *p, size_t lit_max);
/* Frees the tree and resets p for the next command (keeps lit_max). */
void	imap_parser_reset(struct imap_parser *p);
void	imap_parser_free(struct imap_parser *p);
/* Raises the literal ceiling (APPEND); only before the literal's data. */
void	imap_parser_set_lit_max(struct imap_parser *p, size_t lit_max);

/*
 * Consumes up to len bytes; *used_r gets how many.  Returns MORE when all
 * were consumed without finishing; LITERAL right after the CRLF of a literal
 * announcement (p->lit_len, p->lit_nonsync; the data follows); DONE after
 * the command's final CRLF (p->args holds it); ERROR with p->err (ERR_SYNTAX
 * or ERR_LIMIT; p->tag may already be set).  After DONE or ERROR, call
 * imap_parser_reset() before the next command.
 */
enum imap_parse_rc imap_parser_feed(struct imap_parser *p, const char *data,
	    size_t len, size_t *used_r);

/* Parses a whole command held in memory (literal data inline), for tests
 * and the fuzzer; literals are accepted up to p's lit_max. */
enum imap_parse_rc imap_parse_all(struct imap_parser *p, const char *data,
	    size_t len);

/* Argument helpers. */
bool	imap_arg_is_atom(const struct imap_arg *a, const char *s);
/* atom, quoted string or literal */
bool	imap_arg_is_astring(const struct imap_arg *a);
/* the atom NIL (any case) */
bool	imap_arg_is_nil(const struct imap_arg *a);
/* quoted string or literal */
bool	imap_arg_is_string(const struct imap_arg *a);
/* An atom, string or list rendered back as text (for logs and tests). */
void	imap_args_write(struct buf *out, const struct imap_arg *v, size_t n);

/* ---- sequence sets (RFC 3501 9, sequence-set) ---- */

struct imap_range {
	uint32_t	 lo, hi;	/* inclusive, lo <= hi; '*' is UINT32_MAX */
};

struct imap_seqset {
	struct imap_range *v;
	size_t		 n;
};

/*
 * Parses "1,3:5,7:*" or "$" (RFC 5182 saved result; ERR_SYNTAX here).
 * Ranges are normalised (lo <= hi), sorted and merged.  '*' becomes star
 * (the caller's largest number: the message count or the last UID; use
 * UINT32_MAX for "to the end").  ERR_SYNTAX for bad syntax or a 0,
 * ERR_LIMIT past IMAP_SEQSET_MAX ranges.
 */
int	imap_seqset_parse(struct strv s, uint32_t star, struct imap_seqset *r,
	    struct error *err_r);
bool	imap_seqset_contains(const struct imap_seqset *s, uint32_t n);
void	imap_seqset_free(struct imap_seqset *s);
/* Appends the compact form of an ascending list of numbers ("1:3,7"). */
void	imap_seqset_write_list(struct buf *out, const uint32_t *v, size_t n);
/* Appends the run of consecutive numbers starting at v[i] ("," first when
 * i > 0); returns the index after it.  For writing long lists in pieces. */
size_t	imap_seqset_write_run(struct buf *out, const uint32_t *v, size_t n,
	    size_t i);

#endif
