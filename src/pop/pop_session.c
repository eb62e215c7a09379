/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_session.c: one POP3 session (RFC 1939): the greeting with its APOP
 * timestamp, the read loop with its limits (line length, errors, idle
 * time), the maildrop lock, opening the INBOX snapshot after a login, the
 * UPDATE state after QUIT, and the registration of the pop3 and pop3s
 * services.
 *
 *   S: +OK Tegami POP3 server 0.1 ready <1896.697170952@main.dom>
 *   C: USER info
 *   S: +OK send the password
 *   C: PASS secret
 *   S: +OK info@main.dom has 2 messages (320 octets)
 *   C: DELE 1
 *   S: +OK message 1 deleted
 *   C: QUIT
 *   S: +OK 1 message removed, Tegami POP3 server signing off
 *
 * Maildrop lock: RFC 1939 4 asks for exclusive access to the maildrop and
 * CommuniGate allows one POP session per mailbox; a second concurrent POP
 * session on the same account gets "-ERR [IN-USE] mailbox locked"
 * (RFC 2449 8.1.1).  The lock is a process-wide set of account addresses:
 * one tegamid owns the base directory.
 */
#include "lib/compat.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "core/server.h"
#include "store/store.h"
#include "pop/pop.h"
#include "pop/pop_private.h"

static struct log_module log_pop = LOG_MODULE("POP");

/* ---- the maildrop lock ---- */

struct pop_lock {
	char		*account;	/* "name@domain" */
	struct pop_lock	*next;
};

static pthread_mutex_t lock_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct pop_lock *locks;

static bool
lock_take(const char *account)
{
	struct pop_lock *l;
	bool ok = true;

	pthread_mutex_lock(&lock_mutex);
	for (l = locks; l != NULL; l = l->next)
		if (strcasecmp(l->account, account) == 0) {
			ok = false;
			break;
		}
	if (ok) {
		l = xmalloc(sizeof(*l));
		l->account = xstrdup(account);
		l->next = locks;
		locks = l;
	}
	pthread_mutex_unlock(&lock_mutex);
	return ok;
}

static void
lock_release(const char *account)
{
	struct pop_lock **lp, *l;

	pthread_mutex_lock(&lock_mutex);
	for (lp = &locks; (l = *lp) != NULL; lp = &l->next)
		if (strcasecmp(l->account, account) == 0) {
			*lp = l->next;
			free(l->account);
			free(l);
			break;
		}
	pthread_mutex_unlock(&lock_mutex);
}

/* ---- replies ---- */

static void
vreply(struct pop_session *s, const char *fmt, va_list ap) ATTR_FORMAT(2, 0);

static void
vreply(struct pop_session *s, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_ses(&s->log, LOG_ALL, "out: %s", line);
	conn_printf(s->conn, "%s\r\n", line);
}

void
pop_reply(struct pop_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
}

void
pop_error(struct pop_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
	s->errors++;
}

/* ---- TRANSACTION state ---- */

static void
session_close_mailbox(struct pop_session *s)
{
	if (s->store != NULL)
		store_cache_release(&s->store);
	free(s->msgs);
	s->msgs = NULL;
	s->nmsgs = 0;
	if (s->locked) {
		lock_release(s->account);
		s->locked = false;
	}
}

