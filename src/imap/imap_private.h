/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_private.h: what the IMAP module's files share -- the session (one
 * thread per connection), the selected-mailbox view, the reply helpers and
 * the command handlers' signatures.  Nothing outside src/imap includes it.
 */
#ifndef TEGAMI_IMAP_IMAP_PRIVATE_H
#define TEGAMI_IMAP_IMAP_PRIVATE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "auth/auth.h"
#include "store/store.h"
#include "net/park.h"
#include "imap/imap_parse.h"

struct conn;
struct server;

#define IMAP_IDLE_TIMEOUT_MS	(30 * 60 * 1000)	/* RFC 3501 5.4: at least 30 min */
#define IMAP_IDLE_CMD_MAX_MS	(2 * 60 * 60 * 1000)	/* one IDLE command, then BYE */
#define IMAP_WRITE_TIMEOUT_MS	(5 * 60 * 1000)	/* a client not reading */
#define IMAP_ERRORS_MAX		20	/* BAD replies before BYE */
#define IMAP_IDLE_RETRY_MS	1000	/* IDLE reads its mailbox again after a failed read */
#define IMAP_IDLE_RETRIES_MAX	60	/* failed reads in a row in IDLE, then BYE [UNAVAILABLE] */
#define IMAP_SESSIONS_DEFAULT	20	/* concurrent sessions per account */
#define IMAP_SESSIONS_MAX	1000	/* bound for MaxSessionsPerAccount */
#define IMAP_HIBERNATE_DEFAULT	5	/* HibernateAfter, s */
#define IMAP_HIBERNATE_MAX	3600	/* HibernateAfter: an hour at most */
#define IMAP_IDLE_TIMEOUT_MAX	(24 * 3600)	/* IdleTimeout: a day at most */
#define IMAP_AUTH_LINE_MAX	8192	/* one AUTHENTICATE response line */
_Static_assert(IMAP_AUTH_LINE_MAX >= SASL_PLAIN_B64_MAX,
    "IMAP AUTHENTICATE reads the longest PLAIN response");
#define IMAP_FETCH_MAX		STORE_MESSAGE_MAX	/* bytes of one message read */
#define IMAP_RESP_TEXT_MAX	512	/* tagged response text */
#define IMAP_KEYWORDS_TEXT_MAX	(STORE_KEYWORDS_MAX * (STORE_KEYWORD_MAX + 1))
#define IMAP_OUT_PIECE		16384	/* streamed response: bytes written at once */
#define IMAP_OUT_BUF		(IMAP_OUT_PIECE + IMAP_LINE_MAX)	/* a piece and one item */
#define IMAP_SEND_MAX		(IMAP_LINE_MAX * 4)	/* one line formatted by imap_send() */

enum imap_out_cut {
	OUT_WHOLE = 0,
	OUT_CUT_LIMIT,		/* a line over its bound was left out */
	OUT_CUT_IO		/* the connection failed */
};

enum imap_state {
	IST_NOTAUTH = 0x01,
	IST_AUTH = 0x02,
	IST_SELECTED = 0x04,
	IST_LOGOUT = 0x08
};
#define IST_ANY		(IST_NOTAUTH | IST_AUTH | IST_SELECTED)
#define IST_AUTHED	(IST_AUTH | IST_SELECTED)

/* One message of the selected mailbox as this session last reported it. */
struct imap_view_msg {
	uint32_t	 uid;
	unsigned	 flags;		/* STORE_* */
	char		*keywords;	/* space-separated, allocated */
	uint64_t	 modseq;
	bool		 recent;
	bool		 expunged;	/* gone; EXPUNGE not yet sent */
};

struct settings_snap;

/* Settings/IMAP.settings (imap_settings.c). */
struct imap_conf {
	bool		 require_tls;	/* RequireTLS */
	uint64_t	 max_sessions;	/* MaxSessionsPerAccount */
	uint64_t	 hibernate_after;	/* HibernateAfter, s; 0 = never */
	uint64_t	 idle_timeout;	/* IdleTimeout, s */
};

/* An IDLE command in progress; kept in the session so that it survives
 * hibernation (imap_idle_run() picks it up again). */
struct imap_idle {
	struct store_watch *w;		/* NULL: not in IDLE */
	int64_t		 start;		/* CLOCK_MONOTONIC ms */
	unsigned	 wakes, parks;
	uint64_t	 changes;
	bool		 suspended;	/* the watch has no eventfd (parked) */
	unsigned	 sync_fails;	/* failed reads of the mailbox in a row */
	struct park_token tok;		/* the store's hook wakes it */
};

