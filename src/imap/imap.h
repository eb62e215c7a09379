/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap.h: the IMAP module (RFC 3501 IMAP4rev1 with IDLE, NAMESPACE,
 * UIDPLUS, MOVE, UNSELECT, CHILDREN, LIST-EXTENDED, SPECIAL-USE, ID, ENABLE,
 * CONDSTORE/QRESYNC, ESEARCH, SORT/THREAD, MULTIAPPEND, QUOTA, LITERAL+,
 * BINARY, STARTTLS) over the account store.  Log module "IMAP".
 */
#ifndef TEGAMI_IMAP_IMAP_H
#define TEGAMI_IMAP_IMAP_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;

/* Registers the services "imap" (143) and "imaps" (993, implicit TLS) with
 * the listener; refused connections get "* BYE <why>".  srv must outlive
 * the listeners.  0, or -1 with err_r. */
int	imap_register(struct server *srv, struct error *err_r);
/* The store's header cache parser: the wiring hands it to
 * store_hdrcache_set_parser() with the render functions, before any
 * delivery. */
struct store_hdrfields;
void	imap_hdrcache_parse(const char *h, size_t hlen,
	    struct store_hdrfields *f);

/* The settings of Settings/IMAP.settings (imap_settings.c). */
struct settings_table;
extern const struct settings_table imap_settings_table;

#endif
