/* SPDX-License-Identifier: Apache-2.0 */
/*
 * domrec.c: the named records of a domain -- forwarders (forwarder.c) and
 * groups (group.c).  Each kind keeps its records in one dictionary of the
 * domain, read from and written to <domain dir>/<file> (name = value), and
 * every record is also an entry of the domain's name table, which it shares
 * with accounts, aliases and the other kinds.  A struct domrec_kind names
 * the kind, its file, its dictionary in struct domain and what a loaded
 * value must look like; these functions do the rest: the path, indexing at
 * load, create, rename, set, delete, read and list, each under o->lock,
 * writing the file before memory changes, and telling the directory hooks.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

struct dval **
domrec_slot(const struct domrec_kind *k, struct domain *d)
{
	return (struct dval **)(void *)((char *)d + k->field);
}

int
domrec_path(const struct domrec_kind *k, const struct domain *d, char *buf,
    size_t size, struct error *err_r)
{
	return obj_path(buf, size, err_r, "%s/%s", d->dir, k->file);
}

static void
add_name(const struct domrec_kind *k, struct domain *d, const char *name)
{
	struct nament *ne;

	ne = xcalloc(1, sizeof(*ne));
	ne->kind = k->kind;
	ne->name = xstrdup(name);
	ohash_put(&d->names, name, ne);
}

void
domrec_index(const struct domrec_kind *k, struct domain *d)
{
	const struct dval *recs = *domrec_slot(k, d);
	const char *name;
	size_t i;

	for (i = 0; i < dict_len(recs); i++) {
		name = dict_key_at(recs, i);
		if (!objects_name_valid(name) ||
		    ohash_get(&d->names, name) != NULL ||
		    !k->valid(dict_value_at(recs, i)))
			continue;
		add_name(k, d, name);
	}
}

struct nament *
domrec_get(const struct domrec_kind *k, struct objstate *st,
    const char *name, const char *domain, struct domain **d_r,
    struct error *err_r)
{
	struct nament *ne;

	if ((*d_r = dom_get(st, domain, err_r)) == NULL)
		return NULL;
	ne = ohash_get(&(*d_r)->names, name);
	if (ne == NULL || ne->kind != k->kind) {
		error_set(err_r, ERR_NOTFOUND, "%s", k->unknown);
		return NULL;
	}
	return ne;
}

int
domrec_rename(struct objects *o, const struct domrec_kind *k,
    const char *name, const char *domain, const char *newname,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	char old[OBJECT_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv, *v;

	if (!objects_name_valid(newname))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	pthread_rwlock_wrlock(&o->lock);
	if ((ne = domrec_get(k, o->st, name, domain, &d, err_r)) == NULL ||
	    dom_name_free(d, newname, ne, err_r) == -1 ||
	    domrec_path(k, d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(*domrec_slot(k, d));
	v = dict_clone(dict_get(nv, ne->name));
	dict_remove(nv, ne->name);
	dict_set(nv, newname, v);
	if (obj_commit(domrec_slot(k, d), path, nv, err_r) == -1)
		goto fail;
	obj_copy(old, sizeof(old), ne->name);
	ohash_del(&d->names, ne->name);
	free(ne->name);
	ne->name = xstrdup(newname);
	ohash_put(&d->names, newname, ne);
	obj_copy(cdom, sizeof(cdom), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_RENAMED, k->kind, newname, cdom, old);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

/* The changes of one record's value: CREATED adds the record (the name
 * must be free in the domain), UPDATED replaces its value, DELETED removes
 * it (value NULL).  value is owned, freed on failure. */
static int
change(struct objects *o, const struct domrec_kind *k, const char *name,
    const char *domain, enum objects_dir_event ev, struct dval *value,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cdom[DOMAIN_NAME_MAX + 1];
	char cname[OBJECT_NAME_MAX + 1];
	struct nament *ne = NULL;
	struct domain *d;
	struct dval *nv;

	pthread_rwlock_wrlock(&o->lock);
	if (ev == OBJ_DIR_CREATED) {
		if ((d = dom_get(o->st, domain, err_r)) == NULL ||
		    dom_name_free(d, name, NULL, err_r) == -1)
			goto fail;
	} else if ((ne = domrec_get(k, o->st, name, domain, &d,
	    err_r)) == NULL)
		goto fail;
	if (domrec_path(k, d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(*domrec_slot(k, d));
	if (ev == OBJ_DIR_DELETED)
		dict_remove(nv, ne->name);
	else
		dict_set(nv, ne != NULL ? ne->name : name, value);
	value = NULL;
	if (obj_commit(domrec_slot(k, d), path, nv, err_r) == -1)
		goto fail;
	obj_copy(cname, sizeof(cname), ne != NULL ? ne->name : name);
	obj_copy(cdom, sizeof(cdom), d->name);
	if (ev == OBJ_DIR_CREATED)
		add_name(k, d, name);
	else if (ev == OBJ_DIR_DELETED)
		nament_free(ohash_del(&d->names, name));
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, ev, k->kind, cname, cdom, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	dict_free(&value);
	return -1;
}

int
domrec_create(struct objects *o, const struct domrec_kind *k,
    const char *name, const char *domain, struct dval *value,
    struct error *err_r)
{
	if (!objects_name_valid(name)) {
		dict_free(&value);
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	}
	if (k->check(value, err_r) == -1) {
		dict_free(&value);
		return -1;
	}
	return change(o, k, name, domain, OBJ_DIR_CREATED, value, err_r);
}

int
domrec_set(struct objects *o, const struct domrec_kind *k, const char *name,
    const char *domain, struct dval *value, struct error *err_r)
{
	if (k->check(value, err_r) == -1) {
		dict_free(&value);
		return -1;
	}
	return change(o, k, name, domain, OBJ_DIR_UPDATED, value, err_r);
}

int
domrec_delete(struct objects *o, const struct domrec_kind *k,
    const char *name, const char *domain, struct error *err_r)
{
	return change(o, k, name, domain, OBJ_DIR_DELETED, NULL, err_r);
}

struct dval *
domrec_value(struct objects *o, const struct domrec_kind *k,
    const char *name, const char *domain, struct error *err_r)
{
	const struct dval *v;
	struct dval *out = NULL;
	struct nament *ne;
	struct domain *d;

	pthread_rwlock_rdlock(&o->lock);
	if ((ne = domrec_get(k, o->st, name, domain, &d, err_r)) != NULL) {
		v = dict_get(*domrec_slot(k, d), ne->name);
		out = v != NULL ? dict_clone(v) : dict_new_dict();
	}
	pthread_rwlock_unlock(&o->lock);
	return out;
}

struct dval *
domrec_list(struct objects *o, const struct domrec_kind *k,
    const char *domain, struct error *err_r)
{
	const struct dval *recs;
	struct dval *arr = NULL;
	struct nament *ne;
	struct domain *d;
	size_t i;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		arr = dict_new_array();
		recs = *domrec_slot(k, d);
		for (i = 0; i < dict_len(recs); i++) {
			ne = ohash_get(&d->names, dict_key_at(recs, i));
			if (ne != NULL && ne->kind == k->kind)
				dict_array_push_cstr(arr, ne->name);
		}
	}
	pthread_rwlock_unlock(&o->lock);
	return arr != NULL ? obj_sorted_array(arr) : NULL;
}
