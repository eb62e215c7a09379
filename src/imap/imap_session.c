/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_session.c: the IMAP server's session loop (RFC 3501).  One thread per
 * connection reads commands through the parser state machine (literals are
 * size-checked before the "+" continuation), looks the command up in one
 * table that carries the states it is valid in, runs the handler, reports
 * mailbox changes made by other sessions, and writes the tagged reply.
 * Registers the services imap (143) and imaps (993, implicit TLS).
 */
#include "lib/compat.h"

#include <errno.h>
#include <poll.h>
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
#include "imap/imap.h"
#include "imap/imap_private.h"

static struct log_module log_imap = LOG_MODULE("IMAP");

#define CMD_UID		0x01	/* valid after "UID" */
#define CMD_NOEXPUNGE	0x02	/* RFC 3501 7.4.1: no EXPUNGE while running */
#define CMD_NOSYNC	0x04	/* reports nothing extra (LOGOUT, IDLE) */

struct imap_cmd {
	const char	*name;
	unsigned	 states;
	unsigned	 flags;
	imap_cmd_fn	*run;
};

static const struct imap_cmd imap_cmds[] = {
	{ "CAPABILITY",	IST_ANY,	0,		cmd_capability },
	{ "NOOP",	IST_ANY,	0,		cmd_noop },
	{ "LOGOUT",	IST_ANY,	CMD_NOSYNC,	cmd_logout },
	{ "ID",		IST_ANY,	0,		cmd_id },
	{ "STARTTLS",	IST_NOTAUTH,	0,		cmd_starttls },
	{ "LOGIN",	IST_NOTAUTH,	0,		cmd_login },
	{ "AUTHENTICATE", IST_NOTAUTH,	0,		cmd_authenticate },
	{ "ENABLE",	IST_AUTHED,	0,		cmd_enable },
	{ "SELECT",	IST_AUTHED,	CMD_NOSYNC,	cmd_select },
	{ "EXAMINE",	IST_AUTHED,	CMD_NOSYNC,	cmd_examine },
	{ "CREATE",	IST_AUTHED,	0,		cmd_create },
	{ "DELETE",	IST_AUTHED,	0,		cmd_delete },
	{ "RENAME",	IST_AUTHED,	0,		cmd_rename },
	{ "SUBSCRIBE",	IST_AUTHED,	0,		cmd_subscribe },
	{ "UNSUBSCRIBE", IST_AUTHED,	0,		cmd_unsubscribe },
	{ "LIST",	IST_AUTHED,	0,		cmd_list },
	{ "LSUB",	IST_AUTHED,	0,		cmd_lsub },
	{ "STATUS",	IST_AUTHED,	0,		cmd_status },
	{ "APPEND",	IST_AUTHED,	0,		cmd_append },
	{ "NAMESPACE",	IST_AUTHED,	0,		cmd_namespace },
	{ "IDLE",	IST_AUTHED,	CMD_NOSYNC,	cmd_idle },
	{ "GETQUOTA",	IST_AUTHED,	0,		cmd_getquota },
	{ "GETQUOTAROOT", IST_AUTHED,	0,		cmd_getquotaroot },
	{ "SETQUOTA",	IST_AUTHED,	0,		cmd_setquota },
	{ "CHECK",	IST_SELECTED,	0,		cmd_check },
	{ "CLOSE",	IST_SELECTED,	CMD_NOSYNC,	cmd_close },
	{ "UNSELECT",	IST_SELECTED,	CMD_NOSYNC,	cmd_unselect },
	{ "EXPUNGE",	IST_SELECTED,	CMD_UID,	cmd_expunge },
	{ "SEARCH",	IST_SELECTED,	CMD_UID | CMD_NOEXPUNGE, cmd_search },
	{ "SORT",	IST_SELECTED,	CMD_UID | CMD_NOEXPUNGE, cmd_sort },
	{ "THREAD",	IST_SELECTED,	CMD_UID | CMD_NOEXPUNGE, cmd_thread },
	{ "FETCH",	IST_SELECTED,	CMD_UID | CMD_NOEXPUNGE, cmd_fetch },
	{ "STORE",	IST_SELECTED,	CMD_UID | CMD_NOEXPUNGE, cmd_store },
	{ "COPY",	IST_SELECTED,	CMD_UID,	cmd_copy },
	{ "MOVE",	IST_SELECTED,	CMD_UID,	cmd_move },
};

