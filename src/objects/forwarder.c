/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forwarder.c: forwarders -- domain objects that pass mail for their name to
 * another address (CLI CreateForwarder f TO "addr").  A domain's forwarders
 * live in its Forwarders.settings dictionary (name = address) and share the
 * domain's name table with accounts and aliases.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

static int
fwd_path(struct domain *d, char *buf, size_t size, struct error *err_r)
{
	return obj_path(buf, size, err_r, "%s/Forwarders.settings", d->dir);
}

int
objects_forwarder_create(struct objects *o, const char *name,
    const char *domain, const char *address, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	struct nament *ne;
	struct domain *d;
	struct dval *nv;
	size_t len = strlen(address);

	if (!objects_name_valid(name))
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	if (len == 0 || len > ADDRESS_MAX || strpbrk(address, "\r\n") != NULL)
		return error_set(err_r, ERR_SYNTAX, "illegal address");
	pthread_rwlock_wrlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) == NULL ||
	    dom_name_free(d, name, NULL, err_r) == -1 ||
	    fwd_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->forwarders);
	dict_set_str(nv, name, address);
	if (obj_commit(&d->forwarders, path, nv, err_r) == -1)
		goto fail;
	ne = xcalloc(1, sizeof(*ne));
	ne->kind = OBJ_FORWARDER;
	ne->name = xstrdup(name);
	ohash_put(&d->names, name, ne);
	obj_copy(path, sizeof(path), d->name);
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_CREATED, OBJ_FORWARDER, name, path, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

static struct nament *
fwd_get(struct objstate *st, const char *name, const char *domain,
    struct domain **d_r, struct error *err_r)
{
	struct nament *ne;

	if ((*d_r = dom_get(st, domain, err_r)) == NULL)
		return NULL;
	ne = ohash_get(&(*d_r)->names, name);
	if (ne == NULL || ne->kind != OBJ_FORWARDER) {
		error_set(err_r, ERR_NOTFOUND, "unknown forwarder");
		return NULL;
	}
	return ne;
}

int
objects_forwarder_delete(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX], cname[OBJECT_NAME_MAX + 1];
	struct nament *ne;
	struct domain *d;
	struct dval *nv;

	pthread_rwlock_wrlock(&o->lock);
	if ((ne = fwd_get(o->st, name, domain, &d, err_r)) == NULL ||
	    fwd_path(d, path, sizeof(path), err_r) == -1)
		goto fail;
	nv = dict_clone(d->forwarders);
	dict_remove(nv, ne->name);
	if (obj_commit(&d->forwarders, path, nv, err_r) == -1)
		goto fail;
	obj_copy(cname, sizeof(cname), ne->name);
	obj_copy(path, sizeof(path), d->name);
	nament_free(ohash_del(&d->names, name));
	pthread_rwlock_unlock(&o->lock);
	obj_dir_object(o, OBJ_DIR_DELETED, OBJ_FORWARDER, cname, path, NULL);
	return 0;
fail:
	pthread_rwlock_unlock(&o->lock);
	return -1;
}

int
objects_forwarder_get(struct objects *o, const char *name, const char *domain,
    char *buf, size_t size, struct error *err_r)
{
	struct nament *ne;
	struct domain *d;
	const char *s;

	pthread_rwlock_rdlock(&o->lock);
	if ((ne = fwd_get(o->st, name, domain, &d, err_r)) != NULL) {
		s = dict_get_str(d->forwarders, ne->name);
		obj_copy(buf, size, s != NULL ? s : "");
	}
	pthread_rwlock_unlock(&o->lock);
	return ne != NULL ? 0 : -1;
}

struct dval *
objects_forwarder_list(struct objects *o, const char *domain,
    struct error *err_r)
{
	struct dval *arr = NULL;
	struct nament *ne;
	struct domain *d;
	size_t i;

	pthread_rwlock_rdlock(&o->lock);
	if ((d = dom_get(o->st, domain, err_r)) != NULL) {
		arr = dict_new_array();
		for (i = 0; i < dict_len(d->forwarders); i++) {
			ne = ohash_get(&d->names, dict_key_at(d->forwarders,
			    i));
			if (ne != NULL && ne->kind == OBJ_FORWARDER)
				dict_array_push_cstr(arr, ne->name);
		}
	}
	pthread_rwlock_unlock(&o->lock);
	return arr != NULL ? obj_sorted_array(arr) : NULL;
}
