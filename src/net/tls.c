/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.c: OpenSSL contexts, the self-signed test certificate and certificate
 * name helpers (see tls.h).  Everything uses the OpenSSL 3 EVP and X509
 * APIs; no external program is run.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "net/tls.h"

/* TLS 1.2 suites: forward secret AEAD only (TLS 1.3 suites are all fine). */
#define TLS_CIPHERS_12	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:" \
			"DHE+CHACHA20:!aNULL:!eNULL:!MD5:!SHA1:!DSS"
#define TLS_PEM_MAX	(64 * 1024)	/* one generated PEM file */

void
tls_error_text(char *dst, size_t size)
{
	unsigned long e;
	size_t off = 0;
	int n;

	dst[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (off + 1 >= size)
			continue;	/* drain the queue anyway */
		n = snprintf(dst + off, size - off, "%s%s", off ? "; " : "",
		    ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
		    "unknown error");
		if (n > 0)
			off += (size_t)n < size - off ? (size_t)n : size - off - 1;
	}
}

static int
tls_fail(struct error *err_r, enum err_kind kind, const char *what)
{
	char e[160];

	tls_error_text(e, sizeof(e));
	return error_set(err_r, kind, "%s: %s", what,
	    e[0] != '\0' ? e : "TLS error");
}

static void
tls_ctx_common(SSL_CTX *ctx)
{
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	(void)SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    /* A peer closing without close_notify is an EOF, not an error:
	     * the mail protocols carry their own end markers. */
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
}

struct ssl_ctx_st *
tls_server_ctx_new(const char *cert_file, const char *key_file,
    struct error *err_r)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_fail(err_r, ERR_INTERNAL, "SSL_CTX_new");
		return NULL;
	}
	tls_ctx_common(ctx);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_fail(err_r, ERR_IO, cert_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		tls_fail(err_r, ERR_IO, key_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail(err_r, ERR_SYNTAX, "key does not match certificate");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct ssl_ctx_st *
tls_client_ctx_new(const char *ca_file, struct error *err_r)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		tls_fail(err_r, ERR_INTERNAL, "SSL_CTX_new");
		return NULL;
	}
	tls_ctx_common(ctx);
	/* Verify, but let the handshake finish: policy is the caller's. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	(void)SSL_CTX_set_default_verify_paths(ctx);
	if (ca_file != NULL &&
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		tls_fail(err_r, ERR_IO, ca_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	return ctx;
}

void
tls_ctx_free(struct ssl_ctx_st **ctx)
{
	if (ctx == NULL || *ctx == NULL)
		return;
	SSL_CTX_free(*ctx);
	*ctx = NULL;
}


/* PEM text of a key or certificate from a memory BIO, into out. */
static int
bio_to_buf(BIO *bio, struct buf *out)
{
	char *p;
	long n;

	n = BIO_get_mem_data(bio, &p);
	if (n <= 0)
		return -1;
	buf_append(out, p, (size_t)n);
	return out->err != 0 ? -1 : 0;
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int r;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	r = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return r == 1 ? 0 : -1;
}

/* Generates the key and certificate as PEM text. */
static int
make_self_signed(const char *cn, struct buf *cert_pem, struct buf *key_pem,
    struct error *err_r)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	X509_NAME *name;
	BIO *kb = NULL, *cb = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char *san = NULL;
	int rc = -1;

	ERR_clear_error();
	pkey = EVP_EC_gen("P-256");
	if (pkey == NULL) {
		tls_fail(err_r, ERR_INTERNAL, "cannot generate EC key");
		goto out;
	}
	cert = X509_new();
	if (cert == NULL || X509_set_version(cert, 2) != 1)
		goto fail;
	/* RFC 5280 4.1.2.2: positive serial, at most 20 octets. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn,
	    X509_get_serialNumber(cert)) == NULL)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), TLS_SELF_SIGNED_DAYS,
	    0, NULL) == NULL)
		goto fail;
	if (X509_set_pubkey(cert, pkey) != 1)
		goto fail;
	name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Tegami test certificate", -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(cert, name) != 1)
		goto fail;
	san = xasprintf("DNS:%s", cn);
	if (add_ext(cert, NID_subject_alt_name, san) < 0 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(cert, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(cert, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	if (X509_sign(cert, pkey, EVP_sha256()) <= 0)
		goto fail;
	kb = BIO_new(BIO_s_mem());
	cb = BIO_new(BIO_s_mem());
	if (kb == NULL || cb == NULL ||
	    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || PEM_write_bio_X509(cb, cert) != 1 ||
	    bio_to_buf(kb, key_pem) < 0 || bio_to_buf(cb, cert_pem) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	tls_fail(err_r, ERR_INTERNAL, "cannot make self-signed certificate");
out:
	free(san);
	BN_free(bn);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return rc;
}

int
tls_ensure_self_signed(const char *settings_dir, const char *common_name,
    char **cert_path_r, char **key_path_r, struct error *err_r)
{
	struct buf cert_pem, key_pem;
	char *cert_path, *key_path;
	struct stat st;
	int rc = -1;

	if (cert_path_r != NULL)
		*cert_path_r = NULL;
	if (key_path_r != NULL)
		*key_path_r = NULL;
	if (common_name == NULL || common_name[0] == '\0' ||
	    strlen(common_name) > 255 || strchr(common_name, ',') != NULL)
		return error_set(err_r, ERR_SYNTAX,
		    "bad certificate name \"%s\"",
		    common_name != NULL ? common_name : "");
	cert_path = xasprintf("%s/%s", settings_dir, TLS_CERT_FILE);
	key_path = xasprintf("%s/%s", settings_dir, TLS_KEY_FILE);
	buf_init(&cert_pem, TLS_PEM_MAX);
	buf_init(&key_pem, TLS_PEM_MAX);
	if (stat(cert_path, &st) == 0 && stat(key_path, &st) == 0) {
		rc = 0;
		goto out;
	}
	if (make_self_signed(common_name, &cert_pem, &key_pem, err_r) < 0)
		goto out;
	/* Key first: a certificate without its key is useless. */
	if (fileio_write_atomic(key_path, key_pem.data, key_pem.len, 0600,
	    0, err_r) < 0 || fileio_write_atomic(cert_path, cert_pem.data,
	    cert_pem.len, 0644, 0, err_r) < 0)
		goto out;
	rc = 0;
out:
	if (key_pem.data != NULL)
		explicit_bzero(key_pem.data, key_pem.len);
	buf_free(&key_pem);
	buf_free(&cert_pem);
	if (rc == 0 && cert_path_r != NULL)
		*cert_path_r = cert_path;
	else
		free(cert_path);
	if (rc == 0 && key_path_r != NULL)
		*key_path_r = key_path;
	else
		free(key_path);
	return rc;
}

