/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl_test.c: the SASL engine (auth/sasl.h).  Each mechanism's steps with
 * a test verifier (good and bad passwords, cancel, malformed base64, a
 * response at and one past SASL_RESPONSE_MAX, fields at and past their
 * limits, PLAIN without its NULs, an authzid other than the authcid, empty
 * input); then, against real objects in a temporary base directory, the
 * default verifier (auth_login, auth_login_cram_md5) and the mechanisms
 * offered and accepted by the clear-text policy and AUTHMethods.
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

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/test.h"
#include "objects/objects.h"
#include "router/router.h"
#include "core/server.h"
#include "auth/auth.h"
#include "auth/sasl.h"

/* ---- a verifier without a server: user1 / pw1 ---- */

struct tv {
	unsigned	calls;
	char		last_user[ADDRESS_MAX + 1];
	size_t		last_pw_len;
};

static int
tv_ok(struct tv *t, const char *user, struct auth_result *res)
{
	(void)t;
	memset(res, 0, sizeof(*res));
	(void)snprintf(res->account, sizeof(res->account), "%s", user);
	(void)snprintf(res->domain, sizeof(res->domain), "test.example");
	(void)snprintf(res->address, sizeof(res->address), "%s@test.example",
	    user);
	return 0;
}

static int
tv_plain(void *ctx, const char *user, const char *pw,
    struct auth_result *res, struct error *err)
{
	struct tv *t = ctx;

	t->calls++;
	(void)snprintf(t->last_user, sizeof(t->last_user), "%s", user);
	t->last_pw_len = strlen(pw);
	if (strcmp(user, "user1") == 0 && strcmp(pw, "pw1") == 0)
		return tv_ok(t, user, res);
	return error_set(err, ERR_AUTH, AUTH_GENERIC_ERROR);
}

