/* SPDX-License-Identifier: Apache-2.0 */
/*
 * objects_test.c: src/objects -- first start layout, domains (create,
 * rename, delete, aliases), accounts, name rules and uniqueness across kinds
 * and case, forwarders, groups and the directory hooks, three-level
 * settings inheritance, and persistence
 * across a reopen.
 */
#include "lib/compat.h"

#include <sys/stat.h>

#include <ftw.h>
#include <pthread.h>
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

static bool
exists(const char *rel)
{
	char p[1024];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return stat(p, &sb) == 0;
}

static struct dval *
parse(const char *s)
{
	struct dval *d = dict_parse(s, strlen(s), 0, NULL);

	if (d == NULL)
		fprintf(stderr, "bad test dict: %s\n", s);
	return d;
}

/* The one-line text of v (and frees v). */
static char txt[4096];
static const char *
text(struct dval *v)
{
	char *s;

	if (v == NULL)
		return "(null)";
	s = dict_to_text(v);
	snprintf(txt, sizeof(txt), "%s", s);
	free(s);
	dict_free(&v);
	return txt;
}

static bool
contains(struct dval *arr, const char *s)
{
	bool r = false;

	for (size_t i = 0; i < dict_array_len(arr); i++)
		if (strcmp(dict_str(dict_array_get(arr, i), NULL), s) == 0)
			r = true;
	return r;
}

static void
test_first_start(void)
{
	struct objects *o;
	struct error err;
	char name[256];
	struct dval *d;

	test_begin("first start");
	o = objects_open(base, "main.dom", &err);
	test_assert(o != NULL);
	test_assert(exists("Settings") && exists("Accounts") &&
	    exists("Domains") && exists("Settings/Main.settings"));
	objects_main_domain(o, name, sizeof(name));
	test_assert_str(name, "main.dom");
	d = objects_settings_file_get(o, OBJ_SF_SERVER_SETTINGS, NULL, NULL,
	    NULL);
	test_assert_str(dict_get_str(d, "DomainName"), "main.dom");
	dict_free(&d);
	test_assert(objects_domain_is_main(o, "MAIN.dom"));
	objects_close(&o);
	/* A second open ignores the "if new" name. */
	o = objects_open(base, "other.dom", &err);
	objects_main_domain(o, name, sizeof(name));
	test_assert_str(name, "main.dom");
	objects_close(&o);
	test_end();
}

static void
test_names(void)
{
	static const struct {
		const char	*name;
		bool		 ok;
	} t[] = {
		{ "abc", true }, { "John.Smith", true }, { "a_b-c9", true },
		{ "x", true }, { "", false }, { ".abc", false },
		{ "abc.", false }, { "a b", false }, { "a@b", false },
		{ "a/b", false }, { "a%b", false }, { "a+b", false },
		{ "\xc3\xa9t\xc3\xa9", false },
	};
	char longname[OBJECT_NAME_MAX + 2];
	size_t i;

	test_begin("name rules");
	for (i = 0; i < N_ELEMENTS(t); i++)
		if (objects_name_valid(t[i].name) != t[i].ok) {
			fprintf(stderr, "name %s\n", t[i].name);
			test_assert(0);
		}
	memset(longname, 'a', sizeof(longname));
	longname[OBJECT_NAME_MAX] = '\0';
	test_assert(objects_name_valid(longname));
	longname[OBJECT_NAME_MAX] = 'a';
	longname[OBJECT_NAME_MAX + 1] = '\0';
	test_assert(!objects_name_valid(longname));
	test_assert(objects_domain_name_valid("client1.com"));
	test_assert(!objects_domain_name_valid("client1..com"));
	test_assert(!objects_domain_name_valid(".com"));
	test_assert(!objects_domain_name_valid("a/b"));
	test_end();
}

