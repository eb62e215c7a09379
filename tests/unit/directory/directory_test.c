/* SPDX-License-Identifier: Apache-2.0 */
/*
 * directory_test.c: DNs in normal form, filters in three values, and the
 * store: put, replace, delete, rename, searches by scope and through the
 * index (equality, prefix, presence, OR), paging by id, persistence
 * across a reopen; moving a subtree, merging writes (what a writer owns),
 * and the member index of an older directory.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "directory/directory.h"

static void
test_dn(void)
{
	char out[DIR_DN_MAX + 1];
	struct error err;

	test_begin("DN normal form");
	test_assert(dir_dn_normalize(" UID = User1 , CN=Client1.COM", out,
	    sizeof(out), &err) == 0);
	test_assert_str(out, "uid=user1,cn=client1.com");
	test_assert(dir_dn_normalize("top", out, sizeof(out), &err) == 0);
	test_assert_str(out, "");
	test_assert(dir_dn_normalize("", out, sizeof(out), &err) == 0);
	test_assert_str(out, "");
	test_assert(dir_dn_normalize("cn=a\\,b,cn=x", out, sizeof(out),
	    &err) == 0);
	test_assert_str(out, "cn=a\\,b,cn=x");
	test_assert_str(dir_dn_parent("cn=a\\,b,cn=x"), "cn=x");
	test_assert(dir_dn_normalize("nonsense", out, sizeof(out), &err) ==
	    -1 && err.kind == ERR_SYNTAX);
	test_assert(dir_dn_normalize("=x", out, sizeof(out), &err) == -1);
	test_assert(dir_dn_normalize("cn=x", out, 4, &err) == -1 &&
	    err.kind == ERR_LIMIT);
	test_end();

	test_begin("DN scopes");
	test_assert(dir_dn_in_scope("uid=a,cn=d", "cn=d", DIR_SCOPE_ONE));
	test_assert(!dir_dn_in_scope("cn=d", "cn=d", DIR_SCOPE_ONE));
	test_assert(dir_dn_in_scope("cn=d", "cn=d", DIR_SCOPE_SUB));
	test_assert(dir_dn_in_scope("uid=a,cn=d", "", DIR_SCOPE_SUB));
	test_assert(!dir_dn_in_scope("uid=a,cn=xd", "cn=d", DIR_SCOPE_SUB));
	test_assert(dir_dn_in_scope("cn=d", "", DIR_SCOPE_ONE));
	test_end();
}

static struct dir_entry *
person(const char *uid, const char *cn, const char *dom)
{
	char dn[256], mail[256];
	struct dir_entry *e;

	(void)snprintf(dn, sizeof(dn), "uid=%s,cn=%s", uid, dom);
	(void)snprintf(mail, sizeof(mail), "%s@%s", uid, dom);
	e = dir_entry_new(dn);
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "objectClass", "person");
	dir_entry_add(e, "uid", uid);
	dir_entry_add(e, "mail", mail);
	dir_entry_add(e, "cn", cn);
	return e;
}

static struct dir_filter *
item(enum dir_filter_kind k, const char *attr, const char *val)
{
	struct dir_filter *f = dir_filter_new(k);

	f->attr = xstrdup(attr);
	if (val != NULL)
		f->value = xstrdup(val);
	return f;
}

static struct dir_filter *
two(enum dir_filter_kind k, struct dir_filter *a, struct dir_filter *b)
{
	struct dir_filter *f = dir_filter_new(k);

	f->kids = xcalloc(2, sizeof(*f->kids));
	f->kids[0] = a;
	f->kids[f->nkids = 1] = b;
	f->nkids = b != NULL ? 2 : 1;
	return f;
}

static void
test_filter(void)
{
	struct dir_entry *e = person("ann", "Ann Smith", "d.example");
	struct dir_filter *f;

	test_begin("filters: three values");
	f = item(DF_EQ, "UID", "ANN");
	test_assert(dir_filter_match(f, e) == DIR_TRUE);
	dir_filter_free(&f);
	f = item(DF_EQ, "sn", "x");
	test_assert(dir_filter_match(f, e) == DIR_UNDEFINED);
	dir_filter_free(&f);
	/* NOT(Undefined) stays Undefined: not returned */
	f = two(DF_NOT, item(DF_EQ, "sn", "x"), NULL);
	test_assert(dir_filter_match(f, e) == DIR_UNDEFINED);
	dir_filter_free(&f);
	f = two(DF_OR, item(DF_EQ, "sn", "x"), item(DF_PRESENT, "mail", NULL));
	test_assert(dir_filter_match(f, e) == DIR_TRUE);
	dir_filter_free(&f);
	f = two(DF_AND, item(DF_EQ, "sn", "x"), item(DF_PRESENT, "mail",
	    NULL));
	test_assert(dir_filter_match(f, e) == DIR_UNDEFINED);
	dir_filter_free(&f);
	f = item(DF_PRESENT, "sn", NULL);
	test_assert(dir_filter_match(f, e) == DIR_FALSE);
	dir_filter_free(&f);
	f = item(DF_GE, "uid", "amy");
	test_assert(dir_filter_match(f, e) == DIR_TRUE);
	dir_filter_free(&f);
	f = item(DF_LE, "uid", "amy");
	test_assert(dir_filter_match(f, e) == DIR_FALSE);
	dir_filter_free(&f);
	f = dir_filter_new(DF_SUBSTR);
	f->attr = xstrdup("cn");
	f->initial = xstrdup("an");
	f->any = xcalloc(1, sizeof(char *));
	f->any[f->nany++] = xstrdup("SM");
	f->final = xstrdup("th");
	test_assert(dir_filter_match(f, e) == DIR_TRUE);
	free(f->final);
	f->final = xstrdup("mi");
	test_assert(dir_filter_match(f, e) == DIR_FALSE);
	dir_filter_free(&f);
	test_end();
	dir_entry_free(&e);
}

