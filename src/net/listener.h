/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener.h: the TCP services ("Listeners" in the original;
 * docs/operations.md).  The
 * service table (name, default port, TLS from the first byte, log tag) is
 * server/services.c's, installed with listener_set_services() before
 * anything else.  A protocol module registers a handler (and a refusal
 * writer) for its services; the daemon adds sockets and limits and starts
 * them.  Sockets may also be added and removed while the listeners run
 * (run-time Listener settings): a new socket accepts at once, a removed one
 * is closed, and the sessions it accepted go on.  Each accepted connection
 * runs on a detached thread of its own
 * (stack LISTENER_STACK_SIZE): implicit-TLS services do the handshake first,
 * then the handler runs; when it returns the listener frees the conn.  The
 * thread then waits idle and accepts the next connection itself (at most
 * LISTENER_IDLE_MAX idle threads, each ending after LISTENER_IDLE_MS without
 * work, except the last), so a busy server does not create a thread per
 * connection and no thread hands a socket to another.
 *
 * Limits (struct listener_limits): max_channels (CGP "Channels", concurrent
 * connections of a service; 0 = the service does not listen), max_per_ip
 * and max_per_net (connections from one address, and from one /24 IPv4 or
 * /64 IPv6 network; 0 = none; addresses the exempt function names are not
 * counted against either).  Past the per-address limits the newcomer gets
 * the service's refusal text (plain services only: an implicit-TLS
 * connection is closed without a handshake, which would cost a thread), is
 * closed, and one Problem record is logged.  When the service is full, the
 * oldest session that has not logged in and is waiting for its client is
 * shed instead (conn_shed(): it says why and closes; a log record names
 * it), and only when there is none is the newcomer refused.
 *
 * Before the handler runs, the conn gets the pre-login deadline (every wait
 * ends within prelogin_ms of the connect, "login time-out"), the whole-line
 * limit line_ms, and is made sheddable; the protocol ends that phase at
 * login (conn_set_deadline(c, 0, NULL), conn_set_sheddable(c, false)).
 *
 * Set-up calls (table, register, tls) are made before listener_start_all();
 * add, remove, limits and stats work at any time.
 */
#ifndef TEGAMI_NET_LISTENER_H
#define TEGAMI_NET_LISTENER_H

#include "lib/compat.h"

#include "lib/error.h"
#include "net/park.h"

struct conn;
struct log_module;
struct sockaddr;
struct ssl_ctx_st;			/* OpenSSL SSL_CTX */

#define LISTENER_STACK_SIZE	(256 * 1024)	/* per connection thread */
#define LISTENER_SOCKETS_MAX	64	/* sockets over all services */
#define LISTENER_SERVICES_MAX	32	/* rows of the service table */
#define LISTENER_ADDR_MAX	48	/* "*" or an IPv6 literal in [] */
#define LISTENER_CHANNELS_DEFAULT 100	/* until the module settings say */
#define LISTENER_CHANNELS_MAX	50000	/* threads (256 KiB stack each, mostly untouched) are the cost */
#define LISTENER_BACKLOG	128
#define LISTENER_TLS_HANDSHAKE_MS (30 * 1000)	/* implicit-TLS handshake */
#define LISTENER_STOP_WAIT_MS	5000	/* listener_stop_all() waits this long */
#define LISTENER_IDLE_MAX	128	/* idle connection threads kept */
#define LISTENER_IDLE_MS	(30 * 1000)	/* an idle thread ends after */
#define LISTENER_NET_V4_BITS	24	/* NetworkPrefixIPv4 default: per /24 */
#define LISTENER_NET_V4_MIN	8	/* a /8 is the widest IPv4 "network" */
#define LISTENER_NET_V4_MAX	32	/* /32: one address */
#define LISTENER_NET_V6_BITS	64	/* NetworkPrefixIPv6 default: one site's subnet */
#define LISTENER_NET_V6_MIN	16	/* a /16 is the widest IPv6 "network" */
#define LISTENER_NET_V6_MAX	128	/* /128: one address */

