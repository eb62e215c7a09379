/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio.h: durable file writes, done one way everywhere: atomic
 * replacement of a file (temporary file, fsync, rename, fsync of the
 * folder), the fsync of a folder, and new files created under their final
 * name (the queue's and the store's body files) and removed again.
 *
 * With FILEIO_FAULTS the write, fsync and rename calls go through the
 * fault hooks of lib/fault.h (the queue's and the store's data, whose
 * fault tests count those calls); without it they are the plain calls,
 * so settings files, backups and keys never consume an armed fault.
 */
#ifndef TEGAMI_LIB_FILEIO_H
#define TEGAMI_LIB_FILEIO_H

#include "lib/compat.h"

#include <sys/types.h>

#include "lib/buf.h"
#include "lib/error.h"

#define FILEIO_FAULTS	0x1	/* ask fault_hit() before write, fsync, rename */

/* fsync of the folder path (so names created or renamed in it are
 * durable); -1 with err_r (ERR_IO "open/fsync <path>: ..."). */
int	fileio_fsync_dir(const char *path, unsigned flags,
	    struct error *err_r);
/* fileio_fsync_dir() of the folder holding path ("." for a bare name). */
int	fileio_fsync_parent(const char *path, unsigned flags,
	    struct error *err_r);
/* fsync of the file path (opened read-only). */
int	fileio_fsync_file(const char *path, unsigned flags,
	    struct error *err_r);

/* Writes all len bytes to fd (EINTR retried); -1 with errno set (EIO for
 * a write that wrote nothing). */
int	fileio_write_all(int fd, const void *data, size_t len,
	    unsigned flags);

/*
 * Replaces path with data atomically: "<path>.tmp" (a stale one removed
 * first; created O_EXCL | O_NOFOLLOW, then given exactly mode), written,
 * fsynced, closed, renamed over path, and the folder fsynced.  A crash or
 * a failure before the rename leaves the old file as it was (the
 * temporary file is removed on failure).  A failure of the last fsync is
 * reported although the new file is in place.  -1 with err_r (ERR_IO).
 */
int	fileio_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode, unsigned flags, struct error *err_r);

/*
 * Creates path, which must not exist (O_EXCL | O_NOFOLLOW), with data and
 * mode, fsynced and closed: a body file, named by a database row only
 * after this returns and the folder was fsynced.  On failure the file is
 * removed again.  -1 with err_r (ERR_IO, also when path exists).
 */
int	fileio_write_new(const char *path, const void *data, size_t len,
	    mode_t mode, unsigned flags, struct error *err_r);

/* Removes path; a missing file is not an error. */
int	fileio_remove(const char *path, struct error *err_r);

/* Appends up to len bytes of path, from offset off, to out (pread, EINTR
 * retried).  With exact, a file that ends before len bytes is an error
 * ("short file"); without, reading stops at the end.  out's sticky
 * error (its ceiling) is left for the caller to check.  -1 with err_r. */
int	fileio_read(const char *path, uint64_t off, uint64_t len, bool exact,
	    struct buf *out, struct error *err_r);

#endif
