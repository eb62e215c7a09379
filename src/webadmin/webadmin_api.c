/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_api.c: the JSON API over the CLI command table (docs/api.md)
 * and /metrics.
 *
 *   POST /api/command  {"command": "CreateAccount",
 *                       "args": ["user1@client1.com", {"Password": "x"}]}
 *   200 {"result": ...}  (null for a command without data)
 *   4xx {"error": "text"}
 *
 * Arguments map to data-format values (lib/dict.h) as the CLI parser would
 * make them: a string, an integer (a number #N), true/false ("YES"/"NO"),
 * null (#NULL#), an array, an object (a dictionary), and the two objects
 * {"base64": "..."} (a datablock) and {"date": "2026-12-02T10:00:00Z" or
 * "2026-12-02"} (a timestamp).  Results map back the same way.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/dict.h"
#include "lib/log.h"
#include "lib/stats.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "cli/cli_args.h"
#include "cli/cli_stats.h"
#include "core/server.h"
#include "http/http.h"
#include "webadmin/webadmin_core.h"

static void
send_json(struct wa_req *r, unsigned code, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	struct buf *b = http_resp_body(r->resp);

	http_resp_status(r->resp, code);
	http_resp_header(r->resp, "Content-Type", "application/json");
	http_resp_header(r->resp, "Cache-Control", "no-store");
	buf_reset(b);
	if (text == NULL) {
		http_resp_status(r->resp, 500);
		buf_puts(b, "{\"error\":\"cannot encode the result\"}");
	} else
		buf_puts(b, text);
	buf_putc(b, '\n');
	free(text);
}

void
wa_json_error(struct wa_req *r, unsigned code, const char *why)
{
	json_t *j = json_pack("{s:s}", "error", why != NULL ? why : "error");

	send_json(r, code, j);
	json_decref(j);
}

/* ---- JSON -> data format ---- */

static struct dval *from_json(json_t *j, unsigned depth, struct error *err_r);

/* "2026-12-02T10:00:00Z" or "2026-12-02". */
static struct dval *
date_from(const char *s, struct error *err_r)
{
	struct tm tm;
	const char *end;
	bool has_time = strlen(s) > 10;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, has_time ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0') {
		error_set(err_r, ERR_SYNTAX, "bad date \"%.40s\": "
		    "2026-12-02T10:00:00Z or 2026-12-02 expected", s);
		return NULL;
	}
	return dict_new_time((int64_t)timegm(&tm), has_time);
}

static struct dval *
object_from(json_t *j, unsigned depth, struct error *err_r)
{
	json_t *v, *one;
	const char *k;
	struct dval *d, *x;
	size_t len, n;
	unsigned char *bin;

	if (json_object_size(j) == 1 &&
	    (one = json_object_get(j, "base64")) != NULL &&
	    json_is_string(one)) {
		len = json_string_length(one);
		bin = xmalloc(len + 1);
		if (sasl_b64_decode(json_string_value(one), (char *)bin,
		    len + 1, &n) < 0) {
			free(bin);
			error_set(err_r, ERR_SYNTAX, "bad base64 datablock");
			return NULL;
		}
		d = dict_new_data(bin, n);
		free(bin);
		return d;
	}
	if (json_object_size(j) == 1 &&
	    (one = json_object_get(j, "date")) != NULL && json_is_string(one))
		return date_from(json_string_value(one), err_r);
	d = dict_new_dict();
	json_object_foreach(j, k, v) {
		if ((x = from_json(v, depth + 1, err_r)) == NULL) {
			dict_free(&d);
			return NULL;
		}
		dict_set(d, k, x);
	}
	return d;
}

static struct dval *
from_json(json_t *j, unsigned depth, struct error *err_r)
{
	struct dval *a, *x;
	char num[64];
	size_t i;

	if (depth > DICT_DEPTH_MAX) {
		error_set(err_r, ERR_LIMIT, "arguments nested deeper than %d",
		    DICT_DEPTH_MAX);
		return NULL;
	}
	switch (json_typeof(j)) {
	case JSON_STRING:
		return dict_new_string(json_string_value(j),
		    json_string_length(j));
	case JSON_INTEGER:
		return dict_new_number((int64_t)json_integer_value(j));
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(j));
		return dict_new_cstr(num);
	case JSON_TRUE:
		return dict_new_cstr("YES");
	case JSON_FALSE:
		return dict_new_cstr("NO");
	case JSON_NULL:
		return dict_new_null();
	case JSON_ARRAY:
		a = dict_new_array();
		for (i = 0; i < json_array_size(j); i++) {
			if ((x = from_json(json_array_get(j, i), depth + 1,
			    err_r)) == NULL) {
				dict_free(&a);
				return NULL;
			}
			dict_array_push(a, x);
		}
		return a;
	case JSON_OBJECT:
		return object_from(j, depth, err_r);
	}
	error_set(err_r, ERR_SYNTAX, "unknown JSON value");
	return NULL;
}

