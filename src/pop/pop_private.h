/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pop_private.h: the POP3 module's internals shared by its three files:
 * the limits, the pure parser (pop_parse.c), the session (pop_session.c)
 * and the command table (pop_cmd.c).  Nothing outside src/pop/ includes it
 * except the module's unit tests and fuzz target.
 */
#ifndef TEGAMI_POP_POP_PRIVATE_H
#define TEGAMI_POP_POP_PRIVATE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/strv.h"

/* ---- limits ---- */

/* RFC 2449 4: a command line is at most 255 octets; we accept up to 1024
 * so long user names and AUTH initial responses fit, and answer
 * "-ERR line too long" past it. */
#define POP_LINE_MAX		1024
/* A SASL continuation line (base64 of authzid, user and password). */
#define POP_SASL_LINE_MAX	4096
_Static_assert(POP_SASL_LINE_MAX >= SASL_PLAIN_B64_MAX,
    "POP AUTH reads the longest PLAIN response");
/* RFC 1939 3: arguments are at most 40 characters; user names and AUTH
 * responses may be longer in practice (checked against POP_LINE_MAX). */
#define POP_ARGS_MAX		2	/* TOP msg n, AUTH mech resp */
#define POP_ERRORS_MAX		20	/* bad commands before we hang up */
#define POP_AUTH_FAILURES_MAX	5	/* failed logins before we hang up */
/* RFC 1939 3: the autologout timer is at least 10 minutes. */
#define POP_IDLE_TIMEOUT_MS	(10 * 60 * 1000)
#define POP_WRITE_TIMEOUT_MS	(2 * 60 * 1000)
#define POP_HIBERNATE_DEFAULT	5	/* HibernateAfter, s */
#define POP_HIBERNATE_MAX	3600	/* HibernateAfter: an hour at most */

struct settings_snap;

/* Settings/POP.settings (pop_settings.c). */
struct pop_conf {
	uint64_t	 hibernate_after;	/* HibernateAfter, s; 0 = never */
};
#define POP_MESSAGES_MAX	1000000	/* messages shown in one session */
#define POP_FETCH_CHUNK		(64 * 1024)	/* bytes read from the store at once */
#define POP_CHALLENGE_MAX	256	/* "<random.time@host>" */
#define POP_UIDL_MAX		70	/* RFC 1939 7: unique-id length */

/* ---- the pure parser (pop_parse.c) ---- */

enum pop_cmd_id {
	POP_CMD_UNKNOWN = 0,
	POP_CMD_USER, POP_CMD_PASS, POP_CMD_APOP, POP_CMD_AUTH, POP_CMD_STLS,
	POP_CMD_CAPA, POP_CMD_STAT, POP_CMD_LIST, POP_CMD_RETR, POP_CMD_DELE,
	POP_CMD_NOOP, POP_CMD_RSET, POP_CMD_TOP, POP_CMD_UIDL, POP_CMD_QUIT
};

struct pop_cmd_line {
	enum pop_cmd_id	 id;
	struct strv	 name;		/* the keyword as sent */
	struct strv	 rest;		/* everything after "KEYWORD " (PASS) */
	struct strv	 args[POP_ARGS_MAX];
	size_t		 nargs;
};

/*
 * Splits a command line (without CRLF) into keyword and arguments (RFC 1939
 * 3: a case-insensitive keyword of 3 or 4 characters, arguments separated
 * by single spaces; we also accept runs of spaces).  An unknown keyword
 * gives id POP_CMD_UNKNOWN and 0.  -1 with ERR_SYNTAX for an empty line, a
 * NUL or other control byte, more than POP_ARGS_MAX arguments (except
 * PASS, whose argument is the whole rest of the line, spaces included,
 * RFC 1939 7), or an argument count wrong for the command.  The strvs
 * point into line.
 */
int	pop_parse_line(struct strv line, struct pop_cmd_line *cmd,
	    struct error *err_r);

/* The keyword's name ("USER" ...), "?" for POP_CMD_UNKNOWN. */
const char	*pop_cmd_name(enum pop_cmd_id id);

/* A message number (RFC 1939 5: decimal, 1-based): 1..POP_MESSAGES_MAX;
 * -1 otherwise (signs, spaces, 0, overflow). */
