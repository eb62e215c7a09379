/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_view.c: the session's view of the selected mailbox -- the snapshot
 * of message sequence numbers and UIDs with the flags last reported -- and
 * how it catches up with the store.  Whenever the account's store
 * generation moved, the view asks for the rows and expunged UIDs whose
 * MODSEQ is above the mailbox's HIGHESTMODSEQ at the last sync; when the
 * message count then disagrees (a mailbox deleted or renamed under the
 * session) it compares a full store listing instead.  RFC 3501 7.4.1: EXPUNGE responses are held back
 * while a FETCH, STORE or SEARCH runs (the expunged messages keep their
 * sequence numbers until then); flag changes and new messages are reported
 * at the end of any command and during IDLE.
 */
#include "lib/compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "imap/imap_private.h"

static void
view_free_msgs(struct imap_session *s)
{
	size_t i;

	for (i = 0; i < s->nmsgs; i++)
		free(s->msgs[i].keywords);
	free(s->msgs);
	s->msgs = NULL;
	s->nmsgs = s->capmsgs = 0;
}

static void
view_push(struct imap_session *s, const struct store_msg *m, bool recent)
{
	struct imap_view_msg *v;

	if (s->nmsgs == s->capmsgs) {
		s->capmsgs = s->capmsgs == 0 ? 64 : size_mul(s->capmsgs, 2);
		s->msgs = xrealloc(s->msgs, size_mul(s->capmsgs,
		    sizeof(*s->msgs)));
	}
	v = &s->msgs[s->nmsgs++];
	v->uid = m->uid;
	v->flags = m->flags;
	v->keywords = xstrdup(m->keywords != NULL ? m->keywords : "");
	v->modseq = m->modseq;
	v->recent = recent;
	v->expunged = false;
}

void
imap_view_close(struct imap_session *s)
{
	view_free_msgs(s);
	free(s->mbox);
	s->mbox = NULL;
	free(s->kw_known);
	s->kw_known = NULL;
	s->mbox_id = 0;
	if (s->state == IST_SELECTED)
		s->state = IST_AUTH;
}

int
imap_view_open(struct imap_session *s, const char *name, bool readonly,
    struct store_status *st_r, struct error *err_r)
{
	struct store_msgs all;
	uint32_t first = UINT32_MAX;
	uint64_t gen, hms;
	size_t i;

	imap_view_close(s);
	gen = store_generation(s->store);
	if (store_mailbox_status(s->store, name, st_r, err_r) < 0)
		return -1;
	if (st_r->noselect)
		return error_set(err_r, ERR_PERM, "Mailbox is not selectable");
	/* read before the listing: a change in between is seen again at
	 * the next sync, which is harmless */
	hms = st_r->highestmodseq;
	/*
	 * List first, then claim: the claim covers every UID below the
	 * mailbox's UIDNEXT at that moment, so all listed messages.  The
	 * other order would mark a message delivered between the two as
	 * \Recent here although another session's claim takes it too.
	 */
	if (store_messages(s->store, st_r->id, NULL, 0, &all, err_r) < 0)
		return -1;
	if (!readonly && store_claim_recent(s->store, st_r->id, &first,
	    err_r) < 0) {
		store_msgs_free(&all);
		return -1;
	}
	for (i = 0; i < all.n; i++) {
		view_push(s, &all.v[i], readonly ?
		    i + st_r->recent >= all.n : all.v[i].uid >= first);
		/* a message stored since the status was read */
		if (all.v[i].uid >= st_r->uidnext)
			st_r->uidnext = all.v[i].uid + 1;
		if (all.v[i].modseq > st_r->highestmodseq)
			st_r->highestmodseq = all.v[i].modseq;
	}
	store_msgs_free(&all);
	if (store_mailbox_keywords(s->store, st_r->id, &s->kw_known,
	    NULL) < 0 || s->kw_known == NULL)
		s->kw_known = xstrdup("");
	s->mbox = xstrdup(name);
	s->mbox_id = st_r->id;
	s->readonly = readonly;
	s->uidvalidity = st_r->uidvalidity;
	s->highestmodseq = st_r->highestmodseq;
	s->sync_modseq = hms;
	s->gen = gen;
	s->state = IST_SELECTED;
	return 0;
}