static void
test_domains(void)
{
	struct objects *o;
	struct error err;
	char buf[256];
	struct dval *d, *arr;

	test_begin("domains");
	o = objects_open(base, NULL, &err);
	test_assert(objects_domain_create(o, "client1.com", NULL, &err) == 0);
	test_assert(exists("Domains/client1.com/domain.settings"));
	test_assert(objects_domain_create(o, "CLIENT1.com", NULL, &err) == -1 &&
	    err.kind == ERR_EXISTS);
	test_assert(objects_domain_create(o, "main.dom", NULL, &err) == -1);
	test_assert(objects_domain_create(o, "bad..dom", NULL, &err) == -1 &&
	    err.kind == ERR_SYNTAX);
	d = parse("{MailToUnknown = Discarded; IPAddresses = \"10.0.0.0/8\";}");
	test_assert(objects_domain_create(o, "client2.com", d, &err) == 0);
	dict_free(&d);
	d = parse("{IPAddresses = \"10.0.0.300\";}");
	test_assert(objects_domain_create(o, "client3.com", d, &err) == -1);
	test_assert(!exists("Domains/client3.com"));
	dict_free(&d);
	test_assert_str(text(objects_domain_list(o)),
	    "(client1.com, client2.com, main.dom)");

	test_assert(objects_find_domain(o, "Client1.COM", buf,
	    sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	test_assert(objects_find_domain(o, "nowhere.com", buf,
	    sizeof(buf)) == -1);

	/* Domain aliases: unique across names and aliases, any case. */
	arr = parse("(mail.client1.com, C1.example)");
	test_assert(objects_domain_aliases_set(o, "client1.com", arr,
	    &err) == 0);
	dict_free(&arr);
	test_assert(objects_find_domain(o, "MAIL.client1.com", buf,
	    sizeof(buf)) == 0);
	test_assert_str(buf, "client1.com");
	arr = parse("(c1.EXAMPLE)");
	test_assert(objects_domain_aliases_set(o, "client2.com", arr,
	    &err) == -1 && err.kind == ERR_EXISTS);
	dict_free(&arr);
	arr = parse("(main.dom)");
	test_assert(objects_domain_aliases_set(o, "client2.com", arr,
	    &err) == -1);
	dict_free(&arr);
	arr = parse("(x.com, X.COM)");
	test_assert(objects_domain_aliases_set(o, "client2.com", arr,
	    &err) == -1);
	dict_free(&arr);
	test_assert(objects_domain_create(o, "c1.example", NULL, &err) == -1);
	test_assert_str(text(objects_domain_aliases_get(o, "client1.com",
	    &err)), "(mail.client1.com, C1.example)");
	/* The alias names the domain in every call. */
	test_assert(objects_account_create(o, "info", "mail.client1.com",
	    NULL, NULL, &err) == 0);
	test_assert(exists("Domains/client1.com/info.macnt/account.settings"));

	/* Rename keeps accounts and aliases. */
	test_assert(objects_domain_rename(o, "client1.com", "client2.com",
	    &err) == -1 && err.kind == ERR_EXISTS);
	test_assert(objects_domain_rename(o, "client1.com", "c1.example",
	    &err) == -1);
	test_assert(objects_domain_rename(o, "client1.com", "new1.com",
	    &err) == 0);
	test_assert(!exists("Domains/client1.com"));
	test_assert(exists("Domains/new1.com/info.macnt"));
	test_assert(objects_find_domain(o, "client1.com", buf,
	    sizeof(buf)) == -1);
	test_assert(objects_find_domain(o, "mail.client1.com", buf,
	    sizeof(buf)) == 0);
	test_assert_str(buf, "new1.com");
	test_assert(objects_account_find(o, "INFO", "new1.com", buf,
	    sizeof(buf), NULL, 0, &err) == 0);
	test_assert_str(buf, "info");

	/* Delete: never main; refuse with accounts unless force. */
	test_assert(objects_domain_delete(o, "main.dom", true, &err) == -1);
	test_assert(objects_domain_delete(o, "new1.com", false, &err) == -1);
	test_assert(exists("Domains/new1.com"));
	test_assert(objects_domain_delete(o, "new1.com", true, &err) == 0);
	test_assert(!exists("Domains/new1.com"));
	test_assert(objects_find_domain(o, "mail.client1.com", buf,
	    sizeof(buf)) == -1);
	test_assert(objects_domain_delete(o, "client2.com", false, &err) == 0);
	test_assert(objects_domain_delete(o, "client2.com", false, &err) == -1 &&
	    err.kind == ERR_NOTFOUND);
	test_assert_str(err.msg, "unknown domain");
	test_assert_str(text(objects_domain_list(o)), "(main.dom)");
	objects_close(&o);
	test_end();
}

static void
test_accounts(void)
{
	struct objects *o;
	struct error err;
	char buf[256];
	struct dval *d, *arr;

	test_begin("accounts and uniqueness");
	o = objects_open(base, NULL, &err);
	test_assert(objects_domain_create(o, "d.com", NULL, &err) == 0);
	d = parse("{RealName = \"John Smith\";}");
	test_assert(objects_account_create(o, "john", "d.com", NULL, d,
	    &err) == 0);
	dict_free(&d);
	test_assert(objects_account_create(o, "JOHN", "d.com", NULL, NULL,
	    &err) == -1);
	test_assert_str(err.msg, "Account with this name already exists");
	test_assert(objects_account_create(o, ".john", "d.com", NULL, NULL,
	    &err) == -1);
	test_assert_str(err.msg, "illegal object name");
	test_assert(objects_account_create(o, "x", "d.com", "NoSuchType",
	    NULL, &err) == -1);
	test_assert(objects_account_create(o, "x", "nowhere.com", NULL, NULL,
	    &err) == -1);
	test_assert_str(err.msg, "unknown domain");
	/* Same name in another domain is another account. */
	test_assert(objects_account_create(o, "john", NULL, "TextMailbox",
	    NULL, &err) == 0);
	test_assert(objects_account_type(o, "john", NULL, buf, sizeof(buf),
	    &err) == 0);
	test_assert_str(buf, "TextMailbox");
	test_assert(exists("Accounts/john.macnt/account.settings"));

	/* Account aliases share the name space with accounts, forwarders. */
	arr = parse("(jsmith, John.Smith)");
	test_assert(objects_account_aliases_set(o, "john", "d.com", arr,
	    &err) == 0);
	dict_free(&arr);
	test_assert(objects_find_object(o, "d.com", "JSMITH", buf,
	    sizeof(buf)) == OBJ_ALIAS);
	test_assert_str(buf, "john");
	test_assert(objects_account_create(o, "jsmith", "d.com", NULL, NULL,
	    &err) == -1);
	test_assert_str(err.msg, "Alias with this name already exists");
	test_assert(objects_forwarder_create(o, "John.smith", "d.com",
	    "x@y.com", &err) == -1 && err.kind == ERR_EXISTS);
	test_assert(objects_forwarder_create(o, "sales", "d.com",
	    "boss@elsewhere.com", &err) == 0);
	test_assert(objects_account_create(o, "SALES", "d.com", NULL, NULL,
	    &err) == -1);
	test_assert_str(err.msg, "Forwarder with this name already exists");
	arr = parse("(sales)");
	test_assert(objects_account_aliases_set(o, "john", "d.com", arr,
	    &err) == -1);
	dict_free(&arr);
	test_assert(objects_account_create(o, "bob", "d.com", NULL, NULL,
	    &err) == 0);
	arr = parse("(bob)");
	test_assert(objects_account_aliases_set(o, "john", "d.com", arr,
	    &err) == -1);
	dict_free(&arr);
	test_assert(objects_find_object(o, "d.com", "Sales", buf,
	    sizeof(buf)) == OBJ_FORWARDER);
	test_assert_str(buf, "boss@elsewhere.com");
	test_assert(objects_forwarder_get(o, "SALES", "d.com", buf,
	    sizeof(buf), &err) == 0);
	test_assert_str(buf, "boss@elsewhere.com");
	test_assert_str(text(objects_forwarder_list(o, "d.com", &err)),
	    "(sales)");
	test_assert(objects_find_object(o, "d.com", "nobody", buf,
	    sizeof(buf)) == OBJ_NONE);
	test_assert(objects_find_object(o, "d.com", "John", buf,
	    sizeof(buf)) == OBJ_ACCOUNT);
	test_assert_str(buf, "john");

	/* Rename keeps aliases pointing at the account. */
	test_assert(objects_account_rename(o, "john", "d.com", "bob", &err) ==
	    -1);
	test_assert(objects_account_rename(o, "john", "d.com", "sales", &err) ==
	    -1);
	test_assert(objects_account_rename(o, "john", "d.com", "jo", &err) ==
	    0);
	test_assert(exists("Domains/d.com/jo.macnt") &&
	    !exists("Domains/d.com/john.macnt"));
	test_assert(objects_find_object(o, "d.com", "jsmith", buf,
	    sizeof(buf)) == OBJ_ALIAS);
	test_assert_str(buf, "jo");
	d = objects_settings_file_get(o, OBJ_SF_ACCOUNT_SETTINGS, "jo", "d.com",
	    &err);
	test_assert_str(dict_get_str(d, "RealName"), "John Smith");
	dict_free(&d);
	test_assert_str(text(objects_account_list(o, "d.com", &err)),
	    "(bob, jo)");

	/* Delete removes folder and aliases; names become free. */
	test_assert(objects_account_delete(o, "jo", "d.com", &err) == 0);
	test_assert(!exists("Domains/d.com/jo.macnt"));
	test_assert(objects_find_object(o, "d.com", "jsmith", buf,
	    sizeof(buf)) == OBJ_NONE);
	test_assert(objects_account_delete(o, "jo", "d.com", &err) == -1);
	test_assert_str(err.msg, "unknown account");
	test_assert(objects_account_create(o, "jsmith", "d.com", NULL, NULL,
	    &err) == 0);
	test_assert(objects_forwarder_delete(o, "sales", "d.com", &err) == 0);
	test_assert(objects_forwarder_delete(o, "sales", "d.com", &err) == -1);
	test_assert(objects_account_create(o, "sales", "d.com", NULL, NULL,
	    &err) == 0);

	/* A failed write leaves memory unchanged: a directory where the
	 * temporary file must go makes the write fail even for root. */
	{
		char p[1024];

		snprintf(p, sizeof(p), "%s/Domains/d.com/"
		    "Forwarders.settings.tmp", base);
		test_assert(mkdir(p, 0700) == 0);
		test_assert(objects_forwarder_create(o, "fw2", "d.com",
		    "a@b.c", &err) == -1 && err.kind == ERR_IO);
		test_assert(objects_find_object(o, "d.com", "fw2", buf,
		    sizeof(buf)) == OBJ_NONE);
		test_assert(objects_account_create(o, "fw2", "d.com", NULL,
		    NULL, &err) == 0);
		test_assert(objects_account_delete(o, "fw2", "d.com",
		    &err) == 0);
		snprintf(p, sizeof(p), "%s/Domains/d.com/bob.macnt/"
		    "account.settings.tmp", base);
		test_assert(mkdir(p, 0700) == 0);
		d = parse("{RealName = Bob;}");
		test_assert(objects_settings_file_update(o,
		    OBJ_SF_ACCOUNT_SETTINGS, "bob", "d.com", d, &err) == -1);
		dict_free(&d);
		test_assert_str(text(objects_settings_file_get(o,
		    OBJ_SF_ACCOUNT_SETTINGS, "bob", "d.com", &err)), "{}");
		rmdir(p);
		snprintf(p, sizeof(p), "%s/Domains/d.com/"
		    "Forwarders.settings.tmp", base);
		rmdir(p);
	}
	objects_close(&o);
	test_end();
}

/* objects_account_effective_str() answers as the merged dictionary does. */
static bool
same_as_merged(struct objects *o, const char *name, const char *domain)
{
	static const char *const keys[] = { "MaxAccountSize",
	    "MaxMessageSize", "LogLogin", "RealName", "RequireAPOP", "Foo",
	    "FailedLoginFlow", "NoSuchKey" };
	struct dval *eff = objects_account_effective_get(o, name, domain,
	    NULL);
	char buf[64];
	size_t i;
	bool ok = eff != NULL;

	for (i = 0; ok && i < N_ELEMENTS(keys); i++) {
		const char *want = dict_get_str(eff, keys[i]);
		int r = objects_account_effective_str(o, name, domain, keys[i],
		    buf, sizeof(buf), NULL);

		ok = want != NULL ? r == 0 && strcmp(buf, want) == 0 : r < 0;
	}
	dict_free(&eff);
	return ok;
}

static void
test_inheritance(void)
{
	struct objects *o;
	struct error err;
	struct dval *d, *eff;

	test_begin("three-level settings");
	o = objects_open(base, NULL, &err);
	test_assert(objects_domain_create(o, "inh.com", NULL, &err) == 0);
	test_assert(objects_account_create(o, "u", "inh.com", NULL, NULL,
	    &err) == 0);
	/* Built-in only. */
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "RequireAPOP"), "NO");
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "unlimited");
	test_assert(dict_get(eff, "RealName") == NULL);
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	/* Server level shows in effective, not in explicit. */
	d = parse("{MaxAccountSize = 100M; LogLogin = YES;}");
	test_assert(objects_settings_file_update(o,
	    OBJ_SF_SERVER_ACCOUNT_DEFAULTS, NULL, NULL, d, &err) == 0);
	dict_free(&d);
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "100M");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	test_assert_str(text(objects_settings_file_get(o,
	    OBJ_SF_ACCOUNT_SETTINGS, "u", "inh.com", &err)), "{}");
	/* Domain overrides server. */
	d = parse("{MaxAccountSize = 50M;}");
	test_assert(objects_settings_file_update(o,
	    OBJ_SF_DOMAIN_ACCOUNT_DEFAULTS, NULL, "inh.com", d, &err) == 0);
	dict_free(&d);
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "50M");
	test_assert_str(dict_get_str(eff, "LogLogin"), "YES");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	/* Other domains do not see it. */
	test_assert(objects_account_create(o, "v", NULL, NULL, NULL, &err) == 0);
	eff = objects_account_effective_get(o, "v", NULL, &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "100M");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	/* Account overrides domain; "default" removes. */
	d = parse("{MaxAccountSize = 10M; RealName = U;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_ACCOUNT_SETTINGS,
	    "u", "inh.com", d, &err) == 0);
	dict_free(&d);
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "10M");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	d = parse("{MaxAccountSize = default;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_ACCOUNT_SETTINGS,
	    "u", "inh.com", d, &err) == 0);
	dict_free(&d);
	test_assert_str(text(objects_settings_file_get(o,
	    OBJ_SF_ACCOUNT_SETTINGS, "u", "inh.com", &err)),
	    "{RealName = U; }");
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "50M");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	d = parse("{MaxAccountSize = default;}");
	test_assert(objects_settings_file_update(o,
	    OBJ_SF_DOMAIN_ACCOUNT_DEFAULTS, NULL, "inh.com", d, &err) == 0);
	dict_free(&d);
	eff = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MaxAccountSize"), "100M");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	/* Set replaces. */
	d = parse("{Foo = Bar;}");
	test_assert(objects_settings_file_set(o, OBJ_SF_ACCOUNT_SETTINGS, "u",
	    "inh.com", d, &err) == 0);
	dict_free(&d);
	test_assert_str(text(objects_settings_file_get(o,
	    OBJ_SF_ACCOUNT_SETTINGS, "u", "inh.com", &err)), "{Foo = Bar; }");
	test_assert(same_as_merged(o, "u", "inh.com"));
	test_assert(same_as_merged(o, "v", NULL));
	test_assert(objects_account_effective_str(o, "nobody", "inh.com",
	    "MaxAccountSize", NULL, 0, &err) < 0 && err.kind == ERR_NOTFOUND);
	d = parse("(a)");
	test_assert(objects_settings_file_set(o, OBJ_SF_ACCOUNT_SETTINGS, "u",
	    "inh.com", d, &err) == -1);
	dict_free(&d);

	/* Domain settings over DomainDefault.settings over built-ins. */
	eff = objects_domain_effective_get(o, "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MailToUnknown"), "Rejected");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	d = parse("{MailToUnknown = Discarded; WebSitePrefix = \"~\";}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_DEFAULTS,
	    NULL, NULL, d, &err) == 0);
	dict_free(&d);
	eff = objects_domain_effective_get(o, "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MailToUnknown"), "Discarded");
	test_assert(dict_get(eff, "AccountDefaults") == NULL);
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	/* Domain defaults set keeps the server account defaults. */
	d = parse("{WebSitePrefix = \"~\";}");
	test_assert(objects_settings_file_set(o, OBJ_SF_DOMAIN_DEFAULTS, NULL,
	    NULL, d, &err) == 0);
	dict_free(&d);
	d = objects_settings_file_get(o, OBJ_SF_SERVER_ACCOUNT_DEFAULTS, NULL,
	    NULL, NULL);
	test_assert_str(dict_get_str(d, "MaxAccountSize"), "100M");
	dict_free(&d);
	d = parse("{MailToUnknown = \"Rerouted to\"; "
	    "MailRerouteAddress = \"*@other.com\";}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_SETTINGS,
	    NULL, "inh.com", d, &err) == 0);
	dict_free(&d);
	eff = objects_domain_effective_get(o, "inh.com", &err);
	test_assert_str(dict_get_str(eff, "MailToUnknown"), "Rerouted to");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	d = objects_settings_file_get(o, OBJ_SF_DOMAIN_SETTINGS, NULL,
	    "inh.com", &err);
	test_assert(dict_get(d, "AccountDefaults") == NULL);
	dict_free(&d);
	d = parse("{IPAddresses = \"bad\";}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_SETTINGS,
	    NULL, "inh.com", d, &err) == -1);
	dict_free(&d);

	/* Template copied into new accounts. */
	d = parse("{MaxMessageSize = 5M;}");
	test_assert(objects_settings_file_set(o, OBJ_SF_ACCOUNT_TEMPLATE, NULL,
	    "inh.com", d, &err) == 0);
	dict_free(&d);
	test_assert(objects_account_create(o, "w", "inh.com", NULL, NULL,
	    &err) == 0);
	test_assert_str(text(objects_settings_file_get(o,
	    OBJ_SF_ACCOUNT_SETTINGS, "w", "inh.com", &err)),
	    "{MaxMessageSize = 5M; }");

	/* Prefs: three levels too. */
	d = parse("{Language = German;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_SERVER_ACCOUNT_PREFS,
	    NULL, NULL, d, &err) == 0);
	dict_free(&d);
	d = parse("{RequireFixedNetworkAddress = YES;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_DOMAIN_ACCOUNT_PREFS,
	    NULL, "inh.com", d, &err) == 0);
	dict_free(&d);
	d = parse("{Language = French;}");
	test_assert(objects_settings_file_update(o, OBJ_SF_ACCOUNT_PREFS, "u",
	    "inh.com", d, &err) == 0);
	dict_free(&d);
	eff = objects_account_effective_prefs_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "Language"), "French");
	test_assert_str(dict_get_str(eff, "RequireFixedNetworkAddress"), "YES");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	eff = objects_account_effective_prefs_get(o, "w", "inh.com", &err);
	test_assert_str(dict_get_str(eff, "Language"), "German");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	eff = objects_account_effective_prefs_get(o, "v", NULL, &err);
	test_assert_str(dict_get_str(eff, "RequireFixedNetworkAddress"), "NO");
	dict_free(&eff);
	test_assert(same_as_merged(o, "u", "inh.com"));
	objects_close(&o);
	test_end();
}

