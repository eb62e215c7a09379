/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_mail.c: mailbox and queue CLI commands (see cli_mail.h).  Results use
 * the data format: numbers as #n, times as #T..., one dictionary per
 * mailbox or queued message.
 *
 *   ListMailboxes user[@domain] [FILTER pattern]
 *	{INBOX = {Messages = #2; Size = #1234; }; "INBOX/x" = {...}; }
 *	(a \Noselect container maps to an empty dictionary)
 *   GetMailboxInfo user[@domain] MAILBOX name
 *	{Messages=#; Size=#; UIDNext=#; UIDValidity=#; Unseen=#; }
 *   CreateMailbox user[@domain] MAILBOX name
 *   DeleteMailbox user[@domain] MAILBOX name
 *   ListQueue [max]		array of message dictionaries
 *   QueueMessageInfo id		one message with all its recipients
 *   RejectQueueMessage id ["text"]
 *   ReleaseSMTPQueue "host"
 *   GetQueueCounts
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "cli/cli_mail.h"
#include "lib/dict.h"
#include "objects/objects.h"
#include "queue/queue.h"
#include "core/server.h"
#include "store/store.h"

static enum cli_rc
usage(struct error *err_r, const char *u)
{
	error_set(err_r, ERR_SYNTAX, "usage: %s", u);
	return CLI_ERROR;
}

static enum cli_rc
data(struct dval *v, struct buf *out)
{
	dict_write(out, v, 0);
	dict_free(&v);
	return CLI_DATA;
}

/* The store of account "name[@domain]" (a cached handle to release). */
static struct store *
account_store(struct cli_ctx *c, const char *acct, struct error *err_r)
{
	char name[OBJECT_NAME_MAX + 1], path[OBJECTS_PATH_MAX];
	const char *at, *domain = NULL;
	size_t n;

	if (acct == NULL || *acct == '\0') {
		error_set(err_r, ERR_SYNTAX, "account name expected");
		return NULL;
	}
	at = strrchr(acct, '@');
	n = at != NULL ? (size_t)(at - acct) : strlen(acct);
	if (n == 0 || n > OBJECT_NAME_MAX) {
		error_set(err_r, ERR_SYNTAX, "illegal object name");
		return NULL;
	}
	memcpy(name, acct, n);
	name[n] = '\0';
	if (at != NULL)
		domain = at + 1;
	if (objects_account_path(c->srv->objects, name, domain, path,
	    sizeof(path), err_r) < 0)
		return NULL;
	return store_cache_get(path, err_r);
}

/* "acct MAILBOX name": the store and the name. */
static struct store *
mailbox_args(struct cli_ctx *c, const struct cli_args *a, const char **mb_r,
    struct error *err_r)
{
	if (a->argc != 3 || !cli_arg_str(a, 0) || !cli_arg_is(a, 1,
	    "MAILBOX") || !cli_arg_str(a, 2)) {
		error_set(err_r, ERR_SYNTAX, "usage: %s account MAILBOX name",
		    a->name);
		return NULL;
	}
	*mb_r = cli_arg_str(a, 2);
	return account_store(c, cli_arg_str(a, 0), err_r);
}

static enum cli_rc
cmd_list_mailboxes(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct store_mailbox *v = NULL;
	struct store_status st;
	struct store *s;
	struct dval *res, *info;
	const char *pattern = "*";
	size_t n = 0, i;

	if (a->argc != 1 && !(a->argc == 3 && cli_arg_is(a, 1, "FILTER") &&
	    cli_arg_str(a, 2)))
		return usage(err_r, "ListMailboxes account [FILTER pattern]");
	if (a->argc == 3)
		pattern = cli_arg_str(a, 2);
	if ((s = account_store(c, cli_arg_str(a, 0), err_r)) == NULL)
		return CLI_ERROR;
	if (store_mailbox_list(s, pattern, false, &v, &n, err_r) < 0) {
		store_cache_release(&s);
		return CLI_ERROR;
	}
	res = dict_new_dict();
	for (i = 0; i < n; i++) {
		info = dict_new_dict();
		if (!v[i].noselect && store_mailbox_status(s, v[i].name, &st,
		    NULL) == 0) {
			dict_set(info, "Messages", dict_new_number(st.messages));
			dict_set(info, "Size", dict_new_number((int64_t)st.size));
		}
		dict_set(res, v[i].name, info);
	}
	store_mailbox_list_free(v, n);
	store_cache_release(&s);
	return data(res, out);
}

static enum cli_rc
cmd_get_mailbox_info(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct store_status st;
	struct store *s;
	struct dval *res;
	const char *mb;
	int r;

	if ((s = mailbox_args(c, a, &mb, err_r)) == NULL)
		return CLI_ERROR;
	r = store_mailbox_status(s, mb, &st, err_r);
	store_cache_release(&s);
	if (r < 0)
		return CLI_ERROR;
	res = dict_new_dict();
	dict_set(res, "Messages", dict_new_number(st.messages));
	dict_set(res, "Size", dict_new_number((int64_t)st.size));
	dict_set(res, "UIDNext", dict_new_number(st.uidnext));
	dict_set(res, "UIDValidity", dict_new_number(st.uidvalidity));
	dict_set(res, "Unseen", dict_new_number(st.unseen));
	return data(res, out);
}

static enum cli_rc
cmd_create_mailbox(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct store *s;
	const char *mb;
	int r;

	(void)out;
	if ((s = mailbox_args(c, a, &mb, err_r)) == NULL)
		return CLI_ERROR;
	r = store_mailbox_create(s, mb, NULL, err_r);
	store_cache_release(&s);
	return r == 0 ? CLI_OK : CLI_ERROR;
}

static enum cli_rc
cmd_delete_mailbox(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct store *s;
	const char *mb;
	int r;

	(void)out;
	if ((s = mailbox_args(c, a, &mb, err_r)) == NULL)
		return CLI_ERROR;
	r = store_mailbox_delete(s, mb, err_r);
	store_cache_release(&s);
	return r == 0 ? CLI_OK : CLI_ERROR;
}

/* ---- queue ---- */

static struct queue *
queue_of(struct cli_ctx *c, struct error *err_r)
{
	if (c->srv->queue == NULL)
		error_set(err_r, ERR_TEMP, "the queue is not running");
	return c->srv->queue;
}

/* Argument i as a queue id: #17 or "17". */
static int
id_arg(const struct cli_args *a, size_t i, uint64_t *id_r)
{
	const char *s;

	if (i >= a->argc)
		return -1;
	if (dict_type(a->argv[i]) == DICT_NUMBER) {
		if (dict_number(a->argv[i]) <= 0)
			return -1;
		*id_r = (uint64_t)dict_number(a->argv[i]);
		return 0;
	}
	s = cli_arg_str(a, i);
	return s != NULL ? strv_to_u64(strv_from(s), id_r) : -1;
}

static void
set_opt_str(struct dval *d, const char *key, const char *s)
{
	if (s != NULL)
		dict_set_str(d, key, s);
}

static const char *
state_name(const struct queue_rcpt_info *r)
{
	if (r->state == QUEUE_RCPT_DELIVERED)
		return "delivered";
	if (r->state == QUEUE_RCPT_FAILED)
		return "failed";
	return r->in_delivery ? "delivering" : "pending";
}

static struct dval *
msg_dict(const struct queue_msg_info *m)
{
	struct dval *d = dict_new_dict(), *rcpts = dict_new_array(), *r;
	size_t i;

	dict_set(d, "ID", dict_new_number((int64_t)m->id));
	dict_set_str(d, "From", m->return_path);
	dict_set_str(d, "SubmitTag", m->submit_tag);
	set_opt_str(d, "SourceIP", m->source_ip);
	set_opt_str(d, "AuthUser", m->auth_user);
	dict_set(d, "Received", dict_new_time(m->received, true));
	dict_set(d, "Size", dict_new_number((int64_t)m->size));
	for (i = 0; i < m->nrcpt; i++) {
		const struct queue_rcpt_info *ri = &m->rcpts[i];

		r = dict_new_dict();
		dict_set_str(r, "Address", ri->address);
		dict_set_str(r, "Module", ri->module);
		dict_set_str(r, "Target", ri->target);
		dict_set_str(r, "State", state_name(ri));
		dict_set(r, "Attempts", dict_new_number(ri->attempts));
		if (ri->state == QUEUE_RCPT_PENDING)
			dict_set(r, "NextAttempt",
			    dict_new_time(ri->next_attempt, true));
		set_opt_str(r, "LastError", ri->last_error);
		dict_array_push(rcpts, r);
	}
	dict_set(d, "Recipients", rcpts);
	return d;
}

static enum cli_rc
cmd_list_queue(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	struct queue_msg_info *list = NULL;
	struct queue *q;
	struct dval *res;
	uint64_t max = CLI_MAIL_LIST_MAX;
	size_t n = 0, i;

	if (a->argc > 1 || (a->argc == 1 && (id_arg(a, 0, &max) < 0 ||
	    max > CLI_MAIL_LIST_MAX)))
		return usage(err_r, "ListQueue [max]");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_list(q, (size_t)max, &list, &n, err_r) < 0)
		return CLI_ERROR;
	res = dict_new_array();
	for (i = 0; i < n; i++)
		dict_array_push(res, msg_dict(&list[i]));
	queue_list_free(&list, n);
	return data(res, out);
}

static enum cli_rc
cmd_queue_message_info(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct queue_msg_info info;
	struct queue *q;
	struct dval *res;
	uint64_t id;

	if (a->argc != 1 || id_arg(a, 0, &id) < 0)
		return usage(err_r, "QueueMessageInfo id");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_message_info(q, id, &info, err_r) < 0)
		return CLI_ERROR;
	res = msg_dict(&info);
	queue_msg_info_clear(&info);
	return data(res, out);
}

static enum cli_rc
cmd_reject_queue_message(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct queue *q;
	uint64_t id;

	(void)out;
	if (a->argc < 1 || a->argc > 2 || id_arg(a, 0, &id) < 0 ||
	    (a->argc == 2 && !cli_arg_str(a, 1)))
		return usage(err_r, "RejectQueueMessage id [\"text\"]");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_reject_message(q, id, a->argc == 2 ? cli_arg_str(a, 1) :
	    NULL, err_r) < 0)
		return CLI_ERROR;
	return CLI_OK;
}

