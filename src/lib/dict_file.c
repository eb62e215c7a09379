/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dict_file.c: settings files in the CommuniGate Pro data format (dict.h).
 *
 * A settings file holds one dictionary (pretty form, "//" comments allowed
 * on reading, an optional UTF-8 byte order mark skipped).  Writing is
 * atomic: the text goes to "<path>.tmp", which is fsync'ed and renamed over
 * path, and then the directory is fsync'ed (lib/fileio), so a crash leaves
 * either the old or the new file.  The new file keeps the mode of the file it replaces;
 * a new file gets 0600 when its name ends in "account.settings" (it holds
 * passwords), else 0644.  Callers serialise writers of one path.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/dict.h"
#include "lib/fileio.h"
#include "lib/xmalloc.h"

struct dval *
dict_file_read(const char *path, struct error *err_r)
{
	struct error perr;
	struct stat st;
	struct dval *v;
	char *text;
	size_t len = 0, off = 0, cap;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		(void)error_set(err_r, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)error_set(err_r, ERR_IO, "%s: %s", path,
		    S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size > DICT_TEXT_MAX) {
		(void)error_set(err_r, ERR_LIMIT, "%s: larger than %d bytes",
		    path, DICT_TEXT_MAX);
		close(fd);
		return NULL;
	}
	/* Sized from fstat, grown if the file grows, never past the limit. */
	cap = (size_t)st.st_size + 1;
	text = xmalloc(cap);
	while (len <= DICT_TEXT_MAX) {
		if (len == cap) {
			cap = cap * 2 > (size_t)DICT_TEXT_MAX + 1 ?
			    (size_t)DICT_TEXT_MAX + 1 : cap * 2;
			text = xrealloc(text, cap);
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)error_set(err_r, ERR_IO, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > DICT_TEXT_MAX) {
		(void)error_set(err_r, ERR_LIMIT, "%s: larger than %d bytes",
		    path, DICT_TEXT_MAX);
		goto fail;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	v = dict_parse(text + off, len - off, DICT_PARSE_COMMENTS, &perr);
	if (v != NULL && dict_type(v) != DICT_DICT) {
		dict_free(&v);
		(void)error_set(&perr, ERR_SYNTAX, "not a dictionary");
	}
	if (v == NULL) {
		(void)error_set(err_r, perr.kind, "%s: %s", path, perr.msg);
		goto fail;
	}
	free(text);
	close(fd);
	return v;
fail:
	free(text);
	close(fd);
	return NULL;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
dict_file_write(const char *path, const struct dval *v, struct error *err_r)
{
	struct buf b;
	struct stat st;
	mode_t mode;
	int rc;

	buf_init(&b, DICT_TEXT_MAX);
	dict_write(&b, v, DICT_WRITE_PRETTY);
	buf_putc(&b, '\n');
	if (b.err != 0) {
		buf_free(&b);
		return error_set(err_r, ERR_LIMIT, "%s: text over %d bytes",
		    path, DICT_TEXT_MAX);
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else
		mode = has_suffix(path, "account.settings") ? 0600 : 0644;
	rc = fileio_write_atomic(path, b.data, b.len, mode, 0, err_r);
	buf_free(&b);
	return rc;
}