int
pop_session_open(struct pop_session *s, const char *account,
    const char *domain)
{
	char dir[4096], reply[160];
	struct store_status st;
	struct store_msgs msgs = { NULL, 0 };
	struct error err;
	uint64_t total = 0;
	size_t i;

	snprintf(s->account, sizeof(s->account), "%s@%s", account, domain);
	if (!lock_take(s->account)) {
		log_ses(&s->log, LOG_PROBLEM, "'%s' is already in use by "
		    "another POP session", s->account);
		pop_reply(s, "-ERR [IN-USE] mailbox locked");
		return -1;
	}
	s->locked = true;
	if (objects_account_path(s->srv->objects, account, domain, dir,
	    sizeof(dir), &err) < 0 ||
	    (s->store = store_cache_get(dir, &err)) == NULL ||
	    store_mailbox_status(s->store, "INBOX", &st, &err) < 0 ||
	    store_messages(s->store, st.id, NULL, 0, &msgs, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "cannot open the INBOX of '%s': "
		    "%s", s->account, err.msg);
		session_close_mailbox(s);
		pop_reply(s, "-ERR [SYS/TEMP] cannot open the mailbox");
		return -1;
	}
	if (pop_maildrop_check(msgs.n, POP_MESSAGES_MAX, reply,
	    sizeof(reply)) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "login of '%s' refused: the INBOX "
		    "has %zu messages, over POP_MESSAGES_MAX (%u)", s->account,
		    msgs.n, POP_MESSAGES_MAX);
		store_msgs_free(&msgs);
		session_close_mailbox(s);
		pop_reply(s, "%s", reply);
		return -1;
	}
	s->mailbox = st.id;
	s->uidvalidity = st.uidvalidity;
	/* The session works on the messages present at login (RFC 1939 5:
	 * numbers stay fixed for the session). */
	s->nmsgs = (uint32_t)msgs.n;
	s->msgs = xcalloc(s->nmsgs > 0 ? s->nmsgs : 1, sizeof(*s->msgs));
	for (i = 0; i < s->nmsgs; i++) {
		s->msgs[i].uid = msgs.v[i].uid;
		s->msgs[i].size = msgs.v[i].size;
		s->msgs[i].hdr_size = msgs.v[i].hdr_size;
		total += msgs.v[i].size;
	}
	store_msgs_free(&msgs);
	s->state = POP_TRANSACTION;
	/* Later records name the account instead of the peer (CGP log). */
	if (strlen(s->account) < sizeof(s->log.context))
		memcpy(s->log.context, s->account, strlen(s->account) + 1);
	log_ses(&s->log, LOG_MAJOR, "'%s' connected from %s%s", s->account,
	    conn_peer_text(s->conn), conn_is_tls(s->conn) ? " (TLS)" : "");
	pop_reply(s, "+OK %s has %u message%s (%llu octets)", s->account,
	    s->nmsgs, s->nmsgs == 1 ? "" : "s", (unsigned long long)total);
	return 0;
}

void
pop_session_update(struct pop_session *s)
{
	struct store_uidrange *set;
	struct error err;
	uint32_t *gone = NULL;
	size_t nset = 0, ngone = 0, i;

	s->state = POP_UPDATE;
	s->quit = true;
	set = xcalloc(s->nmsgs > 0 ? s->nmsgs : 1, sizeof(*set));
	for (i = 0; i < s->nmsgs; i++) {
		if (!s->msgs[i].deleted)
			continue;
		/* UIDs ascend: coalesce neighbours into ranges. */
		if (nset > 0 && set[nset - 1].hi + 1 == s->msgs[i].uid)
			set[nset - 1].hi = s->msgs[i].uid;
		else {
			set[nset].lo = set[nset].hi = s->msgs[i].uid;
			nset++;
		}
	}
	if (nset == 0) {
		free(set);
		session_close_mailbox(s);	/* unlocked before the reply */
		pop_reply(s, "+OK Tegami POP3 server signing off");
		return;
	}
	/* RFC 1939 6: remove the marked messages, then answer; one store
	 * transaction, durable (fsynced) when it returns, so a crash leaves
	 * either all of them or none (never a \Deleted flag half-way).  Only
	 * the UIDs in set are touched. */
	if (store_remove(s->store, s->mailbox, set, nset, &gone, &ngone,
	    &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "cannot remove deleted messages: "
		    "%s", err.msg);
		free(set);
		session_close_mailbox(s);
		pop_reply(s, "-ERR [SYS/TEMP] some deleted messages not "
		    "removed");
		return;
	}
	free(set);
	free(gone);
	/* Release the maildrop lock before answering, so a client may log
	 * in again as soon as it has read the reply. */
	session_close_mailbox(s);
	log_ses(&s->log, LOG_LOW, "%zu message%s removed", ngone,
	    ngone == 1 ? "" : "s");
	pop_reply(s, "+OK %zu message%s removed, Tegami POP3 server signing "
	    "off", ngone, ngone == 1 ? "" : "s");
}

