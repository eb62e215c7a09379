/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jmap_api.c: JMAP's HTTP entry (RFC 8620): authentication (a WebUser
 * login session found by the caller, or HTTP Basic through the shared login
 * code, auth/auth.h), the session resource at
 * /.well-known/jmap, the API endpoint /jmap/api with its method table and
 * errors, and the routing of upload, download and EventSource.
 */
#include "lib/compat.h"


#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "core/server.h"
#include "http/http.h"
#include "jmap/jmap.h"
#include "jmap/jmap_private.h"

struct log_module log_httpu = LOG_MODULE("HTTPU");

/* ---- requests in progress per account (maxConcurrentRequests) ---- */

struct busy {
	struct busy	*next;
	char		 address[ADDRESS_MAX + 1];
	unsigned	 n;
};
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct busy *busy_list;

static bool
busy_take(const char *address, unsigned max)
{
	struct busy *b;
	bool ok = true;

	pthread_mutex_lock(&busy_lock);
	for (b = busy_list; b != NULL; b = b->next)
		if (strcmp(b->address, address) == 0)
			break;
	if (b == NULL) {
		b = xcalloc(1, sizeof(*b));
		snprintf(b->address, sizeof(b->address), "%s", address);
		b->next = busy_list;
		busy_list = b;
	}
	if (b->n >= max)
		ok = false;
	else
		b->n++;
	pthread_mutex_unlock(&busy_lock);
	return ok;
}

static void
busy_release(const char *address)
{
	struct busy **pp, *b;

	pthread_mutex_lock(&busy_lock);
	for (pp = &busy_list; (b = *pp) != NULL; pp = &b->next)
		if (strcmp(b->address, address) == 0) {
			if (b->n > 0)
				b->n--;
			if (b->n == 0) {
				*pp = b->next;
				free(b);
			}
			break;
		}
	pthread_mutex_unlock(&busy_lock);
}

/* ---- helpers for the handlers ---- */

json_t *
jmap_fail(struct jmap_ctx *c, const char *type, const char *fmt, ...)
{
	va_list ap;

	c->etype = type;
	va_start(ap, fmt);
	vsnprintf(c->edesc, sizeof(c->edesc), fmt, ap);
	va_end(ap);
	return NULL;
}

const char *
jmap_account_id(const struct jmap_ctx *c)
{
	return c->who.address;
}

bool
jmap_check_account(struct jmap_ctx *c, json_t *args)
{
	json_t *a = json_object_get(args, "accountId");

	if (a == NULL || json_is_null(a))
		return true;		/* the primary account */
	if (!json_is_string(a)) {
		jmap_fail(c, "invalidArguments", "accountId is not a string");
		return false;
	}
	if (strcmp(json_string_value(a), jmap_account_id(c)) != 0) {
		jmap_fail(c, "accountNotFound", "no such account");
		return false;
	}
	return true;
}

const char *
jmap_resolve_id(struct jmap_ctx *c, const char *id)
{
	if (id[0] != '#')
		return id;
	return json_string_value(json_object_get(c->created, id + 1));
}

bool
jmap_parse_msgid(const char *id, char prefix, int64_t *mb_r, uint32_t *uid_r)
{
	char *end;
	long long mb;
	unsigned long uid;

	if (id == NULL || id[0] != prefix || id[1] < '1' || id[1] > '9')
		return false;
	mb = strtoll(id + 1, &end, 10);
	if (*end != '-' || end[1] < '1' || end[1] > '9')
		return false;
	uid = strtoul(end + 1, &end, 10);
	if (*end != '\0' || uid > UINT32_MAX || mb <= 0)
		return false;
	*mb_r = mb;
	*uid_r = (uint32_t)uid;
	return true;
}

/* ---- responses ---- */

static void
send_json(struct http_response *resp, unsigned code, json_t *j,
    const char *ctype)
{
	char *text = json_dumps(j, JSON_COMPACT);
	struct buf *b = http_resp_body(resp);

	http_resp_status(resp, code);
	http_resp_header(resp, "Content-Type", ctype);
	http_resp_header(resp, "Cache-Control", "no-cache, no-store");
	buf_reset(b);
	if (text != NULL)
		buf_puts(b, text);
	free(text);
}

