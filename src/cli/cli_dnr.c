/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_dnr.c: TestDNR (see cli_dnr.h).
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "cli/cli_args.h"
#include "cli/cli_dnr.h"
#include "dnr/dnr.h"

#define USAGE	"usage: TestDNR name [A|AAAA|MX|PTR|TXT]"

static void
push_addr(struct dval *arr, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)ss)->sin6_addr, a, sizeof(a));
	else
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)ss)->sin_addr, a, sizeof(a));
	dict_array_push_cstr(arr, a);
}

static enum dnr_status
lookup(const char *name, const char *type, struct dval *arr,
    struct error *err_r)
{
	struct sockaddr_storage addrs[DNR_ADDR_MAX], ss;
	struct dnr_mx mx[DNR_MX_MAX];
	char txt[DNR_TXT_MAX + 1], line[DNR_NAME_MAX + 16];
	enum dnr_status st;
	size_t n, i;

	if (strcasecmp(type, "MX") == 0) {
		st = dnr_mx(name, mx, DNR_MX_MAX, &n, err_r);
		for (i = 0; st == DNR_OK && i < n; i++) {
			(void)snprintf(line, sizeof(line), "%u %s",
			    (unsigned)mx[i].pref, mx[i].host);
			dict_array_push_cstr(arr, line);
		}
		return st;
	}
	if (strcasecmp(type, "A") == 0 || strcasecmp(type, "AAAA") == 0) {
		st = dnr_addrs(name, strcasecmp(type, "A") == 0 ? AF_INET :
		    AF_INET6, addrs, DNR_ADDR_MAX, &n, err_r);
		for (i = 0; st == DNR_OK && i < n; i++)
			push_addr(arr, &addrs[i]);
		return st;
	}
	if (strcasecmp(type, "TXT") == 0) {
		if ((st = dnr_txt(name, txt, sizeof(txt), err_r)) == DNR_OK)
			dict_array_push_cstr(arr, txt);
		return st;
	}
	if (strcasecmp(type, "PTR") == 0) {
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, name, &((struct sockaddr_in *)
		    (void *)&ss)->sin_addr) == 1)
			ss.ss_family = AF_INET;
		else if (inet_pton(AF_INET6, name, &((struct sockaddr_in6 *)
		    (void *)&ss)->sin6_addr) == 1)
			ss.ss_family = AF_INET6;
		else {
			error_set(err_r, ERR_SYNTAX, "PTR: an IP address "
			    "expected");
			return DNR_ERROR;
		}
		if ((st = dnr_ptr((struct sockaddr *)&ss, txt, sizeof(txt),
		    err_r)) == DNR_OK)
			dict_array_push_cstr(arr, txt);
		return st;
	}
	error_set(err_r, ERR_SYNTAX, USAGE);
	return DNR_ERROR;
}

enum cli_rc
cli_test_dnr(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	const char *name = a->argc >= 1 ? cli_arg_str(a, 0) : NULL;
	const char *type = a->argc == 2 ? cli_arg_str(a, 1) : "A";
	struct dval *arr;

	(void)c;
	if (name == NULL || type == NULL || a->argc > 2) {
		error_set(err_r, ERR_SYNTAX, USAGE);
		return CLI_ERROR;
	}
	arr = dict_new_array();
	if (lookup(name, type, arr, err_r) != DNR_OK) {
		dict_free(&arr);
		return CLI_ERROR;
	}
	dict_write(out, arr, 0);
	dict_free(&arr);
	return CLI_DATA;
}
