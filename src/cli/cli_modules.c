/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_modules.c: module settings with their effective values (see
 * cli_modules.h).
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "delivery/units.h"
#include "net/listener.h"
#include "net/listener_limits.h"
#include "objects/objects.h"
#include "queue/queue.h"
#include "core/server.h"
#include "smtp/smtp.h"
#include "cli/cli_modules.h"

/* Mirrors of defaults that live in private headers or .c files
 * (imap_private.h, queue.c). */
#define IMAP_SESSIONS_DEFAULT_V	20	/* IMAP_SESSIONS_DEFAULT */
#define IMAP_SESSIONS_MAX_V	1000	/* IMAP_SESSIONS_MAX */
#define QUEUE_WORKERS_DEFAULT_V	4	/* queue.c: workers 0 = 4 */
static const uint32_t queue_retry_default[] = {	/* default_retry */
	60, 300, 900, 1800, 3600, 7200, 14400
};

/* How a reader parses a value. */
enum ms_kind {
	MS_SMTP_NUM,		/* conf_number: number or size text, clamped */
	MS_SMTP_YES,		/* smtp conf_yes: YES, 1 or true */
	MS_IMAP_YES,		/* imap: YES (any case) or 1 */
	MS_IMAP_SESSIONS,	/* imap: a string 1..max, else the default */
	MS_QUEUE_TIME,		/* MaxQueueTime: a duration >= 1 minute */
	MS_QUEUE_RETRY,		/* RetrySchedule: 1..32 positive durations */
	MS_QUEUE_WORKERS	/* Processors: 1..QUEUE_WORKERS_MAX */
};

struct mset {
	const char	*name;
	enum ms_kind	 kind;
	uint64_t	 def, min, max;
	bool		 size;		/* written with a K/M/G suffix */
};

static const struct mset smtp_sets[] = {
	{ "MaxMessageSize", MS_SMTP_NUM, SMTP_MSG_SIZE_DEFAULT,
	  SMTP_MSG_SIZE_MIN, SMTP_MSG_SIZE_MAX, true },
	{ "MaxRecipients", MS_SMTP_NUM, SMTP_RCPT_DEFAULT, SMTP_RCPT_MIN,
	  SMTP_RCPT_MAX, false },
	{ "MaxErrors", MS_SMTP_NUM, SMTP_ERRORS_DEFAULT, SMTP_ERRORS_MIN,
	  SMTP_ERRORS_MAX, false },
	{ "MaxIdleCommands", MS_SMTP_NUM, SMTP_IDLE_CMDS_DEFAULT,
	  SMTP_IDLE_CMDS_MIN, SMTP_IDLE_CMDS_MAX, false },
	{ "MaxHeaderFields", MS_SMTP_NUM, SMTP_HEADERS_DEFAULT,
	  SMTP_HEADERS_MIN, SMTP_HEADERS_MAX, false },
	{ "CommandTimeout", MS_SMTP_NUM, SMTP_CMD_TIMEOUT_DEFAULT,
	  SMTP_TIMEOUT_MIN, SMTP_TIMEOUT_MAX, false },
	{ "DataTimeout", MS_SMTP_NUM, SMTP_DATA_TIMEOUT_DEFAULT,
	  SMTP_TIMEOUT_MIN, SMTP_TIMEOUT_MAX, false },
	{ "MinDataRate", MS_SMTP_NUM, SMTP_DATA_RATE_DEFAULT, 0,
	  SMTP_DATA_RATE_MAX, false },
	{ "MaxDataTime", MS_SMTP_NUM, SMTP_DATA_TIME_DEFAULT,
	  SMTP_DATA_TIME_MIN, SMTP_DATA_TIME_MAX, false },
	{ "RequireTLSForAUTH", MS_SMTP_YES, 0, 0, 0, false },
};

static const struct mset imap_sets[] = {
	{ "RequireTLS", MS_IMAP_YES, 0, 0, 0, false },
	{ "MaxSessionsPerAccount", MS_IMAP_SESSIONS, IMAP_SESSIONS_DEFAULT_V,
	  1, IMAP_SESSIONS_MAX_V, false },
};

static const struct mset queue_sets[] = {
	{ "MaxQueueTime", MS_QUEUE_TIME, QUEUE_DEFAULT_MAX_TIME, 60,
	  UINT32_MAX, false },
	{ "RetrySchedule", MS_QUEUE_RETRY, 0, 1, UINT32_MAX, false },
	{ "Processors", MS_QUEUE_WORKERS, QUEUE_WORKERS_DEFAULT_V, 1,
	  QUEUE_WORKERS_MAX, false },
};

struct mdesc {
	const char		*module;
	const struct mset	*sets;
	size_t			 n;
};

