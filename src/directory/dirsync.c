/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirsync.c: Directory Integration (see dirsync.h): the account hooks,
 * the records built from account settings, Insert All and Delete All.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "directory/directory.h"
#include "directory/dirsync.h"

static struct log_module log_dir = LOG_MODULE("DIRECTORY");

static pthread_mutex_t prog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dirsync_progress prog;

#define DIRSYNC_LOG_EVERY	10000	/* a progress line per this many records */

void
dirsync_account_dn(const char *name, const char *domain, char *buf,
    size_t size)
{
	(void)snprintf(buf, size, "uid=%s,cn=%s", name, domain);
}

void
dirsync_domain_dn(const char *domain, char *buf, size_t size)
{
	(void)snprintf(buf, size, "cn=%s", domain);
}

/* The canonical domain of domain (NULL: the main one). */
static int
canon_domain(struct objects *o, const char *domain, char *buf, size_t size)
{
	if (domain == NULL || *domain == '\0') {
		objects_main_domain(o, buf, size);
		return 0;
	}
	return objects_find_domain(o, domain, buf, size);
}

bool
dirsync_enabled(struct objects *o, const char *domain)
{
	struct dval *eff;
	const char *v;
	bool on = false;

	if ((eff = objects_domain_effective_get(o, domain, NULL)) == NULL)
		return false;
	v = dict_get_str(eff, "DirectoryIntegration");
	if (v != NULL && (strcasecmp(v, "Keep In Sync") == 0 ||
	    strcasecmp(v, "KeepInSync") == 0 ||
	    strcasecmp(v, "Synchronized") == 0))
		on = true;
	dict_free(&eff);
	return on;
}

/* The domain's AttributeRenaming table, or the default { RealName = cn }. */
static struct dval *
renaming_table(struct objects *o, const char *domain)
{
	struct dval *eff, *t, *copy = NULL;

	if ((eff = objects_domain_effective_get(o, domain, NULL)) != NULL) {
		t = dict_get(eff, "AttributeRenaming");
		if (t != NULL && dict_type(t) == DICT_DICT)
			copy = dict_clone(t);
		dict_free(&eff);
	}
	if (copy == NULL) {
		copy = dict_new_dict();
		dict_set_str(copy, "RealName", "cn");
	}
	return copy;
}

static struct dir_entry *
build_record(struct objects *o, const char *name, const char *domain,
    const struct dval *eff, const struct dval *ren)
{
	char dn[DIR_DN_MAX + 1], mail[ADDRESS_MAX + 1], host[DOMAIN_NAME_MAX + 1];
	struct dir_entry *e;
	const char *cn, *sp, *key, *attr, *v;
	char *word;
	size_t i;

	dirsync_account_dn(name, domain, dn, sizeof(dn));
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "person");
	dir_entry_add(e, "objectClass", "organizationalPerson");
	dir_entry_add(e, "objectClass", "inetOrgPerson");
	dir_entry_add(e, "uid", name);
	(void)snprintf(mail, sizeof(mail), "%s@%s", name, domain);
	dir_entry_add(e, "mail", mail);
	objects_main_domain(o, host, sizeof(host));
	dir_entry_add(e, "hostServer", host);
	/* Attribute Renaming: setting name -> attribute, on every write */
	for (i = 0; i < dict_len(ren); i++) {
		key = dict_key_at(ren, i);
		attr = dict_str(dict_value_at(ren, i), NULL);
		if (attr == NULL || *attr == '\0' ||
		    (v = dict_get_str(eff, key)) == NULL || *v == '\0')
			continue;
		dir_entry_remove(e, attr);
		dir_entry_add(e, attr, v);
	}
	if ((cn = dir_entry_get(e, "cn")) == NULL) {
		dir_entry_add(e, "cn", name);
		cn = name;
	}
	/* person needs sn: the last word of cn; givenName its first */
	if (dir_entry_get(e, "sn") == NULL) {
		sp = strrchr(cn, ' ');
		dir_entry_add(e, "sn", sp != NULL && sp[1] != '\0' ? sp + 1 :
		    cn);
	}
	if (dir_entry_get(e, "givenName") == NULL &&
	    (sp = strchr(cn, ' ')) != NULL && sp != cn) {
		word = xstrndup(cn, (size_t)(sp - cn));
		dir_entry_add(e, "givenName", word);
		free(word);
	}
	return e;
}

struct dir_entry *
dirsync_account_record(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	char cname[OBJECT_NAME_MAX + 1], cdom[DOMAIN_NAME_MAX + 1];
	struct dval *eff, *ren;
	struct dir_entry *e;

	if (objects_account_find(o, name, domain, cname, sizeof(cname), cdom,
	    sizeof(cdom), err_r) == -1 ||
	    (eff = objects_account_effective_get(o, cname, cdom, err_r)) ==
	    NULL)
		return NULL;
	ren = renaming_table(o, cdom);
	e = build_record(o, cname, cdom, eff, ren);
	dict_free(&ren);
	dict_free(&eff);
	return e;
}