/* ---- data format -> JSON ---- */

static json_t *
to_json(const struct dval *v)
{
	json_t *j;
	const char *s;
	char *b64, date[40];
	size_t len, i;
	int64_t t;
	bool has_time;
	struct tm tm;
	time_t tt;

	switch (dict_type(v)) {
	case DICT_STRING:
		s = dict_str(v, &len);
		return json_stringn(s, len);
	case DICT_NUMBER:
		return json_integer((json_int_t)dict_number(v));
	case DICT_DATA:
		s = dict_str(v, &len);
		b64 = xmalloc(size_add(size_mul(size_add(len, 2) / 3, 4), 1));
		if (sasl_b64_encode(s, len, b64, (len + 2) / 3 * 4 + 1) < 0)
			b64[0] = '\0';
		j = json_pack("{s:s}", "base64", b64);
		free(b64);
		return j;
	case DICT_TIME:
		t = dict_time(v, &has_time);
		if (t == DICT_TIME_PAST || t == DICT_TIME_FUTURE)
			return json_pack("{s:s}", "date", t == DICT_TIME_PAST ?
			    "past" : "future");
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(date, sizeof(date), has_time ? "%Y-%m-%dT%H:%M:%SZ" :
		    "%Y-%m-%d", &tm);
		return json_pack("{s:s}", "date", date);
	case DICT_NULL:
		return json_null();
	case DICT_ARRAY:
		j = json_array();
		for (i = 0; i < dict_array_len(v); i++)
			json_array_append_new(j, to_json(dict_array_get(v, i)));
		return j;
	case DICT_DICT:
		j = json_object();
		for (i = 0; i < dict_len(v); i++)
			json_object_set_new(j, dict_key_at(v, i),
			    to_json(dict_value_at(v, i)));
		return j;
	}
	return json_null();
}

static unsigned
status_of(enum err_kind k)
{
	switch (k) {
	case ERR_PERM:
	case ERR_AUTH:
		return 403;
	case ERR_NOTFOUND:
		return 404;
	case ERR_EXISTS:
		return 409;
	case ERR_LIMIT:
		return 413;
	case ERR_TEMP:
	case ERR_IO:
	case ERR_INTERNAL:
		return 500;
	default:
		return 400;
	}
}

