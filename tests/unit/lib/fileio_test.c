/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fileio_test.c: lib/fileio in a scratch folder: an atomic write replaces
 * a file with the exact mode and leaves no temporary file; a failed write,
 * fsync or rename (through the fault hooks) leaves the old file as it was;
 * a stale temporary file or a link in its place is not written through;
 * the fsync of a folder reports its failure; without FILEIO_FAULTS an
 * armed fault is not consumed; body files are created once (O_EXCL) and
 * removed when their write fails; reads of ranges.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fault.h"
#include "lib/fileio.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

static char *dir;

/* The content of path ("" when missing, into a static buffer). */
static const char *
content(const char *path)
{
	static char text[256];
	ssize_t n;
	int fd;

	text[0] = '\0';
	if ((fd = open(path, O_RDONLY)) < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

static bool
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_mode & 07777 : (mode_t)-1;
}

static void
test_atomic(void)
{
	char *path = xasprintf("%s/Main.settings", dir);
	char *tmp = xasprintf("%s.tmp", path);
	char *other = xasprintf("%s/other", dir);
	struct error err;
	enum fault_op ops[] = { FAULT_WRITE, FAULT_FSYNC, FAULT_RENAME };
	unsigned long fired;
	size_t i;

	test_begin("atomic write: new file, exact mode, no temporary left");
	test_assert(fileio_write_atomic(path, "one", 3, 0640, 0, &err) == 0);
	test_assert_str(content(path), "one");
	test_assert(mode_of(path) == 0640);
	test_assert(!exists(tmp));
	test_assert(fileio_write_atomic(path, "two!", 4, 0600, 0, &err) == 0);
	test_assert_str(content(path), "two!");
	test_assert(mode_of(path) == 0600);
	test_end();

	for (i = 0; i < N_ELEMENTS(ops); i++) {
		test_begin("atomic write: a failed write/fsync/rename keeps the"
		    " old file");
		fired = fault_fired();
		fault_set(ops[i], 1);
		error_clear(&err);
		test_assert(fileio_write_atomic(path, "three", 5, 0600,
		    FILEIO_FAULTS, &err) < 0);
		test_assert(fault_fired() == fired + 1);
		test_assert(err.kind == ERR_IO);
		test_assert(strstr(err.msg, "Input/output error") != NULL);
		test_assert_str(content(path), "two!");
		test_assert(!exists(tmp));
		fault_reset();
		test_end();
	}

	test_begin("atomic write: the folder's fsync fails after the rename");
	fault_set(FAULT_FSYNC, 2);	/* 1: the file, 2: its folder */
	error_clear(&err);
	test_assert(fileio_write_atomic(path, "four", 4, 0600, FILEIO_FAULTS,
	    &err) < 0);
	fault_reset();
	test_assert(err.kind == ERR_IO && strstr(err.msg, "fsync ") ==
	    err.msg && strstr(err.msg, dir) != NULL);
	test_assert_str(content(path), "four");	/* reported, yet in place */
	test_end();

	test_begin("atomic write: without FILEIO_FAULTS no fault is used");
	fired = fault_fired();
	fault_set(FAULT_FSYNC, 1);
	test_assert(fileio_write_atomic(path, "five", 4, 0600, 0, &err) == 0);
	test_assert(fault_fired() == fired);
	test_assert(fault_hit(FAULT_FSYNC));	/* still armed */
	fault_reset();
	test_assert_str(content(path), "five");
	test_end();

	test_begin("atomic write: a stale temporary file is replaced");
	test_assert(fileio_write_atomic(tmp, "stale", 5, 0644, 0, &err) == 0);
	test_assert(fileio_write_atomic(path, "six", 3, 0600, 0, &err) == 0);
	test_assert_str(content(path), "six");
	test_assert(!exists(tmp));
	test_end();

	test_begin("atomic write: a link as temporary file is not followed");
	test_assert(fileio_write_atomic(other, "keep", 4, 0600, 0, &err) == 0);
	test_assert(symlink(other, tmp) == 0);
	test_assert(fileio_write_atomic(path, "seven", 5, 0600, 0, &err) ==
	    0);
	test_assert_str(content(other), "keep");
	test_assert_str(content(path), "seven");
	test_end();

	test_begin("atomic write: a missing folder is an error");
	free(tmp);
	tmp = xasprintf("%s/no/such/file", dir);
	error_clear(&err);
	test_assert(fileio_write_atomic(tmp, "x", 1, 0600, 0, &err) < 0);
	test_assert(err.kind == ERR_IO && strstr(err.msg, "create ") ==
	    err.msg);
	test_end();

	free(other);
	free(tmp);
	free(path);
}

static void
test_fsync_dir(void)
{
	char *missing = xasprintf("%s/missing", dir);
	struct error err;
	char *cwd;

	test_begin("fsync_dir: works, and its failure surfaces");
	test_assert(fileio_fsync_dir(dir, FILEIO_FAULTS, &err) == 0);
	fault_set(FAULT_FSYNC, 1);
	error_clear(&err);
	test_assert(fileio_fsync_dir(dir, FILEIO_FAULTS, &err) < 0);
	fault_reset();
	test_assert(err.kind == ERR_IO);
	test_assert(strstr(err.msg, "fsync ") == err.msg);
	test_assert(strstr(err.msg, "Input/output error") != NULL);
	test_end();

	test_begin("fsync_dir: a missing folder is ERR_IO");
	error_clear(&err);
	test_assert(fileio_fsync_dir(missing, 0, &err) < 0);
	test_assert(err.kind == ERR_IO && strstr(err.msg, "open ") ==
	    err.msg);
	test_assert(fileio_fsync_file(missing, 0, &err) < 0);
	test_end();

	test_begin("fsync_parent: of a bare name is the current folder");
	cwd = getcwd(NULL, 0);
	test_assert(cwd != NULL && chdir(dir) == 0);
	test_assert(fileio_fsync_parent("name", 0, &err) == 0);
	test_assert(cwd != NULL && chdir(cwd) == 0);
	free(cwd);
	test_assert(fileio_fsync_parent(missing, 0, &err) == 0);
	test_assert(fileio_fsync_parent("/x", 0, &err) == 0);
	test_end();
	free(missing);
}

static void
test_body_files(void)
{
	char *path = xasprintf("%s/b1-body", dir);
	char *path2 = xasprintf("%s/b2-body", dir);
	struct error err;
	struct buf b;

	test_begin("body file: created once, fsynced, mode 0600");
	test_assert(fileio_write_new(path, "hello world", 11, 0600,
	    FILEIO_FAULTS, &err) == 0);
	test_assert_str(content(path), "hello world");
	test_assert(mode_of(path) == 0600);
	error_clear(&err);
	test_assert(fileio_write_new(path, "other", 5, 0600, 0, &err) < 0);
	test_assert(err.kind == ERR_IO);
	test_assert_str(content(path), "hello world");	/* untouched */
	test_end();

	test_begin("body file: a failed write or fsync removes it");
	fault_set(FAULT_WRITE, 1);
	test_assert(fileio_write_new(path2, "data", 4, 0600, FILEIO_FAULTS,
	    &err) < 0);
	test_assert(!exists(path2));
	fault_set(FAULT_FSYNC, 1);
	test_assert(fileio_write_new(path2, "data", 4, 0600, FILEIO_FAULTS,
	    &err) < 0);
	test_assert(!exists(path2));
	fault_reset();
	test_end();

	test_begin("read: ranges, exact and to the end");
	buf_init(&b, 1024);
	test_assert(fileio_read(path, 6, 5, true, &b, &err) == 0);
	test_assert(b.len == 5 && memcmp(b.data, "world", 5) == 0);
	b.len = 0;
	error_clear(&err);
	test_assert(fileio_read(path, 6, 10, true, &b, &err) < 0);
	test_assert(err.kind == ERR_IO && strstr(err.msg, "short file"));
	b.len = 0;
	test_assert(fileio_read(path, 0, 1000, false, &b, &err) == 0);
	test_assert(b.len == 11);
	b.len = 0;
	test_assert(fileio_read(path2, 0, 10, false, &b, &err) < 0);
	buf_free(&b);
	test_end();

	test_begin("remove: the file, then nothing");
	test_assert(fileio_remove(path, &err) == 0 && !exists(path));
	test_assert(fileio_remove(path, &err) == 0);
	test_end();
	free(path);
	free(path2);
}

int
main(void)
{
	char tmpl[] = "/tmp/tegami-fileio-XXXXXX", *cmd;

	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	dir = tmpl;
	umask(022);
	test_atomic();
	test_fsync_dir();
	test_body_files();
	cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	free(cmd);
	return test_done();
}
