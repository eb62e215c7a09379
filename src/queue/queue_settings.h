/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_settings.h: the settings of the queue (Settings/QUEUE.settings) as
 * one settings table (lib/settings.h).  Read when the queue starts.
 */
#ifndef TEGAMI_QUEUE_QUEUE_SETTINGS_H
#define TEGAMI_QUEUE_QUEUE_SETTINGS_H

#include "lib/compat.h"

#include "lib/settings.h"

struct queue_conf {
	uint64_t		 max_queue_time;	/* MaxQueueTime, s */
	struct setting_times	 retry;			/* RetrySchedule */
	uint64_t		 workers;		/* Processors */
};

extern const struct settings_table queue_settings_table;

#endif
