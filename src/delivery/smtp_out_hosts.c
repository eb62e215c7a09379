/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_hosts.c: which addresses a batch is sent to, and the TLS policy
 * for them.
 *
 * The destination is RelayHost when set, else the queue's target.  A
 * destination with a port ("host:2525", "[10.0.0.9]:2525") or an address
 * literal ("[10.0.0.9]") is used as it is: no MX lookup (CGP HowTo).  A
 * plain domain gets its MX records (preference order, equal preferences
 * shuffled by the DNR), each MX's addresses in turn (AAAA, then A); no MX
 * records -> the domain's own addresses (RFC 5321 5.1); a null MX (RFC
 * 7505) fails at once.  An address of this server (the interface list, on
 * port 25) ends the list: only MXes preferred to this server are used, and
 * none left means a mail loop, a permanent failure.
 *
 * SendEncrypted lists hosts and domains that get TLS or nothing: the
 * destination or the relay name.  The certificate must chain to a trusted
 * CA (system, or TrustedCAFile) and name the destination or the MX/relay
 * host the connection was made to (B7).
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/server.h"
#include "delivery/smtp_out_private.h"
#include "lib/log.h"
#include "net/conn.h"
#include "net/tls.h"
#include "objects/objects.h"

/* The words of a DNR status (dnr_status_text() without linking the DNR
 * into the fakes of the tests). */
static const char *
status_text(enum dnr_status st)
{
	switch (st) {
	case DNR_OK:
		return "ok";
	case DNR_NOTFOUND:
		return "host name is unknown";
	case DNR_NODATA:
		return "no records of that type";
	case DNR_TEMPFAIL:
		return "no answer from the DNS servers (time-out)";
	case DNR_ERROR:
	default:
		return "DNS error";
	}
}

static void
fail_all(struct smtp_out_batch *b, enum queue_outcome out, const char *text)
{
	smtp_out_trace(b, "%s", text);
	smtp_out_textf(b->last_error, sizeof(b->last_error), "%s", text);
	smtp_out_set_undecided(b->items, b->decided, 0, b->n, out, text);
	log_ses(b->ls, out == QUEUE_OUT_PERMFAIL ? LOG_PROBLEM : LOG_LOW,
	    "%zu recipient(s) %s: %s", b->n, out == QUEUE_OUT_PERMFAIL ?
	    "failed" : "delayed", text);
}

static void
sa_ip(const struct sockaddr_storage *ss, char *ip, size_t size)
{
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    ip, (socklen_t)size);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    ip, (socklen_t)size);
}

/* True when ip:port is this server: an interface address, 127.0.0.1,
 * ::1 or 0.0.0.0, on port 25.  The rest of 127.0.0.0/8 is not taken for
 * this server here (other servers listen there on one host, as in the
 * tests); a loop through such an address is still caught by the greeting
 * (smtp_out_session.c). */
static bool
is_self(struct smtp_out_batch *b, const char *ip, unsigned port)
{
	if (port != 25)
		return false;
	if (strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ||
	    strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0)
		return true;
	if (strncmp(ip, "127.", 4) == 0)
		return false;
	return objects_is_local_ip(b->ctx->srv->objects, ip);
}

/* 1 added, 0 full, -1 the address is this server. */
static int
add_addr(struct smtp_out_batch *b, const char *ip, unsigned port,
    const char *host)
{
	struct smtp_out_addr *a;

	if (is_self(b, ip, port)) {
		smtp_out_trace(b, "address [%s]:%u (%s) is this server: the "
		    "list ends here", ip, port, host);
		return -1;
	}
	if (b->naddrs >= SMTP_OUT_ADDRS_MAX)
		return 0;
	smtp_out_trace(b, "address [%s]:%u (%s)", ip, port, host);
	a = &b->addrs[b->naddrs++];
	snprintf(a->ip, sizeof(a->ip), "%s", ip);
	a->port = port;
	snprintf(a->host, sizeof(a->host), "%s", host);
	return 1;
}

/* The A/AAAA addresses of host.  Returns the DNR status; -1 in *self_r
 * when one of them is this server (the rest are not added). */