struct imap_session {
	struct server	*srv;
	struct conn	*conn;
	struct log_session log;
	enum imap_state	 state;
	struct imap_parser parser;
	const char	*tag;		/* of the command being run */
	bool		 out_midline;	/* a streamed line is not yet ended */
	/* A response of the running command was not sent whole: the tagged
	 * OK becomes NO (issue 15).  OUT_CUT_LIMIT: a line over its bound;
	 * OUT_CUT_IO: the connection failed. */
	enum imap_out_cut out_cut;
	bool		 uid_cmd;	/* "UID FETCH" ... */
	unsigned	 errors;
	/* Settings/IMAP.settings as of the session's start. */
	struct settings_snap *settings;
	const struct imap_conf *conf;

	/* tagged reply set by a handler */
	const char	*resp_kind;	/* "OK", "NO", "BAD" */
	char		 resp_text[IMAP_RESP_TEXT_MAX];
	char		 resp_code[32];	/* "COPYUID 7", "MODIFIED"; "" none */
	uint32_t	*resp_set1, *resp_set2;	/* its sets (owned) */
	size_t		 resp_nset;

	/* after login */
	struct auth_result who;
	bool		 counted;	/* in the per-account session count */
	struct store	*store;
	uint64_t	 max_account_size;	/* 0: unlimited */
	uint64_t	 max_message_size;	/* 0: unlimited */
	bool		 condstore, qresync;	/* ENABLEd or used */

	/* selected mailbox */
	char		*mbox;		/* UTF-8 store name */
	int64_t		 mbox_id;
	bool		 readonly;
	uint32_t	 uidvalidity;
	uint64_t	 highestmodseq;
	struct imap_view_msg *msgs;
	size_t		 nmsgs, capmsgs;
	uint64_t	 gen;		/* store generation of the last sync */
	uint64_t	 sync_modseq;	/* mailbox HIGHESTMODSEQ of that sync */
	char		*kw_known;	/* keywords sent in FLAGS, space-separated */

	/* hibernation (docs/architecture.md, Threads) */
	int64_t		 hibernate_ms;	/* HibernateAfter; 0: never */
	int64_t		 idle_ms;	/* IdleTimeout */
	bool		 parking;	/* listener_park() said yes: return */
	bool		 prelogin;	/* the listener's login limits apply */
	struct imap_idle idle;
};

/* ---- imap_session.c ---- */

