/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h: the server log.  Modules name themselves with the original's tags
 * (SMTP, POP, IMAP, HTTPA, HTTPU, LDAP, DNR, ROUTER, QUEUE, LOCAL, SYSTEM, PWD
 * ...) and have their own level 0-5.  A record more detailed than the level is
 * never formatted (the macros check first).  Records go to
 * <base>/SystemLogs/YYYY-MM-DD.log (one file per local day) and, in the
 * foreground, to stderr.  Format:
 *
 *   HH:MM:SS.mmm L MODULE-NNNNNN(context) text     session record
 *   HH:MM:SS.mmm L MODULE text                     module record
 *
 * Writing is done by a background thread from a bounded in-memory queue, so a
 * slow disk never stalls a session; if the queue overflows, records are
 * dropped and a count of dropped records is logged once room returns.
 */
#ifndef TEGAMI_LIB_LOG_H
#define TEGAMI_LIB_LOG_H

#include "lib/compat.h"

#include <stdarg.h>
#include <time.h>

#include "lib/error.h"

enum log_level {
	LOG_NOTHING = 0,	/* "Nothing" */
	LOG_FAILURE = 1,	/* "Failures" (also "Major & Failures" in some UIs) */
	LOG_MAJOR = 2,		/* "Major" */
	LOG_PROBLEM = 3,	/* "Problems" (default) */
	LOG_LOW = 4,		/* "Low Level" */
	LOG_ALL = 5		/* "All Info" */
};

struct log_module {
	const char		*name;		/* tag, e.g. "SMTP" */
	_Atomic int		 level;		/* UpdateModule sets it */
	unsigned long		 next_id;	/* session ids, atomically incremented */
	struct log_module	*next;		/* registry link */
	bool			 registered;
};

#define LOG_MODULE(tag)	{ (tag), LOG_PROBLEM, 1, NULL, false }

/* Per-connection log context. */
struct log_session {
	struct log_module	*mod;
	unsigned long		 id;
	char			 context[128];	/* "[1.2.3.4]:5678", account name ... */
	int			 force_level;	/* LOG_ALL for Debug IPs, else 0 */
};

/* Adds a module to the registry (idempotent); log_set_level() by name then
 * works.  Modules register at start-up. */
void	log_register(struct log_module *m);
/* Sets a registered module's level (0-5); -1 if unknown name or bad level. */
int	log_set_level(const char *name, int level);
int	log_get_level(const char *name);	/* -1 if unknown */
/* Calls fn for every registered module. */
void	log_foreach(void (*fn)(struct log_module *m, void *arg), void *arg);

/* Starts the writer thread writing into dir (SystemLogs); dir NULL = stderr
 * only.  to_stderr copies records to stderr too. */
int	log_open(const char *dir, bool to_stderr, struct error *err_r);
/* Flushes everything queued and stops the writer thread. */
void	log_close(void);
/* Waits until every record queued so far is written (tests, WriteLog). */
void	log_flush(void);

/* Log retention (LogsKeepDays): removes the day files of dir
 * ("YYYY-MM-DD.log", and "YYYY-MM-DD_N.log" size roll-overs) dated before
 * the last keep_days local days, counting the day of now as one; other
 * files are left alone.  keep_days 0 keeps everything.  Returns the number
 * of files removed, or -1 (dir unreadable, or a file that cannot be
 * removed: the others are still tried). */
int	log_prune(const char *dir, unsigned keep_days, time_t now,
	    struct error *err_r);

/* Starts a session: assigns the module's next id; context is copied. */
void	log_session_init(struct log_session *ls, struct log_module *m,
	    const char *context);

void	log_mod_write(struct log_module *m, int level, const char *fmt, ...)
	    ATTR_FORMAT(3, 4);
void	log_ses_write(const struct log_session *ls, int level,
	    const char *fmt, ...) ATTR_FORMAT(3, 4);

static inline bool
log_ses_enabled(const struct log_session *ls, int level)
{
	return level <= ls->mod->level || level <= ls->force_level;
}

#define log_mod(m, lvl, ...) do { if ((lvl) <= (m)->level) \
	log_mod_write((m), (lvl), __VA_ARGS__); } while (0)
#define log_ses(ls, lvl, ...) do { if (log_ses_enabled((ls), (lvl))) \
	log_ses_write((ls), (lvl), __VA_ARGS__); } while (0)

/* Copies s into dst (size bytes) with control and non-ASCII bytes escaped
 * as \xNN, for client text in log records. */
void	log_escape(char *dst, size_t size, const char *s, size_t len);

/* The module for server-wide messages ("SYSTEM"); registered by log_open(). */
extern struct log_module log_system;

/* Records the queue may hold before new ones are dropped (default
 * LOG_QUEUE_DEFAULT; n 0 restores it).  For tests and start-up. */
#define LOG_QUEUE_DEFAULT	8192
void	log_set_queue_limit(size_t n);
/* Tests only: while held, the writer thread does not drain the queue, so
 * overflow can be provoked deterministically.  Do not log_flush() while held. */
void	log_hold_writer(bool hold);

#endif
