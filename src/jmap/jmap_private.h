/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_private.h: what the JMAP files share: the per-request context, the
 * mailbox snapshot, id forms, and the method handlers.
 *
 * Ids (opaque to clients; docs/jmap.md):
 *	Mailbox		"M<mailbox row id>"
 *	Email		"E<mailbox row id>-<uid>"  (the store keeps a message
 *			in one mailbox: an Email has exactly one mailboxId)
 *	Thread		"T<mailbox row id>-<uid>"  (one thread per Email)
 *	Blob		"B<mbox>-<uid>" (the message), "P<mbox>-<uid>-<part>"
 *			(a decoded body part), "U<n>" (an upload)
 */
#ifndef TEGAMI_JMAP_JMAP_PRIVATE_H
#define TEGAMI_JMAP_JMAP_PRIVATE_H

#include "lib/compat.h"

#include <jansson.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "auth/auth.h"
#include "store/store.h"
#include "jmap/jmap_request.h"

struct server;
struct http_request;
struct http_response;
struct mime_message;
struct mime_part;
struct dval;

extern struct log_module log_httpu;

/* One mailbox of the account, as a request sees it. */
struct jmap_mb {
	char		*name;		/* store name, '/' separated */
	int64_t		 id;
	struct store_status st;		/* messages and unseen only after
					 * jmap_mb_counts() */
	bool		 counted;
	bool		 subscribed;
	const char	*role;		/* "inbox", "sent", ... or NULL */
	int		 parent;	/* index in the snapshot, or -1 */
};

struct jmap_ctx {
	struct server	*srv;
	const struct http_request *http;
	struct http_response *resp;
	struct auth_result who;
	bool		 web_session;	/* a WebUser login session (not Basic):
					 * HTML bodies created are sanitised */
	struct store	*store;
	unsigned	 caps;
	json_t		*responses;	/* [name, args, id] so far */
	json_t		*created;	/* creation id -> id */
	/* the mailbox snapshot, loaded on first use and after changes */
	struct jmap_mb	*mbs;
	size_t		 nmbs;
	bool		 mbs_loaded;
	/* the failing call's error: type, description */
	const char	*etype;
	char		 edesc[256];
	json_t		*eextra;	/* more error properties, or NULL */
	/* an implicit response to add after the call's own (RFC 8621 7.5:
	 * the Email/set of onSuccessUpdateEmail), or NULL */
	json_t		*implicit;
	const char	*implicit_name;
};

/* ---- jmap_api.c ---- */

/* Sets the method error and returns NULL (for handlers). */
json_t	*jmap_fail(struct jmap_ctx *c, const char *type, const char *fmt, ...)
	    ATTR_FORMAT(3, 4);
/* Checks args' "accountId" against the logged-in account; false after
 * setting accountNotFound / invalidArguments. */
bool	 jmap_check_account(struct jmap_ctx *c, json_t *args);
/* A creation id reference "#k" resolved through the request's created
 * ids; other ids unchanged.  NULL when "#k" is unknown. */
const char *jmap_resolve_id(struct jmap_ctx *c, const char *id);
/* The account id shown to clients (the account's address). */
const char *jmap_account_id(const struct jmap_ctx *c);

/* ---- jmap_mailbox.c ---- */

int	 jmap_mbs_load(struct jmap_ctx *c);
void	 jmap_mbs_invalidate(struct jmap_ctx *c);
/* Index of the mailbox with row id, or -1. */
int	 jmap_mb_by_id(struct jmap_ctx *c, int64_t id);
int	 jmap_mb_by_jid(struct jmap_ctx *c, const char *jid);
int	 jmap_mb_by_role(struct jmap_ctx *c, const char *role);
/* Fills the message counts of mailbox k (a scan of its rows: only for
 * what shows them).  -1 on a store error. */
int	 jmap_mb_counts(struct jmap_ctx *c, size_t k);
/* The current Email ('E') or Mailbox ('M') state into out. */
int	 jmap_state(struct jmap_ctx *c, char kind, struct buf *out);
json_t	*jmap_mailbox_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_mailbox_changes(struct jmap_ctx *c, json_t *args);
/* The maxChanges argument, capped to JMAP_CHANGES_MAX, into *max_r;
 * false after setting invalidArguments. */
bool	 jmap_max_changes(struct jmap_ctx *c, json_t *args, size_t *max_r);
json_t	*jmap_mailbox_query(struct jmap_ctx *c, json_t *args);
json_t	*jmap_mailbox_set(struct jmap_ctx *c, json_t *args);

/* ---- ids ---- */

