/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privs.h: the server's user.  tegamid started as root binds its listeners
 * and opens its files, then switches for good to an unprivileged user
 * (--user, default "tegami"); started as another user it stays that user.
 */
#ifndef TEGAMI_SERVER_PRIVS_H
#define TEGAMI_SERVER_PRIVS_H

#include "lib/compat.h"

#include <sys/types.h>

#include "lib/error.h"

#define PRIVS_DEFAULT_USER	"tegami"
#define PRIVS_NAME_MAX		64

struct privs {
	bool	root;			/* started with euid 0 */
	bool	drop;			/* root, and switching to uid/gid */
	uid_t	uid;			/* the server's user */
	gid_t	gid;
	char	name[PRIVS_NAME_MAX];
};

/* Sets no_new_privs for this thread and every thread created after it
 * (call before any thread exists).  0 or -1 (errno). */
int	privs_no_new_privs(void);

/* Decides the server's user.  As root: user (NULL = "tegami") must exist,
 * "root" keeps root (p->drop false).  As another user: user must be NULL or
 * that same user.  Errors are one clear sentence for the operator. */
int	privs_init(const char *user, struct privs *p, struct error *err_r);

/* As root, before the base directory is used: creates base (0750) when
 * missing and makes it owned by the server's user; when base was owned by
 * someone else (a base directory a root server used), chowns everything
 * below it once (symbolic links are not followed).  No-op without drop. */
int	privs_own_base(const struct privs *p, const char *base,
	    struct error *err_r);

/* Switches only the effective ids (and groups) to the server's user, so
 * files the start-up creates belong to it; privs_regain() returns to root
 * to bind privileged ports.  No-op without drop. */
int	privs_become_effective(const struct privs *p, struct error *err_r);
int	privs_regain(const struct privs *p, struct error *err_r);

/* Switches for good: setgroups to the user's group, setresgid and setresuid
 * with real = effective = saved, then checks that every id of every thread
 * (/proc/self/task/N/status) is the user's and that root cannot be taken
 * back.  glibc applies set*id to all threads of the process.  No-op without
 * drop.  On error the caller must exit. */
int	privs_drop(const struct privs *p, struct error *err_r);

/* Checks that every thread of this process has real, effective, saved and
 * filesystem uid == uid and gid == gid (from /proc/self/task/N/status). */
int	privs_check_threads(uid_t uid, gid_t gid, struct error *err_r);

#endif
