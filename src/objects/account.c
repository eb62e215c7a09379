/* SPDX-License-Identifier: Apache-2.0 */
/*
 * account.c: accounts -- loading a domain's <name>.macnt folders, create
 * (from the domain's Account Template), rename, delete, list, the three-level
 * settings and preferences (account over domain defaults over server defaults
 * over built-in defaults), account aliases, access rights, and the
 * name-to-object lookup the Router uses.
 *
 * Every account is a folder <name>.macnt in its domain's folder whatever its
 * type (MultiMailbox, TextMailbox, MailDirMailbox); the type is recorded in
 * account.meta together with the aliases and rights, so that a settings
 * Set by an administrator cannot touch them.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

#define ACCOUNT_SUFFIX	".macnt"

static const char *const account_types[] = {
	"MultiMailbox", "TextMailbox", "MailDirMailbox"
};

void
acct_free(struct account *a)
{
	if (a == NULL)
		return;
	dict_free(&a->settings);
	dict_free(&a->prefs);
	dict_free(&a->meta);
	free(a->name);
	free(a);
}

void
nament_free(void *p)
{
	struct nament *ne = p;

	if (ne == NULL)
		return;
	if (ne->kind == OBJ_ACCOUNT)
		acct_free(ne->acct);
	free(ne->name);
	free(ne);
}

int
acct_dir(struct account *a, char *buf, size_t size, struct error *err_r)
{
	return obj_path(buf, size, err_r, "%s/%s" ACCOUNT_SUFFIX, a->dom->dir,
	    a->name);
}

static int
acct_file(struct account *a, const char *file, char *buf, size_t size,
    struct error *err_r)
{
	return obj_path(buf, size, err_r, "%s/%s" ACCOUNT_SUFFIX "/%s",
	    a->dom->dir, a->name, file);
}

static void
index_name(struct domain *d, const char *name, enum obj_kind kind,
    struct account *a)
{
	struct nament *ne = xcalloc(1, sizeof(*ne));

	ne->kind = kind;
	ne->acct = a;
	ne->name = xstrdup(name);
	ohash_put(&d->names, name, ne);
}

static void
index_aliases(struct domain *d, struct account *a)
{
	const struct dval *arr = dict_get(a->meta, "Aliases");
	const char *s;
	size_t i;

	for (i = 0; i < dict_array_len(arr); i++) {
		s = dict_str(dict_array_get(arr, i), NULL);
		if (s != NULL && objects_name_valid(s) &&
		    ohash_get(&d->names, s) == NULL)
			index_name(d, s, OBJ_ALIAS, a);
	}
}

static void
unindex_aliases(struct domain *d, struct account *a)
{
	const struct dval *arr = dict_get(a->meta, "Aliases");
	struct nament *ne;
	const char *s;
	size_t i;

	for (i = 0; i < dict_array_len(arr); i++) {
		s = dict_str(dict_array_get(arr, i), NULL);
		if (s == NULL)
			continue;
		ne = ohash_get(&d->names, s);
		if (ne != NULL && ne->kind == OBJ_ALIAS && ne->acct == a)
			nament_free(ohash_del(&d->names, s));
	}
}

static struct account *
acct_load(struct domain *d, const char *name, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct account *a;

	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->dom = d;
#define RD(field, file) do {						\
	if (acct_file(a, file, path, sizeof(path), err_r) == -1 ||	\
	    (a->field = obj_read_dict(path, err_r)) == NULL)		\
		goto fail;						\
} while (0)
	RD(settings, "account.settings");
	RD(prefs, "account.prefs");
	RD(meta, "account.meta");
#undef RD
	return a;
fail:
	acct_free(a);
	return NULL;
}

int
acct_load_all(struct objects *o ATTR_UNUSED, struct domain *d,
    struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], path[OBJECTS_PATH_MAX];
	struct account **loaded = NULL, *a;
	size_t n = 0, cap = 0, len, i;
	struct dirent *de;
	struct stat sb;
	DIR *dir;

	if ((dir = opendir(d->dir)) == NULL) {
		if (errno == ENOENT && mkdir(d->dir, 0750) == 0)
			return 0;
		return error_set(err_r, ERR_IO, "%s: %s", d->dir,
		    strerror(errno));
	}
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len <= strlen(ACCOUNT_SUFFIX) || strcmp(de->d_name + len -
		    strlen(ACCOUNT_SUFFIX), ACCOUNT_SUFFIX) != 0)
			continue;
		len -= strlen(ACCOUNT_SUFFIX);
		if (len > OBJECT_NAME_MAX)
			continue;
		memcpy(name, de->d_name, len);
		name[len] = '\0';
		if (!objects_name_valid(name) ||
		    ohash_get(&d->names, name) != NULL ||
		    obj_path(path, sizeof(path), NULL, "%s/%s", d->dir,
		    de->d_name) == -1 || stat(path, &sb) == -1 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		if ((a = acct_load(d, name, err_r)) == NULL) {
			closedir(dir);
			free(loaded);
			return -1;
		}
		index_name(d, name, OBJ_ACCOUNT, a);
		if (n == cap) {
			cap = cap ? size_mul(cap, 2) : 64;
			loaded = xrealloc(loaded, size_mul(cap,
			    sizeof(*loaded)));
		}
		loaded[n++] = a;
	}
	closedir(dir);
	/* Aliases after all account names, so a stray alias cannot shadow an
	 * account. */
	for (i = 0; i < n; i++)
		index_aliases(d, loaded[i]);
	free(loaded);
	return 0;
}

