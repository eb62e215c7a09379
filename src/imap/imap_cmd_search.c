/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_search.c: SEARCH (RFC 3501 6.4.4) with ESEARCH result options
 * (RFC 4731: RETURN (MIN MAX COUNT ALL)), SORT and THREAD (RFC 5256).  The
 * key tree is evaluated over the view; the raw message is read only for
 * header and text keys.  Header keys on cached fields, SENT* dates, SORT
 * and THREAD read the store's header field cache (store_hdrcache.c, rows
 * made by imap_hdrcache.c); messages without a usable row have their
 * header block read, as every message's was before the cache.
 */
#include "lib/compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "imap/imap_private.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"

#define RET_MIN		SEARCH_RET_MIN
#define RET_MAX		SEARCH_RET_MAX
#define RET_COUNT	SEARCH_RET_COUNT
#define RET_ALL		SEARCH_RET_ALL

struct loader {
	struct imap_session *s;
	uint32_t	 uid;
	struct buf	 raw;
	bool		 ok;
};

static const struct buf *
load_msg(void *arg)
{
	struct loader *l = arg;

	l->ok = store_fetch(l->s->store, l->s->mbox_id, l->uid, 0, UINT64_MAX,
	    &l->raw, NULL) == 0;
	return l->ok ? &l->raw : NULL;
}

/*
 * Messages read per store query when SEARCH, SORT and THREAD need the header
 * blocks of many messages: one query (one read transaction) returns the rows
 * and the inline header bytes of a whole batch, instead of one store_fetch()
 * per message; the batch bounds the memory held at once.
 */
#define HEADER_BATCH	1000

typedef void header_fn(void *arg, size_t i, const struct store_msg *m,
    const struct buf *hdr);

/*
 * Calls fn(arg, i, row, header) for each view message idx[i] (idx
 * ascending, i < n) that the store still has; header is its header block
 * (hdr_size bytes), or NULL when it could not be read.  Headers of bodies
 * kept in files are read one by one.  -1 with err_r on a store error.
 */
static int
each_header(struct imap_session *s, const size_t *idx, size_t n,
    header_fn *fn, void *arg, struct error *err_r)
{
	struct store_uidrange *rs;
	struct store_msg_extra *x;
	struct store_msgs r;
	struct buf one, view;
	size_t i, end, j, k, nr;
	int rc = 0;

	rs = xcalloc(HEADER_BATCH, sizeof(*rs));
	buf_init(&one, IMAP_FETCH_MAX);
	for (i = 0; i < n && rc == 0; i = end) {
		end = n - i > HEADER_BATCH ? i + HEADER_BATCH : n;
		/* neighbours in the view make one UID range */
		nr = 0;
		for (j = i; j < end; j++) {
			uint32_t uid = s->msgs[idx[j]].uid;

			if (nr > 0 && idx[j] == idx[j - 1] + 1)
				rs[nr - 1].hi = uid;
			else
				rs[nr++] = (struct store_uidrange){ uid, uid };
		}
		if (store_messages_with(s->store, s->mbox_id, rs, nr,
		    STORE_WITH_HEADER, &r, &x, err_r) < 0) {
			rc = -1;
			break;
		}
		/* rows ascend by UID, as idx does; rows the view does not
		 * hold between two neighbours (new mail) are skipped */
		j = i;
		for (k = 0; k < r.n; k++) {
			const struct store_msg *m = &r.v[k];
			const struct buf *hdr = NULL;

			while (j < end && s->msgs[idx[j]].uid < m->uid)
				j++;
			if (j >= end)
				break;
			if (s->msgs[idx[j]].uid != m->uid)
				continue;
			/* a borrowed view of the bytes; nobody writes it */
			memset(&view, 0, sizeof(view));
			if (x[k].header != NULL) {
				view.data = x[k].header;
				view.len = (size_t)m->hdr_size;
				hdr = &view;
			} else {
				buf_reset(&one);
				if (store_fetch(s->store, s->mbox_id, m->uid, 0,
				    m->hdr_size, &one, NULL) == 0) {
					view.data = (char *)(uintptr_t)
					    buf_cstr(&one);
					view.len = one.len;
					hdr = &view;
				}
			}
			view.cap = view.max = view.len;
			fn(arg, j, m, hdr);
		}
		store_msg_extra_free(x, r.n);
		store_msgs_free(&r);
	}
	buf_free(&one);
	free(rs);
	return rc;
}

