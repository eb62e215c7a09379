/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iplist_test.c: network address lists, table-driven.  Each good case is a
 * list text with addresses that must and must not match; each bad case is a
 * text that must be rejected with an error naming the right line.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <string.h>

#include "lib/error.h"
#include "lib/iplist.h"
#include "lib/test.h"

struct match_case {
	const char	*text;
	const char	*yes[6];	/* must match; NULL-terminated */
	const char	*no[6];		/* must not match */
};

static const struct match_case match_cases[] = {
	{ "192.0.2.7",
	  { "192.0.2.7", "::ffff:192.0.2.7", NULL },
	  { "192.0.2.6", "192.0.2.8", "::1", "2001:db8::", NULL } },
	{ "192.0.2.1-192.0.2.99",
	  { "192.0.2.1", "192.0.2.50", "192.0.2.99", NULL },
	  { "192.0.2.0", "192.0.2.100", "10.0.0.1", NULL } },
	{ " 192.0.2.1 - 192.0.2.1 ",
	  { "192.0.2.1", NULL }, { "192.0.2.2", NULL } },
	{ "10.0.0.0/8",
	  { "10.0.0.0", "10.255.255.255", "10.1.2.3", NULL },
	  { "9.255.255.255", "11.0.0.0", NULL } },
	{ "0.0.0.0/0",
	  { "0.0.0.0", "255.255.255.255", NULL },
	  { "::1", "2001:db8::1", NULL } },
	{ "192.0.2.7/32",
	  { "192.0.2.7", NULL }, { "192.0.2.6", NULL } },
	{ "10.0.0.0/8\n!10.1.2.3",
	  { "10.0.0.1", "10.1.2.2", "10.1.2.4", NULL },
	  { "10.1.2.3", NULL } },
	{ "10.0.0.0/8\n! 10.1.0.0/16\n10.1.2.3",
	  { "10.0.0.1", "10.1.2.3", NULL },
	  { "10.1.2.2", "10.1.255.255", NULL } },
	{ "!10.1.2.3\n10.0.0.0/8",	/* later include overrides */
	  { "10.1.2.3", "10.0.0.1", NULL }, { "11.0.0.1", NULL } },
	{ "; a comment\n\n  \n192.0.2.1 ; trailing comment, with comma\n"
	  "; 192.0.2.2\n",
	  { "192.0.2.1", NULL }, { "192.0.2.2", NULL } },
	{ "192.0.2.1,192.0.2.3 , ,192.0.2.5",
	  { "192.0.2.1", "192.0.2.3", "192.0.2.5", NULL },
	  { "192.0.2.2", "192.0.2.4", NULL } },
	{ "192.0.2.1\r\n192.0.2.2\r192.0.2.3\n",
	  { "192.0.2.1", "192.0.2.2", "192.0.2.3", NULL },
	  { "192.0.2.4", NULL } },
	{ "2001:db8::/32",
	  { "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8:1::7", NULL },
	  { "2001:db9::", "2001:db7:ffff::", "::ffff:32.1.13.184", NULL } },
	{ "::1\n2001:db8::10-2001:db8::20\n!2001:db8::15",
	  { "::1", "2001:db8::10", "2001:db8::14", "2001:db8::20", NULL },
	  { "2001:db8::15", "2001:db8::21", "::2", "127.0.0.1", NULL } },
	{ "[192.0.2.9]\n[::2]",
	  { "192.0.2.9", "::2", NULL }, { "192.0.2.8", NULL } },
	{ "::/0\n!0.0.0.0/0",
	  { "::1", "2001:db8::1", NULL }, { "1.2.3.4", NULL } },
	{ "", { NULL }, { "1.2.3.4", "::", NULL } },
	{ "; only a comment", { NULL }, { "1.2.3.4", NULL } },
};

struct bad_case {
	const char	*text;
	const char	*err;		/* expected prefix of the message */
};

static const struct bad_case bad_cases[] = {
	{ "10.0.0.1/8", "line 1: address has bits set below the mask" },
	{ "192.0.2.1\n10.0.0.0/33", "line 2: bad mask" },
	{ "10.0.0.0/", "line 1: bad mask" },
	{ "10.0.0.0/x", "line 1: bad mask" },
	{ "10.0.0.0/-1", "line 1: bad mask" },
	{ "10.0.0.0/0008", "line 1: bad mask" },
	{ "2001:db8::1/32", "line 1: address has bits" },
	{ "::/129", "line 1: bad mask" },
	{ "\n\n192.0.2.99-192.0.2.1", "line 3: range end is below" },
	{ "192.0.2.1-::5", "line 1: range mixes IPv4 and IPv6" },
	{ "::5-192.0.2.1", "line 1: range mixes IPv4 and IPv6" },
	{ "192.0.2.1-", "line 1: bad address range" },
	{ "; c\r\n192.0.2.1\r\nhello", "line 3: bad address 'hello'" },
	{ "192.0.2.256", "line 1: bad address" },
	{ "192.0.2", "line 1: bad address" },
	{ "1.2.3.4 5.6.7.8", "line 1: bad address" },
	{ "1.2.3.4, junk", "line 1: bad address 'junk'" },
	{ "!", "line 1: missing address" },
	{ "!!1.2.3.4", "line 1: bad address" },
	{ "2001:db8::g", "line 1: bad address" },
	{ "1.2.3.4\n\x01\xff", "line 2: bad address '?" "?'" },
};

