/* SPDX-License-Identifier: Apache-2.0 */
/*
 * basedir.h: the base directory: its layout, the single-server lock and the
 * ProcessID file.
 */
#ifndef TEGAMI_SERVER_BASEDIR_H
#define TEGAMI_SERVER_BASEDIR_H

#include "lib/compat.h"

#include "lib/error.h"

/* Creates path and its missing parents with mode (mkdir -p). */
int	basedir_mkdirs(const char *path, unsigned mode, struct error *err_r);
/* Creates base and Settings/ Accounts/ Domains/ Queue/ Submitted/
 * Directory/ SystemLogs/ when missing. */
int	basedir_create(const char *base, struct error *err_r);
/* Takes the base directory's lock and writes ProcessID.  Fails with a clear
 * message naming the running server's pid when another server holds it.
 * Returns the lock fd (kept open while the server runs). */
int	basedir_lock(const char *base, struct error *err_r);
/* Removes ProcessID and releases the lock (clean shutdown). */
void	basedir_unlock(const char *base, int lock_fd);

#endif
