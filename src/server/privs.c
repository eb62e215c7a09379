/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privs.c: the server's user and the one-way switch to it.
 *
 * As OpenSMTPD and Postfix do, tegamid runs as root only while it binds
 * ports below 1024 and takes its lock: privs_become_effective() makes the
 * files it creates at start the user's, privs_regain() takes root back for
 * binding, and privs_drop() leaves root for good (real = effective = saved,
 * so no set*id call can return to it; with all uids non-zero the kernel
 * clears every capability).  no_new_privs is set first thing in main(),
 * before any thread exists, so every thread has it.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "server/basedir.h"
#include "server/privs.h"

#define PRIVS_PWBUF	16384	/* getpwnam_r buffer */
#define PRIVS_CHOWN_FDS	32	/* nftw open directories */

int
privs_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static int
lookup(const char *name, struct passwd *pw, char *buf, size_t len,
    struct error *err_r)
{
	struct passwd *res = NULL;
	int e;

	e = getpwnam_r(name, pw, buf, len, &res);
	if (res == NULL)
		return error_set(err_r, ERR_NOTFOUND, "%s",
		    e != 0 ? strerror(e) : "no such user");
	return 0;
}

int
privs_init(const char *user, struct privs *p, struct error *err_r)
{
	static char buf[PRIVS_PWBUF];
	struct passwd pw;
	struct error e;

	memset(p, 0, sizeof(*p));
	p->root = geteuid() == 0;
	if (!p->root) {
		p->uid = geteuid();
		p->gid = getegid();
		if (user == NULL)
			return 0;
		if (lookup(user, &pw, buf, sizeof(buf), &e) < 0 ||
		    pw.pw_uid != p->uid)
			return error_set(err_r, ERR_PERM, "--user %s: tegamid "
			    "runs as uid %lu and can switch users only when "
			    "started as root", user, (unsigned long)p->uid);
		snprintf(p->name, sizeof(p->name), "%s", user);
		return 0;
	}
	if (user == NULL)
		user = PRIVS_DEFAULT_USER;
	if (strlen(user) >= sizeof(p->name))
		return error_set(err_r, ERR_SYNTAX, "--user %s: name too long",
		    user);
	snprintf(p->name, sizeof(p->name), "%s", user);
	if (lookup(user, &pw, buf, sizeof(buf), &e) < 0)
		return error_set(err_r, ERR_NOTFOUND, "the server's user %s "
		    "does not exist (%s): create it (useradd --system "
		    "--home-dir /var/Tegami --shell /usr/sbin/nologin %s; "
		    "make install does) or name another with --user; staying "
		    "root takes --user root", user, e.msg, user);
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	p->drop = pw.pw_uid != 0;
	return 0;
}

static uid_t	chown_uid;
static gid_t	chown_gid;
static int	chown_errno;
static char	chown_path[256];

static int
chown_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	if (st->st_uid == chown_uid && st->st_gid == chown_gid)
		return 0;
	if (lchown(path, chown_uid, chown_gid) < 0) {
		chown_errno = errno;
		snprintf(chown_path, sizeof(chown_path), "%s", path);
		return 1;
	}
	return 0;
}