/* ---- replies ---- */

static int
set_resp(struct imap_session *s, const char *kind, const char *fmt,
    va_list ap)
{
	s->resp_kind = kind;
	(void)vsnprintf(s->resp_text, sizeof(s->resp_text), fmt, ap);
	return kind[0] == 'O' ? 0 : -1;
}

int
imap_ok(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = set_resp(s, "OK", fmt, ap);
	va_end(ap);
	return r;
}

int
imap_no(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = set_resp(s, "NO", fmt, ap);
	va_end(ap);
	return r;
}

int
imap_bad(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = set_resp(s, "BAD", fmt, ap);
	va_end(ap);
	return r;
}

int
imap_no_err(struct imap_session *s, const char *what,
    const struct error *err)
{
	const char *code = "";

	switch (err->kind) {
	case ERR_SYNTAX:
		return imap_bad(s, "%s: %s", what, err->msg);
	case ERR_NOTFOUND:
		code = "[NONEXISTENT] ";
		break;
	case ERR_EXISTS:
		code = "[ALREADYEXISTS] ";
		break;
	case ERR_LIMIT:
		code = strstr(err->msg, "full") != NULL ? "[OVERQUOTA] " :
		    "[LIMIT] ";
		break;
	case ERR_PERM:
		code = "[CANNOT] ";
		break;
	case ERR_TEMP:
	case ERR_IO:
	case ERR_INTERNAL:
		code = "[SERVERBUG] ";
		break;
	default:
		break;
	}
	if (err->kind == ERR_IO || err->kind == ERR_INTERNAL ||
	    err->kind == ERR_TEMP)
		log_ses(&s->log, LOG_FAILURE, "%s: %s", what, err->msg);
	return imap_no(s, "%s%s: %s", code, what, err->msg);
}

static void
log_out(struct imap_session *s, const char *p, size_t n)
{
	char esc[256];
	size_t k = 0;

	if (!log_ses_enabled(&s->log, LOG_ALL))
		return;
	while (k < n && k < 200 && p[k] != '\r' && p[k] != '\n')
		k++;
	log_escape(esc, sizeof(esc), p, k);
	log_ses(&s->log, LOG_ALL, "out: %s%s", esc,
	    k < n && !(n - k == 2 && p[k] == '\r') ? " ..." : "");
}

int
imap_send(struct imap_session *s, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int r;

	buf_init(&b, IMAP_SEND_MAX);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r = imap_stream_end(s, &b);
	buf_free(&b);
	return r;
}

/* Writes b's bytes (a piece of the current line) and empties b. */
static int
stream_write(struct imap_session *s, struct buf *b)
{
	if (b->len == 0)
		return 0;
	if (!s->out_midline)
		log_out(s, b->data, b->len);
	s->out_midline = true;
	if (conn_write(s->conn, b->data, b->len) < 0) {
		buf_reset(b);
		return -1;
	}
	buf_reset(b);
	return 0;
}

/* Logs why a response could not be sent (once per line). */
static int
stream_failed(struct imap_session *s, struct buf *b)
{
	if (b->err != 0) {
		log_ses(&s->log, LOG_FAILURE, "response not sent: a piece "
		    "is over %zu bytes", b->max);
		imap_out_cut(s, OUT_CUT_LIMIT);
	} else {
		log_ses(&s->log, LOG_FAILURE, "response not sent: %s",
		    conn_last_error(s->conn));
		imap_out_cut(s, OUT_CUT_IO);
	}
	return -1;
}

