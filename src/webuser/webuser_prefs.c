/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webuser_prefs.c: the webmail's JSON endpoints beside JMAP
 * (docs/webuser.md), for a logged-in session only; a POST must come from
 * our own origin with the session's CSRF token in X-CSRF-Token:
 *
 *   GET  /Prefs        the account's WebUser preferences: the effective
 *                      ones (account over domain AccountPrefs over server
 *                      WebUserPrefs over built-in) and the account's own
 *   POST /Prefs        {"Key": value|null, ...}: sets (null: removes) the
 *                      account-level ones of WU_PREF_KEYS, each checked
 *   POST /Password     {"old": "...", "new": "..."}: the old one must match
 *                      (checked by auth_login, with its flow control)
 *   GET  /Addresses?q= address completion: the domain's accounts and the
 *                      account's recent recipients (when kept)
 *   GET  /Quota        {"used": bytes, "limit": bytes|null}
 */
#include "lib/compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "objects/objects.h"
#include "store/store.h"
#include "core/server.h"
#include "http/http.h"
#include "webuser/webuser.h"
#include "webuser/webuser_private.h"

/* The preferences the webmail shows, with their default when no level
 * has one. */
static const struct {
	const char	*key;
	const char	*dflt;
} wu_pref_keys[] = {
	{ "TimeZone", "HostOS" },
	{ "MessagesPerPage", "20" },
	{ "Signature", "" },
	{ "RequireFixedNetworkAddress", "NO" },
	{ "SessionTimeout", "" },	/* "": the server's SessionTimeout */
};

static void
send_json(struct http_response *resp, unsigned code, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	http_resp_status(resp, code);
	http_resp_header(resp, "Content-Type", "application/json");
	http_resp_header(resp, "Cache-Control", "no-store");
	buf_puts(http_resp_body(resp), text != NULL ? text : "null");
	free(text);
	json_decref(j);
}

static void
json_error(struct http_response *resp, unsigned code, const char *why)
{
	char text[512];

	/* why may quote what the client sent (cut at a byte count): made
	 * valid UTF-8, else json_pack() fails and the answer is "null" */
	snprintf(text, sizeof(text), "%s", why);
	utf8_fix(text, '?');
	send_json(resp, code, json_pack("{s:s}", "error", text));
}

/* Answers a refused request with a JSON error and logs it, with what the
 * client sent escaped. */
static void
refuse(const struct http_request *req, struct http_response *resp,
    const struct wu_user *u, unsigned code, const char *why)
{
	char esc[512];

	log_escape(esc, sizeof(esc), why, strlen(why));
	log_ses(req->log, LOG_PROBLEM, "%s %s of '%s' refused (%u): %s",
	    req->method, req->path, u->who.address, code, esc);
	json_error(resp, code, why);
}

/* A POST with our origin, the session's CSRF token and a JSON object
 * body; NULL (answered, logged) otherwise. */
static json_t *
post_body(const struct http_request *req, struct http_response *resp,
    const struct wu_user *u)
{
	json_error_t jerr;
	json_t *j;

	if (strcmp(req->method, "POST") != 0) {
		http_resp_header(resp, "Allow", strcmp(req->path, "/Prefs") ==
		    0 ? "GET, POST" : "POST");
		refuse(req, resp, u, 405, strcmp(req->path, "/Prefs") == 0 ?
		    "GET or POST" : "POST only");
		return NULL;
	}
	if (!http_same_origin(req) ||
	    !http_token_eq(http_header(req, WU_CSRF_HEADER), u->csrf)) {
		log_ses(req->log, LOG_PROBLEM, "POST %s of '%s' refused: missing "
		    "or wrong CSRF token", req->path, u->who.address);
		json_error(resp, 403, "missing or wrong CSRF token (send the "
		    "X-CSRF-Token header)");
		return NULL;
	}
	if (req->body_len > WU_JSON_BODY_MAX) {
		refuse(req, resp, u, 413, "request too large");
		return NULL;
	}
	j = json_loadb((const char *)req->body, req->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		char why[256];

		snprintf(why, sizeof(why), "a JSON object was expected (%s)",
		    j == NULL ? jerr.text : "not an object");
		json_decref(j);
		refuse(req, resp, u, 400, why);
		return NULL;
	}
	return j;
}

