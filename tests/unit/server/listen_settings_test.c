/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen_settings_test.c: the service table (services.c: one row per
 * service, unique names, the register functions of the implemented
 * modules), the Listener dictionary of module settings (every key, the
 * service chosen for each socket, every refusal with its message), the
 * canonical address text, and the bind helper's request parser.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "lib/error.h"
#include "lib/test.h"
#include "server/bindhelper.h"
#include "server/listen_settings.h"
#include "server/services.h"

/* Parses text (a Listener value) for module; 0 or -1, err filled. */
static int
parse(const char *text, const char *module, struct listen_set *set,
    struct error *err)
{
	struct dval *v = dict_parse(text, strlen(text), 0, err);
	int rc;

	if (v == NULL)
		return -2;
	rc = listen_settings_parse(v, module, set, err);
	dict_free(&v);
	return rc;
}

static void
test_table(void)
{
	const struct service_def *t, *sd;
	size_t n, i, j;

	test_begin("service table");
	t = services_table(&n);
	test_assert(n == 14);
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			test_assert(strcmp(t[i].l.name, t[j].l.name) != 0);
	sd = services_find("smtps");
	test_assert(sd != NULL && sd->l.port == 465 && sd->l.tls &&
	    strcmp(sd->l.log_tag, "SMTP") == 0 && sd->reg != NULL);
	sd = services_find("submission");
	test_assert(sd != NULL && sd->l.port == 587 && !sd->l.tls);
	sd = services_find("cli");
	test_assert(sd != NULL && sd->l.port == 106 &&
	    strcmp(sd->l.log_tag, "PWD") == 0 && sd->reg != NULL);
	sd = services_find("imaps");
	test_assert(sd != NULL && sd->l.port == 993 && sd->l.tls &&
	    sd->reg == services_find("imap")->reg);
	sd = services_find("pop3s");
	test_assert(sd != NULL && sd->l.port == 995 && sd->l.tls);
	sd = services_find("webusers");
	test_assert(sd != NULL && sd->l.port == 9100 && sd->l.tls &&
	    strcmp(sd->l.log_tag, "HTTPU") == 0 &&
	    sd->reg == services_find("webuser")->reg && sd->reg != NULL);
	test_assert(services_find("ldap")->reg != NULL &&
	    services_find("ldaps")->reg == services_find("ldap")->reg);
	test_assert(services_find("gopher") == NULL);
	test_assert(services_known("imap") && !services_known("IMAP") &&
	    !services_known(""));
	test_end();
}

static void
test_parse_ok(void)
{
	struct listen_set set;
	struct error err;

	test_begin("Listener: ports, addresses and services");
	test_assert(parse("{Ports=({PortNumber=25;},{PortNumber=465;"
	    "InitialSecurity=YES;IPAddress=127.0.0.1;});}", "SMTP", &set,
	    &err) == 0);
	test_assert(set.n == 2);
	test_assert_str(set.p[0].service, "smtp");
	test_assert_str(set.p[0].addr, "*");
	test_assert(set.p[0].port == 25);
	test_assert_str(set.p[1].service, "smtps");
	test_assert_str(set.p[1].addr, "127.0.0.1");
	test_assert(set.p[1].port == 465);
	/* 587 is submission's port; other plain ports are smtp; numbers */
	test_assert(parse("{Ports=({PortNumber=#587;},{PortNumber=2525;"
	    "InitialSecurity=NO;},{PortNumber=2465;InitialSecurity=on;},"
	    "{PortNumber=2587;Service=submission;IPAddress=\"[::1]\";});}",
	    "SMTP", &set, &err) == 0);
	test_assert(set.n == 4);
	test_assert_str(set.p[0].service, "submission");
	test_assert_str(set.p[1].service, "smtp");
	test_assert_str(set.p[2].service, "smtps");
	test_assert_str(set.p[3].service, "submission");
	test_assert_str(set.p[3].addr, "::1");
	test_assert(parse("{Ports=({PortNumber=993;InitialSecurity=YES;},"
	    "{PortNumber=143;IPAddress=\"*\";});}", "IMAP", &set, &err) == 0);
	test_assert(set.n == 2);
	test_assert_str(set.p[0].service, "imaps");
	test_assert_str(set.p[1].service, "imap");
	test_assert(parse("{Ports=({PortNumber=1106;});}", "PWD", &set,
	    &err) == 0 && set.n == 1);
	test_assert_str(set.p[0].service, "cli");
	/* no sockets: the module does not listen */
	test_assert(parse("{Ports=();}", "POP", &set, &err) == 0 &&
	    set.n == 0);
	/* same port on two specific addresses is fine */
	test_assert(parse("{Ports=({PortNumber=25;IPAddress=127.0.0.1;},"
	    "{PortNumber=25;IPAddress=127.0.0.2;});}", "SMTP", &set,
	    &err) == 0 && set.n == 2);
	test_end();
}