/* ---- the session loop ---- */

static void pop_resume(struct conn *c, void *arg, enum park_event why);

/*
 * Waits for the next command, at most HibernateAfter, then parks the
 * session (logged in only: before that the listener's login time-out and
 * shedding watch the thread).  True when parked: the caller returns.  A
 * session with input already buffered never parks.
 */
static bool
wait_or_park(struct pop_session *s)
{
	if (s->state != POP_TRANSACTION)
		return false;
	if (!listener_park_when_idle(s->conn, s->hibernate_ms,
	    POP_IDLE_TIMEOUT_MS, pop_resume, s))
		return false;
	/* Parked (from when this thread returns): the account's handle goes
	 * back to the cache, so a parked session holds one descriptor, its
	 * socket; pop_resume() takes the handle again.  The maildrop lock
	 * and the message list stay. */
	if (s->store != NULL)
		store_cache_release(&s->store);
	return true;
}

/* The account's handle again after hibernation; false (logged, -ERR, the
 * session ends) when it cannot be opened now. */
static bool
store_back(struct pop_session *s)
{
	char dir[4096], name[ADDRESS_MAX + 1], *at;
	struct error err;

	if (s->store != NULL || s->state != POP_TRANSACTION)
		return true;
	memcpy(name, s->account, sizeof(name));
	if ((at = strrchr(name, '@')) == NULL) {
		error_set(&err, ERR_INTERNAL, "no domain in '%s'", name);
		goto fail;
	}
	*at = '\0';
	if (objects_account_path(s->srv->objects, name, at + 1, dir,
	    sizeof(dir), &err) == 0 &&
	    (s->store = store_cache_get_wait(dir, &err)) != NULL)
		return true;
fail:
	log_ses(&s->log, LOG_PROBLEM, "cannot open the mailbox again after "
	    "hibernation: %s", err.msg);
	pop_reply(s, "-ERR [SYS/TEMP] cannot open the mailbox now, try later");
	return false;
}

static void
session_loop(struct pop_session *s)
{
	struct conn *c = s->conn;
	struct strv line;
	enum line_rc rc;

	while (!s->quit) {
		if (wait_or_park(s))
			return;
		rc = conn_read_line(c, POP_LINE_MAX, LINE_LF_OK, &line);
		if (rc == LINE_TOOLONG) {
			log_ses(&s->log, LOG_PROBLEM, "command line longer than "
			    "%u bytes", POP_LINE_MAX);
			pop_error(s, "-ERR line too long");
		} else if (rc == LINE_OK)
			pop_cmd_dispatch(s, line);
		else {
			if (rc == LINE_TIMEOUT && conn_was_shed(c)) {
				log_ses(&s->log, LOG_PROBLEM, "the service is "
				    "full: %s", conn_last_error(c));
				pop_reply(s, "-ERR [SYS/TEMP] too many "
				    "connections, try again later");
			} else if (rc == LINE_TIMEOUT) {
				/* CGP: "read failed. Error Code=read time-out" */
				log_ses(&s->log, LOG_PROBLEM, "read failed. "
				    "Error Code=%s", conn_last_error(c));
				pop_reply(s, "-ERR autologout: %s",
				    conn_last_error(c));
			} else if (rc == LINE_ERROR)
				log_ses(&s->log, LOG_PROBLEM, "%s",
				    conn_last_error(c));
			else
				log_ses(&s->log, LOG_LOW, "peer closed the "
				    "connection");
			break;
		}
		/* Logged in: the listener's login time-out and shedding
		 * end; the idle time-out (10 min) applies from now. */
		if (s->prelogin && s->state == POP_TRANSACTION) {
			s->prelogin = false;
			conn_set_deadline(c, 0, NULL);
			conn_set_sheddable(c, false);
		}
		if (!s->quit && s->errors >= POP_ERRORS_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "too many errors");
			pop_reply(s, "-ERR too many errors, closing");
			break;
		}
		if (!s->quit && s->auth_failures >= POP_AUTH_FAILURES_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "too many failed logins");
			pop_reply(s, "-ERR [AUTH] too many failed logins, "
			    "closing");
			break;
		}
	}
	conn_flush(c);
	/* RFC 1939 6: without QUIT the session never enters UPDATE, so
	 * messages marked by DELE stay. */
	if (s->state == POP_TRANSACTION)
		log_ses(&s->log, LOG_LOW, "closed without QUIT; no message "
		    "removed");
	session_close_mailbox(s);
	explicit_bzero(s->user, sizeof(s->user));
	log_ses(&s->log, LOG_LOW, "closing connection");
	settings_snap_unref(&s->settings);
	free(s);
}

