/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio.c: atomic file replacement, folder fsync, body files (see
 * fileio.h).
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"

static int
do_fsync(int fd, unsigned flags)
{
	return (flags & FILEIO_FAULTS) ? fault_fsync(fd) : fsync(fd);
}

static int
do_rename(const char *from, const char *to, unsigned flags)
{
	return (flags & FILEIO_FAULTS) ? fault_rename(from, to) :
	    rename(from, to);
}

int
fileio_write_all(int fd, const void *data, size_t len, unsigned flags)
{
	const char *p = data;
	size_t off = 0;
	ssize_t w;

	while (off < len) {
		w = (flags & FILEIO_FAULTS) ? fault_write(fd, p + off,
		    len - off) : write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* fsync of path opened with oflags. */
static int
fsync_path(const char *path, int oflags, unsigned flags,
    struct error *err_r)
{
	int fd, rc = 0;

	if ((fd = open(path, oflags | O_CLOEXEC)) < 0)
		return error_set(err_r, ERR_IO,
		    "open %s: %s", path, strerror(errno));
	if (do_fsync(fd, flags) < 0)
		rc = error_set(err_r, ERR_IO, "fsync %s: %s", path,
		    strerror(errno));
	close(fd);
	return rc;
}

int
fileio_fsync_dir(const char *path, unsigned flags, struct error *err_r)
{
	return fsync_path(path, O_RDONLY | O_DIRECTORY, flags, err_r);
}

int
fileio_fsync_file(const char *path, unsigned flags, struct error *err_r)
{
	return fsync_path(path, O_RDONLY, flags, err_r);
}

int
fileio_fsync_parent(const char *path, unsigned flags, struct error *err_r)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (slash == NULL)
		return fileio_fsync_dir(".", flags, err_r);
	dir = slash == path ? xstrdup("/") : xstrndup(path,
	    (size_t)(slash - path));
	rc = fileio_fsync_dir(dir, flags, err_r);
	free(dir);
	return rc;
}

int
fileio_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, unsigned flags, struct error *err_r)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd, rc = -1;

	/* A stale temporary file (a crash) goes first: O_EXCL below then
	 * never writes through someone else's file or link. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		error_set(err_r, ERR_IO, "create %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	/* the exact mode, whatever the umask */
	if (fchmod(fd, mode) < 0 || fileio_write_all(fd, data, len,
	    flags) < 0) {
		error_set(err_r, ERR_IO, "write %s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (do_fsync(fd, flags) < 0) {
		error_set(err_r, ERR_IO, "fsync %s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		error_set(err_r, ERR_IO, "close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (do_rename(tmp, path, flags) < 0) {
		error_set(err_r, ERR_IO, "rename %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	rc = fileio_fsync_parent(path, flags, err_r);
	goto out;
fail:
	(void)unlink(tmp);
out:
	free(tmp);
	return rc;
}

int
fileio_write_new(const char *path, const void *data, size_t len,
    mode_t mode, unsigned flags, struct error *err_r)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return error_set(err_r, ERR_IO,
		    "create %s: %s", path, strerror(errno));
	if (fileio_write_all(fd, data, len, flags) < 0) {
		error_set(err_r, ERR_IO, "write %s: %s", path, strerror(errno));
		goto fail;
	}
	if (do_fsync(fd, flags) < 0) {
		error_set(err_r, ERR_IO, "fsync %s: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(err_r, ERR_IO, "close %s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(path);
	return -1;
}

int
fileio_remove(const char *path, struct error *err_r)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return error_set(err_r, ERR_IO, "remove %s: %s", path,
		    strerror(errno));
	return 0;
}

int
fileio_read(const char *path, uint64_t off, uint64_t len, bool exact,
    struct buf *out, struct error *err_r)
{
	char tmp[65536];
	size_t want;
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return error_set(err_r, ERR_IO,
		    "open %s: %s", path, strerror(errno));
	while (len > 0) {
		want = len < sizeof(tmp) ? (size_t)len : sizeof(tmp);
		got = pread(fd, tmp, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (got == 0 && exact)) {
			error_set(err_r, ERR_IO, "read %s: %s", path,
			    got < 0 ? strerror(errno) : "short file");
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		buf_append(out, tmp, (size_t)got);
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	close(fd);
	return 0;
}
