/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_testutil.h: what the queue's tests share: a router that sends
 * every address to LOCAL (the address is the target), a queue opened on a
 * base directory with that router, and a count of its body files.
 */
#ifndef TEGAMI_TESTS_QUEUE_TESTUTIL_H
#define TEGAMI_TESTS_QUEUE_TESTUTIL_H

#include "lib/compat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "lib/xmalloc.h"
#include "queue/queue.h"

static inline int
qt_local_router(void *arg, const char *address, struct queue_route *r)
{
	(void)arg;
	snprintf(r->module, sizeof(r->module), "LOCAL");
	snprintf(r->target, sizeof(r->target), "%s", address);
	return 0;
}

static inline struct queue *
qt_open(const char *base, size_t large_body, unsigned workers)
{
	struct queue_config cfg;
	struct queue *q;
	struct error err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.base_dir = base;
	cfg.large_body = large_body;
	cfg.workers = workers;
	q = queue_open(&cfg, &err);
	if (q == NULL)
		fatal("queue_open: %s", err.msg);
	queue_set_router(q, qt_local_router, NULL);
	return q;
}

/* Files in <base>/Queue/bodies. */
static inline size_t
qt_count_body_files(const char *base)
{
	char *path = xasprintf("%s/Queue/bodies", base);
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (d != NULL)
		closedir(d);
	free(path);
	return n;
}

#endif
