/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp.h: the SMTP receiving server (services smtp 25, submission 587 and
 * smtps 465 with implicit TLS; docs/smtp.md) and its pure command-line
 * parser.
 *
 * smtp_register() is the module's entry point.  The parser functions below
 * take bytes and fill structs; they do no I/O, no logging and use no
 * globals, so the unit tests and the fuzz target call them directly.
 *
 * Limits: each SMTP_*_MAX/DEFAULT below has a reason; the ones a setting
 * may move (Settings/SMTP.settings) name the setting and its range.
 */
#ifndef TEGAMI_SMTP_SMTP_H
#define TEGAMI_SMTP_SMTP_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/strv.h"

struct server;

#define SMTP_CMD_LINE_MAX	4096	/* RFC 5321 4.5.3.1.4 says 512; extensions need more */
#define SMTP_AUTH_LINE_MAX	12288	/* RFC 4954 4: SASL responses may be that long */
#define SMTP_DATA_LINE_MAX	(64 * 1024)	/* RFC 5321 says 1000; be lenient, stay bounded */
#define SMTP_VERB_MAX		16	/* longest verb we look up ("STARTTLS") */
#define SMTP_HELO_MAX		255	/* RFC 1035 domain or address literal */
#define SMTP_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SMTP_ORCPT_MAX		500	/* RFC 3461 4.2 */
#define SMTP_PARAMS_MAX		16	/* ESMTP parameters on one MAIL/RCPT */
#define SMTP_RBL_TEXT_MAX	200	/* an RBL zone's TXT text quoted in the 550 reply */
/* Settings (Settings/SMTP.settings) with default, min and max: */
#define SMTP_MSG_SIZE_DEFAULT	(50UL * 1024 * 1024)	/* MaxMessageSize */
#define SMTP_MSG_SIZE_MIN	(1024UL)
#define SMTP_MSG_SIZE_MAX	(256UL * 1024 * 1024)	/* = QUEUE_BODY_MAX */
#define SMTP_RCPT_DEFAULT	1000	/* MaxRecipients: per transaction */
#define SMTP_RCPT_MIN		1
#define SMTP_RCPT_MAX		10000	/* = QUEUE_RCPT_MAX */
#define SMTP_ERRORS_DEFAULT	20	/* MaxErrors: bad commands before we hang up */
#define SMTP_ERRORS_MIN		1
#define SMTP_ERRORS_MAX		1000
#define SMTP_IDLE_CMDS_DEFAULT	100	/* MaxIdleCommands: commands without a MAIL */
#define SMTP_IDLE_CMDS_MIN	10
#define SMTP_IDLE_CMDS_MAX	10000
#define SMTP_HEADERS_DEFAULT	1000	/* MaxHeaderFields: header fields per message */
#define SMTP_HEADERS_MIN	50
#define SMTP_HEADERS_MAX	100000
#define SMTP_CMD_TIMEOUT_DEFAULT 300	/* CommandTimeout, s; RFC 5321 4.5.3.2.7: 5 min */
#define SMTP_DATA_TIMEOUT_DEFAULT 180	/* DataTimeout, s, per read; 4.5.3.2.6: 3 min */
#define SMTP_TIMEOUT_MIN	1
#define SMTP_TIMEOUT_MAX	3600
#define SMTP_DATA_TIME_DEFAULT	(30 * 60)	/* MaxDataTime, s: a whole DATA phase, no trickling forever */
#define SMTP_DATA_TIME_MIN	1
#define SMTP_DATA_TIME_MAX	(24 * 60 * 60)
#define SMTP_DATA_RATE_DEFAULT	500	/* MinDataRate, bytes/s averaged in DATA (Postfix's smtpd_min_data_rate); 0 = off */
#define SMTP_DATA_RATE_MAX	(100 * 1024 * 1024)
#define SMTP_HIBERNATE_DEFAULT	5	/* HibernateAfter, s: idle this long between commands, the session parks */
#define SMTP_HIBERNATE_MAX	3600	/* HibernateAfter: an hour at most; 0 = never */

/* Registers the smtp, submission and smtps services with the listener and
 * the "SMTP" log module.  srv must outlive the listeners.  0 or -1. */
int	smtp_register(struct server *srv, struct error *err_r);

/* ---- the pure parser ---------------------------------------------------- */

