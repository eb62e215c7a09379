/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ldap_msg.c: LDAPMessage decoding and encoding (see ldap_msg.h).  The
 * frame is checked by hand (tag, definite length within LDAP_PDU_MAX)
 * before liblber sees a byte; liblber then reads elements inside the one
 * buffer, so no length can reach past it.
 */
#include "lib/compat.h"

#include <lber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "directory/directory.h"
#include "ldap/ldap_msg.h"

#define TAG_SEQUENCE	0x30
#define TAG_CONTROLS	0xa0
#define TAG_OCTETS	0x04
#define TAG_BOOLEAN	0x01

int
ldap_frame(const unsigned char *p, size_t len, size_t *total_r,
    struct error *err_r)
{
	size_t n, i, body = 0;

	if (len < 2)
		return 0;
	if (p[0] != TAG_SEQUENCE)
		return error_set(err_r, ERR_SYNTAX, "not an LDAPMessage "
		    "(tag 0x%02x)", p[0]);
	if (p[1] < 0x80) {
		body = p[1];
		n = 0;
	} else {
		n = p[1] & 0x7f;
		if (n == 0)
			return error_set(err_r, ERR_SYNTAX, "indefinite length");
		if (n > 4)
			return error_set(err_r, ERR_LIMIT, "message longer "
			    "than %u bytes", (unsigned)LDAP_PDU_MAX);
		if (len < 2 + n)
			return 0;
		for (i = 0; i < n; i++)
			body = (body << 8) | p[2 + i];
	}
	if (body > LDAP_PDU_MAX - 2 - n)
		return error_set(err_r, ERR_LIMIT, "message longer than %u "
		    "bytes", (unsigned)LDAP_PDU_MAX);
	*total_r = 2 + n + body;
	return 1;
}

/* ---- decoding helpers --------------------------------------------------------- */

/* An OCTET STRING (any tag) as a C string; NUL inside is refused. */
static int
get_str(BerElement *ber, char **out, struct error *err_r)
{
	struct berval bv;

	if (ber_get_stringbv(ber, &bv, LBER_BV_NOTERM) == LBER_DEFAULT)
		return error_set(err_r, ERR_SYNTAX, "malformed string");
	if (memchr(bv.bv_val, '\0', bv.bv_len) != NULL)
		return error_set(err_r, ERR_SYNTAX, "NUL in a string");
	free(*out);
	*out = xstrndup(bv.bv_val, bv.bv_len);
	return 0;
}

/* An OCTET STRING that may hold NULs. */
static int
get_bytes(BerElement *ber, char **out, size_t *len_r, struct error *err_r)
{
	struct berval bv;

	if (ber_get_stringbv(ber, &bv, LBER_BV_NOTERM) == LBER_DEFAULT)
		return error_set(err_r, ERR_SYNTAX, "malformed string");
	free(*out);
	*out = xmalloc(bv.bv_len + 1);
	memcpy(*out, bv.bv_val, bv.bv_len);
	(*out)[bv.bv_len] = '\0';
	*len_r = bv.bv_len;
	return 0;
}

static int
get_int(BerElement *ber, int *v, struct error *err_r)
{
	ber_int_t i;

	if (ber_get_int(ber, &i) == LBER_DEFAULT)
		return error_set(err_r, ERR_SYNTAX, "malformed integer");
	*v = (int)i;
	return 0;
}

static int
get_enum(BerElement *ber, int *v, struct error *err_r)
{
	ber_int_t i;

	if (ber_get_enum(ber, &i) == LBER_DEFAULT)
		return error_set(err_r, ERR_SYNTAX, "malformed enumeration");
	*v = (int)i;
	return 0;
}

static int
get_bool(BerElement *ber, bool *v, struct error *err_r)
{
	ber_int_t i;

	if (ber_get_boolean(ber, &i) == LBER_DEFAULT)
		return error_set(err_r, ERR_SYNTAX, "malformed boolean");
	*v = i != 0;
	return 0;
}

