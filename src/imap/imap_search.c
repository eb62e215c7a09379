/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_search.c: the SEARCH key parser and evaluator (see imap_search.h).
 * Keys from RFC 3501 6.4.4: sequence sets, ALL, flags (ANSWERED ... UNSEEN,
 * KEYWORD, NEW, OLD, RECENT), sizes, internal and sent dates, header
 * fields (BCC CC FROM SUBJECT TO HEADER), BODY and TEXT, NOT, OR and
 * parenthesised groups; MODSEQ from RFC 7162 3.1.5.
 */
#include "lib/compat.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/addrlist.h"
#include "lib/mime.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "store/store.h"
#include "imap/imap_fetch.h"
#include "imap/imap_search.h"

struct pctx {
	uint32_t	 nmsgs, maxuid;
	size_t		 nkeys;
	struct error	*err;
};

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

int32_t
imap_day_of(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	return (int32_t)timefmt_days_from_civil(tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
}

int32_t
imap_parse_day(const char *s, size_t len)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	size_t i = 0, m;
	int d = 0, y = 0, nd = 0, ny = 0;

	/* RFC 3501 9: date = date-text / DQUOTE date-text DQUOTE */
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 2) {
		d = d * 10 + (s[i++] - '0');
		nd++;
	}
	if (nd == 0 || i + 5 > len || s[i] != '-' || s[i + 4] != '-')
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(s + i + 1, months[m], 3) == 0)
			break;
	if (m == 12)
		return -1;
	for (i += 5; i < len && s[i] >= '0' && s[i] <= '9' && ny < 4; i++) {
		y = y * 10 + (s[i] - '0');
		ny++;
	}
	if (ny != 4 || i != len || d < 1 || d > mdays[m] ||
	    (m == 1 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return -1;		/* "31-Feb-2000" names no day */
	return (int32_t)timefmt_days_from_civil(y, (int)m + 1, d);
}

void
imap_search_free(struct search_key *k)
{
	size_t i;

	for (i = 0; i < k->nsub; i++)
		imap_search_free(&k->sub[i]);
	free(k->sub);
	free(k->field);
	free(k->value);
	imap_seqset_free(&k->set);
	memset(k, 0, sizeof(*k));
}

static struct search_key *
add_sub(struct search_key *parent)
{
	struct search_key *k;

	parent->sub = xrealloc(parent->sub, size_mul(parent->nsub + 1,
	    sizeof(*parent->sub)));
	k = &parent->sub[parent->nsub++];
	memset(k, 0, sizeof(*k));
	return k;
}

static int parse_key(const struct imap_arg *a, size_t n, size_t *ip,
    struct search_key *k, unsigned depth, struct pctx *c);

static const struct imap_arg *
need(const struct imap_arg *a, size_t n, size_t *ip, bool string)
{
	const struct imap_arg *x;

	if (*ip >= n)
		return NULL;
	x = &a[(*ip)++];
	if (string ? !imap_arg_is_astring(x) : x->type != IMAP_ARG_ATOM)
		return NULL;
	/* a literal may hold a NUL; the key keeps a C string, which would
	 * silently search for less than was asked */
	if (memchr(x->str, '\0', x->len) != NULL)
		return NULL;
	return x;
}

static int
parse_list(const struct imap_arg *a, size_t n, struct search_key *k,
    unsigned depth, struct pctx *c)
{
	size_t i = 0;

	k->kind = SK_AND;
	if (n == 0)
		return error_set(c->err, ERR_SYNTAX, "Empty search list");
	while (i < n)
		if (parse_key(a, n, &i, add_sub(k), depth + 1, c) < 0)
			return -1;
	return 0;
}

static int
parse_key(const struct imap_arg *a, size_t n, size_t *ip,
    struct search_key *k, unsigned depth, struct pctx *c)
{
	static const struct {
		const char	*name;
		enum skey_kind	 kind;
		unsigned	 flag;
	} flagkeys[] = {
		{ "ANSWERED", SK_FLAG, STORE_ANSWERED },
		{ "DELETED", SK_FLAG, STORE_DELETED },
		{ "DRAFT", SK_FLAG, STORE_DRAFT },
		{ "FLAGGED", SK_FLAG, STORE_FLAGGED },
		{ "SEEN", SK_FLAG, STORE_SEEN },
		{ "UNANSWERED", SK_UNFLAG, STORE_ANSWERED },
		{ "UNDELETED", SK_UNFLAG, STORE_DELETED },
		{ "UNDRAFT", SK_UNFLAG, STORE_DRAFT },
		{ "UNFLAGGED", SK_UNFLAG, STORE_FLAGGED },
		{ "UNSEEN", SK_UNFLAG, STORE_SEEN },
		{ "ALL", SK_ALL, 0 }, { "NEW", SK_NEW, 0 },
		{ "OLD", SK_OLD, 0 }, { "RECENT", SK_RECENT, 0 },
	};
	static const struct {
		const char	*name;
		enum skey_kind	 kind;
	} datekeys[] = {
		{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
		{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
		{ "SENTSINCE", SK_SENTSINCE },
	};
	static const char *const hdrkeys[] = {
		"BCC", "CC", "FROM", "SUBJECT", "TO"
	};
	const struct imap_arg *x = &a[*ip], *v, *f;
	const char *name;
	size_t i;

	if (depth > IMAP_SEARCH_DEPTH_MAX)
		return error_set(c->err, ERR_LIMIT, "Search too deeply nested");
	if (++c->nkeys > IMAP_SEARCH_KEYS_MAX)
		return error_set(c->err, ERR_LIMIT, "Too many search keys");
	(*ip)++;
	if (x->type == IMAP_ARG_LIST)
		return parse_list(x->list->v, x->list->n, k, depth, c);
	if (x->type != IMAP_ARG_ATOM)
		return error_set(c->err, ERR_SYNTAX, "Invalid search key");
	name = x->str;
	for (i = 0; i < N_ELEMENTS(flagkeys); i++)
		if (strcasecmp(name, flagkeys[i].name) == 0) {
			k->kind = flagkeys[i].kind;
			k->flag = flagkeys[i].flag;
			return 0;
		}
	for (i = 0; i < N_ELEMENTS(datekeys); i++)
		if (strcasecmp(name, datekeys[i].name) == 0) {
			k->kind = datekeys[i].kind;
			if ((v = need(a, n, ip, true)) == NULL ||
			    (k->day = imap_parse_day(v->str, v->len)) < 0)
				return error_set(c->err, ERR_SYNTAX,
				    "Invalid search date");
			return 0;
		}
	for (i = 0; i < N_ELEMENTS(hdrkeys); i++)
		if (strcasecmp(name, hdrkeys[i]) == 0) {
			k->kind = SK_HEADER;
			if ((v = need(a, n, ip, true)) == NULL)
				return error_set(c->err, ERR_SYNTAX,
				    "Missing search string");
			k->field = xstrdup(hdrkeys[i]);
			k->value = xstrndup(v->str, v->len);
			return 0;
		}
	if (strcasecmp(name, "HEADER") == 0) {
		if ((f = need(a, n, ip, true)) == NULL ||
		    (v = need(a, n, ip, true)) == NULL)
			return error_set(c->err, ERR_SYNTAX,
			    "HEADER needs a field and a string");
		k->kind = SK_HEADER;
		k->field = xstrndup(f->str, f->len);
		k->value = xstrndup(v->str, v->len);
		return 0;
	}
	if (strcasecmp(name, "BODY") == 0 || strcasecmp(name, "TEXT") == 0) {
		k->kind = strcasecmp(name, "BODY") == 0 ? SK_BODY : SK_TEXT;
		if ((v = need(a, n, ip, true)) == NULL)
			return error_set(c->err, ERR_SYNTAX,
			    "Missing search string");
		k->value = xstrndup(v->str, v->len);
		return 0;
	}
	if (strcasecmp(name, "KEYWORD") == 0 ||
	    strcasecmp(name, "UNKEYWORD") == 0) {
		k->kind = name[0] == 'K' || name[0] == 'k' ? SK_KEYWORD :
		    SK_UNKEYWORD;
		if ((v = need(a, n, ip, false)) == NULL)
			return error_set(c->err, ERR_SYNTAX, "Missing keyword");
		k->field = xstrndup(v->str, v->len);
		return 0;
	}
	if (strcasecmp(name, "LARGER") == 0 ||
	    strcasecmp(name, "SMALLER") == 0) {
		k->kind = name[0] == 'L' || name[0] == 'l' ? SK_LARGER :
		    SK_SMALLER;
		if ((v = need(a, n, ip, false)) == NULL ||
		    strv_to_u64(strv_make(v->str, v->len), &k->num) < 0)
			return error_set(c->err, ERR_SYNTAX, "Invalid size");
		return 0;
	}
	if (strcasecmp(name, "MODSEQ") == 0) {
		/* RFC 7162 3.1.5: MODSEQ [entry-name entry-type-req] n,
		 * entry-type-req "priv" / "shared" / "all"; n is 63-bit */
		if (*ip + 2 < n && imap_arg_is_string(&a[*ip])) {
			f = &a[*ip + 1];
			if (!imap_arg_is_atom(f, "priv") &&
			    !imap_arg_is_atom(f, "shared") &&
			    !imap_arg_is_atom(f, "all"))
				return error_set(c->err, ERR_SYNTAX,
				    "Invalid MODSEQ entry type");
			*ip += 2;
		}
		if ((v = need(a, n, ip, false)) == NULL ||
		    strv_to_u64(strv_make(v->str, v->len), &k->num) < 0 ||
		    k->num > INT64_MAX)
			return error_set(c->err, ERR_SYNTAX, "Invalid MODSEQ");
		k->kind = SK_MODSEQ;
		return 0;
	}
	if (strcasecmp(name, "UID") == 0) {
		if ((v = need(a, n, ip, false)) == NULL)
			return error_set(c->err, ERR_SYNTAX, "Missing UID set");
		k->kind = SK_UID;
		return imap_seqset_parse(strv_make(v->str, v->len), c->maxuid,
		    &k->set, c->err);
	}
	if (strcasecmp(name, "NOT") == 0) {
		k->kind = SK_NOT;
		if (*ip >= n)
			return error_set(c->err, ERR_SYNTAX, "NOT needs a key");
		return parse_key(a, n, ip, add_sub(k), depth + 1, c);
	}
	if (strcasecmp(name, "OR") == 0) {
		k->kind = SK_OR;
		if (*ip + 1 >= n)
			return error_set(c->err, ERR_SYNTAX, "OR needs two keys");
		if (parse_key(a, n, ip, add_sub(k), depth + 1, c) < 0)
			return -1;
		if (*ip >= n)
			return error_set(c->err, ERR_SYNTAX, "OR needs two keys");
		return parse_key(a, n, ip, add_sub(k), depth + 1, c);
	}
	if ((name[0] >= '0' && name[0] <= '9') || name[0] == '*') {
		k->kind = SK_SEQ;
		return imap_seqset_parse(strv_make(x->str, x->len), c->nmsgs,
		    &k->set, c->err);
	}
	return error_set(c->err, ERR_SYNTAX, "Unknown search key");
}

int
imap_search_parse(const struct imap_arg *a, size_t n, uint32_t nmsgs,
    uint32_t maxuid, struct search_key *root, struct error *err_r)
{
	struct pctx c = { nmsgs, maxuid, 0, err_r };
	size_t i = 0;

	/* the keys of the command itself are at depth 0: each NOT, OR and
	 * parenthesised list adds one, up to IMAP_SEARCH_DEPTH_MAX */
	memset(root, 0, sizeof(*root));
	root->kind = SK_AND;
	if (n == 0) {
		error_set(err_r, ERR_SYNTAX, "Missing search keys");
		return -1;
	}
	while (i < n)
		if (parse_key(a, n, &i, add_sub(root), 0, &c) < 0) {
			imap_search_free(root);
			return -1;
		}
	return 0;
}

int
imap_search_return(const struct imap_arg *list, unsigned *ret_r,
    struct error *err_r)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} opts[] = {
		{ "MIN", SEARCH_RET_MIN }, { "MAX", SEARCH_RET_MAX },
		{ "COUNT", SEARCH_RET_COUNT }, { "ALL", SEARCH_RET_ALL },
	};
	unsigned ret = 0;
	size_t i, j;

	if (list->type != IMAP_ARG_LIST)
		return error_set(err_r, ERR_SYNTAX, "Invalid RETURN options");
	for (i = 0; i < list->list->n; i++) {
		for (j = 0; j < N_ELEMENTS(opts); j++)
			if (imap_arg_is_atom(&list->list->v[i], opts[j].name))
				break;
		if (j == N_ELEMENTS(opts))
			return error_set(err_r, ERR_SYNTAX,
			    "Unknown RETURN option");
		ret |= opts[j].bit;
	}
	*ret_r = ret != 0 ? ret : SEARCH_RET_ALL;
	return 0;
}

int
imap_search_charset(const struct imap_arg *a, struct error *err_r)
{
	if (!imap_arg_is_astring(a) || memchr(a->str, '\0', a->len) != NULL)
		return error_set(err_r, ERR_SYNTAX, "Missing charset");
	if (strcasecmp(a->str, "UTF-8") != 0 &&
	    strcasecmp(a->str, "US-ASCII") != 0)
		return error_set(err_r, ERR_NOTFOUND, "Unsupported charset");
	return 0;
}

bool
imap_search_has_modseq(const struct search_key *k)
{
	size_t i;

	if (k->kind == SK_MODSEQ)
		return true;
	for (i = 0; i < k->nsub; i++)
		if (imap_search_has_modseq(&k->sub[i]))
			return true;
	return false;
}

unsigned
imap_search_needs(const struct search_key *k)
{
	unsigned r = 0;
	size_t i;

	switch (k->kind) {
	case SK_HEADER:
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		r = SEARCH_NEEDS_HEADER;
		break;
	case SK_BODY:
	case SK_TEXT:
		r = SEARCH_NEEDS_BODY;
		break;
	default:
		break;
	}
	for (i = 0; i < k->nsub; i++)
		r |= imap_search_needs(&k->sub[i]);
	return r;
}

static const char *const cached_fields[STORE_HF_N] = {
	[STORE_HF_FROM] = "From", [STORE_HF_TO] = "To", [STORE_HF_CC] = "Cc",
	[STORE_HF_SUBJECT] = "Subject", [STORE_HF_MSGID] = "Message-ID",
};

int
imap_search_cached_field(const char *field)
{
	int i;

	for (i = 0; i < STORE_HF_N; i++)
		if (strcasecmp(field, cached_fields[i]) == 0)
			return i;
	return -1;
}

unsigned
imap_search_cache_cols(const struct search_key *k)
{
	unsigned r = 0;
	size_t i;
	int f;

	if (k->kind == SK_SENTBEFORE || k->kind == SK_SENTON ||
	    k->kind == SK_SENTSINCE)
		r = STORE_HC_DATE;
	else if (k->kind == SK_HEADER &&
	    (f = imap_search_cached_field(k->field)) >= 0)
		r = STORE_HC_TEXT(f);
	for (i = 0; i < k->nsub; i++)
		r |= imap_search_cache_cols(&k->sub[i]);
	return r;
}

bool
imap_search_cacheable(const struct search_key *k)
{
	size_t i;

	if (k->kind == SK_BODY || k->kind == SK_TEXT)
		return false;
	if (k->kind == SK_HEADER && imap_search_cached_field(k->field) < 0)
		return false;
	for (i = 0; i < k->nsub; i++)
		if (!imap_search_cacheable(&k->sub[i]))
			return false;
	return true;
}

/* ---- evaluation ---- */

static bool
ci_contains(const char *hay, size_t hn, const char *needle)
{
	size_t nn = strlen(needle), i;

	if (nn == 0)
		return true;
	if (hn < nn)
		return false;
	for (i = 0; i + nn <= hn; i++)
		if (strncasecmp(hay + i, needle, nn) == 0)
			return true;
	return false;
}

static void
latin1_to_utf8(const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80)
			buf_putc(out, (char)c);
		else {
			buf_putc(out, (char)(0xc0 | (c >> 6)));
			buf_putc(out, (char)(0x80 | (c & 0x3f)));
		}
	}
}

