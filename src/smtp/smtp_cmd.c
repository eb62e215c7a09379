/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_cmd.c: the SMTP command table and its handlers (RFC 5321 4.1 and
 * the extensions: STARTTLS RFC 3207, AUTH RFC 4954, SIZE RFC 1870, DSN
 * RFC 3461, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531, ENHANCEDSTATUSCODES
 * RFC 2034/3463, PIPELINING RFC 2920).  The dispatcher does the shared
 * work once: verb look-up, state check, the idle-command limit and the
 * "inp:" log line; each handler does one job.
 *
 * Every address goes through the Router: RCPT TO in the Mail context
 * decides local delivery, discarding, or relaying -- which is allowed only
 * for Client IP Addresses, authenticated sessions, or addresses routed by a
 * Relay:/RelayAll: record (docs/smtp.md); MAIL FROM is routed too and
 * refused when it ends in an error (docs/behaviour.md, B6).
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "auth/sasl.h"
#include "router/router.h"
#include "core/server.h"
#include "smtp/smtp_private.h"

#define CMD_IDLE	0x01	/* counts toward MaxIdleCommands */

struct smtp_cmd {
	const char	*name;
	unsigned	 states;		/* ST_* bits where valid */
	unsigned	 flags;
	void		(*run)(struct smtp_session *, struct strv args);
};

static void	cmd_helo(struct smtp_session *, struct strv);
static void	cmd_ehlo(struct smtp_session *, struct strv);
static void	cmd_mail(struct smtp_session *, struct strv);
static void	cmd_rcpt(struct smtp_session *, struct strv);
static void	cmd_data(struct smtp_session *, struct strv);
static void	cmd_rset(struct smtp_session *, struct strv);
static void	cmd_noop(struct smtp_session *, struct strv);
static void	cmd_quit(struct smtp_session *, struct strv);
static void	cmd_vrfy(struct smtp_session *, struct strv);
static void	cmd_expn(struct smtp_session *, struct strv);
static void	cmd_help(struct smtp_session *, struct strv);
static void	cmd_starttls(struct smtp_session *, struct strv);
static void	cmd_auth(struct smtp_session *, struct strv);

static const struct smtp_cmd smtp_cmds[] = {
	{ "EHLO",	ST_ANY,			CMD_IDLE,	cmd_ehlo },
	{ "HELO",	ST_ANY,			CMD_IDLE,	cmd_helo },
	{ "MAIL",	ST_GREETED,		0,		cmd_mail },
	{ "RCPT",	ST_MAIL | ST_RCPT,	0,		cmd_rcpt },
	{ "DATA",	ST_RCPT,		0,		cmd_data },
	{ "RSET",	ST_ANY,			CMD_IDLE,	cmd_rset },
	{ "NOOP",	ST_ANY,			CMD_IDLE,	cmd_noop },
	{ "QUIT",	ST_ANY,			0,		cmd_quit },
	{ "VRFY",	ST_ANY,			CMD_IDLE,	cmd_vrfy },
	{ "EXPN",	ST_ANY,			CMD_IDLE,	cmd_expn },
	{ "HELP",	ST_ANY,			CMD_IDLE,	cmd_help },
	{ "STARTTLS",	ST_GREETED,		CMD_IDLE,	cmd_starttls },
	{ "AUTH",	ST_GREETED,		CMD_IDLE,	cmd_auth },
};

static struct auth_peer
peer_of(struct smtp_session *s)
{
	struct auth_peer p = {
		(const struct sockaddr *)conn_local_addr(s->conn),
		(const struct sockaddr *)conn_peer_addr(s->conn),
		conn_is_tls(s->conn), "SMTP", &s->log
	};

	return p;
}

static struct ssl_ctx_st *
starttls_ctx(const struct smtp_session *s)
{
	if (conn_is_tls(s->conn))
		return NULL;
	return listener_tls_ctx(s->service);
}

static void
bad_sequence(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *why = "Bad sequence of commands";

	if (s->state == ST_INIT)
		why = "Send HELO/EHLO first";
	else if (strcmp(cmd->name, "MAIL") == 0)
		why = "Nested MAIL command";
	else if (strcmp(cmd->name, "RCPT") == 0)
		why = "Need MAIL command first";
	else if (strcmp(cmd->name, "DATA") == 0)
		why = s->state == ST_MAIL ? "No valid recipients" :
		    "Need MAIL command first";
	else if (strcmp(cmd->name, "AUTH") == 0 && s->authed)
		why = "Already authenticated";
	else if (strcmp(cmd->name, "AUTH") == 0 ||
	    strcmp(cmd->name, "STARTTLS") == 0)
		why = "Not allowed during a mail transaction";
	log_ses(&s->log, LOG_PROBLEM, "%s refused: %s", cmd->name, why);
	smtp_reply(s, 503, "5.5.1", "%s", why);
}