/* ---- filters (RFC 4511 4.5.1.7) ------------------------------------------------- */

struct fctx {
	size_t	items;
};

static struct dir_filter *parse_filter(BerElement *, unsigned, struct fctx *,
    struct error *);

static void
push_kid(struct dir_filter *f, struct dir_filter *k)
{
	f->kids = xrealloc(f->kids, size_mul(f->nkids + 1, sizeof(*f->kids)));
	f->kids[f->nkids++] = k;
}

static struct dir_filter *
parse_filter(BerElement *ber, unsigned depth, struct fctx *fc,
    struct error *err_r)
{
	struct dir_filter *f = NULL, *k;
	ber_len_t len;
	ber_tag_t tag, t;
	char *end, *s = NULL;

	if (depth > LDAP_FILTER_DEPTH_MAX) {
		error_set(err_r, ERR_LIMIT, "filter nested deeper than %u",
		    (unsigned)LDAP_FILTER_DEPTH_MAX);
		return NULL;
	}
	if (++fc->items > LDAP_FILTER_ITEMS_MAX) {
		error_set(err_r, ERR_LIMIT, "filter of more than %u items",
		    (unsigned)LDAP_FILTER_ITEMS_MAX);
		return NULL;
	}
	tag = ber_peek_tag(ber, &len);
	switch (tag) {
	case 0xa0:			/* and */
	case 0xa1:			/* or */
		f = dir_filter_new(tag == 0xa0 ? DF_AND : DF_OR);
		for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
		    t = ber_next_element(ber, &len, end)) {
			if ((k = parse_filter(ber, depth + 1, fc, err_r)) ==
			    NULL)
				goto fail;
			push_kid(f, k);
		}
		return f;
	case 0xa2:			/* not */
		f = dir_filter_new(DF_NOT);
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT)
			goto bad;
		if ((k = parse_filter(ber, depth + 1, fc, err_r)) == NULL)
			goto fail;
		push_kid(f, k);
		return f;
	case 0xa3:			/* equalityMatch */
	case 0xa5:			/* greaterOrEqual */
	case 0xa6:			/* lessOrEqual */
	case 0xa8:			/* approxMatch: as equality */
		f = dir_filter_new(tag == 0xa3 ? DF_EQ : tag == 0xa5 ? DF_GE :
		    tag == 0xa6 ? DF_LE : DF_APPROX);
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_str(ber, &f->attr, err_r) == -1 ||
		    get_str(ber, &f->value, err_r) == -1)
			goto fail;
		return f;
	case 0xa4:			/* substrings */
		f = dir_filter_new(DF_SUBSTR);
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_str(ber, &f->attr, err_r) == -1)
			goto fail;
		for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
		    t = ber_next_element(ber, &len, end)) {
			s = NULL;
			if (get_str(ber, &s, err_r) == -1)
				goto fail;
			if (t == 0x80 && f->initial == NULL && f->nany == 0)
				f->initial = s;
			else if (t == 0x81) {
				if (++fc->items > LDAP_FILTER_ITEMS_MAX) {
					free(s);
					error_set(err_r, ERR_LIMIT, "filter of "
					    "more than %u items",
					    (unsigned)LDAP_FILTER_ITEMS_MAX);
					goto fail;
				}
				f->any = xrealloc(f->any, size_mul(f->nany + 1,
				    sizeof(*f->any)));
				f->any[f->nany++] = s;
			} else if (t == 0x82 && f->final == NULL)
				f->final = s;
			else {
				free(s);
				goto bad;
			}
		}
		if (f->initial == NULL && f->final == NULL && f->nany == 0)
			goto bad;
		return f;
	case 0x87:			/* present */
		f = dir_filter_new(DF_PRESENT);
		if (get_str(ber, &f->attr, err_r) == -1)
			goto fail;
		return f;
	case 0xa9: {			/* extensibleMatch */
		struct berval bv;

		/* RFC 4511 4.5.1.7: a match the server does not support
		 * is Undefined -- an item on an attribute no record has */
		if (ber_skip_element(ber, &bv) == LBER_DEFAULT)
			goto bad;
		f = dir_filter_new(DF_EQ);
		f->attr = xstrdup("");
		f->value = xstrdup("");
		return f;
	}
	default:
		goto bad;
	}
