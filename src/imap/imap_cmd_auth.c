/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_auth.c: commands valid in any state and before login --
 * CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), ENABLE (RFC 5161), STARTTLS,
 * LOGIN, AUTHENTICATE PLAIN/LOGIN/CRAM-MD5, IDLE (RFC 2177) -- and what a
 * login sets up: the account's store, its size limits and the per-account
 * session count.  Passwords go to auth_login() (auth.h), which applies B1, B2, B5
 * and B10; its error text is shown to the client as the human sentence.
 */
#include "lib/compat.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/dict.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "server/server.h"
#include "imap/imap_private.h"

/* ---- sessions per account ---- */

struct acct_count {
	char		 address[ADDRESS_MAX + 1];
	unsigned	 n;
	struct acct_count *next;
};

static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;
static struct acct_count *acct_list;

/* Counts a session for the account; false when max is reached. */
static bool
account_take(const char *address, unsigned max)
{
	struct acct_count *a;
	bool ok = true;

	pthread_mutex_lock(&acct_lock);
	for (a = acct_list; a != NULL; a = a->next)
		if (strcasecmp(a->address, address) == 0)
			break;
	if (a == NULL) {
		a = xcalloc(1, sizeof(*a));
		(void)snprintf(a->address, sizeof(a->address), "%s", address);
		a->next = acct_list;
		acct_list = a;
	}
	if (a->n >= max)
		ok = false;
	else
		a->n++;
	pthread_mutex_unlock(&acct_lock);
	return ok;
}

void
imap_account_release(struct imap_session *s)
{
	struct acct_count **pp, *a;

	if (!s->counted)
		return;
	s->counted = false;
	pthread_mutex_lock(&acct_lock);
	for (pp = &acct_list; (a = *pp) != NULL; pp = &a->next) {
		if (strcasecmp(a->address, s->who.address) != 0)
			continue;
		if (a->n > 0)
			a->n--;
		if (a->n == 0) {
			*pp = a->next;
			free(a);
		}
		break;
	}
	pthread_mutex_unlock(&acct_lock);
}

/* An account size setting ("unlimited", "1024", "10K", "20M", "1G") in
 * bytes, through the one size parser (lib/settings.h); 0 = unlimited, and
 * so is a value that does not parse (as before: no limit is invented). */
static uint64_t
parse_size(const char *v)
{
	uint64_t n;
	bool unlimited;

	if (v == NULL || settings_parse_size(v, strlen(v), &n, &unlimited,
	    NULL) < 0)
		return 0;
	return n;		/* 0 for "unlimited" */
}

/* ---- any state ---- */

int
cmd_capability(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf b;

	(void)a;
	if (n != 0)
		return imap_bad(s, "CAPABILITY takes no arguments");
	buf_init(&b, 1024);
	imap_capabilities(s, &b);
	imap_send(s, "* CAPABILITY %s", buf_cstr(&b));
	buf_free(&b);
	return imap_ok(s, "CAPABILITY completed");
}

int
cmd_noop(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	if (n != 0)
		return imap_bad(s, "NOOP takes no arguments");
	return imap_ok(s, "NOOP completed");
}

int
cmd_logout(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	(void)a;
	if (n != 0)
		return imap_bad(s, "LOGOUT takes no arguments");
	imap_send(s, "* BYE Tegami IMAP server signing off");
	s->state = IST_LOGOUT;
	return imap_ok(s, "LOGOUT completed");
}

/* RFC 2971: ID ( "name" "value" ... ) or NIL. */
int
cmd_id(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	const struct imap_list *l;
	char esc[128];
	size_t i;

	if (n != 1 || (!imap_arg_is_nil(&a[0]) &&
	    a[0].type != IMAP_ARG_LIST))
		return imap_bad(s, "ID expects a list or NIL");
	if (a[0].type == IMAP_ARG_LIST) {
		l = a[0].list;
		if (l->n % 2 != 0 || l->n > 60)
			return imap_bad(s, "Invalid ID list");
		for (i = 0; i < l->n; i += 2) {
			if (!imap_arg_is_string(&l->v[i]) ||
			    (!imap_arg_is_string(&l->v[i + 1]) &&
			    !imap_arg_is_nil(&l->v[i + 1])))
				return imap_bad(s, "Invalid ID list");
			if (strcasecmp(l->v[i].str, "name") == 0 &&
			    !imap_arg_is_nil(&l->v[i + 1])) {
				log_escape(esc, sizeof(esc), l->v[i + 1].str,
				    l->v[i + 1].len);
				log_ses(&s->log, LOG_LOW, "client: %s", esc);
			}
		}
	}
	imap_send(s, "* ID (\"name\" \"Tegami\" \"version\" \"%s\")",
	    TEGAMI_VERSION);
	return imap_ok(s, "ID completed");
}

