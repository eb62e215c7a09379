/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_private.h: what the SMTP module's files share: the session, the
 * effective settings, and the reply and DATA helpers.  Not for other
 * modules (they use smtp.h).
 */
#ifndef TEGAMI_SMTP_SMTP_PRIVATE_H
#define TEGAMI_SMTP_SMTP_PRIVATE_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "auth/auth.h"
#include "smtp/smtp.h"

struct conn;
struct server;

#define SMTP_WRITE_TIMEOUT_MS	(60 * 1000)	/* one wait while writing */

/* Session states (bits, so a command lists where it is valid). */
#define ST_INIT		0x01	/* no HELO/EHLO yet */
#define ST_GREETED	0x02	/* HELO/EHLO done, no transaction */
#define ST_MAIL		0x04	/* MAIL accepted, no recipient yet */
#define ST_RCPT		0x08	/* at least one recipient */
#define ST_ANY		(ST_INIT | ST_GREETED | ST_MAIL | ST_RCPT)

struct settings_snap;

/* Settings/SMTP.settings (smtp_settings.c), a snapshot taken at session
 * start and kept to its end; each value within its range. */
struct smtp_conf {
	uint64_t	 max_msg_size;		/* MaxMessageSize */
	uint64_t	 max_rcpt;		/* MaxRecipients */
	uint64_t	 max_errors;		/* MaxErrors */
	uint64_t	 max_idle_cmds;		/* MaxIdleCommands */
	uint64_t	 max_headers;		/* MaxHeaderFields */
	uint64_t	 cmd_timeout;		/* CommandTimeout, s */
	uint64_t	 data_timeout;		/* DataTimeout, s */
	uint64_t	 min_data_rate;		/* MinDataRate, bytes/s */
	uint64_t	 max_data_time;		/* MaxDataTime, s */
	bool		 require_tls_auth;	/* RequireTLSForAUTH */
	uint64_t	 hibernate_after;	/* HibernateAfter, s; 0 = never */
	struct setting_words rbls;		/* RBLs: DNS zones */
};

struct smtp_rcpt {
	char		*address;	/* as parsed (address_format form) */
	char		*orcpt;		/* or NULL */
	unsigned	 notify;
};

struct smtp_session {
	struct server		*srv;
	struct conn		*conn;
	struct log_session	 log;
	const char		*service;	/* "smtp", "submission", "smtps" */
	struct settings_snap	*settings;	/* holds conf */
	const struct smtp_conf	*conf;
	char			 hostname[DOMAIN_NAME_MAX + 1];	/* our name */
	char			 main_domain[DOMAIN_NAME_MAX + 1];
	unsigned		 state;		/* ST_* */
	bool			 esmtp;
	bool			 quit;		/* close after this command */
	bool			 is_client;	/* peer in Client IPs */
	bool			 authed;
	/* Until AUTH or the first MAIL: the listener's login time-out and
	 * shedding watch the session, which therefore never parks. */
	bool			 prelogin;
	int64_t			 hibernate_ms;	/* HibernateAfter; 0: never */
	struct auth_result	 auth;
	char			 helo[SMTP_HELO_MAX + 1];
	unsigned		 errors;
	unsigned		 idle_cmds;	/* commands since the last MAIL */
	unsigned		 nmsg;		/* messages accepted */
	unsigned		 rbl;		/* RBL_* (smtp_rbl.c) */
	char			 rbl_zone[SMTP_HELO_MAX + 1];
	char			 rbl_text[SMTP_RBL_TEXT_MAX + 1];
	/* the transaction */
	struct smtp_mail_args	 mail;
	uint64_t		 size_limit;	/* global, lowered by local rcpts */
	struct smtp_rcpt	*rcpts;
	size_t			 nrcpt, rcpt_cap;
};

/* The RBL check (smtp_rbl.c) for RCPT: the client's address in each zone
 * of the RBLs setting, once per session, through the DNR (and its cache).
 * Not for Client IPs, White Hole IPs or authenticated sessions.  true: the
 * client is listed, the 550 reply naming the zone is sent and logged. */
bool	smtp_rbl_refused(struct smtp_session *s);

/* Writes "code enh text" (enh may be NULL) as one reply line; logs it at
 * All Info; counts replies >= 400 as errors. */
void	smtp_reply(struct smtp_session *s, int code, const char *enh,
	    const char *fmt, ...) ATTR_FORMAT(4, 5);
/* One line of a multi-line reply: "code-text" (last false) or "code text". */
void	smtp_reply_line(struct smtp_session *s, int code, bool last,
	    const char *fmt, ...) ATTR_FORMAT(4, 5);

/* A read timed out or the listener shed the session: logs why and writes
 * the 421 (4.4.2 for a time-out, 4.3.2 when shed); the caller closes. */
void	smtp_timeout_close(struct smtp_session *s, const char *where);

/* Runs one command line (already split off its CRLF). */
void	smtp_dispatch(struct smtp_session *s, struct strv line);
/* Forgets the transaction (RSET, after DATA, STARTTLS). */
void	smtp_reset_transaction(struct smtp_session *s);

/*
 * The DATA phase after "354": reads up to CRLF.CRLF (only that ends it,
 * also after an over-long line), removes dot-stuffing, enforces size,
 * header-count and time limits (MinDataRate averaged against DataTimeout,
 * MaxDataTime in all; reading and discarding past the others), builds the trace headers and submits
 * to the queue.  Writes the final reply.  Returns -1 when the connection
 * must be closed (EOF, timeout, I/O error), else 0.
 */
int	smtp_data_run(struct smtp_session *s);

#endif
