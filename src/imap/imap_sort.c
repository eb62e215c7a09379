/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_sort.c: RFC 5256 -- base subject extraction (2.1), SORT criteria and
 * ordering (ties by sequence number, 3), THREAD=ORDEREDSUBJECT and
 * THREAD=REFERENCES (the container algorithm of section 3 with loop
 * checks, pruning of empty containers and merging by base subject).
 * Strings compare with the i;ascii-casemap idea: subjects and addresses
 * are folded to lower case when extracted.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "imap/imap_sort.h"

/* ---- base subject ---- */

/* RFC 5256 5: subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR any CHAR
 * except "[" and "]".  Returns the end of the blob at q, or NULL. */
static const char *
blob_end(const char *q, const char *end)
{
	if (q >= end || *q != '[')
		return NULL;
	for (q++; q < end && *q != ']'; q++)
		if (*q == '[')
			return NULL;
	if (q >= end)
		return NULL;
	for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
		;
	return q;
}

static bool
strip_leader(const char **pp, const char *end)
{
	const char *p = *pp, *q, *c;

	if (p < end && (*p == ' ' || *p == '\t')) {
		*pp = p + 1;
		return true;
	}
	/* *subj-blob subj-refwd */
	q = p;
	while ((c = blob_end(q, end)) != NULL)
		q = c;
	if (end - q >= 2 && strncasecmp(q, "re", 2) == 0)
		q += 2;
	else if (end - q >= 3 && strncasecmp(q, "fwd", 3) == 0)
		q += 3;
	else if (end - q >= 2 && strncasecmp(q, "fw", 2) == 0)
		q += 2;
	else
		return false;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if ((c = blob_end(q, end)) != NULL)
		q = c;
	if (q >= end || *q != ':')
		return false;
	*pp = q + 1;
	return true;
}

void
imap_base_subject(const char *s, size_t len, struct buf *out, bool *reply_r)
{
	const char *p = s, *end = s + len, *c;
	bool reply = false, changed;
	size_t i, start;

	for (;;) {
		/* (2) trailing "(fwd)" and white space */
		for (changed = true; changed;) {
			changed = false;
			while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
				end--;
				changed = true;
			}
			if (end - p >= 5 && strncasecmp(end - 5, "(fwd)", 5) == 0) {
				end -= 5;
				reply = changed = true;
			}
		}
		/* (3)-(5) leaders and blobs */
		for (changed = true; changed;) {
			changed = false;
			while (strip_leader(&p, end)) {
				changed = true;
				if (p[-1] == ':')
					reply = true;
			}
			if ((c = blob_end(p, end)) != NULL && c < end) {
				p = c;
				changed = true;
			}
		}
		/* (6) [fwd: ... ] */
		if (end - p >= 6 && strncasecmp(p, "[fwd:", 5) == 0 &&
		    end[-1] == ']') {
			p += 5;
			end--;
			reply = true;
			continue;
		}
		break;
	}
	start = out->len;
	buf_append(out, p, (size_t)(end - p));
	for (i = start; i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] += 'a' - 'A';
	if (reply_r != NULL)
		*reply_r = reply;
}

size_t
imap_parse_msgids(const char *s, size_t len, char ***ids_r, size_t max)
{
	const char *p = s, *end = s + len, *lt, *gt;
	char **ids = NULL;
	size_t n = 0;

	while (p < end && n < max) {
		lt = memchr(p, '<', (size_t)(end - p));
		if (lt == NULL)
			break;
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			break;
		if (gt - lt > 1) {
			ids = xrealloc(ids, size_mul(n + 1, sizeof(*ids)));
			ids[n++] = xstrndup(lt, (size_t)(gt - lt + 1));
		}
		p = gt + 1;
	}
	*ids_r = ids;
	return n;
}

void
imap_sort_info_free(struct sort_info *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(v[i].from);
		free(v[i].to);
		free(v[i].cc);
		free(v[i].subject);
		free(v[i].msgid);
		for (j = 0; j < v[i].nrefs; j++)
			free(v[i].refs[j]);
		free(v[i].refs);
	}
	free(v);
}

