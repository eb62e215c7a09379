/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_prune_test.c: log retention (LogsKeepDays).  Makes a SystemLogs-like
 * directory with day files of old dates, size roll-overs and unrelated
 * files, and checks which ones log_prune() removes, across a month and a
 * year border, in UTC.
 */
#include "lib/compat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/log.h"
#include "lib/test.h"

static char dir[] = "/tmp/log_prune_testXXXXXX";

static void
touch(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd >= 0)
		close(fd);
}

static bool
exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void
clear(void)
{
	static const char *const all[] = {
		"2026-12-02.log", "2026-12-01.log", "2026-11-30.log",
		"2026-11-26.log", "2026-11-25.log", "2026-11-25_1.log",
		"2025-12-31.log", "notes.txt", "2026-11-01.log.gz",
		"2026-13-01.log", "2026-11-01_x.log", "x2026-11-01.log",
		"2027-01-01.log", "2027-01-02.log",
	};
	char path[256];
	size_t i;

	for (i = 0; i < N_ELEMENTS(all); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, all[i]);
		(void)unlink(path);
	}
}

int
main(void)
{
	struct error err;
	struct tm tm;
	time_t now;
	char path[256];
	int n;

	setenv("TZ", "UTC", 1);
	tzset();
	if (mkdtemp(dir) == NULL)
		return 1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 11;				/* 2 December 2026, 00:30 */
	tm.tm_mday = 2;
	tm.tm_min = 30;
	now = timegm(&tm);

	test_begin("keep 7 days: today and the 6 before stay");
	clear();
	touch("2026-12-02.log");
	touch("2026-12-01.log");
	touch("2026-11-26.log");		/* 7th day back: kept */
	touch("2026-11-25.log");		/* 8th: removed */
	touch("2026-11-25_1.log");		/* its roll-over too */
	touch("2025-12-31.log");
	touch("notes.txt");			/* not a log file */
	touch("2026-11-01.log.gz");		/* compressed by someone */
	touch("2026-13-01.log");		/* no such month */
	touch("2026-11-01_x.log");
	touch("x2026-11-01.log");
	n = log_prune(dir, 7, now, &err);
	test_assert(n == 3);
	test_assert(exists("2026-12-02.log"));
	test_assert(exists("2026-12-01.log"));
	test_assert(exists("2026-11-26.log"));
	test_assert(!exists("2026-11-25.log"));
	test_assert(!exists("2026-11-25_1.log"));
	test_assert(!exists("2025-12-31.log"));
	test_assert(exists("notes.txt"));
	test_assert(exists("2026-11-01.log.gz"));
	test_assert(exists("2026-13-01.log"));
	test_assert(exists("2026-11-01_x.log"));
	test_assert(exists("x2026-11-01.log"));
	test_end();

	test_begin("second run removes nothing");
	test_assert(log_prune(dir, 7, now, &err) == 0);
	test_end();

	test_begin("keep 0: everything stays");
	clear();
	touch("2025-12-31.log");
	test_assert(log_prune(dir, 0, now, &err) == 0);
	test_assert(exists("2025-12-31.log"));
	test_end();

	test_begin("keep 1: only today's file");
	clear();
	touch("2026-12-02.log");
	touch("2026-12-01.log");
	test_assert(log_prune(dir, 1, now, &err) == 1);
	test_assert(exists("2026-12-02.log"));
	test_assert(!exists("2026-12-01.log"));
	test_end();

	test_begin("month and year borders");
	clear();
	touch("2026-12-01.log");
	touch("2026-11-30.log");
	touch("2025-12-31.log");
	/* 2 Dec, keep 2: 1 Dec and 2 Dec stay, 30 Nov goes */
	test_assert(log_prune(dir, 2, now, &err) == 2);
	test_assert(exists("2026-12-01.log"));
	test_assert(!exists("2026-11-30.log"));
	clear();
	touch("2027-01-01.log");
	touch("2027-01-02.log");
	touch("2026-12-01.log");
	touch("2025-12-31.log");
	tm.tm_year = 2027 - 1900;		/* 2 January 2027, keep 33 */
	tm.tm_mon = 0;
	tm.tm_mday = 2;
	test_assert(log_prune(dir, 33, timegm(&tm), &err) == 1);
	test_assert(exists("2026-12-01.log"));
	test_assert(!exists("2025-12-31.log"));
	test_assert(log_prune(dir, 32, timegm(&tm), &err) == 1);
	test_assert(!exists("2026-12-01.log"));
	test_assert(exists("2027-01-01.log"));
	test_end();

	test_begin("a missing directory is an error");
	snprintf(path, sizeof(path), "%s/none", dir);
	test_assert(log_prune(path, 7, now, &err) == -1);
	test_assert(strstr(err.msg, "cannot read") != NULL);
	test_end();

	clear();
	rmdir(dir);
	return test_done();
}