void
imap_out_cut(struct imap_session *s, enum imap_out_cut why)
{
	if (s->out_cut == OUT_WHOLE)
		s->out_cut = why;
}

int
imap_stream(struct imap_session *s, struct buf *b)
{
	if (b->err != 0)
		return stream_failed(s, b);
	if (b->len < IMAP_OUT_PIECE)
		return 0;
	if (stream_write(s, b) < 0)
		return stream_failed(s, b);
	return 0;
}

int
imap_stream_end(struct imap_session *s, struct buf *b)
{
	int r = 0;

	if (b->err != 0) {
		r = stream_failed(s, b);
		buf_reset(b);
	} else if (stream_write(s, b) < 0)
		r = stream_failed(s, b);
	/* A line already begun is ended, so that the tagged NO that the
	 * caller sends next stands on its own line. */
	if (s->out_midline && conn_write(s->conn, "\r\n", 2) < 0 && r == 0)
		r = stream_failed(s, b);
	s->out_midline = false;
	return r;
}

void
imap_stream_seqset(struct imap_session *s, struct buf *b, const uint32_t *v,
    size_t n)
{
	size_t i = 0;

	while (i < n) {
		i = imap_seqset_write_run(b, v, n, i);
		if (imap_stream(s, b) < 0)
			return;		/* b keeps err or the conn is broken */
	}
}

int
imap_send_raw(struct imap_session *s, const char *p, size_t n)
{
	log_out(s, p, n);
	if (conn_write(s->conn, p, n) < 0) {
		log_ses(&s->log, LOG_FAILURE, "response not sent: %s",
		    conn_last_error(s->conn));
		imap_out_cut(s, OUT_CUT_IO);
		return -1;
	}
	return 0;
}

void
imap_capabilities(struct imap_session *s, struct buf *out)
{
	bool tls = conn_is_tls(s->conn);

	buf_puts(out, "IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT "
	    "CHILDREN SPECIAL-USE");
	if (s->state == IST_NOTAUTH) {
		if (!tls && listener_tls_ctx("imap") != NULL)
			buf_puts(out, " STARTTLS");
		imap_login_capabilities(s, out);
		return;
	}
	buf_puts(out, " UIDPLUS MOVE LIST-EXTENDED CONDSTORE QRESYNC ESEARCH "
	    "SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES MULTIAPPEND "
	    "QUOTA BINARY LIST-STATUS");
}

int
imap_read_line(struct imap_session *s, size_t max, struct strv *line_r)
{
	enum line_rc rc;

	rc = conn_read_line(s->conn, max, LINE_LF_OK, line_r);
	if (rc == LINE_OK)
		return 0;
	if (rc == LINE_TOOLONG)
		log_ses(&s->log, LOG_PROBLEM, "line too long");
	return -1;
}

/* ---- command reading ---- */

/* A read timed out, or the listener shed the session to make room: BYE
 * with the reason, and a log line. */
static void
send_timeout_bye(struct imap_session *s)
{
	const char *why = conn_last_error(s->conn);

	if (conn_was_shed(s->conn)) {
		log_ses(&s->log, LOG_PROBLEM, "the service is full: %s", why);
		imap_send(s, "* BYE [UNAVAILABLE] Too many connections, try "
		    "again later");
	} else if (s->state == IST_NOTAUTH) {
		log_ses(&s->log, LOG_PROBLEM, "%s before login; closing", why);
		imap_send(s, "* BYE Autologout; %s", why);
	} else {
		log_ses(&s->log, LOG_LOW, "%s; closing", why);
		imap_send(s, "* BYE Autologout; %s", why);
	}
}

enum read_rc { RD_COMMAND, RD_BAD, RD_CLOSE };

static bool
is_append(const struct imap_parser *p)
{
	return p->args.n >= 2 && imap_arg_is_atom(&p->args.v[1], "APPEND");
}

static size_t
append_limit(const struct imap_session *s)
{
	if (s->max_message_size > 0 && s->max_message_size < IMAP_APPEND_MAX)
		return (size_t)s->max_message_size;
	return IMAP_APPEND_MAX;
}

