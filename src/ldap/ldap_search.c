/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_search.c: search (RFC 4511 4.5) with scopes, size and time limits
 * (the client's and the server's SizeLimit and TimeLimit, the smaller
 * wins), attribute selection ("*", "+", "1.1", names; typesOnly), the
 * paged-results control (RFC 2696: the cookie is the id of the last record
 * sent, so a page costs no state on the server), the rootDSE, abandon
 * between batches; and compare (4.10).
 *
 * Records come from the directory in batches of DIR_SEARCH_BATCH; the
 * directory's lock is not held while the entries are written to the
 * client, so a slow client holds no one else.
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "directory/directory.h"
#include "core/server.h"
#include "ldap/ldap_msg.h"
#include "ldap/ldap_private.h"

#define PAGED_COOKIE_MAX	32

static const char *const operational[] = {
	"entryUUID", "modifyTimestamp", "entryDN", "subschemaSubentry",
	"memberOf", NULL
};

static bool
is_operational(const char *name)
{
	size_t i;

	for (i = 0; operational[i] != NULL; i++)
		if (strcasecmp(operational[i], name) == 0)
			return true;
	return false;
}

struct sel {
	const struct ldap_req	*r;
	bool			 all_user, all_oper;
};

static bool
listed(const struct ldap_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nattrs; i++)
		if (strcasecmp(r->attrs[i], name) == 0)
			return true;
	return false;
}

static void
sel_init(struct sel *sel, const struct ldap_req *r)
{
	sel->r = r;
	sel->all_oper = listed(r, "+");
	/* RFC 4511 4.5.1.8: none listed means all user attributes; "1.1"
	 * alone means none; RFC 3673: "+" the operational ones */
	sel->all_user = listed(r, "*") || r->nattrs == 0;
}

static bool
want(const char *name, void *arg)
{
	const struct sel *sel = arg;

	if (strcasecmp(name, "userPassword") == 0)
		return false;		/* never read back */
	if (is_operational(name))
		return sel->all_oper || listed(sel->r, name);
	return sel->all_user || listed(sel->r, name);
}

/* memberOf: the groups (records anywhere in the tree) with e's DN as a
 * member value, at most LDAP_MEMBEROF_MAX of them. */
static void
add_member_of(struct ldap_session *s, struct dir_entry *e)
{
	struct dir_filter f;
	struct dir_search q;
	struct dir_results res;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.kind = DF_EQ;
	f.attr = (char *)"member";
	f.value = e->dn;
	memset(&q, 0, sizeof(q));
	q.base = "";
	q.scope = DIR_SCOPE_SUB;
	q.filter = &f;
	q.max = LDAP_MEMBEROF_MAX;
	if (directory_search(s->srv->directory, &q, &res, NULL) == -1)
		return;
	for (i = 0; i < res.n; i++)
		dir_entry_add(e, "memberOf", res.e[i]->dn);
	if (res.more)
		log_ses(&s->log, LOG_PROBLEM, "%.200s: memberOf of more than "
		    "%u groups cut", e->dn, (unsigned)LDAP_MEMBEROF_MAX);
	dir_results_clear(&res);
}

/* Adds the operational attributes to a record about to be sent. */
static void
add_operational(struct ldap_session *s, const struct sel *sel,
    struct dir_entry *e)
{
	char ts[32];
	struct tm tm;
	time_t t = (time_t)e->mtime;

	dir_entry_add(e, "entryUUID", e->uuid);
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(ts, sizeof(ts), "%Y%m%d%H%M%SZ", &tm) > 0)
		dir_entry_add(e, "modifyTimestamp", ts);
	dir_entry_add(e, "entryDN", e->dn);
	dir_entry_add(e, "subschemaSubentry", "cn=Subschema");
	if (sel->all_oper || listed(sel->r, "memberOf"))
		add_member_of(s, e);
}

