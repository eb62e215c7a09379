/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router_test.c: the Router against a fake directory.  Main domain
 * main.dom (accounts postmaster, abc, info; forwarder fwd -> abc@main.dom;
 * alias webform -> postmaster once switched on), secondary client1.com
 * (alias mail.client1.com; account info; unknown mail rerouted to
 * *%client1.com@otherserver.dom.via), client2.com (no objects; unknown
 * mail discarded, unknown logins "Accepted and Bounced").  Our IP is
 * 192.0.2.1.  Cases are table-driven: router table, context, address,
 * default domain, expected router_format_result() text.  B1, B2, B6, B7
 * and B14 are the behaviours of docs/behaviour.md.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/test.h"
#include "router/router.h"

struct fake {
	bool	webform_alias;
	bool	mail_alias;		/* "mail" is an alias of main.dom */
};

static void
fake_main(void *ctx, char *buf, size_t size)
{
	(void)ctx;
	snprintf(buf, size, "main.dom");
}

static int
fake_find_domain(void *ctx, const char *name, char *buf, size_t size)
{
	struct fake *f = ctx;
	const char *canon = NULL;

	if (strcasecmp(name, "main.dom") == 0 ||
	    (f->mail_alias && strcasecmp(name, "mail") == 0))
		canon = "main.dom";
	else if (strcasecmp(name, "client1.com") == 0 ||
	    strcasecmp(name, "mail.client1.com") == 0)
		canon = "client1.com";
	else if (strcasecmp(name, "client2.com") == 0)
		canon = "client2.com";
	if (canon == NULL)
		return -1;
	snprintf(buf, size, "%s", canon);
	return 0;
}

static enum dir_obj
fake_find_object(void *ctx, const char *domain, const char *name,
    char *target, size_t size)
{
	static const struct {
		const char	*domain, *name;
		enum dir_obj	 kind;
		const char	*target;
	} objs[] = {
		{ "main.dom", "postmaster", DIR_ACCOUNT, "postmaster" },
		{ "main.dom", "abc", DIR_ACCOUNT, "abc" },
		{ "main.dom", "info", DIR_ACCOUNT, "info" },
		{ "main.dom", "fwd", DIR_FORWARDER, "abc@main.dom" },
		{ "main.dom", "fwd2", DIR_FORWARDER, "info" },
		{ "main.dom", "loop1", DIR_FORWARDER, "loop2@main.dom" },
		{ "main.dom", "loop2", DIR_FORWARDER, "loop1@main.dom" },
		{ "client1.com", "info", DIR_ACCOUNT, "info" },
	};
	struct fake *f = ctx;
	size_t i;

	if (f->webform_alias && strcmp(domain, "main.dom") == 0 &&
	    strcasecmp(name, "webform") == 0) {
		snprintf(target, size, "postmaster");
		return DIR_ALIAS;
	}
	for (i = 0; i < N_ELEMENTS(objs); i++) {
		if (strcmp(objs[i].domain, domain) == 0 &&
		    strcasecmp(objs[i].name, name) == 0) {
			snprintf(target, size, "%s", objs[i].target);
			return objs[i].kind;
		}
	}
	return DIR_NONE;
}

static void
fake_policy(void *ctx, const char *domain, enum route_ctx rctx,
    char *policy, size_t psize, char *reroute, size_t rsize)
{
	(void)ctx;
	snprintf(policy, psize, "Rejected");
	snprintf(reroute, rsize, "%s", "");
	if (strcmp(domain, "client1.com") == 0 && rctx != ROUTE_ACCESS) {
		snprintf(policy, psize, "Rerouted to");
		snprintf(reroute, rsize, "*%%client1.com@otherserver.dom.via");
	} else if (strcmp(domain, "client2.com") == 0)
		snprintf(policy, psize, "%s", rctx == ROUTE_ACCESS ?
		    "Accepted and Bounced" : "Discarded");
}

