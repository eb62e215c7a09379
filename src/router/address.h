/* SPDX-License-Identifier: Apache-2.0 */
/*
 * address.h: the pure e-mail address parser the Router (and anything that
 * reads a mailbox from the wire) uses.  It takes RFC 5321/5322 mailbox
 * syntax -- local@domain, optional surrounding <>, quoted local parts, IP
 * literals [1.2.3.4] and [IPv6:...] -- and the old path forms CommuniGate
 * recognises:
 *
 *	<@relay1,@relay2:user@host>	domain relay1, local "user%host%relay2"
 *	relay!host!user			domain relay,  local "user%host"
 *	user%host@relay			left as is: the Router applies the
 *					"percent hack" only for its own domains
 *
 * The path forms leave the next hop in the domain and the rest of the path in
 * the local part in "%" form, so that each hop strips its own name with the
 * percent hack (RFC 1123 5.2.16).  The local part is kept unquoted with its
 * case; the domain is lower-cased.  No I/O, no logging, no globals.
 */
#ifndef TEGAMI_ROUTER_ADDRESS_H
#define TEGAMI_ROUTER_ADDRESS_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"

#define ADDRESS_LABEL_MAX	63	/* RFC 1035 2.3.4: one domain label */
#define ADDRESS_IP_MAX		46	/* INET6_ADDRSTRLEN */

enum address_dkind {
	ADDRESS_DOMAIN_NONE = 0,	/* "postmaster": no domain given */
	ADDRESS_DOMAIN_NAME,		/* "main.dom", "pipe", "x.local" ... */
	ADDRESS_DOMAIN_IPV4,		/* "[1.2.3.4]" (also written 1.2.3.4) */
	ADDRESS_DOMAIN_IPV6		/* "[IPv6:2001:db8::1]" */
};

struct address {
	/* Unquoted local part, case kept, never empty; no control chars. */
	char			local[ADDRESS_MAX + 1];
	/* Lower-cased domain name or canonical literal ("[1.2.3.4]",
	 * "[IPv6:::1]"); "" for ADDRESS_DOMAIN_NONE. */
	char			domain[DOMAIN_NAME_MAX + 3];
	enum address_dkind	dkind;
	/* For literals the bare IP in inet_ntop() form, else "". */
	char			ip[ADDRESS_IP_MAX];
};

/* Flags for address_parse_ex(). */
#define ADDRESS_F_WILDCARD	0x01	/* '*' allowed in domain labels and
					   literals (Router Table patterns) */

/*
 * Parses the len bytes at s (need not be NUL-terminated) as one mailbox.
 * Surrounding spaces and one pair of <> are removed.  On success fills *a_r
 * and returns 0; on error returns -1 with err_r (ERR_SYNTAX, or ERR_LIMIT
 * past ADDRESS_MAX / DOMAIN_NAME_MAX / ADDRESS_LABEL_MAX).  "<>" (the null
 * return-path) is an error here: callers that accept it test for it first.
 */
int	address_parse(const char *s, size_t len, struct address *a_r,
	    struct error *err_r);
int	address_parse_ex(const char *s, size_t len, unsigned flags,
	    struct address *a_r, struct error *err_r);

/*
 * Checks and canonicalises a domain (name or [literal]) of len bytes into
 * *a_r's domain, dkind and ip fields; the local part is left alone.
 * 0 or -1 with err_r.
 */
int	address_set_domain(struct address *a_r, const char *s, size_t len,
	    unsigned flags, struct error *err_r);

/* True when local must be written as a quoted string (it is not a
 * dot-atom of RFC 5322 3.2.3 atext, 8-bit bytes allowed per RFC 6531). */
bool	address_local_needs_quotes(const char *local);

/*
 * Writes local (quoted when needed) and, when domain is not empty,
 * "@domain" into buf of size bytes, NUL-terminated.  Returns the length, or
 * -1 when it does not fit (buf then holds "").
 */
int	address_join(const char *local, const char *domain, char *buf,
	    size_t size);
/* address_join() of a parsed address; address_parse() of the result gives
 * back the same struct. */
int	address_format(const struct address *a, char *buf, size_t size);

#endif
