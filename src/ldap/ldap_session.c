/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_session.c: one LDAP connection (see ldap.h): reading whole
 * messages within LDAP_PDU_MAX, the request dispatcher, simple binds
 * through the shared login code, and the extended operations StartTLS,
 * Who-am-I and Password Modify.
 *
 * A message that cannot be read as an LDAPMessage at all (bad frame, no
 * message ID, an unknown operation) ends the connection with a Notice of
 * Disconnection (RFC 4511 4.4.1) carrying protocolError; a request that is
 * malformed inside gets protocolError (a bound past: adminLimitExceeded)
 * and the session goes on, up to LDAP_ERRORS_MAX of them.
 */
#include "lib/compat.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "auth/auth.h"
#include "directory/directory.h"
#include "core/server.h"
#include "ldap/ldap.h"
#include "ldap/ldap_msg.h"
#include "ldap/ldap_private.h"

struct log_module log_ldap = LOG_MODULE("LDAP");

void
ldap_send(struct ldap_session *s)
{
	if (s->out.len > 0)
		(void)conn_write(s->conn, s->out.data, s->out.len);
	buf_reset(&s->out);
}

unsigned
ldap_result_op(unsigned op)
{
	switch (op) {
	case LDAP_OP_BIND:	return LDAP_OP_BIND_RES;
	case LDAP_OP_SEARCH:	return LDAP_OP_SEARCH_DONE;
	case LDAP_OP_MODIFY:	return LDAP_OP_MODIFY_RES;
	case LDAP_OP_ADD:	return LDAP_OP_ADD_RES;
	case LDAP_OP_DELETE:	return LDAP_OP_DELETE_RES;
	case LDAP_OP_MODDN:	return LDAP_OP_MODDN_RES;
	case LDAP_OP_COMPARE:	return LDAP_OP_COMPARE_RES;
	case LDAP_OP_EXTENDED:	return LDAP_OP_EXTENDED_RES;
	default:		return 0;
	}
}

void
ldap_reply(struct ldap_session *s, const struct ldap_req *r, int rc,
    const char *matched, const char *diag)
{
	unsigned op = ldap_result_op(r->op);

	if (op == LDAP_OP_EXTENDED_RES)
		ldap_enc_extended(&s->out, r->msgid, rc, diag, NULL, NULL, 0);
	else if (op != 0)
		ldap_enc_result(&s->out, r->msgid, op, rc, matched, diag, NULL,
		    NULL, 0);
	ldap_send(s);
}

/* Reads (and drops) what the client has already sent, at most
 * LDAP_DRAIN_MAX bytes without waiting: closing a socket with unread
 * bytes sends a reset, which can destroy the notice before the client
 * reads it. */
static void
drain_input(struct ldap_session *s)
{
	unsigned char scratch[4096];
	struct pollfd pfd;
	size_t total = 0;
	ssize_t n;

	while (total < LDAP_DRAIN_MAX) {
		if (!conn_input_buffered(s->conn)) {
			pfd.fd = conn_fd(s->conn);
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, 0) <= 0)
				return;
		}
		if ((n = conn_read(s->conn, scratch, sizeof(scratch))) <= 0)
			return;
		total += (size_t)n;
	}
}

/* True when the client has sent bytes not read yet (no wait). */
static bool
input_waiting(struct ldap_session *s)
{
	struct pollfd pfd;

	if (conn_input_buffered(s->conn))
		return true;
	pfd.fd = conn_fd(s->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) != 0;
}

/* RFC 4511 4.4.1: the unsolicited notice before the server closes. */
static void
notice_of_disconnection(struct ldap_session *s, int rc, const char *diag)
{
	ldap_enc_extended(&s->out, 0, rc, diag, LDAP_OID_NOTICE, NULL, 0);
	ldap_send(s);
	(void)conn_flush(s->conn);
	drain_input(s);
	s->quit = true;
}

/*
 * Reads one whole message into *p_r (allocated).  1: read; 0: the
 * connection ended (EOF, time-out, error: logged); -1: not an LDAP
 * message or too long (the notice is sent).
 */