/* Parses "<prefix><mb>-<uid>".  false when malformed. */
bool	 jmap_parse_msgid(const char *id, char prefix, int64_t *mb_r,
	    uint32_t *uid_r);

/* ---- jmap_mime.c: decoding for Email/get ---- */

/* Decodes a Content-Transfer-Encoding (base64, quoted-printable, or
 * none) of in[0, n) onto out. */
void	 jmap_decode_cte(const char *cte, const char *in, size_t n,
	    struct buf *out);
/* Converts in[0, n) from charset to UTF-8 onto out (invalid sequences
 * replaced); false when the charset is unknown (bytes copied as they are,
 * with non-UTF-8 replaced). */
bool	 jmap_to_utf8(const char *charset, const char *in, size_t n,
	    struct buf *out);
/* RFC 2047 decoding of an unfolded header value onto out (UTF-8). */
void	 jmap_decode_words(const char *in, size_t n, struct buf *out);
/* A part's decoded text as UTF-8 onto out (CTE, then charset). */
void	 jmap_part_text(const struct mime_message *m, const struct mime_part *p,
	    struct buf *out);
/* The text of parameter name onto out (UTF-8): "name" with RFC 2047
 * words decoded, else "name*" of RFC 2231 (charset'lang'%XX).  false when
 * neither is there. */
struct mime_param;
bool	 jmap_param_text(const struct mime_param *params, size_t n,
	    const char *name, struct buf *out);
/* Text of an HTML part reduced to plain text (tags dropped, entities for
 * &amp; &lt; &gt; &quot; &nbsp; decoded) onto out. */
void	 jmap_html_to_text(const char *in, size_t n, struct buf *out);

/* ---- jmap_email.c ---- */

/* An Email's parts numbered (partId "1", "2", ... depth first, as
 * Email/get gives them) and its textBody, htmlBody and attachments lists
 * (RFC 8621 4.1.4). */
struct part_ref {
	const struct mime_part *p;
	char	 id[16];		/* partId */
};

struct body {
	const struct mime_message *m;
	struct part_ref *v;		/* every part with its id, depth first */
	size_t	 n;
	size_t	*text, *html, *att;	/* indexes into v */
	size_t	 ntext, nhtml, natt;
};

/* Fills b for m (which must outlive it); free with jmap_body_free(). */
void	 jmap_body_init(struct body *b, const struct mime_message *m);
void	 jmap_body_free(struct body *b);

json_t	*jmap_email_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_email_changes(struct jmap_ctx *c, json_t *args);
/* The whole message of an Email id onto out; -1 when not found. */
int	 jmap_email_fetch(struct jmap_ctx *c, int64_t mb, uint32_t uid,
	    struct buf *out);

/* ---- jmap_thread.c ---- */

/* The thread hash of a cached header row: of its root message id (0: it
 * has no ids, a thread of its own). */
uint64_t jmap_thread_hash(const struct store_hdrfields *f);
/* The thread id for a hash ("Tx<hex>"), or for 0 the Email's own
 * ("T<mb>-<uid>"). */
void	 jmap_thread_id(uint64_t hash, int64_t mb, uint32_t uid, char *out,
	    size_t n);
/* The thread id of one message into out.  -1 on a store error. */
int	 jmap_thread_of(struct jmap_ctx *c, int64_t mb, uint32_t uid,
	    char *out, size_t n);
json_t	*jmap_thread_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_thread_changes(struct jmap_ctx *c, json_t *args);

/* ---- jmap_query.c ---- */

json_t	*jmap_email_query(struct jmap_ctx *c, json_t *args);
json_t	*jmap_email_query_changes(struct jmap_ctx *c, json_t *args);
json_t	*jmap_snippet_get(struct jmap_ctx *c, json_t *args);

/* ---- jmap_email_set.c ---- */

json_t	*jmap_email_set(struct jmap_ctx *c, json_t *args);
json_t	*jmap_email_import(struct jmap_ctx *c, json_t *args);
/* Keywords of JMAP as store flags and IMAP keywords (space-separated,
 * onto kw); false with a description for a bad keyword. */
bool	 jmap_keywords_to_store(json_t *kws, unsigned *flags_r,
	    struct buf *kw);

/* ---- jmap_blob.c ---- */

void	 jmap_upload(struct jmap_ctx *c, const char *account);
void	 jmap_download(struct jmap_ctx *c, const char *rest);
/* The bytes of an uploaded blob "U..." or a message blob "B..." onto
 * out; -1 when unknown. */
int	 jmap_blob_get(struct jmap_ctx *c, const char *blob_id,
	    struct buf *out);

