/* SPDX-License-Identifier: Apache-2.0 */
/*
 * domain.c: domains -- loading a domain folder, create, rename, delete, list,
 * lookup by name or alias, domain settings with the server-wide Domain
 * Defaults under them, domain aliases, the Assigned IP Addresses
 * (IPAddresses) and the picking of a domain from a local address
 * (docs/behaviour.md, B10), and
 * the nested per-domain and server-wide AccountDefaults / AccountPrefs
 * dictionaries and the Account Template.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/iplist.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

/* Keys of domain.settings handled by their own functions. */
static const char *const managed_keys[] = {
	"DomainAliases", "AccountDefaults", "AccountPrefs"
};

struct domain *
dom_find(struct objstate *st, const char *name)
{
	if (name == NULL)
		return st->maind;
	return ohash_get(&st->dnames, name);
}

struct domain *
dom_get(struct objstate *st, const char *name, struct error *err_r)
{
	struct domain *d = dom_find(st, name);

	if (d == NULL)
		error_set(err_r, ERR_NOTFOUND, "unknown domain");
	return d;
}

int
dom_parse_ips(const struct dval *settings, bool is_main,
    struct iplist **ips_r, bool *all_r, struct error *err_r)
{
	const struct dval *v = dict_get(settings, "IPAddresses");
	const char *s;
	size_t len;

	*ips_r = NULL;
	*all_r = false;
	if (v == NULL) {
		*all_r = is_main;	/* main: All Available; others: none */
		return 0;
	}
	if (dict_type(v) != DICT_STRING)
		return error_set(err_r, ERR_SYNTAX,
		    "IPAddresses: string expected");
	s = dict_str(v, &len);
	if (strcasecmp(s, "All") == 0 || strcasecmp(s, "All Available") == 0) {
		*all_r = true;
		return 0;
	}
	if (len == 0)
		return 0;
	if (len > IPLIST_TEXT_MAX)
		return error_set(err_r, ERR_LIMIT, "IPAddresses too long");
	if ((*ips_r = iplist_parse(s, len, err_r)) == NULL)
		return -1;
	return 0;
}

void
dom_free(struct domain *d)
{
	if (d == NULL)
		return;
	ohash_clear(&d->names, nament_free);
	dict_free(&d->settings);
	dict_free(&d->forwarders);
	dict_free(&d->groups);
	dict_free(&d->templ);
	iplist_free(&d->ips);
	free(d->name);
	free(d->dir);
	free(d);
}

struct domain *
dom_load(struct objects *o, struct objstate *st, const char *name,
    const char *dir, bool is_main, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct domain *d;

	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->dir = xstrdup(dir);
	d->is_main = is_main;
	ohash_init(&d->names);
#define RD(field, file) do {						\
	if (obj_path(path, sizeof(path), err_r, "%s/%s", dir, file) == -1 || \
	    (d->field = obj_read_dict(path, err_r)) == NULL)		\
		goto fail;						\
} while (0)
	RD(settings, "domain.settings");
	RD(forwarders, "Forwarders.settings");
	RD(groups, "Groups.settings");
	RD(templ, "AccountTemplate.settings");
#undef RD
	if (dom_parse_ips(d->settings, is_main, &d->ips, &d->ips_all,
	    err_r) == -1)
		goto fail;
	if (acct_load_all(o, d, err_r) == -1)
		goto fail;
	domrec_index(&domrec_forwarders, d);
	domrec_index(&domrec_groups, d);
	ohash_put(&st->dnames, name, d);
	return d;
fail:
	dom_free(d);
	return NULL;
}

struct dval *
dom_builtin_defaults(void)
{
	struct dval *d = dict_new_dict();

	dict_set_str(d, "MailToUnknown", "Rejected");
	dict_set_str(d, "SignalToUnknown", "Rejected");
	dict_set_str(d, "AccessToUnknown", "Rejected");
	dict_set_str(d, "DomainAccessModes", "All");
	dict_set_str(d, "AUTHMethods", "All");
	dict_set_str(d, "AccountsLimit", "-1");
	dict_set_str(d, "ListsLimit", "-1");
	dict_set_str(d, "RecipientStatus", "Accept");
	return d;
}

static void
strip_managed(struct dval *d)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(managed_keys); i++)
		dict_remove(d, managed_keys[i]);
}

