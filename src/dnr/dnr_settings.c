/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dnr_settings.c: the settings of the DNR module (Settings/DNR.settings)
 * as one table (lib/settings.h).  LogLevel is the module's log level, read
 * by the log machinery as for every module.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bounds.h"
#include "lib/settings.h"
#include "dnr/dnr.h"

int
dnr_parse_server(const char *s, struct sockaddr_storage *ss, socklen_t *len_r)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *p;
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;
	unsigned long pn = 53;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL)
			return -1;
		n = (size_t)(p - s - 1);
		if (p[1] == ':')
			port = p + 2;
		else if (p[1] != '\0')
			return -1;
		s++;
	} else if ((p = strchr(s, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		n = (size_t)(p - s);
		port = p + 1;
	} else
		n = strlen(s);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL) {
		errno = 0;
		pn = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || end == port || pn == 0 ||
		    pn > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)pn);
		*len_r = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pn);
		*len_r = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Servers: every word an address, address:port or [address]:port, the
 * port 1 to 65535 (UpdateModule refuses another before the file is
 * written; in a file edited by hand the setting takes its default, none,
 * and the loader reports it as for a range error). */
static int
check_servers(const void *field, struct error *err_r)
{
	const struct setting_words *w = field;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned i;

	for (i = 0; i < w->n; i++)
		if (dnr_parse_server(w->v[i], &ss, &len) < 0)
			return error_set(err_r, ERR_SYNTAX, "an address, "
			    "address:port or [address]:port with a port of 1 "
			    "to 65535 expected, got \"%.60s\"", w->v[i]);
	return 0;
}

static const struct setting_def dnr_defs[] = {
	SETTING_WORDS_CHECK("Servers", struct dnr_conf, servers,
	    check_servers),
	SETTING_SECS("Timeout", struct dnr_conf, timeout, DNR_TIMEOUT_DEFAULT,
	    1, DNR_TIMEOUT_MAX),
	SETTING_NUM("Retries", struct dnr_conf, retries, DNR_RETRIES_DEFAULT,
	    0, DNR_RETRIES_MAX),
};

const struct settings_table dnr_settings_table =
    SETTINGS_TABLE("DNR", struct dnr_conf, dnr_defs);
