/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_auth.c: commands valid in any state and before login --
 * CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), ENABLE (RFC 5161), STARTTLS,
 * LOGIN, AUTHENTICATE PLAIN/LOGIN/CRAM-MD5, IDLE (RFC 2177) -- and what a
 * login sets up: the account's store, its size limits and the per-account
 * session count.  Passwords go to auth_login() (auth.h), which applies B1, B2, B5
 * and B10 of docs/behaviour.md; its error text is shown to the client as the
 * human sentence.
 */
#include "lib/compat.h"

#include <errno.h>
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
#include "auth/sasl.h"
#include "core/server.h"
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

	return sasl_clear_ok(s->srv, &peer, s->conf->require_tls);
}

/* The same mechanisms as SMTP's EHLO and POP's CAPA (sasl_offered);
 * LOGINDISABLED (RFC 3501 6.2.3) where clear-text logins are not, and
 * SASL-IR (RFC 4959) where they are. */
void
imap_login_capabilities(struct imap_session *s, struct buf *out)
{
	struct auth_peer peer = peer_of(s);
	bool clear = sasl_clear_ok(s->srv, &peer, s->conf->require_tls);

	if (!clear)
		buf_puts(out, " LOGINDISABLED");
	sasl_format(sasl_offered(s->srv, &peer, s->conf->require_tls), "AUTH=",
	    out);
	if (clear)
		buf_puts(out, " SASL-IR");
}

/* A failed password check: the log line and the tagged NO. */
static int
login_failed(struct imap_session *s, const char *user,
    const struct error *err)
{
	char esc[128];

	log_escape(esc, sizeof(esc), user, strlen(user));
	log_ses(&s->log, LOG_PROBLEM, "login failed for %s: %s", esc,
	    err->msg);
	return imap_no(s, "%s %s", err->kind == ERR_PERM ?
	    "[AUTHORIZATIONFAILED]" : err->kind == ERR_LIMIT ?
	    "[UNAVAILABLE]" : "[AUTHENTICATIONFAILED]", err->msg);
}

/* After a verified login (s->who set): opens the account; sets the
 * tagged reply. */