void
wa_api_command(struct wa_req *r)
{
	const struct http_request *h = r->http;
	json_t *root, *cmd, *args, *res;
	json_error_t jerr;
	struct cli_args a;
	struct error err;
	struct buf out;
	struct dval *data;
	enum cli_rc rc;
	size_t i;

	root = json_loadb((const char *)h->body, h->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		char why[256];

		snprintf(why, sizeof(why), "the body is not a JSON object: %s",
		    root == NULL ? jerr.text : "another JSON value");
		json_decref(root);
		wa_json_error(r, 400, why);
		return;
	}
	cmd = json_object_get(root, "command");
	args = json_object_get(root, "args");
	if (!json_is_string(cmd) || json_string_length(cmd) == 0 ||
	    json_string_length(cmd) > CLI_NAME_MAX ||
	    strspn(json_string_value(cmd), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789") !=
	    json_string_length(cmd) || (args != NULL && !json_is_array(args))) {
		json_decref(root);
		wa_json_error(r, 400, "\"command\" (a command name) and "
		    "\"args\" (an array) expected");
		return;
	}
	if (args != NULL && json_array_size(args) > CLI_ARGS_MAX) {
		json_decref(root);
		wa_json_error(r, 413, "more than 32 arguments");
		return;
	}
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", json_string_value(cmd));
	for (i = 0; args != NULL && i < json_array_size(args); i++) {
		if ((a.argv[i] = from_json(json_array_get(args, i), 1,
		    &err)) == NULL) {
			cli_args_clear(&a);
			json_decref(root);
			wa_json_error(r, 400, err.msg);
			return;
		}
		a.argc = i + 1;
	}
	json_decref(root);
	buf_init(&out, DICT_TEXT_MAX);
	rc = wa_dispatch(r, &a, &out, &err);
	log_ses(h->log, rc == CLI_ERROR || rc == CLI_UNKNOWN ? LOG_PROBLEM :
	    LOG_LOW, "API %s%s%s", a.name, rc == CLI_ERROR ? " failed: " :
	    rc == CLI_UNKNOWN ? ": unknown command" : "", rc == CLI_ERROR ?
	    err.msg : "");
	if (rc == CLI_UNKNOWN) {
		char why[CLI_NAME_MAX + 32];

		snprintf(why, sizeof(why), "unknown command %s", a.name);
		wa_json_error(r, 404, why);
	} else if (rc == CLI_ERROR)
		wa_json_error(r, status_of(err.kind), err.msg);
	else if (rc == CLI_OK) {
		res = json_pack("{s:n}", "result");
		send_json(r, 200, res);
		json_decref(res);
	} else if (out.err != 0 ||
	    (data = dict_parse(out.data, out.len, 0, &err)) == NULL) {
		wa_json_error(r, 500, out.err != 0 ? "result too large" :
		    err.msg);
	} else {
		res = json_object();
		json_object_set_new(res, "result", to_json(data));
		send_json(r, 200, res);
		json_decref(res);
		dict_free(&data);
	}
	buf_free(&out);
	cli_args_clear(&a);
}

/* ---- /metrics (Prometheus text exposition format 0.0.4) ---- */

static void
metric(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
wa_api_metrics(struct wa_req *r)
{
	struct buf *b = http_resp_body(r->resp);
	struct dval *st, *conns, *one;
	size_t i;

	if (!r->cli.master) {
		wa_json_error(r, 403, "not enough access rights: /metrics "
		    "needs the Master right");
		return;
	}
	st = cli_server_statistics(r->srv);
	conns = dict_get(st, "Connections");
	http_resp_header(r->resp, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	http_resp_header(r->resp, "Cache-Control", "no-store");
	buf_reset(b);
	metric(b, "tegami_connections", "gauge", "Connections open now, per "
	    "service.");
	for (i = 0; i < dict_len(conns); i++)
		buf_printf(b, "tegami_connections{service=\"%s\"} %lld\n",
		    dict_key_at(conns, i), (long long)dict_number(dict_get(
		    dict_value_at(conns, i), "Current")));
	metric(b, "tegami_connections_total", "counter", "Connections "
	    "accepted since start, per service.");
	for (i = 0; i < dict_len(conns); i++) {
		one = dict_value_at(conns, i);
		buf_printf(b, "tegami_connections_total{service=\"%s\"} %lld\n",
		    dict_key_at(conns, i), (long long)dict_number(dict_get(one,
		    "Total")));
	}
	metric(b, "tegami_connections_refused_total", "counter", "Connections "
	    "refused for a limit since start, per service.");
	for (i = 0; i < dict_len(conns); i++)
		buf_printf(b, "tegami_connections_refused_total{service=\"%s\"} "
		    "%lld\n", dict_key_at(conns, i), (long long)dict_number(
		    dict_get(dict_value_at(conns, i), "Refused")));
	metric(b, "tegami_messages_received_total", "counter", "Messages "
	    "accepted by SMTP into the queue.");
	buf_printf(b, "tegami_messages_received_total %llu\n",
	    (unsigned long long)stats_get(STAT_MSG_RECEIVED));
	metric(b, "tegami_messages_delivered_total", "counter", "Messages "
	    "stored in local mailboxes.");
	buf_printf(b, "tegami_messages_delivered_total %llu\n",
	    (unsigned long long)stats_get(STAT_MSG_DELIVERED));
	metric(b, "tegami_messages_relayed_total", "counter", "Messages "
	    "accepted by remote servers.");
	buf_printf(b, "tegami_messages_relayed_total %llu\n",
	    (unsigned long long)stats_get(STAT_MSG_RELAYED));
	metric(b, "tegami_logins_failed_total", "counter", "Logins refused, "
	    "every module.");
	buf_printf(b, "tegami_logins_failed_total %llu\n",
	    (unsigned long long)stats_get(STAT_LOGINS_FAILED));
	metric(b, "tegami_queue_messages", "gauge", "Messages in the queue "
	    "now.");
	buf_printf(b, "tegami_queue_messages %lld\n",
	    (long long)dict_number(dict_get(st, "QueueSize")));
	dict_free(&st);
	http_resp_status(r->resp, 200);
}
