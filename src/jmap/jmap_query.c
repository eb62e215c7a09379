/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_query.c: Email/query (RFC 8621 4.4) over the store's rows and its
 * header field cache (the decoded From/To/Cc/Subject texts and Date that
 * IMAP SEARCH and SORT read), Email/queryChanges (always
 * cannotCalculateChanges, which RFC 8620 5.6 allows), and
 * SearchSnippet/get (5).
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "http/http.h"
#include "jmap/jmap_private.h"

/* One candidate message. */
struct qmsg {
	int64_t		 mb;
	uint32_t	 uid;
	unsigned	 flags;
	const char	*keywords;	/* borrowed from a struct mbsnap */
	uint64_t	 size;
	int64_t		 received;
	int64_t		 sent;		/* Date:, or received */
	bool		 cached;	/* the texts below are from the cache */
	uint64_t	 thash;		/* thread (collapseThreads); 0: own */
	char		*text[STORE_HF_N];	/* NUL-separated values */
	size_t		 text_len[STORE_HF_N];
	char		*from_key, *subject_key;
};

/*
 * The rows of one mailbox as of one state (UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ and message count), shared by the queries of every
 * session: reading 100,000 rows from SQLite takes far longer than the
 * rest of a query, and a client paging through a mailbox asks again and
 * again while nothing changes.  Any change of the mailbox (a new message,
 * a flag, an expunge) moves its UIDNEXT or HIGHESTMODSEQ, so a snapshot is used only for exactly the status it was read
 * at.  At most JMAP_SNAPS_MAX are kept (least recently used dropped);
 * each is reference-counted while a query borrows its keyword strings.
 */
struct mbsnap {
	char		 key[ADDRESS_MAX + 32];	/* "address/mailbox id" */
	uint32_t	 uidvalidity, uidnext;
	uint64_t	 modseq;
	struct store_msgs msgs;
	uint32_t	*order[2];	/* indexes by receivedAt [desc, asc]
					 * (ties: higher UID first), made on
					 * first use */
	unsigned	 refs;
	uint64_t	 used;
};
static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mbsnap *snaps[JMAP_SNAPS_MAX];
static uint64_t snap_clock;

static void
snap_unref(struct mbsnap *sn)
{
	bool last;

	pthread_mutex_lock(&snap_lock);
	last = --sn->refs == 0;
	pthread_mutex_unlock(&snap_lock);
	if (last) {
		store_msgs_free(&sn->msgs);
		free(sn->order[0]);
		free(sn->order[1]);
		free(sn);
	}
}

static __thread const struct store_msg *order_v;

static int
cmp_recv_desc(const void *pa, const void *pb)
{
	const struct store_msg *a = &order_v[*(const uint32_t *)pa];
	const struct store_msg *b = &order_v[*(const uint32_t *)pb];

	if (a->internaldate != b->internaldate)
		return a->internaldate > b->internaldate ? -1 : 1;
	return (a->uid < b->uid) - (a->uid > b->uid);
}

static int
cmp_recv_asc(const void *pa, const void *pb)
{
	const struct store_msg *a = &order_v[*(const uint32_t *)pa];
	const struct store_msg *b = &order_v[*(const uint32_t *)pb];

	if (a->internaldate != b->internaldate)
		return a->internaldate < b->internaldate ? -1 : 1;
	return (a->uid < b->uid) - (a->uid > b->uid);
}

/* The snapshot's rows in receivedAt order (the same order as cmp_qmsg
 * gives), sorted once per snapshot: a client paging through a mailbox
 * then costs a page, not a sort. */
static const uint32_t *
snap_order(struct mbsnap *sn, bool asc)
{
	uint32_t *o;
	size_t i;

	pthread_mutex_lock(&snap_lock);
	o = sn->order[asc];
	pthread_mutex_unlock(&snap_lock);
	if (o != NULL)
		return o;
	o = xcalloc(sn->msgs.n + 1, sizeof(*o));
	for (i = 0; i < sn->msgs.n; i++)
		o[i] = (uint32_t)i;
	order_v = sn->msgs.v;
	qsort(o, sn->msgs.n, sizeof(*o), asc ? cmp_recv_asc : cmp_recv_desc);
	pthread_mutex_lock(&snap_lock);
	if (sn->order[asc] == NULL)
		sn->order[asc] = o;
	else {
		free(o);
		o = sn->order[asc];
	}
	pthread_mutex_unlock(&snap_lock);
	return o;
}

/* The snapshot of mailbox m of this account, read now if not cached;
 * referenced (release with snap_unref()).  NULL on a store error. */
