/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h: the account store.  One SQLite database per account
 * (<account_dir>/mail.db, WAL, synchronous=FULL) holds mailboxes, messages
 * (UID, flags, keywords, MODSEQ, internal date, size, cached ENVELOPE and
 * BODYSTRUCTURE), subscriptions, expunged UIDs (for QRESYNC) and the queue
 * ids of delivered messages (idempotent local delivery).  Bodies up to
 * STORE_INLINE_MAX live in the database; larger ones in
 * <account_dir>/bodies/b<id>-<unique>, written and fsynced before the row
 * naming them commits.  Every call that changes data is one transaction and is durable
 * when it returns 0.  Bodies are stored with CRLF line ends (bare LF is
 * converted) so sizes match what IMAP and POP send.
 *
 * Handles are thread-safe: calls on one handle are serialised by its mutex.
 * store_cache_get() shares handles process-wide (LRU of idle ones), and a
 * per-account generation counter lets sessions wait for changes made by
 * other sessions (IDLE, new mail, flag and expunge updates).  The store
 * never logs: errors come back in struct error.
 */
#ifndef TEGAMI_STORE_STORE_H
#define TEGAMI_STORE_STORE_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"

#define STORE_INLINE_MAX	(64 * 1024)	/* larger bodies go to files */
#define STORE_MESSAGE_MAX	(512 * 1024 * 1024)	/* one message, after CRLF */
#define STORE_MAILBOX_NAME_MAX	1024	/* bytes in a mailbox name (UTF-8) */
#define STORE_MAILBOXES_MAX	10000	/* mailboxes per account */
#define STORE_KEYWORD_MAX	128	/* bytes in one keyword */
#define STORE_KEYWORDS_MAX	64	/* keywords on one message */
#define STORE_BATCH_MAX		1000	/* messages in one store_deliver_batch */
#define STORE_CACHE_IDLE_MAX	256	/* idle handles kept open by the cache */
#define STORE_BUSY_TIMEOUT_MS	30000	/* wait for another writer */
#define STORE_DELIVERED_KEEP	(14 * 86400)	/* seconds a queue id is kept */
#define STORE_HDRCACHE_BATCH	1000	/* messages cached per fill transaction */
#define STORE_ORPHAN_AGE	600	/* unreferenced body file age before removal */

/* System flags (RFC 3501 2.3.2); \Recent is per session, not stored. */
#define STORE_SEEN	0x01
#define STORE_ANSWERED	0x02
#define STORE_FLAGGED	0x04
#define STORE_DELETED	0x08
#define STORE_DRAFT	0x10
#define STORE_FLAGS_ALL	0x1f

struct store;

struct store_status {
	int64_t		 id;		/* handle for the message calls */
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 highestmodseq;
	uint32_t	 messages;
	uint32_t	 unseen;
	uint32_t	 recent;	/* UIDs >= the recent mark (store_claim_recent) */
	uint64_t	 size;		/* bytes of all messages */
	bool		 noselect;
};

struct store_mailbox {
	char		*name;		/* canonical: "INBOX" prefix upper-case */
	bool		 noselect;	/* container or subscribed-but-missing */
	bool		 has_children;
	bool		 subscribed;
	char		*special_use;	/* "\\Sent", ... or NULL */
};

struct store_msg {
	uint32_t	 uid;
	unsigned	 flags;		/* STORE_SEEN ... */
	char		*keywords;	/* space-separated; "" when none */
	uint64_t	 modseq;
	int64_t		 internaldate;	/* seconds since the epoch */
	uint64_t	 size;		/* RFC822.SIZE */
	uint64_t	 hdr_size;	/* header block incl. the blank line */
};

struct store_msgs {
	struct store_msg *v;
	size_t		 n;
};

struct store_uidrange {
	uint32_t	 lo, hi;	/* inclusive; "*" is UINT32_MAX */
};

struct store_uidmap {
	uint32_t	 uidvalidity;	/* of the target mailbox */
	uint32_t	*src;		/* source UIDs, ascending */
	uint32_t	*dst;		/* their new UIDs in the target */
	size_t		 n;
};

