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

/* What the integration owns in each kind of record it writes: the rest
 * of a record (attributes an administrator added over LDAP) survives its
 * rewrites (directory_merge_many). */
static const char *const domain_owned[] = { "cn", "associatedDomain" };
static const char *const forwarder_owned[] = {
	"cn", "mail", "mailForwardingAddress"
};
static const char *const group_owned[] = {
	"cn", "mail", "member", "description"
};
static const char *const account_owned[] = {
	"uid", "mail", "cn", "sn", "givenName", "hostServer"
};

/* The account records' owned set: account_owned and the attributes the
 * renaming table names; free with owned_free(). */
static struct dir_owned *
account_owned_set(const struct dval *ren)
{
	struct dir_owned *own = xcalloc(1, sizeof(*own));
	const char **v;
	const char *a;
	size_t i, n = 0;

	v = xcalloc(N_ELEMENTS(account_owned) + dict_len(ren) + 1,
	    sizeof(*v));
	for (i = 0; i < N_ELEMENTS(account_owned); i++)
		v[n++] = account_owned[i];
	for (i = 0; i < dict_len(ren); i++)
		if ((a = dict_str(dict_value_at(ren, i), NULL)) != NULL &&
		    *a != '\0')
			v[n++] = a;
	own->names = v;
	own->n = n;
	return own;
}

static void
owned_free(struct dir_owned **op)
{
	if (*op == NULL)
		return;
	free((void *)(*op)->names);
	free(*op);
	*op = NULL;
}

static const struct dir_owned own_domain = {
	domain_owned, N_ELEMENTS(domain_owned)
};
static const struct dir_owned own_forwarder = {
	forwarder_owned, N_ELEMENTS(forwarder_owned)
};
static const struct dir_owned own_group = {
	group_owned, N_ELEMENTS(group_owned)
};

/* cn=<domain>: a container; its domain aliases as associatedDomain
 * (RFC 4524, with the domainRelatedObject class). */
static struct dir_entry *
domain_record(struct objects *o, const char *domain)
{
	char dn[DIR_DN_MAX + 1];
	struct dir_entry *e;
	struct dval *al;
	const char *a;
	size_t i;

	dirsync_domain_dn(domain, dn, sizeof(dn));
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "container");
	dir_entry_add(e, "cn", domain);
	if ((al = objects_domain_aliases_get(o, domain, NULL)) != NULL) {
		for (i = 0; i < dict_array_len(al); i++)
			if ((a = dict_str(dict_array_get(al, i), NULL)) !=
			    NULL) {
				if (dir_entry_get(e, "associatedDomain") ==
				    NULL)
					dir_entry_add(e, "objectClass",
					    "domainRelatedObject");
				dir_entry_add(e, "associatedDomain", a);
			}
		dict_free(&al);
	}
	return e;
}

void
dirsync_object_dn(const char *name, const char *domain, char *buf,
    size_t size)
{
	(void)snprintf(buf, size, "cn=%s,cn=%s", name, domain);
}

/* cn=<name>,cn=<domain> of a forwarder: inetLocalMailRecipient with its
 * address (mail) and where it forwards to (mailForwardingAddress). */
static struct dir_entry *
forwarder_record(struct objects *o, const char *name, const char *domain)
{
	char dn[DIR_DN_MAX + 1], mail[ADDRESS_MAX + 1], to[ADDRESS_MAX + 1];
	struct dir_entry *e;

	if (objects_forwarder_get(o, name, domain, to, sizeof(to), NULL) ==
	    -1)
		return NULL;
	dirsync_object_dn(name, domain, dn, sizeof(dn));
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "inetLocalMailRecipient");
	dir_entry_add(e, "cn", name);
	(void)snprintf(mail, sizeof(mail), "%s@%s", name, domain);
	dir_entry_add(e, "mail", mail);
	dir_entry_add(e, "mailForwardingAddress", to);
	return e;
}