static struct mbsnap *
snap_get(struct jmap_ctx *c, const struct jmap_mb *m)
{
	struct mbsnap *sn, *old = NULL;
	char key[ADDRESS_MAX + 32];
	struct error err;
	size_t i, victim = 0;

	snprintf(key, sizeof(key), "%s/%lld", c->who.address,
	    (long long)m->id);
	pthread_mutex_lock(&snap_lock);
	for (i = 0; i < JMAP_SNAPS_MAX; i++) {
		sn = snaps[i];
		if (sn != NULL && strcmp(sn->key, key) == 0 &&
		    sn->uidvalidity == m->st.uidvalidity &&
		    sn->uidnext == m->st.uidnext &&
		    sn->modseq == m->st.highestmodseq) {
			sn->refs++;
			sn->used = ++snap_clock;
			pthread_mutex_unlock(&snap_lock);
			return sn;
		}
	}
	pthread_mutex_unlock(&snap_lock);
	sn = xcalloc(1, sizeof(*sn));
	snprintf(sn->key, sizeof(sn->key), "%s", key);
	sn->uidvalidity = m->st.uidvalidity;
	sn->uidnext = m->st.uidnext;
	sn->modseq = m->st.highestmodseq;
	if (store_messages(c->store, m->id, NULL, 0, &sn->msgs, &err) < 0) {
		free(sn);
		return NULL;
	}
	sn->refs = 2;			/* the cache's and the caller's */
	pthread_mutex_lock(&snap_lock);
	sn->used = ++snap_clock;
	for (i = 0; i < JMAP_SNAPS_MAX; i++) {
		if (snaps[i] == NULL) {
			victim = i;
			break;
		}
		/* the same mailbox at an older state goes first */
		if (strcmp(snaps[i]->key, key) == 0) {
			victim = i;
			break;
		}
		if (snaps[i]->used < snaps[victim]->used)
			victim = i;
	}
	old = snaps[victim];
	snaps[victim] = sn;
	pthread_mutex_unlock(&snap_lock);
	if (old != NULL)
		snap_unref(old);
	return sn;
}

struct qset {
	struct qmsg	*v;
	size_t		 n, cap;
	bool		 want_hdr;	/* header conditions or sorts */
	bool		 want_ids;	/* thread hashes (collapseThreads) */
	struct jmap_ctx	*c;
	struct mbsnap	**snap;		/* one per mailbox read */
	size_t		 nsnap, snapcap;
};

static void
qset_free(struct qset *q)
{
	size_t i, k;

	for (i = 0; i < q->n && q->want_hdr; i++) {
		for (k = 0; k < STORE_HF_N; k++)
			free(q->v[i].text[k]);
		free(q->v[i].from_key);
		free(q->v[i].subject_key);
	}
	free(q->v);
	for (i = 0; i < q->nsnap; i++)
		snap_unref(q->snap[i]);
	free(q->snap);
}

/* "2024-01-31T12:00:00Z" (RFC 8620 1.4 UTCDate) to seconds; -1 if bad. */
static int64_t
parse_utcdate(const char *s)
{
	int y, mo, d, h, mi, se;
	char z;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d,
	    &h, &mi, &se, &z) != 7 || z != 'Z' || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	return (int64_t)timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + se;
}

/* ---- loading ---- */

static int
take_row(void *arg, const struct store_hdrrow *row)
{
	struct qset *q = arg;
	size_t lo = 0, hi = q->n, k;

	/* q->v holds this mailbox's rows only, ascending by UID */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (q->v[mid].uid < row->uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < q->n; k++)
		if (q->v[k].uid == row->uid)
			break;
	if (k == q->n || !row->f.ok)
		return 0;
	if (q->want_ids)
		q->v[k].thash = jmap_thread_hash(&row->f);
	if (!q->want_hdr)
		return 0;
	q->v[k].cached = true;
	if (row->f.has_date)
		q->v[k].sent = row->f.date;
	for (size_t t = 0; t < STORE_HF_N; t++)
		if (row->f.text[t] != NULL) {
			q->v[k].text[t] = xmalloc(row->f.text_len[t] + 1);
			memcpy(q->v[k].text[t], row->f.text[t],
			    row->f.text_len[t]);
			q->v[k].text[t][row->f.text_len[t]] = '\0';
			q->v[k].text_len[t] = row->f.text_len[t];
		}
	if (row->f.from_key != NULL)
		q->v[k].from_key = xstrdup(row->f.from_key);
	if (row->f.subject != NULL)
		q->v[k].subject_key = xstrdup(row->f.subject);
	return 0;
}

static int
load_mailbox(struct qset *q, const struct jmap_mb *mbx)
{
	struct mbsnap *sn;
	struct error err;
	int64_t mb = mbx->id;
	size_t i, first = q->n;

	if (q->nsnap >= q->snapcap ||
	    (sn = snap_get(q->c, mbx)) == NULL)
		return -1;
	q->snap[q->nsnap++] = sn;
	if (q->n + sn->msgs.n > q->cap) {
		q->cap = q->n + sn->msgs.n + 16;
		q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
	}
	for (i = 0; i < sn->msgs.n; i++) {
		struct qmsg *m = &q->v[q->n++];
		const struct store_msg *r = &sn->msgs.v[i];

		memset(m, 0, sizeof(*m));
		m->mb = mb;
		m->uid = r->uid;
		m->flags = r->flags;
		m->keywords = r->keywords;
		m->size = r->size;
		m->received = r->internaldate;
		m->sent = m->received;
	}
	if ((q->want_hdr || q->want_ids) && q->n > first) {
		struct qset sub = *q;

		/* the callback searches only this mailbox's rows */
		sub.v = q->v + first;
		sub.n = q->n - first;
		(void)store_hdrcache_fill(q->c->store, mb, &err);
		if (store_hdrcache_each(q->c->store, mb, NULL, 0,
		    (q->want_hdr ? STORE_HC_DATE | STORE_HC_FROM_KEY |
		    STORE_HC_SUBJECT | STORE_HC_TEXT(STORE_HF_FROM) |
		    STORE_HC_TEXT(STORE_HF_TO) | STORE_HC_TEXT(STORE_HF_CC) |
		    STORE_HC_TEXT(STORE_HF_SUBJECT) : 0) |
		    (q->want_ids ? STORE_HC_IDS : 0), take_row, &sub, &err) < 0)
			return -1;
	}
	return 0;
}