int
privs_own_base(const struct privs *p, const char *base, struct error *err_r)
{
	struct stat st;
	char *real;
	int rc = 0;

	if (!p->drop)
		return 0;
	/* Parents a root server creates stay root's (0755 under umask 022,
	 * as mkdir -p); the base directory itself is the user's. */
	if (stat(base, &st) < 0 && errno == ENOENT) {
		char *parent = xstrdup(base);

		rc = basedir_mkdirs(dirname(parent), 0755, err_r);
		free(parent);
		if (rc < 0)
			return -1;
		if (mkdir(base, 0750) < 0 && errno != EEXIST)
			return error_set(err_r, ERR_IO, "cannot create %s: %s",
			    base, strerror(errno));
	}
	if ((real = realpath(base, NULL)) == NULL)
		return error_set(err_r, ERR_IO, "cannot resolve %s: %s", base,
		    strerror(errno));
	if (stat(real, &st) < 0)
		rc = error_set(err_r, ERR_IO, "cannot stat %s: %s", real,
		    strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = error_set(err_r, ERR_IO, "%s is not a directory", real);
	else if (st.st_uid != p->uid || st.st_gid != p->gid) {
		/* A base directory of another owner (made by a server that
		 * ran as root, or by hand): all of it becomes the user's,
		 * once; symbolic links themselves, never their targets. */
		chown_uid = p->uid;
		chown_gid = p->gid;
		chown_errno = 0;
		if (nftw(real, chown_one, PRIVS_CHOWN_FDS,
		    FTW_PHYS | FTW_MOUNT) != 0)
			rc = error_set(err_r, ERR_IO, "cannot give %s to user "
			    "%s: %s", chown_errno != 0 ? chown_path : real,
			    p->name, strerror(chown_errno != 0 ? chown_errno :
			    errno));
	}
	free(real);
	return rc;
}

int
privs_become_effective(const struct privs *p, struct error *err_r)
{
	if (!p->drop)
		return 0;
	if (setgroups(1, &p->gid) < 0 || setresgid(-1, p->gid, -1) < 0 ||
	    setresuid(-1, p->uid, -1) < 0)
		return error_set(err_r, ERR_PERM, "cannot switch to user %s: %s",
		    p->name, strerror(errno));
	return 0;
}

int
privs_regain(const struct privs *p, struct error *err_r)
{
	if (!p->drop)
		return 0;
	if (setresuid(-1, 0, -1) < 0 || setresgid(-1, 0, -1) < 0)
		return error_set(err_r, ERR_PERM, "cannot return to root: %s",
		    strerror(errno));
	return 0;
}

/* "Uid:\t1\t2\t3\t4": all four equal to want. */
static bool
ids_line_is(const char *line, unsigned long want)
{
	const char *s = strchr(line, ':');
	unsigned long v;
	char *end;
	int i;

	if (s == NULL)
		return false;
	s++;
	for (i = 0; i < 4; i++) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno != 0 || end == s || v != want)
			return false;
		s = end;
	}
	return true;
}

static int
check_task(const char *tid, uid_t uid, gid_t gid, struct error *err_r)
{
	char path[64], line[256];
	bool uid_ok = false, gid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : error_set(err_r, ERR_IO,
		    "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0)
			uid_ok = ids_line_is(line, uid);
		else if (strncmp(line, "Gid:", 4) == 0)
			gid_ok = ids_line_is(line, gid);
	}
	fclose(f);
	if (!uid_ok || !gid_ok)
		return error_set(err_r, ERR_INTERNAL, "thread %s still has "
		    "other ids than uid %lu gid %lu", tid, (unsigned long)uid,
		    (unsigned long)gid);
	return 0;
}

int
privs_check_threads(uid_t uid, gid_t gid, struct error *err_r)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return 0;		/* no /proc: getres*id checked it */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		rc = check_task(de->d_name, uid, gid, err_r);
	}
	closedir(d);
	return rc;
}

int
privs_drop(const struct privs *p, struct error *err_r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (!p->drop)
		return 0;
	/* Back to root first, so the real and saved ids can be set. */
	if (privs_regain(p, err_r) < 0)
		return -1;
	if (setgroups(1, &p->gid) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 ||
	    setresuid(p->uid, p->uid, p->uid) < 0)
		return error_set(err_r, ERR_PERM, "cannot switch to user %s: %s",
		    p->name, strerror(errno));
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid)
		return error_set(err_r, ERR_INTERNAL, "user switch to %s left "
		    "other ids behind", p->name);
	n = getgroups(2, groups);
	if (n != 1 || groups[0] != p->gid)
		return error_set(err_r, ERR_INTERNAL, "user switch to %s left "
		    "other groups behind", p->name);
	/* No way back: both must fail now. */
	if (setresuid(-1, 0, -1) == 0 || setresgid(-1, 0, -1) == 0)
		return error_set(err_r, ERR_INTERNAL, "root could be taken back "
		    "after switching to %s", p->name);
	return privs_check_threads(p->uid, p->gid, err_r);
}