static size_t
count(struct directory *d, const char *base, enum dir_scope scope,
    const struct dir_filter *f, size_t max)
{
	struct dir_search s = { base, scope, f, 0, max };
	struct dir_results r;
	size_t n = 0;

	for (;;) {
		if (directory_search(d, &s, &r, NULL) == -1)
			return (size_t)-1;
		n += r.n;
		if (!r.more) {
			dir_results_clear(&r);
			return n;
		}
		s.after_id = r.e[r.n - 1]->id;
		dir_results_clear(&r);
	}
}

static void
test_store(const char *base)
{
	struct directory *d;
	struct dir_entry *e, *got;
	struct dir_filter *f;
	struct error err;
	char uid[32], cn[64];
	size_t n;
	int i;

	test_begin("store: put, get, replace, exists");
	d = directory_open(base, &err);
	test_assert(d != NULL);
	e = dir_entry_new("cn=d.example");
	dir_entry_add(e, "objectClass", "top");
	dir_entry_add(e, "cn", "d.example");
	test_assert(directory_put(d, e, false, &err) == 0);
	test_assert(directory_put(d, e, false, &err) == -1 &&
	    err.kind == ERR_EXISTS);
	dir_entry_free(&e);
	for (i = 0; i < 300; i++) {
		(void)snprintf(uid, sizeof(uid), "user%03d", i);
		(void)snprintf(cn, sizeof(cn), "%s Person%d", i % 3 == 0 ?
		    "Ann" : "Bob", i);
		e = person(uid, cn, "d.example");
		test_assert(directory_put(d, e, true, &err) == 0);
		dir_entry_free(&e);
	}
	test_assert(directory_count(d) == 301);
	got = directory_get(d, "UID=user007, cn=D.Example", &err);
	test_assert(got != NULL && strcmp(dir_entry_get(got, "mail"),
	    "user007@d.example") == 0 && strlen(got->uuid) == 36);
	dir_entry_free(&got);
	e = person("user007", "Changed Name", "d.example");
	test_assert(directory_put(d, e, true, &err) == 0);
	dir_entry_free(&e);
	got = directory_get(d, "uid=user007,cn=d.example", &err);
	test_assert(got != NULL && strcmp(dir_entry_get(got, "cn"),
	    "Changed Name") == 0);
	dir_entry_free(&got);
	test_end();

	test_begin("store: search by scope and index");
	test_assert(count(d, "", DIR_SCOPE_SUB, NULL, 7) == 301);
	test_assert(count(d, "cn=d.example", DIR_SCOPE_ONE, NULL, 50) == 300);
	test_assert(count(d, "cn=d.example", DIR_SCOPE_BASE, NULL, 5) == 1);
	test_assert(count(d, "", DIR_SCOPE_ONE, NULL, 5) == 1);
	f = item(DF_EQ, "uid", "USER123");
	test_assert(count(d, "", DIR_SCOPE_SUB, f, 5) == 1);
	dir_filter_free(&f);
	f = dir_filter_new(DF_SUBSTR);
	f->attr = xstrdup("cn");
	f->initial = xstrdup("ann");
	test_assert(count(d, "cn=d.example", DIR_SCOPE_SUB, f, 9) == 100);
	dir_filter_free(&f);
	f = two(DF_OR, item(DF_EQ, "uid", "user001"), item(DF_EQ, "mail",
	    "user002@d.example"));
	test_assert(count(d, "", DIR_SCOPE_SUB, f, 1) == 2);
	dir_filter_free(&f);
	f = item(DF_PRESENT, "uid", NULL);
	test_assert(count(d, "", DIR_SCOPE_SUB, f, 64) == 300);
	dir_filter_free(&f);
	/* a non-indexed attribute: walked */
	f = item(DF_PRESENT, "description", NULL);
	test_assert(count(d, "", DIR_SCOPE_SUB, f, 64) == 0);
	dir_filter_free(&f);
	test_assert(count(d, "c=us", DIR_SCOPE_SUB, NULL, 5) == (size_t)-1);
	test_end();

	test_begin("store: delete, rename, subtree");
	test_assert(directory_delete(d, "uid=user001,cn=d.example", &err) == 0);
	test_assert(directory_delete(d, "uid=user001,cn=d.example", &err) ==
	    -1 && err.kind == ERR_NOTFOUND &&
	    strcmp(err.msg, DIR_NOT_FOUND_ERROR) == 0);
	test_assert(directory_rename(d, "uid=user002,cn=d.example",
	    "uid=newname,cn=d.example", &err) == 0);
	test_assert(directory_exists(d, "uid=newname,cn=d.example"));
	test_assert(!directory_exists(d, "uid=user002,cn=d.example"));
	test_assert(directory_rename(d, "cn=d.example", "cn=x", &err) == -1 &&
	    err.kind == ERR_PERM);
	directory_close(&d);
	/* persistence */
	d = directory_open(base, &err);
	test_assert(d != NULL && directory_count(d) == 300);
	test_assert(directory_delete_subtree(d, "cn=d.example", &n, &err) ==
	    0 && n == 300);
	test_assert(directory_count(d) == 0);
	directory_close(&d);
	test_end();
}

