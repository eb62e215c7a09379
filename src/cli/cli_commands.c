/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_commands.c: the CLI command table (docs/admin-cli.md) and the
 * handlers for domains, accounts, aliases, forwarders, passwords, settings and
 * their defaults, the Router Table and Route, network address lists,
 * protection, module settings and WriteLog.
 *
 * Account arguments are "name" (main domain) or "name@domain".  Optional
 * domain arguments default to the main domain.  Every handler checks its
 * arguments and answers with the original's error texts where known.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "router/router.h"
#include "core/server.h"
#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_blacklist.h"
#include "cli/cli_dnr.h"
#include "cli/cli_stats.h"
#include "cli/cli_directory.h"
#include "cli/cli_groups.h"
#include "cli/cli_commands.h"
#include "cli/cli_backup.h"
#include "cli/cli_compat.h"
#include "cli/cli_listeners.h"
#include "cli/cli_modules.h"
#include "cli/cli_webadmin.h"


static struct log_module log_cli_cmd = LOG_MODULE("PWD");

/* ---- helpers ----------------------------------------------------------- */

static enum cli_rc
usage_error(struct error *err_r, const char *usage)
{
	error_set(err_r, ERR_SYNTAX, "usage: %s", usage);
	return CLI_ERROR;
}

/* Splits "name@domain" into name and domain ("" = main domain). */
static int
split_account(const char *s, char *name, size_t nsize, char *domain,
    size_t dsize, struct error *err_r)
{
	const char *at = s != NULL ? strrchr(s, '@') : NULL;
	size_t n;

	if (s == NULL || *s == '\0')
		return error_set(err_r, ERR_SYNTAX, "account name expected");
	n = at != NULL ? (size_t)(at - s) : strlen(s);
	if (n == 0 || n >= nsize)
		return error_set(err_r, ERR_SYNTAX, "illegal object name");
	memcpy(name, s, n);
	name[n] = '\0';
	if (at != NULL) {
		if (strlen(at + 1) >= dsize || at[1] == '\0')
			return error_set(err_r, ERR_SYNTAX, "illegal domain name");
		memcpy(domain, at + 1, strlen(at + 1) + 1);
	} else
		domain[0] = '\0';
	return 0;
}

#define DOM(d)	((d)[0] != '\0' ? (d) : NULL)

static enum cli_rc
data_result(struct dval *v, struct buf *out, struct error *err_r)
{
	if (v == NULL)
		return CLI_ERROR;
	(void)err_r;
	dict_write(out, v, 0);
	dict_free(&v);
	return CLI_DATA;
}

static enum cli_rc
string_result(const char *s, struct buf *out)
{
	dict_write_string(out, s, strlen(s));
	return CLI_DATA;
}

static enum cli_rc
rc_of(int r)
{
	return r == 0 ? CLI_OK : CLI_ERROR;
}

static const struct dval *
arg_dict(const struct cli_args *a, size_t i)
{
	if (i >= a->argc || dict_type(a->argv[i]) != DICT_DICT)
		return NULL;
	return a->argv[i];
}

static const struct dval *
arg_array(const struct cli_args *a, size_t i)
{
	if (i >= a->argc || dict_type(a->argv[i]) != DICT_ARRAY)
		return NULL;
	return a->argv[i];
}

/* ---- domains ------------------------------------------------------------ */

static enum cli_rc
cmd_list_domains(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)a;
	return data_result(objects_domain_list(c->srv->objects), out, err_r);
}

static enum cli_rc
cmd_main_domain_name(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char dom[DOMAIN_NAME_MAX + 1];

	(void)a;
	(void)err_r;
	objects_main_domain(c->srv->objects, dom, sizeof(dom));
	return string_result(dom, out);
}

static enum cli_rc
cmd_create_domain(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	const char *name = cli_arg_str(a, 0);

	(void)out;
	if (name == NULL || a->argc > 2 || (a->argc == 2 && !arg_dict(a, 1)))
		return usage_error(err_r, "CreateDomain name [{settings}]");
	return rc_of(objects_domain_create(c->srv->objects, name,
	    a->argc == 2 ? a->argv[1] : NULL, err_r));
}

static enum cli_rc
cmd_rename_domain(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)out;
	if (a->argc != 3 || !cli_arg_is(a, 1, "into") || !cli_arg_str(a, 0) ||
	    !cli_arg_str(a, 2))
		return usage_error(err_r, "RenameDomain oldname into newname");
	return rc_of(objects_domain_rename(c->srv->objects, cli_arg_str(a, 0),
	    cli_arg_str(a, 2), err_r));
}

static enum cli_rc
cmd_delete_domain(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)out;
	if (!cli_arg_str(a, 0) || a->argc > 2 ||
	    (a->argc == 2 && !cli_arg_is(a, 1, "force")))
		return usage_error(err_r, "DeleteDomain name [force]");
	return rc_of(objects_domain_delete(c->srv->objects, cli_arg_str(a, 0),
	    a->argc == 2, err_r));
}