/* Sets the tagged reply; handlers return the result of one of these. */
int	imap_ok(struct imap_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);
int	imap_no(struct imap_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);
int	imap_bad(struct imap_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* A response code with one or two sets of n numbers that may be long
 * (COPYUID uidvalidity src dst, MODIFIED set): the tagged reply writes
 * "[code set1 set2] " before its text, in pieces.  The sets are copied
 * (ascending for the compact form). */
void	imap_resp_sets(struct imap_session *s, const char *code,
	    const uint32_t *a, const uint32_t *b, size_t n);
/* Maps a store/auth error to NO (BAD for ERR_SYNTAX) with a response code. */
int	imap_no_err(struct imap_session *s, const char *what,
	    const struct error *err);
/* Writes an untagged/continuation line (CRLF added) and logs it at All.
 * The formatted line is bounded (IMAP_SEND_MAX): longer responses are
 * streamed with imap_stream().  0, or -1 (logged) when the line was too
 * long or the connection failed; then the command's tagged reply is NO
 * even when its handler said OK (see out_cut; so for every writer here). */
int	imap_send(struct imap_session *s, const char *fmt, ...) ATTR_FORMAT(2, 3);
/*
 * Responses of any length (SEARCH, SORT, THREAD, ESEARCH, VANISHED, ...)
 * are produced in pieces: append one item at a time to b (initialised with
 * a ceiling of IMAP_OUT_BUF) and call imap_stream() after each; once b holds
 * IMAP_OUT_PIECE bytes they are written and b is emptied.
 * imap_stream_end() writes the rest and the CRLF (also for a buf filled in
 * one go: no ceiling but b's own).  Both return -1, with a log line, when b
 * overflowed or the connection failed; the line is still ended, and the
 * caller answers NO, never OK.
 */
int	imap_stream(struct imap_session *s, struct buf *b);
int	imap_stream_end(struct imap_session *s, struct buf *b);
/* Appends an ascending list of numbers in compact form ("1:3,7"), streaming
 * as it goes; failures show at imap_stream_end(). */
/* Marks the running command's responses as not sent whole (the first
 * reason is kept): its tagged OK becomes NO [LIMIT] or NO [SERVERBUG]. */
void	imap_out_cut(struct imap_session *s, enum imap_out_cut why);
/* Before the tagged reply of cmd: an OK of a command whose responses were
 * not sent whole becomes NO [LIMIT] or NO [SERVERBUG], with a log line;
 * a failed SELECT/EXAMINE leaves no mailbox selected (RFC 3501 6.3.1). */
void	imap_reply_cut(struct imap_session *s, const char *cmd);
void	imap_stream_seqset(struct imap_session *s, struct buf *b,
	    const uint32_t *v, size_t n);
/* Writes bytes as they are (FETCH data); logs the first line at All.
 * -1 (logged) when the connection failed. */
int	imap_send_raw(struct imap_session *s, const char *p, size_t n);
/* The capability list for the session's state. */
void	imap_capabilities(struct imap_session *s, struct buf *out);
/* Reads one client line outside command parsing (AUTHENTICATE, IDLE DONE);
 * returns 0 and the line, -1 on EOF/timeout/too long. */
int	imap_read_line(struct imap_session *s, size_t max, struct strv *line_r);

/* Resumes a hibernated session (listener_resume_fn). */
void	imap_resume(struct conn *c, void *arg, enum park_event why);
/* A parking session lets its store handle go (the account's database
 * descriptors close once no session holds it); imap_resume() takes it
 * again (imap_session.c). */
void	imap_store_let_go(struct imap_session *s);
/* The limit of one IDLE command: 4 x IdleTimeout (2 h by default). */
int64_t	imap_idle_limit_ms(const struct imap_session *s);
/* Runs the IDLE in s->idle until DONE (sets the tagged reply), its end
 * (state IST_LOGOUT, no reply) or hibernation (s->parking, no reply). */
int	imap_idle_run(struct imap_session *s);
/* Ends an IDLE cut short (shutdown): logs and frees the watch. */
void	imap_idle_end(struct imap_session *s, const char *how);

/* ---- imap_view.c: the selected mailbox ---- */

/* Opens mailbox for SELECT/EXAMINE: loads the view, claims \Recent. */
int	imap_view_open(struct imap_session *s, const char *name, bool readonly,
	    struct store_status *st_r, struct error *err_r);
void	imap_view_close(struct imap_session *s);
/*
 * Reports changes made by others: EXPUNGE (or VANISHED with QRESYNC) when
 * expunge_ok (RFC 3501 7.4.1: not during FETCH, STORE, SEARCH), FETCH FLAGS
 * for flag changes, EXISTS/RECENT for new messages.  Does nothing when the
 * store generation did not move, unless force.
 */
/* False when the mailbox could not be read (logged): the view stays as it
 * was and the next sync reads again. */
bool	imap_view_sync(struct imap_session *s, bool expunge_ok, bool force);
/*
 * RFC 3501 7.2.6: sends "* FLAGS" and "* OK [PERMANENTFLAGS]" with the
 * system flags and the keywords announced so far (SELECT, and again when a
 * keyword appears).
 */
void	imap_flags_announce(struct imap_session *s);
/* Before a FLAGS item with these keywords goes out: announces any keyword
 * the client has not yet seen in a FLAGS response. */
void	imap_keywords_check(struct imap_session *s, const char *keywords);
/* RFC 7162 3.1: a CONDSTORE-enabling command; the first one while a mailbox
 * is selected reports "* OK [HIGHESTMODSEQ n]". */
void	imap_condstore_enable(struct imap_session *s);
/* Writes "(\Seen ... kw)" for a message's flags. */
void	imap_flags_write(struct buf *out, unsigned flags, const char *keywords,
	    bool recent);
/* Parses a flag list (or single flag) into STORE_* bits and keywords.
 * \Recent and \* are refused (ERR_SYNTAX). */
int	imap_flags_parse(const struct imap_arg *a, unsigned *flags_r,
	    struct buf *keywords, struct error *err_r);
/* Sequence set argument to UID ranges of the view (for the store calls);
 * uid selects UID semantics.  Expunged-but-unreported messages count.
 * *set_r allocated (may be empty: n 0). */
int	imap_view_uidset(struct imap_session *s, const struct imap_arg *a,
	    bool uid, struct store_uidrange **set_r, size_t *n_r,
	    struct error *err_r);
/* Index in the view of uid, or -1. */
ssize_t	imap_view_find(const struct imap_session *s, uint32_t uid);
/* Records our own flag change in the view (so sync does not repeat it). */
void	imap_view_update(struct imap_session *s, const struct store_msg *m);

/* ---- imap_utf7 wrappers (imap_cmd_mailbox.c) ---- */

/* A mailbox argument (astring, modified UTF-7) to the store's UTF-8 name.
 * ERR_SYNTAX for 8-bit or bad UTF-7. */
int	imap_mailbox_arg(const struct imap_arg *a, struct buf *out,
	    struct error *err_r);
/* The tagged reply for a failed imap_mailbox_arg(): BAD for syntax (8-bit),
 * NO [CANNOT] for a name that is not valid modified UTF-7. */
int	imap_mailbox_fail(struct imap_session *s, const struct error *err);
/* Appends a UTF-8 store name as an IMAP mailbox (quoted mUTF-7). */
void	imap_mailbox_write(struct buf *out, const char *name);

/* STATUS item list to ST_* bits (imap_cmd_mailbox.c); -1 if invalid. */
int	imap_status_items(const struct imap_arg *a, unsigned *items_r);
/* Writes "* STATUS name (...)"; -1 with err when the mailbox is missing. */
int	imap_send_status(struct imap_session *s, const char *name,
	    unsigned items, struct error *err);

/* ---- imap_hdrcache.c: header facts for SORT/THREAD and the store's
 * header field cache ---- */

struct sort_info;

/* What SORT and THREAD read from each header: only the fields their
 * criteria compare (each is a scan of the header block). */
#define INFO_DATE	0x01
#define INFO_FROM	0x02
#define INFO_TO		0x04
#define INFO_CC		0x08
#define INFO_SUBJECT	0x10
#define INFO_IDS	0x20	/* Message-ID, References, In-Reply-To */
#define INFO_THREAD	(INFO_DATE | INFO_SUBJECT | INFO_IDS)
#define INFO_ALL	0x3f

/* Sets the INFO_* fields in want of si from the header block h[0, hlen)
 * (date only when the Date: parses; strings allocated). */
void	imap_hdr_sort_info(struct sort_info *si, const char *h, size_t hlen,
	    unsigned want);
/* The cached facts of a row into si (the INFO_* fields in want, strings
 * allocated), as imap_hdr_sort_info() makes them from the header. */
void	imap_hdrcache_sort_info(struct sort_info *si,
	    const struct store_hdrfields *f, unsigned want);

/* ---- handlers ---- */

typedef int	imap_cmd_fn(struct imap_session *s, const struct imap_arg *a,
		    size_t n);

/* imap_cmd_auth.c: whether LOGIN and AUTHENTICATE PLAIN/LOGIN may be used
 * now (TLS, or a client where clear-text logins are allowed, and not the
 * IMAP setting RequireTLS); else the capabilities say LOGINDISABLED. */
bool		imap_clear_login_ok(struct imap_session *s);
/* Appends the login capabilities: " LOGINDISABLED" or " AUTH=PLAIN
 * AUTH=LOGIN SASL-IR", and " AUTH=CRAM-MD5" where the domain's AUTHMethods
 * lists it (auth_offer_cram_md5). */
void		imap_login_capabilities(struct imap_session *s, struct buf *out);

/* imap_cmd_auth.c: any state and not authenticated */
imap_cmd_fn	cmd_capability, cmd_noop, cmd_logout, cmd_id, cmd_enable,
		cmd_starttls, cmd_login, cmd_authenticate, cmd_idle;
/* imap_cmd_mailbox.c */
imap_cmd_fn	cmd_select, cmd_examine, cmd_create, cmd_delete, cmd_rename,
		cmd_subscribe, cmd_unsubscribe, cmd_status, cmd_namespace,
		cmd_check, cmd_close, cmd_unselect,
		cmd_getquota, cmd_getquotaroot, cmd_setquota;
/* imap_cmd_list.c */
imap_cmd_fn	cmd_list, cmd_lsub;
/* imap_cmd_message.c */
imap_cmd_fn	cmd_append, cmd_fetch, cmd_store, cmd_copy, cmd_move,
		cmd_expunge;
/* imap_cmd_search.c */
imap_cmd_fn	cmd_search, cmd_sort, cmd_thread;

/* per-account session counting (imap_cmd_auth.c) */
void	imap_account_release(struct imap_session *s);

#endif
