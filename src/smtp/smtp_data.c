/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_data.c: the DATA phase (RFC 5321 4.1.1.4, 4.5.2) and the hand-over
 * to the queue.
 *
 * Only CR LF "." CR LF ends DATA: a "." line counts as the end only when
 * it and the line before it both ended with CR LF.  A bare LF or bare CR
 * anywhere in the data makes us refuse the message (550 5.6.0) once the
 * real terminator arrives (RFC 5321 2.3.8) -- never normalised, so a
 * message cannot end differently for us than for the MTA that sent it
 * (SMTP smuggling).  Past the size, header-count or line-length limits the
 * rest is read and thrown away until the terminator, so memory stays
 * bounded and the client gets its 552 or 550 in the protocol.  After an
 * over-long line the line reader remembers how it ended, so the first
 * proper CRLF.CRLF still ends DATA and pipelined commands after it are
 * read as commands.
 *
 * Time: the data must arrive at MinDataRate bytes/s on average, with
 * DataTimeout seconds of credit (a stall of DataTimeout ends it, and so
 * does a trickle, however steady), and a whole DATA phase may take at most
 * MaxDataTime seconds (Postfix's smtpd_min_data_rate and per-request
 * deadline; nginx's client_body_timeout).  Past either: 421 4.4.2.
 *
 * The accepted message gets a Received: header (docs/behaviour.md, B13)
 * and, for trusted submissions (authenticated, or the submission port),
 * Date: and Message-ID: when missing (docs/smtp.md).  "250" is sent
 * only after queue_submit() has returned, that is after the fsync.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "lib/stats.h"
#include "net/conn.h"
#include "queue/queue.h"
#include "core/server.h"
#include "smtp/smtp_private.h"

#define SMTP_TRACE_MAX		4096	/* our Received:/Date:/Message-ID: block */
#define SMTP_MSGID_MAX		128	/* the local id in Received: and Message-ID: */

struct data_state {
	struct buf	 body;
	uint64_t	 seen;		/* bytes of message text read */
	unsigned	 headers;	/* header fields seen */
	bool		 in_headers;
	bool		 has_date, has_msgid;
	bool		 over_size, too_many_headers, long_line, bare;
};

static bool
header_is(struct strv line, const char *name)
{
	size_t n = strlen(name);

	return line.len > n && strncasecmp(line.p, name, n) == 0 &&
	    line.p[n] == ':';
}

/* Notes header facts: the count, and whether Date:/Message-ID: exist.  The
 * header section ends at the empty line (or a line that is no header). */
static void
track_header(struct smtp_session *s, struct data_state *st, struct strv line)
{
	if (!st->in_headers)
		return;
	if (line.len == 0) {
		st->in_headers = false;
		return;
	}
	if (line.p[0] == ' ' || line.p[0] == '\t')
		return;			/* folded continuation */
	if (memchr(line.p, ':', line.len) == NULL) {
		st->in_headers = false;
		return;
	}
	if (++st->headers > s->conf->max_headers)
		st->too_many_headers = true;
	if (header_is(line, "Date"))
		st->has_date = true;
	else if (header_is(line, "Message-ID"))
		st->has_msgid = true;
}

static void
take_line(struct smtp_session *s, struct data_state *st, struct strv line)
{
	/* RFC 5321 4.5.2: remove one leading dot. */
	if (line.len > 0 && line.p[0] == '.') {
		line.p++;
		line.len--;
	}
	if (memchr(line.p, '\r', line.len) != NULL)
		st->bare = true;
	track_header(s, st, line);
	st->seen += line.len + 2;
	if (st->seen > s->size_limit) {
		st->over_size = true;
		return;
	}
	if (st->over_size || st->too_many_headers || st->long_line ||
	    st->bare)
		return;			/* refused anyway: keep nothing */
	buf_put_strv(&st->body, line);
	buf_append(&st->body, "\r\n", 2);
}

/*
 * Reads until CRLF.CRLF.  0 when the terminator was read, -1 when the
 * connection must close (the reply, if any, is written).
 */
static int
read_data(struct smtp_session *s, struct data_state *st)
{
	struct strv line;
	enum line_rc rc;
	char where[64];
	int ret = 0;

	conn_set_timeouts(s->conn, (int)s->conf->data_timeout * 1000,
	    SMTP_WRITE_TIMEOUT_MS);
	conn_set_min_rate(s->conn, (int)s->conf->data_timeout * 1000,
	    s->conf->min_data_rate);
	conn_set_deadline(s->conn, (int)s->conf->max_data_time * 1000,
	    "DATA took too long");
	for (;;) {
		rc = conn_read_line(s->conn, SMTP_DATA_LINE_MAX,
		    LINE_CRLF_ONLY, &line);
		/* Only CRLF "." CRLF: the line before ended with CR LF too
		 * (also when it was an over-long line, now skipped). */
		if (rc == LINE_OK && line.len == 1 && line.p[0] == '.' &&
		    conn_line_after_crlf(s->conn))
			break;
		if (rc == LINE_OK)
			take_line(s, st, line);
		else if (rc == LINE_BARE_LF) {
			st->bare = true;
			take_line(s, st, line);
		} else if (rc == LINE_TOOLONG) {
			st->long_line = true;
			st->seen += SMTP_DATA_LINE_MAX;
		} else if (rc == LINE_TIMEOUT) {
			(void)snprintf(where, sizeof(where), "DATA time-out after "
			    "%llu bytes: ", (unsigned long long)st->seen);
			smtp_timeout_close(s, where);
			ret = -1;
			break;
		} else {
			log_ses(&s->log, LOG_PROBLEM, "connection lost in DATA "
			    "after %llu bytes", (unsigned long long)st->seen);
			ret = -1;
			break;
		}
	}
	conn_set_min_rate(s->conn, 0, 0);
	conn_set_deadline(s->conn, 0, NULL);
	conn_set_timeouts(s->conn, (int)s->conf->cmd_timeout * 1000,
	    SMTP_WRITE_TIMEOUT_MS);
	return ret;
}

static bool
is_trusted(const struct smtp_session *s)
{
	return s->authed || strcmp(s->service, "submission") == 0;
}

/* RFC 3848 protocol names: ESMTP, ESMTPS, ESMTPA, ESMTPSA; for a
 * transaction under SMTPUTF8, RFC 6531 4.3's UTF8SMTP, UTF8SMTPS,
 * UTF8SMTPA, UTF8SMTPSA. */
static const char *
with_protocol(const struct smtp_session *s)
{
	static const char *const names[2][2][2] = {
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};
	bool tls = conn_is_tls(s->conn);

	if (!s->esmtp)
		return tls ? "SMTPS" : "SMTP";
	return names[s->mail.smtputf8][tls][s->authed];
}

/* The trace block: Received: (RFC 5321 4.4), then Date: and Message-ID:
 * for trusted submissions that lack them. */
static void
make_trace(struct smtp_session *s, const struct data_state *st,
    const char *id, struct buf *out)
{
	char date[TIMEFMT_BUF_MAX];
	time_t now = time(NULL);

	(void)timefmt_rfc5322(now, date, sizeof(date));
	buf_printf(out, "Received: from %s ([%s])\r\n\tby %s (Tegami SMTP "
	    "%s) with %s id %s", s->helo[0] != '\0' ? s->helo : "unknown",
	    conn_peer_ip(s->conn), s->hostname, TEGAMI_VERSION,
	    with_protocol(s), id);
	if (conn_is_tls(s->conn))
		buf_printf(out, "\r\n\t(%s)", conn_tls_info(s->conn));
	if (s->authed)
		buf_printf(out, "\r\n\t(authenticated as %s)",
		    s->auth.address);
	if (s->nrcpt == 1)
		buf_printf(out, "\r\n\tfor <%s>", s->rcpts[0].address);
	buf_printf(out, "; %s\r\n", date);
	if (is_trusted(s) && !st->has_date)
		buf_printf(out, "Date: %s\r\n", date);
	if (is_trusted(s) && !st->has_msgid)
		buf_printf(out, "Message-ID: <%s@%s>\r\n", id, s->hostname);
}

static int
submit(struct smtp_session *s, const struct data_state *st, const char *id,
    uint64_t *qid_r, size_t *size_r, struct error *err)
{
	struct queue_rcpt *qr;
	struct queue_msg msg;
	struct buf text;
	size_t i;
	int ret;

	buf_init(&text, size_add(SMTP_TRACE_MAX, st->body.len));
	make_trace(s, st, id, &text);
	buf_append(&text, st->body.data != NULL ? st->body.data : "",
	    st->body.len);
	if (text.err != 0) {
		buf_free(&text);
		return error_set(err, ERR_LIMIT, "trace headers too long");
	}
	qr = xcalloc(s->nrcpt, sizeof(*qr));
	for (i = 0; i < s->nrcpt; i++) {
		qr[i].address = s->rcpts[i].address;
		qr[i].orcpt = s->rcpts[i].orcpt;
		qr[i].notify = s->rcpts[i].notify;
	}
	memset(&msg, 0, sizeof(msg));
	msg.return_path = s->mail.null_path ? "" : s->mail.path;
	msg.submit_tag = "SMTP";
	msg.source_ip = conn_peer_ip(s->conn);
	msg.auth_user = s->authed ? s->auth.address : NULL;
	msg.envid = s->mail.envid[0] != '\0' ? s->mail.envid : NULL;
	msg.ret = s->mail.ret == SMTP_RET_FULL ? QUEUE_RET_FULL :
	    s->mail.ret == SMTP_RET_HDRS ? QUEUE_RET_HDRS : QUEUE_RET_DEFAULT;
	msg.rcpts = qr;
	msg.nrcpt = s->nrcpt;
	msg.body = buf_cstr(&text);
	msg.body_len = text.len;
	*size_r = text.len;
	ret = queue_submit(s->srv->queue, &msg, qid_r, err);
	free(qr);
	buf_free(&text);
	return ret;
}

int
smtp_data_run(struct smtp_session *s)
{
	struct data_state st;
	struct error err;
	char id[SMTP_MSGID_MAX];
	uint64_t qid = 0;
	size_t size = 0;
	int rc;

	memset(&st, 0, sizeof(st));
	st.in_headers = true;
	/* The ceiling is the limit plus one line: take_line() checks the
	 * limit itself, so this only guards against mistakes. */
	buf_init(&st.body, size_add(s->size_limit, SMTP_DATA_LINE_MAX + 2));
	/* lets the queue hold its next commit for this message */
	if (s->srv->queue != NULL)
		queue_receiving(s->srv->queue, true);
	rc = read_data(s, &st);
	if (s->srv->queue != NULL)
		queue_receiving(s->srv->queue, false);
	if (rc < 0) {
		buf_free(&st.body);
		return -1;
	}
	if (st.bare) {
		log_ses(&s->log, LOG_PROBLEM, "message refused: bare CR or LF "
		    "in the data");
		smtp_reply(s, 550, "5.6.0", "Bare CR or LF in message data "
		    "not accepted; lines must end with CRLF (RFC 5321 "
		    "2.3.8)");
	} else if (st.long_line) {
		log_ses(&s->log, LOG_PROBLEM, "message refused: a line over "
		    "%u bytes", SMTP_DATA_LINE_MAX);
		smtp_reply(s, 550, "5.6.0", "Line too long in message data");
	} else if (st.over_size) {
		log_ses(&s->log, LOG_PROBLEM, "message refused: %llu bytes "
		    "over the limit %llu", (unsigned long long)st.seen,
		    (unsigned long long)s->size_limit);
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed "
		    "maximum message size (%llu)",
		    (unsigned long long)s->size_limit);
	} else if (st.too_many_headers) {
		log_ses(&s->log, LOG_PROBLEM, "message refused: over %u "
		    "header fields", (unsigned)s->conf->max_headers);
		smtp_reply(s, 552, "5.3.4", "Too many header fields");
	} else if (s->srv->queue == NULL) {
		log_ses(&s->log, LOG_PROBLEM, "message refused: queue not "
		    "available");
		smtp_reply(s, 451, "4.3.0", "Queue not available, try later");
	} else {
		s->nmsg++;
		(void)snprintf(id, sizeof(id), "%llx.%lu.%u",
		    (unsigned long long)time(NULL), s->log.id, s->nmsg);
		if (submit(s, &st, id, &qid, &size, &err) < 0) {
			log_ses(&s->log, LOG_PROBLEM, "message refused: queue "
			    "error: %s", err.msg);
			if (err.kind == ERR_LIMIT)
				smtp_reply(s, 552, "5.3.4", "%s", err.msg);
			else
				smtp_reply(s, 451, "4.3.0", "Queue error, try "
				    "later");
		} else {
			stats_add(STAT_MSG_RECEIVED, 1);
			log_ses(&s->log, LOG_MAJOR, "%llu from <%s> to %zu "
			    "recipient%s, %zu bytes%s%s",
			    (unsigned long long)qid, s->mail.path, s->nrcpt,
			    s->nrcpt == 1 ? "" : "s", size,
			    s->authed ? ", authenticated as " : "",
			    s->authed ? s->auth.address : "");
			smtp_reply(s, 250, "2.0.0", "%llu message accepted",
			    (unsigned long long)qid);
		}
	}
	buf_free(&st.body);
	return 0;
}
