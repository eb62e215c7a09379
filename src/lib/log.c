/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: the server log.  A caller formats its record completely (time stamp,
 * level digit, module tag, session id and context, text) in its own thread,
 * cut to LOG_LINE_MAX, and queues only the finished line.  One writer thread
 * drains the bounded queue into <dir>/YYYY-MM-DD.log (the record's local
 * date, so a new file starts at local midnight), opened in append mode and
 * created 0640, and optionally copies each line to stderr.  When the queue is
 * full a record is dropped and counted; once the writer has made room it logs
 * one SYSTEM record "N log records dropped".  Before log_open() (and after
 * log_close()) records go to stderr synchronously.
 *
 * Module levels are plain volatile ints read without a lock by the macros in
 * log.h; the registry of modules (for set/get by name) has its own mutex.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/error.h"
#include "lib/xmalloc.h"
#include "lib/log.h"

struct log_module log_system = LOG_MODULE("SYSTEM");

/* One queued record: the finished line (with its '\n') and its local date,
 * which picks the file. */
struct log_rec {
	struct log_rec	*next;
	int		 date;		/* YYYYMMDD, local */
	size_t		 len;
	char		 line[];
};

#define LOG_GATHER_MS	2	/* a woken writer waits for more */
#define LOG_GATHER_MIN	3	/* records queued when woken: busy */
#define LOG_BUSY_WINDOW_MS 10	/* the writer measures its rate over this */
#define LOG_BUSY_RECS	20	/* records per window that mean "busy" */
#define LOG_BATCH_BYTES	(64 * 1024)	/* one write() of the writer */

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;		/* writer: records queued or stop */
	pthread_cond_t	 done;		/* flushers: records written */
	pthread_t	 thread;
	bool		 running;	/* writer thread exists */
	bool		 stop;
	bool		 hold;		/* tests: writer does not drain */
	bool		 writer_waiting; /* writer sleeps on work */
	bool		 to_stderr;
	char		*dir;		/* NULL: stderr only */
	struct log_rec	*head, **tailp;
	size_t		 count;		/* records in the queue */
	size_t		 limit;
	unsigned long	 dropped;	/* since the last "dropped" record */
	uint64_t	 queued_seq;	/* records ever queued */
	uint64_t	 written_seq;	/* records ever written (or given up) */
} logq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.tailp = &logq.head,
	.limit = LOG_QUEUE_DEFAULT,
};

/* Writer-thread state; touched only by the writer (and log_open/close while
 * the writer does not run). */
static int	log_fd = -1;
static int	log_fd_date;

static pthread_mutex_t	registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_module	*registry;

void
log_register(struct log_module *m)
{
	pthread_mutex_lock(&registry_lock);
	if (!m->registered) {
		m->registered = true;
		m->next = registry;
		registry = m;
	}
	pthread_mutex_unlock(&registry_lock);
}

/* Caller holds registry_lock. */
static struct log_module *
registry_find(const char *name)
{
	struct log_module *m;

	for (m = registry; m != NULL; m = m->next)
		if (strcasecmp(m->name, name) == 0)
			return m;
	return NULL;
}