/* The decoded texts of a message the cache does not hold (too large). */
static void
read_texts(struct jmap_ctx *c, struct qmsg *m)
{
	static const char *const names[STORE_HF_N] = { "From", "To", "Cc",
	    "Subject", "Message-ID" };
	struct buf hdr, v, d;
	struct error err;
	size_t t;

	if (m->cached)
		return;
	m->cached = true;
	buf_init(&hdr, STORE_MESSAGE_MAX);
	buf_init(&v, MIME_HEADER_VALUE_MAX);
	if (store_fetch(c->store, m->mb, m->uid, 0, UINT64_MAX, &hdr,
	    &err) == 0) {
		struct mime_message *mm = mime_parse(buf_cstr(&hdr), hdr.len);

		for (t = 0; t < STORE_HF_N; t++) {
			if (!mime_header_get(mm->data, mm->root->hdr_off,
			    mm->root->hdr_len, names[t], &v))
				continue;
			buf_init(&d, MIME_HEADER_VALUE_MAX);
			jmap_decode_words(buf_cstr(&v), v.len, &d);
			m->text[t] = buf_steal(&d);
			m->text_len[t] = strlen(m->text[t]);
		}
		mime_free(&mm);
	}
	buf_free(&v);
	buf_free(&hdr);
}

/* ---- matching ---- */

static bool
has_text(const char *v, size_t len, const char *needle)
{
	size_t off = 0;

	/* NUL-separated values */
	while (v != NULL && off < len) {
		if (strcasestr(v + off, needle) != NULL)
			return true;
		off += strlen(v + off) + 1;
	}
	return false;
}

static bool
has_keyword(const struct qmsg *m, const char *kw)
{
	static const struct {
		const char *kw;
		unsigned flag;
	} sys[] = { { "$seen", STORE_SEEN }, { "$answered", STORE_ANSWERED },
	    { "$flagged", STORE_FLAGGED }, { "$draft", STORE_DRAFT } };
	size_t i, l = strlen(kw);
	const char *p;

	for (i = 0; i < N_ELEMENTS(sys); i++)
		if (strcasecmp(kw, sys[i].kw) == 0)
			return (m->flags & sys[i].flag) != 0;
	for (p = m->keywords; p != NULL && *p != '\0';) {
		const char *sp = strchr(p, ' ');
		size_t n = sp != NULL ? (size_t)(sp - p) : strlen(p);

		if (n == l && strncasecmp(p, kw, l) == 0)
			return true;
		p = sp != NULL ? sp + 1 : NULL;
	}
	return false;
}

/* Body text search: the decoded text parts of the message. */
static bool
body_has(struct jmap_ctx *c, const struct qmsg *m, const char *needle)
{
	struct buf data, t;
	struct error err;
	struct mime_message *mm;
	size_t i;
	bool found = false;

	buf_init(&data, STORE_MESSAGE_MAX);
	if (store_fetch(c->store, m->mb, m->uid, 0, UINT64_MAX, &data,
	    &err) < 0) {
		buf_free(&data);
		return false;
	}
	mm = mime_parse(buf_cstr(&data), data.len);
	buf_init(&t, STORE_MESSAGE_MAX);
	/* every text leaf, in order */
	{
		const struct mime_part *stack[MIME_DEPTH_MAX + 2];
		size_t sp = 0;

		stack[sp++] = mm->root;
		while (sp > 0 && !found) {
			const struct mime_part *p = stack[--sp];

			for (; p != NULL && !found; p = p->next) {
				if (p->is_multipart) {
					if (p->child != NULL && sp <
					    N_ELEMENTS(stack))
						stack[sp++] = p->child;
					continue;
				}
				if (strcasecmp(p->type, "text") != 0)
					continue;
				buf_reset(&t);
				jmap_part_text(mm, p, &t);
				found = strcasestr(buf_cstr(&t), needle) !=
				    NULL;
			}
			i = 0;
		}
	}
	(void)i;
	buf_free(&t);
	mime_free(&mm);
	buf_free(&data);
	return found;
}

static int filter_check(struct qset *q, json_t *f, int depth);