static bool
yes(const char *v)
{
	return v != NULL && (strcasecmp(v, "YES") == 0 ||
	    strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* A time zone name as the tz database spells them ("Europe/Paris",
 * "Etc/GMT+5", "UTC") or HostOS. */
static bool
tz_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_/+-") == n && s[0] != '/' && strstr(s, "..") == NULL;
}

/* An unsigned decimal number in [lo, hi], or -1. */
static long
number_in(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 9)
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi ? v : -1;
}

/*
 * The value of key from JSON (a string, a number or a boolean), checked,
 * into val; false with the reason in why.
 */
static bool
pref_value(const char *key, json_t *v, char *val, size_t size, char *why,
    size_t wsize)
{
	if (json_is_integer(v))
		snprintf(val, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(val, size, "%s", json_is_true(v) ? "YES" : "NO");
	else if (json_is_string(v)) {
		if (json_string_length(v) >= size ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(why, wsize, "%s: more than %zu bytes, or "
			    "holding NUL", key, size - 2);
			return false;
		}
		snprintf(val, size, "%s", json_string_value(v));
	} else {
		snprintf(why, wsize, "%s: a string, number or boolean was "
		    "expected", key);
		return false;
	}
	if (strcmp(key, "TimeZone") == 0 && !tz_ok(val))
		snprintf(why, wsize, "TimeZone: not a time zone name");
	else if (strcmp(key, "MessagesPerPage") == 0 &&
	    number_in(val, 1, WU_MESSAGES_PER_PAGE_MAX) < 0)
		snprintf(why, wsize, "MessagesPerPage is a number from 1 to %d",
		    WU_MESSAGES_PER_PAGE_MAX);
	else if (strcmp(key, "Signature") == 0 && strlen(val) >
	    WU_SIGNATURE_MAX)
		snprintf(why, wsize, "Signature: longer than %d bytes",
		    WU_SIGNATURE_MAX);
	else if (strcmp(key, "SessionTimeout") == 0 &&
	    number_in(val, 60, WEBUSER_SESSION_TIMEOUT_MAX) < 0)
		snprintf(why, wsize, "SessionTimeout is a number of seconds "
		    "from 60 to %d", WEBUSER_SESSION_TIMEOUT_MAX);
	else {
		if (strcmp(key, "RequireFixedNetworkAddress") == 0)
			snprintf(val, size, "%s", yes(val) ? "YES" : "NO");
		return true;
	}
	return false;
}

static bool
known_key(const char *k)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(wu_pref_keys); i++)
		if (strcmp(wu_pref_keys[i].key, k) == 0)
			return true;
	return false;
}

static void
get_prefs(struct server *srv, struct http_response *resp,
    const struct wu_user *u)
{
	struct dval *eff, *own;
	struct webuser_conf conf;
	struct error err;
	json_t *je, *jo;
	const char *v;
	size_t i;

	eff = objects_account_effective_prefs_get(srv->objects, u->who.account,
	    u->who.domain, &err);
	own = objects_settings_file_get(srv->objects, OBJ_SF_ACCOUNT_PREFS,
	    u->who.account, u->who.domain, &err);
	if (eff == NULL || own == NULL) {
		dict_free(&eff);
		dict_free(&own);
		json_error(resp, 500, err.msg);
		return;
	}
	webuser_conf_read(srv, &conf);
	je = json_object();
	jo = json_object();
	for (i = 0; i < N_ELEMENTS(wu_pref_keys); i++) {
		const char *k = wu_pref_keys[i].key;

		v = dict_get_str(eff, k);
		json_object_set_new(je, k, json_string(v != NULL ? v :
		    wu_pref_keys[i].dflt));
		if ((v = dict_get_str(own, k)) != NULL)
			json_object_set_new(jo, k, json_string(v));
	}
	send_json(resp, 200, json_pack("{s:s,s:s,s:o,s:o,s:I}", "address",
	    u->who.address, "domain", u->who.domain, "effective", je,
	    "account", jo, "serverSessionTimeout",
	    (json_int_t)conf.session_timeout));
	dict_free(&eff);
	dict_free(&own);
}

