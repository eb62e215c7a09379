/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vacation.h: the account's automatic reply (CommuniGate Pro's WebUser
 * "Auto-Reply", JMAP VacationResponse of RFC 8621 8).  The settings and the
 * addresses already answered are kept in the account's folder as
 * vacation.data (the data format, lib/dict.h):
 *
 *	{ IsEnabled = YES; FromDate = "2026-12-01T00:00:00Z"; ToDate = ...;
 *	  Subject = ...; TextBody = ...; HtmlBody = ...;
 *	  RepliedAddresses = ("<unix time> <address>", ...); }
 *
 * FromDate, ToDate, Subject, TextBody and HtmlBody are absent when null.
 * LOCAL delivery calls vacation_after_delivery() once a message is stored;
 * the reply follows RFC 3834 (see vacation_check()) and goes through the
 * queue with a null envelope sender.  All reads and writes of the file go
 * through one process-wide lock.
 */
#ifndef TEGAMI_DELIVERY_VACATION_H
#define TEGAMI_DELIVERY_VACATION_H

#include "lib/compat.h"

#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"

struct queue;
struct log_session;

struct vacation_cfg {
	bool	 enabled;
	char	 from_date[32];		/* UTCDate, "" when null */
	char	 to_date[32];
	char	*subject;		/* owned, NULL when null */
	char	*text;
	char	*html;
};

/* The settings in dir/vacation.data into v (disabled, all null when there
 * is no file); -1 with err_r when it cannot be read.  Free with
 * vacation_cfg_clear(). */
int	 vacation_read(const char *dir, struct vacation_cfg *v,
	    struct error *err_r);
/* Writes v's settings (the addresses already answered are forgotten: a
 * new auto-reply goes to everyone again).  -1 with err_r. */
int	 vacation_write(const char *dir, const struct vacation_cfg *v,
	    struct error *err_r);
void	 vacation_cfg_clear(struct vacation_cfg *v);

/* RFC 8620 1.4 UTCDate ("2026-12-03T12:00:00Z") to seconds; -1 if bad. */
int64_t	 vacation_parse_date(const char *s);

/*
 * RFC 3834 2 and 5: why the message msg[0, len) from envelope sender must
 * not be answered, or NULL when it may be.  No reply to a null sender,
 * MAILER-DAEMON, owner-*, *-request; to Auto-Submitted other than "no",
 * Precedence bulk/list/junk, any List-* field; or when none of the
 * recipient addresses rcpts[0, nrcpt) is in To or Cc.  Pure.
 */
const char *vacation_check(const char *sender, const char *const *rcpts,
	    size_t nrcpt, const char *msg, size_t len);

/*
 * The auto-reply from address from to address to for msg[0, len) onto out
 * (RFC 3834 3: Auto-Submitted: auto-replied, In-Reply-To, References,
 * subject v->subject or "Auto: " and the original's; bodies in base64;
 * header lines under 998 bytes).  seq makes its Message-ID unique.
 */
void	 vacation_compose(const struct vacation_cfg *v, const char *from,
	    const char *to, const char *msg, size_t len, time_t now,
	    uint64_t seq, struct buf *out);

/*
 * After msg[0, len) from sender was stored for the account (folder dir,
 * address account) as envelope recipients rcpts[0, nrcpt): sends the auto-reply when
 * it is enabled, now is within its dates, vacation_check() allows it and
 * sender had none in the last VACATION_REPEAT seconds.  Logged on ls.
 */
void	 vacation_after_delivery(struct queue *q, struct log_session *ls,
	    const char *dir, const char *account, const char *const *rcpts,
	    size_t nrcpt, const char *sender, const char *msg, size_t len,
	    time_t now);

#endif