void
ldap_matched(struct ldap_session *s, const char *ndn, char *buf,
    size_t size)
{
	const char *p = ndn;

	buf[0] = '\0';
	while (*p != '\0') {
		p = dir_dn_parent(p);
		if (*p != '\0' && directory_exists(s->srv->directory, p)) {
			(void)snprintf(buf, size, "%s", p);
			return;
		}
	}
}

/* RFC 4512 5.1: the root DSE. */
static void
send_root_dse(struct ldap_session *s, struct ldap_req *r)
{
	struct dir_search q = { "", DIR_SCOPE_ONE, NULL, 0, 100 };
	struct dir_results res;
	struct dir_entry *e = dir_entry_new("");
	struct sel sel;
	size_t i;

	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "extensibleObject");
	if (directory_search(s->srv->directory, &q, &res, NULL) == 0) {
		for (i = 0; i < res.n; i++)
			dir_entry_add(e, "namingContexts", res.e[i]->dn);
		dir_results_clear(&res);
	}
	dir_entry_add(e, "supportedLDAPVersion", "3");
	dir_entry_add(e, "supportedControl", LDAP_OID_PAGED);
	dir_entry_add(e, "supportedControl", LDAP_OID_SORT);
	dir_entry_add(e, "supportedControl", LDAP_OID_VLV);
	dir_entry_add(e, "supportedExtension", LDAP_OID_STARTTLS);
	dir_entry_add(e, "supportedExtension", LDAP_OID_WHOAMI);
	dir_entry_add(e, "supportedExtension", LDAP_OID_PASSWD);
	dir_entry_add(e, "supportedSASLMechanisms", "PLAIN");
	dir_entry_add(e, "supportedFeatures", "1.3.6.1.4.1.4203.1.5.1");
	dir_entry_add(e, "vendorName", "Tegami");
	dir_entry_add(e, "vendorVersion", s->srv->version);
	/* the root DSE's attributes are all operational: listed, or "+",
	 * or (as most servers do) all of them for "*" / none */
	sel_init(&sel, r);
	if (dir_filter_match(r->filter, e) != DIR_FALSE)
		ldap_enc_entry(&s->out, r->msgid, "", e,
		    sel.all_user || sel.all_oper ? NULL : want, &sel,
		    r->typesonly);
	dir_entry_free(&e);
	ldap_enc_result(&s->out, r->msgid, LDAP_OP_SEARCH_DONE,
	    LDAP_RC_SUCCESS, "", "", NULL, NULL, 0);
	ldap_send(s);
}

static const struct ldap_control *
find_control(const struct ldap_req *r, const char *oid)
{
	size_t i;

	for (i = 0; i < r->ncontrols; i++)
		if (strcmp(r->controls[i].oid, oid) == 0)
			return &r->controls[i];
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SearchResultDone, with the paged-results control when paged. */
static void
search_done(struct ldap_session *s, struct ldap_req *r, int rc,
    const char *matched, const char *diag, bool paged, int64_t last_id)
{
	char cookie[PAGED_COOKIE_MAX];
	struct buf v;
	size_t clen = 0;

	if (!paged) {
		ldap_enc_result(&s->out, r->msgid, LDAP_OP_SEARCH_DONE, rc,
		    matched, diag, NULL, NULL, 0);
		ldap_send(s);
		return;
	}
	if (last_id > 0)
		clen = (size_t)snprintf(cookie, sizeof(cookie), "%" PRId64,
		    last_id);
	buf_init(&v, 256);
	ldap_enc_paged_value(&v, 0, cookie, clen);
	ldap_enc_result(&s->out, r->msgid, LDAP_OP_SEARCH_DONE, rc, matched,
	    diag, LDAP_OID_PAGED, v.data, v.len);
	buf_free(&v);
	ldap_send(s);
}

/* ---- server-side sort (RFC 2891) and virtual list view ----------------------------- */

struct sort_ctx {
	const struct ldap_sort_key	*keys;
	size_t				 nkeys;
};

/* The smallest value of attr in e (RFC 2891 2.2), or NULL. */
static const char *
sort_value(const struct dir_entry *e, const char *attr)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < e->navs; i++)
		if (strcasecmp(e->avs[i].name, attr) == 0 && (best == NULL ||
		    dir_value_cmp(attr, e->avs[i].val, best) < 0))
			best = e->avs[i].val;
	return best;
}

