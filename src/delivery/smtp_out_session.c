/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_out_session.c: one delivery attempt of a batch -- the hosts to try
 * (smtp_out_hosts.c), one connection at a time, the SMTP dialogue and each
 * recipient's outcome.  See smtp_out.h for the rules.
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "delivery/smtp_out_private.h"
#include "delivery/smtp_out_reply.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "lib/stats.h"
#include "net/conn.h"
#include "net/tls.h"

static void	idle_yield(const char *peer);

/* One connection. */
struct osess {
	struct smtp_out_batch		*b;
	const struct smtp_out_addr	*a;
	struct conn			*c;
	struct smtp_out_ext			 ext;
	char				 peer[CONN_ADDR_TEXT_MAX];
	bool				 broken;	/* no more commands */
	bool				 slot;		/* holds a connection slot */
};

/* Closes the connection and gives its slot back. */
static void
close_session(struct osess *s)
{
	conn_free(&s->c);
	if (s->slot)
		smtp_out_slot_release(s->peer);
	s->slot = false;
}

static void
set_error(struct smtp_out_batch *b, const char *fmt, ...)
    ATTR_FORMAT(2, 3);

static void
set_error(struct smtp_out_batch *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->last_error, sizeof(b->last_error), fmt, ap);
	va_end(ap);
}

/* Reads one reply; ext (may be NULL) takes the EHLO lines.  0, or -1 with
 * b->last_error set and the session broken. */
static int
read_reply(struct osess *s, struct smtp_out_reply *r, struct smtp_out_ext *ext)
{
	struct strv line;
	struct error err;
	enum line_rc rc;
	int k;

	smtp_out_reply_init(r);
	for (;;) {
		rc = conn_read_line(s->c, SMTP_REPLY_LINE_MAX, LINE_LF_OK,
		    &line);
		if (rc == LINE_TOOLONG) {
			set_error(s->b, "%s: reply line too long", s->peer);
			goto broken;
		}
		if (rc != LINE_OK && rc != LINE_BARE_LF) {
			set_error(s->b, "%s: %s", s->peer,
			    rc == LINE_EOF ? "connection closed by the host" :
			    conn_last_error(s->c)[0] != '\0' ?
			    conn_last_error(s->c) : "read error");
			goto broken;
		}
		log_ses(s->b->ls, LOG_ALL, "inp: %.*s", (int)line.len, line.p);
		smtp_out_trace(s->b, "  <- %.*s", (int)(line.len > 300 ? 300 :
		    line.len), line.p);
		error_clear(&err);
		k = smtp_out_reply_line(r, line.p, line.len, &err);
		if (k < 0) {
			set_error(s->b, "%s: bad reply: %s", s->peer, err.msg);
			goto broken;
		}
		if (ext != NULL && r->nlines > 1)
			smtp_out_ext_line(ext, line.p, line.len);
		if (k == 1)
			return 0;
	}
broken:
	log_ses(s->b->ls, LOG_PROBLEM, "%s", s->b->last_error);
	smtp_out_trace(s->b, "  !! %s", s->b->last_error);
	s->broken = true;
	return -1;
}

static void
send_cmd(struct osess *s, const char *fmt, ...) ATTR_FORMAT(2, 3);

static void
send_cmd(struct osess *s, const char *fmt, ...)
{
	char line[SMTP_REPLY_LINE_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line))
		len = (int)sizeof(line) - 1;
	log_ses(s->b->ls, LOG_ALL, "out: %s", line);
	smtp_out_trace(s->b, "  -> %.300s", line);
	(void)conn_write(s->c, line, (size_t)len);
	(void)conn_write(s->c, "\r\n", 2);
}

static enum queue_outcome
reply_outcome(const struct smtp_out_reply *r)
{
	if (r->code >= 200 && r->code < 300)
		return QUEUE_OUT_DELIVERED;
	if (r->code >= 500)
		return QUEUE_OUT_PERMFAIL;
	return QUEUE_OUT_TEMPFAIL;
}

