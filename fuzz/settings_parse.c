/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings_parse.c: libFuzzer target for the settings value parsers
 * (src/lib/settings.c).  The raw bytes go through the number, size, time
 * and yes/no parsers; then, read as one data-format value, through every
 * setting type of a small table and the whole-table check.  Invariants: a
 * value that loads lies within its setting's [min, max]; a time list has
 * 1..SETTINGS_LIST_MAX elements; an error names the setting; the snapshot
 * frees all it owns (ASan).  The same value also goes as RelayHost and as
 * the DNR's Servers through the real tables, whose check hooks parse a
 * host[:port] (smtp_out_parse_target, dnr_parse_server).
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/smtp_out.h"
#include "dnr/dnr.h"
#include "lib/dict.h"
#include "lib/iplist.h"
#include "lib/settings.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fconf {
	uint64_t		 num, size, secs, dur;
	bool			 yes;
	const char		*str, *addr;
	const struct iplist	*ips;
	unsigned		 mode;
	struct setting_times	 times;
	struct setting_rate	 rate;
	struct setting_words	 wl;
};

static const char *const words[] = { "Off", "Low", "High", NULL };

static const struct setting_def defs[] = {
	SETTING_NUM("V", struct fconf, num, 20, 1, 1000),
	SETTING_SIZE_("V", struct fconf, size, 1024, 1024, 256 * 1024 * 1024),
	SETTING_SECS("V", struct fconf, secs, 300, 1, 3600),
	SETTING_DURATION("V", struct fconf, dur, 86400, 60, UINT32_MAX),
	SETTING_BOOL("V", struct fconf, yes, false),
	SETTING_STR("V", struct fconf, str, "x"),
	SETTING_ADDR("V", struct fconf, addr, "postmaster"),
	SETTING_IPS("V", struct fconf, ips, "127.0.0.1"),
	SETTING_ENUM_("V", struct fconf, mode, "Low", words),
	SETTING_TIMES_("V", struct fconf, times, "1m", 1, UINT32_MAX),
	SETTING_RATE_("V", struct fconf, rate, 10, 0, 64, "1m"),
	SETTING_WORDS_("V", struct fconf, wl),
};

/* One setting per table, so that the check names "V". */
static const struct settings_table tables[] = {
	{ "F", sizeof(struct fconf), &defs[0], 1 },
	{ "F", sizeof(struct fconf), &defs[1], 1 },
	{ "F", sizeof(struct fconf), &defs[2], 1 },
	{ "F", sizeof(struct fconf), &defs[3], 1 },
	{ "F", sizeof(struct fconf), &defs[4], 1 },
	{ "F", sizeof(struct fconf), &defs[5], 1 },
	{ "F", sizeof(struct fconf), &defs[6], 1 },
	{ "F", sizeof(struct fconf), &defs[7], 1 },
	{ "F", sizeof(struct fconf), &defs[8], 1 },
	{ "F", sizeof(struct fconf), &defs[9], 1 },
	{ "F", sizeof(struct fconf), &defs[10], 1 },
	{ "F", sizeof(struct fconf), &defs[11], 1 },
};

static void
check_loaded(const struct setting_def *d, const struct fconf *c)
{
	const uint64_t *u;
	unsigned i;

	switch (d->type) {
	case SETTING_NUMBER:
	case SETTING_SIZE:
	case SETTING_TIME:
		u = (const uint64_t *)((const char *)c + d->offset);
		if (*u < d->min || *u > d->max)
			abort();
		break;
	case SETTING_TIMES:
		if (c->times.n == 0 || c->times.n > SETTINGS_LIST_MAX)
			abort();
		for (i = 0; i < c->times.n; i++)
			if (c->times.v[i] < d->min || c->times.v[i] > d->max)
				abort();
		break;
	case SETTING_ENUM:
		if (c->mode > 2)
			abort();
		break;
	case SETTING_RATE:
		if (c->rate.n < d->min || c->rate.n > d->max ||
		    c->rate.secs < 1 || c->rate.secs > SETTINGS_RATE_PERIOD_MAX)
			abort();
		break;
	case SETTING_WORDS:
		if (c->wl.n > SETTINGS_LIST_MAX)
			abort();
		for (i = 0; i < c->wl.n; i++) {
			size_t n = strlen(c->wl.v[i]), j;

			if (n == 0 || n > SETTINGS_WORD_MAX)
				abort();
			for (j = 0; j < n; j++)
				if ((unsigned char)c->wl.v[i][j] <= 0x20)
					abort();
		}
		break;
	case SETTING_STRING:
	case SETTING_ADDRESS:
	case SETTING_IPLIST:
	case SETTING_BOOL:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct settings_snap *snap;
	struct dval *v, *d;
	struct fconf c;
	struct error e;
	uint64_t u;
	size_t i;
	bool b;

	(void)settings_parse_u64(s, size, &u, NULL);
	(void)settings_parse_size(s, size, &u, &b, NULL);
	(void)settings_parse_time(s, size, &u, NULL);
	(void)settings_parse_bool(s, size, &b, NULL);

	if ((v = dict_parse(s, size, 0, NULL)) == NULL)
		return 0;
	d = dict_new_dict();
	dict_set(d, "V", v);
	for (i = 0; i < N_ELEMENTS(tables); i++) {
		memset(&c, 0, sizeof(c));
		if (settings_value(&defs[i], v, &c, NULL) == 0)
			check_loaded(&defs[i], &c);
		settings_conf_release(&tables[i], &c);
		if (settings_check(&tables[i], d, &e) < 0 &&
		    strncmp(e.msg, "V: ", 3) != 0)
			abort();
		snap = settings_snap_new(&tables[i], d, NULL, NULL);
		check_loaded(&defs[i], settings_snap_conf(snap));
		settings_snap_unref(&snap);
	}
	v = dict_clone(v);		/* d owned the first */
	dict_free(&d);
	/* The per-setting check hooks of real tables. */
	d = dict_new_dict();
	dict_set(d, "RelayHost", dict_clone(v));
	if (settings_check(&smtp_out_settings_table, d, &e) < 0 &&
	    strncmp(e.msg, "RelayHost: ", 11) != 0)
		abort();
	dict_free(&d);
	d = dict_new_dict();
	dict_set(d, "Servers", v);
	if (settings_check(&dnr_settings_table, d, &e) < 0 &&
	    strncmp(e.msg, "Servers: ", 9) != 0)
		abort();
	dict_free(&d);
	return 0;
}