static enum dnr_status
add_host(struct smtp_out_batch *b, const char *host, unsigned port,
    bool *self_r)
{
	struct sockaddr_storage ss[DNR_ADDR_MAX * 2];
	struct error err;
	enum dnr_status st;
	char ip[64];
	size_t i, n = 0;

	error_clear(&err);
	st = b->ctx->res.addrs(host, AF_UNSPEC, ss, N_ELEMENTS(ss), &n, &err);
	if (st != DNR_OK)
		return st;
	for (i = 0; i < n; i++) {
		sa_ip(&ss[i], ip, sizeof(ip));
		if (add_addr(b, ip, port, host) < 0) {
			*self_r = true;
			break;
		}
	}
	return n > 0 ? DNR_OK : DNR_NODATA;
}

static int
lookup_error(struct smtp_out_batch *b, const char *what, const char *name,
    enum dnr_status st)
{
	char text[QUEUE_TEXT_MAX + 1];

	if (st == DNR_NOTFOUND) {
		smtp_out_textf(text, sizeof(text), "5.1.2 %s: host name is unknown",
		    name);
		fail_all(b, QUEUE_OUT_PERMFAIL, text);
	} else if (st == DNR_NODATA) {
		smtp_out_textf(text, sizeof(text), "5.1.2 %s: no address records",
		    name);
		fail_all(b, QUEUE_OUT_PERMFAIL, text);
	} else {
		smtp_out_textf(text, sizeof(text), "%s lookup of %s: %s", what, name,
		    status_text(st));
		fail_all(b, QUEUE_OUT_TEMPFAIL, text);
	}
	return -1;
}

static int
mx_hosts(struct smtp_out_batch *b, const char *domain)
{
	struct dnr_mx mx[DNR_MX_MAX];
	struct error err;
	enum dnr_status st;
	char text[QUEUE_TEXT_MAX + 1];
	size_t i, n = 0;
	bool self = false;

	error_clear(&err);
	st = b->ctx->res.mx(domain, mx, N_ELEMENTS(mx), &n, &err);
	if (st == DNR_NODATA || (st == DNR_OK && n == 0)) {
		/* RFC 5321 5.1: the domain itself is the implicit MX. */
		log_ses(b->ls, LOG_LOW, "%s has no MX records; using its "
		    "address", domain);
		smtp_out_trace(b, "no MX records for %s: its own address",
		    domain);
		st = add_host(b, domain, 25, &self);
		if (st != DNR_OK && !self)
			return lookup_error(b, "address", domain, st);
	} else if (st != DNR_OK)
		return lookup_error(b, "MX", domain, st);
	else if (n == 1 && (strcmp(mx[0].host, ".") == 0 ||
	    mx[0].host[0] == '\0')) {
		smtp_out_textf(text, sizeof(text), "556 5.1.10 %s accepts no mail "
		    "(null MX, RFC 7505)", domain);
		fail_all(b, QUEUE_OUT_PERMFAIL, text);
		return -1;
	} else {
		for (i = 0; i < n && !self; i++) {
			if (strcmp(mx[i].host, ".") == 0)
				continue;
			log_ses(b->ls, LOG_ALL, "MX %u %s", mx[i].pref,
			    mx[i].host);
			smtp_out_trace(b, "MX %u %s", mx[i].pref, mx[i].host);
			st = add_host(b, mx[i].host, 25, &self);
			if (st != DNR_OK && !self)
				log_ses(b->ls, LOG_PROBLEM, "MX %s of %s: %s",
				    mx[i].host, domain, status_text(st));
		}
		if (b->naddrs == 0 && !self) {
			smtp_out_textf(text, sizeof(text), "no address for any MX "
			    "host of %s", domain);
			fail_all(b, QUEUE_OUT_TEMPFAIL, text);
			return -1;
		}
	}
	if (b->naddrs == 0 && self) {
		smtp_out_textf(text, sizeof(text), "5.4.6 mail for %s loops back to "
		    "this server (its MX or address is ours)", domain);
		fail_all(b, QUEUE_OUT_PERMFAIL, text);
		return -1;
	}
	return 0;
}