/* RFC 5161. */
int
cmd_enable(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf b;
	size_t i;

	if (n == 0)
		return imap_bad(s, "ENABLE needs capability names");
	buf_init(&b, 256);
	for (i = 0; i < n; i++) {
		if (a[i].type != IMAP_ARG_ATOM) {
			buf_free(&b);
			return imap_bad(s, "Invalid ENABLE argument");
		}
		if (strcasecmp(a[i].str, "CONDSTORE") == 0) {
			if (!s->condstore)
				buf_puts(&b, " CONDSTORE");
			s->condstore = true;
		} else if (strcasecmp(a[i].str, "QRESYNC") == 0) {
			if (!s->qresync)
				buf_puts(&b, " QRESYNC");
			s->qresync = s->condstore = true;
		}
	}
	imap_send(s, "* ENABLED%s", buf_cstr(&b));
	buf_free(&b);
	return imap_ok(s, "ENABLE completed");
}

/* ---- STARTTLS ---- */

int
cmd_starttls(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct ssl_ctx_st *ctx = listener_tls_ctx("imap");
	struct error err;

	(void)a;
	if (n != 0)
		return imap_bad(s, "STARTTLS takes no arguments");
	if (conn_is_tls(s->conn))
		return imap_bad(s, "TLS is already active");
	if (ctx == NULL)
		return imap_no(s, "TLS is not available");
	/* Plaintext sent after STARTTLS must not be read as if it had come
	 * over TLS (CVE-2011-0411). */
	if (conn_pending_input(s->conn) > 0) {
		log_ses(&s->log, LOG_PROBLEM, "STARTTLS with pipelined input");
		return imap_bad(s, "Data after STARTTLS refused");
	}
	imap_send(s, "%s OK Begin TLS negotiation now", s->tag);
	s->resp_kind = NULL;
	if (conn_starttls(s->conn, ctx, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "STARTTLS failed: %s", err.msg);
		s->state = IST_LOGOUT;
		return -1;
	}
	log_ses(&s->log, LOG_LOW, "TLS started: %s", conn_tls_info(s->conn));
	return 0;
}

/* ---- login ---- */

static void
load_account_limits(struct imap_session *s)
{
	struct dval *d = objects_account_effective_get(s->srv->objects,
	    s->who.account, s->who.domain, NULL);

	if (d == NULL)
		return;
	s->max_account_size = parse_size(dict_get_str(d, "MaxAccountSize"));
	s->max_message_size = parse_size(dict_get_str(d, "MaxMessageSize"));
	dict_free(&d);
}

static struct auth_peer
peer_of(struct imap_session *s)
{
	struct auth_peer p;

	p.local = (const struct sockaddr *)conn_local_addr(s->conn);
	p.remote = (const struct sockaddr *)conn_peer_addr(s->conn);
	p.tls = conn_is_tls(s->conn);
	p.service = "IMAP";
	p.log = &s->log;
	return p;
}

bool
imap_clear_login_ok(struct imap_session *s)
{
	struct auth_peer peer = peer_of(s);

	if (conn_is_tls(s->conn))
		return true;
	return !s->conf->require_tls && auth_clear_text_ok(s->srv, &peer);
}

void
imap_login_capabilities(struct imap_session *s, struct buf *out)
{
	if (!imap_clear_login_ok(s))
		buf_puts(out, " LOGINDISABLED");
	else
		buf_puts(out, " AUTH=PLAIN AUTH=LOGIN SASL-IR");
	if (auth_offer_cram_md5(s->srv,
	    (const struct sockaddr *)conn_local_addr(s->conn)))
		buf_puts(out, " AUTH=CRAM-MD5");
}

/* Checks the password (clear text, or with challenge set a CRAM-MD5
 * response digest) and opens the account; sets the tagged reply. */
