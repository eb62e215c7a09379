/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue_settings.c: the queue's settings table; see queue_settings.h.
 * The defaults are those queue_open() uses when given none.
 */
#include "lib/compat.h"

#include "queue/queue.h"
#include "queue/queue_settings.h"

_Static_assert(QUEUE_RETRY_STEPS_MAX <= SETTINGS_LIST_MAX,
    "RetrySchedule must fit a settings list");

static const struct setting_def queue_defs[] = {
	SETTING("MaxQueueTime", SETTING_TIME, SETTING_AT_RESTART,
	    struct queue_conf, max_queue_time, QUEUE_DEFAULT_MAX_TIME, 60,
	    UINT32_MAX, NULL, 0),
	SETTING("RetrySchedule", SETTING_TIMES, SETTING_AT_RESTART,
	    struct queue_conf, retry, 0, 1, UINT32_MAX,
	    "1m, 5m, 15m, 30m, 1h, 2h, 4h", 0),
	SETTING("Processors", SETTING_NUMBER, SETTING_AT_RESTART,
	    struct queue_conf, workers, 4, 1, QUEUE_WORKERS_MAX, NULL, 0),
};

const struct settings_table queue_settings_table =
    SETTINGS_TABLE("QUEUE", struct queue_conf, queue_defs);