/* Decides item k with reply r. */
static void
decide(struct smtp_out_batch *b, size_t k, const struct smtp_out_reply *r)
{
	b->items[k].outcome = reply_outcome(r);
	if (b->items[k].outcome == QUEUE_OUT_DELIVERED)
		b->items[k].error[0] = '\0';
	else
		smtp_out_reply_format(r, b->items[k].error,
		    sizeof(b->items[k].error));
	b->decided[k] = true;
}

static void
decide_text(struct smtp_out_batch *b, size_t k, enum queue_outcome out,
    const char *text)
{
	b->items[k].outcome = out;
	snprintf(b->items[k].error, sizeof(b->items[k].error), "%s", text);
	b->decided[k] = true;
}

/* RFC 3461 4: xtext of s into out. */
static void
put_xtext(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 33 || ch > 126 || ch == '+' || ch == '=')
			buf_printf(out, "+%02X", ch);
		else
			buf_putc(out, (char)ch);
	}
}

/* The body, dot-stuffed (RFC 5321 4.5.2), then ".". */
static void
send_body(struct osess *s, const char *p, size_t len)
{
	const char *nl;
	size_t start = 0, end;

	while (start < len) {
		nl = memchr(p + start, '\n', len - start);
		end = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (p[start] == '.')
			(void)conn_write(s->c, ".", 1);
		(void)conn_write(s->c, p + start, end - start);
		start = end;
	}
	if (len > 0 && p[len - 1] != '\n')
		(void)conn_write(s->c, "\r\n", 2);
	(void)conn_write(s->c, ".\r\n", 3);
}

static void
rset(struct osess *s)
{
	struct smtp_out_reply r;

	if (s->broken)
		return;
	send_cmd(s, "RSET");
	(void)read_reply(s, &r, NULL);
}

/* One transaction: the message body to the undecided items of
 * [first, last).  0, or -1 when the connection broke. */
