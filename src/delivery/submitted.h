/* SPDX-License-Identifier: Apache-2.0 */
/*
 * submitted.h: the Submitted folder -- the PIPE module's drop folder
 * (docs/sendmail.md).  Programs (build/sendmail, scripts) write
 * <base>/Submitted/<name>.tmp and rename it to <name>.sub; a watcher
 * thread (inotify, and a scan every second and at start, so files written
 * while the server was stopped are taken too) parses each .sub file,
 * queues it with submit tag PIPE -- a trusted source: no relay checks --
 * and deletes it; a file that cannot be queued (no recipients, unreadable,
 * over SUBMITTED_FILE_MAX, malformed addresses) is renamed to .bad with a
 * Problem line under PIPE.  .tmp and all other names are never touched.
 *
 * The .sub format (docs/sendmail.md): a plain RFC 5322 message with native LF
 * line
 * ends (CR LF accepted too), no dot-stuffing.  Envelope-To: fields, when
 * present, alone give the recipients and are removed; otherwise the
 * addresses of To:, Cc: and Bcc: do, less those of Envelope-Ignore:.
 * Bcc: and Envelope-Ignore: fields are removed.  Return-Path: sets the
 * envelope sender ("<>" allowed) and is removed; without it the From:
 * (else Sender:) address is the sender.  Missing Date: and Message-ID: are
 * added (trusted source), and a Received: trace field goes on top.
 * Addresses without a domain get the main domain.
 */
#ifndef TEGAMI_DELIVERY_SUBMITTED_H
#define TEGAMI_DELIVERY_SUBMITTED_H

#include "lib/compat.h"

#include <time.h>

#include "lib/buf.h"
#include "lib/error.h"

#define SUBMITTED_FILE_MAX	(64UL * 1024 * 1024)	/* one .sub file */
#define SUBMITTED_RCPT_MAX	1000	/* recipients of one .sub file */
#define SUBMITTED_FIELD_MAX	(256 * 1024)	/* one (unfolded) header field */
#define SUBMITTED_SCAN_MAX	1000	/* files taken per folder scan */
#define SUBMITTED_POLL_MS	1000	/* rescan period without events */

struct server;
struct submitted;
struct log_module;

/* The PIPE log module. */
extern struct log_module log_pipe;

struct submitted_opts {
	const char	*main_domain;	/* for bare names, Message-ID, Received */
	time_t		 now;		/* Date:, Received: */
	const char	*unique;	/* Message-ID left part, Received id */
};

struct submitted_msg {
	char		*return_path;	/* "" for <> */
	char		**rcpts;	/* canonical addresses, no duplicates */
	size_t		 nrcpt;
	struct buf	 text;		/* the message to queue, CRLF lines */
};

/*
 * Pure: turns the bytes of a .sub file into an envelope and the message to
 * queue (see above).  0, or -1 with err_r: ERR_SYNTAX (bad address, no
 * recipients), ERR_LIMIT (sizes, counts).  Free m with
 * submitted_msg_clear() either way.
 */
int	submitted_parse(const char *data, size_t len,
	    const struct submitted_opts *o, struct submitted_msg *m,
	    struct error *err_r);
void	submitted_msg_clear(struct submitted_msg *m);

/* Creates <base>/Submitted (mode 0700) when missing and starts the
 * watcher thread; srv->queue must be running.  NULL with err_r. */
struct submitted *submitted_start(struct server *srv, struct error *err_r);
/* Stops the watcher (finishing the file in hand) and frees *sp. */
void	submitted_stop(struct submitted **sp);

#endif