/* Resolves the optional domain argument; *argi gets the index of the next
 * argument. */
static int
target_arg(const struct cli_args *a, size_t nargs_after, char *domain,
    size_t dsize, size_t *argi, struct error *err_r)
{
	const char *s = NULL;

	domain[0] = '\0';
	*argi = 0;
	if (a->argc > nargs_after) {
		s = cli_arg_str(a, 0);
		if (s == NULL)
			return error_set(err_r, ERR_SYNTAX, "name expected");
		*argi = 1;
	}
	if (s != NULL) {
		if (strlen(s) >= dsize)
			return error_set(err_r, ERR_SYNTAX, "illegal domain name");
		memcpy(domain, s, strlen(s) + 1);
	}
	return 0;
}

static enum cli_rc
cmd_get_domain_effective(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	if (a->argc > 1 || (a->argc == 1 && !cli_arg_str(a, 0)))
		return usage_error(err_r, "GetDomainEffectiveSettings [domain]");
	return data_result(objects_domain_effective_get(c->srv->objects,
	    a->argc ? cli_arg_str(a, 0) : NULL, err_r), out, err_r);
}

static enum cli_rc
cmd_get_domain_aliases(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	if (a->argc > 1 || (a->argc == 1 && !cli_arg_str(a, 0)))
		return usage_error(err_r, "GetDomainAliases [domain]");
	return data_result(objects_domain_aliases_get(c->srv->objects,
	    a->argc ? cli_arg_str(a, 0) : NULL, err_r), out, err_r);
}

static enum cli_rc
cmd_set_domain_aliases(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)out;
	if (a->argc != 2 || !cli_arg_str(a, 0) || !arg_array(a, 1))
		return usage_error(err_r, "SetDomainAliases domain (alias, ...)");
	return rc_of(objects_domain_aliases_set(c->srv->objects,
	    cli_arg_str(a, 0), a->argv[1], err_r));
}

/* ---- accounts ----------------------------------------------------------- */

static enum cli_rc
cmd_list_accounts(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	struct dval *list, *d;
	size_t i;

	if (a->argc > 1 || (a->argc == 1 && !cli_arg_str(a, 0)))
		return usage_error(err_r, "ListAccounts [domain]");
	list = objects_account_list(c->srv->objects,
	    a->argc ? cli_arg_str(a, 0) : NULL, err_r);
	if (list == NULL)
		return CLI_ERROR;
	/* The original answers a dictionary: name = type. */
	d = dict_new_dict();
	for (i = 0; i < dict_array_len(list); i++) {
		const char *n = dict_str(dict_array_get(list, i), NULL);
		char type[64];

		if (objects_account_type(c->srv->objects, n,
		    a->argc ? cli_arg_str(a, 0) : NULL, type, sizeof(type),
		    NULL) < 0)
			snprintf(type, sizeof(type), "MultiMailbox");
		dict_set_str(d, n, type);
	}
	dict_free(&list);
	return data_result(d, out, err_r);
}

static enum cli_rc
cmd_create_account(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	const struct dval *settings = NULL;
	const char *type = NULL;
	size_t i;

	(void)out;
	if (a->argc < 1 || split_account(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain), err_r) < 0)
		return usage_error(err_r,
		    "CreateAccount name [type] [external] [{settings}]");
	for (i = 1; i < a->argc; i++) {
		if (arg_dict(a, i) != NULL && i == a->argc - 1)
			settings = a->argv[i];
		else if (cli_arg_is(a, i, "external"))
			continue;
		else if (cli_arg_str(a, i) != NULL && type == NULL)
			type = cli_arg_str(a, i);
		else
			return usage_error(err_r, "CreateAccount name [type] "
			    "[external] [{settings}]");
	}
	return rc_of(objects_account_create(c->srv->objects, name, DOM(domain),
	    type, settings, err_r));
}

static enum cli_rc
cmd_rename_account(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	char nname[OBJECT_NAME_MAX + 1], ndomain[DOMAIN_NAME_MAX + 1];
	char cdom[DOMAIN_NAME_MAX + 1], cndom[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 3 || !cli_arg_is(a, 1, "into") ||
	    split_account(cli_arg_str(a, 0), name, sizeof(name), domain,
	    sizeof(domain), err_r) < 0 ||
	    split_account(cli_arg_str(a, 2), nname, sizeof(nname), ndomain,
	    sizeof(ndomain), err_r) < 0)
		return usage_error(err_r, "RenameAccount oldname into newname");
	if (ndomain[0] != '\0') {
		/* Renaming across domains is not supported: the new name must
		 * be in the same domain. */
		if (domain[0] == '\0' || objects_find_domain(c->srv->objects,
		    domain, cdom, sizeof(cdom)) < 0)
			objects_main_domain(c->srv->objects, cdom, sizeof(cdom));
		if (objects_find_domain(c->srv->objects, ndomain, cndom,
		    sizeof(cndom)) < 0 || strcasecmp(cdom, cndom) != 0) {
			error_set(err_r, ERR_SYNTAX, "accounts can be renamed "
			    "only within their domain");
			return CLI_ERROR;
		}
	}
	return rc_of(objects_account_rename(c->srv->objects, name, DOM(domain),
	    nname, err_r));
}

