/* SPDX-License-Identifier: Apache-2.0 */
/*
 * submitted.c: the Submitted folder watcher thread (see submitted.h).  It
 * waits on inotify (IN_MOVED_TO, IN_CLOSE_WRITE) with a SUBMITTED_POLL_MS
 * timeout -- so it also works where inotify is missing or its queue
 * overflowed -- and scans the folder at start and after every wake-up.
 */
#include "lib/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "delivery/submitted.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "queue/queue.h"
#include "core/server.h"

struct log_module log_pipe = LOG_MODULE("PIPE");

struct submitted {
	struct server	*srv;
	char		*dir;
	int		 ino;		/* inotify fd or -1 */
	int		 wake[2];	/* stop pipe */
	pthread_t	 thread;
	atomic_bool	 stop;
	atomic_bool	 stop_scan;	/* queue trouble: rest of this scan */
	unsigned long	 counter;	/* Message-ID uniqueness */
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the regular file name (relative to dir fd) into out. */
static int
read_file(int dfd, const char *name, struct buf *out, struct error *err_r)
{
	struct stat st;
	char chunk[65536];
	ssize_t r;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return error_set(err_r, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err_r, ERR_IO, "not a regular file");
	}
	if ((uint64_t)st.st_size > SUBMITTED_FILE_MAX) {
		close(fd);
		return error_set(err_r, ERR_LIMIT, "file larger than %lu bytes",
		    SUBMITTED_FILE_MAX);
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_append(out, chunk, (size_t)r);
		if (out->err != 0)
			break;
	}
	close(fd);
	if (r < 0)
		return error_set(err_r, ERR_IO, "read: %s", strerror(errno));
	if (out->err != 0)
		return error_set(err_r, ERR_LIMIT, "file larger than %lu bytes",
		    SUBMITTED_FILE_MAX);
	return 0;
}

/* Renames name.sub to name.bad. */
static void
make_bad(struct submitted *sb, int dfd, const char *name)
{
	char *bad = xstrdup(name);

	memcpy(bad + strlen(bad) - 4, ".bad", 4);
	if (renameat(dfd, name, dfd, bad) < 0)
		log_mod(&log_pipe, LOG_FAILURE, "cannot rename %s/%s: %s",
		    sb->dir, name, strerror(errno));
	free(bad);
}

/* Name stem for Message-ID and Received: the file name without .sub,
 * letters, digits, '.', '-', '_' only, then ".<time>.<n>". */