/* Validates a filter: -1 unsupported (unsupportedFilter), -2 malformed. */
static int
filter_check(struct qset *q, json_t *f, int depth)
{
	const char *key;
	json_t *v;

	if (f == NULL || json_is_null(f))
		return 0;
	if (!json_is_object(f) || depth > JMAP_JSON_DEPTH_MAX)
		return -2;
	if (json_object_get(f, "operator") != NULL) {
		const char *op = json_string_value(json_object_get(f,
		    "operator"));
		json_t *conds = json_object_get(f, "conditions");
		size_t i;

		if (op == NULL || (strcmp(op, "AND") != 0 &&
		    strcmp(op, "OR") != 0 && strcmp(op, "NOT") != 0) ||
		    !json_is_array(conds))
			return -2;
		json_array_foreach(conds, i, v) {
			int r = filter_check(q, v, depth + 1);

			if (r < 0)
				return r;
		}
		return 0;
	}
	json_object_foreach(f, key, v) {
		if (strcmp(key, "inMailbox") == 0 || strcmp(key, "hasKeyword") ==
		    0 || strcmp(key, "notKeyword") == 0 ||
		    strcmp(key, "allInThreadHaveKeyword") == 0 ||
		    strcmp(key, "someInThreadHaveKeyword") == 0 ||
		    strcmp(key, "noneInThreadHaveKeyword") == 0 ||
		    strcmp(key, "body") == 0) {
			if (!json_is_string(v))
				return -2;
		} else if (strcmp(key, "text") == 0 || strcmp(key, "from") ==
		    0 || strcmp(key, "to") == 0 || strcmp(key, "cc") == 0 ||
		    strcmp(key, "bcc") == 0 || strcmp(key, "subject") == 0) {
			if (!json_is_string(v))
				return -2;
			q->want_hdr = true;
		} else if (strcmp(key, "before") == 0 ||
		    strcmp(key, "after") == 0) {
			if (parse_utcdate(json_string_value(v)) < 0)
				return -2;
		} else if (strcmp(key, "minSize") == 0 ||
		    strcmp(key, "maxSize") == 0) {
			if (!json_is_integer(v))
				return -2;
		} else if (strcmp(key, "inMailboxOtherThan") == 0) {
			if (!json_is_array(v))
				return -2;
		} else
			return -1;
	}
	return 0;
}

static bool
match(struct qset *q, struct qmsg *m, json_t *f)
{
	const char *key;
	json_t *v;
	char mbid[32];

	if (f == NULL || json_is_null(f))
		return true;
	if (json_object_get(f, "operator") != NULL) {
		const char *op = json_string_value(json_object_get(f,
		    "operator"));
		json_t *conds = json_object_get(f, "conditions");
		size_t i;

		if (strcmp(op, "AND") == 0) {
			json_array_foreach(conds, i, v)
				if (!match(q, m, v))
					return false;
			return true;
		}
		if (strcmp(op, "OR") == 0) {
			json_array_foreach(conds, i, v)
				if (match(q, m, v))
					return true;
			return false;
		}
		json_array_foreach(conds, i, v)		/* NOT: none */
			if (match(q, m, v))
				return false;
		return true;
	}
	json_object_foreach(f, key, v) {
		const char *s = json_string_value(v);
		bool ok = true;

		if (key[0] == 'i' && strncmp(key, "inMailbox", 9) == 0)
			snprintf(mbid, sizeof(mbid), "M%lld", (long long)m->mb);

		if (strcmp(key, "inMailbox") == 0)
			ok = strcmp(jmap_resolve_id(q->c, s) != NULL ?
			    jmap_resolve_id(q->c, s) : "", mbid) == 0;
		else if (strcmp(key, "inMailboxOtherThan") == 0) {
			size_t i;
			json_t *x;

			json_array_foreach(v, i, x)
				if (json_is_string(x) && strcmp(
				    json_string_value(x), mbid) == 0)
					ok = false;
		} else if (strcmp(key, "hasKeyword") == 0 ||
		    strcmp(key, "allInThreadHaveKeyword") == 0 ||
		    strcmp(key, "someInThreadHaveKeyword") == 0)
			ok = has_keyword(m, s);
		else if (strcmp(key, "notKeyword") == 0 ||
		    strcmp(key, "noneInThreadHaveKeyword") == 0)
			ok = !has_keyword(m, s);
		else if (strcmp(key, "before") == 0)
			ok = m->received < parse_utcdate(s);
		else if (strcmp(key, "after") == 0)
			ok = m->received >= parse_utcdate(s);
		else if (strcmp(key, "minSize") == 0)
			ok = m->size >= (uint64_t)json_integer_value(v);
		else if (strcmp(key, "maxSize") == 0)
			ok = m->size < (uint64_t)json_integer_value(v);
		else if (strcmp(key, "body") == 0)
			ok = body_has(q->c, m, s);
		else {
			read_texts(q->c, m);
			if (strcmp(key, "from") == 0)
				ok = has_text(m->text[STORE_HF_FROM],
				    m->text_len[STORE_HF_FROM], s);
			else if (strcmp(key, "to") == 0)
				ok = has_text(m->text[STORE_HF_TO],
				    m->text_len[STORE_HF_TO], s);
			else if (strcmp(key, "cc") == 0)
				ok = has_text(m->text[STORE_HF_CC],
				    m->text_len[STORE_HF_CC], s);
			else if (strcmp(key, "bcc") == 0)
				ok = false;	/* not cached; rarely kept */
			else if (strcmp(key, "subject") == 0)
				ok = has_text(m->text[STORE_HF_SUBJECT],
				    m->text_len[STORE_HF_SUBJECT], s);
			else if (strcmp(key, "text") == 0)
				ok = has_text(m->text[STORE_HF_FROM],
				    m->text_len[STORE_HF_FROM], s) ||
				    has_text(m->text[STORE_HF_TO],
				    m->text_len[STORE_HF_TO], s) ||
				    has_text(m->text[STORE_HF_CC],
				    m->text_len[STORE_HF_CC], s) ||
				    has_text(m->text[STORE_HF_SUBJECT],
				    m->text_len[STORE_HF_SUBJECT], s) ||
				    body_has(q->c, m, s);
		}
		if (!ok)
			return false;
	}
	return true;
}