static enum cli_rc
cmd_delete_account(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 1 || split_account(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain), err_r) < 0)
		return usage_error(err_r, "DeleteAccount name");
	return rc_of(objects_account_delete(c->srv->objects, name, DOM(domain),
	    err_r));
}

/* Account-addressed values other than the settings files: the effective
 * settings (get only) and the alias and right arrays (get, set). */
struct account_target {
	struct dval	*(*get)(struct objects *, const char *, const char *,
			    struct error *);
	int		 (*set)(struct objects *, const char *, const char *,
			    const struct dval *, struct error *);
};

static enum cli_rc
account_target_run(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r, int op,
    const struct account_target *t, const char *usage)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	struct objects *o = c->srv->objects;

	if (a->argc != (op == 0 ? 1u : 2u) || split_account(cli_arg_str(a, 0),
	    name, sizeof(name), domain, sizeof(domain), err_r) < 0)
		return usage_error(err_r, usage);
	if (op == 0)
		return data_result(t->get(o, name, DOM(domain), err_r), out,
		    err_r);
	if (!arg_array(a, 1))
		return usage_error(err_r, usage);
	return rc_of(t->set(o, name, DOM(domain), a->argv[1], err_r));
}

#define ACCOUNT_CMD(fn, op, target, usage)				\
static enum cli_rc							\
fn(struct cli_ctx *c, const struct cli_args *a, struct buf *out,	\
    struct error *err_r)						\
{									\
	return account_target_run(c, a, out, err_r, op, &target, usage); \
}

static const struct account_target account_effective_t = {
	objects_account_effective_get, NULL
};
static const struct account_target account_effective_prefs_t = {
	objects_account_effective_prefs_get, NULL
};
static const struct account_target account_aliases_t = {
	objects_account_aliases_get, objects_account_aliases_set
};
static const struct account_target account_rights_t = {
	objects_account_rights_get, objects_account_rights_set
};

ACCOUNT_CMD(cmd_get_account_effective, 0, account_effective_t,
    "GetAccountEffectiveSettings name")
ACCOUNT_CMD(cmd_get_account_effective_prefs, 0, account_effective_prefs_t,
    "GetAccountEffectivePrefs name")
ACCOUNT_CMD(cmd_get_account_aliases, 0, account_aliases_t,
    "GetAccountAliases name")
ACCOUNT_CMD(cmd_set_account_aliases, 1, account_aliases_t,
    "SetAccountAliases name (alias, ...)")
ACCOUNT_CMD(cmd_get_account_rights, 0, account_rights_t,
    "GetAccountRights name")
ACCOUNT_CMD(cmd_set_account_rights, 1, account_rights_t,
    "SetAccountRights name (right, ...)")

static enum cli_rc
cmd_verify_account_password(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	const char *pw;

	(void)out;
	if (a->argc != 3 || !cli_arg_is(a, 1, "PASSWORD") ||
	    (pw = cli_arg_str(a, 2)) == NULL ||
	    split_account(cli_arg_str(a, 0), name, sizeof(name), domain,
	    sizeof(domain), err_r) < 0)
		return usage_error(err_r,
		    "VerifyAccountPassword name PASSWORD \"password\"");
	if (objects_check_password(c->srv->objects, name, DOM(domain), pw,
	    err_r) < 0) {
		if (err_r != NULL && err_r->kind == ERR_AUTH)
			error_set(err_r, ERR_AUTH, "incorrect password");
		return CLI_ERROR;
	}
	return CLI_OK;
}

/* ---- forwarders --------------------------------------------------------- */

static enum cli_rc
cmd_list_forwarders(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	if (a->argc > 1 || (a->argc == 1 && !cli_arg_str(a, 0)))
		return usage_error(err_r, "ListForwarders [domain]");
	return data_result(objects_forwarder_list(c->srv->objects,
	    a->argc ? cli_arg_str(a, 0) : NULL, err_r), out, err_r);
}

static enum cli_rc
cmd_create_forwarder(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 3 || !cli_arg_is(a, 1, "TO") || !cli_arg_str(a, 2) ||
	    split_account(cli_arg_str(a, 0), name, sizeof(name), domain,
	    sizeof(domain), err_r) < 0)
		return usage_error(err_r, "CreateForwarder name TO \"address\"");
	return rc_of(objects_forwarder_create(c->srv->objects, name,
	    DOM(domain), cli_arg_str(a, 2), err_r));
}

static enum cli_rc
cmd_delete_forwarder(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];

	(void)out;
	if (a->argc != 1 || split_account(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain), err_r) < 0)
		return usage_error(err_r, "DeleteForwarder name");
	return rc_of(objects_forwarder_delete(c->srv->objects, name,
	    DOM(domain), err_r));
}