/* RFC 8620 3.6.1: a request-level error is an RFC 7807 problem. */
static void
send_problem(struct http_response *resp, unsigned code, const char *type,
    const char *limit, const char *detail)
{
	json_t *j = json_pack("{s:s, s:i, s:s}", "type", "", "status",
	    (int)code, "detail", detail);
	char t[128];

	snprintf(t, sizeof(t), "urn:ietf:params:jmap:error:%s", type);
	json_object_set_new(j, "type", json_string(t));
	if (limit != NULL)
		json_object_set_new(j, "limit", json_string(limit));
	send_json(resp, code, j, "application/problem+json");
	json_decref(j);
}

/* ---- authentication ---- */

/* HTTP Basic (RFC 7617) through auth_login_cached(): Router, B5 and failed-login
 * flow control as for IMAP and POP.  0 with c->who set, or -1 after the
 * 401/403 answer. */
static int
authenticate(struct jmap_ctx *c)
{
	const char *h = http_header(c->http, "Authorization");
	char dec[JMAP_AUTH_MAX];
	struct auth_peer peer;
	struct error err;
	size_t n;
	char *colon;
	char esc[128];

	http_auth_peer(c->http, "HTTPU", &peer);
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		goto challenge;
	if (sasl_b64_decode(h + 6, dec, sizeof(dec), &n) < 0 ||
	    memchr(dec, '\0', n) != NULL ||
	    (colon = strchr(dec, ':')) == NULL) {
		explicit_bzero(dec, sizeof(dec));
		goto challenge;
	}
	*colon = '\0';
	if (!auth_clear_text_ok(c->srv, &peer)) {
		explicit_bzero(dec, sizeof(dec));
		log_ses(c->http->log, LOG_PROBLEM, "clear-text login refused");
		http_resp_text(c->resp, 403, "Clear-text logins need TLS\n");
		return -1;
	}
	if (auth_login_cached(c->srv, &peer, dec, colon + 1, &c->who,
	    &err) < 0) {
		log_escape(esc, sizeof(esc), dec, strlen(dec));
		explicit_bzero(dec, sizeof(dec));
		log_ses(c->http->log, LOG_PROBLEM, "login failed for %s: %s",
		    esc, err.msg);
		if (err.kind == ERR_PERM || err.kind == ERR_LIMIT) {
			http_resp_text(c->resp, err.kind == ERR_LIMIT ? 429 :
			    403, err.msg);
			return -1;
		}
		goto challenge;
	}
	explicit_bzero(dec, sizeof(dec));
	return 0;
challenge:
	http_resp_header(c->resp, "WWW-Authenticate",
	    "Basic realm=\"Tegami JMAP\", charset=\"UTF-8\"");
	http_resp_text(c->resp, 401, "Authentication required\n");
	return -1;
}

static int
open_store(struct jmap_ctx *c)
{
	char path[OBJECTS_PATH_MAX];
	struct error err;

	if (objects_account_path(c->srv->objects, c->who.account,
	    c->who.domain, path, sizeof(path), &err) < 0 ||
	    (c->store = store_cache_get(path, &err)) == NULL) {
		log_ses(c->http->log, LOG_FAILURE, "%s: cannot open the "
		    "account: %s", c->who.address, err.msg);
		http_resp_text(c->resp, 500, "Cannot open the account\n");
		return -1;
	}
	return 0;
}

/* ---- the session resource (RFC 8620 2) ---- */

static void
base_url(struct jmap_ctx *c, struct buf *b)
{
	const char *host = http_header(c->http, "Host");

	buf_printf(b, "%s://%s", c->http->tls ? "https" : "http",
	    host != NULL ? host : c->http->host);
}

/* The session's state changes only when what the session resource says
 * changes: the account and this server's capabilities (version 2: with
 * quota). */
static void
session_state(struct jmap_ctx *c, struct buf *out)
{
	buf_printf(out, "S2-%08x", jmap_hash(0, c->who.address));
}