/* ---- sorting ---- */

enum skey { SK_RECEIVED, SK_SIZE, SK_SENT, SK_SUBJECT, SK_FROM };

struct sort_spec {
	enum skey	 key;
	bool		 asc;
};
static __thread const struct sort_spec *sort_v;
static __thread size_t sort_n;

static int
cmp_str(const char *a, const char *b)
{
	return strcasecmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
cmp_qmsg(const void *pa, const void *pb)
{
	const struct qmsg *a = pa, *b = pb;
	size_t i;

	for (i = 0; i < sort_n; i++) {
		int r = 0;

		switch (sort_v[i].key) {
		case SK_RECEIVED:
			r = (a->received > b->received) -
			    (a->received < b->received);
			break;
		case SK_SIZE:
			r = (a->size > b->size) - (a->size < b->size);
			break;
		case SK_SENT:
			r = (a->sent > b->sent) - (a->sent < b->sent);
			break;
		case SK_SUBJECT:
			r = cmp_str(a->subject_key, b->subject_key);
			break;
		case SK_FROM:
			r = cmp_str(a->from_key, b->from_key);
			break;
		}
		if (r != 0)
			return sort_v[i].asc ? r : -r;
	}
	/* ties: newest first, as the default order */
	if (a->mb != b->mb)
		return a->mb < b->mb ? -1 : 1;
	return (a->uid < b->uid) - (a->uid > b->uid);
}

static int
cmp_qptr(const void *pa, const void *pb)
{
	const struct qmsg *const *a = pa, *const *b = pb;

	return cmp_qmsg(*a, *b);
}

static void
qswap(const struct qmsg **a, const struct qmsg **b)
{
	const struct qmsg *t = *a;

	*a = *b;
	*b = t;
}

/* Max-heap by cmp_qmsg (the last in order on top) over v[0, n). */
static void
sift_down(const struct qmsg **v, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;

		if (l < n && cmp_qmsg(v[l], v[top]) > 0)
			top = l;
		if (r < n && cmp_qmsg(v[r], v[top]) > 0)
			top = r;
		if (top == i)
			return;
		qswap(&v[i], &v[top]);
		i = top;
	}
}

/*
 * Puts the first k of v[0, n) in order into v[0, k) (the rest in no
 * order): a page near the start of a large mailbox costs O(n log k), not
 * a full sort.
 */
static void
select_first(const struct qmsg **v, size_t n, size_t k)
{
	size_t i;

	if (k >= n / 4) {
		qsort(v, n, sizeof(*v), cmp_qptr);
		return;
	}
	if (k == 0)
		return;
	for (i = k / 2; i-- > 0;)
		sift_down(v, k, i);
	for (i = k; i < n; i++)
		if (cmp_qmsg(v[i], v[0]) < 0) {
			qswap(&v[i], &v[0]);
			sift_down(v, k, 0);
		}
	qsort(v, k, sizeof(*v), cmp_qptr);
}

/* Keeps the first of each thread hash in v[0, n) (order kept); the new
 * count. */
static size_t
collapse(const struct qmsg **v, size_t n)
{
	size_t cap = 16, i, k = 0;
	uint64_t *set;

	while (cap < 2 * n + 2)
		cap *= 2;
	set = xcalloc(cap, sizeof(*set));	/* open addressing, 0 free */
	for (i = 0; i < n; i++) {
		uint64_t h = v[i]->thash;
		size_t at;
		bool seen = false;

		if (h != 0) {
			for (at = h & (cap - 1); set[at] != 0;
			    at = (at + 1) & (cap - 1))
				if (set[at] == h) {
					seen = true;
					break;
				}
			if (seen)
				continue;
			set[at] = h;
		}
		v[k++] = v[i];
	}
	free(set);
	return k;
}

static void
msg_id(const struct qmsg *m, char *buf, size_t n)
{
	snprintf(buf, n, "E%lld-%u", (long long)m->mb, m->uid);
}

/* Email/query's answer for one mailbox by receivedAt, from the snapshot's
 * sorted order. */
