/* SPDX-License-Identifier: Apache-2.0 */
/*
 * submitted_parse.c: the pure part of the Submitted folder: .sub file
 * bytes -> envelope (return-path, recipients) and the message to queue.
 * The rules are in submitted.h (and docs/sendmail.md).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delivery/submitted.h"
#include "lib/addrlist.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "router/address.h"

/* One header field: [start, end) in the input, lines not yet converted. */
struct field {
	const char	*name;
	size_t		 nlen;
	const char	*start, *end;	/* whole field incl. folded lines */
	bool		 drop;
};

struct parse {
	const struct submitted_opts *o;
	struct addrlist	 env, hdr, ign;
	bool		 have_env, have_date, have_msgid, have_rp;
	bool		 hdr_bad;	/* a To:/Cc:/Bcc: did not parse */
	struct error	 hdr_err;
	char		*rp;		/* from Return-Path: */
	char		*from;		/* first From: address */
	char		*sender;	/* first Sender: address */
};

void
submitted_msg_clear(struct submitted_msg *m)
{
	size_t i;

	free(m->return_path);
	for (i = 0; i < m->nrcpt; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	buf_free(&m->text);
	memset(m, 0, sizeof(*m));
}

/* Appends the bytes [p, e) with every line end (LF or CR LF) as CR LF. */
static void
put_crlf(struct buf *out, const char *p, const char *e)
{
	const char *nl;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL) {
			buf_append(out, p, (size_t)(e - p));
			buf_puts(out, "\r\n");
			return;
		}
		buf_append(out, p, (size_t)(nl - p) -
		    (nl > p && nl[-1] == '\r' ? 1 : 0));
		buf_puts(out, "\r\n");
		p = nl + 1;
	}
}

/* The field's value, unfolded (line ends removed). */
static int
field_value(const struct field *f, struct buf *v, struct error *err_r)
{
	const char *p = f->name + f->nlen + 1;

	buf_reset(v);
	for (; p < f->end; p++)
		if (*p != '\r' && *p != '\n')
			buf_putc(v, *p);
	if (v->err != 0)
		return error_set(err_r, ERR_LIMIT, "%.*s: field longer than "
		    "%d bytes", (int)f->nlen, f->name, SUBMITTED_FIELD_MAX);
	return 0;
}

static bool
is_name(const struct field *f, const char *name)
{
	return f->nlen == strlen(name) &&
	    strncasecmp(f->name, name, f->nlen) == 0;
}

/* address_parse() + main domain for bare names + canonical text. */
static char *
canonical(const char *text, const char *main_domain, struct error *err_r)
{
	struct address a;
	char out[ADDRESS_MAX + DOMAIN_NAME_MAX + 2];

	if (address_parse(text, strlen(text), &a, err_r) < 0)
		return NULL;
	if (a.dkind == ADDRESS_DOMAIN_NONE &&
	    address_set_domain(&a, main_domain, strlen(main_domain), 0,
	    err_r) < 0)
		return NULL;
	if (address_format(&a, out, sizeof(out)) < 0) {
		error_set(err_r, ERR_LIMIT, "address too long");
		return NULL;
	}
	return xstrdup(out);
}

static int
first_address(struct buf *v, const char *main_domain, char **out,
    struct error *err_r)
{
	struct addrlist l = { NULL, 0 };
	int rc = -1;

	if (addrlist_parse(v->data, v->len, &l, err_r) < 0)
		return -1;
	if (l.n == 0)
		error_set(err_r, ERR_SYNTAX, "no address");
	else if ((*out = canonical(l.v[0].addr, main_domain, err_r)) != NULL)
		rc = 0;
	addrlist_clear(&l);
	return rc;
}

/* Looks at one field: collects addresses, marks it for removal. */
static int
take_field(struct parse *ps, struct field *f, struct buf *v,
    struct error *err_r)
{
	const char *dom = ps->o->main_domain;