int
log_set_level(const char *name, int level)
{
	struct log_module *m;
	int ret = -1;

	if (name == NULL || level < LOG_NOTHING || level > LOG_ALL)
		return -1;
	/* Every module of that name: SMTP in and SMTP out share one. */
	pthread_mutex_lock(&registry_lock);
	for (m = registry; m != NULL; m = m->next)
		if (strcasecmp(m->name, name) == 0) {
			m->level = level;
			ret = 0;
		}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

int
log_get_level(const char *name)
{
	struct log_module *m;
	int ret = -1;

	if (name == NULL)
		return -1;
	pthread_mutex_lock(&registry_lock);
	if ((m = registry_find(name)) != NULL)
		ret = m->level;
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

void
log_foreach(void (*fn)(struct log_module *m, void *arg), void *arg)
{
	struct log_module *m;

	pthread_mutex_lock(&registry_lock);
	for (m = registry; m != NULL; m = m->next)
		fn(m, arg);
	pthread_mutex_unlock(&registry_lock);
}

void
log_escape(char *dst, size_t size, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;

	if (size == 0)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f) {
			if (o + 4 >= size)
				break;		/* never emit half an escape */
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* Writes all of p, retrying short writes and EINTR; errors are ignored
 * (there is nowhere left to report them). */
static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Formats one complete record into line (LOG_LINE_MAX + 1 bytes): the
 * prefix, then the text, cut so that the line with its '\n' fits
 * LOG_LINE_MAX.  CR and LF inside the text become spaces so one record is
 * always one line.  Returns the length; *date_r gets the local date.
 */
static size_t
log_format(char *line, int *date_r, const char *tag, int level,
    const struct log_session *ls, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	size_t len, i, start;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	*date_r = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
	if (level < 0 || level > 9)
		level = 9;
	if (ls != NULL)
		n = snprintf(line, LOG_LINE_MAX, "%02d:%02d:%02d.%03ld %d "
		    "%s-%06lu(%s) ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    ts.tv_nsec / 1000000, level, tag, ls->id, ls->context);
	else
		n = snprintf(line, LOG_LINE_MAX, "%02d:%02d:%02d.%03ld %d %s ",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    level, tag);
	if (n < 0)
		n = 0;
	len = (size_t)n;
	if (len > LOG_LINE_MAX - 1)
		len = LOG_LINE_MAX - 1;
	start = len;
	/* The text may use at most LOG_LINE_MAX - 1 bytes in total, leaving
	 * room for the '\n'. */
	n = vsnprintf(line + len, LOG_LINE_MAX - len, fmt, ap);
	if (n > 0) {
		len += (size_t)n;
		if (len > LOG_LINE_MAX - 1)
			len = LOG_LINE_MAX - 1;
	}
	for (i = start; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	line[len] = '\0';
	return len;
}

/* Queues a finished line, or writes it to stderr if no writer runs. */
static void
log_submit(const char *line, size_t len, int date)
{
	struct log_rec *r;

	pthread_mutex_lock(&logq.lock);
	if (!logq.running) {
		pthread_mutex_unlock(&logq.lock);
		write_all(STDERR_FILENO, line, len);
		return;
	}
	if (logq.count >= logq.limit) {
		logq.dropped++;
		pthread_mutex_unlock(&logq.lock);
		return;
	}
	pthread_mutex_unlock(&logq.lock);

	/* Allocate outside the lock; the limit is re-checked below. */
	r = xmalloc(sizeof(*r) + len + 1);
	r->next = NULL;
	r->date = date;
	r->len = len;
	memcpy(r->line, line, len + 1);

	pthread_mutex_lock(&logq.lock);
	if (!logq.running || logq.count >= logq.limit) {
		bool running = logq.running;

		if (running)
			logq.dropped++;
		pthread_mutex_unlock(&logq.lock);
		if (!running)
			write_all(STDERR_FILENO, line, len);
		free(r);
		return;
	}
	*logq.tailp = r;
	logq.tailp = &r->next;
	logq.count++;
	logq.queued_seq++;
	/* Only a sleeping writer needs waking; a busy one takes this record
	 * with its next batch (one futex call per batch, not per record). */
	if (logq.writer_waiting)
		pthread_cond_signal(&logq.work);
	pthread_mutex_unlock(&logq.lock);
}

void
log_mod_write(struct log_module *m, int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 1];
	va_list ap;
	size_t len;
	int date;

	va_start(ap, fmt);
	len = log_format(line, &date, m->name, level, NULL, fmt, ap);
	va_end(ap);
	log_submit(line, len, date);
}

void
log_ses_write(const struct log_session *ls, int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 1];
	va_list ap;
	size_t len;
	int date;

	va_start(ap, fmt);
	len = log_format(line, &date, ls->mod->name, level, ls, fmt, ap);
	va_end(ap);
	log_submit(line, len, date);
}

void
log_session_init(struct log_session *ls, struct log_module *m,
    const char *context)
{
	size_t n;

	ls->mod = m;
	ls->id = __atomic_fetch_add(&m->next_id, 1, __ATOMIC_RELAXED);
	ls->force_level = 0;
	if (context == NULL)
		context = "";
	n = strlen(context);
	if (n >= sizeof(ls->context))
		n = sizeof(ls->context) - 1;
	memcpy(ls->context, context, n);
	ls->context[n] = '\0';
}

/* Writer thread: makes sure the file for date is open.  Returns the fd, or
 * -1 when records must go to stderr. */
static int
log_file_for(int date)
{
	char path[PATH_MAX];
	int n;

	if (logq.dir == NULL)
		return -1;
	if (log_fd >= 0 && log_fd_date == date)
		return log_fd;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	n = snprintf(path, sizeof(path), "%s/%04d-%02d-%02d.log", logq.dir,
	    date / 10000, date / 100 % 100, date % 100);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (log_fd >= 0)
		log_fd_date = date;
	return log_fd;
}

static void
log_write_rec(const char *line, size_t len, int date)
{
	int fd;

	fd = log_file_for(date);
	if (fd >= 0)
		write_all(fd, line, len);
	if (fd < 0 || logq.to_stderr)
		write_all(STDERR_FILENO, line, len);
}

/* Writes a batch of records with one write() per file (and per stderr)
 * for each run of records of the same day, in chunks of LOG_BATCH_BYTES;
 * frees the records. */
static void
log_write_batch(struct log_rec *batch)
{
	static char chunk[LOG_BATCH_BYTES];
	struct log_rec *r;
	size_t used = 0;
	int date = 0;

	while ((r = batch) != NULL) {
		batch = r->next;
		if (used > 0 && (r->date != date || used + r->len > sizeof(chunk))) {
			log_write_rec(chunk, used, date);
			used = 0;
		}
		if (r->len > sizeof(chunk))
			log_write_rec(r->line, r->len, r->date);
		else {
			memcpy(chunk + used, r->line, r->len);
			used += r->len;
			date = r->date;
		}
		free(r);
	}
	if (used > 0)
		log_write_rec(chunk, used, date);
}

/* Formats a record from the writer thread itself (no queue). */
static void
log_direct(struct log_module *m, int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 1];
	va_list ap;
	size_t len;
	int date;

	va_start(ap, fmt);
	len = log_format(line, &date, m->name, level, NULL, fmt, ap);
	va_end(ap);
	log_write_rec(line, len, date);
}

static void
timespec_add_ms(struct timespec *t, long ms)
{
	t->tv_nsec += ms * 1000000L;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000L +
	    (b->tv_nsec - a->tv_nsec) / 1000000L;
}

static void *
log_writer(void *arg ATTR_UNUSED)
{
	struct log_rec *batch;
	struct timespec until, win_start, now;
	unsigned long dropped;
	size_t n, win_count = 0;
	bool slept, busy = false;

	pthread_setname_np(pthread_self(), "log");
	clock_gettime(CLOCK_MONOTONIC, &win_start);
	pthread_mutex_lock(&logq.lock);
	for (;;) {
		slept = false;
		/* Busy (LOG_BUSY_RECS records in the last window): sleep
		 * LOG_GATHER_MS without asking to be woken, so producers make
		 * no futex call at all, and write whatever came meanwhile.
		 * log_flush() and log_close() still end the wait at once. */
		if (busy && !logq.stop && !logq.hold) {
			clock_gettime(CLOCK_REALTIME, &until);
			timespec_add_ms(&until, LOG_GATHER_MS);
			(void)pthread_cond_timedwait(&logq.work, &logq.lock,
			    &until);
		}
		while (!logq.stop && (logq.hold ||
		    (logq.head == NULL && logq.dropped == 0))) {
			logq.writer_waiting = true;
			pthread_cond_wait(&logq.work, &logq.lock);
			logq.writer_waiting = false;
			slept = true;
		}
		/* Woken, and more records came before this thread ran: the
		 * server is busy, so let more gather for LOG_GATHER_MS (nobody
		 * signals meanwhile but log_flush() and log_close(), which end
		 * the wait).  A busy server then wakes this thread about once
		 * per LOG_GATHER_MS instead of once per record or two; a quiet
		 * one still writes each record at once. */
		if (slept && !logq.stop && logq.count >= LOG_GATHER_MIN &&
		    logq.count < logq.limit / 2) {
			clock_gettime(CLOCK_REALTIME, &until);
			timespec_add_ms(&until, LOG_GATHER_MS);
			(void)pthread_cond_timedwait(&logq.work, &logq.lock,
			    &until);
		}
		if (logq.stop && logq.head == NULL && logq.dropped == 0)
			break;
		batch = logq.head;
		n = logq.count;
		logq.head = NULL;
		logq.tailp = &logq.head;
		logq.count = 0;
		/* The queue has room again: report what was lost, after the
		 * records queued before the loss. */
		dropped = logq.dropped;
		logq.dropped = 0;
		pthread_mutex_unlock(&logq.lock);

		log_write_batch(batch);
		if (dropped > 0)
			log_direct(&log_system, LOG_PROBLEM,
			    "%lu log records dropped", dropped);

		win_count += n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(&win_start, &now) >= LOG_BUSY_WINDOW_MS) {
			busy = win_count >= LOG_BUSY_RECS;
			win_start = now;
			win_count = 0;
		}

		pthread_mutex_lock(&logq.lock);
		logq.written_seq += n;
		pthread_cond_broadcast(&logq.done);
	}
	pthread_mutex_unlock(&logq.lock);
	return NULL;
}

int
log_open(const char *dir, bool to_stderr, struct error *err_r)
{
	sigset_t all, old;
	int rc;

	log_register(&log_system);
	pthread_mutex_lock(&logq.lock);
	if (logq.running) {
		pthread_mutex_unlock(&logq.lock);
		return error_set(err_r, ERR_INTERNAL, "log already open");
	}
	if (dir != NULL) {
		if (access(dir, W_OK | X_OK) != 0) {
			rc = errno;
			pthread_mutex_unlock(&logq.lock);
			return error_set(err_r, ERR_IO, "log directory %s: %s",
			    dir, strerror(rc));
		}
		logq.dir = xstrdup(dir);
	}
	logq.to_stderr = to_stderr;
	logq.stop = false;
	/* Today's file is made here, by the caller's effective user: made
	 * later by the writer, it could fall in the moment a server that
	 * drops root takes root back to bind its ports (the ids are the
	 * whole process's), and be root's. */
	if (logq.dir != NULL) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm) != NULL)
			(void)log_file_for((tm.tm_year + 1900) * 10000 +
			    (tm.tm_mon + 1) * 100 + tm.tm_mday);
	}
	/* The writer takes no signals; they belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&logq.thread, NULL, log_writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(logq.dir);
		logq.dir = NULL;
		pthread_mutex_unlock(&logq.lock);
		return error_set(err_r, ERR_INTERNAL,
		    "cannot start log writer: %s", strerror(rc));
	}
	logq.running = true;
	pthread_mutex_unlock(&logq.lock);
	return 0;
}

void
log_flush(void)
{
	uint64_t target;

	pthread_mutex_lock(&logq.lock);
	target = logq.queued_seq;
	while (logq.running && logq.written_seq < target) {
		pthread_cond_signal(&logq.work);
		pthread_cond_wait(&logq.done, &logq.lock);
	}
	pthread_mutex_unlock(&logq.lock);
}

void
log_close(void)
{
	pthread_mutex_lock(&logq.lock);
	if (!logq.running) {
		pthread_mutex_unlock(&logq.lock);
		return;
	}
	/* From now on callers write to stderr themselves; the writer drains
	 * what is queued and exits. */
	logq.running = false;
	logq.stop = true;
	pthread_cond_signal(&logq.work);
	pthread_mutex_unlock(&logq.lock);
	pthread_join(logq.thread, NULL);

	pthread_mutex_lock(&logq.lock);
	logq.stop = false;
	logq.hold = false;
	pthread_cond_broadcast(&logq.done);
	free(logq.dir);
	logq.dir = NULL;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	pthread_mutex_unlock(&logq.lock);
}

