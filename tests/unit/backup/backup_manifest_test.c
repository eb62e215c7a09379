/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_manifest_test.c: the backup manifest (src/backup/backup_manifest.c):
 * write and parse round trip with paths that need escaping, the checksum
 * catching every changed byte and every cut, syntax errors with a valid
 * checksum (bad paths, duplicates, a file before its folder, wrong End
 * counts), and the relative-path check.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "backup/backup.h"

static const unsigned char sha_a[BACKUP_SHA_LEN] = { 1, 2, 3, 0xfe, 0xff };

static void
build(struct backup_manifest *m)
{
	backup_manifest_init(m);
	m->started = 1796225400;
	m->base = xstrdup("/var/Tegami base");
	test_assert(backup_manifest_add(m, "Settings", true, 0, NULL, NULL) == 0);
	test_assert(backup_manifest_add(m, "Settings/Main.settings", false, 12,
	    sha_a, NULL) == 0);
	test_assert(backup_manifest_add(m, "Accounts", true, 0, NULL, NULL) == 0);
	test_assert(backup_manifest_add(m, "Accounts/a b%c.macnt", true, 0, NULL,
	    NULL) == 0);
	test_assert(backup_manifest_add(m, "Accounts/a b%c.macnt/caf\xc3\xa9",
	    false, 0, sha_a, NULL) == 0);
}