/* Encoded words in latin1 become UTF-8; other charsets stay as bytes. */
static void
header_text(const char *charset, const char *p, size_t n, struct buf *out)
{
	if (charset != NULL && strncasecmp(charset, "iso-8859-1", 10) == 0)
		latin1_to_utf8(p, n, out);
	else
		buf_append(out, p, n);
}

void
imap_decode_header(const char *p, size_t n, struct buf *out)
{
	mime_decode_words(p, n, MIME_WORDS_FOLD_WS, header_text, out);
}

static const struct buf *
get_raw(struct search_msg *m)
{
	if (m->raw == NULL && m->load != NULL)
		m->raw = m->load(m->arg);
	return m->raw;
}

static bool
is_address_field(const char *field)
{
	return strcasecmp(field, "From") == 0 || strcasecmp(field, "To") == 0 ||
	    strcasecmp(field, "Cc") == 0 || strcasecmp(field, "Bcc") == 0 ||
	    strcasecmp(field, "Sender") == 0 ||
	    strcasecmp(field, "Reply-To") == 0;
}

/*
 * The address fields also match on their parsed mailboxes, so comments and
 * obsolete spaces inside an address do not hide it ("<a (c)@ b.org>" is
 * a@b.org): each mailbox as "name <addr>".
 */
