/* SPDX-License-Identifier: Apache-2.0 */
/*
 * account_check.c: the values of an account's settings, checked when they
 * are written (CreateAccount, UpdateAccountSettings and SetAccountSettings,
 * the domain's and the server's AccountDefaults, the Account Template), so
 * that a typo ("MaxAccountSize = 10X") is refused with the setting's name
 * and what is allowed instead of being stored and read as something else
 * later.  Keys the table does not know (RealName, custom ones) are stored
 * as given, as in the original.
 */
#include "lib/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dict.h"
#include "lib/settings.h"
#include "objects/objects_private.h"

struct account_conf {
	uint64_t	 max_account_size, max_message_size;
	const char	*max_mailboxes;
	unsigned	 password_encryption, rules_allowed, mailbox_type;
	bool		 require_apop, use_app_password, use_sys_password;
	bool		 pwd_allowed, rpop_allowed, log_login;
	struct setting_rate failed_login_flow;
	const char	*real_name;
};

static const char *const encryptions[] = { "U-crpt", "clear", NULL };
static const char *const rules[] = { "No", "Filter Only", "All But Exec",
    "Any", NULL };
static const char *const mailbox_types[] = { "TextMailbox", "MailDirMailbox",
    NULL };

/* MaxMailboxes: a count, or -1 for no limit (the original's form). */
static int
check_mailboxes(const void *field, struct error *err_r)
{
	const char *s = *(const char *const *)field;
	char *end;
	long long v;

	if (strcmp(s, "unlimited") == 0)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < -1 ||
	    v > OBJECTS_MAILBOXES_MAX)
		return error_set(err_r, ERR_SYNTAX, "-1 (no limit) or 0 to %d "
		    "expected, got \"%s\"", OBJECTS_MAILBOXES_MAX, s);
	return 0;
}

static const struct setting_def defs[] = {
	SETTING_SIZE_("MaxAccountSize", struct account_conf, max_account_size,
	    UINT64_MAX, 0, UINT64_MAX),
	SETTING_SIZE_("MaxMessageSize", struct account_conf, max_message_size,
	    UINT64_MAX, 0, UINT64_MAX),
	SETTING_STR_CHECK("MaxMailboxes", struct account_conf, max_mailboxes,
	    "-1", check_mailboxes),
	SETTING_ENUM_("PasswordEncryption", struct account_conf,
	    password_encryption, "U-crpt", encryptions),
	SETTING_ENUM_("RulesAllowed", struct account_conf, rules_allowed,
	    "Filter Only", rules),
	SETTING_ENUM_("DefaultMailboxType", struct account_conf, mailbox_type,
	    "TextMailbox", mailbox_types),
	SETTING_BOOL("RequireAPOP", struct account_conf, require_apop, false),
	SETTING_BOOL("UseAppPassword", struct account_conf, use_app_password,
	    true),
	SETTING_BOOL("UseSysPassword", struct account_conf, use_sys_password,
	    false),
	SETTING_BOOL("PWDAllowed", struct account_conf, pwd_allowed, true),
	SETTING_BOOL("RPOPAllowed", struct account_conf, rpop_allowed, false),
	SETTING_BOOL("LogLogin", struct account_conf, log_login, false),
	SETTING_RATE_("FailedLoginFlow", struct account_conf,
	    failed_login_flow, 10, 1, 1000000, "1m"),
	SETTING_STR("RealName", struct account_conf, real_name, ""),
};

const struct settings_table obj_account_settings_table =
    SETTINGS_TABLE("Account", struct account_conf, defs);

int
obj_account_settings_check(const struct dval *in, struct error *err_r)
{
	struct dval *d;
	size_t i;
	int rc;

	if (in == NULL || dict_type(in) != DICT_DICT)
		return 0;
	/* "default" removes a key: nothing to check there. */
	d = dict_clone(in);
	for (i = dict_len(d); i > 0; i--) {
		const struct dval *v = dict_value_at(d, i - 1);

		if (dict_type(v) == DICT_STRING &&
		    strcmp(dict_str(v, NULL), "default") == 0)
			dict_remove(d, dict_key_at(d, i - 1));
	}
	rc = settings_check(&obj_account_settings_table, d, err_r);
	dict_free(&d);
	return rc;
}
