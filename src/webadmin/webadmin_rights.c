/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_rights.c: what an administrator may do (docs/api.md, Rights).
 *
 *  - The server administrator (postmaster, or a main-domain account with
 *    the Master right; auth_result.master) runs every command of the CLI
 *    table, exactly as the CLI runs it for him.
 *  - A Domain Administrator (an account of a domain with the right
 *    "Domain" in its Rights) may open only that domain's WebAdmin, and runs
 *    only the account-level commands below, only on objects of that
 *    domain: every name argument must be in the domain (a name without a
 *    domain is taken to be in it), and a command whose domain argument is
 *    optional gets the domain filled in.  The CLI itself has no
 *    domain-administrator level (its commands need Master), so these run
 *    with the CLI's Master context once the checks above passed; anything
 *    else is refused with the CLI's "not enough access rights".
 *  - Any other account may log in but administers nothing.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "cli/cli_args.h"
#include "objects/objects.h"
#include "core/server.h"
#include "webadmin/webadmin_core.h"

static bool
has_domain_right(struct server *srv, const struct wa_admin *a)
{
	struct dval *r = objects_account_rights_get(srv->objects, a->account,
	    a->domain, NULL);
	const char *s;
	bool ok = false;
	size_t i;

	for (i = 0; i < dict_array_len(r) && !ok; i++) {
		s = dict_str(dict_array_get(r, i), NULL);
		ok = s != NULL && strcasecmp(s, WA_RIGHT_DOMAIN) == 0;
	}
	dict_free(&r);
	return ok;
}

bool
wa_may_administer(struct server *srv, const struct wa_admin *a,
    const char *domain, bool server_pages, struct error *err_r)
{
	if (a->master)
		return true;
	if (server_pages) {
		error_set(err_r, ERR_PERM, "not enough access rights: the "
		    "server WebAdmin needs the Master right");
		return false;
	}
	if (strcasecmp(a->domain, domain) != 0) {
		error_set(err_r, ERR_PERM, "not enough access rights: %s@%s "
		    "does not administer %s", a->account, a->domain, domain);
		return false;
	}
	if (!has_domain_right(srv, a)) {
		error_set(err_r, ERR_PERM, "not enough access rights: %s@%s "
		    "is not a Domain Administrator", a->account, a->domain);
		return false;
	}
	return true;
}

/* What a domain command's arguments are. */
enum arg_kind {
	ARG_NAME,		/* argument 0 is an object name */
	ARG_NAME_INTO,		/* "old into new": arguments 0 and 2 */
	ARG_DOMAIN_OPT		/* argument 0 is the domain, optional */
};

static const struct {
	const char	*name;
	enum arg_kind	 kind;
} domain_cmds[] = {
	{ "ListAccounts", ARG_DOMAIN_OPT },
	{ "ListDomainObjects", ARG_DOMAIN_OPT },
	{ "ListForwarders", ARG_DOMAIN_OPT },
	{ "GetDomainAliases", ARG_DOMAIN_OPT },
	{ "GetDomainEffectiveSettings", ARG_DOMAIN_OPT },
	{ "GetDomainSettings", ARG_DOMAIN_OPT },
	{ "GetAccountDefaults", ARG_DOMAIN_OPT },
	{ "GetAccountDefaultPrefs", ARG_DOMAIN_OPT },
	{ "CreateAccount", ARG_NAME },
	{ "DeleteAccount", ARG_NAME },
	{ "RenameAccount", ARG_NAME_INTO },
	{ "GetAccountEffectiveSettings", ARG_NAME },
	{ "GetAccountEffectivePrefs", ARG_NAME },
	{ "GetEffectiveAccountPrefs", ARG_NAME },
	{ "GetAccountSettings", ARG_NAME },
	{ "UpdateAccountSettings", ARG_NAME },
	{ "GetAccountPrefs", ARG_NAME },
	{ "UpdateAccountPrefs", ARG_NAME },
	{ "SetAccountPassword", ARG_NAME },
	{ "GetAccountAliases", ARG_NAME },
	{ "SetAccountAliases", ARG_NAME },
	{ "GetAccountInfo", ARG_NAME },
	{ "CreateForwarder", ARG_NAME },
	{ "DeleteForwarder", ARG_NAME },
	{ "GetForwarder", ARG_NAME },
};

/* Argument i must name an object of domain: "name" becomes
 * "name@domain"; "name@other" (or "name%other") is refused. */
static bool
name_in_domain(struct cli_args *a, size_t i, const char *domain)
{
	const char *s = cli_arg_str(a, i), *at;
	char full[ADDRESS_MAX + 1];

	if (s == NULL)
		return false;
	at = strpbrk(s, "@%");
	if (at != NULL)
		return strcasecmp(at + 1, domain) == 0 && *at == '@';
	if ((size_t)snprintf(full, sizeof(full), "%s@%s", s, domain) >=
	    sizeof(full))
		return false;
	dict_free(&a->argv[i]);
	a->argv[i] = dict_new_cstr(full);
	return true;
}

enum cli_rc
wa_dispatch(struct wa_req *r, const struct cli_args *args, struct buf *out,
    struct error *err_r)
{
	struct cli_args a;
	struct cli_ctx ctx;
	enum cli_rc rc;
	size_t i, k;
	bool ok;

	if (r->cli.master)
		return cli_dispatch(&r->cli, args, out, err_r);
	for (k = 0; k < N_ELEMENTS(domain_cmds); k++)
		if (strcasecmp(domain_cmds[k].name, args->name) == 0)
			break;
	if (k == N_ELEMENTS(domain_cmds) || r->server_pages ||
	    strcasecmp(r->cli.domain, r->domain) != 0)
		return error_set(err_r, ERR_PERM, "not enough access rights"),
		    CLI_ERROR;
	/* A private copy of the arguments, to fill in the domain. */
	memset(&a, 0, sizeof(a));
	memcpy(a.name, args->name, sizeof(a.name));
	for (i = 0; i < args->argc; i++)
		a.argv[i] = dict_clone(args->argv[i]);
	a.argc = args->argc;
	switch (domain_cmds[k].kind) {
	case ARG_DOMAIN_OPT:
		if (a.argc == 0) {
			a.argv[0] = dict_new_cstr(r->domain);
			a.argc = 1;
		}
		ok = cli_arg_str(&a, 0) != NULL &&
		    strcasecmp(cli_arg_str(&a, 0), r->domain) == 0;
		break;
	case ARG_NAME_INTO:
		ok = name_in_domain(&a, 0, r->domain) &&
		    name_in_domain(&a, 2, r->domain);
		break;
	default:
		ok = name_in_domain(&a, 0, r->domain);
		break;
	}
	if (!ok) {
		cli_args_clear(&a);
		return error_set(err_r, ERR_PERM, "not enough access rights "
		    "outside %s", r->domain), CLI_ERROR;
	}
	ctx = r->cli;
	ctx.master = true;
	log_ses(r->http->log, LOG_LOW, "domain administrator %s@%s runs %s "
	    "in %s", r->cli.account, r->cli.domain, a.name, r->domain);
	rc = cli_dispatch(&ctx, &a, out, err_r);
	cli_args_clear(&a);
	return rc;
}