static bool
address_match(const char *v, size_t len, const char *value)
{
	struct addrlist l;
	struct error err;
	struct buf b;
	bool found = false;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (addrlist_parse(v, len, &l, &err) < 0)
		return false;
	buf_init(&b, ADDRLIST_ITEM_MAX * 2 + 8);
	for (i = 0; i < l.n && !found; i++) {
		buf_reset(&b);
		if (l.v[i].name[0] != '\0')
			buf_printf(&b, "%s ", l.v[i].name);
		buf_printf(&b, "<%s>", l.v[i].addr);
		found = ci_contains(b.data, b.len, value);
	}
	buf_free(&b);
	addrlist_clear(&l);
	return found;
}

/* header_match() from the cache row: the texts of every occurrence,
 * NUL-separated (imap_search_field_text()). */
static bool
cached_header_match(const struct store_hdrfields *hc, int f, const char *value)
{
	if (hc->text[f] == NULL)
		return false;
	if (value[0] == '\0')
		return true;
	return ci_contains(hc->text[f], hc->text_len[f], value);
}

bool
imap_search_field_text(const char *h, size_t hlen, const char *field,
    struct buf *out)
{
	struct mime_header_iter it;
	struct strv name, val;
	struct addrlist l;
	struct error err;
	struct buf un, dec;
	bool found = false;
	size_t i;

