/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.h: the one error convention.  Functions that can fail return 0 or -1
 * (pointer-returning ones NULL) and fill an optional struct error *err_r.
 * lib/, net/ and parsers never log: the caller maps the kind to a protocol
 * reply (ERR_TEMP -> 4xx/NO, ERR_SYNTAX -> 5xx/BAD) and decides what to log.
 */
#ifndef TEGAMI_LIB_ERROR_H
#define TEGAMI_LIB_ERROR_H

#include "lib/compat.h"

enum err_kind {
	ERR_NONE = 0,
	ERR_SYNTAX,
	ERR_LIMIT,
	ERR_AUTH,
	ERR_NOTFOUND,
	ERR_EXISTS,
	ERR_TEMP,
	ERR_IO,
	ERR_PERM,
	ERR_INTERNAL
};

struct error {
	enum err_kind	kind;
	char		msg[256];
};

/* Fills *e when e is not NULL; always returns -1. */
int	error_set(struct error *e, enum err_kind kind, const char *fmt, ...)
	    ATTR_FORMAT(3, 4);
void	error_clear(struct error *e);
const char	*error_kind_name(enum err_kind kind);

#endif
