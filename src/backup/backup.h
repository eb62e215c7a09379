/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup.h: online backup of the base directory and its restore.
 *
 * `Backup DIR` (CLI) writes a consistent copy of the running server's base
 * directory to DIR: settings files, the Submitted folder, the queue
 * database and every account's mail.db through SQLite's online backup API,
 * the body files those copies name (hard-linked when DIR is on the same
 * file system, else copied), and DIR/Backup.manifest listing every folder
 * and file with its size and SHA-256.  While it runs, DIR holds
 * BACKUP-INCOMPLETE; it is removed only after the manifest is durable, and
 * on an error it stays, with the reason in it.
 *
 * `tegamid --restore DIR --base NEW` checks the manifest and every file
 * against it, then copies the backup to NEW (which must not exist or be
 * empty) and exits; the server is then started with `tegamid --base NEW`.
 *
 * The manifest, a text file of LF lines:
 *
 *   Tegami-Backup 1
 *   Started 2026-12-02T15:30:00Z 1796225400
 *   Base /var/Tegami
 *   D Settings
 *   F <sha256 hex> <size> Settings/Main.settings
 *   ...
 *   End <files> <bytes>
 *   Checksum <sha256 hex of every byte before this line>
 *
 * Paths are relative to the base; bytes below '!', above '~' and '%' are
 * written %XX.  A folder comes before anything in it.
 */
#ifndef TEGAMI_BACKUP_BACKUP_H
#define TEGAMI_BACKUP_BACKUP_H

#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/error.h"

#define BACKUP_MANIFEST		"Backup.manifest"
#define BACKUP_INCOMPLETE	"BACKUP-INCOMPLETE"
#define RESTORE_INCOMPLETE	"RESTORE-INCOMPLETE"
#define BACKUP_SHA_LEN		32

struct server;

struct backup_entry {
	char		*path;		/* relative, checked, decoded */
	bool		 dir;
	uint64_t	 size;		/* files */
	unsigned char	 sha[BACKUP_SHA_LEN];
};

struct backup_manifest {
	int64_t			 started;	/* seconds since the epoch */
	char			*base;		/* the base directory copied */
	struct backup_entry	*v;
	size_t			 n, cap;
	uint64_t		 files, bytes;	/* of the file entries */
};

/* ---- the manifest (pure) ---- */

void	backup_manifest_init(struct backup_manifest *m);
void	backup_manifest_clear(struct backup_manifest *m);
/*
 * Checks a relative path: not empty, at most BACKUP_PATH_MAX bytes, no
 * leading or doubled '/', no "." or ".." component, no NUL or control
 * bytes.  -1 with ERR_SYNTAX naming the problem.
 */
int	backup_path_check(const char *rel, struct error *err_r);
/* Adds an entry (path copied, checked).  ERR_SYNTAX for a bad path,
 * ERR_LIMIT past BACKUP_FILES_MAX. */
int	backup_manifest_add(struct backup_manifest *m, const char *rel,
	    bool dir, uint64_t size, const unsigned char *sha,
	    struct error *err_r);
/* Appends the manifest text to out (ceiling: out's).  ERR_LIMIT. */
int	backup_manifest_write(const struct backup_manifest *m, struct buf *out,
	    struct error *err_r);
/*
 * Parses manifest text into m (initialised by the caller; cleared on
 * error): the header, every line's syntax and path, no path twice, every
 * file's folder listed before it, the End counts and the Checksum line.
 * -1 with ERR_SYNTAX (line number in the text) or ERR_LIMIT.
 */
int	backup_manifest_parse(const char *text, size_t len,
	    struct backup_manifest *m, struct error *err_r);

/* SHA-256 of a file's bytes (OpenSSL EVP); *size_r its length. */
int	backup_sha256_file(const char *path, unsigned char *sha,
	    uint64_t *size_r, struct error *err_r);

/* ---- backup (in the server) ---- */

struct backup_result {
	uint64_t	 files;		/* file entries */
	uint64_t	 bytes;
	uint64_t	 linked;	/* body files hard-linked */
	uint64_t	 copied;	/* files copied (settings, databases, bodies) */
	uint64_t	 accounts;	/* mail stores */
	uint64_t	 queue_bodies;	/* queue body files */
};

/*
 * Checks DIR for Backup: absolute, no "." or ".." component or "//",
 * its nearest existing ancestor (resolved) outside base (resolved) and
 * base not inside it, and DIR missing or an empty folder.  -1 with
 * ERR_SYNTAX (path), ERR_EXISTS (not empty) or ERR_PERM (inside base).
 */
int	backup_dir_check(const char *dir, const char *base, struct error *err_r);

/*
 * Copies srv's base directory to dir while the server runs (see above).
 * Logs start, end and errors under SYSTEM.  -1 with err_r; then dir holds
 * BACKUP-INCOMPLETE with the reason.
 */
int	backup_run(struct server *srv, const char *dir,
	    struct backup_result *r, struct error *err_r);

/* ---- restore (tegamid --restore, no server running) ---- */

/*
 * Verifies dir's manifest and every file against it (sizes, SHA-256, no
 * file the manifest does not list), then copies everything to new_base,
 * which must not exist or be empty, checking each file again as it is
 * copied; every file and folder is fsynced.  While it runs new_base holds
 * RESTORE-INCOMPLETE; it stays after an error.  -1 with err_r.
 */
int	backup_restore(const char *dir, const char *new_base,
	    struct backup_result *r, struct error *err_r);

#endif
