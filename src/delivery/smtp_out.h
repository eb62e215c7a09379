/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out.h: the SMTP dispatcher -- queued recipients routed to module
 * "SMTP" are relayed to a remote host.  Log module "SMTP" (the same name as
 * the receiving side: one level setting for both, as in CommuniGate).
 *
 * The queue hands over every ready recipient of one target at once (the
 * destination domain, a .via relay host, "[ip]:port").  The dispatcher
 * finds the hosts to try (RelayHost when set; a target with a port or an
 * address literal as it is; otherwise the MX records of the domain), opens
 * ONE connection and sends every message of the batch over it: EHLO with
 * the main domain name, STARTTLS when offered, then per message MAIL FROM
 * (SIZE, BODY, RET, ENVID when announced), up to SMTP_OUT_RCPT_MAX RCPT TO
 * per transaction (NOTIFY, ORCPT), DATA -- pipelined when the host
 * announces PIPELINING.  Each recipient gets its own outcome: 2xx to RCPT
 * and 250 to the end of data -> delivered (only then), 4xx -> temporary
 * (the queue retries on its schedule), 5xx -> permanent (the queue writes
 * the DSN, quoting the remote reply).  A connection that fails leaves every
 * undecided recipient temporary.
 *
 * .via routes: the queue item's address is the one the sender gave
 * ("user%client1.com@mainhost.com.via"); the dispatcher routes it again to
 * get the envelope address the Router makes of it ("user@client1.com").
 *
 * Settings (Settings/SMTP.settings, with the receiving side's): RelayHost,
 * SendEncrypted, TrustedCAFile, ConnectTimeout, DeliveryTimeout; see
 * docs/delivery.md.
 */
#ifndef TEGAMI_DELIVERY_SMTP_OUT_H
#define TEGAMI_DELIVERY_SMTP_OUT_H

#include "lib/compat.h"

#include <sys/socket.h>

#include "dnr/dnr.h"
#include "lib/settings.h"
#include "queue/queue.h"

struct server;
struct log_module;

#define SMTP_OUT_CONNECT_TIMEOUT_DEFAULT	30	/* s, one TCP connect */
#define SMTP_OUT_TIMEOUT_DEFAULT		300	/* s, one reply (RFC 5321 4.5.3.2) */
#define SMTP_OUT_TIMEOUT_MIN			1
#define SMTP_OUT_TIMEOUT_MAX			3600
#define SMTP_OUT_BOUNCE_DEFAULT		(5 * 24 * 3600)	/* BounceAfter */
#define SMTP_OUT_QUEUE_TIME_MAX		(60 * 24 * 3600)	/* Warn/BounceAfter */

/* The sending side's settings (a second table of Settings/SMTP.settings). */
struct smtp_out_conf {
	const char	*relay_host;	/* RelayHost: "" = MX delivery */
	const char	*send_encrypted;	/* SendEncrypted: names, "," */
	const char	*trusted_ca;	/* TrustedCAFile: "" = system CAs */
	uint64_t	 connect_timeout;	/* ConnectTimeout, s */
	uint64_t	 timeout;	/* DeliveryTimeout, s per reply */
	uint64_t	 warn_after;	/* WarnAfter, s; 0 = no delay DSN */
	uint64_t	 bounce_after;	/* BounceAfter, s */
	uint64_t	 max_conns;	/* MaxOutgoingConnections, all hosts */
	uint64_t	 max_per_host;	/* MaxConnectionsPerHost, one address */
};

extern const struct settings_table smtp_out_settings_table;

/* The SMTP log module of the sending side. */
extern struct log_module log_smtp_out;

struct smtp_out_ctx;

/* DNS lookups the dispatcher makes: dnr_mx() and dnr_addrs() of the DNR
 * (src/dnr/dnr.h) in the server, fakes in tests.  A NULL function: names
 * cannot be resolved (the recipients wait in the queue). */
struct smtp_out_resolver {
	enum dnr_status (*mx)(const char *name, struct dnr_mx *mx_r, size_t max,
		    size_t *n_r, struct error *err_r);
	enum dnr_status (*addrs)(const char *name, int family,
		    struct sockaddr_storage *addrs_r, size_t max, size_t *n_r,
		    struct error *err_r);
};

/* The dispatcher's state (TLS context); freed by smtp_out_free(). */
struct smtp_out_ctx	*smtp_out_new(struct server *srv,
			    const struct smtp_out_resolver *res);
void			 smtp_out_free(struct smtp_out_ctx **ctxp);

/* queue_dispatch_fn for module "SMTP"; arg is a struct smtp_out_ctx *. */
void	smtp_out_dispatch(void *arg, struct queue *q, const char *module,
	    const char *target, struct queue_item *items, size_t n);

/*
 * The trace of the last delivery attempt to target ("remote.example",
 * "mainhost.com", "[1.2.3.4]:25"): when, the destination and MX list, the
 * addresses tried, the TLS policy and why, the certificate's names and the
 * result of its check, the SMTP dialogue without the message data, and the
 * outcome -- the first SMTP_OUT_TRACE_MAX bytes.  xmalloc'd text, or NULL
 * when no attempt was made since the start.  For GetMessageQueueInfo.
 */
char	*smtp_out_trace_get(const char *target);

/* A target "host", "host:port", "[ip]" or "[ip]:port" split into host
 * (brackets removed) and port (0 when not given); *literal_r true for
 * "[ip]".  -1 when malformed. */
int	smtp_out_parse_target(const char *target, char *host, size_t size,
	    unsigned *port_r, bool *literal_r);

#endif