static void
session_resource(struct jmap_ctx *c)
{
	json_t *core, *mail, *sub, *caps, *acct, *accts, *prim, *j;
	struct buf base, st;
	char url[1024];
	const char *id = jmap_account_id(c);

	core = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:[s, s, s, s]}",
	    "maxSizeUpload", (json_int_t)JMAP_UPLOAD_MAX,
	    "maxConcurrentUpload", (json_int_t)JMAP_CONCURRENT_MAX,
	    "maxSizeRequest", (json_int_t)JMAP_REQUEST_MAX,
	    "maxConcurrentRequests", (json_int_t)JMAP_CONCURRENT_MAX,
	    "maxCallsInRequest", (json_int_t)JMAP_CALLS_MAX,
	    "maxObjectsInGet", (json_int_t)JMAP_GET_MAX,
	    "maxObjectsInSet", (json_int_t)JMAP_SET_MAX,
	    "collationAlgorithms", "i;ascii-numeric", "i;ascii-casemap",
	    "i;octet", "i;unicode-casemap");
	mail = json_pack("{s:I, s:n, s:I, s:I, s:[s, s, s, s], "
	    "s:b}",
	    "maxMailboxesPerEmail", (json_int_t)1,
	    "maxMailboxDepth",
	    "maxSizeMailboxName", (json_int_t)STORE_MAILBOX_NAME_MAX,
	    "maxSizeAttachmentsPerEmail", (json_int_t)JMAP_UPLOAD_MAX,
	    "emailQuerySortOptions", "receivedAt", "size", "sentAt", "subject",
	    "mayCreateTopLevelMailbox", 1);
	sub = json_pack("{s:i, s:{}}", "maxDelayedSend", 0,
	    "submissionExtensions");
	caps = json_pack("{s:O, s:O}", JMAP_URN_CORE, core, JMAP_URN_MAIL,
	    mail);
	json_object_set_new(caps, JMAP_URN_SUBMISSION, json_object());
	json_object_set_new(caps, JMAP_URN_QUOTA, json_object());
	json_object_set_new(caps, JMAP_URN_VACATION, json_object());
	acct = json_pack("{s:s, s:b, s:b, s:{s:{}, s:o, s:o, s:{}, s:{}}}",
	    "name", id, "isPersonal", 1, "isReadOnly", 0,
	    "accountCapabilities", JMAP_URN_CORE,
	    JMAP_URN_MAIL, json_copy(mail), JMAP_URN_SUBMISSION, sub,
	    JMAP_URN_QUOTA, JMAP_URN_VACATION);
	accts = json_object();
	json_object_set_new(accts, id, acct);
	prim = json_pack("{s:s, s:s, s:s, s:s, s:s}", JMAP_URN_CORE, id,
	    JMAP_URN_MAIL, id, JMAP_URN_SUBMISSION, id, JMAP_URN_QUOTA, id,
	    JMAP_URN_VACATION, id);
	buf_init(&base, 2048);
	base_url(c, &base);
	buf_init(&st, 64);
	session_state(c, &st);
	j = json_pack("{s:o, s:o, s:o, s:s, s:s}", "capabilities", caps,
	    "accounts", accts, "primaryAccounts", prim,
	    "username", c->who.address, "state", buf_cstr(&st));
	snprintf(url, sizeof(url), "%s/jmap/api", buf_cstr(&base));
	json_object_set_new(j, "apiUrl", json_string(url));
	snprintf(url, sizeof(url), "%s/jmap/download/{accountId}/{blobId}/"
	    "{name}?type={type}", buf_cstr(&base));
	json_object_set_new(j, "downloadUrl", json_string(url));
	snprintf(url, sizeof(url), "%s/jmap/upload/{accountId}/",
	    buf_cstr(&base));
	json_object_set_new(j, "uploadUrl", json_string(url));
	snprintf(url, sizeof(url), "%s/jmap/eventsource?types={types}&"
	    "closeafter={closeafter}&ping={ping}", buf_cstr(&base));
	json_object_set_new(j, "eventSourceUrl", json_string(url));
	send_json(c->resp, 200, j, "application/json");
	json_decref(j);
	json_decref(core);
	json_decref(mail);
	buf_free(&base);
	buf_free(&st);
}

/* ---- the method table ---- */

typedef json_t	*jmap_method_fn(struct jmap_ctx *c, json_t *args);

static json_t *
core_echo(struct jmap_ctx *c, json_t *args)
{
	(void)c;
	return json_incref(args);
}

