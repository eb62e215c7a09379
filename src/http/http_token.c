/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_token.c: the random session ids and CSRF tokens of the login forms
 * (WebAdmin, WebUser) and their constant-time comparison.
 */
#include "lib/compat.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/xmalloc.h"
#include "http/http.h"

void
http_token_new(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[64];
	size_t i;

	if (nbytes > sizeof(r) || RAND_bytes(r, (int)nbytes) != 1)
		fatal("RAND_bytes failed for a session id or token");
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
}

bool
http_token_eq(const char *token, const char *want)
{
	size_t n = strlen(want);

	return token != NULL && n > 0 && strlen(token) == n &&
	    CRYPTO_memcmp(token, want, n) == 0;
}