struct dval *
dom_effective(struct objstate *st, struct domain *d)
{
	struct dval *eff = dom_builtin_defaults(), *tmp;

	if (d->is_main)
		dict_set_str(eff, "IPAddresses", "All");
	tmp = dict_clone(st->ddef);
	dict_remove(tmp, "AccountDefaults");
	dict_update(eff, tmp);
	dict_free(&tmp);
	tmp = dict_clone(d->settings);
	strip_managed(tmp);
	dict_update(eff, tmp);
	dict_free(&tmp);
	return eff;
}

/* ---- name table helpers used by accounts and forwarders ---------------- */

int
dom_name_free(struct domain *d, const char *name, const void *self,
    struct error *err_r)
{
	struct nament *ne = ohash_get(&d->names, name);

	if (ne == NULL || (self != NULL && ne == self))
		return 0;
	switch (ne->kind) {
	case OBJ_ACCOUNT:
		return error_set(err_r, ERR_EXISTS,
		    "Account with this name already exists");
	case OBJ_ALIAS:
		return error_set(err_r, ERR_EXISTS,
		    "Alias with this name already exists");
	case OBJ_FORWARDER:
		return error_set(err_r, ERR_EXISTS,
		    "Forwarder with this name already exists");
	case OBJ_GROUP:
		return error_set(err_r, ERR_EXISTS,
		    "Group with this name already exists");
	default:
		return error_set(err_r, ERR_EXISTS,
		    "Object with this name already exists");
	}
}

/* ---- create, rename, delete, list, find -------------------------------- */

