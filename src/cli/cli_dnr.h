/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_dnr.h: TestDNR, a lookup through the server's DNR (its cache, its
 * socket, its logs), for administrators checking the resolver and for the
 * tests (docs/dnr.md).
 */
#ifndef TEGAMI_CLI_CLI_DNR_H
#define TEGAMI_CLI_CLI_DNR_H

#include "lib/compat.h"

#include "cli/cli_commands.h"

/* TestDNR name [A|AAAA|MX|PTR|TXT]: an array of the records' texts (MX as
 * "pref host", PTR: name is an IP address); a lookup that finds nothing
 * is an error whose text is the DNR's ("A:host name is unknown"). */
enum cli_rc	cli_test_dnr(struct cli_ctx *c, const struct cli_args *a,
		    struct buf *out, struct error *err_r);

#endif
