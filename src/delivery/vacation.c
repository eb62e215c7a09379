/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vacation.c: the account's automatic reply (see vacation.h): its file,
 * the RFC 3834 checks, the once per VACATION_REPEAT rule and the reply
 * itself, submitted to the queue like a DSN (MAIL FROM:<>, submit tag
 * "AUTOREPLY").
 */
#include "lib/compat.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "delivery/vacation.h"
#include "lib/addrlist.h"
#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/dict.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/strv.h"
#include "lib/timefmt.h"
#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "queue/queue.h"

static pthread_mutex_t vac_lock = PTHREAD_MUTEX_INITIALIZER;

static int
file_path(const char *dir, char *path, size_t n, struct error *err_r)
{
	if ((size_t)snprintf(path, n, "%s/vacation.data", dir) >= n)
		return error_set(err_r, ERR_LIMIT, "account path too long");
	return 0;
}

/* The file's dictionary (an empty one when there is none); NULL with
 * err_r when it cannot be read.  vac_lock held. */
static struct dval *
read_locked(const char *path, struct error *err_r)
{
	struct dval *d = dict_file_read(path, err_r);

	if (d == NULL && err_r->kind == ERR_NOTFOUND)
		return dict_new_dict();
	if (d != NULL && dict_type(d) != DICT_DICT) {
		dict_free(&d);
		(void)error_set(err_r, ERR_SYNTAX, "%s: not a dictionary",
		    path);
	}
	return d;
}

static char *
dup_str(const struct dval *d, const char *key)
{
	const char *s = dict_get_str(d, key);

	return s != NULL ? xstrdup(s) : NULL;
}

static void
from_dict(const struct dval *d, struct vacation_cfg *v)
{
	const char *s;

	memset(v, 0, sizeof(*v));
	s = dict_get_str(d, "IsEnabled");
	v->enabled = s != NULL && (strcasecmp(s, "YES") == 0 ||
	    strcmp(s, "1") == 0);
	if ((s = dict_get_str(d, "FromDate")) != NULL &&
	    vacation_parse_date(s) >= 0)
		snprintf(v->from_date, sizeof(v->from_date), "%s", s);
	if ((s = dict_get_str(d, "ToDate")) != NULL &&
	    vacation_parse_date(s) >= 0)
		snprintf(v->to_date, sizeof(v->to_date), "%s", s);
	v->subject = dup_str(d, "Subject");
	v->text = dup_str(d, "TextBody");
	v->html = dup_str(d, "HtmlBody");
}

void
vacation_cfg_clear(struct vacation_cfg *v)
{
	free(v->subject);
	free(v->text);
	free(v->html);
	memset(v, 0, sizeof(*v));
}

int
vacation_read(const char *dir, struct vacation_cfg *v, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX + 32];
	struct dval *d;

	memset(v, 0, sizeof(*v));
	if (file_path(dir, path, sizeof(path), err_r) < 0)
		return -1;
	pthread_mutex_lock(&vac_lock);
	d = read_locked(path, err_r);
	pthread_mutex_unlock(&vac_lock);
	if (d == NULL)
		return -1;
	from_dict(d, v);
	dict_free(&d);
	return 0;
}

int
vacation_write(const char *dir, const struct vacation_cfg *v,
    struct error *err_r)
{
	char path[OBJECTS_PATH_MAX + 32];
	struct dval *d = dict_new_dict();
	int rc;

	if (file_path(dir, path, sizeof(path), err_r) < 0) {
		dict_free(&d);
		return -1;
	}
	dict_set_str(d, "IsEnabled", v->enabled ? "YES" : "NO");
	if (v->from_date[0] != '\0')
		dict_set_str(d, "FromDate", v->from_date);
	if (v->to_date[0] != '\0')
		dict_set_str(d, "ToDate", v->to_date);
	if (v->subject != NULL)
		dict_set_str(d, "Subject", v->subject);
	if (v->text != NULL)
		dict_set_str(d, "TextBody", v->text);
	if (v->html != NULL)
		dict_set_str(d, "HtmlBody", v->html);
	pthread_mutex_lock(&vac_lock);
	rc = dict_file_write(path, d, err_r);
	pthread_mutex_unlock(&vac_lock);
	dict_free(&d);
	return rc;
}