	buf_init(&un, MIME_HEADER_VALUE_MAX);
	buf_init(&dec, MIME_HEADER_VALUE_MAX * 2);
	mime_header_iter_init(&it, h, 0, hlen);
	while (mime_header_next(&it, &name, &val)) {
		if (!strv_caseeq_cstr(name, field))
			continue;
		found = true;
		buf_reset(&un);
		buf_reset(&dec);
		mime_unfold(val, &un);
		imap_decode_header(un.data != NULL ? un.data : "", un.len,
		    &dec);
		buf_append(out, dec.data != NULL ? dec.data : "", dec.len);
		buf_putc(out, '\0');
		if (!is_address_field(field))
			continue;
		/* as address_match() */
		memset(&l, 0, sizeof(l));
		if (addrlist_parse(dec.data != NULL ? dec.data : "", dec.len,
		    &l, &err) < 0)
			continue;
		for (i = 0; i < l.n; i++) {
			if (l.v[i].name[0] != '\0')
				buf_printf(out, "%s ", l.v[i].name);
			buf_printf(out, "<%s>", l.v[i].addr);
			buf_putc(out, '\0');
		}
		addrlist_clear(&l);
	}
	buf_free(&un);
	buf_free(&dec);
	return found;
}

static bool
header_match(struct search_msg *m, const char *field, const char *value)
{
	const struct buf *raw;
	struct mime_header_iter it;
	struct strv name, val;
	struct buf un, dec;
	bool found = false;
	size_t hlen;
	int f;

	if (m->hc != NULL && (f = imap_search_cached_field(field)) >= 0)
		return cached_header_match(m->hc, f, value);
	if ((raw = get_raw(m)) == NULL)
		return false;
	hlen = m->hdr_size < raw->len ? (size_t)m->hdr_size : raw->len;
	buf_init(&un, MIME_HEADER_VALUE_MAX);
	buf_init(&dec, MIME_HEADER_VALUE_MAX * 2);
	mime_header_iter_init(&it, raw->data, 0, hlen);
	while (!found && mime_header_next(&it, &name, &val)) {
		if (!strv_caseeq_cstr(name, field))
			continue;
		if (value[0] == '\0') {
			found = true;
			break;
		}
		buf_reset(&un);
		buf_reset(&dec);
		mime_unfold(val, &un);
		imap_decode_header(un.data != NULL ? un.data : "", un.len,
		    &dec);
		found = ci_contains(dec.data != NULL ? dec.data : "", dec.len,
		    value);
		if (!found && is_address_field(field))
			found = address_match(dec.data != NULL ? dec.data : "",
			    dec.len, value);
	}
	buf_free(&un);
	buf_free(&dec);
	return found;
}