int
wu_prefs_apply(struct dval *own, const char *body, size_t len,
    bool *timeout_changed_r, char *why, size_t wsize)
{
	char val[WU_SIGNATURE_MAX + 2];
	json_error_t jerr;
	const char *k;
	json_t *j, *v;
	int rc = -1;

	*timeout_changed_r = false;
	if (len > WU_JSON_BODY_MAX) {
		snprintf(why, wsize, "request too large");
		return -1;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		snprintf(why, wsize, "a JSON object was expected");
		goto out;
	}
	json_object_foreach(j, k, v) {
		if (!known_key(k)) {
			snprintf(why, wsize, "unknown preference '%.64s'", k);
			goto out;
		}
		if (strcmp(k, "SessionTimeout") == 0)
			*timeout_changed_r = true;
		if (json_is_null(v) || (json_is_string(v) &&
		    json_string_length(v) == 0 && strcmp(k, "Signature") != 0)) {
			dict_remove(own, k);	/* back to the defaults */
			continue;
		}
		if (!pref_value(k, v, val, sizeof(val), why, wsize))
			goto out;
		dict_set_str(own, k, val);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static void
set_prefs(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct wu_user *u)
{
	char why[sizeof(((struct error *)0)->msg) + 64];
	struct dval *own;
	struct error err;
	bool timeout_changed;
	json_t *j;

	if ((j = post_body(req, resp, u)) == NULL)
		return;
	json_decref(j);		/* checked; wu_prefs_apply() reads it again */
	own = objects_settings_file_get(srv->objects, OBJ_SF_ACCOUNT_PREFS,
	    u->who.account, u->who.domain, &err);
	if (own == NULL) {
		json_error(resp, 500, err.msg);
		return;
	}
	if (wu_prefs_apply(own, (const char *)req->body, req->body_len,
	    &timeout_changed, why, sizeof(why)) < 0)
		goto refuse;
	if (objects_settings_file_set(srv->objects, OBJ_SF_ACCOUNT_PREFS,
	    u->who.account, u->who.domain, own, &err) < 0) {
		log_ses(req->log, LOG_FAILURE, "preferences of '%s' not "
		    "stored: %s", u->who.address, err.msg);
		snprintf(why, sizeof(why), "%s", err.msg);
		goto refuse;
	}
	log_ses(req->log, LOG_MAJOR, "'%s' updated the WebUser preferences",
	    u->who.address);
	if (timeout_changed)
		wu_session_prefs_changed(srv, u);
	dict_free(&own);
	get_prefs(srv, resp, u);
	return;
refuse:
	dict_free(&own);
	refuse(req, resp, u, 400, why);
}

static void
change_password(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct wu_user *u)
{
	const char *old, *new;
	struct auth_result who;
	struct auth_peer peer;
	struct error err;
	char why[96];
	json_t *j;

	if ((j = post_body(req, resp, u)) == NULL)
		return;
	old = json_string_value(json_object_get(j, "old"));
	new = json_string_value(json_object_get(j, "new"));
	if (old == NULL || new == NULL) {
		refuse(req, resp, u, 400, "send the old and the new password");
		goto out;
	}
	if (strlen(new) < WU_PASSWORD_MIN || strlen(new) > PASSWORD_MAX ||
	    strlen(new) != json_string_length(json_object_get(j, "new"))) {
		snprintf(why, sizeof(why), "the new password must have from "
		    "%d to %d characters", WU_PASSWORD_MIN, PASSWORD_MAX);
		refuse(req, resp, u, 400, why);
		goto out;
	}
	/* the old password is checked as a login is (auth_login: B5, the
	 * failed-login flow control and blacklisting), so that a stolen
	 * session cannot try passwords at full speed */
	http_auth_peer(req, "HTTPU", &peer);
	if (auth_login(srv, &peer, u->who.address, old, &who, &err) < 0 ||
	    strcmp(who.address, u->who.address) != 0) {
		log_ses(req->log, LOG_PROBLEM, "password change of '%s' "
		    "refused: the old password is wrong (%s)", u->who.address,
		    err.msg);
		json_error(resp, err.kind == ERR_LIMIT ? 429 : 403,
		    err.kind == ERR_LIMIT ? err.msg : "the old password is "
		    "wrong");
		goto out;
	}
	if (objects_set_password(srv->objects, u->who.account, u->who.domain,
	    new, &err) < 0) {
		log_ses(req->log, LOG_FAILURE, "password change of '%s' "
		    "failed: %s", u->who.address, err.msg);
		json_error(resp, 500, err.msg);
		goto out;
	}
	log_ses(req->log, LOG_MAJOR, "'%s' changed the password",
	    u->who.address);
	send_json(resp, 200, json_pack("{s:b}", "changed", 1));
out:
	/* the passwords live in j's strings */
	if (old != NULL)
		OPENSSL_cleanse((void *)old, strlen(old));
	if (new != NULL)
		OPENSSL_cleanse((void *)new, strlen(new));
	json_decref(j);
}

/* Case-insensitive substring. */
static bool
has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return true;
	for (i = 0; hay[i] != '\0'; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

static bool
listed(json_t *arr, const char *email)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x) {
		if (strcasecmp(json_string_value(json_object_get(x, "email")),
		    email) == 0)
			return true;
	}
	return false;
}

/* Adds an answer unless listed; false when WU_ADDRESSES_MAX are there
 * already (the caller then says the answer is truncated). */
static bool
add_address(json_t *out, const char *name, const char *email,
    const char *from)
{
	char n[256];

	if (listed(out, email))
		return true;
	if (json_array_size(out) >= WU_ADDRESSES_MAX)
		return false;
	snprintf(n, sizeof(n), "%s", name);
	utf8_fix(n, '?');	/* else json_pack() fails: a silent gap */
	json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "name", n,
	    "email", email, "from", from));
	return true;
}