struct account *
acct_get(struct objstate *st, const char *name, const char *domain,
    struct error *err_r)
{
	struct nament *ne;
	struct domain *d;

	if ((d = dom_get(st, domain, err_r)) == NULL)
		return NULL;
	ne = name != NULL ? ohash_get(&d->names, name) : NULL;
	if (ne == NULL || ne->kind != OBJ_ACCOUNT) {
		error_set(err_r, ERR_NOTFOUND, "unknown account");
		return NULL;
	}
	return ne->acct;
}

int
acct_commit_meta(struct account *a, struct dval *nv, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];

	if (acct_file(a, "account.meta", path, sizeof(path), err_r) == -1) {
		dict_free(&nv);
		return -1;
	}
	return obj_commit(&a->meta, path, nv, err_r);
}

int
acct_commit_settings(struct account *a, struct dval *nv, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];

	if (acct_file(a, "account.settings", path, sizeof(path), err_r) == -1) {
		dict_free(&nv);
		return -1;
	}
	return obj_commit(&a->settings, path, nv, err_r);
}

/* ---- create, rename, delete -------------------------------------------- */

int
acct_create_locked(struct objects *o ATTR_UNUSED, struct domain *d,
    const char *name, const char *type, const struct dval *settings,
    struct account **a_r, struct error *err_r)
{
	char dir[OBJECTS_PATH_MAX], path[OBJECTS_PATH_MAX];
	struct account *a;
	size_t i;

