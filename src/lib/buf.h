/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h: owned, growable, bounded byte buffers.  A buf grows up to the ceiling
 * given to buf_init() and then records a sticky BUF_ETOOBIG instead of
 * overflowing, so callers append freely and check ->err once (SQLite's string
 * accumulator, curl's dynbuf).  data is always NUL-terminated (and may also
 * hold NULs).
 */
#ifndef TEGAMI_LIB_BUF_H
#define TEGAMI_LIB_BUF_H

#include "lib/compat.h"

#include <stdarg.h>

#include "lib/strv.h"

#define BUF_ETOOBIG	1

struct buf {				/* owned, growable, bounded */
	char		*data;		/* NUL-terminated; may also hold NULs */
	size_t		 len, cap;
	size_t		 max;		/* ceiling given to buf_init() */
	int		 err;		/* sticky BUF_ETOOBIG once max is hit */
};

void	buf_init(struct buf *b, size_t max);
void	buf_free(struct buf *b);		/* releases memory; b reusable after buf_init */
void	buf_reset(struct buf *b);		/* len = 0, err = 0; keeps memory */
void	buf_append(struct buf *b, const void *p, size_t n);
void	buf_putc(struct buf *b, char c);
void	buf_puts(struct buf *b, const char *s);
void	buf_put_strv(struct buf *b, struct strv s);
void	buf_printf(struct buf *b, const char *fmt, ...) ATTR_FORMAT(2, 3);
void	buf_vprintf(struct buf *b, const char *fmt, va_list ap) ATTR_FORMAT(2, 0);
/* Removes the first n bytes. */
void	buf_consume(struct buf *b, size_t n);
/* Detaches the data (caller frees); the buf is left empty. */
char	*buf_steal(struct buf *b);

static inline struct strv
buf_strv(const struct buf *b)
{
	return (struct strv){ b->data ? b->data : "", b->len };
}

static inline const char *
buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

#endif