static void
addresses(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct wu_user *u)
{
	char q[ADDRESS_MAX + 1], email[ADDRESS_MAX + DOMAIN_NAME_MAX + 2];
	char realname[256];
	struct dval *names;
	struct error err;
	json_t *out;
	size_t i, n;
	bool more = false;

	/* absent is "" (every address, bounded); a query that cannot be
	 * read is refused, never taken as "" (which would answer the
	 * domain's first addresses as if they matched) */
	switch (http_form_find(req->query, strlen(req->query), "q", q,
	    sizeof(q))) {
	case 0:
		q[0] = '\0';
		break;
	case -1:
		refuse(req, resp, u, 400, "bad query: a bad %-escape or a NUL");
		return;
	case -2: {
		char why[96];

		snprintf(why, sizeof(why), "q is longer than %d bytes",
		    ADDRESS_MAX);
		refuse(req, resp, u, 400, why);
		return;
	}
	}
	if (!utf8_valid(q)) {
		refuse(req, resp, u, 400, "q is not UTF-8");
		return;
	}
	out = json_array();
	/* recent recipients first: they are the likely ones */
#ifdef WU_HAVE_RECENT_RECIPIENTS
	{
		struct dval *recent = wu_recent_recipients(srv, &u->who);

		n = recent != NULL ? dict_array_len(recent) : 0;
		for (i = 0; i < n && !more; i++) {
			const char *a = dict_str(dict_array_get(recent, i),
			    NULL);

			if (a != NULL && utf8_valid(a) && has_text(a, q))
				more = !add_address(out, "", a, "recent");
		}
		dict_free(&recent);
	}
#endif
	names = more ? NULL : objects_account_list(srv->objects, u->who.domain,
	    &err);
	n = names != NULL ? dict_array_len(names) : 0;
	for (i = 0; i < n && !more; i++) {
		const char *a = dict_str(dict_array_get(names, i), NULL);

		if (a == NULL)
			continue;
		snprintf(email, sizeof(email), "%s@%s", a, u->who.domain);
		if (objects_account_effective_str(srv->objects, a,
		    u->who.domain, "RealName", realname, sizeof(realname),
		    &err) < 0)
			realname[0] = '\0';
		if (has_text(email, q) || has_text(realname, q))
			more = !add_address(out, realname, email, "account");
	}
	dict_free(&names);
	if (more) {
		/* the bound is said, in a header (the answer stays an array
		 * of addresses), and logged */
		http_resp_header(resp, "X-Truncated", "true");
		/* Low Level: completion in a large domain hits it at the
		 * first keystroke, every time */
		log_ses(req->log, LOG_LOW, "/Addresses: more than %d match; "
		    "the first %d answered", WU_ADDRESSES_MAX,
		    WU_ADDRESSES_MAX);
	}
	send_json(resp, 200, out);
}