	if (!objects_name_valid(name))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	if (type == NULL)
		type = account_types[0];
	for (i = 0; i < N_ELEMENTS(account_types); i++)
		if (strcasecmp(type, account_types[i]) == 0)
			break;
	if (i == N_ELEMENTS(account_types))
		return error_set(err_r, ERR_SYNTAX, "unknown account type");
	type = account_types[i];
	if (settings != NULL && dict_type(settings) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	if (dom_name_free(d, name, NULL, err_r) == -1)
		return -1;

	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->dom = d;
	a->settings = dict_clone(d->templ);
	if (settings != NULL)
		dict_update(a->settings, settings);
	a->prefs = dict_new_dict();
	a->meta = dict_new_dict();
	dict_set_str(a->meta, "Type", type);
	if (acct_dir(a, dir, sizeof(dir), err_r) == -1)
		goto fail;
	if (mkdir(dir, 0750) == -1) {
		error_set(err_r, errno == EEXIST ? ERR_EXISTS : ERR_IO,
		    "mkdir %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (acct_file(a, "account.settings", path, sizeof(path), err_r) == -1 ||
	    dict_file_write(path, a->settings, err_r) == -1 ||
	    acct_file(a, "account.meta", path, sizeof(path), err_r) == -1 ||
	    dict_file_write(path, a->meta, err_r) == -1) {
		(void)obj_rmtree(dir, NULL);
		goto fail;
	}
	index_name(d, name, OBJ_ACCOUNT, a);
	if (a_r != NULL)
		*a_r = a;
	return 0;
fail:
	acct_free(a);
	return -1;
}

int
objects_account_create(struct objects *o, const char *name,
    const char *domain, const char *type, const struct dval *settings,
    struct error *err_r)
{
	struct dval *hashed;
	struct domain *d;
	int rc = -1;

	if (obj_account_settings_check(settings, err_r) == -1 ||
	    obj_settings_hash_password(settings, &hashed, err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL)
		rc = acct_create_locked(o, d, name, type, hashed != NULL ?
		    hashed : settings, NULL, err_r);
	pthread_rwlock_unlock(&o->lock);
	dict_free(&hashed);
	if (rc == 0)
		obj_dir_changed(o, OBJ_DIR_CREATED, name, domain, NULL);
	return rc;
}

int
objects_account_rename(struct objects *o, const char *name,
    const char *domain, const char *newname, struct error *err_r)
{
	char odir[OBJECTS_PATH_MAX], ndir[OBJECTS_PATH_MAX];
	struct account *a;
	struct nament *ne;
	struct domain *d;

	if (!objects_name_valid(newname))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	pthread_rwlock_wrlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL)
		goto fail;
	d = a->dom;
	ne = ohash_get(&d->names, a->name);
	if (dom_name_free(d, newname, ne, err_r) == -1 ||
	    acct_dir(a, odir, sizeof(odir), err_r) == -1 ||
	    obj_path(ndir, sizeof(ndir), err_r, "%s/%s" ACCOUNT_SUFFIX,
	    d->dir, newname) == -1)
		goto fail;
	if (rename(odir, ndir) == -1) {
		error_set(err_r, ERR_IO, "rename %s: %s", odir,
		    strerror(errno));
		goto fail;
	}
	ohash_del(&d->names, a->name);
	logininfo_rename(o, a->name, newname, d->name);
	free(a->name);
	a->name = xstrdup(newname);
	free(ne->name);
	ne->name = xstrdup(newname);
	ohash_put(&d->names, newname, ne);
	obj_changed();
	pthread_rwlock_unlock(&o->lock);
	obj_dir_changed(o, OBJ_DIR_RENAMED, newname, domain, name);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

int
objects_account_delete(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	char dir[OBJECTS_PATH_MAX];
	struct account *a;
	struct domain *d;

	pthread_rwlock_wrlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL ||
	    acct_dir(a, dir, sizeof(dir), err_r) == -1 ||
	    obj_rmtree(dir, err_r) == -1) {
		pthread_rwlock_unlock(&o->lock);
		return -1;
	}
	d = a->dom;
	unindex_aliases(d, a);
	logininfo_forget(o, a->name, d->name);
	nament_free(ohash_del(&d->names, a->name));
	obj_changed();
	pthread_rwlock_unlock(&o->lock);
	obj_dir_changed(o, OBJ_DIR_DELETED, name, domain, NULL);
	return 0;
}

void
objects_set_dir_hooks(struct objects *o, const struct objects_dir_hooks *h,
    void *arg)
{
	pthread_rwlock_wrlock(&o->lock);
	o->dirhooks = h;
	o->dirarg = arg;
	pthread_rwlock_unlock(&o->lock);
}

/* The hooks are set once at start, before sessions run; reading them
 * under the read lock keeps the tools (ThreadSanitizer) quiet. */
static const struct objects_dir_hooks *
dir_hooks(struct objects *o, void **arg_r)
{
	const struct objects_dir_hooks *h;

	pthread_rwlock_rdlock(&o->lock);
	h = o->dirhooks;
	*arg_r = o->dirarg;
	pthread_rwlock_unlock(&o->lock);
	return h;
}

int
obj_dir_check(struct objects *o, const char *name, const char *domain,
    struct error *err_r)
{
	const struct objects_dir_hooks *h;
	void *arg;

	h = dir_hooks(o, &arg);
	if (h == NULL || h->account_check == NULL)
		return 0;
	return h->account_check(arg, name, domain, err_r);
}

void
obj_dir_changed(struct objects *o, enum objects_dir_event ev,
    const char *name, const char *domain, const char *oldname)
{
	const struct objects_dir_hooks *h;
	void *arg;

	h = dir_hooks(o, &arg);
	if (h != NULL && h->account_changed != NULL)
		h->account_changed(arg, ev, name, domain, oldname);
}

void
obj_dir_object(struct objects *o, enum objects_dir_event ev,
    enum obj_kind kind, const char *name, const char *domain,
    const char *oldname)
{
	const struct objects_dir_hooks *h;
	void *arg;

	h = dir_hooks(o, &arg);
	if (h != NULL && h->object_changed != NULL)
		h->object_changed(arg, ev, kind, name, domain, oldname);
}

void
obj_dir_domain(struct objects *o, enum objects_dir_event ev,
    const char *domain, const char *oldname, const struct dval *eff)
{
	const struct objects_dir_hooks *h;
	void *arg;

	h = dir_hooks(o, &arg);
	if (h != NULL && h->domain_changed != NULL)
		h->domain_changed(arg, ev, domain, oldname, eff);
}

struct list_arg {
	struct dval	*arr;
	enum obj_kind	 kind;
};

static void
list_kind(const char *key ATTR_UNUSED, void *val, void *arg)
{
	const struct nament *ne = val;
	struct list_arg *la = arg;

	if (ne->kind == la->kind)
		dict_array_push_cstr(la->arr, ne->name);
}

struct dval *
objects_account_list(struct objects *o, const char *domain,
    struct error *err_r)
{
	struct list_arg la = { NULL, OBJ_ACCOUNT };
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		la.arr = dict_new_array();
		ohash_each(&d->names, list_kind, &la);
	}
	pthread_rwlock_unlock(&o->lock);
	return la.arr != NULL ? obj_sorted_array(la.arr) : NULL;
}

int
objects_account_find(struct objects *o, const char *name, const char *domain,
    char *name_r, size_t nsize, char *domain_r, size_t dsize,
    struct error *err_r)
{
	struct account *a;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL) {
		if (name_r != NULL)
			obj_copy(name_r, nsize, a->name);
		if (domain_r != NULL)
			obj_copy(domain_r, dsize, a->dom->name);
	}
	pthread_rwlock_unlock(&o->lock);
	return a != NULL ? 0 : -1;
}