static void
test_parse_refused(void)
{
	static const struct {
		const char	*text, *module, *msg;
	} bad[] = {
		{ "x", "SMTP", "Listener: a dictionary" },
		{ "{}", "SMTP", "Listener: Ports must be an array" },
		{ "{Ports=x;}", "SMTP", "Listener: Ports must be an array" },
		{ "{Ports=();Foo=1;}", "SMTP", "Listener: unknown key 'Foo'" },
		{ "{Ports=(x);}", "SMTP", "Listener: Ports element 1 is not a "
		    "dictionary" },
		{ "{Ports=({});}", "SMTP", "Listener: Ports element 1: "
		    "PortNumber missing" },
		{ "{Ports=({PortNumber=25;},{PortNumber=x;});}", "SMTP",
		    "Listener: Ports element 2: PortNumber 'x' is not a port "
		    "number 1-65535" },
		{ "{Ports=({PortNumber=0;});}", "SMTP", "PortNumber '0'" },
		{ "{Ports=({PortNumber=65536;});}", "SMTP", "PortNumber" },
		{ "{Ports=({PortNumber=025000;});}", "SMTP", "PortNumber" },
		{ "{Ports=({PortNumber=#-1;});}", "SMTP", "PortNumber" },
		{ "{Ports=({PortNumber=25;InitialSecurity=maybe;});}", "SMTP",
		    "InitialSecurity must be YES or NO" },
		{ "{Ports=({PortNumber=25;IPAddress=mail.example;});}", "SMTP",
		    "IPAddress 'mail.example' is not an IP address" },
		{ "{Ports=({PortNumber=25;IPAddress=(x);});}", "SMTP",
		    "IPAddress" },
		{ "{Ports=({PortNumber=25;Address=127.0.0.1;});}", "SMTP",
		    "unknown key 'Address'" },
		{ "{Ports=({PortNumber=25;Service=imap;});}", "SMTP",
		    "'imap' is not a service of the SMTP module" },
		{ "{Ports=({PortNumber=25;Service=smtp;InitialSecurity=YES;});}",
		    "SMTP", "InitialSecurity YES does not fit service smtp" },
		{ "{Ports=({PortNumber=106;InitialSecurity=YES;});}", "PWD",
		    "the PWD module has no secure (InitialSecurity) service" },
		{ "{Ports=({PortNumber=25;},{PortNumber=25;});}", "SMTP",
		    "Ports elements 1 and 2 both take port 25 on *" },
		{ "{Ports=({PortNumber=25;},{PortNumber=25;"
		    "IPAddress=127.0.0.1;});}", "SMTP",
		    "both take port 25 on 127.0.0.1" },
		{ "{Ports=({PortNumber=25;IPAddress=::1;},{PortNumber=25;"
		    "IPAddress=\"[0::1]\";});}", "SMTP", "both take port 25" },
	};
	struct listen_set set;
	struct error err;
	size_t i;

	test_begin("Listener: refusals name the element and the key");
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_assert(parse(bad[i].text, bad[i].module, &set,
		    &err) == -1);
		test_assert(err.kind == ERR_SYNTAX);
		test_assert(strstr(err.msg, bad[i].msg) != NULL);
		if (strstr(err.msg, bad[i].msg) == NULL)
			printf("  %s: got \"%s\"\n", bad[i].text, err.msg);
		test_assert(set.n == 0);
	}
	test_end();
}