static const struct mdesc modules[] = {
	{ "SMTP", smtp_sets, N_ELEMENTS(smtp_sets) },
	{ "IMAP", imap_sets, N_ELEMENTS(imap_sets) },
	{ "QUEUE", queue_sets, N_ELEMENTS(queue_sets) },
};

const char *
cli_module_file_name(const char *module)
{
	return strcasecmp(module, "CLI") == 0 ? "PWD" : module;
}

int
cli_module_log_level(const struct dval *v)
{
	const char *lv = v != NULL ? dict_str(v, NULL) : NULL;

	if (v != NULL && dict_type(v) == DICT_STRING && lv != NULL &&
	    lv[0] >= '0' && lv[0] <= '5' && lv[1] == '\0')
		return lv[0] - '0';
	if (v != NULL && dict_type(v) == DICT_NUMBER && dict_number(v) >= 0 &&
	    dict_number(v) <= 5)
		return (int)dict_number(v);
	return LOG_PROBLEM;
}

/* ---- value parsing, as each reader does it ----------------------------- */

static void
put_size(struct dval *d, const char *key, uint64_t n)
{
	static const char units[] = "KMG";
	char txt[32];
	int i;

	for (i = 2; i >= 0; i--) {
		uint64_t u = (uint64_t)1 << (10 * (i + 1));

		if (n != 0 && n % u == 0) {
			snprintf(txt, sizeof(txt), "%llu%c",
			    (unsigned long long)(n / u), units[i]);
			dict_set_str(d, key, txt);
			return;
		}
	}
	snprintf(txt, sizeof(txt), "%llu", (unsigned long long)n);
	dict_set_str(d, key, txt);
}

static void
put_number(struct dval *d, const char *key, uint64_t n)
{
	char txt[32];

	snprintf(txt, sizeof(txt), "%llu", (unsigned long long)n);
	dict_set_str(d, key, txt);
}

/* A duration in the largest unit that divides it ("5d", "90m", "45s"). */
static struct dval *
duration_text(uint32_t t)
{
	static const struct { uint32_t secs; char u; } units[] = {
		{ 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }
	};
	char txt[32];
	size_t i;

	for (i = 0; i < N_ELEMENTS(units); i++) {
		if (t != 0 && t % units[i].secs == 0) {
			snprintf(txt, sizeof(txt), "%lu%c",
			    (unsigned long)(t / units[i].secs), units[i].u);
			return dict_new_string(txt, strlen(txt));
		}
	}
	snprintf(txt, sizeof(txt), "%lus", (unsigned long)t);
	return dict_new_string(txt, strlen(txt));
}

static bool
yes_text(const struct dval *v, bool imap)
{
	const char *s = v != NULL && dict_type(v) == DICT_STRING ?
	    dict_str(v, NULL) : NULL;

	if (s == NULL)
		return false;
	if (imap)
		return strcasecmp(s, "YES") == 0 || strcmp(s, "1") == 0;
	return strcasecmp(s, "YES") == 0 || strcasecmp(s, "1") == 0 ||
	    strcasecmp(s, "true") == 0;
}

static void
put_effective(struct dval *d, const struct mset *m, const struct dval *v)
{
	struct dval *arr;
	struct error e;
	uint32_t t;
	uint64_t u;
	size_t i, n;

	switch (m->kind) {
	case MS_SMTP_NUM:
		if (m->size)
			put_size(d, m->name, smtp_setting_number(v, m->def, m->min,
			    m->max));
		else
			put_number(d, m->name, smtp_setting_number(v, m->def, m->min,
			    m->max));
		break;
	case MS_SMTP_YES:
	case MS_IMAP_YES:
		dict_set_str(d, m->name, yes_text(v, m->kind == MS_IMAP_YES) ?
		    "YES" : "NO");
		break;
	case MS_IMAP_SESSIONS:
		u = m->def;
		if (v != NULL && dict_type(v) == DICT_STRING) {
			unsigned long x = strtoul(dict_str(v, NULL), NULL, 10);

			if (x >= m->min && x <= m->max)
				u = x;
		}
		put_number(d, m->name, u);
		break;
	case MS_QUEUE_TIME:
		t = (uint32_t)m->def;
		if (v != NULL && units_duration_dval(v, &t, &e) == 0 &&
		    t >= m->min)
			;
		else
			t = (uint32_t)m->def;
		dict_set(d, m->name, duration_text(t));
		break;
	case MS_QUEUE_RETRY:
		arr = dict_new_array();
		n = v != NULL && dict_type(v) == DICT_ARRAY ?
		    dict_array_len(v) : 0;
		for (i = 0; i < n && i < QUEUE_RETRY_STEPS_MAX; i++) {
			if (units_duration_dval(dict_array_get(v, i), &t,
			    &e) < 0 || t == 0)
				break;
			dict_array_push(arr, duration_text(t));
		}
		if (n == 0 || i != n || n > QUEUE_RETRY_STEPS_MAX) {
			dict_free(&arr);
			arr = dict_new_array();
			for (i = 0; i < N_ELEMENTS(queue_retry_default); i++)
				dict_array_push(arr,
				    duration_text(queue_retry_default[i]));
		}
		dict_set(d, m->name, arr);
		break;
	case MS_QUEUE_WORKERS:
		u = m->def;
		if (v != NULL && dict_type(v) == DICT_NUMBER &&
		    dict_number(v) >= (int64_t)m->min &&
		    dict_number(v) <= (int64_t)m->max)
			u = (uint64_t)dict_number(v);
		else if (v != NULL && dict_type(v) == DICT_STRING &&
		    units_size(dict_str(v, NULL), &u, NULL) == 0 &&
		    u >= m->min && u <= m->max)
			;
		else
			u = m->def;
		put_number(d, m->name, u);
		break;
	}
}

