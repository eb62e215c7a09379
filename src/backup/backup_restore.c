/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_restore.c: `tegamid --restore DIR --base NEW`.  Nothing is
 * written before the whole backup is checked: the manifest's own checksum
 * and syntax, each listed folder and file (size and SHA-256), and that DIR
 * holds nothing the manifest does not list.  Then everything is copied to
 * NEW, each file hashed again as it is copied (so a file changed between
 * the check and the copy is caught too), and every file and folder is
 * fsynced.  RESTORE-INCOMPLETE marks NEW until the end.
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
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"
#include "backup/backup.h"
#include "backup/backup_private.h"

static int
read_manifest(const char *dir, struct buf *text, struct error *err_r)
{
	char *path = xasprintf("%s/" BACKUP_MANIFEST, dir);
	char chunk[65536];
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		rc = error_set(err_r, ERR_NOTFOUND, "%s: %s (not a complete "
		    "backup)", path, strerror(errno));
		goto out;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = error_set(err_r, ERR_IO, "read %s: %s", path,
			    strerror(errno));
			break;
		}
		buf_append(text, chunk, (size_t)r);
		if (text->err != 0) {
			rc = error_set(err_r, ERR_LIMIT, "%s is larger than "
			    "%lu bytes", path,
			    (unsigned long)BACKUP_MANIFEST_MAX);
			break;
		}
	}
	close(fd);
out:
	free(path);
	return rc;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct listed {
	char	**v;		/* sorted paths of the manifest */
	size_t	 n;
};

/* Every entry of DIR (but the manifest) must be listed. */
static int
check_unlisted(const char *dir, const char *rel, const struct listed *l,
    int depth, struct error *err_r)
{
	char *path = rel[0] != '\0' ? xasprintf("%s/%s", dir, rel) :
	    xstrdup(dir);
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0;

	if (depth > BACKUP_DEPTH_MAX + 2) {
		free(path);
		return error_set(err_r, ERR_LIMIT, "folders nested too deep "
		    "in the backup");
	}
	if ((d = opendir(path)) == NULL) {
		rc = error_set(err_r, ERR_IO, "opendir %s: %s", path,
		    strerror(errno));
		free(path);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *crel, *key, *cpath;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (rel[0] == '\0' && strcmp(de->d_name,
		    BACKUP_MANIFEST) == 0))
			continue;
		crel = rel[0] != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		key = crel;
		if (bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_path) ==
		    NULL)
			rc = error_set(err_r, ERR_SYNTAX, "%s/%s is not in the "
			    "manifest", dir, crel);
		cpath = xasprintf("%s/%s", dir, crel);
		if (rc == 0 && lstat(cpath, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = check_unlisted(dir, crel, l, depth + 1, err_r);
		free(cpath);
		free(crel);
	}
	closedir(d);
	free(path);
	return rc;
}

static int
verify(const char *dir, const struct backup_manifest *m, struct error *err_r)
{
	unsigned char sha[BACKUP_SHA_LEN];
	struct listed l = { NULL, 0 };
	struct stat sb;
	uint64_t size;
	size_t i;
	char *p;
	int rc = 0;

	for (i = 0; i < m->n && rc == 0; i++) {
		const struct backup_entry *e = &m->v[i];

		p = xasprintf("%s/%s", dir, e->path);
		if (lstat(p, &sb) < 0)
			rc = error_set(err_r, ERR_NOTFOUND, "%s: %s", p,
			    strerror(errno));
		else if (e->dir && !S_ISDIR(sb.st_mode))
			rc = error_set(err_r, ERR_SYNTAX, "%s is not a folder",
			    p);
		else if (!e->dir && !S_ISREG(sb.st_mode))
			rc = error_set(err_r, ERR_SYNTAX, "%s is not a file",
			    p);
		else if (!e->dir && (uint64_t)sb.st_size != e->size)
			rc = error_set(err_r, ERR_SYNTAX, "%s: size %lld, the "
			    "manifest says %llu", p, (long long)sb.st_size,
			    (unsigned long long)e->size);
		else if (!e->dir && backup_sha256_file(p, sha, &size,
		    err_r) < 0)
			rc = -1;
		else if (!e->dir && (size != e->size ||
		    memcmp(sha, e->sha, sizeof(sha)) != 0))
			rc = error_set(err_r, ERR_SYNTAX, "%s: SHA-256 does not "
			    "match the manifest", p);
		free(p);
	}
	if (rc < 0)
		return -1;
	l.v = xmalloc(size_mul(m->n + 1, sizeof(*l.v)));
	for (i = 0; i < m->n; i++)
		l.v[l.n++] = m->v[i].path;
	qsort(l.v, l.n, sizeof(*l.v), cmp_path);
	rc = check_unlisted(dir, "", &l, 0, err_r);
	free(l.v);
	return rc;
}

/* NEW: missing (created, with missing parents) or an empty folder. */
static int
prepare_new(const char *new_base, char *rnew, struct error *err_r)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(new_base);
	int e;

	if (n == 0 || n >= sizeof(tmp) - 64)
		return error_set(err_r, ERR_SYNTAX, "bad --base path");
	e = bfs_dir_empty(new_base, err_r);
	if (e == 0)
		return error_set(err_r, ERR_EXISTS, "%s exists and is not "
		    "empty", new_base);
	if (e < 0 && err_r != NULL && err_r->kind != ERR_NOTFOUND)
		return -1;
	if (e < 0) {
		memcpy(tmp, new_base, n + 1);
		for (i = 1; i <= n; i++) {
			if (tmp[i] != '/' && tmp[i] != '\0')
				continue;
			tmp[i] = '\0';
			if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
				return error_set(err_r, ERR_IO, "mkdir %s: %s",
				    tmp, strerror(errno));
			tmp[i] = new_base[i];
		}
	}
	if (realpath(new_base, rnew) == NULL)
		return error_set(err_r, ERR_IO, "%s: %s", new_base,
		    strerror(errno));
	return 0;
}

