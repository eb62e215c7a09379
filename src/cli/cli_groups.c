/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_groups.c: ListGroups, CreateGroup, RenameGroup, DeleteGroup,
 * GetGroup, SetGroup (see cli_groups.h) over objects_group_*.
 */
#include "lib/compat.h"

#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli_args.h"
#include "cli/cli_groups.h"

/* "name" or "name@domain": name and domain ("" for the main one). */
static int
split_name(const char *s, char *name, size_t nsize, char *domain,
    size_t dsize)
{
	const char *at = s != NULL ? strrchr(s, '@') : NULL;
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	n = at != NULL ? (size_t)(at - s) : strlen(s);
	if (n == 0 || n >= nsize)
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	domain[0] = '\0';
	if (at != NULL) {
		if (at[1] == '\0' || strlen(at + 1) >= dsize)
			return -1;
		memcpy(domain, at + 1, strlen(at + 1) + 1);
	}
	return 0;
}

#define DOM(d)	((d)[0] != '\0' ? (d) : NULL)

static enum cli_rc
usage(struct error *err_r, const char *text)
{
	error_set(err_r, ERR_SYNTAX, "usage: %s", text);
	return CLI_ERROR;
}

static enum cli_rc
data(struct dval *v, struct buf *out)
{
	if (v == NULL)
		return CLI_ERROR;
	dict_write(out, v, 0);
	dict_free(&v);
	return CLI_DATA;
}

enum cli_rc
cli_list_groups(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	if (a->argc > 1 || (a->argc == 1 && cli_arg_str(a, 0) == NULL))
		return usage(err_r, "ListGroups [domain]");
	return data(objects_group_list(c->srv->objects, a->argc == 1 ?
	    cli_arg_str(a, 0) : NULL, err_r), out);
}

enum cli_rc
cli_create_group(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	const struct dval *set = a->argc == 2 ? a->argv[1] : NULL;

	(void)out;
	if (a->argc < 1 || a->argc > 2 || split_name(cli_arg_str(a, 0), name,
	    sizeof(name), domain, sizeof(domain)) == -1 ||
	    (set != NULL && dict_type(set) != DICT_DICT))
		return usage(err_r, "CreateGroup name [{settings}]");
	return objects_group_create(c->srv->objects, name, DOM(domain), set,
	    err_r) == 0 ? CLI_OK : CLI_ERROR;
}

enum cli_rc
cli_rename_group(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	char nname[OBJECT_NAME_MAX + 1], ndomain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 3 || !cli_arg_is(a, 1, "into") ||
	    split_name(cli_arg_str(a, 0), name, sizeof(name), domain,
	    sizeof(domain)) == -1 || split_name(cli_arg_str(a, 2), nname,
	    sizeof(nname), ndomain, sizeof(ndomain)) == -1)
		return usage(err_r, "RenameGroup name into newname");
	/* within its domain: newname@otherdomain is refused */
	if (ndomain[0] != '\0' && (domain[0] == '\0' ||
	    strcasecmp(ndomain, domain) != 0))
		return error_set(err_r, ERR_PERM, "a group is renamed within "
		    "its domain"), CLI_ERROR;
	return objects_group_rename(c->srv->objects, name, DOM(domain), nname,
	    err_r) == 0 ? CLI_OK : CLI_ERROR;
}

enum cli_rc
cli_delete_group(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 1 || split_name(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain)) == -1)
		return usage(err_r, "DeleteGroup name");
	return objects_group_delete(c->srv->objects, name, DOM(domain),
	    err_r) == 0 ? CLI_OK : CLI_ERROR;
}

enum cli_rc
cli_get_group(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	if (a->argc != 1 || split_name(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain)) == -1)
		return usage(err_r, "GetGroup name");
	return data(objects_group_get(c->srv->objects, name, DOM(domain),
	    err_r), out);
}

enum cli_rc
cli_set_group(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 2 || split_name(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain)) == -1 || dict_type(a->argv[1]) != DICT_DICT)
		return usage(err_r, "SetGroup name {settings}");
	return objects_group_set(c->srv->objects, name, DOM(domain),
	    a->argv[1], err_r) == 0 ? CLI_OK : CLI_ERROR;
}