bad:
	error_set(err_r, ERR_SYNTAX, "malformed filter");
fail:
	dir_filter_free(&f);
	return NULL;
}

/* ---- requests -------------------------------------------------------------------- */

static int
dec_bind(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	ber_len_t len;
	ber_tag_t t;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_int(ber, &r->version, err_r) == -1 ||
	    get_str(ber, &r->dn, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed bind request");
	t = ber_peek_tag(ber, &len);
	if (t == 0x80)			/* simple */
		return get_bytes(ber, &r->password, &r->pwlen, err_r);
	if (t != 0xa3)
		return error_set(err_r, ERR_SYNTAX, "unknown authentication "
		    "choice");
	r->sasl = true;
	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_str(ber, &r->mech, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed SASL bind");
	if (ber_peek_tag(ber, &len) == TAG_OCTETS)
		return get_bytes(ber, &r->password, &r->pwlen, err_r);
	return 0;
}

static int
dec_search(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	struct fctx fc = { 0 };
	ber_len_t len;
	ber_tag_t t;
	char *end;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_str(ber, &r->dn, err_r) == -1 ||
	    get_enum(ber, &r->scope, err_r) == -1 ||
	    get_enum(ber, &r->deref, err_r) == -1 ||
	    get_int(ber, &r->sizelimit, err_r) == -1 ||
	    get_int(ber, &r->timelimit, err_r) == -1 ||
	    get_bool(ber, &r->typesonly, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed search request");
	if (r->scope < 0 || r->scope > 2 || r->sizelimit < 0 ||
	    r->timelimit < 0)
		return error_set(err_r, ERR_SYNTAX, "bad search scope or "
		    "limit");
	if ((r->filter = parse_filter(ber, 0, &fc, err_r)) == NULL)
		return -1;
	for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
	    t = ber_next_element(ber, &len, end)) {
		if (r->nattrs == LDAP_ATTRS_MAX)
			return error_set(err_r, ERR_LIMIT, "more than %u "
			    "attributes asked for", (unsigned)LDAP_ATTRS_MAX);
		if (r->attrs == NULL)
			r->attrs = xcalloc(LDAP_ATTRS_MAX, sizeof(*r->attrs));
		if (get_str(ber, &r->attrs[r->nattrs], err_r) == -1)
			return -1;
		r->nattrs++;
	}
	return 0;
}

static int
dec_values(BerElement *ber, char ***vals, size_t *n, size_t *total,
    struct error *err_r)
{
	ber_len_t len;
	ber_tag_t t;
	char *end, *v;

	for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
	    t = ber_next_element(ber, &len, end)) {
		if (++*total > DIR_VALUES_MAX)
			return error_set(err_r, ERR_LIMIT, "more than %u "
			    "values", (unsigned)DIR_VALUES_MAX);
		v = NULL;
		if (get_str(ber, &v, err_r) == -1)
			return -1;
		*vals = xrealloc(*vals, size_mul(*n + 1, sizeof(**vals)));
		(*vals)[(*n)++] = v;
	}
	return 0;
}

static int
dec_modify(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	ber_len_t len;
	ber_tag_t t;
	char *end;
	size_t total = 0;
	struct ldap_mod *m;
	int op = -1;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_str(ber, &r->dn, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed modify request");
	for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
	    t = ber_next_element(ber, &len, end)) {
		if (r->nmods >= DIR_VALUES_MAX)
			return error_set(err_r, ERR_LIMIT, "too many changes");
		r->mods = xrealloc(r->mods, size_mul(r->nmods + 1,
		    sizeof(*r->mods)));
		m = &r->mods[r->nmods++];
		memset(m, 0, sizeof(*m));
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_enum(ber, &op, err_r) == -1 || op < 0 || op > 2 ||
		    ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_str(ber, &m->attr, err_r) == -1)
			return error_set(err_r, ERR_SYNTAX, "malformed change");
		m->op = (enum ldap_mod_op)op;
		if (dec_values(ber, &m->vals, &m->nvals, &total, err_r) == -1)
			return -1;
	}
	return 0;
}