/* Skips "CHARSET x"; -1 (reply set) for an unsupported charset. */
static int
skip_charset(struct imap_session *s, const struct imap_arg *a, size_t n,
    size_t *ip, bool required)
{
	struct error err;

	if (required || (*ip + 1 < n && imap_arg_is_atom(&a[*ip], "CHARSET"))) {
		if (!required)
			(*ip)++;
		if (*ip >= n)
			return imap_bad(s, "Missing charset");
		if (imap_search_charset(&a[(*ip)++], &err) < 0)
			return err.kind == ERR_SYNTAX ? imap_bad(s, "%s",
			    err.msg) : imap_no(s, "[BADCHARSET (US-ASCII "
			    "UTF-8)] %s", err.msg);
	}
	return 0;
}

/* The UID ranges of view messages idx[0, n) (ascending): neighbours in
 * the view make one range.  Allocated. */
static size_t
view_ranges(const struct imap_session *s, const size_t *idx, size_t n,
    struct store_uidrange **rs_r)
{
	struct store_uidrange *rs = xcalloc(n + 1, sizeof(*rs));
	size_t j, nr = 0;

	for (j = 0; j < n; j++) {
		uint32_t uid = s->msgs[idx[j]].uid;

		if (nr > 0 && idx[j] == idx[j - 1] + 1)
			rs[nr - 1].hi = uid;
		else
			rs[nr++] = (struct store_uidrange){ uid, uid };
	}
	*rs_r = rs;
	return nr;
}

/* The cache columns the INFO_* fields in want are made from. */
static unsigned
info_cols(unsigned want)
{
	unsigned c = 0;

	if (want & INFO_DATE)
		c |= STORE_HC_DATE;
	if (want & INFO_FROM)
		c |= STORE_HC_FROM_KEY;
	if (want & INFO_TO)
		c |= STORE_HC_TO_KEY;
	if (want & INFO_CC)
		c |= STORE_HC_CC_KEY;
	if (want & INFO_SUBJECT)
		c |= STORE_HC_SUBJECT;
	if (want & INFO_IDS)
		c |= STORE_HC_IDS;
	return c;
}

/* SEARCH with header keys only: each_header()'s callback and the header
 * cache's (store_hdrcache_each()).  hit[vi] for each match; for SORT and
 * THREAD (info not NULL) also the sort facts of each match, read in the
 * same pass. */
struct hdr_search {
	struct imap_session *s;
	const struct search_key *root;
	const size_t	*cand;		/* the candidates' view indices */
	bool		*hit;		/* per view index */
	bool		*done;		/* per view index: evaluated */
	struct sort_info *info;		/* per view index, or NULL */
	unsigned	 want;		/* INFO_* for info */
	size_t		 rows;		/* cache rows seen, usable or not */
};

static void
hdr_search_msg(struct hdr_search *hs, size_t vi, struct search_msg *sm,
    uint32_t uid, uint64_t size, int64_t internaldate)
{
	const struct imap_view_msg *vm = &hs->s->msgs[vi];

	sm->seq = (uint32_t)vi + 1;
	sm->uid = uid;
	sm->flags = vm->flags;
	sm->keywords = vm->keywords;
	sm->recent = vm->recent;
	sm->size = size;
	sm->modseq = vm->modseq;
	sm->internaldate = internaldate;
	hs->hit[vi] = imap_search_match(hs->root, sm) != 0;
	hs->done[vi] = true;
}

static void
hdr_search_one(void *arg, size_t i, const struct store_msg *m,
    const struct buf *hdr)
{
	struct hdr_search *hs = arg;
	struct search_msg sm;

	memset(&sm, 0, sizeof(sm));
	sm.hdr_size = m->hdr_size;
	sm.raw = hdr;		/* NULL: as a message that cannot be read */
	hdr_search_msg(hs, hs->cand[i], &sm, m->uid, m->size,
	    m->internaldate);
	if (hs->info != NULL && hs->hit[hs->cand[i]]) {
		struct sort_info *si = &hs->info[hs->cand[i]];

		si->arrival = si->date = m->internaldate;
		si->size = m->size;
		if (hdr != NULL)
			imap_hdr_sort_info(si, buf_cstr(hdr), hdr->len,
			    hs->want);
	}
}