static void
make_unique(struct submitted *sb, const char *name, char *buf, size_t size)
{
	char stem[64];
	size_t i, n = strlen(name) - 4;

	if (n > sizeof(stem) - 1)
		n = sizeof(stem) - 1;
	for (i = 0; i < n; i++) {
		char c = name[i];

		stem[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-') ? c : '_';
	}
	stem[n] = '\0';
	snprintf(buf, size, "%s.%lld.%lu", stem, (long long)time(NULL),
	    ++sb->counter);
}

/* Takes one .sub file.  Returns -1 when the queue failed temporarily (the
 * file stays for the next scan). */
static int
take(struct submitted *sb, int dfd, const char *name)
{
	char domain[DOMAIN_NAME_MAX + 1], uniq[128];
	struct submitted_opts o;
	struct submitted_msg m;
	struct queue_rcpt *rc;
	struct queue_msg qm;
	struct log_session ls;
	struct error err;
	struct buf data;
	uint64_t id;
	size_t i;
	int r = 0;

	log_session_init(&ls, &log_pipe, name);
	error_clear(&err);
	buf_init(&data, SUBMITTED_FILE_MAX);
	if (read_file(dfd, name, &data, &err) < 0) {
		buf_free(&data);
		if (err.kind == ERR_NOTFOUND)
			return 0;		/* taken by someone else */
		log_ses(&ls, LOG_PROBLEM, "rejected: %s", err.msg);
		make_bad(sb, dfd, name);
		return 0;
	}
	objects_main_domain(sb->srv->objects, domain, sizeof(domain));
	make_unique(sb, name, uniq, sizeof(uniq));
	o.main_domain = domain;
	o.now = time(NULL);
	o.unique = uniq;
	if (submitted_parse(data.data, data.len, &o, &m, &err) < 0) {
		log_ses(&ls, LOG_PROBLEM, "rejected: %s", err.msg);
		make_bad(sb, dfd, name);
		goto out;
	}
	rc = xcalloc(m.nrcpt, sizeof(*rc));
	for (i = 0; i < m.nrcpt; i++)
		rc[i].address = m.rcpts[i];
	memset(&qm, 0, sizeof(qm));
	qm.return_path = m.return_path;
	qm.submit_tag = "PIPE";
	qm.rcpts = rc;
	qm.nrcpt = m.nrcpt;
	qm.body = m.text.data;
	qm.body_len = m.text.len;
	if (queue_submit(sb->srv->queue, &qm, &id, &err) < 0) {
		if (err.kind == ERR_IO || err.kind == ERR_TEMP ||
		    err.kind == ERR_INTERNAL) {
			log_ses(&ls, LOG_FAILURE, "cannot queue (will retry): "
			    "%s", err.msg);
			r = -1;
		} else {
			log_ses(&ls, LOG_PROBLEM, "rejected: %s", err.msg);
			make_bad(sb, dfd, name);
		}
	} else {
		log_ses(&ls, LOG_MAJOR, "queued: queue id %" PRIu64 ", from "
		    "<%s>, %zu recipient(s), %zu bytes", id, m.return_path,
		    m.nrcpt, m.text.len);
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			log_ses(&ls, LOG_FAILURE, "cannot remove (the message "
			    "may be queued again): %s", strerror(errno));
	}
	free(rc);
out:
	submitted_msg_clear(&m);
	buf_free(&data);
	return r;
}

/* One pass over the folder: every *.sub, in name order. */
static void
scan(struct submitted *sb)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0, i, l;
	DIR *d;
	int dfd;

	d = opendir(sb->dir);
	if (d == NULL) {
		log_mod(&log_pipe, LOG_FAILURE, "cannot read %s: %s", sb->dir,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && n < SUBMITTED_SCAN_MAX) {
		l = strlen(de->d_name);
		if (l <= 4 || strcmp(de->d_name + l - 4, ".sub") != 0)
			continue;
		names = xrealloc(names, size_mul(n + 1, sizeof(*names)));
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	dfd = dirfd(d);
	for (i = 0; i < n; i++) {
		/* On queue trouble the rest waits for the next scan. */
		if (!atomic_load(&sb->stop) && take(sb, dfd, names[i]) < 0)
			atomic_store(&sb->stop_scan, true);
		if (atomic_load(&sb->stop_scan))
			break;
	}
	atomic_store(&sb->stop_scan, false);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void *
watcher(void *arg)
{
	struct submitted *sb = arg;
	struct pollfd pfd[2];
	char evbuf[4096];

	while (!atomic_load(&sb->stop)) {
		scan(sb);
		pfd[0].fd = sb->wake[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = sb->ino;
		pfd[1].events = POLLIN;
		if (poll(pfd, sb->ino >= 0 ? 2 : 1, SUBMITTED_POLL_MS) > 0 &&
		    sb->ino >= 0 && (pfd[1].revents & POLLIN))
			while (read(sb->ino, evbuf, sizeof(evbuf)) > 0)
				;		/* drain; we rescan anyway */
	}
	return NULL;
}

struct submitted *
submitted_start(struct server *srv, struct error *err_r)
{
	struct submitted *sb;

	sb = xcalloc(1, sizeof(*sb));
	sb->srv = srv;
	sb->dir = xasprintf("%s/Submitted", srv->base);
	if (mkdir(sb->dir, 0700) < 0 && errno != EEXIST) {
		error_set(err_r, ERR_IO, "cannot create %s: %s", sb->dir,
		    strerror(errno));
		free(sb->dir);
		free(sb);
		return NULL;
	}
	if (pipe2(sb->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		error_set(err_r, ERR_IO, "pipe: %s", strerror(errno));
		free(sb->dir);
		free(sb);
		return NULL;
	}
	sb->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sb->ino >= 0 && inotify_add_watch(sb->ino, sb->dir, IN_MOVED_TO |
	    IN_CLOSE_WRITE) < 0) {
		close(sb->ino);
		sb->ino = -1;
	}
	if (sb->ino < 0)
		log_mod(&log_pipe, LOG_PROBLEM, "no inotify for %s: scanning "
		    "every %d ms", sb->dir, SUBMITTED_POLL_MS);
	if (pthread_create(&sb->thread, NULL, watcher, sb) != 0) {
		error_set(err_r, ERR_INTERNAL, "cannot start the Submitted "
		    "folder thread");
		if (sb->ino >= 0)
			close(sb->ino);
		close(sb->wake[0]);
		close(sb->wake[1]);
		free(sb->dir);
		free(sb);
		return NULL;
	}
	return sb;
}

void
submitted_stop(struct submitted **sp)
{
	struct submitted *sb = *sp;
	ssize_t w;

	if (sb == NULL)
		return;
	atomic_store(&sb->stop, true);
	w = write(sb->wake[1], "x", 1);
	(void)w;
	pthread_join(sb->thread, NULL);
	if (sb->ino >= 0)
		close(sb->ino);
	close(sb->wake[0]);
	close(sb->wake[1]);
	free(sb->dir);
	free(sb);
	*sp = NULL;
}
