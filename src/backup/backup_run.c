/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_run.c: the online backup of a running server's base directory.
 *
 * Order, and why it keeps every acknowledged message:
 *   1. settings files and the Submitted folder (plain copies; settings
 *      are replaced by rename, so each copy is one version of the file);
 *   2. the queue database, then the body files that copy names (the queue
 *      keeps body files from removal meanwhile, queue_backup());
 *   3. each account's mail.db, then the body files that copy names, under
 *      that account's lock (store_backup());
 *   4. the directory's database (directory_backup(), one committed state;
 *      Directory Integration can rebuild it with Insert All in any case).
 * A message acknowledged before the backup began is either still queued
 * when step 2 copies the queue (so it is in the queue copy), or was
 * delivered before that, so it is in its account's store when step 3
 * copies it later.  One delivered between 2 and 3 is in both: after a
 * restore the queue delivers it again and the store recognises its queue
 * id (idempotent delivery), so it is not stored twice.  A .sub file picked
 * up between 1 and 2 is in both too; that one can arrive twice.
 *
 * Not copied: ProcessID, ControlSocket, SystemLogs/, *.tmp files, SQLite's
 * -wal/-shm/-journal files (each database copy stands alone).
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"
#include "directory/directory.h"
#include "core/server.h"
#include "store/store.h"
#include "backup/backup.h"
#include "backup/backup_private.h"

struct bk {
	const char		*base;
	char			 dir[PATH_MAX];	/* resolved DIR */
	struct backup_manifest	 m;
	struct backup_result	*r;
	char			**accounts;	/* rel dirs holding mail.db */
	size_t			 nacc, acccap;
	bool			 no_links;	/* link() said EXDEV once */
	/* body callback: folders of the current database's bodies */
	const char		*src_bodies;
	const char		*dst_bodies;
	const char		*rel_bodies;
	char			**placed;	/* names placed, to hash */
	size_t			 nplaced, placedcap;
};

static void
push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : size_mul(*cap, 2);
		*v = xrealloc(*v, size_mul(*cap, sizeof(**v)));
	}
	(*v)[(*n)++] = s;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Components of DIR: absolute, none empty (but a trailing '/'), "." or
 * "..". */
