/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xmalloc.c: allocation wrappers that abort instead of returning NULL, so no
 * caller has to check (OpenSMTPD's xmalloc, Postfix's mymalloc).
 */
#include "lib/compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static void ATTR_NORETURN
oom(size_t size)
{
	fprintf(stderr, "tegami: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(size_mul(n, size));
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		oom(size);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	n = strnlen(s, n);
	p = xmalloc(size_add(n, 1));

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return p;
}

size_t
size_add(size_t a, size_t b)
{
	if (a > SIZE_MAX - b)
		fatal("size overflow in addition");
	return a + b;
}

size_t
size_mul(size_t a, size_t b)
{
	if (b != 0 && a > SIZE_MAX / b)
		fatal("size overflow in multiplication");
	return a * b;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("tegami: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}
