/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xmalloc.h: allocation that never returns NULL (logs to stderr and aborts on
 * exhaustion), overflow-checked size arithmetic, fatal().
 */
#ifndef TEGAMI_LIB_XMALLOC_H
#define TEGAMI_LIB_XMALLOC_H

#include "lib/compat.h"

void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t size);
char	*xstrdup(const char *s);
/* Copies at most n bytes of s (stops at a NUL). */
char	*xstrndup(const char *s, size_t n);
/* Allocating printf; never NULL. */
char	*xasprintf(const char *fmt, ...) ATTR_FORMAT(1, 2);

/* a + b and a * b; abort on overflow (wire sizes pass through these). */
size_t	 size_add(size_t a, size_t b);
size_t	 size_mul(size_t a, size_t b);

/* Print "tegami: fatal: ..." to stderr and exit(1).  Start-up and broken invariants. */
void	 fatal(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;

#define ASSERT(x) do { if (!(x)) fatal("assertion failed: %s (%s:%d)", \
	#x, __FILE__, __LINE__); } while (0)

#endif