	if (is_name(f, "Envelope-To")) {
		f->drop = true;
		ps->have_env = true;
		if (field_value(f, v, err_r) < 0 ||
		    addrlist_parse(v->data, v->len, &ps->env, err_r) < 0)
			return -1;
	} else if (is_name(f, "Envelope-Ignore")) {
		f->drop = true;
		if (field_value(f, v, err_r) < 0 ||
		    addrlist_parse(v->data, v->len, &ps->ign, err_r) < 0)
			return -1;
	} else if (is_name(f, "To") || is_name(f, "Cc") || is_name(f, "Bcc")) {
		/* Bcc: is removed (submitted.h); a malformed To:/Cc: only
		 * matters
		 * when it would give the recipients. */
		f->drop = is_name(f, "Bcc");
		if (field_value(f, v, err_r) < 0)
			return -1;
		if (!ps->hdr_bad && addrlist_parse(v->data, v->len, &ps->hdr,
		    &ps->hdr_err) < 0)
			ps->hdr_bad = true;
	} else if (is_name(f, "Return-Path")) {
		f->drop = true;
		if (ps->have_rp)
			return 0;		/* the first one counts */
		ps->have_rp = true;
		if (field_value(f, v, err_r) < 0)
			return -1;
		if (strv_eq(strv_trim(buf_strv(v)), STRV_LIT("<>")) ||
		    strv_trim(buf_strv(v)).len == 0) {
			ps->rp = xstrdup("");
			return 0;
		}
		if (first_address(v, dom, &ps->rp, err_r) < 0)
			return error_set(err_r, ERR_SYNTAX, "Return-Path: %s",
			    err_r != NULL ? err_r->msg : "bad address");
	} else if (is_name(f, "From") && ps->from == NULL) {
		if (field_value(f, v, err_r) < 0)
			return -1;
		(void)first_address(v, dom, &ps->from, NULL);
	} else if (is_name(f, "Sender") && ps->sender == NULL) {
		if (field_value(f, v, err_r) < 0)
			return -1;
		(void)first_address(v, dom, &ps->sender, NULL);
	} else if (is_name(f, "Date"))
		ps->have_date = true;
	else if (is_name(f, "Message-ID"))
		ps->have_msgid = true;
	return 0;
}

static bool
listed(char **v, size_t n, const char *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], a) == 0)
			return true;
	return false;
}

/* Builds m->rcpts from the collected lists. */
static int
recipients(struct parse *ps, struct submitted_msg *m, struct error *err_r)
{
	const struct addrlist *src = ps->have_env ? &ps->env : &ps->hdr;
	char **ign = NULL, *a;
	size_t nign = 0, i;
	int rc = 0;

	if (!ps->have_env && ps->hdr_bad) {
		if (err_r != NULL)
			*err_r = ps->hdr_err;
		return -1;
	}
	if (!ps->have_env) {
		ign = xcalloc(ps->ign.n + 1, sizeof(*ign));
		for (i = 0; i < ps->ign.n; i++) {
			a = canonical(ps->ign.v[i].addr, ps->o->main_domain,
			    NULL);
			if (a != NULL)
				ign[nign++] = a;
		}
	}
	m->rcpts = xcalloc(src->n + 1, sizeof(*m->rcpts));
	for (i = 0; i < src->n && rc == 0; i++) {
		a = canonical(src->v[i].addr, ps->o->main_domain, err_r);
		if (a == NULL) {
			rc = error_set(err_r, ERR_SYNTAX, "recipient %.200s: %s",
			    src->v[i].addr, err_r != NULL ? err_r->msg :
			    "bad address");
			break;
		}
		if (listed(ign, nign, a) || listed(m->rcpts, m->nrcpt, a)) {
			free(a);
			continue;
		}
		if (m->nrcpt >= SUBMITTED_RCPT_MAX) {
			free(a);
			rc = error_set(err_r, ERR_LIMIT, "more than %d "
			    "recipients", SUBMITTED_RCPT_MAX);
			break;
		}
		m->rcpts[m->nrcpt++] = a;
	}
	for (i = 0; i < nign; i++)
		free(ign[i]);
	free(ign);
	if (rc == 0 && m->nrcpt == 0)
		rc = error_set(err_r, ERR_SYNTAX, "no recipients");
	return rc;
}