static json_t *
page_from_snapshot(struct jmap_ctx *c, const struct jmap_mb *m, bool asc,
    int64_t pos, json_t *janchor, json_t *jaoff, size_t limit,
    json_t *jlimit, const char *state)
{
	struct mbsnap *sn = snap_get(c, m);
	const uint32_t *o;
	json_t *ids, *r;
	size_t i, n;
	char id[64];

	if (sn == NULL)
		return jmap_fail(c, "serverFail", "cannot read the mailbox");
	o = snap_order(sn, asc);
	n = sn->msgs.n;
	if (janchor != NULL && json_is_string(janchor)) {
		int64_t amb;
		uint32_t auid;

		if (!jmap_parse_msgid(json_string_value(janchor), 'E', &amb,
		    &auid) || amb != m->id)
			i = n;
		else
			for (i = 0; i < n; i++)
				if (sn->msgs.v[o[i]].uid == auid)
					break;
		if (i == n) {
			snap_unref(sn);
			return jmap_fail(c, "anchorNotFound", "anchor");
		}
		pos = (int64_t)i + (jaoff != NULL ? json_integer_value(jaoff) :
		    0);
		if (pos < 0)
			pos = 0;
	} else if (pos < 0) {
		pos += (int64_t)n;
		if (pos < 0)
			pos = 0;
	}
	ids = json_array();
	for (i = (size_t)pos; i < n && json_array_size(ids) < limit; i++) {
		snprintf(id, sizeof(id), "E%lld-%u", (long long)m->id,
		    sn->msgs.v[o[i]].uid);
		json_array_append_new(ids, json_string(id));
	}
	r = json_pack("{s:s, s:s, s:b, s:I, s:o, s:I, s:b}", "accountId",
	    jmap_account_id(c), "queryState", state, "canCalculateChanges", 0,
	    "position", (json_int_t)((size_t)pos > n ? n : (size_t)pos),
	    "ids", ids, "total", (json_int_t)n, "collapseThreads", 0);
	if (jlimit != NULL && !json_is_null(jlimit) &&
	    (uint64_t)json_integer_value(jlimit) > JMAP_QUERY_LIMIT_MAX)
		json_object_set_new(r, "limit", json_integer(
		    JMAP_QUERY_LIMIT_MAX));
	snap_unref(sn);
	return r;
}