static int
hdr_search_cached(void *arg, const struct store_hdrrow *row)
{
	struct hdr_search *hs = arg;
	struct search_msg sm;
	ssize_t vi;

	vi = imap_view_find(hs->s, row->uid);
	if (vi < 0 || hs->s->msgs[vi].expunged)
		return 0;		/* not in the view */
	hs->rows++;
	if (!row->f.ok)
		return 0;		/* read uncached */
	memset(&sm, 0, sizeof(sm));
	sm.hc = &row->f;
	hdr_search_msg(hs, (size_t)vi, &sm, row->uid, row->size,
	    row->internaldate);
	if (hs->info != NULL && hs->hit[vi]) {
		struct sort_info *si = &hs->info[vi];

		si->arrival = si->date = row->internaldate;
		si->size = row->size;
		imap_hdrcache_sort_info(si, &row->f, hs->want);
	}
	return 0;
}

/* The candidates idx[0, n) not yet done, compacted in place; their count. */
static size_t
not_done(size_t *idx, size_t n, const bool *done)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!done[idx[i]])
			idx[k++] = idx[i];
	return k;
}

/*
 * One pass over the header cache for view messages idx[0, n): on the second
 * pass, first fill the rows the mailbox lacks -- unless every message left
 * already has a row (*rows == n: some are unusable, a fill would not help).
 * fn counts in *rows the rows it was handed.  Returns 1 when the caller
 * should stop using the cache (nothing to fill, or the fill failed: the
 * answer then comes from the headers), 0 after a pass, -1 on error.
 */
static int
cache_pass(struct imap_session *s, int pass, const size_t *idx, size_t n,
    unsigned cols, int (*fn)(void *arg, const struct store_hdrrow *row),
    void *arg, size_t *rows, struct error *err_r)
{
	struct store_uidrange *rs;
	struct error ferr;
	size_t nr;
	int r;

	if (pass == 1 && *rows == n)
		return 1;
	if (pass == 1 && store_hdrcache_fill(s->store, s->mbox_id,
	    &ferr) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "header cache fill: %s",
		    ferr.msg);
		return 1;
	}
	nr = view_ranges(s, idx, n, &rs);
	*rows = 0;
	r = store_hdrcache_each(s->store, s->mbox_id, rs, nr, cols, fn, arg,
	    err_r);
	free(rs);
	return r < 0 ? -1 : 0;
}

/*
 * Header keys over the view's messages idx[0, n): from the store's header
 * cache when the keys allow it (filling the rows the mailbox lacks, in
 * batches), from the header blocks for the rest.  hs->hit and hs->done
 * must hold s->nmsgs entries.  idx is reordered.
 */
static int
hdr_search(struct imap_session *s, struct hdr_search *hs, size_t *idx,
    size_t n, struct error *err_r)
{
	int pass, r;

	for (pass = 0; pass < 2 && n > 0 &&
	    imap_search_cacheable(hs->root); pass++) {
		r = cache_pass(s, pass, idx, n,
		    imap_search_cache_cols(hs->root) | (hs->info != NULL ?
		    info_cols(hs->want) : 0), hdr_search_cached, hs,
		    &hs->rows, err_r);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		n = not_done(idx, n, hs->done);
	}
	hs->cand = idx;
	return each_header(s, idx, n, hdr_search_one, hs, err_r);
}

/* True when the tree has a LARGER or SMALLER key: the header cache rows
 * carry the sizes and are read faster than the message rows. */
static bool
has_size_key(const struct search_key *k)
{
	size_t i;

	if (k->kind == SK_LARGER || k->kind == SK_SMALLER)
		return true;
	for (i = 0; i < k->nsub; i++)
		if (has_size_key(&k->sub[i]))
			return true;
	return false;
}