int
smtp_out_hosts(struct smtp_out_batch *b)
{
	const struct smtp_out_conf *conf = b->conf;
	const char *dest = conf->relay_host[0] != '\0' ? conf->relay_host :
	    b->target;
	char host[DOMAIN_NAME_MAX + 3], text[QUEUE_TEXT_MAX + 1];
	unsigned port;
	bool literal, self = false;
	enum dnr_status st;

	if (smtp_out_parse_target(dest, host, sizeof(host), &port,
	    &literal) < 0) {
		smtp_out_textf(text, sizeof(text), "bad %s \"%s\"", dest == b->target ?
		    "destination" : "RelayHost", dest);
		fail_all(b, dest == b->target ? QUEUE_OUT_PERMFAIL :
		    QUEUE_OUT_TEMPFAIL, text);
		return -1;
	}
	snprintf(b->tls_names[0], sizeof(b->tls_names[0]), "%s", host);
	b->tls_required = smtp_out_listed(conf->send_encrypted, host) ||
	    smtp_out_listed(conf->send_encrypted, b->target);
	if (b->tls_required) {
		log_ses(b->ls, LOG_LOW, "TLS required (%s is in SendEncrypted)",
		    smtp_out_listed(conf->send_encrypted, host) ? host :
		    b->target);
		smtp_out_trace(b, "TLS policy: required, verified, names %s "
		    "or the MX/relay host (%s is in SendEncrypted)", host,
		    smtp_out_listed(conf->send_encrypted, host) ? host :
		    b->target);
	} else
		smtp_out_trace(b, "TLS policy: opportunistic (%s is not in "
		    "SendEncrypted)", host);
	if (literal) {
		if (add_addr(b, host, port != 0 ? port : 25, host) < 0) {
			smtp_out_textf(text, sizeof(text), "5.4.6 [%s] is this "
			    "server: mail loop", host);
			fail_all(b, QUEUE_OUT_PERMFAIL, text);
			return -1;
		}
		return 0;
	}
	if (b->ctx->res.mx == NULL || b->ctx->res.addrs == NULL) {
		smtp_out_textf(text, sizeof(text), "cannot resolve %s: no resolver",
		    host);
		fail_all(b, QUEUE_OUT_TEMPFAIL, text);
		return -1;
	}
	if (port != 0) {
		st = add_host(b, host, port, &self);
		if (st != DNR_OK && !self)
			return lookup_error(b, "address", host, st);
		if (b->naddrs == 0) {
			smtp_out_textf(text, sizeof(text), "5.4.6 %s:%u is this "
			    "server: mail loop", host, port);
			fail_all(b, QUEUE_OUT_PERMFAIL, text);
			return -1;
		}
		return 0;
	}
	return mx_hosts(b, host);
}

int
smtp_out_tls_check(struct smtp_out_batch *b, struct conn *c, char **names,
    const char *peer, const char *mx_host)
{
	struct x509_st *cert = conn_peer_cert(c);
	char list[160];

	if (cert == NULL) {
		smtp_out_textf(b->last_error, sizeof(b->last_error), "%s presented "
		    "no certificate (SendEncrypted)", peer);
		return -1;
	}
	if (tls_cert_matches(cert, b->tls_names[0]) ||
	    (mx_host[0] != '\0' && tls_cert_matches(cert, mx_host))) {
		if (conn_tls_verify_ok(c))
			return 0;
		smtp_out_textf(b->last_error, sizeof(b->last_error), "the "
		    "certificate of %s is not signed by a trusted CA "
		    "(SendEncrypted)", peer);
		return -1;
	}
	smtp_out_names_text(names, list, sizeof(list));
	smtp_out_textf(b->last_error, sizeof(b->last_error), "TLS certificate name "
	    "mismatch at %s: expected %s%s%s, presented %s", peer,
	    b->tls_names[0], strcmp(mx_host, b->tls_names[0]) != 0 ? " or " :
	    "", strcmp(mx_host, b->tls_names[0]) != 0 ? mx_host : "",
	    list[0] != '\0' ? list : "no names");
	return -1;
}

void
smtp_out_names_text(char **names, char *buf, size_t size)
{
	size_t i, j, len = 0;

	buf[0] = '\0';
	for (i = 0; names != NULL && names[i] != NULL && len < size; i++) {
		for (j = 0; j < i && strcasecmp(names[j], names[i]) != 0; j++)
			;
		if (j < i)
			continue;	/* the CN repeats a subjectAltName */
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    len > 0 ? ", " : "", names[i]);
	}
}