/* body + "Checksum <sha256 of body>\n" */
static char *
with_checksum(const char *body, size_t *len_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n;
	size_t bl = strlen(body), i;
	char *out = xmalloc(bl + 9 + 64 + 2);

	EVP_Digest(body, bl, md, &n, EVP_sha256(), NULL);
	memcpy(out, body, bl);
	memcpy(out + bl, "Checksum ", 9);
	for (i = 0; i < 32; i++) {
		out[bl + 9 + 2 * i] = hex[md[i] >> 4];
		out[bl + 9 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[bl + 9 + 64] = '\n';
	out[bl + 9 + 65] = '\0';
	*len_r = bl + 9 + 65;
	return out;
}

static int
parse_body(const char *body, struct error *err)
{
	struct backup_manifest m;
	size_t len;
	char *t = with_checksum(body, &len);
	int rc;

	backup_manifest_init(&m);
	rc = backup_manifest_parse(t, len, &m, err);
	backup_manifest_clear(&m);
	free(t);
	return rc;
}

#define HDR	"Tegami-Backup 1\nStarted 2026-12-02T15:30:00Z 1796225400\n" \
		"Base /b\n"
#define SHA0	"0000000000000000000000000000000000000000000000000000000000000000"

int
main(void)
{
	struct backup_manifest m, p;
	struct buf out;
	struct error err;
	size_t i, fails;
	char *t;

	test_begin("write then parse gives the same entries");
	build(&m);
	buf_init(&out, 1 << 20);
	test_assert(backup_manifest_write(&m, &out, NULL) == 0);
	test_assert(strstr(out.data, "\nD Accounts/a%20b%25c.macnt\n") != NULL);
	test_assert(strstr(out.data, "caf%C3%A9\n") != NULL);
	test_assert(strstr(out.data, "\nBase /var/Tegami%20base\n") != NULL);
	test_assert(strstr(out.data, "\nEnd 2 12\nChecksum ") != NULL);
	backup_manifest_init(&p);
	test_assert(backup_manifest_parse(out.data, out.len, &p, &err) == 0);
	test_assert(p.n == m.n && p.files == 2 && p.bytes == 12);
	test_assert(p.started == m.started);
	test_assert_str(p.base, "/var/Tegami base");
	for (i = 0; i < p.n && i < m.n; i++) {
		test_assert_str(p.v[i].path, m.v[i].path);
		test_assert(p.v[i].dir == m.v[i].dir);
		test_assert(p.v[i].size == m.v[i].size);
		test_assert(memcmp(p.v[i].sha, m.v[i].sha, BACKUP_SHA_LEN) == 0);
	}
	backup_manifest_clear(&p);
	test_end();

	test_begin("every changed byte and every cut is refused");
	fails = 0;
	for (i = 0; i < out.len; i++) {
		char saved = out.data[i];

		out.data[i] = (char)(saved ^ 0x01);
		backup_manifest_init(&p);
		fails += backup_manifest_parse(out.data, out.len, &p, NULL) < 0;
		backup_manifest_clear(&p);
		out.data[i] = saved;
	}
	test_assert(fails == out.len);
	fails = 0;
	for (i = 0; i < out.len; i++) {
		backup_manifest_init(&p);
		fails += backup_manifest_parse(out.data, i, &p, NULL) < 0;
		backup_manifest_clear(&p);
	}
	test_assert(fails == out.len);
	/* fed one byte more at a time: only the whole text parses */
	backup_manifest_init(&p);
	test_assert(backup_manifest_parse(out.data, out.len, &p, NULL) == 0);
	backup_manifest_clear(&p);
	test_end();

	test_begin("a changed line is reported as a checksum mismatch");
	t = xstrdup(out.data);
	*strstr(t, "End 2 12") = 'X';
	backup_manifest_init(&p);
	test_assert(backup_manifest_parse(t, out.len, &p, &err) < 0);
	test_assert(strstr(err.msg, "checksum does not match") != NULL);
	free(t);
	test_end();
	buf_free(&out);
	backup_manifest_clear(&m);

	test_begin("syntax errors under a valid checksum");
	test_assert(parse_body(HDR "End 0 0\n", &err) == 0);
	test_assert(parse_body("Tegami-Backup 2\nStarted x 1\nBase /b\nEnd 0 0\n",
	    &err) < 0);
	test_assert(parse_body("Tegami-Backup 1\nStarted 1\nBase /b\nEnd 0 0\n",
	    &err) < 0);
	test_assert(parse_body(HDR "D ../x\nEnd 0 0\n", &err) < 0);
	test_assert(strstr(err.msg, "'..'") != NULL);
	test_assert(parse_body(HDR "D a/./b\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D /etc\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a//b\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D %2E%2E\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a%00b\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a%0Ab\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a%2\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a b\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a\nD a\nEnd 0 0\n", &err) < 0);
	test_assert(strstr(err.msg, "twice") != NULL);
	test_assert(parse_body(HDR "F " SHA0 " 1 a/f\nD a\nEnd 1 1\n", &err) < 0);
	test_assert(strstr(err.msg, "not listed before") != NULL);
	test_assert(parse_body(HDR "F " SHA0 " 1 a/f\nEnd 1 1\n", &err) < 0);
	test_assert(parse_body(HDR "F " SHA0 " 1 f\nD f/g\nEnd 1 1\n", &err) < 0);
	test_assert(parse_body(HDR "D a\nF " SHA0 " 1 a/f\nEnd 1 1\n", &err) == 0);
	test_assert(parse_body(HDR "D a\nF " SHA0 " 1 a/f\nEnd 1 2\n", &err) < 0);
	test_assert(strstr(err.msg, "End counts") != NULL);
	test_assert(parse_body(HDR "F " SHA0 " 01 f\nEnd 1 1\n", &err) < 0);
	test_assert(parse_body(HDR "F " SHA0 " -1 f\nEnd 1 1\n", &err) < 0);
	test_assert(parse_body(HDR "F " SHA0 " 99999999999999999999 f\nEnd 1 "
	    "99999999999999999999\n", &err) < 0);
	test_assert(parse_body(HDR "F 00 1 f\nEnd 1 1\n", &err) < 0);
	test_assert(parse_body(HDR "F " SHA0 "\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "X y\nEnd 0 0\n", &err) < 0);
	test_assert(parse_body(HDR "D a\n", &err) < 0);
	test_assert(strstr(err.msg, "End line missing") != NULL);
	test_assert(parse_body(HDR "End 0 0\nD a\n", &err) < 0);
	test_end();

	test_begin("the path check");
	test_assert(backup_path_check("Settings/Main.settings", NULL) == 0);
	test_assert(backup_path_check("a..b/.c/d.", NULL) == 0);
	test_assert(backup_path_check("", NULL) < 0);
	test_assert(backup_path_check(NULL, NULL) < 0);
	test_assert(backup_path_check("/a", NULL) < 0);
	test_assert(backup_path_check("a/", NULL) < 0);
	test_assert(backup_path_check("a//b", NULL) < 0);
	test_assert(backup_path_check("..", NULL) < 0);
	test_assert(backup_path_check("a/../b", NULL) < 0);
	test_assert(backup_path_check("a/.", NULL) < 0);
	test_assert(backup_path_check("a\tb", NULL) < 0);
	t = xmalloc(BACKUP_PATH_MAX + 2);
	memset(t, 'a', BACKUP_PATH_MAX + 1);
	t[BACKUP_PATH_MAX + 1] = '\0';
	test_assert(backup_path_check(t, NULL) < 0);
	t[BACKUP_PATH_MAX] = '\0';
	test_assert(backup_path_check(t, NULL) == 0);
	free(t);
	backup_manifest_init(&m);
	test_assert(backup_manifest_add(&m, "../x", true, 0, NULL, &err) < 0);
	test_assert(m.n == 0);
	backup_manifest_clear(&m);
	test_end();

	return test_done();
}