/* A size setting ("unlimited", "10M", "512K", bytes). */
static int64_t
size_limit(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || strcasecmp(s, "unlimited") == 0 || s[0] < '0' ||
	    s[0] > '9')
		return -1;
	v = strtoll(s, &end, 10);
	switch (toupper((unsigned char)*end)) {
	case 'K': v *= 1024; break;
	case 'M': v *= 1024 * 1024; break;
	case 'G': v *= 1024LL * 1024 * 1024; break;
	default: break;
	}
	return v;
}

static void
quota(struct server *srv, struct http_response *resp,
    const struct wu_user *u)
{
	char path[OBJECTS_PATH_MAX], lim[64];
	struct store *s;
	struct error err;
	uint64_t used = 0;
	int64_t max;

	if (objects_account_path(srv->objects, u->who.account, u->who.domain,
	    path, sizeof(path), &err) < 0 ||
	    (s = store_cache_get(path, &err)) == NULL) {
		json_error(resp, 500, err.msg);
		return;
	}
	if (store_account_size(s, &used, &err) < 0) {
		store_cache_release(&s);
		json_error(resp, 500, err.msg);
		return;
	}
	store_cache_release(&s);
	if (objects_account_effective_str(srv->objects, u->who.account,
	    u->who.domain, "MaxAccountSize", lim, sizeof(lim), &err) < 0)
		snprintf(lim, sizeof(lim), "unlimited");
	max = size_limit(lim);
	send_json(resp, 200, json_pack("{s:I,s:o}", "used", (json_int_t)used,
	    "limit", max < 0 ? json_null() : json_integer(max)));
}

bool
wu_prefs_handle(struct server *srv, const struct http_request *req,
    struct http_response *resp, const struct wu_user *u)
{
	const char *p = req->path;
	bool get = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;

	if (strcmp(p, "/Prefs") == 0) {
		if (get)
			get_prefs(srv, resp, u);
		else
			set_prefs(srv, req, resp, u);
	} else if (strcmp(p, "/Password") == 0)
		change_password(srv, req, resp, u);
	else if (strcmp(p, "/Addresses") == 0 && get)
		addresses(srv, req, resp, u);
	else if (strcmp(p, "/Quota") == 0 && get)
		quota(srv, resp, u);
	else if (strcmp(p, "/Addresses") == 0 || strcmp(p, "/Quota") == 0) {
		http_resp_header(resp, "Allow", "GET");
		json_error(resp, 405, "GET only");
	} else
		return false;
	return true;
}

bool
wu_prefs_path(const char *p)
{
	return strcmp(p, "/Prefs") == 0 || strcmp(p, "/Password") == 0 ||
	    strcmp(p, "/Addresses") == 0 || strcmp(p, "/Quota") == 0;
}