int64_t
vacation_parse_date(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;

	if (s == NULL || strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:"
	    "%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 20 ||
	    y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return -1;
	return (int64_t)timefmt_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + se;
}

/* ---- RFC 3834 ---- */

/* The first word of a field value (up to ';', '(' or a blank), lowered,
 * into out. */
static void
first_word(const struct buf *v, char *out, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < v->len && k + 1 < n; i++) {
		char ch = v->data[i];

		if (ch == ';' || ch == '(' || ch == ' ' || ch == '\t')
			break;
		out[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	out[k] = '\0';
}

static bool
listed(const char *addr, const char *const *rcpts, size_t nrcpt)
{
	size_t i;

	for (i = 0; i < nrcpt; i++)
		if (rcpts[i] != NULL && strcasecmp(addr, rcpts[i]) == 0)
			return true;
	return false;
}

const char *
vacation_check(const char *sender, const char *const *rcpts, size_t nrcpt,
    const char *msg, size_t len)
{
	struct mime_header_iter it;
	struct strv n, v;
	struct buf u;
	const char *at, *why = NULL;
	size_t llen, i;
	bool addressed = false;
	char w[32];

	if (sender == NULL || sender[0] == '\0')
		return "null sender";
	if (strlen(sender) > VACATION_SENDER_MAX ||
	    strpbrk(sender, "\r\n<>") != NULL)
		return "sender address too long or malformed";
	at = strrchr(sender, '@');
	llen = at != NULL ? (size_t)(at - sender) : strlen(sender);
	if ((llen == 13 && strncasecmp(sender, "MAILER-DAEMON", 13) == 0) ||
	    (llen >= 6 && strncasecmp(sender, "owner-", 6) == 0) ||
	    (llen >= 8 && strncasecmp(sender + llen - 8, "-request", 8) == 0))
		return "sender is a mailer or a list";
	buf_init(&u, MIME_HEADER_VALUE_MAX);
	mime_header_iter_init(&it, msg, 0, len);
	while (why == NULL && mime_header_next(&it, &n, &v)) {
		buf_reset(&u);
		if (n.len > 5 && strncasecmp(n.p, "List-", 5) == 0) {
			why = "a list message (List-* field)";
			break;
		}
		if (strv_caseeq_cstr(n, "Auto-Submitted")) {
			mime_unfold(v, &u);
			first_word(&u, w, sizeof(w));
			if (strcmp(w, "no") != 0)
				why = "Auto-Submitted";
		} else if (strv_caseeq_cstr(n, "Precedence")) {
			mime_unfold(v, &u);
			first_word(&u, w, sizeof(w));
			if (strcmp(w, "bulk") == 0 || strcmp(w, "list") == 0 ||
			    strcmp(w, "junk") == 0)
				why = "Precedence bulk, list or junk";
		} else if (!addressed && (strv_caseeq_cstr(n, "To") ||
		    strv_caseeq_cstr(n, "Cc"))) {
			struct addrlist l = { NULL, 0 };

			mime_unfold(v, &u);
			(void)addrlist_parse(buf_cstr(&u), u.len, &l, NULL);
			for (i = 0; i < l.n; i++)
				if (listed(l.v[i].addr, rcpts, nrcpt))
					addressed = true;
			addrlist_clear(&l);
		}
	}
	buf_free(&u);
	if (why == NULL && !addressed)
		why = "not addressed in To or Cc";
	return why;
}

/* ---- the once-per-sender rule ---- */

/*
 * Under the lock: whether the auto-reply is on at now and sender had none
 * within VACATION_REPEAT; if so sender is recorded (the list bounded by
 * age and VACATION_REPLIED_MAX, the oldest dropped).  v gets the settings.
 * 1: reply, 0: not (why_r says why), -1: err_r.
 */
static int
claim(const char *dir, const char *sender, time_t now,
    struct vacation_cfg *v, const char **why_r, struct error *err_r)
{
	char path[OBJECTS_PATH_MAX + 32];
	struct dval *d, *old, *nv;
	size_t i, first;
	int rc = 1;

	if (file_path(dir, path, sizeof(path), err_r) < 0)
		return -1;
	pthread_mutex_lock(&vac_lock);
	d = read_locked(path, err_r);
	if (d == NULL) {
		pthread_mutex_unlock(&vac_lock);
		return -1;
	}
	from_dict(d, v);
	if (!v->enabled) {
		*why_r = "disabled";
		rc = 0;
	} else if (v->from_date[0] != '\0' &&
	    now < vacation_parse_date(v->from_date)) {
		*why_r = "before fromDate";
		rc = 0;
	} else if (v->to_date[0] != '\0' &&
	    now >= vacation_parse_date(v->to_date)) {
		*why_r = "after toDate";
		rc = 0;
	}
	if (rc == 0) {
		pthread_mutex_unlock(&vac_lock);
		dict_free(&d);
		return 0;
	}
	old = dict_get(d, "RepliedAddresses");
	nv = dict_new_array();
	/* the ones still within VACATION_REPEAT, oldest first */
	for (i = 0; old != NULL && i < dict_array_len(old); i++) {
		const char *e = dict_str(dict_array_get(old, i), NULL);
		char *sp;
		long long t;

		if (e == NULL)
			continue;
		t = strtoll(e, &sp, 10);
		if (*sp != ' ' || t + VACATION_REPEAT <= (long long)now ||
		    t > (long long)now + 86400)
			continue;
		if (strcasecmp(sp + 1, sender) == 0) {
			*why_r = "replied to that sender within 7 days";
			rc = 0;
		}
		dict_array_push_cstr(nv, e);
	}
	if (rc == 1) {
		struct dval *kept = dict_new_array();
		char e[ADDRESS_MAX + 32];

		snprintf(e, sizeof(e), "%lld %s", (long long)now, sender);
		dict_array_push_cstr(nv, e);
		first = dict_array_len(nv) > VACATION_REPLIED_MAX ?
		    dict_array_len(nv) - VACATION_REPLIED_MAX : 0;
		for (i = first; i < dict_array_len(nv); i++)
			dict_array_push(kept, dict_clone(dict_array_get(nv,
			    i)));
		dict_free(&nv);
		dict_set(d, "RepliedAddresses", kept);
		if (dict_file_write(path, d, err_r) < 0)
			rc = -1;
	} else
		dict_free(&nv);
	pthread_mutex_unlock(&vac_lock);
	dict_free(&d);
	return rc;
}

/* ---- the reply ---- */

/* Header text s (control characters dropped), RFC 2047 words when not
 * ASCII (lib/mime.h). */
static void
put_text(struct buf *out, const char *s)
{
	struct buf clean;

	buf_init(&clean, VACATION_SUBJECT_MAX * 2 + 16);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			buf_putc(&clean, *s);
	mime_encode_words(buf_cstr(&clean), out);
	buf_free(&clean);
}

static void
put_part(struct buf *out, const char *subtype, const char *text)
{
	buf_printf(out, "Content-Type: text/%s; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", subtype);
	mime_encode_base64(text, strlen(text), out);
}

/* Whether p[0, n) is "<...>" without blanks or control characters. */
static bool
id_ok(const char *p, size_t n)
{
	size_t i;

	if (n < 3 || n > VACATION_MSGID_MAX || p[0] != '<' || p[n - 1] != '>')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* A message id of the original ("<...>", one, no blanks) into out. */
static bool
msgid_of(const struct buf *v, char *out, size_t n)
{
	const char *lt = v->len > 0 ? memchr(v->data, '<', v->len) : NULL;
	const char *gt;

	if (lt == NULL)
		return false;
	gt = memchr(lt, '>', v->len - (size_t)(lt - v->data));
	if (gt == NULL || (size_t)(gt - lt) + 2 > n || (size_t)(gt - lt) < 3)
		return false;
	memcpy(out, lt, (size_t)(gt - lt) + 1);
	out[gt - lt + 1] = '\0';
	return id_ok(lt, (size_t)(gt - lt) + 1);
}

/* The ids of a References value, each on a line of its own (folded),
 * those longer than VACATION_MSGID_MAX or not <...> left out. */
static void
put_refs(struct buf *out, const struct buf *refs)
{
	size_t i = 0, j;

	while (i < refs->len) {
		while (i < refs->len && (refs->data[i] == ' ' ||
		    refs->data[i] == '\t'))
			i++;
		for (j = i; j < refs->len && refs->data[j] != ' ' &&
		    refs->data[j] != '\t'; j++)
			;
		if (id_ok(refs->data + i, j - i)) {
			buf_append(out, refs->data + i, j - i);
			buf_puts(out, "\r\n ");
		}
		i = j;
	}
}

void
vacation_compose(const struct vacation_cfg *v, const char *from, const char *to,
    const char *msg, size_t len, time_t now, uint64_t seq, struct buf *out)
{
	struct buf subj, mid, refs;
	char id[VACATION_MSGID_MAX + 1], date[TIMEFMT_BUF_MAX];
	char bnd[64];
	const char *dom = strrchr(from, '@');
	bool has_id;

	buf_init(&subj, MIME_HEADER_VALUE_MAX);
	buf_init(&mid, MIME_HEADER_VALUE_MAX);
	buf_init(&refs, MIME_HEADER_VALUE_MAX);
	(void)mime_header_get(msg, 0, len, "Subject", &subj);
	has_id = mime_header_get(msg, 0, len, "Message-ID", &mid) &&
	    msgid_of(&mid, id, sizeof(id));
	(void)mime_header_get(msg, 0, len, "References", &refs);
	(void)timefmt_rfc5322(now, date, sizeof(date));
	buf_printf(out, "From: <%s>\r\nTo: <%s>\r\nSubject: ", from, to);
	if (v->subject != NULL && v->subject[0] != '\0')
		put_text(out, v->subject);
	else {
		/* "Auto: " and the original subject as it came (its
		 * encoded words kept), cut to VACATION_SUBJECT_MAX */
		buf_puts(out, "Auto: ");
		if (subj.len > VACATION_SUBJECT_MAX) {
			subj.len = VACATION_SUBJECT_MAX;
			subj.data[subj.len] = '\0';
		}
		put_text(out, buf_cstr(&subj));
	}
	buf_printf(out, "\r\nDate: %s\r\nMessage-ID: <auto.%lld.%" PRIu64
	    "@%s>\r\n", date, (long long)now, seq, dom != NULL ? dom + 1 :
	    "localhost");
	if (has_id) {
		buf_printf(out, "In-Reply-To: %s\r\nReferences: ", id);
		/* the original's References when not too long, then its id
		 * (RFC 5322 3.6.4) */
		if (refs.len <= VACATION_REFS_MAX)
			put_refs(out, &refs);
		buf_printf(out, "%s\r\n", id);
	}
	buf_puts(out, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	if (v->html != NULL && v->html[0] != '\0') {
		snprintf(bnd, sizeof(bnd), "=_auto_%lld_%" PRIu64, (long long)now,
		    seq);
		buf_printf(out, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\r\n\r\n--%s\r\n", bnd, bnd);
		put_part(out, "plain", v->text != NULL ? v->text : "");
		buf_printf(out, "--%s\r\n", bnd);
		put_part(out, "html", v->html);
		buf_printf(out, "--%s--\r\n", bnd);
	} else
		put_part(out, "plain", v->text != NULL ? v->text : "");
	buf_free(&subj);
	buf_free(&mid);
	buf_free(&refs);
}

void
vacation_after_delivery(struct queue *q, struct log_session *ls,
    const char *dir, const char *account, const char *const *rcpts,
    size_t nrcpt, const char *sender, const char *msg, size_t len,
    time_t now)
{
	static uint64_t seq;
	char path[OBJECTS_PATH_MAX + 32];
	struct stat st;
	const char **all;
	const char *why = NULL;
	struct vacation_cfg v;
	struct queue_rcpt qr;
	struct queue_msg qm;
	struct error err;
	struct buf out;
	uint64_t id, n;
	int rc;

	error_clear(&err);
	/* the cheap test first: most accounts have no auto-reply file, and
	 * one stat without the lock says so (every delivery passes here) */
	if (file_path(dir, path, sizeof(path), &err) < 0 ||
	    (stat(path, &st) < 0 && errno == ENOENT))
		return;
	if (vacation_read(dir, &v, &err) < 0 || !v.enabled) {
		vacation_cfg_clear(&v);
		return;
	}
	vacation_cfg_clear(&v);
	all = xcalloc(nrcpt + 1, sizeof(*all));
	all[0] = account;
	memcpy(all + 1, rcpts, nrcpt * sizeof(*all));
	why = vacation_check(sender, all, nrcpt + 1, msg, len);
	free(all);
	if (why != NULL) {
		log_ses(ls, LOG_LOW, "auto-reply to <%s> not sent: %s", sender,
		    why);
		return;
	}
	rc = claim(dir, sender, now, &v, &why, &err);
	if (rc <= 0) {
		if (rc < 0)
			log_ses(ls, LOG_PROBLEM, "auto-reply not sent: %s",
			    err.msg);
		else
			log_ses(ls, LOG_LOW, "auto-reply to <%s> not sent: %s",
			    sender, why);
		vacation_cfg_clear(&v);
		return;
	}
	n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	buf_init(&out, VACATION_REPLY_MAX);
	vacation_compose(&v, account, sender, msg, len, now, n, &out);
	vacation_cfg_clear(&v);
	if (out.err != 0) {
		log_ses(ls, LOG_PROBLEM, "auto-reply to <%s> not sent: too "
		    "large", sender);
		buf_free(&out);
		return;
	}
	memset(&qr, 0, sizeof(qr));
	qr.address = sender;
	memset(&qm, 0, sizeof(qm));
	qm.return_path = "";
	qm.submit_tag = "AUTOREPLY";
	qm.auth_user = account;
	qm.ret = QUEUE_RET_DEFAULT;
	qm.rcpts = &qr;
	qm.nrcpt = 1;
	qm.body = buf_cstr(&out);
	qm.body_len = out.len;
	if (queue_submit(q, &qm, &id, &err) < 0)
		log_ses(ls, LOG_PROBLEM, "auto-reply to <%s> not sent: %s",
		    sender, err.msg);
	else
		log_ses(ls, LOG_MAJOR, "auto-reply to <%s> queued as queue id "
		    "%" PRIu64, sender, id);
	buf_free(&out);
}
