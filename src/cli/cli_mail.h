/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_mail.h: the CLI commands of the mail path (docs/admin-cli.md):
 * mailboxes of an account (ListMailboxes, GetMailboxInfo,
 * CreateMailbox, DeleteMailbox) and the queue (ListQueue,
 * QueueMessageInfo, RejectQueueMessage, ReleaseSMTPQueue,
 * GetQueueCounts).  All need the Master right.
 */
#ifndef TEGAMI_CLI_CLI_MAIL_H
#define TEGAMI_CLI_CLI_MAIL_H

#include "lib/compat.h"

#define CLI_MAIL_LIST_MAX	1000	/* messages ListQueue shows at most */
#define QUEUE_INFO_SCAN_MAX	100000	/* messages GetMessageQueueInfo counts at most */

/* Adds the commands to the CLI table (once; later calls do nothing). */
void	cli_mail_register(void);

#endif