/*
 * Runs the keys over the view: matching indices into *idx_r.  info_r
 * not NULL: for SORT and THREAD, which need the sort facts (INFO_* in
 * want) of the matches: keys that need no header are evaluated over the
 * header cache's rows too, and when they were, *info_r (else NULL) gets
 * the facts of every match, per view index (free with
 * imap_sort_info_free(*info_r, s->nmsgs)).
 */
static int
run_search(struct imap_session *s, const struct imap_arg *a, size_t n,
    unsigned want, struct sort_info **info_r, size_t **idx_r, size_t *n_r,
    bool *modseq_r, uint64_t *maxmodseq_r)
{
	struct search_key root;
	struct store_msgs all;
	struct search_msg sm;
	struct loader ld;
	struct error err;
	size_t i, k = 0, *idx;
	ssize_t vi;
	uint32_t maxuid = s->nmsgs > 0 ? s->msgs[s->nmsgs - 1].uid : 0;

	*idx_r = NULL;
	*n_r = 0;
	*maxmodseq_r = 0;
	if (info_r != NULL)
		*info_r = NULL;
	if (n == 0)
		return imap_bad(s, "Missing search keys");
	if (imap_search_parse(a, n, (uint32_t)s->nmsgs, maxuid, &root,
	    &err) < 0)
		return imap_bad(s, "%s", err.msg);
	*modseq_r = imap_search_has_modseq(&root);
	if (*modseq_r)
		imap_condstore_enable(s);
	if (imap_search_needs(&root) == SEARCH_NEEDS_HEADER ||
	    (imap_search_needs(&root) == 0 && (info_r != NULL ||
	    has_size_key(&root)))) {
		/* header and size keys only: the header cache, or the
		 * header blocks in batches */
		struct hdr_search hs = { s, &root, NULL, NULL, NULL, NULL,
		    want, 0 };

		if (info_r != NULL)
			hs.info = xcalloc(s->nmsgs + 1, sizeof(*hs.info));
		hs.hit = xcalloc(s->nmsgs + 1, sizeof(*hs.hit));
		hs.done = xcalloc(s->nmsgs + 1, sizeof(*hs.done));
		idx = xcalloc(s->nmsgs + 1, sizeof(*idx));
		for (i = 0; i < s->nmsgs; i++)
			if (!s->msgs[i].expunged)
				idx[k++] = i;
		if (hdr_search(s, &hs, idx, k, &err) < 0) {
			free(idx);
			free(hs.hit);
			free(hs.done);
			if (hs.info != NULL)
				imap_sort_info_free(hs.info, s->nmsgs);
			imap_search_free(&root);
			return imap_no_err(s, "SEARCH", &err);
		}
		for (i = k = 0; i < s->nmsgs; i++)
			if (hs.hit[i]) {
				idx[k++] = i;
				if (s->msgs[i].modseq > *maxmodseq_r)
					*maxmodseq_r = s->msgs[i].modseq;
			}
		free(hs.hit);
		free(hs.done);
		imap_search_free(&root);
		*idx_r = idx;
		*n_r = k;
		if (info_r != NULL)
			*info_r = hs.info;
		return 0;
	}
	if (store_messages(s->store, s->mbox_id, NULL, 0, &all, &err) < 0) {
		imap_search_free(&root);
		return imap_no_err(s, "SEARCH", &err);
	}
	idx = xcalloc(s->nmsgs + 1, sizeof(*idx));
	memset(&ld, 0, sizeof(ld));
	ld.s = s;
	buf_init(&ld.raw, IMAP_FETCH_MAX);
	for (i = 0; i < all.n; i++) {
		vi = imap_view_find(s, all.v[i].uid);
		if (vi < 0 || s->msgs[vi].expunged)
			continue;
		memset(&sm, 0, sizeof(sm));
		sm.seq = (uint32_t)vi + 1;
		sm.uid = all.v[i].uid;
		sm.flags = s->msgs[vi].flags;
		sm.keywords = s->msgs[vi].keywords;
		sm.recent = s->msgs[vi].recent;
		sm.size = all.v[i].size;
		sm.modseq = s->msgs[vi].modseq;
		sm.internaldate = all.v[i].internaldate;
		sm.hdr_size = all.v[i].hdr_size;
		sm.load = load_msg;
		sm.arg = &ld;
		ld.uid = sm.uid;
		buf_reset(&ld.raw);
		if (imap_search_match(&root, &sm)) {
			idx[k++] = (size_t)vi;
			if (sm.modseq > *maxmodseq_r)
				*maxmodseq_r = sm.modseq;
		}
	}
	buf_free(&ld.raw);
	store_msgs_free(&all);
	imap_search_free(&root);
	*idx_r = idx;
	*n_r = k;
	return 0;
}