struct buf;
struct mime_message;
struct mime_part;

/*
 * The cached forms of a new message (ENVELOPE, BODYSTRUCTURE, BODY), written
 * from its parsed tree by the module that reads them back: IMAP's are
 * imap/imap_mime.h's imap_store_render.  Set once at start, before any
 * store_append() or store_deliver_batch() (and before threads start);
 * without it those fail with ERR_INTERNAL and store nothing.
 */
struct store_render {
	void	(*envelope)(const struct mime_message *msg,
		    const struct mime_part *part, struct buf *out);
	void	(*bodystructure)(const struct mime_message *msg,
		    const struct mime_part *part, bool extended,
		    struct buf *out);
};
void	store_set_render(const struct store_render *r);

/* A message to store.  data is borrowed for the duration of the call. */
struct store_new_msg {
	const char	*data;
	size_t		 len;
	unsigned	 flags;		/* STORE_SEEN ... */
	const char	*keywords;	/* space-separated, or NULL */
	int64_t		 internaldate;	/* 0: now */
	const char	*queue_id;	/* idempotence key (deliveries), or NULL */
};

enum store_delivery_status {
	STORE_DELIVERED,		/* stored now; uid set */
	STORE_DUPLICATE,		/* queue id seen before; not stored */
	STORE_OVER_QUOTA		/* would exceed max_size; not stored */
};

struct store_delivery {
	struct store_new_msg msg;	/* in; msg.queue_id required */
	enum store_delivery_status status;	/* out */
	uint32_t	 uid;		/* out: new UID, or first UID for a dup */
};

enum store_flag_op { STORE_FLAGS_SET, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };

/* ---- handles ---- */

/*
 * Opens (creating when missing) <account_dir>/mail.db and bodies/, makes
 * sure INBOX exists and removes body files left by a crash.  The handle
 * may be used from several threads.  NULL with err_r on failure.
 */
struct store *store_open(const char *account_dir, struct error *err_r);
/* Closes a handle from store_open() and sets *sp to NULL. */
void	store_close(struct store **sp);

/*
 * Process-wide shared handles: returns the open handle for account_dir
 * (opening it if needed) with a reference; release with
 * store_cache_release().  At most STORE_CACHE_IDLE_MAX unreferenced
 * handles stay open (least recently used are closed first).  account_dir
 * must be spelt the same way by every caller.
 */
struct store *store_cache_get(const char *account_dir, struct error *err_r);
/* store_cache_get(), waiting while the process is out of descriptors:
 * tries STORE_FD_WAIT_TRIES times, STORE_FD_WAIT_MS apart (sessions coming
 * back from hibernation, logins in a burst); then NULL with ERR_LIMIT. */
struct store *store_cache_get_wait(const char *account_dir,
	    struct error *err_r);
void	store_cache_release(struct store **sp);
/* Closes every unreferenced cached handle (shutdown, tests). */
void	store_cache_flush(void);

/* The account's change counter: bumped after every committed change by any
 * handle of this process on the same account directory. */
uint64_t store_generation(struct store *s);
/* Waits up to timeout_ms until the generation differs from gen; returns
 * true if it changed. */
bool	store_wait_change(struct store *s, uint64_t gen, int timeout_ms);

/*
 * A change watch: an eventfd registered with the account's notifier, for a
 * session that sleeps in poll() (IMAP IDLE).  Every committed change of the
 * account (by any handle of this process) makes store_watch_fd() readable;
 * changes of other accounts never do.  store_watch_take() reads and resets
 * it (the number of changes since the last take, 0 if none).  The watch
 * holds its own reference on the account's notifier: it may outlive the
 * handle s (a hibernating session releases its handle).  NULL with
 * ERR_LIMIT when the process is out of descriptors.
 */
struct store_watch;
struct store_watch *store_watch_new(struct store *s, struct error *err_r);
int	store_watch_fd(const struct store_watch *w);
uint64_t store_watch_take(struct store_watch *w);
void	store_watch_free(struct store_watch **wp);
/*
 * Hibernation without a descriptor: store_watch_suspend() closes the
 * watch's eventfd and, until store_watch_resume(), counts the changes and
 * calls fn(arg) on each -- under the notifier's lock, on the committing
 * thread, so fn must neither block nor call the store.  Returns the changes
 * not yet taken (the caller should then not sleep).  store_watch_resume()
 * makes a new eventfd, readable at once when changes came meanwhile; -1
 * with ERR_LIMIT when the process is out of descriptors.
 */