static int
dec_add(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	ber_len_t len;
	ber_tag_t t;
	char *end, *attr;
	char **vals;
	size_t nvals, total = 0, i;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_str(ber, &r->dn, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed add request");
	r->entry = dir_entry_new(r->dn);
	for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
	    t = ber_next_element(ber, &len, end)) {
		attr = NULL;
		vals = NULL;
		nvals = 0;
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_str(ber, &attr, err_r) == -1) {
			free(attr);
			return error_set(err_r, ERR_SYNTAX, "malformed "
			    "attribute");
		}
		if (dec_values(ber, &vals, &nvals, &total, err_r) == 0)
			for (i = 0; i < nvals; i++)
				dir_entry_add(r->entry, attr, vals[i]);
		for (i = 0; i < nvals; i++)
			free(vals[i]);
		free(vals);
		free(attr);
		if (total > DIR_VALUES_MAX)
			return error_set(err_r, ERR_LIMIT, "more than %u "
			    "values", (unsigned)DIR_VALUES_MAX);
	}
	return 0;
}

static int
dec_moddn(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	ber_len_t len;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    get_str(ber, &r->dn, err_r) == -1 ||
	    get_str(ber, &r->newrdn, err_r) == -1 ||
	    get_bool(ber, &r->deleteoldrdn, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed modify DN "
		    "request");
	if (ber_peek_tag(ber, &len) == 0x80 &&
	    get_str(ber, &r->newsuperior, err_r) == -1)
		return -1;
	return 0;
}

static int
dec_extended(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	ber_len_t len;

	if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
	    ber_peek_tag(ber, &len) != 0x80 ||
	    get_str(ber, &r->oid, err_r) == -1)
		return error_set(err_r, ERR_SYNTAX, "malformed extended "
		    "request");
	if (ber_peek_tag(ber, &len) == 0x81)
		return get_bytes(ber, &r->password, &r->pwlen, err_r);
	return 0;
}

static int
dec_controls(BerElement *ber, struct ldap_req *r, struct error *err_r)
{
	struct ldap_control *c;
	ber_len_t len;
	ber_tag_t t;
	char *end;

	for (t = ber_first_element(ber, &len, &end); t != LBER_DEFAULT;
	    t = ber_next_element(ber, &len, end)) {
		if (r->ncontrols == LDAP_CONTROLS_MAX)
			return error_set(err_r, ERR_LIMIT, "more than %u "
			    "controls", (unsigned)LDAP_CONTROLS_MAX);
		c = &r->controls[r->ncontrols++];
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    get_str(ber, &c->oid, err_r) == -1)
			return error_set(err_r, ERR_SYNTAX, "malformed "
			    "control");
		if (ber_peek_tag(ber, &len) == TAG_BOOLEAN &&
		    get_bool(ber, &c->critical, err_r) == -1)
			return -1;
		if (ber_peek_tag(ber, &len) == TAG_OCTETS) {
			if (get_bytes(ber, &c->value, &c->vlen, err_r) == -1)
				return -1;
			c->has_value = true;
		}
	}
	return 0;
}

int
ldap_msg_decode(const void *p, size_t len, struct ldap_req *r,
    struct error *err_r)
{
	struct berval bv;
	BerElement *ber;
	ber_len_t l;
	ber_tag_t t;
	size_t total;
	int rc = -1;

