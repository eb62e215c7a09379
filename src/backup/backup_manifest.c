/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_manifest.c: the backup manifest (format in backup.h): building,
 * writing and parsing it, the relative-path check both directions rely
 * on, and SHA-256 of files through OpenSSL's EVP interface.  Everything
 * here but backup_sha256_file() is pure.
 */
#include "lib/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/bounds.h"
#include "lib/strv.h"
#include "lib/xmalloc.h"
#include "backup/backup.h"

#define MANIFEST_MAGIC	"Tegami-Backup 1"

void
backup_manifest_init(struct backup_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
backup_manifest_clear(struct backup_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	free(m->base);
	memset(m, 0, sizeof(*m));
}

int
backup_path_check(const char *rel, struct error *err_r)
{
	const char *p, *comp;
	size_t len = rel != NULL ? strlen(rel) : 0;

	if (len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty path");
	if (len > BACKUP_PATH_MAX)
		return error_set(err_r, ERR_SYNTAX, "path longer than %d bytes",
		    BACKUP_PATH_MAX);
	if (rel[0] == '/')
		return error_set(err_r, ERR_SYNTAX, "absolute path");
	for (p = rel; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return error_set(err_r, ERR_SYNTAX,
			    "control character in a path");
	for (comp = rel; ; comp = p + 1) {
		p = strchr(comp, '/');
		len = p != NULL ? (size_t)(p - comp) : strlen(comp);
		if (len == 0)
			return error_set(err_r, ERR_SYNTAX,
			    "empty path component");
		if ((len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return error_set(err_r, ERR_SYNTAX,
			    "'.' or '..' in a path");
		if (p == NULL)
			break;
	}
	return 0;
}

int
backup_manifest_add(struct backup_manifest *m, const char *rel, bool dir,
    uint64_t size, const unsigned char *sha, struct error *err_r)
{
	struct backup_entry *e;

	if (backup_path_check(rel, err_r) < 0)
		return -1;
	if (m->n >= BACKUP_FILES_MAX)
		return error_set(err_r, ERR_LIMIT, "more than %d entries",
		    BACKUP_FILES_MAX);
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 64 : size_mul(m->cap, 2);
		m->v = xrealloc(m->v, size_mul(m->cap, sizeof(*m->v)));
	}
	e = &m->v[m->n++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(rel);
	e->dir = dir;
	if (!dir) {
		e->size = size;
		if (sha != NULL)
			memcpy(e->sha, sha, BACKUP_SHA_LEN);
		m->files++;
		m->bytes += size;
	}
	return 0;
}

static void
put_path(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			buf_putc(out, '%');
			buf_putc(out, hex[*p >> 4]);
			buf_putc(out, hex[*p & 15]);
		} else
			buf_putc(out, (char)*p);
	}
}

static void
put_hex(struct buf *out, const unsigned char *sha)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < BACKUP_SHA_LEN; i++) {
		buf_putc(out, hex[sha[i] >> 4]);
		buf_putc(out, hex[sha[i] & 15]);
	}
}

static int
sha256_mem(const void *p, size_t len, unsigned char *sha)
{
	unsigned int n = 0;

	if (EVP_Digest(p, len, sha, &n, EVP_sha256(), NULL) != 1 ||
	    n != BACKUP_SHA_LEN)
		return -1;
	return 0;
}

int
backup_manifest_write(const struct backup_manifest *m, struct buf *out,
    struct error *err_r)
{
	unsigned char sha[BACKUP_SHA_LEN];
	char iso[32];
	struct tm tm;
	time_t t = (time_t)m->started;
	size_t i, start = out->len;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return error_set(err_r, ERR_INTERNAL, "bad start time");
	buf_printf(out, MANIFEST_MAGIC "\nStarted %s %" PRId64 "\nBase ", iso,
	    m->started);
	put_path(out, m->base != NULL ? m->base : "");
	buf_putc(out, '\n');
	for (i = 0; i < m->n && out->err == 0; i++) {
		if (m->v[i].dir)
			buf_puts(out, "D ");
		else {
			buf_puts(out, "F ");
			put_hex(out, m->v[i].sha);
			buf_printf(out, " %" PRIu64 " ", m->v[i].size);
		}
		put_path(out, m->v[i].path);
		buf_putc(out, '\n');
	}
	buf_printf(out, "End %" PRIu64 " %" PRIu64 "\n", m->files, m->bytes);
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "manifest too large");
	if (sha256_mem(out->data + start, out->len - start, sha) < 0)
		return error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
	buf_puts(out, "Checksum ");
	put_hex(out, sha);
	buf_putc(out, '\n');
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "manifest too large");
	return 0;
}

/* ---- parsing ---- */

struct mparse {
	const char	*p, *end;	/* the rest of the text */
	const char	*line;		/* the current line */
	size_t		 len;		/* its length without LF */
	size_t		 lineno;
};

