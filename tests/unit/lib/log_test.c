/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_test.c: the server log.  Opens the log on a temporary directory,
 * writes records at various levels, flushes and checks the file line by line
 * with a small pattern matcher ('#' one digit, '*' any run of bytes).
 */
#include "lib/compat.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/test.h"
#include "lib/xmalloc.h"

static struct log_module log_test = LOG_MODULE("TEST");
static struct log_module log_other = LOG_MODULE("Other");

/* '#' matches one digit, '*' any (possibly empty) run, others themselves. */
static bool
match(const char *pat, const char *s)
{
	for (; *pat != '\0'; pat++, s++) {
		if (*pat == '*') {
			for (;; s++) {
				if (match(pat + 1, s))
					return true;
				if (*s == '\0')
					return false;
			}
		}
		if (*s == '\0')
			return false;
		if (*pat == '#') {
			if (*s < '0' || *s > '9')
				return false;
		} else if (*pat != *s)
			return false;
	}
	return *s == '\0';
}

/* Reads every *.log file in dir (sorted, so a midnight roll-over during the
 * test still reads in order) into b. */
static void
read_logs(const char *dir, struct buf *b)
{
	struct dirent **names;
	char path[1024], tmp[4096];
	ssize_t n;
	int i, cnt, fd;

	buf_reset(b);
	cnt = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < cnt; i++) {
		if (strstr(names[i]->d_name, ".log") != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name);
			if ((fd = open(path, O_RDONLY)) >= 0) {
				while ((n = read(fd, tmp, sizeof(tmp))) > 0)
					buf_append(b, tmp, (size_t)n);
				close(fd);
			}
		}
		free(names[i]);
	}
	free(names);
}

/* Number of lines in text matching pat. */
static int
count_matching(const char *text, const char *pat)
{
	char line[LOG_LINE_MAX + 2];
	const char *p = text, *nl;
	size_t len;
	int n = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > LOG_LINE_MAX)
			len = LOG_LINE_MAX;
		memcpy(line, p, len);
		line[len] = '\0';
		if (match(pat, line))
			n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

static void *
thread_writer(void *arg)
{
	int i, t = *(int *)arg;

	for (i = 0; i < 1000; i++)
		log_mod(&log_other, LOG_PROBLEM, "thread %d record %d", t, i);
	return NULL;
}

static void
test_escape(void)
{
	char out[64];

	test_begin("log_escape");
	log_escape(out, sizeof(out), "ab\r\n\x7f\xff", 6);
	test_assert_str(out, "ab\\x0D\\x0A\\x7F\\xFF");
	log_escape(out, sizeof(out), "plain text; ok", 14);
	test_assert_str(out, "plain text; ok");
	/* Cut to size, never half an escape. */
	log_escape(out, 6, "abc\x01", 4);
	test_assert_str(out, "abc");
	log_escape(out, 8, "abc\x01", 4);
	test_assert_str(out, "abc\\x01");
	log_escape(out, 4, "abcdef", 6);
	test_assert_str(out, "abc");
	log_escape(out, 1, "abc", 3);
	test_assert_str(out, "");
	log_escape(out, sizeof(out), "a\0b", 3);
	test_assert_str(out, "a\\x00b");
	test_end();
}

static void
test_registry(void)
{
	test_begin("registry: set/get level by name");
	log_register(&log_test);
	log_register(&log_test);		/* idempotent */
	log_register(&log_other);
	test_assert(log_get_level("TEST") == LOG_PROBLEM);
	test_assert(log_set_level("test", LOG_LOW) == 0);
	test_assert(log_test.level == LOG_LOW);
	test_assert(log_get_level("Test") == LOG_LOW);
	test_assert(log_set_level("OTHER", LOG_ALL) == 0);
	test_assert(log_other.level == LOG_ALL);
	test_assert(log_set_level("nosuch", 2) == -1);
	test_assert(log_get_level("nosuch") == -1);
	test_assert(log_set_level("TEST", 6) == -1);
	test_assert(log_set_level("TEST", -1) == -1);
	test_assert(log_set_level("TEST", LOG_PROBLEM) == 0);
	test_assert(log_set_level("OTHER", LOG_PROBLEM) == 0);
	test_end();
}