static const struct jmap_method {
	const char	*name;
	unsigned	 cap;		/* JMAP_CAP_* the request must use */
	jmap_method_fn	*run;
} methods[] = {
	{ "Core/echo",		JMAP_CAP_CORE,	core_echo },
	{ "Mailbox/get",	JMAP_CAP_MAIL,	jmap_mailbox_get },
	{ "Mailbox/changes",	JMAP_CAP_MAIL,	jmap_mailbox_changes },
	{ "Mailbox/query",	JMAP_CAP_MAIL,	jmap_mailbox_query },
	{ "Mailbox/set",	JMAP_CAP_MAIL,	jmap_mailbox_set },
	{ "Email/get",		JMAP_CAP_MAIL,	jmap_email_get },
	{ "Email/changes",	JMAP_CAP_MAIL,	jmap_email_changes },
	{ "Email/query",	JMAP_CAP_MAIL,	jmap_email_query },
	{ "Email/queryChanges",	JMAP_CAP_MAIL,	jmap_email_query_changes },
	{ "Email/set",		JMAP_CAP_MAIL,	jmap_email_set },
	{ "Email/import",	JMAP_CAP_MAIL,	jmap_email_import },
	{ "Thread/get",		JMAP_CAP_MAIL,	jmap_thread_get },
	{ "Thread/changes",	JMAP_CAP_MAIL,	jmap_thread_changes },
	{ "SearchSnippet/get",	JMAP_CAP_MAIL,	jmap_snippet_get },
	{ "Identity/get",	JMAP_CAP_SUBMISSION, jmap_identity_get },
	{ "Identity/set",	JMAP_CAP_SUBMISSION, jmap_identity_set },
	{ "Identity/changes",	JMAP_CAP_SUBMISSION, jmap_identity_changes },
	{ "EmailSubmission/set", JMAP_CAP_SUBMISSION, jmap_submission_set },
	{ "EmailSubmission/get", JMAP_CAP_SUBMISSION, jmap_submission_get },
	{ "EmailSubmission/query", JMAP_CAP_SUBMISSION, jmap_submission_query },
	{ "EmailSubmission/changes", JMAP_CAP_SUBMISSION,
	    jmap_submission_changes },
	{ "Quota/get",		JMAP_CAP_QUOTA,	jmap_quota_get },
	{ "Quota/query",	JMAP_CAP_QUOTA,	jmap_quota_query },
	{ "Quota/changes",	JMAP_CAP_QUOTA,	jmap_quota_changes },
	{ "VacationResponse/get", JMAP_CAP_VACATION, jmap_vacation_get },
	{ "VacationResponse/set", JMAP_CAP_VACATION, jmap_vacation_set },
};

static void
add_response(struct jmap_ctx *c, const char *name, json_t *args,
    const char *id)
{
	json_array_append_new(c->responses, json_pack("[s, o, s]", name, args,
	    id));
}

static void
run_call(struct jmap_ctx *c, const struct jmap_call *call)
{
	const struct jmap_method *m = NULL;
	json_t *args, *res;
	const char *etype;
	char desc[256];
	size_t i;

	for (i = 0; i < N_ELEMENTS(methods); i++)
		if (strcmp(methods[i].name, call->name) == 0) {
			m = &methods[i];
			break;
		}
	c->etype = NULL;
	c->edesc[0] = '\0';
	c->eextra = NULL;
	/* RFC 8620 3.3: a method of a capability not in "using" is
	 * unknownMethod. */
	if (m == NULL || (c->caps & m->cap) == 0) {
		add_response(c, "error", json_pack("{s:s}", "type",
		    "unknownMethod"), call->id);
		return;
	}
	args = json_deep_copy(call->args);
	if (jmap_resolve_refs(args, c->responses, &etype, desc,
	    sizeof(desc)) < 0) {
		add_response(c, "error", json_pack("{s:s, s:s}", "type", etype,
		    "description", desc), call->id);
		json_decref(args);
		return;
	}
	if (m->cap != JMAP_CAP_CORE && !jmap_check_account(c, args))
		res = NULL;
	else
		res = m->run(c, args);
	json_decref(args);
	if (res == NULL) {
		json_t *e = json_pack("{s:s}", "type", c->etype != NULL ?
		    c->etype : "serverFail");

		if (c->edesc[0] != '\0')
			json_object_set_new(e, "description",
			    json_string(c->edesc));
		if (c->eextra != NULL) {
			json_object_update(e, c->eextra);
			json_decref(c->eextra);
			c->eextra = NULL;
		}
		if (c->etype == NULL || strcmp(c->etype, "serverFail") == 0)
			log_ses(c->http->log, LOG_PROBLEM, "%s: %s",
			    call->name, c->edesc);
		add_response(c, "error", e, call->id);
		return;
	}
	add_response(c, call->name, res, call->id);
	if (c->implicit != NULL) {
		add_response(c, c->implicit_name, c->implicit, call->id);
		c->implicit = NULL;
	}
}