static void
hmac_hex(const char *key, const char *text, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	HMAC(EVP_md5(), key, (int)strlen(key), (const unsigned char *)text,
	    strlen(text), md, &mdlen);
	for (i = 0; i < mdlen; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static int
tv_cram(void *ctx, const char *user, const char *chal, const char *resp,
    struct auth_result *res, struct error *err)
{
	struct tv *t = ctx;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	t->calls++;
	(void)snprintf(t->last_user, sizeof(t->last_user), "%s", user);
	hmac_hex("pw1", chal, hex);
	if (strcmp(user, "user1") == 0 && strcmp(resp, hex) == 0)
		return tv_ok(t, user, res);
	return error_set(err, ERR_AUTH, AUTH_GENERIC_ERROR);
}

static const struct sasl_verifier test_verifier = { tv_plain, tv_cram };

static struct tv tv;

static struct sasl_session *
new_session(const char *mech)
{
	const struct sasl_mech *m = sasl_mech_find(strv_from(mech));
	struct sasl_session *s;

	if (m == NULL)
		abort();
	s = sasl_session_new(m, NULL, NULL, "test.example");
	memset(&tv, 0, sizeof(tv));
	sasl_session_set_verifier(s, &test_verifier, &tv);
	return s;
}

/* Base64 of len bytes, in one of a few rotating static buffers. */
static const char *
b64n(const void *p, size_t len)
{
	static char bufs[4][2 * SASL_RESPONSE_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4];

	if (sasl_b64_encode(p, len, b, sizeof(bufs[0])) < 0)
		abort();
	return b;
}

static const char *
b64(const char *s)
{
	return b64n(s, strlen(s));
}

static enum sasl_step
start(struct sasl_session *s, const char *ir)
{
	struct strv v = strv_from(ir != NULL ? ir : "");

	return sasl_start(s, ir != NULL ? &v : NULL);
}

static enum sasl_step
step(struct sasl_session *s, const char *line)
{
	return sasl_step_b64(s, strv_from(line));
}

/* Decodes the current challenge into buf. */
static const char *
challenge_text(struct sasl_session *s)
{
	static char buf[SASL_CHALLENGE_MAX + 1];
	size_t len;

	if (sasl_b64_decode(sasl_challenge(s), buf, sizeof(buf), &len) < 0)
		return "(bad base64)";
	return buf;
}

/* One PLAIN exchange with an initial response of len raw bytes. */
static enum sasl_step
plain_ir(const void *raw, size_t len, struct sasl_session **s_r)
{
	*s_r = new_session("PLAIN");
	return start(*s_r, b64n(raw, len));
}

static void
test_plain(void)
{
	struct sasl_session *s;
	char big[PASSWORD_MAX + 16];
	enum sasl_step r;

	test_begin("PLAIN: initial response, good password");
	test_assert(plain_ir("\0user1\0pw1", 10, &s) == SASL_DONE_OK);
	test_assert_str(sasl_result(s)->address, "user1@test.example");
	test_assert_str(sasl_authcid(s), "user1");
	test_assert(tv.calls == 1);
	sasl_session_free(&s);
	test_assert(s == NULL);
	test_end();

	test_begin("PLAIN: empty challenge, then the message");
	s = new_session("plain");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert_str(sasl_challenge(s), "");
	test_assert(step(s, b64n("user1\0user1\0pw1", 15)) == SASL_DONE_OK);
	test_assert_str(sasl_authzid(s), "user1");
	sasl_session_free(&s);
	test_end();

	test_begin("PLAIN: wrong password and unknown user fail alike");
	test_assert(plain_ir("\0user1\0pw2", 10, &s) == SASL_DONE_FAIL);
	test_assert(sasl_error(s)->kind == ERR_AUTH);
	test_assert_str(sasl_error(s)->msg, AUTH_GENERIC_ERROR);
	test_assert(sasl_result(s)->address[0] == '\0');
	sasl_session_free(&s);
	test_assert(plain_ir("\0nobody\0pw1", 11, &s) == SASL_DONE_FAIL);
	test_assert_str(sasl_error(s)->msg, AUTH_GENERIC_ERROR);
	sasl_session_free(&s);
	test_end();

	test_begin("PLAIN: an authzid other than the authcid is refused");
	test_assert(plain_ir("other\0user1\0pw1", 15, &s) == SASL_DONE_FAIL);
	test_assert(tv.calls == 0);		/* not even tried */
	test_assert_str(sasl_error(s)->msg, AUTH_GENERIC_ERROR);
	sasl_session_free(&s);
	test_assert(plain_ir("USER1\0user1\0pw1", 15, &s) == SASL_DONE_OK);
	sasl_session_free(&s);
	test_end();

	test_begin("PLAIN: missing NULs, empty authcid, empty input");
	test_assert(plain_ir("nonul", 5, &s) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);
	test_assert(sasl_error(s)->kind == ERR_SYNTAX);
	test_assert(tv.calls == 0);
	sasl_session_free(&s);
	test_assert(plain_ir("user1\0pw1", 9, &s) == SASL_ERROR_SYNTAX);
	sasl_session_free(&s);
	test_assert(plain_ir("\0\0pw1", 5, &s) == SASL_ERROR_SYNTAX);
	sasl_session_free(&s);
	test_assert(plain_ir("\0user1\0pw1\0", 11, &s) == SASL_ERROR_SYNTAX);
	sasl_session_free(&s);
	s = new_session("PLAIN");
	test_assert(start(s, "=") == SASL_ERROR_SYNTAX);	/* empty IR */
	sasl_session_free(&s);
	s = new_session("PLAIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "") == SASL_ERROR_SYNTAX);	/* empty line */
	test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);
	sasl_session_free(&s);
	test_end();

	test_begin("PLAIN: malformed base64 and cancel");
	s = new_session("PLAIN");
	test_assert(start(s, "!!!!") == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_BASE64);
	sasl_session_free(&s);
	s = new_session("PLAIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "AHVzZXIxAHB3M") == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_BASE64);
	sasl_session_free(&s);
	s = new_session("PLAIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "*") == SASL_CANCELLED);
	test_assert(tv.calls == 0);
	/* nothing more is taken after the end */
	test_assert(step(s, b64n("\0user1\0pw1", 10)) == SASL_DONE_FAIL);
	test_assert(sasl_error(s)->kind == ERR_INTERNAL);
	test_assert(tv.calls == 0);
	sasl_session_free(&s);
	/* "*" as an initial response is base64 text, not a cancel */
	s = new_session("PLAIN");
	test_assert(start(s, "*") == SASL_ERROR_SYNTAX);
	sasl_session_free(&s);
	test_end();

	test_begin("PLAIN: a password at and past PASSWORD_MAX");
	memset(big, 'p', sizeof(big));
	big[0] = '\0';
	memcpy(big + 1, "user1", 5);
	big[6] = '\0';
	r = plain_ir(big, 7 + PASSWORD_MAX, &s);
	test_assert(r == SASL_DONE_FAIL);	/* checked: wrong password */
	test_assert(tv.last_pw_len == PASSWORD_MAX);
	sasl_session_free(&s);
	test_assert(plain_ir(big, 7 + PASSWORD_MAX + 1, &s) ==
	    SASL_ERROR_SYNTAX);
	test_assert(tv.calls == 0);
	sasl_session_free(&s);
	test_end();
}

static void
test_response_bound(void)
{
	static char line[SASL_RESPONSE_MAX + 2];
	struct sasl_session *s;

	/* SASL_RESPONSE_MAX is a multiple of 4: that many 'A's are valid
	 * base64 (NUL bytes), one more is past the bound. */
	_Static_assert(SASL_RESPONSE_MAX % 4 == 0, "base64 quanta");
	test_begin("a response at SASL_RESPONSE_MAX is decoded, one past "
	    "it is refused as too long");
	memset(line, 'A', SASL_RESPONSE_MAX);
	line[SASL_RESPONSE_MAX] = '\0';
	s = new_session("PLAIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, line) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);	/* decoded */
	sasl_session_free(&s);
	memset(line, 'A', SASL_RESPONSE_MAX + 1);
	line[SASL_RESPONSE_MAX + 1] = '\0';
	s = new_session("PLAIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, line) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_TOOLONG);
	test_assert(sasl_error(s)->kind == ERR_LIMIT);
	sasl_session_free(&s);
	s = new_session("PLAIN");
	test_assert(start(s, line) == SASL_ERROR_SYNTAX);	/* as IR */
	test_assert(sasl_syntax(s) == SASL_SYNTAX_TOOLONG);
	sasl_session_free(&s);
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, line) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_TOOLONG);
	sasl_session_free(&s);
	test_end();
}

static void
test_login(void)
{
	struct sasl_session *s;
	char name[ADDRESS_MAX + 2];

	test_begin("LOGIN: Username:, Password:, good password");
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert_str(sasl_challenge(s), "VXNlcm5hbWU6");
	test_assert(step(s, b64("user1")) == SASL_CONTINUE);
	test_assert_str(sasl_challenge(s), "UGFzc3dvcmQ6");
	test_assert_str(challenge_text(s), "Password:");
	test_assert(step(s, b64("pw1")) == SASL_DONE_OK);
	test_assert_str(sasl_result(s)->address, "user1@test.example");
	sasl_session_free(&s);
	test_end();

	test_begin("LOGIN: the initial response is the user name");
	s = new_session("LOGIN");
	test_assert(start(s, b64("user1")) == SASL_CONTINUE);
	test_assert_str(challenge_text(s), "Password:");
	test_assert(step(s, b64("pw2")) == SASL_DONE_FAIL);
	test_assert_str(sasl_error(s)->msg, AUTH_GENERIC_ERROR);
	test_assert(tv.calls == 1);
	sasl_session_free(&s);
	s = new_session("LOGIN");		/* "=": an empty name */
	test_assert(start(s, "=") == SASL_CONTINUE);
	test_assert_str(challenge_text(s), "Password:");
	test_assert(step(s, b64("pw1")) == SASL_DONE_FAIL);
	test_assert_str(tv.last_user, "");
	sasl_session_free(&s);
	test_end();

	test_begin("LOGIN: NUL in the name, bad base64, cancel, empty");
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, b64n("us\0er1", 6)) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);
	sasl_session_free(&s);
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, b64("user1")) == SASL_CONTINUE);
	test_assert(step(s, b64n("pw\0", 3)) == SASL_ERROR_SYNTAX);
	test_assert(tv.calls == 0);
	sasl_session_free(&s);
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "dXNlcjE") == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_BASE64);
	sasl_session_free(&s);
	s = new_session("LOGIN");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, b64("user1")) == SASL_CONTINUE);
	test_assert(step(s, "*") == SASL_CANCELLED);
	test_assert(tv.calls == 0);
	sasl_session_free(&s);
	s = new_session("LOGIN");		/* empty lines: empty values */
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "") == SASL_CONTINUE);
	test_assert(step(s, "") == SASL_DONE_FAIL);
	test_assert(tv.calls == 1 && tv.last_pw_len == 0);
	sasl_session_free(&s);
	test_end();

	test_begin("LOGIN: a name at and past ADDRESS_MAX");
	memset(name, 'n', sizeof(name));
	s = new_session("LOGIN");
	test_assert(start(s, b64n(name, ADDRESS_MAX)) == SASL_CONTINUE);
	test_assert(step(s, b64("pw1")) == SASL_DONE_FAIL);
	test_assert(strlen(tv.last_user) == ADDRESS_MAX);
	sasl_session_free(&s);
	s = new_session("LOGIN");
	test_assert(start(s, b64n(name, ADDRESS_MAX + 1)) ==
	    SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_TOOLONG);
	sasl_session_free(&s);
	test_end();
}

