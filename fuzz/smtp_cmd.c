/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_cmd.c: libFuzzer target for the pure SMTP command parser
 * (src/smtp/smtp_parse.c).  Each input is one command line: it is split
 * into verb and arguments, then parsed as MAIL and RCPT arguments and as
 * xtext.  Invariants checked: results stay inside the input, parsed paths
 * are NUL-terminated within their buffers, and a successful parse leaves no
 * failure code.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv line = strv_make((const char *)data, size), verb, args;
	struct smtp_mail_args m;
	struct smtp_rcpt_args r;
	char buf[256];
	size_t len;

	if (size > SMTP_CMD_LINE_MAX)
		return 0;
	if (smtp_parse_verb(line, &verb, &args, NULL) == 0) {
		if (verb.p != line.p || verb.len == 0 ||
		    verb.len > SMTP_VERB_MAX || args.len > size ||
		    (args.len > 0 && (args.p < line.p ||
		    args.p + args.len > line.p + size)))
			abort();
	}
	/* The argument parsers do not rely on the verb check. */
	if (smtp_parse_mail(line, &m, NULL) == 0) {
		if (m.fail != SMTP_PF_NONE ||
		    memchr(m.path, '\0', sizeof(m.path)) == NULL ||
		    memchr(m.envid, '\0', sizeof(m.envid)) == NULL ||
		    (m.null_path && m.path[0] != '\0'))
			abort();
	} else if (m.fail == SMTP_PF_NONE)
		abort();
	if (smtp_parse_rcpt(line, &r, NULL) == 0) {
		if (r.fail != SMTP_PF_NONE || r.path[0] == '\0' ||
		    memchr(r.orcpt, '\0', sizeof(r.orcpt)) == NULL ||
		    (r.notify & SMTP_NOTIFY_NEVER && r.notify != SMTP_NOTIFY_NEVER))
			abort();
	} else if (r.fail == SMTP_PF_NONE)
		abort();
	if (smtp_xtext_decode(line, buf, sizeof(buf), &len, NULL) == 0 &&
	    (len >= sizeof(buf) || buf[len] != '\0' || len > size))
		abort();
	return 0;
}