void
smtp_dispatch(struct smtp_session *s, struct strv line)
{
	const struct smtp_cmd *cmd = NULL;
	struct strv verb, args;
	struct error err;
	char esc[SMTP_CMD_LINE_MAX / 2];
	size_t i;

	if (smtp_parse_verb(line, &verb, &args, &err) < 0) {
		log_escape(esc, sizeof(esc), line.p, line.len);
		log_ses(&s->log, LOG_PROBLEM, "bad command (%s): %s", err.msg,
		    esc);
		smtp_reply(s, 500, "5.5.2", "Syntax error: %s", err.msg);
		return;
	}
	if (log_ses_enabled(&s->log, LOG_ALL)) {
		/* Never log AUTH data: only the verb and the mechanism. */
		if (strv_caseeq_cstr(verb, "AUTH")) {
			struct strv mech;

			(void)strv_split(args, ' ', &mech);
			log_escape(esc, sizeof(esc), mech.p, mech.len);
			log_ses(&s->log, LOG_ALL, "inp: AUTH %s ...", esc);
		} else {
			log_escape(esc, sizeof(esc), line.p, line.len);
			log_ses(&s->log, LOG_ALL, "inp: %s", esc);
		}
	}
	for (i = 0; i < N_ELEMENTS(smtp_cmds); i++)
		if (strv_caseeq_cstr(verb, smtp_cmds[i].name)) {
			cmd = &smtp_cmds[i];
			break;
		}
	if (cmd == NULL) {
		log_escape(esc, sizeof(esc), verb.p, verb.len);
		log_ses(&s->log, LOG_PROBLEM, "unknown command %s", esc);
		smtp_reply(s, 500, "5.5.2", "Command unrecognized");
		return;
	}
	if (cmd->flags & CMD_IDLE) {
		if (++s->idle_cmds > s->conf->max_idle_cmds) {
			log_ses(&s->log, LOG_PROBLEM, "too many commands "
			    "without MAIL (%u); closing", s->idle_cmds);
			smtp_reply(s, 421, "4.7.0", "Too many commands "
			    "without a transaction, closing connection");
			s->quit = true;
			return;
		}
	}
	if ((cmd->states & s->state) == 0 ||
	    (strcmp(cmd->name, "AUTH") == 0 && s->authed)) {
		bad_sequence(s, cmd);
		return;
	}
	cmd->run(s, args);
}

/* ---- HELO, EHLO --------------------------------------------------------- */

/* Keeps the client's name for the Received: header: only characters of a
 * domain or address literal survive, anything else becomes '?'. */
