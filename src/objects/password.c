/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password.c: account passwords and the postmaster account.
 *
 * New passwords are hashed with yescrypt through libxcrypt
 * (crypt_gensalt_ra("$y$") and crypt_rn() with a heap struct crypt_data, so
 * it is thread-safe) and stored as Password = "<hash>"; PasswordEncryption =
 * U-crpt; in account.settings -- unless the account's effective
 * PasswordEncryption is "clear": then SetAccountPassword stores the password
 * as given (as the original does).  Passwords imported in clear (PasswordEncryption
 * = clear, or absent with a value that is not a crypt hash) are accepted too,
 * compared in constant time; CRAM-MD5 and APOP can only use those.  Hashing
 * runs outside the objects lock.
 *
 * docs/behaviour.md, B3: at every start objects_ensure_postmaster() recreates a
 * missing
 * postmaster with a random password left in initial.password (0600).
 */
#include "lib/compat.h"

#include <sys/random.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

#define HASH_MAX	CRYPT_OUTPUT_SIZE	/* a crypt(3) result */

/* Letters and digits that cannot be mistaken for each other (no 0 O 1 l I). */
static const char pw_alphabet[] =
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

static bool
is_crypt_hash(const char *s)
{
	return s[0] == '$' && strchr(s + 1, '$') != NULL;
}