static int
transaction(struct osess *s, const struct buf *body, size_t first,
    size_t last)
{
	struct smtp_out_batch *b = s->b;
	const struct queue_item *it = &b->items[first];
	struct smtp_out_reply mail, r, data;
	struct buf params;
	bool ok[SMTP_OUT_RCPT_MAX], utf8 = false, pipe = s->ext.pipelining;
	size_t k, naccepted = 0, nsent = 0;

	buf_init(&params, 2048);
	if (s->ext.size)
		buf_printf(&params, " SIZE=%zu", body->len);
	if (s->ext.eightbitmime && smtp_out_has_8bit(body->data, body->len))
		buf_puts(&params, " BODY=8BITMIME");
	if (smtp_out_has_8bit(it->return_path, strlen(it->return_path)))
		utf8 = true;
	for (k = first; k < last; k++)
		if (!b->decided[k] &&
		    smtp_out_has_8bit(b->env[k], strlen(b->env[k])))
			utf8 = true;
	if (utf8 && !s->ext.smtputf8) {
		for (k = first; k < last; k++)
			if (!b->decided[k])
				decide_text(b, k, QUEUE_OUT_PERMFAIL, "553 5.6.7 "
				    "the host does not support SMTPUTF8 "
				    "(internationalized addresses)");
		buf_free(&params);
		return 0;
	}
	if (utf8)
		buf_puts(&params, " SMTPUTF8");
	if (s->ext.dsn && it->ret != QUEUE_RET_DEFAULT)
		buf_puts(&params, it->ret == QUEUE_RET_FULL ? " RET=FULL" :
		    " RET=HDRS");
	if (s->ext.dsn && it->envid != NULL && it->envid[0] != '\0') {
		buf_puts(&params, " ENVID=");
		put_xtext(&params, it->envid);
	}
	send_cmd(s, "MAIL FROM:<%s>%s", it->return_path, buf_cstr(&params));
	if (!pipe && read_reply(s, &mail, NULL) < 0)
		goto broken;
	if (!pipe && mail.code / 100 != 2)
		goto mail_failed;

	for (k = first; k < last; k++) {
		ok[k - first] = false;
		if (b->decided[k])
			continue;
		buf_reset(&params);
		if (s->ext.dsn && b->items[k].notify != 0) {
			unsigned nt = b->items[k].notify;

			buf_puts(&params, " NOTIFY=");
			if (nt & QUEUE_NOTIFY_NEVER)
				buf_puts(&params, "NEVER");
			else {
				const char *sep = "";

				if (nt & QUEUE_NOTIFY_SUCCESS) {
					buf_puts(&params, "SUCCESS");
					sep = ",";
				}
				if (nt & QUEUE_NOTIFY_FAILURE) {
					buf_printf(&params, "%sFAILURE", sep);
					sep = ",";
				}
				if (nt & QUEUE_NOTIFY_DELAY)
					buf_printf(&params, "%sDELAY", sep);
			}
		}
		if (s->ext.dsn && b->items[k].orcpt != NULL &&
		    b->items[k].orcpt[0] != '\0') {
			const char *o = b->items[k].orcpt, *semi;

			semi = strchr(o, ';');
			buf_puts(&params, " ORCPT=");
			if (semi != NULL) {
				buf_append(&params, o, (size_t)(semi - o) + 1);
				o = semi + 1;
			} else
				buf_puts(&params, "rfc822;");
			put_xtext(&params, o);
		}
		send_cmd(s, "RCPT TO:<%s>%s", b->env[k], buf_cstr(&params));
		nsent++;
		if (pipe)
			continue;
		if (read_reply(s, &r, NULL) < 0)
			goto broken;
		if (r.code / 100 == 2) {
			ok[k - first] = true;
			naccepted++;
		} else {
			decide(b, k, &r);
			log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": <%s> "
			    "refused by %s: %s", it->msg_id, b->env[k], s->peer,
			    b->items[k].error);
		}
	}
	buf_free(&params);
	if (pipe) {
		send_cmd(s, "DATA");
		if (read_reply(s, &mail, NULL) < 0)
			goto broken;
		for (k = first; k < last; k++) {
			if (b->decided[k])
				continue;
			if (read_reply(s, &r, NULL) < 0)
				goto broken;
			if (mail.code / 100 != 2)
				continue;
			if (r.code / 100 == 2) {
				ok[k - first] = true;
				naccepted++;
			} else {
				decide(b, k, &r);
				log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64
				    ": <%s> refused by %s: %s", it->msg_id,
				    b->env[k], s->peer, b->items[k].error);
			}
		}
		if (read_reply(s, &data, NULL) < 0)
			goto broken;
		if (mail.code / 100 != 2) {
			if (data.code == 354) {
				(void)conn_write(s->c, ".\r\n", 3);
				(void)read_reply(s, &r, NULL);
			}
			goto mail_failed;
		}
	} else if (naccepted > 0) {
		send_cmd(s, "DATA");
		if (read_reply(s, &data, NULL) < 0)
			goto broken;
	} else
		data.code = 0;
	(void)nsent;

	if (naccepted == 0) {
		if (data.code == 354) {
			/* RFC 2920 3.1 says it must not; end it empty. */
			(void)conn_write(s->c, ".\r\n", 3);
			(void)read_reply(s, &r, NULL);
		}
		rset(s);
		return s->broken ? -1 : 0;
	}
	if (data.code != 354) {
		for (k = first; k < last; k++)
			if (ok[k - first])
				decide(b, k, &data);
		log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": DATA refused "
		    "by %s: %03d %s", it->msg_id, s->peer, data.code,
		    data.text);
		rset(s);
		return s->broken ? -1 : 0;
	}
	send_body(s, body->data, body->len);
	if (read_reply(s, &r, NULL) < 0) {
		/* The message may or may not have been taken: undecided, so
		 * it is sent again (at most a duplicate, never a loss). */
		return -1;
	}
	for (k = first; k < last; k++) {
		if (!ok[k - first])
			continue;
		decide(b, k, &r);
		/* RFC 3461 5.2.2: relayed to a DSN server, which now
		 * answers for NOTIFY=SUCCESS; no "delivered" DSN here. */
		if (r.code / 100 == 2 && s->ext.dsn)
			b->items[k].notify &= ~(unsigned)QUEUE_NOTIFY_SUCCESS;
	}
	if (r.code / 100 == 2)
		stats_add(STAT_MSG_RELAYED, 1);
	if (r.code / 100 == 2)
		log_ses(b->ls, LOG_MAJOR, "queue id %" PRIu64 ": %zu "
		    "recipient(s) relayed to %s: %03d %s", it->msg_id,
		    naccepted, s->peer, r.code, r.text);
	else
		log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": message "
		    "refused by %s: %03d %s", it->msg_id, s->peer, r.code,
		    r.text);
	return 0;

