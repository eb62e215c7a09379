/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_cmd.c: the POP3 command table and its handlers.  The dispatcher does
 * the shared work once (parsing, state check, error counting, the "inp:"
 * log line with secrets masked); each handler does one command.
 *
 * AUTHORIZATION: USER, PASS, APOP (RFC 1939 7), AUTH (RFC 5034 with the
 * initial response; PLAIN, LOGIN, CRAM-MD5), STLS (RFC 2595 4), CAPA
 * (RFC 2449 5), QUIT.
 * TRANSACTION: STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL, CAPA, QUIT.
 *
 * Error replies carry RFC 2449/3206 response codes: [AUTH] for bad
 * credentials, [SYS/PERM] for refusals that retrying will not cure
 * (network denied, unassigned address), [SYS/TEMP] for server-side
 * trouble and flow control, [IN-USE] for the maildrop lock.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "auth/auth.h"
#include "auth/sasl.h"
#include "net/conn.h"
#include "net/listener.h"
#include "objects/objects.h"
#include "core/server.h"
#include "store/store.h"
#include "pop/pop_private.h"

#define ST_AUTH		(1u << POP_AUTHORIZATION)
#define ST_TRANS	(1u << POP_TRANSACTION)
#define ST_ANY		(ST_AUTH | ST_TRANS)

struct pop_cmd {
	enum pop_cmd_id	 id;
	unsigned	 states;
	void		(*run)(struct pop_session *, const struct pop_cmd_line *);
};

/* ---- helpers ---- */

static struct auth_peer
peer_of(struct pop_session *s)
{
	struct auth_peer p;

	p.local = (const struct sockaddr *)conn_local_addr(s->conn);
	p.remote = (const struct sockaddr *)conn_peer_addr(s->conn);
	p.tls = conn_is_tls(s->conn);
	p.service = "POP";
	p.log = &s->log;
	return p;
}

/* USER/PASS and SASL PLAIN/LOGIN send the password: over TLS or from an
 * address where clear-text logins are allowed (auth_clear_text_ok). */
static bool
clear_ok(struct pop_session *s)
{
	struct auth_peer peer = peer_of(s);

	return auth_clear_text_ok(s->srv, &peer);
}

#define POP_TLS_REQUIRED	"-ERR [AUTH] clear-text login requires TLS, " \
				"use STLS first"

static bool
refuse_clear(struct pop_session *s, const char *how)
{
	if (clear_ok(s))
		return false;
	log_ses(&s->log, LOG_PROBLEM, "%s refused: clear-text login without "
	    "TLS", how);
	pop_error(s, POP_TLS_REQUIRED);
	return true;
}

/* Maps a failed login to its reply and log line; counts the failure. */
static void
login_failed(struct pop_session *s, const char *how, const char *name,
    const struct error *err)
{
	char esc[256];
	const char *code;

	log_escape(esc, sizeof(esc), name, strlen(name));
	log_ses(&s->log, LOG_PROBLEM, "%s login failed for '%s': %s", how,
	    esc, err->msg);
	switch (err->kind) {
	case ERR_PERM:
		code = "SYS/PERM";
		break;
	case ERR_LIMIT:
	case ERR_TEMP:
	case ERR_IO:
	case ERR_INTERNAL:
		code = "SYS/TEMP";
		break;
	default:
		code = "AUTH";
		break;
	}
	s->auth_failures++;
	pop_reply(s, "-ERR [%s] %s", code, err->msg);
}

/* The account setting RequireAPOP (docs/pop.md): only APOP may
 * open such an account, so its password never crosses the wire. */
static bool
requires_apop(struct pop_session *s, const struct auth_result *res)
{
	struct dval *d;
	const char *v;
	bool yes;

	d = objects_account_effective_get(s->srv->objects, res->account,
	    res->domain, NULL);
	v = d != NULL ? dict_get_str(d, "RequireAPOP") : NULL;
	/* The one yes/no parser (lib/settings.h); anything else is no. */
	if (v == NULL || settings_parse_bool(v, strlen(v), &yes, NULL) < 0)
		yes = false;
	dict_free(&d);
	return yes;
}

