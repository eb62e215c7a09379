/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.c: routing (the rules below).  router_route() parses the
 * address and then loops: strip our own IP literals, complete bare names,
 * apply the first matching Router Table record, resolve pseudo-domains, and
 * resolve names in our domains through struct router_dir_ops.  Every
 * rewrite -- a table record, the percent hack, a forwarder, the postmaster
 * fallback, an unknown-name reroute -- counts as one pass; more than
 * ROUTER_PASSES_MAX passes is a "routing loop".
 *
 * Rules chosen where the reference is silent (each is tested):
 *  - Table records never apply to an address whose domain is a
 *    pseudo-domain (x.local, x.smtp, x.via, error, null, pipe): such a
 *    result is final, so "<postmaster> = pm@postmaster.local" cannot loop
 *    back through the <postmaster> record (docs/behaviour.md, B2).
 *  - name.local is the Main Domain object `name` (the local part is
 *    ignored); it must be an account or an alias of one, else ERROR.
 *  - x@error: the error text is the local part when an address record
 *    wrote it ("<*@spam.dom> = \"no spam\"@error"), else "address is
 *    rejected" (the local part is then just the user's name).
 *  - ACCESS context, local part "LoginPage" (docs/behaviour.md, B14):
 *    LOCAL with account "LoginPage" in the resolved domain without an
 *    object lookup when the domain is ours; ERROR "unknown domain"
 *    otherwise.
 *  - "Accepted and Bounced" cannot be expressed as a route result; it is
 *    treated as "Rejected" (ERROR "unknown user account") in every context.
 *  - postmaster@<our domain without such object> goes to the Main Domain's
 *    postmaster, re-routed (so a <postmaster> record applies to it).
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "router/address.h"
#include "router/router.h"
#include "router/router_private.h"

struct router {
	const struct router_dir_ops	*ops;
	void				*ctx;
	pthread_rwlock_t		 lock;
	struct rtable			*table;		/* under lock */
};

/* One routing in progress. */
struct rstate {
	struct router		*r;
	enum route_ctx		 rctx;
	char			 main[DOMAIN_NAME_MAX + 1];
	struct address		 a;
	int			 passes;
	bool			 local_is_text;	/* an address record wrote it */
	struct route_result	*res;
};

struct router *
router_new(const struct router_dir_ops *ops, void *ctx)
{
	struct router *r = xcalloc(1, sizeof(*r));

	r->ops = ops;
	r->ctx = ctx;
	if (pthread_rwlock_init(&r->lock, NULL) != 0)
		fatal("router: pthread_rwlock_init failed");
	r->table = rtable_parse("", NULL);
	return r;
}

void
router_free(struct router **rp)
{
	struct router *r = *rp;

	if (r == NULL)
		return;
	rtable_free(&r->table);
	pthread_rwlock_destroy(&r->lock);
	free(r);
	*rp = NULL;
}

int
router_set_table(struct router *r, const char *text, struct error *err_r)
{
	struct rtable *t, *old;

	if ((t = rtable_parse(text, err_r)) == NULL)
		return -1;
	pthread_rwlock_wrlock(&r->lock);
	old = r->table;
	r->table = t;
	pthread_rwlock_unlock(&r->lock);
	rtable_free(&old);
	return 0;
}

char *
router_get_table(struct router *r)
{
	char *s;

	pthread_rwlock_rdlock(&r->lock);
	s = xstrdup(r->table->text);
	pthread_rwlock_unlock(&r->lock);
	return s;
}

int
router_check_table(const char *text, struct error *err_r)
{
	struct rtable *t;

	if ((t = rtable_parse(text, err_r)) == NULL)
		return -1;
	rtable_free(&t);
	return 0;
}

const char *
route_ctx_name(enum route_ctx rctx)
{
	switch (rctx) {
	case ROUTE_MAIL:
		return "mail";
	case ROUTE_ACCESS:
		return "access";
	case ROUTE_SIGNAL:
		return "signal";
	}
	return "unknown";
}

static int
fail(struct rstate *st, struct error *err_r, enum err_kind kind,
    const char *msg)
{
	struct route_result *res = st->res;

	res->module = ROUTE_ERROR;
	snprintf(res->error, sizeof(res->error), "%s", msg);
	return error_set(err_r, kind, "%s", msg);
}

static bool
has_suffix(const char *s, const char *suffix, size_t *stem_r)
{
	size_t n = strlen(s), k = strlen(suffix);

	if (n <= k || strcmp(s + n - k, suffix) != 0)
		return false;
	*stem_r = n - k;
	return true;
}

