/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.c: filling struct error.
 */
#include "lib/compat.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/error.h"

int
error_set(struct error *e, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
error_clear(struct error *e)
{
	if (e != NULL) {
		e->kind = ERR_NONE;
		e->msg[0] = '\0';
	}
}

const char *
error_kind_name(enum err_kind kind)
{
	static const char *const names[] = {
		"none", "syntax", "limit", "auth", "not found", "exists",
		"temporary", "I/O", "permission", "internal"
	};

	if ((unsigned)kind >= N_ELEMENTS(names))
		return "unknown";
	return names[kind];
}
