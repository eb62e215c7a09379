/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_logrecord.c: libFuzzer target for the log record field readers that
 * ReadLog's filters use (src/cli/cli_webadmin.c: cli_log_record_level,
 * cli_log_record_tag).  Invariants: the level is -1 or 0-5 and is never
 * read past the record; the tag fits its buffer, is NUL-terminated, holds
 * no space, '-', '(' or newline, and is "" whenever the level is -1.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli_webadmin.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), tag[8], big[64];
	int lv;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	lv = cli_log_record_level(line, size);
	if (lv < -1 || lv > 5)
		abort();
	cli_log_record_tag(line, size, tag, sizeof(tag));
	cli_log_record_tag(line, size, big, sizeof(big));
	if (strlen(tag) >= sizeof(tag) || strlen(big) >= sizeof(big) ||
	    strpbrk(big, " -(\n") != NULL)
		abort();
	if (lv < 0 && (tag[0] != '\0' || big[0] != '\0'))
		abort();
	if (strncmp(tag, big, strlen(tag)) != 0)
		abort();
	free(line);
	return 0;
}
