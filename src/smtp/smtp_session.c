/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_session.c: the SMTP receiving sessions (RFC 5321).  Registers the
 * smtp, submission and smtps services, reads the module settings for each
 * session within their bounds, refuses blacklisted clients at connect
 * (docs/admin-cli.md), and runs the command loop: one bounded CRLF line at a
 * time through the dispatcher in smtp_cmd.c, with the session's error and
 * time limits.  Replies are buffered by the conn and flushed before any
 * read that would block, which is all RFC 2920 PIPELINING needs.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "core/server.h"
#include "smtp/smtp_private.h"

#define SMTP_REPLY_MAX		1024	/* one reply line we write */

static struct log_module log_smtp = LOG_MODULE("SMTP");

static const char *const smtp_services[] = { "smtp", "submission", "smtps" };

static void
reply_write(struct smtp_session *s, const char *text)
{
	char esc[SMTP_REPLY_MAX];

	if (log_ses_enabled(&s->log, LOG_ALL)) {
		log_escape(esc, sizeof(esc), text, strlen(text));
		log_ses(&s->log, LOG_ALL, "out: %s", esc);
	}
	(void)conn_write(s->conn, text, strlen(text));
	(void)conn_write(s->conn, "\r\n", 2);
}

void
smtp_reply(struct smtp_session *s, int code, const char *enh,
    const char *fmt, ...)
{
	char text[SMTP_REPLY_MAX], line[SMTP_REPLY_MAX + 32];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (enh != NULL)
		(void)snprintf(line, sizeof(line), "%d %s %s", code, enh, text);
	else
		(void)snprintf(line, sizeof(line), "%d %s", code, text);
	reply_write(s, line);
	if (code >= 400)
		s->errors++;
}

void
smtp_reply_line(struct smtp_session *s, int code, bool last,
    const char *fmt, ...)
{
	char text[SMTP_REPLY_MAX], line[SMTP_REPLY_MAX + 8];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	(void)snprintf(line, sizeof(line), "%d%c%s", code, last ? ' ' : '-',
	    text);
	reply_write(s, line);
}

void
smtp_reset_transaction(struct smtp_session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpts[i].address);
		free(s->rcpts[i].orcpt);
	}
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpt = s->rcpt_cap = 0;
	memset(&s->mail, 0, sizeof(s->mail));
	s->size_limit = s->conf->max_msg_size;
	if (s->state & (ST_MAIL | ST_RCPT))
		s->state = ST_GREETED;
}

/* ---- the session -------------------------------------------------------- */

/* Blacklisted IPs are refused unless the address is
 * also a White Hole or Client address; so are Temporary Blacklisted IP
 * Addresses (too many failed logins, auth.h), with a temporary 421. */
static bool
refused_at_connect(struct smtp_session *s)
{
	const struct sockaddr *peer =
	    (const struct sockaddr *)conn_peer_addr(s->conn);
	struct objects *o = s->srv->objects;
	unsigned left;

	if (!s->is_client && auth_tempbl_check(peer, &left) &&
	    !objects_iplist_match(o, OBJ_IPS_WHITEHOLE, peer)) {
		log_ses(&s->log, LOG_PROBLEM, "connection refused: address is "
		    "temporarily blacklisted (%u s left)", left);
		smtp_reply(s, 421, "4.7.0", "Your address [%s] is temporarily "
		    "blacklisted, try later", conn_peer_ip(s->conn));
		return true;
	}
	if (!objects_iplist_match(o, OBJ_IPS_BLACKLISTED, peer) ||
	    objects_iplist_match(o, OBJ_IPS_WHITEHOLE, peer) || s->is_client)
		return false;
	log_ses(&s->log, LOG_PROBLEM, "connection refused: address is "
	    "blacklisted");
	smtp_reply(s, 554, "5.7.1", "Your address [%s] is blacklisted here",
	    conn_peer_ip(s->conn));
	return true;
}

