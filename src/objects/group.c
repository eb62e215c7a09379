/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group.c: groups -- domain objects (CGP's Groups) whose mail goes to every
 * member (CLI CreateGroup / RenameGroup / DeleteGroup / GetGroup / SetGroup
 * / ListGroups).  A domain's groups live in its Groups.settings dictionary
 * (name = {RealName = ...; Members = (...);}) and share the domain's name
 * table with accounts, aliases and forwarders, as forwarders do; domrec.c
 * keeps them.
 *
 * Members is an array of addresses: a bare name is an object of the
 * group's own domain, "name@domain" any address.  Their mail is expanded
 * by the delivery (GROUP module, server/mailflow.c).
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

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

static bool
grp_valid(const struct dval *v)
{
	return dict_type(v) == DICT_DICT;
}

const struct domrec_kind domrec_groups = {
	.kind = OBJ_GROUP,
	.file = "Groups.settings",
	.field = offsetof(struct domain, groups),
	.unknown = "unknown group",
	.valid = grp_valid,
	.check = check_settings,
};

int
objects_group_create(struct objects *o, const char *name, const char *domain,
    const struct dval *settings, struct error *err_r)
{
	return domrec_create(o, &domrec_groups, name, domain,
	    settings != NULL ? dict_clone(settings) : dict_new_dict(), err_r);
}

int
objects_group_rename(struct objects *o, const char *name, const char *domain,
    const char *newname, struct error *err_r)
{
	return domrec_rename(o, &domrec_groups, name, domain, newname, err_r);
}

int
objects_group_delete(struct objects *o, const char *name, const char *domain,
    struct error *err_r)
{
	return domrec_delete(o, &domrec_groups, name, domain, err_r);
}

struct dval *
objects_group_get(struct objects *o, const char *name, const char *domain,
    struct error *err_r)
{
	return domrec_value(o, &domrec_groups, name, domain, err_r);
}

int
objects_group_set(struct objects *o, const char *name, const char *domain,
    const struct dval *settings, struct error *err_r)
{
	if (settings == NULL)
		return error_set(err_r, ERR_SYNTAX, "dictionary expected");
	return domrec_set(o, &domrec_groups, name, domain,
	    dict_clone(settings), err_r);
}

struct dval *
objects_group_list(struct objects *o, const char *domain,
    struct error *err_r)
{
	return domrec_list(o, &domrec_groups, domain, err_r);
}