static int
check_abs_path(const char *dir, struct error *err_r)
{
	const char *p, *c;
	size_t len;

	if (dir == NULL || dir[0] != '/')
		return error_set(err_r, ERR_SYNTAX, "the backup folder must be "
		    "an absolute path");
	if (strlen(dir) >= PATH_MAX - 64)
		return error_set(err_r, ERR_SYNTAX, "backup path too long");
	for (c = dir + 1; *c != '\0'; c = p + 1) {
		p = strchr(c, '/');
		len = p != NULL ? (size_t)(p - c) : strlen(c);
		if (len == 0 && p != NULL)
			return error_set(err_r, ERR_SYNTAX, "empty component "
			    "in the backup path");
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return error_set(err_r, ERR_SYNTAX, "'.' or '..' in the "
			    "backup path");
		if (p == NULL || p[1] == '\0')
			break;
	}
	for (p = dir; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			return error_set(err_r, ERR_SYNTAX, "control character "
			    "in the backup path");
	return 0;
}

/* True when path is base or inside it (both resolved). */
static bool
inside(const char *path, const char *base)
{
	size_t n = strlen(base);

	return strncmp(path, base, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || (n == 1 && base[0] == '/'));
}

int
backup_dir_check(const char *dir, const char *base, struct error *err_r)
{
	char rbase[PATH_MAX], rdir[PATH_MAX], parent[PATH_MAX];
	struct stat sb;
	char *slash;
	int e;

	if (check_abs_path(dir, err_r) < 0)
		return -1;
	if (realpath(base, rbase) == NULL)
		return error_set(err_r, ERR_IO, "base directory: %s",
		    strerror(errno));
	if (lstat(dir, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			return error_set(err_r, ERR_SYNTAX, "%s is a symbolic "
			    "link", dir);
		if (!S_ISDIR(sb.st_mode))
			return error_set(err_r, ERR_EXISTS, "%s exists and is "
			    "not a folder", dir);
		if (realpath(dir, rdir) == NULL)
			return error_set(err_r, ERR_IO, "%s: %s", dir,
			    strerror(errno));
		if (inside(rdir, rbase) || inside(rbase, rdir))
			return error_set(err_r, ERR_PERM, "%s is inside the "
			    "base directory", dir);
		if ((e = bfs_dir_empty(dir, err_r)) < 0)
			return -1;
		if (e == 0)
			return error_set(err_r, ERR_EXISTS, "%s exists and is "
			    "not empty", dir);
		return 0;
	}
	if (errno != ENOENT)
		return error_set(err_r, ERR_IO, "%s: %s", dir, strerror(errno));
	snprintf(parent, sizeof(parent), "%s", dir);
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0' &&
	    slash != parent)
		*slash = '\0';
	slash = strrchr(parent, '/');
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (realpath(parent, rdir) == NULL || stat(rdir, &sb) < 0 ||
	    !S_ISDIR(sb.st_mode))
		return error_set(err_r, ERR_NOTFOUND, "the folder %s does not "
		    "exist", parent);
	if (inside(rdir, rbase))
		return error_set(err_r, ERR_PERM, "%s is inside the base "
		    "directory", dir);
	return 0;
}

/* ---- placing files ---- */

static int
add_file(struct bk *b, const char *rel, const char *dst, struct error *err_r)
{
	unsigned char sha[BACKUP_SHA_LEN];
	uint64_t size;

	if (backup_sha256_file(dst, sha, &size, err_r) < 0)
		return -1;
	return backup_manifest_add(&b->m, rel, false, size, sha, err_r);
}

static int
add_dir(struct bk *b, const char *rel, mode_t mode, struct error *err_r)
{
	char *dst = xasprintf("%s/%s", b->dir, rel);
	int rc = 0;

	if (mkdir(dst, (mode & 0777) | 0700) < 0 && errno != EEXIST)
		rc = error_set(err_r, ERR_IO, "mkdir %s: %s", dst,
		    strerror(errno));
	else
		rc = backup_manifest_add(&b->m, rel, true, 0, NULL, err_r);
	free(dst);
	return rc;
}

/* Hard-links src to dst, or copies it across file systems. */
static int
link_or_copy(struct bk *b, const char *src, const char *dst,
    struct error *err_r)
{
	struct stat sb;

	if (!b->no_links) {
		if (link(src, dst) == 0) {
			b->r->linked++;
			return 0;
		}
		if (errno == ENOENT)
			return error_set(err_r, ERR_NOTFOUND, "%s is missing",
			    src);
		if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
		    errno != ENOTSUP)
			return error_set(err_r, ERR_IO, "link %s: %s", dst,
			    strerror(errno));
		if (errno == EXDEV)
			b->no_links = true;
	}
	if (lstat(src, &sb) < 0)
		return error_set(err_r, ERR_IO, "%s: %s", src, strerror(errno));
	if (bfs_copy_file(src, dst, sb.st_mode, NULL, NULL, err_r) < 0)
		return -1;
	b->r->copied++;
	return 0;
}

/* dbcopy callback: one body file named by the database copy. */
static int
place_body(void *arg, const char *name, struct error *err_r)
{
	struct bk *b = arg;
	char *src, *dst;
	int rc;

	/* Names come from our own database; still, no path tricks. */
	if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
		return error_set(err_r, ERR_INTERNAL, "bad body file name "
		    "in %s", b->rel_bodies);
	src = xasprintf("%s/%s", b->src_bodies, name);
	dst = xasprintf("%s/%s", b->dst_bodies, name);
	rc = link_or_copy(b, src, dst, err_r);
	if (rc == 0)
		push(&b->placed, &b->nplaced, &b->placedcap, xstrdup(name));
	else if (err_r != NULL && err_r->kind == ERR_NOTFOUND)
		error_set(err_r, ERR_INTERNAL, "body file %s/%s named by the "
		    "database is missing", b->rel_bodies, name);
	free(src);
	free(dst);
	return rc;
}