static void
test_cram_md5(void)
{
	struct sasl_session *s;
	char chal[SASL_CHALLENGE_MAX + 1], hex[64], resp[256];
	size_t i;

	test_begin("CRAM-MD5: challenge, good digest");
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	(void)snprintf(chal, sizeof(chal), "%s", challenge_text(s));
	test_assert(chal[0] == '<' && strstr(chal, "@test.example>") != NULL);
	hmac_hex("pw1", chal, hex);
	(void)snprintf(resp, sizeof(resp), "user1 %s", hex);
	test_assert(step(s, b64(resp)) == SASL_DONE_OK);
	test_assert_str(sasl_result(s)->address, "user1@test.example");
	sasl_session_free(&s);
	test_end();

	test_begin("CRAM-MD5: upper-case digest is taken, wrong one fails");
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	(void)snprintf(chal, sizeof(chal), "%s", challenge_text(s));
	hmac_hex("pw1", chal, hex);
	for (i = 0; hex[i] != '\0'; i++)
		if (hex[i] >= 'a' && hex[i] <= 'f')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	(void)snprintf(resp, sizeof(resp), "user1 %s", hex);
	test_assert(step(s, b64(resp)) == SASL_DONE_OK);
	sasl_session_free(&s);
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	(void)snprintf(chal, sizeof(chal), "%s", challenge_text(s));
	hmac_hex("pw2", chal, hex);
	(void)snprintf(resp, sizeof(resp), "user1 %s", hex);
	test_assert(step(s, b64(resp)) == SASL_DONE_FAIL);
	test_assert(sasl_error(s)->kind == ERR_AUTH);
	sasl_session_free(&s);
	test_end();

	test_begin("CRAM-MD5: malformed responses, initial response, cancel");
	{
		static const char *bad[] = {
			"user1",				/* no digest */
			"user1 0123456789abcdef0123456789abcde",	/* 31 */
			"user1 0123456789abcdef0123456789abcdef0",	/* 33 */
			"user1 0123456789abcdef0123456789abcdeg",	/* not hex */
			" 0123456789abcdef0123456789abcdef",	/* no name */
			"",
		};

		for (i = 0; i < N_ELEMENTS(bad); i++) {
			s = new_session("CRAM-MD5");
			test_assert(start(s, NULL) == SASL_CONTINUE);
			test_assert(step(s, b64(bad[i])) == SASL_ERROR_SYNTAX);
			test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);
			sasl_session_free(&s);
		}
		test_assert(tv.calls == 0);
	}
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, b64n("user1\0 0123456789abcdef0123456789abcdef",
	    39)) == SASL_ERROR_SYNTAX);
	sasl_session_free(&s);
	s = new_session("CRAM-MD5");
	test_assert(start(s, b64("user1")) == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_MESSAGE);
	sasl_session_free(&s);
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "*") == SASL_CANCELLED);
	sasl_session_free(&s);
	s = new_session("CRAM-MD5");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, "#####") == SASL_ERROR_SYNTAX);
	test_assert(sasl_syntax(s) == SASL_SYNTAX_BASE64);
	sasl_session_free(&s);
	test_end();
}