static int
read_msg(struct ldap_session *s, unsigned char **p_r, size_t *len_r)
{
	unsigned char hdr[10], *p;
	size_t hlen = 2, total;
	struct error err;
	int rc;

	if (conn_read_full(s->conn, hdr, 2) == -1)
		goto eof;
	/* up to 8 length bytes are read (ldap_frame() refuses more than
	 * 4), so the notice is not lost to a reset over unread bytes */
	if ((hdr[1] & 0x80) && (hdr[1] & 0x7f) <= 8 && (hdr[1] & 0x7f) > 0) {
		if (conn_read_full(s->conn, hdr + 2, hdr[1] & 0x7f) == -1)
			goto eof;
		hlen += hdr[1] & 0x7f;
	}
	rc = ldap_frame(hdr, hlen, &total, &err);
	if (rc != 1) {
		if (rc == 0)
			error_set(&err, ERR_SYNTAX, "bad message length");
		log_ses(&s->log, LOG_PROBLEM, "bad request: %s", err.msg);
		notice_of_disconnection(s, LDAP_RC_PROTOCOL_ERROR, err.msg);
		return -1;
	}
	p = xmalloc(total);
	memcpy(p, hdr, hlen);
	if (total > hlen && conn_read_full(s->conn, p + hlen, total - hlen) ==
	    -1) {
		free(p);
		goto eof;
	}
	*p_r = p;
	*len_r = total;
	return 1;
eof:
	if (conn_timed_out(s->conn))
		log_ses(&s->log, LOG_PROBLEM, "read failed. Error Code=%s",
		    conn_last_error(s->conn));
	else if (*conn_last_error(s->conn) != '\0')
		log_ses(&s->log, LOG_LOW, "%s", conn_last_error(s->conn));
	else
		log_ses(&s->log, LOG_LOW, "peer closed the connection");
	return 0;
}