ssize_t
imap_view_find(const struct imap_session *s, uint32_t uid)
{
	size_t lo = 0, hi = s->nmsgs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->msgs[mid].uid < uid)
			lo = mid + 1;
		else if (s->msgs[mid].uid > uid)
			hi = mid;
		else
			return (ssize_t)mid;
	}
	return -1;
}

void
imap_view_update(struct imap_session *s, const struct store_msg *m)
{
	ssize_t i = imap_view_find(s, m->uid);

	if (i < 0)
		return;
	s->msgs[i].flags = m->flags;
	free(s->msgs[i].keywords);
	s->msgs[i].keywords = xstrdup(m->keywords != NULL ? m->keywords : "");
	s->msgs[i].modseq = m->modseq;
	if (m->modseq > s->highestmodseq)
		s->highestmodseq = m->modseq;
}

void
imap_flags_write(struct buf *out, unsigned flags, const char *keywords,
    bool recent)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} sys[] = {
		{ STORE_ANSWERED, "\\Answered" }, { STORE_FLAGGED, "\\Flagged" },
		{ STORE_DELETED, "\\Deleted" }, { STORE_SEEN, "\\Seen" },
		{ STORE_DRAFT, "\\Draft" },
	};
	size_t i;
	bool sp = false;

	buf_putc(out, '(');
	for (i = 0; i < N_ELEMENTS(sys); i++) {
		if (!(flags & sys[i].bit))
			continue;
		if (sp)
			buf_putc(out, ' ');
		buf_puts(out, sys[i].name);
		sp = true;
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if (sp)
			buf_putc(out, ' ');
		buf_puts(out, keywords);
		sp = true;
	}
	if (recent) {
		if (sp)
			buf_putc(out, ' ');
		buf_puts(out, "\\Recent");
	}
	buf_putc(out, ')');
}

void
imap_flags_announce(struct imap_session *s)
{
	const char *kw = s->kw_known != NULL ? s->kw_known : "";
	struct buf b;

	buf_init(&b, IMAP_KEYWORDS_TEXT_MAX * 4 + strlen(kw) + 256);
	buf_printf(&b, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft%s%s)", kw[0] != '\0' ? " " : "", kw);
	(void)imap_stream_end(s, &b);
	buf_reset(&b);
	if (s->readonly)
		buf_puts(&b, "* OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		buf_printf(&b, "* OK [PERMANENTFLAGS (\\Answered \\Flagged "
		    "\\Deleted \\Seen \\Draft%s%s \\*)] Flags permitted",
		    kw[0] != '\0' ? " " : "", kw);
	(void)imap_stream_end(s, &b);
	buf_free(&b);
}

/* Is the keyword k (len bytes) in the space-separated list? */
static bool
keyword_in(const char *list, const char *k, size_t len)
{
	const char *p = list, *e;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == len && strncasecmp(p, k, len) == 0)
			return true;
		p = *e == ' ' ? e + 1 : e;
	}
	return false;
}

void
imap_keywords_check(struct imap_session *s, const char *keywords)
{
	const char *p = keywords, *e;
	struct buf b;
	bool added = false;

	if (s->state != IST_SELECTED || keywords == NULL)
		return;
	/* No bound of its own: the list is the mailbox's keywords in the
	 * store, as SELECT reads and announces it whole; a cap here used to
	 * cut FLAGS short without a word (issue 15). */
	buf_init(&b, SIZE_MAX / 2);
	buf_puts(&b, s->kw_known != NULL ? s->kw_known : "");
	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && !keyword_in(buf_cstr(&b), p, (size_t)(e - p))) {
			if (b.len > 0)
				buf_putc(&b, ' ');
			buf_append(&b, p, (size_t)(e - p));
			added = true;
		}
		p = *e == ' ' ? e + 1 : e;
	}
	if (added) {
		free(s->kw_known);
		s->kw_known = xstrdup(buf_cstr(&b));
		imap_flags_announce(s);
	}
	buf_free(&b);
}