/* "421 4.4.2 <host> Timeout (<why>)" and its log line. */
static void
timeout_reply(struct smtp_session *s, const char *where, const char *why)
{
	log_ses(&s->log, LOG_PROBLEM, "%s%s; closing", where, why);
	smtp_reply(s, 421, "4.4.2", "%s Timeout (%s), closing connection",
	    s->hostname, why);
}

void
smtp_timeout_close(struct smtp_session *s, const char *where)
{
	if (conn_was_shed(s->conn)) {
		log_ses(&s->log, LOG_PROBLEM, "the service is full: %s",
		    conn_last_error(s->conn));
		smtp_reply(s, 421, "4.3.2", "%s Too many connections, try "
		    "again later; closing connection", s->hostname);
		return;
	}
	timeout_reply(s, where, conn_last_error(s->conn));
}

static void smtp_resume(struct conn *c, void *arg, enum park_event why);

/*
 * Waits for the next command, at most HibernateAfter, then parks the
 * session.  Only after pre-login (AUTH or the first MAIL): before that the
 * listener's login time-out and shedding watch the thread.  Only here,
 * between commands: never inside DATA (smtp_dispatch() runs it to its
 * end), and never with input buffered (PIPELINING: conn_quiet_for() says
 * no).  True when parked: the caller returns without touching s.
 */
static bool
wait_or_park(struct smtp_session *s)
{
	if (s->prelogin)
		return false;
	/* Parked, the CommandTimeout counts from when the wait began. */
	return listener_park_when_idle(s->conn, s->hibernate_ms,
	    (int64_t)s->conf->cmd_timeout * 1000, smtp_resume, s);
}

/* The end of a session (its thread's, whichever that is). */
static void
session_end(struct smtp_session *s)
{
	smtp_reset_transaction(s);
	explicit_bzero(&s->auth, sizeof(s->auth));
	(void)conn_flush(s->conn);
	log_ses(&s->log, LOG_LOW, "closing connection");
	settings_snap_unref(&s->settings);
	free(s);
}

/* Runs the session from its "waiting for the next command" point until it
 * ends (then frees it) or parks. */
static void
session_loop(struct smtp_session *s)
{
	struct strv line;
	enum line_rc rc;

	while (!s->quit) {
		if (wait_or_park(s))
			return;
		rc = conn_read_line(s->conn, SMTP_CMD_LINE_MAX, LINE_CRLF_ONLY,
		    &line);
		if (rc == LINE_OK)
			smtp_dispatch(s, line);
		else if (rc == LINE_TOOLONG) {
			log_ses(&s->log, LOG_PROBLEM, "command line too long "
			    "(over %u bytes)", SMTP_CMD_LINE_MAX);
			smtp_reply(s, 500, "5.5.2", "Line too long");
		} else if (rc == LINE_BARE_LF) {
			/* RFC 5321 2.3.8: lines end with CRLF only; a bare
			 * LF is how SMTP smuggling starts, so we hang up. */
			log_ses(&s->log, LOG_PROBLEM, "bare LF in a command; "
			    "closing");
			smtp_reply(s, 500, "5.5.2", "Bare LF not accepted; "
			    "lines must end with CRLF");
			break;
		} else if (rc == LINE_TIMEOUT) {
			smtp_timeout_close(s, "");
			break;
		} else {
			if (rc == LINE_ERROR)
				log_ses(&s->log, LOG_LOW, "read failed: %s",
				    conn_last_error(s->conn));
			else
				log_ses(&s->log, LOG_LOW, "peer disconnected");
			break;
		}
		if (s->quit)
			break;
		/* Pre-login ends with AUTH or the first MAIL: the listener's
		 * login time-out and shedding no longer apply. */
		if (s->prelogin && (s->authed || (s->state & (ST_MAIL |
		    ST_RCPT)))) {
			s->prelogin = false;
			conn_set_deadline(s->conn, 0, NULL);
			conn_set_sheddable(s->conn, false);
		}
		if (s->errors >= s->conf->max_errors) {
			log_ses(&s->log, LOG_PROBLEM, "too many errors (%u); "
			    "closing", s->errors);
			smtp_reply(s, 421, "4.7.0", "Too many errors, closing "
			    "connection");
			break;
		}
	}
	session_end(s);
}