int
dirsync_member_dn(struct objects *o, const char *member, const char *domain,
    char *buf, size_t size)
{
	char name[ADDRESS_MAX + 1], cdom[DOMAIN_NAME_MAX + 1];
	char target[ADDRESS_MAX + 1];
	const char *at;

	at = strrchr(member, '@');
	if (at == NULL) {
		(void)snprintf(name, sizeof(name), "%s", member);
		(void)snprintf(cdom, sizeof(cdom), "%s", domain);
	} else {
		(void)snprintf(name, sizeof(name), "%.*s", (int)(at - member),
		    member);
		if (objects_find_domain(o, at + 1, cdom, sizeof(cdom)) == -1)
			return -1;	/* not ours */
	}
	switch (objects_find_object(o, cdom, name, target, sizeof(target))) {
	case OBJ_ACCOUNT:
	case OBJ_ALIAS:
		dirsync_account_dn(target, cdom, buf, size);
		return 0;
	case OBJ_FORWARDER:
		dirsync_object_dn(name, cdom, buf, size);
		return 0;
	case OBJ_GROUP:
		dirsync_object_dn(target, cdom, buf, size);
		return 0;
	default:
		return -1;
	}
}

/* cn=<name>,cn=<domain> of a group: groupOfNames with the DNs of its
 * members that are objects of our domains as member (other addresses
 * have no record), its address as mail, RealName as description. */
static struct dir_entry *
group_record(struct objects *o, const char *name, const char *domain)
{
	char dn[DIR_DN_MAX + 1], mail[ADDRESS_MAX + 1];
	struct dir_entry *e;
	const struct dval *m;
	struct dval *g;
	const char *v;
	size_t i;

	if ((g = objects_group_get(o, name, domain, NULL)) == NULL)
		return NULL;
	dirsync_object_dn(name, domain, dn, sizeof(dn));
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "groupOfNames");
	dir_entry_add(e, "objectClass", "extensibleObject");
	dir_entry_add(e, "cn", name);
	(void)snprintf(mail, sizeof(mail), "%s@%s", name, domain);
	dir_entry_add(e, "mail", mail);
	if ((v = dict_get_str(g, "RealName")) != NULL && *v != '\0')
		dir_entry_add(e, "description", v);
	m = dict_get(g, "Members");
	for (i = 0; i < dict_array_len(m); i++) {
		v = dict_str(dict_array_get(m, i), NULL);
		if (v != NULL && dirsync_member_dn(o, v, domain, dn,
		    sizeof(dn)) == 0 && !dir_entry_has_value(e, "member", dn))
			dir_entry_add(e, "member", dn);
	}
	dict_free(&g);
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
	e = domain_record(hook_objects, domain);
	if (directory_merge_many(d, &e, 1, &own_domain, &err) == -1)
		log_mod(&log_dir, LOG_FAILURE, "%s: %s", dn, err.msg);
	dir_entry_free(&e);
}

static void
remove_record(struct directory *d, const char *dn)
{
	struct error err;

	if (directory_delete(d, dn, &err) == -1) {
		if (err.kind != ERR_NOTFOUND)
			log_mod(&log_dir, LOG_FAILURE, "%s: %s", dn, err.msg);
	} else
		log_mod(&log_dir, LOG_LOW, "%s removed", dn);
}

static void
write_record(struct directory *d, struct dir_entry *e,
    const struct dir_owned *own)
{
	struct error err;

	if (directory_merge_many(d, &e, 1, own, &err) == -1)
		log_mod(&log_dir, LOG_FAILURE, "%s: %s", e->dn, err.msg);
	else
		log_mod(&log_dir, LOG_LOW, "%s written", e->dn);
}

/* Rewrites the records of the groups of cdom: their member DNs follow
 * an account renamed or deleted (as the groups' delivery does). */
