/*
 * logininfo.c: the last successful login of each account (CGP account info
 * LastLogin and LastAddress), kept in memory since the server started, keyed
 * by "name@domain".  Its own mutex: logins must not wait for the objects
 * lock's writers.  Bounded by the number of accounts that logged in.
 */
#include "lib/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