static int
set_helo(struct smtp_session *s, struct strv args)
{
	size_t i;

	if (args.len == 0) {
		log_ses(&s->log, LOG_PROBLEM, "HELO/EHLO without a name");
		smtp_reply(s, 501, "5.5.4", "HELO/EHLO requires a domain "
		    "name");
		return -1;
	}
	if (args.len > SMTP_HELO_MAX) {
		log_ses(&s->log, LOG_PROBLEM, "HELO/EHLO name too long");
		smtp_reply(s, 501, "5.5.4", "Domain name too long");
		return -1;
	}
	for (i = 0; i < args.len; i++) {
		unsigned char c = (unsigned char)args.p[i];

		s->helo[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(".-_[]:", c) != NULL ?
		    (char)c : '?';
	}
	s->helo[args.len] = '\0';
	smtp_reset_transaction(s);
	s->state = ST_GREETED;
	return 0;
}

static void
cmd_helo(struct smtp_session *s, struct strv args)
{
	if (set_helo(s, args) < 0)
		return;
	s->esmtp = false;
	smtp_reply(s, 250, NULL, "%s Hello %s [%s]", s->hostname, s->helo,
	    conn_peer_ip(s->conn));
}

static void
cmd_ehlo(struct smtp_session *s, struct strv args)
{
	if (set_helo(s, args) < 0)
		return;
	s->esmtp = true;
	smtp_reply_line(s, 250, false, "%s Hello %s [%s]", s->hostname,
	    s->helo, conn_peer_ip(s->conn));
	smtp_reply_line(s, 250, false, "PIPELINING");
	smtp_reply_line(s, 250, false, "8BITMIME");
	smtp_reply_line(s, 250, false, "SIZE %llu",
	    (unsigned long long)s->conf->max_msg_size);
	smtp_reply_line(s, 250, false, "ENHANCEDSTATUSCODES");
	smtp_reply_line(s, 250, false, "DSN");
	smtp_reply_line(s, 250, false, "SMTPUTF8");
	if (starttls_ctx(s) != NULL)
		smtp_reply_line(s, 250, false, "STARTTLS");
	/* The same mechanisms as POP's CAPA and IMAP's CAPABILITY
	 * (sasl_offered): PLAIN and LOGIN where clear-text logins are
	 * allowed, unless RequireTLSForAUTH; CRAM-MD5 where the domain's
	 * AUTHMethods lists it. */
	if (!s->authed) {
		struct auth_peer peer = peer_of(s);
		unsigned mechs = sasl_offered(s->srv, &peer,
		    s->conf->require_tls_auth);

		if (mechs != 0) {
			struct buf b;

			buf_init(&b, 256);
			sasl_format(mechs, "", &b);
			smtp_reply_line(s, 250, false, "AUTH%s", buf_cstr(&b));
			buf_free(&b);
		}
	}
	smtp_reply_line(s, 250, true, "HELP");
}

/* ---- MAIL, RCPT --------------------------------------------------------- */

static bool
is_submission(const struct smtp_session *s)
{
	return strcmp(s->service, "submission") == 0;
}

/* Maps a parse failure to its reply; path_enh is 5.1.7 (MAIL) or 5.1.3
 * (RCPT), RFC 3463 3.2. */
static void
parse_failed(struct smtp_session *s, const char *verb, enum smtp_pfail fail,
    const struct error *err, const char *path_enh)
{
	log_ses(&s->log, LOG_PROBLEM, "%s refused: %s", verb, err->msg);
	if (fail == SMTP_PF_ADDRESS)
		smtp_reply(s, 553, path_enh, "%s", err->msg);
	else if (fail == SMTP_PF_UNKNOWN_PARAM)
		smtp_reply(s, 555, "5.5.4", "%s", err->msg);
	else
		smtp_reply(s, 501, "5.5.4", "Syntax error: %s", err->msg);
}

static void
cmd_mail(struct smtp_session *s, struct strv args)
{
	struct smtp_mail_args *m = &s->mail;
	struct route_result res;
	struct error err;

	/* RFC 6409 4.3 / RFC 4954 6: the submission port wants AUTH. */
	if (is_submission(s) && !s->authed) {
		log_ses(&s->log, LOG_PROBLEM, "MAIL refused: not "
		    "authenticated on the submission port");
		smtp_reply(s, 530, "5.7.0", "Authentication required");
		return;
	}
	if (smtp_parse_mail(args, m, &err) < 0) {
		parse_failed(s, "MAIL FROM", m->fail, &err, "5.1.7");
		memset(m, 0, sizeof(*m));
		return;
	}
	/* RFC 6531 3.5: non-ASCII addresses need SMTPUTF8. */
	if (m->path_8bit && !m->smtputf8) {
		log_ses(&s->log, LOG_PROBLEM, "MAIL refused: 8-bit address "
		    "without SMTPUTF8");
		smtp_reply(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		memset(m, 0, sizeof(*m));
		return;
	}
	/* RFC 1870 6.1: a declared size over the limit is refused now. */
	if (m->has_size && m->size > s->conf->max_msg_size) {
		log_ses(&s->log, LOG_PROBLEM, "MAIL refused: SIZE=%llu over "
		    "the limit %llu", (unsigned long long)m->size,
		    (unsigned long long)s->conf->max_msg_size);
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed "
		    "maximum message size (%llu)",
		    (unsigned long long)s->conf->max_msg_size);
		memset(m, 0, sizeof(*m));
		return;
	}
	/* docs/behaviour.md, B6: the return-path is routed; an error
	 * route (our domain, no such object) refuses it. */
	if (!m->null_path && router_route(s->srv->router, m->path,
	    ROUTE_MAIL, NULL, &res, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "MAIL FROM:<%s> refused: %s",
		    m->path, res.error);
		smtp_reply(s, 550, "5.1.8", "Return-Path rejected: %s",
		    res.error);
		memset(m, 0, sizeof(*m));
		return;
	}
	s->state = ST_MAIL;
	s->idle_cmds = 0;
	s->size_limit = s->conf->max_msg_size;
	log_ses(&s->log, LOG_LOW, "MAIL FROM:<%s> accepted", m->path);
	smtp_reply(s, 250, "2.1.0", "<%s> sender accepted", m->path);
}

/* The account's effective MaxMessageSize (bytes), or 0 for no limit. */
static uint64_t
account_size_limit(struct smtp_session *s, const struct route_result *res)
{
	char buf[64];
	const char *v = objects_account_effective_str(s->srv->objects,
	    res->account, res->domain, "MaxMessageSize", buf, sizeof(buf),
	    NULL) == 0 ? buf : NULL;
	uint64_t n = 0, mul = 1;
	struct strv sv;

	if (v != NULL && strcasecmp(v, "unlimited") != 0) {
		sv = strv_trim(strv_from(v));
		if (sv.len > 0 && (sv.p[sv.len - 1] == 'K' ||
		    sv.p[sv.len - 1] == 'k'))
			mul = 1024, sv.len--;
		else if (sv.len > 0 && (sv.p[sv.len - 1] == 'M' ||
		    sv.p[sv.len - 1] == 'm'))
			mul = 1024 * 1024, sv.len--;
		if (strv_to_u64(sv, &n) < 0 || n > UINT64_MAX / mul)
			n = 0;
		else
			n *= mul;
	}
	return n;
}

static void
add_rcpt(struct smtp_session *s, const struct smtp_rcpt_args *r)
{
	struct smtp_rcpt *rc;

	if (s->nrcpt == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap == 0 ? 8 : s->rcpt_cap * 2;
		s->rcpts = xrealloc(s->rcpts, size_mul(s->rcpt_cap,
		    sizeof(*s->rcpts)));
	}
	rc = &s->rcpts[s->nrcpt++];
	rc->address = xstrdup(r->path);
	rc->orcpt = r->orcpt[0] != '\0' ? xstrdup(r->orcpt) : NULL;
	rc->notify = r->notify;
}

static void
cmd_rcpt(struct smtp_session *s, struct strv args)
{
	struct smtp_rcpt_args r;
	struct route_result res;
	struct error err;
	uint64_t lim;

	/* RFC 5321 4.5.3.1.10: 452 for too many recipients. */
	if (s->nrcpt >= s->conf->max_rcpt) {
		log_ses(&s->log, LOG_PROBLEM, "RCPT refused: too many "
		    "recipients (limit %u)", (unsigned)s->conf->max_rcpt);
		smtp_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	if (smtp_parse_rcpt(args, &r, &err) < 0) {
		parse_failed(s, "RCPT TO", r.fail, &err, "5.1.3");
		return;
	}
	if (r.path_8bit && !s->mail.smtputf8) {
		log_ses(&s->log, LOG_PROBLEM, "RCPT refused: 8-bit address "
		    "without SMTPUTF8");
		smtp_reply(s, 553, "5.6.7", "Non-ASCII address needs "
		    "SMTPUTF8");
		return;
	}
	/* docs/dnr.md: a client listed by an RBL is refused here, at RCPT,
	 * where an authenticated session is known. */
	if (smtp_rbl_refused(s))
		return;
	if (router_route(s->srv->router, r.path, ROUTE_MAIL, NULL, &res,
	    &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "RCPT TO:<%s> refused: %s",
		    r.path, res.error);
		smtp_reply(s, 550, "5.1.1", "%s", res.error);
		return;
	}
	switch (res.module) {
	case ROUTE_LOCAL:
		lim = account_size_limit(s, &res);
		if (lim != 0 && s->mail.has_size && s->mail.size > lim) {
			log_ses(&s->log, LOG_PROBLEM, "RCPT TO:<%s> refused: "
			    "SIZE over the account limit %llu", r.path,
			    (unsigned long long)lim);
			smtp_reply(s, 552, "5.3.4", "Message too big for "
			    "this recipient");
			return;
		}
		if (lim != 0 && lim < s->size_limit)
			s->size_limit = lim;
		break;
	case ROUTE_NULL:
	case ROUTE_GROUP:		/* a group of ours */
		break;
	default:
		/* Never an open relay (docs/smtp.md).  127.0.0.1 is
		 * not special: the administrator lists it in Client IPs. */
		if (!s->is_client && !s->authed && !res.relay_ok) {
			log_ses(&s->log, LOG_PROBLEM, "RCPT TO:<%s> refused: "
			    "relaying prohibited", r.path);
			smtp_reply(s, 550, "5.7.1", "Relaying prohibited; "
			    "authenticate first");
			return;
		}
		break;
	}
	add_rcpt(s, &r);
	s->state = ST_RCPT;
	log_ses(&s->log, LOG_LOW, "RCPT TO:<%s> accepted (%s)", r.path,
	    res.module == ROUTE_LOCAL ? res.address :
	    res.module == ROUTE_NULL ? "discarded" : res.host);
	smtp_reply(s, 250, "2.1.5", "<%s> recipient accepted", r.path);
}

/* ---- DATA and the simple commands --------------------------------------- */

static void
cmd_data(struct smtp_session *s, struct strv args)
{
	if (args.len != 0) {
		smtp_reply(s, 501, "5.5.4", "DATA takes no parameters");
		return;
	}
	if (s->srv->queue == NULL) {
		log_ses(&s->log, LOG_PROBLEM, "DATA refused: queue not "
		    "available");
		smtp_reply(s, 451, "4.3.0", "Queue not available, try later");
		return;
	}
	smtp_reply(s, 354, NULL, "Enter mail, end with \".\" on a line by "
	    "itself");
	if (smtp_data_run(s) < 0)
		s->quit = true;
	smtp_reset_transaction(s);
}

static void
cmd_rset(struct smtp_session *s, struct strv args)
{
	(void)args;
	smtp_reset_transaction(s);
	smtp_reply(s, 250, "2.0.0", "OK");
}

static void
cmd_noop(struct smtp_session *s, struct strv args)
{
	(void)args;
	smtp_reply(s, 250, "2.0.0", "OK");
}

static void
cmd_quit(struct smtp_session *s, struct strv args)
{
	(void)args;
	smtp_reply(s, 221, "2.0.0", "%s closing connection", s->hostname);
	s->quit = true;
}

/* RFC 5321 3.5.3: 252 when we will not verify but will accept. */
static void
cmd_vrfy(struct smtp_session *s, struct strv args)
{
	if (args.len == 0) {
		smtp_reply(s, 501, "5.5.4", "VRFY needs an argument");
		return;
	}
	smtp_reply(s, 252, "2.5.0", "Cannot VRFY user, but will accept "
	    "message and attempt delivery");
}

static void
cmd_expn(struct smtp_session *s, struct strv args)
{
	(void)args;
	smtp_reply(s, 502, "5.5.1", "EXPN not available");
}

static void
cmd_help(struct smtp_session *s, struct strv args)
{
	(void)args;
	smtp_reply_line(s, 214, false, "2.0.0 Commands: EHLO HELO MAIL RCPT "
	    "DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
	smtp_reply_line(s, 214, true, "2.0.0 See RFC 5321");
}

/* ---- STARTTLS (RFC 3207) ------------------------------------------------ */

static void
cmd_starttls(struct smtp_session *s, struct strv args)
{
	struct ssl_ctx_st *ctx = starttls_ctx(s);
	struct error err;
	char junk[1024];
	size_t pending, dropped = 0;
	ssize_t n;

	if (conn_is_tls(s->conn)) {
		smtp_reply(s, 503, "5.5.1", "TLS already active");
		return;
	}
	if (ctx == NULL) {
		smtp_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	if (args.len != 0) {
		smtp_reply(s, 501, "5.5.4", "STARTTLS takes no parameters");
		return;
	}
	/* RFC 3207 4.2 / CVE-2011-0411: plaintext pipelined after STARTTLS
	 * must never be taken as if it came over TLS.  It is thrown away
	 * unanswered (and logged); the handshake then decides. */
	while ((pending = conn_pending_input(s->conn)) > 0) {
		n = conn_read(s->conn, junk, pending < sizeof(junk) ?
		    pending : sizeof(junk));
		if (n <= 0)
			break;
		dropped += (size_t)n;
	}
	if (dropped > 0)
		log_ses(&s->log, LOG_PROBLEM, "discarded %zu bytes pipelined "
		    "after STARTTLS", dropped);
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	if (conn_starttls(s->conn, ctx, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "TLS handshake failed: %s",
		    err.msg);
		s->quit = true;
		return;
	}
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	smtp_reset_transaction(s);
	s->state = ST_INIT;
	s->helo[0] = '\0';
	s->esmtp = false;
	s->authed = false;
	log_ses(&s->log, LOG_LOW, "TLS established: %s",
	    conn_tls_info(s->conn));
}

/* ---- AUTH (RFC 4954) ---------------------------------------------------- */

/* The exchange runs in the SASL engine (auth/sasl.h); here only the
 * framing: "334 challenge" continuations, response lines of at most
 * SMTP_AUTH_LINE_MAX, the initial response, and the reply codes. */
_Static_assert(SMTP_AUTH_LINE_MAX <= SASL_RESPONSE_MAX,
    "an AUTH line the engine would refuse as too long");

enum auth_io { AUTH_IO_OK, AUTH_IO_BAD, AUTH_IO_CLOSE };

/* Sends "334 challenge" and reads the client's answer; the line is never
 * logged. */
static enum auth_io
auth_read(struct smtp_session *s, const char *challenge, struct strv *line)
{
	enum line_rc rc;

	smtp_reply_line(s, 334, true, "%s", challenge);
	rc = conn_read_line(s->conn, SMTP_AUTH_LINE_MAX, LINE_CRLF_ONLY, line);
	if (rc == LINE_TOOLONG)
		return AUTH_IO_BAD;	/* the reader drops the rest of it */
	if (rc != LINE_OK)
		return AUTH_IO_CLOSE;
	return AUTH_IO_OK;
}

static void
cmd_auth(struct smtp_session *s, struct strv args)
{
	struct auth_peer peer = peer_of(s);
	const struct sasl_mech *mech;
	struct sasl_session *ss;
	const struct error *err;
	struct strv mech_sv, initial, line;
	char uesc[128];
	enum sasl_step st;
	enum auth_io io = AUTH_IO_OK;

	initial = strv_split(args, ' ', &mech_sv);
	if (mech_sv.len == 0 || mech_sv.len >= 16) {
		smtp_reply(s, 501, "5.5.4", "AUTH needs a mechanism");
		return;
	}
	mech = sasl_mech_find(mech_sv);
	if (mech == NULL || (sasl_accepted(s->srv, &peer,
	    s->conf->require_tls_auth) & SASL_MECH_BIT(mech->id)) == 0) {
		if (mech == NULL || !mech->clear_text) {
			smtp_reply(s, 504, "5.5.4", "Unrecognized "
			    "authentication type");
			return;
		}
		log_ses(&s->log, LOG_PROBLEM, "AUTH %s refused: TLS required",
		    mech->name);
		smtp_reply(s, 538, "5.7.11", "Encryption required for "
		    "requested authentication mechanism");
		return;
	}
	initial = strv_trim(initial);
	ss = sasl_session_new(mech, s->srv, &peer, s->hostname);
	st = sasl_start(ss, initial.len > 0 ? &initial : NULL);
	while (st == SASL_CONTINUE) {
		if ((io = auth_read(s, sasl_challenge(ss), &line)) !=
		    AUTH_IO_OK)
			break;
		st = sasl_step_b64(ss, line);
	}
	log_escape(uesc, sizeof(uesc), sasl_authcid(ss),
	    strlen(sasl_authcid(ss)));
	err = sasl_error(ss);
	if (io == AUTH_IO_CLOSE)
		s->quit = true;
	else if (st == SASL_CANCELLED) {
		log_ses(&s->log, LOG_PROBLEM, "AUTH %s cancelled", mech->name);
		smtp_reply(s, 501, "5.0.0", "Authentication cancelled");
	} else if (io == AUTH_IO_BAD || st == SASL_ERROR_SYNTAX) {
		log_ses(&s->log, LOG_PROBLEM, "AUTH %s: malformed response",
		    mech->name);
		smtp_reply(s, 501, "5.5.2", "Cannot decode the response");
	} else if (st != SASL_DONE_OK) {
		log_ses(&s->log, LOG_PROBLEM, "AUTH %s failed for '%s': %s",
		    mech->name, uesc, err->msg);
		if (err->kind == ERR_AUTH || err->kind == ERR_PERM ||
		    err->kind == ERR_NOTFOUND)
			smtp_reply(s, 535, "5.7.8", "%s", err->msg[0] != '\0' ?
			    err->msg : AUTH_GENERIC_ERROR);
		else
			smtp_reply(s, 454, "4.7.0", "Temporary authentication "
			    "failure: %s", err->msg);
	} else {
		s->authed = true;
		s->auth = *sasl_result(ss);
		log_ses(&s->log, LOG_LOW, "AUTH %s: authenticated as %s",
		    mech->name, s->auth.address);
		smtp_reply(s, 235, "2.7.0", "Authentication successful");
	}
	sasl_session_free(&ss);
}
