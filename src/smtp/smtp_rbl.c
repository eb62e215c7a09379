/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_rbl.c: the RBL check of SMTP in (docs/dnr.md).  The client a.b.c.d
 * is looked up as d.c.b.a.<zone> (IPv6: 32 nibbles) in each zone of the
 * RBLs setting, in order, through the DNR and its cache; an A record means
 * listed.  The check runs at the first RCPT of a session (not at connect:
 * AUTH may come first) and its result holds for the session.  Client IP
 * Addresses, White Hole IP Addresses and authenticated sessions are never
 * checked.  A DNR failure (time-out) lets the client through: a broken
 * blacklist must not stop the mail.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "dnr/dnr.h"
#include "core/server.h"
#include "smtp/smtp_private.h"

enum { RBL_UNCHECKED = 0, RBL_CLEAN, RBL_LISTED };

/* Makes the TXT text fit one reply line: printable ASCII only. */
static void
clean_text(char *t)
{
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7e)
			*t = ' ';
}

static void
check(struct smtp_session *s)
{
	const struct sockaddr *peer =
	    (const struct sockaddr *)conn_peer_addr(s->conn);
	struct error err;
	enum dnr_status st;
	unsigned i;

	s->rbl = RBL_CLEAN;
	if (s->conf->rbls.n == 0 || s->is_client ||
	    objects_iplist_match(s->srv->objects, OBJ_IPS_WHITEHOLE, peer))
		return;
	for (i = 0; i < s->conf->rbls.n; i++) {
		error_clear(&err);
		st = dnr_rbl(peer, s->conf->rbls.v[i], s->rbl_text,
		    sizeof(s->rbl_text), &err);
		if (st == DNR_TEMPFAIL || st == DNR_ERROR) {
			log_ses(&s->log, LOG_PROBLEM, "RBL %s not checked: %s",
			    s->conf->rbls.v[i], err.msg);
			continue;
		}
		if (st != DNR_OK) {
			log_ses(&s->log, LOG_ALL, "RBL %s: not listed",
			    s->conf->rbls.v[i]);
			continue;
		}
		s->rbl = RBL_LISTED;
		(void)snprintf(s->rbl_zone, sizeof(s->rbl_zone), "%s",
		    s->conf->rbls.v[i]);
		clean_text(s->rbl_text);
		return;
	}
}

bool
smtp_rbl_refused(struct smtp_session *s)
{
	if (s->authed)
		return false;
	if (s->rbl == RBL_UNCHECKED)
		check(s);
	if (s->rbl != RBL_LISTED)
		return false;
	log_ses(&s->log, LOG_PROBLEM, "RCPT refused: [%s] is listed in RBL "
	    "%s%s%s", conn_peer_ip(s->conn), s->rbl_zone,
	    s->rbl_text[0] != '\0' ? ": " : "", s->rbl_text);
	smtp_reply(s, 550, "5.7.1", "Your address [%s] is listed in %s%s%s",
	    conn_peer_ip(s->conn), s->rbl_zone, s->rbl_text[0] != '\0' ?
	    ": " : "", s->rbl_text);
	return true;
}