static bool
fake_is_local_ip(void *ctx, const char *ip)
{
	(void)ctx;
	return strcmp(ip, "192.0.2.1") == 0;
}

static const struct router_dir_ops fake_ops = {
	fake_main, fake_find_domain, fake_find_object, fake_policy,
	fake_is_local_ip
};

struct rcase {
	const char	*table;
	enum route_ctx	 rctx;
	const char	*in;
	const char	*dflt;
	const char	*expect;
};

#define M	ROUTE_MAIL
#define A	ROUTE_ACCESS
#define S	ROUTE_SIGNAL

static const char B7[] =
    "client1.com = client1.com@mainhost.com.via\n"
    "client2.com = client2.com@mainhost.com.via\n";
static const char PREFIXES[] =
    "Mail: <abc> = info\n"
    "Access: <info> = postmaster\n"
    "Signal: <postmaster> = abc\n";
static const char WILD[] =
    "<*@old.dom> = *@main.dom\n"
    "<*-list@*.dom> = *@*.smtp\n"
    "*.client.com = client.smtp  ; to the Internet\n"
    "<*@somedomain> = exec*@pipe\n"
    "<*@allx> = \"execall -u *\"@pipe\n"
    "<*@spam.dom> = \"no spam here\"@error\n"
    "spam2.dom = error\n"
    "<*@gone.dom> = *@null\n"
    "fw.dom = fw.dom@203.0.113.9.via\n";

