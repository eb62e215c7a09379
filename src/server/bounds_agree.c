/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bounds_agree.c: limits that two modules must agree on, checked when the
 * server is compiled.  Each module keeps its own limit beside its code
 * (lib/bounds.h for the shared ones); where one module hands data to
 * another, the receiver's limit must hold whatever the sender accepted,
 * or a message or reason accepted at one end would fail, or be cut, at
 * the other.  The server's wiring sees every module's public header, so
 * the checks live here; a limit inside one module is checked beside its
 * definition (net/listener_limits.c, pop_private.h, imap_private.h).
 */
#include "lib/compat.h"

#include "delivery/submitted.h"
#include "imap/imap_parse.h"
#include "lib/bounds.h"
#include "queue/queue.h"
#include "router/router.h"
#include "smtp/smtp.h"
#include "store/store.h"

/* SMTP's MaxMessageSize and MaxRecipients can be set no higher than the
 * queue takes: what DATA acknowledges, the queue holds. */
_Static_assert(SMTP_MSG_SIZE_MAX <= QUEUE_BODY_MAX,
    "SMTP accepts no message larger than the queue holds");
_Static_assert(SMTP_RCPT_MAX <= QUEUE_RCPT_MAX,
    "SMTP accepts no more recipients than the queue holds");
/* A .sub file (tegami-sendmail, the Submitted folder) becomes one queued
 * message. */
_Static_assert(SUBMITTED_FILE_MAX <= QUEUE_BODY_MAX,
    "a Submitted file fits in the queue");

/* Local delivery stores each queued body after turning bare LF into CRLF,
 * which at most doubles it: every body the queue took fits the store. */
_Static_assert(STORE_MESSAGE_MAX >= 2 * QUEUE_BODY_MAX,
    "a queued body, CRLF-normalised, fits the account store");
/* An IMAP APPEND literal is stored as one message. */
_Static_assert(IMAP_APPEND_MAX <= STORE_MESSAGE_MAX,
    "an APPEND the IMAP module reads fits the account store");

/* The Router's result becomes the queue's route (server/mailflow.c):
 * LOCAL "account@domain", SMTP the host, PIPE the program text. */
_Static_assert(QUEUE_TARGET_MAX >= OBJECT_NAME_MAX + 1 + DOMAIN_NAME_MAX,
    "a LOCAL target account@domain fits the queue's target");
_Static_assert(QUEUE_TARGET_MAX >= sizeof(((struct route_result *)0)->host) - 1,
    "an SMTP host fits the queue's target");
_Static_assert(QUEUE_TARGET_MAX >= ADDRESS_MAX,
    "a PIPE program (an address's text) fits the queue's target");
_Static_assert(sizeof(((struct route_result *)0)->error) == QUEUE_TEXT_MAX + 1,
    "the Router's refusal reason reaches the queue and the peer whole");

/* A SASL PLAIN response of the longest valid login (lib/bounds.h) is one
 * AUTH line in every protocol. */
_Static_assert(SMTP_AUTH_LINE_MAX >= SASL_PLAIN_B64_MAX,
    "SMTP AUTH reads the longest PLAIN response");
_Static_assert(SMTP_HELO_MAX >= DOMAIN_NAME_MAX,
    "EHLO takes any domain name");