/* iconv's name for what charset param says; NULL when no conversion is
 * needed (absent, US-ASCII, UTF-8). */
static const char *
charset_of(const struct mime_part *p)
{
	const char *cs = mime_param_get(p->params, p->nparams, "charset");

	if (cs == NULL || *cs == '\0' || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0)
		return NULL;
	return cs;
}

/* in converted from charset to UTF-8 into out; false when iconv does not
 * know the charset (out untouched). */
static bool
to_utf8(const char *charset, const char *in, size_t n, struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	char tmp[4096], *ip = (char *)(uintptr_t)in, *op;
	size_t il = n, ol;

	if (cd == (iconv_t)-1)
		return false;
	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    errno != E2BIG) {
			/* a byte it cannot convert: keep it, go on */
			if (op == tmp) {
				*op++ = *ip++;
				il--;
			}
		}
		buf_append(out, tmp, (size_t)(op - tmp));
		if (out->err != 0)
			break;
	}
	iconv_close(cd);
	return true;
}

/*
 * RFC 3501 6.4.4: BODY and TEXT match the text, not its transfer
 * encoding.  For each text part that is base64 or quoted-printable or in
 * a charset other than UTF-8/US-ASCII, the decoded UTF-8 text is searched
 * (the raw bytes were searched already).  Parts nest only as deep as the
 * MIME parser allows.
 */
