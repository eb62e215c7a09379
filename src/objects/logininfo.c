/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logininfo.c: the last successful login of each account (CGP account info
 * LastLogin and LastAddress), kept in memory since the server started, keyed
 * by "name@domain".  Its own mutex: logins must not wait for the objects
 * lock's writers (lock order: the objects lock, then this one).  Entries
 * follow account renames and go with deleted accounts and with deleted or
 * renamed domains, so a new object never shows an old one's logins.
 * Bounded by the number of accounts that logged in.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/xmalloc.h"
#include "objects/objects.h"
#include "objects/objects_private.h"

struct login_info {
	int64_t		 time;
	char		 addr[64];
};

void
logininfo_init(struct objects *o)
{
	pthread_mutex_init(&o->loginlock, NULL);
	ohash_init(&o->logins);
}

void
logininfo_free(struct objects *o)
{
	ohash_clear(&o->logins, free);
	pthread_mutex_destroy(&o->loginlock);
}

static int
login_key(const char *name, const char *domain, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s@%s", name, domain);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void
objects_account_note_login(struct objects *o, const char *name,
    const char *domain, const char *ip)
{
	char key[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	struct login_info *li;

	if (login_key(name, domain, key, sizeof(key)) < 0)
		return;
	pthread_mutex_lock(&o->loginlock);
	if ((li = ohash_get(&o->logins, key)) == NULL) {
		li = xcalloc(1, sizeof(*li));
		ohash_put(&o->logins, key, li);
	}
	li->time = (int64_t)time(NULL);
	snprintf(li->addr, sizeof(li->addr), "%s", ip != NULL ? ip : "");
	pthread_mutex_unlock(&o->loginlock);
}

int
objects_account_last_login(struct objects *o, const char *name,
    const char *domain, int64_t *time_r, char *ip, size_t size)
{
	char key[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	struct login_info *li;
	int rc = -1;

	if (login_key(name, domain, key, sizeof(key)) < 0)
		return -1;
	pthread_mutex_lock(&o->loginlock);
	if ((li = ohash_get(&o->logins, key)) != NULL) {
		*time_r = li->time;
		snprintf(ip, size, "%s", li->addr);
		rc = 0;
	}
	pthread_mutex_unlock(&o->loginlock);
	return rc;
}

void
logininfo_forget(struct objects *o, const char *name, const char *domain)
{
	char key[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];

	if (login_key(name, domain, key, sizeof(key)) < 0)
		return;
	pthread_mutex_lock(&o->loginlock);
	free(ohash_del(&o->logins, key));
	pthread_mutex_unlock(&o->loginlock);
}

void
logininfo_rename(struct objects *o, const char *name, const char *newname,
    const char *domain)
{
	char key[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	char nkey[OBJECT_NAME_MAX + DOMAIN_NAME_MAX + 2];
	struct login_info *li;

	if (login_key(name, domain, key, sizeof(key)) < 0 ||
	    login_key(newname, domain, nkey, sizeof(nkey)) < 0)
		return;
	pthread_mutex_lock(&o->loginlock);
	if ((li = ohash_del(&o->logins, key)) != NULL) {
		free(ohash_del(&o->logins, nkey));
		ohash_put(&o->logins, nkey, li);
	}
	pthread_mutex_unlock(&o->loginlock);
}

struct forget_arg {
	const char	*suffix;	/* "@domain", compared ignoring case */
	size_t		 slen;
	char		**keys;
	size_t		 n, cap;
};

static void
collect_domain(const char *key, void *val ATTR_UNUSED, void *arg)
{
	struct forget_arg *f = arg;
	size_t kl = strlen(key);

	if (kl <= f->slen || strcasecmp(key + kl - f->slen, f->suffix) != 0)
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->keys = xrealloc(f->keys, f->cap * sizeof(*f->keys));
	}
	f->keys[f->n++] = xstrdup(key);
}

void
logininfo_forget_domain(struct objects *o, const char *domain)
{
	char suffix[DOMAIN_NAME_MAX + 2];
	struct forget_arg f;
	size_t i;

	memset(&f, 0, sizeof(f));
	snprintf(suffix, sizeof(suffix), "@%s", domain);
	f.suffix = suffix;
	f.slen = strlen(suffix);
	pthread_mutex_lock(&o->loginlock);
	ohash_each(&o->logins, collect_domain, &f);
	for (i = 0; i < f.n; i++) {
		free(ohash_del(&o->logins, f.keys[i]));
		free(f.keys[i]);
	}
	pthread_mutex_unlock(&o->loginlock);
	free(f.keys);
}
