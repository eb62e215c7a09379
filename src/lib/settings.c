/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings.c: value parsers, the loader into a module's struct, the
 * effective text form, refcounted snapshots and their holder; see
 * settings.h.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/iplist.h"
#include "lib/settings.h"
#include "lib/xmalloc.h"

struct settings_snap {
	atomic_uint			 refs;
	const struct settings_table	*t;
	void				*conf;
	char				**iptext;	/* IP lists as given */
};

/* ---- value parsers ------------------------------------------------------ */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
settings_parse_u64(const char *s, size_t len, uint64_t *v_r,
    struct error *err_r)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return error_set(err_r, ERR_SYNTAX, "digits expected");
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return error_set(err_r, ERR_SYNTAX, "digits expected");
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return error_set(err_r, ERR_LIMIT, "number too large");
		v = v * 10 + d;
	}
	*v_r = v;
	return 0;
}

/* Digits followed by a suffix from units (matched case-insensitively);
 * the multiplier of the suffix found, or 1 with none. */
struct unit {
	const char	*suffix;
	uint64_t	 mul;
};

static int
parse_with_units(const char *s, size_t len, const struct unit *units,
    size_t nunits, uint64_t *v_r, struct error *err_r)
{
	uint64_t v, mul = 1;
	size_t n = 0, i;

	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0)
		return error_set(err_r, ERR_SYNTAX, "digits expected");
	if (n < len) {
		for (i = 0; i < nunits; i++) {
			size_t sl = strlen(units[i].suffix);

			if (sl == len - n &&
			    strncasecmp(s + n, units[i].suffix, sl) == 0) {
				mul = units[i].mul;
				break;
			}
		}
		if (i == nunits)
			return error_set(err_r, ERR_SYNTAX, "unknown unit");
	}
	if (settings_parse_u64(s, n, &v, err_r) < 0)
		return -1;
	if (v != 0 && mul > UINT64_MAX / v)
		return error_set(err_r, ERR_LIMIT, "number too large");
	*v_r = v * mul;
	return 0;
}

static const struct unit size_units[] = {
	{ "K", 1024ULL }, { "M", 1024ULL * 1024 },
	{ "G", 1024ULL * 1024 * 1024 }, { "T", 1024ULL * 1024 * 1024 * 1024 }
};

static const struct unit time_units[] = {
	{ "s", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
	{ "d", 86400 }, { "w", 7 * 86400 }
};

int
settings_parse_size(const char *s, size_t len, uint64_t *v_r,
    bool *unlimited_r, struct error *err_r)
{
	*unlimited_r = len == 9 && strncasecmp(s, "unlimited", 9) == 0;
	if (*unlimited_r) {
		*v_r = 0;
		return 0;
	}
	return parse_with_units(s, len, size_units, N_ELEMENTS(size_units),
	    v_r, err_r);
}

int
settings_parse_time(const char *s, size_t len, uint64_t *v_r,
    struct error *err_r)
{
	return parse_with_units(s, len, time_units, N_ELEMENTS(time_units),
	    v_r, err_r);
}

int
settings_parse_bool(const char *s, size_t len, bool *v_r,
    struct error *err_r)
{
	static const char *const yes[] = { "YES", "1", "true" };
	static const char *const no[] = { "NO", "0", "false" };
	size_t i;

	for (i = 0; i < N_ELEMENTS(yes); i++) {
		if (len == strlen(yes[i]) && strncasecmp(s, yes[i], len) == 0) {
			*v_r = true;
			return 0;
		}
		if (len == strlen(no[i]) && strncasecmp(s, no[i], len) == 0) {
			*v_r = false;
			return 0;
		}
	}
	return error_set(err_r, ERR_SYNTAX, "YES or NO expected");
}

/* ---- text forms --------------------------------------------------------- */

static void
size_text(uint64_t n, char *out, size_t size)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		uint64_t u = (uint64_t)1 << (10 * (i + 1));

		if (n != 0 && n % u == 0) {
			(void)snprintf(out, size, "%llu%c",
			    (unsigned long long)(n / u), units[i]);
			return;
		}
	}
	(void)snprintf(out, size, "%llu", (unsigned long long)n);
}

