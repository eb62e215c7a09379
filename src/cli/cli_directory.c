/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_directory.c: InsertDirectoryRecords, DeleteDirectoryRecords and
 * GetDirectoryProgress (see cli_directory.h).
 */
#include "lib/compat.h"

#include <stdio.h>

#include "lib/dict.h"
#include "objects/objects.h"
#include "directory/directory.h"
#include "directory/dirsync.h"
#include "core/server.h"
#include "cli/cli_args.h"
#include "cli/cli_directory.h"

static enum cli_rc
run(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r, bool insert)
{
	const char *domain = a->argc > 0 ? cli_arg_str(a, 0) : NULL;
	struct dval *n;
	size_t done;
	int rc;

	if (a->argc > 1 || (a->argc == 1 && domain == NULL))
		return error_set(err_r, ERR_SYNTAX, "usage: %s [domain]",
		    insert ? "InsertDirectoryRecords" :
		    "DeleteDirectoryRecords"), CLI_ERROR;
	if (c->srv->directory == NULL)
		return error_set(err_r, ERR_INTERNAL, "no directory"),
		    CLI_ERROR;
	rc = insert ? dirsync_insert_all(c->srv->objects, c->srv->directory,
	    domain, &done, err_r) : dirsync_delete_all(c->srv->objects,
	    c->srv->directory, domain, &done, err_r);
	if (rc == -1)
		return CLI_ERROR;
	n = dict_new_number((int64_t)done);
	dict_write(out, n, 0);
	dict_free(&n);
	return CLI_DATA;
}

enum cli_rc
cli_insert_directory_records(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	return run(c, a, out, err_r, true);
}

enum cli_rc
cli_delete_directory_records(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	return run(c, a, out, err_r, false);
}

enum cli_rc
cli_get_directory_progress(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct dirsync_progress p;
	struct dval *d;

	(void)c;
	if (a->argc != 0)
		return error_set(err_r, ERR_SYNTAX, "usage: "
		    "GetDirectoryProgress"), CLI_ERROR;
	dirsync_progress(&p);
	d = dict_new_dict();
	dict_set_str(d, "Operation", p.operation);
	dict_set_str(d, "Domain", p.domain);
	dict_set(d, "Done", dict_new_number((int64_t)p.done));
	dict_set(d, "Total", dict_new_number((int64_t)p.total));
	dict_set_str(d, "Running", p.running ? "YES" : "NO");
	dict_write(out, d, 0);
	dict_free(&d);
	return CLI_DATA;
}