typedef void	store_watch_hook_fn(void *arg);
uint64_t store_watch_suspend(struct store_watch *w, store_watch_hook_fn *fn,
	    void *arg);
int	store_watch_resume(struct store_watch *w, struct error *err_r);
/* A watch made suspended (no descriptor, never fails): for a session that
 * hibernates at once because store_watch_new() found no descriptor. */
struct store_watch *store_watch_new_suspended(struct store *s,
	    store_watch_hook_fn *fn, void *arg);

/* Total size in bytes of all messages of the account (quota). */
int	store_account_size(struct store *s, uint64_t *size_r,
	    struct error *err_r);

/* ---- mailboxes (names use '/' as the hierarchy delimiter) ---- */

/*
 * Canonical form of a mailbox name: a first component equal to INBOX in
 * any case becomes "INBOX".  Rejects empty names, control characters,
 * '*' and '%', and names longer than STORE_MAILBOX_NAME_MAX (ERR_SYNTAX);
 * empty hierarchy parts (a leading '/', "a//b", "a//") and parts "." or
 * ".." (ERR_PERM: they never become valid).  One trailing '/' is removed
 * and reported in *container_r (may be NULL; RFC 3501 6.3.3).  Every
 * mailbox operation (create, rename, delete, subscribe, status, append,
 * delivery, copy/move target) goes through this.
 */
int	store_mailbox_name(const char *name, struct buf *out,
	    bool *container_r, struct error *err_r);

/* IMAP LIST pattern match: '*' matches anything, '%' anything but '/'. */
bool	store_pattern_match(const char *pattern, const char *name);

/*
 * Creates a mailbox and any missing parents (RFC 3501 6.3.3).  A trailing
 * '/' creates a \Noselect container (CommuniGate).  special_use may be
 * NULL.  ERR_EXISTS when it exists, ERR_LIMIT past STORE_MAILBOXES_MAX.
 */
int	store_mailbox_create(struct store *s, const char *name,
	    const char *special_use, struct error *err_r);
/*
 * Deletes a mailbox and its messages.  One with children becomes \Noselect
 * instead (RFC 3501 6.3.4); a \Noselect one with children and INBOX cannot
 * be deleted (ERR_PERM).
 */
int	store_mailbox_delete(struct store *s, const char *name,
	    struct error *err_r);
/*
 * Renames a mailbox with its children.  Renaming INBOX moves its messages
 * (keeping their UIDs) into a new mailbox and leaves INBOX empty, its
 * children untouched (RFC 3501 6.3.5).  ERR_EXISTS if the target exists.
 */
int	store_mailbox_rename(struct store *s, const char *from, const char *to,
	    struct error *err_r);
/*
 * Mailboxes matching pattern, sorted by name; with subscribed_only the
 * subscription list instead (names that do not exist come back with
 * noselect).  Free with store_mailbox_list_free().
 */
int	store_mailbox_list(struct store *s, const char *pattern,
	    bool subscribed_only, struct store_mailbox **v_r, size_t *n_r,
	    struct error *err_r);
void	store_mailbox_list_free(struct store_mailbox *v, size_t n);
/*
 * Every mailbox's row without counting its messages (cheap whatever the
 * mailbox sizes: STATUS counts cost a scan): for a client that compares
 * states (JMAP).  Sorted by id; subscribed from the subscription list.
 * Free with store_mbinfo_free().
 */
struct store_mbinfo {
	int64_t		 id;
	char		*name;
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint64_t	 highestmodseq;
	bool		 noselect;
	bool		 subscribed;
	char		*special_use;	/* or NULL */
};
int	store_mailbox_infos(struct store *s, struct store_mbinfo **v_r,
	    size_t *n_r, struct error *err_r);
