/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_command_test.c: what the pages run commands with (wa_command,
 * wa_quote; webadmin_core.c) and the rights behind it (wa_dispatch,
 * wa_may_administer; webadmin_rights.c), on a real objects store in a
 * temporary base directory: a server administrator runs anything, a
 * Domain Administrator only the domain commands on his own domain, with
 * the domain filled in.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/test.h"
#include "objects/objects.h"
#include "router/router.h"
#include "core/server.h"
#include "http/http.h"
#include "webadmin/webadmin_core.h"

static struct log_module test_log = LOG_MODULE("HTTPA");

static void
req_init(struct wa_req *r, struct server *srv, struct http_request *h,
    struct log_session *log, const char *account, const char *adm_domain,
    bool master, const char *domain)
{
	memset(h, 0, sizeof(*h));
	h->method = "GET";
	h->path = "/";
	h->query = "";
	h->log = log;
	memset(r, 0, sizeof(*r));
	r->srv = srv;
	r->http = h;
	r->cli.srv = srv;
	r->cli.log = log;
	snprintf(r->cli.account, sizeof(r->cli.account), "%s", account);
	snprintf(r->cli.domain, sizeof(r->cli.domain), "%s", adm_domain);
	r->cli.master = master;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->server_pages = strcmp(domain, "main.dom") == 0;
	r->prefix = "";
	r->csrf = "";
	r->page = "/";
}

int
main(void)
{
	char base[] = "/tmp/webadmin_command_test.XXXXXX", cmd[512];
	struct http_request h;
	struct log_session log;
	struct server srv;
	struct wa_req r;
	struct wa_admin a;
	struct dval *d;
	struct error err;
	struct buf b;
	char rm[600];

	if (mkdtemp(base) == NULL)
		abort();
	memset(&srv, 0, sizeof(srv));
	srv.base = base;
	srv.objects = objects_open(base, "main.dom", &err);
	if (srv.objects == NULL) {
		fprintf(stderr, "objects_open: %s\n", err.msg);
		return 1;
	}
	srv.router = router_new(&objects_router_ops, srv.objects);
	log_register(&test_log);
	log_session_init(&log, &test_log, "test");

	test_begin("wa_quote");
	buf_init(&b, 1024);
	wa_quote(&b, "plain");
	buf_putc(&b, ' ');
	wa_quote(&b, "with \"quotes\" and space");
	test_assert_str(buf_cstr(&b), "plain \"with \\\"quotes\\\" and space\"");
	buf_free(&b);

	test_begin("a server administrator runs anything");
	req_init(&r, &srv, &h, &log, "postmaster", "main.dom", true,
	    "main.dom");
	test_assert(wa_command(&r, "CreateDomain client1.com", &d, &err) ==
	    CLI_OK && d == NULL);
	test_assert(wa_command(&r, "CreateDomain client2.com", &d, &err) ==
	    CLI_OK);
	buf_init(&b, 1024);
	buf_puts(&b, "CreateAccount admin@client1.com {Password=");
	wa_quote(&b, "a b\"c");
	buf_puts(&b, ";}");
	test_assert(wa_command(&r, buf_cstr(&b), &d, &err) == CLI_OK);
	buf_free(&b);
	test_assert(wa_command(&r, "SetAccountRights admin@client1.com (Domain)",
	    &d, &err) == CLI_OK);
	test_assert(wa_command(&r, "CreateAccount x@client2.com", &d, &err) ==
	    CLI_OK);
	test_assert(wa_command(&r, "ListDomains", &d, &err) == CLI_DATA);
	test_assert(d != NULL && dict_array_len(d) == 3);
	dict_free(&d);
	test_assert(wa_command(&r, "NoSuchCommand", &d, &err) == CLI_ERROR &&
	    d == NULL);
	test_assert_str(err.msg, "unknown command NoSuchCommand");
	test_assert(wa_command(&r, "CreateAccount \"unterminated", &d, &err) ==
	    CLI_ERROR);

	test_begin("who may administer what");
	memset(&a, 0, sizeof(a));
	snprintf(a.account, sizeof(a.account), "admin");
	snprintf(a.domain, sizeof(a.domain), "client1.com");
	test_assert(wa_may_administer(&srv, &a, "client1.com", false, &err));
	test_assert(!wa_may_administer(&srv, &a, "client2.com", false, &err));
	test_assert(!wa_may_administer(&srv, &a, "main.dom", true, &err));
	snprintf(a.account, sizeof(a.account), "x");
	snprintf(a.domain, sizeof(a.domain), "client2.com");
	test_assert(!wa_may_administer(&srv, &a, "client2.com", false, &err));
	a.master = true;
	test_assert(wa_may_administer(&srv, &a, "main.dom", true, &err));

	test_begin("a Domain Administrator in his domain");
	req_init(&r, &srv, &h, &log, "admin", "client1.com", false,
	    "client1.com");
	test_assert(wa_command(&r, "ListAccounts", &d, &err) == CLI_DATA);
	test_assert(d != NULL && dict_get(d, "admin") != NULL &&
	    dict_len(d) == 1);
	dict_free(&d);
	test_assert(wa_command(&r, "CreateAccount u1 {Password=p;}", &d,
	    &err) == CLI_OK);
	test_assert(wa_command(&r, "RenameAccount u1 into u2", &d, &err) ==
	    CLI_OK);
	test_assert(wa_command(&r, "GetAccountAliases u2@client1.com", &d,
	    &err) == CLI_DATA);
	dict_free(&d);
	test_begin("... and refused outside it");
	snprintf(cmd, sizeof(cmd), "ListAccounts client2.com");
	test_assert(wa_command(&r, cmd, &d, &err) == CLI_ERROR &&
	    err.kind == ERR_PERM);
	test_assert(wa_command(&r, "CreateAccount y@client2.com", &d, &err) ==
	    CLI_ERROR && err.kind == ERR_PERM);
	test_assert(wa_command(&r, "CreateAccount y%client2.com", &d, &err) ==
	    CLI_ERROR && err.kind == ERR_PERM);
	test_assert(wa_command(&r, "RenameAccount u2 into u2@client2.com", &d,
	    &err) == CLI_ERROR);
	test_assert(wa_command(&r, "DeleteAccount x@client2.com", &d, &err) ==
	    CLI_ERROR);
	test_assert(wa_command(&r, "ListDomains", &d, &err) == CLI_ERROR);
	test_assert(wa_command(&r, "SetAccountRights u2 (Master)", &d, &err) ==
	    CLI_ERROR);
	test_assert(wa_command(&r, "SetRouterTable \"a = b\"", &d, &err) ==
	    CLI_ERROR);
	test_assert(wa_command(&r, "GetServerSettings", &d, &err) ==
	    CLI_ERROR);
	/* the same administrator on another domain's pages */
	snprintf(r.domain, sizeof(r.domain), "client2.com");
	test_assert(wa_command(&r, "ListAccounts", &d, &err) == CLI_ERROR);
	/* the objects are as they were */
	req_init(&r, &srv, &h, &log, "postmaster", "main.dom", true,
	    "main.dom");
	test_assert(wa_command(&r, "ListAccounts client2.com", &d, &err) ==
	    CLI_DATA && dict_len(d) == 1 && dict_get(d, "x") != NULL);
	dict_free(&d);
	test_assert(wa_command(&r, "ListAccounts client1.com", &d, &err) ==
	    CLI_DATA && dict_len(d) == 2 && dict_get(d, "u2") != NULL);
	dict_free(&d);

	router_free(&srv.router);
	objects_close(&srv.objects);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", base);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return test_done();
}