static void
login_done(struct pop_session *s, const char *how,
    const struct auth_result *res)
{
	if (strcmp(how, "APOP") != 0 && requires_apop(s, res)) {
		log_ses(&s->log, LOG_PROBLEM, "%s login as '%s' refused: the "
		    "account requires APOP", how, res->address);
		s->auth_failures++;
		pop_reply(s, "-ERR [AUTH] this account requires APOP");
		return;
	}
	log_ses(&s->log, LOG_LOW, "%s login as '%s'", how, res->address);
	(void)pop_session_open(s, res->account, res->domain);
}

/* Copies a strv into a NUL-terminated buffer; false if it does not fit. */
static bool
copy_arg(struct strv v, char *buf, size_t size)
{
	if (v.len >= size)
		return false;
	memcpy(buf, v.p, v.len);
	buf[v.len] = '\0';
	return true;
}

/* Resolves a message number argument to the message; NULL after an error
 * reply.  Deleted messages may not be referred to (RFC 1939 5). */
static struct pop_msg *
msg_arg(struct pop_session *s, struct strv arg, uint32_t *n_r)
{
	uint32_t n;

	if (pop_parse_msgno(arg, &n) < 0) {
		pop_error(s, "-ERR invalid message number");
		return NULL;
	}
	if (n > s->nmsgs) {
		pop_reply(s, "-ERR no such message, only %u in the maildrop",
		    s->nmsgs);
		return NULL;
	}
	if (s->msgs[n - 1].deleted) {
		pop_reply(s, "-ERR message %u already deleted", n);
		return NULL;
	}
	*n_r = n;
	return &s->msgs[n - 1];
}

/* ---- AUTHORIZATION ---- */

static void
cmd_user(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	if (refuse_clear(s, "USER"))
		return;
	if (!copy_arg(cmd->args[0], s->user, sizeof(s->user))) {
		pop_error(s, "-ERR user name too long");
		return;
	}
	s->have_user = true;
	pop_reply(s, "+OK send the password");
}

static void
cmd_pass(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	char pw[PASSWORD_MAX + 1];
	struct auth_result res;
	struct auth_peer peer = peer_of(s);
	struct error err;

	if (!s->have_user) {
		pop_error(s, "-ERR send USER first");
		return;
	}
	if (refuse_clear(s, "PASS")) {
		s->have_user = false;
		return;
	}
	s->have_user = false;	/* RFC 1939 7: a failed PASS needs a new USER */
	if (!copy_arg(cmd->args[0], pw, sizeof(pw))) {
		error_set(&err, ERR_AUTH, AUTH_GENERIC_ERROR);
		login_failed(s, "USER", s->user, &err);
		return;
	}
	if (auth_login(s->srv, &peer, s->user, pw, &res, &err) < 0)
		login_failed(s, "USER", s->user, &err);
	else
		login_done(s, "USER", &res);
	explicit_bzero(pw, sizeof(pw));
}

static void
cmd_apop(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	char name[ADDRESS_MAX + 1], digest[33];
	struct auth_result res;
	struct auth_peer peer = peer_of(s);
	struct error err;

	if (!copy_arg(cmd->args[0], name, sizeof(name)) ||
	    !pop_valid_digest(cmd->args[1])) {
		pop_error(s, "-ERR syntax: APOP name digest");
		return;
	}
	(void)copy_arg(cmd->args[1], digest, sizeof(digest));
	if (auth_login_apop(s->srv, &peer, name, s->timestamp, digest, &res,
	    &err) < 0)
		login_failed(s, "APOP", name, &err);
	else
		login_done(s, "APOP", &res);
}

/* ---- AUTH (RFC 5034): the exchange runs in the SASL engine (auth/sasl.h);
 * here only the framing ("+ challenge", response lines of at most
 * POP_SASL_LINE_MAX, the initial response) and the replies. */
_Static_assert(POP_SASL_LINE_MAX <= SASL_RESPONSE_MAX,
    "a SASL line the engine would refuse as too long");

/* The mechanisms offered now (CAPA SASL): the same as SMTP's EHLO and
 * IMAP's CAPABILITY (sasl_offered).  0 when none. */
static unsigned
sasl_offer(struct pop_session *s)
{
	struct auth_peer peer = peer_of(s);

	return sasl_offered(s->srv, &peer, false);
}

/* Sends "+ challenge" and reads one response line into *line; false when
 * the exchange ended here (answered, or the connection failed). */
static bool
sasl_read(struct pop_session *s, const char *challenge_b64,
    struct strv *line)
{
	enum line_rc rc;