json_t *
jmap_email_query(struct jmap_ctx *c, json_t *args)
{
	json_t *filter = json_object_get(args, "filter");
	json_t *sort = json_object_get(args, "sort");
	json_t *jpos = json_object_get(args, "position");
	json_t *janchor = json_object_get(args, "anchor");
	json_t *jaoff = json_object_get(args, "anchorOffset");
	json_t *jlimit = json_object_get(args, "limit");
	struct sort_spec specs[8];
	const struct qmsg **ord;
	bool all;
	struct qset q;
	struct buf st;
	json_t *ids, *r, *v;
	size_t nspec = 0, i, nmatch, limit = JMAP_QUERY_LIMIT_MAX;
	int64_t pos = 0;
	int rc;
	const char *in_mb = NULL;

	memset(&q, 0, sizeof(q));
	q.c = c;
	q.want_ids = json_is_true(json_object_get(args, "collapseThreads"));
	if ((rc = filter_check(&q, filter, 0)) < 0)
		return jmap_fail(c, rc == -1 ? "unsupportedFilter" :
		    "invalidArguments", "filter");
	if (sort != NULL && !json_is_null(sort)) {
		if (!json_is_array(sort) || json_array_size(sort) >
		    N_ELEMENTS(specs))
			return jmap_fail(c, "invalidArguments", "sort");
		json_array_foreach(sort, i, v) {
			const char *p = json_string_value(json_object_get(v,
			    "property"));
			json_t *asc = json_object_get(v, "isAscending");

			if (p == NULL)
				return jmap_fail(c, "invalidArguments", "sort");
			if (strcmp(p, "receivedAt") == 0)
				specs[nspec].key = SK_RECEIVED;
			else if (strcmp(p, "size") == 0)
				specs[nspec].key = SK_SIZE;
			else if (strcmp(p, "sentAt") == 0)
				specs[nspec].key = SK_SENT;
			else if (strcmp(p, "subject") == 0)
				specs[nspec].key = SK_SUBJECT;
			else if (strcmp(p, "from") == 0)
				specs[nspec].key = SK_FROM;
			else
				return jmap_fail(c, "unsupportedSort",
				    "%.100s", p);
			if (specs[nspec].key != SK_RECEIVED &&
			    specs[nspec].key != SK_SIZE)
				q.want_hdr = true;
			specs[nspec].asc = asc == NULL || json_is_true(asc);
			nspec++;
		}
	}
	if (jpos != NULL && !json_is_null(jpos)) {
		if (!json_is_integer(jpos))
			return jmap_fail(c, "invalidArguments", "position");
		pos = json_integer_value(jpos);
	}
	if (jlimit != NULL && !json_is_null(jlimit)) {
		if (!json_is_integer(jlimit) || json_integer_value(jlimit) < 0)
			return jmap_fail(c, "invalidArguments", "limit");
		if ((uint64_t)json_integer_value(jlimit) < limit)
			limit = (size_t)json_integer_value(jlimit);
	}
	if (janchor != NULL && !json_is_null(janchor) &&
	    !json_is_string(janchor))
		return jmap_fail(c, "invalidArguments", "anchor");
	if (jaoff != NULL && !json_is_null(jaoff) && !json_is_integer(jaoff))
		return jmap_fail(c, "invalidArguments", "anchorOffset");
	buf_init(&st, 1024 * 1024);
	if (jmap_state(c, 'E', &st) < 0) {
		buf_free(&st);
		return NULL;
	}
	/* only the mailbox of a top-level inMailbox condition is read */
	if (json_is_object(filter) && json_object_get(filter,
	    "operator") == NULL)
		in_mb = json_string_value(json_object_get(filter, "inMailbox"));
	if (nspec == 0) {
		specs[0].key = SK_RECEIVED;	/* newest first */
		specs[0].asc = false;
		nspec = 1;
	}
	/* the common page (a mailbox by date) from the snapshot's order */
	if (in_mb != NULL && json_object_size(filter) == 1 && !q.want_ids &&
	    !q.want_hdr && nspec == 1 && specs[0].key == SK_RECEIVED &&
	    jmap_resolve_id(c, in_mb) != NULL &&
	    (rc = jmap_mb_by_jid(c, jmap_resolve_id(c, in_mb))) >= 0 &&
	    !c->mbs[rc].st.noselect) {
		r = page_from_snapshot(c, &c->mbs[rc], specs[0].asc, pos,
		    janchor, jaoff, limit, jlimit, buf_cstr(&st));
		buf_free(&st);
		return r;
	}
	q.snapcap = c->nmbs;
	q.snap = xcalloc(c->nmbs + 1, sizeof(*q.snap));
	for (i = 0; i < c->nmbs; i++) {
		char mbid[32];

		snprintf(mbid, sizeof(mbid), "M%lld", (long long)c->mbs[i].id);
		if (in_mb != NULL && (jmap_resolve_id(c, in_mb) == NULL ||
		    strcmp(jmap_resolve_id(c, in_mb), mbid) != 0))
			continue;
		if (c->mbs[i].st.noselect)
			continue;
		if (load_mailbox(&q, &c->mbs[i]) < 0) {
			qset_free(&q);
			buf_free(&st);
			return jmap_fail(c, "serverFail", "cannot read the "
			    "mailbox");
		}
	}
	/* a lone inMailbox condition: the mailbox read is the answer */
	all = in_mb != NULL && json_object_size(filter) == 1;
	ord = xcalloc(q.n + 1, sizeof(*ord));
	nmatch = 0;
	for (i = 0; i < q.n; i++)
		if (all || match(&q, &q.v[i], filter))
			ord[nmatch++] = &q.v[i];
	sort_v = specs;
	sort_n = nspec;
	if (q.want_ids) {
		/* collapseThreads: the first of each thread in this order
		 * stands for it */
		qsort(ord, nmatch, sizeof(*ord), cmp_qptr);
		nmatch = collapse(ord, nmatch);
	} else if (janchor == NULL || json_is_null(janchor)) {
		size_t k;

		/* the page is all that is listed; total counts the rest */
		if (pos >= 0 && (uint64_t)pos < nmatch &&
		    limit < nmatch - (size_t)pos)
			k = (size_t)pos + limit;
		else
			k = nmatch;
		select_first(ord, nmatch, k);
	} else
		qsort(ord, nmatch, sizeof(*ord), cmp_qptr);
	if (janchor != NULL && json_is_string(janchor)) {
		const char *a = json_string_value(janchor);
		char id[64];

		for (i = 0; i < nmatch; i++) {
			msg_id(ord[i], id, sizeof(id));
			if (strcmp(id, a) == 0)
				break;
		}
		if (i == nmatch) {
			free(ord);
			qset_free(&q);
			buf_free(&st);
			return jmap_fail(c, "anchorNotFound", "anchor");
		}
		pos = (int64_t)i + (jaoff != NULL ? json_integer_value(jaoff) :
		    0);
		if (pos < 0)
			pos = 0;
	} else if (pos < 0) {
		pos += (int64_t)nmatch;
		if (pos < 0)
			pos = 0;
	}
	ids = json_array();
	for (i = (size_t)pos; i < nmatch && json_array_size(ids) < limit;
	    i++) {
		char id[64];

		msg_id(ord[i], id, sizeof(id));
		json_array_append_new(ids, json_string(id));
	}
	r = json_pack("{s:s, s:s, s:b, s:I, s:o, s:I}", "accountId",
	    jmap_account_id(c), "queryState", buf_cstr(&st),
	    "canCalculateChanges", 0, "position",
	    (json_int_t)((size_t)pos > nmatch ? nmatch : (size_t)pos), "ids",
	    ids, "total", (json_int_t)nmatch);
	json_object_set_new(r, "collapseThreads", json_boolean(q.want_ids));
	if (jlimit != NULL && !json_is_null(jlimit) &&
	    (uint64_t)json_integer_value(jlimit) > JMAP_QUERY_LIMIT_MAX)
		json_object_set_new(r, "limit", json_integer(
		    JMAP_QUERY_LIMIT_MAX));
	free(ord);
	qset_free(&q);
	buf_free(&st);
	return r;
}