/* The tagged reply after a streamed result: never OK when it was cut. */
static int
results_sent(struct imap_session *s, const char *cmd, int rc, size_t n)
{
	if (rc < 0) {
		log_ses(&s->log, LOG_FAILURE, "%s: the response with %zu "
		    "results could not be sent", cmd, n);
		return imap_no(s, "[SERVERBUG] %s response could not be "
		    "sent", cmd);
	}
	return imap_ok(s, "%s completed", cmd);
}

int
cmd_search(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	int rc;
	unsigned ret = 0;
	bool esearch = false, modseq;
	uint64_t maxmod;
	size_t i = 0, j, *idx, nidx;
	uint32_t *nums;
	struct buf b;

	/* RFC 4731: SEARCH RETURN (...) keys */
	if (n >= 2 && imap_arg_is_atom(&a[0], "RETURN") &&
	    a[1].type == IMAP_ARG_LIST) {
		struct error err;

		esearch = true;
		if (imap_search_return(&a[1], &ret, &err) < 0)
			return imap_bad(s, "%s", err.msg);
		i = 2;
	}
	if (skip_charset(s, a, n, &i, false) < 0)
		return -1;
	if (run_search(s, a + i, n - i, 0, NULL, &idx, &nidx, &modseq,
	    &maxmod) < 0)
		return -1;
	nums = xcalloc(nidx + 1, sizeof(*nums));
	for (j = 0; j < nidx; j++)
		nums[j] = s->uid_cmd ? s->msgs[idx[j]].uid : (uint32_t)idx[j] + 1;
	/* any length: written in pieces */
	buf_init(&b, IMAP_OUT_BUF);
	if (esearch) {
		buf_printf(&b, "* ESEARCH (TAG \"%s\")%s", s->tag,
		    s->uid_cmd ? " UID" : "");
		if ((ret & RET_MIN) && nidx > 0)
			buf_printf(&b, " MIN %u", nums[0]);
		if ((ret & RET_MAX) && nidx > 0)
			buf_printf(&b, " MAX %u", nums[nidx - 1]);
		if (ret & RET_COUNT)
			buf_printf(&b, " COUNT %zu", nidx);
		if ((ret & RET_ALL) && nidx > 0) {
			buf_puts(&b, " ALL ");
			imap_stream_seqset(s, &b, nums, nidx);
		}
		if (modseq && nidx > 0 && !(ret & (RET_ALL | RET_COUNT))) {
			/* RFC 4731 3.2: with only MIN and/or MAX, the
			 * highest mod-sequence of the messages returned */
			maxmod = 0;
			if (ret & RET_MIN)
				maxmod = s->msgs[idx[0]].modseq;
			if ((ret & RET_MAX) &&
			    s->msgs[idx[nidx - 1]].modseq > maxmod)
				maxmod = s->msgs[idx[nidx - 1]].modseq;
		}
		if (modseq && nidx > 0)
			buf_printf(&b, " MODSEQ %llu",
			    (unsigned long long)maxmod);
	} else {
		buf_puts(&b, "* SEARCH");
		for (j = 0; j < nidx; j++) {
			buf_printf(&b, " %u", nums[j]);
			if (imap_stream(s, &b) < 0)
				break;
		}
		if (modseq && nidx > 0)
			buf_printf(&b, " (MODSEQ %llu)",
			    (unsigned long long)maxmod);
	}
	rc = imap_stream_end(s, &b);
	buf_free(&b);
	free(nums);
	free(idx);
	return results_sent(s, "SEARCH", rc, nidx);
}

/* ---- SORT / THREAD ---- */