static void
api(struct jmap_ctx *c)
{
	struct jmap_req req;
	struct jmap_req_error e;
	struct buf st;
	json_t *out;
	size_t i;

	if (strcmp(c->http->method, "POST") != 0) {
		http_resp_header(c->resp, "Allow", "POST");
		http_resp_text(c->resp, 405, "Use POST\n");
		return;
	}
	if (c->http->body_len > JMAP_REQUEST_MAX) {
		send_problem(c->resp, 400, "limit", "maxSizeRequest",
		    "the request is too large");
		return;
	}
	if (jmap_req_parse((const char *)c->http->body, c->http->body_len,
	    JMAP_CALLS_MAX, &req, &e) < 0) {
		log_ses(c->http->log, LOG_LOW, "request refused: %s: %s",
		    e.type, e.detail);
		send_problem(c->resp, 400, e.type, e.limit, e.detail);
		return;
	}
	c->caps = req.caps;
	c->responses = json_array();
	c->created = req.created_ids != NULL ? json_deep_copy(req.created_ids) :
	    json_object();
	for (i = 0; i < req.ncalls; i++)
		run_call(c, &req.calls[i]);
	buf_init(&st, 64);
	session_state(c, &st);
	out = json_pack("{s:o, s:s}", "methodResponses", c->responses,
	    "sessionState", buf_cstr(&st));
	if (req.created_ids != NULL)
		json_object_set(out, "createdIds", c->created);
	c->responses = NULL;
	send_json(c->resp, 200, out, "application/json");
	json_decref(out);
	json_decref(c->created);
	c->created = NULL;
	buf_free(&st);
	jmap_req_clear(&req);
}

static void
ctx_clear(struct jmap_ctx *c)
{
	jmap_mbs_invalidate(c);
	if (c->store != NULL)
		store_cache_release(&c->store);
}

bool
jmap_path(const char *p)
{
	return strcmp(p, "/.well-known/jmap") == 0 ||
	    strncmp(p, "/jmap/", 6) == 0;
}

bool
jmap_handle(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct auth_result *who)
{
	struct jmap_ctx c;
	const char *p = req->path;
	bool push;

	if (!jmap_path(p))
		return false;
	memset(&c, 0, sizeof(c));
	c.srv = srv;
	c.http = req;
	c.resp = resp;
	if (who != NULL) {
		c.who = *who;
		c.web_session = true;
	}
	else if (authenticate(&c) < 0)
		return true;
	/* an EventSource stream is long-lived: it is bounded by its own
	 * count (jmap_push.c), not by maxConcurrentRequests */
	push = strcmp(p, "/jmap/eventsource") == 0;
	if (!push && !busy_take(c.who.address, JMAP_CONCURRENT_MAX)) {
		log_ses(req->log, LOG_PROBLEM, "%s: too many requests at once",
		    c.who.address);
		send_problem(resp, 429, "limit", "maxConcurrentRequests",
		    "too many requests in progress for this account");
		return true;
	}
	if (open_store(&c) == 0) {
		if (strcmp(p, "/.well-known/jmap") == 0 ||
		    strcmp(p, "/jmap/session") == 0)
			session_resource(&c);
		else if (strcmp(p, "/jmap/api") == 0 ||
		    strcmp(p, "/jmap/api/") == 0)
			api(&c);
		else if (strncmp(p, "/jmap/upload/", 13) == 0)
			jmap_upload(&c, p + 13);
		else if (strncmp(p, "/jmap/download/", 15) == 0)
			jmap_download(&c, p + 15);
		else if (push)
			jmap_eventsource(&c);
		else
			http_resp_text(resp, 404, "Not found\n");
	}
	ctx_clear(&c);
	if (!push)
		busy_release(c.who.address);
	return true;
}

void
jmap_init(void)
{
	log_register(&log_httpu);
}
