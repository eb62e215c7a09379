/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_hdrcache.c: what SORT, THREAD and the SEARCH header keys read of a
 * message's header block: the RFC 5256 sort facts (imap_hdr_sort_info()),
 * and the same facts plus the decoded texts of the searched fields as one
 * row of the store's header field cache (imap_hdrcache_parse(), the parser
 * the store calls at delivery and when it fills the cache), and back from
 * such a row (imap_hdrcache_sort_info()).  One code path makes both, so a
 * cached answer is the uncached one.  Pure.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "imap/imap.h"
#include "imap/imap_private.h"
#include "imap/imap_search.h"
#include "imap/imap_sort.h"

/*
 * RFC 5256 3: the addr-mailbox of the first address, as in ENVELOPE: for
 * "a@b" and "Name <a@b>" the local part a; for a group "g: x@y;" the
 * group's own entry, whose mailbox is its name g.  Comments are dropped,
 * quotes removed; lower case.
 */
static char *
first_mailbox(const char *v, size_t n)
{
	struct buf t;			/* v without comments and quotes */
	const char *p, *e, *stop;
	unsigned depth = 0;
	bool quoted = false;
	size_t i;
	char *r;

	buf_init(&t, n + 1);
	for (i = 0; i < n; i++) {
		char c = v[i];

		if (quoted) {
			if (c == '\\' && i + 1 < n)
				buf_putc(&t, v[++i]);
			else if (c == '"')
				quoted = false;
			else
				buf_putc(&t, c);
		} else if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(')
			depth = 1;
		else if (c == '"')
			quoted = true;
		else
			buf_putc(&t, c);
	}
	p = buf_cstr(&t);
	stop = p + strcspn(p, ":<@,");
	if (*stop == '<') {		/* angle address: its local part */
		p = stop + 1;
		e = p + strcspn(p, "@>");
	} else			/* group name, local part or bare name */
		e = stop;
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	r = xstrndup(p, (size_t)(e - p));
	buf_free(&t);
	for (i = 0; r[i] != '\0'; i++)
		if (r[i] >= 'A' && r[i] <= 'Z')
			r[i] += 'a' - 'A';
	return r;
}

void
imap_hdr_sort_info(struct sort_info *si, const char *h, size_t hlen,
    unsigned want)
{
	struct buf v, dec;
	time_t t;

	buf_init(&v, MIME_HEADER_VALUE_MAX);
	buf_init(&dec, MIME_HEADER_VALUE_MAX * 2);
	if ((want & INFO_DATE) && mime_header_get(h, 0, hlen, "Date", &v) &&
	    (t = timefmt_parse_rfc5322(buf_cstr(&v), v.len, NULL)) != -1)
		si->date = t;
	if ((want & INFO_FROM) && mime_header_get(h, 0, hlen, "From", &v))
		si->from = first_mailbox(buf_cstr(&v), v.len);
	if ((want & INFO_TO) && mime_header_get(h, 0, hlen, "To", &v))
		si->to = first_mailbox(buf_cstr(&v), v.len);
	if ((want & INFO_CC) && mime_header_get(h, 0, hlen, "Cc", &v))
		si->cc = first_mailbox(buf_cstr(&v), v.len);
	if ((want & INFO_SUBJECT) &&
	    mime_header_get(h, 0, hlen, "Subject", &v)) {
		imap_decode_header(buf_cstr(&v), v.len, &dec);
		buf_reset(&v);
		imap_base_subject(buf_cstr(&dec), dec.len, &v, &si->reply);
		si->subject = xstrdup(buf_cstr(&v));
	}
	if (!(want & INFO_IDS))
		goto out;
	if (mime_header_get(h, 0, hlen, "Message-ID", &v)) {
		char **ids = NULL;

		if (imap_parse_msgids(buf_cstr(&v), v.len, &ids, 1) == 1) {
			si->msgid = ids[0];
			free(ids);
		}
	}
	if (mime_header_get(h, 0, hlen, "References", &v))
		si->nrefs = imap_parse_msgids(buf_cstr(&v), v.len, &si->refs,
		    IMAP_REFERENCES_MAX);
	if (si->nrefs == 0 && mime_header_get(h, 0, hlen, "In-Reply-To", &v))
		si->nrefs = imap_parse_msgids(buf_cstr(&v), v.len, &si->refs,
		    1);
out:
	buf_free(&v);
	buf_free(&dec);
}

/* text of the cache row (at most HDRCACHE_TEXT_MAX bytes); false when it
 * is longer */
static bool
take_text(struct buf *b, char **p_r, size_t *len_r)
{
	if (b->err != 0 || b->len > HDRCACHE_TEXT_MAX)
		return false;
	*len_r = b->len;
	*p_r = xmalloc(b->len + 1);
	if (b->len > 0)
		memcpy(*p_r, b->data, b->len);
	(*p_r)[b->len] = '\0';
	return true;
}

static bool
short_enough(const char *s)
{
	return s == NULL || strlen(s) <= HDRCACHE_TEXT_MAX;
}

void
imap_hdrcache_parse(const char *h, size_t hlen, struct store_hdrfields *f)
{
	struct sort_info si;
	struct buf v;
	time_t t;
	size_t i;
	int off = 0;
	bool ok = true;

	memset(f, 0, sizeof(*f));
	memset(&si, 0, sizeof(si));
	imap_hdr_sort_info(&si, h, hlen, INFO_ALL & ~INFO_DATE);
	/* the Date: as sent_day() and SORT read it */
	buf_init(&v, MIME_HEADER_VALUE_MAX);
	if (mime_header_get(h, 0, hlen, "Date", &v) &&
	    (t = timefmt_parse_rfc5322(buf_cstr(&v), v.len, &off)) != -1) {
		f->has_date = true;
		f->date = (int64_t)t;
		f->date_off = off;
	}
	buf_reset(&v);
	if (!short_enough(si.from) || !short_enough(si.to) ||
	    !short_enough(si.cc) || !short_enough(si.subject) ||
	    !short_enough(si.msgid))
		ok = false;
	f->from_key = si.from;
	f->to_key = si.to;
	f->cc_key = si.cc;
	f->subject = si.subject;
	f->reply = si.reply;
	f->msgid = si.msgid;
	si.from = si.to = si.cc = si.subject = si.msgid = NULL;
	for (i = 0; i < si.nrefs && ok; i++) {
		buf_puts(&v, si.refs[i]);
		buf_putc(&v, '\0');
	}
	if (ok && si.nrefs > 0)
		ok = take_text(&v, &f->refs, &f->refs_len);
	for (i = 0; i < si.nrefs; i++)
		free(si.refs[i]);
	free(si.refs);
	for (i = 0; i < STORE_HF_N && ok; i++) {
		static const char *const names[STORE_HF_N] = {
			[STORE_HF_FROM] = "From", [STORE_HF_TO] = "To",
			[STORE_HF_CC] = "Cc", [STORE_HF_SUBJECT] = "Subject",
			[STORE_HF_MSGID] = "Message-ID",
		};

		buf_reset(&v);
		if (imap_search_field_text(h, hlen, names[i], &v))
			ok = take_text(&v, &f->text[i], &f->text_len[i]);
	}
	buf_free(&v);
	if (!ok) {
		/* too long to keep: the message is matched uncached */
		store_hdrfields_clear(f);
		f->ok = false;
		return;
	}
	f->ok = true;
}

void
imap_hdrcache_sort_info(struct sort_info *si, const struct store_hdrfields *f,
    unsigned want)
{
	const char *p, *e;
	size_t n;

	if ((want & INFO_DATE) && f->has_date)
		si->date = f->date;
	if ((want & INFO_FROM) && f->from_key != NULL)
		si->from = xstrdup(f->from_key);
	if ((want & INFO_TO) && f->to_key != NULL)
		si->to = xstrdup(f->to_key);
	if ((want & INFO_CC) && f->cc_key != NULL)
		si->cc = xstrdup(f->cc_key);
	if ((want & INFO_SUBJECT) && f->subject != NULL) {
		si->subject = xstrdup(f->subject);
		si->reply = f->reply;
	}
	if (!(want & INFO_IDS))
		return;
	if (f->msgid != NULL)
		si->msgid = xstrdup(f->msgid);
	if (f->refs == NULL || f->refs_len == 0)
		return;
	for (n = 0, p = f->refs, e = f->refs + f->refs_len; p < e; p++)
		n += *p == '\0';
	si->refs = xcalloc(n + 1, sizeof(*si->refs));
	for (p = f->refs; p < e && si->nrefs < n; p += strlen(p) + 1)
		si->refs[si->nrefs++] = xstrdup(p);
}