	pop_reply(s, "+ %s", challenge_b64);
	rc = conn_read_line(s->conn, POP_SASL_LINE_MAX, LINE_LF_OK, line);
	if (rc == LINE_TOOLONG) {
		pop_error(s, "-ERR [AUTH] response too long");
		return false;
	}
	if (rc != LINE_OK) {
		s->quit = true;
		return false;
	}
	log_ses(&s->log, LOG_ALL, "inp: (SASL response)");
	return true;
}

static void
sasl_run(struct pop_session *s, const struct sasl_mech *mech,
    const struct strv *ir)
{
	struct auth_peer peer = peer_of(s);
	struct sasl_session *ss;
	const struct error *err;
	struct strv line;
	enum sasl_step st;
	struct auth_result res;

	ss = sasl_session_new(mech, s->srv, &peer, s->host);
	st = sasl_start(ss, ir);
	while (st == SASL_CONTINUE) {
		if (!sasl_read(s, sasl_challenge(ss), &line)) {
			sasl_session_free(&ss);
			return;
		}
		st = sasl_step_b64(ss, line);
	}
	err = sasl_error(ss);
	switch (st) {
	case SASL_CANCELLED:
		pop_reply(s, "-ERR [AUTH] authentication cancelled");
		break;
	case SASL_ERROR_SYNTAX:
		if (sasl_syntax(ss) == SASL_SYNTAX_TOOLONG) {
			log_ses(&s->log, LOG_PROBLEM, "AUTH %s: %s",
			    mech->name, err->msg);
			pop_error(s, "-ERR [AUTH] response too long");
			break;
		}
		if (mech->id == SASL_MECH_PLAIN)
			log_ses(&s->log, LOG_PROBLEM, "AUTH PLAIN: %s",
			    err->msg);
		else
			log_ses(&s->log, LOG_PROBLEM, "AUTH %s: malformed "
			    "response", mech->name);
		s->auth_failures++;
		pop_reply(s, "-ERR [AUTH] malformed %s response", mech->name);
		break;
	case SASL_DONE_OK:
		res = *sasl_result(ss);
		login_done(s, mech->name, &res);
		break;
	default:
		login_failed(s, mech->name, sasl_authcid(ss), err);
		break;
	}
	sasl_session_free(&ss);
}

static void
cmd_auth(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct auth_peer peer = peer_of(s);
	const struct sasl_mech *mech;
	unsigned accepted;
	size_t i;

	accepted = sasl_accepted(s->srv, &peer, false);
	if (cmd->nargs == 0) {
		/* Not in RFC 5034, but what clients since RFC 1734 probe
		 * with: the mechanisms accepted now, one a line (CRAM-MD5
		 * also where CAPA does not advertise it). */
		pop_reply(s, "+OK SASL mechanisms follow");
		for (i = 0; i < SASL_MECH_COUNT; i++) {
			struct buf b;

			if ((accepted & SASL_MECH_BIT(i)) == 0)
				continue;
			buf_init(&b, 64);
			sasl_format(SASL_MECH_BIT(i), "", &b);
			pop_reply(s, "%s", buf_cstr(&b) + 1);
			buf_free(&b);
		}
		pop_reply(s, ".");
		return;
	}
	mech = sasl_mech_find(cmd->args[0]);
	if (mech != NULL && mech->clear_text &&
	    (accepted & SASL_MECH_BIT(mech->id)) == 0 &&
	    refuse_clear(s, "AUTH PLAIN/LOGIN"))
		return;
	if (mech == NULL || (accepted & SASL_MECH_BIT(mech->id)) == 0) {
		pop_error(s, "-ERR [AUTH] unsupported SASL mechanism");
		return;
	}
	/* RFC 5034 4: the initial response; "=" is an empty one. */
	if (cmd->nargs == 2 && !mech->initial_response) {
		pop_error(s, "-ERR [AUTH] %s takes no initial response",
		    mech->name);
		return;
	}
	if (cmd->nargs == 2 && cmd->args[1].len > POP_LINE_MAX) {
		pop_error(s, "-ERR [AUTH] initial response too long");
		return;
	}
	sasl_run(s, mech, cmd->nargs == 2 ? &cmd->args[1] : NULL);
}

