/* SPDX-License-Identifier: Apache-2.0 */
/*
 * account_check_test.c: the account settings table is sound, and
 * obj_account_settings_check() takes good values, "default" and unknown
 * keys and refuses bad values naming the setting.
 */
#include "lib/compat.h"

#include <string.h>

#include "lib/dict.h"
#include "lib/settings.h"
#include "lib/test.h"
#include "objects/objects_private.h"

static int
check(const char *text, struct error *e)
{
	struct dval *d;
	int rc;

	d = dict_parse(text, strlen(text), 0, e);
	test_assert(d != NULL);
	if (d == NULL)
		return -2;
	rc = obj_account_settings_check(d, e);
	dict_free(&d);
	return rc;
}

int
main(void)
{
	struct error e;

	test_begin("the table is sound");
	test_assert(settings_table_check(&obj_account_settings_table, &e) == 0);

	test_begin("good values, default and unknown keys");
	test_assert(check("{MaxAccountSize=10M; MaxMessageSize=unlimited; "
	    "MaxMailboxes=-1; PasswordEncryption=clear; RulesAllowed=Any; "
	    "RequireAPOP=YES; FailedLoginFlow=(3,10m); RealName=\"A B\"; "
	    "Custom=(1,2);}", &e) == 0);
	test_assert(check("{MaxAccountSize=default; MaxMailboxes=\"10000\";}",
	    &e) == 0);

	test_begin("bad values name the setting");
	test_assert(check("{MaxAccountSize=10X;}", &e) == -1 &&
	    strstr(e.msg, "MaxAccountSize") != NULL);
	test_assert(check("{MaxMailboxes=\"-2\";}", &e) == -1 &&
	    strstr(e.msg, "MaxMailboxes") != NULL);
	test_assert(check("{MaxMailboxes=\"10001\";}", &e) == -1);
	test_assert(check("{MaxMailboxes=\"99999999999999999999999\";}",
	    &e) == -1);
	test_assert(check("{PasswordEncryption=rot13;}", &e) == -1 &&
	    strstr(e.msg, "PasswordEncryption") != NULL);
	test_assert(check("{LogLogin=often;}", &e) == -1);
	test_assert(check("{FailedLoginFlow=(0,1m);}", &e) == -1);
	return test_done();
}
