/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_private.h: what the files of the SMTP dispatcher share.
 */
#ifndef TEGAMI_DELIVERY_SMTP_OUT_PRIVATE_H
#define TEGAMI_DELIVERY_SMTP_OUT_PRIVATE_H

#include "lib/compat.h"

#include <pthread.h>
#include <sys/socket.h>

#include "delivery/smtp_out.h"
#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"

struct conn;
struct ssl_ctx_st;

struct smtp_out_ctx {
	struct server		*srv;
	pthread_mutex_t		 tls_mu;
	struct ssl_ctx_st	*tls;		/* client context */
	char			*tls_ca;	/* the TrustedCAFile it has */
	struct ssl_ctx_st	*old[8];	/* replaced contexts, kept */
	size_t			 nold;
	struct smtp_out_resolver res;
};

/* One address to try. */
struct smtp_out_addr {
	char		 ip[64];		/* "1.2.3.4", "2001:db8::1" */
	unsigned	 port;
	char		 host[DOMAIN_NAME_MAX + 3];	/* the MX/relay name */
};

/* One dispatcher call. */
struct smtp_out_batch {
	struct smtp_out_ctx		*ctx;
	struct queue			*q;
	const struct smtp_out_conf	*conf;
	struct log_session		*ls;
	const char			*target;
	struct queue_item		*items;
	size_t				 n;
	char				**env;		/* envelope addresses */
	bool				*decided;	/* outcome is final */
	char				 helo[DOMAIN_NAME_MAX + 1];
	char				 last_error[QUEUE_TEXT_MAX + 1];
	/* The hosts to try, in order. */
	struct smtp_out_addr		 addrs[SMTP_OUT_ADDRS_MAX];
	size_t				 naddrs;
	struct buf			 trace;		/* this attempt */
	bool				 trace_cut;
	bool				 tls_required;	/* SendEncrypted */
	char				 tls_names[2][DOMAIN_NAME_MAX + 3];
};

/* smtp_out.c */
struct ssl_ctx_st	*smtp_out_tls_ctx(struct smtp_out_ctx *ctx,
			    const char *ca_file, struct error *err_r);
void	smtp_out_set_undecided(struct queue_item *items, const bool *decided,
	    size_t first, size_t last, enum queue_outcome out,
	    const char *text);
bool	smtp_out_listed(const char *list, const char *name);
/* Adds a line to b's trace (cut at SMTP_OUT_TRACE_MAX, then marked). */
void	smtp_out_trace(struct smtp_out_batch *b, const char *fmt, ...)
	    ATTR_FORMAT(2, 3);
/* snprintf that may cut (texts for logs and queue errors). */
void	smtp_out_textf(char *dst, size_t size, const char *fmt, ...)
	    ATTR_FORMAT(3, 4);

/* A connection slot to key ("[ip]:port"): under MaxOutgoingConnections in
 * all and MaxConnectionsPerHost for key; waits up to wait_ms for one.  0,
 * or -1 when none came free (the caller tries another address or leaves
 * the mail queued). */
int	smtp_out_slot_take(const char *key, unsigned max_total,
	    unsigned max_host, int wait_ms);
void	smtp_out_slot_release(const char *key);
/* True while a delivery waits for a slot (then nothing is kept idle). */
bool	smtp_out_slot_contended(void);

/* smtp_out_mime.c: the 8BITMIME downgrade of data into out (RFC 6152):
 * 1 when parts were converted to quoted-printable (out holds the whole
 * message), 0 when there was nothing to convert (use data). */
int	smtp_out_downgrade(const char *data, size_t len, struct buf *out);
/* True when p[0..len) holds a byte >= 0x80. */
bool	smtp_out_has_8bit(const char *p, size_t len);

/* The distinct names of a certificate, ", "-separated, cut to size. */
void	smtp_out_names_text(char **names, char *buf, size_t size);

/* smtp_out_session.c: finds the hosts, connects, sends everything. */
void	smtp_out_deliver(struct smtp_out_batch *b);
/* Closes every idle connection kept for reuse (at shutdown). */
void	smtp_out_idle_flush(void);

/* smtp_out_hosts.c: fills b->addrs (and the TLS policy) from the target,
 * RelayHost and DNS; -1 when the batch is decided already (a permanent or
 * temporary failure set on every item). */
int	smtp_out_hosts(struct smtp_out_batch *b);
/* SendEncrypted: the peer's certificate chains to a trusted CA and names
 * b->tls_names[0] or mx_host.  0, or -1 with b->last_error. */
int	smtp_out_tls_check(struct smtp_out_batch *b, struct conn *c,
	    char **names, const char *peer, const char *mx_host);

#endif
