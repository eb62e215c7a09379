/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router_private.h: the Router Table as parsed records, shared by
 * router_table.c (parser, matcher, rewriter) and router.c (routing).
 * Not for other modules.
 */
#ifndef TEGAMI_ROUTER_ROUTER_PRIVATE_H
#define TEGAMI_ROUTER_ROUTER_PRIVATE_H

#include "lib/compat.h"

#include "lib/error.h"
#include "router/address.h"
#include "router/router.h"

#define ROUTER_STARS_MAX	16	/* '*' in one record side: bounds the
					   capture array, no sane record needs
					   more */

enum rec_kind {
	REC_ADDRESS,		/* <left> = right */
	REC_DOMAIN		/* left = right */
};

struct rec {
	enum rec_kind	 kind;
	unsigned	 ctxmask;	/* bit (1 << enum route_ctx) */
	bool		 relay;		/* Relay: or RelayAll: */
	bool		 relay_all;	/* RelayAll: */
	int		 line;
	/* Left side.  Address records: local pattern and domain pattern
	 * (NULL: "<name>" without @domain = the Main Domain).  Domain
	 * records: lpat_local is NULL. */
	char		*lpat_local;
	char		*lpat_domain;
	/* Right side template.  r_local NULL: a domain record whose right
	 * side is a domain.  r_domain "": an address record whose right side
	 * has no domain (= the Main Domain). */
	char		*r_local;
	char		*r_domain;
};

struct rtable {
	char		*text;
	struct rec	*recs;
	size_t		 n;
};

struct rcap {
	const char	*p;
	size_t		 len;
};

/* Parses table text (at most ROUTER_TABLE_MAX bytes); NULL with err_r
 * naming the line on a syntax error. */
struct rtable	*rtable_parse(const char *text, struct error *err_r);
void		 rtable_free(struct rtable **tp);

/*
 * Finds the first record for context rctx that matches *a (address records
 * before domain records).  is_main says whether a's domain is the Main
 * Domain or one of its aliases (for "<name>" records).  Returns the record
 * or NULL; caps_r / ncaps_r get the '*' captures (pointers into *a).
 */
const struct rec *rtable_match(const struct rtable *t, const struct address *a,
		    enum route_ctx rctx, bool is_main, struct rcap *caps_r,
		    size_t *ncaps_r);

/* Rewrites *a with record rec and its captures; main_domain completes an
 * address record's right side without a domain.  0 or -1 with err_r. */
int		 rtable_apply(const struct rec *rec, const struct rcap *caps,
		    size_t ncaps, const char *main_domain, struct address *a,
		    struct error *err_r);

/* Replaces each '*' of tpl with the next capture; 0 or -1 (too long). */
int		 rtable_subst(const char *tpl, const struct rcap *caps,
		    size_t ncaps, size_t *ci, char *out, size_t size);

#endif
