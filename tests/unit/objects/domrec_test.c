/* SPDX-License-Identifier: Apache-2.0 */
/*
 * domrec_test.c: src/objects/domrec.c, the named records of a domain that
 * forwarders and groups share -- calling domrec_* with both kinds: create
 * (name, value check, a name taken by the other kind, the value freed on
 * every failure), rename, set, delete, read, sorted list, the events told
 * to the directory hooks, and which records of a hand-written file are
 * indexed at load.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

static char base[256];
static char events[1024];

static int
rm_cb(const char *p, const struct stat *sb ATTR_UNUSED, int f,
    struct FTW *ftw ATTR_UNUSED)
{
	return f == FTW_DP ? rmdir(p) : unlink(p);
}

static void
note(void *arg ATTR_UNUSED, enum objects_dir_event ev, enum obj_kind kind,
    const char *name, const char *domain, const char *oldname)
{
	size_t n = strlen(events);

	snprintf(events + n, sizeof(events) - n, "%d/%d %s@%s%s%s ", (int)ev,
	    (int)kind, name, domain, oldname != NULL ? " was " : "",
	    oldname != NULL ? oldname : "");
}

static const struct objects_dir_hooks hooks = { .object_changed = note };

/* The one-line text of v, which is freed. */
static const char *
show(struct dval *v)
{
	static char out[512];
	char *s;

	if (v == NULL)
		return "(null)";
	s = dict_to_text(v);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	dict_free(&v);
	return out;
}

static struct dval *
val(const char *s)
{
	return dict_parse(s, strlen(s), 0, NULL);
}

static void
test_records(void)
{
	const struct domrec_kind *fw = &domrec_forwarders, *gr = &domrec_groups;
	struct objects *o;
	struct error err;

	test_begin("create, rename, set, delete, list through domrec");
	o = objects_open(base, "main.dom", &err);
	test_assert(o != NULL);
	objects_set_dir_hooks(o, &hooks, NULL);
	test_assert(objects_domain_create(o, "d.com", NULL, &err) == 0);
	test_assert(domrec_create(o, fw, "Sales", "d.com",
	    dict_new_cstr("boss@x.com"), &err) == 0);
	test_assert(domrec_create(o, gr, "staff", "D.COM",
	    val("{Members = (a, b@c.com);}"), &err) == 0);
	test_assert(domrec_create(o, gr, "all", "d.com", dict_new_dict(),
	    &err) == 0);
	test_assert_str(events, "0/3 Sales@d.com 0/4 staff@d.com "
	    "0/4 all@d.com ");

	/* Failures free the value they were given (ASan would see a leak). */
	test_assert(domrec_create(o, gr, "SALES", "d.com", dict_new_dict(),
	    &err) == -1 && err.kind == ERR_EXISTS);
	test_assert_str(err.msg, "Forwarder with this name already exists");
	test_assert(domrec_create(o, fw, "a b", "d.com", dict_new_cstr("x@y"),
	    &err) == -1);
	test_assert_str(err.msg, "illegal object name");
	test_assert(domrec_create(o, fw, "f", "d.com", dict_new_cstr("x\r\n"),
	    &err) == -1);
	test_assert_str(err.msg, "illegal address");
	test_assert(domrec_create(o, gr, "g", "d.com",
	    val("{Members = x;}"), &err) == -1);
	test_assert_str(err.msg, "Members: array expected");
	test_assert(domrec_create(o, gr, "g", "no.com", dict_new_dict(),
	    &err) == -1 && err.kind == ERR_NOTFOUND);
	test_assert(domrec_set(o, gr, "Sales", "d.com", dict_new_dict(),
	    &err) == -1);
	test_assert_str(err.msg, "unknown group");
	test_assert(domrec_delete(o, fw, "staff", "d.com", &err) == -1);
	test_assert_str(err.msg, "unknown forwarder");

	test_assert_str(show(domrec_list(o, gr, "d.com", &err)),
	    "(all, staff)");
	test_assert_str(show(domrec_list(o, fw, "d.com", &err)), "(Sales)");
	test_assert(domrec_list(o, fw, "no.com", &err) == NULL);
	test_assert_str(show(domrec_value(o, fw, "sales", "d.com", &err)),
	    "\"boss@x.com\"");
	test_assert_str(show(domrec_value(o, gr, "STAFF", "d.com", &err)),
	    "{Members = (a, \"b@c.com\"); }");

	events[0] = '\0';
	test_assert(domrec_rename(o, gr, "staff", "d.com", "sales", &err) ==
	    -1 && err.kind == ERR_EXISTS);
	test_assert(domrec_rename(o, gr, "staff", "d.com", "Team", &err) == 0);
	test_assert(domrec_rename(o, gr, "team", "d.com", "TEAM", &err) == 0);
	test_assert(domrec_set(o, gr, "team", "d.com", val("{RealName = T;}"),
	    &err) == 0);
	test_assert(domrec_delete(o, fw, "SALES", "d.com", &err) == 0);
	test_assert_str(events, "1/4 Team@d.com was staff "
	    "1/4 TEAM@d.com was Team 2/4 TEAM@d.com 3/3 Sales@d.com ");
	test_assert_str(show(domrec_list(o, gr, "d.com", &err)),
	    "(all, TEAM)");
	test_assert_str(show(domrec_list(o, fw, "d.com", &err)), "()");
	/* The name is free again for any kind. */
	test_assert(domrec_create(o, gr, "sales", "d.com", dict_new_dict(),
	    &err) == 0);
	objects_close(&o);

	/* What was written is what is read back. */
	o = objects_open(base, NULL, &err);
	test_assert(o != NULL);
	test_assert_str(show(domrec_list(o, gr, "d.com", &err)),
	    "(all, sales, TEAM)");
	test_assert_str(show(domrec_value(o, gr, "team", "d.com", &err)),
	    "{RealName = T; }");
	objects_close(&o);
	test_end();
}

static void
test_index(void)
{
	char path[512];
	struct objects *o;
	struct error err;
	struct dval *d;

	test_begin("index at load: legal names, the right value, first wins");
	snprintf(path, sizeof(path), "%s/Domains/d.com/Forwarders.settings",
	    base);
	d = val("{ok = \"a@b.c\"; grp = \"x@y.z\"; \"bad name\" = \"a@b.c\"; "
	    "dict = {}; }");
	test_assert(dict_file_write(path, d, &err) == 0);
	dict_free(&d);
	snprintf(path, sizeof(path), "%s/Domains/d.com/Groups.settings", base);
	d = val("{grp = {}; str = \"x\"; ok = {}; }");
	test_assert(dict_file_write(path, d, &err) == 0);
	dict_free(&d);
	o = objects_open(base, NULL, &err);
	test_assert(o != NULL);
	/* Forwarders are indexed first: "ok" and "grp" are theirs. */
	test_assert_str(show(domrec_list(o, &domrec_forwarders, "d.com",
	    &err)), "(grp, ok)");
	test_assert_str(show(domrec_list(o, &domrec_groups, "d.com", &err)),
	    "()");
	test_assert(domrec_delete(o, &domrec_groups, "grp", "d.com", &err) ==
	    -1);
	test_assert(domrec_delete(o, &domrec_forwarders, "grp", "d.com",
	    &err) == 0);
	objects_close(&o);
	test_end();
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/domrec_test.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	test_records();
	test_index();
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