/* ---- SORT ---- */

int
imap_sort_criteria(const struct imap_arg *a, struct sort_crit *v,
    size_t *n_r, struct error *err_r)
{
	static const struct {
		const char	*name;
		enum sort_key	 key;
	} keys[] = {
		{ "ARRIVAL", SORT_ARRIVAL }, { "CC", SORT_CC },
		{ "DATE", SORT_DATE }, { "FROM", SORT_FROM },
		{ "SIZE", SORT_SIZE }, { "SUBJECT", SORT_SUBJECT },
		{ "TO", SORT_TO },
	};
	size_t i, j, n = 0;
	bool rev = false;

	if (a->type != IMAP_ARG_LIST || a->list->n == 0)
		return error_set(err_r, ERR_SYNTAX, "Invalid sort criteria");
	for (i = 0; i < a->list->n; i++) {
		const struct imap_arg *x = &a->list->v[i];

		/* RFC 5256 3: sort-criterion = ["REVERSE" SP] sort-key */
		if (imap_arg_is_atom(x, "REVERSE")) {
			if (rev)
				return error_set(err_r, ERR_SYNTAX,
				    "REVERSE twice");
			rev = true;
			continue;
		}
		for (j = 0; j < N_ELEMENTS(keys); j++)
			if (imap_arg_is_atom(x, keys[j].name))
				break;
		if (j == N_ELEMENTS(keys))
			return error_set(err_r, ERR_SYNTAX,
			    "Unknown sort criterion");
		if (n >= IMAP_SORT_KEYS_MAX)
			return error_set(err_r, ERR_LIMIT,
			    "Too many sort criteria");
		v[n].key = keys[j].key;
		v[n].reverse = rev;
		n++;
		rev = false;
	}
	if (rev || n == 0)
		return error_set(err_r, ERR_SYNTAX, "REVERSE needs a criterion");
	*n_r = n;
	return 0;
}

struct sort_ctx {
	const struct sort_crit *crit;
	size_t		 ncrit;
};

/* i;ascii-casemap (RFC 4790 9.2): a-z compare as A-Z, so "_" and "["
 * sort after the letters. */
static int
cmp_str(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)(a != NULL ? a : "");
	const unsigned char *y = (const unsigned char *)(b != NULL ? b : "");
	unsigned cx, cy;

	for (;; x++, y++) {
		cx = *x >= 'a' && *x <= 'z' ? *x - 'a' + 'A' : *x;
		cy = *y >= 'a' && *y <= 'z' ? *y - 'a' + 'A' : *y;
		if (cx != cy || cx == 0)
			return cx < cy ? -1 : cx > cy;
	}
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
sort_cmp(const void *x, const void *y, void *arg)
{
	const struct sort_info *a = x, *b = y;
	const struct sort_ctx *c = arg;
	size_t i;
	int r = 0;

	for (i = 0; i < c->ncrit && r == 0; i++) {
		switch (c->crit[i].key) {
		case SORT_ARRIVAL:
			r = cmp_i64(a->arrival, b->arrival);
			break;
		case SORT_DATE:
			r = cmp_i64(a->date, b->date);
			break;
		case SORT_SIZE:
			r = a->size < b->size ? -1 : a->size > b->size;
			break;
		case SORT_FROM:
			r = cmp_str(a->from, b->from);
			break;
		case SORT_TO:
			r = cmp_str(a->to, b->to);
			break;
		case SORT_CC:
			r = cmp_str(a->cc, b->cc);
			break;
		case SORT_SUBJECT:
			r = cmp_str(a->subject, b->subject);
			break;
		}
		if (c->crit[i].reverse)
			r = -r;
	}
	if (r == 0)
		r = a->seq < b->seq ? -1 : a->seq > b->seq;
	return r;
}