void	store_mbinfo_free(struct store_mbinfo *v, size_t n);
/* Adds or removes a subscription (the mailbox need not exist). */
int	store_subscribe(struct store *s, const char *name, bool subscribe,
	    struct error *err_r);
/* STATUS/SELECT data, including the id for message calls.  ERR_NOTFOUND. */
int	store_mailbox_status(struct store *s, const char *name,
	    struct store_status *st_r, struct error *err_r);
/* Marks every message now in the mailbox as no longer recent and returns
 * the first UID that was still recent in *first_r (SELECT, not EXAMINE). */
int	store_claim_recent(struct store *s, int64_t mailbox, uint32_t *first_r,
	    struct error *err_r);
/* All keywords ever set in the mailbox, space-separated (FLAGS response);
 * *kw_r is allocated. */
int	store_mailbox_keywords(struct store *s, int64_t mailbox, char **kw_r,
	    struct error *err_r);

/* ---- messages ---- */

/*
 * Stores one message (APPEND, saved drafts) in mailbox, parsing its MIME
 * structure.  max_size > 0 refuses (ERR_LIMIT "mailbox full") when the
 * account would grow past it.  Durable on return; *uid_r and
 * *uidvalidity_r (either may be NULL) for UIDPLUS APPENDUID.
 */
int	store_append(struct store *s, const char *mailbox,
	    const struct store_new_msg *msg, uint64_t max_size, uint32_t *uid_r,
	    uint32_t *uidvalidity_r, struct error *err_r);
/*
 * n messages (1..STORE_BATCH_MAX) in ONE transaction, all or none (RFC
 * 3502 MULTIAPPEND); the quota check counts them together.  uids_r[0..n)
 * gets their UIDs, in order.
 */
int	store_append_many(struct store *s, const char *mailbox,
	    const struct store_new_msg *msgs, size_t n, uint64_t max_size,
	    uint32_t *uids_r, uint32_t *uidvalidity_r, struct error *err_r);
/*
 * Local delivery: stores n messages in ONE transaction (one fsync).  A
 * message whose queue id is already recorded gets STORE_DUPLICATE and is
 * not stored again; one that would take the account past max_size (0: no
 * limit) gets STORE_OVER_QUOTA.  Returns 0 when every message is DELIVERED
 * or DUPLICATE; -1 with ERR_LIMIT "mailbox full" when some are OVER_QUOTA
 * (the others ARE committed: check each status); any other error means
 * nothing was stored.  n <= STORE_BATCH_MAX.
 */
int	store_deliver_batch(struct store *s, const char *mailbox,
	    struct store_delivery *d, size_t n, uint64_t max_size,
	    struct error *err_r);

/* Snapshot of the messages in mailbox whose UIDs fall in the ranges (all
 * when set is NULL), ascending by UID.  Free with store_msgs_free(). */
int	store_messages(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, struct store_msgs *r,
	    struct error *err_r);
void	store_msgs_free(struct store_msgs *r);

/* What store_messages_with() reads besides the row. */
#define STORE_WITH_ENVELOPE	 0x01
#define STORE_WITH_BODYSTRUCTURE 0x02
#define STORE_WITH_BODY		 0x04	/* the non-extended BODY */
#define STORE_WITH_HEADER	 0x08	/* the header block's bytes */

/* Per message extras, parallel to store_msgs.v; a field not asked for is
 * NULL, and so is header when the body lives in a file (use store_fetch). */
struct store_msg_extra {
	char		*envelope;
	char		*bodystructure;
	char		*body;
	char		*header;	/* hdr_size bytes, not NUL-terminated */
};

/*
 * store_messages() that also returns the cached strings and header bytes
 * selected by with (STORE_WITH_...), all read in one transaction (FETCH of
 * many messages).  Free with store_msgs_free() and
 * store_msg_extra_free(*extra_r, r->n).
 */
int	store_messages_with(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, unsigned with,
	    struct store_msgs *r, struct store_msg_extra **extra_r,
	    struct error *err_r);
void	store_msg_extra_free(struct store_msg_extra *x, size_t n);