static bool
is_pseudo(const struct address *a)
{
	size_t stem;

	if (a->dkind != ADDRESS_DOMAIN_NAME)
		return false;
	return has_suffix(a->domain, ".local", &stem) ||
	    has_suffix(a->domain, ".smtp", &stem) ||
	    has_suffix(a->domain, ".via", &stem) ||
	    strcmp(a->domain, "error") == 0 ||
	    strcmp(a->domain, "null") == 0 || strcmp(a->domain, "pipe") == 0;
}

/* Our own addresses, 127.0.0.1 and 0.0.0.0. */
static bool
is_own_ip(struct rstate *st)
{
	const char *ip = st->a.ip;

	if (strncmp(ip, "127.", 4) == 0 || strcmp(ip, "0.0.0.0") == 0 ||
	    strcmp(ip, "::1") == 0 || strcmp(ip, "::") == 0)
		return true;
	return st->r->ops->is_local_ip(st->r->ctx, ip);
}

static int
set_local(struct rstate *st, const char *domain, const char *account,
    struct error *err_r)
{
	struct route_result *res = st->res;

	if (strlen(account) > OBJECT_NAME_MAX ||
	    strlen(domain) > DOMAIN_NAME_MAX || account[0] == '\0')
		return fail(st, err_r, ERR_LIMIT, "bad account name");
	res->module = ROUTE_LOCAL;
	snprintf(res->domain, sizeof(res->domain), "%s", domain);
	snprintf(res->account, sizeof(res->account), "%s", account);
	res->host[0] = '\0';
	snprintf(res->address, sizeof(res->address), "%s@%s", account,
	    domain);
	return 0;
}

static int
set_smtp(struct rstate *st, const char *host, const char *local,
    const char *domain, struct error *err_r)
{
	struct route_result *res = st->res;

	if (strlen(host) >= sizeof(res->host) ||
	    address_join(local, domain, res->address,
	    sizeof(res->address)) == -1)
		return fail(st, err_r, ERR_LIMIT, "address too long");
	res->module = ROUTE_SMTP;
	snprintf(res->host, sizeof(res->host), "%s", host);
	return 0;
}

/* Replaces the current address with text (a forwarder target, a reroute
 * address); a bare name takes dflt. */
static int
reroute(struct rstate *st, const char *text, const char *dflt,
    struct error *err_r)
{
	struct address na;
	struct error e;

	if (address_parse(text, strlen(text), &na, &e) == -1)
		return fail(st, err_r, e.kind, e.msg);
	if (na.dkind == ADDRESS_DOMAIN_NONE &&
	    address_set_domain(&na, dflt, strlen(dflt), 0, &e) == -1)
		return fail(st, err_r, e.kind, e.msg);
	st->a = na;
	st->local_is_text = false;
	return 0;
}

/* Pseudo-domains are final: 0 routed, -1 refused. */
static int
route_pseudo(struct rstate *st, struct error *err_r)
{
	struct address *a = &st->a;
	struct router *r = st->r;
	char name[DOMAIN_NAME_MAX + 1], target[OBJECT_NAME_MAX + 1];
	struct address hop;
	struct error e;
	char *pct;
	size_t stem;

	if (has_suffix(a->domain, ".local", &stem)) {
		/* Unified Domain-Wide Account: the local part is ignored. */
		memcpy(name, a->domain, stem);
		name[stem] = '\0';
		switch (r->ops->find_object(r->ctx, st->main, name, target,
		    sizeof(target))) {
		case DIR_ACCOUNT:
		case DIR_ALIAS:
			return set_local(st, st->main, target, err_r);
		default:
			return fail(st, err_r, ERR_NOTFOUND,
			    "unknown user account");
		}
	}
	if (has_suffix(a->domain, ".smtp", &stem)) {
		if (address_set_domain(&hop, a->domain, stem, 0, &e) == -1)
			return fail(st, err_r, e.kind, e.msg);
		return set_smtp(st, hop.domain, a->local, hop.domain, err_r);
	}
	if (has_suffix(a->domain, ".via", &stem)) {
		/* HowTo: aname%domain.dom@host.via -> aname@domain.dom sent
		 * to host. */
		char local[ADDRESS_MAX + 1];
		struct address env;

		if (address_set_domain(&hop, a->domain, stem, 0, &e) == -1)
			return fail(st, err_r, e.kind, e.msg);
		memcpy(local, a->local, strlen(a->local) + 1);
		pct = strrchr(local, '%');
		if (pct == NULL)
			return set_smtp(st, hop.domain, local, hop.domain,
			    err_r);
		*pct++ = '\0';
		if (local[0] == '\0' ||
		    address_set_domain(&env, pct, strlen(pct), 0, &e) == -1)
			return fail(st, err_r, ERR_SYNTAX,
			    "bad address for .via relaying");
		return set_smtp(st, hop.domain, local, env.domain, err_r);
	}
	if (strcmp(a->domain, "error") == 0)
		return fail(st, err_r, ERR_PERM, st->local_is_text ?
		    a->local : "address is rejected");
	if (strcmp(a->domain, "null") == 0) {
		st->res->module = ROUTE_NULL;
		address_format(a, st->res->address, sizeof(st->res->address));
		return 0;
	}
	/* pipe: the local part is the program and its arguments. */
	st->res->module = ROUTE_PIPE;
	snprintf(st->res->address, sizeof(st->res->address), "%s", a->local);
	return 0;
}