/* Runs a session on c (the handler's thread).  It must not free c. */
typedef void	listener_handler_fn(struct conn *c, void *arg);
/*
 * Hibernation (docs/architecture.md, Threads).  A handler whose session has
 * waited for its client a while (HibernateAfter), with no input buffered
 * (conn_input_buffered() false) and its output flushed, may call
 * listener_park() and then return at once without touching c or its
 * session again: the listener hands the socket (and fd2, -1 for none, and
 * tok, NULL for none) to the park loop and the thread goes back to the
 * pool.  Input, fd2 readable, park_notify(tok), the deadline (CLOCK_MONOTONIC ms, park_now_ms(); 0: none) or
 * listener_stop_all() calls fn(c, arg, why) on a fresh thread, which runs
 * the session on like a handler: it returns when the session ended (the
 * listener frees c) or after parking again.  On PARK_SHUTDOWN the session
 * says goodbye and ends.  The connection still counts against every limit
 * while parked.  False (do not return; go on waiting) when c is not a
 * listener session.
 */
typedef void	listener_resume_fn(struct conn *c, void *arg,
		    enum park_event why);
bool	listener_park(struct conn *c, int fd2, struct park_token *tok,
	    int64_t deadline, listener_resume_fn *fn, void *arg);
/*
 * The wait before a session parks, between commands: when 0 < after_ms <
 * idle_ms, waits up to after_ms for input (conn_quiet_for()); if none
 * came, parks with the deadline idle_ms after the wait began.  True when
 * parked (the caller returns at once, as after listener_park()).
 */
bool	listener_park_when_idle(struct conn *c, int64_t after_ms,
	    int64_t idle_ms, listener_resume_fn *fn, void *arg);
/* Sets up a token (park.h) for listener_park(): a wake-up without a
 * descriptor (park_notify(tok) from any thread). */
void	listener_token_init(struct park_token *tok);

/* Writes the protocol's refusal to c ("421 4.3.2 <why>", "-ERR <why>",
 * "* BYE <why>", "500 <why>"); why is a short English sentence.  Called on
 * the thread that accepted c; c has a short write timeout; the listener
 * closes c. */
typedef void	listener_refuse_fn(struct conn *c, const char *why);

struct listener_stats {
	unsigned	 current;	/* connections open now */
	unsigned long	 total;		/* accepted since start (not refused) */
	unsigned long	 refused;	/* refused for a limit */
	unsigned long	 shed;		/* shed to make room */
	unsigned	 sockets;	/* listening sockets now (0: not listening) */
};

struct listener_limits {
	unsigned	 max_channels;	/* <= LISTENER_CHANNELS_MAX; 0 = off */
	unsigned	 max_per_ip;	/* 0 = none */
	unsigned	 max_per_net;	/* 0 = none */
	unsigned	 net_v4_bits;	/* the network MaxChannelsPerNetwork counts: */
	unsigned	 net_v6_bits;	/* prefix lengths, within the _MIN.._MAX above */
	unsigned	 prelogin_ms;	/* 0 = none */
	unsigned	 line_ms;	/* 0 = none */
};

/* True when the first bits bits of the addresses a and b (network byte
 * order, at least (bits + 7) / 8 bytes each) are equal: one network for
 * MaxChannelsPerNetwork.  bits 0 is always true. */
bool	listener_same_net(const uint8_t *a, const uint8_t *b, unsigned bits);

/* True for a peer that is not limited per address (Client IPs).  Called on
 * the accepting thread, without listener locks. */
typedef bool	listener_exempt_fn(const struct sockaddr *peer);

/* One row of the service table (the strings must outlive the listeners). */
struct listener_service {
	const char	*name;		/* "smtps" */
	unsigned	 port;		/* default port */
	bool		 tls;		/* TLS from the first byte */
	const char	*log_tag;	/* "SMTP": log module, settings file */
};

/* Installs the service table; before any other call.  ERR_LIMIT past
 * LISTENER_SERVICES_MAX rows, ERR_INTERNAL once sockets exist. */
int	listener_set_services(const struct listener_service *defs, size_t n,
	    struct error *err_r);

/* Binds a port the process may not bind itself (EACCES: below 1024 after
 * the switch to the server's user).  Returns a listening socket (the
 * listener owns it) or -1 with err_r.  addr is as for listener_add ("*"
 * for all).  Called without listener locks, on the caller's thread. */
