/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap.h: the LDAP module (docs/ldap.md; RFC 4511, RFC 4513, RFC 2696
 * paged results, RFC 4532 Who-am-I, RFC 3062 Password Modify, RFC 4511
 * 4.14 StartTLS).  It serves the listener services "ldap" (port 389,
 * StartTLS) and "ldaps" (636, TLS from the first byte) on the central
 * directory (directory/directory.h); binds go through auth/auth.h.  Log
 * module "LDAP".
 */
#ifndef TEGAMI_LDAP_LDAP_H
#define TEGAMI_LDAP_LDAP_H

#include "lib/compat.h"

#include "lib/error.h"

struct server;
struct settings_table;

/* Settings/LDAP.settings (ldap_settings.c): AllowAnonymous, SizeLimit,
 * TimeLimit. */
extern const struct settings_table ldap_settings_table;

/* Registers the "ldap" and "ldaps" services with the listener layer and
 * the "LDAP" log module.  srv (with its directory) must outlive the
 * listeners.  0, or -1 with err_r. */
int	ldap_register(struct server *srv, struct error *err_r);

#endif