int
objects_account_path(struct objects *o, const char *name, const char *domain,
    char *buf, size_t size, struct error *err_r)
{
	struct account *a;
	int rc = -1;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL)
		rc = acct_dir(a, buf, size, err_r);
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

int
objects_account_type(struct objects *o, const char *name, const char *domain,
    char *buf, size_t size, struct error *err_r)
{
	struct account *a;
	const char *t;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL) {
		t = dict_get_str(a->meta, "Type");
		obj_copy(buf, size, t != NULL ? t : account_types[0]);
	}
	pthread_rwlock_unlock(&o->lock);
	return a != NULL ? 0 : -1;
}

/* ---- settings and prefs ------------------------------------------------ */

/* The built-in account defaults with text values. */
static const char *const builtin_account_text[][2] = {
	{ "AccessModes", "All" },
	{ "MaxAccountSize", "unlimited" },
	{ "MaxMessageSize", "unlimited" },
	{ "MaxMailboxes", "-1" },
	{ "DefaultMailboxType", "TextMailbox" },
	{ "PasswordEncryption", "U-crpt" },
	{ "UseAppPassword", "YES" },
	{ "UseSysPassword", "NO" },
	{ "RequireAPOP", "NO" },
	{ "PWDAllowed", "YES" },
	{ "RPOPAllowed", "NO" },
	{ "RulesAllowed", "Filter Only" },
	{ "LogLogin", "NO" },
};

static struct dval *
builtin_account_defaults(void)
{
	struct dval *d = dict_new_dict(), *flow;
	size_t i;

	for (i = 0; i < N_ELEMENTS(builtin_account_text); i++)
		dict_set_str(d, builtin_account_text[i][0],
		    builtin_account_text[i][1]);
	flow = dict_new_array();
	dict_array_push_cstr(flow, "10");
	dict_array_push_cstr(flow, "1m");
	dict_set(d, "FailedLoginFlow", flow);
	return d;
}

