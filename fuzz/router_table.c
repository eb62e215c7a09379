/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router_table.c: libFuzzer target for the Router Table parser and the
 * routing loop (src/router/).  The first line of the input is an address,
 * the rest a Router Table; the table is checked, installed, and the address
 * routed in all three contexts against a small fixed directory.  Any result
 * must be well formed: ERROR iff router_route() failed, with a reason.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router/router.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
f_main(void *ctx, char *buf, size_t size)
{
	(void)ctx;
	snprintf(buf, size, "main.dom");
}

static int
f_domain(void *ctx, const char *name, char *buf, size_t size)
{
	(void)ctx;
	if (strcasecmp(name, "main.dom") == 0 || strcasecmp(name, "a.dom") == 0)
		return snprintf(buf, size, "main.dom") < 0 ? -1 : 0;
	if (strcasecmp(name, "two.dom") == 0)
		return snprintf(buf, size, "two.dom") < 0 ? -1 : 0;
	return -1;
}

static enum dir_obj
f_object(void *ctx, const char *domain, const char *name, char *target,
    size_t size)
{
	(void)ctx;
	(void)domain;
	if (strcasecmp(name, "postmaster") == 0 || strcasecmp(name, "abc") == 0) {
		snprintf(target, size, "%s", name);
		return DIR_ACCOUNT;
	}
	if (strcasecmp(name, "fwd") == 0) {
		snprintf(target, size, "*x%%two.dom@*");
		return DIR_FORWARDER;
	}
	return DIR_NONE;
}

static void
f_policy(void *ctx, const char *domain, enum route_ctx rctx, char *policy,
    size_t psize, char *reroute, size_t rsize)
{
	(void)ctx;
	(void)rctx;
	snprintf(policy, psize, "%s", strcmp(domain, "two.dom") == 0 ?
	    "Rerouted to" : "Rejected");
	snprintf(reroute, rsize, "*%%*.dom@*.via");
}

static bool
f_local_ip(void *ctx, const char *ip)
{
	(void)ctx;
	return strcmp(ip, "10.0.0.1") == 0;
}

static const struct router_dir_ops ops = {
	f_main, f_domain, f_object, f_policy, f_local_ip
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router *r;
	struct route_result res;
	struct error err;
	char *text, *nl, out[2 * ADDRESS_MAX];
	int ctx, rc;

	if (r == NULL)
		r = router_new(&ops, NULL);
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl++ = '\0';
	if (router_set_table(r, nl != NULL ? nl : "", &err) == -1 &&
	    err.msg[0] == '\0')
		abort();
	for (ctx = ROUTE_MAIL; ctx <= ROUTE_SIGNAL; ctx++) {
		rc = router_route(r, text, (enum route_ctx)ctx, NULL, &res,
		    &err);
		if ((rc == -1) != (res.module == ROUTE_ERROR))
			abort();
		if (rc == -1 && (res.error[0] == '\0' || err.msg[0] == '\0'))
			abort();
		router_format_result(&res, out, sizeof(out));
	}
	free(text);
	return 0;
}