static const struct rcase cases[] = {
	/* plain routing */
	{ "", M, "abc@main.dom", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "<ABC@MAIN.DOM>", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "abc", NULL, "LOCAL(abc@main.dom)" },
	{ "", A, "info", "client1.com", "LOCAL(info@client1.com)" },
	{ "", A, "info", NULL, "LOCAL(info@main.dom)" },
	{ "", M, "info@mail.client1.com", NULL, "LOCAL(info@client1.com)" },
	{ "", M, "bob@example.org", NULL, "SMTP(example.org)bob@example.org" },
	{ "", M, "\"john smith\"@example.org", NULL,
	    "SMTP(example.org)\"john smith\"@example.org" },
	{ "", M, "bob@nodots", NULL, "ERROR(unknown domain)" },
	{ "", M, "nobody@main.dom", NULL, "ERROR(unknown user account)" },
	{ "", M, "a b@main.dom", NULL, "ERROR(bad character in local part)" },
	/* forwarders */
	{ "", M, "fwd@main.dom", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "fwd2@main.dom", NULL, "LOCAL(info@main.dom)" },
	{ "", M, "loop1@main.dom", NULL, "ERROR(routing loop)" },
	/* percent hack, source route, bang path */
	{ "", A, "info%client1.com", NULL, "LOCAL(info@client1.com)" },
	{ "", M, "info%client1.com@main.dom", NULL,
	    "LOCAL(info@client1.com)" },
	{ "", M, "bob%example.org@main.dom", NULL,
	    "SMTP(example.org)bob@example.org" },
	{ "", M, "bob%example.org@remote.org", NULL,
	    "SMTP(remote.org)bob%example.org@remote.org" },
	{ "", M, "<@main.dom:info@client1.com>", NULL,
	    "LOCAL(info@client1.com)" },
	{ "", M, "<@relay.org,@main.dom:u@x.org>", NULL,
	    "SMTP(relay.org)u%x.org%main.dom@relay.org" },
	{ "", M, "main.dom!client1.com!info", NULL,
	    "LOCAL(info@client1.com)" },
	{ "", M, "%main.dom@main.dom", NULL,
	    "ERROR(bad address in percent hack)" },
	/* IP literals */
	{ "", M, "abc@[127.0.0.1]", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "abc@[192.0.2.1]", NULL, "LOCAL(abc@main.dom)" },
	{ "", A, "info@[192.0.2.1]", "client1.com", "LOCAL(info@client1.com)" },
	{ "", M, "abc@192.0.2.1", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "abc@[IPv6:::1]", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "abc@[198.51.100.7]", NULL,
	    "SMTP([198.51.100.7])abc@[198.51.100.7]" },
	/* pseudo-domains */
	{ "", M, "whatever@abc.local", NULL, "LOCAL(abc@main.dom)" },
	{ "", M, "x@nosuch.local", NULL, "ERROR(unknown user account)" },
	{ "", M, "abc@main.dom.smtp", NULL, "SMTP(main.dom)abc@main.dom" },
	{ "", M, "bob%client9.com@relay.org.via", NULL,
	    "SMTP(relay.org)bob@client9.com" },
	{ "", M, "bob@relay.org.via", NULL, "SMTP(relay.org)bob@relay.org" },
	{ "", M, "x@error", NULL, "ERROR(address is rejected)" },
	{ "", M, "x@null", NULL, "NULL" },
	{ "", M, "\"prog -x\"@pipe", NULL, "PIPE(prog -x)" },
	/* postmaster fallback and unknown policies */
	{ "", M, "postmaster@client1.com", NULL, "LOCAL(postmaster@main.dom)" },
	{ "", M, "POSTMASTER@client2.com", NULL, "LOCAL(postmaster@main.dom)" },
	{ "", M, "nobody@client1.com", NULL,
	    "SMTP(otherserver.dom)nobody@client1.com" },
	{ "", S, "nobody@client1.com", NULL,
	    "SMTP(otherserver.dom)nobody@client1.com" },
	{ "", A, "nobody@client1.com", NULL, "ERROR(unknown user account)" },
	{ "", M, "nobody@client2.com", NULL, "NULL" },
	{ "", A, "nobody@client2.com", NULL, "ERROR(unknown user account)" },
	/* B1: the router applies to login names */
	{ "<postmaster> = abc", A, "postmaster", NULL, "LOCAL(abc@main.dom)" },
	{ "<postmaster> = abc", M, "postmaster@main.dom", NULL,
	    "LOCAL(abc@main.dom)" },
	{ "<postmaster> = abc", A, "postmaster@client1.com", NULL,
	    "LOCAL(abc@main.dom)" },
	{ "<postmaster> = abc", A, "info", "client1.com",
	    "LOCAL(info@client1.com)" },
	/* B2: .local is final */
	{ "<postmaster> = pm@postmaster.local", A, "postmaster", NULL,
	    "LOCAL(postmaster@main.dom)" },
	{ "<postmaster> = pm@postmaster.local", M, "postmaster@main.dom", NULL,
	    "LOCAL(postmaster@main.dom)" },
	/* B7: .via domain records */
	{ B7, M, "user@client1.com", NULL,
	    "SMTP(mainhost.com)user@client1.com" },
	{ B7, M, "info@client2.com", NULL,
	    "SMTP(mainhost.com)info@client2.com" },
	{ B7, M, "info@mail.client1.com", NULL, "LOCAL(info@client1.com)" },
	/* B14 */
	{ "", A, "LoginPage@mail", NULL, "ERROR(unknown domain)" },
	{ "", A, "LoginPage@main.dom", NULL, "LOCAL(LoginPage@main.dom)" },
	{ "", A, "LoginPage@mail.client1.com", NULL,
	    "LOCAL(LoginPage@client1.com)" },
	{ "", A, "LoginPage@www.example.org", NULL, "ERROR(unknown domain)" },
	{ "", A, "LoginPage@[192.0.2.1]", NULL, "LOCAL(LoginPage@main.dom)" },
	{ "", A, "LoginPage@[198.51.100.7]", NULL, "ERROR(unknown domain)" },
	{ "mail = client1.com", A, "LoginPage@mail", NULL,
	    "LOCAL(LoginPage@client1.com)" },
	{ "", M, "LoginPage@main.dom", NULL, "ERROR(unknown user account)" },
	/* context prefixes */
	{ PREFIXES, M, "abc", NULL, "LOCAL(info@main.dom)" },
	{ PREFIXES, A, "abc", NULL, "LOCAL(abc@main.dom)" },
	{ PREFIXES, A, "info", NULL, "LOCAL(postmaster@main.dom)" },
	{ PREFIXES, M, "info", NULL, "LOCAL(info@main.dom)" },
	{ PREFIXES, S, "postmaster", NULL, "LOCAL(abc@main.dom)" },
	{ PREFIXES, M, "postmaster", NULL, "LOCAL(postmaster@main.dom)" },
	{ "Relay: <*@friend.com> = *@friend.com.smtp", A, "x@friend.com",
	    NULL, "SMTP(friend.com)x@friend.com" },
	/* wildcards */
	{ WILD, M, "abc@old.dom", NULL, "LOCAL(abc@main.dom)" },
	{ WILD, M, "ABC@OLD.DOM", NULL, "LOCAL(abc@main.dom)" },
	{ WILD, M, "x@old.dom", NULL, "ERROR(unknown user account)" },
	{ WILD, M, "sales-list@corp.dom", NULL, "SMTP(corp)sales@corp" },
	{ WILD, M, "u@sp.client.com", NULL, "SMTP(client)u@client" },
	{ WILD, M, "u@client.com", NULL, "SMTP(client.com)u@client.com" },
	{ WILD, M, "prog@somedomain", NULL, "PIPE(execprog)" },
	{ WILD, M, "joe@allx", NULL, "PIPE(execall -u joe)" },
	{ WILD, M, "joe@spam.dom", NULL, "ERROR(no spam here)" },
	{ WILD, M, "joe@spam2.dom", NULL, "ERROR(address is rejected)" },
	{ WILD, M, "joe@gone.dom", NULL, "NULL" },
	{ WILD, M, "joe@fw.dom", NULL, "SMTP([203.0.113.9])joe@fw.dom" },
	/* loops */
	{ "<a> = b\n<b> = a", M, "a", NULL, "ERROR(routing loop)" },
	{ "*.x = *.x.x", M, "u@a.x", NULL, "ERROR(routing loop)" },
	{ "<*@*> = *@*", M, "u@example.org", NULL, "ERROR(routing loop)" },
	{ "<a> = b\n<b> = c\n<c> = abc", M, "a", NULL, "LOCAL(abc@main.dom)" },
	/* address records before domain records; first match wins */
	{ "main.dom = postmaster.local\n<abc> = x@info.local", M, "abc", NULL,
	    "LOCAL(info@main.dom)" },
	{ "main.dom = postmaster.local\n<abc> = x@info.local", M, "info", NULL,
	    "LOCAL(postmaster@main.dom)" },
	{ "<abc> = info\n<abc> = postmaster", M, "abc", NULL,
	    "LOCAL(info@main.dom)" },
	{ "<*a*> = x*y*z@other.org", M, "banana", NULL,
	    "SMTP(other.org)xbynanaz@other.org" },
	/* webform without alias (B6) */
	{ "", M, "webform@main.dom", NULL, "ERROR(unknown user account)" },
};

