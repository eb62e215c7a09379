/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_blacklist.c: GetTempBlacklistedIPs and SetTempBlacklistedIPs (see
 * cli_blacklist.h).  Changes are logged under PWD at the Major level.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "cli/cli_args.h"
#include "cli/cli_blacklist.h"

#define GET_USAGE	"usage: GetTempBlacklistedIPs"
#define SET_USAGE	"usage: SetTempBlacklistedIPs \"address[-seconds],...\""

enum cli_rc
cli_get_temp_blacklisted_ips(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct buf list;

	(void)c;
	if (a->argc != 0) {
		error_set(err_r, ERR_SYNTAX, GET_USAGE);
		return CLI_ERROR;
	}
	/* AUTH_TEMPBL_MAX entries of at most 48 bytes fit. */
	buf_init(&list, AUTH_TEMPBL_MAX * 48);
	auth_tempbl_format(&list);
	if (list.err != 0) {
		buf_free(&list);
		error_set(err_r, ERR_LIMIT, "list too long");
		return CLI_ERROR;
	}
	dict_write_string(out, buf_cstr(&list), list.len);
	buf_free(&list);
	return CLI_DATA;
}

/* The argument as one text: a string, or an array of strings joined by
 * line ends (as the other address-list commands take them). */
static int
arg_text(const struct cli_args *a, struct buf *text)
{
	const char *s = cli_arg_str(a, 0);
	size_t i;

	if (s != NULL) {
		buf_puts(text, s);
		return 0;
	}
	if (dict_type(a->argv[0]) != DICT_ARRAY)
		return -1;
	for (i = 0; i < dict_array_len(a->argv[0]); i++) {
		s = dict_str(dict_array_get(a->argv[0], i), NULL);
		if (s == NULL)
			return -1;
		buf_printf(text, "%s\n", s);
	}
	return 0;
}

enum cli_rc
cli_set_temp_blacklisted_ips(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct auth_tempbl_item *items;
	struct buf text;
	char ip[INET6_ADDRSTRLEN];
	unsigned def, secs;
	size_t n, i;
	enum cli_rc rc = CLI_OK;

	(void)out;
	if (a->argc != 1) {
		error_set(err_r, ERR_SYNTAX, SET_USAGE);
		return CLI_ERROR;
	}
	buf_init(&text, AUTH_TEMPBL_TEXT_MAX);
	if (arg_text(a, &text) < 0) {
		buf_free(&text);
		error_set(err_r, ERR_SYNTAX, SET_USAGE);
		return CLI_ERROR;
	}
	if (text.err != 0) {
		buf_free(&text);
		error_set(err_r, ERR_LIMIT, "address list longer than %u bytes",
		    AUTH_TEMPBL_TEXT_MAX);
		return CLI_ERROR;
	}
	items = xcalloc(AUTH_TEMPBL_MAX, sizeof(*items));
	if (auth_tempbl_parse(text.data, text.len, items, AUTH_TEMPBL_MAX, &n,
	    err_r) < 0) {
		free(items);
		buf_free(&text);
		return CLI_ERROR;
	}
	def = auth_tempbl_default_time(c->srv);
	for (i = 0; i < n; i++) {
		ipaddr_format(&items[i].addr, ip, sizeof(ip));
		if (items[i].seconds == 0) {
			if (auth_tempbl_remove(&items[i].addr) && c->log != NULL)
				log_ses(c->log, LOG_MAJOR, "%s removed from the "
				    "temporary blacklist", ip);
			continue;
		}
		secs = items[i].seconds < 0 ? def : (unsigned)items[i].seconds;
		if (auth_tempbl_add(&items[i].addr, secs, err_r) < 0) {
			rc = CLI_ERROR;		/* the list is full */
			break;
		}
		if (c->log != NULL)
			log_ses(c->log, LOG_MAJOR, "%s temporarily blacklisted "
			    "for %u s by the administrator", ip, secs);
	}
	free(items);
	buf_free(&text);
	return rc;
}