	if (ldap_frame(p, len, &total, err_r) != 1)
		return len < 2 ? error_set(err_r, ERR_SYNTAX, "short message") :
		    -1;
	if (total != len)
		return error_set(err_r, ERR_SYNTAX, "message length mismatch");
	bv.bv_val = (char *)(uintptr_t)p;
	bv.bv_len = len;
	if ((ber = ber_init(&bv)) == NULL)
		return error_set(err_r, ERR_INTERNAL, "out of memory");
	if (ber_skip_tag(ber, &l) == LBER_DEFAULT ||
	    get_int(ber, &r->msgid, err_r) == -1 || r->msgid < 0) {
		r->msgid = 0;
		error_set(err_r, ERR_SYNTAX, "malformed message ID");
		goto out;
	}
	t = ber_peek_tag(ber, &l);
	if (t == LBER_DEFAULT) {
		error_set(err_r, ERR_SYNTAX, "no operation");
		goto out;
	}
	r->op = (unsigned)t;
	switch (t) {
	case LDAP_OP_BIND:
		rc = dec_bind(ber, r, err_r);
		break;
	case LDAP_OP_UNBIND:
		rc = ber_skip_tag(ber, &l) == LBER_DEFAULT ? -1 : 0;
		if (rc == 0)
			ber_skip_element(ber, &bv);
		break;
	case LDAP_OP_SEARCH:
		rc = dec_search(ber, r, err_r);
		break;
	case LDAP_OP_MODIFY:
		rc = dec_modify(ber, r, err_r);
		break;
	case LDAP_OP_ADD:
		rc = dec_add(ber, r, err_r);
		break;
	case LDAP_OP_DELETE:
		rc = get_str(ber, &r->dn, err_r);
		break;
	case LDAP_OP_MODDN:
		rc = dec_moddn(ber, r, err_r);
		break;
	case LDAP_OP_COMPARE:
		if (ber_skip_tag(ber, &l) == LBER_DEFAULT ||
		    get_str(ber, &r->dn, err_r) == -1 ||
		    ber_skip_tag(ber, &l) == LBER_DEFAULT ||
		    get_str(ber, &r->attr, err_r) == -1 ||
		    get_str(ber, &r->value, err_r) == -1)
			error_set(err_r, ERR_SYNTAX, "malformed compare "
			    "request");
		else
			rc = 0;
		break;
	case LDAP_OP_ABANDON:
		rc = get_int(ber, &r->abandon_id, err_r);
		break;
	case LDAP_OP_EXTENDED:
		rc = dec_extended(ber, r, err_r);
		break;
	default:
		error_set(err_r, ERR_SYNTAX, "unknown operation 0x%02x",
		    (unsigned)t);
		break;
	}
	if (rc == 0 && ber_peek_tag(ber, &l) == TAG_CONTROLS)
		rc = dec_controls(ber, r, err_r);
out:
	ber_free(ber, 1);
	return rc;
}

void
ldap_req_clear(struct ldap_req *r)
{
	size_t i, j;

	dir_filter_free(&r->filter);
	for (i = 0; i < r->nattrs; i++)
		free(r->attrs[i]);
	free(r->attrs);
	for (i = 0; i < r->nmods; i++) {
		for (j = 0; j < r->mods[i].nvals; j++)
			free(r->mods[i].vals[j]);
		free(r->mods[i].vals);
		free(r->mods[i].attr);
	}
	free(r->mods);
	dir_entry_free(&r->entry);
	for (i = 0; i < r->ncontrols; i++) {
		free(r->controls[i].oid);
		free(r->controls[i].value);
	}
	if (r->password != NULL)
		explicit_bzero(r->password, r->pwlen);
	free(r->password);
	free(r->mech);
	free(r->dn);
	free(r->attr);
	free(r->value);
	free(r->newrdn);
	free(r->newsuperior);
	free(r->oid);
	memset(r, 0, sizeof(*r));
}

/* ---- encoding ------------------------------------------------------------------------ */