static __thread const struct sort_ctx *sort_cur;

/* Entries without the attribute sort after all others either way. */
static int
sort_cmp(const void *pa, const void *pb)
{
	const struct dir_entry *a = *(const struct dir_entry *const *)pa;
	const struct dir_entry *b = *(const struct dir_entry *const *)pb;
	const char *va, *vb;
	size_t i;
	int c;

	for (i = 0; i < sort_cur->nkeys; i++) {
		va = sort_value(a, sort_cur->keys[i].attr);
		vb = sort_value(b, sort_cur->keys[i].attr);
		if (va == NULL || vb == NULL) {
			if (va != vb)
				return va == NULL ? 1 : -1;
			continue;
		}
		c = dir_value_cmp(sort_cur->keys[i].attr, va, vb);
		if (c != 0)
			return sort_cur->keys[i].reverse ? -c : c;
	}
	return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * VLV context (draft-ietf-ldapext-ldapv3-vlv-09 6.1): a sorted list with
 * a view is kept for the session (the ids in order and the first key's
 * values, at most SizeLimit of them) with the contextID returned; a next
 * request giving that contextID back for the same search (base, scope,
 * filter, sort keys) while the directory is unchanged (its generation) is
 * answered from it without searching and sorting again.  Otherwise the
 * list is built anew with a new contextID.
 */
struct ldap_vlv_list {
	char	 ctx[16];		/* the contextID we gave */
	char	*key;			/* the search it is */
	uint64_t gen;			/* directory generation it reflects */
	int64_t	*ids;
	char	**vals;			/* first sort key's value, or NULL */
	size_t	 n;
};

void
ldap_vlv_free(struct ldap_vlv_list **lp)
{
	struct ldap_vlv_list *l = *lp;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->vals[i]);
	free(l->vals);
	free(l->ids);
	free(l->key);
	free(l);
	*lp = NULL;
}

/* A text that is the same for the same filter: values length-prefixed. */
static void
filter_key(struct buf *b, const struct dir_filter *f)
{
	size_t i;

#define KV(v)	buf_printf(b, "%zu:%s", (v) != NULL ? strlen(v) : 0, \
		    (v) != NULL ? (v) : "")
	buf_printf(b, "(%d", (int)f->kind);
	if (f->attr != NULL)
		KV(f->attr);
	switch (f->kind) {
	case DF_AND:
	case DF_OR:
	case DF_NOT:
		for (i = 0; i < f->nkids; i++)
			filter_key(b, f->kids[i]);
		break;
	case DF_SUBSTR:
		KV(f->initial);
		for (i = 0; i < f->nany; i++)
			KV(f->any[i]);
		buf_putc(b, '|');
		KV(f->final);
		break;
	case DF_PRESENT:
		break;
	default:
		KV(f->value);
		break;
	}
#undef KV
	buf_putc(b, ')');
}

static char *
search_key(const char *base, int scope, const struct dir_filter *f,
    const struct ldap_sort_key *keys, size_t nkeys)
{
	struct buf b;
	size_t i;
	char *k;

	buf_init(&b, (size_t)LDAP_PDU_MAX * 2);
	buf_printf(&b, "%s|%d|", base, scope);
	if (f != NULL)
		filter_key(&b, f);
	for (i = 0; i < nkeys; i++)
		buf_printf(&b, "|%s%s", keys[i].reverse ? "-" : "+",
		    keys[i].attr);
	k = xstrdup(b.data != NULL ? b.data : "");
	buf_free(&b);
	return k;
}

