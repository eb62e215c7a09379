/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settings.h: declarative module settings.  A module declares its settings
 * once, in a table (name as in the original system, type, field of the
 * module's settings struct, default, minimum, maximum, when a change
 * applies).  One loader turns a settings dictionary (lib/dict.h) into a
 * checked, read-only snapshot: the module's struct, filled and range
 * checked, that sessions read without parsing.  A holder keeps the current
 * snapshot; a reload builds a new one and swaps it in, and each reader
 * keeps the reference it took (refcounted) until it drops it.
 *
 *	struct smtp_conf { uint64_t max_rcpt; bool require_tls_auth; };
 *	static const struct setting_def defs[] = {
 *		SETTING_NUM("MaxRecipients", struct smtp_conf, max_rcpt,
 *		    1000, 1, 10000),
 *		SETTING_BOOL("RequireTLSForAUTH", struct smtp_conf,
 *		    require_tls_auth, false),
 *	};
 *	const struct settings_table smtp_settings_table =
 *	    SETTINGS_TABLE("SMTP", struct smtp_conf, defs);
 *
 * Value forms (a number object #N is taken as the plain number):
 *   number   decimal digits, 0 .. 2^64-1, then within [min, max]
 *   size     digits with an optional K, M, G or T (powers of 1024, any
 *            case), or "unlimited" = the maximum
 *   time     seconds: digits with an optional s, m (or min), h, d, w
 *   yes/no   YES, NO (any case), also 1/0 and true/false
 *   IP list  lib/iplist.h text ("127.0.0.1, 10.0.0.0/8")
 *   address  one addr-spec-like word: no white space or control bytes
 *   enum     one of the table's words (any case)
 *   times    an array of times ("(1m, 5m, 1h)"), 1 .. SETTINGS_LIST_MAX
 *   rate     a count and a period, "(10, 1m)": min..max events within
 *            1 s .. SETTINGS_RATE_PERIOD_MAX (FailedLoginFlow)
 *   string   any string up to SETTINGS_STRING_MAX bytes
 *   words    an array of 0 .. SETTINGS_LIST_MAX words (no white space or
 *            control bytes, 1 .. SETTINGS_WORD_MAX bytes each); a single
 *            string is a list of one ("Servers", "RBLs")
 * Error texts name the setting, the value and what is allowed:
 *   "MaxRecipients: 1 to 10000 expected, got \"99999999\"".
 * Pure code except the holder's mutex; nothing here logs.
 */
#ifndef TEGAMI_LIB_SETTINGS_H
#define TEGAMI_LIB_SETTINGS_H

#include "lib/compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "lib/bounds.h"
#include "lib/error.h"

struct dval;
struct iplist;

enum setting_type {
	SETTING_STRING,		/* const char *  (owned by the snapshot) */
	SETTING_NUMBER,		/* uint64_t */
	SETTING_SIZE,		/* uint64_t, bytes */
	SETTING_TIME,		/* uint64_t, seconds */
	SETTING_BOOL,		/* bool */
	SETTING_IPLIST,		/* const struct iplist * (owned) */
	SETTING_ADDRESS,	/* const char *  (owned) */
	SETTING_ENUM,		/* unsigned: index into words */
	SETTING_TIMES,		/* struct setting_times */
	SETTING_RATE,		/* struct setting_rate */
	SETTING_WORDS		/* struct setting_words (owned) */
};

/* When a changed value takes effect. */
enum setting_apply {
	SETTING_AT_ONCE,	/* new sessions / the next use see it */
	SETTING_AT_RESTART	/* read once at start */
};

/* SETTING_TIME flag: written back as plain seconds ("300"), not "5m". */
#define SETTING_F_SECONDS	0x01

struct setting_times {
	unsigned	 n;
	uint32_t	 v[SETTINGS_LIST_MAX];
};

struct setting_words {
	unsigned	 n;
	char		*v[SETTINGS_LIST_MAX];
};

struct setting_rate {
	uint64_t	 n;		/* events ... */
	uint64_t	 secs;		/* ... within this many seconds */
};

/*
 * A per-setting check beyond type and range, run after the value parsed:
 * field points at the parsed value in the module's struct (const char **
 * for a string or address, struct setting_words * for words, ...).  0, or
 * -1 with err_r saying what is expected and what was given (without the
 * setting's name: settings_check() adds it), e.g. RelayHost's port.
 */
typedef int	setting_check_fn(const void *field, struct error *err_r);

struct setting_def {
	const char		*name;
	enum setting_type	 type;
	enum setting_apply	 apply;
	size_t			 offset;	/* of the field in the struct */
	uint64_t		 def, min, max;	/* number, size, time, times */
	const char		*def_text;	/* string, IP list, address,
						 * times; enum: the word */
	const char *const	*words;		/* enum: NULL-terminated */
	unsigned		 flags;		/* SETTING_F_* */
	setting_check_fn	*check;		/* NULL: type and range only */
};

struct settings_table {
	const char		*module;	/* for messages and tests */
	size_t			 size;		/* of the module's struct */
	const struct setting_def *defs;
	size_t			 n;
};

#define SETTING_NUM(name, type, field, def, min, max)			\
	{ name, SETTING_NUMBER, SETTING_AT_ONCE, offsetof(type, field),	\
	  def, min, max, NULL, NULL, 0, NULL }
#define SETTING_SIZE_(name, type, field, def, min, max)			\
	{ name, SETTING_SIZE, SETTING_AT_ONCE, offsetof(type, field),	\
	  def, min, max, NULL, NULL, 0, NULL }
#define SETTING_SECS(name, type, field, def, min, max)			\
	{ name, SETTING_TIME, SETTING_AT_ONCE, offsetof(type, field),	\
	  def, min, max, NULL, NULL, SETTING_F_SECONDS, NULL }
#define SETTING_DURATION(name, type, field, def, min, max)		\
	{ name, SETTING_TIME, SETTING_AT_ONCE, offsetof(type, field),	\
	  def, min, max, NULL, NULL, 0, NULL }
#define SETTING_BOOL(name, type, field, def)				\
	{ name, SETTING_BOOL, SETTING_AT_ONCE, offsetof(type, field),	\
	  (def) ? 1 : 0, 0, 1, NULL, NULL, 0, NULL }
#define SETTING_STR(name, type, field, def)				\
	{ name, SETTING_STRING, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, def, NULL, 0, NULL }
#define SETTING_IPS(name, type, field, def)				\
	{ name, SETTING_IPLIST, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, def, NULL, 0, NULL }
#define SETTING_ADDR(name, type, field, def)				\
	{ name, SETTING_ADDRESS, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, def, NULL, 0, NULL }
#define SETTING_ENUM_(name, type, field, def, words)			\
	{ name, SETTING_ENUM, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, def, words, 0, NULL }
#define SETTING_TIMES_(name, type, field, def, min, max)		\
	{ name, SETTING_TIMES, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, min, max, def, NULL, 0, NULL }
/* def, min, max: the count; period: the default period's text ("10m"). */
#define SETTING_RATE_(name, type, field, def, min, max, period)		\
	{ name, SETTING_RATE, SETTING_AT_ONCE, offsetof(type, field),	\
	  def, min, max, period, NULL, 0, NULL }
/* An array of words; the default is the empty list. */
#define SETTING_WORDS_(name, type, field)				\
	{ name, SETTING_WORDS, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, NULL, NULL, 0, NULL }
/* Any setting, e.g. one read only at start (SETTING_AT_RESTART). */
#define SETTING(name, stype, apply, type, field, def, min, max, text, fl) \
	{ name, stype, apply, offsetof(type, field), def, min, max, text, \
	  NULL, fl, NULL }
/* A string with a check (setting_check_fn), e.g. a host[:port]. */
#define SETTING_STR_CHECK(name, type, field, def, check)		\
	{ name, SETTING_STRING, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, def, NULL, 0, check }
/* An array of words with a check of the list (setting_check_fn). */
#define SETTING_WORDS_CHECK(name, type, field, check)			\
	{ name, SETTING_WORDS, SETTING_AT_ONCE, offsetof(type, field),	\
	  0, 0, 0, NULL, NULL, 0, check }

#define SETTINGS_TABLE(module, type, defs)				\
	{ module, sizeof(type), defs, sizeof(defs) / sizeof((defs)[0]) }

/* ---- value parsers (pure; fuzzed) -------------------------------------- */

/* Decimal digits only (no sign, no space), 0 .. 2^64-1.  0, or -1 with
 * ERR_SYNTAX (not digits) or ERR_LIMIT (past 2^64-1). */
int	settings_parse_u64(const char *s, size_t len, uint64_t *v_r,
	    struct error *err_r);
/* A size: digits with an optional K/M/G/T suffix, or "unlimited" which
 * sets *unlimited_r (and *v_r to 0); *unlimited_r is false otherwise.
 * ERR_LIMIT when the product passes 2^64-1. */
int	settings_parse_size(const char *s, size_t len, uint64_t *v_r,
	    bool *unlimited_r, struct error *err_r);
/* A time in seconds: digits with an optional s, m, min, h, d, w.  Past
 * 2^64-1 seconds is ERR_LIMIT. */
/* A (count, period) pair as the data format writes it, "(10, 1m)": an
 * array of a number and a time (1 s .. SETTINGS_RATE_PERIOD_MAX); the
 * count is not bounded here (the table's min/max, or the caller). */
int	settings_parse_rate(const struct dval *v, struct setting_rate *r_r,
	    struct error *err_r);
int	settings_parse_time(const char *s, size_t len, uint64_t *v_r,
	    struct error *err_r);
/* YES/NO, 1/0, true/false in any case. */
int	settings_parse_bool(const char *s, size_t len, bool *v_r,
	    struct error *err_r);

/* Parses and checks one value against its definition (no name in the
 * message; settings_check adds it).  v may be NULL (then the default).
 * For tests and the fuzz target; the loader uses it.  The result goes into
 * conf (a struct of the table's size); strings and lists it owns are
 * released with settings_conf_release. */
int	settings_value(const struct setting_def *def, const struct dval *v,
	    void *conf, struct error *err_r);
void	settings_conf_release(const struct settings_table *t, void *conf);

/* Checks every setting of the table in d (a dictionary; NULL = all
 * defaults).  Keys the table does not know are not checked.  0, or -1 with
 * err_r naming the first bad setting, its value and what is allowed. */
int	settings_check(const struct settings_table *t, const struct dval *d,
	    struct error *err_r);

/* Checks a table itself: names unique, defaults parse and are within
 * [min, max].  For the unit test of every module's table. */
int	settings_table_check(const struct settings_table *t,
	    struct error *err_r);

/* ---- snapshots ---------------------------------------------------------- */

struct settings_snap;

/* Called once for each bad value the loader replaced by its default. */
typedef void settings_report_fn(void *arg, const struct settings_table *t,
    const struct error *e);

/* A snapshot of d (NULL = all defaults) with one reference.  A bad value
 * takes the setting's default and is passed to report (may be NULL): a
 * settings file edited by hand must not stop the server.  Never NULL. */
struct settings_snap *settings_snap_new(const struct settings_table *t,
	    const struct dval *d, settings_report_fn *report, void *arg);
void	 settings_snap_ref(struct settings_snap *s);
/* Drops one reference (the last frees); sets *sp to NULL; NULL-safe. */
void	 settings_snap_unref(struct settings_snap **sp);
/* The module's struct (read-only; valid while the reference is held). */
const void *settings_snap_conf(const struct settings_snap *s);
const struct settings_table *settings_snap_table(
	    const struct settings_snap *s);
/* Sets every setting of the table in out (a dictionary) to its effective
 * value in the text form the data format writes ("50M", "300", "5d",
 * "YES", ...). */
void	 settings_snap_effective(const struct settings_snap *s,
	    struct dval *out);

/* The current snapshot of one table; readers take a reference. */
struct settings_holder {
	pthread_mutex_t		 mu;
	struct settings_snap	*cur;
};

void	 settings_holder_init(struct settings_holder *h,
	    struct settings_snap *first);
/* The current snapshot with a new reference (drop with unref). */
struct settings_snap *settings_holder_get(struct settings_holder *h);
/* Makes s (whose reference the holder takes) current and drops the
 * holder's reference to the old one; readers keep theirs. */
void	 settings_holder_swap(struct settings_holder *h,
	    struct settings_snap *s);
void	 settings_holder_destroy(struct settings_holder *h);

#endif
