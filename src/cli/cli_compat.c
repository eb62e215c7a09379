/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_compat.c: CLI commands for compatibility with the original's scripts
 * and the vendor's CGP::CLI module (see cli_compat.h).
 *
 * GetAccountInfo answers what the server knows about an account: LastLogin
 * and LastAddress of its last successful login since the server started
 * (kept by src/auth through objects_account_note_login), and StorageUsed,
 * the bytes of its stored messages.  Nothing is made up: a key the server
 * does not know is absent (Key k then answers "", as the original).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/dict.h"
#include "store/store.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli_args.h"
#include "cli/cli_compat.h"
#include "cli/cli_compat_parse.h"
#include "cli/cli_modules.h"

/* Splits "name@domain" ("" = main domain); "*" is the logged-in account. */
static int
account_arg(const struct cli_ctx *c, const char *s, char *name, size_t nsize,
    char *domain, size_t dsize, struct error *err_r)
{
	const char *at;
	size_t n;

	if (strcmp(s, "*") == 0) {
		snprintf(name, nsize, "%s", c->account);
		snprintf(domain, dsize, "%s", c->domain);
		return 0;
	}
	at = strrchr(s, '@');
	n = at != NULL ? (size_t)(at - s) : strlen(s);
	if (n == 0 || n >= nsize)
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	memcpy(name, s, n);
	name[n] = '\0';
	domain[0] = '\0';
	if (at != NULL) {
		if (at[1] == '\0' || strlen(at + 1) >= dsize)
			return error_set(err_r, ERR_SYNTAX,
			    "illegal domain name");
		memcpy(domain, at + 1, strlen(at + 1) + 1);
	}
	return 0;
}

/* Resolves the account to its canonical name and domain; *self_r tells
 * whether it is the logged-in account. */
static int
find_account(struct cli_ctx *c, const char *arg, char *name, size_t nsize,
    char *domain, size_t dsize, bool *self_r, struct error *err_r)
{
	char n[OBJECT_NAME_MAX + 1], d[DOMAIN_NAME_MAX + 1];

	if (account_arg(c, arg, n, sizeof(n), d, sizeof(d), err_r) < 0 ||
	    objects_account_find(c->srv->objects, n, d[0] != '\0' ? d : NULL,
	    name, nsize, domain, dsize, err_r) < 0)
		return -1;
	*self_r = strcasecmp(name, c->account) == 0 &&
	    strcasecmp(domain, c->domain) == 0;
	return 0;
}

static enum cli_rc
fail(struct error *err_r, enum err_kind kind, const char *msg)
{
	error_set(err_r, kind, "%s", msg);
	return CLI_ERROR;
}

/* ---- SetAccountPassword ------------------------------------------------ */

/* Characters, not bytes: a UTF-8 continuation byte does not count. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool
value_is_no(const struct dval *v)
{
	const char *s = v != NULL ? dict_str(v, NULL) : NULL;

	return s != NULL && dict_type(v) == DICT_STRING &&
	    strcasecmp(s, "NO") == 0;
}

/* CHECK: the account may change its password (PWDAllowed, the 5.x name of
 * "Can Modify Password"; CanModifyPassword too when set) and the password
 * is long enough for its domain (MinPasswordLength, when set). */
static int
check_policy(struct cli_ctx *c, const char *name, const char *domain,
    const char *pw, struct error *err_r)
{
	struct dval *eff, *deff, *v;
	int64_t min = 0;
	int rc = 0;

	eff = objects_account_effective_get(c->srv->objects, name, domain,
	    err_r);
	if (eff == NULL)
		return -1;
	if (value_is_no(dict_get(eff, "PWDAllowed")) ||
	    value_is_no(dict_get(eff, "CanModifyPassword")))
		rc = error_set(err_r, ERR_PERM,
		    "password modification is not allowed");
	dict_free(&eff);
	if (rc < 0)
		return rc;
	deff = objects_domain_effective_get(c->srv->objects, domain, err_r);
	if (deff == NULL)
		return -1;
	v = dict_get(deff, "MinPasswordLength");
	if (v != NULL && dict_type(v) == DICT_NUMBER)
		min = dict_number(v);
	else if (v != NULL && dict_type(v) == DICT_STRING)
		min = strtoll(dict_str(v, NULL), NULL, 10);
	dict_free(&deff);
	if (min > 0 && (int64_t)utf8_chars(pw) < min)
		return error_set(err_r, ERR_SYNTAX, "the password is too short "
		    "(MinPasswordLength is %lld)", (long long)min);
	return 0;
}