static struct router *
new_router(struct fake *f)
{
	return router_new(&fake_ops, f);
}

static void
test_cases(void)
{
	struct fake f = { false, false };
	struct router *r = new_router(&f);
	struct route_result res;
	struct error err;
	char out[ADDRESS_MAX + 300], name[256];
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMENTS(cases); i++) {
		const struct rcase *c = &cases[i];

		snprintf(name, sizeof(name), "%s %s [%s]",
		    route_ctx_name(c->rctx), c->in, c->table);
		test_begin(name);
		test_assert(router_set_table(r, c->table, &err) == 0);
		rc = router_route(r, c->in, c->rctx, c->dflt, &res, &err);
		router_format_result(&res, out, sizeof(out));
		test_assert_str(out, c->expect);
		test_assert((rc == 0) == (res.module != ROUTE_ERROR));
		if (rc == -1)
			test_assert_str(err.msg, res.error);
		test_end();
	}
	router_free(&r);
	test_assert(r == NULL);
}

static void
test_relay_flags(void)
{
	struct fake f = { false, false };
	struct router *r = new_router(&f);
	struct route_result res;

	test_begin("Relay: and RelayAll: mark the result, mail context only");
	test_assert(router_set_table(r,
	    "Relay: <*@friend.com> = *@friend.com.smtp\n"
	    "RelayAll: <*@pal.com> = *@pal.com.smtp\n", NULL) == 0);
	test_assert(router_route(r, "x@friend.com", M, NULL, &res, NULL) == 0);
	test_assert(res.module == ROUTE_SMTP && res.relay_ok &&
	    !res.relay_all);
	test_assert(router_route(r, "x@pal.com", M, NULL, &res, NULL) == 0);
	test_assert(res.relay_ok && res.relay_all);
	test_assert(router_route(r, "x@friend.com", A, NULL, &res, NULL) == 0);
	test_assert(!res.relay_ok);
	test_assert(router_route(r, "x@other.com", M, NULL, &res, NULL) == 0);
	test_assert(!res.relay_ok);
	test_end();
	router_free(&r);
}