static void
test_table(void)
{
	struct buf b;
	struct sasl_session *s;

	test_begin("mechanism table, names and formatting");
	test_assert(sasl_mech_find(strv_from("plain")) != NULL);
	test_assert(sasl_mech_find(strv_from("Cram-Md5"))->id ==
	    SASL_MECH_CRAM_MD5);
	test_assert(sasl_mech_find(strv_from("SCRAM-SHA-256")) == NULL);
	test_assert(sasl_mech_find(strv_from("PLAINX")) == NULL);
	test_assert(sasl_mech_find(strv_from("")) == NULL);
	test_assert(sasl_mech_find(strv_from("PLAIN"))->clear_text);
	test_assert(!sasl_mech_find(strv_from("CRAM-MD5"))->clear_text);
	buf_init(&b, 256);
	sasl_format(SASL_MECH_BIT(SASL_MECH_CRAM_MD5) |
	    SASL_MECH_BIT(SASL_MECH_PLAIN) | SASL_MECH_BIT(SASL_MECH_LOGIN),
	    "AUTH=", &b);
	test_assert_str(buf_cstr(&b), " AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5");
	buf_reset(&b);
	sasl_format(0, "", &b);
	test_assert_str(buf_cstr(&b), "");
	buf_free(&b);
	/* a step before the start is refused */
	s = new_session("PLAIN");
	test_assert(step(s, b64n("\0user1\0pw1", 10)) == SASL_DONE_FAIL);
	test_assert(tv.calls == 0);
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(start(s, NULL) == SASL_DONE_FAIL);	/* started twice */
	sasl_session_free(&s);
	sasl_session_free(&s);				/* NULL: no-op */
	test_end();
}