static enum cli_rc
cmd_get_forwarder(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	char addr[ADDRESS_MAX + 1];

	if (a->argc != 1 || split_account(cli_arg_str(a, 0), name, sizeof(name),
	    domain, sizeof(domain), err_r) < 0)
		return usage_error(err_r, "GetForwarder name");
	if (objects_forwarder_get(c->srv->objects, name, DOM(domain), addr,
	    sizeof(addr), err_r) < 0)
		return CLI_ERROR;
	return string_result(addr, out);
}

/* ---- router ------------------------------------------------------------- */

static enum cli_rc
cmd_get_router_table(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	char *t;

	if (a->argc != 0)
		return usage_error(err_r, "GetRouterTable");
	t = router_get_table(c->srv->router);
	dict_write_string(out, t, strlen(t));
	free(t);
	return CLI_DATA;
}

static enum cli_rc
cmd_set_router_table(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	const char *t = cli_arg_str(a, 0);

	(void)out;
	if (a->argc != 1 || t == NULL)
		return usage_error(err_r, "SetRouterTable \"text\"");
	if (router_check_table(t, err_r) < 0 ||
	    objects_router_table_set(c->srv->objects, t, err_r) < 0 ||
	    router_set_table(c->srv->router, t, err_r) < 0)
		return CLI_ERROR;
	return CLI_OK;
}

static enum cli_rc
cmd_route(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	struct route_result res;
	enum route_ctx rctx = ROUTE_MAIL;
	const char *addr = cli_arg_str(a, 0), *queue = "", *target;
	static const char *const mods[] = {
		"ERROR", "LOCAL", "SMTP", "NULL", "PIPE", "GROUP"
	};
	struct dval *v;

	if (addr == NULL || a->argc > 2)
		return usage_error(err_r, "Route address [mail|access|signal]");
	if (a->argc == 2) {
		if (cli_arg_is(a, 1, "access"))
			rctx = ROUTE_ACCESS;
		else if (cli_arg_is(a, 1, "signal"))
			rctx = ROUTE_SIGNAL;
		else if (!cli_arg_is(a, 1, "mail"))
			return usage_error(err_r,
			    "Route address [mail|access|signal]");
	}
	if (router_route(c->srv->router, addr, rctx, NULL, &res, err_r) < 0) {
		error_set(err_r, ERR_NOTFOUND, "%s", res.error);
		return CLI_ERROR;
	}
	target = res.address;
	if (res.module == ROUTE_LOCAL)
		queue = res.account;
	else if (res.module == ROUTE_SMTP)
		queue = res.host;
	v = dict_new_array();
	dict_array_push_cstr(v, (unsigned)res.module < N_ELEMENTS(mods) ?
	    mods[res.module] : "UNKNOWN");
	dict_array_push_cstr(v, queue);
	dict_array_push_cstr(v, target);
	return data_result(v, out, err_r);
}

/* ---- network lists ------------------------------------------------------ */

static int
iplist_of(const char *name, const char *prefix, enum obj_iplist *which)
{
	int i;

	for (i = 0; i < OBJ_IPS_COUNT; i++) {
		const char *ln = objects_iplist_name((enum obj_iplist)i);
		size_t pl = strlen(prefix);

		if (strncasecmp(name, prefix, pl) == 0 &&
		    strcasecmp(name + pl, ln) == 0) {
			*which = (enum obj_iplist)i;
			return 0;
		}
	}
	return -1;
}

static enum cli_rc
cmd_get_iplist(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	enum obj_iplist which;
	char *t;

	if (iplist_of(a->name, "Get", &which) < 0 || a->argc != 0)
		return usage_error(err_r, "GetXxxIPs");
	t = objects_iplist_get(c->srv->objects, which);
	dict_write_string(out, t, strlen(t));
	free(t);
	return CLI_DATA;
}

static enum cli_rc
cmd_set_iplist(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	enum obj_iplist which;
	struct buf text;
	size_t i;
	int r;

	(void)out;
	if (iplist_of(a->name, "Set", &which) < 0 || a->argc != 1)
		return usage_error(err_r, "SetXxxIPs \"list\"");
	buf_init(&text, IPLIST_TEXT_MAX);
	if (cli_arg_str(a, 0) != NULL)
		buf_puts(&text, cli_arg_str(a, 0));
	else if (arg_array(a, 0) != NULL) {
		for (i = 0; i < dict_array_len(a->argv[0]); i++) {
			const char *s = dict_str(dict_array_get(a->argv[0], i),
			    NULL);

			if (s == NULL) {
				buf_free(&text);
				return usage_error(err_r, "SetXxxIPs \"list\"");
			}
			buf_printf(&text, "%s\n", s);
		}
	} else {
		buf_free(&text);
		return usage_error(err_r, "SetXxxIPs \"list\"");
	}
	if (text.err != 0) {
		buf_free(&text);
		error_set(err_r, ERR_LIMIT, "address list too long");
		return CLI_ERROR;
	}
	r = objects_iplist_set(c->srv->objects, which, buf_cstr(&text), err_r);
	buf_free(&text);
	return rc_of(r);
}

