/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_parse.c: libFuzzer target for lib/mime and imap/imap_mime.  Parses
 * the input as a message, writes ENVELOPE, BODY and BODYSTRUCTURE for the
 * root and every embedded message, and walks the tree checking that every
 * offset stays inside the input.  Leaks and overreads show up under ASan.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "imap/imap_mime.h"
#include "lib/mime.h"
#include "lib/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct mime_message *msg, const struct mime_part *p,
    struct buf *out)
{
	for (; p != NULL; p = p->next) {
		if (p->hdr_off + p->hdr_len > msg->len ||
		    p->body_off + p->body_len > msg->len ||
		    p->body_off < p->hdr_off)
			abort();
		if (p->is_message && p->child != NULL)
			imap_mime_envelope(msg, p->child, out);
		walk(msg, p->child, out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1);	/* ASan sees overreads past size+1 */
	struct mime_message *msg;
	struct buf out;

	memcpy(copy, data, size);
	msg = mime_parse(copy, size);
	buf_init(&out, 64 * 1024 * 1024);
	imap_mime_envelope(msg, msg->root, &out);
	imap_mime_bodystructure(msg, msg->root, true, &out);
	imap_mime_bodystructure(msg, msg->root, false, &out);
	walk(msg, msg->root, &out);
	if (msg->nparts > MIME_PARTS_MAX)
		abort();
	buf_free(&out);
	mime_free(&msg);
	free(copy);
	return 0;
}