static void
cmd_stls(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct ssl_ctx_st *ctx = listener_tls_ctx("pop3");
	struct error err;

	(void)cmd;
	if (conn_is_tls(s->conn)) {
		pop_error(s, "-ERR already using TLS");
		return;
	}
	if (ctx == NULL) {
		pop_error(s, "-ERR TLS is not available");
		return;
	}
	/* RFC 2595 4 and CVE-2011-0411: nothing may follow STLS in the same
	 * packet, or plaintext would pass as if it came over TLS. */
	if (conn_pending_input(s->conn) > 0) {
		log_ses(&s->log, LOG_PROBLEM, "STLS with pipelined input "
		    "refused");
		pop_error(s, "-ERR commands pipelined after STLS are refused");
		return;
	}
	pop_reply(s, "+OK begin TLS negotiation");
	if (conn_starttls(s->conn, ctx, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "TLS handshake failed: %s",
		    err.msg);
		s->quit = true;
		return;
	}
	/* RFC 2595 4: forget what was learnt before TLS. */
	s->have_user = false;
	explicit_bzero(s->user, sizeof(s->user));
	log_ses(&s->log, LOG_LOW, "TLS started: %s", conn_tls_info(s->conn));
}

/* ---- both states ---- */

static void
cmd_capa(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	(void)cmd;
	/* RFC 2449 6: capabilities; those for logging in only before
	 * login. */
	pop_reply(s, "+OK capability list follows");
	pop_reply(s, "TOP");
	pop_reply(s, "UIDL");
	if (s->state == POP_AUTHORIZATION) {
		/* RFC 2595 4 / RFC 2449 6.8: no USER where it would be
		 * refused. */
		if (clear_ok(s))
			pop_reply(s, "USER");
		if (sasl_offer(s) != 0) {
			struct buf b;

			buf_init(&b, 256);
			sasl_format(sasl_offer(s), "", &b);
			pop_reply(s, "SASL%s", buf_cstr(&b));
			buf_free(&b);
		}
		if (!conn_is_tls(s->conn) && listener_tls_ctx("pop3") != NULL)
			pop_reply(s, "STLS");
	}
	pop_reply(s, "RESP-CODES");
	pop_reply(s, "AUTH-RESP-CODE");
	pop_reply(s, "PIPELINING");
	pop_reply(s, "EXPIRE NEVER");
	pop_reply(s, "IMPLEMENTATION Tegami");
	pop_reply(s, ".");
}

static void
cmd_quit(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	(void)cmd;
	if (s->state == POP_TRANSACTION)
		pop_session_update(s);
	else {
		s->quit = true;
		pop_reply(s, "+OK Tegami POP3 server signing off");
	}
}

/* ---- TRANSACTION ---- */

static void
cmd_stat(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	uint64_t total = 0;
	uint32_t i, n = 0;

	(void)cmd;
	for (i = 0; i < s->nmsgs; i++)
		if (!s->msgs[i].deleted) {
			n++;
			total += s->msgs[i].size;
		}
	pop_reply(s, "+OK %u %llu", n, (unsigned long long)total);
}

static void
cmd_list(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct pop_msg *m;
	uint32_t i, n = 0;

	if (cmd->nargs == 1) {
		if ((m = msg_arg(s, cmd->args[0], &n)) != NULL)
			pop_reply(s, "+OK %u %llu", n,
			    (unsigned long long)m->size);
		return;
	}
	for (i = 0; i < s->nmsgs; i++)
		n += !s->msgs[i].deleted;
	pop_reply(s, "+OK %u message%s", n, n == 1 ? "" : "s");
	for (i = 0; i < s->nmsgs; i++)
		if (!s->msgs[i].deleted)
			pop_reply(s, "%u %llu", i + 1,
			    (unsigned long long)s->msgs[i].size);
	pop_reply(s, ".");
}

static void
cmd_uidl(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	char uidl[POP_UIDL_MAX + 1];
	struct pop_msg *m;
	uint32_t i, n;

	if (cmd->nargs == 1) {
		if ((m = msg_arg(s, cmd->args[0], &n)) != NULL) {
			pop_format_uidl(uidl, sizeof(uidl), s->uidvalidity,
			    m->uid);
			pop_reply(s, "+OK %u %s", n, uidl);
		}
		return;
	}
	pop_reply(s, "+OK unique-id listing follows");
	for (i = 0; i < s->nmsgs; i++)
		if (!s->msgs[i].deleted) {
			pop_format_uidl(uidl, sizeof(uidl), s->uidvalidity,
			    s->msgs[i].uid);
			pop_reply(s, "%u %s", i + 1, uidl);
		}
	pop_reply(s, ".");
}

