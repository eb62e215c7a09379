/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl_step.c: libFuzzer target for the SASL engine (auth/sasl.h).  The
 * first byte picks the mechanism (bits 0-1), whether the first line is an
 * initial response (bit 2) and whether the lines go in as base64 response
 * lines or as decoded responses (bit 3); the rest is split at '\n' into
 * the client's lines.  A test verifier stands in for auth.c (user1 / pw1),
 * so no server is needed.  Checks: only SASL_CONTINUE has a challenge to
 * send and it is base64; SASL_DONE_OK carries the account the verifier
 * gave; once an exchange ended, no further step is taken; the session is
 * freed (leaks show up under ASan).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/strv.h"
#include "auth/auth.h"
#include "auth/sasl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned verifier_calls;

static int
fz_plain(void *ctx, const char *user, const char *pw,
    struct auth_result *res, struct error *err)
{
	(void)ctx;
	verifier_calls++;
	if (strlen(user) > ADDRESS_MAX || strlen(pw) > PASSWORD_MAX)
		abort();
	if (strcmp(user, "user1") != 0 || strcmp(pw, "pw1") != 0)
		return error_set(err, ERR_AUTH, AUTH_GENERIC_ERROR);
	memset(res, 0, sizeof(*res));
	memcpy(res->address, "user1@fuzz", 11);
	return 0;
}

static int
fz_cram(void *ctx, const char *user, const char *chal, const char *resp,
    struct auth_result *res, struct error *err)
{
	size_t i;

	(void)ctx;
	(void)res;
	verifier_calls++;
	if (strlen(user) > ADDRESS_MAX || chal[0] != '<' || strlen(resp) != 32)
		abort();
	for (i = 0; i < 32; i++)
		if (!((resp[i] >= '0' && resp[i] <= '9') ||
		    (resp[i] >= 'a' && resp[i] <= 'f')))
			abort();
	return error_set(err, ERR_AUTH, AUTH_GENERIC_ERROR);
}

static const struct sasl_verifier fz_verifier = { fz_plain, fz_cram };

static const char *const mechs[] = { "PLAIN", "LOGIN", "CRAM-MD5", "plain" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sasl_mech *mech;
	struct sasl_session *s;
	struct strv rest, line;
	enum sasl_step st;
	unsigned flags, calls;
	bool more = true;
	const char *c;
	size_t i;

	if (size == 0)
		return 0;
	flags = data[0];
	rest = strv_make((const char *)data + 1, size - 1);
	mech = sasl_mech_find(strv_from(mechs[flags & 3]));
	if (mech == NULL)
		abort();
	s = sasl_session_new(mech, NULL, NULL, "fuzz.example");
	verifier_calls = 0;
	sasl_session_set_verifier(s, &fz_verifier, NULL);
	if (flags & 4) {
		rest = strv_split(rest, '\n', &line);
		more = rest.p != NULL;
		st = sasl_start(s, &line);
	} else
		st = sasl_start(s, NULL);
	while (st == SASL_CONTINUE) {
		c = sasl_challenge(s);
		for (i = 0; c[i] != '\0'; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			    "qrstuvwxyz0123456789+/=", c[i]) == NULL)
				abort();
		if (!more)
			break;
		rest = strv_split(rest, '\n', &line);
		more = rest.p != NULL;
		st = (flags & 8) ? sasl_step(s, line) : sasl_step_b64(s, line);
	}
	if (st == SASL_DONE_OK &&
	    strcmp(sasl_result(s)->address, "user1@fuzz") != 0)
		abort();
	if (st == SASL_DONE_FAIL && sasl_error(s)->msg[0] == '\0')
		abort();
	if (st == SASL_ERROR_SYNTAX && (sasl_error(s)->msg[0] == '\0' ||
	    sasl_syntax(s) > SASL_SYNTAX_TOOLONG))
		abort();
	if (st != SASL_CONTINUE) {
		/* The exchange is over: nothing more is taken. */
		calls = verifier_calls;
		if (sasl_step_b64(s, strv_from("AHVzZXIxAHB3MQ==")) !=
		    SASL_DONE_FAIL || verifier_calls != calls)
			abort();
	}
	sasl_session_free(&s);
	return 0;
}