bool
ldap_abandoned(struct ldap_session *s, int msgid)
{
	struct pollfd pfd;
	struct ldap_req r;
	struct error err;
	unsigned char *p;
	size_t len;
	bool hit = false;

	if (s->npend == LDAP_PENDING_MAX)
		return false;
	if (!conn_input_buffered(s->conn)) {
		pfd.fd = conn_fd(s->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return false;
	}
	if (read_msg(s, &p, &len) != 1) {
		s->quit = true;
		return true;
	}
	memset(&r, 0, sizeof(r));
	if (ldap_msg_decode(p, len, &r, &err) == 0 &&
	    (r.op == LDAP_OP_ABANDON || r.op == LDAP_OP_UNBIND)) {
		if (r.op == LDAP_OP_UNBIND)
			s->quit = hit = true;
		else if (r.abandon_id == msgid) {
			log_ses(&s->log, LOG_LOW, "request %d abandoned",
			    msgid);
			hit = true;
		}
		free(p);
	} else {
		/* anything else waits until the search is done */
		s->pend[s->npend].p = p;
		s->pend[s->npend++].len = len;
	}
	ldap_req_clear(&r);
	return hit;
}

/* ---- bind ---------------------------------------------------------------------- */

bool
ldap_account_dn(const char *dn, char *name, size_t nsize, char *domain,
    size_t dsize)
{
	char ndn[DIR_DN_MAX + 1];
	const char *c;
	size_t n;

	if (dir_dn_normalize(dn, ndn, sizeof(ndn), NULL) == -1 ||
	    strncmp(ndn, "uid=", 4) != 0 || (c = strchr(ndn, ',')) == NULL ||
	    strncmp(c + 1, "cn=", 3) != 0 || strchr(c + 1, ',') != NULL ||
	    strchr(ndn, '\\') != NULL || strchr(ndn, '+') != NULL)
		return false;
	n = (size_t)(c - ndn - 4);
	if (n == 0 || n >= nsize || strlen(c + 4) == 0 ||
	    strlen(c + 4) >= dsize)
		return false;
	memcpy(name, ndn + 4, n);
	name[n] = '\0';
	(void)snprintf(domain, dsize, "%s", c + 4);
	return true;
}

static void
peer_of(struct ldap_session *s, struct auth_peer *peer)
{
	peer->local = (const struct sockaddr *)conn_local_addr(s->conn);
	peer->remote = (const struct sockaddr *)conn_peer_addr(s->conn);
	peer->tls = conn_is_tls(s->conn);
	peer->service = "LDAP";
	peer->log = &s->log;
}

/* The login name a bind DN stands for: an account DN, a record with a
 * mail attribute, or a plain account name. */
static bool
login_name(struct ldap_session *s, const char *dn, char *buf, size_t size)
{
	char name[OBJECT_NAME_MAX + 1], dom[DOMAIN_NAME_MAX + 1];
	struct dir_entry *e;
	const char *mail;

	if (strchr(dn, '=') == NULL) {
		(void)snprintf(buf, size, "%s", dn);
		return true;
	}
	if (ldap_account_dn(dn, name, sizeof(name), dom, sizeof(dom))) {
		(void)snprintf(buf, size, "%s@%s", name, dom);
		return true;
	}
	if ((e = directory_get(s->srv->directory, dn, NULL)) == NULL)
		return false;
	mail = dir_entry_get(e, "mail");
	if (mail != NULL)
		(void)snprintf(buf, size, "%s", mail);
	dir_entry_free(&e);
	return mail != NULL;
}

/*
 * SASL PLAIN (RFC 4616) in one step: the credentials are
 * "authzid NUL authcid NUL password"; an authzid other than the authcid
 * is refused (no proxy authorization).  0 with the name and password,
 * -1 when malformed.
 */
static int
sasl_plain(const struct ldap_req *r, char *name, size_t nsize, char *pw,
    size_t psize)
{
	const char *p = r->password, *end, *z1, *z2;
	size_t zl, nl, pl;

	if (p == NULL || r->pwlen == 0)
		return -1;
	end = p + r->pwlen;
	if ((z1 = memchr(p, '\0', r->pwlen)) == NULL ||
	    (z2 = memchr(z1 + 1, '\0', (size_t)(end - z1 - 1))) == NULL ||
	    memchr(z2 + 1, '\0', (size_t)(end - z2 - 1)) != NULL)
		return -1;
	zl = (size_t)(z1 - p);
	nl = (size_t)(z2 - z1 - 1);
	pl = (size_t)(end - z2 - 1);
	if (nl == 0 || pl == 0 || nl >= nsize || pl >= psize ||
	    (zl > 0 && (zl != nl || memcmp(p, z1 + 1, nl) != 0)))
		return -1;
	memcpy(name, z1 + 1, nl);
	name[nl] = '\0';
	memcpy(pw, z2 + 1, pl);
	pw[pl] = '\0';
	return 0;
}

static void
do_bind(struct ldap_session *s, struct ldap_req *r)
{
	char name[ADDRESS_MAX + 1], pw[PASSWORD_MAX + 1];
	struct auth_result res;
	struct auth_peer peer;
	struct error err;
	int rc;

	/* RFC 4513 5: a bind starts from anonymous */
	s->bound = s->master = false;
	s->binddn[0] = '\0';
	if (r->version != 3 && r->version != 2) {
		ldap_reply(s, r, LDAP_RC_PROTOCOL_ERROR, "", "only LDAP "
		    "version 3 (and 2) is supported");
		return;
	}
	if (r->sasl && strcasecmp(r->mech, "PLAIN") != 0) {
		ldap_reply(s, r, LDAP_RC_AUTH_METHOD, "", "SASL mechanism not "
		    "supported; PLAIN is");
		return;
	}
	if (!r->sasl && *r->dn == '\0' && r->pwlen == 0) {
		if (!s->conf->allow_anonymous) {
			ldap_reply(s, r, LDAP_RC_INAPPROPRIATE_AUTH, "",
			    "anonymous binds are not allowed");
			return;
		}
		log_ses(&s->log, LOG_LOW, "anonymous bind");
		ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
		return;
	}
	if (!r->sasl && r->pwlen == 0) {
		/* RFC 4513 5.1.2: unauthenticated binds */
		ldap_reply(s, r, LDAP_RC_UNWILLING, "", "a bind with a name "
		    "needs a password");
		return;
	}
	peer_of(s, &peer);
	if (!auth_clear_text_ok(s->srv, &peer)) {
		ldap_reply(s, r, LDAP_RC_CONFIDENTIALITY, "", "clear text "
		    "passwords need TLS (StartTLS or ldaps)");
		return;
	}
	if (r->sasl) {
		if (sasl_plain(r, name, sizeof(name), pw, sizeof(pw)) == -1) {
			ldap_reply(s, r, LDAP_RC_PROTOCOL_ERROR, "",
			    "malformed PLAIN credentials");
			return;
		}
	} else if (r->pwlen >= sizeof(pw) ||
	    memchr(r->password, '\0', r->pwlen) != NULL) {
		log_ses(&s->log, LOG_PROBLEM, "bind as '%.100s' failed: bad "
		    "password form", r->dn);
		ldap_reply(s, r, LDAP_RC_INVALID_CREDENTIALS, "",
		    AUTH_GENERIC_ERROR);
		return;
	} else {
		/* A DN that names no account (cn=admin,dc=...) still goes
		 * through the shared login code under its own text, which
		 * finds no such account: its failures count for failed-login
		 * flow control like any other name's. */
		if (!login_name(s, r->dn, name, sizeof(name)))
			(void)snprintf(name, sizeof(name), "%s", r->dn);
		(void)snprintf(pw, sizeof(pw), "%s", r->password);
	}
	rc = auth_login(s->srv, &peer, name, pw, &res, &err);
	explicit_bzero(pw, sizeof(pw));
	if (rc == -1) {
		rc = err.kind == ERR_AUTH ? LDAP_RC_INVALID_CREDENTIALS :
		    err.kind == ERR_PERM ? LDAP_RC_INVALID_CREDENTIALS :
		    err.kind == ERR_LIMIT ? LDAP_RC_UNWILLING : LDAP_RC_OTHER;
		log_ses(&s->log, LOG_PROBLEM, "bind as '%.100s' failed: %s",
		    name, err.msg);
		ldap_reply(s, r, rc, "", err.msg);
		return;
	}
	s->bound = true;
	s->master = res.master;
	(void)snprintf(s->account, sizeof(s->account), "%s", res.account);
	(void)snprintf(s->domain, sizeof(s->domain), "%s", res.domain);
	(void)snprintf(s->binddn, sizeof(s->binddn), "uid=%s,cn=%s",
	    res.account, res.domain);
	(void)snprintf(s->log.context, sizeof(s->log.context), "%s(%.60s)",
	    conn_peer_text(s->conn), res.address);
	log_ses(&s->log, LOG_MAJOR, "%s logged in%s%s", res.address,
	    r->sasl ? " (SASL PLAIN)" : "",
	    res.master ? " (administrator)" : "");
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
}

/* ---- extended operations ----------------------------------------------------------- */

static void
do_starttls(struct ldap_session *s, struct ldap_req *r)
{
	struct ssl_ctx_st *ctx = listener_tls_ctx("ldap");
	struct error err;

	if (conn_is_tls(s->conn)) {
		ldap_reply(s, r, LDAP_RC_OPERATIONS_ERROR, "", "TLS is already "
		    "active");
		return;
	}
	if (ctx == NULL) {
		ldap_reply(s, r, LDAP_RC_UNAVAILABLE, "", "TLS is not "
		    "available");
		return;
	}
	/* RFC 4511 4.14.1, RFC 4513 3.1.1: nothing may follow the request
	 * before TLS; what did (read ahead, buffered or already in the
	 * socket) is neither answered in the clear nor run after TLS */
	if (conn_pending_input(s->conn) != 0 || s->npend != 0 ||
	    input_waiting(s)) {
		log_ses(&s->log, LOG_PROBLEM, "StartTLS refused: requests "
		    "pipelined after it; closing");
		ldap_reply(s, r, LDAP_RC_OPERATIONS_ERROR, "", "requests "
		    "pipelined after StartTLS");
		(void)conn_flush(s->conn);
		drain_input(s);
		s->quit = true;
		return;
	}
	ldap_enc_extended(&s->out, r->msgid, LDAP_RC_SUCCESS, "",
	    LDAP_OID_STARTTLS, NULL, 0);
	ldap_send(s);
	if (conn_starttls(s->conn, ctx, &err) == -1) {
		log_ses(&s->log, LOG_PROBLEM, "StartTLS failed: %s", err.msg);
		s->quit = true;
		return;
	}
	log_ses(&s->log, LOG_LOW, "TLS started: %s", conn_tls_info(s->conn));
}

static void
do_whoami(struct ldap_session *s, struct ldap_req *r)
{
	char id[DIR_DN_MAX + 8];

	if (s->bound)
		(void)snprintf(id, sizeof(id), "dn:%s", s->binddn);
	else
		id[0] = '\0';
	ldap_enc_extended(&s->out, r->msgid, LDAP_RC_SUCCESS, "", NULL, id,
	    strlen(id));
	ldap_send(s);
}

/* RFC 3062: change the bound account's password, or (an administrator)
 * any account's. */
static void
do_passwd(struct ldap_session *s, struct ldap_req *r)
{
	char name[OBJECT_NAME_MAX + 1], dom[DOMAIN_NAME_MAX + 1];
	char *user = NULL, *old = NULL, *nw = NULL;
	struct error err;

	if (!s->bound) {
		ldap_reply(s, r, LDAP_RC_UNWILLING, "", "bind first");
		return;
	}
	if (ldap_dec_passwd_value(r->password, r->pwlen, &user, &old, &nw,
	    &err) == -1) {
		ldap_reply(s, r, LDAP_RC_PROTOCOL_ERROR, "", err.msg);
		goto out;
	}
	(void)snprintf(name, sizeof(name), "%s", s->account);
	(void)snprintf(dom, sizeof(dom), "%s", s->domain);
	if (user != NULL && *user != '\0') {
		if (strchr(user, '=') != NULL) {
			if (!ldap_account_dn(user, name, sizeof(name), dom,
			    sizeof(dom))) {
				ldap_reply(s, r, LDAP_RC_NO_SUCH_OBJECT, "",
				    "not an account DN");
				goto out;
			}
		} else if (objects_account_find(s->srv->objects, user, NULL,
		    name, sizeof(name), dom, sizeof(dom), NULL) == -1) {
			ldap_reply(s, r, LDAP_RC_NO_SUCH_OBJECT, "",
			    "unknown account");
			goto out;
		}
	}
	if (!s->master && (strcasecmp(name, s->account) != 0 ||
	    strcasecmp(dom, s->domain) != 0)) {
		ldap_reply(s, r, LDAP_RC_INSUFFICIENT_ACCESS, "", "only an "
		    "administrator may change another account's password");
		goto out;
	}
	if (!s->master && old != NULL && objects_check_password(
	    s->srv->objects, name, dom, old, NULL) == -1) {
		ldap_reply(s, r, LDAP_RC_INVALID_CREDENTIALS, "",
		    "the old password is not right");
		goto out;
	}
	if (nw == NULL || *nw == '\0') {
		ldap_reply(s, r, LDAP_RC_UNWILLING, "", "a new password must "
		    "be given");
		goto out;
	}
	if (objects_set_password(s->srv->objects, name, dom, nw, &err) ==
	    -1) {
		ldap_reply(s, r, err.kind == ERR_NOTFOUND ?
		    LDAP_RC_NO_SUCH_OBJECT : LDAP_RC_OTHER, "", err.msg);
		goto out;
	}
	log_ses(&s->log, LOG_MAJOR, "password of %s@%s changed", name, dom);
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
out:
	if (old != NULL)
		explicit_bzero(old, strlen(old));
	if (nw != NULL)
		explicit_bzero(nw, strlen(nw));
	free(user);
	free(old);
	free(nw);
}

static void
do_extended(struct ldap_session *s, struct ldap_req *r)
{
	if (strcmp(r->oid, LDAP_OID_STARTTLS) == 0)
		do_starttls(s, r);
	else if (strcmp(r->oid, LDAP_OID_WHOAMI) == 0)
		do_whoami(s, r);
	else if (strcmp(r->oid, LDAP_OID_PASSWD) == 0)
		do_passwd(s, r);
	else
		/* RFC 4511 4.12 */
		ldap_reply(s, r, LDAP_RC_PROTOCOL_ERROR, "", "unsupported "
		    "extended operation");
}

/* ---- the dispatcher --------------------------------------------------------------- */

/* RFC 4511 4.1.11: a critical control we do not know fails the request. */
static bool
controls_ok(struct ldap_session *s, struct ldap_req *r)
{
	size_t i;

	for (i = 0; i < r->ncontrols; i++) {
		if (!r->controls[i].critical)
			continue;
		if (r->op == LDAP_OP_SEARCH &&
		    (strcmp(r->controls[i].oid, LDAP_OID_PAGED) == 0 ||
		    strcmp(r->controls[i].oid, LDAP_OID_SORT) == 0 ||
		    strcmp(r->controls[i].oid, LDAP_OID_VLV) == 0))
			continue;
		log_ses(&s->log, LOG_LOW, "critical control %.64s refused",
		    r->controls[i].oid);
		ldap_reply(s, r, LDAP_RC_UNAVAILABLE_CRITICAL, "", "critical "
		    "control is not supported");
		return false;
	}
	return true;
}

static void
dispatch(struct ldap_session *s, const unsigned char *p, size_t len)
{
	struct ldap_req r;
	struct error err;

	memset(&r, 0, sizeof(r));
	if (ldap_msg_decode(p, len, &r, &err) == -1) {
		log_ses(&s->log, LOG_PROBLEM, "bad request: %s", err.msg);
		if (r.msgid <= 0 || ldap_result_op(r.op) == 0) {
			if (r.op != LDAP_OP_ABANDON && r.op != LDAP_OP_UNBIND)
				notice_of_disconnection(s,
				    LDAP_RC_PROTOCOL_ERROR, err.msg);
			else
				s->errors++;
		} else {
			ldap_reply(s, &r, err.kind == ERR_LIMIT ?
			    LDAP_RC_ADMINLIMIT : LDAP_RC_PROTOCOL_ERROR, "",
			    err.msg);
			s->errors++;
		}
		ldap_req_clear(&r);
		return;
	}
	if (r.op != LDAP_OP_UNBIND && r.op != LDAP_OP_ABANDON &&
	    !controls_ok(s, &r)) {
		ldap_req_clear(&r);
		return;
	}
	switch (r.op) {
	case LDAP_OP_BIND:
		do_bind(s, &r);
		break;
	case LDAP_OP_UNBIND:
		log_ses(&s->log, LOG_LOW, "unbind");
		s->quit = true;
		break;
	case LDAP_OP_SEARCH:
		ldap_do_search(s, &r);
		break;
	case LDAP_OP_COMPARE:
		ldap_do_compare(s, &r);
		break;
	case LDAP_OP_ABANDON:
		break;			/* nothing runs between requests */
	case LDAP_OP_EXTENDED:
		do_extended(s, &r);
		break;
	case LDAP_OP_ADD:
		ldap_do_add(s, &r);
		break;
	case LDAP_OP_DELETE:
		ldap_do_delete(s, &r);
		break;
	case LDAP_OP_MODIFY:
		ldap_do_modify(s, &r);
		break;
	case LDAP_OP_MODDN:
		ldap_do_moddn(s, &r);
		break;
	default:
		break;
	}
	ldap_req_clear(&r);
}

static void ldap_resume(struct conn *c, void *arg, enum park_event why);

/*
 * Waits for the next request, at most HibernateAfter, then parks the
 * session (docs/architecture.md, Hibernation): only between requests,
 * after the first one (before it the listener's pre-login time-out and
 * shedding watch the thread), with no request read ahead and nothing
 * buffered.  A search runs inside dispatch(), so it never parks midway.
 * True when parked: the caller returns without touching s.
 */
static bool
wait_or_park(struct ldap_session *s)
{
	if (s->first || s->npend > 0)
		return false;
	return listener_park_when_idle(s->conn, s->hibernate_ms,
	    LDAP_IDLE_TIMEOUT_MS, ldap_resume, s);
}

/* Runs the session from its "waiting for the next request" point until it
 * ends (then frees it) or parks. */
static void
session_loop(struct ldap_session *s)
{
	struct conn *c = s->conn;
	unsigned char *p;
	size_t len, i;

	while (!s->quit) {
		if (s->npend > 0) {
			p = s->pend[0].p;
			len = s->pend[0].len;
			memmove(&s->pend[0], &s->pend[1], (s->npend - 1) *
			    sizeof(s->pend[0]));
			s->npend--;
		} else if (wait_or_park(s))
			return;
		else if (read_msg(s, &p, &len) != 1)
			break;
		dispatch(s, p, len);
		free(p);
		(void)conn_flush(c);
		/* The first request read: the listener's pre-login
		 * time-out and shedding end (an address book's anonymous
		 * search is all many clients ever do). */
		if (s->first) {
			s->first = false;
			conn_set_deadline(c, 0, NULL);
			conn_set_sheddable(c, false);
		}
		if (s->errors >= LDAP_ERRORS_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "too many errors");
			notice_of_disconnection(s, LDAP_RC_UNWILLING,
			    "too many errors, closing");
		}
	}
	(void)conn_flush(c);
	for (i = 0; i < s->npend; i++)
		free(s->pend[i].p);
	log_ses(&s->log, LOG_LOW, "closing connection");
	ldap_vlv_free(&s->vlv);
	buf_free(&s->out);
	settings_snap_unref(&s->settings);
	free(s);
}