/* Splits the header block into fields; *body_r gets the body's start. */
static int
split_fields(const char *data, size_t len, struct field **f_r, size_t *n_r,
    const char **body_r, struct error *err_r)
{
	const char *p = data, *e = data + len, *nl, *colon;
	struct field *f = NULL;
	size_t n = 0;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		nl = nl != NULL ? nl + 1 : e;
		if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
			p = nl;			/* the empty line: body next */
			break;
		}
		if ((*p == ' ' || *p == '\t') && n > 0) {
			f[n - 1].end = nl;	/* folded line */
			if ((size_t)(nl - f[n - 1].start) > SUBMITTED_FIELD_MAX) {
				free(f);
				return error_set(err_r, ERR_LIMIT, "header "
				    "field longer than %d bytes",
				    SUBMITTED_FIELD_MAX);
			}
			p = nl;
			continue;
		}
		for (colon = p; colon < nl && *colon != ':' &&
		    (unsigned char)*colon > 32 && *colon != 127; colon++)
			;
		if (colon == p || colon >= nl || *colon != ':')
			break;			/* not a field: the body */
		f = xrealloc(f, size_mul(n + 1, sizeof(*f)));
		f[n].name = p;
		f[n].nlen = (size_t)(colon - p);
		f[n].start = p;
		f[n].end = nl;
		f[n].drop = false;
		n++;
		p = nl;
	}
	*f_r = f;
	*n_r = n;
	*body_r = p;
	return 0;
}

int
submitted_parse(const char *data, size_t len, const struct submitted_opts *o,
    struct submitted_msg *m, struct error *err_r)
{
	struct parse ps;
	struct field *f = NULL;
	struct buf v;
	const char *body = data;
	char date[TIMEFMT_BUF_MAX];
	size_t n = 0, i;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	buf_init(&m->text, size_add(size_mul(len, 2), 4096));
	if (len > SUBMITTED_FILE_MAX)
		return error_set(err_r, ERR_LIMIT, "message larger than %lu "
		    "bytes", SUBMITTED_FILE_MAX);
	if (split_fields(data, len, &f, &n, &body, err_r) < 0)
		return -1;
	buf_init(&v, SUBMITTED_FIELD_MAX);
	for (i = 0; i < n; i++)
		if (take_field(&ps, &f[i], &v, err_r) < 0)
			goto out;
	if (recipients(&ps, m, err_r) < 0)
		goto out;
	m->return_path = xstrdup(ps.rp != NULL ? ps.rp : ps.from != NULL ?
	    ps.from : ps.sender != NULL ? ps.sender : "");

	/* RFC 5321 4.4 / RFC 5322 3.6.7: the trace field goes on top. */
	if (timefmt_rfc5322(o->now, date, sizeof(date)) == 0)
		memcpy(date, "Thu, 1 Jan 1970 00:00:00 +0000", 31);
	buf_printf(&m->text, "Received: from localhost (Submitted/%s)\r\n"
	    "\tby %s (Tegami PIPE) id %s;\r\n\t%s\r\n", o->unique,
	    o->main_domain, o->unique, date);
	for (i = 0; i < n; i++)
		if (!f[i].drop)
			put_crlf(&m->text, f[i].start, f[i].end);
	if (!ps.have_date)
		buf_printf(&m->text, "Date: %s\r\n", date);
	if (!ps.have_msgid)
		buf_printf(&m->text, "Message-ID: <%s@%s>\r\n", o->unique,
		    o->main_domain);
	buf_puts(&m->text, "\r\n");
	put_crlf(&m->text, body, data + len);
	if (m->text.err != 0) {
		error_set(err_r, ERR_LIMIT, "message too large");
		goto out;
	}
	rc = 0;
out:
	addrlist_clear(&ps.env);
	addrlist_clear(&ps.hdr);
	addrlist_clear(&ps.ign);
	free(ps.rp);
	free(ps.from);
	free(ps.sender);
	free(f);
	buf_free(&v);
	return rc;
}
