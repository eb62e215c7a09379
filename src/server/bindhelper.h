/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bindhelper.h: the privileged bind helper.  tegamid started as root forks
 * it before it switches to the server's user; the helper runs as that same
 * user but keeps the one capability CAP_NET_BIND_SERVICE, and binds ports
 * below 1024 that a Listener setting asks for while the server runs.  It
 * reads only "bind TCP ADDRESS:PORT" requests from a socketpair, answers
 * with the listening socket (SCM_RIGHTS) or an errno, and exits when
 * tegamid's end closes (tegamid exited or crashed).  docs/operations.md,
 * "New listeners while running", says why this and not systemd sockets.
 */
#ifndef TEGAMI_SERVER_BINDHELPER_H
#define TEGAMI_SERVER_BINDHELPER_H

#include "lib/compat.h"

#include <sys/types.h>

#include "lib/bounds.h"
#include "lib/error.h"

struct privs;

/* Forks the helper (p->drop only: started as root, switching to a user).
 * Call while the process has one thread and full root.  The helper keeps
 * no descriptor but its end of the socketpair (and 0-2).  -1 with err_r
 * when it cannot be started. */
int	bindhelper_start(const struct privs *p, struct error *err_r);

/* The helper's process id, or 0 when there is none. */
pid_t	bindhelper_pid(void);

/* Asks the helper for a listening socket on addr ("*", an IPv4 literal or
 * an IPv6 literal) and port (1-1023).  Thread-safe (one request at a
 * time); waits at most BINDHELPER_REPLY_MS.  The fd (close-on-exec), or
 * -1 with err_r naming the errno or that the helper is gone.  A
 * listener_binder_fn (net/listener.h). */
int	bindhelper_bind(const char *addr, unsigned port, struct error *err_r);

/* Closes tegamid's end: the helper exits. */
void	bindhelper_stop(void);

/*
 * The request parser, strict and fixed: "bind TCP " ADDR ":" PORT, nothing
 * more (no NUL, no newline), at most BINDHELPER_REQ_MAX bytes.  ADDR is
 * "*", a dotted IPv4 address, or "[" IPv6 "]"; PORT is 1-1023 in decimal
 * without leading zeros.  Fills addr (without brackets; size >= 48) and
 * *port_r.  0 or -1.
 */
int	bindhelper_parse_request(const char *req, size_t len, char *addr,
	    size_t size, unsigned *port_r);

#endif