static enum cli_rc
cmd_release_smtp_queue(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct queue *q;

	(void)out;
	if (a->argc != 1 || !cli_arg_str(a, 0))
		return usage(err_r, "ReleaseSMTPQueue host");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_release(q, "SMTP", cli_arg_str(a, 0), NULL, err_r) < 0)
		return CLI_ERROR;
	return CLI_OK;
}

static enum cli_rc
cmd_get_queue_counts(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct queue_counts qc;
	struct queue *q;
	struct dval *res;

	if (a->argc != 0)
		return usage(err_r, "GetQueueCounts");
	if ((q = queue_of(c, err_r)) == NULL || queue_counts(q, &qc, err_r) < 0)
		return CLI_ERROR;
	res = dict_new_dict();
	dict_set(res, "Messages", dict_new_number((int64_t)qc.messages));
	dict_set(res, "Pending", dict_new_number((int64_t)qc.rcpts_pending));
	dict_set(res, "InDelivery",
	    dict_new_number((int64_t)qc.rcpts_in_delivery));
	dict_set(res, "Delivered", dict_new_number((int64_t)qc.delivered));
	dict_set(res, "Failed", dict_new_number((int64_t)qc.failed));
	dict_set(res, "DSNs", dict_new_number((int64_t)qc.dsns));
	dict_set(res, "Submitted", dict_new_number((int64_t)qc.submitted));
	dict_set(res, "Transactions",
	    dict_new_number((int64_t)qc.transactions));
	return data(res, out);
}

static const struct cli_cmd cmds[] = {
	{ "ListMailboxes", CMD_MASTER, cmd_list_mailboxes,
	    "account [FILTER pattern]" },
	{ "GetMailboxInfo", CMD_MASTER, cmd_get_mailbox_info,
	    "account MAILBOX name" },
	{ "CreateMailbox", CMD_MASTER, cmd_create_mailbox,
	    "account MAILBOX name" },
	{ "DeleteMailbox", CMD_MASTER, cmd_delete_mailbox,
	    "account MAILBOX name" },
	{ "ListQueue", CMD_MASTER, cmd_list_queue, "[max]" },
	{ "QueueMessageInfo", CMD_MASTER, cmd_queue_message_info, "id" },
	{ "RejectQueueMessage", CMD_MASTER, cmd_reject_queue_message,
	    "id [\"text\"]" },
	{ "ReleaseSMTPQueue", CMD_MASTER, cmd_release_smtp_queue, "host" },
	{ "GetQueueCounts", CMD_MASTER, cmd_get_queue_counts, "" },
};

void
cli_mail_register(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	cli_add_commands(cmds, sizeof(cmds) / sizeof(cmds[0]));
}
