/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/ldap-load.c: a light LDAP search load for bench/ldap, so that the
 * servers and not the clients are measured (ldap3 in Python costs more CPU
 * per search than either server).  Built by bench/ldap with libldap.
 *
 *   ldap-load HOST PORT BASE N SECONDS CLIENTS
 *
 * CLIENTS processes each bind anonymously and search BASE (subtree) for
 * (uid=u<random below N>) asking for cn and mail, one at a time, for
 * SECONDS; a search that does not return exactly one entry is an error.
 * Prints "searches errors".  Bounded by SECONDS.
 */
#define _GNU_SOURCE
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
client(const char *uri, const char *base, long n, double seconds, int fd)
{
	char *attrs[] = { "cn", "mail", NULL };
	struct berval cred = { 0, NULL };
	long searches = 0, errors = 0;
	unsigned seed = (unsigned)getpid();
	int version = LDAP_VERSION3;
	char filter[64], line[64];
	double end = now() + seconds;
	LDAP *ld;

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		exit(2);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	if (ldap_sasl_bind_s(ld, NULL, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL) != LDAP_SUCCESS)
		exit(3);
	while (now() < end) {
		LDAPMessage *res = NULL;

		snprintf(filter, sizeof(filter), "(uid=u%ld)",
		    (long)(rand_r(&seed) % n));
		if (ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter,
		    attrs, 0, NULL, NULL, NULL, 0, &res) != LDAP_SUCCESS ||
		    ldap_count_entries(ld, res) != 1)
			errors++;
		searches++;
		ldap_msgfree(res);
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	snprintf(line, sizeof(line), "%ld %ld\n", searches, errors);
	if (write(fd, line, strlen(line)) < 0)
		exit(4);
	exit(0);
}

int
main(int argc, char **argv)
{
	long searches = 0, errors = 0, s, e;
	char uri[256];
	int fds[2], i, clients;
	FILE *f;

	if (argc != 7) {
		fprintf(stderr, "usage: ldap-load HOST PORT BASE N SECONDS "
		    "CLIENTS\n");
		return 2;
	}
	snprintf(uri, sizeof(uri), "ldap://%s:%s", argv[1], argv[2]);
	clients = atoi(argv[6]);
	if (clients < 1 || clients > 64 || atol(argv[4]) < 1 ||
	    atof(argv[5]) <= 0 || atof(argv[5]) > 600 || pipe(fds) < 0)
		return 2;
	for (i = 0; i < clients; i++)
		if (fork() == 0) {
			close(fds[0]);
			client(uri, argv[3], atol(argv[4]), atof(argv[5]),
			    fds[1]);
		}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f != NULL && fscanf(f, "%ld %ld", &s, &e) == 2) {
		searches += s;
		errors += e;
	}
	while (wait(NULL) > 0)
		;
	printf("%ld %ld\n", searches, errors);
	return 0;
}
