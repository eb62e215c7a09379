/* SPDX-License-Identifier: Apache-2.0 */
/*
 * localip_test.c: src/objects picking a domain from the local address
 * (docs/behaviour.md, B10),
 * server-wide address lists, protection and module settings, the Router
 * Table text, and the Router's directory adaptor (objects_router_ops).
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "objects/objects.h"

static char base[64];

static int
rm_cb(const char *p, const struct stat *sb ATTR_UNUSED, int f,
    struct FTW *ftw ATTR_UNUSED)
{
	return f == FTW_DP ? rmdir(p) : unlink(p);
}

static struct dval *
P(const char *s)
{
	return dict_parse(s, strlen(s), 0, NULL);
}

static struct sockaddr_in
sin4(const char *ip)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static int
for_ip(struct objects *o, const char *ip, char *buf, size_t size)
{
	struct sockaddr_in s = sin4(ip);

	buf[0] = '\0';
	return objects_domain_for_local_ip(o, (struct sockaddr *)&s, buf,
	    size);
}

static void
test_local_ip(void)
{
	struct objects *o;
	struct error err;
	char buf[256];
	struct dval *d;

	test_begin("domain for local ip (B10)");
	o = objects_open(base, "company.com", &err);
	d = P("{IPAddresses = \"127.0.0.2\";}");
	test_assert(d != NULL);
	test_assert(objects_domain_create(o, "client1.com", d, &err) == 0);
	dict_free(&d);
	test_assert(objects_domain_create(o, "client2.com", NULL, &err) == 0);
	test_assert(for_ip(o, "127.0.0.2", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	test_assert(for_ip(o, "127.0.0.1", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "company.com");
	test_assert(for_ip(o, "127.0.0.3", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "company.com");
	d = objects_domain_effective_get(o, NULL, &err);
	test_assert_str(dict_get_str(d, "IPAddresses"), "All");
	dict_free(&d);
	/* Main domain restricted to a list. */
	d = P("{IPAddresses = \"127.0.0.1\\e127.0.0.5\";}");
	test_assert(d != NULL);
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_SETTINGS,
	    NULL, "company.com", d, &err) == 0);
	dict_free(&d);
	test_assert(for_ip(o, "127.0.0.3", buf, sizeof(buf)) == -1);
	test_assert(for_ip(o, "127.0.0.5", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "company.com");
	test_assert(for_ip(o, "127.0.0.2", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	objects_close(&o);
	/* Survives a restart. */
	o = objects_open(base, NULL, &err);
	test_assert(for_ip(o, "127.0.0.3", buf, sizeof(buf)) == -1);
	test_assert(for_ip(o, "127.0.0.2", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	d = P("{IPAddresses = All;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_SETTINGS,
	    NULL, NULL, d, &err) == 0);
	dict_free(&d);
	test_assert(for_ip(o, "127.0.0.3", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "company.com");
	objects_close(&o);
	test_end();
}

static void
test_lists(void)
{
	struct sockaddr_in s;
	struct objects *o;
	struct error err;
	char *t;
	struct dval *d;

	test_begin("address lists, protection, modules, router table");
	o = objects_open(base, NULL, &err);
	test_assert(objects_iplist_set(o, OBJ_IPS_CLIENT,
	    "10.0.0.0/8\n!10.1.2.3\n", &err) == 0);
	s = sin4("10.9.9.9");
	test_assert(objects_iplist_match(o, OBJ_IPS_CLIENT,
	    (struct sockaddr *)&s));
	s = sin4("10.1.2.3");
	test_assert(!objects_iplist_match(o, OBJ_IPS_CLIENT,
	    (struct sockaddr *)&s));
	test_assert(!objects_iplist_match(o, OBJ_IPS_BLACKLISTED,
	    (struct sockaddr *)&s));
	test_assert(objects_iplist_set(o, OBJ_IPS_CLIENT, "10.0.0.1/8\n",
	    &err) == -1);
	t = objects_iplist_get(o, OBJ_IPS_CLIENT);
	test_assert_str(t, "10.0.0.0/8\n!10.1.2.3\n");
	free(t);
	test_assert_str(objects_iplist_name(OBJ_IPS_DEBUG), "DebugIPs");

	d = P("{RejectNonClientLogins = YES;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_PROTECTION, NULL,
	    NULL, d, &err) == 0);
	dict_free(&d);
	d = P("{LogLevel = 5;}");
	test_assert(objects_module_update(o, "SMTP", d, &err) == 0);
	test_assert(objects_module_update(o, "../x", d, &err) == -1);
	dict_free(&d);
	test_assert(objects_router_table_set(o, "<a@b> = c@d\n", &err) == 0);
	objects_close(&o);

	o = objects_open(base, NULL, &err);
	s = sin4("10.9.9.9");
	test_assert(objects_iplist_match(o, OBJ_IPS_CLIENT,
	    (struct sockaddr *)&s));
	d = objects_settings_file_get(o, OBJ_SF_PROTECTION, NULL, NULL, NULL);
	test_assert_str(dict_get_str(d, "RejectNonClientLogins"), "YES");
	dict_free(&d);
	d = objects_module_get(o, "SMTP", &err);
	test_assert_str(dict_get_str(d, "LogLevel"), "5");
	dict_free(&d);
	d = objects_module_get(o, "POP", &err);
	test_assert(d != NULL && dict_len(d) == 0);
	dict_free(&d);
	t = objects_router_table_get(o);
	test_assert_str(t, "<a@b> = c@d\n");
	free(t);
	test_assert(objects_iplist_set(o, OBJ_IPS_CLIENT, "", &err) == 0);
	test_assert(!objects_iplist_match(o, OBJ_IPS_CLIENT,
	    (struct sockaddr *)&s));
	objects_close(&o);
	test_end();
}

static void
test_router_ops(void)
{
	const struct router_dir_ops *ops = &objects_router_ops;
	char buf[256], pol[64], rr[256];
	struct objects *o;
	struct error err;
	struct dval *d;

	test_begin("router adaptor");
	o = objects_open(base, NULL, &err);
	ops->main_domain(o, buf, sizeof(buf));
	test_assert_str(buf, "company.com");
	test_assert(ops->find_domain(o, "CLIENT1.com", buf, sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	test_assert(ops->find_domain(o, "example.org", buf, sizeof(buf)) ==
	    -1);
	test_assert(objects_account_create(o, "Info", "client1.com", NULL,
	    NULL, &err) == 0);
	d = P("(inf)");
	test_assert(objects_account_aliases_set(o, "info", "client1.com", d,
	    &err) == 0);
	dict_free(&d);
	test_assert(objects_forwarder_create(o, "fw", "client1.com",
	    "x@remote.com", &err) == 0);
	test_assert(ops->find_object(o, "client1.com", "INFO", buf,
	    sizeof(buf)) == DIR_ACCOUNT);
	test_assert_str(buf, "Info");
	test_assert(ops->find_object(o, "client1.com", "inf", buf,
	    sizeof(buf)) == DIR_ALIAS);
	test_assert_str(buf, "Info");
	test_assert(ops->find_object(o, "client1.com", "FW", buf,
	    sizeof(buf)) == DIR_FORWARDER);
	test_assert_str(buf, "x@remote.com");
	test_assert(ops->find_object(o, "client1.com", "none", buf,
	    sizeof(buf)) == DIR_NONE);
	test_assert(ops->find_object(o, "company.com", "info", buf,
	    sizeof(buf)) == DIR_NONE);

	ops->unknown_policy(o, "client1.com", ROUTE_MAIL, pol, sizeof(pol), rr,
	    sizeof(rr));
	test_assert_str(pol, "Rejected");
	test_assert_str(rr, "");
	d = P("{MailToUnknown = \"Rerouted to\"; MailRerouteAddress "
	    "= \"*%client1.com@[11.22.33.44]\"; AccessToUnknown = Discarded;}");
	test_assert(d != NULL);
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_SETTINGS,
	    NULL, "client1.com", d, &err) == 0);
	dict_free(&d);
	ops->unknown_policy(o, "client1.com", ROUTE_MAIL, pol, sizeof(pol), rr,
	    sizeof(rr));
	test_assert_str(pol, "Rerouted to");
	test_assert_str(rr, "*%client1.com@[11.22.33.44]");
	ops->unknown_policy(o, "client1.com", ROUTE_ACCESS, pol, sizeof(pol),
	    rr, sizeof(rr));
	test_assert_str(pol, "Discarded");
	/* Server defaults reach domains without their own value. */
	d = P("{SignalToUnknown = Discarded;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_DEFAULTS,
	    NULL, NULL, d, &err) == 0);
	dict_free(&d);
	ops->unknown_policy(o, "client2.com", ROUTE_SIGNAL, pol, sizeof(pol),
	    rr, sizeof(rr));
	test_assert_str(pol, "Discarded");
	ops->unknown_policy(o, "client2.com", ROUTE_MAIL, pol, sizeof(pol), rr,
	    sizeof(rr));
	test_assert_str(pol, "Rejected");

	test_assert(ops->is_local_ip(o, "127.0.0.1"));
	test_assert(ops->is_local_ip(o, "127.3.4.5"));
	test_assert(ops->is_local_ip(o, "::1"));
	test_assert(!ops->is_local_ip(o, "192.0.2.77"));
	test_assert(!ops->is_local_ip(o, "not an ip"));
	d = objects_local_ips(o);
	test_assert(d != NULL);
	dict_free(&d);
	objects_close(&o);
	test_end();
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/objip_test.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	test_local_ip();
	test_lists();
	test_router_ops();
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