/* ---- against real objects ---- */

static struct dval *
parse(const char *s)
{
	struct dval *v = dict_parse(s, strlen(s), 0, NULL);

	if (v == NULL)
		abort();
	return v;
}

static struct sockaddr_in
sin_of(const char *ip)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(143);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static unsigned
offered(struct server *srv, const char *remote, bool tls, bool require_tls,
    bool accepted)
{
	struct sockaddr_in l = sin_of("127.0.0.1"), r = sin_of(remote);
	struct auth_peer peer = { (struct sockaddr *)&l, (struct sockaddr *)&r,
	    tls, "IMAP", NULL };

	return accepted ? sasl_accepted(srv, &peer, require_tls) :
	    sasl_offered(srv, &peer, require_tls);
}

static void
test_real(struct server *srv)
{
	const unsigned clear = SASL_MECH_BIT(SASL_MECH_PLAIN) |
	    SASL_MECH_BIT(SASL_MECH_LOGIN);
	const unsigned cram = SASL_MECH_BIT(SASL_MECH_CRAM_MD5);
	struct sockaddr_in l = sin_of("127.0.0.1");
	struct auth_peer peer = { (struct sockaddr *)&l, (struct sockaddr *)&l,
	    false, "SMTP", NULL };
	struct sasl_session *s;
	struct dval *d;
	struct error e;
	char chal[SASL_CHALLENGE_MAX + 1], hex[64], resp[256];

	test_begin("the default verifier is auth.c's login path");
	s = sasl_session_new(sasl_mech_find(strv_from("PLAIN")), srv, &peer,
	    "main.dom");
	test_assert(start(s, b64n("\0user1\0pw1", 10)) == SASL_DONE_OK);
	test_assert_str(sasl_result(s)->address, "user1@main.dom");
	sasl_session_free(&s);
	s = sasl_session_new(sasl_mech_find(strv_from("LOGIN")), srv, &peer,
	    "main.dom");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	test_assert(step(s, b64("user1")) == SASL_CONTINUE);
	test_assert(step(s, b64("nope")) == SASL_DONE_FAIL);
	test_assert_str(sasl_error(s)->msg, AUTH_GENERIC_ERROR);
	sasl_session_free(&s);
	s = sasl_session_new(sasl_mech_find(strv_from("CRAM-MD5")), srv, &peer,
	    "main.dom");
	test_assert(start(s, NULL) == SASL_CONTINUE);
	(void)snprintf(chal, sizeof(chal), "%s", challenge_text(s));
	hmac_hex("clear1", chal, hex);
	(void)snprintf(resp, sizeof(resp), "clr %s", hex);
	test_assert(step(s, b64(resp)) == SASL_DONE_OK);
	test_assert_str(sasl_result(s)->address, "clr@main.dom");
	sasl_session_free(&s);
	test_end();

	test_begin("mechanisms offered and accepted: clear-text policy");
	/* loopback is in the default ClearTextLoginIPs */
	test_assert(offered(srv, "127.0.0.2", false, false, false) == clear);
	test_assert(offered(srv, "127.0.0.2", false, false, true) ==
	    (clear | cram));
	/* RequireTLS(ForAUTH): the module is stricter */
	test_assert(offered(srv, "127.0.0.2", false, true, false) == 0);
	test_assert(offered(srv, "127.0.0.2", false, true, true) == cram);
	test_assert(offered(srv, "127.0.0.2", true, true, false) == clear);
	/* a remote address without TLS */
	test_assert(offered(srv, "192.0.2.1", false, false, false) == 0);
	test_assert(offered(srv, "192.0.2.1", false, false, true) == cram);
	test_assert(offered(srv, "192.0.2.1", true, false, false) == clear);
	d = parse("{AllowClearTextLogins=YES;}");
	test_assert(objects_settings_file_update(srv->objects,
	    OBJ_SF_PROTECTION, NULL, NULL, d, &e) == 0);
	dict_free(&d);
	test_assert(offered(srv, "192.0.2.1", false, false, false) == clear);
	test_assert(offered(srv, "192.0.2.1", false, true, false) == 0);
	test_end();

	test_begin("CRAM-MD5 is offered where AUTHMethods lists it");
	d = parse("{AUTHMethods=(PLAIN,LOGIN,\"CRAM-MD5\");}");
	test_assert(objects_settings_file_update(srv->objects,
	    OBJ_SF_DOMAIN_SETTINGS, NULL, "main.dom", d, &e) == 0);
	dict_free(&d);
	test_assert(offered(srv, "192.0.2.1", false, true, false) == cram);
	test_assert(offered(srv, "192.0.2.1", true, false, false) ==
	    (clear | cram));
	test_end();
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-sasl-XXXXXX", *dir = mkdtemp(tmpl);
	char base[256], cmd[300];
	struct server srv;
	struct error e;
	struct dval *d;

	test_plain();
	test_response_bound();
	test_login();
	test_cram_md5();
	test_table();

	if (dir == NULL)
		abort();
	(void)snprintf(base, sizeof(base), "%s/base", dir);
	memset(&srv, 0, sizeof(srv));
	srv.base = base;
	srv.objects = objects_open(base, "main.dom", &e);
	test_assert(srv.objects != NULL);
	srv.router = router_new(&objects_router_ops, srv.objects);
	test_assert(objects_account_create(srv.objects, "user1", NULL, NULL,
	    NULL, &e) == 0);
	test_assert(objects_set_password(srv.objects, "user1", NULL, "pw1",
	    &e) == 0);
	d = parse("{Password=\"clear1\"; PasswordEncryption=clear;}");
	test_assert(objects_account_create(srv.objects, "clr", NULL, NULL, d,
	    &e) == 0);
	dict_free(&d);
	test_real(&srv);
	router_free(&srv.router);
	objects_close(&srv.objects);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	return test_done();
}