static void
refresh_groups(struct directory *d, const char *cdom)
{
	struct dval *grps;
	struct dir_entry *e;
	const char *g;
	size_t i;

	if ((grps = objects_group_list(hook_objects, cdom, NULL)) == NULL)
		return;
	for (i = 0; i < dict_array_len(grps); i++)
		if ((g = dict_str(dict_array_get(grps, i), NULL)) != NULL &&
		    (e = group_record(hook_objects, g, cdom)) != NULL) {
			write_record(d, e, &own_group);
			dir_entry_free(&e);
		}
	dict_free(&grps);
}

static void
account_changed(void *arg, enum objects_dir_event ev, const char *name,
    const char *domain, const char *oldname)
{
	struct directory *d = arg;
	char cdom[DOMAIN_NAME_MAX + 1], dn[DIR_DN_MAX + 1];
	struct dir_owned *own;
	struct dir_entry *e;
	struct dval *ren;
	struct error err;
	size_t n;

	if (canon_domain(hook_objects, domain, cdom, sizeof(cdom)) == -1 ||
	    !dirsync_enabled(hook_objects, cdom))
		return;
	if (ev == OBJ_DIR_DELETED) {
		dirsync_account_dn(name, cdom, dn, sizeof(dn));
		remove_record(d, dn);
		refresh_groups(d, cdom);
		return;
	}
	if (ev == OBJ_DIR_RENAMED) {
		/* the record moves (keeping what LDAP added), then is
		 * rewritten for the new name */
		char ndn[DIR_DN_MAX + 1];

		dirsync_account_dn(oldname, cdom, dn, sizeof(dn));
		dirsync_account_dn(name, cdom, ndn, sizeof(ndn));
		if (directory_move_subtree(d, dn, ndn, &n, &err) == -1 &&
		    err.kind != ERR_NOTFOUND) {
			log_mod(&log_dir, LOG_PROBLEM, "%s: %s", dn, err.msg);
			remove_record(d, dn);
		}
	}
	if ((e = dirsync_account_record(hook_objects, name, cdom, &err)) ==
	    NULL) {
		log_mod(&log_dir, LOG_FAILURE, "%s@%s: %s", name, cdom,
		    err.msg);
		return;
	}
	ensure_domain(d, cdom);
	ren = renaming_table(hook_objects, cdom);
	own = account_owned_set(ren);
	write_record(d, e, own);
	owned_free(&own);
	dict_free(&ren);
	dir_entry_free(&e);
	if (ev == OBJ_DIR_RENAMED)
		refresh_groups(d, cdom);
}

static void
object_changed(void *arg, enum objects_dir_event ev, enum obj_kind kind,
    const char *name, const char *domain, const char *oldname)
{
	struct directory *d = arg;
	char dn[DIR_DN_MAX + 1];
	struct dir_entry *e;

	if (!dirsync_enabled(hook_objects, domain))
		return;
	if (ev == OBJ_DIR_DELETED || ev == OBJ_DIR_RENAMED) {
		dirsync_object_dn(ev == OBJ_DIR_RENAMED ? oldname : name,
		    domain, dn, sizeof(dn));
		remove_record(d, dn);
		if (ev == OBJ_DIR_DELETED)
			return;
	}
	e = kind == OBJ_GROUP ? group_record(hook_objects, name, domain) :
	    forwarder_record(hook_objects, name, domain);
	if (e == NULL)
		return;			/* gone meanwhile */
	ensure_domain(d, domain);
	write_record(d, e, kind == OBJ_GROUP ? &own_group : &own_forwarder);
	dir_entry_free(&e);
}

static int	refresh_domain(struct objects *o, struct directory *d,
		    const char *cdom, bool progress, size_t *done_r,
		    struct error *err_r);
static void	move_domain(struct directory *d, const char *domain,
		    const char *oldname);

