/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.h: OpenSSL contexts and certificates.  Server contexts speak TLS 1.2
 * and newer with forward-secret AEAD ciphers only; the self-signed test
 * certificate (CGP "CertificateType = Test") is generated on first start
 * with the EVP APIs, never by running the openssl program.
 */
#ifndef TEGAMI_NET_TLS_H
#define TEGAMI_NET_TLS_H

#include "lib/compat.h"

#include "lib/error.h"

struct ssl_ctx_st;			/* OpenSSL SSL_CTX */
struct x509_st;				/* OpenSSL X509 */

#define TLS_CERT_FILE		"ServerCertificate.pem"	/* in Settings/ */
#define TLS_KEY_FILE		"ServerKey.pem"		/* in Settings/, mode 0600 */
#define TLS_SELF_SIGNED_DAYS	3650	/* 10 years */
#define TLS_CERT_NAMES_MAX	100	/* names taken from one certificate */

/* Server context from PEM files (cert_file may hold the chain).  Checks
 * that the key matches the certificate.  NULL with err_r filled. */
struct ssl_ctx_st	*tls_server_ctx_new(const char *cert_file,
			    const char *key_file, struct error *err_r);
/* Client context (TLS 1.2+) trusting the system's default CA paths, plus
 * ca_file if not NULL.  Verification failures do not abort handshakes (see
 * conn_starttls_client()).  NULL with err_r filled. */
struct ssl_ctx_st	*tls_client_ctx_new(const char *ca_file,
			    struct error *err_r);
/* Drops a reference; sets *ctx to NULL. */
void	tls_ctx_free(struct ssl_ctx_st **ctx);

/* Makes sure <settings_dir>/ServerCertificate.pem and ServerKey.pem exist:
 * if either is missing, generates an EC P-256 key and a self-signed
 * certificate for CN=common_name with subjectAltName DNS:common_name, valid
 * TLS_SELF_SIGNED_DAYS, and writes both (key mode 0600, each written to a
 * temporary file, fsynced and renamed).  Existing files are left alone.  On
 * success *cert_path_r and *key_path_r (if not NULL) get xmalloc'd paths. */
int	tls_ensure_self_signed(const char *settings_dir,
	    const char *common_name, char **cert_path_r, char **key_path_r,
	    struct error *err_r);

/* True when cert is valid for name (host name, or IP literal), by the
 * subjectAltName rules of RFC 6125 with wildcards in the left-most label
 * (X509_check_host / X509_check_ip_asc). */
bool	tls_cert_matches(struct x509_st *cert, const char *name);
/* The DNS names of cert: subjectAltName DNS entries, then the subject CN;
 * at most TLS_CERT_NAMES_MAX; a NULL-terminated xmalloc'd array. */
char	**tls_cert_names(struct x509_st *cert);
void	tls_names_free(char ***names);

/* Writes the OpenSSL error queue (then clears it) into dst as one line. */
void	tls_error_text(char *dst, size_t size);

#endif