static int
login_open(struct imap_session *s)
{
	struct error err;
	char path[OBJECTS_PATH_MAX];
	struct buf caps;

	if (!account_take(s->who.address, (unsigned)s->conf->max_sessions)) {
		log_ses(&s->log, LOG_PROBLEM, "%s: too many sessions",
		    s->who.address);
		return imap_no(s, "[LIMIT] Too many IMAP sessions for this "
		    "account");
	}
	s->counted = true;
	if (objects_account_path(s->srv->objects, s->who.account,
	    s->who.domain, path, sizeof(path), &err) < 0 ||
	    (s->store = store_cache_get_wait(path, &err)) == NULL) {
		log_ses(&s->log, err.kind == ERR_LIMIT ? LOG_PROBLEM :
		    LOG_FAILURE, "%s: cannot open the account: %s",
		    s->who.address, err.msg);
		imap_account_release(s);
		if (err.kind == ERR_LIMIT)
			return imap_no(s, "[UNAVAILABLE] Cannot open the "
			    "account now, try later");
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

/* RFC 3501 6.2.3, RFC 9051 7.1: LOGINDISABLED was advertised. */
static int
refuse_clear(struct imap_session *s, const char *user)
{
	char esc[128];

	log_escape(esc, sizeof(esc), user, strlen(user));
	log_ses(&s->log, LOG_PROBLEM, "clear-text login of %s refused: "
	    "TLS required", esc);
	return imap_no(s, "[PRIVACYREQUIRED] Use STARTTLS first");
}

int
cmd_login(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct auth_peer peer = peer_of(s);
	struct error err;

	if (n != 2 || !imap_arg_is_astring(&a[0]) ||
	    !imap_arg_is_astring(&a[1]))
		return imap_bad(s, "LOGIN expects a user name and a password");
	if (a[0].len > ADDRESS_MAX || a[1].len > PASSWORD_MAX ||
	    strlen(a[0].str) != a[0].len || strlen(a[1].str) != a[1].len)
		return imap_no(s, "[AUTHENTICATIONFAILED] %s",
		    AUTH_GENERIC_ERROR);
	if (!imap_clear_login_ok(s))
		return refuse_clear(s, a[0].str);
	if (auth_login(s->srv, &peer, a[0].str, a[1].str, &s->who, &err) < 0)
		return login_failed(s, a[0].str, &err);
	return login_open(s);
}

/*
 * AUTHENTICATE (RFC 3501 6.2.2) with SASL-IR (RFC 4959): the exchange runs
 * in the SASL engine (auth/sasl.h); here only the framing -- "+ challenge"
 * continuations, response lines of at most IMAP_AUTH_LINE_MAX, "*" -- and
 * the tagged replies.
 */
_Static_assert(IMAP_AUTH_LINE_MAX <= SASL_RESPONSE_MAX,
    "an AUTHENTICATE line the engine would refuse as too long");

static int
authenticate_reply(struct imap_session *s, struct sasl_session *ss,
    enum sasl_step st)
{
	switch (st) {
	case SASL_DONE_OK:
		s->who = *sasl_result(ss);
		return login_open(s);
	case SASL_CANCELLED:
		return imap_bad(s, "AUTHENTICATE cancelled");
	case SASL_ERROR_SYNTAX:
		if (sasl_syntax(ss) == SASL_SYNTAX_BASE64)
			return imap_bad(s, "Invalid base64 in AUTHENTICATE");
		if (sasl_syntax(ss) == SASL_SYNTAX_TOOLONG)
			return imap_bad(s, "AUTHENTICATE response too long");
		return imap_bad(s, "Invalid %s response",
		    sasl_mech(ss)->name);
	default:
		return login_failed(s, sasl_authcid(ss), sasl_error(ss));
	}
}

int
cmd_authenticate(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct auth_peer peer = peer_of(s);
	const struct sasl_mech *mech;
	struct sasl_session *ss;
	char host[DOMAIN_NAME_MAX + 1];
	struct strv ir, line;
	enum line_rc lrc;
	enum sasl_step st;
	int r;

	if (n < 1 || n > 2 || a[0].type != IMAP_ARG_ATOM ||
	    (n == 2 && !imap_arg_is_astring(&a[1])))
		return imap_bad(s, "AUTHENTICATE expects a mechanism");
	mech = sasl_mech_find(strv_make(a[0].str, a[0].len));
	if (mech != NULL && mech->clear_text &&
	    !sasl_clear_ok(s->srv, &peer, s->conf->require_tls))
		return imap_no(s, "[PRIVACYREQUIRED] Use STARTTLS first");
	if (mech == NULL || (sasl_accepted(s->srv, &peer, s->conf->require_tls) &
	    SASL_MECH_BIT(mech->id)) == 0)
		return imap_no(s, "Unsupported authentication mechanism");
	objects_main_domain(s->srv->objects, host, sizeof(host));
	ss = sasl_session_new(mech, s->srv, &peer, host);
	if (n == 2)
		ir = strv_make(a[1].str, a[1].len);
	st = sasl_start(ss, n == 2 ? &ir : NULL);
	while (st == SASL_CONTINUE) {
		imap_send(s, "+ %s", sasl_challenge(ss));
		lrc = conn_read_line(s->conn, IMAP_AUTH_LINE_MAX, LINE_LF_OK,
		    &line);
		if (lrc == LINE_TOOLONG) {
			/* As POP and SMTP: the rest of the line is skipped
			 * by the next read; the tagged BAD ends the exchange
			 * and the session goes on. */
			log_ses(&s->log, LOG_PROBLEM, "AUTHENTICATE response "
			    "longer than %d bytes", IMAP_AUTH_LINE_MAX);
			sasl_session_free(&ss);
			return imap_bad(s, "[TOOBIG] AUTHENTICATE response "
			    "too long");
		}
		if (lrc != LINE_OK) {
			sasl_session_free(&ss);
			s->state = IST_LOGOUT;
			s->resp_kind = NULL;
			return -1;
		}
		st = sasl_step_b64(ss, line);
	}
	r = authenticate_reply(s, ss, st);
	sasl_session_free(&ss);
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

/* The end of an IDLE: how often its thread woke up (every return from
 * poll()) and how many change notices it got.  Tests read this line to see
 * that nothing wakes an idle session but its socket and its own account. */
static void
idle_log(struct imap_session *s, const char *how, unsigned wakes,
    uint64_t changes)
{
	log_ses(&s->log, LOG_LOW, "IDLE %s: %u wake-up(s), %llu change notice(s)",
	    how, wakes, (unsigned long long)changes);
}

/*
 * The thread sleeps in one poll() on the socket and the account's change
 * eventfd (store_watch_new()) with the time left of the IDLE limit: it
 * wakes when the client sends something, when its account changes, when
 * the server shuts down (conn_shutdown() makes the socket readable) or at
 * the end -- never periodically.  After HibernateAfter without an event
 * the session parks instead (imap_idle_run() returns IMAP_IDLE_PARKED) and
 * the park loop watches the same two descriptors; imap_idle_run() is
 * called again on resume, all its state being in s->idle.
 */
static void
idle_hook(void *arg)
{
	park_notify(arg);
}

int
cmd_idle(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct store_watch *w;
	struct error err;

	(void)a;
	if (n != 0)
		return imap_bad(s, "IDLE takes no arguments");
	memset(&s->idle, 0, sizeof(s->idle));
	/* Registered before the first sync: a change after it is never
	 * missed. */
	if ((w = store_watch_new(s->store, &err)) == NULL) {
		/*
		 * No descriptor for the eventfd (the process is at its
		 * limit): a parked IDLE session needs none, the store's hook
		 * fires its token.  So a listener session idles parked from
		 * the start (imap_idle_run() parks at once while the watch
		 * has no eventfd); only a session that cannot park is refused.
		 */
		listener_token_init(&s->idle.tok);
		if (err.kind != ERR_LIMIT || s->idle.tok.p == NULL) {
			log_ses(&s->log, LOG_PROBLEM, "IDLE refused: %s",
			    err.msg);
			return imap_no(s, "[UNAVAILABLE] IDLE is not possible "
			    "now, try NOOP");
		}
		log_ses(&s->log, LOG_LOW, "IDLE without an eventfd (%s): "
		    "hibernates at once", err.msg);
		w = store_watch_new_suspended(s->store, NULL, NULL);
		s->idle.suspended = true;
	}
	s->idle.w = w;
	s->idle.start = mono_ms();
	imap_send(s, "+ idling");
	return imap_idle_run(s);
}

/* The watch's eventfd again after hibernation: 0; 1 when the process is
 * out of descriptors and the session can park (the watch stays suspended:
 * imap_idle_run() parks again at once, logged); -1 (logged, BYE) when it
 * cannot go on. */
static int
idle_watch_back(struct imap_session *s)
{
	struct error err;

	if (store_watch_resume(s->idle.w, &err) == 0) {
		s->idle.suspended = false;
		return 0;
	}
	if (err.kind == ERR_LIMIT && s->idle.tok.p != NULL) {
		log_ses(&s->log, LOG_LOW, "IDLE stays hibernated: %s",
		    err.msg);
		return 1;
	}
	s->idle.suspended = false;
	log_ses(&s->log, LOG_PROBLEM, "IDLE cannot go on: %s", err.msg);
	idle_log(s, "failed", s->idle.wakes, s->idle.changes);
	imap_send(s, "* BYE IDLE cannot go on now: %s", err.msg);
	return -1;
}

/*
 * Hibernates in IDLE: the watch gives up its eventfd (the store calls
 * idle_hook() on a change instead, which fires the parked entry through
 * its token), so a parked IDLE session holds one descriptor, its socket;
 * its store handle goes too (imap_store_let_go()).  1 when parked; 0 when
 * a change came first (the watch stays suspended: the caller takes it
 * back or parks again); -1 when the session cannot park.
 */
static int
idle_park(struct imap_session *s, int64_t end)
{
	struct imap_idle *id = &s->idle;

	/* A token fired before must not fire the next parking: the hook is
	 * taken off while the token is made again (the watch counts the
	 * changes meanwhile, which the next store_watch_suspend() returns). */
	if (id->suspended)
		(void)store_watch_suspend(id->w, NULL, NULL);
	listener_token_init(&id->tok);
	if (id->tok.p == NULL)
		return -1;		/* not a listener session */
	id->suspended = true;
	if (store_watch_suspend(id->w, idle_hook, &id->tok) > 0)
		return 0;
	if (!listener_park(s->conn, -1, &id->tok, end, imap_resume, s))
		return -1;
	id->parks++;
	s->parking = true;
	s->resp_kind = NULL;
	imap_store_let_go(s);
	return 1;
}

/*
 * Without an eventfd (out of descriptors) this thread cannot sleep on the
 * account's changes: unless input is waiting, the session parks at once.
 * 1 parked; 2 a change came first (show it, then try again); 0 input to
 * read; -1 fail (BYE sent).
 */
static int
idle_suspended_step(struct imap_session *s, int64_t end)
{
	struct pollfd pfd;
	int r;

	s->idle.changes += store_watch_take(s->idle.w);
	pfd.fd = conn_fd(s->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) > 0) {
		s->idle.wakes++;
		return 0;
	}
	if ((r = idle_park(s, end)) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "IDLE cannot go on: no "
		    "descriptor for its eventfd and it cannot hibernate");
		idle_log(s, "failed", s->idle.wakes, s->idle.changes);
		imap_send(s, "* BYE IDLE cannot go on now");
	}
	return r == 0 ? 2 : r;
}

int
imap_idle_run(struct imap_session *s)
{
	struct imap_idle *id = &s->idle;
	struct pollfd pfd[2];
	struct strv line;
	int64_t left, end = id->start + imap_idle_limit_ms(s), wait, retry;
	int r;

	/* Resumed: the watch gets its eventfd back (readable when changes
	 * came while parked). */
	if (id->suspended && idle_watch_back(s) < 0)
		goto fail;
	for (;;) {
		/* A failed read (out of descriptors, say) is tried again
		 * after IMAP_IDLE_RETRY_MS: the change that woke the session
		 * is not lost.  It ends the session after
		 * IMAP_IDLE_RETRIES_MAX failures in a row. */
		if (imap_view_sync(s, true, false))
			id->sync_fails = 0;
		else if (++id->sync_fails > IMAP_IDLE_RETRIES_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "IDLE cannot read "
			    "mailbox %s %u times in a row; closing", s->mbox,
			    id->sync_fails - 1);
			idle_log(s, "failed", id->wakes, id->changes);
			imap_send(s, "* BYE [UNAVAILABLE] The mailbox cannot be "
			    "read now, try later");
			goto fail;
		}
		retry = id->sync_fails > 0 ? IMAP_IDLE_RETRY_MS : 0;
		if (conn_flush(s->conn) < 0) {
			idle_log(s, "failed", id->wakes, id->changes);
			goto fail;
		}
		if (!conn_input_buffered(s->conn)) {
			left = end - mono_ms();
			if (left <= 0) {
				idle_log(s, "too long", id->wakes, id->changes);
				imap_send(s, "* BYE IDLE for too long");
				goto fail;
			}
			if (id->suspended) {
				r = idle_suspended_step(s, retry > 0 &&
				    retry < left ? mono_ms() + retry : end);
				if (r == 1)
					return 0;
				if (r < 0)
					goto fail;
				if (r == 2)
					continue;
				goto input;
			}
			wait = left;
			if (s->hibernate_ms > 0 && s->hibernate_ms < wait)
				wait = s->hibernate_ms;
			if (retry > 0 && retry < wait)
				wait = retry;
			pfd[0].fd = conn_fd(s->conn);
			pfd[1].fd = store_watch_fd(id->w);
			pfd[0].events = pfd[1].events = POLLIN;
			pfd[0].revents = pfd[1].revents = 0;
			r = poll(pfd, 2, wait > INT32_MAX ? INT32_MAX : (int)wait);
			if (r < 0 && errno != EINTR) {
				log_ses(&s->log, LOG_PROBLEM, "IDLE: poll: %s",
				    strerror(errno));
				goto fail;
			}
			if (r == 0 && retry > 0 && wait == retry)
				continue;	/* read the mailbox again */
			if (r == 0 && wait < left && idle_park(s, end) > 0)
				return 0;
			if (id->suspended && (r = idle_watch_back(s)) != 0) {
				if (r < 0)
					goto fail;
				continue;	/* parks again at once */
			}
			id->wakes++;
			if (pfd[1].revents != 0)
				id->changes += store_watch_take(id->w);
			if (pfd[0].revents == 0)
				continue;
		}
input:
		if (imap_read_line(s, IMAP_LINE_MAX, &line) < 0) {
			idle_log(s, "ended by the connection", id->wakes,
			    id->changes);
			goto fail;
		}
		idle_log(s, "ended", id->wakes, id->changes);
		if (strv_caseeq_cstr(line, "DONE"))
			break;
		store_watch_free(&id->w);
		return imap_bad(s, "Expected DONE");
	}
	store_watch_free(&id->w);
	if (s->state == IST_SELECTED)
		imap_view_sync(s, true, false);
	return imap_ok(s, "IDLE terminated");
fail:
	store_watch_free(&id->w);
	s->state = IST_LOGOUT;
	s->resp_kind = NULL;
	return -1;
}

void
imap_idle_end(struct imap_session *s, const char *how)
{
	if (s->idle.w == NULL)
		return;
	idle_log(s, how, s->idle.wakes, s->idle.changes);
	store_watch_free(&s->idle.w);
}