/* Unknown name in our domain: 1 = re-route the new address, else done. */
static int
route_unknown(struct rstate *st, const char *domain, struct error *err_r)
{
	struct router *r = st->r;
	char policy[64], tpl[ADDRESS_MAX + 1], text[ADDRESS_MAX + 1];
	char local[ADDRESS_MAX + 1], dom[ADDRESS_MAX + 1];
	struct address t;
	struct rcap caps[ROUTER_STARS_MAX];
	size_t i, ci = 0;

	policy[0] = tpl[0] = '\0';
	r->ops->unknown_policy(r->ctx, domain, st->rctx, policy,
	    sizeof(policy), tpl, sizeof(tpl));
	if (strcasecmp(policy, "Discarded") == 0) {
		st->res->module = ROUTE_NULL;
		address_format(&st->a, st->res->address,
		    sizeof(st->res->address));
		return 0;
	}
	if (strcasecmp(policy, "Rerouted to") != 0 || tpl[0] == '\0')
		return fail(st, err_r, ERR_NOTFOUND, "unknown user account");
	/* "*" in the reroute address stands for the unknown name. */
	if (address_parse_ex(tpl, strlen(tpl), ADDRESS_F_WILDCARD, &t,
	    NULL) == -1)
		return fail(st, err_r, ERR_SYNTAX, "bad reroute address");
	for (i = 0; i < N_ELEMENTS(caps); i++)
		caps[i] = (struct rcap){ st->a.local, strlen(st->a.local) };
	if (rtable_subst(t.local, caps, N_ELEMENTS(caps), &ci, local,
	    sizeof(local)) == -1 ||
	    rtable_subst(t.domain, caps, N_ELEMENTS(caps), &ci, dom,
	    sizeof(dom)) == -1 ||
	    address_join(local, dom[0] != '\0' ? dom : domain, text,
	    sizeof(text)) == -1)
		return fail(st, err_r, ERR_LIMIT, "reroute address too long");
	if (reroute(st, text, domain, err_r) == -1)
		return -1;
	return 1;
}

/* Our domain `canon`: 1 = re-route, 0 = routed, -1 = failed. */
static int
route_ours(struct rstate *st, const char *canon, struct error *err_r)
{
	struct router *r = st->r;
	struct address *a = &st->a;
	char target[ADDRESS_MAX + 1];
	struct error e;
	char *pct;

	if (st->rctx == ROUTE_ACCESS && strcasecmp(a->local, "LoginPage") == 0)
		return set_local(st, canon, "LoginPage", err_r);
	pct = strrchr(a->local, '%');
	if (pct != NULL) {
		/* Percent hack: info%client2.com@main.dom -> info@client2.com */
		if (pct == a->local ||
		    address_set_domain(a, pct + 1, strlen(pct + 1), 0,
		    &e) == -1)
			return fail(st, err_r, ERR_SYNTAX,
			    "bad address in percent hack");
		*pct = '\0';
		st->local_is_text = false;
		return 1;
	}
	target[0] = '\0';
	switch (r->ops->find_object(r->ctx, canon, a->local, target,
	    sizeof(target))) {
	case DIR_ACCOUNT:
	case DIR_ALIAS:
		return set_local(st, canon, target, err_r);
	case DIR_FORWARDER:
		return reroute(st, target, canon, err_r) == -1 ? -1 : 1;
	case DIR_GROUP:
		/* mail only: a group cannot log in */
		if (st->rctx != ROUTE_MAIL)
			return fail(st, err_r, ERR_NOTFOUND,
			    "unknown user account");
		if (set_local(st, canon, target, err_r) == -1)
			return -1;
		st->res->module = ROUTE_GROUP;
		return 0;
	case DIR_NONE:
		break;
	}
	if (strcasecmp(a->local, "postmaster") == 0 &&
	    strcasecmp(canon, st->main) != 0) {
		/* Unknown postmaster@ours: the Main Domain's postmaster. */
		if (address_set_domain(a, st->main, strlen(st->main), 0,
		    &e) == -1)
			return fail(st, err_r, e.kind, e.msg);
		return 1;
	}
	return route_unknown(st, canon, err_r);
}