enum cli_rc
cli_cmd_set_account_password(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	struct cli_setpw r;
	bool self;

	(void)out;
	if (cli_setpw_parse(a, &r, err_r) < 0)
		return CLI_ERROR;
	if (strlen(r.password) > PASSWORD_MAX)
		return fail(err_r, ERR_LIMIT, "password too long");
	if (find_account(c, r.account, name, sizeof(name), domain,
	    sizeof(domain), &self, err_r) < 0)
		return CLI_ERROR;
	/* Anybody may change the own password, under the policy. */
	if (!c->master && !self)
		return fail(err_r, ERR_PERM, "not enough access rights");
	/* The alternative SIP and RADIUS passwords of the original do not
	 * exist here; any other access mode sets the account password. */
	if (strcasecmp(r.method, "SIP") == 0 ||
	    strcasecmp(r.method, "RADIUS") == 0)
		return fail(err_r, ERR_SYNTAX, "no separate SIP or RADIUS "
		    "passwords: METHOD SIP/RADIUS is not supported");
	if ((r.check || !c->master) && check_policy(c, name, domain,
	    r.password, err_r) < 0)
		return CLI_ERROR;
	return objects_set_password(c->srv->objects, name, domain, r.password,
	    err_r) == 0 ? CLI_OK : CLI_ERROR;
}

enum cli_rc
cli_compat_newpass(struct cli_ctx *c, const char *password,
    struct error *err_r)
{
	if (check_policy(c, c->account, c->domain, password, err_r) < 0 ||
	    objects_set_password(c->srv->objects, c->account, c->domain,
	    password, err_r) < 0)
		return CLI_ERROR;
	return CLI_OK;
}

/* ---- GetAccountInfo ---------------------------------------------------- */

/* StorageUsed: bytes of the account's messages; 0 when it has no message
 * store yet (nothing is created by asking). */
static int
storage_used(struct cli_ctx *c, const char *name, const char *domain,
    uint64_t *size_r, struct error *err_r)
{
	char dir[OBJECTS_PATH_MAX], db[OBJECTS_PATH_MAX + 16];
	struct store *s;
	struct stat st;
	int rc;

	*size_r = 0;
	if (objects_account_path(c->srv->objects, name, domain, dir,
	    sizeof(dir), err_r) < 0)
		return -1;
	snprintf(db, sizeof(db), "%s/mail.db", dir);
	if (stat(db, &st) != 0)
		return 0;
	if ((s = store_cache_get(dir, err_r)) == NULL)
		return -1;
	rc = store_account_size(s, size_r, err_r);
	store_cache_release(&s);
	return rc;
}

static struct dval *
account_info(struct cli_ctx *c, const char *name, const char *domain,
    struct error *err_r)
{
	struct dval *d = dict_new_dict();
	char ip[64];
	int64_t t;
	uint64_t used;

	if (objects_account_last_login(c->srv->objects, name, domain, &t, ip,
	    sizeof(ip)) == 0) {
		dict_set(d, "LastLogin", dict_new_time(t, true));
		dict_set_str(d, "LastAddress", ip);
	}
	if (storage_used(c, name, domain, &used, err_r) < 0) {
		dict_free(&d);
		return NULL;
	}
	dict_set(d, "StorageUsed", dict_new_number((int64_t)used));
	return d;
}

