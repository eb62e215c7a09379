/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_fetch_parse.c: the FETCH item grammar (RFC 3501 9, fetch-att;
 * RFC 3516 BINARY; RFC 7162 MODSEQ and fetch modifiers).  Pure: the
 * argument tree in, a list of items out.  Sections arrive as one atom
 * ("BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100>", see imap_parse.h) and
 * are read here with a small cursor.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xmalloc.h"
#include "imap/imap_fetch.h"

static struct fetch_item *
add_item(struct fetch_req *r, enum fetch_kind kind, const char *name)
{
	struct fetch_item *it;

	r->v = xrealloc(r->v, size_mul(r->n + 1, sizeof(*r->v)));
	it = &r->v[r->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->name = xstrdup(name);
	return it;
}

void
imap_fetch_req_free(struct fetch_req *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].name);
		for (j = 0; j < r->v[i].nfields; j++)
			free(r->v[i].fields[j]);
		free(r->v[i].fields);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static bool
has_prefix(const char **pp, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *pp) < n || strncasecmp(*pp, word, n) != 0)
		return false;
	*pp += n;
	return true;
}

static int
read_u64(const char **pp, const char *end, uint64_t *v_r)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*pp = p;
	*v_r = v;
	return 0;
}

/* "(name name ...)" of HEADER.FIELDS; names are atoms or quoted. */
static int
read_fields(struct fetch_item *it, const char **pp, const char *end,
    struct error *err_r)
{
	const char *p = *pp, *s;
	struct buf name;

	if (p >= end || *p != '(')
		return error_set(err_r, ERR_SYNTAX, "Missing header field list");
	p++;
	buf_init(&name, 1024);
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == ')')
			break;
		if (p >= end) {
			buf_free(&name);
			return error_set(err_r, ERR_SYNTAX,
			    "Unterminated header field list");
		}
		buf_reset(&name);
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				buf_putc(&name, *p);
			}
			if (p >= end) {
				buf_free(&name);
				return error_set(err_r, ERR_SYNTAX,
				    "Unterminated header field name");
			}
			p++;
		} else {
			for (s = p; p < end && *p != ' ' && *p != ')'; p++)
				if ((unsigned char)*p <= ' ' || *p == ':' ||
				    *p == '(') {
					buf_free(&name);
					return error_set(err_r, ERR_SYNTAX,
					    "Invalid header field name");
				}
			buf_append(&name, s, (size_t)(p - s));
		}
		if (name.len == 0) {
			buf_free(&name);
			return error_set(err_r, ERR_SYNTAX,
			    "Empty header field name");
		}
		if (name.err != 0 || it->nfields >= IMAP_FETCH_FIELDS_MAX) {
			buf_free(&name);
			return error_set(err_r, ERR_LIMIT,
			    "Header field name too long or too many names");
		}
		it->fields = xrealloc(it->fields, size_mul(it->nfields + 1,
		    sizeof(*it->fields)));
		it->fields[it->nfields++] = xstrdup(buf_cstr(&name));
	}
	buf_free(&name);
	if (it->nfields == 0)
		return error_set(err_r, ERR_SYNTAX, "Empty header field list");
	*pp = p + 1;
	return 0;
}

/* Section text between '[' and ']'; *pp at '['. */
static int
read_section(struct fetch_item *it, const char **pp, const char *end,
    struct error *err_r)
{
	const char *p = *pp + 1;
	uint64_t v;
	bool dot = false;	/* the last part number had a '.' after it */

