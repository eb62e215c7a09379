/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_dsn.c: delivery status notifications (RFC 3464, RFC 3461, RFC 6522
 * multipart/report).  queue_make_dsn() is pure: the text depends only on its
 * input (date, boundary and Message-ID derive from the queue id and "now"),
 * so it is tested alone; the writer calls it inside the transaction that
 * records the failure.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/bounds.h"
#include "queue/queue.h"

/* Appends s with CR, LF and other control bytes turned into spaces: the
 * texts come from peers and must not break the header structure. */
static void
put_clean(struct buf *b, const char *s, size_t max)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		c = (unsigned char)s[i];
		buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

/* RFC 5322 date-time in UTC, independent of the locale. */
static void
put_date(struct buf *b, int64_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char mons[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, mons[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Appends text with every line ending made CRLF. */
static void
put_crlf(struct buf *b, const char *p, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			continue;
		buf_append(b, p + start, i - start);
		buf_puts(b, "\r\n");
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	buf_append(b, p + start, len - start);
	if (len > 0 && p[len - 1] != '\n' && p[len - 1] != '\r')
		buf_puts(b, "\r\n");
}

/* Length of the header section (without the empty line ending it). */
static size_t
header_len(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Finds an RFC 3463 status code "c.s.d" (c in 2, 4, 5) in text. */
static bool
find_status(const char *text, char *out, size_t size)
{
	const char *p, *s;
	size_t n1, n2;

	for (p = text; *p != '\0'; p++) {
		if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.' ||
		    (p > text && (is_digit(p[-1]) || p[-1] == '.')))
			continue;
		s = p + 2;
		for (n1 = 0; is_digit(s[n1]) && n1 < 4; n1++)
			;
		if (n1 == 0 || n1 > 3 || s[n1] != '.')
			continue;
		s += n1 + 1;
		for (n2 = 0; is_digit(s[n2]) && n2 < 4; n2++)
			;
		if (n2 == 0 || n2 > 3 || s[n2] == '.')
			continue;
		snprintf(out, size, "%.*s", (int)(s + n2 - p), p);
		return true;
	}
	return false;
}

static const char *
action_name(enum queue_dsn_action a)
{
	switch (a) {
	case QUEUE_DSN_DELAYED:
		return "delayed";
	case QUEUE_DSN_DELIVERED:
		return "delivered";
	case QUEUE_DSN_FAILED:
		break;
	}
	return "failed";
}

int
queue_make_dsn(const struct queue_dsn *d, struct buf *out,
    struct error *err_r)
{
	char boundary[96], status[16];
	const char *subject;
	size_t i, hlen, nfailed = 0, ndelayed = 0;
	unsigned try;
	bool full;

	if (d->main_domain == NULL || d->main_domain[0] == '\0' ||
	    d->return_path == NULL || d->return_path[0] == '\0' ||
	    d->nrcpt == 0 || d->rcpts == NULL ||
	    (d->original == NULL && d->original_len > 0))
		return error_set(err_r, ERR_SYNTAX, "incomplete DSN request");
	for (i = 0; i < d->nrcpt; i++) {
		if (d->rcpts[i].address == NULL)
			return error_set(err_r, ERR_SYNTAX,
			    "DSN recipient without address");
		if (d->rcpts[i].action == QUEUE_DSN_FAILED)
			nfailed++;
		else if (d->rcpts[i].action == QUEUE_DSN_DELAYED)
			ndelayed++;
	}
	/* A boundary that does not occur in the quoted original. */
	for (try = 0;; try++) {
		snprintf(boundary, sizeof(boundary), "=_tegami-dsn-%llu-%lld-%u",
		    (unsigned long long)d->queue_id, (long long)d->now, try);
		if (d->original_len == 0 || memmem(d->original,
		    d->original_len, boundary, strlen(boundary)) == NULL)
			break;
	}
	full = d->ret == QUEUE_RET_FULL && d->original_len <=
	    QUEUE_DSN_FULL_MAX;
	hlen = d->original_len ? header_len(d->original, d->original_len) : 0;
	subject = nfailed > 0 ? "Undelivered Mail Returned to Sender" :
	    ndelayed > 0 ? "Delayed Mail (still being retried)" :
	    "Successful Mail Delivery Report";

	/* Header (RFC 3834: auto-replied, so nobody answers it). */
	buf_puts(out, "From: Mail Delivery System <MAILER-DAEMON@");
	put_clean(out, d->main_domain, DOMAIN_NAME_MAX);
	buf_puts(out, ">\r\nTo: <");
	put_clean(out, d->return_path, ADDRESS_MAX);
	buf_printf(out, ">\r\nSubject: %s\r\nDate: ", subject);
	put_date(out, d->now);
	buf_printf(out, "\r\nMessage-ID: <dsn-%llu-%lld@",
	    (unsigned long long)d->queue_id, (long long)d->now);
	put_clean(out, d->main_domain, DOMAIN_NAME_MAX);
	buf_printf(out, ">\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n", boundary);

	/* Human-readable part. */
	buf_printf(out, "--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	buf_puts(out, "This is the mail system at ");
	put_clean(out, d->main_domain, DOMAIN_NAME_MAX);
	buf_puts(out, ".\r\n\r\n");
	if (nfailed > 0)
		buf_puts(out, "Your message could not be delivered to one or"
		    " more recipients.\r\nIt is attached below.\r\n\r\n");
	else if (ndelayed > 0)
		buf_puts(out, "Your message has not been delivered yet. The"
		    " mail system will keep trying.\r\n\r\n");
	else
		buf_puts(out, "Your message was delivered as requested.\r\n\r\n");
	for (i = 0; i < d->nrcpt; i++) {
		buf_puts(out, "<");
		put_clean(out, d->rcpts[i].address, ADDRESS_MAX);
		buf_printf(out, ">: %s", action_name(d->rcpts[i].action));
		if (d->rcpts[i].diagnostic != NULL) {
			buf_puts(out, ": ");
			put_clean(out, d->rcpts[i].diagnostic, 1000);
		}
		buf_puts(out, "\r\n");
	}

	/* RFC 3464 2.2: per-message fields. */
	buf_printf(out, "\r\n--%s\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; ", boundary);
	put_clean(out, d->main_domain, DOMAIN_NAME_MAX);
	buf_puts(out, "\r\n");
	if (d->envid != NULL && d->envid[0] != '\0') {
		buf_puts(out, "Original-Envelope-Id: ");
		put_clean(out, d->envid, 100);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, "Arrival-Date: ");
	put_date(out, d->arrival);
	buf_puts(out, "\r\n");

	/* RFC 3464 2.3: per-recipient fields, each group after a blank line. */
	for (i = 0; i < d->nrcpt; i++) {
		const struct queue_dsn_rcpt *r = &d->rcpts[i];

		buf_puts(out, "\r\n");
		if (r->orcpt != NULL && r->orcpt[0] != '\0') {
			buf_puts(out, "Original-Recipient: ");
			if (strchr(r->orcpt, ';') == NULL)
				buf_puts(out, "rfc822; ");
			put_clean(out, r->orcpt, ADDRESS_MAX);
			buf_puts(out, "\r\n");
		}
		buf_puts(out, "Final-Recipient: rfc822; ");
		put_clean(out, r->address, ADDRESS_MAX);
		buf_printf(out, "\r\nAction: %s\r\n", action_name(r->action));
		if (r->diagnostic == NULL || !find_status(r->diagnostic,
		    status, sizeof(status)) ||
		    (r->action == QUEUE_DSN_DELIVERED && status[0] != '2') ||
		    (r->action != QUEUE_DSN_DELIVERED && status[0] == '2'))
			snprintf(status, sizeof(status), "%s",
			    r->action == QUEUE_DSN_DELIVERED ? "2.0.0" :
			    r->action == QUEUE_DSN_DELAYED ? "4.0.0" :
			    "5.0.0");
		buf_printf(out, "Status: %s\r\n", status);
		if (r->diagnostic != NULL && r->diagnostic[0] != '\0') {
			/* RFC 3464 2.3.6: "smtp" only for SMTP replies. */
			buf_puts(out, is_digit(r->diagnostic[0]) &&
			    is_digit(r->diagnostic[1]) &&
			    is_digit(r->diagnostic[2]) ?
			    "Diagnostic-Code: smtp; " :
			    "Diagnostic-Code: X-Tegami; ");
			put_clean(out, r->diagnostic, 1000);
			buf_puts(out, "\r\n");
		}
		if (r->action != QUEUE_DSN_DELIVERED) {
			buf_puts(out, "Last-Attempt-Date: ");
			put_date(out, d->now);
			buf_puts(out, "\r\n");
		}
	}

	/* RFC 3462/6522: the returned content. */
	if (d->original_len > 0) {
		buf_printf(out, "\r\n--%s\r\nContent-Type: %s\r\n\r\n",
		    boundary, full ? "message/rfc822" :
		    "text/rfc822-headers");
		put_crlf(out, d->original, full ? d->original_len : hlen);
	}
	buf_printf(out, "\r\n--%s--\r\n", boundary);
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "DSN too large");
	return 0;
}