/*
 * Appends bytes [offset, offset + len) of a message (clipped to its size;
 * len UINT64_MAX for "to the end") to out.  Header only is offset 0, len
 * hdr_size; a MIME part is the caller's slice of a parsed whole body.
 * ERR_NOTFOUND when the UID is gone, ERR_LIMIT when out is too small.
 */
int	store_fetch(struct store *s, int64_t mailbox, uint32_t uid,
	    uint64_t offset, uint64_t len, struct buf *out, struct error *err_r);
/* The ENVELOPE, BODYSTRUCTURE and BODY strings cached at delivery; each
 * out pointer may be NULL, results are allocated. */
int	store_fetch_cached(struct store *s, int64_t mailbox, uint32_t uid,
	    char **envelope_r, char **bodystructure_r, char **body_r,
	    struct error *err_r);

/*
 * STORE: sets, adds or removes system flags and keywords (space-separated,
 * may be NULL) on the messages in set.  Messages whose flags change get a
 * new MODSEQ and are returned in *changed_r (may be NULL).  With
 * unchangedsince non-NULL (CONDSTORE), messages whose MODSEQ is above it
 * are left alone and their UIDs returned in *failed_r and *nfailed_r.
 */
int	store_set_flags(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, enum store_flag_op op,
	    unsigned flags, const char *keywords, const uint64_t *unchangedsince,
	    struct store_msgs *changed_r, uint32_t **failed_r, size_t *nfailed_r,
	    struct error *err_r);

/*
 * COPY (move false) or MOVE (true) of the messages in set to the mailbox
 * named dest; *map_r gets the UID map for COPYUID (free with
 * store_uidmap_free()).  Bodies are shared, not duplicated.  Moving
 * records the source UIDs as expunged.  ERR_NOTFOUND if dest is missing.
 */
int	store_copy(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, const char *dest,
	    bool move, struct store_uidmap *map_r, struct error *err_r);
void	store_uidmap_free(struct store_uidmap *m);

/*
 * Removes messages flagged \Deleted (only those in set when set is not
 * NULL: UID EXPUNGE).  *uids_r (allocated, ascending) gets the removed
 * UIDs.  Body files are unlinked after the commit.
 */
int	store_expunge(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, uint32_t **uids_r,
	    size_t *n_r, struct error *err_r);
/* Removes the messages in set whatever their flags (POP3's DELE at QUIT),
 * in one transaction; otherwise as store_expunge(). */
int	store_remove(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, uint32_t **uids_r,
	    size_t *n_r, struct error *err_r);

/* QRESYNC/CONDSTORE: messages with MODSEQ > modseq, and UIDs expunged
 * after modseq (ascending, allocated). */
int	store_changes_since(struct store *s, int64_t mailbox, uint64_t modseq,
	    struct store_msgs *changed_r, uint32_t **vanished_r,
	    size_t *nvanished_r, struct error *err_r);

/*
 * A session catching up with its mailbox, in one read transaction: the
 * rows and expunged UIDs of store_changes_since(), the number of messages
 * now and the mailbox's HIGHESTMODSEQ (the modseq to pass next time).
 * ERR_NOTFOUND when the mailbox is gone.
 */
int	store_mailbox_sync(struct store *s, int64_t mailbox, uint64_t modseq,
	    struct store_msgs *changed_r, uint32_t **vanished_r,
	    size_t *nvanished_r, uint32_t *messages_r,
	    uint64_t *highestmodseq_r, struct error *err_r);

/* ---- header field cache (store_hdrcache.c) ---- */

/* The fields whose decoded values SEARCH matches from the cache. */
enum store_hf {
	STORE_HF_FROM, STORE_HF_TO, STORE_HF_CC, STORE_HF_SUBJECT,
	STORE_HF_MSGID, STORE_HF_N
};

/*
 * What SEARCH, SORT and THREAD read from a message's header, kept per
 * message so they need not parse it.  Made by the parser the IMAP module
 * registers (store_hdrcache_set_parser()): the store only keeps the values.
 * Pointers are owned (free with store_hdrfields_clear()) when made by a
 * parser, borrowed when handed to a store_hdrcache_each() callback.
 */
