/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz/ldap_msg.c: libFuzzer target for the LDAP message decoder
 * (src/ldap/ldap_msg.c).  The input is framed as the session frames it
 * (ldap_frame(), fed whole and as a growing prefix: the answer for a
 * prefix must agree with the whole), each whole message is decoded, its
 * filter evaluated against a fixed record (three values only), and a
 * control value is decoded as paged results, sort keys and a virtual list
 * view, a Password Modify value too.  Every
 * bound must hold; leaks show up under ASan.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "directory/directory.h"
#include "ldap/ldap_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned
depth_of(const struct dir_filter *f)
{
	unsigned d = 0, k;
	size_t i;

	for (i = 0; i < f->nkids; i++)
		if ((k = depth_of(f->kids[i]) + 1) > d)
			d = k;
	return d;
}

static void
check(const uint8_t *p, size_t len, struct dir_entry *e)
{
	char cookie[64], *u, *o, *n;
	struct ldap_req r;
	struct error err;
	enum dir_match m;
	struct buf out;
	struct ldap_sort_key keys[LDAP_SORT_KEYS_MAX];
	struct ldap_vlv vlv;
	size_t clen, i, nk;
	int size;

	memset(&r, 0, sizeof(r));
	if (ldap_msg_decode(p, len, &r, &err) == 0) {
		if (r.ncontrols > LDAP_CONTROLS_MAX ||
		    r.nattrs > LDAP_ATTRS_MAX)
			abort();
		if (r.filter != NULL) {
			if (depth_of(r.filter) > LDAP_FILTER_DEPTH_MAX)
				abort();
			m = dir_filter_match(r.filter, e);
			if (m != DIR_TRUE && m != DIR_FALSE &&
			    m != DIR_UNDEFINED)
				abort();
		}
		for (i = 0; i < r.ncontrols; i++) {
			if (!r.controls[i].has_value)
				continue;
			if (ldap_dec_paged_value(r.controls[i].value,
			    r.controls[i].vlen, &size, cookie, sizeof(cookie),
			    &clen, &err) == 0 && clen >= sizeof(cookie))
				abort();
			if (ldap_dec_sort_value(r.controls[i].value,
			    r.controls[i].vlen, keys, LDAP_SORT_KEYS_MAX, &nk,
			    &err) == 0 && (nk == 0 || nk > LDAP_SORT_KEYS_MAX))
				abort();
			if (ldap_dec_vlv_value(r.controls[i].value,
			    r.controls[i].vlen, &vlv, &err) == 0 &&
			    (vlv.before < 0 || vlv.after < 0 ||
			    vlv.context_len > sizeof(vlv.context) ||
			    (!vlv.has_context && vlv.context_len != 0)))
				abort();
		}
		if (r.op == LDAP_OP_EXTENDED && ldap_dec_passwd_value(
		    r.password, r.pwlen, &u, &o, &n, &err) == 0) {
			free(u);
			free(o);
			free(n);
		}
		/* an entry decoded from an add encodes back */
		if (r.entry != NULL) {
			buf_init(&out, 4 * (size_t)LDAP_PDU_MAX);
			ldap_enc_entry(&out, r.msgid, r.entry->dn, r.entry,
			    NULL, NULL, false);
			if (out.err == 0 && out.len == 0)
				abort();
			buf_free(&out);
		}
	} else if (err.msg[0] == '\0')
		abort();
	ldap_req_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dir_entry *e;
	struct error err;
	size_t off = 0, total, k, t2;
	int rc, rc2;

	e = dir_entry_new("uid=ann,cn=example.com");
	dir_entry_add(e, "objectClass", "person");
	dir_entry_add(e, "uid", "ann");
	dir_entry_add(e, "cn", "Ann Smith");
	dir_entry_add(e, "mail", "ann@example.com");
	while (off < size) {
		rc = ldap_frame(data + off, size - off, &total, &err);
		/* every prefix agrees: more needed, or the same answer */
		for (k = 0; k < 8 && k < size - off; k++) {
			rc2 = ldap_frame(data + off, k, &t2, NULL);
			if (rc2 == 1 && (rc != 1 || t2 != total))
				abort();
			if (rc2 == -1 && rc != -1)
				abort();
		}
		if (rc != 1)
			break;
		if (total > LDAP_PDU_MAX || total < 2)
			abort();
		if (total > size - off)
			break;
		check(data + off, total, e);
		off += total;
	}
	dir_entry_free(&e);
	return 0;
}
