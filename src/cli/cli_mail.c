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
 *   ListQueue [max]		array of destination queues with their messages
 *   GetMessageQueueInfo module QUEUE name	one destination queue + trace
 *   QueueMessageInfo id		one message with all its recipients
 *   RejectQueueMessage id ["text"]
 *   ReleaseSMTPQueue "host"
 *   GetQueueCounts
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli_args.h"
#include "cli/cli_commands.h"
#include "cli/cli_mail.h"
#include "delivery/smtp_out.h"
#include "lib/xmalloc.h"
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

/* One destination queue (module, target) as ListQueue and
 * GetMessageQueueInfo show it. */
struct dest_queue {
	const char	*module, *target;
	struct dval	*msgs;		/* message dictionaries */
	size_t		 nmsg, nrcpt;
	uint64_t	 size;
	int64_t		 next;		/* earliest next attempt */
	bool		 delivering;
	const char	*last_error;
	uint64_t	 last_msg;	/* last message counted */
};

/* "Delayed till HH:MM:SS" (local time; with the date when not today),
 * "Delivering" or "Ready". */
static void
dest_state(const struct dest_queue *d, char *buf, size_t size)
{
	time_t now = time(NULL), t = (time_t)d->next;
	struct tm tn, tt;
	char when[32];

	if (d->delivering) {
		snprintf(buf, size, "Delivering");
		return;
	}
	if (d->next <= (int64_t)now) {
		snprintf(buf, size, "Ready");
		return;
	}
	localtime_r(&now, &tn);
	localtime_r(&t, &tt);
	strftime(when, sizeof(when), tn.tm_yday == tt.tm_yday &&
	    tn.tm_year == tt.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tt);
	snprintf(buf, size, "Delayed till %s", when);
}

/* Groups the pending recipients of list[0..n) by destination. */
static struct dest_queue *
dest_queues(struct queue_msg_info *list, size_t n, bool with_msgs,
    size_t *nq_r)
{
	struct dest_queue *dq = NULL;
	size_t nq = 0, i, j, k;

	for (i = 0; i < n; i++) {
		for (j = 0; j < list[i].nrcpt; j++) {
			const struct queue_rcpt_info *r = &list[i].rcpts[j];

			if (r->state != QUEUE_RCPT_PENDING)
				continue;
			for (k = 0; k < nq; k++)
				if (strcmp(dq[k].module, r->module) == 0 &&
				    strcmp(dq[k].target, r->target) == 0)
					break;
			if (k == nq) {
				dq = xrealloc(dq, (nq + 1) * sizeof(*dq));
				memset(&dq[nq], 0, sizeof(*dq));
				dq[nq].module = r->module;
				dq[nq].target = r->target;
				dq[nq].next = INT64_MAX;
				if (with_msgs)
					dq[nq].msgs = dict_new_array();
				nq++;
			}
			dq[k].nrcpt++;
			if (r->in_delivery)
				dq[k].delivering = true;
			if (r->next_attempt < dq[k].next)
				dq[k].next = r->next_attempt;
			if (r->last_error != NULL)
				dq[k].last_error = r->last_error;
			if (dq[k].last_msg != list[i].id) {
				dq[k].last_msg = list[i].id;
				dq[k].nmsg++;
				dq[k].size += list[i].size;
				if (with_msgs)
					dict_array_push(dq[k].msgs,
					    msg_dict(&list[i]));
			}
		}
	}
	*nq_r = nq;
	return dq;
}

static struct dval *
dest_dict(const struct dest_queue *d)
{
	struct dval *q = dict_new_dict();
	char state[64];

	dest_state(d, state, sizeof(state));
	dict_set_str(q, "Module", d->module);
	dict_set_str(q, "Queue", d->target);
	dict_set_str(q, "State", state);
	if (!d->delivering && d->next != INT64_MAX)
		dict_set(q, "DelayedTill", dict_new_time(d->next, true));
	if (d->last_error != NULL)
		dict_set_str(q, "LastError", d->last_error);
	dict_set(q, "Messages", dict_new_number((int64_t)d->nmsg));
	dict_set(q, "Recipients", dict_new_number((int64_t)d->nrcpt));
	dict_set(q, "Size", dict_new_number((int64_t)d->size));
	return q;
}

/*
 * ListQueue [max]: one dictionary per destination queue (Module, Queue,
 * State "Delayed till HH:MM:SS", LastError, Messages, Recipients, Size)
 * with its messages (up to max messages in all, oldest first) in List.
 */
static enum cli_rc
cmd_list_queue(struct cli_ctx *c, const struct cli_args *a, struct buf *out,
    struct error *err_r)
{
	struct queue_msg_info *list = NULL;
	struct dest_queue *dq;
	struct queue *q;
	struct dval *res, *d;
	uint64_t max = CLI_MAIL_LIST_MAX;
	size_t n = 0, nq = 0, i;

	if (a->argc > 1 || (a->argc == 1 && (id_arg(a, 0, &max) < 0 ||
	    max > CLI_MAIL_LIST_MAX)))
		return usage(err_r, "ListQueue [max]");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_list(q, (size_t)max, &list, &n, err_r) < 0)
		return CLI_ERROR;
	dq = dest_queues(list, n, true, &nq);
	res = dict_new_array();
	for (i = 0; i < nq; i++) {
		d = dest_dict(&dq[i]);
		dict_set(d, "List", dq[i].msgs);
		dict_array_push(res, d);
	}
	free(dq);
	queue_list_free(&list, n);
	return data(res, out);
}

/*
 * GetMessageQueueInfo module QUEUE name (CGP): the destination queue's
 * dictionary as in ListQueue, without the messages, plus (SMTP) the trace
 * of the last delivery attempt.  An empty dictionary when nothing waits
 * there.
 */
static enum cli_rc
cmd_get_message_queue_info(struct cli_ctx *c, const struct cli_args *a,
    struct buf *out, struct error *err_r)
{
	struct queue_msg_info *list = NULL;
	struct dest_queue *dq;
	struct queue *q;
	struct dval *res = NULL;
	const char *module, *kw, *name;
	char *trace;
	size_t n = 0, nq = 0, i;

	module = a->argc == 3 ? cli_arg_str(a, 0) : NULL;
	kw = a->argc == 3 ? cli_arg_str(a, 1) : NULL;
	name = a->argc == 3 ? cli_arg_str(a, 2) : NULL;
	if (module == NULL || kw == NULL || name == NULL ||
	    strcasecmp(kw, "QUEUE") != 0)
		return usage(err_r, "GetMessageQueueInfo module QUEUE name");
	if ((q = queue_of(c, err_r)) == NULL ||
	    queue_list(q, QUEUE_INFO_SCAN_MAX, &list, &n, err_r) < 0)
		return CLI_ERROR;
	dq = dest_queues(list, n, false, &nq);
	for (i = 0; i < nq && res == NULL; i++)
		if (strcasecmp(dq[i].module, module) == 0 &&
		    strcasecmp(dq[i].target, name) == 0)
			res = dest_dict(&dq[i]);
	free(dq);
	queue_list_free(&list, n);
	if (res == NULL)
		res = dict_new_dict();
	if (strcasecmp(module, "SMTP") == 0 &&
	    (trace = smtp_out_trace_get(name)) != NULL) {
		dict_set_str(res, "Trace", trace);
		free(trace);
	}
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
	{ "GetMessageQueueInfo", CMD_MASTER, cmd_get_message_queue_info,
	    "module QUEUE name" },
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
