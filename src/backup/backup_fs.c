/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_fs.c: copying a file while hashing it, the empty-folder test and
 * atomic small writes (lib/fileio), for the backup and the restore.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "backup/backup.h"
#include "backup/backup_private.h"

#define COPY_CHUNK	(256 * 1024)

int
bfs_copy_file(const char *src, const char *dst, mode_t mode,
    unsigned char *sha, uint64_t *size_r, struct error *err_r)
{
	EVP_MD_CTX *ctx = NULL;
	uint64_t total = 0;
	unsigned int mdlen = 0;
	char *chunk = NULL;
	ssize_t r;
	int in, out = -1, rc = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return error_set(err_r, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "open %s: %s", src, strerror(errno));
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode & 0777)) < 0) {
		rc = error_set(err_r, ERR_IO, "create %s: %s", dst,
		    strerror(errno));
		goto out;
	}
	if (sha != NULL && ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)) {
		rc = error_set(err_r, ERR_INTERNAL, "SHA-256 init failed");
		goto out;
	}
	chunk = xmalloc(COPY_CHUNK);
	for (;;) {
		r = read(in, chunk, COPY_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = error_set(err_r, ERR_IO, "read %s: %s", src,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (fileio_write_all(out, chunk, (size_t)r, 0) < 0) {
			rc = error_set(err_r, ERR_IO, "write %s: %s", dst,
			    strerror(errno));
			goto out;
		}
		if (ctx != NULL && EVP_DigestUpdate(ctx, chunk, (size_t)r) != 1) {
			rc = error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
			goto out;
		}
		total += (uint64_t)r;
	}
	if (fsync(out) < 0) {
		rc = error_set(err_r, ERR_IO, "fsync %s: %s", dst,
		    strerror(errno));
		goto out;
	}
	if (ctx != NULL && (EVP_DigestFinal_ex(ctx, sha, &mdlen) != 1 ||
	    mdlen != BACKUP_SHA_LEN)) {
		rc = error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
		goto out;
	}
	if (size_r != NULL)
		*size_r = total;
out:
	free(chunk);
	EVP_MD_CTX_free(ctx);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = error_set(err_r, ERR_IO, "close %s: %s", dst,
		    strerror(errno));
	close(in);
	return rc;
}

int
bfs_dir_empty(const char *path, struct error *err_r)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 1;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return error_set(err_r, e == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "%s: %s", path, e == ELOOP ? "is a symbolic link" :
		    strerror(e));
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			rc = 0;
			break;
		}
	closedir(d);
	return rc;
}

int
bfs_write_atomic(const char *dir, const char *name, const void *data,
    size_t len, struct error *err_r)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc;

	rc = fileio_write_atomic(path, data, len, 0600, 0, err_r);
	free(path);
	return rc;
}