static bool
decoded_parts_match(const char *d, const struct mime_part *p,
    const char *value)
{
	const char *cs;
	struct buf dec, utf;
	bool b64, qp, found = false;

	for (; p != NULL && !found; p = p->next) {
		if (p->child != NULL) {
			found = decoded_parts_match(d, p->child, value);
			continue;
		}
		if (p->is_multipart || strcasecmp(p->type, "text") != 0)
			continue;
		b64 = p->encoding != NULL && strcasecmp(p->encoding,
		    "base64") == 0;
		qp = p->encoding != NULL && strcasecmp(p->encoding,
		    "quoted-printable") == 0;
		cs = charset_of(p);
		if (!b64 && !qp && cs == NULL)
			continue;
		buf_init(&dec, p->body_len + 16);
		mime_decode_cte(p->encoding, d + p->body_off, p->body_len,
		    &dec);
		buf_init(&utf, 4 * p->body_len + 16);
		if (cs != NULL && to_utf8(cs, dec.data != NULL ? dec.data : "",
		    dec.len, &utf))
			found = ci_contains(utf.data != NULL ? utf.data : "",
			    utf.len, value);
		else
			found = ci_contains(dec.data != NULL ? dec.data : "",
			    dec.len, value);
		buf_free(&utf);
		buf_free(&dec);
	}
	return found;
}

