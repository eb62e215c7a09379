/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_utf7.h: mailbox names on the wire use modified UTF-7 (RFC 3501
 * 5.1.3); the store keeps UTF-8.  Pure conversions in both directions.
 */
#ifndef TEGAMI_IMAP_IMAP_UTF7_H
#define TEGAMI_IMAP_IMAP_UTF7_H

#include "lib/compat.h"

#include "lib/buf.h"
#include "lib/error.h"

/*
 * Appends the UTF-8 form of the modified UTF-7 text in[0, len) to out.
 * Strict: 8-bit and control bytes, an unterminated or empty-but-not-"&-"
 * shift, non-zero padding bits, unpaired surrogates, printable ASCII
 * encoded in base64, U+0000 (names are C strings) and a shift right
 * after another ("&AOQ-&APY-", which
 * the encoder writes as one) are ERR_SYNTAX (out then holds a partial
 * result): only the canonical form, which imap_utf8_to_utf7() writes, is
 * accepted, so one name has one wire form.
 */
int	imap_utf7_to_utf8(const char *in, size_t len, struct buf *out,
	    struct error *err_r);

/*
 * Appends the modified UTF-7 form of the UTF-8 text in[0, len) to out.
 * Invalid UTF-8 (overlong forms, surrogates, > U+10FFFF) and NUL are
 * ERR_SYNTAX.
 */
int	imap_utf8_to_utf7(const char *in, size_t len, struct buf *out,
	    struct error *err_r);

#endif