/* After a database copy: hashes it and the bodies placed. */
static int
add_placed(struct bk *b, const char *rel_db, struct error *err_r)
{
	char *dst = xasprintf("%s/%s", b->dir, rel_db), *rel;
	size_t i;
	int rc;

	rc = add_file(b, rel_db, dst, err_r);
	b->r->copied += rc == 0;
	free(dst);
	for (i = 0; i < b->nplaced; i++) {
		if (rc == 0) {
			rel = xasprintf("%s/%s", b->rel_bodies, b->placed[i]);
			dst = xasprintf("%s/%s", b->dir, rel);
			rc = add_file(b, rel, dst, err_r);
			free(rel);
			free(dst);
		}
		free(b->placed[i]);
	}
	b->nplaced = 0;
	return rc;
}

/* ---- step 1: the tree of settings files ---- */

static bool
skip_name(const char *rel_parent, const char *name, bool account_dir,
    struct bk *b)
{
	if (rel_parent[0] == '\0' && (strcmp(name, "ProcessID") == 0 ||
	    strcmp(name, "ControlSocket") == 0 ||
	    strcmp(name, "SystemLogs") == 0 || strcmp(name, "Queue") == 0 ||
	    strcmp(name, "Directory") == 0))
		return true;
	if (has_suffix(name, ".tmp") || has_suffix(name, "-wal") ||
	    has_suffix(name, "-shm") || has_suffix(name, "-journal"))
		return true;
	if (account_dir && strcmp(name, "mail.db") == 0) {
		push(&b->accounts, &b->nacc, &b->acccap, xstrdup(rel_parent));
		return true;
	}
	return account_dir && strcmp(name, "bodies") == 0;
}

static int
walk(struct bk *b, const char *rel, int depth, struct error *err_r)
{
	char *src = rel[0] != '\0' ? xasprintf("%s/%s", b->base, rel) :
	    xstrdup(b->base);
	bool account_dir = has_suffix(rel, ".macnt");
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0;

	if (depth > BACKUP_DEPTH_MAX) {
		free(src);
		return error_set(err_r, ERR_LIMIT, "folders nested deeper than "
		    "%d at %s", BACKUP_DEPTH_MAX, rel);
	}
	if ((d = opendir(src)) == NULL) {
		rc = errno == ENOENT ? 0 : error_set(err_r, ERR_IO,
		    "opendir %s: %s", src, strerror(errno));
		free(src);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *crel, *cpath, *dst;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		crel = rel[0] != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		if (skip_name(rel, de->d_name, account_dir, b)) {
			free(crel);
			continue;
		}
		cpath = xasprintf("%s/%s", src, de->d_name);
		if (lstat(cpath, &sb) < 0) {
			if (errno != ENOENT)
				rc = error_set(err_r, ERR_IO, "%s: %s", cpath,
				    strerror(errno));
		} else if (S_ISDIR(sb.st_mode)) {
			if ((rc = add_dir(b, crel, sb.st_mode, err_r)) == 0)
				rc = walk(b, crel, depth + 1, err_r);
		} else if (S_ISREG(sb.st_mode)) {
			unsigned char sha[BACKUP_SHA_LEN];
			uint64_t size;
			struct error e;

			dst = xasprintf("%s/%s", b->dir, crel);
			if (bfs_copy_file(cpath, dst, sb.st_mode, sha, &size,
			    &e) < 0) {
				/* Deleted meanwhile (a picked-up .sub, a
				 * removed account): not part of the copy. */
				if (e.kind != ERR_NOTFOUND)
					rc = error_set(err_r, e.kind, "%s",
					    e.msg);
			} else {
				b->r->copied++;
				rc = backup_manifest_add(&b->m, crel, false,
				    size, sha, err_r);
			}
			free(dst);
		} else
			log_mod(&log_system, LOG_PROBLEM, "Backup: %s skipped "
			    "(not a file or folder)", crel);
		free(cpath);
		free(crel);
	}
	closedir(d);
	free(src);
	return rc;
}