static void
sorted_done(struct ldap_session *s, struct ldap_req *r, int rc,
    const char *diag, int sort_rc, const struct ldap_vlv *vlv, int pos,
    int count, int vlv_rc)
{
	struct ldap_ctrl_out c[2];
	struct buf sv, vv;
	size_t n = 0;

	buf_init(&sv, 64);
	buf_init(&vv, 128);
	ldap_enc_sort_res(&sv, sort_rc);
	c[n].oid = LDAP_OID_SORT_RES;
	c[n].value = sv.data;
	c[n++].vlen = sv.len;
	if (vlv != NULL) {
		/* the list's contextID when the answer came from it */
		if (vlv_rc == LDAP_RC_SUCCESS && s->vlv != NULL)
			ldap_enc_vlv_res_ctx(&vv, pos, count, vlv_rc,
			    s->vlv->ctx, sizeof(s->vlv->ctx));
		else
			ldap_enc_vlv_res(&vv, pos, count, vlv_rc);
		c[n].oid = LDAP_OID_VLV_RES;
		c[n].value = vv.data;
		c[n++].vlen = vv.len;
	}
	ldap_enc_result_ctrls(&s->out, r->msgid, LDAP_OP_SEARCH_DONE, rc, "",
	    diag, c, n);
	ldap_send(s);
	buf_free(&sv);
	buf_free(&vv);
}

/* Keeps the sorted list all[0..n) as the session's VLV list; past
 * LDAP_VLV_LIST_MAX bytes none is kept (the answer has no contextID). */
static void
vlv_keep(struct ldap_session *s, char *key, uint64_t gen,
    struct dir_entry *const *all, size_t n, const char *attr)
{
	static _Atomic uint64_t seq;
	struct ldap_vlv_list *l;
	const char *v;
	uint64_t id;
	size_t i, bytes = strlen(key);