/* The next line; false at the end or for a last line without LF. */
static bool
next_line(struct mparse *mp)
{
	const char *nl;

	if (mp->p >= mp->end)
		return false;
	nl = memchr(mp->p, '\n', (size_t)(mp->end - mp->p));
	if (nl == NULL)
		return false;
	mp->line = mp->p;
	mp->len = (size_t)(nl - mp->p);
	mp->p = nl + 1;
	mp->lineno++;
	return true;
}

static int
perr(const struct mparse *mp, struct error *err_r, const char *what)
{
	return error_set(err_r, ERR_SYNTAX, "manifest line %zu: %s",
	    mp->lineno, what);
}

/* Decimal without sign or leading zeros (but "0"), fitting in 64 bits. */
static int
parse_u64(const char *p, size_t len, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*v_r = v;
	return 0;
}

static int
parse_sha(const char *p, size_t len, unsigned char *sha)
{
	size_t i;
	int c;

	if (len != 2 * BACKUP_SHA_LEN)
		return -1;
	for (i = 0; i < BACKUP_SHA_LEN; i++) {
		/* lower case only: one spelling per digest */
		if ((c = hex_pair_value(p + 2 * i, 2)) < 0 ||
		    (p[2 * i] >= 'A' && p[2 * i] <= 'F') ||
		    (p[2 * i + 1] >= 'A' && p[2 * i + 1] <= 'F'))
			return -1;
		sha[i] = (unsigned char)c;
	}
	return 0;
}

/* Decodes an escaped path into an allocated string; NULL when malformed
 * (raw bytes that must be escaped, a bad or NUL escape). */