bool
tls_cert_matches(struct x509_st *cert, const char *name)
{
	if (cert == NULL || name == NULL || name[0] == '\0')
		return false;
	if (X509_check_ip_asc(cert, name, 0) == 1)
		return true;
	return X509_check_host(cert, name, strlen(name),
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

static void
names_add(char **names, size_t *n, const unsigned char *p, int len)
{
	if (*n >= TLS_CERT_NAMES_MAX || len <= 0 || p == NULL ||
	    memchr(p, '\0', (size_t)len) != NULL)
		return;
	names[(*n)++] = xstrndup((const char *)p, (size_t)len);
}

char **
tls_cert_names(struct x509_st *cert)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	X509_NAME *subj;
	X509_NAME_ENTRY *e;
	ASN1_STRING *s;
	char **names;
	size_t n = 0;
	int i, idx;

	names = xcalloc(TLS_CERT_NAMES_MAX + 1, sizeof(*names));
	if (cert == NULL)
		return names;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			names_add(names, &n, ASN1_STRING_get0_data(g->d.dNSName),
			    ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	subj = X509_get_subject_name(cert);
	idx = -1;
	while (subj != NULL &&
	    (idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0) {
		e = X509_NAME_get_entry(subj, idx);
		s = X509_NAME_ENTRY_get_data(e);
		names_add(names, &n, ASN1_STRING_get0_data(s),
		    ASN1_STRING_length(s));
	}
	return names;
}

void
tls_names_free(char ***names)
{
	size_t i;

	if (names == NULL || *names == NULL)
		return;
	for (i = 0; (*names)[i] != NULL; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
}