static int
sort_cmp_ptr(const void *x, const void *y, void *arg)
{
	return sort_cmp(*(const struct sort_info *const *)x,
	    *(const struct sort_info *const *)y, arg);
}

void
imap_sort_run(struct sort_info *v, size_t n, const struct sort_crit *crit,
    size_t ncrit)
{
	struct sort_ctx c = { crit, ncrit };

	const struct sort_info **p;
	struct sort_info t;
	size_t i, j, k;

	if (n <= 1)
		return;
	/* pointers are sorted, not the structs: qsort_r() moves its
	 * elements O(n log n) times, and a struct is a dozen words */
	p = xcalloc(n, sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = &v[i];
	qsort_r(p, n, sizeof(*p), sort_cmp_ptr, &c);
	/* v[i] = old v[p[i] - v], one cycle at a time; p[i] = NULL marks
	 * a place filled */
	for (i = 0; i < n; i++) {
		if (p[i] == NULL || p[i] == &v[i])
			continue;
		t = v[i];
		for (j = i;;) {
			k = (size_t)(p[j] - v);
			p[j] = NULL;
			if (k == i) {
				v[j] = t;
				break;
			}
			v[j] = v[k];
			j = k;
		}
	}
	free(p);
}

/* ---- THREAD=ORDEREDSUBJECT ---- */

static int
subj_date_cmp(const void *x, const void *y, void *arg)
{
	static const struct sort_crit crit[] = {
		{ SORT_SUBJECT, false }, { SORT_DATE, false }
	};
	struct sort_ctx c = { crit, 2 };

	(void)arg;
	return sort_cmp(x, y, &c);
}

struct group {
	size_t		 first, n;	/* range in the sorted array */
};

static int
group_cmp(const void *x, const void *y, void *arg)
{
	const struct group *a = x, *b = y;
	const struct sort_info *v = arg;
	int r = cmp_i64(v[a->first].date, v[b->first].date);

	return r != 0 ? r : (v[a->first].seq < v[b->first].seq ? -1 : 1);
}

int
imap_thread_orderedsubject(struct sort_info *v, size_t n, struct buf *out,
    imap_piece_fn *piece, void *arg)
{
	struct group *g = xcalloc(n + 1, sizeof(*g));
	size_t i, j, ng = 0;
	int rc = 0;

	if (n > 1)
		qsort_r(v, n, sizeof(*v), subj_date_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (ng > 0 && cmp_str(v[g[ng - 1].first].subject,
		    v[i].subject) == 0) {
			g[ng - 1].n++;
			continue;
		}
		g[ng].first = i;
		g[ng].n = 1;
		ng++;
	}
	if (ng > 1)
		qsort_r(g, ng, sizeof(*g), group_cmp, v);
	for (i = 0; i < ng && rc == 0; i++) {
		buf_printf(out, "(%u", v[g[i].first].num);
		if (g[i].n == 2)
			buf_printf(out, " %u", v[g[i].first + 1].num);
		else if (g[i].n > 2) {
			buf_putc(out, ' ');
			for (j = 1; j < g[i].n && rc == 0; j++) {
				buf_printf(out, "(%u)",
				    v[g[i].first + j].num);
				rc = piece(arg, out);
			}
		}
		buf_putc(out, ')');
		if (rc == 0)
			rc = piece(arg, out);
	}
	free(g);
	return rc;
}

/* ---- THREAD=REFERENCES ---- */

struct tnode {
	const char	*id;		/* borrowed, or NULL */
	ssize_t		 msg;		/* index in v, or -1 (dummy) */
	ssize_t		 parent;
	size_t		*kids;
	size_t		 nkids, capkids;
	bool		 dead;
	int64_t		 date;		/* for sorting */
	uint32_t	 seq;
};

struct tctx {
	struct tnode	*c;
	size_t		 n, cap;
	ssize_t		*hash;		/* open addressing over ids */
	size_t		 hsize;
	const struct sort_info *v;
	imap_piece_fn	*piece;		/* after each message written */
	void		*arg;
	int		 rc;		/* -1 once piece() failed */
};

static size_t
hash_str(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t
new_node(struct tctx *t, const char *id)
{
	struct tnode *c;

	if (t->n == t->cap) {
		t->cap = t->cap == 0 ? 64 : t->cap * 2;
		t->c = xrealloc(t->c, size_mul(t->cap, sizeof(*t->c)));
	}
	c = &t->c[t->n];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->msg = -1;
	c->parent = -1;
	return t->n++;
}

static size_t
lookup(struct tctx *t, const char *id, bool *found_r)
{
	size_t h = hash_str(id) % t->hsize;
	size_t k;

	while (t->hash[h] >= 0) {
		if (strcmp(t->c[t->hash[h]].id, id) == 0) {
			if (found_r != NULL)
				*found_r = true;
			return (size_t)t->hash[h];
		}
		h = (h + 1) % t->hsize;
	}
	if (found_r != NULL)
		*found_r = false;
	k = new_node(t, id);
	t->hash[h] = (ssize_t)k;
	return k;
}

static void
add_kid(struct tnode *p, size_t k)
{
	if (p->nkids == p->capkids) {
		p->capkids = p->capkids == 0 ? 4 : p->capkids * 2;
		p->kids = xrealloc(p->kids, size_mul(p->capkids,
		    sizeof(*p->kids)));
	}
	p->kids[p->nkids++] = k;
}

static void
unlink_node(struct tctx *t, size_t k)
{
	struct tnode *p;
	size_t i;

	if (t->c[k].parent < 0)
		return;
	p = &t->c[t->c[k].parent];
	for (i = 0; i < p->nkids; i++)
		if (p->kids[i] == k) {
			memmove(&p->kids[i], &p->kids[i + 1],
			    (p->nkids - i - 1) * sizeof(*p->kids));
			p->nkids--;
			break;
		}
	t->c[k].parent = -1;
}

/* True when a is b or one of b's ancestors. */
static bool
is_ancestor(const struct tctx *t, size_t a, size_t b)
{
	ssize_t x = (ssize_t)b;
	size_t steps = 0;

	while (x >= 0 && steps++ <= t->n) {
		if ((size_t)x == a)
			return true;
		x = t->c[x].parent;
	}
	return false;
}

static void
set_parent(struct tctx *t, size_t child, size_t parent)
{
	if (is_ancestor(t, child, parent))
		return;			/* would make a loop */
	unlink_node(t, child);
	t->c[child].parent = (ssize_t)parent;
	add_kid(&t->c[parent], child);
}

/* Step 3: removes dummies without children and promotes the children of
 * dummies below the root level (or with a single child). */
/* k's child list is rebuilt in one pass (not a memmove per dummy, which
 * is quadratic in the number of children); the order does not matter, step
 * 4 sorts.  After prune(k), every child of k is a message. */
static void
prune(struct tctx *t, size_t k, bool is_root)
{
	struct tnode *c;
	size_t i, j, kid, *kids, nk, *old = t->c[k].kids;
	size_t nold = t->c[k].nkids;

	t->c[k].kids = NULL;
	t->c[k].nkids = t->c[k].capkids = 0;
	for (i = 0; i < nold; i++) {
		kid = old[i];
		prune(t, kid, false);
		c = &t->c[kid];
		if (c->msg >= 0) {
			add_kid(&t->c[k], kid);
			continue;
		}
		/* a dummy child: replace it by its children */
		kids = c->kids;
		nk = c->nkids;
		c->kids = NULL;
		c->nkids = c->capkids = 0;
		c->dead = true;
		for (j = 0; j < nk; j++) {
			t->c[kids[j]].parent = (ssize_t)k;
			add_kid(&t->c[k], kids[j]);
		}
		free(kids);
	}
	free(old);
	(void)is_root;
}

static int
node_cmp(const void *x, const void *y, void *arg)
{
	const struct tctx *t = arg;
	const struct tnode *a = &t->c[*(const size_t *)x];
	const struct tnode *b = &t->c[*(const size_t *)y];
	int r = cmp_i64(a->date, b->date);

	return r != 0 ? r : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/*
 * Bounds the tree's depth: prune(), sort_tree() and print_chain() recurse,
 * and a connection thread has a small stack (LISTENER_STACK_SIZE), while
 * a few messages with long References can chain thousands of containers
 * (five with 1,000 ids each crashed the server).  Walks the tree from top
 * breadth first, without recursion; the children of a container at depth
 * IMAP_THREAD_DEPTH_MAX become roots of their own.  Step 5 adds at most two
 * levels above a root.
 */
static void
bound_depth(struct tctx *t, size_t top)
{
	size_t *q = xcalloc(t->n + 1, sizeof(*q));
	size_t *depth = xcalloc(t->n + 1, sizeof(*depth));
	size_t head = 0, tail = 0, i, k, kid;
	bool cut;

	q[tail++] = top;
	while (head < tail) {
		k = q[head++];
		cut = k != top && depth[k] >= IMAP_THREAD_DEPTH_MAX;
		for (i = 0; i < t->c[k].nkids; i++) {
			kid = t->c[k].kids[i];
			if (cut) {
				t->c[kid].parent = (ssize_t)top;
				add_kid(&t->c[top], kid);
				depth[kid] = 1;
			} else
				depth[kid] = depth[k] + 1;
			q[tail++] = kid;
		}
		if (cut)
			t->c[k].nkids = 0;
	}
	free(depth);
	free(q);
}

/* Step 4: sorts siblings by date; a dummy takes its first child's date. */
static void
sort_tree(struct tctx *t, size_t k)
{
	struct tnode *c = &t->c[k];
	size_t i;

	for (i = 0; i < c->nkids; i++)
		sort_tree(t, c->kids[i]);
	if (c->nkids > 1)
		qsort_r(c->kids, c->nkids, sizeof(size_t), node_cmp, t);
	if (c->msg < 0 && c->nkids > 0) {
		c->date = t->c[c->kids[0]].date;
		c->seq = t->c[c->kids[0]].seq;
	}
}

static void
print_chain(struct tctx *t, size_t k, struct buf *out)
{
	const struct tnode *c = &t->c[k];
	size_t i;

	if (t->rc < 0)
		return;
	if (c->msg >= 0) {
		buf_printf(out, "%u", t->v[c->msg].num);
		t->rc = t->piece(t->arg, out);
	}
	if (c->nkids == 1) {
		if (c->msg >= 0)
			buf_putc(out, ' ');
		print_chain(t, c->kids[0], out);
	} else if (c->nkids > 1) {
		if (c->msg >= 0)
			buf_putc(out, ' ');
		for (i = 0; i < c->nkids; i++) {
			buf_putc(out, '(');
			print_chain(t, c->kids[i], out);
			buf_putc(out, ')');
		}
	}
}

/* The message a top-level container speaks for: its own, or a dummy's
 * first child's (RFC 5256 step 5.B); -1 when none. */
static ssize_t
root_msg(const struct tctx *t, size_t k)
{
	const struct tnode *c = &t->c[k];

	if (c->msg >= 0)
		return c->msg;
	if (c->nkids > 0)
		return t->c[c->kids[0]].msg;
	return -1;
}

/* Moves k (and its subtree) under parent. */
static void
adopt(struct tctx *t, size_t parent, size_t k)
{
	t->c[k].parent = (ssize_t)parent;
	add_kid(&t->c[parent], k);
}

/*
 * RFC 5256 step 5: roots with the same base subject are merged.  The
 * subject table keeps, per base subject, a dummy if there is one, else a
 * message whose subject is not a reply or forward if there is one (5.B).
 * Then each other root joins the table's container (5.C): two dummies
 * pool their children; a message goes under a dummy (or a dummy takes the
 * message); a reply goes under the original; otherwise both go under a
 * new dummy, which takes their place in the table.  New dummies are added
 * to the root list; merged roots are marked dead.
 */
/*
 * The subject table's index: base subject -> slot in tab, by open
 * addressing over keys (the subject each slot was made for), so step 5 is
 * linear in the number of roots (a linear search made THREAD=REFERENCES
 * over 120,000 distinct subjects take minutes).  Returns the slot, or
 * SIZE_MAX and in *h_r the free position for it.
 */
static size_t
subject_slot(const ssize_t *hs, size_t hsize, const char *const *keys,
    const char *si, size_t *h_r)
{
	size_t h = hash_str(si) % hsize;

	while (hs[h] >= 0) {
		if (strcmp(keys[hs[h]], si) == 0)
			return (size_t)hs[h];
		h = (h + 1) % hsize;
	}
	*h_r = h;
	return SIZE_MAX;
}

static void
merge_subjects(struct tctx *t, size_t top)
{
	size_t nroots = t->c[top].nkids, *roots, *tab, ntab = 0, i, j, k;
	size_t a, b, d, h, hsize;
	ssize_t ma, mb, *hs;
	const char *si, **keys;

	roots = xcalloc(nroots ? nroots : 1, sizeof(*roots));
	if (nroots > 0)		/* kids is NULL for an empty mailbox */
		memcpy(roots, t->c[top].kids, nroots * sizeof(*roots));
	tab = xcalloc(nroots ? nroots : 1, sizeof(*tab));
	keys = xcalloc(nroots ? nroots : 1, sizeof(*keys));
	hsize = size_add(size_mul(nroots, 2), 16);
	hs = xcalloc(hsize, sizeof(*hs));
	for (i = 0; i < hsize; i++)
		hs[i] = -1;
	/* 5.B */
	for (i = 0; i < nroots; i++) {
		mb = root_msg(t, roots[i]);
		if (mb < 0 || (si = t->v[mb].subject) == NULL || *si == '\0')
			continue;
		j = subject_slot(hs, hsize, keys, si, &h);
		if (j == SIZE_MAX) {
			hs[h] = (ssize_t)ntab;
			keys[ntab] = si;
			tab[ntab++] = roots[i];
		} else if ((t->c[roots[i]].msg < 0 && t->c[tab[j]].msg >= 0) ||
		    (t->c[tab[j]].msg >= 0 && t->c[roots[i]].msg >= 0 &&
		    !t->v[mb].reply && t->v[root_msg(t, tab[j])].reply))
			tab[j] = roots[i];
	}
	/* 5.C */
	for (i = 0; i < nroots; i++) {
		b = roots[i];
		mb = root_msg(t, b);
		if (t->c[b].dead || mb < 0 ||
		    (si = t->v[mb].subject) == NULL || *si == '\0')
			continue;
		j = subject_slot(hs, hsize, keys, si, &h);
		if (j == SIZE_MAX || tab[j] == b)
			continue;
		a = tab[j];
		ma = root_msg(t, a);
		if (t->c[a].msg < 0 && t->c[b].msg < 0) {
			for (k = 0; k < t->c[b].nkids; k++)
				adopt(t, a, t->c[b].kids[k]);
			t->c[b].nkids = 0;
			t->c[b].dead = true;
		} else if (t->c[a].msg < 0) {
			adopt(t, a, b);
			t->c[b].dead = true;
		} else if (t->c[b].msg < 0) {
			adopt(t, b, a);		/* (not reached: 5.B) */
			t->c[a].dead = true;
			tab[j] = b;
		} else if (t->v[mb].reply && !t->v[ma].reply) {
			adopt(t, a, b);
			t->c[b].dead = true;
		} else {
			d = new_node(t, NULL);
			adopt(t, d, a);
			adopt(t, d, b);
			t->c[a].dead = t->c[b].dead = true;
			t->c[d].parent = (ssize_t)top;
			add_kid(&t->c[top], d);
			tab[j] = d;
		}
	}
	/* the root list: survivors, then the new dummies */
	for (i = 0, k = 0; i < t->c[top].nkids; i++)
		if (!t->c[t->c[top].kids[i]].dead)
			t->c[top].kids[k++] = t->c[top].kids[i];
	t->c[top].nkids = k;
	free(hs);
	free(keys);
	free(tab);
	free(roots);
}

int
imap_thread_references(struct sort_info *v, size_t n, struct buf *out,
    imap_piece_fn *piece, void *arg)
{
	struct tctx t;
	size_t i, j, k, prev, top, r2;
	bool found, has_prev;

	memset(&t, 0, sizeof(t));
	t.v = v;
	t.piece = piece;
	t.arg = arg;
	t.hsize = 2 * (n * 2 + 16);
	for (i = 0; i < n; i++)
		t.hsize += 2 * v[i].nrefs;
	t.hash = xcalloc(t.hsize, sizeof(*t.hash));
	for (i = 0; i < t.hsize; i++)
		t.hash[i] = -1;
	/* step 1 */
	for (i = 0; i < n; i++) {
		if (v[i].msgid != NULL) {
			k = lookup(&t, v[i].msgid, &found);
			if (found && t.c[k].msg >= 0)
				k = new_node(&t, NULL);	/* duplicate id */
		} else
			k = new_node(&t, NULL);
		t.c[k].msg = (ssize_t)i;
		t.c[k].date = v[i].date;
		t.c[k].seq = v[i].seq;
		has_prev = false;
		prev = 0;
		for (j = 0; j < v[i].nrefs; j++) {
			size_t r = lookup(&t, v[i].refs[j], NULL);

			if (has_prev && t.c[r].parent < 0 && r != prev)
				set_parent(&t, r, prev);
			prev = r;
			has_prev = true;
		}
		if (has_prev && prev != k) {
			/* 1.B: the message's own References win over a
			 * parent guessed from others' headers; the old link
			 * goes even when the new one would make a loop */
			unlink_node(&t, k);
			set_parent(&t, k, prev);
		} else if (!has_prev)
			unlink_node(&t, k);
	}
	/* step 2: a dummy top holds the root set */
	top = new_node(&t, NULL);
	for (i = 0; i < t.n; i++)
		if (i != top && t.c[i].parent < 0) {
			t.c[i].parent = (ssize_t)top;
			add_kid(&t.c[top], i);
		}
	bound_depth(&t, top);
	/* step 3 */
	for (i = 0; i < t.c[top].nkids; i++) {
		k = t.c[top].kids[i];
		prune(&t, k, true);
	}
	/* a root dummy without children goes, one with a single child is
	 * replaced by it; one pass over a rebuilt list (see prune()) */
	{
		size_t *old = t.c[top].kids, nold = t.c[top].nkids;

		t.c[top].kids = NULL;
		t.c[top].nkids = t.c[top].capkids = 0;
		for (i = 0; i < nold; i++) {
			k = old[i];
			if (t.c[k].msg < 0 && t.c[k].nkids <= 1) {
				if (t.c[k].nkids == 1) {
					r2 = t.c[k].kids[0];
					t.c[r2].parent = (ssize_t)top;
					add_kid(&t.c[top], r2);
				}
				continue;
			}
			add_kid(&t.c[top], k);
		}
		free(old);
	}
	/* step 4 */
	sort_tree(&t, top);
	/* step 5: merge roots with the same base subject */
	merge_subjects(&t, top);
	/* step 6 */
	sort_tree(&t, top);
	for (i = 0; i < t.c[top].nkids && t.rc == 0; i++) {
		buf_putc(out, '(');
		print_chain(&t, t.c[top].kids[i], out);
		buf_putc(out, ')');
	}
	for (i = 0; i < t.n; i++)
		free(t.c[i].kids);
	free(t.c);
	free(t.hash);
	return t.rc;
}