static void
send_bad_parse(struct imap_session *s)
{
	struct imap_parser *p = &s->parser;

	s->errors++;
	log_ses(&s->log, LOG_PROBLEM, "bad command: %s", p->err.msg);
	imap_send(s, "%s BAD %s", p->tag[0] != '\0' ? p->tag : "*",
	    p->err.msg);
}

/* Reads one literal's data into the parser. */
static int
read_literal(struct imap_session *s)
{
	struct imap_parser *p = &s->parser;
	char chunk[CONN_READ_CHUNK];
	size_t want, used;
	ssize_t got;

	while (p->state == IPS_LIT_DATA && p->lit_left > 0) {
		want = p->lit_left < sizeof(chunk) ? (size_t)p->lit_left :
		    sizeof(chunk);
		got = conn_read(s->conn, chunk, want);
		if (got <= 0)
			return -1;
		if (imap_parser_feed(p, chunk, (size_t)got, &used) ==
		    IMAP_PARSE_ERROR)
			return 0;	/* reported by the caller */
	}
	return 0;
}

/* Logs a client line at All Info, hiding LOGIN arguments (STYLE 8). */
static void
log_input(struct imap_session *s, struct strv line)
{
	const struct imap_parser *p = &s->parser;
	struct strv rest, tag, cmd;
	char esc[256];

	if (!log_ses_enabled(&s->log, LOG_ALL))
		return;
	if (p->args.n >= 2 && imap_arg_is_atom(&p->args.v[1], "LOGIN")) {
		log_ses(&s->log, LOG_ALL, "inp: (login data)");
		return;
	}
	rest = strv_split(line, ' ', &tag);
	(void)strv_split(rest, ' ', &cmd);
	if (strv_caseeq_cstr(cmd, "LOGIN")) {
		log_escape(esc, sizeof(esc), tag.p, tag.len < 64 ? tag.len : 64);
		log_ses(&s->log, LOG_ALL, "inp: %s LOGIN (login data)", esc);
		return;
	}
	log_escape(esc, sizeof(esc), line.p, line.len < 200 ? line.len : 200);
	log_ses(&s->log, LOG_ALL, "inp: %s", esc);
}

/*
 * True when a command line ends in a non-synchronising literal announcement
 * ("{n+}" or "~{n+}", RFC 7888): its data follows without a "+" from us.
 * After a parse error on such a line the command's end cannot be found, so
 * the connection must end: reading on would take the literal's bytes for
 * commands.  Looks at the raw bytes, so a '{' inside a quoted string may
 * match too; that only ends a connection that sent a bad command.
 */
static bool
ends_in_nonsync_literal(struct strv line)
{
	size_t i = line.len;

	if (i < 4 || line.p[i - 1] != '}' || line.p[i - 2] != '+')
		return false;
	i -= 2;
	if (line.p[i - 1] < '0' || line.p[i - 1] > '9')
		return false;
	while (i > 0 && line.p[i - 1] >= '0' && line.p[i - 1] <= '9')
		i--;
	return i > 0 && line.p[i - 1] == '{';
}

/* A command whose remaining bytes cannot be told from the next command's:
 * BAD, then BYE (RFC 7888 4). */
static enum read_rc
bad_and_close(struct imap_session *s, const char *why)
{
	send_bad_parse(s);
	log_ses(&s->log, LOG_PROBLEM, "%s: closing", why);
	imap_send(s, "* BYE %s", why);
	return RD_CLOSE;
}