static unsigned
info_wanted(const struct sort_crit *crit, size_t ncrit)
{
	unsigned want = 0;
	size_t i;

	for (i = 0; i < ncrit; i++)
		switch (crit[i].key) {
		case SORT_CC:
			want |= INFO_CC;
			break;
		case SORT_DATE:
			want |= INFO_DATE;
			break;
		case SORT_FROM:
			want |= INFO_FROM;
			break;
		case SORT_SUBJECT:
			want |= INFO_SUBJECT;
			break;
		case SORT_TO:
			want |= INFO_TO;
			break;
		case SORT_ARRIVAL:
		case SORT_SIZE:
			break;
		}
	return want;
}

struct info_batch {
	struct imap_session *s;
	struct sort_info *v;
	unsigned	 want;		/* INFO_* */
	const size_t	*idx;		/* v[j] is view message idx[j] */
	size_t		 n;
	bool		*done;		/* per j */
	const size_t	*pos;		/* each_header()'s i to j */
	size_t		 rows;		/* cache rows seen, usable or not */
};

static void
info_one(void *arg, size_t i, const struct store_msg *m, const struct buf *hdr)
{
	struct info_batch *ib = arg;
	struct sort_info *v = ib->v;

	i = ib->pos[i];
	v[i].arrival = v[i].date = m->internaldate;
	v[i].size = m->size;
	if (hdr != NULL)
		imap_hdr_sort_info(&v[i], buf_cstr(hdr), hdr->len, ib->want);
}

/* store_hdrcache_each()'s callback: a cached row into v[j]. */
static int
info_cached(void *arg, const struct store_hdrrow *row)
{
	struct info_batch *ib = arg;
	size_t lo = 0, hi = ib->n, j;

	/* idx ascends, and so do its UIDs */
	while (lo < hi) {
		j = lo + (hi - lo) / 2;
		if (ib->s->msgs[ib->idx[j]].uid < row->uid)
			lo = j + 1;
		else
			hi = j;
	}
	if (lo >= ib->n || ib->s->msgs[ib->idx[lo]].uid != row->uid ||
	    ib->done[lo])
		return 0;
	ib->rows++;
	if (!row->f.ok)
		return 0;
	j = lo;
	ib->v[j].arrival = ib->v[j].date = row->internaldate;
	ib->v[j].size = row->size;
	imap_hdrcache_sort_info(&ib->v[j], &row->f, ib->want);
	ib->done[j] = true;
	return 0;
}

/*
 * The sort facts of view messages idx[0, nidx): from the store's header
 * cache (filling the rows the mailbox lacks, in batches), from the header
 * blocks for messages it has no usable row for.
 */
static int
gather_info(struct imap_session *s, const size_t *idx, size_t nidx,
    unsigned want, struct sort_info **v_r)
{
	struct sort_info *v = xcalloc(nidx + 1, sizeof(*v));
	struct info_batch ib = { s, v, want, idx, nidx, NULL, NULL, 0 };
	struct error err;
	size_t i, k, nr, *rest, *pos;
	int pass, r, rc;

	for (i = 0; i < nidx; i++) {
		v[i].seq = (uint32_t)idx[i] + 1;
		v[i].num = s->uid_cmd ? s->msgs[idx[i]].uid : v[i].seq;
	}
	ib.done = xcalloc(nidx + 1, sizeof(*ib.done));
	rest = xcalloc(nidx + 1, sizeof(*rest));
	pos = xcalloc(nidx + 1, sizeof(*pos));
	for (i = 0; i < nidx; i++) {
		rest[i] = idx[i];
		pos[i] = i;
	}
	k = nidx;
	rc = 0;
	for (pass = 0; pass < 2 && k > 0; pass++) {
		r = cache_pass(s, pass, rest, k, info_cols(want), info_cached,
		    &ib, &ib.rows, &err);
		if (r < 0)
			rc = -1;
		if (r != 0)
			break;
		for (i = nr = 0; i < k; i++)
			if (!ib.done[pos[i]]) {
				rest[nr] = rest[i];
				pos[nr++] = pos[i];
			}
		k = nr;
	}
	ib.pos = pos;
	if (rc == 0)
		rc = each_header(s, rest, k, info_one, &ib, &err);
	free(ib.done);
	free(rest);
	free(pos);
	if (rc < 0) {
		imap_sort_info_free(v, nidx);
		return imap_no_err(s, "SORT", &err);
	}
	*v_r = v;
	return 0;
}