static void
flush_ber(BerElement *ber, struct buf *out)
{
	struct berval bv;

	if (ber_flatten2(ber, &bv, 0) == 0)
		buf_append(out, bv.bv_val, bv.bv_len);
	ber_free(ber, 1);
}

void
ldap_enc_result_ctrls(struct buf *out, int msgid, unsigned op, int rc,
    const char *matched, const char *diag, const struct ldap_ctrl_out *ctrls,
    size_t n)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	size_t i;

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{it{ess}", (ber_int_t)msgid, (ber_tag_t)op,
	    (ber_int_t)rc, matched != NULL ? matched : "",
	    diag != NULL ? diag : "");
	if (n > 0) {
		(void)ber_printf(ber, "t{", (ber_tag_t)TAG_CONTROLS);
		for (i = 0; i < n; i++)
			(void)ber_printf(ber, "{so}", ctrls[i].oid,
			    (const char *)ctrls[i].value,
			    (ber_len_t)ctrls[i].vlen);
		(void)ber_printf(ber, "}");
	}
	(void)ber_printf(ber, "}");
	flush_ber(ber, out);
}

void
ldap_enc_result(struct buf *out, int msgid, unsigned op, int rc,
    const char *matched, const char *diag, const char *ctrl_oid,
    const void *ctrl_value, size_t ctrl_vlen)
{
	struct ldap_ctrl_out c = { ctrl_oid, ctrl_value, ctrl_vlen };

	ldap_enc_result_ctrls(out, msgid, op, rc, matched, diag, &c,
	    ctrl_oid != NULL ? 1 : 0);
}

void
ldap_enc_extended(struct buf *out, int msgid, int rc, const char *diag,
    const char *name, const void *value, size_t vlen)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{it{ess", (ber_int_t)msgid,
	    (ber_tag_t)LDAP_OP_EXTENDED_RES, (ber_int_t)rc, "",
	    diag != NULL ? diag : "");
	if (name != NULL)
		(void)ber_printf(ber, "ts", (ber_tag_t)0x8a, name);
	if (value != NULL)
		(void)ber_printf(ber, "to", (ber_tag_t)0x8b,
		    (const char *)value, (ber_len_t)vlen);
	(void)ber_printf(ber, "}}");
	flush_ber(ber, out);
}

void
ldap_enc_entry(struct buf *out, int msgid, const char *dn,
    const struct dir_entry *e, bool (*want)(const char *name, void *arg),
    void *arg, bool typesonly)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	size_t i, j, k;
	bool seen;

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{it{s{", (ber_int_t)msgid,
	    (ber_tag_t)LDAP_OP_SEARCH_ENTRY, dn);
	for (i = 0; i < e->navs; i++) {
		const char *name = e->avs[i].name;

		/* first appearance of this name only */
		seen = false;
		for (k = 0; k < i && !seen; k++)
			seen = strcasecmp(e->avs[k].name, name) == 0;
		if (seen || (want != NULL && !want(name, arg)))
			continue;
		(void)ber_printf(ber, "{s[", name);
		for (j = i; !typesonly && j < e->navs; j++)
			if (strcasecmp(e->avs[j].name, name) == 0)
				(void)ber_printf(ber, "s", e->avs[j].val);
		(void)ber_printf(ber, "]}");
	}
	(void)ber_printf(ber, "}}}");
	flush_ber(ber, out);
}

void
ldap_enc_paged_value(struct buf *out, int size, const void *cookie,
    size_t clen)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{io}", (ber_int_t)size, (const char *)cookie,
	    (ber_len_t)clen);
	flush_ber(ber, out);
}

