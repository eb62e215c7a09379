/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp_parse.c: pure parsing of SMTP command lines: the verb, the MAIL FROM
 * and RCPT TO paths with their ESMTP parameters, and RFC 3461 xtext.  Bytes
 * in, a struct or an error out; no I/O, logging or globals.  Addresses go
 * through the Router's mailbox parser (router/address.h), so a path means
 * the same here as everywhere else in the server.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <string.h>

#include "lib/error.h"
#include "router/address.h"
#include "smtp/smtp.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

int
smtp_parse_verb(struct strv line, struct strv *verb_r, struct strv *args_r,
    struct error *err_r)
{
	size_t i, n;

	*verb_r = STRV_NULL;
	*args_r = STRV_NULL;
	for (i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.p[i];

		if (c == '\0')
			return error_set(err_r, ERR_SYNTAX,
			    "NUL byte in command");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return error_set(err_r, ERR_SYNTAX,
			    "control character in command");
	}
	for (n = 0; n < line.len && is_alnum((unsigned char)line.p[n]); n++)
		;
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "no command verb");
	if (n > SMTP_VERB_MAX)
		return error_set(err_r, ERR_SYNTAX, "command verb too long");
	if (n < line.len && line.p[n] != ' ')
		return error_set(err_r, ERR_SYNTAX, "bad command verb");
	*verb_r = strv_make(line.p, n);
	*args_r = strv_trim(strv_make(line.p + n, line.len - n));
	return 0;
}

int
smtp_xtext_decode(struct strv in, char *buf, size_t size, size_t *len_r,
    struct error *err_r)
{
	size_t i, o = 0;

	if (size == 0)
		return error_set(err_r, ERR_LIMIT, "xtext too long");
	buf[0] = '\0';
	for (i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		int v;

		/* RFC 3461 4: xchar = %d33-42 / %d44-60 / %d62-126 */
		if (c < 33 || c > 126 || c == '=')
			return error_set(err_r, ERR_SYNTAX,
			    "bad character in xtext");
		if (c == '+') {
			if (i + 2 >= in.len)
				return error_set(err_r, ERR_SYNTAX,
				    "truncated xtext escape");
			if ((v = hex_pair_value(in.p + i + 1, 2)) < 0)
				return error_set(err_r, ERR_SYNTAX,
				    "bad xtext escape");
			c = (unsigned char)v;
			if (c == '\0')
				return error_set(err_r, ERR_SYNTAX,
				    "NUL in xtext");
			i += 2;
		}
		if (o + 1 >= size) {
			buf[0] = '\0';
			return error_set(err_r, ERR_LIMIT, "xtext too long");
		}
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	if (len_r != NULL)
		*len_r = o;
	return 0;
}

/*
 * Finds the path after "FROM:" / "TO:": <...> with quoted strings honoured
 * (a quoted local part may hold '>' and spaces), or a bare word.  Sets
 * *path_r (with its <>) and returns the rest of the line.
 */
static int
split_path(struct strv s, struct strv *path_r, struct strv *rest_r,
    struct error *err_r)
{
	size_t i;
	bool quoted = false;

	s = strv_trim(s);
	if (s.len == 0)
		return error_set(err_r, ERR_SYNTAX, "missing path");
	if (s.p[0] == '<') {
		for (i = 1; i < s.len; i++) {
			if (quoted && s.p[i] == '\\' && i + 1 < s.len)
				i++;
			else if (s.p[i] == '"')
				quoted = !quoted;
			else if (!quoted && s.p[i] == '>')
				break;
		}
		if (i >= s.len)
			return error_set(err_r, ERR_SYNTAX,
			    "path without closing '>'");
		i++;
		if (i < s.len && s.p[i] != ' ')
			return error_set(err_r, ERR_SYNTAX,
			    "garbage after path");
	} else {
		/* RFC 5321 needs <>; old clients leave them out (Postfix's
		 * strict_rfc821_envelopes = no does the same). */
		for (i = 0; i < s.len && s.p[i] != ' '; i++)
			;
	}
	*path_r = strv_make(s.p, i);
	*rest_r = strv_trim(strv_make(s.p + i, s.len - i));
	return 0;
}

/* "FROM:" or "TO:" at the start of args, case-insensitive. */
static int
skip_keyword(struct strv *args, const char *kw, struct error *err_r)
{
	size_t n = strlen(kw);

	if (args->len < n || strncasecmp(args->p, kw, n) != 0)
		return error_set(err_r, ERR_SYNTAX, "expected %s", kw);
	args->p += n;
	args->len -= n;
	return 0;
}

static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Parses the path into buf (address_format() form).  8-bit bytes are
 * allowed (RFC 6531): the caller checks SMTPUTF8. */
static int
parse_path(struct strv path, char *buf, size_t size, bool *eightbit_r,
    struct error *err_r)
{
	struct address a;
	struct error e;

