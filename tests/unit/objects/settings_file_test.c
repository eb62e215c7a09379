/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings_file_test.c: every named settings file of objects
 * (objects_settings_file_*), walked from its constant: a get on a fresh base
 * works, set then get round-trips, update merges and "default" removes,
 * the files sharing one file on disk stay apart, an unknown owner is
 * ERR_NOTFOUND, and everything is there again after a reopen.
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

static char base[256];

static int
rm_cb(const char *p, const struct stat *sb ATTR_UNUSED, int f,
    struct FTW *ftw ATTR_UNUSED)
{
	return f == FTW_DP ? rmdir(p) : unlink(p);
}

static struct dval *
parse(const char *s)
{
	return dict_parse(s, strlen(s), 0, NULL);
}

/* The owner of each scope in this test. */
static const char *
owner_name(enum obj_settings_file w)
{
	return objects_settings_file_scope(w) == OBJ_SCOPE_ACCOUNT ? "u" : NULL;
}

static const char *
owner_domain(enum obj_settings_file w)
{
	return objects_settings_file_scope(w) == OBJ_SCOPE_SERVER ? NULL :
	    "d.com";
}

static struct dval *
get(struct objects *o, enum obj_settings_file w)
{
	struct error err;

	error_clear(&err);
	return objects_settings_file_get(o, w, owner_name(w), owner_domain(w),
	    &err);
}

/* The text value of key in file w, "" when absent. */
static char val[256];
static const char *
value(struct objects *o, enum obj_settings_file w, const char *key)
{
	struct dval *d = get(o, w);
	const char *s = d != NULL ? dict_get_str(d, key) : NULL;

	snprintf(val, sizeof(val), "%s", s != NULL ? s : "");
	dict_free(&d);
	return val;
}

static void
test_walk(struct objects *o)
{
	struct error err;
	struct dval *d, *in;
	int w;

	test_begin("settings files: get, set, update of each");
	for (w = 0; w < OBJ_SF_COUNT; w++) {
		const char *n = objects_settings_file_name(w);
		char v[64];

		test_assert(n != NULL && *n != '\0' && strcmp(n, "?") != 0);
		/* fresh: a dictionary */
		d = get(o, w);
		test_assert(d != NULL && dict_type(d) == DICT_DICT);
		dict_free(&d);
		/* set, then get round-trips */
		snprintf(v, sizeof(v), "{ TstA = \"%s-a\"; TstB = b; }", n);
		in = parse(v);
		error_clear(&err);
		test_assert(objects_settings_file_set(o, w, owner_name(w),
		    owner_domain(w), in, &err) == 0);
		dict_free(&in);
		snprintf(v, sizeof(v), "%s-a", n);
		test_assert_str(value(o, w, "TstA"), v);
		test_assert_str(value(o, w, "TstB"), "b");
		/* update merges; "default" removes */
		in = parse("{ TstC = c; TstB = default; }");
		test_assert(objects_settings_file_update(o, w, owner_name(w),
		    owner_domain(w), in, &err) == 0);
		dict_free(&in);
		test_assert_str(value(o, w, "TstA"), v);
		test_assert_str(value(o, w, "TstB"), "");
		test_assert_str(value(o, w, "TstC"), "c");
		/* set replaces */
		in = parse("{ TstD = d; }");
		test_assert(objects_settings_file_set(o, w, owner_name(w),
		    owner_domain(w), in, &err) == 0);
		test_assert_str(value(o, w, "TstC"), "");
		test_assert(objects_settings_file_update(o, w, owner_name(w),
		    owner_domain(w), in, &err) == 0);
		dict_free(&in);
		/* not a dictionary */
		in = parse("(a, b)");
		test_assert(objects_settings_file_set(o, w, owner_name(w),
		    owner_domain(w), in, &err) == -1);
		test_assert(err.kind == ERR_SYNTAX);
		dict_free(&in);
		/* an unknown owner */
		if (objects_settings_file_scope(w) != OBJ_SCOPE_SERVER) {
			error_clear(&err);
			d = objects_settings_file_get(o, w, "nobody", "no.com",
			    &err);
			test_assert(d == NULL && err.kind == ERR_NOTFOUND);
			in = parse("{ X = y; }");
			test_assert(objects_settings_file_update(o, w,
			    "nobody", "no.com", in, &err) == -1);
			dict_free(&in);
		}
	}
}

/* The files sharing one file on disk stay apart, and what other functions
 * own is kept. */
static void
test_apart(struct objects *o)
{
	struct dval *d;
	int w;

	test_begin("settings files: apart and kept");
	for (w = 0; w < OBJ_SF_COUNT; w++)
		test_assert_str(value(o, w, "TstD"), "d");
	d = get(o, OBJ_SF_DOMAIN_DEFAULTS);
	test_assert(dict_get(d, "AccountDefaults") == NULL);
	dict_free(&d);
	d = get(o, OBJ_SF_DOMAIN_SETTINGS);
	test_assert(dict_get(d, "AccountDefaults") == NULL &&
	    dict_get(d, "AccountPrefs") == NULL);
	dict_free(&d);
	/* Main.settings keeps DomainName */
	test_assert_str(value(o, OBJ_SF_SERVER_SETTINGS, "DomainName"),
	    "main.dom");
}

int
main(void)
{
	struct error err;
	struct objects *o;

	snprintf(base, sizeof(base), "/tmp/settings_file_test.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	error_clear(&err);
	o = objects_open(base, "main.dom", &err);
	test_assert(o != NULL);
	if (o == NULL)
		return test_done();
	test_assert(objects_domain_create(o, "d.com", NULL, &err) == 0);
	test_assert(objects_account_create(o, "u", "d.com", NULL, NULL,
	    &err) == 0);
	test_walk(o);
	test_apart(o);
	objects_close(&o);
	o = objects_open(base, NULL, &err);
	test_assert(o != NULL);
	if (o != NULL)
		test_apart(o);
	objects_close(&o);
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
