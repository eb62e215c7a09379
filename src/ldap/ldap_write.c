/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_write.c: add, delete, modify and modify DN (RFC 4511 4.6-4.9), for
 * server administrators only (a bind as an account with the Master
 * right).  On an account DN `uid=<name>,cn=<domain>` of an existing domain
 * they are account provisioning (CGP's "LDAP-based Provisioning"): add
 * creates the account (cn -> RealName, userPassword -> its password),
 * delete removes it, modify DN with a new uid renames it, a modify of cn
 * or userPassword changes the account's RealName or password; the record
 * itself follows through Directory Integration, or is written here when
 * the domain's integration is off.  Other DNs are plain directory records.
 * userPassword is never stored in the directory.
 */
#include "lib/compat.h"

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
#include "core/server.h"
#include "ldap/ldap_msg.h"
#include "ldap/ldap_private.h"

static bool
admin(struct ldap_session *s, struct ldap_req *r)
{
	if (s->master)
		return true;
	ldap_reply(s, r, LDAP_RC_INSUFFICIENT_ACCESS, "", s->bound ?
	    "only server administrators may change the directory" :
	    "bind as a server administrator first");
	return false;
}

/* An account DN whose domain exists: name, canonical domain. */
static bool
account_of(struct ldap_session *s, const char *dn, char *name, size_t nsize,
    char *dom, size_t dsize)
{
	char d[DOMAIN_NAME_MAX + 1];

	return ldap_account_dn(dn, name, nsize, d, sizeof(d)) &&
	    objects_find_domain(s->srv->objects, d, dom, dsize) == 0;
}

static int
err_rc(const struct error *err)
{
	switch (err->kind) {
	case ERR_NOTFOUND:	return LDAP_RC_NO_SUCH_OBJECT;
	case ERR_EXISTS:	return LDAP_RC_ALREADY_EXISTS;
	case ERR_SYNTAX:	return LDAP_RC_INVALID_DN;
	case ERR_PERM:		return LDAP_RC_UNWILLING;
	case ERR_LIMIT:		return LDAP_RC_ADMINLIMIT;
	case ERR_TEMP:		return LDAP_RC_BUSY;
	default:		return LDAP_RC_OTHER;
	}
}

static bool
has_children(struct ldap_session *s, const char *ndn)
{
	struct dir_search q = { ndn, DIR_SCOPE_ONE, NULL, 0, 1 };
	struct dir_results res;
	bool yes = false;

	if (directory_search(s->srv->directory, &q, &res, NULL) == 0) {
		yes = res.n > 0;
		dir_results_clear(&res);
	}
	return yes;
}

void
ldap_do_add(struct ldap_session *s, struct ldap_req *r)
{
	char ndn[DIR_DN_MAX + 1], name[OBJECT_NAME_MAX + 1];
	char dom[DOMAIN_NAME_MAX + 1], matched[DIR_DN_MAX + 1];
	struct dval *settings;
	const char *cn, *pw;
	struct error err;

	if (!admin(s, r))
		return;
	if (dir_dn_normalize(r->dn, ndn, sizeof(ndn), &err) == -1 ||
	    *ndn == '\0') {
		ldap_reply(s, r, LDAP_RC_INVALID_DN, "", *ndn == '\0' ?
		    "the root exists" : err.msg);
		return;
	}
	if (directory_exists(s->srv->directory, ndn)) {
		ldap_reply(s, r, LDAP_RC_ALREADY_EXISTS, "", "directory "
		    "record already exists");
		return;
	}
	if (account_of(s, r->dn, name, sizeof(name), dom, sizeof(dom))) {
		settings = dict_new_dict();
		if ((cn = dir_entry_get(r->entry, "cn")) != NULL)
			dict_set_str(settings, "RealName", cn);
		if ((pw = dir_entry_get(r->entry, "userPassword")) != NULL)
			dict_set_str(settings, "Password", pw);
		if (objects_account_create(s->srv->objects, name, dom, NULL,
		    settings, &err) == -1) {
			dict_free(&settings);
			ldap_reply(s, r, err_rc(&err), "", err.msg);
			return;
		}
		dict_free(&settings);
		log_ses(&s->log, LOG_MAJOR, "account %s@%s created", name, dom);
		/* Directory Integration wrote its record; else ours */
		if (directory_exists(s->srv->directory, ndn)) {
			ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
			return;
		}
	} else if (*dir_dn_parent(ndn) != '\0' &&
	    !directory_exists(s->srv->directory, dir_dn_parent(ndn))) {
		ldap_matched(s, ndn, matched, sizeof(matched));
		ldap_reply(s, r, LDAP_RC_NO_SUCH_OBJECT, matched, "the parent "
		    "record does not exist");
		return;
	}
	dir_entry_remove(r->entry, "userPassword");
	if (directory_put(s->srv->directory, r->entry, false, &err) == -1) {
		ldap_reply(s, r, err_rc(&err), "", err.msg);
		return;
	}
	log_ses(&s->log, LOG_LOW, "record %.200s added", r->dn);
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
}

void
ldap_do_delete(struct ldap_session *s, struct ldap_req *r)
{
	char ndn[DIR_DN_MAX + 1], name[OBJECT_NAME_MAX + 1];
	char dom[DOMAIN_NAME_MAX + 1], matched[DIR_DN_MAX + 1];
	struct error err;
	bool acct = false;

	if (!admin(s, r))
		return;
	if (dir_dn_normalize(r->dn, ndn, sizeof(ndn), &err) == -1) {
		ldap_reply(s, r, LDAP_RC_INVALID_DN, "", err.msg);
		return;
	}
	if (has_children(s, ndn)) {
		ldap_reply(s, r, LDAP_RC_NOT_ALLOWED_ON_NONLEAF, "", "the "
		    "record has records below it");
		return;
	}
	if (account_of(s, r->dn, name, sizeof(name), dom, sizeof(dom)) &&
	    objects_account_find(s->srv->objects, name, dom, NULL, 0, NULL, 0,
	    NULL) == 0) {
		if (objects_account_delete(s->srv->objects, name, dom, &err) ==
		    -1) {
			ldap_reply(s, r, err_rc(&err), "", err.msg);
			return;
		}
		log_ses(&s->log, LOG_MAJOR, "account %s@%s deleted", name, dom);
		acct = true;
	}
	if (directory_delete(s->srv->directory, ndn, &err) == -1 && !acct) {
		ldap_matched(s, ndn, matched, sizeof(matched));
		ldap_reply(s, r, err_rc(&err), matched, err.msg);
		return;
	}
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
}

/* Applies one change to e (RFC 4511 4.6). */
static int
apply_mod(struct dir_entry *e, const struct ldap_mod *m, struct error *err_r)
{
	size_t i;

	switch (m->op) {
	case LDAP_MOD_ADD_:
		for (i = 0; i < m->nvals; i++)
			if (!dir_entry_has_value(e, m->attr, m->vals[i]))
				dir_entry_add(e, m->attr, m->vals[i]);
		return 0;
	case LDAP_MOD_DELETE_:
		if (m->nvals == 0) {
			if (dir_entry_remove(e, m->attr) == 0)
				return error_set(err_r, ERR_NOTFOUND,
				    "no such attribute");
			return 0;
		}
		for (i = 0; i < m->nvals; i++)
			if (!dir_entry_remove_value(e, m->attr, m->vals[i]))
				return error_set(err_r, ERR_NOTFOUND,
				    "no such value");
		return 0;
	case LDAP_MOD_REPLACE_:
	default:
		dir_entry_remove(e, m->attr);
		for (i = 0; i < m->nvals; i++)
			dir_entry_add(e, m->attr, m->vals[i]);
		return 0;
	}
}

void
ldap_do_modify(struct ldap_session *s, struct ldap_req *r)
{
	char ndn[DIR_DN_MAX + 1], name[OBJECT_NAME_MAX + 1];
	char dom[DOMAIN_NAME_MAX + 1], matched[DIR_DN_MAX + 1];
	struct dir_entry *e;
	struct dval *upd = NULL;
	const char *pw = NULL, *cn;
	struct error err;
	bool acct;
	size_t i;

	if (!admin(s, r))
		return;
	if (dir_dn_normalize(r->dn, ndn, sizeof(ndn), &err) == -1) {
		ldap_reply(s, r, LDAP_RC_INVALID_DN, "", err.msg);
		return;
	}
	if ((e = directory_get(s->srv->directory, ndn, &err)) == NULL) {
		ldap_matched(s, ndn, matched, sizeof(matched));
		ldap_reply(s, r, err_rc(&err), matched, err.msg);
		return;
	}
	acct = account_of(s, r->dn, name, sizeof(name), dom, sizeof(dom)) &&
	    objects_account_find(s->srv->objects, name, dom, NULL, 0, NULL, 0,
	    NULL) == 0;
	for (i = 0; i < r->nmods; i++) {
		if (strcasecmp(r->mods[i].attr, "userPassword") == 0) {
			if (r->mods[i].op != LDAP_MOD_DELETE_ &&
			    r->mods[i].nvals > 0)
				pw = r->mods[i].vals[0];
			continue;
		}
		if (apply_mod(e, &r->mods[i], &err) == -1) {
			ldap_reply(s, r, LDAP_RC_NO_SUCH_ATTRIBUTE, "", err.msg);
			goto out;
		}
	}
	if (pw != NULL && !acct) {
		ldap_reply(s, r, LDAP_RC_UNWILLING, "", "userPassword is kept "
		    "for accounts only");
		goto out;
	}
	if (acct) {
		if (pw != NULL && objects_set_password(s->srv->objects, name,
		    dom, pw, &err) == -1) {
			ldap_reply(s, r, err_rc(&err), "", err.msg);
			goto out;
		}
		if ((cn = dir_entry_get(e, "cn")) != NULL) {
			upd = dict_new_dict();
			dict_set_str(upd, "RealName", cn);
			/* B12: refused when the record went missing */
			if (objects_settings_file_update(s->srv->objects,
			    OBJ_SF_ACCOUNT_SETTINGS, name, dom, upd, &err) ==
			    -1) {
				ldap_reply(s, r, err_rc(&err), "", err.msg);
				goto out;
			}
		}
	}
	if (directory_put(s->srv->directory, e, true, &err) == -1) {
		ldap_reply(s, r, err_rc(&err), "", err.msg);
		goto out;
	}
	log_ses(&s->log, LOG_LOW, "record %.200s modified", r->dn);
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
out:
	dict_free(&upd);
	dir_entry_free(&e);
}

void
ldap_do_moddn(struct ldap_session *s, struct ldap_req *r)
{
	char ndn[DIR_DN_MAX + 1], name[OBJECT_NAME_MAX + 1];
	char dom[DOMAIN_NAME_MAX + 1], newdn[DIR_DN_MAX + 1];
	char nname[OBJECT_NAME_MAX + 1], ndom[DOMAIN_NAME_MAX + 1];
	struct error err;
	const char *parent;

	if (!admin(s, r))
		return;
	if (dir_dn_normalize(r->dn, ndn, sizeof(ndn), &err) == -1 ||
	    *ndn == '\0') {
		ldap_reply(s, r, LDAP_RC_INVALID_DN, "", *ndn == '\0' ?
		    "the root cannot move" : err.msg);
		return;
	}
	parent = r->newsuperior != NULL ? r->newsuperior : dir_dn_parent(ndn);
	(void)snprintf(newdn, sizeof(newdn), "%s%s%s", r->newrdn,
	    *parent != '\0' ? "," : "", parent);
	if (account_of(s, r->dn, name, sizeof(name), dom, sizeof(dom)) &&
	    objects_account_find(s->srv->objects, name, dom, NULL, 0, NULL, 0,
	    NULL) == 0) {
		if (!ldap_account_dn(newdn, nname, sizeof(nname), ndom,
		    sizeof(ndom)) || strcasecmp(ndom, dom) != 0) {
			ldap_reply(s, r, LDAP_RC_UNWILLING, "", "an account "
			    "moves within its domain only");
			return;
		}
		if (objects_account_rename(s->srv->objects, name, dom, nname,
		    &err) == -1) {
			ldap_reply(s, r, err_rc(&err), "", err.msg);
			return;
		}
		log_ses(&s->log, LOG_MAJOR, "account %s@%s renamed to %s",
		    name, dom, nname);
		/* Directory Integration moved its record; else move ours */
		if (!directory_exists(s->srv->directory, ndn)) {
			ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
			return;
		}
	}
	if (directory_rename(s->srv->directory, ndn, newdn, &err) == -1) {
		ldap_reply(s, r, err.kind == ERR_PERM ?
		    LDAP_RC_NOT_ALLOWED_ON_NONLEAF : err_rc(&err), "", err.msg);
		return;
	}
	ldap_reply(s, r, LDAP_RC_SUCCESS, "", "");
}
