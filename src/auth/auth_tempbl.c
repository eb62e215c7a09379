/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth_tempbl.c: Temporary Blacklisted IP Addresses
 * (docs/admin-cli.md): addresses refused logins (and SMTP connections) until a
 * time.
 * Flow control adds an address after too many failed logins from it; the
 * CLI shows the list (GetTempBlacklistedIPs) and adds or removes entries
 * (SetTempBlacklistedIPs).  The list lives in memory only, as in the
 * original: a restart clears it.
 *
 * At most AUTH_TEMPBL_MAX addresses; expired entries are dropped whenever
 * the list is touched.  Lookups scan the array under one lock: 4096
 * entries of 20 bytes, cheap beside the password hash of every login.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "auth/auth.h"
#include "auth/auth_private.h"

struct tempbl_entry {
	struct ipaddr	addr;
	uint32_t	until;		/* auth_now_s() time it ends */
};

static pthread_mutex_t tempbl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tempbl_entry *tempbl;
static size_t tempbl_n;

/* Drops entries that have ended.  tempbl_lock held. */
static void
tempbl_expire(uint32_t now)
{
	size_t i = 0;

	while (i < tempbl_n) {
		if (tempbl[i].until <= now)
			tempbl[i] = tempbl[--tempbl_n];
		else
			i++;
	}
}

static ssize_t
tempbl_find(const struct ipaddr *a)
{
	size_t i;

	for (i = 0; i < tempbl_n; i++)
		if (memcmp(&tempbl[i].addr, a, sizeof(*a)) == 0)
			return (ssize_t)i;
	return -1;
}

bool
auth_tempbl_check(const struct sockaddr *sa, unsigned *left_r)
{
	struct ipaddr a;
	uint32_t now = auth_now_s();
	ssize_t i;
	bool hit = false;

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return false;
	ipaddr_from_sa(sa, &a);
	pthread_mutex_lock(&tempbl_lock);
	tempbl_expire(now);
	if ((i = tempbl_find(&a)) >= 0) {
		hit = true;
		if (left_r != NULL)
			*left_r = tempbl[i].until - now;
	}
	pthread_mutex_unlock(&tempbl_lock);
	return hit;
}

int
auth_tempbl_add(const struct ipaddr *a, unsigned seconds,
    struct error *err_r)
{
	uint32_t now = auth_now_s();
	ssize_t i;
	int rc = 0;

	if (seconds == 0) {
		(void)auth_tempbl_remove(a);
		return 0;
	}
	if (seconds > AUTH_TEMPBL_TIME_MAX)
		seconds = AUTH_TEMPBL_TIME_MAX;
	pthread_mutex_lock(&tempbl_lock);
	if (tempbl == NULL)
		tempbl = xcalloc(AUTH_TEMPBL_MAX, sizeof(*tempbl));
	tempbl_expire(now);
	if ((i = tempbl_find(a)) >= 0)
		tempbl[i].until = now + seconds;
	else if (tempbl_n >= AUTH_TEMPBL_MAX)
		rc = error_set(err_r, ERR_LIMIT, "the temporary blacklist is "
		    "full (%u addresses)", AUTH_TEMPBL_MAX);
	else {
		tempbl[tempbl_n].addr = *a;
		tempbl[tempbl_n].until = now + seconds;
		tempbl_n++;
	}
	pthread_mutex_unlock(&tempbl_lock);
	return rc;
}

bool
auth_tempbl_remove(const struct ipaddr *a)
{
	ssize_t i;
	bool found = false;

	pthread_mutex_lock(&tempbl_lock);
	tempbl_expire(auth_now_s());
	if ((i = tempbl_find(a)) >= 0) {
		tempbl[i] = tempbl[--tempbl_n];
		found = true;
	}
	pthread_mutex_unlock(&tempbl_lock);
	/* Unblocking means a fresh start: the failures that led here are
	 * forgotten too, or the next failure would block it again. */
	auth_flow_forget_ip(a);
	return found;
}

void
auth_tempbl_format(struct buf *out)
{
	char ip[INET6_ADDRSTRLEN];
	uint32_t now = auth_now_s();
	size_t i;

	pthread_mutex_lock(&tempbl_lock);
	tempbl_expire(now);
	for (i = 0; i < tempbl_n; i++) {
		ipaddr_format(&tempbl[i].addr, ip, sizeof(ip));
		buf_printf(out, "%s%s-%u", i > 0 ? "," : "", ip,
		    (unsigned)(tempbl[i].until - now));
	}
	pthread_mutex_unlock(&tempbl_lock);
}

size_t
auth_tempbl_count(void)
{
	size_t n;

	pthread_mutex_lock(&tempbl_lock);
	tempbl_expire(auth_now_s());
	n = tempbl_n;
	pthread_mutex_unlock(&tempbl_lock);
	return n;
}

void
auth_tempbl_reset(void)
{
	pthread_mutex_lock(&tempbl_lock);
	tempbl_n = 0;
	pthread_mutex_unlock(&tempbl_lock);
	auth_flow_reset();
}

/* ---- the SetTempBlacklistedIPs text (pure) ---- */

static bool
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One "address[-seconds]" item of len bytes. */
static int
parse_item(const char *p, size_t len, struct auth_tempbl_item *it,
    struct error *err_r)
{
	char text[INET6_ADDRSTRLEN + 16];
	const char *dash;
	size_t alen = len, i;
	unsigned long secs = 0;

	if (len >= sizeof(text))
		return error_set(err_r, ERR_SYNTAX, "address too long: %.*s",
		    (int)(len > 64 ? 64 : len), p);
	it->seconds = -1;
	/* An IPv6 address has no '-', so the last '-' starts the time. */
	dash = memrchr(p, '-', len);
	if (dash != NULL) {
		alen = (size_t)(dash - p);
		if (dash + 1 == p + len)
			return error_set(err_r, ERR_SYNTAX, "missing time "
			    "after '-': %.*s", (int)len, p);
		for (i = alen + 1; i < len; i++) {
			if (p[i] < '0' || p[i] > '9')
				return error_set(err_r, ERR_SYNTAX, "bad time: "
				    "%.*s", (int)len, p);
			secs = secs * 10 + (unsigned long)(p[i] - '0');
			if (secs > AUTH_TEMPBL_TIME_MAX)
				secs = AUTH_TEMPBL_TIME_MAX;
		}
		it->seconds = (long)secs;
	}
	memcpy(text, p, alen);
	text[alen] = '\0';
	if (ipaddr_parse(text, &it->addr) < 0)
		return error_set(err_r, ERR_SYNTAX, "bad address: %.*s",
		    (int)len, p);
	return 0;
}

int
auth_tempbl_parse(const char *text, size_t len, struct auth_tempbl_item *items,
    size_t max, size_t *n_r, struct error *err_r)
{
	size_t i = 0, start, n = 0;

	*n_r = 0;
	while (i < len) {
		while (i < len && is_sep(text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_sep(text[i]))
			i++;
		if (n == max)
			return error_set(err_r, ERR_LIMIT, "more than %zu "
			    "addresses", max);
		if (parse_item(text + start, i - start, &items[n], err_r) < 0)
			return -1;
		n++;
	}
	*n_r = n;
	return 0;
}
