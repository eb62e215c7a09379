/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_request.h: the pure parts of the JMAP API (RFC 8620 3.3-3.7): the
 * request object's validation, result references with JSON pointers, and
 * the state strings built from the store's MODSEQs.  No I/O, no logging,
 * no globals; fuzzed by fuzz/jmap_request.c, tested by
 * tests/unit/jmap/jmap_request_test.c.
 */
#ifndef TEGAMI_JMAP_JMAP_REQUEST_H
#define TEGAMI_JMAP_JMAP_REQUEST_H

#include "lib/compat.h"

#include <jansson.h>

/* Capabilities a request may name in "using". */
#define JMAP_CAP_CORE		0x01
#define JMAP_CAP_MAIL		0x02
#define JMAP_CAP_SUBMISSION	0x04
#define JMAP_CAP_QUOTA		0x08
#define JMAP_CAP_VACATION	0x10

#define JMAP_URN_CORE		"urn:ietf:params:jmap:core"
#define JMAP_URN_MAIL		"urn:ietf:params:jmap:mail"
#define JMAP_URN_SUBMISSION	"urn:ietf:params:jmap:submission"
#define JMAP_URN_QUOTA		"urn:ietf:params:jmap:quota"	/* RFC 9425 */
#define JMAP_URN_VACATION	"urn:ietf:params:jmap:vacationresponse"	/* RFC 8621 8 */

struct jmap_call {
	const char	*name;		/* borrowed from the request's JSON */
	json_t		*args;		/* borrowed; an object */
	const char	*id;		/* the method call id */
};

struct jmap_req {
	json_t		*root;		/* owned */
	unsigned	 caps;		/* JMAP_CAP_* named in "using" */
	struct jmap_call *calls;	/* owned array */
	size_t		 ncalls;
	json_t		*created_ids;	/* borrowed object, or NULL */
};

/* A request-level error (RFC 8620 3.6.1): the problem type's last word
 * ("notJSON", "notRequest", "limit", "unknownCapability"), the limit's
 * name for "limit", and a detail text. */
struct jmap_req_error {
	const char	*type;
	const char	*limit;
	char		 detail[200];
};

/*
 * Parses and validates a request body.  At most calls_max method calls;
 * JSON nested deeper than JMAP_JSON_DEPTH_MAX is "notJSON".  0 with *r
 * filled (free with jmap_req_clear()), or -1 with *e.
 */
int	jmap_req_parse(const char *body, size_t len, size_t calls_max,
	    struct jmap_req *r, struct jmap_req_error *e);
void	jmap_req_clear(struct jmap_req *r);

/*
 * Evaluates a JSON pointer (RFC 6901) with JMAP's '*' (RFC 8620 3.7): a
 * '*' on an array applies the rest of the path to each item, and arrays
 * that result are flattened into one.  A new reference, or NULL when the
 * path does not resolve.
 */
json_t	*jmap_pointer_eval(json_t *v, const char *ptr);

/*
 * Resolves the result references of one call's arguments in place: every
 * key "#name" whose value is a ResultReference {resultOf, name, path} is
 * replaced by "name" with the value the path gives in the earlier response
 * (responses: the array of [name, args, id] so far).  -1 with *etype_r
 * "invalidResultReference" (bad reference, no such response, path does
 * not resolve) or "invalidArguments" (both "#x" and "x" given), and a
 * detail in desc (size n).
 */
int	jmap_resolve_refs(json_t *args, json_t *responses,
	    const char **etype_r, char *desc, size_t n);

/*
 * State strings.  A state is the list of every mailbox's (id, UIDVALIDITY,
 * UIDNEXT, HIGHESTMODSEQ, name hash), so that any change made through IMAP,
 * POP, delivery or JMAP changes it at once, and /changes can be computed
 * from the store's per-mailbox MODSEQs.
 */
struct jmap_mbstate {
	int64_t		 id;
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 modseq;
	uint32_t	 namehash;	/* name and subscription (Mailbox) */
};

/* Appends the state text of v[0, n) (sorted by id by the caller) to out,
 * prefixed by kind ('E' Email/Thread, 'M' Mailbox). */
struct buf;
void	jmap_state_format(char kind, const struct jmap_mbstate *v, size_t n,
	    struct buf *out);
/* Parses a state text of that kind into *v_r (allocated, free()) and *n_r.
 * -1 when it is not one of ours. */
int	jmap_state_parse(char kind, const char *s, struct jmap_mbstate **v_r,
	    size_t *n_r);
/* FNV-1a of a NUL-terminated string, folded into h. */
uint32_t jmap_hash(uint32_t h, const char *s);

#endif