static struct dval *
builtin_account_prefs(void)
{
	struct dval *d = dict_new_dict();

	dict_set_str(d, "Language", "English");
	dict_set_str(d, "TimeZone", "HostOS");
	dict_set_str(d, "RequireFixedNetworkAddress", "NO");
	return d;
}

static void
layer(struct dval *eff, const struct dval *over)
{
	struct dval *tmp;

	if (over == NULL || dict_type(over) != DICT_DICT)
		return;
	tmp = dict_clone(over);
	dict_update(eff, tmp);
	dict_free(&tmp);
}

/* Effective settings (which 0) or preferences (1); the explicit ones are
 * objects_settings_file_get(OBJ_SF_ACCOUNT_SETTINGS / _PREFS). */
static struct dval *
acct_effective(struct objects *o, const char *name, const char *domain,
    int which, struct error *err_r)
{
	struct account *a;
	struct dval *v = NULL;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL)
		goto out;
	if (which == 0) {
		v = builtin_account_defaults();
		layer(v, dict_get(o->st->ddef, "AccountDefaults"));
		layer(v, dict_get(a->dom->settings, "AccountDefaults"));
		layer(v, a->settings);
	} else {
		v = builtin_account_prefs();
		layer(v, o->st->uprefs);
		layer(v, dict_get(a->dom->settings, "AccountPrefs"));
		layer(v, a->prefs);
	}
out:
	pthread_rwlock_unlock(&o->lock);
	return v;
}

struct dval *
objects_account_effective_get(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	return acct_effective(o, name, domain, 0, err_r);
}

int
objects_account_effective_str(struct objects *o, const char *name,
    const char *domain, const char *key, char *buf, size_t size,
    struct error *err_r)
{
	const struct dval *levels[3];
	const char *v = NULL;
	struct account *a;
	size_t i;
	int rc = -1;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL)
		goto out;
	/* highest level first: the first that has the key decides */
	levels[0] = a->settings;
	levels[1] = dict_get(a->dom->settings, "AccountDefaults");
	levels[2] = dict_get(o->st->ddef, "AccountDefaults");
	for (i = 0; i < N_ELEMENTS(levels); i++) {
		const struct dval *x = levels[i] != NULL &&
		    dict_type(levels[i]) == DICT_DICT ?
		    dict_get(levels[i], key) : NULL;

		if (x != NULL) {
			v = dict_str(x, NULL);
			/* as in the merge: "default" removes what lower
			 * levels set */
			if (v != NULL && strcmp(v, "default") == 0)
				v = NULL;
			break;
		}
	}
	if (i == N_ELEMENTS(levels))
		for (i = 0; i < N_ELEMENTS(builtin_account_text); i++)
			if (strcmp(builtin_account_text[i][0], key) == 0)
				v = builtin_account_text[i][1];
	if (v == NULL) {
		error_set(err_r, ERR_NOTFOUND, "no text setting %s", key);
		goto out;
	}
	if (size > 0)
		(void)snprintf(buf, size, "%s", v);
	rc = 0;
out:
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

struct dval *
objects_account_effective_prefs_get(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	return acct_effective(o, name, domain, 1, err_r);
}

/* ---- aliases and rights ------------------------------------------------ */

static struct dval *
meta_array(struct objects *o, const char *name, const char *domain,
    const char *key, struct error *err_r)
{
	const struct dval *arr;
	struct account *a;
	struct dval *v = NULL;

	pthread_rwlock_rdlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL) {
		arr = dict_get(a->meta, key);
		v = arr != NULL && dict_type(arr) == DICT_ARRAY ?
		    dict_clone(arr) : dict_new_array();
	}
	pthread_rwlock_unlock(&o->lock);
	return v;
}

static int
check_string_array(const struct dval *arr, size_t max, struct error *err_r)
{
	size_t i;

	if (arr == NULL || dict_type(arr) != DICT_ARRAY)
		return error_set(err_r, ERR_SYNTAX, "array expected");
	if (dict_array_len(arr) > max)
		return error_set(err_r, ERR_LIMIT, "too many elements");
	for (i = 0; i < dict_array_len(arr); i++)
		if (dict_type(dict_array_get(arr, i)) != DICT_STRING)
			return error_set(err_r, ERR_SYNTAX, "string expected");
	return 0;
}