/*
 * Sends a message, or its header and the first `lines` body lines (TOP),
 * byte-stuffed, in POP_FETCH_CHUNK pieces so memory stays bounded.  The
 * "+OK" goes out only after the first piece was read, so a store error can
 * still be answered with -ERR.
 */
struct sender {
	struct pop_session	*s;
	const struct pop_msg	*m;
	struct buf		 chunk, out;
	uint64_t		 off;
	bool			 bol, started;
	char			 last;
};

/* Reads the next piece of at most `limit - off` bytes into snd->chunk.
 * false after an error (answered or the session ended). */
static bool
sender_fetch(struct sender *snd, uint32_t n, uint64_t limit)
{
	struct error err;
	uint64_t take = limit - snd->off;

	if (take > POP_FETCH_CHUNK)
		take = POP_FETCH_CHUNK;
	buf_reset(&snd->chunk);
	if (take > 0 && store_fetch(snd->s->store, snd->s->mailbox,
	    snd->m->uid, snd->off, take, &snd->chunk, &err) < 0) {
		log_ses(&snd->s->log, LOG_PROBLEM, "message %u (UID %u): %s",
		    n, snd->m->uid, err.msg);
		if (!snd->started)
			pop_reply(snd->s, "-ERR [SYS/TEMP] cannot read the "
			    "message");
		else
			snd->s->quit = true;	/* the reply cannot end well */
		return false;
	}
	if (!snd->started) {
		pop_reply(snd->s, "+OK %llu octets",
		    (unsigned long long)snd->m->size);
		snd->started = true;
	}
	snd->off += snd->chunk.len;
	return true;
}

static bool
sender_write(struct sender *snd, size_t len)
{
	if (len == 0)
		return true;
	snd->last = snd->chunk.data[len - 1];
	buf_reset(&snd->out);
	pop_dot_stuff(&snd->out, snd->chunk.data, len, &snd->bol);
	if (conn_write(snd->s->conn, snd->out.data, snd->out.len) < 0) {
		snd->s->quit = true;
		return false;
	}
	return true;
}

static void
send_message(struct pop_session *s, uint32_t n, const struct pop_msg *m,
    bool top, uint64_t lines)
{
	struct sender snd;
	uint64_t limit;
	bool ok = true;
	size_t k;

	memset(&snd, 0, sizeof(snd));
	snd.s = s;
	snd.m = m;
	snd.bol = true;
	snd.last = '\n';
	buf_init(&snd.chunk, POP_FETCH_CHUNK + 1);
	buf_init(&snd.out, 2 * POP_FETCH_CHUNK + 4);
	/* The whole message, or for TOP the header block with its blank
	 * line (RFC 1939 7). */
	limit = top && m->hdr_size < m->size ? m->hdr_size : m->size;
	do {
		ok = sender_fetch(&snd, n, limit) &&
		    sender_write(&snd, snd.chunk.len);
	} while (ok && snd.off < limit && snd.chunk.len > 0);
	/* TOP: then the first `lines` lines of the body. */
	while (ok && top && lines > 0 && snd.off < m->size) {
		if (!(ok = sender_fetch(&snd, n, m->size)) ||
		    snd.chunk.len == 0)
			break;
		k = pop_top_take(snd.chunk.data, snd.chunk.len, &lines);
		ok = sender_write(&snd, k);
	}
	if (ok) {
		/* RFC 1939 3: the terminating line; a message not ending in
		 * CRLF gets one first. */
		if (snd.last != '\n')
			conn_puts(s->conn, "\r\n");
		conn_puts(s->conn, ".\r\n");
		log_ses(&s->log, LOG_LOW, "%s %u sent", top ? "TOP" : "RETR",
		    n);
	}
	buf_free(&snd.chunk);
	buf_free(&snd.out);
}

static void
cmd_retr(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct pop_msg *m;
	uint32_t n;

	if ((m = msg_arg(s, cmd->args[0], &n)) != NULL)
		send_message(s, n, m, false, 0);
}

static void
cmd_top(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct pop_msg *m;
	uint64_t lines;
	uint32_t n;

	if (pop_parse_count(cmd->args[1], &lines) < 0) {
		pop_error(s, "-ERR invalid line count");
		return;
	}
	if ((m = msg_arg(s, cmd->args[0], &n)) != NULL)
		send_message(s, n, m, true, lines);
}