mail_failed:
	for (k = first; k < last; k++)
		if (!b->decided[k])
			decide(b, k, &mail);
	log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": MAIL FROM refused "
	    "by %s: %03d %s", it->msg_id, s->peer, mail.code, mail.text);
	buf_free(&params);
	rset(s);
	return s->broken ? -1 : 0;
broken:
	buf_free(&params);
	return -1;
}

/* Every recipient of the message of items [first, last).  0, or -1 when
 * the connection broke. */
static int
send_message(struct osess *s, size_t first, size_t last)
{
	struct smtp_out_batch *b = s->b;
	const struct queue_item *it = &b->items[first];
	struct buf body;
	struct error err;
	char text[QUEUE_TEXT_MAX + 1];
	size_t k, end;
	int rc = 0;

	for (k = first; k < last && b->decided[k]; k++)
		;
	if (k == last)
		return 0;
	if (s->ext.size && s->ext.size_max > 0 && it->size > s->ext.size_max) {
		smtp_out_textf(text, sizeof(text), "552 5.3.4 message size %" PRIu64
		    " exceeds the limit %" PRIu64 " of %s", it->size,
		    s->ext.size_max, s->a->host);
		for (k = first; k < last; k++)
			if (!b->decided[k])
				decide_text(b, k, QUEUE_OUT_PERMFAIL, text);
		log_ses(b->ls, LOG_PROBLEM, "queue id %" PRIu64 ": %s",
		    it->msg_id, text);
		return 0;
	}
	buf_init(&body, QUEUE_BODY_MAX);
	error_clear(&err);
	if (queue_read_body(b->q, it->msg_id, &body, &err) < 0 ||
	    body.err != 0) {
		log_ses(b->ls, LOG_FAILURE, "queue id %" PRIu64 ": cannot read "
		    "the message: %s", it->msg_id, err.msg);
		for (k = first; k < last; k++)
			if (!b->decided[k])
				decide_text(b, k, QUEUE_OUT_TEMPFAIL,
				    err.msg[0] != '\0' ? err.msg :
				    "cannot read the message");
		buf_free(&body);
		return 0;
	}
	if (!s->ext.eightbitmime && smtp_out_has_8bit(body.data, body.len)) {
		struct buf conv;

		buf_init(&conv, QUEUE_BODY_MAX + QUEUE_BODY_MAX / 2);
		if (smtp_out_downgrade(body.data, body.len, &conv) == 1 &&
		    conv.err == 0) {
			log_ses(b->ls, LOG_LOW, "queue id %" PRIu64 ": 8-bit "
			    "parts converted to quoted-printable (%s has no "
			    "8BITMIME)", it->msg_id, s->peer);
			smtp_out_trace(b, "8-bit parts converted to "
			    "quoted-printable (no 8BITMIME)");
			buf_free(&body);
			body = conv;
		} else
			buf_free(&conv);
	}
	for (k = first; k < last && rc == 0; k = end) {
		end = k + SMTP_OUT_RCPT_MAX < last ? k + SMTP_OUT_RCPT_MAX :
		    last;
		rc = transaction(s, &body, k, end);
	}
	buf_free(&body);
	return rc;
}