/* A parked session woken: input goes on in the loop; shutdown sends the
 * Notice of Disconnection (RFC 4511 4.4.1, unavailable); the idle
 * time-out closes as an idle read would. */
static void
ldap_resume(struct conn *c, void *arg, enum park_event why)
{
	struct ldap_session *s = arg;

	(void)c;
	if (why == PARK_SHUTDOWN) {
		log_ses(&s->log, LOG_LOW, "server shutdown; closing");
		notice_of_disconnection(s, LDAP_RC_UNAVAILABLE,
		    "server shutting down");
	} else if (why == PARK_TIMEOUT) {
		log_ses(&s->log, LOG_PROBLEM, "read failed. Error Code=read "
		    "time-out");
		s->quit = true;
	}
	session_loop(s);
}

static void
session_run(struct server *srv, struct conn *c)
{
	struct ldap_session *s = xcalloc(1, sizeof(*s));
	unsigned left;

	s->srv = srv;
	s->conn = c;
	s->first = true;
	buf_init(&s->out, 2 * (size_t)LDAP_PDU_MAX);
	log_session_init(&s->log, &log_ldap, conn_peer_text(c));
	if (objects_iplist_match(srv->objects, OBJ_IPS_DEBUG,
	    (const struct sockaddr *)conn_peer_addr(c)))
		s->log.force_level = LOG_ALL;
	s->settings = objects_settings_get(srv->objects, "LDAP",
	    &ldap_settings_table);
	s->conf = settings_snap_conf(s->settings);
	s->hibernate_ms = (int64_t)s->conf->hibernate_after * 1000;
	conn_set_timeouts(c, LDAP_IDLE_TIMEOUT_MS, LDAP_WRITE_TIMEOUT_MS);
	log_ses(&s->log, LOG_LOW, "connected to %s%s", conn_local_text(c),
	    conn_is_tls(c) ? " (TLS)" : "");
	if (auth_tempbl_refuse(srv, (const struct sockaddr *)
	    conn_peer_addr(c), &left)) {
		log_ses(&s->log, LOG_PROBLEM, "connection refused: address is "
		    "temporarily blacklisted (%u s left)", left);
		notice_of_disconnection(s, LDAP_RC_UNAVAILABLE,
		    AUTH_BLACKLISTED_ERROR);
	}
	session_loop(s);
}

static void
ldap_handler(struct conn *c, void *arg)
{
	session_run(arg, c);
}

static void
ldap_refuse(struct conn *c, const char *why)
{
	struct buf out;

	buf_init(&out, 4096);
	ldap_enc_extended(&out, 0, LDAP_RC_BUSY, why, LDAP_OID_NOTICE, NULL,
	    0);
	(void)conn_write(c, out.data, out.len);
	(void)conn_flush(c);
	buf_free(&out);
}

int
ldap_register(struct server *srv, struct error *err_r)
{
	log_register(&log_ldap);
	if (srv->directory == NULL)
		return error_set(err_r, ERR_INTERNAL, "LDAP: no directory");
	if (listener_register("ldap", ldap_handler, ldap_refuse, srv,
	    &log_ldap, err_r) < 0 ||
	    listener_register("ldaps", ldap_handler, ldap_refuse, srv,
	    &log_ldap, err_r) < 0)
		return -1;
	return 0;
}