/* One step of the loop: 1 = the address changed, route again. */
static int
route_step(struct rstate *st, const char *dflt, struct error *err_r)
{
	struct router *r = st->r;
	struct address *a = &st->a;
	char canon[DOMAIN_NAME_MAX + 1];
	struct rcap caps[ROUTER_STARS_MAX];
	const struct rec *rec;
	struct error e;
	size_t ncaps;
	bool ours = false;

	if ((a->dkind == ADDRESS_DOMAIN_IPV4 ||
	    a->dkind == ADDRESS_DOMAIN_IPV6) && is_own_ip(st))
		a->dkind = ADDRESS_DOMAIN_NONE;
	if (a->dkind == ADDRESS_DOMAIN_NONE &&
	    address_set_domain(a, dflt, strlen(dflt), 0, &e) == -1)
		return fail(st, err_r, e.kind, e.msg);
	if (is_pseudo(a))
		return route_pseudo(st, err_r);
	if (a->dkind == ADDRESS_DOMAIN_NAME &&
	    r->ops->find_domain(r->ctx, a->domain, canon, sizeof(canon)) == 0)
		ours = true;
	rec = rtable_match(r->table, a, st->rctx,
	    ours && strcasecmp(canon, st->main) == 0, caps, &ncaps);
	if (rec != NULL) {
		if (rtable_apply(rec, caps, ncaps, st->main, a, &e) == -1)
			return fail(st, err_r, e.kind, e.msg);
		st->local_is_text = rec->kind == REC_ADDRESS;
		if (rec->relay)
			st->res->relay_ok = true;
		if (rec->relay_all)
			st->res->relay_all = true;
		return 1;
	}
	if (st->rctx == ROUTE_ACCESS && !ours &&
	    strcasecmp(a->local, "LoginPage") == 0)
		return fail(st, err_r, ERR_NOTFOUND, "unknown domain");
	if (ours)
		return route_ours(st, canon, err_r);
	if (a->dkind != ADDRESS_DOMAIN_NAME || strchr(a->domain, '.') != NULL)
		return set_smtp(st, a->domain, a->local, a->domain, err_r);
	return fail(st, err_r, ERR_NOTFOUND, "unknown domain");
}

int
router_route(struct router *r, const char *address, enum route_ctx rctx,
    const char *default_domain, struct route_result *res,
    struct error *err_r)
{
	struct rstate st;
	struct error e;
	const char *dflt;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	st.r = r;
	st.rctx = rctx;
	st.res = res;
	r->ops->main_domain(r->ctx, st.main, sizeof(st.main));
	dflt = default_domain != NULL && default_domain[0] != '\0' ?
	    default_domain : st.main;
	if (address_parse(address, strlen(address), &st.a, &e) == -1)
		return fail(&st, err_r, e.kind, e.msg);
	pthread_rwlock_rdlock(&r->lock);
	for (;;) {
		rc = route_step(&st, dflt, err_r);
		if (rc != 1)
			break;
		if (++st.passes > ROUTER_PASSES_MAX) {
			rc = fail(&st, err_r, ERR_LIMIT, "routing loop");
			break;
		}
		/* A rewritten bare name belongs to the Main Domain. */
		dflt = st.main;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc == 0 ? 0 : -1;
}

void
router_format_result(const struct route_result *res, char *buf, size_t size)
{
	switch (res->module) {
	case ROUTE_LOCAL:
		snprintf(buf, size, "LOCAL(%s)", res->address);
		break;
	case ROUTE_SMTP:
		snprintf(buf, size, "SMTP(%s)%s", res->host, res->address);
		break;
	case ROUTE_NULL:
		snprintf(buf, size, "NULL");
		break;
	case ROUTE_PIPE:
		snprintf(buf, size, "PIPE(%s)", res->address);
		break;
	case ROUTE_GROUP:
		snprintf(buf, size, "GROUP(%s)", res->address);
		break;
	case ROUTE_ERROR:
	default:
		snprintf(buf, size, "ERROR(%s)", res->error);
		break;
	}
}