/* A parked session woke: input goes on with the loop; its CommandTimeout
 * or server shutdown end it with a 421. */
static void
smtp_resume(struct conn *c, void *arg, enum park_event why)
{
	struct smtp_session *s = arg;

	(void)c;
	if (why == PARK_SHUTDOWN) {
		log_ses(&s->log, LOG_LOW, "server shutdown; closing");
		smtp_reply(s, 421, "4.3.2", "%s Server shutting down, closing "
		    "connection", s->hostname);
		s->quit = true;
	} else if (why == PARK_TIMEOUT) {
		timeout_reply(s, "", "read time-out");
		s->quit = true;
	}
	session_loop(s);
}

static void
smtp_handler(struct conn *c, void *arg, const char *service)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	const struct sockaddr *peer =
	    (const struct sockaddr *)conn_peer_addr(c);

	s->srv = arg;
	s->conn = c;
	s->service = service;
	s->state = ST_INIT;
	s->prelogin = true;
	s->settings = objects_settings_get(s->srv->objects, "SMTP",
	    &smtp_settings_table);
	s->conf = settings_snap_conf(s->settings);
	s->size_limit = s->conf->max_msg_size;
	s->hibernate_ms = (int64_t)s->conf->hibernate_after * 1000;
	log_session_init(&s->log, &log_smtp, conn_peer_text(c));
	if (objects_iplist_match(s->srv->objects, OBJ_IPS_DEBUG, peer))
		s->log.force_level = LOG_ALL;
	s->is_client = objects_iplist_match(s->srv->objects, OBJ_IPS_CLIENT,
	    peer);
	objects_main_domain(s->srv->objects, s->main_domain,
	    sizeof(s->main_domain));
	if (objects_domain_for_local_ip(s->srv->objects,
	    (const struct sockaddr *)conn_local_addr(c), s->hostname,
	    sizeof(s->hostname)) < 0)
		(void)snprintf(s->hostname, sizeof(s->hostname), "%s",
		    s->main_domain);
	conn_set_timeouts(c, (int)s->conf->cmd_timeout * 1000,
	    SMTP_WRITE_TIMEOUT_MS);
	log_ses(&s->log, LOG_LOW, "connected to %s (%s%s%s)",
	    conn_local_text(c), service, conn_is_tls(c) ? ", " : "",
	    conn_is_tls(c) ? conn_tls_info(c) : "");
	if (refused_at_connect(s))
		s->quit = true;
	else
		smtp_reply(s, 220, NULL, "%s ESMTP Tegami %s ready",
		    s->hostname, TEGAMI_VERSION);
	session_loop(s);
}

static void
handler_smtp(struct conn *c, void *arg)
{
	smtp_handler(c, arg, "smtp");
}

static void
handler_submission(struct conn *c, void *arg)
{
	smtp_handler(c, arg, "submission");
}

static void
handler_smtps(struct conn *c, void *arg)
{
	smtp_handler(c, arg, "smtps");
}

static void
smtp_refuse(struct conn *c, const char *why)
{
	(void)conn_printf(c, "421 4.3.2 %s\r\n", why);
	(void)conn_flush(c);
}

int
smtp_register(struct server *srv, struct error *err_r)
{
	static listener_handler_fn *const handlers[] = {
		handler_smtp, handler_submission, handler_smtps
	};
	size_t i;

	log_register(&log_smtp);
	for (i = 0; i < N_ELEMENTS(smtp_services); i++)
		if (listener_register(smtp_services[i], handlers[i],
		    smtp_refuse, srv, &log_smtp, err_r) < 0)
			return -1;
	return 0;
}
