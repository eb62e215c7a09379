/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings_file.c: the named settings files of the server, its domains and
 * its accounts behind one get/set/update (objects_settings_file_*).  Each
 * file is one entry of sfiles[]: where it lives, which part of the file it
 * is (a nested dictionary), which keys other functions own, and what a
 * write must also do (check the settings tables, parse IPAddresses, hash a
 * Password).  Adding a settings file is one entry here and one constant in
 * objects.h; the CLI's Get/Set/Update commands come from its own table
 * (cli_commands.c, sfile_cmds).
 */
#include "lib/compat.h"

#include <stddef.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/iplist.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

#define SF_TABLES	0x01	/* checked by the tables registered for it */
#define SF_IPADDRESSES	0x02	/* IPAddresses parsed into the domain */
#define SF_PASSWORD	0x04	/* a Password in clear is hashed */
#define SF_ACCOUNT	0x08	/* account settings: values checked
				 * (obj_account_settings_check) */

struct sfile {
	const char	*name;		/* "ServerSettings" */
	enum obj_scope	 scope;
	const char	*file;		/* below Settings/, the domain folder or
					 * the account folder */
	const char	*key;		/* nested dictionary; NULL: all of it */
	const char *const *kept;	/* top-level keys a write keeps as
					 * stored (NULL-terminated) */
	const char *const *hidden;	/* top-level keys get leaves out */
	unsigned	 flags;
	size_t		 slot;		/* the parsed file in its owner:
					 * objstate, domain or account */
};

static const char *const main_kept[] = { "DomainName", NULL };
static const char *const ddef_kept[] = { "AccountDefaults", NULL };
static const char *const dom_kept[] = { "DomainAliases", "AccountDefaults",
    "AccountPrefs", NULL };
static const char *const dom_hidden[] = { "AccountDefaults", "AccountPrefs",
    NULL };

#define SRV(f)	offsetof(struct objstate, f)
#define DOM(f)	offsetof(struct domain, f)
#define ACC(f)	offsetof(struct account, f)

static const struct sfile sfiles[OBJ_SF_COUNT] = {
	[OBJ_SF_SERVER_SETTINGS] = { "ServerSettings", OBJ_SCOPE_SERVER,
	    "Main.settings", NULL, main_kept, NULL, SF_TABLES, SRV(main) },
	[OBJ_SF_DOMAIN_DEFAULTS] = { "DomainDefaults", OBJ_SCOPE_SERVER,
	    "DomainDefault.settings", NULL, ddef_kept, ddef_kept, SF_TABLES,
	    SRV(ddef) },
	[OBJ_SF_SERVER_ACCOUNT_DEFAULTS] = { "ServerAccountDefaults",
	    OBJ_SCOPE_SERVER, "DomainDefault.settings", "AccountDefaults",
	    NULL, NULL, SF_TABLES | SF_ACCOUNT, SRV(ddef) },
	[OBJ_SF_SERVER_ACCOUNT_PREFS] = { "ServerAccountPrefs",
	    OBJ_SCOPE_SERVER, "WebUserPrefs.settings", NULL, NULL, NULL,
	    SF_TABLES, SRV(uprefs) },
	[OBJ_SF_PROTECTION] = { "Protection", OBJ_SCOPE_SERVER,
	    "Protection.settings", NULL, NULL, NULL, SF_TABLES,
	    SRV(protection) },
	[OBJ_SF_DOMAIN_SETTINGS] = { "DomainSettings", OBJ_SCOPE_DOMAIN,
	    "domain.settings", NULL, dom_kept, dom_hidden, SF_IPADDRESSES,
	    DOM(settings) },
	[OBJ_SF_DOMAIN_ACCOUNT_DEFAULTS] = { "AccountDefaults",
	    OBJ_SCOPE_DOMAIN, "domain.settings", "AccountDefaults", NULL,
	    NULL, SF_ACCOUNT, DOM(settings) },
	[OBJ_SF_DOMAIN_ACCOUNT_PREFS] = { "AccountDefaultPrefs",
	    OBJ_SCOPE_DOMAIN, "domain.settings", "AccountPrefs", NULL, NULL,
	    0, DOM(settings) },
	[OBJ_SF_ACCOUNT_TEMPLATE] = { "AccountTemplate", OBJ_SCOPE_DOMAIN,
	    "AccountTemplate.settings", NULL, NULL, NULL, SF_ACCOUNT,
	    DOM(templ) },
	[OBJ_SF_ACCOUNT_SETTINGS] = { "AccountSettings", OBJ_SCOPE_ACCOUNT,
	    "account.settings", NULL, NULL, NULL, SF_PASSWORD | SF_ACCOUNT,
	    ACC(settings) },
	[OBJ_SF_ACCOUNT_PREFS] = { "AccountPrefs", OBJ_SCOPE_ACCOUNT,
	    "account.prefs", NULL, NULL, NULL, 0, ACC(prefs) },
};