/* SORT and THREAD: the charset at a[i] (required), then the search keys;
 * the sort information (the INFO_* fields in want) of the matching
 * messages.  -1 with the reply set. */
static int
search_info(struct imap_session *s, const struct imap_arg *a, size_t n,
    size_t i, unsigned want, struct sort_info **v_r, size_t *n_r)
{
	struct sort_info *info;
	size_t *idx, nidx, j;
	bool modseq;
	uint64_t maxmod;
	int rc;

	if (skip_charset(s, a, n, &i, true) < 0)
		return -1;
	if (run_search(s, a + i, n - i, want, &info, &idx, &nidx, &modseq,
	    &maxmod) < 0)
		return -1;
	if (info != NULL) {
		/*
		 * The search read them already: the matches' facts move to
		 * the front, in place (idx ascends and idx[j] >= j, so each
		 * place is read before it is written); the places behind
		 * nidx then hold moved or empty entries and are not freed.
		 */
		for (j = 0; j < nidx; j++) {
			if (idx[j] != j)
				info[j] = info[idx[j]];
			info[j].seq = (uint32_t)idx[j] + 1;
			info[j].num = s->uid_cmd ? s->msgs[idx[j]].uid :
			    info[j].seq;
		}
		*v_r = info;
		rc = 0;
	} else
		rc = gather_info(s, idx, nidx, want, v_r);
	free(idx);
	*n_r = nidx;
	return rc;
}

int
cmd_sort(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct sort_crit crit[IMAP_SORT_KEYS_MAX];
	struct sort_info *v;
	size_t ncrit, j, nidx;
	struct error err;
	struct buf b;
	int rc;

	if (n < 3)
		return imap_bad(s, "SORT expects criteria, a charset and keys");
	if (imap_sort_criteria(&a[0], crit, &ncrit, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (search_info(s, a, n, 1, info_wanted(crit, ncrit), &v, &nidx) < 0)
		return -1;
	imap_sort_run(v, nidx, crit, ncrit);
	buf_init(&b, IMAP_OUT_BUF);
	buf_puts(&b, "* SORT");
	for (j = 0; j < nidx; j++) {
		buf_printf(&b, " %u", v[j].num);
		if (imap_stream(s, &b) < 0)
			break;
	}
	rc = imap_stream_end(s, &b);
	buf_free(&b);
	imap_sort_info_free(v, nidx);
	return results_sent(s, "SORT", rc, nidx);
}

/* imap_thread_*() call this after each message written. */
static int
thread_piece(void *arg, struct buf *b)
{
	return imap_stream(arg, b);
}

int
cmd_thread(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct sort_info *v;
	size_t nidx;
	bool refs;
	struct buf b;
	int rc;

	if (n < 3 || a[0].type != IMAP_ARG_ATOM)
		return imap_bad(s, "THREAD expects an algorithm, a charset "
		    "and keys");
	if (strcasecmp(a[0].str, "REFERENCES") == 0)
		refs = true;
	else if (strcasecmp(a[0].str, "ORDEREDSUBJECT") == 0)
		refs = false;
	else
		return imap_bad(s, "Unknown THREAD algorithm");
	if (search_info(s, a, n, 1, INFO_THREAD, &v, &nidx) < 0)
		return -1;
	buf_init(&b, IMAP_OUT_BUF);
	buf_puts(&b, "* THREAD");
	if (nidx > 0)
		buf_putc(&b, ' ');
	if (refs)
		rc = imap_thread_references(v, nidx, &b, thread_piece, s);
	else
		rc = imap_thread_orderedsubject(v, nidx, &b, thread_piece, s);
	if (imap_stream_end(s, &b) < 0)
		rc = -1;
	buf_free(&b);
	imap_sort_info_free(v, nidx);
	return results_sent(s, "THREAD", rc, nidx);
}