	/* RFC 3501 9: section-part = nz-number *("." nz-number), then
	 * "]" or "." section-text: "1.]" and "1HEADER]" are neither */
	while (p < end && *p >= '0' && *p <= '9') {
		if (read_u64(&p, end, &v) < 0 || v == 0 || v > UINT32_MAX ||
		    it->nparts >= IMAP_SECTION_PARTS_MAX)
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid section part number");
		it->part[it->nparts++] = (uint32_t)v;
		dot = p < end && *p == '.';
		if (!dot)
			break;
		p++;
	}
	if (p < end && *p == ']' && !dot)
		it->sec = SEC_ALL;
	else if (it->nparts > 0 && !dot)
		return error_set(err_r, ERR_SYNTAX, "Invalid section");
	else if (has_prefix(&p, end, "HEADER.FIELDS.NOT")) {
		it->sec = SEC_FIELDS_NOT;
		if (p >= end || *p++ != ' ')
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid HEADER.FIELDS.NOT");
		if (read_fields(it, &p, end, err_r) < 0)
			return -1;	/* ERR_SYNTAX, or ERR_LIMIT */
	} else if (has_prefix(&p, end, "HEADER.FIELDS")) {
		it->sec = SEC_FIELDS;
		if (p >= end || *p++ != ' ')
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid HEADER.FIELDS");
		if (read_fields(it, &p, end, err_r) < 0)
			return -1;
	} else if (has_prefix(&p, end, "HEADER"))
		it->sec = SEC_HEADER;
	else if (has_prefix(&p, end, "TEXT"))
		it->sec = SEC_TEXT;
	else if (it->nparts > 0 && has_prefix(&p, end, "MIME"))
		it->sec = SEC_MIME;
	else
		return error_set(err_r, ERR_SYNTAX, "Invalid section");
	if (p >= end || *p != ']')
		return error_set(err_r, ERR_SYNTAX, "Invalid section");
	if (it->binary && it->sec != SEC_ALL)
		return error_set(err_r, ERR_SYNTAX,
		    "BINARY takes part numbers only");
	*pp = p + 1;
	return 0;
}

static int
parse_section_item(struct fetch_req *r, const struct imap_arg *a,
    struct error *err_r)
{
	const char *p = a->str, *end = a->str + a->len, *br;
	struct fetch_item *it;
	enum fetch_kind kind = FI_SECTION;
	bool peek = false, binary = false;
	struct buf name;
	uint64_t off, len;

	br = memchr(p, '[', a->len);
	if (br == NULL)
		return error_set(err_r, ERR_SYNTAX, "Unknown FETCH item");
	if ((size_t)(br - p) == 4 && strncasecmp(p, "BODY", 4) == 0)
		;
	else if ((size_t)(br - p) == 9 && strncasecmp(p, "BODY.PEEK", 9) == 0)
		peek = true;
	else if ((size_t)(br - p) == 6 && strncasecmp(p, "BINARY", 6) == 0)
		binary = true;
	else if ((size_t)(br - p) == 11 &&
	    strncasecmp(p, "BINARY.PEEK", 11) == 0)
		binary = peek = true;
	else if ((size_t)(br - p) == 11 &&
	    strncasecmp(p, "BINARY.SIZE", 11) == 0) {
		binary = peek = true;
		kind = FI_BINARY_SIZE;
	} else
		return error_set(err_r, ERR_SYNTAX, "Unknown FETCH item");
	it = add_item(r, kind, "");
	it->peek = peek;
	it->binary = binary;
	p = br;
	if (read_section(it, &p, end, err_r) < 0)
		return -1;
	/* the response name: without .PEEK, the section as sent */
	buf_init(&name, IMAP_LINE_MAX);
	buf_puts(&name, kind == FI_BINARY_SIZE ? "BINARY.SIZE" :
	    binary ? "BINARY" : "BODY");
	buf_append(&name, br, (size_t)(p - br));
	if (p < end && *p == '<') {
		p++;
		if (kind == FI_BINARY_SIZE || read_u64(&p, end, &off) < 0 ||
		    p >= end || *p++ != '.' || read_u64(&p, end, &len) < 0 ||
		    len == 0 || p >= end || *p++ != '>') {
			buf_free(&name);
			return error_set(err_r, ERR_SYNTAX,
			    "Invalid partial range");
		}
		it->partial = true;
		it->p_off = off;
		it->p_len = len;
		/* RFC 3501 7.4.2: the response names only the origin */
		buf_printf(&name, "<%llu>", (unsigned long long)off);
	}
	if (p != end) {
		buf_free(&name);
		return error_set(err_r, ERR_SYNTAX, "Junk after FETCH section");
	}
	free(it->name);
	it->name = buf_steal(&name);
	if (!peek)
		r->sets_seen = true;
	r->need_msg = true;
	return 0;
}

static int
parse_item(struct fetch_req *r, const struct imap_arg *a, bool in_list,
    struct error *err_r)
{
	static const struct {
		const char	*name;
		enum fetch_kind	 kind;
	} simple[] = {
		{ "FLAGS", FI_FLAGS }, { "INTERNALDATE", FI_INTERNALDATE },
		{ "RFC822.SIZE", FI_SIZE }, { "ENVELOPE", FI_ENVELOPE },
		{ "BODY", FI_BODY }, { "BODYSTRUCTURE", FI_BODYSTRUCTURE },
		{ "UID", FI_UID }, { "MODSEQ", FI_MODSEQ },
	};
	struct fetch_item *it;
	size_t i;