/* RFC 3461 NOTIFY bits (the same values as QUEUE_NOTIFY_*). */
#define SMTP_NOTIFY_NEVER	0x1
#define SMTP_NOTIFY_SUCCESS	0x2
#define SMTP_NOTIFY_FAILURE	0x4
#define SMTP_NOTIFY_DELAY	0x8

enum smtp_body {
	SMTP_BODY_NONE = 0,	/* not given */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME	/* RFC 6152 */
};

enum smtp_ret {
	SMTP_RET_NONE = 0,
	SMTP_RET_FULL,		/* RFC 3461 4.3 */
	SMTP_RET_HDRS
};

/* Why a MAIL or RCPT line was refused: decides the reply. */
enum smtp_pfail {
	SMTP_PF_NONE = 0,
	SMTP_PF_SYNTAX,		/* 501 5.5.4: command syntax, bad parameter value */
	SMTP_PF_ADDRESS,	/* 553 5.1.7 (MAIL) / 5.1.3 (RCPT): path syntax */
	SMTP_PF_UNKNOWN_PARAM	/* 555 5.5.4: RFC 5321 4.1.1.11 */
};

struct smtp_mail_args {
	bool		 null_path;	/* MAIL FROM:<> */
	/* The address, formatted by address_format(): "local@domain" with
	 * the local part quoted when needed; "" for <>. */
	char		 path[ADDRESS_MAX + 1];
	bool		 path_8bit;	/* the path holds non-ASCII bytes */
	bool		 has_size;
	uint64_t	 size;		/* SIZE=; UINT64_MAX if it overflowed */
	enum smtp_body	 body;
	bool		 smtputf8;	/* RFC 6531 3.4 */
	enum smtp_ret	 ret;
	char		 envid[SMTP_ENVID_MAX + 1];	/* xtext-decoded; "" = none */
	bool		 has_auth;
	char		 auth[ADDRESS_MAX + 1];	/* RFC 4954 5 AUTH=, decoded */
	enum smtp_pfail	 fail;		/* on -1 */
};

struct smtp_rcpt_args {
	char		 path[ADDRESS_MAX + 1];	/* as in smtp_mail_args */
	bool		 path_8bit;
	unsigned	 notify;	/* SMTP_NOTIFY_* bits; 0 = not given */
	/* ORCPT decoded: "rfc822;user@dom" (type, ';', decoded xtext); "" = none. */
	char		 orcpt[SMTP_ORCPT_MAX + 1];
	enum smtp_pfail	 fail;		/* on -1 */
};

/*
 * Splits a command line into its verb (1..SMTP_VERB_MAX letters or digits)
 * and arguments (after one or more spaces, trailing spaces removed).  -1
 * with ERR_SYNTAX when the line holds a NUL or other control byte (TAB
 * excepted), or the verb is empty, too long or not alphanumeric.  The
 * strv's point into line.
 */
int	smtp_parse_verb(struct strv line, struct strv *verb_r,
	    struct strv *args_r, struct error *err_r);

/*
 * Parses the arguments of MAIL ("FROM:<path> params") per RFC 5321 4.1.2
 * and the ESMTP parameters SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8
 * (RFC 6531), RET and ENVID (RFC 3461), AUTH (RFC 4954).  Spaces after the
 * colon and a path without <> are tolerated.  0, or -1 with err_r (text
 * for the peer) and a->fail set.
 */
int	smtp_parse_mail(struct strv args, struct smtp_mail_args *a,
	    struct error *err_r);

/* The same for RCPT ("TO:<path> params"): NOTIFY and ORCPT (RFC 3461). */
int	smtp_parse_rcpt(struct strv args, struct smtp_rcpt_args *a,
	    struct error *err_r);

/*
 * Decodes RFC 3461 4 xtext ("+" two hex digits for a byte) into buf of size
 * bytes, NUL-terminated.  -1 with ERR_SYNTAX for a character xtext forbids
 * (space, control, '=', 8-bit), a broken "+XX" or a decoded NUL; ERR_LIMIT
 * when it does not fit.  *len_r (may be NULL) gets the decoded length.
 */
int	smtp_xtext_decode(struct strv in, char *buf, size_t size,
	    size_t *len_r, struct error *err_r);

/* The settings of Settings/SMTP.settings (smtp_settings.c). */
struct settings_table;
extern const struct settings_table smtp_settings_table;

#endif