int
main(void)
{
	char dir[] = "/tmp/log_testXXXXXX", path[1100], big[LOG_LINE_MAX * 2];
	struct log_session ls1, ls2;
	struct error err;
	struct buf b;
	struct stat st;
	struct tm tm;
	time_t now;
	pthread_t th[4];
	int targ[4], i, n;

	umask(022);
	buf_init(&b, 64 * 1024 * 1024);
	test_escape();
	test_registry();

	test_begin("open on a directory");
	test_assert(mkdtemp(dir) != NULL);
	test_assert(log_open("/nonexistent/dir", false, &err) == -1);
	test_assert(err.kind == ERR_IO);
	test_assert(log_open(dir, false, &err) == 0);
	test_assert(log_open(dir, false, &err) == -1);	/* already open */
	test_assert(log_get_level("SYSTEM") == LOG_PROBLEM);
	test_end();

	log_mod(&log_test, LOG_FAILURE, "failure %d", 1);
	log_mod(&log_test, LOG_PROBLEM, "problem %s", "two");
	log_mod(&log_test, LOG_LOW, "low level must not appear");
	log_mod(&log_test, LOG_ALL, "all info must not appear");
	log_session_init(&ls1, &log_test, "[192.0.2.7]:4711");
	log_session_init(&ls2, &log_test, "[2001:db8::1]");
	log_ses(&ls1, LOG_MAJOR, "session %lu", ls1.id);
	log_ses(&ls1, LOG_ALL, "session debug must not appear");
	ls2.force_level = LOG_ALL;		/* a Debug IP */
	log_ses(&ls2, LOG_ALL, "forced debug");
	log_mod(&log_test, LOG_PROBLEM, "two\r\nlines");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_mod(&log_test, LOG_PROBLEM, "big %s", big);
	test_assert(log_set_level("TEST", LOG_LOW) == 0);
	log_mod(&log_test, LOG_LOW, "low level now on");
	test_assert(log_set_level("TEST", LOG_PROBLEM) == 0);
	log_flush();
	read_logs(dir, &b);

	test_begin("file name, mode and record format");
	now = time(NULL);
	localtime_r(&now, &tm);
	snprintf(path, sizeof(path), "%s/%04d-%02d-%02d.log", dir,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	test_assert(stat(path, &st) == 0);
	test_assert((st.st_mode & 0777) == 0640);
	test_assert(count_matching(b.data, "##:##:##.### 1 TEST failure 1")
	    == 1);
	test_assert(count_matching(b.data, "##:##:##.### 3 TEST problem two")
	    == 1);
	test_assert(strstr(b.data, "must not appear") == NULL);
	test_end();

	test_begin("session records: padded id and context");
	test_assert(ls1.id == 1 && ls2.id == 2);
	test_assert(count_matching(b.data,
	    "##:##:##.### 2 TEST-000001([192.0.2.7]:4711) session 1") == 1);
	test_assert(count_matching(b.data,
	    "##:##:##.### 5 TEST-000002([2001:db8::1]) forced debug") == 1);
	test_end();

	test_begin("one record is one line; long lines cut");
	test_assert(count_matching(b.data, "* 3 TEST two  lines") == 1);
	test_assert(count_matching(b.data, "* 3 TEST big xxx*") == 1);
	{
		const char *p = strstr(b.data, "TEST big "), *nl;

		test_assert(p != NULL);
		while (p != NULL && p > b.data && p[-1] != '\n')
			p--;
		nl = p != NULL ? strchr(p, '\n') : NULL;
		test_assert(nl != NULL && (size_t)(nl - p) + 1 == LOG_LINE_MAX);
	}
	test_end();

	test_begin("set_level by name takes effect");
	test_assert(count_matching(b.data, "* 4 TEST low level now on") == 1);
	test_end();

	test_begin("overflow: records dropped and counted");
	log_set_queue_limit(4);
	log_hold_writer(true);
	for (i = 0; i < 10; i++)
		log_mod(&log_test, LOG_PROBLEM, "overflow %d", i);
	log_hold_writer(false);
	log_flush();
	log_set_queue_limit(0);
	read_logs(dir, &b);
	test_assert(count_matching(b.data, "* 3 TEST overflow #") == 4);
	test_assert(count_matching(b.data, "* 3 TEST overflow 3") == 1);
	test_assert(count_matching(b.data, "* 3 TEST overflow 4") == 0);
	test_assert(count_matching(b.data,
	    "##:##:##.### 3 SYSTEM 6 log records dropped") == 1);
	/* Only once: the next batch reports nothing. */
	log_mod(&log_test, LOG_PROBLEM, "after overflow");
	log_flush();
	read_logs(dir, &b);
	test_assert(count_matching(b.data, "* SYSTEM * dropped") == 1);
	test_assert(count_matching(b.data, "* TEST after overflow") == 1);
	test_end();

	test_begin("concurrent writers, ids atomic");
	for (i = 0; i < 4; i++) {
		targ[i] = i;
		pthread_create(&th[i], NULL, thread_writer, &targ[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	log_flush();
	read_logs(dir, &b);
	test_assert(count_matching(b.data, "* 3 Other thread # record *")
	    == 4000);
	test_assert(count_matching(b.data, "* 3 Other thread 2 record 999")
	    == 1);
	n = 0;
	for (i = 0; i < 100; i++) {
		log_session_init(&ls1, &log_other, NULL);
		n += ls1.context[0] == '\0';
	}
	test_assert(n == 100 && ls1.id == 100);
	test_end();

	test_begin("busy writer: records still written, flushed at once");
	/* 4,000 records just now: the writer is in its busy mode. */
	log_mod(&log_test, LOG_PROBLEM, "busy tail %d", 1);
	log_flush();
	read_logs(dir, &b);
	test_assert(count_matching(b.data, "* TEST busy tail 1") == 1);
	/* without a flush it shows by itself (bounded wait, 2 s) */
	log_mod(&log_test, LOG_PROBLEM, "busy tail %d", 2);
	for (i = 0; i < 200; i++) {
		read_logs(dir, &b);
		if (count_matching(b.data, "* TEST busy tail 2") == 1)
			break;
		usleep(10000);
	}
	test_assert(count_matching(b.data, "* TEST busy tail 2") == 1);
	test_end();

	test_begin("after close: stderr, synchronously");
	log_close();
	{
		char errpath[1100];
		int fd, saved;

		snprintf(errpath, sizeof(errpath), "%s/stderr.txt", dir);
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		saved = dup(STDERR_FILENO);
		dup2(fd, STDERR_FILENO);
		log_mod(&log_test, LOG_FAILURE, "to stderr");
		dup2(saved, STDERR_FILENO);
		close(saved);
		close(fd);
		fd = open(errpath, O_RDONLY);
		memset(big, 0, sizeof(big));
		test_assert(read(fd, big, sizeof(big) - 1) > 0);
		close(fd);
		test_assert(match("##:##:##.### 1 TEST to stderr\n", big));
		unlink(errpath);
	}
	log_flush();				/* no writer: returns at once */
	test_end();

	read_logs(dir, &b);
	{
		struct dirent **names;
		int cnt = scandir(dir, &names, NULL, alphasort);

		for (i = 0; i < cnt; i++) {
			if (names[i]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir,
				    names[i]->d_name);
				unlink(path);
			}
			free(names[i]);
		}
		free(names);
		rmdir(dir);
	}
	buf_free(&b);
	return test_done();
}