/* ---- modules and logs --------------------------------------------------- */

static void
apply_level(struct log_module *m, void *arg)
{
	struct server *srv = arg;
	struct dval *d = objects_module_get(srv->objects, m->name, NULL);

	m->level = cli_module_log_level(d != NULL ? dict_get(d, "LogLevel") :
	    NULL);
	dict_free(&d);
}

void
cli_apply_log_levels(struct server *srv)
{
	log_foreach(apply_level, srv);
}

static int
check_module_settings(const struct dval *d, struct error *err_r)
{
	const char *lv = dict_get_str(d, "LogLevel");
	struct dval *v = dict_get(d, "LogLevel");

	if (v == NULL)
		return 0;
	if (dict_type(v) == DICT_NUMBER && dict_number(v) >= 0 &&
	    dict_number(v) <= 5)
		return 0;
	if (lv != NULL && ((lv[0] >= '0' && lv[0] <= '5' && lv[1] == '\0') ||
	    strcmp(lv, "default") == 0))
		return 0;
	return error_set(err_r, ERR_SYNTAX, "LogLevel must be 0..5");
}

static enum cli_rc
module_change(struct cli_ctx *c, const struct cli_args *a, bool update,
    struct error *err_r)
{
	const char *file;
	int r;

	if (a->argc != 2 || !cli_arg_str(a, 0) || !arg_dict(a, 1))
		return usage_error(err_r, update ? "UpdateModule name {settings}" :
		    "SetModule name {settings}");
	if (check_module_settings(a->argv[1], err_r) < 0)
		return CLI_ERROR;
	file = cli_module_file_name(cli_arg_str(a, 0));
	/* A Listener change binds first, then saves, then closes (see
	 * services_listeners_change): refused as a whole or done. */
	r = cli_module_change_listeners(c->srv, file, a->argv[1], update,
	    err_r);
	if (r == 0) {
		cli_apply_log_levels(c->srv);
		/* The listener limits apply at once, as after SIGHUP. */
		if (c->srv->reload_limits != NULL)
			c->srv->reload_limits(c->srv);
	}
	return rc_of(r);
}

static enum cli_rc
cmd_update_module(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)out;
	return module_change(c, a, true, err_r);
}

static enum cli_rc
cmd_set_module(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)out;
	return module_change(c, a, false, err_r);
}

static enum cli_rc
cmd_write_log(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	const char *lv = cli_arg_str(a, 0), *text = cli_arg_str(a, 1);
	char esc[LOG_LINE_MAX];
	int level = -1;

	(void)out;
	if (lv != NULL && lv[0] >= '0' && lv[0] <= '5' && lv[1] == '\0')
		level = lv[0] - '0';
	else if (a->argc > 0 && dict_type(a->argv[0]) == DICT_NUMBER &&
	    dict_number(a->argv[0]) >= 0 && dict_number(a->argv[0]) <= 5)
		level = (int)dict_number(a->argv[0]);
	if (a->argc != 2 || level < 0 || text == NULL)
		return usage_error(err_r, "WriteLog level \"text\"");
	log_escape(esc, sizeof(esc), text, strlen(text));
	/* A record from a script is written whatever the module level. */
	log_mod_write(&log_cli_cmd, level, "%s", esc);
	log_flush();
	(void)c;
	return CLI_OK;
}

static enum cli_rc
cmd_noop(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)c;
	(void)a;
	(void)out;
	(void)err_r;
	return CLI_OK;
}

static enum cli_rc
cmd_shutdown(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	(void)a;
	(void)out;
	(void)err_r;
	if (c->srv->request_shutdown != NULL)
		c->srv->request_shutdown();
	return CLI_OK;
}

static enum cli_rc
cmd_get_local_ips(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	if (a->argc != 0)
		return usage_error(err_r, "GetLocalIPs");
	return data_result(objects_local_ips(c->srv->objects), out, err_r);
}

static enum cli_rc
cmd_refresh_os_data(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	(void)a;
	(void)out;
	(void)err_r;
	objects_refresh_local_ips(c->srv->objects);
	return CLI_OK;
}

/* ---- settings files: one table, one path ------------------------------ */

/*
 * Get<suffix>, Set<suffix> and Update<suffix> of every entry, for the named
 * settings files of objects (objects_settings_file_*).  The arguments
 * follow the file's scope: none (server), [domain] (domain; the main domain
 * when absent), name or name@domain (account); Set and Update end with the
 * dictionary.  A new settings file is one line here.
 */