static enum read_rc
read_command(struct imap_session *s)
{
	struct imap_parser *p = &s->parser;
	enum imap_parse_rc rc;
	enum line_rc lrc;
	struct strv line;
	size_t used, limit;

	imap_parser_reset(p);
	imap_parser_set_lit_max(p, IMAP_LITERAL_MAX);
	for (;;) {
		lrc = conn_read_line(s->conn, IMAP_LINE_MAX - 2, LINE_LF_OK,
		    &line);
		if (lrc == LINE_TOOLONG) {
			/* The line is gone, its tag with it: a client would
			 * wait for a tagged reply forever, so hang up. */
			log_ses(&s->log, LOG_PROBLEM, "command line too long");
			imap_send(s, "* BYE Command line too long");
			return RD_CLOSE;
		}
		if (lrc != LINE_OK) {
			if (lrc == LINE_TIMEOUT)
				send_timeout_bye(s);
			return RD_CLOSE;
		}
		log_input(s, line);
		rc = imap_parser_feed(p, line.p, line.len, &used);
		if (rc == IMAP_PARSE_MORE)
			rc = imap_parser_feed(p, "\r\n", 2, &used);
		if (rc == IMAP_PARSE_DONE)
			return RD_COMMAND;
		if (rc == IMAP_PARSE_ERROR) {
			if (ends_in_nonsync_literal(line))
				return bad_and_close(s, "Cannot skip the "
				    "literal of a bad command");
			send_bad_parse(s);
			return RD_BAD;
		}
		if (rc != IMAP_PARSE_LITERAL)
			return RD_CLOSE;	/* cannot happen */
		limit = is_append(p) ? append_limit(s) : IMAP_LITERAL_MAX;
		/* STYLE 9: the size is checked before the "+". */
		if (p->lit_len > limit) {
			s->errors++;
			if (p->lit_len == IMAP_LITERAL_HUGE)
				log_ses(&s->log, LOG_PROBLEM, "literal of %u "
				    "digits refused (limit %zu)",
				    p->lit_digits, limit);
			else
				log_ses(&s->log, LOG_PROBLEM, "literal of "
				    "%llu bytes refused (limit %zu)",
				    (unsigned long long)p->lit_len, limit);
			if (p->lit_nonsync) {
				/* RFC 7888 4: the data is coming anyway. */
				imap_send(s, "%s BAD [TOOBIG] Literal too big",
				    p->tag);
				imap_send(s, "* BYE Literal too big");
				return RD_CLOSE;
			}
			imap_send(s, "%s NO [TOOBIG] Literal too big", p->tag);
			return RD_BAD;
		}
		imap_parser_set_lit_max(p, limit);
		if (!p->lit_nonsync) {
			imap_send(s, "+ Ready for literal data");
			(void)conn_flush(s->conn);
		}
		if (read_literal(s) < 0) {
			if (conn_timed_out(s->conn))
				send_timeout_bye(s);
			return RD_CLOSE;
		}
		if (p->state == IPS_ERROR)	/* the command goes on */
			return bad_and_close(s, "Cannot skip the rest of a "
			    "bad command");
	}
}

/* ---- dispatch ---- */

void
imap_resp_sets(struct imap_session *s, const char *code, const uint32_t *a,
    const uint32_t *b, size_t n)
{
	free(s->resp_set1);
	free(s->resp_set2);
	(void)snprintf(s->resp_code, sizeof(s->resp_code), "%s", code);
	s->resp_set1 = xcalloc(n + 1, sizeof(*a));
	memcpy(s->resp_set1, a, n * sizeof(*a));
	s->resp_set2 = NULL;
	if (b != NULL) {
		s->resp_set2 = xcalloc(n + 1, sizeof(*b));
		memcpy(s->resp_set2, b, n * sizeof(*b));
	}
	s->resp_nset = n;
}

/* The tagged reply; a response code with long sets goes out in pieces. */
static void
send_tagged(struct imap_session *s)
{
	struct buf b;

	buf_init(&b, IMAP_OUT_BUF);
	buf_printf(&b, "%s %s ", s->tag, s->resp_kind);
	if (s->resp_code[0] != '\0') {
		buf_printf(&b, "[%s ", s->resp_code);
		imap_stream_seqset(s, &b, s->resp_set1, s->resp_nset);
		if (s->resp_set2 != NULL) {
			buf_putc(&b, ' ');
			imap_stream_seqset(s, &b, s->resp_set2, s->resp_nset);
		}
		buf_puts(&b, "] ");
	}
	buf_puts(&b, s->resp_text);
	(void)imap_stream_end(s, &b);
	buf_free(&b);
	free(s->resp_set1);
	free(s->resp_set2);
	s->resp_set1 = s->resp_set2 = NULL;
	s->resp_code[0] = '\0';
}

