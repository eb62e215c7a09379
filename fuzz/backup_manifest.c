/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_manifest.c: libFuzzer target for the backup manifest parser
 * (src/backup/backup_manifest.c).  The input is parsed as it is, and again
 * with a correct Checksum line appended, so the fuzzer reaches the line
 * syntax behind the checksum.  Invariants: a parsed manifest has only
 * paths that pass backup_path_check(), End counts equal to its entries,
 * and writing it out and parsing that again gives the same entries.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "backup/backup.h"
#include "lib/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const char *text, size_t len)
{
	struct backup_manifest m, again;
	struct buf out;
	uint64_t files = 0, bytes = 0;
	size_t i;

	backup_manifest_init(&m);
	if (backup_manifest_parse(text, len, &m, NULL) < 0) {
		if (m.n != 0 || m.v != NULL || m.base != NULL)
			abort();	/* cleared on error */
		return;
	}
	for (i = 0; i < m.n; i++) {
		if (backup_path_check(m.v[i].path, NULL) < 0)
			abort();
		if (!m.v[i].dir) {
			files++;
			bytes += m.v[i].size;
		}
	}
	if (files != m.files || bytes != m.bytes)
		abort();
	buf_init(&out, BACKUP_MANIFEST_MAX);
	if (backup_manifest_write(&m, &out, NULL) < 0)
		abort();
	backup_manifest_init(&again);
	if (backup_manifest_parse(out.data, out.len, &again, NULL) < 0 ||
	    again.n != m.n)
		abort();
	for (i = 0; i < m.n; i++)
		if (strcmp(again.v[i].path, m.v[i].path) != 0 ||
		    again.v[i].dir != m.v[i].dir ||
		    again.v[i].size != m.v[i].size ||
		    memcmp(again.v[i].sha, m.v[i].sha, BACKUP_SHA_LEN) != 0)
			abort();
	backup_manifest_clear(&again);
	buf_free(&out);
	backup_manifest_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	char *t;
	size_t i;

	check((const char *)data, size);
	if (size > 1024 * 1024)
		return 0;
	t = xmalloc(size + 9 + 64 + 1);
	memcpy(t, data, size);
	memcpy(t + size, "Checksum ", 9);
	EVP_Digest(data, size, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		t[size + 9 + 2 * i] = hex[md[i] >> 4];
		t[size + 9 + 2 * i + 1] = hex[md[i] & 15];
	}
	t[size + 9 + 64] = '\n';
	check(t, size + 9 + 64 + 1);
	free(t);
	return 0;
}