/* A time in the largest unit that divides it ("5d", "90m", "45s"). */
static void
time_text(uint64_t t, char *out, size_t size)
{
	static const struct { uint64_t secs; char u; } units[] = {
		{ 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(units); i++) {
		if (t != 0 && t % units[i].secs == 0) {
			(void)snprintf(out, size, "%llu%c",
			    (unsigned long long)(t / units[i].secs), units[i].u);
			return;
		}
	}
	(void)snprintf(out, size, "%llus", (unsigned long long)t);
}

static void
num_text(const struct setting_def *d, uint64_t n, char *out, size_t size)
{
	if (d->type == SETTING_SIZE)
		size_text(n, out, size);
	else if (d->type == SETTING_TIME && !(d->flags & SETTING_F_SECONDS))
		time_text(n, out, size);
	else if (d->type == SETTING_TIMES)
		time_text(n, out, size);
	else
		(void)snprintf(out, size, "%llu", (unsigned long long)n);
}

/* The value as the message shows it: at most 64 bytes, non-printable bytes
 * as '?', numbers as #N. */
static void
shown(const struct dval *v, char *out, size_t size)
{
	const char *s;
	size_t len, i, o = 0;

	if (dict_type(v) == DICT_NUMBER) {
		(void)snprintf(out, size, "#%lld", (long long)dict_number(v));
		return;
	}
	if (dict_type(v) != DICT_STRING || (s = dict_str(v, &len)) == NULL) {
		(void)snprintf(out, size, "(not a string)");
		return;
	}
	for (i = 0; i < len && o + 4 < size && i < 64; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ?
		    s[i] : '?';
	if (i < len && o + 4 < size) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}

/* ---- one value ---------------------------------------------------------- */

static void *
field(void *conf, const struct setting_def *d)
{
	return (char *)conf + d->offset;
}

static int
range_error(const struct setting_def *d, const struct dval *v,
    struct error *err_r)
{
	char lo[32], hi[32], got[80];

	num_text(d, d->min, lo, sizeof(lo));
	num_text(d, d->max, hi, sizeof(hi));
	if (v != NULL)
		shown(v, got, sizeof(got));
	else
		(void)snprintf(got, sizeof(got), "?");
	if (d->type == SETTING_SIZE && d->max == UINT64_MAX)
		(void)snprintf(hi, sizeof(hi), "unlimited");
	return error_set(err_r, ERR_SYNTAX, "%s to %s expected, got \"%s\"",
	    lo, hi, got);
}

/* A number, size or time from v (a number object or a string). */
static int
value_u64(const struct setting_def *d, const struct dval *v, uint64_t *n_r,
    struct error *err_r)
{
	struct error e;
	const char *s;
	size_t len;
	bool unl = false;
	int r;

	if (dict_type(v) == DICT_NUMBER) {
		if (dict_number(v) < 0)
			return range_error(d, v, err_r);
		*n_r = (uint64_t)dict_number(v);
	} else if (dict_type(v) == DICT_STRING &&
	    (s = dict_str(v, &len)) != NULL) {
		while (len > 0 && is_space(*s)) {
			s++;
			len--;
		}
		while (len > 0 && is_space(s[len - 1]))
			len--;
		if (d->type == SETTING_SIZE)
			r = settings_parse_size(s, len, n_r, &unl, &e);
		else if (d->type == SETTING_TIME || d->type == SETTING_TIMES)
			r = settings_parse_time(s, len, n_r, &e);
		else
			r = settings_parse_u64(s, len, n_r, &e);
		if (r < 0)
			return range_error(d, v, err_r);
		if (unl)
			*n_r = d->max;	/* "unlimited": the highest allowed */
	} else
		return range_error(d, v, err_r);
	if (*n_r < d->min || *n_r > d->max)
		return range_error(d, v, err_r);
	return 0;
}

static int
value_times(const struct setting_def *d, const struct dval *v,
    struct setting_times *t, struct error *err_r)
{
	char got[80];
	uint64_t n;
	size_t i, len;

	len = dict_type(v) == DICT_ARRAY ? dict_array_len(v) : 0;
	if (len == 0 || len > SETTINGS_LIST_MAX) {
		if (dict_type(v) == DICT_ARRAY)
			(void)snprintf(got, sizeof(got), "%zu elements", len);
		else
			shown(v, got, sizeof(got));
		return error_set(err_r, ERR_SYNTAX, "1 to %d times expected, "
		    "got \"%s\"", SETTINGS_LIST_MAX, got);
	}
	for (i = 0; i < len; i++) {
		if (value_u64(d, dict_array_get(v, i), &n, err_r) < 0) {
			char msg[sizeof(err_r->msg)];

			if (err_r != NULL) {
				(void)snprintf(msg, sizeof(msg), "%s",
				    err_r->msg);
				(void)error_set(err_r, ERR_SYNTAX, "element %zu: "
				    "%s", i + 1, msg);
			}
			return -1;
		}
		t->v[i] = (uint32_t)n;
	}
	t->n = (unsigned)len;
	return 0;
}

int
settings_parse_rate(const struct dval *v, struct setting_rate *r_r,
    struct error *err_r)
{
	static const struct setting_def count = { "count", SETTING_NUMBER,
	    SETTING_AT_ONCE, 0, 0, 0, UINT64_MAX, NULL, NULL, 0, NULL };
	static const struct setting_def period = { "period", SETTING_TIME,
	    SETTING_AT_ONCE, 0, 0, 1, SETTINGS_RATE_PERIOD_MAX, NULL, NULL,
	    0, NULL };
	char got[80], msg[sizeof(err_r->msg)];
	uint64_t n, t;
	bool n_ok;

	if (dict_type(v) != DICT_ARRAY || dict_array_len(v) != 2) {
		if (dict_type(v) == DICT_ARRAY)
			(void)snprintf(got, sizeof(got), "%zu elements",
			    dict_array_len(v));
		else
			shown(v, got, sizeof(got));
		return error_set(err_r, ERR_SYNTAX, "(count, period) expected, "
		    "got \"%s\"", got);
	}
	n_ok = value_u64(&count, dict_array_get(v, 0), &n, err_r) == 0;
	if (!n_ok ||
	    value_u64(&period, dict_array_get(v, 1), &t, err_r) < 0) {
		if (err_r != NULL) {
			(void)snprintf(msg, sizeof(msg), "%s", err_r->msg);
			(void)error_set(err_r, ERR_SYNTAX, "(count, period): "
			    "%s: %s", n_ok ? "period" : "count", msg);
		}
		return -1;
	}
	r_r->n = n;
	r_r->secs = t;
	return 0;
}

/* The default of d as a value object (caller frees); NULL for the numeric
 * types, whose default is def. */
static struct dval *
default_dval(const struct setting_def *d)
{
	struct dval *arr;
	const char *p, *q;

	if (d->type == SETTING_TIMES) {
		arr = dict_new_array();
		for (p = d->def_text != NULL ? d->def_text : ""; *p != '\0';
		    p = *q != '\0' ? q + 1 : q) {
			while (*p == ' ')
				p++;
			for (q = p; *q != '\0' && *q != ','; q++)
				;
			dict_array_push(arr, dict_new_string(p, (size_t)(q - p)));
		}
		return arr;
	}
	if (d->type == SETTING_RATE) {
		arr = dict_new_array();
		dict_array_push(arr, dict_new_number((int64_t)d->def));
		dict_array_push_cstr(arr, d->def_text != NULL ? d->def_text :
		    "1m");
		return arr;
	}
	if (d->type == SETTING_STRING || d->type == SETTING_ADDRESS ||
	    d->type == SETTING_IPLIST || d->type == SETTING_ENUM)
		return dict_new_cstr(d->def_text != NULL ? d->def_text : "");
	return NULL;
}

static void
release_one(const struct setting_def *d, void *conf)
{
	void *f = field(conf, d);
	unsigned i;

	if (d->type == SETTING_STRING || d->type == SETTING_ADDRESS) {
		char **sp = f;

		free(*sp);
		*sp = NULL;
	} else if (d->type == SETTING_IPLIST)
		iplist_free((struct iplist **)f);
	else if (d->type == SETTING_WORDS) {
		struct setting_words *w = f;

		for (i = 0; i < w->n; i++) {
			free(w->v[i]);
			w->v[i] = NULL;
		}
		w->n = 0;
	}
}

/* One word of a word list: a string without white space or control
 * bytes, 1 .. SETTINGS_WORD_MAX bytes. */
static bool
is_word(const struct dval *v)
{
	const char *s;
	size_t len, i;

	if (dict_type(v) != DICT_STRING || (s = dict_str(v, &len)) == NULL ||
	    len == 0 || len > SETTINGS_WORD_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int
value_words(const struct setting_def *d, const struct dval *v, void *conf,
    struct error *err_r)
{
	struct setting_words *w = field(conf, d);
	char got[80];
	size_t len, i;

	if (dict_type(v) == DICT_STRING) {
		if (!is_word(v)) {
			shown(v, got, sizeof(got));
			return error_set(err_r, ERR_SYNTAX, "a word of at most "
			    "%d bytes expected, got \"%s\"", SETTINGS_WORD_MAX,
			    got);
		}
		release_one(d, conf);
		w->v[0] = xstrdup(dict_str(v, NULL));
		w->n = 1;
		return 0;
	}
	len = dict_type(v) == DICT_ARRAY ? dict_array_len(v) : 0;
	if (dict_type(v) != DICT_ARRAY || len > SETTINGS_LIST_MAX) {
		if (dict_type(v) == DICT_ARRAY)
			(void)snprintf(got, sizeof(got), "%zu elements", len);
		else
			shown(v, got, sizeof(got));
		return error_set(err_r, ERR_SYNTAX, "an array of at most %d "
		    "words expected, got \"%s\"", SETTINGS_LIST_MAX, got);
	}
	for (i = 0; i < len; i++)
		if (!is_word(dict_array_get(v, i))) {
			shown(dict_array_get(v, i), got, sizeof(got));
			return error_set(err_r, ERR_SYNTAX, "element %zu: a "
			    "word of at most %d bytes expected, got \"%s\"",
			    i + 1, SETTINGS_WORD_MAX, got);
		}
	release_one(d, conf);
	for (i = 0; i < len; i++)
		w->v[i] = xstrdup(dict_str(dict_array_get(v, i), NULL));
	w->n = (unsigned)len;
	return 0;
}

int
settings_value(const struct setting_def *d, const struct dval *v,
    void *conf, struct error *err_r)
{
	struct dval *defv = NULL;
	struct iplist *l;
	const char *s = NULL;
	void *f = field(conf, d);
	char got[80];
	uint64_t n;
	size_t len = 0, i;
	bool b;
	int r = 0;

	if (v == NULL && d->type == SETTING_WORDS) {
		release_one(d, conf);
		return 0;
	}
	if (v == NULL) {
		if (d->type == SETTING_NUMBER || d->type == SETTING_SIZE ||
		    d->type == SETTING_TIME || d->type == SETTING_BOOL) {
			if (d->type == SETTING_BOOL)
				*(bool *)f = d->def != 0;
			else
				*(uint64_t *)f = d->def;
			return 0;
		}
		v = defv = default_dval(d);
	}
	if (dict_type(v) == DICT_STRING)
		s = dict_str(v, &len);
	switch (d->type) {
	case SETTING_NUMBER:
	case SETTING_SIZE:
	case SETTING_TIME:
		if ((r = value_u64(d, v, &n, err_r)) == 0)
			*(uint64_t *)f = n;
		break;
	case SETTING_TIMES:
		r = value_times(d, v, f, err_r);
		break;
	case SETTING_WORDS:
		r = value_words(d, v, conf, err_r);
		break;
	case SETTING_RATE: {
		struct setting_rate rt;
		char lo[32], hi[32];

		if ((r = settings_parse_rate(v, &rt, err_r)) < 0)
			break;
		if (rt.n < d->min || rt.n > d->max) {
			num_text(d, d->min, lo, sizeof(lo));
			num_text(d, d->max, hi, sizeof(hi));
			r = error_set(err_r, ERR_SYNTAX, "(count, period): a "
			    "count of %s to %s expected, got %llu", lo, hi,
			    (unsigned long long)rt.n);
			break;
		}
		*(struct setting_rate *)f = rt;
		break;
	}
	case SETTING_BOOL:
		if (dict_type(v) == DICT_NUMBER && (dict_number(v) == 0 ||
		    dict_number(v) == 1))
			b = dict_number(v) == 1;
		else if (s == NULL || settings_parse_bool(s, len, &b,
		    NULL) < 0) {
			shown(v, got, sizeof(got));
			r = error_set(err_r, ERR_SYNTAX, "YES or NO expected, "
			    "got \"%s\"", got);
			break;
		}
		*(bool *)f = b;
		break;
	case SETTING_ENUM:
		for (i = 0; s != NULL && d->words[i] != NULL; i++)
			if (strlen(d->words[i]) == len &&
			    strncasecmp(s, d->words[i], len) == 0)
				break;
		if (s == NULL || d->words[i] == NULL) {
			struct buf w;

			buf_init(&w, 200);
			for (i = 0; d->words[i] != NULL; i++)
				buf_printf(&w, "%s%s", i > 0 ? ", " : "",
				    d->words[i]);
			shown(v, got, sizeof(got));
			r = error_set(err_r, ERR_SYNTAX, "one of %s expected, "
			    "got \"%s\"", buf_cstr(&w), got);
			buf_free(&w);
			break;
		}
		*(unsigned *)f = (unsigned)i;
		break;
	case SETTING_STRING:
	case SETTING_ADDRESS:
		if (s == NULL || len > SETTINGS_STRING_MAX ||
		    memchr(s, '\0', len) != NULL) {
			shown(v, got, sizeof(got));
			r = error_set(err_r, ERR_SYNTAX, "a string of at most "
			    "%d bytes expected, got \"%s\"",
			    SETTINGS_STRING_MAX, got);
			break;
		}
		if (d->type == SETTING_ADDRESS) {
			for (i = 0; i < len; i++)
				if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
					break;
			if (i < len || len > ADDRESS_MAX) {
				shown(v, got, sizeof(got));
				r = error_set(err_r, ERR_SYNTAX, "an address "
				    "without spaces expected, got \"%s\"", got);
				break;
			}
		}
		release_one(d, conf);
		*(char **)f = xstrdup(s);
		break;
	case SETTING_IPLIST: {
		struct error e;

		if (s == NULL || len > IPLIST_TEXT_MAX ||
		    (l = iplist_parse(s, len, &e)) == NULL) {
			if (s == NULL || len > IPLIST_TEXT_MAX)
				(void)snprintf(e.msg, sizeof(e.msg), "not an "
				    "address list");
			shown(v, got, sizeof(got));
			r = error_set(err_r, ERR_SYNTAX, "an IP address list "
			    "expected, got \"%s\": %s", got, e.msg);
			break;
		}
		release_one(d, conf);
		*(struct iplist **)f = l;
		break;
	}
	}
	/* The module's own check of the parsed value (the defaults'
	 * too: settings_table_check()). */
	if (r == 0 && d->check != NULL)
		r = d->check(f, err_r);
	dict_free(&defv);
	return r;
}

void
settings_conf_release(const struct settings_table *t, void *conf)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		release_one(&t->defs[i], conf);
}

static int
named(const struct setting_def *d, struct error *err_r)
{
	char msg[sizeof(err_r->msg)];

	if (err_r == NULL)
		return -1;
	(void)snprintf(msg, sizeof(msg), "%s", err_r->msg);
	return error_set(err_r, ERR_SYNTAX, "%s: %s", d->name, msg);
}

int
settings_check(const struct settings_table *t, const struct dval *d,
    struct error *err_r)
{
	void *conf = xcalloc(1, t->size);
	size_t i;
	int r = 0;

	for (i = 0; i < t->n && r == 0; i++)
		if (settings_value(&t->defs[i], d != NULL ?
		    dict_get(d, t->defs[i].name) : NULL, conf, err_r) < 0)
			r = named(&t->defs[i], err_r);
	settings_conf_release(t, conf);
	free(conf);
	return r;
}

int
settings_table_check(const struct settings_table *t, struct error *err_r)
{
	void *conf;
	size_t i, j;
	int r = 0;

	for (i = 0; i < t->n; i++) {
		const struct setting_def *d = &t->defs[i];

		for (j = 0; j < i; j++)
			if (strcasecmp(t->defs[j].name, d->name) == 0)
				return error_set(err_r, ERR_INTERNAL, "%s: %s "
				    "twice", t->module, d->name);
		if (d->offset >= t->size)
			return error_set(err_r, ERR_INTERNAL, "%s: %s outside "
			    "the struct", t->module, d->name);
		if ((d->type == SETTING_NUMBER || d->type == SETTING_SIZE ||
		    d->type == SETTING_TIME) &&
		    (d->min > d->max || d->def < d->min || d->def > d->max))
			return error_set(err_r, ERR_INTERNAL, "%s: %s default "
			    "%llu outside %llu..%llu", t->module, d->name,
			    (unsigned long long)d->def,
			    (unsigned long long)d->min,
			    (unsigned long long)d->max);
		if (d->type == SETTING_ENUM && (d->words == NULL ||
		    d->words[0] == NULL))
			return error_set(err_r, ERR_INTERNAL, "%s: %s has no "
			    "words", t->module, d->name);
	}
	/* Every default parses and is within range. */
	conf = xcalloc(1, t->size);
	for (i = 0; i < t->n && r == 0; i++)
		if (settings_value(&t->defs[i], NULL, conf, err_r) < 0)
			r = named(&t->defs[i], err_r);
	settings_conf_release(t, conf);
	free(conf);
	return r;
}

/* ---- snapshots ---------------------------------------------------------- */

struct settings_snap *
settings_snap_new(const struct settings_table *t, const struct dval *d,
    settings_report_fn *report, void *arg)
{
	struct settings_snap *s = xcalloc(1, sizeof(*s));
	struct error e;
	size_t i;

	atomic_init(&s->refs, 1);
	s->t = t;
	s->conf = xcalloc(1, t->size);
	for (i = 0; i < t->n; i++) {
		const struct setting_def *def = &t->defs[i];

		if (settings_value(def, d != NULL ? dict_get(d, def->name) :
		    NULL, s->conf, &e) == 0)
			continue;
		(void)named(def, &e);
		if (report != NULL)
			report(arg, t, &e);
		/* The table's own check proves the default loads. */
		if (settings_value(def, NULL, s->conf, &e) < 0)
			abort();
	}
	s->iptext = xcalloc(t->n, sizeof(*s->iptext));
	for (i = 0; i < t->n; i++) {
		const struct setting_def *def = &t->defs[i];
		const struct dval *v = d != NULL ? dict_get(d, def->name) :
		    NULL;
		const char *txt = def->def_text != NULL ? def->def_text : "";

		if (def->type != SETTING_IPLIST)
			continue;
		/* The given text when it loaded, else the default's. */
		if (v != NULL && dict_type(v) == DICT_STRING &&
		    settings_value(def, v, s->conf, NULL) == 0)
			txt = dict_str(v, NULL);
		else
			(void)settings_value(def, NULL, s->conf, NULL);
		s->iptext[i] = xstrdup(txt);
	}
	return s;
}

void
settings_snap_ref(struct settings_snap *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void
settings_snap_unref(struct settings_snap **sp)
{
	struct settings_snap *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	*sp = NULL;
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	settings_conf_release(s->t, s->conf);
	for (i = 0; i < s->t->n; i++)
		free(s->iptext[i]);
	free(s->iptext);
	free(s->conf);
	free(s);
}

const void *
settings_snap_conf(const struct settings_snap *s)
{
	return s->conf;
}

const struct settings_table *
settings_snap_table(const struct settings_snap *s)
{
	return s->t;
}

void
settings_snap_effective(const struct settings_snap *s, struct dval *out)
{
	const struct settings_table *t = s->t;
	char txt[32];
	size_t i;
	unsigned j;

	for (i = 0; i < t->n; i++) {
		const struct setting_def *d = &t->defs[i];
		const void *f = (const char *)s->conf + d->offset;

		switch (d->type) {
		case SETTING_NUMBER:
		case SETTING_SIZE:
		case SETTING_TIME:
			num_text(d, *(const uint64_t *)f, txt, sizeof(txt));
			dict_set_str(out, d->name, txt);
			break;
		case SETTING_BOOL:
			dict_set_str(out, d->name, *(const bool *)f ? "YES" :
			    "NO");
			break;
		case SETTING_ENUM:
			dict_set_str(out, d->name,
			    d->words[*(const unsigned *)f]);
			break;
		case SETTING_STRING:
		case SETTING_ADDRESS: {
			const char *str = *(char *const *)f;

			dict_set_str(out, d->name, str != NULL ? str : "");
			break;
		}
		case SETTING_IPLIST:
			dict_set_str(out, d->name, s->iptext[i]);
			break;
		case SETTING_RATE: {
			const struct setting_rate *rt = f;
			struct dval *arr = dict_new_array();

			(void)snprintf(txt, sizeof(txt), "%llu",
			    (unsigned long long)rt->n);
			dict_array_push_cstr(arr, txt);
			time_text(rt->secs, txt, sizeof(txt));
			dict_array_push_cstr(arr, txt);
			dict_set(out, d->name, arr);
			break;
		}
		case SETTING_WORDS: {
			const struct setting_words *ws = f;
			struct dval *arr = dict_new_array();

			for (j = 0; j < ws->n; j++)
				dict_array_push_cstr(arr, ws->v[j]);
			dict_set(out, d->name, arr);
			break;
		}
		case SETTING_TIMES: {
			const struct setting_times *ts = f;
			struct dval *arr = dict_new_array();

			for (j = 0; j < ts->n; j++) {
				time_text(ts->v[j], txt, sizeof(txt));
				dict_array_push_cstr(arr, txt);
			}
			dict_set(out, d->name, arr);
			break;
		}
		}
	}
}

/* ---- holder ------------------------------------------------------------- */

void
settings_holder_init(struct settings_holder *h, struct settings_snap *first)
{
	pthread_mutex_init(&h->mu, NULL);
	h->cur = first;
}

struct settings_snap *
settings_holder_get(struct settings_holder *h)
{
	struct settings_snap *s;

	pthread_mutex_lock(&h->mu);
	s = h->cur;
	settings_snap_ref(s);
	pthread_mutex_unlock(&h->mu);
	return s;
}

void
settings_holder_swap(struct settings_holder *h, struct settings_snap *s)
{
	struct settings_snap *old;

	pthread_mutex_lock(&h->mu);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->mu);
	settings_snap_unref(&old);
}

void
settings_holder_destroy(struct settings_holder *h)
{
	settings_snap_unref(&h->cur);
	pthread_mutex_destroy(&h->mu);
}