#undef SRV
#undef DOM
#undef ACC

const char *
objects_settings_file_name(enum obj_settings_file which)
{
	if ((unsigned)which >= OBJ_SF_COUNT)
		return "?";
	return sfiles[which].name;
}

enum obj_scope
objects_settings_file_scope(enum obj_settings_file which)
{
	if ((unsigned)which >= OBJ_SF_COUNT)
		return OBJ_SCOPE_SERVER;
	return sfiles[which].scope;
}

/* The parsed file of f's owner (o->lock held) and its path; the owner's
 * domain, when it has one, in *d_r. */
static struct dval **
sfile_slot(struct objects *o, const struct sfile *f, const char *name,
    const char *domain, char *path, size_t size, struct domain **d_r,
    struct error *err_r)
{
	struct account *a;
	struct domain *d;
	char *owner;
	int rc;

	switch (f->scope) {
	case OBJ_SCOPE_SERVER:
		owner = (char *)o->st;
		rc = obj_path(path, size, err_r, "%s/Settings/%s", o->base,
		    f->file);
		break;
	case OBJ_SCOPE_DOMAIN:
		if ((d = dom_get(o->st, domain, err_r)) == NULL)
			return NULL;
		*d_r = d;
		owner = (char *)d;
		rc = obj_path(path, size, err_r, "%s/%s", d->dir, f->file);
		break;
	default:
		if ((a = acct_get(o->st, name, domain, err_r)) == NULL)
			return NULL;
		*d_r = a->dom;
		owner = (char *)a;
		rc = acct_dir(a, path, size, err_r);
		if (rc == 0)
			rc = obj_path(path + strlen(path), size - strlen(path),
			    err_r, "/%s", f->file);
		break;
	}
	if (rc == -1)
		return NULL;
	return (struct dval **)(void *)(owner + f->slot);
}

struct dval *
objects_settings_file_get(struct objects *o, enum obj_settings_file which,
    const char *name, const char *domain, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	const struct sfile *f;
	const struct dval *sub;
	const char *const *k;
	struct domain *d = NULL;
	struct dval **slot, *v = NULL;

	if ((unsigned)which >= OBJ_SF_COUNT) {
		error_set(err_r, ERR_INTERNAL, "unknown settings file");
		return NULL;
	}
	f = &sfiles[which];
	pthread_rwlock_rdlock(&o->lock);
	slot = sfile_slot(o, f, name, domain, path, sizeof(path), &d, err_r);
	if (slot != NULL && f->key != NULL) {
		sub = dict_get(*slot, f->key);
		v = sub != NULL && dict_type(sub) == DICT_DICT ?
		    dict_clone(sub) : dict_new_dict();
	} else if (slot != NULL)
		v = dict_clone(*slot);
	pthread_rwlock_unlock(&o->lock);
	for (k = f->hidden; v != NULL && k != NULL && *k != NULL; k++)
		dict_remove(v, *k);
	return v;
}

/* The whole new file: in set or merged into f's part of cur, with f's
 * kept keys as stored. */