json_t *
jmap_email_query_changes(struct jmap_ctx *c, json_t *args)
{
	if (json_string_value(json_object_get(args, "sinceQueryState")) ==
	    NULL)
		return jmap_fail(c, "invalidArguments", "sinceQueryState");
	return jmap_fail(c, "cannotCalculateChanges", "query results are not "
	    "tracked: run the query again");
}

/* ---- SearchSnippet/get ---- */

/* The search terms of a filter (text, subject, body) into terms. */
static void
collect_terms(json_t *f, json_t *terms, int depth)
{
	json_t *v;
	size_t i;
	static const char *const keys[] = { "text", "subject", "body" };

	if (!json_is_object(f) || depth > JMAP_JSON_DEPTH_MAX)
		return;
	json_array_foreach(json_object_get(f, "conditions"), i, v)
		collect_terms(v, terms, depth + 1);
	for (i = 0; i < N_ELEMENTS(keys); i++)
		if (json_is_string(json_object_get(f, keys[i])))
			json_array_append(terms, json_object_get(f, keys[i]));
}

/* text with every term marked: HTML-escaped, <mark>...</mark>. */
static json_t *
highlight(const char *text, json_t *terms, bool window)
{
	struct buf out, seg;
	const char *p = text, *start = text;
	size_t i;
	json_t *v;
	bool any = false;

	if (window) {
		/* begin some characters before the first match */
		const char *first = NULL;

		json_array_foreach(terms, i, v) {
			const char *hit = strcasestr(text, json_string_value(v));

			if (hit != NULL && (first == NULL || hit < first))
				first = hit;
		}
		if (first == NULL)
			return json_null();
		start = first - text > 40 ? first - 40 : text;
		while (start > text && ((unsigned char)*start & 0xc0) == 0x80)
			start--;
	}
	buf_init(&out, 4096);
	buf_init(&seg, 4096);
	for (p = start; *p != '\0' && (!window || p - start < 255);) {
		size_t best = 0;

		json_array_foreach(terms, i, v) {
			size_t l = strlen(json_string_value(v));

			if (l > best && strncasecmp(p, json_string_value(v),
			    l) == 0)
				best = l;
		}
		if (best > 0) {
			buf_reset(&seg);
			buf_append(&seg, p, best);
			buf_puts(&out, "<mark>");
			http_html_escape(&out, buf_cstr(&seg));
			buf_puts(&out, "</mark>");
			p += best;
			any = true;
			continue;
		}
		buf_reset(&seg);
		buf_putc(&seg, *p++);
		http_html_escape(&out, buf_cstr(&seg));
	}
	buf_free(&seg);
	if (!any && !window) {
		buf_free(&out);
		return json_null();
	}
	v = json_stringn(out.data != NULL ? out.data : "", out.len);
	buf_free(&out);
	return v != NULL ? v : json_null();
}

json_t *
jmap_snippet_get(struct jmap_ctx *c, json_t *args)
{
	json_t *ids = json_object_get(args, "emailIds");
	json_t *terms, *list, *nf, *v, *r;
	size_t i;

	if (!json_is_array(ids))
		return jmap_fail(c, "invalidArguments", "emailIds");
	if (json_array_size(ids) > JMAP_GET_MAX)
		return jmap_fail(c, "requestTooLarge", "more than %d ids",
		    JMAP_GET_MAX);
	terms = json_array();
	collect_terms(json_object_get(args, "filter"), terms, 0);
	list = json_array();
	nf = json_array();
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		int64_t mb;
		uint32_t uid;
		struct buf data, hv, subj, text;
		struct error err;
		struct mime_message *mm;
		const struct mime_part *p;

		id = id != NULL ? jmap_resolve_id(c, id) : NULL;
		if (!jmap_parse_msgid(id, 'E', &mb, &uid)) {
			json_array_append(nf, v);
			continue;
		}
		buf_init(&data, STORE_MESSAGE_MAX);
		if (store_fetch(c->store, mb, uid, 0, UINT64_MAX, &data,
		    &err) < 0) {
			buf_free(&data);
			json_array_append(nf, v);
			continue;
		}
		mm = mime_parse(buf_cstr(&data), data.len);
		buf_init(&hv, MIME_HEADER_VALUE_MAX);
		buf_init(&subj, MIME_HEADER_VALUE_MAX);
		buf_init(&text, STORE_MESSAGE_MAX);
		if (mime_header_get(mm->data, mm->root->hdr_off,
		    mm->root->hdr_len, "Subject", &hv))
			jmap_decode_words(buf_cstr(&hv), hv.len, &subj);
		for (p = mm->root; p != NULL && p->is_multipart; p = p->child)
			;
		if (p != NULL && strcasecmp(p->type, "text") == 0)
			jmap_part_text(mm, p, &text);
		json_array_append_new(list, json_pack("{s:s, s:o, s:o}",
		    "emailId", id, "subject", highlight(buf_cstr(&subj), terms,
		    false), "preview", highlight(buf_cstr(&text), terms,
		    true)));
		buf_free(&hv);
		buf_free(&subj);
		buf_free(&text);
		mime_free(&mm);
		buf_free(&data);
	}
	r = json_pack("{s:s, s:o, s:o}", "accountId", jmap_account_id(c),
	    "list", list, "notFound", nf);
	json_decref(terms);
	return r;
}