/* A response of the command was not sent whole (over a bound, or the
 * connection failed): never OK (issue 15).  The response code that the
 * OK carried (COPYUID, MODIFIED) is dropped with it. */
void
imap_reply_cut(struct imap_session *s, const char *cmd)
{
	bool limit = s->out_cut == OUT_CUT_LIMIT;

	if (s->out_cut == OUT_WHOLE || s->resp_kind == NULL ||
	    s->resp_kind[0] != 'O')
		return;
	log_ses(&s->log, LOG_FAILURE, "%s: a response was not sent whole; "
	    "NO instead of OK", cmd);
	free(s->resp_set1);
	free(s->resp_set2);
	s->resp_set1 = s->resp_set2 = NULL;
	s->resp_code[0] = '\0';
	/* RFC 3501 6.3.1: a SELECT that fails leaves no mailbox selected */
	if (strcmp(cmd, "SELECT") == 0 || strcmp(cmd, "EXAMINE") == 0)
		imap_view_close(s);
	if (limit)
		(void)imap_no(s, "[LIMIT] %s: a response was too long to send "
		    "and was left out", cmd);
	else
		(void)imap_no(s, "[SERVERBUG] %s: a response could not be "
		    "sent", cmd);
}

static const struct imap_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(imap_cmds); i++)
		if (strcasecmp(imap_cmds[i].name, name) == 0)
			return &imap_cmds[i];
	return NULL;
}

static void finish_cmd(struct imap_session *s, const struct imap_cmd *cmd);

static void
dispatch(struct imap_session *s)
{
	const struct imap_list *l = &s->parser.args;
	const struct imap_cmd *cmd;
	const struct imap_arg *a;
	size_t n, first = 2;
	const char *name;

	s->tag = s->parser.tag;
	s->uid_cmd = false;
	s->resp_kind = NULL;
	s->out_cut = OUT_WHOLE;
	if (l->n < 2 || l->v[1].type != IMAP_ARG_ATOM) {
		s->errors++;
		imap_send(s, "%s BAD Missing command", s->tag);
		return;
	}
	name = l->v[1].str;
	if (strcasecmp(name, "UID") == 0) {
		if (l->n < 3 || l->v[2].type != IMAP_ARG_ATOM) {
			s->errors++;
			imap_send(s, "%s BAD Missing UID command", s->tag);
			return;
		}
		s->uid_cmd = true;
		name = l->v[2].str;
		first = 3;
	}
	cmd = find_cmd(name);
	if (cmd == NULL || (s->uid_cmd && !(cmd->flags & CMD_UID))) {
		s->errors++;
		log_ses(&s->log, LOG_PROBLEM, "unknown command");
		imap_send(s, "%s BAD Unknown command", s->tag);
		return;
	}
	if (!(cmd->states & s->state)) {
		s->errors++;
		imap_send(s, "%s BAD %s not allowed %s", s->tag, cmd->name,
		    s->state == IST_NOTAUTH ? "before login" :
		    cmd->states == IST_SELECTED ?
		    "without a selected mailbox" : "now");
		return;
	}
	a = l->v + first;
	n = l->n - first;
	(void)cmd->run(s, a, n);
	finish_cmd(s, cmd);
}