void
log_set_queue_limit(size_t n)
{
	pthread_mutex_lock(&logq.lock);
	logq.limit = n == 0 ? LOG_QUEUE_DEFAULT : n;
	pthread_mutex_unlock(&logq.lock);
}

void
log_hold_writer(bool hold)
{
	pthread_mutex_lock(&logq.lock);
	logq.hold = hold;
	pthread_cond_signal(&logq.work);
	pthread_mutex_unlock(&logq.lock);
}

/* "YYYY-MM-DD.log" or "YYYY-MM-DD_N.log": the date as YYYYMMDD, else 0. */
static int
log_file_date(const char *name)
{
	int y, m, d, i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? name[i] != '-' :
		    (name[i] < '0' || name[i] > '9'))
			return 0;
	y = (name[0] - '0') * 1000 + (name[1] - '0') * 100 +
	    (name[2] - '0') * 10 + (name[3] - '0');
	m = (name[5] - '0') * 10 + (name[6] - '0');
	d = (name[8] - '0') * 10 + (name[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	name += 10;
	if (*name == '_') {
		if (name[1] < '0' || name[1] > '9')
			return 0;
		for (name++; *name >= '0' && *name <= '9'; name++)
			;
	}
	if (strcmp(name, ".log") != 0)
		return 0;
	return y * 10000 + m * 100 + d;
}

int
log_prune(const char *dir, unsigned keep_days, time_t now,
    struct error *err_r)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct tm tm;
	int cutoff, date, removed = 0, failed = 0, first_errno = 0;
	DIR *d;

	if (keep_days == 0)
		return 0;
	if (keep_days > LOGS_KEEP_DAYS_MAX)
		keep_days = LOGS_KEEP_DAYS_MAX;
	/* The first day kept: today minus keep_days - 1, normalised by
	 * mktime (month and year borders, DST). */
	if (localtime_r(&now, &tm) == NULL)
		return error_set(err_r, ERR_INTERNAL, "no local time");
	tm.tm_mday -= (int)keep_days - 1;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1)
		return error_set(err_r, ERR_INTERNAL, "bad date");
	cutoff = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
	if ((d = opendir(dir)) == NULL)
		return error_set(err_r, ERR_IO, "cannot read %s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		date = log_file_date(de->d_name);
		if (date == 0 || date >= cutoff)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT && failed++ == 0)
			first_errno = errno;
	}
	closedir(d);
	if (failed > 0)
		return error_set(err_r, ERR_IO, "%d old log files in %s not "
		    "removed: %s", failed, dir, strerror(first_errno));
	return removed;
}