static char *
decode_path(const char *p, size_t len)
{
	char *out, *o;
	size_t i;
	int v;

	if (len > 3 * BACKUP_PATH_MAX)
		return NULL;
	out = o = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			goto bad;
		if (c == '%') {
			/* a bad or missing escape, or %00 */
			if ((v = hex_pair_value(p + i + 1, len - i - 1)) <= 0)
				goto bad;
			c = (unsigned char)v;
			i += 2;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static bool
starts(const struct mparse *mp, const char *prefix)
{
	size_t n = strlen(prefix);

	return mp->len >= n && memcmp(mp->line, prefix, n) == 0;
}

static int
cmp_entry_path(const void *a, const void *b)
{
	const struct backup_entry *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* No path twice; each entry's folder is a D entry listed before it. */
static int
check_tree(const struct backup_manifest *m, struct error *err_r)
{
	struct backup_entry **sorted, key, *kp, **hit;
	size_t i;
	int rc = 0;

	if (m->n == 0)
		return 0;
	sorted = xmalloc(size_mul(m->n, sizeof(*sorted)));
	for (i = 0; i < m->n; i++)
		sorted[i] = &m->v[i];
	qsort(sorted, m->n, sizeof(*sorted), cmp_entry_path);
	for (i = 1; i < m->n && rc == 0; i++)
		if (strcmp(sorted[i - 1]->path, sorted[i]->path) == 0)
			rc = error_set(err_r, ERR_SYNTAX, "manifest lists "
			    "%s twice", sorted[i]->path);
	for (i = 0; i < m->n && rc == 0; i++) {
		char *slash = strrchr(m->v[i].path, '/');

		if (slash == NULL)
			continue;
		key.path = xstrndup(m->v[i].path,
		    (size_t)(slash - m->v[i].path));
		kp = &key;
		hit = bsearch(&kp, sorted, m->n, sizeof(*sorted),
		    cmp_entry_path);
		if (hit == NULL || !(*hit)->dir || *hit > &m->v[i])
			rc = error_set(err_r, ERR_SYNTAX, "manifest: the folder "
			    "of %s is not listed before it", m->v[i].path);
		free(key.path);
	}
	free(sorted);
	return rc;
}

int
backup_manifest_parse(const char *text, size_t len,
    struct backup_manifest *m, struct error *err_r)
{
	struct mparse mp = { text, text + len, NULL, 0, 0 };
	unsigned char sha[BACKUP_SHA_LEN], want[BACKUP_SHA_LEN];
	uint64_t files = 0, bytes = 0, v;
	const char *sp;
	char *path;
	int rc;

	const char *last;
	size_t body_len;

	if (len > BACKUP_MANIFEST_MAX)
		return error_set(err_r, ERR_LIMIT, "manifest larger than %lu "
		    "bytes", (unsigned long)BACKUP_MANIFEST_MAX);
	/*
	 * The checksum first: a changed or cut manifest is reported as
	 * such, whatever else it breaks.  It covers everything before the
	 * last line, which is the Checksum line.
	 */
	if (len < 2 || text[len - 1] != '\n')
		return error_set(err_r, ERR_SYNTAX, "manifest: cut short (no "
		    "Checksum line)");
	last = memrchr(text, '\n', len - 1);
	body_len = last != NULL ? (size_t)(last + 1 - text) : 0;
	if (len - body_len != 9 + 2 * BACKUP_SHA_LEN + 1 ||
	    memcmp(text + body_len, "Checksum ", 9) != 0 ||
	    parse_sha(text + body_len + 9, 2 * BACKUP_SHA_LEN, sha) < 0)
		return error_set(err_r, ERR_SYNTAX, "manifest: the last line "
		    "is not Checksum <sha256> (cut short?)");
	if (sha256_mem(text, body_len, want) < 0)
		return error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
	if (memcmp(sha, want, sizeof(sha)) != 0)
		return error_set(err_r, ERR_SYNTAX, "manifest: the checksum "
		    "does not match its text (changed or damaged)");
	mp.end = text + body_len;
	if (!next_line(&mp) || mp.len != strlen(MANIFEST_MAGIC) ||
	    memcmp(mp.line, MANIFEST_MAGIC, mp.len) != 0)
		return error_set(err_r, ERR_SYNTAX, "not a Tegami backup "
		    "manifest");
	if (!next_line(&mp) || !starts(&mp, "Started ") ||
	    (sp = memrchr(mp.line, ' ', mp.len)) == mp.line + 7 ||
	    parse_u64(sp + 1, (size_t)(mp.line + mp.len - sp - 1), &v) < 0 ||
	    v > INT64_MAX)
		return perr(&mp, err_r, "Started <time> <seconds> expected");
	m->started = (int64_t)v;
	if (!next_line(&mp) || !starts(&mp, "Base ") ||
	    (m->base = decode_path(mp.line + 5, mp.len - 5)) == NULL) {
		backup_manifest_clear(m);
		return perr(&mp, err_r, "Base <path> expected");
	}
	for (;;) {
		if (!next_line(&mp)) {
			rc = perr(&mp, err_r, "End line missing");
			goto fail;
		}
		if (starts(&mp, "D ")) {
			path = decode_path(mp.line + 2, mp.len - 2);
			rc = path == NULL ? perr(&mp, err_r, "bad path") :
			    backup_manifest_add(m, path, true, 0, NULL, err_r);
		} else if (starts(&mp, "F ")) {
			const char *f = mp.line + 2, *end = mp.line + mp.len;
			const char *s1 = memchr(f, ' ', (size_t)(end - f));
			const char *s2 = s1 != NULL ? memchr(s1 + 1, ' ',
			    (size_t)(end - s1 - 1)) : NULL;

			path = NULL;
			if (s2 == NULL || parse_sha(f, (size_t)(s1 - f),
			    sha) < 0 || parse_u64(s1 + 1,
			    (size_t)(s2 - s1 - 1), &v) < 0 ||
			    (path = decode_path(s2 + 1,
			    (size_t)(end - s2 - 1))) == NULL)
				rc = perr(&mp, err_r, "F <sha256> <size> <path> "
				    "expected");
			else
				rc = backup_manifest_add(m, path, false, v, sha,
				    err_r);
		} else if (starts(&mp, "End ")) {
			sp = memchr(mp.line + 4, ' ', mp.len - 4);
			if (sp == NULL || parse_u64(mp.line + 4,
			    (size_t)(sp - mp.line - 4), &files) < 0 ||
			    parse_u64(sp + 1, (size_t)(mp.line + mp.len - sp -
			    1), &bytes) < 0) {
				rc = perr(&mp, err_r, "End <files> <bytes> "
				    "expected");
				goto fail;
			}
			break;
		} else {
			rc = perr(&mp, err_r, "unknown line");
			goto fail;
		}
		free(path);
		if (rc < 0) {
			if (err_r != NULL && err_r->kind == ERR_SYNTAX &&
			    strncmp(err_r->msg, "manifest", 8) != 0) {
				char what[sizeof(err_r->msg)];

				memcpy(what, err_r->msg, sizeof(what));
				(void)perr(&mp, err_r, what);
			}
			goto fail;
		}
	}
	if (files != m->files || bytes != m->bytes) {
		rc = perr(&mp, err_r, "End counts do not match the entries");
		goto fail;
	}
	if (mp.p != mp.end) {
		rc = perr(&mp, err_r, "text between End and Checksum");
		goto fail;
	}
	if ((rc = check_tree(m, err_r)) < 0)
		goto fail;
	return 0;
fail:
	backup_manifest_clear(m);
	return rc;
}

int
backup_sha256_file(const char *path, unsigned char *sha, uint64_t *size_r,
    struct error *err_r)
{
	EVP_MD_CTX *ctx;
	char *chunk;
	uint64_t total = 0;
	unsigned int n = 0;
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return error_set(err_r, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "open %s: %s", path, strerror(errno));
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		return error_set(err_r, ERR_INTERNAL, "SHA-256 init failed");
	}
	chunk = xmalloc(64 * 1024);
	for (;;) {
		r = read(fd, chunk, 64 * 1024);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = error_set(err_r, ERR_IO, "read %s: %s", path,
			    strerror(errno));
			break;
		}
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)r) != 1) {
			rc = error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
			break;
		}
	}
	if (rc == 0 && (EVP_DigestFinal_ex(ctx, sha, &n) != 1 ||
	    n != BACKUP_SHA_LEN))
		rc = error_set(err_r, ERR_INTERNAL, "SHA-256 failed");
	free(chunk);
	EVP_MD_CTX_free(ctx);
	close(fd);
	if (rc == 0 && size_r != NULL)
		*size_r = total;
	return rc;
}
