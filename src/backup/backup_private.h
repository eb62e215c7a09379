/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_private.h: file helpers shared by the backup and the restore.
 */
#ifndef TEGAMI_BACKUP_BACKUP_PRIVATE_H
#define TEGAMI_BACKUP_BACKUP_PRIVATE_H

#include "lib/compat.h"

#include <sys/types.h>

#include "lib/error.h"

/*
 * Copies the regular file src to dst (created with O_EXCL and mode, so an
 * existing dst is an error), hashing the bytes as they pass (sha may be
 * NULL), and fsyncs dst.  src is opened without following a symbolic
 * link.  ERR_NOTFOUND when src is missing, else ERR_IO.
 */
int	bfs_copy_file(const char *src, const char *dst, mode_t mode,
	    unsigned char *sha, uint64_t *size_r, struct error *err_r);
/* 1 when path is an empty folder, 0 when it has entries; -1 with errno
 * (ENOENT when missing, ENOTDIR) in err_r. */
int	bfs_dir_empty(const char *path, struct error *err_r);
/* fileio_write_atomic() of dir/name, mode 0600. */
int	bfs_write_atomic(const char *dir, const char *name, const void *data,
	    size_t len, struct error *err_r);

#endif