static struct dval *
sfile_merge(const struct sfile *f, const struct dval *cur,
    const struct dval *in, bool update, struct error *err_r)
{
	const struct dval *kept;
	const char *const *k;
	struct dval *nv, *sub;

	if (f->key != NULL) {
		if ((sub = obj_merge(dict_get(cur, f->key), in, update,
		    err_r)) == NULL)
			return NULL;
		nv = dict_clone(cur);
		if (dict_len(sub) > 0)
			dict_set(nv, f->key, sub);
		else {
			dict_free(&sub);
			dict_remove(nv, f->key);
		}
		return nv;
	}
	if ((nv = obj_merge(cur, in, update, err_r)) == NULL)
		return NULL;
	for (k = f->kept; k != NULL && *k != NULL; k++) {
		if ((kept = dict_get(cur, *k)) != NULL)
			dict_set(nv, *k, dict_clone(kept));
		else
			dict_remove(nv, *k);
	}
	return nv;
}

static int
sfile_write(struct objects *o, enum obj_settings_file which,
    const char *name, const char *domain, const struct dval *in, bool update,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX];
	const struct sfile *f;
	struct dval **slot, *nv = NULL, *hashed = NULL;
	struct iplist *ips = NULL;
	struct domain *d = NULL;
	bool all = false;
	int rc = -1;

	if ((unsigned)which >= OBJ_SF_COUNT)
		return error_set(err_r, ERR_INTERNAL, "unknown settings file");
	f = &sfiles[which];
	if (in == NULL || dict_type(in) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	if ((f->flags & SF_ACCOUNT) &&
	    obj_account_settings_check(in, err_r) == -1)
		return -1;
	/* Hashing is slow: before the lock. */
	if ((f->flags & SF_PASSWORD) &&
	    obj_settings_hash_password(in, &hashed, err_r) == -1)
		return -1;
	if (hashed != NULL)
		in = hashed;
	/* B12: with Directory Integration on, a change of an account's
	 * settings needs its directory record. */
	if (which == OBJ_SF_ACCOUNT_SETTINGS &&
	    obj_dir_check(o, name, domain, err_r) == -1) {
		dict_free(&hashed);
		return -1;
	}
	pthread_rwlock_wrlock(&o->lock);
	if ((slot = sfile_slot(o, f, name, domain, path, sizeof(path), &d,
	    err_r)) == NULL ||
	    (nv = sfile_merge(f, *slot, in, update, err_r)) == NULL)
		goto out;
	if ((f->flags & SF_IPADDRESSES) &&
	    dom_parse_ips(nv, d->is_main, &ips, &all, err_r) == -1)
		goto out;
	/* A bad value for a registered table (Protection) leaves the file
	 * and the snapshots as they were. */
	if ((f->flags & SF_TABLES) && obj_modfile_check(o, f->file, nv,
	    err_r) == -1)
		goto out;
	rc = obj_commit(slot, path, nv, err_r);
	nv = NULL;
	if (rc == -1)
		goto out;
	if (f->flags & SF_IPADDRESSES) {
		iplist_free(&d->ips);
		d->ips = ips;
		d->ips_all = all;
		ips = NULL;
	}
	if (f->flags & SF_TABLES)
		obj_modfile_changed(o, f->file, *slot);
out:
	pthread_rwlock_unlock(&o->lock);
	dict_free(&nv);
	dict_free(&hashed);
	iplist_free(&ips);
	if (rc == 0 && which == OBJ_SF_ACCOUNT_SETTINGS)
		obj_dir_changed(o, OBJ_DIR_UPDATED, name, domain, NULL);
	return rc;
}

int
objects_settings_file_set(struct objects *o, enum obj_settings_file which,
    const char *name, const char *domain, const struct dval *d,
    struct error *err_r)
{
	return sfile_write(o, which, name, domain, d, false, err_r);
}

int
objects_settings_file_update(struct objects *o, enum obj_settings_file which,
    const char *name, const char *domain, const struct dval *d,
    struct error *err_r)
{
	return sfile_write(o, which, name, domain, d, true, err_r);
}