static bool
text_match(struct search_msg *m, const char *value, bool with_header)
{
	const struct buf *raw = get_raw(m);
	struct mime_message *mm;
	struct buf hdr;
	size_t off, hlen;
	bool found;

	if (raw == NULL)
		return false;
	hlen = m->hdr_size < raw->len ? (size_t)m->hdr_size : raw->len;
	off = with_header ? 0 : hlen;
	if (ci_contains(raw->data + off, raw->len - off, value))
		return true;
	found = false;
	if (with_header) {
		/* encoded words (RFC 2047) in the header fields */
		buf_init(&hdr, 4 * hlen + 16);
		imap_decode_header(raw->data, hlen, &hdr);
		found = ci_contains(hdr.data != NULL ? hdr.data : "", hdr.len,
		    value);
		buf_free(&hdr);
	}
	if (!found) {
		mm = mime_parse(raw->data, raw->len);
		found = decoded_parts_match(raw->data, mm->root, value);
		mime_free(&mm);
	}
	return found;
}

static int32_t
sent_day(struct search_msg *m)
{
	const struct buf *raw;
	struct buf v;
	struct tm tm;
	time_t t;
	size_t hlen;
	int off = 0;

	if (m->hc != NULL) {
		if (!m->hc->has_date)
			return imap_day_of(m->internaldate);
		/* as below, from the cached time and zone */
		t = (time_t)(m->hc->date + m->hc->date_off);
		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		return (int32_t)timefmt_days_from_civil(tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	}
	raw = get_raw(m);
	if (raw == NULL)
		return imap_day_of(m->internaldate);
	hlen = m->hdr_size < raw->len ? (size_t)m->hdr_size : raw->len;
	buf_init(&v, MIME_HEADER_VALUE_MAX);
	if (mime_header_get(raw->data, 0, hlen, "Date", &v) &&
	    (t = timefmt_parse_rfc5322(buf_cstr(&v), v.len, &off)) != -1) {
		/* RFC 3501 6.4.4: the date as written in the Date: field,
		 * "disregarding time and timezone" */
		buf_free(&v);
		t += off;
		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		return (int32_t)timefmt_days_from_civil(tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	}
	buf_free(&v);
	return imap_day_of(m->internaldate);
}

static bool
has_keyword(const char *list, const char *kw)
{
	size_t n = strlen(kw);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, kw, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return false;
}

int
imap_search_match(const struct search_key *k, struct search_msg *m)
{
	size_t i;

	switch (k->kind) {
	case SK_AND:
		for (i = 0; i < k->nsub; i++)
			if (!imap_search_match(&k->sub[i], m))
				return 0;
		return 1;
	case SK_OR:
		return imap_search_match(&k->sub[0], m) ||
		    imap_search_match(&k->sub[1], m);
	case SK_NOT:
		return !imap_search_match(&k->sub[0], m);
	case SK_ALL:
		return 1;
	case SK_SEQ:
		return imap_seqset_contains(&k->set, m->seq);
	case SK_UID:
		return imap_seqset_contains(&k->set, m->uid);
	case SK_FLAG:
		return (m->flags & k->flag) != 0;
	case SK_UNFLAG:
		return (m->flags & k->flag) == 0;
	case SK_KEYWORD:
		return has_keyword(m->keywords, k->field);
	case SK_UNKEYWORD:
		return !has_keyword(m->keywords, k->field);
	case SK_NEW:
		return m->recent && !(m->flags & STORE_SEEN);
	case SK_OLD:
		return !m->recent;
	case SK_RECENT:
		return m->recent;
	case SK_LARGER:
		return m->size > k->num;
	case SK_SMALLER:
		return m->size < k->num;
	case SK_BEFORE:
		return imap_day_of(m->internaldate) < k->day;
	case SK_ON:
		return imap_day_of(m->internaldate) == k->day;
	case SK_SINCE:
		return imap_day_of(m->internaldate) >= k->day;
	case SK_SENTBEFORE:
		return sent_day(m) < k->day;
	case SK_SENTON:
		return sent_day(m) == k->day;
	case SK_SENTSINCE:
		return sent_day(m) >= k->day;
	case SK_HEADER:
		return header_match(m, k->field, k->value);
	case SK_BODY:
		return text_match(m, k->value, false);
	case SK_TEXT:
		return text_match(m, k->value, true);
	case SK_MODSEQ:
		return m->modseq >= k->num;
	}
	return 0;
}