static void
domain_changed(void *arg, enum objects_dir_event ev, const char *domain,
    const char *oldname, const struct dval *eff)
{
	struct directory *d = arg;
	char dn[DIR_DN_MAX + 1];
	struct dval *doms;
	struct dir_entry *e;
	struct error err;
	const char *v;
	size_t n, i;
	bool on;

	if (ev == OBJ_DIR_DELETED) {
		v = eff != NULL ? dict_get_str(eff, "DirectoryIntegration") :
		    NULL;
		if (v == NULL || (strcasecmp(v, "Keep In Sync") != 0 &&
		    strcasecmp(v, "KeepInSync") != 0 &&
		    strcasecmp(v, "Synchronized") != 0))
			return;
		dirsync_domain_dn(domain, dn, sizeof(dn));
		if (directory_delete_subtree(d, dn, &n, &err) == -1)
			log_mod(&log_dir, LOG_FAILURE, "%s: %s", dn, err.msg);
		else
			log_mod(&log_dir, LOG_MAJOR, "domain %s deleted: %zu "
			    "records removed", domain, n);
		return;
	}
	on = dirsync_enabled(hook_objects, domain);
	if (ev == OBJ_DIR_UPDATED) {		/* its aliases */
		if (!on)
			return;
		e = domain_record(hook_objects, domain);
		write_record(d, e, &own_domain);
		dir_entry_free(&e);
		return;
	}
	/* renamed: the subtree moves (records LDAP added too), then every
	 * record the integration owns is rewritten (mail, cn, member) */
	if (on)
		move_domain(d, domain, oldname);
	if (objects_domain_is_main(hook_objects, domain)) {
		/* hostServer (the main domain name) is in every account
		 * record of every domain */
		doms = objects_domain_list(hook_objects);
		for (i = 0; i < dict_array_len(doms); i++) {
			v = dict_str(dict_array_get(doms, i), NULL);
			if (v != NULL && dirsync_enabled(hook_objects, v) &&
			    refresh_domain(hook_objects, d, v, false, &n,
			    &err) == -1)
				log_mod(&log_dir, LOG_FAILURE, "%s: %s", v,
				    err.msg);
		}
		dict_free(&doms);
	} else if (on && refresh_domain(hook_objects, d, domain, false, &n,
	    &err) == -1)
		log_mod(&log_dir, LOG_FAILURE, "%s: %s", domain, err.msg);
}

/* Moves cn=<oldname> and its records to cn=<domain>. */
static void
move_domain(struct directory *d, const char *domain, const char *oldname)
{
	char dn[DIR_DN_MAX + 1], ndn[DIR_DN_MAX + 1];
	struct error err;
	size_t n;

	dirsync_domain_dn(oldname, dn, sizeof(dn));
	dirsync_domain_dn(domain, ndn, sizeof(ndn));
	if (directory_move_subtree(d, dn, ndn, &n, &err) == -1) {
		if (err.kind != ERR_NOTFOUND) {
			log_mod(&log_dir, LOG_PROBLEM, "moving %s to %s: %s; "
			    "the old records are removed", dn, ndn, err.msg);
			(void)directory_delete_subtree(d, dn, &n, NULL);
		}
	} else
		log_mod(&log_dir, LOG_MAJOR, "domain %s renamed to %s: %zu "
		    "records moved", oldname, domain, n);
}

