/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addrlist.h: splits an RFC 5322 address-list header value (To:, Cc:,
 * Bcc:, From:, Envelope-To: ...) into its mailboxes, section 3.4:
 *
 *	"Doe, John" <john@x.example>, jane@y.example (Jane),
 *	Team: a@x.example, <b@x.example>;, undisclosed-recipients:;
 *
 * Handled: display names (atoms and quoted strings), angle addresses with
 * obsolete source routes, groups (their names dropped, members kept, empty
 * groups give nothing), comments (nested, with quoted pairs) anywhere, the
 * obsolete spaces around '.' and '@', folded lines (CR LF + space), empty
 * list elements (RFC 5322 4.4).  The result is each mailbox's addr-spec as
 * text without comments or spaces ("john@x.example", "\"a b\"@x.example",
 * "postmaster") for address_parse() to check, and its display name
 * unquoted ("Doe, John"), or the last comment when there is no phrase.
 * Pure: no I/O, no logging.
 */
#ifndef TEGAMI_LIB_ADDRLIST_H
#define TEGAMI_LIB_ADDRLIST_H

#include "lib/compat.h"

#include "lib/error.h"

#define ADDRLIST_TEXT_MAX	(256 * 1024)	/* one header value */
#define ADDRLIST_MAX		1000	/* mailboxes in one header */
#define ADDRLIST_COMMENT_DEPTH	32	/* nested comments */
#define ADDRLIST_ITEM_MAX	2048	/* one addr-spec or display name */

struct addrlist_item {
	char	*addr;		/* addr-spec text; never empty */
	char	*name;		/* display name, "" when none */
};

struct addrlist {
	struct addrlist_item	*v;
	size_t			 n;
};

/*
 * Parses len bytes at s and appends the mailboxes to *l (which starts
 * zeroed, or holds earlier results: several To: lines add up).  0, or -1
 * with err_r: ERR_SYNTAX (unterminated quote, comment, angle address or
 * domain literal; '<' inside '<'; an element with a display name but no
 * address; a control character other than tab, CR, LF) or ERR_LIMIT.
 * On error *l keeps what it held before.
 */
int	addrlist_parse(const char *s, size_t len, struct addrlist *l,
	    struct error *err_r);
/* Frees the items and zeroes *l. */
void	addrlist_clear(struct addrlist *l);

#endif