int	pop_parse_msgno(struct strv s, uint32_t *n_r);
/*
 * A maildrop of nmsgs messages against the bound max (POP_MESSAGES_MAX):
 * 0 when it can be shown whole; otherwise -1 and the -ERR reply for the
 * login in reply (size >= 128).  RFC 1939 numbers the whole maildrop for
 * the session, so a part of it is never shown as if it were all
 * (issue 15: a bound that is hit is told to the client).
 */
int	pop_maildrop_check(size_t nmsgs, size_t max, char *reply,
	    size_t size);
/* TOP's line count: a non-negative decimal number (clipped to
 * UINT32_MAX). */
int	pop_parse_count(struct strv s, uint64_t *n_r);

/* APOP digest: exactly 32 hex digits (RFC 1939 7). */
bool	pop_valid_digest(struct strv s);

/*
 * Byte-stuffing of a multi-line response (RFC 1939 3): appends p[0..len)
 * to out, doubling a '.' that starts a line.  *bol says whether the next
 * byte starts a line (true before the first chunk) and is updated, so a
 * message can be stuffed chunk by chunk.
 */
void	pop_dot_stuff(struct buf *out, const char *p, size_t len, bool *bol);

/*
 * TOP (RFC 1939 7): of a body chunk p[0..len), the prefix holding the next
 * *lines_left lines; each LF ends a line.  *lines_left is decreased by the
 * lines taken.  Returns the prefix length (len when the chunk ends first).
 */
size_t	pop_top_take(const char *p, size_t len, uint64_t *lines_left);

/* "uidvalidity.uid" (RFC 1939 7 UIDL: printable, at most 70 octets) into
 * buf of size >= 24. */
void	pop_format_uidl(char *buf, size_t size, uint32_t uidvalidity,
	    uint32_t uid);

/* ---- the session (pop_session.c) ---- */

enum pop_state {
	POP_AUTHORIZATION,	/* RFC 1939 4 */
	POP_TRANSACTION,	/* RFC 1939 5 */
	POP_UPDATE		/* RFC 1939 6: after QUIT */
};

struct server;
struct conn;
struct store;
struct store_msg;

struct pop_msg {
	uint32_t	 uid;
	uint64_t	 size;
	uint64_t	 hdr_size;
	bool		 deleted;	/* DELE in this session */
};

struct pop_session {
	struct server		*srv;
	struct conn		*conn;
	struct log_session	 log;
	const char		*service;	/* "pop3" or "pop3s" */
	enum pop_state		 state;
	bool			 quit;		/* end the session loop */
	unsigned		 errors;
	unsigned		 auth_failures;
	char			 host[DOMAIN_NAME_MAX + 1];
	char			 timestamp[POP_CHALLENGE_MAX];	/* APOP */
	char			 user[ADDRESS_MAX + 1];	/* from USER */
	bool			 have_user;
	/* TRANSACTION state */
	char			 account[ADDRESS_MAX + 1];	/* "name@domain" */
	struct store		*store;		/* NULL while parked */
	int64_t			 mailbox;
	uint32_t		 uidvalidity;
	struct pop_msg		*msgs;
	uint32_t		 nmsgs;
	bool			 locked;
	/* hibernation (docs/architecture.md, Threads) */
	struct settings_snap	*settings;
	int64_t			 hibernate_ms;	/* 0: never */
	bool			 prelogin;	/* the listener's login limits */
};

/* Writes one reply line (CRLF added) and logs it at All Info. */
void	pop_reply(struct pop_session *s, const char *fmt, ...)
	    ATTR_FORMAT(2, 3);
/* Counts a client error; the session ends past POP_ERRORS_MAX. */
void	pop_error(struct pop_session *s, const char *fmt, ...)
	    ATTR_FORMAT(2, 3);

/*
 * After a successful login as account@domain: takes the maildrop lock
 * (RFC 1939 4: exclusive access; one POP session per account), opens the
 * account's INBOX and snapshots its messages, moves to TRANSACTION and
 * answers +OK.  On failure answers -ERR ([IN-USE] or [SYS/TEMP]) itself and
 * stays in AUTHORIZATION.  Returns 0 or -1.
 */
int	pop_session_open(struct pop_session *s, const char *account,
	    const char *domain);
/* RFC 1939 6: the UPDATE state after QUIT: removes the messages marked by
 * DELE (durable before the reply) and answers. */
void	pop_session_update(struct pop_session *s);

/* ---- commands (pop_cmd.c) ---- */

/* Runs one command line read in the session. */
void	pop_cmd_dispatch(struct pop_session *s, struct strv line);

#endif