static void
test_toggles(void)
{
	struct fake f = { false, false };
	struct router *r = new_router(&f);
	struct route_result res;
	struct error err;

	test_begin("B6: webform works after the alias is created");
	test_assert(router_route(r, "webform@main.dom", M, NULL, &res,
	    &err) == -1);
	test_assert(err.kind == ERR_NOTFOUND);
	f.webform_alias = true;
	test_assert(router_route(r, "webform@main.dom", M, NULL, &res,
	    &err) == 0);
	test_assert(res.module == ROUTE_LOCAL);
	test_assert_str(res.account, "postmaster");
	test_assert_str(res.domain, "main.dom");
	test_end();

	test_begin("B14: LoginPage@mail works after alias mail");
	test_assert(router_route(r, "LoginPage@mail", A, NULL, &res,
	    &err) == -1);
	f.mail_alias = true;
	test_assert(router_route(r, "LoginPage@mail", A, NULL, &res,
	    &err) == 0);
	test_assert(res.module == ROUTE_LOCAL);
	test_assert_str(res.domain, "main.dom");
	test_assert_str(res.account, "LoginPage");
	test_end();
	router_free(&r);
}

struct bad_table {
	const char	*text;
	const char	*msg_prefix;
};

static const struct bad_table bad_tables[] = {
	{ "abc", "line 1: '=' expected" },
	{ "; comment\n\n<abc> = ", "line 3: empty side" },
	{ "<a> = b\n<a = b", "line 2: " },
	{ "ok.com = fine.com\n\nbad..com = x.com", "line 3: empty label" },
	{ "<a> = *@b.com", "line 1: more '*'" },
	{ "x.com = a,b", "line 1: bad character" },
	{ "x.com = user@", "line 1: empty domain" },
	{ "Mail: <\"a\"b> = c", "line 1: " },
	{ "<a> = b c@d.com", "line 1: bad character" },
	{ "x.com = *@y.com", "line 1: more '*'" },
	{ "<*@*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*> = x", "line 1: too many" },
};