static struct dir_entry *
domain_record(const char *domain)
{
	char dn[DIR_DN_MAX + 1];
	struct dir_entry *e;

	dirsync_domain_dn(domain, dn, sizeof(dn));
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "container");
	dir_entry_add(e, "cn", domain);
	return e;
}

/* ---- the hooks --------------------------------------------------------------- */

/* The objects the hooks read; set by dirsync_start(). */
static struct objects *hook_objects;

static int
check_record(void *arg, const char *name, const char *domain,
    struct error *err_r)
{
	struct directory *d = arg;
	char cname[OBJECT_NAME_MAX + 1], cdom[DOMAIN_NAME_MAX + 1];
	char dn[DIR_DN_MAX + 1];

	if (objects_account_find(hook_objects, name, domain, cname,
	    sizeof(cname), cdom, sizeof(cdom), NULL) == -1)
		return 0;		/* the update reports the account */
	if (!dirsync_enabled(hook_objects, cdom))
		return 0;
	dirsync_account_dn(cname, cdom, dn, sizeof(dn));
	if (directory_exists(d, dn))
		return 0;
	log_mod(&log_dir, LOG_PROBLEM, "%s: %s", dn, DIR_NOT_FOUND_ERROR);
	return error_set(err_r, ERR_NOTFOUND, DIR_NOT_FOUND_ERROR);
}

static void
ensure_domain(struct directory *d, const char *domain)
{
	char dn[DIR_DN_MAX + 1];
	struct dir_entry *e;
	struct error err;

	dirsync_domain_dn(domain, dn, sizeof(dn));
	if (directory_exists(d, dn))
		return;
	e = domain_record(domain);
	if (directory_put(d, e, true, &err) == -1)
		log_mod(&log_dir, LOG_FAILURE, "%s: %s", dn, err.msg);
	dir_entry_free(&e);
}

static void
account_changed(void *arg, enum objects_dir_event ev, const char *name,
    const char *domain, const char *oldname)
{
	struct directory *d = arg;
	char cdom[DOMAIN_NAME_MAX + 1], dn[DIR_DN_MAX + 1];
	struct dir_entry *e;
	struct error err;

	if (canon_domain(hook_objects, domain, cdom, sizeof(cdom)) == -1 ||
	    !dirsync_enabled(hook_objects, cdom))
		return;
	if (ev == OBJ_DIR_DELETED || ev == OBJ_DIR_RENAMED) {
		dirsync_account_dn(ev == OBJ_DIR_RENAMED ? oldname : name, cdom,
		    dn, sizeof(dn));
		if (directory_delete(d, dn, &err) == -1 &&
		    err.kind != ERR_NOTFOUND)
			log_mod(&log_dir, LOG_FAILURE, "%s: %s", dn, err.msg);
		else
			log_mod(&log_dir, LOG_LOW, "%s removed", dn);
		if (ev == OBJ_DIR_DELETED)
			return;
	}
	if ((e = dirsync_account_record(hook_objects, name, cdom, &err)) ==
	    NULL) {
		log_mod(&log_dir, LOG_FAILURE, "%s@%s: %s", name, cdom,
		    err.msg);
		return;
	}
	ensure_domain(d, cdom);
	if (directory_put(d, e, true, &err) == -1)
		log_mod(&log_dir, LOG_FAILURE, "%s: %s", e->dn, err.msg);
	else
		log_mod(&log_dir, LOG_LOW, "%s written", e->dn);
	dir_entry_free(&e);
}

static const struct objects_dir_hooks hooks = {
	check_record,
	account_changed
};

void
dirsync_start(struct objects *o, struct directory *d)
{
	log_register(&log_dir);
	hook_objects = o;
	objects_set_dir_hooks(o, &hooks, d);
}

void
dirsync_stop(struct objects *o)
{
	objects_set_dir_hooks(o, NULL, NULL);
}

/* ---- Insert All, Delete All ------------------------------------------------------ */

static int
begin_op(const char *op, const char *domain, size_t total,
    struct error *err_r)
{
	pthread_mutex_lock(&prog_lock);
	if (prog.running) {
		pthread_mutex_unlock(&prog_lock);
		return error_set(err_r, ERR_TEMP, "%s of %s is running, try "
		    "later", prog.operation, prog.domain);
	}
	memset(&prog, 0, sizeof(prog));
	(void)snprintf(prog.operation, sizeof(prog.operation), "%s", op);
	(void)snprintf(prog.domain, sizeof(prog.domain), "%s", domain);
	prog.total = total;
	prog.running = true;
	pthread_mutex_unlock(&prog_lock);
	log_mod(&log_dir, LOG_MAJOR, "%s %s: %zu records", op, domain, total);
	return 0;
}