/* Refuses a new base inside the backup (or the backup itself), judged by
 * its nearest existing ancestor, resolved: what does not exist yet cannot
 * be a symbolic link. */
static int
not_inside(const char *new_base, const char *rdir, struct error *err_r)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;
	size_t n = strlen(rdir);

	if (snprintf(path, sizeof(path), "%s", new_base) >=
	    (int)sizeof(path))
		return error_set(err_r, ERR_SYNTAX, "bad --base path");
	while (realpath(path, real) == NULL) {
		if ((slash = strrchr(path, '/')) == NULL) {
			if (getcwd(real, sizeof(real)) == NULL)
				return error_set(err_r, ERR_IO, "getcwd: %s",
				    strerror(errno));
			break;
		}
		if (slash == path) {
			snprintf(real, sizeof(real), "/");
			break;
		}
		*slash = '\0';
	}
	if (strncmp(real, rdir, n) == 0 && (real[n] == '/' ||
	    real[n] == '\0'))
		return error_set(err_r, ERR_PERM, "the new base directory is "
		    "inside the backup");
	return 0;
}

static int
copy_all(const char *dir, const char *rnew, const struct backup_manifest *m,
    struct backup_result *r, struct error *err_r)
{
	unsigned char sha[BACKUP_SHA_LEN];
	struct stat sb;
	uint64_t size;
	size_t i;
	char *src, *dst;
	int rc = 0;

	for (i = 0; i < m->n && rc == 0; i++) {
		const struct backup_entry *e = &m->v[i];

		src = xasprintf("%s/%s", dir, e->path);
		dst = xasprintf("%s/%s", rnew, e->path);
		if (e->dir) {
			if (mkdir(dst, 0750) < 0)
				rc = error_set(err_r, ERR_IO, "mkdir %s: %s",
				    dst, strerror(errno));
		} else if (lstat(src, &sb) < 0)
			rc = error_set(err_r, ERR_IO, "%s: %s", src,
			    strerror(errno));
		else if (bfs_copy_file(src, dst, sb.st_mode, sha, &size,
		    err_r) < 0)
			rc = -1;
		else if (size != e->size || memcmp(sha, e->sha,
		    sizeof(sha)) != 0)
			rc = error_set(err_r, ERR_SYNTAX, "%s changed during "
			    "the restore: SHA-256 does not match the manifest",
			    src);
		else {
			r->files++;
			r->bytes += size;
			r->copied++;
		}
		free(src);
		free(dst);
	}
	for (i = m->n; rc == 0 && i-- > 0; ) {
		if (!m->v[i].dir)
			continue;
		dst = xasprintf("%s/%s", rnew, m->v[i].path);
		rc = fileio_fsync_dir(dst, 0, err_r);
		free(dst);
	}
	return rc;
}

int
backup_restore(const char *dir, const char *new_base,
    struct backup_result *r, struct error *err_r)
{
	static const char marker[] = "Tegami restore running or failed; "
	    "remove this folder and restore again.\n";
	struct backup_result dummy;
	struct backup_manifest m;
	struct buf text;
	struct stat sb;
	char rdir[PATH_MAX], rnew[PATH_MAX], *p;
	int rc = -1;

	if (r == NULL)
		r = &dummy;
	memset(r, 0, sizeof(*r));
	backup_manifest_init(&m);
	buf_init(&text, BACKUP_MANIFEST_MAX);
	if (realpath(dir, rdir) == NULL || stat(rdir, &sb) < 0 ||
	    !S_ISDIR(sb.st_mode)) {
		error_set(err_r, ERR_NOTFOUND, "%s is not a folder", dir);
		goto out;
	}
	p = xasprintf("%s/" BACKUP_INCOMPLETE, rdir);
	rc = lstat(p, &sb);
	free(p);
	if (rc == 0) {
		rc = error_set(err_r, ERR_SYNTAX, "%s holds " BACKUP_INCOMPLETE
		    ": the backup did not complete", dir);
		goto out;
	}
	/* Refused before the (long) checks; prepare_new() checks again. */
	if (bfs_dir_empty(new_base, err_r) == 0) {
		rc = error_set(err_r, ERR_EXISTS, "%s exists and is not empty",
		    new_base);
		goto out;
	}
	if ((rc = read_manifest(rdir, &text, err_r)) < 0 ||
	    (rc = backup_manifest_parse(text.data, text.len, &m, err_r)) < 0 ||
	    (rc = verify(rdir, &m, err_r)) < 0 ||
	    (rc = not_inside(new_base, rdir, err_r)) < 0 ||
	    (rc = prepare_new(new_base, rnew, err_r)) < 0)
		goto out;
	if ((rc = bfs_write_atomic(rnew, RESTORE_INCOMPLETE, marker,
	    strlen(marker), err_r)) < 0 ||
	    (rc = copy_all(rdir, rnew, &m, r, err_r)) < 0)
		goto out;
	p = xasprintf("%s/" RESTORE_INCOMPLETE, rnew);
	if (unlink(p) < 0)
		rc = error_set(err_r, ERR_IO, "unlink %s: %s", p,
		    strerror(errno));
	free(p);
	if (rc == 0)
		rc = fileio_fsync_dir(rnew, 0, err_r);
out:
	backup_manifest_clear(&m);
	buf_free(&text);
	return rc;
}