int
ldap_dec_paged_value(const void *p, size_t len, int *size_r, char *cookie,
    size_t csize, size_t *clen_r, struct error *err_r)
{
	struct berval bv, c;
	BerElement *ber;
	ber_len_t l;
	int rc = -1;

	/* liblber's ber_init() of 0 bytes gives an element with no buffer,
	 * on which ber_skip_tag() crashes */
	if (p == NULL || len < 2)
		return error_set(err_r, ERR_SYNTAX, "malformed paged results "
		    "control");
	bv.bv_val = (char *)(uintptr_t)p;
	bv.bv_len = len;
	if ((ber = ber_init(&bv)) == NULL)
		return error_set(err_r, ERR_INTERNAL, "out of memory");
	if (ber_skip_tag(ber, &l) != LBER_DEFAULT &&
	    get_int(ber, size_r, err_r) == 0 &&
	    ber_get_stringbv(ber, &c, LBER_BV_NOTERM) != LBER_DEFAULT &&
	    c.bv_len < csize) {
		memcpy(cookie, c.bv_val, c.bv_len);
		cookie[c.bv_len] = '\0';
		*clen_r = c.bv_len;
		rc = 0;
	} else
		error_set(err_r, ERR_SYNTAX, "malformed paged results control");
	ber_free(ber, 1);
	return rc;
}

int
ldap_dec_passwd_value(const void *p, size_t len, char **user_r,
    char **old_r, char **new_r, struct error *err_r)
{
	struct berval bv;
	BerElement *ber;
	ber_len_t l;
	ber_tag_t t;
	char *end;
	int rc = 0;

	*user_r = *old_r = *new_r = NULL;
	if (p == NULL || len == 0)
		return 0;
	if (len < 2)
		return error_set(err_r, ERR_SYNTAX, "malformed password modify "
		    "request");
	bv.bv_val = (char *)(uintptr_t)p;
	bv.bv_len = len;
	if ((ber = ber_init(&bv)) == NULL)
		return error_set(err_r, ERR_INTERNAL, "out of memory");
	for (t = ber_first_element(ber, &l, &end); rc == 0 &&
	    t != LBER_DEFAULT; t = ber_next_element(ber, &l, end)) {
		if (t == 0x80)
			rc = get_str(ber, user_r, err_r);
		else if (t == 0x81)
			rc = get_str(ber, old_r, err_r);
		else if (t == 0x82)
			rc = get_str(ber, new_r, err_r);
		else
			rc = error_set(err_r, ERR_SYNTAX, "malformed password "
			    "modify request");
	}
	ber_free(ber, 1);
	if (rc == -1) {			/* nothing half-decoded is handed out */
		free(*user_r);
		free(*old_r);
		free(*new_r);
		*user_r = *old_r = *new_r = NULL;
	}
	return rc;
}

/* ---- server-side sort and virtual list view ------------------------------------------ */

static BerElement *
value_ber(const void *p, size_t len, struct error *err_r)
{
	struct berval bv;
	BerElement *ber;

	/* ber_init() of 0 bytes gives an element ber_skip_tag() crashes on */
	if (p == NULL || len < 2) {
		error_set(err_r, ERR_SYNTAX, "malformed control value");
		return NULL;
	}
	bv.bv_val = (char *)(uintptr_t)p;
	bv.bv_len = len;
	if ((ber = ber_init(&bv)) == NULL)
		error_set(err_r, ERR_INTERNAL, "out of memory");
	return ber;
}

