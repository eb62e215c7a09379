/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.h: fault injection for the durable paths (queue/, store/), as
 * SQLite's I/O-error tests and curl's torture tests do it.  A test (or
 * tegamid with TEGAMI_FAULT set) arms "fail the Nth write, fsync or rename
 * from now"; the call sites of our own file I/O ask fault_hit() first, and
 * SQLite's file I/O goes through the "tegami-fault" VFS shim, which asks
 * it too.  Each armed fault fires once, then disarms itself.
 *
 * Nothing is armed in production: fault_hit() is then one relaxed atomic
 * load, and the shim is not even registered, so SQLite uses its own VFS.
 * Process-wide and thread-safe (C11 atomics, no lock).
 */
#ifndef TEGAMI_LIB_FAULT_H
#define TEGAMI_LIB_FAULT_H

#include "lib/compat.h"

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/error.h"

enum fault_op {
	FAULT_WRITE = 0,	/* write(2), SQLite xWrite */
	FAULT_FSYNC,		/* fsync(2), SQLite xSync */
	FAULT_RENAME,		/* rename(2) */
	FAULT_OP_COUNT
};

#define FAULT_SPEC_MAX	256	/* bytes of a TEGAMI_FAULT value */
#define FAULT_NTH_MAX	1000000000UL	/* largest N in a spec */

/* Arms "the nth call of op from now fails" (n >= 1); n == 0 disarms op. */
void	fault_set(enum fault_op op, unsigned long n);
/* Disarms every op (the fired counter stays). */
void	fault_reset(void);
/*
 * Counts one call of op; true exactly when this call must fail (then op
 * is disarmed and the fired counter goes up).  Always false when nothing
 * is armed.
 */
bool	fault_hit(enum fault_op op);
/* How many faults have fired since the process started. */
unsigned long	fault_fired(void);
/* "write", "fsync", "rename"; NULL for a bad op. */
const char	*fault_op_name(enum fault_op op);

/*
 * Parses a spec such as "fsync:40" or "write:17,rename:2" (comma-separated
 * op:N, N >= 1) and arms it.  Nothing is armed when the spec is bad:
 * -1 with ERR_SYNTAX.
 */
int	fault_from_env(const char *spec, struct error *err_r);

/*
 * Registers the "tegami-fault" SQLite VFS (idempotent, thread-safe) as the
 * default VFS: it wraps the default one and fails xWrite with
 * SQLITE_IOERR_WRITE and xSync with SQLITE_IOERR_FSYNC when fault_hit()
 * says so.  Call before the databases are opened.  0, or -1 with ERR_INTERNAL.
 */
int	fault_sqlite_register(struct error *err_r);

/* The call sites: the call itself, or -1 with errno EIO when it must fail. */
static inline ssize_t
fault_write(int fd, const void *p, size_t n)
{
	if (fault_hit(FAULT_WRITE)) {
		errno = EIO;
		return -1;
	}
	return write(fd, p, n);
}

static inline int
fault_fsync(int fd)
{
	if (fault_hit(FAULT_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

static inline int
fault_rename(const char *from, const char *to)
{
	if (fault_hit(FAULT_RENAME)) {
		errno = EIO;
		return -1;
	}
	return rename(from, to);
}

#endif