static void
test_persistence(void)
{
	struct objects *o;
	struct error err;
	char buf[256];
	struct dval *d, *arr;

	test_begin("persistence");
	o = objects_open(base, NULL, &err);
	test_assert(o != NULL);
	arr = objects_domain_list(o);
	test_assert(contains(arr, "d.com") && contains(arr, "inh.com") &&
	    contains(arr, "main.dom"));
	dict_free(&arr);
	test_assert_str(text(objects_account_list(o, "d.com", &err)),
	    "(bob, jsmith, sales)");
	test_assert(objects_account_type(o, "john", NULL, buf, sizeof(buf),
	    &err) == 0);
	test_assert_str(buf, "TextMailbox");
	d = objects_account_effective_get(o, "u", "inh.com", &err);
	test_assert_str(dict_get_str(d, "MaxAccountSize"), "100M");
	test_assert_str(dict_get_str(d, "Foo"), "Bar");
	dict_free(&d);
	d = objects_domain_effective_get(o, "inh.com", &err);
	test_assert_str(dict_get_str(d, "MailRerouteAddress"), "*@other.com");
	dict_free(&d);
	arr = parse("(alias1.com)");
	test_assert(objects_domain_aliases_set(o, "d.com", arr, &err) == 0);
	dict_free(&arr);
	arr = parse("(bobby)");
	test_assert(objects_account_aliases_set(o, "bob", "d.com", arr,
	    &err) == 0);
	dict_free(&arr);
	test_assert(objects_forwarder_create(o, "fw", "d.com", "a@b.c",
	    &err) == 0);
	objects_close(&o);

	o = objects_open(base, NULL, &err);
	test_assert(objects_find_domain(o, "ALIAS1.com", buf, sizeof(buf)) ==
	    0);
	test_assert_str(buf, "d.com");
	test_assert(objects_find_object(o, "alias1.com", "Bobby", buf,
	    sizeof(buf)) == OBJ_ALIAS);
	test_assert_str(buf, "bob");
	test_assert(objects_find_object(o, "d.com", "fw", buf, sizeof(buf)) ==
	    OBJ_FORWARDER);
	test_assert_str(buf, "a@b.c");
	/* Reload sees changes made behind our back (SIGHUP). */
	{
		struct objects *o2 = objects_open(base, NULL, &err);

		test_assert(objects_account_create(o2, "late", "d.com", NULL,
		    NULL, &err) == 0);
		objects_close(&o2);
	}
	test_assert(objects_find_object(o, "d.com", "late", buf,
	    sizeof(buf)) == OBJ_NONE);
	test_assert(objects_reload(o, &err) == 0);
	test_assert(objects_find_object(o, "d.com", "late", buf,
	    sizeof(buf)) == OBJ_ACCOUNT);
	test_assert(objects_find_object(o, "d.com", "bobby", buf,
	    sizeof(buf)) == OBJ_ALIAS);
	objects_close(&o);
	test_end();
}