static int
check_addr(const struct iplist *l, const char *s)
{
	struct ipaddr a;

	if (ipaddr_parse(s, &a) != 0) {
		fprintf(stderr, "bad test address %s\n", s);
		return -1;
	}
	return iplist_match(l, &a) ? 1 : 0;
}

static void
test_helpers(void)
{
	struct ipaddr a;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct iplist *l;
	const char *t;
	char out[INET6_ADDRSTRLEN];

	test_begin("ipaddr helpers");
	test_assert(ipaddr_parse("192.0.2.7", &a) == 0);
	test_assert(ipaddr_is_v4(&a));
	ipaddr_format(&a, out, sizeof(out));
	test_assert_str(out, "192.0.2.7");
	test_assert(ipaddr_parse("2001:DB8::1", &a) == 0);
	test_assert(!ipaddr_is_v4(&a));
	ipaddr_format(&a, out, sizeof(out));
	test_assert_str(out, "2001:db8::1");
	test_assert(ipaddr_parse("[::1]", &a) == 0);
	ipaddr_format(&a, out, sizeof(out));
	test_assert_str(out, "::1");
	test_assert(ipaddr_parse("::ffff:10.0.0.1", &a) == 0);
	test_assert(ipaddr_is_v4(&a));
	ipaddr_format(&a, out, sizeof(out));
	test_assert_str(out, "10.0.0.1");
	test_assert(ipaddr_parse("", &a) == -1);
	test_assert(ipaddr_parse("[]", &a) == -1);
	test_assert(ipaddr_parse("1.2.3.4.5", &a) == -1);
	test_assert(ipaddr_parse("localhost", &a) == -1);
	ipaddr_format(&a, out, 4);		/* too small: empty, no overflow */
	test_assert_str(out, "");
	test_end();

	test_begin("iplist_match_sa and empty lists");
	t = "192.0.2.0/24\n2001:db8::/64";
	l = iplist_parse(t, strlen(t), NULL);
	test_assert(l != NULL);
	test_assert(!iplist_empty(l));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.200", &sin.sin_addr);
	test_assert(iplist_match_sa(l, (struct sockaddr *)&sin));
	inet_pton(AF_INET, "192.0.3.1", &sin.sin_addr);
	test_assert(!iplist_match_sa(l, (struct sockaddr *)&sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::abcd", &sin6.sin6_addr);
	test_assert(iplist_match_sa(l, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	test_assert(iplist_match_sa(l, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "2001:db8:0:1::", &sin6.sin6_addr);
	test_assert(!iplist_match_sa(l, (struct sockaddr *)&sin6));
	test_assert(!iplist_match_sa(l, NULL));
	iplist_free(&l);
	test_assert(l == NULL);
	iplist_free(&l);
	test_assert(iplist_empty(NULL));
	test_assert(!iplist_match(NULL, &a));
	t = "; nothing\n\n";
	l = iplist_parse(t, strlen(t), NULL);
	test_assert(l != NULL && iplist_empty(l));
	iplist_free(&l);
	test_end();

	test_begin("length is respected, embedded NUL rejected");
	l = iplist_parse("1.2.3.4junk", 7, NULL);
	test_assert(l != NULL);
	test_assert(check_addr(l, "1.2.3.4") == 1);
	iplist_free(&l);
	l = iplist_parse("1.2.3.4\0", 8, NULL);
	test_assert(l == NULL);
	test_end();
}

int
main(void)
{
	const struct match_case *mc;
	const struct bad_case *bc;
	struct iplist *l;
	struct error err;
	size_t i, j;

	for (i = 0; i < N_ELEMENTS(match_cases); i++) {
		mc = &match_cases[i];
		test_begin(mc->text);
		error_clear(&err);
		l = iplist_parse(mc->text, strlen(mc->text), &err);
		test_assert(l != NULL);
		if (l == NULL) {
			fprintf(stderr, "  case %zu: %s\n", i, err.msg);
			continue;
		}
		for (j = 0; mc->yes[j] != NULL; j++) {
			if (check_addr(l, mc->yes[j]) != 1)
				fprintf(stderr, "  case %zu: %s should match\n",
				    i, mc->yes[j]);
			test_assert(check_addr(l, mc->yes[j]) == 1);
		}
		for (j = 0; mc->no[j] != NULL; j++) {
			if (check_addr(l, mc->no[j]) != 0)
				fprintf(stderr, "  case %zu: %s should not "
				    "match\n", i, mc->no[j]);
			test_assert(check_addr(l, mc->no[j]) == 0);
		}
		iplist_free(&l);
		test_end();
	}

	for (i = 0; i < N_ELEMENTS(bad_cases); i++) {
		bc = &bad_cases[i];
		test_begin(bc->err);
		error_clear(&err);
		l = iplist_parse(bc->text, strlen(bc->text), &err);
		test_assert(l == NULL);
		iplist_free(&l);
		test_assert(err.kind == ERR_SYNTAX);
		if (strncmp(err.msg, bc->err, strlen(bc->err)) != 0)
			fprintf(stderr, "  case %zu: got \"%s\"\n", i, err.msg);
		test_assert(strncmp(err.msg, bc->err, strlen(bc->err)) == 0);
		test_end();
	}

	test_helpers();
	return test_done();
}
