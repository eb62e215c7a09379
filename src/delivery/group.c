/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group.c: the GROUP dispatcher (see group.h).
 */
#include "lib/compat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "router/router.h"
#include "delivery/group.h"

struct log_module log_group = LOG_MODULE("GROUP");

struct members {
	char	**v;
	size_t	  n, cap;
	char	**seen;			/* expanded groups */
	size_t	  nseen, seencap;
	bool	  toomany;
	bool	  toodeep;
};

static void
push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		*v = xrealloc(*v, size_mul(*cap, sizeof(**v)));
	}
	(*v)[(*n)++] = xstrdup(s);
}

static bool
seen(const struct members *m, const char *g)
{
	size_t i;

	for (i = 0; i < m->nseen; i++)
		if (strcasecmp(m->seen[i], g) == 0)
			return true;
	return false;
}

/* Adds the members of group name@domain; -1 when it is not a group. */
static int
expand(const struct group_ctx *ctx, const char *name, const char *domain,
    unsigned depth, struct members *m)
{
	char addr[ADDRESS_MAX + 1], g[ADDRESS_MAX + 1];
	struct route_result res;
	const struct dval *mem;
	struct dval *set;
	const char *v;
	size_t i;

	if ((set = objects_group_get(ctx->objects, name, domain, NULL)) ==
	    NULL)
		return -1;
	(void)snprintf(g, sizeof(g), "%s@%s", name, domain);
	push(&m->seen, &m->nseen, &m->seencap, g);
	mem = dict_get(set, "Members");
	for (i = 0; i < dict_array_len(mem) && !m->toomany && !m->toodeep;
	    i++) {
		if ((v = dict_str(dict_array_get(mem, i), NULL)) == NULL)
			continue;
		if (strchr(v, '@') != NULL)
			(void)snprintf(addr, sizeof(addr), "%s", v);
		else
			(void)snprintf(addr, sizeof(addr), "%s@%s", v, domain);
		memset(&res, 0, sizeof(res));
		if (router_route(ctx->router, addr, ROUTE_MAIL, domain, &res,
		    NULL) == 0 && res.module == ROUTE_GROUP) {
			if (seen(m, res.address))
				continue;	/* each group once */
			if (depth + 1 >= GROUP_NEST_MAX) {
				log_mod(&log_group, LOG_PROBLEM, "%s: groups "
				    "nested deeper than %u at %s", g,
				    (unsigned)GROUP_NEST_MAX, res.address);
				m->toodeep = true;
				break;
			}
			(void)expand(ctx, res.account, res.domain, depth + 1,
			    m);
			continue;
		}
		/* anything else (a refused address too: its DSN tells the
		 * sender) is a recipient of the new message */
		if (m->n >= QUEUE_RCPT_MAX) {
			m->toomany = true;
			break;
		}
		push(&m->v, &m->n, &m->cap, addr);
	}
	dict_free(&set);
	return 0;
}

static int
cmp_ci(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void
members_free(struct members *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	for (i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->v);
	free(m->seen);
	memset(m, 0, sizeof(*m));
}

static void
outcome(struct queue_item *it, enum queue_outcome o, const char *text)
{
	it->outcome = o;
	(void)snprintf(it->error, sizeof(it->error), "%s", text);
}

void
group_dispatch(void *arg, struct queue *q, const char *module,
    const char *target, struct queue_item *items, size_t n)
{
	const struct group_ctx *ctx = arg;
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	struct members m;
	struct queue_rcpt *rc = NULL;
	struct queue_msg msg;
	struct error err;
	struct buf body;
	const char *at = strrchr(target, '@');
	uint64_t id;
	size_t i, j, k;

	(void)module;
	memset(&m, 0, sizeof(m));
	if (at == NULL || (size_t)(at - target) > OBJECT_NAME_MAX ||
	    strlen(at + 1) > DOMAIN_NAME_MAX) {
		for (i = 0; i < n; i++)
			outcome(&items[i], QUEUE_OUT_PERMFAIL, "bad group "
			    "address");
		return;
	}
	(void)snprintf(name, sizeof(name), "%.*s", (int)(at - target), target);
	(void)snprintf(domain, sizeof(domain), "%s", at + 1);
	if (expand(ctx, name, domain, 0, &m) == -1) {
		for (i = 0; i < n; i++)
			outcome(&items[i], QUEUE_OUT_PERMFAIL, "unknown group");
		return;
	}
	if (m.toomany || m.toodeep) {
		if (m.toomany)
			log_mod(&log_group, LOG_PROBLEM, "%s: more than %u "
			    "addresses", target, (unsigned)QUEUE_RCPT_MAX);
		for (i = 0; i < n; i++) {
			if (m.toomany)
				outcome(&items[i], QUEUE_OUT_PERMFAIL, "the "
				    "group has too many members");
			else
				(void)snprintf(items[i].error,
				    sizeof(items[i].error), "groups nested "
				    "deeper than %u", (unsigned)GROUP_NEST_MAX);
			items[i].outcome = QUEUE_OUT_PERMFAIL;
		}
		members_free(&m);
		return;
	}
	/* one copy per address */
	if (m.n > 1)
		qsort(m.v, m.n, sizeof(*m.v), cmp_ci);
	for (i = 0, j = 0; i < m.n; i++) {
		if (j > 0 && strcasecmp(m.v[j - 1], m.v[i]) == 0) {
			free(m.v[i]);
			continue;
		}
		m.v[j++] = m.v[i];
	}
	m.n = j;
	if (m.n > 0)
		rc = xcalloc(m.n, sizeof(*rc));
	for (k = 0; k < m.n; k++)
		rc[k].address = m.v[k];
	buf_init(&body, QUEUE_BODY_MAX);
	for (i = 0; i < n; i++) {
		if (m.n == 0) {
			outcome(&items[i], QUEUE_OUT_DELIVERED, "");
			continue;
		}
		buf_reset(&body);
		if (queue_read_body(q, items[i].msg_id, &body, &err) == -1) {
			outcome(&items[i], err.kind == ERR_NOTFOUND ?
			    QUEUE_OUT_PERMFAIL : QUEUE_OUT_TEMPFAIL, err.msg);
			continue;
		}
		memset(&msg, 0, sizeof(msg));
		msg.return_path = items[i].return_path;
		msg.submit_tag = "GROUP";
		msg.envid = items[i].envid;
		msg.ret = items[i].ret;
		msg.rcpts = rc;
		msg.nrcpt = m.n;
		msg.body = body.data;
		msg.body_len = body.len;
		if (queue_submit(q, &msg, &id, &err) == -1) {
			log_mod(&log_group, LOG_PROBLEM, "%s: queue id %"
			    PRIu64 ": %s", target, items[i].msg_id, err.msg);
			outcome(&items[i], err.kind == ERR_LIMIT ?
			    QUEUE_OUT_PERMFAIL : QUEUE_OUT_TEMPFAIL, err.msg);
			continue;
		}
		log_mod(&log_group, LOG_MAJOR, "%s: queue id %" PRIu64
		    " expanded to %zu addresses as queue id %" PRIu64, target,
		    items[i].msg_id, m.n, id);
		outcome(&items[i], QUEUE_OUT_DELIVERED, "");
		(void)queue_report(q, &items[i], 1, NULL);
	}
	buf_free(&body);
	free(rc);
	members_free(&m);
}
