/*
 * auth_test.c: logins against real objects and a real router in a temporary
 * base directory: passwords, the generic error, B1 routing of login names,
 * B5 protection, B10 domain by local address, flow control, CRAM-MD5/APOP,
 * SASL PLAIN decoding.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "objects/objects.h"
#include "router/router.h"
#include "server/server.h"
#include "auth/auth.h"

static struct sockaddr_in
sin_of(const char *ip)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(110);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static struct dval *
parse(const char *s)
{
	struct dval *v = dict_parse(s, strlen(s), 0, NULL);

	if (v == NULL)
		abort();
	return v;
}

static int
login(struct server *srv, const char *local, const char *remote,
    const char *name, const char *pw, struct auth_result *res,
    struct error *e)
{
	struct sockaddr_in l = sin_of(local), r = sin_of(remote);
	struct auth_peer peer = { (struct sockaddr *)&l, (struct sockaddr *)&r,
	    false, "POP", NULL };

	return auth_login(srv, &peer, name, pw, res, e);
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-auth-XXXXXX", *dir = mkdtemp(tmpl);
	struct server srv;
	struct auth_result res;
	struct error e;
	struct dval *d;
	char base[256], hex[64], chal[128], az[64], user[64], pass[64], b64[128];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int i;

	snprintf(base, sizeof(base), "%s/base", dir);
	memset(&srv, 0, sizeof(srv));
	srv.base = base;
	srv.objects = objects_open(base, "main.dom", &e);
	test_assert(srv.objects != NULL);
	srv.router = router_new(&objects_router_ops, srv.objects);

	d = parse("{Password=\"secret1\";}");
	test_assert(objects_account_create(srv.objects, "user1", NULL, NULL, d,
	    &e) == 0);
	dict_free(&d);
	test_assert(objects_set_password(srv.objects, "user1", NULL, "pw1",
	    &e) == 0);
	test_assert(objects_account_create(srv.objects, "abc", NULL, NULL, NULL,
	    &e) == 0);
	test_assert(objects_set_password(srv.objects, "abc", NULL, "abcpw",
	    &e) == 0);
	d = parse("{Password=\"clear1\"; PasswordEncryption=clear;}");
	test_assert(objects_account_create(srv.objects, "clr", NULL, NULL, d,
	    &e) == 0);
	dict_free(&d);
	test_assert(objects_domain_create(srv.objects, "client1.com", NULL,
	    &e) == 0);
	d = parse("{Password=\"info1\";}");
	test_assert(objects_account_create(srv.objects, "info", "client1.com",
	    NULL, d, &e) == 0);
	dict_free(&d);

	test_begin("password login and the generic error");
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "user1", "pw1", &res,
	    &e) == 0);
	test_assert_str(res.address, "user1@main.dom");
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "user1", "bad", &res,
	    &e) == -1 && e.kind == ERR_AUTH);
	test_assert_str(e.msg, AUTH_GENERIC_ERROR);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "nobody", "bad", &res,
	    &e) == -1 && e.kind == ERR_AUTH);
	test_assert_str(e.msg, AUTH_GENERIC_ERROR);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "USER1@MAIN.DOM",
	    "pw1", &res, &e) == 0);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "info%client1.com",
	    "info1", &res, &e) == 0);
	test_assert_str(res.address, "info@client1.com");
	test_end();

	test_begin("B1: a rerouted login name opens the other account");
	test_assert(router_set_table(srv.router, "<postmaster> = abc\n",
	    &e) == 0);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "postmaster",
	    "abcpw", &res, &e) == 0);
	test_assert_str(res.account, "abc");
	test_assert(!res.master);
	test_end();

	test_begin("B2: .local keeps the postmaster login");
	test_assert(router_set_table(srv.router,
	    "<postmaster> = pm@postmaster.local\n", &e) == 0);
	(void)objects_ensure_postmaster(srv.objects, chal, sizeof(chal), &e);
	test_assert(objects_set_password(srv.objects, "postmaster", NULL,
	    "pmpw", &e) == 0);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "postmaster", "pmpw",
	    &res, &e) == 0);
	test_assert_str(res.account, "postmaster");
	test_assert(res.master);
	test_assert(router_set_table(srv.router, "", &e) == 0);
	test_end();

	test_begin("B10: domain from the local address");
	d = parse("{IPAddresses=\"127.0.0.2\";}");
	test_assert(objects_domain_settings_update(srv.objects, "client1.com",
	    d, &e) == 0);
	dict_free(&d);
	test_assert(login(&srv, "127.0.0.2", "127.0.0.1", "info", "info1", &res,
	    &e) == 0);
	test_assert_str(res.domain, "client1.com");
	d = parse("{IPAddresses=\"127.0.0.1\";}");
	test_assert(objects_domain_settings_update(srv.objects, NULL, d,
	    &e) == 0);
	dict_free(&d);
	test_assert(login(&srv, "127.0.0.3", "127.0.0.1", "user1", "pw1", &res,
	    &e) == -1 && e.kind == ERR_PERM);
	test_assert_str(e.msg, AUTH_UNASSIGNED_ERROR);
	test_assert(login(&srv, "127.0.0.3", "127.0.0.1", "user1@main.dom",
	    "pw1", &res, &e) == 0);
	d = parse("{IPAddresses=All;}");
	test_assert(objects_domain_settings_update(srv.objects, NULL, d,
	    &e) == 0);
	dict_free(&d);
	test_end();

	test_begin("B5: logins from non-client addresses refused");
	d = parse("{RejectNonClientLogins=YES;}");
	test_assert(objects_protection_update(srv.objects, d, &e) == 0);
	dict_free(&d);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.2", "user1", "pw1", &res,
	    &e) == -1 && e.kind == ERR_PERM);
	test_assert_str(e.msg, AUTH_DENIED_ERROR);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "user1", "pw1", &res,
	    &e) == 0);
	test_assert(objects_iplist_set(srv.objects, OBJ_IPS_CLIENT,
	    "127.0.0.2\n", &e) == 0);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.2", "user1", "pw1", &res,
	    &e) == 0);
	d = parse("{RejectNonClientLogins=NO;}");
	test_assert(objects_protection_update(srv.objects, d, &e) == 0);
	dict_free(&d);
	test_end();

	test_begin("failed-login flow control per account");
	d = parse("{FailedLoginFlow=(3, 1m);}");
	test_assert(objects_account_settings_update(srv.objects, "abc", NULL, d,
	    &e) == 0);
	dict_free(&d);
	for (i = 0; i < 3; i++)
		test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "abc", "x",
		    &res, &e) == -1 && e.kind == ERR_AUTH);
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "abc", "abcpw", &res,
	    &e) == -1 && e.kind == ERR_LIMIT);
	test_assert_str(e.msg, AUTH_FLOW_ERROR);
	/* Other accounts are not affected. */
	test_assert(login(&srv, "127.0.0.1", "127.0.0.1", "user1", "pw1", &res,
	    &e) == 0);
	test_end();

	test_begin("CRAM-MD5 and APOP need a clear password");
	auth_make_challenge("main.dom", chal, sizeof(chal));
	test_assert(chal[0] == '<' && strstr(chal, "@main.dom>") != NULL);
	HMAC(EVP_md5(), "clear1", 6, (const unsigned char *)chal, strlen(chal),
	    md, &mdlen);
	for (i = 0; i < (int)mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	{
		struct sockaddr_in l = sin_of("127.0.0.1");
		struct auth_peer peer = { (struct sockaddr *)&l,
		    (struct sockaddr *)&l, false, "SMTP", NULL };

		test_assert(auth_login_cram_md5(&srv, &peer, "clr", chal, hex,
		    &res, &e) == 0);
		test_assert(auth_login_cram_md5(&srv, &peer, "clr", chal,
		    "00112233445566778899aabbccddeeff", &res, &e) == -1);
		/* hashed password: CRAM-MD5 impossible */
		test_assert(auth_login_cram_md5(&srv, &peer, "user1", chal, hex,
		    &res, &e) == -1);
		EVP_Digest("<1.2@x>clear1", 13, md, &mdlen, EVP_md5(), NULL);
		for (i = 0; i < (int)mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		test_assert(auth_login_apop(&srv, &peer, "clr", "<1.2@x>", hex,
		    &res, &e) == 0);
	}
	test_end();

	test_begin("SASL PLAIN");
	test_assert(sasl_b64_encode("\0user1\0pw1", 10, b64, sizeof(b64)) == 0);
	test_assert(sasl_plain_decode(b64, az, sizeof(az), user, sizeof(user),
	    pass, sizeof(pass), &e) == 0);
	test_assert_str(user, "user1");
	test_assert_str(pass, "pw1");
	test_assert(az[0] == '\0');
	test_assert(sasl_plain_decode("!!!!", az, sizeof(az), user,
	    sizeof(user), pass, sizeof(pass), &e) == -1);
	test_assert(sasl_b64_encode("nonul", 5, b64, sizeof(b64)) == 0);
	test_assert(sasl_plain_decode(b64, az, sizeof(az), user, sizeof(user),
	    pass, sizeof(pass), &e) == -1);
	test_end();

	router_free(&srv.router);
	objects_close(&srv.objects);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	return test_done();
}