/* ---- which module reads what -------------------------------------------- */

struct log_find {
	const char	*name;
	bool		 found;
};

static void
find_log(struct log_module *m, void *arg)
{
	struct log_find *f = arg;

	if (strcasecmp(m->name, f->name) == 0)
		f->found = true;
}

/* The listener limits, as services.c reads them (net/listener_limits). */
static void
put_channels(struct dval *d, const struct dval *stored)
{
	struct listener_limits lim;

	(void)listener_limits_read(stored, &lim, NULL);
	put_number(d, "MaxChannels", lim.max_channels);
	put_number(d, "MaxChannelsPerIP", lim.max_per_ip);
	put_number(d, "MaxChannelsPerNetwork", lim.max_per_net);
	put_number(d, "PreLoginTimeout", lim.prelogin_ms / 1000);
	put_number(d, "LineTimeout", lim.line_ms / 1000);
}

struct dval *
cli_module_effective(struct server *srv, const char *module,
    struct error *err_r)
{
	const char *file = cli_module_file_name(module);
	struct log_find lf = { file, false };
	const struct mdesc *md = NULL;
	struct dval *stored, *d;
	bool listens = false;
	size_t i;

	if ((stored = objects_module_get(srv->objects, file, err_r)) == NULL)
		return NULL;
	log_foreach(find_log, &lf);
	for (i = 0; i < N_ELEMENTS(modules); i++)
		if (strcasecmp(modules[i].module, file) == 0)
			md = &modules[i];
	/* The services whose listener limits this module's settings set
	 * (services.c apply_limits): the service table's log tag. */
	listens = listener_module_listens(file);
	if (!lf.found && md == NULL && !listens)
		return stored;
	d = dict_clone(stored);
	if (lf.found)
		put_number(d, "LogLevel", (uint64_t)cli_module_log_level(
		    dict_get(stored, "LogLevel")));
	if (listens)
		put_channels(d, stored);
	for (i = 0; md != NULL && i < md->n; i++)
		put_effective(d, &md->sets[i], dict_get(stored,
		    md->sets[i].name));
	dict_free(&stored);
	return d;
}

int
cli_module_check(const char *module, const struct dval *d,
    struct error *err_r)
{
	const struct dval *v;
	struct error e;
	uint32_t t;
	uint64_t u;
	size_t i, n;

	if (strcasecmp(cli_module_file_name(module), "QUEUE") != 0)
		return 0;
	if ((v = dict_get(d, "MaxQueueTime")) != NULL &&
	    (units_duration_dval(v, &t, &e) < 0 || t < 60))
		return error_set(err_r, ERR_SYNTAX,
		    "MaxQueueTime: a time of at least 1m expected");
	if ((v = dict_get(d, "RetrySchedule")) != NULL) {
		n = dict_type(v) == DICT_ARRAY ? dict_array_len(v) : 0;
		if (n == 0 || n > QUEUE_RETRY_STEPS_MAX)
			return error_set(err_r, ERR_SYNTAX, "RetrySchedule: "
			    "1 to %d times expected", QUEUE_RETRY_STEPS_MAX);
		for (i = 0; i < n; i++)
			if (units_duration_dval(dict_array_get(v, i), &t,
			    &e) < 0 || t == 0)
				return error_set(err_r, ERR_SYNTAX,
				    "RetrySchedule: element %zu is not a "
				    "positive time", i + 1);
	}
	if ((v = dict_get(d, "Processors")) != NULL &&
	    !(dict_type(v) == DICT_NUMBER && dict_number(v) >= 1 &&
	    dict_number(v) <= QUEUE_WORKERS_MAX) &&
	    !(dict_type(v) == DICT_STRING &&
	    units_size(dict_str(v, NULL), &u, NULL) == 0 && u >= 1 &&
	    u <= QUEUE_WORKERS_MAX))
		return error_set(err_r, ERR_SYNTAX, "Processors: 1 to %d "
		    "expected", QUEUE_WORKERS_MAX);
	return 0;
}