struct dval *
objects_account_aliases_get(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	return meta_array(o, name, domain, "Aliases", err_r);
}

int
objects_account_aliases_set(struct objects *o, const char *name,
    const char *domain, const struct dval *arr, struct error *err_r)
{
	struct account *a;
	struct nament *ne;
	struct dval *nv;
	const char *s;
	size_t i, j, n;

	if (check_string_array(arr, OBJECTS_ALIASES_MAX, err_r) == -1)
		return -1;
	n = dict_array_len(arr);
	pthread_rwlock_wrlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		s = dict_str(dict_array_get(arr, i), NULL);
		if (!objects_name_valid(s)) {
			error_set(err_r, ERR_SYNTAX, "illegal object name");
			goto fail;
		}
		ne = ohash_get(&a->dom->names, s);
		if (ne != NULL && !(ne->kind == OBJ_ALIAS && ne->acct == a) &&
		    dom_name_free(a->dom, s, NULL, err_r) == -1)
			goto fail;
		for (j = 0; j < i; j++) {
			if (strcasecmp(s, dict_str(dict_array_get(arr, j),
			    NULL)) == 0) {
				error_set(err_r, ERR_EXISTS,
				    "duplicate alias: %s", s);
				goto fail;
			}
		}
	}
	nv = dict_clone(a->meta);
	if (n > 0)
		dict_set(nv, "Aliases", dict_clone(arr));
	else
		dict_remove(nv, "Aliases");
	unindex_aliases(a->dom, a);
	if (acct_commit_meta(a, nv, err_r) == -1) {
		index_aliases(a->dom, a);	/* put the old ones back */
		goto fail;
	}
	index_aliases(a->dom, a);
	pthread_rwlock_unlock(&o->lock);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

struct dval *
objects_account_rights_get(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	return meta_array(o, name, domain, "Rights", err_r);
}

int
objects_account_rights_set(struct objects *o, const char *name,
    const char *domain, const struct dval *arr, struct error *err_r)
{
	struct account *a;
	struct dval *nv;
	int rc = -1;

	if (check_string_array(arr, OBJECTS_ALIASES_MAX, err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((a = acct_get(o->st, name, domain, err_r)) != NULL) {
		nv = dict_clone(a->meta);
		if (dict_array_len(arr) > 0)
			dict_set(nv, "Rights", dict_clone(arr));
		else
			dict_remove(nv, "Rights");
		rc = acct_commit_meta(a, nv, err_r);
	}
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

bool
objects_account_has_master(struct objects *o, const char *name,
    const char *domain)
{
	const struct dval *arr;
	struct account *a;
	const char *s;
	bool r = false;
	size_t i;

	pthread_rwlock_rdlock(&o->lock);
	a = acct_get(o->st, name, domain, NULL);
	if (a != NULL && a->dom->is_main) {
		arr = dict_get(a->meta, "Rights");
		for (i = 0; i < dict_array_len(arr) && !r; i++) {
			s = dict_str(dict_array_get(arr, i), NULL);
			r = s != NULL && strcasecmp(s, "Master") == 0;
		}
	}
	pthread_rwlock_unlock(&o->lock);
	return r;
}

enum obj_kind
objects_find_object(struct objects *o, const char *domain, const char *name,
    char *target, size_t size)
{
	enum obj_kind kind = OBJ_NONE;
	struct nament *ne;
	struct domain *d;
	const char *s;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_find(o->st, domain)) == NULL ||
	    (ne = ohash_get(&d->names, name)) == NULL)
		goto out;
	kind = ne->kind;
	if (kind == OBJ_FORWARDER) {
		s = dict_get_str(d->forwarders, ne->name);
		obj_copy(target, size, s != NULL ? s : "");
	} else if (kind == OBJ_GROUP)
		obj_copy(target, size, ne->name);
	else
		obj_copy(target, size, ne->acct->name);
out:
	pthread_rwlock_unlock(&o->lock);
	return kind;
}