static const struct sfile_cmd {
	const char		*suffix;
	enum obj_settings_file	 which;
	const char		*value;		/* in the usage text */
} sfile_cmds[] = {
	{ "DomainSettings", OBJ_SF_DOMAIN_SETTINGS, "{settings}" },
	{ "DomainDefaults", OBJ_SF_DOMAIN_DEFAULTS, "{settings}" },
	{ "ServerAccountDefaults", OBJ_SF_SERVER_ACCOUNT_DEFAULTS, "{settings}" },
	{ "AllAccountsDefaults", OBJ_SF_SERVER_ACCOUNT_DEFAULTS, "{settings}" },
	{ "AccountDefaults", OBJ_SF_DOMAIN_ACCOUNT_DEFAULTS, "{settings}" },
	{ "AccountTemplate", OBJ_SF_ACCOUNT_TEMPLATE, "{settings}" },
	{ "AccountDefaultPrefs", OBJ_SF_DOMAIN_ACCOUNT_PREFS, "{settings}" },
	{ "ServerAccountPrefs", OBJ_SF_SERVER_ACCOUNT_PREFS, "{settings}" },
	{ "ServerSettings", OBJ_SF_SERVER_SETTINGS, "{settings}" },
	{ "AccountSettings", OBJ_SF_ACCOUNT_SETTINGS, "{settings}" },
	{ "AccountPrefs", OBJ_SF_ACCOUNT_PREFS, "{prefs}" },
	{ "Protection", OBJ_SF_PROTECTION, "{settings}" },
};

static const char *const sfile_verbs[] = { "Get", "Set", "Update" };

/* The usage text names the file (an alias's error names the command it
 * stands for, as ever); the help names the command itself. */
static void
sfile_usage(char *buf, size_t size, int op, const struct sfile_cmd *sc,
    bool help)
{
	enum obj_scope scope = objects_settings_file_scope(sc->which);

	(void)snprintf(buf, size, "%s%s%s%s%s", sfile_verbs[op], help ?
	    sc->suffix : objects_settings_file_name(sc->which),
	    scope == OBJ_SCOPE_DOMAIN ? " [domain]" :
	    scope == OBJ_SCOPE_ACCOUNT ? " name" : "", op == 0 ? "" : " ",
	    op == 0 ? "" : sc->value);
}

/* The entry of command name, with *op_r 0 Get, 1 Set, 2 Update. */
static const struct sfile_cmd *
sfile_find(const char *name, int *op_r)
{
	size_t i, n;
	int op;

	for (op = 0; op < (int)N_ELEMENTS(sfile_verbs); op++) {
		n = strlen(sfile_verbs[op]);
		if (strncasecmp(name, sfile_verbs[op], n) != 0)
			continue;
		for (i = 0; i < N_ELEMENTS(sfile_cmds); i++)
			if (strcasecmp(name + n, sfile_cmds[i].suffix) == 0) {
				*op_r = op;
				return &sfile_cmds[i];
			}
	}
	return NULL;
}

static enum cli_rc
sfile_run(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r, int op, const struct sfile_cmd *sc)
{
	char name[OBJECT_NAME_MAX + 1], domain[DOMAIN_NAME_MAX + 1];
	char usage[CLI_USAGE_MAX];
	struct objects *o = c->srv->objects;
	size_t want = op == 0 ? 0 : 1, i;	/* the dictionary */
	const struct dval *in;
	bool bad;

	name[0] = domain[0] = '\0';
	switch (objects_settings_file_scope(sc->which)) {
	case OBJ_SCOPE_SERVER:
		bad = a->argc != want;
		break;
	case OBJ_SCOPE_DOMAIN:
		bad = a->argc > want + 1 || target_arg(a, want, domain,
		    sizeof(domain), &i, err_r) < 0;
		break;
	default:
		bad = a->argc != want + 1 || split_account(cli_arg_str(a, 0),
		    name, sizeof(name), domain, sizeof(domain), err_r) < 0;
		break;
	}
	if (!bad && op != 0 && arg_dict(a, a->argc - 1) == NULL)
		bad = true;
	if (bad) {
		sfile_usage(usage, sizeof(usage), op, sc, false);
		return usage_error(err_r, usage);
	}
	if (op == 0)
		return data_result(objects_settings_file_get(o, sc->which, name,
		    DOM(domain), err_r), out, err_r);
	in = a->argv[a->argc - 1];
	return rc_of(op == 1 ? objects_settings_file_set(o, sc->which, name,
	    DOM(domain), in, err_r) : objects_settings_file_update(o,
	    sc->which, name, DOM(domain), in, err_r));
}

/* ---- the table ---------------------------------------------------------- */