static int
hash_password(const char *pw, char *out, size_t size, struct error *err_r)
{
	struct crypt_data *cd;
	char *salt, *h;
	int rc = -1;

	if ((salt = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL)
		return error_set(err_r, ERR_INTERNAL, "crypt_gensalt: %s",
		    strerror(errno));
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_rn(pw, salt, cd, sizeof(*cd));
	if (h == NULL || h[0] == '*')
		error_set(err_r, ERR_INTERNAL, "crypt failed");
	else if (strlen(h) >= size)
		error_set(err_r, ERR_LIMIT, "hash too long");
	else {
		obj_copy(out, size, h);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(salt);
	return rc;
}

static bool
ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = (unsigned char)(la != lb);

	for (i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ (lb > 0 ? b[i % lb] : 0));
	return diff == 0;
}

static void
remove_initial_password(struct account *a)
{
	char path[OBJECTS_PATH_MAX];

	if (obj_path(path, sizeof(path), NULL, "%s/%s.macnt/initial.password",
	    a->dom->dir, a->name) == 0)
		(void)unlink(path);
}

int
obj_settings_hash_password(const struct dval *in, struct dval **out_r,
    struct error *err_r)
{
	const char *pw, *enc;
	char hash[HASH_MAX];

	*out_r = NULL;
	if (in == NULL || dict_type(in) != DICT_DICT ||
	    (pw = dict_get_str(in, "Password")) == NULL ||
	    strcmp(pw, "default") == 0 || is_crypt_hash(pw))
		return 0;
	enc = dict_get_str(in, "PasswordEncryption");
	if (enc != NULL && strcasecmp(enc, "clear") == 0)
		return 0;
	if (strlen(pw) > PASSWORD_MAX)
		return error_set(err_r, ERR_LIMIT, "password too long");
	if (hash_password(pw, hash, sizeof(hash), err_r) == -1)
		return -1;
	*out_r = dict_clone(in);
	dict_set_str(*out_r, "Password", hash);
	dict_set_str(*out_r, "PasswordEncryption", "U-crpt");
	explicit_bzero(hash, sizeof(hash));
	return 0;
}

/* With the write lock held: stores hash in the account's settings. */
static int
store_hash(struct account *a, const char *hash, struct error *err_r)
{
	struct dval *nv = dict_clone(a->settings);

	dict_set_str(nv, "Password", hash);
	dict_set_str(nv, "PasswordEncryption", "U-crpt");
	return acct_commit_settings(a, nv, err_r);
}

/* With the write lock held: stores the password in clear. */
static int
store_clear(struct account *a, const char *password, struct error *err_r)
{
	struct dval *nv = dict_clone(a->settings);

	dict_set_str(nv, "Password", password);
	dict_set_str(nv, "PasswordEncryption", "clear");
	return acct_commit_settings(a, nv, err_r);
}

int
objects_set_password(struct objects *o, const char *name, const char *domain,
    const char *password, struct error *err_r)
{
	char hash[HASH_MAX];
	struct account *a;
	int rc = -1;

	char enc[16];
	bool clear;

	if (strlen(password) > PASSWORD_MAX)
		return error_set(err_r, ERR_LIMIT, "password too long");
	/* As the original: stored with the account's effective
	 * PasswordEncryption; "clear" keeps APOP and CRAM-MD5 working. */
	clear = objects_account_effective_str(o, name, domain,
	    "PasswordEncryption", enc, sizeof(enc), NULL) == 0 &&
	    strcasecmp(enc, "clear") == 0;
	if (!clear && hash_password(password, hash, sizeof(hash), err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL &&
	    (rc = clear ? store_clear(a, password, err_r) :
	    store_hash(a, hash, err_r)) == 0)
		remove_initial_password(a);
	pthread_rwlock_unlock(&o->lock);
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

/* Copies the stored password and whether it is clear; -1 when the account
 * is unknown. */
static int
fetch_password(struct objects *o, const char *name, const char *domain,
    char *pw, size_t size, bool *clear_r, bool *none_r, struct error *err_r)
{
	const char *p, *enc;
	struct account *a;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL) {
		pthread_rwlock_unlock(&o->lock);
		return -1;
	}
	p = dict_get_str(a->settings, "Password");
	enc = dict_get_str(a->settings, "PasswordEncryption");
	*none_r = p == NULL || strlen(p) >= size;
	obj_copy(pw, size, *none_r ? "" : p);
	if (enc != NULL)
		*clear_r = strcasecmp(enc, "clear") == 0;
	else
		*clear_r = !is_crypt_hash(pw);
	pthread_rwlock_unlock(&o->lock);
	return 0;
}

int
objects_check_password(struct objects *o, const char *name,
    const char *domain, const char *password, struct error *err_r)
{
	char stored[HASH_MAX + PASSWORD_MAX];
	struct crypt_data *cd;
	bool clear, none, ok = false;
	char *h;

	if (strlen(password) > PASSWORD_MAX)
		return error_set(err_r, ERR_AUTH, "incorrect password");
	if (fetch_password(o, name, domain, stored, sizeof(stored), &clear,
	    &none, err_r) == -1)
		return -1;
	if (none)
		ok = false;
	else if (clear)
		ok = ct_equal(password, stored);
	else if (is_crypt_hash(stored)) {
		cd = xcalloc(1, sizeof(*cd));
		h = crypt_rn(password, stored, cd, sizeof(*cd));
		ok = h != NULL && h[0] != '*' && ct_equal(h, stored);
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
	}
	explicit_bzero(stored, sizeof(stored));
	if (!ok)
		return error_set(err_r, ERR_AUTH, "incorrect password");
	return 0;
}

int
objects_get_clear_password(struct objects *o, const char *name,
    const char *domain, char *buf, size_t size, struct error *err_r)
{
	char stored[HASH_MAX + PASSWORD_MAX];
	bool clear, none;
	int rc = 0;

	if (fetch_password(o, name, domain, stored, sizeof(stored), &clear,
	    &none, err_r) == -1)
		return -1;
	if (none || !clear || strlen(stored) >= size)
		rc = error_set(err_r, ERR_AUTH,
		    "password is not stored in clear");
	else
		obj_copy(buf, size, stored);
	explicit_bzero(stored, sizeof(stored));
	return rc;
}

/* ---- postmaster (docs/behaviour.md, B3) ------------------------------- */

static int
random_password(char *buf, size_t len, struct error *err_r)
{
	const size_t n = sizeof(pw_alphabet) - 1;
	/* Rejection sampling: bytes >= limit would bias the first letters. */
	const unsigned limit = 256 - (256 % n);
	unsigned char rnd[64];
	size_t have = 0, pos = sizeof(rnd);
	ssize_t r;

	while (have < len) {
		if (pos == sizeof(rnd)) {
			r = getrandom(rnd, sizeof(rnd), 0);
			if (r == -1 && errno == EINTR)
				continue;
			if (r != (ssize_t)sizeof(rnd))
				return error_set(err_r, ERR_INTERNAL,
				    "getrandom: %s", strerror(errno));
			pos = 0;
		}
		if (rnd[pos] < limit)
			buf[have++] = pw_alphabet[rnd[pos] % n];
		pos++;
	}
	buf[len] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

void
objects_initial_password_path(struct objects *o, char *buf, size_t size)
{
	if (obj_path(buf, size, NULL,
	    "%s/Accounts/postmaster.macnt/initial.password", o->base) == -1)
		obj_copy(buf, size, "");
}

/* With the write lock: adds Master to postmaster's rights when missing. */
static int
grant_master(struct account *a, struct error *err_r)
{
	const struct dval *arr = dict_get(a->meta, "Rights");
	struct dval *nv, *rights;
	const char *s;
	size_t i;

	for (i = 0; i < dict_array_len(arr); i++) {
		s = dict_str(dict_array_get(arr, i), NULL);
		if (s != NULL && strcasecmp(s, "Master") == 0)
			return 0;
	}
	rights = arr != NULL && dict_type(arr) == DICT_ARRAY ?
	    dict_clone(arr) : dict_new_array();
	dict_array_push_cstr(rights, "Master");
	nv = dict_clone(a->meta);
	dict_set(nv, "Rights", rights);
	return acct_commit_meta(a, nv, err_r);
}

int
objects_ensure_postmaster(struct objects *o, char *password_r, size_t size,
    struct error *err_r)
{
	char pw[OBJECTS_PASSWORD_GEN + 1], hash[HASH_MAX];
	char path[OBJECTS_PATH_MAX], text[OBJECTS_PASSWORD_GEN + 2];
	struct account *a;
	struct nament *ne;
	struct domain *d;
	int rc = -1;

	if (size < sizeof(pw))
		return error_set(err_r, ERR_LIMIT, "password buffer too small");
	pthread_rwlock_wrlock(&o->lock);
	d = o->st->maind;
	ne = ohash_get(&d->names, "postmaster");
	if (ne != NULL && ne->kind == OBJ_ACCOUNT) {
		rc = grant_master(ne->acct, err_r);
		pthread_rwlock_unlock(&o->lock);
		return rc;
	}
	pthread_rwlock_unlock(&o->lock);
	if (ne != NULL)
		return error_set(err_r, ERR_EXISTS,
		    "postmaster is not an account in the main domain");

	/* Generate and hash without the lock: yescrypt is slow. */
	if (random_password(pw, OBJECTS_PASSWORD_GEN, err_r) == -1 ||
	    hash_password(pw, hash, sizeof(hash), err_r) == -1)
		goto out;
	objects_initial_password_path(o, path, sizeof(path));

	pthread_rwlock_wrlock(&o->lock);
	d = o->st->maind;
	if (acct_create_locked(o, d, "postmaster", NULL, NULL, &a,
	    err_r) == 0) {
		if (store_hash(a, hash, err_r) == 0 &&
		    grant_master(a, err_r) == 0) {
			(void)snprintf(text, sizeof(text), "%s\n", pw);
			if (obj_write_text(path, text, strlen(text), 0600,
			    err_r) == 0)
				rc = 1;
			explicit_bzero(text, sizeof(text));
		}
	}
	pthread_rwlock_unlock(&o->lock);
	if (rc == 1)
		obj_copy(password_r, size, pw);
out:
	explicit_bzero(pw, sizeof(pw));
	return rc;
}
