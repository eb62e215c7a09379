/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_cmd_list.c: LIST (RFC 3501 6.3.8, RFC 5258 LIST-EXTENDED with the
 * SUBSCRIBED, RECURSIVEMATCH, REMOTE and SPECIAL-USE selection options and
 * the SUBSCRIBED, CHILDREN, SPECIAL-USE and STATUS (RFC 5819) return
 * options) and LSUB (RFC 3501 6.3.9).
 *
 * The store gives the whole mailbox list and the whole subscription list;
 * the patterns (one or several) select from them here, so a name is
 * answered once however many patterns it matches, and the parents that
 * RECURSIVEMATCH (CHILDINFO) and LSUB's '%' (\Noselect) must report are
 * found from the subscriptions that the patterns do not match themselves.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "imap/imap_private.h"

#define LS_SUBSCRIBED	0x01	/* selection SUBSCRIBED (and LSUB) */
#define LS_RECURSIVE	0x02
#define LS_SPECIALUSE	0x04	/* selection SPECIAL-USE */
#define LR_SUBSCRIBED	0x10	/* return SUBSCRIBED */
#define LR_CHILDREN	0x20
#define LR_SPECIALUSE	0x40
#define LR_STATUS	0x80
#define L_LSUB		0x100

struct lentry {
	const char	*name;		/* borrowed from the store lists */
	const struct store_mailbox *mb;	/* the mailbox, NULL if missing */
	bool		 subscribed;
	bool		 childinfo;	/* a subscribed child not matched itself */
};

struct lctx {
	char		**pats;		/* canonical full patterns */
	size_t		 npats;
	struct store_mailbox *all, *subs;
	size_t		 nall, nsubs;
	struct lentry	*v;
	size_t		 n;
	char		**owned;	/* names of parents found here */
	size_t		 nowned;
};

/* INBOX is case-insensitive (RFC 3501 5.1); the store spells it upper. */
static char *
canon_pattern(const char *p)
{
	if (strncasecmp(p, "INBOX", 5) == 0 && (p[5] == '\0' || p[5] == '/'))
		return xasprintf("INBOX%s", p + 5);
	return xstrdup(p);
}

static bool
match_any(const struct lctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npats; i++)
		if (store_pattern_match(c->pats[i], name))
			return true;
	return false;
}

static const struct store_mailbox *
find_mb(const struct store_mailbox *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Adds name (unique unless dedupe: the store lists are sets). */
static struct lentry *
add_entry(struct lctx *c, const char *name, bool dedupe)
{
	struct lentry *e;
	size_t i;

	for (i = 0; dedupe && i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	c->v = xrealloc(c->v, size_mul(c->n + 1, sizeof(*c->v)));
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->mb = find_mb(c->all, c->nall, name);
	e->subscribed = find_mb(c->subs, c->nsubs, name) != NULL;
	return e;
}

/* A child of name exists (a mailbox or a container below it). */
static bool
has_children(const struct lctx *c, const struct lentry *e)
{
	size_t i, len = strlen(e->name);

	if (e->mb != NULL)
		return e->mb->has_children;
	for (i = 0; i < c->nall; i++)
		if (strncmp(c->all[i].name, e->name, len) == 0 &&
		    c->all[i].name[len] == '/')
			return true;
	return false;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct lentry *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name,
	    "INBOX") == 0;

	if (xi != yi)
		return xi ? -1 : 1;	/* INBOX first, as clients expect */
	return strcmp(x->name, y->name);
}

/* A copy of name that lives as long as c (entries borrow their names). */
static const char *
keep_name(struct lctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nowned; i++)
		if (strcmp(c->owned[i], name) == 0)
			return c->owned[i];
	c->owned = xrealloc(c->owned, size_mul(c->nowned + 1,
	    sizeof(*c->owned)));
	c->owned[c->nowned] = xstrdup(name);
	return c->owned[c->nowned++];
}

/*
 * The parents of subscriptions that no pattern matches: with
 * RECURSIVEMATCH they get CHILDINFO (RFC 5258 3.5); for LSUB a '%' that
 * stops at such a parent returns it (RFC 3501 6.3.9).
 */
static void
add_parents(struct lctx *c)
{
	size_t i;
	char *name, *slash;

	for (i = 0; i < c->nsubs; i++) {
		if (match_any(c, c->subs[i].name))
			continue;
		name = xstrdup(c->subs[i].name);
		while ((slash = strrchr(name, '/')) != NULL) {
			*slash = '\0';
			if (match_any(c, name))
				add_entry(c, keep_name(c, name), true)->
				    childinfo = true;
		}
		free(name);
	}
}