/* ---- steps 2 and 3 ---- */

static int
backup_queue(struct bk *b, struct queue *q, struct error *err_r)
{
	char *src = xasprintf("%s/Queue/bodies", b->base);
	char *dst = xasprintf("%s/Queue/bodies", b->dir);
	char *db = xasprintf("%s/Queue/queue.db", b->dir);
	size_t n = 0;
	int rc;

	if (add_dir(b, "Queue", 0750, err_r) < 0 ||
	    add_dir(b, "Queue/bodies", 0700, err_r) < 0) {
		rc = -1;
		goto out;
	}
	b->src_bodies = src;
	b->dst_bodies = dst;
	b->rel_bodies = "Queue/bodies";
	rc = queue_backup(q, db, place_body, b, &n, err_r);
	if (rc == 0)
		rc = add_placed(b, "Queue/queue.db", err_r);
	b->r->queue_bodies = n;
out:
	free(src);
	free(dst);
	free(db);
	return rc;
}

static int
backup_account(struct bk *b, const char *rel, struct error *err_r)
{
	char *adir = xasprintf("%s/%s", b->base, rel);
	char *src = xasprintf("%s/bodies", adir);
	char *dst = xasprintf("%s/%s/bodies", b->dir, rel);
	char *rbodies = xasprintf("%s/bodies", rel);
	char *rdb = xasprintf("%s/mail.db", rel);
	char *db = xasprintf("%s/%s", b->dir, rdb);
	struct store *s = NULL;
	struct stat sb;
	int rc = 0;

	/* Removed since the walk saw it: not part of the copy (and the
	 * cache would create it again). */
	if (stat(src, &sb) < 0 && errno == ENOENT) {
		char *p = xasprintf("%s/mail.db", adir);

		rc = stat(p, &sb);
		free(p);
		if (rc < 0) {
			rc = 0;
			goto out;
		}
	}
	if ((rc = add_dir(b, rbodies, 0700, err_r)) < 0)
		goto out;
	if ((s = store_cache_get(adir, err_r)) == NULL) {
		rc = -1;
		goto out;
	}
	b->src_bodies = src;
	b->dst_bodies = dst;
	b->rel_bodies = rbodies;
	rc = store_backup(s, db, place_body, b, NULL, err_r);
	store_cache_release(&s);
	if (rc == 0)
		rc = add_placed(b, rdb, err_r);
	if (rc == 0)
		b->r->accounts++;
	else if (err_r != NULL) {
		char what[sizeof(err_r->msg)];

		memcpy(what, err_r->msg, sizeof(what));
		error_set(err_r, err_r->kind, "account %s: %s", rel, what);
	}
out:
	free(adir);
	free(src);
	free(dst);
	free(rbodies);
	free(rdb);
	free(db);
	return rc;
}

static int
backup_directory(struct bk *b, struct directory *d, struct error *err_r)
{
	char *db;
	int rc;

	if (d == NULL)
		return 0;
	if (add_dir(b, "Directory", 0700, err_r) < 0)
		return -1;
	db = xasprintf("%s/Directory/directory.db", b->dir);
	rc = directory_backup(d, db, err_r);
	free(db);
	if (rc == 0)
		rc = add_placed(b, "Directory/directory.db", err_r);
	return rc;
}

/* fsyncs every folder written, deepest first, then DIR. */
static int
sync_dirs(struct bk *b, struct error *err_r)
{
	size_t i = b->m.n;
	char *p;
	int rc = 0;

	while (rc == 0 && i-- > 0) {
		if (!b->m.v[i].dir)
			continue;
		p = xasprintf("%s/%s", b->dir, b->m.v[i].path);
		rc = fileio_fsync_dir(p, 0, err_r);
		free(p);
	}
	return rc == 0 ? fileio_fsync_dir(b->dir, 0, err_r) : rc;
}

static void
mark_failed(const char *dir, const struct error *err)
{
	char *path = xasprintf("%s/" BACKUP_INCOMPLETE, dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);

	if (fd >= 0) {
		dprintf(fd, "FAILED: %s\n", err->msg);
		(void)fsync(fd);
		close(fd);
	}
	free(path);
}