static int
ehlo(struct osess *s)
{
	struct smtp_out_reply r;

	memset(&s->ext, 0, sizeof(s->ext));
	send_cmd(s, "EHLO %s", s->b->helo);
	if (read_reply(s, &r, &s->ext) < 0)
		return -1;
	if (r.code == 250)
		return 0;
	memset(&s->ext, 0, sizeof(s->ext));
	send_cmd(s, "HELO %s", s->b->helo);
	if (read_reply(s, &r, NULL) < 0)
		return -1;
	if (r.code == 250)
		return 0;
	set_error(s->b, "%s: HELO refused: %03d %s", s->peer, r.code, r.text);
	log_ses(s->b->ls, LOG_PROBLEM, "%s", s->b->last_error);
	return -1;
}

/*
 * STARTTLS and the policy.  0: TLS is on and acceptable, or was not
 * tried; -1: give up this address (b->last_error); -2: the handshake failed
 * on an opportunistic attempt (connect again without TLS).
 */
static int
starttls(struct osess *s)
{
	struct smtp_out_batch *b = s->b;
	struct ssl_ctx_st *tls;
	struct smtp_out_reply r;
	struct error err;
	char **names = NULL;
	const char *sni;

	if (!s->ext.starttls) {
		if (!b->tls_required)
			return 0;
		set_error(b, "%s: no STARTTLS offered, and %s is in "
		    "SendEncrypted", s->peer, b->tls_names[0]);
		smtp_out_trace(b, "%s", b->last_error);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		return -1;
	}
	error_clear(&err);
	tls = smtp_out_tls_ctx(b->ctx, b->conf->trusted_ca, &err);
	if (tls == NULL) {
		set_error(b, "TLS: %s", err.msg);
		log_ses(b->ls, LOG_FAILURE, "cannot make the TLS context: %s",
		    err.msg);
		return b->tls_required ? -1 : 0;
	}
	send_cmd(s, "STARTTLS");
	if (read_reply(s, &r, NULL) < 0)
		return -1;
	if (r.code != 220) {
		if (!b->tls_required)
			return 0;
		set_error(b, "%s: STARTTLS refused: %03d %s", s->peer, r.code,
		    r.text);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		return -1;
	}
	sni = s->a->host[0] != '\0' && s->a->host[0] != '[' ? s->a->host :
	    NULL;
	if (conn_starttls_client(s->c, tls, sni, &names, &err) < 0) {
		set_error(b, "%s: TLS handshake failed: %s", s->peer, err.msg);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		s->broken = true;
		return b->tls_required ? -1 : -2;
	}
	log_ses(b->ls, LOG_LOW, "TLS established with %s: %s", s->peer,
	    conn_tls_info(s->c));
	{
		char list[300];

		smtp_out_names_text(names, list, sizeof(list));
		smtp_out_trace(b, "TLS %s; certificate names: %s; chain "
		    "verified: %s", conn_tls_info(s->c), list[0] != '\0' ?
		    list : "none", conn_tls_verify_ok(s->c) ? "yes" : "no");
	}
	if (b->tls_required && smtp_out_tls_check(b, s->c, names, s->peer,
	    s->a->host) < 0) {
		tls_names_free(&names);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		smtp_out_trace(b, "TLS policy check failed: %s", b->last_error);
		return -1;
	}
	if (b->tls_required)
		smtp_out_trace(b, "TLS policy check passed (SendEncrypted)");
	tls_names_free(&names);
	if (ehlo(s) == 0)
		return 0;
	/* TLS 1.3: a server that refuses our handshake (it wants a client
	 * certificate, say) says so only now.  Opportunistic: try again. */
	return s->broken && !b->tls_required ? -2 : -1;
}