/* After a command's handler returned (or IDLE, after it resumed). */
static void
finish_cmd(struct imap_session *s, const struct imap_cmd *cmd)
{
	if (s->resp_kind == NULL)
		return;		/* the handler answered, closes or parked */
	/* A failed read of the mailbox (logged) is a warning (RFC 3501
	 * 7.1.2): the client learns its view may be behind; the next command
	 * reads again. */
	if (s->state == IST_SELECTED && !(cmd->flags & CMD_NOSYNC) &&
	    !imap_view_sync(s, !(cmd->flags & CMD_NOEXPUNGE) || s->uid_cmd,
	    false))
		imap_send(s, "* NO [UNAVAILABLE] The mailbox cannot be read "
		    "now; its changes are shown later");
	imap_reply_cut(s, cmd->name);
	if (s->resp_kind[0] == 'B') {
		s->errors++;
		log_ses(&s->log, LOG_PROBLEM, "%s: BAD %s", cmd->name,
		    s->resp_text);
	}
	send_tagged(s);
}

static void
session_free(struct imap_session **sp)
{
	struct imap_session *s = *sp;

	imap_idle_end(s, "ended by the server");
	imap_view_close(s);
	free(s->resp_set1);
	free(s->resp_set2);
	imap_account_release(s);
	if (s->store != NULL)
		store_cache_release(&s->store);
	imap_parser_free(&s->parser);
	settings_snap_unref(&s->settings);
	free(s);
	*sp = NULL;
}

int64_t
imap_idle_limit_ms(const struct imap_session *s)
{
	return 4 * s->idle_ms;
}

/*
 * Waits for the next command, at most HibernateAfter, then parks the
 * session (after login only: before it the listener's login time-out and
 * shedding watch the thread).  True when parked: the caller returns.  A
 * session with input already buffered (line reader, OpenSSL) never parks.
 */
static bool
wait_or_park(struct imap_session *s)
{
	if (!(s->state & IST_AUTHED) ||
	    !listener_park_when_idle(s->conn, s->hibernate_ms, s->idle_ms,
	    imap_resume, s))
		return false;
	s->parking = true;
	imap_store_let_go(s);
	return true;
}

/*
 * A parked session holds its socket only.  Its account's handle holds
 * three descriptors (the database, its WAL, its shared memory) while any
 * session or delivery has it; 19,000 sessions over 1,000 accounts would
 * not fit the descriptor limit if parked ones kept theirs.  Everything
 * the session knows of its mailbox (the view: UIDs, flags, MODSEQ, the
 * notifier's generation) is in the session, so nothing is lost; the
 * handle comes back from the cache (store_cache_get_wait()) on resume.
 */
void
imap_store_let_go(struct imap_session *s)
{
	if (s->store != NULL)
		store_cache_release(&s->store);
}

/* The handle again after hibernation; -1 (logged, BYE, IST_LOGOUT) when
 * the account is gone or cannot be opened now. */
static int
store_back(struct imap_session *s)
{
	char path[OBJECTS_PATH_MAX];
	struct error err;

	if (s->store != NULL || !(s->state & IST_AUTHED))
		return 0;
	if (objects_account_path(s->srv->objects, s->who.account,
	    s->who.domain, path, sizeof(path), &err) == 0 &&
	    (s->store = store_cache_get_wait(path, &err)) != NULL)
		return 0;
	log_ses(&s->log, LOG_PROBLEM, "cannot open the account again after "
	    "hibernation: %s", err.msg);
	imap_idle_end(s, "failed");
	imap_send(s, "* BYE [UNAVAILABLE] Cannot open the account now, try "
	    "later");
	s->state = IST_LOGOUT;
	return -1;
}

/* Runs the session from its "waiting for the next command" point (or from
 * an IDLE it parked in) until it ends, then frees it, or until it parks. */