	ldap_vlv_free(&s->vlv);
	for (i = 0; i < n; i++) {
		v = sort_value(all[i], attr);
		bytes += sizeof(int64_t) + sizeof(char *) +
		    (v != NULL ? strlen(v) + 1 : 0);
	}
	if (bytes > LDAP_VLV_LIST_MAX) {
		log_ses(&s->log, LOG_PROBLEM, "virtual list view of %zu "
		    "entries: more than %u bytes, no context kept", n,
		    (unsigned)LDAP_VLV_LIST_MAX);
		free(key);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	id = atomic_fetch_add(&seq, 1) + 1;
	(void)snprintf(l->ctx, sizeof(l->ctx), "%015" PRIx64, id);
	l->ctx[sizeof(l->ctx) - 1] = 'v';	/* 16 bytes, no NUL sent */
	l->key = key;
	l->gen = gen;
	l->n = n;
	if (n > 0) {
		l->ids = xcalloc(n, sizeof(*l->ids));
		l->vals = xcalloc(n, sizeof(*l->vals));
	}
	for (i = 0; i < n; i++) {
		l->ids[i] = all[i]->id;
		if ((v = sort_value(all[i], attr)) != NULL)
			l->vals[i] = xstrdup(v);
	}
	s->vlv = l;
}

/*
 * A sorted search: every match is collected (at most the server's
 * SizeLimit: past it adminLimitExceeded, nothing sorted), sorted, then
 * sent whole (up to the client's size limit) or, with a virtual list view,
 * the window around the target position -- from the session's VLV list
 * when the request names it by its contextID and it is current.
 */
static void
sorted_search(struct ldap_session *s, struct ldap_req *r, const char *base,
    const struct ldap_control *sc, const struct ldap_control *vc)
{
	struct ldap_sort_key keys[LDAP_SORT_KEYS_MAX];
	struct sort_ctx ctx;
	struct ldap_vlv vlv;
	struct dir_search q;
	struct dir_results res;
	struct dir_entry **all = NULL, *e;
	char matched[DIR_DN_MAX + 1];
	struct error err;
	struct sel sel;
	size_t n = 0, cap = 0, nkeys, i, from, to;
	uint64_t limit = s->conf->size_limit, gen;
	int pos = 0, rc = LDAP_RC_SUCCESS;
	bool more = true, reuse = false;
	const char *diag = "", *v;
	char *key = NULL;

	if (ldap_dec_sort_value(sc->value, sc->has_value ? sc->vlen : 0, keys,
	    LDAP_SORT_KEYS_MAX, &nkeys, &err) == -1) {
		sorted_done(s, r, LDAP_RC_PROTOCOL_ERROR, err.msg,
		    LDAP_RC_PROTOCOL_ERROR, NULL, 0, 0, 0);
		return;
	}
	if (vc != NULL && ldap_dec_vlv_value(vc->value, vc->has_value ?
	    vc->vlen : 0, &vlv, &err) == -1) {
		sorted_done(s, r, LDAP_RC_PROTOCOL_ERROR, err.msg,
		    LDAP_RC_SUCCESS, &vlv, 0, 0, LDAP_RC_PROTOCOL_ERROR);
		return;
	}
	gen = directory_generation(s->srv->directory);
	if (vc != NULL) {
		key = search_key(base, r->scope, r->filter, keys, nkeys);
		reuse = vlv.has_context && s->vlv != NULL &&
		    vlv.context_len == sizeof(s->vlv->ctx) &&
		    memcmp(vlv.context, s->vlv->ctx, sizeof(s->vlv->ctx)) ==
		    0 && strcmp(key, s->vlv->key) == 0 && s->vlv->gen == gen;
	}
	if (reuse) {
		n = s->vlv->n;
		free(key);
		key = NULL;
		log_ses(&s->log, LOG_LOW, "virtual list view from its context "
		    "(%zu entries)", n);
		goto sorted;
	}
	memset(&q, 0, sizeof(q));
	q.base = base;
	q.scope = (enum dir_scope)r->scope;
	q.filter = r->filter;
	while (more) {
		q.max = DIR_SEARCH_BATCH;
		if (directory_search(s->srv->directory, &q, &res, &err) == -1) {
			if (err.kind == ERR_NOTFOUND) {
				ldap_matched(s, base, matched,
				    sizeof(matched));
				ldap_enc_result(&s->out, r->msgid,
				    LDAP_OP_SEARCH_DONE, LDAP_RC_NO_SUCH_OBJECT,
				    matched, "no such object", NULL, NULL, 0);
				ldap_send(s);
			} else
				sorted_done(s, r, LDAP_RC_OTHER, err.msg,
				    LDAP_RC_OTHER, NULL, 0, 0, 0);
			goto out;
		}
		more = res.more;
		if (res.n > 0)
			q.after_id = res.e[res.n - 1]->id;
		if (n + res.n > limit) {
			dir_results_clear(&res);
			sorted_done(s, r, LDAP_RC_ADMINLIMIT, "too many entries "
			    "to sort", LDAP_RC_ADMINLIMIT, vc != NULL ? &vlv :
			    NULL, 0, 0, LDAP_RC_ADMINLIMIT);
			goto out;
		}
		if (n + res.n > cap) {
			cap = (n + res.n) * 2;
			all = xrealloc(all, size_mul(cap, sizeof(*all)));
		}
		for (i = 0; i < res.n; i++) {
			all[n++] = res.e[i];
			res.e[i] = NULL;
		}
		res.n = 0;
		dir_results_clear(&res);
		if (ldap_abandoned(s, r->msgid))
			goto out;
	}
	ctx.keys = keys;
	ctx.nkeys = nkeys;
	sort_cur = &ctx;
	if (n > 1)
		qsort(all, n, sizeof(*all), sort_cmp);
	sort_cur = NULL;
	if (vc != NULL) {
		vlv_keep(s, key, gen, all, n, keys[0].attr);
		key = NULL;
	}
sorted:
	from = 0;
	to = n;
	if (vc != NULL) {
		if (vlv.by_value) {
			/* the first entry whose first key is >= the value */
			for (i = 0; i < n; i++) {
				v = reuse ? s->vlv->vals[i] :
				    sort_value(all[i], keys[0].attr);
				if (v != NULL && (keys[0].reverse ?
				    dir_value_cmp(keys[0].attr, v, vlv.value) <=
				    0 : dir_value_cmp(keys[0].attr, v,
				    vlv.value) >= 0))
					break;
			}
			pos = (int)i + 1;
		} else if (vlv.count == 0 || (size_t)vlv.count == n)
			pos = vlv.offset;
		else if (vlv.offset >= vlv.count)
			pos = (int)n;		/* the last */
		else
			pos = (int)(((int64_t)vlv.offset * (int64_t)n +
			    vlv.count / 2) / vlv.count);
		if (pos < 1)
			pos = 1;
		if ((size_t)pos > n + 1)
			pos = (int)n + 1;
		from = (size_t)pos - 1 > (size_t)vlv.before ?
		    (size_t)pos - 1 - (size_t)vlv.before : 0;
		to = (size_t)pos - 1 + (size_t)vlv.after + 1;
		if (to > n)
			to = n;
	} else if (r->sizelimit > 0 && (size_t)r->sizelimit < n) {
		to = (size_t)r->sizelimit;
		rc = LDAP_RC_SIZELIMIT;
		diag = "size limit exceeded";
	}
	sel_init(&sel, r);
	for (i = from; i < to; i++) {
		if (reuse) {
			/* the generation is unchanged: every id is there */
			if ((e = directory_get_id(s->srv->directory,
			    s->vlv->ids[i], NULL)) == NULL)
				continue;
		} else
			e = all[i];
		if (sel.all_oper || r->nattrs > 0)
			add_operational(s, &sel, e);
		ldap_enc_entry(&s->out, r->msgid, e->dn, e, want, &sel,
		    r->typesonly);
		ldap_send(s);
		if (reuse)
			dir_entry_free(&e);
	}
	log_ses(&s->log, LOG_LOW, "sorted search '%.200s': %zu of %zu entries",
	    r->dn, to > from ? to - from : 0, n);
	sorted_done(s, r, rc, diag, LDAP_RC_SUCCESS, vc != NULL ? &vlv : NULL,
	    pos, (int)n, LDAP_RC_SUCCESS);
out:
	free(key);
	if (!reuse)
		for (i = 0; i < n; i++)
			dir_entry_free(&all[i]);
	free(all);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * memberOf is computed (the groups whose member values name the record),
 * so an equality on it cannot be matched against stored values: each
 * (memberOf=G) becomes the set of G's members (DF_DNSET, normal DNs) before
 * the search.  G missing or without members: an empty set, which matches
 * nothing.  Presence and substrings of memberOf match nothing.
 */
static void
resolve_member_of(struct ldap_session *s, struct dir_filter *f)
{
	char ndn[DIR_DN_MAX + 1];
	struct dir_entry *g;
	struct error err;
	size_t i, n;

	if (f->kind == DF_AND || f->kind == DF_OR || f->kind == DF_NOT) {
		for (i = 0; i < f->nkids; i++)
			resolve_member_of(s, f->kids[i]);
		return;
	}
	if ((f->kind != DF_EQ && f->kind != DF_APPROX) || f->attr == NULL ||
	    strcasecmp(f->attr, "memberOf") != 0 || f->value == NULL)
		return;
	f->kind = DF_DNSET;
	if ((g = directory_get(s->srv->directory, f->value, NULL)) == NULL)
		return;
	f->any = xcalloc(g->navs + 1, sizeof(*f->any));
	for (i = 0; i < g->navs; i++)
		if (strcasecmp(g->avs[i].name, "member") == 0 &&
		    dir_dn_normalize(g->avs[i].val, ndn, sizeof(ndn),
		    &err) == 0)
			f->any[f->nany++] = xstrdup(ndn);
	dir_entry_free(&g);
	qsort(f->any, f->nany, sizeof(*f->any), cmp_str);
	for (i = n = 0; i < f->nany; i++) {	/* each once */
		if (n > 0 && strcmp(f->any[n - 1], f->any[i]) == 0)
			free(f->any[i]);
		else
			f->any[n++] = f->any[i];
	}
	f->nany = n;
}

void
ldap_do_search(struct ldap_session *s, struct ldap_req *r)
{
	char base[DIR_DN_MAX + 1], matched[DIR_DN_MAX + 1];
	char cookie[PAGED_COOKIE_MAX], *end;
	const struct ldap_control *pc, *sc, *vc;
	struct dir_search q;
	struct dir_results res;
	struct error err;
	struct sel sel;
	uint64_t limit, tlimit;
	size_t sent = 0, i, clen = 0;
	int64_t start = now_ms(), last = 0;
	int page = 0, rc = LDAP_RC_SUCCESS;
	bool paged = false, more = false;
	const char *diag = "";

	if (r->filter != NULL)
		resolve_member_of(s, r->filter);
	/* RFC 4512 5.1: base "", scope base: the root DSE */
	if (*r->dn == '\0' && r->scope == DIR_SCOPE_BASE) {
		send_root_dse(s, r);
		return;
	}
	if (dir_dn_normalize(r->dn, base, sizeof(base), &err) == -1) {
		search_done(s, r, LDAP_RC_INVALID_DN, "", err.msg, false, 0);
		return;
	}
	if ((sc = find_control(r, LDAP_OID_SORT)) != NULL) {
		sorted_search(s, r, base, sc, find_control(r, LDAP_OID_VLV));
		return;
	}
	if ((vc = find_control(r, LDAP_OID_VLV)) != NULL) {
		/* a view needs an order */
		struct buf vv;
		struct ldap_ctrl_out c;

		buf_init(&vv, 64);
		ldap_enc_vlv_res(&vv, 0, 0, LDAP_RC_SORT_MISSING);
		c.oid = LDAP_OID_VLV_RES;
		c.value = vv.data;
		c.vlen = vv.len;
		ldap_enc_result_ctrls(&s->out, r->msgid, LDAP_OP_SEARCH_DONE,
		    LDAP_RC_SORT_MISSING, "", "virtual list view needs the "
		    "sort control", &c, 1);
		ldap_send(s);
		buf_free(&vv);
		return;
	}
	if ((pc = find_control(r, LDAP_OID_PAGED)) != NULL) {
		if (!pc->has_value || ldap_dec_paged_value(pc->value, pc->vlen,
		    &page, cookie, sizeof(cookie), &clen, &err) == -1) {
			search_done(s, r, LDAP_RC_PROTOCOL_ERROR, "",
			    "malformed paged results control", false, 0);
			return;
		}
		paged = true;
		if (clen > 0) {
			last = strtoll(cookie, &end, 10);
			if (*end != '\0' || last <= 0) {
				search_done(s, r, LDAP_RC_UNWILLING, "",
				    "bad paged results cookie", true, 0);
				return;
			}
		}
		/* RFC 2696 3: size 0 abandons the paged search */
		if (page <= 0) {
			search_done(s, r, LDAP_RC_SUCCESS, "", "", true, 0);
			return;
		}
	}
	limit = s->conf->size_limit;
	if (r->sizelimit > 0 && (uint64_t)r->sizelimit < limit)
		limit = (uint64_t)r->sizelimit;
	if (paged && (uint64_t)page < limit)
		limit = (uint64_t)page;
	tlimit = s->conf->time_limit;
	if (r->timelimit > 0 && (uint64_t)r->timelimit < tlimit)
		tlimit = (uint64_t)r->timelimit;
	sel_init(&sel, r);
	memset(&q, 0, sizeof(q));
	q.base = base;
	q.scope = (enum dir_scope)r->scope;
	q.filter = r->filter;
	q.after_id = last;
	for (;;) {
		q.max = limit - sent < DIR_SEARCH_BATCH ? (size_t)(limit -
		    sent) : DIR_SEARCH_BATCH;
		if (directory_search(s->srv->directory, &q, &res, &err) == -1) {
			if (err.kind == ERR_NOTFOUND) {
				ldap_matched(s, base, matched,
				    sizeof(matched));
				search_done(s, r, LDAP_RC_NO_SUCH_OBJECT,
				    matched, "no such object", false, 0);
			} else {
				log_ses(&s->log, LOG_FAILURE, "search: %s",
				    err.msg);
				search_done(s, r, LDAP_RC_OTHER, "", err.msg,
				    false, 0);
			}
			return;
		}
		for (i = 0; i < res.n; i++) {
			if (sel.all_oper || r->nattrs > 0)
				add_operational(s, &sel, res.e[i]);
			ldap_enc_entry(&s->out, r->msgid, res.e[i]->dn,
			    res.e[i], want, &sel, r->typesonly);
			ldap_send(s);
		}
		sent += res.n;
		if (res.n > 0)
			q.after_id = res.e[res.n - 1]->id;
		more = res.more;
		dir_results_clear(&res);
		if (!more)
			break;
		if (sent >= limit) {
			if (!paged) {
				rc = LDAP_RC_SIZELIMIT;
				diag = "size limit exceeded";
			}
			break;
		}
		if ((uint64_t)(now_ms() - start) >= tlimit * 1000) {
			rc = LDAP_RC_TIMELIMIT;
			diag = "time limit exceeded";
			break;
		}
		/* RFC 4511 4.11: an abandoned search ends without a reply */
		if (ldap_abandoned(s, r->msgid))
			return;
	}
	log_ses(&s->log, LOG_LOW, "search '%.200s' scope %d: %zu entries%s",
	    r->dn, r->scope, sent, rc == LDAP_RC_SIZELIMIT ? " (size limit)" :
	    rc == LDAP_RC_TIMELIMIT ? " (time limit)" : "");
	search_done(s, r, rc, "", diag, paged, paged && more ? q.after_id :
	    0);
}

void
ldap_do_compare(struct ldap_session *s, struct ldap_req *r)
{
	char ndn[DIR_DN_MAX + 1], matched[DIR_DN_MAX + 1];
	struct dir_entry *e;
	struct error err;

	if (dir_dn_normalize(r->dn, ndn, sizeof(ndn), &err) == -1) {
		ldap_reply(s, r, LDAP_RC_INVALID_DN, "", err.msg);
		return;
	}
	if ((e = directory_get(s->srv->directory, ndn, &err)) == NULL) {
		ldap_matched(s, ndn, matched, sizeof(matched));
		ldap_reply(s, r, err.kind == ERR_NOTFOUND ?
		    LDAP_RC_NO_SUCH_OBJECT : LDAP_RC_OTHER, matched, err.msg);
		return;
	}
	if (strcasecmp(r->attr, "userPassword") == 0 ||
	    dir_entry_get(e, r->attr) == NULL)
		ldap_reply(s, r, LDAP_RC_NO_SUCH_ATTRIBUTE, "", "no such "
		    "attribute");
	else
		ldap_reply(s, r, dir_entry_has_value(e, r->attr, r->value) ?
		    LDAP_RC_COMPARE_TRUE : LDAP_RC_COMPARE_FALSE, "", "");
	dir_entry_free(&e);
}
