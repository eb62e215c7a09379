/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group.h: the GROUP dispatcher: mail to a group (objects' groups, CLI
 * CreateGroup) goes to every member.  The Router routes "group@domain" to
 * module GROUP; this dispatcher expands the group's Members (a bare name
 * is in the group's domain; groups within groups are expanded too, each
 * group once), and submits one new message
 * with the same return-path and body to all the addresses found, which the
 * queue then routes as usual (an unknown member fails with a DSN to the
 * sender).  The group's own recipient is then delivered.
 *
 * Outcomes: the group gone -> permanent "unknown group"; more than
 * QUEUE_RCPT_MAX addresses or groups nested deeper than GROUP_NEST_MAX
 * -> permanent (a DSN tells the sender); the queue refusing the new
 * message -> temporary.  A crash between the new message's commit and the
 * report of the group's recipient repeats the expansion (a duplicate,
 * never a loss).
 */
#ifndef TEGAMI_DELIVERY_GROUP_H
#define TEGAMI_DELIVERY_GROUP_H

#include "lib/compat.h"

#include "queue/queue.h"

struct objects;
struct router;
struct log_module;

/* The GROUP log module. */
extern struct log_module log_group;

struct group_ctx {
	struct objects	*objects;
	struct router	*router;
};

/* queue_dispatch_fn for module "GROUP"; arg is a struct group_ctx *,
 * target "group@domain". */
void	group_dispatch(void *arg, struct queue *q, const char *module,
	    const char *target, struct queue_item *items, size_t n);

#endif
