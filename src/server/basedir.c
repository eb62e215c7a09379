/* SPDX-License-Identifier: Apache-2.0 */
/*
 * basedir.c: base directory layout, lock and ProcessID.
 *
 * The lock is an exclusive flock() on <base>/ProcessID itself: a server
 * killed with SIGKILL leaves the file behind but not the lock, so the next
 * start takes it over; a running server keeps it and a second one is refused.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/basedir.h"

static const char *const basedir_subdirs[] = {
	"Settings", "Accounts", "Domains", "Queue", "Submitted", "Directory",
	"SystemLogs"
};

int
basedir_mkdirs(const char *path, unsigned mode, struct error *err_r)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return error_set(err_r, ERR_IO, "bad directory path");
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST)
			return error_set(err_r, ERR_IO, "cannot create %s: %s",
			    tmp, strerror(errno));
		tmp[i] = path[i];
	}
	return 0;
}

int
basedir_create(const char *base, struct error *err_r)
{
	char path[4096];
	size_t i;

	if (basedir_mkdirs(base, 0750, err_r) < 0)
		return -1;
	for (i = 0; i < N_ELEMENTS(basedir_subdirs); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", base,
		    basedir_subdirs[i]) >= sizeof(path))
			return error_set(err_r, ERR_IO, "base path too long");
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return error_set(err_r, ERR_IO, "cannot create %s: %s",
			    path, strerror(errno));
	}
	return 0;
}

int
basedir_lock(const char *base, struct error *err_r)
{
	char path[4096], pid[32], old[32];
	ssize_t n;
	int fd, len;

	if ((size_t)snprintf(path, sizeof(path), "%s/ProcessID", base) >=
	    sizeof(path))
		return error_set(err_r, ERR_IO, "base path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_set(err_r, ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, old, sizeof(old) - 1, 0);
		old[n > 0 ? n : 0] = '\0';
		old[strcspn(old, "\r\n")] = '\0';
		close(fd);
		return error_set(err_r, ERR_EXISTS, "another tegamid (pid %s) is "
		    "already running on the base directory %s", old[0] ? old :
		    "unknown", base);
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		close(fd);
		return error_set(err_r, ERR_IO, "cannot write %s: %s", path,
		    strerror(errno));
	}
	return fd;
}

void
basedir_unlock(const char *base, int lock_fd)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/ProcessID", base) <
	    sizeof(path))
		(void)unlink(path);
	if (lock_fd >= 0)
		close(lock_fd);
}
