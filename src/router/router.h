/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.h: the Router.  Every address any module handles -- recipients,
 * return-paths, login names, LoginPage@<host> of the web interfaces -- goes
 * through router_route().  No module resolves accounts by itself.
 *
 * The router knows the server's objects only through struct router_dir_ops,
 * so it is tested against a fake directory and wired to src/objects by the
 * daemon (objects_router_ops).
 */
#ifndef TEGAMI_ROUTER_ROUTER_H
#define TEGAMI_ROUTER_ROUTER_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/error.h"

/* Which records apply: no prefix applies to all; Mail:, Access:, Signal:
 * only to their context. */
enum route_ctx {
	ROUTE_MAIL,		/* envelope recipients and return-paths */
	ROUTE_ACCESS,		/* login names, LoginPage@host */
	ROUTE_SIGNAL
};

enum route_module {
	ROUTE_ERROR = 0,	/* refused: see error */
	ROUTE_LOCAL,		/* account in one of our domains */
	ROUTE_SMTP,		/* remote: host + address */
	ROUTE_NULL,		/* accepted and discarded */
	ROUTE_PIPE,		/* external program: address = command */
	ROUTE_GROUP		/* a group of ours: domain, account = its name,
				 * address "group@domain" (expanded by the
				 * delivery) */
};

struct route_result {
	enum route_module	module;
	/* LOCAL: canonical domain and account name ("postmaster", "abc"). */
	char			domain[DOMAIN_NAME_MAX + 1];
	char			account[OBJECT_NAME_MAX + 1];
	/* SMTP: the host to connect to (domain, "mainhost.com" from .via,
	 * or "[1.2.3.4]") and the envelope address to give it.
	 * LOCAL: "account@domain".  PIPE: the program and its arguments. */
	char			host[DOMAIN_NAME_MAX + 3];
	char			address[ADDRESS_MAX + 1];
	bool			relay_ok;	/* a Relay:/RelayAll: record applied */
	bool			relay_all;	/* it was RelayAll: */
	char			error[256];	/* ERROR: the reason, for the peer */
};

enum dir_obj {
	DIR_NONE = 0,
	DIR_ACCOUNT,		/* target = the account's canonical name */
	DIR_ALIAS,		/* target = the account it names */
	DIR_FORWARDER,		/* target = the address it forwards to */
	DIR_GROUP		/* target = the group's canonical name */
};

struct router_dir_ops {
	/* The main domain's name. */
	void		(*main_domain)(void *ctx, char *buf, size_t size);
	/* 0 and the canonical domain name when name is one of our domains or
	 * a domain alias (case-insensitive); -1 otherwise. */
	int		(*find_domain)(void *ctx, const char *name, char *buf,
			    size_t size);
	/* Object `name` in canonical `domain`, case-insensitive. */
	enum dir_obj	(*find_object)(void *ctx, const char *domain,
			    const char *name, char *target, size_t size);
	/* The domain's unknown-name policy for the context: MailToUnknown /
	 * AccessToUnknown ("Rejected", "Discarded", "Rerouted to",
	 * "Accepted and Bounced") and MailRerouteAddress /
	 * AccessRerouteAddress ("*" stands for the unknown name). */
	void		(*unknown_policy)(void *ctx, const char *domain,
			    enum route_ctx rctx, char *policy, size_t psize,
			    char *reroute, size_t rsize);
	/* True when ip ("1.2.3.4", "::1") is one of this server's addresses. */
	bool		(*is_local_ip)(void *ctx, const char *ip);
};

struct router;

struct router	*router_new(const struct router_dir_ops *ops, void *ctx);
void		 router_free(struct router **rp);

/* Replaces the Router Table.  On a syntax error the old table stays and
 * err_r names the line.  Thread-safe against concurrent router_route(). */
int		 router_set_table(struct router *r, const char *text,
		    struct error *err_r);
/* The table text as last set (caller frees). */
char		*router_get_table(struct router *r);
/* Validates table text without installing it. */
int		 router_check_table(const char *text, struct error *err_r);

/* Routes address in context rctx.  An address without a domain takes
 * default_domain (NULL: the main domain) -- the login path passes the domain
 * that owns the local IP address (docs/behaviour.md, B10).  Returns 0 when
 * routed (module is not
 * ROUTE_ERROR); -1 with res->module = ROUTE_ERROR and res->error (and err_r)
 * filled when the address is refused or malformed. */
int		 router_route(struct router *r, const char *address,
		    enum route_ctx rctx, const char *default_domain,
		    struct route_result *res, struct error *err_r);

/* "LOCAL(abc@main.dom)", "SMTP(mainhost.com)client1.com@..." ... as shown by
 * the CLI Route command and WebAdmin: module(queue)address. */
void		 router_format_result(const struct route_result *res,
		    char *buf, size_t size);
const char	*route_ctx_name(enum route_ctx rctx);

#endif
