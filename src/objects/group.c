/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group.c: groups -- domain objects (CGP's Groups) whose mail goes to every
 * member (CLI CreateGroup / RenameGroup / DeleteGroup / GetGroup / SetGroup
 * / ListGroups).  A domain's groups live in its Groups.settings dictionary
 * (name = {RealName = ...; Members = (...);}) and share the domain's name
 * table with accounts, aliases and forwarders, as forwarders do.
 *
 * Members is an array of addresses: a bare name is an object of the
 * group's own domain, "name@domain" any address.  Their mail is expanded
 * by the delivery (GROUP module, server/mailflow.c).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

static int
grp_path(struct domain *d, char *buf, size_t size, struct error *err_r)
{
	return obj_path(buf, size, err_r, "%s/Groups.settings", d->dir);
}

/* A group's settings as given: a dictionary; Members an array of at most
 * GROUP_MEMBERS_MAX addresses without line breaks. */
static int
check_settings(const struct dval *s, struct error *err_r)
{
	const struct dval *m, *v;
	const char *a;
	size_t i, len;

	if (s == NULL)
		return 0;
	if (dict_type(s) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	if ((m = dict_get(s, "Members")) == NULL)
		return 0;
	if (dict_type(m) != DICT_ARRAY)
		return error_set(err_r, ERR_SYNTAX, "Members: array expected");
	if (dict_array_len(m) > GROUP_MEMBERS_MAX)
		return error_set(err_r, ERR_LIMIT, "more than %u members",
		    (unsigned)GROUP_MEMBERS_MAX);
	for (i = 0; i < dict_array_len(m); i++) {
		v = dict_array_get(m, i);
		if (dict_type(v) != DICT_STRING ||
		    (a = dict_str(v, &len)) == NULL || len == 0 ||
		    len > ADDRESS_MAX || strpbrk(a, "\r\n") != NULL ||
		    memchr(a, '\0', len) != NULL)
			return error_set(err_r, ERR_SYNTAX, "Members: illegal "
			    "address");
	}
	return 0;
}

void
grp_index(struct domain *d)
{
	struct nament *ne;
	const char *k;
	size_t i;

	for (i = 0; i < dict_len(d->groups); i++) {
		k = dict_key_at(d->groups, i);
		if (!objects_name_valid(k) || ohash_get(&d->names, k) != NULL ||
		    dict_type(dict_value_at(d->groups, i)) != DICT_DICT)
			continue;
		ne = xcalloc(1, sizeof(*ne));
		ne->kind = OBJ_GROUP;
		ne->name = xstrdup(k);
		ohash_put(&d->names, k, ne);
	}
}

static struct nament *
grp_get(struct objstate *st, const char *name, const char *domain,
    struct domain **d_r, struct error *err_r)
{
	struct nament *ne;

	if ((*d_r = dom_get(st, domain, err_r)) == NULL)
		return NULL;
	ne = ohash_get(&(*d_r)->names, name);
	if (ne == NULL || ne->kind != OBJ_GROUP) {
		error_set(err_r, ERR_NOTFOUND, "unknown group");
		return NULL;
	}
	return ne;
}

int
objects_group_create(struct objects *o, const char *name, const char *domain,
    const struct dval *settings, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv;

	if (!objects_name_valid(name))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	if (check_settings(settings, err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) == NULL ||
	    dom_name_free(d, name, NULL, err_r) == -1 ||
	    grp_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->groups);
	dict_set(nv, name, settings != NULL ? dict_clone(settings) :
	    dict_new_dict());
	if (obj_commit(&d->groups, path, nv, err_r) == -1)
		goto fail;
	ne = xcalloc(1, sizeof(*ne));
	ne->kind = OBJ_GROUP;
	ne->name = xstrdup(name);
	ohash_put(&d->names, name, ne);
	obj_copy(cdom, sizeof(cdom), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_CREATED, OBJ_GROUP, name, cdom, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

int
objects_group_rename(struct objects *o, const char *name, const char *domain,
    const char *newname, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	char old[OBJECT_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv, *v;

	if (!objects_name_valid(newname))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	pthread_rwlock_wrlock(&o->lock);
	if ((ne = grp_get(o->st, name, domain, &d, err_r)) == NULL ||
	    dom_name_free(d, newname, ne, err_r) == -1 ||
	    grp_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->groups);
	v = dict_clone(dict_get(nv, ne->name));
	dict_remove(nv, ne->name);
	dict_set(nv, newname, v);
	if (obj_commit(&d->groups, path, nv, err_r) == -1)
		goto fail;
	obj_copy(old, sizeof(old), ne->name);
	ohash_del(&d->names, ne->name);
	free(ne->name);
	ne->name = xstrdup(newname);
	ohash_put(&d->names, newname, ne);
	obj_copy(cdom, sizeof(cdom), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_RENAMED, OBJ_GROUP, newname, cdom, old);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

int
objects_group_delete(struct objects *o, const char *name, const char *domain,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	char cname[OBJECT_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv;

	pthread_rwlock_wrlock(&o->lock);
	if ((ne = grp_get(o->st, name, domain, &d, err_r)) == NULL ||
	    grp_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->groups);
	dict_remove(nv, ne->name);
	if (obj_commit(&d->groups, path, nv, err_r) == -1)
		goto fail;
	obj_copy(cname, sizeof(cname), ne->name);
	obj_copy(cdom, sizeof(cdom), d->name);
	nament_free(ohash_del(&d->names, name));
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_DELETED, OBJ_GROUP, cname, cdom, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

struct dval *
objects_group_get(struct objects *o, const char *name, const char *domain,
    struct error *err_r)
{
	const struct dval *v;
	struct dval *out = NULL;
	struct nament *ne;
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	if ((ne = grp_get(o->st, name, domain, &d, err_r)) != NULL) {
		v = dict_get(d->groups, ne->name);
		out = v != NULL ? dict_clone(v) : dict_new_dict();
	}
	pthread_rwlock_unlock(&o->lock);
	return out;
}

int
objects_group_set(struct objects *o, const char *name, const char *domain,
    const struct dval *settings, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	char cname[OBJECT_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv;

	if (settings == NULL)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	if (check_settings(settings, err_r) == -1)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	if ((ne = grp_get(o->st, name, domain, &d, err_r)) == NULL ||
	    grp_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->groups);
	dict_set(nv, ne->name, dict_clone(settings));
	if (obj_commit(&d->groups, path, nv, err_r) == -1)
		goto fail;
	obj_copy(cname, sizeof(cname), ne->name);
	obj_copy(cdom, sizeof(cdom), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_UPDATED, OBJ_GROUP, cname, cdom, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

struct dval *
objects_group_list(struct objects *o, const char *domain,
    struct error *err_r)
{
	struct dval *arr = NULL;
	struct nament *ne;
	struct domain *d;
	size_t i;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		arr = dict_new_array();
		for (i = 0; i < dict_len(d->groups); i++) {
			ne = ohash_get(&d->names, dict_key_at(d->groups, i));
			if (ne != NULL && ne->kind == OBJ_GROUP)
				dict_array_push_cstr(arr, ne->name);
		}
	}
	pthread_rwlock_unlock(&o->lock);
	return arr != NULL ? obj_sorted_array(arr) : NULL;
}
