/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_private.h: what the files of src/auth share and nobody else uses --
 * the failed-login records (auth_flow.c) and the clock they run on.
 *
 * Two bounded tables keep the recent failures: one record per client address
 * (account NULL) and one per (account, address) pair.  Each record remembers
 * the times of its last AUTH_FLOW_RING failures.  A table holds at most
 * AUTH_FLOW_IPS_MAX / AUTH_FLOW_PAIRS_MAX records; when it is full the
 * record that expires first is dropped (an expired one if there is one).
 * Every function takes the tables' own lock.
 */
#ifndef TEGAMI_AUTH_AUTH_PRIVATE_H
#define TEGAMI_AUTH_AUTH_PRIVATE_H

#include "lib/compat.h"

#include "lib/iplist.h"
#include "lib/settings.h"

/* Seconds of the monotonic clock (never 0). */
uint32_t	auth_now_s(void);

/* Failures of the record within the last period_s seconds; 0 when there
 * is no record.  account NULL: the address record. */
unsigned	auth_flow_recent(const char *account, const struct ipaddr *ip,
		    uint32_t period_s);

/* Records a failure now and returns the failures within period_s, this one
 * included.  *evicted_r (may be NULL) is set when the table was full and a
 * record that had not expired yet was dropped to make room. */
unsigned	auth_flow_fail(const char *account, const struct ipaddr *ip,
		    uint32_t period_s, bool *evicted_r);

/* Drops one record (after a good login, or a blacklisting). */
void		auth_flow_clear(const char *account, const struct ipaddr *ip);

/* Drops the address record and every pair record of that address. */
void		auth_flow_forget_ip(const struct ipaddr *ip);

/* Records in use (tests): pairs or addresses. */
size_t		auth_flow_count(bool pairs);

/* Tests: forget everything. */
void		auth_flow_reset(void);

/* Settings/Protection.settings as a login reads it (auth_settings.c). */
#define AUTH_CLEAR_TEXT_IPS_DEFAULT	"127.0.0.0/8,::1"
#define AUTH_TEMPBL_TIME_DEFAULT	900	/* TempBlacklistTime = 15m */
struct auth_conf {
	bool			 reject_non_client;	/* RejectNonClientLogins */
	bool			 allow_clear;		/* AllowClearTextLogins */
	const struct iplist	*clear_ips;		/* ClearTextLoginIPs */
	uint64_t		 bl_time;		/* TempBlacklistTime, s */
	struct setting_rate	 bl_rate;	/* TempBlacklistFailedLogins */
};

#define TEMPBL_DEFAULT_N	20	/* TempBlacklistFailedLogins = (20, 10m) */

#endif
