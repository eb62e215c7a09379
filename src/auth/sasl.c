/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl.c: the SASL engine (sasl.h) -- the mechanism table, one step
 * function per mechanism, the choice of mechanisms per connection -- and
 * the helpers below it: base64 (OpenSSL's EVP coder; RFC 4648 with
 * padding) and the PLAIN message (RFC 4616: [authzid] NUL authcid NUL
 * passwd).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "auth/sasl.h"

int
sasl_b64_encode(const void *p, size_t len, char *buf, size_t size)
{
	if (len > (size_t)INT32_MAX / 2 || size < 4 * ((len + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)buf, p, (int)len);
	return 0;
}

int
sasl_b64_decode(const char *b64, char *buf, size_t size, size_t *len_r)
{
	size_t n = strlen(b64), out, pad = 0;
	unsigned char *tmp;
	int r;

	if (n == 0) {
		if (size < 1)
			return -1;
		buf[0] = '\0';
		*len_r = 0;
		return 0;
	}
	if (n % 4 != 0 || n > (size_t)INT32_MAX)
		return -1;
	if (b64[n - 1] == '=')
		pad++;
	if (b64[n - 2] == '=')
		pad++;
	out = n / 4 * 3 - pad;
	if (out + 1 > size)
		return -1;
	tmp = xmalloc(n / 4 * 3 + 1);
	r = EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n);
	if (r < 0 || (size_t)r != n / 4 * 3) {
		free(tmp);
		return -1;
	}
	memcpy(buf, tmp, out);
	buf[out] = '\0';
	*len_r = out;
	explicit_bzero(tmp, n / 4 * 3);
	free(tmp);
	return 0;
}

static int
copy_field(const char *p, size_t n, char *dst, size_t size)
{
	if (n >= size || memchr(p, '\0', n) != NULL)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* Splits a decoded PLAIN message; -1 when a NUL is missing, a field does
 * not fit or the authcid is empty. */
static int
plain_split(const char *raw, size_t len, char *authzid, size_t azsize,
    char *user, size_t usize, char *pass, size_t psize)
{
	const char *nul1, *nul2;

	nul1 = memchr(raw, '\0', len);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0',
	    len - (size_t)(nul1 + 1 - raw)) : NULL;
	if (nul1 == NULL || nul2 == NULL)
		return -1;
	if (copy_field(raw, (size_t)(nul1 - raw), authzid, azsize) < 0 ||
	    copy_field(nul1 + 1, (size_t)(nul2 - nul1 - 1), user, usize) < 0 ||
	    copy_field(nul2 + 1, len - (size_t)(nul2 + 1 - raw), pass,
	    psize) < 0 || user[0] == '\0')
		return -1;
	return 0;
}