int
objects_domain_create(struct objects *o, const char *name,
    const struct dval *settings, struct error *err_r)
{
	char dir[OBJECTS_PATH_MAX], path[OBJECTS_PATH_MAX];
	struct domain *d, **tail;
	struct dval *nv = NULL;
	struct iplist *ips = NULL;
	bool all = false;

	if (!objects_domain_name_valid(name))
		return error_set(err_r, ERR_SYNTAX, "illegal domain name");
	if (settings != NULL && dict_type(settings) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	if (obj_path(dir, sizeof(dir), err_r, "%s/Domains/%s", o->base,
	    name) == -1 || obj_path(path, sizeof(path), err_r,
	    "%s/domain.settings", dir) == -1)
		return -1;
	nv = settings != NULL ? obj_merge(NULL, settings, false, err_r) :
	    dict_new_dict();
	dict_remove(nv, "DomainAliases");
	if (dom_parse_ips(nv, false, &ips, &all, err_r) == -1) {
		dict_free(&nv);
		return -1;
	}

	pthread_rwlock_wrlock(&o->lock);
	if (ohash_get(&o->st->dnames, name) != NULL) {
		error_set(err_r, ERR_EXISTS,
		    "Domain with this name already exists");
		goto fail;
	}
	if (mkdir(dir, 0750) == -1) {
		error_set(err_r, errno == EEXIST ? ERR_EXISTS : ERR_IO,
		    "mkdir %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (dict_file_write(path, nv, err_r) == -1) {
		(void)obj_rmtree(dir, NULL);
		goto fail;
	}
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->dir = xstrdup(dir);
	d->settings = nv;
	d->forwarders = dict_new_dict();
	d->groups = dict_new_dict();
	d->templ = dict_new_dict();
	d->ips = ips;
	d->ips_all = all;
	ohash_init(&d->names);
	for (tail = &o->st->domains; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	ohash_put(&o->st->dnames, name, d);
	pthread_rwlock_unlock(&o->lock);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	dict_free(&nv);
	iplist_free(&ips);
	return -1;
}

/* Counts the objects of a domain's name table: accounts, account aliases,
 * forwarders (every kind the table holds). */
static void
count_objects(const char *key ATTR_UNUSED, void *val ATTR_UNUSED, void *arg)
{
	(*(size_t *)arg)++;
}

static void
domain_aliases_unindex(struct objstate *st, struct domain *d)
{
	const struct dval *arr = dict_get(d->settings, "DomainAliases");
	const char *a;
	size_t i;

	for (i = 0; i < dict_array_len(arr); i++) {
		a = dict_str(dict_array_get(arr, i), NULL);
		if (a != NULL && ohash_get(&st->dnames, a) == d &&
		    strcasecmp(a, d->name) != 0)
			ohash_del(&st->dnames, a);
	}
}

int
objects_domain_rename(struct objects *o, const char *name,
    const char *newname, struct error *err_r)
{
	char ndir[OBJECTS_PATH_MAX], path[OBJECTS_PATH_MAX];
	char oldname[DOMAIN_NAME_MAX + 1];
	struct domain *d, *other;
	struct dval *nv;

	if (!objects_domain_name_valid(newname))
		return error_set(err_r, ERR_SYNTAX, "illegal domain name");
	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, name, err_r)) == NULL)
		goto fail;
	other = ohash_get(&o->st->dnames, newname);
	if (other != NULL && (other != d ||
	    strcasecmp(newname, d->name) != 0)) {
		error_set(err_r, ERR_EXISTS,
		    "Domain with this name already exists");
		goto fail;
	}
	if (d->is_main) {
		if (obj_path(path, sizeof(path), err_r,
		    "%s/Settings/Main.settings", o->base) == -1)
			goto fail;
		nv = dict_clone(o->st->main);
		dict_set_str(nv, "DomainName", newname);
		if (obj_commit(&o->st->main, path, nv, err_r) == -1)
			goto fail;
	} else {
		if (obj_path(ndir, sizeof(ndir), err_r, "%s/Domains/%s",
		    o->base, newname) == -1)
			goto fail;
		if (rename(d->dir, ndir) == -1) {
			error_set(err_r, ERR_IO, "rename %s: %s", d->dir,
			    strerror(errno));
			goto fail;
		}
		free(d->dir);
		d->dir = xstrdup(ndir);
	}
	ohash_del(&o->st->dnames, d->name);
	logininfo_forget_domain(o, d->name);
	obj_copy(oldname, sizeof(oldname), d->name);
	free(d->name);
	d->name = xstrdup(newname);
	ohash_put(&o->st->dnames, newname, d);
	obj_changed();
	pthread_rwlock_unlock(&o->lock);
	obj_dir_domain(o, OBJ_DIR_RENAMED, newname, oldname, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

int
objects_domain_delete(struct objects *o, const char *name, bool force,
    struct error *err_r)
{
	char cname[DOMAIN_NAME_MAX + 1];
	struct domain *d, **pp;
	struct dval *eff;
	size_t n = 0;

	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, name, err_r)) == NULL)
		goto fail;
	if (d->is_main) {
		error_set(err_r, ERR_PERM, "the main domain cannot be deleted");
		goto fail;
	}
	/* As the original: a domain holding any object (account, alias,
	 * forwarder ...) is deleted only with `force`. */
	ohash_each(&d->names, count_objects, &n);
	if (n > 0 && !force) {
		error_set(err_r, ERR_PERM, "domain is not empty");
		goto fail;
	}
	if (obj_rmtree(d->dir, err_r) == -1)
		goto fail;
	/* what the Directory Integration needs to know of it */
	eff = dom_effective(o->st, d);
	obj_copy(cname, sizeof(cname), d->name);
	domain_aliases_unindex(o->st, d);
	logininfo_forget_domain(o, d->name);
	ohash_del(&o->st->dnames, d->name);
	for (pp = &o->st->domains; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	dom_free(d);
	obj_changed();
	pthread_rwlock_unlock(&o->lock);
	obj_dir_domain(o, OBJ_DIR_DELETED, cname, NULL, eff);
	dict_free(&eff);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

struct dval *
objects_domain_list(struct objects *o)
{
	struct dval *arr = dict_new_array();
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	for (d = o->st->domains; d != NULL; d = d->next)
		dict_array_push_cstr(arr, d->name);
	pthread_rwlock_unlock(&o->lock);
	return obj_sorted_array(arr);
}

int
objects_find_domain(struct objects *o, const char *name, char *buf,
    size_t size)
{
	struct domain *d;
	int rc = -1;

	if (name == NULL)
		return -1;
	pthread_rwlock_rdlock(&o->lock);
	if ((d = ohash_get(&o->st->dnames, name)) != NULL) {
		obj_copy(buf, size, d->name);
		rc = 0;
	}
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

bool
objects_domain_is_main(struct objects *o, const char *name)
{
	struct domain *d;
	bool r;

	pthread_rwlock_rdlock(&o->lock);
	d = dom_find(o->st, name);
	r = d != NULL && d->is_main;
	pthread_rwlock_unlock(&o->lock);
	return r;
}

/* ---- domain settings --------------------------------------------------- */

struct dval *
objects_domain_effective_get(struct objects *o, const char *domain,
    struct error *err_r)
{
	struct dval *v = NULL;
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL)
		v = dom_effective(o->st, d);
	pthread_rwlock_unlock(&o->lock);
	return v;
}

/* ---- domain aliases ---------------------------------------------------- */

struct dval *
objects_domain_aliases_get(struct objects *o, const char *domain,
    struct error *err_r)
{
	const struct dval *arr;
	struct dval *v = NULL;
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		arr = dict_get(d->settings, "DomainAliases");
		v = arr != NULL && dict_type(arr) == DICT_ARRAY ?
		    dict_clone(arr) : dict_new_array();
	}
	pthread_rwlock_unlock(&o->lock);
	return v;
}