struct store_hdrfields {
	bool		 ok;		/* false: not cached (a text past
					 * HDRCACHE_TEXT_MAX): read the header */
	bool		 has_date;	/* a Date: that parses */
	int64_t		 date;		/* it, UTC seconds */
	int32_t		 date_off;	/* its zone, seconds east of UTC */
	char		*from_key, *to_key, *cc_key;	/* RFC 5256 sort
					 * keys; NULL when the field is absent */
	char		*subject;	/* RFC 5256 base subject, or NULL */
	bool		 reply;		/* the subject was a reply/forward */
	char		*msgid;		/* first "<id>" of Message-ID, or NULL */
	char		*refs;		/* THREAD references, each id
					 * NUL-terminated; refs_len bytes */
	size_t		 refs_len;
	/* Per enum store_hf: every decoded value of the field (and for
	 * address fields each mailbox as "name <addr>"), each followed by a
	 * NUL; NULL when the message has no such field. */
	char		*text[STORE_HF_N];
	size_t		 text_len[STORE_HF_N];
};

/* What store_hdrcache_each() reads of a row besides UID, size and
 * internal date (each column read costs, most of all the texts). */
#define STORE_HC_DATE		0x0001	/* has_date, date, date_off */
#define STORE_HC_FROM_KEY	0x0002
#define STORE_HC_TO_KEY		0x0004
#define STORE_HC_CC_KEY		0x0008
#define STORE_HC_SUBJECT	0x0010	/* subject, reply */
#define STORE_HC_IDS		0x0020	/* msgid, refs */
#define STORE_HC_TEXT(hf)	(0x0100 << (hf))	/* text[hf] */

/* One cached message as store_hdrcache_each() hands it out. */
struct store_hdrrow {
	uint32_t	 uid;
	uint64_t	 size;
	int64_t		 internaldate;
	struct store_hdrfields f;	/* borrowed for the call */
};

/* Fills *f from the header block hdr[0, len) (pure; f zeroed first). */
typedef void	store_hdrfields_fn(const char *hdr, size_t len,
	    struct store_hdrfields *f);
/* Sets the parser used at delivery and by store_hdrcache_fill(); without
 * one nothing is cached.  Called once at start-up (mailflow_start()). */
void	store_hdrcache_set_parser(store_hdrfields_fn *fn);
/* Frees a parser-made struct and zeroes it. */
void	store_hdrfields_clear(struct store_hdrfields *f);
/*
 * Caches the fields of every message of mailbox that has none yet,
 * STORE_HDRCACHE_BATCH messages per write transaction (a crash loses at
 * most the batch under way; the next call goes on).  0 without a parser.
 */
int	store_hdrcache_fill(struct store *s, int64_t mailbox,
	    struct error *err_r);
/*
 * Calls fn(arg, row) for each cached message of mailbox whose UID is in
 * the ranges (all when set is NULL), ascending by UID, in one read
 * transaction, with the fields in what (STORE_HC_...; the others are
 * NULL/false); fn returning -1 stops (the call then returns 0).
 * Messages without a cache row are not reported.
 */
int	store_hdrcache_each(struct store *s, int64_t mailbox,
	    const struct store_uidrange *set, size_t nset, unsigned what,
	    int (*fn)(void *arg, const struct store_hdrrow *row), void *arg,
	    struct error *err_r);
/* Number of messages of mailbox with a cache row (tests, CLI). */
int	store_hdrcache_count(struct store *s, int64_t mailbox, uint64_t *n_r,
	    struct error *err_r);

/* ---- online backup ---- */

/*
 * Writes a copy of the account's mail.db as of one commit to db_path
 * (SQLite's online backup API) and calls fn with the name of every body
 * file the copy names (files in <account_dir>/bodies, never changed once
 * written), holding the handle's lock throughout, so no call of this
 * process removes one of them meanwhile.  Other accounts are not held
 * up.  *nbodies_r (may be NULL) gets the number of names.  -1 with err_r.
 */
int	store_backup(struct store *s, const char *db_path,
	    int (*fn)(void *arg, const char *name, struct error *err_r),
	    void *arg, size_t *nbodies_r, struct error *err_r);

#endif