enum cli_rc
cli_cmd_get_account_info(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	struct cli_info_req r;
	struct dval *info, *res, *v;
	const char *k;
	bool self;
	size_t i;

	if (cli_info_parse(a, &r, err_r) < 0)
		return CLI_ERROR;
	if (find_account(c, r.account, name, sizeof(name), domain,
	    sizeof(domain), &self, err_r) < 0)
		return CLI_ERROR;
	if (!c->master && !self)
		return fail(err_r, ERR_PERM, "not enough access rights");
	if ((info = account_info(c, name, domain, err_r)) == NULL)
		return CLI_ERROR;
	if (r.key != NULL) {
		/* The original: a missing element answers "". */
		v = dict_get(info, r.key);
		res = v != NULL ? dict_clone(v) : dict_new_string("", 0);
	} else if (r.keys != NULL) {
		res = dict_new_dict();
		for (i = 0; i < dict_array_len(r.keys); i++) {
			k = dict_str(dict_array_get(r.keys, i), NULL);
			if ((v = dict_get(info, k)) != NULL)
				dict_set(res, k, dict_clone(v));
		}
	} else
		res = dict_clone(info);
	dict_free(&info);
	dict_write(out, res, 0);
	dict_free(&res);
	return CLI_DATA;
}

/* ---- server dictionaries ------------------------------------------------ */

static enum cli_rc
get_dict(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    const char *file, const char *usage, struct error *err_r)
{
	struct dval *d;

	if (a->argc != 0) {
		error_set(err_r, ERR_SYNTAX, "usage: %s", usage);
		return CLI_ERROR;
	}
	d = strcmp(file, "QUEUE") == 0 ? cli_module_effective(c->srv, file,
	    err_r) : objects_module_get(c->srv->objects, file, err_r);
	if (d == NULL)
		return CLI_ERROR;
	dict_write(out, d, 0);
	dict_free(&d);
	return CLI_DATA;
}

static enum cli_rc
set_dict(struct cli_ctx *c, const struct cli_args *a, const char *file,
    const char *usage, struct error *err_r)
{
	if (a->argc != 1 || dict_type(a->argv[0]) != DICT_DICT) {
		error_set(err_r, ERR_SYNTAX, "usage: %s", usage);
		return CLI_ERROR;
	}
	if (objects_module_set(c->srv->objects, file, a->argv[0], err_r) < 0)
		return CLI_ERROR;
	return CLI_OK;
}

enum cli_rc
cli_cmd_get_queue_settings(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	return get_dict(c, a, out, "QUEUE", "GetQueueSettings", err_r);
}

enum cli_rc
cli_cmd_set_queue_settings(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)out;
	return set_dict(c, a, "QUEUE", "SetQueueSettings {settings}", err_r);
}

enum cli_rc
cli_cmd_get_server_intercept(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	return get_dict(c, a, out, "Intercept", "GetServerIntercept", err_r);
}

enum cli_rc
cli_cmd_set_server_intercept(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)out;
	return set_dict(c, a, "Intercept", "SetServerIntercept {settings}",
	    err_r);
}

enum cli_rc
cli_cmd_get_banned(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	return get_dict(c, a, out, "Banned", "GetBanned", err_r);
}

enum cli_rc
cli_cmd_set_banned(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)out;
	return set_dict(c, a, "Banned", "SetBanned {settings}", err_r);
}

enum cli_rc
cli_cmd_get_module(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct dval *d;

	if (a->argc != 1 || cli_arg_str(a, 0) == NULL) {
		error_set(err_r, ERR_SYNTAX, "usage: GetModule name");
		return CLI_ERROR;
	}
	if ((d = cli_module_effective(c->srv, cli_arg_str(a, 0), err_r)) ==
	    NULL)
		return CLI_ERROR;
	dict_write(out, d, 0);
	dict_free(&d);
	return CLI_DATA;
}