/* True when the greeting's first word is our own name. */
static bool
greets_as_us(const struct smtp_out_batch *b, const struct smtp_out_reply *r)
{
	size_t n = strlen(b->helo);

	return n > 0 && strncasecmp(r->text, b->helo, n) == 0 &&
	    (r->text[n] == ' ' || r->text[n] == '\0');
}

/* Connects to a and says EHLO (and STARTTLS when no_tls is false).
 * 0, -1 (next address) or -2 (again without TLS). */
static int
open_session(struct osess *s, bool no_tls)
{
	struct smtp_out_batch *b = s->b;
	struct smtp_out_reply r;
	struct error err;
	int ms = (int)b->conf->timeout * 1000, rc;

	smtp_out_textf(s->peer, sizeof(s->peer), "[%s]:%u", s->a->ip,
	    s->a->port);
	log_ses(b->ls, LOG_LOW, "connecting to %s (%s)", s->peer, s->a->host);
	error_clear(&err);
	s->c = conn_connect_tcp(s->a->ip, s->a->port,
	    (int)b->conf->connect_timeout * 1000, &err);
	if (smtp_out_slot_take(s->peer, (unsigned)b->conf->max_conns,
	    (unsigned)b->conf->max_per_host, 0) < 0 &&
	    (idle_yield(s->peer), smtp_out_slot_take(s->peer,
	    (unsigned)b->conf->max_conns, (unsigned)b->conf->max_per_host,
	    SMTP_OUT_SLOT_WAIT_MS) < 0)) {
		set_error(b, "%s: too many outgoing connections "
		    "(MaxOutgoingConnections %u, MaxConnectionsPerHost %u)",
		    s->peer, (unsigned)b->conf->max_conns,
		    (unsigned)b->conf->max_per_host);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		smtp_out_trace(b, "%s", b->last_error);
		return -1;
	}
	s->slot = true;
	smtp_out_trace(b, "connecting to %s (%s)%s", s->peer, s->a->host,
	    no_tls ? ", without STARTTLS" : "");
	if (s->c == NULL) {
		set_error(b, "%s: %s", s->peer, err.msg);
		smtp_out_trace(b, "  !! %s", err.msg);
		log_ses(b->ls, LOG_PROBLEM, "cannot connect: %s",
		    b->last_error);
		return -1;
	}
	conn_set_timeouts(s->c, ms, ms);
	s->broken = false;
	if (read_reply(s, &r, NULL) < 0)
		return -1;
	if (r.code != 220) {
		set_error(b, "%s: greeting: %03d %s", s->peer, r.code, r.text);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		send_cmd(s, "QUIT");
		(void)conn_flush(s->c);
		return -1;
	}
	log_ses(b->ls, LOG_LOW, "connected to %s: %03d %s", s->peer, r.code,
	    r.text);
	if (greets_as_us(b, &r)) {
		/* Postfix's "loops back to myself": the host says it is us. */
		smtp_out_textf(b->last_error, sizeof(b->last_error), "5.4.6 "
		    "mail for %s loops back to this server (%s greets as %s)",
		    b->target, s->peer, b->helo);
		log_ses(b->ls, LOG_PROBLEM, "%s", b->last_error);
		smtp_out_set_undecided(b->items, b->decided, 0, b->n,
		    QUEUE_OUT_PERMFAIL, b->last_error);
		for (size_t i = 0; i < b->n; i++)
			b->decided[i] = true;
		send_cmd(s, "QUIT");
		(void)conn_flush(s->c);
		return -1;
	}
	if (ehlo(s) < 0)
		return -1;
	if (no_tls)
		return b->tls_required ? -1 : 0;
	rc = starttls(s);
	return rc;
}

static bool
all_decided(const struct smtp_out_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!b->decided[i])
			return false;
	return true;
}

/* Durability: the final outcomes of items [first, last) go to the queue
 * now, not only when the batch ends, so a crash repeats at most the message
 * in flight. */