/* ---- jmap_submit.c ---- */

json_t	*jmap_submission_set(struct jmap_ctx *c, json_t *args);
json_t	*jmap_submission_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_submission_query(struct jmap_ctx *c, json_t *args);
json_t	*jmap_submission_changes(struct jmap_ctx *c, json_t *args);

/* ---- jmap_identity.c ---- */

json_t	*jmap_identity_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_identity_set(struct jmap_ctx *c, json_t *args);
json_t	*jmap_identity_changes(struct jmap_ctx *c, json_t *args);
/* The address of identity id into email; false when there is none. */
bool	 jmap_identity_find(struct jmap_ctx *c, const char *id, char *email,
	    size_t n);

/* ---- jmap_push.c ---- */

void	 jmap_eventsource(struct jmap_ctx *c);

/* ---- jmap_acct.c: the account's jmap.data ---- */

/* A copy of the value of key in the account's jmap.data, or NULL. */
struct dval *jmap_acct_read(struct server *srv, const struct auth_result *who,
	    const char *key);
/* Replaces the array under key with what fn returns for the old one (an
 * empty array when there was none); fn returns NULL to change nothing
 * (then -1).  Under the file's lock; written atomically.  0, or -1 with
 * err_r. */
int	 jmap_acct_update(struct server *srv, const struct auth_result *who,
	    const char *key, struct dval *(*fn)(const struct dval *old,
	    void *arg), void *arg, struct error *err_r);
/* The whole jmap.data dictionary (an empty one when there is none). */
struct dval *jmap_acct_read_all(struct server *srv,
	    const struct auth_result *who);
/* Under the file's lock: fn changes the dictionary in place and returns
 * 0 to have it written (atomically), or -1 with err_r to write nothing.
 * 0, or -1 with err_r. */
int	 jmap_acct_modify(struct server *srv, const struct auth_result *who,
	    int (*fn)(struct dval *d, void *arg, struct error *err_r),
	    void *arg, struct error *err_r);
/* Adds addresses to the account's recent recipients (logged on error). */
void	 jmap_recent_add(struct jmap_ctx *c, const char *const *addrs,
	    size_t n);

/* ---- jmap_records.c: lists of JSON records in jmap.data ---- */

/* Where a kind of record is kept in jmap.data, and its state prefix. */
struct jmap_rec_kind {
	const char	*key;		/* the records, "Identities" */
	const char	*state_key;	/* (state, next, base) */
	const char	*log_key;	/* ("state kind id", ...) */
	char		 prefix;	/* of the state string */
};

struct jmap_records {
	const struct jmap_rec_kind *kind;
	json_t		*list;		/* objects, each with a string "id" */
	json_t		*log;		/* "state kind id" strings */
	long		 state;		/* moves on by one per change */
	long		 next;		/* the kind's next id number */
	long		 base;		/* the oldest state /changes answers */
	long		 loaded_state;	/* as read: save checks it */
};

/* Reads the records of kind k (never fails: none when unreadable). */
void	 jmap_records_load(struct jmap_ctx *c, const struct jmap_rec_kind *k,
	    struct jmap_records *r);
void	 jmap_records_free(struct jmap_records *r);
/* The state string, "<prefix><n>". */
void	 jmap_records_state(const struct jmap_records *r, char *out,
	    size_t n);
/* The record with id, or NULL (borrowed). */
json_t	*jmap_records_find(const struct jmap_records *r, const char *id);
/* Logs one change ('c', 'u' or 'd') of record id: the state moves on. */
void	 jmap_records_note(struct jmap_records *r, const char *id,
	    char kind);
/* Writes list, state and log; -1 with err_r (ERR_TEMP when another
 * request changed them since they were loaded). */
int	 jmap_records_save(struct jmap_ctx *c, struct jmap_records *r,
	    struct error *err_r);
/* The <Type>/changes method for kind k (RFC 8620 5.2). */
json_t	*jmap_records_changes(struct jmap_ctx *c, const struct jmap_rec_kind *k,
	    json_t *args);

/* ---- jmap_vacation.c ---- */

json_t	*jmap_vacation_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_vacation_set(struct jmap_ctx *c, json_t *args);

/* ---- jmap_quota.c ---- */

/* The account's storage limit (effective MaxAccountSize), 0: none. */
uint64_t jmap_quota_max(struct jmap_ctx *c);
json_t	*jmap_quota_get(struct jmap_ctx *c, json_t *args);
json_t	*jmap_quota_query(struct jmap_ctx *c, json_t *args);
json_t	*jmap_quota_changes(struct jmap_ctx *c, json_t *args);

#endif
