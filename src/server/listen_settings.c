/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen_settings.c: the Listener dictionary of a module's settings (see
 * listen_settings.h).  Pure: the service table is static data.
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "server/services.h"
#include "server/listen_settings.h"

int
listen_addr_canon(const char *in, char *out, size_t size)
{
	struct in6_addr a6;
	struct in_addr a4;
	char tmp[INET6_ADDRSTRLEN + 2], txt[INET6_ADDRSTRLEN];
	size_t n;

	if (in == NULL || in[0] == '\0' || strcmp(in, "*") == 0) {
		snprintf(out, size, "*");
		return 0;
	}
	n = strlen(in);
	if (inet_pton(AF_INET, in, &a4) == 1) {
		if (inet_ntop(AF_INET, &a4, txt, sizeof(txt)) == NULL)
			return -1;
	} else {
		if (n >= 2 && n < sizeof(tmp) && in[0] == '[' &&
		    in[n - 1] == ']') {
			memcpy(tmp, in + 1, n - 2);
			tmp[n - 2] = '\0';
			in = tmp;
		}
		if (inet_pton(AF_INET6, in, &a6) != 1 ||
		    inet_ntop(AF_INET6, &a6, txt, sizeof(txt)) == NULL)
			return -1;
	}
	if ((size_t)snprintf(out, size, "%s", txt) >= size)
		return -1;
	return 0;
}

/* YES/NO, on/off, true/false, 1/0 (any case; #1/#0 too): 1, 0, or -1. */
static int
yes_no(const struct dval *v)
{
	static const char *const yes[] = { "YES", "on", "true", "1" };
	static const char *const no[] = { "NO", "off", "false", "0" };
	const char *s;
	size_t i;

	if (dict_type(v) == DICT_NUMBER)
		return dict_number(v) == 1 ? 1 : dict_number(v) == 0 ? 0 : -1;
	if (dict_type(v) != DICT_STRING || (s = dict_str(v, NULL)) == NULL)
		return -1;
	for (i = 0; i < N_ELEMENTS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* 1-65535 from "25" or #25; 0 when not a port. */
static unsigned
port_number(const struct dval *v)
{
	const char *s;
	unsigned long n = 0;
	size_t i;

	if (dict_type(v) == DICT_NUMBER)
		return dict_number(v) >= 1 && dict_number(v) <= 65535 ?
		    (unsigned)dict_number(v) : 0;
	if (dict_type(v) != DICT_STRING || (s = dict_str(v, NULL)) == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	return i > 0 && n >= 1 && n <= 65535 ? (unsigned)n : 0;
}

/* The module's service for a socket: by name (Service), else the secure
 * or plain one whose default port this is, else the module's first secure
 * or plain one.  NULL when the module has none of that kind. */
static const struct service_def *
pick_service(const char *module, const char *name, int tls, unsigned port)
{
	const struct service_def *t, *first = NULL;
	size_t n, i;

	t = services_table(&n);
	for (i = 0; i < n; i++) {
		if (strcasecmp(t[i].l.log_tag, module) != 0)
			continue;
		if (name != NULL) {
			if (strcmp(t[i].l.name, name) == 0)
				return &t[i];
			continue;
		}
		if (t[i].l.tls != (tls == 1))
			continue;
		if (t[i].l.port == port)
			return &t[i];
		if (first == NULL)
			first = &t[i];
	}
	return first;
}

static int
parse_port(const struct dval *e, const char *module, size_t idx,
    struct listen_port *out, struct error *err_r)
{
	static const char *const keys[] = {
		"PortNumber", "InitialSecurity", "IPAddress", "Service"
	};
	const struct service_def *sd;
	const struct dval *v;
	const char *key, *addr = NULL, *name = NULL;
	int tls = -1;
	size_t i, k;

	if (dict_type(e) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu is not a dictionary", idx);
	for (i = 0; i < dict_len(e); i++) {
		key = dict_key_at(e, i);
		for (k = 0; k < N_ELEMENTS(keys); k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == N_ELEMENTS(keys))
			return error_set(err_r, ERR_SYNTAX, "Listener: Ports "
			    "element %zu: unknown key '%.40s' (known: "
			    "PortNumber, InitialSecurity, IPAddress, Service)",
			    idx, key);
	}
	if ((v = dict_get(e, "PortNumber")) == NULL)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: PortNumber missing", idx);
	if ((out->port = port_number(v)) == 0)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: PortNumber '%.20s' is not a port number 1-65535",
		    idx, dict_type(v) == DICT_STRING ? dict_str(v, NULL) :
		    "(not a string)");
	if ((v = dict_get(e, "InitialSecurity")) != NULL &&
	    (tls = yes_no(v)) < 0)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: InitialSecurity must be YES or NO", idx);
	if ((v = dict_get(e, "IPAddress")) != NULL &&
	    (dict_type(v) != DICT_STRING || (addr = dict_str(v, NULL)) ==
	    NULL || listen_addr_canon(addr, out->addr, sizeof(out->addr)) < 0))
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: IPAddress '%.60s' is not an IP address of this "
		    "form: 192.0.2.1, 2001:db8::1 or *", idx, addr != NULL ?
		    addr : "(not a string)");
	if (addr == NULL)
		snprintf(out->addr, sizeof(out->addr), "*");
	if ((v = dict_get(e, "Service")) != NULL &&
	    (dict_type(v) != DICT_STRING || (name = dict_str(v, NULL)) == NULL))
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: Service is not a name", idx);
	sd = pick_service(module, name, tls, out->port);
	if (sd == NULL && name != NULL)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: '%.20s' is not a service of the %s module", idx,
		    name, module);
	if (sd == NULL)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: the %s module has no %s service", idx, module,
		    tls == 1 ? "secure (InitialSecurity)" : "clear-text");
	if (tls >= 0 && sd->l.tls != (tls == 1))
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports element "
		    "%zu: InitialSecurity %s does not fit service %s", idx,
		    tls == 1 ? "YES" : "NO", sd->l.name);
	out->service = sd->l.name;
	return 0;
}

