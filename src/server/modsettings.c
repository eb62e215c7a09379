/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modsettings.c: the settings tables of every module and the files they
 * read; see modsettings.h.  Adding a module's settings is one line here.
 */
#include "lib/compat.h"

#include "lib/bounds.h"
#include "lib/log.h"
#include "lib/settings.h"
#include "net/listener_settings.h"
#include "objects/objects.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "delivery/smtp_out.h"
#include "dnr/dnr.h"
#include "imap/imap.h"
#include "ldap/ldap.h"
#include "pop/pop.h"
#include "queue/queue_settings.h"
#include "server/modsettings.h"
#include "core/server.h"
#include "smtp/smtp.h"
#include "webadmin/webadmin.h"
#include "webuser/webuser.h"

static const struct setting_def server_defs[] = {
	SETTING_NUM("LogsKeepDays", struct server_conf, logs_keep_days, 0, 0,
	    LOGS_KEEP_DAYS_MAX),
	SETTING("CertificateFile", SETTING_STRING, SETTING_AT_RESTART,
	    struct server_conf, cert_file, 0, 0, 0, "", 0),
	SETTING("PrivateKeyFile", SETTING_STRING, SETTING_AT_RESTART,
	    struct server_conf, key_file, 0, 0, 0, "", 0),
};

const struct settings_table server_settings_table =
    SETTINGS_TABLE("Main", struct server_conf, server_defs);

const struct modsettings modsettings_all[] = {
	{ "Main", &server_settings_table },
	{ "SMTP", &smtp_settings_table },
	{ "SMTP", &smtp_out_settings_table },
	{ "IMAP", &imap_settings_table },
	{ "POP", &pop_settings_table },
	{ "PWD", &cli_settings_table },
	{ "QUEUE", &queue_settings_table },
	{ "Protection", &auth_settings_table },
	{ "DNR", &dnr_settings_table },
	{ "HTTPA", &webadmin_settings_table },
	{ "LDAP", &ldap_settings_table },
	{ "HTTPU", &webuser_settings_table },
};
const size_t modsettings_count = N_ELEMENTS(modsettings_all);

/* The log tags of the services (net/listener.c): each names the file of
 * its listener limits. */
const char *const modsettings_listener_files[] = {
	"SMTP", "POP", "IMAP", "HTTPA", "HTTPU", "LDAP", "PWD", NULL
};

static void
report(void *arg, const struct settings_table *t, const struct error *e)
{
	const char *file = arg;

	(void)t;
	log_mod(&log_system, LOG_PROBLEM, "Settings/%s.settings: %s; the "
	    "default is used", file, e->msg);
}

void
modsettings_register(struct server *srv)
{
	size_t i;

	for (i = 0; i < modsettings_count; i++)
		objects_settings_register(srv->objects, modsettings_all[i].file,
		    modsettings_all[i].t, report,
		    (void *)modsettings_all[i].file);
	for (i = 0; modsettings_listener_files[i] != NULL; i++)
		objects_settings_register(srv->objects,
		    modsettings_listener_files[i], &listener_settings_table,
		    report, (void *)modsettings_listener_files[i]);
}