static int
do_login(struct imap_session *s, const char *user, const char *pass,
    const char *challenge)
{
	struct auth_peer peer = peer_of(s);
	struct error err;
	char path[OBJECTS_PATH_MAX], esc[128];
	struct buf caps;
	int r;

	log_escape(esc, sizeof(esc), user, strlen(user));
	/* RFC 3501 6.2.3, RFC 9051 7.1: LOGINDISABLED was advertised. */
	if (challenge == NULL && !imap_clear_login_ok(s)) {
		log_ses(&s->log, LOG_PROBLEM, "clear-text login of %s refused: "
		    "TLS required", esc);
		return imap_no(s, "[PRIVACYREQUIRED] Use STARTTLS first");
	}
	r = challenge == NULL ?
	    auth_login(s->srv, &peer, user, pass, &s->who, &err) :
	    auth_login_cram_md5(s->srv, &peer, user, challenge, pass,
	    &s->who, &err);
	if (r < 0) {
		log_ses(&s->log, LOG_PROBLEM, "login failed for %s: %s", esc,
		    err.msg);
		return imap_no(s, "%s %s", err.kind == ERR_PERM ?
		    "[AUTHORIZATIONFAILED]" : err.kind == ERR_LIMIT ?
		    "[UNAVAILABLE]" : "[AUTHENTICATIONFAILED]", err.msg);
	}
	if (!account_take(s->who.address, (unsigned)s->conf->max_sessions)) {
		log_ses(&s->log, LOG_PROBLEM, "%s: too many sessions",
		    s->who.address);
		return imap_no(s, "[LIMIT] Too many IMAP sessions for this "
		    "account");
	}
	s->counted = true;
	if (objects_account_path(s->srv->objects, s->who.account,
	    s->who.domain, path, sizeof(path), &err) < 0 ||
	    (s->store = store_cache_get(path, &err)) == NULL) {
		log_ses(&s->log, LOG_FAILURE, "%s: cannot open the account: "
		    "%s", s->who.address, err.msg);
		imap_account_release(s);
		return imap_no(s, "[SERVERBUG] Cannot open the account");
	}
	load_account_limits(s);
	log_escape(s->log.context, sizeof(s->log.context), s->who.address,
	    strlen(s->who.address));
	log_ses(&s->log, LOG_LOW, "logged in%s", conn_is_tls(s->conn) ?
	    " (TLS)" : "");
	s->state = IST_AUTH;
	buf_init(&caps, 1024);
	imap_capabilities(s, &caps);
	imap_ok(s, "[CAPABILITY %s] Logged in", buf_cstr(&caps));
	buf_free(&caps);
	return 0;
}

int
cmd_login(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	if (n != 2 || !imap_arg_is_astring(&a[0]) ||
	    !imap_arg_is_astring(&a[1]))
		return imap_bad(s, "LOGIN expects a user name and a password");
	if (a[0].len > ADDRESS_MAX || a[1].len > PASSWORD_MAX ||
	    strlen(a[0].str) != a[0].len || strlen(a[1].str) != a[1].len)
		return imap_no(s, "[AUTHENTICATIONFAILED] %s",
		    AUTH_GENERIC_ERROR);
	return do_login(s, a[0].str, a[1].str, NULL);
}

/* One SASL response line: base64, or "*" to cancel (RFC 3501 6.2.2). */
static int
sasl_read(struct imap_session *s, const char *challenge_b64, char *buf,
    size_t size, size_t *len_r)
{
	struct strv line;
	char *text;
	int r;

	imap_send(s, "+ %s", challenge_b64);
	if (imap_read_line(s, IMAP_AUTH_LINE_MAX, &line) < 0)
		return -2;
	if (line.len == 1 && line.p[0] == '*')
		return -1;
	text = xstrndup(line.p, line.len);
	r = sasl_b64_decode(text, buf, size, len_r);
	explicit_bzero(text, line.len);
	free(text);
	return r < 0 ? -3 : 0;
}

/* The reply to a failed sasl_read() or initial response (r < 0): -2 the
 * connection ended, -1 the client cancelled, else bad base64. */
static int
authenticate_failed(struct imap_session *s, int r)
{
	if (r == -2) {
		s->state = IST_LOGOUT;
		s->resp_kind = NULL;
		return -1;
	}
	if (r == -1)
		return imap_bad(s, "AUTHENTICATE cancelled");
	return imap_bad(s, "Invalid base64 in AUTHENTICATE");
}

/* RFC 2195: the challenge is a msg-id, the answer "name SP hex-digest".
 * The password never crosses the wire, so no TLS is needed. */
static int
authenticate_cram_md5(struct imap_session *s)
{
	char host[DOMAIN_NAME_MAX + 1], chal[DOMAIN_NAME_MAX + 64];
	char b64[2 * sizeof(chal)], resp[ADDRESS_MAX + 80];
	char *sp;
	size_t len, i;
	int r;

	objects_main_domain(s->srv->objects, host, sizeof(host));
	auth_make_challenge(host, chal, sizeof(chal));
	if (sasl_b64_encode(chal, strlen(chal), b64, sizeof(b64)) < 0)
		return imap_no(s, "[SERVERBUG] Cannot make a challenge");
	r = sasl_read(s, b64, resp, sizeof(resp) - 1, &len);
	if (r < 0)
		return authenticate_failed(s, r);
	resp[len] = '\0';
	sp = strrchr(resp, ' ');
	if (memchr(resp, '\0', len) != NULL || sp == NULL ||
	    strlen(sp + 1) != 32)
		return imap_bad(s, "Invalid CRAM-MD5 response");
	for (i = 1; i <= 32; i++)
		if (strchr("0123456789abcdef", sp[i]) == NULL)
			return imap_bad(s, "Invalid CRAM-MD5 response");
	*sp = '\0';
	return do_login(s, resp, sp + 1, chal);
}