static void
note_done(size_t done)
{
	pthread_mutex_lock(&prog_lock);
	prog.done = done;
	pthread_mutex_unlock(&prog_lock);
}

static void
end_op(size_t done, const struct error *err)
{
	char op[32], dom[256];
	size_t total;

	pthread_mutex_lock(&prog_lock);
	prog.done = done;
	prog.running = false;
	(void)snprintf(op, sizeof(op), "%s", prog.operation);
	(void)snprintf(dom, sizeof(dom), "%s", prog.domain);
	total = prog.total;
	pthread_mutex_unlock(&prog_lock);
	if (err != NULL)
		log_mod(&log_dir, LOG_FAILURE, "%s %s: %zu/%zu records, "
		    "failed: %s", op, dom, done, total, err->msg);
	else
		log_mod(&log_dir, LOG_MAJOR, "%s %s: %zu/%zu records done", op,
		    dom, done, total);
}

void
dirsync_progress(struct dirsync_progress *p)
{
	pthread_mutex_lock(&prog_lock);
	*p = prog;
	pthread_mutex_unlock(&prog_lock);
}

int
dirsync_insert_all(struct objects *o, struct directory *d,
    const char *domain, size_t *done_r, struct error *err_r)
{
	char cdom[DOMAIN_NAME_MAX + 1];
	struct dir_entry *batch[DIR_BATCH];
	struct dval *names, *eff, *ren;
	size_t n, i, nb = 0, done = 0;
	const char *name;
	int rc = 0;

	*done_r = 0;
	if (canon_domain(o, domain, cdom, sizeof(cdom)) == -1)
		return error_set(err_r, ERR_NOTFOUND, "unknown domain");
	if ((names = objects_account_list(o, cdom, err_r)) == NULL)
		return -1;
	n = dict_array_len(names);
	if (begin_op("InsertAll", cdom, n + 1, err_r) == -1) {
		dict_free(&names);
		return -1;
	}
	ren = renaming_table(o, cdom);
	batch[nb++] = domain_record(cdom);
	for (i = 0; rc == 0 && i <= n; i++) {
		if (i < n) {
			name = dict_str(dict_array_get(names, i), NULL);
			/* an account deleted meanwhile is skipped */
			if (name == NULL || (eff = objects_account_effective_get(
			    o, name, cdom, NULL)) == NULL)
				continue;
			batch[nb++] = build_record(o, name, cdom, eff, ren);
			dict_free(&eff);
		}
		if (nb == DIR_BATCH || (i == n && nb > 0)) {
			rc = directory_put_many(d, batch, nb, err_r);
			if (rc == 0)
				done += nb;
			while (nb > 0)
				dir_entry_free(&batch[--nb]);
			note_done(done);
			if (rc == 0 && done / DIRSYNC_LOG_EVERY !=
			    (done - DIR_BATCH) / DIRSYNC_LOG_EVERY &&
			    done >= DIRSYNC_LOG_EVERY)
				log_mod(&log_dir, LOG_LOW, "InsertAll %s: "
				    "%zu/%zu records", cdom, done, n + 1);
		}
	}
	while (nb > 0)
		dir_entry_free(&batch[--nb]);
	dict_free(&ren);
	dict_free(&names);
	end_op(done, rc == 0 ? NULL : err_r);
	*done_r = done;
	return rc;
}

int
dirsync_delete_all(struct objects *o, struct directory *d,
    const char *domain, size_t *done_r, struct error *err_r)
{
	char cdom[DOMAIN_NAME_MAX + 1], dn[DIR_DN_MAX + 1];
	struct dval *names;
	size_t total;
	int rc;

	*done_r = 0;
	if (canon_domain(o, domain, cdom, sizeof(cdom)) == -1)
		return error_set(err_r, ERR_NOTFOUND, "unknown domain");
	dirsync_domain_dn(cdom, dn, sizeof(dn));
	/* the total shown while it runs: the domain record and its
	 * accounts' (records added by LDAP clients may add to it) */
	if ((names = objects_account_list(o, cdom, err_r)) == NULL)
		return -1;
	total = dict_array_len(names) + 1;
	dict_free(&names);
	if (begin_op("DeleteAll", cdom, total, err_r) == -1)
		return -1;
	rc = directory_delete_subtree(d, dn, done_r, err_r);
	end_op(*done_r, rc == 0 ? NULL : err_r);
	return rc;
}