static const struct objects_dir_hooks hooks = {
	check_record,
	account_changed,
	object_changed,
	domain_changed
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

/* Records written a batch (one transaction) at a time; a batch holds
 * records of one kind (one owned set). */
struct batch {
	struct directory	*d;
	struct dir_entry	*e[DIR_BATCH];
	size_t			 n, done, total;
	const struct dir_owned	*own;
	const char		*domain;
	bool			 progress;
	int			 rc;
	struct error		*err;
};

static void
batch_flush(struct batch *b)
{
	size_t before = b->done;

	if (b->n > 0 && b->rc == 0) {
		b->rc = directory_merge_many(b->d, b->e, b->n, b->own, b->err);
		if (b->rc == 0)
			b->done += b->n;
	}
	while (b->n > 0)
		dir_entry_free(&b->e[--b->n]);
	if (!b->progress)
		return;
	note_done(b->done);
	if (b->done / DIRSYNC_LOG_EVERY != before / DIRSYNC_LOG_EVERY)
		log_mod(&log_dir, LOG_LOW, "InsertAll %s: %zu/%zu records",
		    b->domain, b->done, b->total);
}

static void
batch_add(struct batch *b, struct dir_entry *e, const struct dir_owned *own)
{
	if (e == NULL)
		return;
	if (b->n > 0 && (b->own != own || b->n == DIR_BATCH))
		batch_flush(b);
	b->own = own;
	if (b->rc == 0)
		b->e[b->n++] = e;
	else
		dir_entry_free(&e);
}

/* Writes (merging) the domain record and the records of every account,
 * forwarder and group of cdom (canonical). */
static int
refresh_domain(struct objects *o, struct directory *d, const char *cdom,
    bool progress, size_t *done_r, struct error *err_r)
{
	struct dval *names, *fwds, *grps, *eff, *ren;
	struct dir_owned *own;
	struct batch *b;
	const char *name;
	size_t n, i;
	int rc;

	*done_r = 0;
	if ((names = objects_account_list(o, cdom, err_r)) == NULL)
		return -1;
	fwds = objects_forwarder_list(o, cdom, NULL);
	grps = objects_group_list(o, cdom, NULL);
	n = dict_array_len(names);
	b = xcalloc(1, sizeof(*b));
	b->d = d;
	b->domain = cdom;
	b->progress = progress;
	b->err = err_r;
	b->total = 1 + n + dict_array_len(fwds) + dict_array_len(grps);
	if (progress && begin_op("InsertAll", cdom, b->total, err_r) == -1) {
		free(b);
		dict_free(&names);
		dict_free(&fwds);
		dict_free(&grps);
		return -1;
	}
	ren = renaming_table(o, cdom);
	own = account_owned_set(ren);
	batch_add(b, domain_record(o, cdom), &own_domain);
	for (i = 0; b->rc == 0 && i < n; i++) {
		name = dict_str(dict_array_get(names, i), NULL);
		/* an account deleted meanwhile is skipped */
		if (name == NULL || (eff = objects_account_effective_get(o,
		    name, cdom, NULL)) == NULL)
			continue;
		batch_add(b, build_record(o, name, cdom, eff, ren), own);
		dict_free(&eff);
	}
	for (i = 0; b->rc == 0 && i < dict_array_len(fwds); i++)
		if ((name = dict_str(dict_array_get(fwds, i), NULL)) != NULL)
			batch_add(b, forwarder_record(o, name, cdom),
			    &own_forwarder);
	for (i = 0; b->rc == 0 && i < dict_array_len(grps); i++)
		if ((name = dict_str(dict_array_get(grps, i), NULL)) != NULL)
			batch_add(b, group_record(o, name, cdom), &own_group);
	batch_flush(b);
	rc = b->rc;
	*done_r = b->done;
	if (progress)
		end_op(b->done, rc == 0 ? NULL : err_r);
	free(b);
	owned_free(&own);
	dict_free(&ren);
	dict_free(&names);
	dict_free(&fwds);
	dict_free(&grps);
	return rc;
}

int
dirsync_insert_all(struct objects *o, struct directory *d,
    const char *domain, size_t *done_r, struct error *err_r)
{
	char cdom[DOMAIN_NAME_MAX + 1];

	*done_r = 0;
	if (canon_domain(o, domain, cdom, sizeof(cdom)) == -1)
		return error_set(err_r, ERR_NOTFOUND, "unknown domain");
	return refresh_domain(o, d, cdom, true, done_r, err_r);
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
	if ((names = objects_forwarder_list(o, cdom, NULL)) != NULL)
		total += dict_array_len(names);
	dict_free(&names);
	if ((names = objects_group_list(o, cdom, NULL)) != NULL)
		total += dict_array_len(names);
	dict_free(&names);
	if (begin_op("DeleteAll", cdom, total, err_r) == -1)
		return -1;
	rc = directory_delete_subtree(d, dn, done_r, err_r);
	end_op(*done_r, rc == 0 ? NULL : err_r);
	return rc;
}