/* What the directory hooks were told. */
static char hook_log[2048];

static void
note_object(void *arg ATTR_UNUSED, enum objects_dir_event ev,
    enum obj_kind kind, const char *name, const char *domain,
    const char *oldname)
{
	size_t n = strlen(hook_log);

	snprintf(hook_log + n, sizeof(hook_log) - n, "o%d.%d %s@%s%s%s;",
	    (int)ev, (int)kind, name, domain, oldname != NULL ? "<" : "",
	    oldname != NULL ? oldname : "");
}

static void
note_domain(void *arg ATTR_UNUSED, enum objects_dir_event ev,
    const char *domain, const char *oldname, const struct dval *eff)
{
	size_t n = strlen(hook_log);

	snprintf(hook_log + n, sizeof(hook_log) - n, "d%d %s%s%s%s;",
	    (int)ev, domain, oldname != NULL ? "<" : "",
	    oldname != NULL ? oldname : "", eff != NULL ? " eff" : "");
}

static const struct objects_dir_hooks test_hooks = {
	NULL, NULL, note_object, note_domain
};

static void
test_groups(void)
{
	struct objects *o;
	struct error err;
	struct dval *d;
	char buf[256];

	test_begin("groups and the directory hooks");
	o = objects_open(base, NULL, &err);
	test_assert(o != NULL);
	objects_set_dir_hooks(o, &test_hooks, NULL);
	hook_log[0] = '\0';
	test_assert(objects_domain_create(o, "g.com", NULL, &err) == 0);
	d = parse("{RealName = Team; Members = (a, \"b@x.org\");}");
	test_assert(objects_group_create(o, "Team", "g.com", d, &err) == 0);
	dict_free(&d);
	test_assert(objects_group_create(o, "team", "g.com", NULL, &err) ==
	    -1 && err.kind == ERR_EXISTS);
	test_assert(objects_account_create(o, "TEAM", "g.com", NULL, NULL,
	    &err) == -1 && err.kind == ERR_EXISTS);
	test_assert(objects_find_object(o, "g.com", "team", buf,
	    sizeof(buf)) == OBJ_GROUP);
	test_assert_str(buf, "Team");
	d = parse("{Members = x;}");
	test_assert(objects_group_set(o, "team", "g.com", d, &err) == -1 &&
	    err.kind == ERR_SYNTAX);
	dict_free(&d);
	d = parse("{Members = (c);}");
	test_assert(objects_group_set(o, "team", "g.com", d, &err) == 0);
	dict_free(&d);
	test_assert_str(text(objects_group_get(o, "TEAM", "g.com", &err)),
	    "{Members = (c); }");
	test_assert(objects_group_rename(o, "team", "g.com", "crew", &err) ==
	    0);
	test_assert_str(text(objects_group_list(o, "g.com", &err)), "(crew)");
	test_assert(objects_forwarder_create(o, "fw", "g.com", "a@b.c",
	    &err) == 0);
	test_assert(objects_forwarder_delete(o, "FW", "g.com", &err) == 0);
	test_assert(objects_domain_delete(o, "g.com", false, &err) == -1 &&
	    err.kind == ERR_PERM);
	objects_close(&o);
	/* kept on disk */
	o = objects_open(base, NULL, &err);
	objects_set_dir_hooks(o, &test_hooks, NULL);
	test_assert_str(text(objects_group_list(o, "g.com", &err)), "(crew)");
	test_assert(objects_domain_rename(o, "g.com", "h.com", &err) == 0);
	test_assert(objects_group_delete(o, "crew", "h.com", &err) == 0);
	test_assert(objects_group_get(o, "crew", "h.com", &err) == NULL &&
	    err.kind == ERR_NOTFOUND);
	d = parse("(h.net)");
	test_assert(objects_domain_aliases_set(o, "h.com", d, &err) == 0);
	dict_free(&d);
	test_assert(objects_domain_delete(o, "h.com", false, &err) == 0);
	objects_close(&o);
	test_assert_str(hook_log, "o0.4 Team@g.com;o2.4 Team@g.com;"
	    "o1.4 crew@g.com<Team;o0.3 fw@g.com;o3.3 fw@g.com;"
	    "d1 h.com<g.com;o3.4 crew@h.com;d2 h.com;d3 h.com eff;");
	test_end();
}