static void
test_parse_limit(void)
{
	char text[2048];
	struct listen_set set;
	struct error err;
	size_t i, len;

	test_begin("Listener: at most LISTEN_PORTS_MAX ports");
	len = (size_t)snprintf(text, sizeof(text), "{Ports=(");
	for (i = 0; i < LISTEN_PORTS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s{PortNumber=%zu;}", i > 0 ? "," : "", 2000 + i);
	snprintf(text + len, sizeof(text) - len, ");}");
	test_assert(parse(text, "SMTP", &set, &err) == 0 &&
	    set.n == LISTEN_PORTS_MAX);
	snprintf(text + len, sizeof(text) - len, ",{PortNumber=3000;});}");
	test_assert(parse(text, "SMTP", &set, &err) == -1 &&
	    err.kind == ERR_LIMIT && set.n == 0);
	test_end();
}

static void
test_canon_and_sets(void)
{
	struct listen_set a, b;
	struct error err;
	char out[LISTENER_ADDR_MAX];

	test_begin("address text and set comparison");
	test_assert(listen_addr_canon(NULL, out, sizeof(out)) == 0);
	test_assert_str(out, "*");
	test_assert(listen_addr_canon("", out, sizeof(out)) == 0);
	test_assert_str(out, "*");
	test_assert(listen_addr_canon("[0:0::1]", out, sizeof(out)) == 0);
	test_assert_str(out, "::1");
	test_assert(listen_addr_canon("127.000.0.1", out, sizeof(out)) == -1);
	test_assert(listen_addr_canon("localhost", out, sizeof(out)) == -1);
	test_assert(parse("{Ports=({PortNumber=25;},{PortNumber=465;"
	    "InitialSecurity=YES;});}", "SMTP", &a, &err) == 0);
	test_assert(parse("{Ports=({PortNumber=465;InitialSecurity=YES;},"
	    "{PortNumber=25;IPAddress=\"*\";});}", "SMTP", &b, &err) == 0);
	test_assert(listen_set_equal(&a, &b));
	test_assert(listen_set_has(&a, "smtps", "*", 465));
	test_assert(!listen_set_has(&a, "smtp", "*", 465));
	test_assert(parse("{Ports=({PortNumber=25;});}", "SMTP", &b,
	    &err) == 0);
	test_assert(!listen_set_equal(&a, &b));
	test_end();
}

static void
test_helper_request(void)
{
	static const char *const bad[] = {
		"", "bind TCP", "bind TCP ", "bind TCP 127.0.0.1", "bind TCP :25",
		"bind TCP 127.0.0.1:", "bind TCP 127.0.0.1:0",
		"bind TCP 127.0.0.1:025", "bind TCP 127.0.0.1:1024",
		"bind TCP 127.0.0.1:65535", "bind TCP 127.0.0.1:25\n",
		"bind TCP 127.0.0.1:25 ", "bind TCP  127.0.0.1:25",
		"BIND TCP 127.0.0.1:25", "bind UDP 127.0.0.1:25",
		"bind TCP localhost:25", "bind TCP 127.1:25",
		"bind TCP 1.2.3.4.5:25", "bind TCP 256.0.0.1:25",
		"bind TCP ::1:25", "bind TCP [::1]25", "bind TCP [zz::1]:25",
		"bind TCP []:25", "bind TCP [127.0.0.1]:25",
		"bind TCP **:25", "bind TCP 127.0.0.1:+25",
		"bind TCP 127.0.0.1:2 5",
		"bind TCP [1111:2222:3333:4444:5555:6666:7777:8888]:1000x",
	};
	char addr[48];
	unsigned port = 0;
	size_t i;

	test_begin("bind helper requests: one strict form");
	test_assert(bindhelper_parse_request("bind TCP 127.0.0.7:25", 21,
	    addr, sizeof(addr), &port) == 0);
	test_assert_str(addr, "127.0.0.7");
	test_assert(port == 25);
	test_assert(bindhelper_parse_request("bind TCP *:1023", 15, addr,
	    sizeof(addr), &port) == 0 && port == 1023);
	test_assert_str(addr, "*");
	test_assert(bindhelper_parse_request("bind TCP [::1]:1", 16, addr,
	    sizeof(addr), &port) == 0 && port == 1);
	test_assert_str(addr, "::1");
	/* the length given counts: a NUL inside is refused */
	test_assert(bindhelper_parse_request("bind TCP 127.0.0.7:25\0", 22,
	    addr, sizeof(addr), &port) == -1);
	test_assert(bindhelper_parse_request("bind TCP 127.0.0.7:2\0005", 22,
	    addr, sizeof(addr), &port) == -1);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_assert(bindhelper_parse_request(bad[i], strlen(bad[i]),
		    addr, sizeof(addr), &port) == -1);
	}
	test_end();
}

int
main(void)
{
	test_table();
	test_parse_ok();
	test_parse_refused();
	test_parse_limit();
	test_canon_and_sets();
	test_helper_request();
	return test_done();
}