static void
test_table_syntax(void)
{
	struct fake f = { false, false };
	struct router *r = new_router(&f);
	struct error err;
	struct route_result res;
	const char *good = "; comment only\n\n  <postmaster> = abc ; note\r\n"
	    "Access:<\"odd;name\"> = info\n";
	char *text;
	size_t i;

	test_begin("table round trip and comments");
	test_assert(router_check_table(good, &err) == 0);
	test_assert(router_set_table(r, good, &err) == 0);
	text = router_get_table(r);
	test_assert_str(text, good);
	free(text);
	test_assert(router_route(r, "\"odd;name\"", A, NULL, &res, NULL) == 0);
	test_assert_str(res.account, "info");
	test_end();

	for (i = 0; i < N_ELEMENTS(bad_tables); i++) {
		test_begin(bad_tables[i].text);
		err.msg[0] = '\0';
		test_assert(router_check_table(bad_tables[i].text, &err) == -1);
		test_assert(strncmp(err.msg, bad_tables[i].msg_prefix,
		    strlen(bad_tables[i].msg_prefix)) == 0);
		if (strncmp(err.msg, bad_tables[i].msg_prefix,
		    strlen(bad_tables[i].msg_prefix)) != 0)
			fprintf(stderr, "  got: %s\n", err.msg);
		/* A bad table leaves the old one in place. */
		test_assert(router_set_table(r, bad_tables[i].text,
		    &err) == -1);
		text = router_get_table(r);
		test_assert_str(text, good);
		free(text);
		test_end();
	}

	test_begin("table size limit");
	text = malloc(ROUTER_TABLE_MAX + 2);
	memset(text, ' ', ROUTER_TABLE_MAX + 1);
	text[ROUTER_TABLE_MAX + 1] = '\0';
	test_assert(router_check_table(text, &err) == -1);
	test_assert(err.kind == ERR_LIMIT);
	text[ROUTER_TABLE_MAX] = '\0';
	test_assert(router_check_table(text, &err) == 0);
	free(text);
	test_end();
	router_free(&r);
}

static void
test_format(void)
{
	struct route_result res;
	char out[64];

	test_begin("format results");
	memset(&res, 0, sizeof(res));
	res.module = ROUTE_ERROR;
	snprintf(res.error, sizeof(res.error), "unknown domain");
	router_format_result(&res, out, sizeof(out));
	test_assert_str(out, "ERROR(unknown domain)");
	res.module = ROUTE_PIPE;
	snprintf(res.address, sizeof(res.address), "prog");
	router_format_result(&res, out, sizeof(out));
	test_assert_str(out, "PIPE(prog)");
	router_format_result(&res, out, 4);
	test_assert_str(out, "PIP");
	test_assert_str(route_ctx_name(ROUTE_ACCESS), "access");
	test_assert_str(route_ctx_name(ROUTE_MAIL), "mail");
	test_assert_str(route_ctx_name(ROUTE_SIGNAL), "signal");
	test_end();
}

struct mt {
	struct router	*r;
	int		 bad;
};

static void *
mt_reader(void *arg)
{
	struct mt *m = arg;
	struct route_result res;
	int i;

	for (i = 0; i < 20000; i++) {
		if (router_route(m->r, "postmaster", A, NULL, &res,
		    NULL) != 0 || res.module != ROUTE_LOCAL ||
		    (strcmp(res.account, "postmaster") != 0 &&
		    strcmp(res.account, "abc") != 0))
			__atomic_add_fetch(&m->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
mt_writer(void *arg)
{
	struct mt *m = arg;
	int i;

	for (i = 0; i < 2000; i++)
		if (router_set_table(m->r, i % 2 ? "<postmaster> = abc" :
		    "; empty\n<x> = y", NULL) != 0)
			__atomic_add_fetch(&m->bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void
test_threads(void)
{
	struct fake f = { false, false };
	struct mt m = { new_router(&f), 0 };
	pthread_t t[3];

	test_begin("two readers route while a writer swaps tables");
	test_assert(pthread_create(&t[0], NULL, mt_reader, &m) == 0);
	test_assert(pthread_create(&t[1], NULL, mt_reader, &m) == 0);
	test_assert(pthread_create(&t[2], NULL, mt_writer, &m) == 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_join(t[2], NULL);
	test_assert(m.bad == 0);
	test_end();
	router_free(&m.r);
}

int
main(void)
{
	test_cases();
	test_relay_flags();
	test_toggles();
	test_table_syntax();
	test_format();
	test_threads();
	return test_done();
}