int
ldap_dec_sort_value(const void *p, size_t len, struct ldap_sort_key *keys,
    size_t max, size_t *n_r, struct error *err_r)
{
	BerElement *ber;
	ber_len_t l;
	ber_tag_t t;
	char *end, *s = NULL;
	int rc = 0;

	*n_r = 0;
	if ((ber = value_ber(p, len, err_r)) == NULL)
		return -1;
	for (t = ber_first_element(ber, &l, &end); rc == 0 &&
	    t != LBER_DEFAULT; t = ber_next_element(ber, &l, end)) {
		if (*n_r == max) {
			rc = error_set(err_r, ERR_LIMIT, "more than %zu sort "
			    "keys", max);
			break;
		}
		if (ber_skip_tag(ber, &l) == LBER_DEFAULT ||
		    get_str(ber, &s, err_r) == -1 || *s == '\0' ||
		    strlen(s) >= sizeof(keys[0].attr)) {
			rc = error_set(err_r, ERR_SYNTAX, "malformed sort key");
			break;
		}
		(void)snprintf(keys[*n_r].attr, sizeof(keys[0].attr), "%s", s);
		keys[*n_r].reverse = false;
		if (ber_peek_tag(ber, &l) == 0x80 && get_str(ber, &s, err_r) ==
		    -1)
			rc = -1;
		if (rc == 0 && ber_peek_tag(ber, &l) == 0x81 &&
		    get_bool(ber, &keys[*n_r].reverse, err_r) == -1)
			rc = -1;
		(*n_r)++;
	}
	free(s);
	ber_free(ber, 1);
	if (rc == 0 && *n_r == 0)
		rc = error_set(err_r, ERR_SYNTAX, "no sort key");
	return rc;
}

int
ldap_dec_vlv_value(const void *p, size_t len, struct ldap_vlv *v,
    struct error *err_r)
{
	BerElement *ber;
	ber_len_t l;
	ber_tag_t t;
	char *s = NULL;
	int rc = -1;

	memset(v, 0, sizeof(*v));
	if ((ber = value_ber(p, len, err_r)) == NULL)
		return -1;
	if (ber_skip_tag(ber, &l) == LBER_DEFAULT ||
	    get_int(ber, &v->before, err_r) == -1 ||
	    get_int(ber, &v->after, err_r) == -1 || v->before < 0 ||
	    v->after < 0)
		goto out;
	t = ber_peek_tag(ber, &l);
	if (t == 0xa0) {
		if (ber_skip_tag(ber, &l) == LBER_DEFAULT ||
		    get_int(ber, &v->offset, err_r) == -1 ||
		    get_int(ber, &v->count, err_r) == -1 || v->offset < 0 ||
		    v->count < 0)
			goto out;
	} else if (t == 0x81) {
		if (get_str(ber, &s, err_r) == -1 ||
		    strlen(s) >= sizeof(v->value))
			goto out;
		v->by_value = true;
		(void)snprintf(v->value, sizeof(v->value), "%s", s);
	} else
		goto out;
	/* the optional contextID */
	if (ber_peek_tag(ber, &l) == LBER_OCTETSTRING) {
		struct berval bv;

		if (l > sizeof(v->context) ||
		    ber_scanf(ber, "o", &bv) == LBER_ERROR)
			goto out;
		if (bv.bv_len > 0)
			memcpy(v->context, bv.bv_val, bv.bv_len);
		v->context_len = bv.bv_len;
		v->has_context = true;
		ber_memfree(bv.bv_val);
	}
	rc = 0;
out:
	if (rc == -1)
		error_set(err_r, ERR_SYNTAX, "malformed virtual list view "
		    "control");
	free(s);
	ber_free(ber, 1);
	return rc;
}

void
ldap_enc_sort_res(struct buf *out, int rc)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{e}", (ber_int_t)rc);
	flush_ber(ber, out);
}

void
ldap_enc_vlv_res_ctx(struct buf *out, int pos, int count, int rc,
    const void *ctx, size_t len)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return;
	if (ctx != NULL)
		(void)ber_printf(ber, "{iieo}", (ber_int_t)pos,
		    (ber_int_t)count, (ber_int_t)rc, (const char *)ctx,
		    (ber_len_t)len);
	else
		(void)ber_printf(ber, "{iie}", (ber_int_t)pos,
		    (ber_int_t)count, (ber_int_t)rc);
	flush_ber(ber, out);
}

void
ldap_enc_vlv_res(struct buf *out, int pos, int count, int rc)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);

	if (ber == NULL)
		return;
	(void)ber_printf(ber, "{iie}", (ber_int_t)pos, (ber_int_t)count,
	    (ber_int_t)rc);
	flush_ber(ber, out);
}