	if (address_parse(path.p, path.len, &a, &e) < 0)
		return error_set(err_r, ERR_SYNTAX, "bad address: %s", e.msg);
	if (address_format(&a, buf, size) < 0)
		return error_set(err_r, ERR_LIMIT, "address too long");
	*eightbit_r = has_8bit(buf);
	return 0;
}

struct param {
	struct strv	 key;
	struct strv	 value;
	bool		 has_value;
};

/*
 * Splits "KEY[=VALUE] KEY[=VALUE] ..." (RFC 5321 4.1.2 esmtp-param:
 * keyword = alnum *(alnum / "-"); value = 1*(%d33-60 / %d62-126), RFC 6531
 * adds UTF-8).  At most SMTP_PARAMS_MAX; each keyword once.
 */
static int
split_params(struct strv s, struct param *ps, size_t *n_r, struct error *err_r)
{
	size_t n = 0, i, j, k;

	i = 0;
	while (i < s.len) {
		while (i < s.len && s.p[i] == ' ')
			i++;
		if (i >= s.len)
			break;
		if (n >= SMTP_PARAMS_MAX)
			return error_set(err_r, ERR_SYNTAX,
			    "too many parameters");
		j = i;
		if (!is_alnum((unsigned char)s.p[j]))
			return error_set(err_r, ERR_SYNTAX,
			    "bad parameter keyword");
		while (j < s.len && (is_alnum((unsigned char)s.p[j]) ||
		    s.p[j] == '-'))
			j++;
		ps[n].key = strv_make(s.p + i, j - i);
		ps[n].has_value = false;
		ps[n].value = STRV_NULL;
		if (j < s.len && s.p[j] == '=') {
			k = ++j;
			while (j < s.len && s.p[j] != ' ') {
				unsigned char c = (unsigned char)s.p[j];

				if (c < 33 || c == '=' || c == 0x7f)
					return error_set(err_r, ERR_SYNTAX,
					    "bad parameter value");
				j++;
			}
			if (j == k)
				return error_set(err_r, ERR_SYNTAX,
				    "empty parameter value");
			ps[n].value = strv_make(s.p + k, j - k);
			ps[n].has_value = true;
		} else if (j < s.len && s.p[j] != ' ')
			return error_set(err_r, ERR_SYNTAX,
			    "bad parameter keyword");
		for (k = 0; k < n; k++)
			if (strv_caseeq(ps[k].key, ps[n].key))
				return error_set(err_r, ERR_SYNTAX,
				    "duplicate parameter %.*s",
				    STRV_FMT(ps[n].key));
		n++;
		i = j;
	}
	*n_r = n;
	return 0;
}

/* RFC 1870 6: size-value = 1*20DIGIT.  Saturates instead of overflowing. */
static int
parse_size(struct strv v, uint64_t *size_r, struct error *err_r)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0)
		return error_set(err_r, ERR_SYNTAX, "SIZE needs a value");
	for (i = 0; i < v.len; i++) {
		unsigned d;

		if (v.p[i] < '0' || v.p[i] > '9')
			return error_set(err_r, ERR_SYNTAX, "bad SIZE value");
		d = (unsigned)(v.p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*size_r = n;
	return 0;
}

static int
need_value(const struct param *p, bool want, struct error *err_r)
{
	if (p->has_value != want)
		return error_set(err_r, ERR_SYNTAX, want ?
		    "%.*s needs a value" : "%.*s takes no value",
		    STRV_FMT(p->key));
	return 0;
}

static int
unknown_param(const struct param *p, enum smtp_pfail *fail,
    struct error *err_r)
{
	*fail = SMTP_PF_UNKNOWN_PARAM;
	return error_set(err_r, ERR_NOTFOUND, "unsupported parameter %.*s",
	    STRV_FMT(p->key));
}

static int
mail_param(const struct param *p, struct smtp_mail_args *a,
    struct error *err_r)
{
	struct strv v = p->value;
	size_t len, i;

	if (strv_caseeq_cstr(p->key, "SIZE")) {
		if (need_value(p, true, err_r) < 0)
			return -1;
		a->has_size = true;
		return parse_size(v, &a->size, err_r);
	}
	if (strv_caseeq_cstr(p->key, "BODY")) {
		if (need_value(p, true, err_r) < 0)
			return -1;
		if (strv_caseeq_cstr(v, "7BIT"))
			a->body = SMTP_BODY_7BIT;
		else if (strv_caseeq_cstr(v, "8BITMIME"))
			a->body = SMTP_BODY_8BITMIME;
		else
			return error_set(err_r, ERR_SYNTAX,
			    "BODY must be 7BIT or 8BITMIME");
		return 0;
	}
	if (strv_caseeq_cstr(p->key, "SMTPUTF8")) {
		if (need_value(p, false, err_r) < 0)
			return -1;
		a->smtputf8 = true;
		return 0;
	}
	if (strv_caseeq_cstr(p->key, "RET")) {
		if (need_value(p, true, err_r) < 0)
			return -1;
		if (strv_caseeq_cstr(v, "FULL"))
			a->ret = SMTP_RET_FULL;
		else if (strv_caseeq_cstr(v, "HDRS"))
			a->ret = SMTP_RET_HDRS;
		else
			return error_set(err_r, ERR_SYNTAX,
			    "RET must be FULL or HDRS");
		return 0;
	}
	if (strv_caseeq_cstr(p->key, "ENVID")) {
		if (need_value(p, true, err_r) < 0)
			return -1;
		if (smtp_xtext_decode(v, a->envid, sizeof(a->envid), &len,
		    err_r) < 0)
			return -1;
		/* RFC 3461 4.4: printable ASCII once decoded. */
		for (i = 0; i < len; i++)
			if ((unsigned char)a->envid[i] < 0x20 ||
			    (unsigned char)a->envid[i] > 0x7e) {
				a->envid[0] = '\0';
				return error_set(err_r, ERR_SYNTAX,
				    "bad ENVID");
			}
		return 0;
	}
	if (strv_caseeq_cstr(p->key, "AUTH")) {
		/* RFC 4954 5: AUTH=<> or AUTH=xtext(mailbox). */
		if (need_value(p, true, err_r) < 0)
			return -1;
		a->has_auth = true;
		if (strv_eq(v, STRV_LIT("<>"))) {
			a->auth[0] = '\0';
			return 0;
		}
		return smtp_xtext_decode(v, a->auth, sizeof(a->auth), NULL,
		    err_r);
	}
	return unknown_param(p, &a->fail, err_r);
}

int
smtp_parse_mail(struct strv args, struct smtp_mail_args *a,
    struct error *err_r)
{
	struct param ps[SMTP_PARAMS_MAX];
	struct strv path, rest;
	size_t n, i;

	memset(a, 0, sizeof(*a));
	a->fail = SMTP_PF_SYNTAX;
	if (skip_keyword(&args, "FROM:", err_r) < 0 ||
	    split_path(args, &path, &rest, err_r) < 0 ||
	    split_params(rest, ps, &n, err_r) < 0)
		return -1;
	if (strv_eq(path, STRV_LIT("<>")))
		a->null_path = true;
	else if (parse_path(path, a->path, sizeof(a->path), &a->path_8bit,
	    err_r) < 0) {
		a->fail = SMTP_PF_ADDRESS;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (mail_param(&ps[i], a, err_r) < 0)
			return -1;
	a->fail = SMTP_PF_NONE;
	return 0;
}

/* RFC 3461 4.1: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY. */
static int
parse_notify(struct strv v, unsigned *bits_r, struct error *err_r)
{
	struct strv item, rest = v;
	unsigned bits = 0;

	while (rest.p != NULL) {
		rest = strv_split(rest, ',', &item);
		if (strv_caseeq_cstr(item, "NEVER"))
			bits |= SMTP_NOTIFY_NEVER;
		else if (strv_caseeq_cstr(item, "SUCCESS"))
			bits |= SMTP_NOTIFY_SUCCESS;
		else if (strv_caseeq_cstr(item, "FAILURE"))
			bits |= SMTP_NOTIFY_FAILURE;
		else if (strv_caseeq_cstr(item, "DELAY"))
			bits |= SMTP_NOTIFY_DELAY;
		else
			return error_set(err_r, ERR_SYNTAX, "bad NOTIFY value");
	}
	if ((bits & SMTP_NOTIFY_NEVER) != 0 && bits != SMTP_NOTIFY_NEVER)
		return error_set(err_r, ERR_SYNTAX,
		    "NOTIFY=NEVER cannot be combined");
	*bits_r = bits;
	return 0;
}

/* RFC 3461 4.2: ORCPT=addr-type ";" xtext. */
static int
parse_orcpt(struct strv v, char *buf, size_t size, struct error *err_r)
{
	struct strv type, rest;
	char dec[SMTP_ORCPT_MAX + 1];
	size_t i;
	int n;

	rest = strv_split(v, ';', &type);
	if (rest.p == NULL || type.len == 0)
		return error_set(err_r, ERR_SYNTAX, "ORCPT needs type;address");
	for (i = 0; i < type.len; i++)
		if (!is_alnum((unsigned char)type.p[i]) && type.p[i] != '-')
			return error_set(err_r, ERR_SYNTAX, "bad ORCPT type");
	if (rest.len == 0)
		return error_set(err_r, ERR_SYNTAX, "empty ORCPT address");
	if (smtp_xtext_decode(rest, dec, sizeof(dec), NULL, err_r) < 0)
		return -1;
	n = snprintf(buf, size, "%.*s;%s", STRV_FMT(type), dec);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return error_set(err_r, ERR_LIMIT, "ORCPT too long");
	}
	return 0;
}

int
smtp_parse_rcpt(struct strv args, struct smtp_rcpt_args *a,
    struct error *err_r)
{
	struct param ps[SMTP_PARAMS_MAX];
	struct strv path, rest;
	size_t n, i;

	memset(a, 0, sizeof(*a));
	a->fail = SMTP_PF_SYNTAX;
	if (skip_keyword(&args, "TO:", err_r) < 0 ||
	    split_path(args, &path, &rest, err_r) < 0 ||
	    split_params(rest, ps, &n, err_r) < 0)
		return -1;
	if (parse_path(path, a->path, sizeof(a->path), &a->path_8bit,
	    err_r) < 0) {
		a->fail = SMTP_PF_ADDRESS;
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct param *p = &ps[i];

		if (strv_caseeq_cstr(p->key, "NOTIFY")) {
			if (need_value(p, true, err_r) < 0 ||
			    parse_notify(p->value, &a->notify, err_r) < 0)
				return -1;
		} else if (strv_caseeq_cstr(p->key, "ORCPT")) {
			if (need_value(p, true, err_r) < 0 ||
			    parse_orcpt(p->value, a->orcpt, sizeof(a->orcpt),
			    err_r) < 0)
				return -1;
		} else
			return unknown_param(p, &a->fail, err_r);
	}
	a->fail = SMTP_PF_NONE;
	return 0;
}