#define M CMD_MASTER
static const struct cli_cmd cli_cmds[] = {
	{ "ListDomains", M, cmd_list_domains, "ListDomains" },
	{ "MainDomainName", M, cmd_main_domain_name, "MainDomainName" },
	{ "CreateDomain", M, cmd_create_domain, "CreateDomain name [{settings}]" },
	{ "RenameDomain", M, cmd_rename_domain, "RenameDomain old into new" },
	{ "DeleteDomain", M, cmd_delete_domain, "DeleteDomain name [force]" },
	{ "GetDomainEffectiveSettings", M, cmd_get_domain_effective, "GetDomainEffectiveSettings [domain]" },
	{ "GetDomainAliases", M, cmd_get_domain_aliases, "GetDomainAliases [domain]" },
	{ "SetDomainAliases", M, cmd_set_domain_aliases, "SetDomainAliases domain (aliases)" },
	{ "ListAccounts", M, cmd_list_accounts, "ListAccounts [domain]" },
	{ "CreateAccount", M, cmd_create_account, "CreateAccount name [type] [{settings}]" },
	{ "RenameAccount", M, cmd_rename_account, "RenameAccount old into new" },
	{ "DeleteAccount", M, cmd_delete_account, "DeleteAccount name" },
	{ "GetAccountEffectiveSettings", M, cmd_get_account_effective, "GetAccountEffectiveSettings name" },
	{ "GetAccountEffectivePrefs", M, cmd_get_account_effective_prefs, "GetAccountEffectivePrefs name" },
	{ "GetEffectiveAccountPrefs", M, cmd_get_account_effective_prefs, "GetEffectiveAccountPrefs name" },
	{ "SetAccountPassword", 0, cli_cmd_set_account_password, "SetAccountPassword name PASSWORD \"password\" [METHOD mode] [CHECK]" },
	{ "VerifyAccountPassword", M, cmd_verify_account_password, "VerifyAccountPassword name PASSWORD \"password\"" },
	{ "GetAccountAliases", M, cmd_get_account_aliases, "GetAccountAliases name" },
	{ "SetAccountAliases", M, cmd_set_account_aliases, "SetAccountAliases name (aliases)" },
	{ "GetAccountRights", M, cmd_get_account_rights, "GetAccountRights name" },
	{ "SetAccountRights", M, cmd_set_account_rights, "SetAccountRights name (rights)" },
	{ "GetAccountInfo", 0, cli_cmd_get_account_info, "GetAccountInfo name [Key key | (keys)]" },
	{ "ListDomainObjects", 0, cli_list_domain_objects, "ListDomainObjects domain [FILTER \"text\"] limit [COOKIE \"name\"] [ACCOUNTS] [FORWARDERS]" },
	{ "ListForwarders", M, cmd_list_forwarders, "ListForwarders [domain]" },
	{ "CreateForwarder", M, cmd_create_forwarder, "CreateForwarder name TO \"address\"" },
	{ "DeleteForwarder", M, cmd_delete_forwarder, "DeleteForwarder name" },
	{ "GetForwarder", M, cmd_get_forwarder, "GetForwarder name" },
	{ "ListGroups", M, cli_list_groups, "ListGroups [domain]" },
	{ "CreateGroup", M, cli_create_group, "CreateGroup name [{settings}]" },
	{ "RenameGroup", M, cli_rename_group, "RenameGroup name into newname" },
	{ "DeleteGroup", M, cli_delete_group, "DeleteGroup name" },
	{ "GetGroup", M, cli_get_group, "GetGroup name" },
	{ "SetGroup", M, cli_set_group, "SetGroup name {settings}" },
	{ "GetRouterTable", M, cmd_get_router_table, "GetRouterTable" },
	{ "SetRouterTable", M, cmd_set_router_table, "SetRouterTable \"text\"" },
	{ "Route", M, cmd_route, "Route address [mail|access|signal]" },
	{ "GetClientIPs", M, cmd_get_iplist, "GetClientIPs" },
	{ "SetClientIPs", M, cmd_set_iplist, "SetClientIPs \"list\"" },
	{ "GetBlacklistedIPs", M, cmd_get_iplist, "GetBlacklistedIPs" },
	{ "SetBlacklistedIPs", M, cmd_set_iplist, "SetBlacklistedIPs \"list\"" },
	{ "GetWhiteHoleIPs", M, cmd_get_iplist, "GetWhiteHoleIPs" },
	{ "SetWhiteHoleIPs", M, cmd_set_iplist, "SetWhiteHoleIPs \"list\"" },
	{ "GetDebugIPs", M, cmd_get_iplist, "GetDebugIPs" },
	{ "SetDebugIPs", M, cmd_set_iplist, "SetDebugIPs \"list\"" },
	{ "GetLANIPs", M, cmd_get_iplist, "GetLANIPs" },
	{ "SetLANIPs", M, cmd_set_iplist, "SetLANIPs \"list\"" },
	{ "GetDeniedIPs", M, cmd_get_iplist, "GetDeniedIPs" },
	{ "SetDeniedIPs", M, cmd_set_iplist, "SetDeniedIPs \"list\"" },
	{ "GetNATedIPs", M, cmd_get_iplist, "GetNATedIPs" },
	{ "SetNATedIPs", M, cmd_set_iplist, "SetNATedIPs \"list\"" },
	{ "GetTempBlacklistedIPs", M, cli_get_temp_blacklisted_ips, "GetTempBlacklistedIPs" },
	{ "SetTempBlacklistedIPs", M, cli_set_temp_blacklisted_ips, "SetTempBlacklistedIPs \"address[-seconds],...\"" },
	{ "GetLocalIPs", M, cmd_get_local_ips, "GetLocalIPs" },
	{ "TestDNR", M, cli_test_dnr, "TestDNR name [A|AAAA|MX|PTR|TXT|type-number]" },
	{ "GetServerStatistics", M, cli_get_server_statistics, "GetServerStatistics" },
	{ "RefreshOSData", M, cmd_refresh_os_data, "RefreshOSData" },
	{ "GetModule", M, cli_cmd_get_module, "GetModule name" },
	{ "GetQueueSettings", M, cli_cmd_get_queue_settings, "GetQueueSettings" },
	{ "SetQueueSettings", M, cli_cmd_set_queue_settings, "SetQueueSettings {settings}" },
	{ "GetServerIntercept", M, cli_cmd_get_server_intercept, "GetServerIntercept" },
	{ "SetServerIntercept", M, cli_cmd_set_server_intercept, "SetServerIntercept {settings}" },
	{ "GetBanned", M, cli_cmd_get_banned, "GetBanned" },
	{ "SetBanned", M, cli_cmd_set_banned, "SetBanned {settings}" },
	{ "SetModule", M, cmd_set_module, "SetModule name {settings}" },
	{ "UpdateModule", M, cmd_update_module, "UpdateModule name {settings}" },
	{ "ListLogs", M, cli_list_logs, "ListLogs" },
	{ "ReadLog", M, cli_read_log, "ReadLog \"file\" [{Offset=n; Limit=n; Level=n; Module=tag; Filter=text; From=hh:mm; Till=hh:mm}]" },
	{ "WriteLog", M, cmd_write_log, "WriteLog level \"text\"" },
	{ "Backup", M, cmd_backup, "Backup \"/absolute/dir\"" },
	{ "InsertDirectoryRecords", M, cli_insert_directory_records, "InsertDirectoryRecords [domain]" },
	{ "DeleteDirectoryRecords", M, cli_delete_directory_records, "DeleteDirectoryRecords [domain]" },
	{ "GetDirectoryProgress", M, cli_get_directory_progress, "GetDirectoryProgress" },
	{ "SHUTDOWN", M, cmd_shutdown, "SHUTDOWN" },
	{ "NOOP", 0, cmd_noop, "NOOP" },
};
#undef M