struct thr_arg {
	struct objects	*o;
	int		 hits;
};

static void *
reader(void *p)
{
	struct thr_arg *a = p;
	char buf[256];
	int i;

	for (i = 0; i < 2000; i++)
		if (objects_find_object(a->o, "d.com", "bob", buf,
		    sizeof(buf)) == OBJ_ACCOUNT)
			a->hits++;
	return NULL;
}

static void
test_threads(void)
{
	struct thr_arg args[4];
	pthread_t t[4];
	struct objects *o;
	struct error err;
	char name[32];
	int i;

	test_begin("concurrent readers and writers");
	o = objects_open(base, NULL, &err);
	for (i = 0; i < 4; i++) {
		args[i].o = o;
		args[i].hits = 0;
		pthread_create(&t[i], NULL, reader, &args[i]);
	}
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "tmp%d", i);
		test_assert(objects_account_create(o, name, "d.com", NULL,
		    NULL, &err) == 0);
		test_assert(objects_account_delete(o, name, "d.com",
		    &err) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		test_assert(args[i].hits == 2000);
	}
	objects_close(&o);
	test_end();
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/objects_test.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	test_first_start();
	test_names();
	test_domains();
	test_accounts();
	test_inheritance();
	test_persistence();
	test_groups();
	test_threads();
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
