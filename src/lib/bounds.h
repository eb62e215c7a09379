/*
 * bounds.h: every input limit in one place, each with its reason.  Settings
 * may move a limit only within the range given beside it.
 */
#ifndef TEGAMI_LIB_BOUNDS_H
#define TEGAMI_LIB_BOUNDS_H

#define DICT_DEPTH_MAX		64	/* nesting of arrays/dictionaries in data format */
#define DICT_TEXT_MAX		(16 * 1024 * 1024)	/* one settings file / CLI argument */
#define ADDRESS_MAX		1024	/* one e-mail address as text */
#define OBJECT_NAME_MAX		128	/* account/alias/domain object name (CGP rule) */
#define DOMAIN_NAME_MAX		255	/* RFC 1035 */
#define ROUTER_PASSES_MAX	10	/* router table applications before "routing loop" */
#define ROUTER_TABLE_MAX	(1024 * 1024)	/* router table text */
#define CLI_LINE_MAX		(1024 * 1024)	/* one CLI command line (settings can be big) */
#define CLI_ERRORS_MAX		20	/* bad CLI commands before we hang up */
#define LOG_LINE_MAX		4096	/* one log record, longer ones are cut */
#define LOGS_KEEP_DAYS_MAX	36500	/* LogsKeepDays: a century; 0 = keep all */
#define PASSWORD_MAX		256	/* a password as given by a client */
#define IPLIST_TEXT_MAX		(1024 * 1024)	/* one network address list */

#endif