int
listen_settings_parse(const struct dval *v, const char *module,
    struct listen_set *out, struct error *err_r)
{
	const struct dval *ports;
	const struct listen_port *a, *b;
	size_t i, j, n;

	out->n = 0;
	if (v == NULL || dict_type(v) != DICT_DICT)
		return error_set(err_r, ERR_SYNTAX, "Listener: a dictionary "
		    "{Ports=({PortNumber=N;},...);} expected");
	for (i = 0; i < dict_len(v); i++)
		if (strcmp(dict_key_at(v, i), "Ports") != 0)
			return error_set(err_r, ERR_SYNTAX, "Listener: unknown "
			    "key '%.40s' (known: Ports)", dict_key_at(v, i));
	ports = dict_get(v, "Ports");
	if (ports == NULL || dict_type(ports) != DICT_ARRAY)
		return error_set(err_r, ERR_SYNTAX, "Listener: Ports must be "
		    "an array of {PortNumber=N;} dictionaries");
	n = dict_array_len(ports);
	if (n > LISTEN_PORTS_MAX)
		return error_set(err_r, ERR_LIMIT, "Listener: %zu Ports, at "
		    "most %d", n, LISTEN_PORTS_MAX);
	for (i = 0; i < n; i++)
		if (parse_port(dict_array_get(ports, i), module, i + 1,
		    &out->p[i], err_r) < 0)
			return -1;
	/* CGP: one port and address once; "all" takes the port for all. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			a = &out->p[i];
			b = &out->p[j];
			if (a->port != b->port)
				continue;
			if (strcmp(a->addr, b->addr) == 0 ||
			    strcmp(a->addr, "*") == 0 ||
			    strcmp(b->addr, "*") == 0)
				return error_set(err_r, ERR_SYNTAX, "Listener: "
				    "Ports elements %zu and %zu both take port "
				    "%u on %s", j + 1, i + 1, a->port,
				    strcmp(a->addr, "*") == 0 ? b->addr :
				    a->addr);
		}
	}
	out->n = n;
	return 0;
}

bool
listen_set_has(const struct listen_set *set, const char *service,
    const char *addr, unsigned port)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->p[i].port == port &&
		    strcmp(set->p[i].service, service) == 0 &&
		    strcmp(set->p[i].addr, addr) == 0)
			return true;
	return false;
}

bool
listen_set_equal(const struct listen_set *a, const struct listen_set *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!listen_set_has(b, a->p[i].service, a->p[i].addr,
		    a->p[i].port))
			return false;
	return true;
}