/* Commands other modules add (mailboxes, queue ...), registered at start. */
static const struct cli_cmd *extra[CLI_EXTRA_MAX];
static size_t n_extra;

void
cli_add_commands(const struct cli_cmd *cmds, size_t n)
{
	size_t i;

	for (i = 0; i < n && n_extra < CLI_EXTRA_MAX; i++)
		extra[n_extra++] = &cmds[i];
}

static const struct cli_cmd *
cli_find_extra(const char *name)
{
	size_t i;

	for (i = 0; i < n_extra; i++)
		if (strcasecmp(extra[i]->name, name) == 0)
			return extra[i];
	return NULL;
}

enum cli_rc
cli_dispatch(struct cli_ctx *ctx, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	const struct cli_cmd *cmd = NULL;
	const struct sfile_cmd *sc;
	size_t i;
	int op;

	for (i = 0; i < N_ELEMENTS(cli_cmds); i++) {
		if (strcasecmp(cli_cmds[i].name, a->name) == 0) {
			cmd = &cli_cmds[i];
			break;
		}
	}
	if (cmd == NULL && (sc = sfile_find(a->name, &op)) != NULL) {
		if (!ctx->master) {
			error_set(err_r, ERR_PERM, "not enough access rights");
			return CLI_ERROR;
		}
		error_clear(err_r);
		return sfile_run(ctx, a, out, err_r, op, sc);
	}
	if (cmd == NULL)
		cmd = cli_find_extra(a->name);
	if (cmd == NULL)
		return CLI_UNKNOWN;
	if ((cmd->flags & CMD_MASTER) && !ctx->master) {
		error_set(err_r, ERR_PERM, "not enough access rights");
		return CLI_ERROR;
	}
	error_clear(err_r);
	return cmd->run(ctx, a, out, err_r);
}

void
cli_commands_print(FILE *f)
{
	char usage[CLI_USAGE_MAX];
	size_t i;
	int op;

	for (i = 0; i < N_ELEMENTS(cli_cmds); i++)
		fprintf(f, "  %s\n", cli_cmds[i].usage);
	for (i = 0; i < N_ELEMENTS(sfile_cmds); i++)
		for (op = 0; op < (int)N_ELEMENTS(sfile_verbs); op++) {
			sfile_usage(usage, sizeof(usage), op, &sfile_cmds[i],
			    true);
			fprintf(f, "  %s\n", usage);
		}
	for (i = 0; i < n_extra; i++)
		fprintf(f, "  %s\n", extra[i]->usage);
}