static void
test_move_merge(const char *base)
{
	static const char *const owned[] = { "cn", "mail" };
	const struct dir_owned own = { owned, 2 };
	struct directory *d;
	struct dir_entry *e, *got;
	struct dir_filter *f;
	struct error err;
	char uuid[37];
	size_t n;

	test_begin("store: a subtree moves");
	d = directory_open(base, &err);
	test_assert(d != NULL);
	e = dir_entry_new("cn=a.example");
	dir_entry_add(e, "cn", "a.example");
	test_assert(directory_put(d, e, false, &err) == 0);
	dir_entry_free(&e);
	e = person("u1", "Ann One", "a.example");
	free(e->dn);
	e->dn = xstrdup("UID=u1 , cn=a.example");	/* written form kept */
	test_assert(directory_put(d, e, false, &err) == 0);
	dir_entry_free(&e);
	e = dir_entry_new("cn=dev,uid=u1,cn=a.example");
	dir_entry_add(e, "cn", "dev");
	test_assert(directory_put(d, e, false, &err) == 0);
	dir_entry_free(&e);
	e = dir_entry_new("cn=b.example");	/* no attributes at all */
	test_assert(directory_put(d, e, false, &err) == 0);
	dir_entry_free(&e);
	got = directory_get(d, "uid=u1,cn=a.example", &err);
	test_assert(got != NULL);
	(void)snprintf(uuid, sizeof(uuid), "%s", got != NULL ? got->uuid : "");
	dir_entry_free(&got);
	test_assert(directory_move_subtree(d, "cn=a.example", "cn=b.example",
	    &n, &err) == -1 && err.kind == ERR_EXISTS);
	test_assert(directory_move_subtree(d, "cn=a.example",
	    "cn=x,cn=a.example", &n, &err) == -1 && err.kind == ERR_PERM);
	test_assert(directory_move_subtree(d, "cn=a.example", "cn=c,cn=nope",
	    &n, &err) == -1 && err.kind == ERR_NOTFOUND);
	test_assert(directory_move_subtree(d, "cn=none", "cn=z", &n, &err) ==
	    -1 && err.kind == ERR_NOTFOUND);
	test_assert(directory_move_subtree(d, "cn=a.example", "cn=C.Example",
	    &n, &err) == 0 && n == 3);
	test_assert(!directory_exists(d, "cn=a.example"));
	got = directory_get(d, "uid=u1,cn=c.example", &err);
	test_assert(got != NULL && strcmp(got->dn, "UID=u1 ,cn=C.Example") ==
	    0 && strcmp(got->uuid, uuid) == 0);
	dir_entry_free(&got);
	got = directory_get(d, "cn=dev,uid=u1,cn=c.example", &err);
	test_assert(got != NULL && strcmp(got->dn,
	    "cn=dev,uid=u1,cn=C.Example") == 0);
	dir_entry_free(&got);
	/* scope one finds the moved children by their new parent */
	test_assert(count(d, "cn=c.example", DIR_SCOPE_ONE, NULL, 5) == 1);
	f = item(DF_EQ, "uid", "u1");
	test_assert(count(d, "cn=c.example", DIR_SCOPE_SUB, f, 5) == 1);
	dir_filter_free(&f);
	test_end();

	test_begin("store: a merging write keeps what it does not own");
	got = directory_get(d, "uid=u1,cn=c.example", &err);
	dir_entry_add(got, "telephoneNumber", "555");
	dir_entry_add(got, "objectClass", "posixAccount");
	test_assert(directory_put(d, got, true, &err) == 0);
	dir_entry_free(&got);
	e = dir_entry_new("uid=u1,cn=c.example");
	dir_entry_add(e, "objectClass", "person");
	dir_entry_add(e, "cn", "New Name");
	test_assert(directory_merge_many(d, &e, 1, &own, &err) == 0);
	dir_entry_free(&e);
	got = directory_get(d, "uid=u1,cn=c.example", &err);
	test_assert(got != NULL);
	test_assert(strcmp(dir_entry_get(got, "cn"), "New Name") == 0);
	test_assert(dir_entry_get(got, "mail") == NULL);	/* owned */
	test_assert(strcmp(dir_entry_get(got, "telephoneNumber"), "555") ==
	    0);
	test_assert(dir_entry_has_value(got, "objectClass", "posixAccount"));
	test_assert(dir_entry_has_value(got, "objectClass", "person"));
	test_assert(strcmp(dir_entry_get(got, "uid"), "u1") == 0);
	dir_entry_free(&got);
	/* a new record is written as given */
	e = dir_entry_new("uid=u2,cn=c.example");
	dir_entry_add(e, "cn", "Two");
	test_assert(directory_merge_many(d, &e, 1, &own, &err) == 0);
	dir_entry_free(&e);
	test_assert(directory_exists(d, "uid=u2,cn=c.example"));
	test_end();

	test_begin("store: member is indexed, also in an older directory");
	e = dir_entry_new("cn=g,cn=c.example");
	dir_entry_add(e, "member", "uid=u1,cn=c.example");
	test_assert(directory_put(d, e, false, &err) == 0);
	dir_entry_free(&e);
	f = item(DF_EQ, "member", "UID=u1,cn=c.example");
	test_assert(count(d, "", DIR_SCOPE_SUB, f, 5) == 1);
	directory_close(&d);
	/* an older directory: no member rows in idx, user_version 0 */
	{
		char cmd[512];

		(void)snprintf(cmd, sizeof(cmd), "sqlite3 %s/Directory/"
		    "directory.db \"DELETE FROM idx WHERE attr = 'member'; "
		    "PRAGMA user_version = 0;\" 2>/dev/null", base);
		if (system(cmd) == 0) {
			d = directory_open(base, &err);
			test_assert(d != NULL);
			test_assert(count(d, "", DIR_SCOPE_SUB, f, 5) == 1);
			directory_close(&d);
		}
	}
	dir_filter_free(&f);
	test_end();
}

int
main(void)
{
	char tmpl[] = "/tmp/dirtestXXXXXX", cmd[64];

	test_dn();
	test_filter();
	if (mkdtemp(tmpl) == NULL)
		return 1;
	test_store(tmpl);
	test_move_merge(tmpl);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
