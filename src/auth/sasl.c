/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl.c: SASL and base64 helpers shared by the protocol modules: the
 * PLAIN message (RFC 4616: [authzid] NUL authcid NUL passwd) and base64
 * (OpenSSL's EVP coder; RFC 4648 with padding).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/xmalloc.h"
#include "auth/auth.h"

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

int
sasl_plain_decode(const char *b64, char *authzid, size_t azsize,
    char *user, size_t usize, char *pass, size_t psize, struct error *err_r)
{
	char raw[3 * (ADDRESS_MAX + PASSWORD_MAX) + 8];
	const char *nul1, *nul2;
	size_t len;
	int rc = -1;

	if (sasl_b64_decode(b64, raw, sizeof(raw), &len) < 0)
		return error_set(err_r, ERR_SYNTAX, "invalid base64 data");
	nul1 = memchr(raw, '\0', len);
	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0',
	    len - (size_t)(nul1 + 1 - raw)) : NULL;
	if (nul1 == NULL || nul2 == NULL) {
		error_set(err_r, ERR_SYNTAX, "malformed PLAIN message");
		goto out;
	}
	if (copy_field(raw, (size_t)(nul1 - raw), authzid, azsize) < 0 ||
	    copy_field(nul1 + 1, (size_t)(nul2 - nul1 - 1), user, usize) < 0 ||
	    copy_field(nul2 + 1, len - (size_t)(nul2 + 1 - raw), pass,
	    psize) < 0 || user[0] == '\0') {
		error_set(err_r, ERR_SYNTAX, "malformed PLAIN message");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}
