/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen_settings.h: the Listener value of a protocol module's settings
 * (docs/operations.md), e.g. in Settings/SMTP.settings:
 *
 *   Listener = { Ports = ( { PortNumber = 25; },
 *       { PortNumber = 465; InitialSecurity = YES; IPAddress = 127.0.0.1; } ); };
 *
 * Each element of Ports is one listening socket: PortNumber (1-65535),
 * InitialSecurity (YES/NO, on/off: TLS from the first byte), IPAddress (a
 * local IPv4 or IPv6 address; missing or "*" = all addresses), and Service
 * (Tegami's own key: which service of the module the socket serves; by
 * default the secure service with InitialSecurity, the service whose
 * default port PortNumber is (587: submission), else the module's first
 * service).  Pure: no I/O, no logging.
 */
#ifndef TEGAMI_SERVER_LISTEN_SETTINGS_H
#define TEGAMI_SERVER_LISTEN_SETTINGS_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"
#include "net/listener.h"

struct dval;

struct listen_port {
	const char	*service;	/* a name of the service table */
	char		 addr[LISTENER_ADDR_MAX];	/* "*" or canonical */
	unsigned	 port;
};

struct listen_set {
	struct listen_port	 p[LISTEN_PORTS_MAX];
	size_t			 n;
};

/* Parses the Listener value v of module's settings ("SMTP", "POP",
 * "IMAP", "PWD", ... : the log tag of the service table) into *out.  Every
 * error names the setting and the element: "Listener: Ports element 2:
 * PortNumber 'x' is not a port number 1-65535" (ERR_SYNTAX; ERR_LIMIT past
 * LISTEN_PORTS_MAX).  Unknown keys are refused.  Two sockets on one port
 * and address, or one on all addresses and another on the same port, are
 * refused (CGP's rule). */
int	listen_settings_parse(const struct dval *v, const char *module,
	    struct listen_set *out, struct error *err_r);

/* The canonical text of a listening address: NULL, "" and "*" give "*";
 * an IPv4 or IPv6 literal (IPv6 with or without []) its inet_ntop form.
 * 0, or -1 when in is not an address. */
int	listen_addr_canon(const char *in, char *out, size_t size);

/* True when a and b hold the same sockets (order aside). */
bool	listen_set_equal(const struct listen_set *a, const struct listen_set *b);

/* True when set holds service on addr:port. */
bool	listen_set_has(const struct listen_set *set, const char *service,
	    const char *addr, unsigned port);

#endif
