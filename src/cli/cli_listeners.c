/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_listeners.c: module settings changes that may move listeners (see
 * cli_listeners.h).
 */
#include "lib/compat.h"

#include "lib/dict.h"
#include "objects/objects.h"
#include "core/server.h"
#include "cli/cli_listeners.h"

struct save_arg {
	struct server		*srv;
	const char		*module;
	const struct dval	*d;
	bool			 update;
};

static int
save(void *arg, struct error *err_r)
{
	struct save_arg *sa = arg;

	return sa->update ? objects_module_update(sa->srv->objects,
	    sa->module, sa->d, err_r) : objects_module_set(sa->srv->objects,
	    sa->module, sa->d, err_r);
}

int
cli_module_change_listeners(struct server *srv, const char *module,
    const struct dval *d, bool update, struct error *err_r)
{
	struct save_arg sa = { srv, module, d, update };
	struct dval *merged = NULL;
	int rc;

	/* An update that does not name Listener leaves the sockets alone
	 * (under --listen they need not be what the file says). */
	if (update && dict_get(d, "Listener") == NULL)
		return save(&sa, err_r);
	if (update) {
		if ((merged = objects_module_get(srv->objects, module,
		    err_r)) == NULL)
			return -1;
		dict_update(merged, d);
	}
	rc = srv->listeners_change != NULL ? srv->listeners_change(srv,
	    module, update ? merged : d, save, &sa, err_r) : save(&sa, err_r);
	dict_free(&merged);
	return rc;
}