	if (a->type != IMAP_ARG_ATOM)
		return error_set(err_r, ERR_SYNTAX, "Invalid FETCH item");
	if (r->n >= IMAP_FETCH_ITEMS_MAX)
		return error_set(err_r, ERR_LIMIT, "Too many FETCH items");
	for (i = 0; i < N_ELEMENTS(simple); i++)
		if (strcasecmp(a->str, simple[i].name) == 0) {
			(void)add_item(r, simple[i].kind, simple[i].name);
			return 0;
		}
	if (!in_list && (strcasecmp(a->str, "ALL") == 0 ||
	    strcasecmp(a->str, "FAST") == 0 ||
	    strcasecmp(a->str, "FULL") == 0)) {
		(void)add_item(r, FI_FLAGS, "FLAGS");
		(void)add_item(r, FI_INTERNALDATE, "INTERNALDATE");
		(void)add_item(r, FI_SIZE, "RFC822.SIZE");
		if (strcasecmp(a->str, "FAST") != 0)
			(void)add_item(r, FI_ENVELOPE, "ENVELOPE");
		if (strcasecmp(a->str, "FULL") == 0)
			(void)add_item(r, FI_BODY, "BODY");
		return 0;
	}
	if (strcasecmp(a->str, "RFC822") == 0) {
		(void)add_item(r, FI_SECTION, "RFC822");
		r->sets_seen = r->need_msg = true;
		return 0;
	}
	if (strcasecmp(a->str, "RFC822.HEADER") == 0) {
		it = add_item(r, FI_SECTION, "RFC822.HEADER");
		it->sec = SEC_HEADER;
		it->peek = true;
		r->need_msg = true;
		return 0;
	}
	if (strcasecmp(a->str, "RFC822.TEXT") == 0) {
		it = add_item(r, FI_SECTION, "RFC822.TEXT");
		it->sec = SEC_TEXT;
		r->sets_seen = r->need_msg = true;
		return 0;
	}
	return parse_section_item(r, a, err_r);
}

int
imap_fetch_parse(const struct imap_arg *items, const struct imap_arg *mods,
    struct fetch_req *r, struct error *err_r)
{
	const struct imap_list *l;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (items->type == IMAP_ARG_LIST) {
		if (items->list->n == 0)
			return error_set(err_r, ERR_SYNTAX, "Empty FETCH list");
		for (i = 0; i < items->list->n; i++)
			if (parse_item(r, &items->list->v[i], true, err_r) < 0)
				goto fail;
	} else if (parse_item(r, items, false, err_r) < 0)
		goto fail;
	if (mods != NULL) {
		/* RFC 7162 3.1.4.1, 3.2.6 */
		if (mods->type != IMAP_ARG_LIST) {
			error_set(err_r, ERR_SYNTAX, "Invalid FETCH modifiers");
			goto fail;
		}
		/* fetch-modifiers = "(" fetch-modifier *(SP ...) ")";
		 * CHANGEDSINCE takes a mod-sequence-value, 1 to 2^63-1 */
		l = mods->list;
		if (l->n == 0) {
			error_set(err_r, ERR_SYNTAX, "Empty FETCH modifiers");
			goto fail;
		}
		for (i = 0; i < l->n; i++) {
			if (imap_arg_is_atom(&l->v[i], "CHANGEDSINCE") &&
			    !r->changedsince_set &&
			    i + 1 < l->n && l->v[i + 1].type == IMAP_ARG_ATOM &&
			    strv_to_u64(strv_make(l->v[i + 1].str,
			    l->v[i + 1].len), &r->changedsince) == 0 &&
			    r->changedsince > 0 &&
			    r->changedsince <= INT64_MAX) {
				r->changedsince_set = true;
				i++;
			} else if (imap_arg_is_atom(&l->v[i], "VANISHED") &&
			    !r->vanished)
				r->vanished = true;
			else {
				error_set(err_r, ERR_SYNTAX,
				    "Invalid FETCH modifier");
				goto fail;
			}
		}
		if (r->vanished && !r->changedsince_set) {
			error_set(err_r, ERR_SYNTAX,
			    "VANISHED needs CHANGEDSINCE");
			goto fail;
		}
		if (r->changedsince_set)
			(void)add_item(r, FI_MODSEQ, "MODSEQ");
	}
	return 0;
fail:
	imap_fetch_req_free(r);
	return -1;
}