static void
send_entry(struct imap_session *s, const struct lctx *c,
    const struct lentry *e, unsigned opts, unsigned sitems)
{
	const struct store_mailbox *m = e->mb;
	bool lsub = (opts & L_LSUB) != 0;
	struct error err;
	struct buf b;

	buf_init(&b, STORE_MAILBOX_NAME_MAX * 4 + 256);
	buf_printf(&b, "* %s (", lsub ? "LSUB" : "LIST");
	if (lsub) {
		/* a subscription without its mailbox, or a parent that
		 * '%' stopped at without being subscribed itself */
		if (m == NULL || m->noselect || !e->subscribed)
			buf_puts(&b, "\\Noselect ");
	} else {
		if (m == NULL)
			buf_puts(&b, "\\NonExistent ");
		else if (m->noselect)
			buf_puts(&b, "\\Noselect ");
		/* RFC 5258 4: CHILDREN information may be given unasked */
		buf_puts(&b, has_children(c, e) ? "\\HasChildren " :
		    "\\HasNoChildren ");
		if (e->subscribed && (opts & (LS_SUBSCRIBED | LR_SUBSCRIBED)))
			buf_puts(&b, "\\Subscribed ");
		if (m != NULL && m->special_use != NULL)
			buf_printf(&b, "%s ", m->special_use);
	}
	if (b.data[b.len - 1] == ' ')
		b.len--;
	buf_puts(&b, ") \"/\" ");
	imap_mailbox_write(&b, e->name);
	if (e->childinfo && !lsub)
		buf_puts(&b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	(void)imap_stream_end(s, &b);
	buf_free(&b);
	if ((opts & LR_STATUS) && m != NULL && !m->noselect)
		(void)imap_send_status(s, m->name, sitems, &err);
}

static void
lctx_free(struct lctx *c)
{
	size_t i;

	for (i = 0; i < c->npats; i++)
		free(c->pats[i]);
	free(c->pats);
	for (i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	store_mailbox_list_free(c->all, c->nall);
	store_mailbox_list_free(c->subs, c->nsubs);
	free(c->v);
}

static int
list_patterns(struct imap_session *s, const char *ref,
    const struct imap_arg *pats, size_t npats, unsigned opts,
    unsigned sitems)
{
	const char *cmd = (opts & L_LSUB) ? "LSUB" : "LIST";
	struct lctx c;
	struct buf pat, dec;
	struct error err;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.pats = xcalloc(npats + 1, sizeof(*c.pats));
	for (i = 0; i < npats; i++) {
		if (!imap_arg_is_astring(&pats[i])) {
			lctx_free(&c);
			return imap_bad(s, "Invalid pattern");
		}
		buf_init(&dec, STORE_MAILBOX_NAME_MAX * 4);
		if (imap_mailbox_arg(&pats[i], &dec, &err) < 0) {
			buf_free(&dec);
			if (err.kind == ERR_SYNTAX) {
				lctx_free(&c);
				return imap_bad(s, "%s", err.msg);
			}
			continue;	/* names no mailbox */
		}
		if (dec.len == 0 && npats == 1 && !(opts & L_LSUB)) {
			/* RFC 3501 6.3.8: the delimiter and root */
			buf_free(&dec);
			imap_send(s, "* LIST (\\Noselect) \"/\" \"\"");
			lctx_free(&c);
			return imap_ok(s, "LIST completed");
		}
		buf_init(&pat, STORE_MAILBOX_NAME_MAX * 2 + 2);
		buf_puts(&pat, ref);
		buf_put_strv(&pat, buf_strv(&dec));
		buf_free(&dec);
		if (pat.err != 0) {
			buf_free(&pat);
			lctx_free(&c);
			return imap_bad(s, "Pattern too long");
		}
		c.pats[c.npats++] = canon_pattern(buf_cstr(&pat));
		buf_free(&pat);
	}
	if (c.npats == 0) {
		lctx_free(&c);
		return imap_ok(s, "%s completed", cmd);
	}
	if (store_mailbox_list(s->store, "*", false, &c.all, &c.nall,
	    &err) < 0 || store_mailbox_list(s->store, "*", true, &c.subs,
	    &c.nsubs, &err) < 0) {
		lctx_free(&c);
		return imap_no_err(s, cmd, &err);
	}
	if (opts & LS_SUBSCRIBED) {
		for (i = 0; i < c.nsubs; i++)
			if (match_any(&c, c.subs[i].name))
				(void)add_entry(&c, c.subs[i].name, false);
		if (opts & (LS_RECURSIVE | L_LSUB))
			add_parents(&c);
	} else {
		for (i = 0; i < c.nall; i++)
			if (match_any(&c, c.all[i].name))
				(void)add_entry(&c, c.all[i].name, false);
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_entry);
	for (i = 0; i < c.n; i++) {
		if ((opts & LS_SPECIALUSE) && (c.v[i].mb == NULL ||
		    c.v[i].mb->special_use == NULL))
			continue;
		send_entry(s, &c, &c.v[i], opts, sitems);
	}
	lctx_free(&c);
	return imap_ok(s, "%s completed", cmd);
}

static int
list_options(const struct imap_arg *a, bool selection, unsigned *opts,
    unsigned *sitems)
{
	const struct imap_list *l = a->list;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct imap_arg *o = &l->v[i];

		if (selection && imap_arg_is_atom(o, "SUBSCRIBED"))
			*opts |= LS_SUBSCRIBED;
		else if (selection && imap_arg_is_atom(o, "REMOTE"))
			continue;
		else if (selection && imap_arg_is_atom(o, "RECURSIVEMATCH"))
			*opts |= LS_RECURSIVE;
		else if (selection && imap_arg_is_atom(o, "SPECIAL-USE"))
			*opts |= LS_SPECIALUSE;
		else if (!selection && imap_arg_is_atom(o, "SUBSCRIBED"))
			*opts |= LR_SUBSCRIBED;
		else if (!selection && imap_arg_is_atom(o, "CHILDREN"))
			*opts |= LR_CHILDREN;
		else if (!selection && imap_arg_is_atom(o, "SPECIAL-USE"))
			*opts |= LR_SPECIALUSE;
		else if (!selection && imap_arg_is_atom(o, "STATUS") &&
		    i + 1 < l->n && imap_status_items(&l->v[i + 1],
		    sitems) == 0) {
			*opts |= LR_STATUS;
			i++;
		} else
			return -1;
	}
	/* RFC 5258 3: RECURSIVEMATCH needs another selection option */
	if ((*opts & LS_RECURSIVE) && !(*opts & LS_SUBSCRIBED))
		return -1;
	return 0;
}

int
cmd_list(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	unsigned opts = 0, sitems = 0;
	struct buf ref;
	struct error err;
	const struct imap_arg *pats;
	size_t npats;
	int r;

	if (n >= 1 && a[0].type == IMAP_ARG_LIST) {
		if (list_options(&a[0], true, &opts, &sitems) < 0)
			return imap_bad(s, "Invalid LIST selection options");
		a++;
		n--;
	}
	if (n != 2 && !(n == 4 && imap_arg_is_atom(&a[2], "RETURN") &&
	    a[3].type == IMAP_ARG_LIST))
		return imap_bad(s, "LIST expects a reference and a pattern");
	if (n == 4 && list_options(&a[3], false, &opts, &sitems) < 0)
		return imap_bad(s, "Invalid LIST return options");
	if (a[1].type == IMAP_ARG_LIST) {
		pats = a[1].list->v;
		npats = a[1].list->n;
	} else {
		pats = &a[1];
		npats = 1;
	}
	buf_init(&ref, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mailbox_arg(&a[0], &ref, &err) < 0) {
		buf_free(&ref);
		if (err.kind == ERR_SYNTAX)
			return imap_bad(s, "%s", err.msg);
		return imap_ok(s, "LIST completed");
	}
	r = list_patterns(s, buf_cstr(&ref), pats, npats, opts, sitems);
	buf_free(&ref);
	return r;
}

int
cmd_lsub(struct imap_session *s, const struct imap_arg *a, size_t n)
{
	struct buf ref;
	struct error err;
	int r;

	if (n != 2)
		return imap_bad(s, "LSUB expects a reference and a pattern");
	buf_init(&ref, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mailbox_arg(&a[0], &ref, &err) < 0) {
		buf_free(&ref);
		if (err.kind == ERR_SYNTAX)
			return imap_bad(s, "%s", err.msg);
		return imap_ok(s, "LSUB completed");
	}
	r = list_patterns(s, buf_cstr(&ref), &a[1], 1,
	    LS_SUBSCRIBED | L_LSUB, 0);
	buf_free(&ref);
	return r;
}