int
cmd_authenticate(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	char user[ADDRESS_MAX + 1];
	char pass[PASSWORD_MAX + 1], raw[IMAP_AUTH_LINE_MAX];
	size_t len;
	int r;

	if (n < 1 || n > 2 || a[0].type != IMAP_ARG_ATOM ||
	    (n == 2 && !imap_arg_is_astring(&a[1])))
		return imap_bad(s, "AUTHENTICATE expects a mechanism");
	/* CRAM-MD5 only where it is advertised (the domain's AUTHMethods):
	 * it cannot work with the hashed passwords of the default. */
	if (strcasecmp(a[0].str, "CRAM-MD5") == 0 && n == 1 &&
	    auth_offer_cram_md5(s->srv,
	    (const struct sockaddr *)conn_local_addr(s->conn)))
		return authenticate_cram_md5(s);
	if (!imap_clear_login_ok(s))
		return imap_no(s, "[PRIVACYREQUIRED] Use STARTTLS first");
	if (strcasecmp(a[0].str, "PLAIN") == 0) {
		if (n == 2) {
			/* RFC 4959 initial response */
			r = sasl_b64_decode(a[1].str, raw, sizeof(raw), &len);
			r = r < 0 ? -3 : 0;
		} else
			r = sasl_read(s, "", raw, sizeof(raw), &len);
		if (r < 0)
			return authenticate_failed(s, r);
		/* RFC 4616: authzid NUL authcid NUL passwd */
		{
			const char *p1 = memchr(raw, '\0', len), *p2;

			p2 = p1 != NULL ? memchr(p1 + 1, '\0',
			    len - (size_t)(p1 + 1 - raw)) : NULL;
			if (p1 == NULL || p2 == NULL ||
			    (size_t)(p2 - p1 - 1) > ADDRESS_MAX ||
			    len - (size_t)(p2 + 1 - raw) > PASSWORD_MAX) {
				explicit_bzero(raw, sizeof(raw));
				return imap_bad(s, "Invalid PLAIN response");
			}
			memcpy(user, p1 + 1, (size_t)(p2 - p1 - 1));
			user[p2 - p1 - 1] = '\0';
			memcpy(pass, p2 + 1, len - (size_t)(p2 + 1 - raw));
			pass[len - (size_t)(p2 + 1 - raw)] = '\0';
		}
	} else if (strcasecmp(a[0].str, "LOGIN") == 0 && n == 1) {
		r = sasl_read(s, "VXNlcm5hbWU6", user, sizeof(user), &len);
		if (r == 0)
			r = sasl_read(s, "UGFzc3dvcmQ6", pass, sizeof(pass),
			    &len);
		if (r < 0)
			return authenticate_failed(s, r);
	} else
		return imap_no(s, "Unsupported authentication mechanism");
	r = do_login(s, user, pass, NULL);
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(raw, sizeof(raw));
	return r;
}

/* ---- IDLE (RFC 2177) ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cmd_idle(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct pollfd pfd;
	struct strv line;
	int64_t start = mono_ms();
	uint64_t gen;
	int r;

	(void)a;
	if (n != 0)
		return imap_bad(s, "IDLE takes no arguments");
	imap_send(s, "+ idling");
	gen = store_generation(s->store);
	for (;;) {
		if (s->state == IST_SELECTED)
			imap_view_sync(s, true, false);
		if (conn_flush(s->conn) < 0) {
			s->state = IST_LOGOUT;
			s->resp_kind = NULL;
			return -1;
		}
		if (conn_pending_input(s->conn) == 0) {
			/* wake at once on a store change, check the client
			 * every slice */
			if (store_wait_change(s->store, gen, IMAP_IDLE_POLL_MS))
				gen = store_generation(s->store);
			pfd.fd = conn_fd(s->conn);
			pfd.events = POLLIN;
			pfd.revents = 0;
			r = poll(&pfd, 1, 0);
			if (mono_ms() - start > IMAP_IDLE_CMD_MAX_MS) {
				imap_send(s, "* BYE IDLE for too long");
				s->state = IST_LOGOUT;
				s->resp_kind = NULL;
				return -1;
			}
			if (r == 0)
				continue;
		}
		if (imap_read_line(s, IMAP_LINE_MAX, &line) < 0) {
			s->state = IST_LOGOUT;
			s->resp_kind = NULL;
			return -1;
		}
		if (strv_caseeq_cstr(line, "DONE"))
			break;
		return imap_bad(s, "Expected DONE");
	}
	if (s->state == IST_SELECTED)
		imap_view_sync(s, true, false);
	return imap_ok(s, "IDLE terminated");
}
