/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password_test.c: src/objects passwords (yescrypt storage, clear passwords
 * of imported servers, initial.password removal) and the postmaster account
 * at every start (docs/behaviour.md, B3), including a pre-seeded clear
 * postmaster.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dict.h"
#include "lib/test.h"
#include "objects/objects.h"

static int
rm_cb(const char *p, const struct stat *sb ATTR_UNUSED, int f,
    struct FTW *ftw ATTR_UNUSED)
{
	return f == FTW_DP ? rmdir(p) : unlink(p);
}

static void
rmtree(const char *p)
{
	nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int
read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void
test_postmaster(void)
{
	char base[64], pw[64], pw2[64], path[1024], content[128];
	struct objects *o;
	struct error err;
	struct stat sb;
	struct dval *d;

	test_begin("postmaster (B3)");
	snprintf(base, sizeof(base), "/tmp/objpw_test.XXXXXX");
	test_assert(mkdtemp(base) != NULL);
	o = objects_open(base, "main.dom", &err);
	test_assert(o != NULL);
	test_assert(objects_ensure_postmaster(o, pw, sizeof(pw), &err) == 1);
	test_assert(strlen(pw) == OBJECTS_PASSWORD_GEN);
	test_assert(strpbrk(pw, "0O1lI") == NULL);
	objects_initial_password_path(o, path, sizeof(path));
	test_assert(strstr(path, "/Accounts/postmaster.macnt/initial.password")
	    != NULL);
	test_assert(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	test_assert(read_file(path, content, sizeof(content)) == 0);
	content[strcspn(content, "\n")] = '\0';
	test_assert_str(content, pw);
	test_assert(objects_check_password(o, "postmaster", NULL, content,
	    &err) == 0);
	test_assert(objects_check_password(o, "PostMaster", "MAIN.DOM", pw,
	    &err) == 0);
	test_assert(objects_check_password(o, "postmaster", NULL, "wrong",
	    &err) == -1 && err.kind == ERR_AUTH);
	test_assert(objects_account_has_master(o, "postmaster", NULL));
	/* Stored hashed, never in clear. */
	d = objects_settings_file_get(o, OBJ_SF_ACCOUNT_SETTINGS, "postmaster",
	    NULL, &err);
	test_assert(strncmp(dict_get_str(d, "Password"), "$y$", 3) == 0);
	test_assert_str(dict_get_str(d, "PasswordEncryption"), "U-crpt");
	dict_free(&d);
	test_assert(objects_get_clear_password(o, "postmaster", NULL, content,
	    sizeof(content), &err) == -1);

	/* Next start: exists, nothing to do. */
	test_assert(objects_ensure_postmaster(o, pw2, sizeof(pw2), &err) == 0);
	/* Deleted postmaster comes back with a new password. */
	test_assert(objects_account_delete(o, "postmaster", NULL, &err) == 0);
	test_assert(stat(path, &sb) == -1);
	objects_close(&o);
	o = objects_open(base, NULL, &err);
	test_assert(objects_ensure_postmaster(o, pw2, sizeof(pw2), &err) == 1);
	test_assert(strcmp(pw, pw2) != 0);
	test_assert(objects_check_password(o, "postmaster", NULL, pw2,
	    &err) == 0);
	test_assert(objects_check_password(o, "postmaster", NULL, pw,
	    &err) == -1);
	test_assert(objects_account_has_master(o, "postmaster", NULL));

	/* Setting the password removes initial.password. */
	test_assert(stat(path, &sb) == 0);
	test_assert(objects_set_password(o, "postmaster", NULL, "n3w secret",
	    &err) == 0);
	test_assert(stat(path, &sb) == -1);
	test_assert(objects_check_password(o, "postmaster", NULL, "n3w secret",
	    &err) == 0);
	test_assert(objects_check_password(o, "postmaster", NULL, pw2,
	    &err) == -1);
	objects_close(&o);
	/* Persisted hash. */
	o = objects_open(base, NULL, &err);
	test_assert(objects_check_password(o, "postmaster", NULL, "n3w secret",
	    &err) == 0);
	objects_close(&o);
	rmtree(base);
	test_end();
}

static void
test_preseeded(void)
{
	char base[64], path[1024], pw[64];
	struct objects *o;
	struct error err;
	FILE *f;

	test_begin("pre-seeded clear postmaster");
	snprintf(base, sizeof(base), "/tmp/objpw_test.XXXXXX");
	test_assert(mkdtemp(base) != NULL);
	snprintf(path, sizeof(path), "%s/Accounts", base);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/Accounts/postmaster.macnt", base);
	mkdir(path, 0700);
	snprintf(path, sizeof(path),
	    "%s/Accounts/postmaster.macnt/account.settings", base);
	f = fopen(path, "w");
	test_assert(f != NULL);
	fputs("{ Password = cp@nel; PasswordEncryption = clear; "
	    "UseAppPassword = YES; }\n", f);
	fclose(f);
	o = objects_open(base, "seed.dom", &err);
	test_assert(o != NULL);
	test_assert(objects_ensure_postmaster(o, pw, sizeof(pw), &err) == 0);
	test_assert(objects_account_has_master(o, "postmaster", NULL));
	test_assert(objects_check_password(o, "postmaster", NULL, "cp@nel",
	    &err) == 0);
	test_assert(objects_check_password(o, "postmaster", NULL, "cp@ne",
	    &err) == -1);
	test_assert(objects_check_password(o, "postmaster", NULL, "cp@nell",
	    &err) == -1);
	test_assert(objects_check_password(o, "postmaster", NULL, "",
	    &err) == -1);
	test_assert(objects_get_clear_password(o, "postmaster", NULL, pw,
	    sizeof(pw), &err) == 0);
	test_assert_str(pw, "cp@nel");
	test_assert(objects_check_password(o, "nobody", NULL, "x", &err) ==
	    -1 && err.kind == ERR_NOTFOUND);

	/* Clear without PasswordEncryption (imported), and no password. */
	test_assert(objects_account_create(o, "imp", NULL, NULL, NULL,
	    &err) == 0);
	test_assert(objects_check_password(o, "imp", NULL, "", &err) == -1);
	{
		struct dval *d = dict_new_dict();

		dict_set_str(d, "Password", "plain");
		test_assert(objects_settings_file_set(o,
		    OBJ_SF_ACCOUNT_SETTINGS, "imp", NULL, d, &err) == 0);
		dict_free(&d);
	}
	test_assert(objects_check_password(o, "imp", NULL, "plain", &err) == 0);
	/* Secondary-domain accounts never hold Master. */
	test_assert(objects_domain_create(o, "sec.dom", NULL, &err) == 0);
	test_assert(objects_account_create(o, "adm", "sec.dom", NULL, NULL,
	    &err) == 0);
	{
		struct dval *r = dict_new_array();

		dict_array_push_cstr(r, "Master");
		test_assert(objects_account_rights_set(o, "adm", "sec.dom", r,
		    &err) == 0);
		dict_free(&r);
	}
	test_assert(!objects_account_has_master(o, "adm", "sec.dom"));
	test_assert(!objects_account_has_master(o, "imp", NULL));
	objects_close(&o);
	rmtree(base);
	test_end();
}

int
main(void)
{
	test_postmaster();
	test_preseeded();
	return test_done();
}