int
backup_run(struct server *srv, const char *dir, struct backup_result *r,
    struct error *err_r)
{
	struct backup_result dummy;
	struct bk b;
	struct buf text;
	struct error err;
	char iso[32], note[160];
	struct tm tm;
	time_t t0 = time(NULL);
	size_t i;
	int rc = -1, n;
	bool marked = false;

	if (r == NULL)
		r = &dummy;
	memset(r, 0, sizeof(*r));
	memset(&b, 0, sizeof(b));
	b.base = srv->base;
	b.r = r;
	backup_manifest_init(&b.m);
	buf_init(&text, BACKUP_MANIFEST_MAX);
	error_clear(&err);

	if (backup_dir_check(dir, srv->base, &err) < 0)
		goto fail;
	if (srv->queue == NULL) {
		error_set(&err, ERR_TEMP, "the queue is not running");
		goto fail;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(&err, ERR_IO, "mkdir %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (realpath(dir, b.dir) == NULL) {
		error_set(&err, ERR_IO, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	/* Checked again on the resolved path (a parent swapped for a
	 * symbolic link meanwhile). */
	if (backup_dir_check(b.dir, srv->base, &err) < 0)
		goto fail;
	gmtime_r(&t0, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(note, sizeof(note), "Tegami backup started %s; it is "
	    "not complete until " BACKUP_MANIFEST " exists and this file is "
	    "gone.\n", iso);
	if (bfs_write_atomic(b.dir, BACKUP_INCOMPLETE, note, (size_t)n,
	    &err) < 0)
		goto fail;
	marked = true;
	b.m.started = (int64_t)t0;
	b.m.base = xstrdup(srv->base);
	log_mod(&log_system, LOG_MAJOR, "Backup to %s started", b.dir);

	if (walk(&b, "", 0, &err) < 0 ||
	    backup_queue(&b, srv->queue, &err) < 0)
		goto fail;
	for (i = 0; i < b.nacc; i++)
		if (backup_account(&b, b.accounts[i], &err) < 0)
			goto fail;
	if (backup_directory(&b, srv->directory, &err) < 0 ||
	    sync_dirs(&b, &err) < 0 ||
	    backup_manifest_write(&b.m, &text, &err) < 0 ||
	    bfs_write_atomic(b.dir, BACKUP_MANIFEST, text.data, text.len,
	    &err) < 0)
		goto fail;
	{
		char *p = xasprintf("%s/" BACKUP_INCOMPLETE, b.dir);

		if (unlink(p) < 0)
			error_set(&err, ERR_IO, "unlink %s: %s", p,
			    strerror(errno));
		free(p);
		if (err.kind != ERR_NONE || fileio_fsync_dir(b.dir, 0, &err) < 0)
			goto fail;
	}
	r->files = b.m.files;
	r->bytes = b.m.bytes;
	log_mod(&log_system, LOG_MAJOR, "Backup to %s done: %llu files, "
	    "%llu bytes, %llu accounts, %llu queue bodies, %llu linked, "
	    "%llu copied, %lld s", b.dir, (unsigned long long)r->files,
	    (unsigned long long)r->bytes, (unsigned long long)r->accounts,
	    (unsigned long long)r->queue_bodies,
	    (unsigned long long)r->linked, (unsigned long long)r->copied,
	    (long long)(time(NULL) - t0));
	rc = 0;
	goto out;
fail:
	if (marked)
		mark_failed(b.dir, &err);
	log_mod(&log_system, LOG_FAILURE, "Backup to %s failed: %s",
	    b.dir[0] != '\0' ? b.dir : dir, err.msg);
	if (err_r != NULL)
		*err_r = err;
out:
	for (i = 0; i < b.nacc; i++)
		free(b.accounts[i]);
	free(b.accounts);
	for (i = 0; i < b.nplaced; i++)
		free(b.placed[i]);
	free(b.placed);
	backup_manifest_clear(&b.m);
	buf_free(&text);
	return rc;
}
