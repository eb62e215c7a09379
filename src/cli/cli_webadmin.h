/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_webadmin.h: CLI commands the WebAdmin pages need that the other
 * tables lack (docs/admin-cli.md): a paged listing of a domain's objects and
 * reading the server log with filters.
 *
 *   ListDomainObjects domain [FILTER "text"] limit [COOKIE "name"]
 *	    [ACCOUNTS] [FORWARDERS]
 *	(#total, {name = type | {Forwarder = address}}, "cookie")
 *	at most limit objects sorted by name, after the COOKIE name; total
 *	counts every match; the cookie is the last name given, "" at the end.
 *   ListLogs
 *	({Name = "2026-12-03.log"; Size = #n; Current = YES}, ...), newest first
 *   ReadLog "file" [{Offset; Limit; Level; Module; Filter; From; Till}]
 *	{Lines = (...); Offset = #next; Size = #n}
 */
#ifndef TEGAMI_CLI_CLI_WEBADMIN_H
#define TEGAMI_CLI_CLI_WEBADMIN_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

struct cli_args;

enum cli_rc	cli_list_domain_objects(struct cli_ctx *c,
		    const struct cli_args *a, struct buf *out,
		    struct error *err_r);
enum cli_rc	cli_list_logs(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);
enum cli_rc	cli_read_log(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);

/* A log record's fields, for the filters (pure; unit tested): level digit
 * 0-5 or -1, the module tag copied to tag (size n, "" if none). */
int		cli_log_record_level(const char *line, size_t len);
void		cli_log_record_tag(const char *line, size_t len, char *tag,
		    size_t n);

#endif