void
imap_condstore_enable(struct imap_session *s)
{
	if (s->condstore)
		return;
	s->condstore = true;
	if (s->state == IST_SELECTED)
		imap_send(s, "* OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->highestmodseq);
}

static bool
keyword_valid(const char *k, size_t len)
{
	size_t i;

	if (len == 0 || len > STORE_KEYWORD_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)k[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

static int
one_flag(const struct imap_arg *a, unsigned *flags, struct buf *kw,
    size_t *nkw, struct error *err_r)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} sys[] = {
		{ "\\Seen", STORE_SEEN }, { "\\Answered", STORE_ANSWERED },
		{ "\\Flagged", STORE_FLAGGED }, { "\\Deleted", STORE_DELETED },
		{ "\\Draft", STORE_DRAFT },
	};
	size_t i;

	if (a->type != IMAP_ARG_ATOM)
		return error_set(err_r, ERR_SYNTAX, "Invalid flag");
	if (a->str[0] == '\\') {
		for (i = 0; i < N_ELEMENTS(sys); i++)
			if (strcasecmp(a->str, sys[i].name) == 0) {
				*flags |= sys[i].bit;
				return 0;
			}
		return error_set(err_r, ERR_SYNTAX, "Invalid system flag");
	}
	if (!keyword_valid(a->str, a->len))
		return error_set(err_r, ERR_SYNTAX, "Invalid keyword");
	if (++*nkw > STORE_KEYWORDS_MAX)
		return error_set(err_r, ERR_LIMIT, "Too many keywords");
	if (kw->len > 0)
		buf_putc(kw, ' ');
	buf_append(kw, a->str, a->len);
	return 0;
}

int
imap_flags_parse(const struct imap_arg *a, unsigned *flags_r,
    struct buf *keywords, struct error *err_r)
{
	size_t i, nkw = 0;

	*flags_r = 0;
	if (a->type != IMAP_ARG_LIST)
		return one_flag(a, flags_r, keywords, &nkw, err_r);
	for (i = 0; i < a->list->n; i++)
		if (one_flag(&a->list->v[i], flags_r, keywords, &nkw,
		    err_r) < 0)
			return -1;
	return 0;
}

int
imap_view_uidset(struct imap_session *s, const struct imap_arg *a, bool uid,
    struct store_uidrange **set_r, size_t *n_r, struct error *err_r)
{
	struct imap_seqset set;
	struct store_uidrange *v;
	uint32_t maxuid = s->nmsgs > 0 ? s->msgs[s->nmsgs - 1].uid : 0;
	size_t i, n = 0;

	*set_r = NULL;
	*n_r = 0;
	if (a == NULL || a->type != IMAP_ARG_ATOM)
		return error_set(err_r, ERR_SYNTAX, "Invalid sequence set");
	if (imap_seqset_parse(strv_make(a->str, a->len), uid ? maxuid :
	    (uint32_t)s->nmsgs, &set, err_r) < 0)
		return -1;
	v = xcalloc(set.n + 1, sizeof(*v));
	for (i = 0; i < set.n; i++) {
		if (uid) {
			if (set.v[i].lo > maxuid)
				continue;
			v[n].lo = set.v[i].lo;
			v[n].hi = set.v[i].hi > maxuid ? maxuid : set.v[i].hi;
			n++;
			continue;
		}
		if (set.v[i].lo == 0 || set.v[i].hi > s->nmsgs) {
			imap_seqset_free(&set);
			free(v);
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid message sequence number");
		}
		v[n].lo = s->msgs[set.v[i].lo - 1].uid;
		v[n].hi = s->msgs[set.v[i].hi - 1].uid;
		n++;
	}
	imap_seqset_free(&set);
	*set_r = v;
	*n_r = n;
	return 0;
}

/* ---- catching up with the store ---- */

static void
send_flags_fetch(struct imap_session *s, size_t idx)
{
	const struct imap_view_msg *m = &s->msgs[idx];
	struct buf b;

	imap_keywords_check(s, m->keywords);
	buf_init(&b, IMAP_KEYWORDS_TEXT_MAX + 256);
	buf_printf(&b, "* %zu FETCH (UID %u FLAGS ", idx + 1, m->uid);
	imap_flags_write(&b, m->flags, m->keywords, m->recent);
	if (s->condstore)
		buf_printf(&b, " MODSEQ (%llu)",
		    (unsigned long long)m->modseq);
	buf_putc(&b, ')');
	(void)imap_stream_end(s, &b);
	buf_free(&b);
}

/* Sends EXPUNGE (or VANISHED) for messages marked expunged and drops them
 * from the view. */
static void
flush_expunged(struct imap_session *s)
{
	uint32_t *gone = NULL;
	size_t i, out, ngone = 0;
	struct buf b;

	if (s->qresync)
		gone = xcalloc(s->nmsgs + 1, sizeof(*gone));
	for (i = s->nmsgs; i-- > 0;) {
		if (!s->msgs[i].expunged)
			continue;
		if (s->qresync)
			gone[ngone++] = s->msgs[i].uid;
		else		/* highest first: lower numbers stay valid */
			imap_send(s, "* %zu EXPUNGE", i + 1);
	}
	if (ngone > 0) {
		/* ascending for the compact form */
		for (i = 0; i < ngone / 2; i++) {
			uint32_t t = gone[i];

			gone[i] = gone[ngone - 1 - i];
			gone[ngone - 1 - i] = t;
		}
		/* any length: in pieces; a broken connection ends the
		 * session at its next read */
		buf_init(&b, IMAP_OUT_BUF);
		buf_puts(&b, "* VANISHED ");
		imap_stream_seqset(s, &b, gone, ngone);
		(void)imap_stream_end(s, &b);
		buf_free(&b);
	}
	free(gone);
	for (i = 0, out = 0; i < s->nmsgs; i++) {
		if (s->msgs[i].expunged) {
			free(s->msgs[i].keywords);
			continue;
		}
		s->msgs[out++] = s->msgs[i];
	}
	s->nmsgs = out;
}

/*
 * Reports what the sync found: flag changes (changed[i] for view index i),
 * the messages marked expunged (now or held back before) when expunge_ok,
 * then the new rows (UIDs above the view's last) with EXISTS and RECENT.
 */
static void
view_report(struct imap_session *s, bool expunge_ok, const bool *changed,
    const struct store_msg *newv, size_t nnew)
{
	struct error err;
	uint32_t first = UINT32_MAX;
	size_t i, old_n, nrecent, nexp = 0;

	for (i = 0; i < s->nmsgs; i++)
		if (s->msgs[i].expunged)
			nexp++;

	/* flag changes of survivors with their old numbers first, then the
	 * expunges */
	for (i = 0; i < s->nmsgs; i++)
		if (changed[i] && !s->msgs[i].expunged)
			send_flags_fetch(s, i);
	if (nexp > 0 && expunge_ok)
		flush_expunged(s);

	old_n = s->nmsgs;
	if (nnew > 0 && !s->readonly &&
	    store_claim_recent(s->store, s->mbox_id, &first, &err) < 0)
		first = UINT32_MAX;
	for (i = 0; i < nnew; i++)
		view_push(s, &newv[i], !s->readonly && newv[i].uid >= first);
	if (s->nmsgs != old_n || (nexp > 0 && expunge_ok)) {
		imap_send(s, "* %zu EXISTS", s->nmsgs);
		nrecent = 0;
		for (i = 0; i < s->nmsgs; i++)
			if (s->msgs[i].recent)
				nrecent++;
		imap_send(s, "* %zu RECENT", nrecent);
	}
}

/* Compares a full listing of the mailbox with the view. */
static bool
sync_full(struct imap_session *s, bool expunge_ok, uint64_t gen)
{
	struct store_msgs cur;
	struct store_status st;
	struct error err;
	size_t i, j;
	bool *changed;
	struct imap_view_msg *v;

	/* the status first: rows listed after it are at least as new */
	if (store_mailbox_status(s->store, s->mbox, &st, &err) < 0 ||
	    st.id != s->mbox_id)
		st.highestmodseq = 0;	/* gone: list (nothing) each time */
	if (store_messages(s->store, s->mbox_id, NULL, 0, &cur, &err) < 0) {
		log_ses(&s->log, LOG_PROBLEM, "cannot read mailbox %s: %s",
		    s->mbox, err.msg);
		return false;
	}
	s->gen = gen;
	s->sync_modseq = st.highestmodseq;
	changed = xcalloc(s->nmsgs + 1, sizeof(*changed));
	for (i = 0, j = 0; i < s->nmsgs; i++) {
		v = &s->msgs[i];
		while (j < cur.n && cur.v[j].uid < v->uid)
			j++;
		if (j >= cur.n || cur.v[j].uid != v->uid) {
			v->expunged = true;
			continue;
		}
		if (v->flags != cur.v[j].flags ||
		    strcmp(v->keywords, cur.v[j].keywords != NULL ?
		    cur.v[j].keywords : "") != 0) {
			changed[i] = true;
			imap_view_update(s, &cur.v[j]);
		} else if (cur.v[j].modseq > v->modseq)
			v->modseq = cur.v[j].modseq;
	}
	for (i = 0; i < cur.n; i++)
		if (cur.v[i].modseq > s->highestmodseq)
			s->highestmodseq = cur.v[i].modseq;
	/* new messages: UIDs above the last one in the view */
	j = 0;
	if (s->nmsgs > 0)
		while (j < cur.n && cur.v[j].uid <= s->msgs[s->nmsgs - 1].uid)
			j++;
	view_report(s, expunge_ok, changed, cur.v + j, cur.n - j);
	free(changed);
	store_msgs_free(&cur);
	return true;
}

/*
 * Applies the changes since the last sync; false (nothing applied) when
 * they do not account for the mailbox's message count, or the store
 * cannot say, so the caller compares a full listing.
 */
static bool
sync_since(struct imap_session *s, bool expunge_ok, uint64_t gen)
{
	struct store_msgs ch;
	struct error err;
	uint32_t *gone = NULL, count = 0, last;
	uint64_t hms = 0;
	size_t ngone = 0, i, nlive = 0, nexp = 0, nnew = 0;
	bool *changed, ok = true;
	ssize_t k;

	if (store_mailbox_sync(s->store, s->mbox_id, s->sync_modseq, &ch,
	    &gone, &ngone, &count, &hms, &err) < 0)
		return false;
	last = s->nmsgs > 0 ? s->msgs[s->nmsgs - 1].uid : 0;
	for (i = 0; i < s->nmsgs; i++)
		if (!s->msgs[i].expunged)
			nlive++;
	for (i = 0; i < ngone; i++)
		if ((k = imap_view_find(s, gone[i])) >= 0 &&
		    !s->msgs[k].expunged)
			nexp++;
	/* changed rows are ascending: the new ones come last */
	for (i = 0; i < ch.n && ok; i++) {
		if (ch.v[i].uid > last)
			nnew++;
		else if ((k = imap_view_find(s, ch.v[i].uid)) < 0 ||
		    s->msgs[k].expunged)
			ok = false;	/* a row the view cannot place */
	}
	if (!ok || nlive - nexp + nnew != count) {
		store_msgs_free(&ch);
		free(gone);
		return false;
	}
	s->gen = gen;
	s->sync_modseq = hms;
	for (i = 0; i < ngone; i++)
		if ((k = imap_view_find(s, gone[i])) >= 0)
			s->msgs[k].expunged = true;
	changed = xcalloc(s->nmsgs + 1, sizeof(*changed));
	for (i = 0; i < ch.n - nnew; i++) {
		struct imap_view_msg *v;

		k = imap_view_find(s, ch.v[i].uid);
		v = &s->msgs[k];
		if (v->flags != ch.v[i].flags || strcmp(v->keywords,
		    ch.v[i].keywords != NULL ? ch.v[i].keywords : "") != 0) {
			changed[k] = true;
			imap_view_update(s, &ch.v[i]);
		} else if (ch.v[i].modseq > v->modseq)
			v->modseq = ch.v[i].modseq;
	}
	for (i = 0; i < ch.n; i++)
		if (ch.v[i].modseq > s->highestmodseq)
			s->highestmodseq = ch.v[i].modseq;
	view_report(s, expunge_ok, changed, ch.v + (ch.n - nnew), nnew);
	free(changed);
	free(gone);
	store_msgs_free(&ch);
	return true;
}

bool
imap_view_sync(struct imap_session *s, bool expunge_ok, bool force)
{
	uint64_t gen;
	size_t i;

	if (s->state != IST_SELECTED)
		return true;
	gen = store_generation(s->store);
	if (gen == s->gen && !force) {
		if (expunge_ok)
			for (i = 0; i < s->nmsgs; i++)
				if (s->msgs[i].expunged) {
					flush_expunged(s);
					break;
				}
		return true;
	}
	return sync_since(s, expunge_ok, gen) || sync_full(s, expunge_ok, gen);
}