static void
session_run(struct imap_session *s)
{
	struct conn *c = s->conn;
	enum read_rc rc;

	if (s->idle.w != NULL) {
		/* Resumed in IDLE. */
		(void)imap_idle_run(s);
		if (s->parking)
			return;
		finish_cmd(s, find_cmd("IDLE"));
	}
	while (s->state != IST_LOGOUT) {
		if (s->errors >= IMAP_ERRORS_MAX) {
			log_ses(&s->log, LOG_PROBLEM, "too many errors");
			imap_send(s, "* BYE Too many errors");
			break;
		}
		if (wait_or_park(s))
			return;
		rc = read_command(s);
		if (rc == RD_CLOSE)
			break;
		if (rc == RD_COMMAND)
			dispatch(s);
		if (s->parking)
			return;
		/* Logged in: the listener's login time-out and shedding
		 * end; the idle time-out (IdleTimeout) applies from now. */
		if (s->prelogin && (s->state & IST_AUTHED)) {
			s->prelogin = false;
			conn_set_deadline(c, 0, NULL);
			conn_set_sheddable(c, false);
		}
	}
	(void)conn_flush(c);
	log_ses(&s->log, LOG_LOW, "disconnected");
	session_free(&s);
}

void
imap_resume(struct conn *c, void *arg, enum park_event why)
{
	struct imap_session *s = arg;

	(void)c;
	s->parking = false;
	switch (why) {
	case PARK_SHUTDOWN:
		imap_idle_end(s, "ended by shutdown");
		log_ses(&s->log, LOG_LOW, "server shutdown; closing");
		imap_send(s, "* BYE Server shutting down");
		s->state = IST_LOGOUT;
		break;
	case PARK_TIMEOUT:
		if (s->idle.w != NULL) {
			(void)store_back(s);
			break;		/* imap_idle_run() says BYE */
		}
		log_ses(&s->log, LOG_LOW, "idle time-out; closing");
		imap_send(s, "* BYE Autologout; idle time-out");
		s->state = IST_LOGOUT;
		break;
	case PARK_INPUT:
	case PARK_NOTIFY:
		(void)store_back(s);
		break;
	}
	session_run(s);
}

static void
imap_handler(struct conn *c, void *arg)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));
	struct buf caps;
	unsigned left;

	s->srv = arg;
	s->conn = c;
	s->state = IST_NOTAUTH;
	s->prelogin = true;
	log_session_init(&s->log, &log_imap, conn_peer_text(c));
	if (objects_iplist_match(s->srv->objects, OBJ_IPS_DEBUG,
	    (const struct sockaddr *)conn_peer_addr(c)))
		s->log.force_level = LOG_ALL;
	imap_parser_init(&s->parser, IMAP_LITERAL_MAX);
	s->settings = objects_settings_get(s->srv->objects, "IMAP",
	    &imap_settings_table);
	s->conf = settings_snap_conf(s->settings);
	s->hibernate_ms = (int64_t)s->conf->hibernate_after * 1000;
	s->idle_ms = (int64_t)s->conf->idle_timeout * 1000;
	conn_set_timeouts(c, (int)s->idle_ms, IMAP_WRITE_TIMEOUT_MS);
	log_ses(&s->log, LOG_LOW, "connected to %s%s", conn_local_text(c),
	    conn_is_tls(c) ? " (TLS)" : "");

	if (auth_tempbl_refuse(s->srv, (const struct sockaddr *)
	    conn_peer_addr(c), &left)) {
		log_ses(&s->log, LOG_PROBLEM, "connection refused: address "
		    "is temporarily blacklisted (%u s left)", left);
		imap_send(s, "* BYE [UNAVAILABLE] Your address is "
		    "temporarily blacklisted, try later");
		s->state = IST_LOGOUT;
	} else {
		buf_init(&caps, 1024);
		imap_capabilities(s, &caps);
		imap_send(s, "* OK [CAPABILITY %s] Tegami %s IMAP4rev1 "
		    "server ready", buf_cstr(&caps), TEGAMI_VERSION);
		buf_free(&caps);
	}
	session_run(s);
}

static void
imap_refuse(struct conn *c, const char *why)
{
	(void)conn_printf(c, "* BYE %s\r\n", why);
	(void)conn_flush(c);
}

int
imap_register(struct server *srv, struct error *err_r)
{
	log_register(&log_imap);
	if (listener_register("imap", imap_handler, imap_refuse, srv,
	    &log_imap, err_r) < 0)
		return -1;
	return listener_register("imaps", imap_handler, imap_refuse, srv,
	    &log_imap, err_r);
}