static void
pop_resume(struct conn *c, void *arg, enum park_event why)
{
	struct pop_session *s = arg;

	(void)c;
	if (why == PARK_SHUTDOWN) {
		log_ses(&s->log, LOG_LOW, "server shutdown; closing");
		pop_reply(s, "-ERR [SYS/TEMP] server shutting down");
		s->quit = true;
	} else if (why == PARK_TIMEOUT) {
		log_ses(&s->log, LOG_PROBLEM, "read failed. Error Code=read "
		    "time-out");
		pop_reply(s, "-ERR autologout: read time-out");
		s->quit = true;
	} else if (!store_back(s))
		s->quit = true;
	session_loop(s);
}

static void
pop_session_run(struct server *srv, struct conn *c, const char *service)
{
	struct pop_session *s = xcalloc(1, sizeof(*s));
	const struct pop_conf *conf;
	unsigned left;

	s->srv = srv;
	s->conn = c;
	s->service = service;
	s->state = POP_AUTHORIZATION;
	s->prelogin = true;
	log_session_init(&s->log, &log_pop, conn_peer_text(c));
	if (objects_iplist_match(srv->objects, OBJ_IPS_DEBUG,
	    (const struct sockaddr *)conn_peer_addr(c)))
		s->log.force_level = LOG_ALL;
	s->settings = objects_settings_get(srv->objects, "POP",
	    &pop_settings_table);
	conf = settings_snap_conf(s->settings);
	s->hibernate_ms = (int64_t)conf->hibernate_after * 1000;
	conn_set_timeouts(c, POP_IDLE_TIMEOUT_MS, POP_WRITE_TIMEOUT_MS);
	objects_main_domain(srv->objects, s->host, sizeof(s->host));
	auth_make_challenge(s->host, s->timestamp, sizeof(s->timestamp));
	log_ses(&s->log, LOG_LOW, "connected to %s%s", conn_local_text(c),
	    conn_is_tls(c) ? " (TLS)" : "");
	if (auth_tempbl_refuse(srv, (const struct sockaddr *)
	    conn_peer_addr(c), &left)) {
		log_ses(&s->log, LOG_PROBLEM, "connection refused: address is "
		    "temporarily blacklisted (%u s left)", left);
		pop_reply(s, "-ERR [SYS/TEMP] your address is temporarily "
		    "blacklisted, try later");
		s->quit = true;
	} else
		/* RFC 1939 7: the APOP timestamp rides in the greeting. */
		pop_reply(s, "+OK Tegami POP3 server %s ready %s",
		    TEGAMI_VERSION, s->timestamp);
	session_loop(s);
}

static void
pop_handler(struct conn *c, void *arg)
{
	pop_session_run(arg, c, conn_is_tls(c) ? "pop3s" : "pop3");
}

static void
pop_refuse(struct conn *c, const char *why)
{
	conn_printf(c, "-ERR %s\r\n", why);
	conn_flush(c);
}

int
pop_register(struct server *srv, struct error *err_r)
{
	log_register(&log_pop);
	if (listener_register("pop3", pop_handler, pop_refuse, srv, &log_pop,
	    err_r) < 0 ||
	    listener_register("pop3s", pop_handler, pop_refuse, srv, &log_pop,
	    err_r) < 0)
		return -1;
	return 0;
}
