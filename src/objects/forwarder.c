/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forwarder.c: forwarders -- domain objects that pass mail for their name to
 * another address (CLI CreateForwarder f TO "addr").  A domain's forwarders
 * live in its Forwarders.settings dictionary (name = address) and share the
 * domain's name table with accounts and aliases; domrec.c keeps them.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

static bool
fwd_valid(const struct dval *v)
{
	return dict_str(v, NULL) != NULL;
}

/* An address: not empty, at most ADDRESS_MAX bytes, no line breaks. */
static int
fwd_check(const struct dval *v, struct error *err_r)
{
	const char *a;
	size_t len;

	if ((a = dict_str(v, &len)) == NULL || len == 0 || len > ADDRESS_MAX ||
	    strpbrk(a, "\r\n") != NULL || memchr(a, '\0', len) != NULL)
		return error_set(err_r, ERR_SYNTAX, "illegal address");
	return 0;
}

const struct domrec_kind domrec_forwarders = {
	.kind = OBJ_FORWARDER,
	.file = "Forwarders.settings",
	.field = offsetof(struct domain, forwarders),
	.unknown = "unknown forwarder",
	.valid = fwd_valid,
	.check = fwd_check,
};

int
objects_forwarder_create(struct objects *o, const char *name,
    const char *domain, const char *address, struct error *err_r)
{
	return domrec_create(o, &domrec_forwarders, name, domain,
	    dict_new_cstr(address), err_r);
}

int
objects_forwarder_delete(struct objects *o, const char *name,
    const char *domain, struct error *err_r)
{
	return domrec_delete(o, &domrec_forwarders, name, domain, err_r);
}

int
objects_forwarder_get(struct objects *o, const char *name, const char *domain,
    char *buf, size_t size, struct error *err_r)
{
	struct dval *v;
	const char *s;

	if ((v = domrec_value(o, &domrec_forwarders, name, domain,
	    err_r)) == NULL)
		return -1;
	s = dict_str(v, NULL);
	obj_copy(buf, size, s != NULL ? s : "");
	dict_free(&v);
	return 0;
}

struct dval *
objects_forwarder_list(struct objects *o, const char *domain,
    struct error *err_r)
{
	return domrec_list(o, &domrec_forwarders, domain, err_r);
}
