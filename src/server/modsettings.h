/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modsettings.h: which settings tables (lib/settings.h) belong to which
 * settings file: the place that wires the modules' tables together, for
 * the start (registration, with a log line for each bad stored value),
 * GetModule and the unit test that checks every table.
 */
#ifndef TEGAMI_SERVER_MODSETTINGS_H
#define TEGAMI_SERVER_MODSETTINGS_H

#include "lib/compat.h"

struct server;
struct settings_table;

struct modsettings {
	const char			*file;	/* Settings/<file>.settings */
	const struct settings_table	*t;
};

/* Settings/Main.settings as the server reads it (tegamid.c). */
struct server_conf {
	uint64_t	 logs_keep_days;	/* LogsKeepDays; 0 = keep all */
	const char	*cert_file;		/* CertificateFile */
	const char	*key_file;		/* PrivateKeyFile */
};
extern const struct settings_table server_settings_table;

/* The modules' own tables (SMTP, IMAP, QUEUE ...). */
extern const struct modsettings modsettings_all[];
extern const size_t modsettings_count;

/* The settings files whose services take listener limits
 * (net/listener_settings.h), NULL-terminated: "SMTP", "POP", ... */
extern const char *const modsettings_listener_files[];

/* Registers every table with srv->objects (objects_settings_register).  A
 * stored value that is bad is logged on SYSTEM as a problem and the
 * setting takes its default: the server starts (docs/admin-cli.md). */
void	modsettings_register(struct server *srv);

#endif