int
sasl_plain_decode(const char *b64, char *authzid, size_t azsize,
    char *user, size_t usize, char *pass, size_t psize, struct error *err_r)
{
	char raw[3 * (ADDRESS_MAX + PASSWORD_MAX) + 8];
	size_t len;
	int rc = 0;

	if (sasl_b64_decode(b64, raw, sizeof(raw), &len) < 0)
		return error_set(err_r, ERR_SYNTAX, "invalid base64 data");
	if (plain_split(raw, len, authzid, azsize, user, usize, pass,
	    psize) < 0)
		rc = error_set(err_r, ERR_SYNTAX, "malformed PLAIN message");
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

/* ---- the engine ---- */

struct sasl_session {
	const struct sasl_mech	*mech;
	unsigned		 stage;		/* steps taken by the mechanism */
	struct server		*srv;
	struct auth_peer	 peer;
	char			 host[DOMAIN_NAME_MAX + 1];
	const struct sasl_verifier *verifier;
	void			*vctx;

	char		 authcid[ADDRESS_MAX + 1];
	char		 authzid[ADDRESS_MAX + 1];
	char		 password[PASSWORD_MAX + 1];
	char		 cram[SASL_CHALLENGE_MAX];	/* challenge sent */
	char		 challenge[2 * SASL_CHALLENGE_MAX];	/* base64 */
	char		 text[SASL_RESPONSE_MAX + 1];	/* line, NUL-ended */
	char		 raw[SASL_RESPONSE_MAX / 4 * 3 + 1];	/* decoded */
	struct auth_result result;
	struct error	 err;
	enum sasl_syntax syntax;
	bool		 done;
};

/* The default verifier: the login path of auth.c. */
static int
verify_plain(void *ctx, const char *authcid, const char *password,
    struct auth_result *res, struct error *err)
{
	struct sasl_session *s = ctx;

	return auth_login(s->srv, &s->peer, authcid, password, res, err);
}

static int
verify_cram_md5(void *ctx, const char *authcid, const char *challenge,
    const char *response_hex, struct auth_result *res, struct error *err)
{
	struct sasl_session *s = ctx;

	return auth_login_cram_md5(s->srv, &s->peer, authcid, challenge,
	    response_hex, res, err);
}

static const struct sasl_verifier auth_verifier = {
	verify_plain, verify_cram_md5
};

static enum sasl_step
syntax_error(struct sasl_session *s, enum sasl_syntax kind, const char *msg)
{
	s->syntax = kind;
	error_set(&s->err, kind == SASL_SYNTAX_TOOLONG ? ERR_LIMIT :
	    ERR_SYNTAX, "%s", msg);
	s->done = true;
	return SASL_ERROR_SYNTAX;
}

/* Ends the exchange with the verifier's answer. */
static enum sasl_step
finish(struct sasl_session *s, int rc)
{
	s->done = true;
	explicit_bzero(s->password, sizeof(s->password));
	if (rc == 0)
		return SASL_DONE_OK;
	memset(&s->result, 0, sizeof(s->result));
	if (s->err.msg[0] == '\0')
		error_set(&s->err, ERR_AUTH, AUTH_GENERIC_ERROR);
	return SASL_DONE_FAIL;
}

static enum sasl_step
challenge(struct sasl_session *s, const char *text)
{
	if (sasl_b64_encode(text, strlen(text), s->challenge,
	    sizeof(s->challenge)) < 0) {
		s->done = true;
		error_set(&s->err, ERR_INTERNAL, "challenge too long");
		return SASL_DONE_FAIL;
	}
	s->stage++;
	return SASL_CONTINUE;
}

/* Copies a decoded text field (no NULs) into dst. */
static enum sasl_step
take_text(struct sasl_session *s, const struct strv *in, char *dst,
    size_t size, const char *what)
{
	if (memchr(in->p, '\0', in->len) != NULL)
		return syntax_error(s, SASL_SYNTAX_MESSAGE, what);
	if (in->len >= size)
		return syntax_error(s, SASL_SYNTAX_TOOLONG, what);
	memcpy(dst, in->p, in->len);
	dst[in->len] = '\0';
	return SASL_CONTINUE;
}

/* RFC 4616: one message; an empty challenge first when the client did
 * not send it as the initial response. */
static enum sasl_step
step_plain(struct sasl_session *s, const struct strv *in)
{
	if (in == NULL)
		return challenge(s, "");
	if (plain_split(in->p, in->len, s->authzid, sizeof(s->authzid),
	    s->authcid, sizeof(s->authcid), s->password,
	    sizeof(s->password)) < 0) {
		s->authzid[0] = s->authcid[0] = '\0';
		explicit_bzero(s->password, sizeof(s->password));
		return syntax_error(s, SASL_SYNTAX_MESSAGE,
		    "malformed PLAIN message");
	}
	/* RFC 4616 2: we do not act for others (no proxy logins). */
	if (s->authzid[0] != '\0' && strcasecmp(s->authzid, s->authcid) != 0) {
		error_set(&s->err, ERR_AUTH, AUTH_GENERIC_ERROR);
		return finish(s, -1);
	}
	return finish(s, s->verifier->plain(s->vctx, s->authcid, s->password,
	    &s->result, &s->err));
}

/* draft-murchison-sasl-login: "Username:" then "Password:"; an initial
 * response is the user name. */
static enum sasl_step
step_login(struct sasl_session *s, const struct strv *in)
{
	enum sasl_step r;

	if (in == NULL && s->stage == 0)
		return challenge(s, "Username:");
	if (s->stage <= 1) {
		if ((r = take_text(s, in, s->authcid, sizeof(s->authcid),
		    "malformed LOGIN user name")) != SASL_CONTINUE)
			return r;
		s->stage = 1;
		return challenge(s, "Password:");
	}
	if ((r = take_text(s, in, s->password, sizeof(s->password),
	    "malformed LOGIN password")) != SASL_CONTINUE) {
		explicit_bzero(s->password, sizeof(s->password));
		return r;
	}
	return finish(s, s->verifier->plain(s->vctx, s->authcid, s->password,
	    &s->result, &s->err));
}

/* RFC 2195: "name SP digest", the digest 32 hex digits (lower case on the
 * wire; upper case is taken too). */
static enum sasl_step
step_cram_md5(struct sasl_session *s, const struct strv *in)
{
	char resp[ADDRESS_MAX + 1 + 32 + 1], *sp;
	size_t i;

	if (s->stage == 0) {
		if (in != NULL)
			return syntax_error(s, SASL_SYNTAX_MESSAGE,
			    "CRAM-MD5 takes no initial response");
		auth_make_challenge(s->host, s->cram, sizeof(s->cram));
		return challenge(s, s->cram);
	}
	if (memchr(in->p, '\0', in->len) != NULL)
		return syntax_error(s, SASL_SYNTAX_MESSAGE,
		    "malformed CRAM-MD5 response");
	if (in->len >= sizeof(resp))
		return syntax_error(s, SASL_SYNTAX_TOOLONG,
		    "CRAM-MD5 response too long");
	memcpy(resp, in->p, in->len);
	resp[in->len] = '\0';
	sp = strrchr(resp, ' ');
	if (sp == NULL || sp == resp || strlen(sp + 1) != 32)
		return syntax_error(s, SASL_SYNTAX_MESSAGE,
		    "malformed CRAM-MD5 response");
	for (i = 1; i <= 32; i++) {
		if (hex_digit_value((unsigned char)sp[i]) < 0)
			return syntax_error(s, SASL_SYNTAX_MESSAGE,
			    "malformed CRAM-MD5 response");
		if (sp[i] >= 'A' && sp[i] <= 'F')
			sp[i] = (char)(sp[i] - 'A' + 'a');
	}
	*sp = '\0';
	if ((size_t)(sp - resp) >= sizeof(s->authcid))
		return syntax_error(s, SASL_SYNTAX_TOOLONG,
		    "CRAM-MD5 name too long");
	memcpy(s->authcid, resp, (size_t)(sp - resp) + 1);
	return finish(s, s->verifier->cram_md5(s->vctx, s->authcid, s->cram,
	    sp + 1, &s->result, &s->err));
}

/*
 * The mechanisms, in the order they are advertised.  SCRAM-SHA-256
 * (RFC 7677, RFC 5802) takes the next slot: SASL_MECH_SCRAM_SHA_256 in
 * enum sasl_mech_id, clear_text false (the password never crosses the
 * wire), initial_response true (client-first-message), and a step with
 * three stages -- client-first -> server-first challenge, client-final
 * -> proof checked through a sasl_verifier hook that hands out StoredKey
 * and ServerKey, then server-final sent as a last SASL_CONTINUE challenge
 * whose empty answer ends in SASL_DONE_OK.  It needs passwords stored as
 * SCRAM keys, so sasl_offered() will offer it by AUTHMethods as it does
 * CRAM-MD5.
 */
static const struct sasl_mech sasl_mechs[SASL_MECH_COUNT] = {
	{ "PLAIN",	SASL_MECH_PLAIN,	true,	true,	step_plain },
	{ "LOGIN",	SASL_MECH_LOGIN,	true,	true,	step_login },
	{ "CRAM-MD5",	SASL_MECH_CRAM_MD5,	false,	false,	step_cram_md5 },
};

bool
sasl_clear_ok(struct server *srv, const struct auth_peer *peer,
    bool require_tls)
{
	if (peer->tls)
		return true;
	return !require_tls && auth_clear_text_ok(srv, peer);
}

unsigned
sasl_offered(struct server *srv, const struct auth_peer *peer,
    bool require_tls)
{
	unsigned mask = 0;

	if (sasl_clear_ok(srv, peer, require_tls))
		mask |= SASL_MECH_BIT(SASL_MECH_PLAIN) |
		    SASL_MECH_BIT(SASL_MECH_LOGIN);
	if (auth_offer_cram_md5(srv, peer->local))
		mask |= SASL_MECH_BIT(SASL_MECH_CRAM_MD5);
	return mask;
}

unsigned
sasl_accepted(struct server *srv, const struct auth_peer *peer,
    bool require_tls)
{
	unsigned mask = SASL_MECH_BIT(SASL_MECH_CRAM_MD5);

	if (sasl_clear_ok(srv, peer, require_tls))
		mask |= SASL_MECH_BIT(SASL_MECH_PLAIN) |
		    SASL_MECH_BIT(SASL_MECH_LOGIN);
	return mask;
}

void
sasl_format(unsigned mask, const char *prefix, struct buf *out)
{
	size_t i;

	for (i = 0; i < SASL_MECH_COUNT; i++)
		if (mask & SASL_MECH_BIT(sasl_mechs[i].id))
			buf_printf(out, " %s%s", prefix, sasl_mechs[i].name);
}

const struct sasl_mech *
sasl_mech_find(struct strv name)
{
	size_t i;

	for (i = 0; i < SASL_MECH_COUNT; i++)
		if (strv_caseeq_cstr(name, sasl_mechs[i].name))
			return &sasl_mechs[i];
	return NULL;
}

struct sasl_session *
sasl_session_new(const struct sasl_mech *mech, struct server *srv,
    const struct auth_peer *peer, const char *host)
{
	struct sasl_session *s = xcalloc(1, sizeof(*s));

	s->mech = mech;
	s->srv = srv;
	if (peer != NULL)
		s->peer = *peer;
	(void)snprintf(s->host, sizeof(s->host), "%s",
	    host != NULL ? host : "localhost");
	s->verifier = &auth_verifier;
	s->vctx = s;
	return s;
}

void
sasl_session_set_verifier(struct sasl_session *s,
    const struct sasl_verifier *v, void *ctx)
{
	s->verifier = v;
	s->vctx = ctx;
}

void
sasl_session_free(struct sasl_session **sp)
{
	if (*sp == NULL)
		return;
	explicit_bzero(*sp, sizeof(**sp));
	free(*sp);
	*sp = NULL;
}

/* Decodes base64 text of len bytes into s->raw. */
static enum sasl_step
decode(struct sasl_session *s, struct strv b64, struct strv *out_r)
{
	size_t len;

	if (b64.len > SASL_RESPONSE_MAX)
		return syntax_error(s, SASL_SYNTAX_TOOLONG,
		    "response too long");
	if (memchr(b64.p, '\0', b64.len) != NULL)
		return syntax_error(s, SASL_SYNTAX_BASE64,
		    "invalid base64 data");
	memcpy(s->text, b64.p, b64.len);
	s->text[b64.len] = '\0';
	if (sasl_b64_decode(s->text, s->raw, sizeof(s->raw), &len) < 0) {
		explicit_bzero(s->text, b64.len);
		return syntax_error(s, SASL_SYNTAX_BASE64,
		    "invalid base64 data");
	}
	explicit_bzero(s->text, b64.len);
	*out_r = strv_make(s->raw, len);
	return SASL_CONTINUE;
}

static enum sasl_step
run(struct sasl_session *s, const struct strv *in)
{
	enum sasl_step r;

	r = s->mech->step(s, in);
	explicit_bzero(s->raw, sizeof(s->raw));
	return r;
}

enum sasl_step
sasl_start(struct sasl_session *s, const struct strv *ir)
{
	struct strv in;
	enum sasl_step r;

	if (s->done || s->stage != 0) {
		error_set(&s->err, ERR_INTERNAL, "SASL exchange already "
		    "started");
		return SASL_DONE_FAIL;
	}
	if (ir == NULL)
		return run(s, NULL);
	if (!s->mech->initial_response)
		return syntax_error(s, SASL_SYNTAX_MESSAGE, "initial response "
		    "not allowed");
	if (ir->len == 1 && ir->p[0] == '=')
		in = strv_make("", 0);
	else if ((r = decode(s, *ir, &in)) != SASL_CONTINUE)
		return r;
	return run(s, &in);
}

enum sasl_step
sasl_step(struct sasl_session *s, struct strv in)
{
	if (s->done || s->stage == 0) {
		error_set(&s->err, ERR_INTERNAL, "no SASL step expected");
		return SASL_DONE_FAIL;
	}
	if (in.len > SASL_RESPONSE_MAX / 4 * 3)
		return syntax_error(s, SASL_SYNTAX_TOOLONG,
		    "response too long");
	return s->mech->step(s, &in);
}

enum sasl_step
sasl_step_b64(struct sasl_session *s, struct strv line)
{
	struct strv in;
	enum sasl_step r;

	if (s->done || s->stage == 0) {
		error_set(&s->err, ERR_INTERNAL, "no SASL step expected");
		return SASL_DONE_FAIL;
	}
	/* RFC 4954 4, RFC 5034 4, RFC 3501 6.2.2. */
	if (line.len == 1 && line.p[0] == '*') {
		s->done = true;
		return SASL_CANCELLED;
	}
	if ((r = decode(s, line, &in)) != SASL_CONTINUE)
		return r;
	return run(s, &in);
}

const char *
sasl_challenge(const struct sasl_session *s)
{
	return s->challenge;
}

const struct auth_result *
sasl_result(const struct sasl_session *s)
{
	return &s->result;
}

const char *
sasl_authcid(const struct sasl_session *s)
{
	return s->authcid;
}

const char *
sasl_authzid(const struct sasl_session *s)
{
	return s->authzid;
}

const struct error *
sasl_error(const struct sasl_session *s)
{
	return &s->err;
}

enum sasl_syntax
sasl_syntax(const struct sasl_session *s)
{
	return s->syntax;
}

const struct sasl_mech *
sasl_mech(const struct sasl_session *s)
{
	return s->mech;
}