static void
report(struct smtp_out_batch *b, size_t first, size_t last)
{
	struct queue_item *fin;
	struct error err;
	size_t k, n = 0;

	fin = xcalloc(last - first, sizeof(*fin));
	for (k = first; k < last; k++)
		if (b->decided[k] && b->items[k].outcome != QUEUE_OUT_TEMPFAIL)
			fin[n++] = b->items[k];
	error_clear(&err);
	if (n > 0 && queue_report(b->q, fin, n, &err) < 0)
		log_ses(b->ls, LOG_FAILURE, "cannot record outcomes: %s",
		    err.msg);
	free(fin);
}

/*
 * Idle connections: a connection whose batch is done stays open up to
 * SMTP_OUT_IDLE_SECS for the next batch to the same destination (messages
 * that arrive one by one then share one connection, as over one batch).
 * It keeps its connection slot.  Expired ones are closed (QUIT) when the
 * next batch of any destination looks, and all at shutdown.
 */
struct idle_conn {
	char			 target[QUEUE_TARGET_MAX + 1];
	struct smtp_out_addr	 a;
	char			 peer[CONN_ADDR_TEXT_MAX];
	struct conn		*c;
	struct smtp_out_ext	 ext;
	int64_t			 since;
};

static struct {
	pthread_mutex_t		 mu;
	struct idle_conn	 v[SMTP_OUT_IDLE_MAX];
	size_t			 n;
} idle = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
idle_close(struct idle_conn *ic)
{
	(void)conn_puts(ic->c, "QUIT\r\n");
	conn_free(&ic->c);		/* flushes, best effort */
	smtp_out_slot_release(ic->peer);
}

/* Caller holds idle.mu.  Closes the expired ones (all when now is 0). */
static void
idle_expire(int64_t now)
{
	size_t i = 0;

	while (i < idle.n) {
		if (now != 0 && now - idle.v[i].since < SMTP_OUT_IDLE_SECS) {
			i++;
			continue;
		}
		idle_close(&idle.v[i]);
		idle.v[i] = idle.v[--idle.n];
	}
}

/* Active deliveries come first: idle connections to peer (or, when there
 * are none, the oldest idle one) give their slots back. */
static void
idle_yield(const char *peer)
{
	size_t i = 0, old = 0;
	bool any = false;

	pthread_mutex_lock(&idle.mu);
	while (i < idle.n) {
		if (strcmp(idle.v[i].peer, peer) != 0) {
			i++;
			continue;
		}
		idle_close(&idle.v[i]);
		idle.v[i] = idle.v[--idle.n];
		any = true;
	}
	if (!any && idle.n > 0) {
		for (i = 1; i < idle.n; i++)
			if (idle.v[i].since < idle.v[old].since)
				old = i;
		idle_close(&idle.v[old]);
		idle.v[old] = idle.v[--idle.n];
	}
	pthread_mutex_unlock(&idle.mu);
}

void
smtp_out_idle_flush(void)
{
	pthread_mutex_lock(&idle.mu);
	idle_expire(0);
	pthread_mutex_unlock(&idle.mu);
}

/* Parks s (its connection and slot) for b's destination. */
static void
idle_put(struct osess *s)
{
	struct idle_conn *ic;
	int64_t now = (int64_t)time(NULL);
	size_t i, old = 0;

	pthread_mutex_lock(&idle.mu);
	idle_expire(now);
	if (idle.n == SMTP_OUT_IDLE_MAX) {
		for (i = 1; i < idle.n; i++)
			if (idle.v[i].since < idle.v[old].since)
				old = i;
		idle_close(&idle.v[old]);
		idle.v[old] = idle.v[--idle.n];
	}
	ic = &idle.v[idle.n++];
	snprintf(ic->target, sizeof(ic->target), "%s", s->b->target);
	ic->a = *s->a;
	memcpy(ic->peer, s->peer, sizeof(ic->peer));
	ic->c = s->c;
	ic->ext = s->ext;
	ic->since = now;
	pthread_mutex_unlock(&idle.mu);
	s->c = NULL;
	s->slot = false;
}