static void
cmd_dele(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	struct pop_msg *m;
	uint32_t n;

	if ((m = msg_arg(s, cmd->args[0], &n)) != NULL) {
		m->deleted = true;
		pop_reply(s, "+OK message %u deleted", n);
	}
}

static void
cmd_noop(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	(void)cmd;
	pop_reply(s, "+OK");
}

static void
cmd_rset(struct pop_session *s, const struct pop_cmd_line *cmd)
{
	uint32_t i;
	uint64_t total = 0;

	(void)cmd;
	for (i = 0; i < s->nmsgs; i++) {
		s->msgs[i].deleted = false;
		total += s->msgs[i].size;
	}
	pop_reply(s, "+OK maildrop has %u message%s (%llu octets)", s->nmsgs,
	    s->nmsgs == 1 ? "" : "s", (unsigned long long)total);
}

static const struct pop_cmd commands[] = {
	{ POP_CMD_USER, ST_AUTH, cmd_user },
	{ POP_CMD_PASS, ST_AUTH, cmd_pass },
	{ POP_CMD_APOP, ST_AUTH, cmd_apop },
	{ POP_CMD_AUTH, ST_AUTH, cmd_auth },
	{ POP_CMD_STLS, ST_AUTH, cmd_stls },
	{ POP_CMD_CAPA, ST_ANY, cmd_capa },
	{ POP_CMD_QUIT, ST_ANY, cmd_quit },
	{ POP_CMD_STAT, ST_TRANS, cmd_stat },
	{ POP_CMD_LIST, ST_TRANS, cmd_list },
	{ POP_CMD_RETR, ST_TRANS, cmd_retr },
	{ POP_CMD_DELE, ST_TRANS, cmd_dele },
	{ POP_CMD_NOOP, ST_TRANS, cmd_noop },
	{ POP_CMD_RSET, ST_TRANS, cmd_rset },
	{ POP_CMD_TOP, ST_TRANS, cmd_top },
	{ POP_CMD_UIDL, ST_TRANS, cmd_uidl },
};

/* The "inp:" record without secrets: PASS, APOP digests and AUTH
 * responses are masked. */
static void
log_input(struct pop_session *s, struct strv line,
    const struct pop_cmd_line *cmd)
{
	char esc[POP_LINE_MAX * 4 + 1];

	if (!log_ses_enabled(&s->log, LOG_ALL))
		return;
	if (cmd->id == POP_CMD_PASS || cmd->id == POP_CMD_APOP ||
	    (cmd->id == POP_CMD_AUTH && cmd->nargs > 1)) {
		log_escape(esc, sizeof(esc), cmd->name.p, cmd->name.len);
		log_ses(&s->log, LOG_ALL, "inp: %s ***", esc);
		return;
	}
	log_escape(esc, sizeof(esc), line.p, line.len);
	log_ses(&s->log, LOG_ALL, "inp: %s", esc);
}

void
pop_cmd_dispatch(struct pop_session *s, struct strv line)
{
	struct pop_cmd_line cmd;
	struct error err;
	char esc[64];
	size_t i;
	int rc;

	rc = pop_parse_line(line, &cmd, &err);
	log_input(s, line, &cmd);
	if (rc < 0) {
		log_ses(&s->log, LOG_PROBLEM, "bad command: %s", err.msg);
		pop_error(s, "-ERR %s", err.msg);
		return;
	}
	if (cmd.id == POP_CMD_UNKNOWN) {
		log_escape(esc, sizeof(esc), cmd.name.p, cmd.name.len);
		log_ses(&s->log, LOG_PROBLEM, "unknown command '%s'", esc);
		pop_error(s, "-ERR unknown command");
		return;
	}
	for (i = 0; i < N_ELEMENTS(commands); i++) {
		if (commands[i].id != cmd.id)
			continue;
		if ((commands[i].states & (1u << s->state)) == 0) {
			log_ses(&s->log, LOG_PROBLEM, "%s in the wrong state",
			    pop_cmd_name(cmd.id));
			pop_error(s, "-ERR %s is not valid %s",
			    pop_cmd_name(cmd.id),
			    s->state == POP_AUTHORIZATION ? "before login" :
			    "after login");
			return;
		}
		commands[i].run(s, &cmd);
		return;
	}
	pop_error(s, "-ERR unknown command");
}