typedef int	listener_binder_fn(const char *addr, unsigned port,
		    struct error *err_r);
/* The binder listener_add() asks when bind() says EACCES (NULL: none; the
 * error then says the port needs root). */
void	listener_set_binder(listener_binder_fn *fn);

/* Opens a listening TCP socket (SO_REUSEADDR, non-blocking, close-on-exec,
 * backlog LISTENER_BACKLOG) on addr (as for listener_add) and port: the fd,
 * or -1 with *errno_r (EINVAL for a bad address or port).  No locks, no
 * logging: the bind helper calls it too. */
int	listener_socket_open(const char *addr, unsigned port, int *errno_r);

/* Registers the protocol of a service.  log is the protocol's module (its
 * tag should be the one in the table above); NULL uses the listener's own
 * module with that tag.  refuse may be NULL (then refused connections are
 * just closed).  -1 with ERR_NOTFOUND for an unknown service. */
int	listener_register(const char *service, listener_handler_fn *handler,
	    listener_refuse_fn *refuse, void *arg, struct log_module *log,
	    struct error *err_r);

/* True once a protocol module registered a handler for service. */
/* True when a registered service logs under (and takes its settings from)
 * the module log_tag ("SMTP"), compared without case. */
bool	listener_module_listens(const char *log_tag);
bool	listener_is_registered(const char *service);

/* Adds a socket for service on addr (an IPv4 or IPv6 literal; NULL, "" or
 * "*" = all addresses, IPv6 and IPv4 where available) and port (0 = a free
 * port chosen by the kernel, see listener_bound_port()).  The socket is bound
 * now (so ports < 1024 can be taken before dropping root) and accepts after
 * listener_start_all().  Errors name the service, address and port:
 * "cannot listen for imap on 127.0.0.1:143: Address already in use". */
int	listener_add(const char *service, const char *addr, unsigned port,
	    struct error *err_r);

/* Closes the sockets of service added with this addr (as given to
 * listener_add, NULL/"" = "*") and port (as given, or as bound); while the
 * listeners run too.  Sessions they accepted go on.  Returns how many. */
int	listener_remove(const char *service, const char *addr, unsigned port);

/* Port of the idx-th socket added for service (kernel's choice for port 0),
 * or 0 if there is no such socket. */
unsigned	listener_bound_port(const char *service, unsigned idx);

/* Limits (see above).  max_channels <= LISTENER_CHANNELS_MAX. */
int	listener_set_limits(const char *service, unsigned max_channels,
	    unsigned max_per_ip, struct error *err_r);

/* All the limits of a service (see above). */
int	listener_configure(const char *service,
	    const struct listener_limits *lim, struct error *err_r);
/* The exempt function (NULL: none). */
void	listener_set_exempt(listener_exempt_fn *fn);

/* TLS context for an implicit-TLS service (also what its protocol may use
 * for STARTTLS: listener_tls_ctx()).  service NULL sets it for every
 * service.  The listener takes its own reference (SSL_CTX_up_ref). */
int	listener_set_tls(const char *service, struct ssl_ctx_st *ctx,
	    struct error *err_r);
struct ssl_ctx_st	*listener_tls_ctx(const char *service);

/* Starts accepting on every socket added (idle threads accept).  An
 * implicit-TLS service without a TLS context fails here.  Sockets of a
 * service with max_channels 0 are closed. */
int	listener_start_all(struct error *err_r);

/* Stops accepting, closes the listening sockets, shuts down every live
 * connection so blocked reads return, ends the idle threads, and waits up to
 * LISTENER_STOP_WAIT_MS for the connection threads to end.  Returns the
 * number of connection threads still running (0 normally).  Afterwards
 * sockets may be added and started again; registrations, limits and TLS
 * contexts are kept. */
unsigned	listener_stop_all(void);

/* Counters of a service; -1 for an unknown service. */
int	listener_get_stats(const char *service, struct listener_stats *st_r);

/* Table look-ups: default port (0 if unknown), implicit TLS, log tag (NULL
 * if unknown). */
unsigned	 listener_default_port(const char *service);
bool		 listener_is_implicit_tls(const char *service);
const char	*listener_log_tag(const char *service);

#endif
