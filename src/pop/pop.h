/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop.h: the POP3 module (docs/pop.md; RFC 1939, RFC 2449 CAPA,
 * RFC 2595 STLS, RFC 5034 SASL, RFC 3206 response codes).  It serves the
 * listener services "pop3" (port 110, STLS) and "pop3s" (995, TLS from the
 * first byte) on the INBOX of the account store; logins go through
 * auth/auth.h.  Log module "POP".
 */
#ifndef TEGAMI_POP_POP_H
#define TEGAMI_POP_POP_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;
struct settings_table;

/* Settings/POP.settings (pop_settings.c): HibernateAfter. */
extern const struct settings_table pop_settings_table;

/* Registers the "pop3" and "pop3s" services with the listener layer (a
 * refused connection gets "-ERR <why>") and the "POP" log module.  srv
 * must outlive the listeners.  0, or -1 with err_r. */
int	pop_register(struct server *srv, struct error *err_r);

#endif