int
objects_domain_aliases_set(struct objects *o, const char *domain,
    const struct dval *arr, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct dval *nv = NULL, *list;
	struct domain *d, *other;
	const char *a, *b;
	size_t i, j, n;

	if (arr == NULL || dict_type(arr) != DICT_ARRAY)
		return error_set(err_r, ERR_SYNTAX, "array expected");
	if ((n = dict_array_len(arr)) > OBJECTS_ALIASES_MAX)
		return error_set(err_r, ERR_LIMIT, "too many aliases");
	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		a = dict_str(dict_array_get(arr, i), NULL);
		if (a == NULL || dict_type(dict_array_get(arr, i)) !=
		    DICT_STRING || !objects_domain_name_valid(a)) {
			error_set(err_r, ERR_SYNTAX, "illegal domain name");
			goto fail;
		}
		other = ohash_get(&o->st->dnames, a);
		if (strcasecmp(a, d->name) == 0 ||
		    (other != NULL && other != d)) {
			error_set(err_r, ERR_EXISTS,
			    "Domain with this name already exists: %s", a);
			goto fail;
		}
		for (j = 0; j < i; j++) {
			b = dict_str(dict_array_get(arr, j), NULL);
			if (strcasecmp(a, b) == 0) {
				error_set(err_r, ERR_EXISTS,
				    "duplicate alias: %s", a);
				goto fail;
			}
		}
	}
	if (obj_path(path, sizeof(path), err_r, "%s/domain.settings",
	    d->dir) == -1)
		goto fail;
	nv = dict_clone(d->settings);
	list = dict_clone(arr);
	if (n > 0)
		dict_set(nv, "DomainAliases", list);
	else {
		dict_free(&list);
		dict_remove(nv, "DomainAliases");
	}
	if (dict_file_write(path, nv, err_r) == -1)
		goto fail;
	domain_aliases_unindex(o->st, d);
	dict_free(&d->settings);
	d->settings = nv;
	for (i = 0; i < n; i++)
		ohash_put(&o->st->dnames,
		    dict_str(dict_array_get(arr, i), NULL), d);
	obj_copy(path, sizeof(path), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_domain(o, OBJ_DIR_UPDATED, path, NULL, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	dict_free(&nv);
	return -1;
}

/* ---- local address -> domain (docs/behaviour.md, B10) ---------------- */

int
objects_domain_for_local_ip(struct objects *o, const struct sockaddr *sa,
    char *buf, size_t size)
{
	struct domain *d, *best = NULL;
	struct ipaddr a;
	int rc = -1;

	ipaddr_from_sa(sa, &a);
	pthread_rwlock_rdlock(&o->lock);
	/* Overlapping assignments are an admin error; the lowest name wins so
	 * the answer does not depend on load order. */
	for (d = o->st->domains; d != NULL; d = d->next) {
		if (d->is_main || d->ips == NULL || !iplist_match(d->ips, &a))
			continue;
		if (best == NULL || strcasecmp(d->name, best->name) < 0)
			best = d;
	}
	d = o->st->maind;
	if (best == NULL && (d->ips_all ||
	    (d->ips != NULL && iplist_match(d->ips, &a))))
		best = d;
	if (best != NULL) {
		obj_copy(buf, size, best->name);
		rc = 0;
	}
	pthread_rwlock_unlock(&o->lock);
	return rc;
}
