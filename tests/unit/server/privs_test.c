/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privs_test.c: the server's user.  The thread check reads this process's
 * /proc/self/task/N/status (with a second thread running) and must tell
 * the real ids from wrong ones; privs_init() decides the user for root and
 * for another user.  The switch itself is tested against the real server
 * (tests/it/test_privileges.py), since it cannot be undone in-process.
 */
#include "lib/compat.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/test.h"
#include "server/privs.h"

static pthread_mutex_t	 hold = PTHREAD_MUTEX_INITIALIZER;

static void *
waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold);
	pthread_mutex_unlock(&hold);
	return NULL;
}

int
main(void)
{
	struct privs p;
	struct error err;
	pthread_t t;

	pthread_mutex_lock(&hold);
	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return 1;

	test_begin("every thread has this process's ids");
	if (getuid() == geteuid() && getgid() == getegid())
		test_assert(privs_check_threads(getuid(), getgid(), &err) == 0);
	test_end();

	test_begin("other ids are found in the threads");
	test_assert(privs_check_threads(getuid() + 1, getgid(), &err) == -1);
	test_assert(strstr(err.msg, "still has other ids") != NULL);
	test_assert(privs_check_threads(getuid(), getgid() + 1, &err) == -1);
	test_end();

	pthread_mutex_unlock(&hold);
	pthread_join(t, NULL);

	test_begin("an unknown user");
	if (geteuid() == 0) {
		test_assert(privs_init("no-such-user-tg", &p, &err) == -1);
		test_assert(strstr(err.msg, "does not exist") != NULL);
		test_assert(strstr(err.msg, "--user root") != NULL);
	} else {
		test_assert(privs_init("no-such-user-tg", &p, &err) == -1);
		test_assert(strstr(err.msg, "only when started as root") != NULL);
	}
	test_end();

	test_begin("root stays root only when asked");
	if (geteuid() == 0) {
		test_assert(privs_init("root", &p, &err) == 0);
		test_assert(p.root && !p.drop && p.uid == 0);
		test_assert(strcmp(p.name, "root") == 0);
		test_assert(privs_become_effective(&p, &err) == 0);
		test_assert(geteuid() == 0);
		test_assert(privs_drop(&p, &err) == 0);	/* no-op */
		test_assert(geteuid() == 0);
	} else {
		test_assert(privs_init(NULL, &p, &err) == 0);
		test_assert(!p.root && !p.drop && p.uid == geteuid());
	}
	test_end();

	test_begin("a name too long");
	if (geteuid() == 0) {
		char name[PRIVS_NAME_MAX + 8];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		test_assert(privs_init(name, &p, &err) == -1);
	}
	test_end();
	return test_done();
}