/* A parked connection to one of b's addresses for b's destination, checked
 * with RSET.  true with s ready to send. */
static bool
idle_take(struct osess *s)
{
	struct smtp_out_batch *b = s->b;
	struct smtp_out_reply r;
	struct idle_conn ic;
	size_t i, k;
	bool found = false;

	pthread_mutex_lock(&idle.mu);
	idle_expire((int64_t)time(NULL));
	for (i = 0; i < idle.n && !found; i++) {
		if (strcmp(idle.v[i].target, b->target) != 0)
			continue;
		for (k = 0; k < b->naddrs; k++)
			if (strcmp(b->addrs[k].ip, idle.v[i].a.ip) == 0 &&
			    b->addrs[k].port == idle.v[i].a.port)
				break;
		ic = idle.v[i];
		idle.v[i] = idle.v[--idle.n];
		found = true;
		s->a = k < b->naddrs ? &b->addrs[k] : NULL;
	}
	pthread_mutex_unlock(&idle.mu);
	if (!found)
		return false;
	s->c = ic.c;
	s->slot = true;
	memcpy(s->peer, ic.peer, sizeof(s->peer));
	s->ext = ic.ext;
	s->broken = false;
	if (s->a == NULL || (b->tls_required && !conn_is_tls(s->c))) {
		/* Not an address of this attempt, or the policy changed. */
		close_session(s);
		return false;
	}
	log_ses(b->ls, LOG_LOW, "reusing the connection to %s", s->peer);
	smtp_out_trace(b, "reusing the open connection to %s (%s)%s", s->peer,
	    s->a->host, conn_is_tls(s->c) ? ", TLS" : "");
	send_cmd(s, "RSET");
	if (read_reply(s, &r, NULL) < 0 || r.code != 250) {
		close_session(s);
		return false;
	}
	return true;
}

/* Sends every undecided message of the batch over s, then parks the
 * connection for reuse (or closes it when broken). */
static void
run_session(struct osess *s)
{
	struct smtp_out_batch *b = s->b;
	size_t i, j;

	for (i = 0; i < b->n && !s->broken; i = j) {
		for (j = i + 1; j < b->n &&
		    b->items[j].msg_id == b->items[i].msg_id; j++)
			;
		if (send_message(s, i, j) < 0)
			break;
		report(b, i, j);
	}
	if (!s->broken && !smtp_out_slot_contended()) {
		idle_put(s);
		return;
	}
	if (!s->broken) {
		send_cmd(s, "QUIT");
		(void)conn_flush(s->c);
	}
	close_session(s);
}

void
smtp_out_deliver(struct smtp_out_batch *b)
{
	struct osess s;
	size_t ai;
	int rc;

	if (smtp_out_hosts(b) < 0)
		return;		/* outcomes set */
	memset(&s, 0, sizeof(s));
	s.b = b;
	if (idle_take(&s))
		run_session(&s);
	for (ai = 0; ai < b->naddrs && !all_decided(b); ai++) {
		memset(&s, 0, sizeof(s));
		s.b = b;
		s.a = &b->addrs[ai];
		rc = open_session(&s, false);
		if (rc == -2) {
			close_session(&s);
			log_ses(b->ls, LOG_LOW, "trying %s again without TLS",
			    s.peer);
			smtp_out_trace(b, "TLS failed and is not required: "
			    "again without STARTTLS");
			rc = open_session(&s, true);
		}
		if (rc < 0) {
			close_session(&s);
			continue;
		}
		run_session(&s);
	}
	if (b->last_error[0] == '\0')
		set_error(b, "no host could be reached");
	smtp_out_set_undecided(b->items, b->decided, 0, b->n,
	    QUEUE_OUT_TEMPFAIL, b->last_error);
}
