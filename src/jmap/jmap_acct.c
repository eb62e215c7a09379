/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_acct.c: what JMAP keeps per account beside the messages, in the
 * account's folder as jmap.data (the data format, lib/dict.h):
 *
 *	{ RecentRecipients = (addr, ...);	newest first, JMAP_RECENT_MAX
 *	  Identities = ({Id=...; Name=...; Email=...; ...}, ...);
 *	  Submissions = ({Id=...; EmailId=...; ...}, ...); }	newest last
 *
 * Reads and writes of the file go through one process-wide lock (a
 * read-modify-write per change, written atomically by dict_file_write).
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/error.h"
#include "objects/objects.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap.h"
#include "jmap/jmap_private.h"

static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;

static int
data_path(struct server *srv, const struct auth_result *who, char *path,
    size_t n, struct error *err_r)
{
	char dir[OBJECTS_PATH_MAX];

	if (objects_account_path(srv->objects, who->account, who->domain, dir,
	    sizeof(dir), err_r) < 0)
		return -1;
	if ((size_t)snprintf(path, n, "%s/jmap.data", dir) >= n)
		return error_set(err_r, ERR_LIMIT, "account path too long");
	return 0;
}

/* The file's dictionary (an empty one when there is none); acct_lock
 * held. */
static struct dval *
read_locked(const char *path)
{
	struct error err;
	struct dval *d = dict_file_read(path, &err);

	if (d == NULL || dict_type(d) != DICT_DICT) {
		dict_free(&d);
		d = dict_new_dict();
	}
	return d;
}

struct dval *
jmap_acct_read(struct server *srv, const struct auth_result *who,
    const char *key)
{
	char path[OBJECTS_PATH_MAX + 16];
	struct dval *d, *v = NULL;
	struct error err;

	if (data_path(srv, who, path, sizeof(path), &err) < 0)
		return NULL;
	pthread_mutex_lock(&acct_lock);
	d = read_locked(path);
	pthread_mutex_unlock(&acct_lock);
	if (dict_get(d, key) != NULL)
		v = dict_clone(dict_get(d, key));
	dict_free(&d);
	return v;
}

int
jmap_acct_update(struct server *srv, const struct auth_result *who,
    const char *key, struct dval *(*fn)(const struct dval *old, void *arg),
    void *arg, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX + 16];
	struct dval *d, *arr, *nv;
	int rc;

	if (data_path(srv, who, path, sizeof(path), err_r) < 0)
		return -1;
	pthread_mutex_lock(&acct_lock);
	d = read_locked(path);
	arr = dict_get(d, key);
	if (arr == NULL || dict_type(arr) != DICT_ARRAY) {
		dict_set(d, key, dict_new_array());
		arr = dict_get(d, key);
	}
	nv = fn(arr, arg);
	if (nv != NULL) {
		dict_set(d, key, nv);
		rc = dict_file_write(path, d, err_r);
	} else
		rc = error_set(err_r, ERR_SYNTAX, "not changed");
	pthread_mutex_unlock(&acct_lock);
	dict_free(&d);
	return rc;
}

struct dval *
jmap_acct_read_all(struct server *srv, const struct auth_result *who)
{
	char path[OBJECTS_PATH_MAX + 16];
	struct dval *d;
	struct error err;

	if (data_path(srv, who, path, sizeof(path), &err) < 0)
		return dict_new_dict();
	pthread_mutex_lock(&acct_lock);
	d = read_locked(path);
	pthread_mutex_unlock(&acct_lock);
	return d;
}

int
jmap_acct_modify(struct server *srv, const struct auth_result *who,
    int (*fn)(struct dval *d, void *arg, struct error *err_r), void *arg,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX + 16];
	struct dval *d;
	int rc;

	if (data_path(srv, who, path, sizeof(path), err_r) < 0)
		return -1;
	pthread_mutex_lock(&acct_lock);
	d = read_locked(path);
	rc = fn(d, arg, err_r);
	if (rc == 0)
		rc = dict_file_write(path, d, err_r);
	pthread_mutex_unlock(&acct_lock);
	dict_free(&d);
	return rc;
}

/* ---- recent recipients ---- */

struct add_arg {
	const char *const *addrs;
	size_t	 n;
};

static struct dval *
add_recent(const struct dval *arr, void *argp)
{
	const struct add_arg *a = argp;
	struct dval *nv = dict_new_array();
	size_t i, k;

	/* the new ones first (the last given first), then the old ones
	 * not among them, at most JMAP_RECENT_MAX */
	for (i = a->n; i > 0 && dict_array_len(nv) < JMAP_RECENT_MAX; i--) {
		bool dup = false;

		for (k = 0; k < dict_array_len(nv); k++)
			if (strcasecmp(dict_str(dict_array_get(nv, k), NULL),
			    a->addrs[i - 1]) == 0)
				dup = true;
		if (!dup)
			dict_array_push_cstr(nv, a->addrs[i - 1]);
	}
	for (i = 0; i < dict_array_len(arr) &&
	    dict_array_len(nv) < JMAP_RECENT_MAX; i++) {
		const char *s = dict_str(dict_array_get(arr, i), NULL);
		bool dup = false;

		if (s == NULL)
			continue;
		for (k = 0; k < dict_array_len(nv); k++)
			if (strcasecmp(dict_str(dict_array_get(nv, k), NULL),
			    s) == 0)
				dup = true;
		if (!dup)
			dict_array_push_cstr(nv, s);
	}
	return nv;
}

void
jmap_recent_add(struct jmap_ctx *c, const char *const *addrs, size_t n)
{
	struct add_arg a = { addrs, n };
	struct error err;

	if (n == 0)
		return;
	if (jmap_acct_update(c->srv, &c->who, "RecentRecipients", add_recent,
	    &a, &err) < 0)
		log_ses(c->http->log, LOG_PROBLEM, "%s: recent recipients not "
		    "kept: %s", c->who.address, err.msg);
}

struct dval *
jmap_recent_recipients(struct server *srv, const struct auth_result *who)
{
	struct dval *v = jmap_acct_read(srv, who, "RecentRecipients");

	if (v != NULL && (dict_type(v) != DICT_ARRAY ||
	    dict_array_len(v) == 0))
		dict_free(&v);
	return v;
}
