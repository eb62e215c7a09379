/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen_settings.c: libFuzzer target for server/listen_settings and the
 * bind helper's request parser.  The input is parsed as a dictionary-format
 * Listener value for each protocol module; a value that parses must give
 * at most LISTEN_PORTS_MAX sockets, each on a port 1-65535 with a service
 * of that module and a canonical address; one that does not must say why
 * with the "Listener:" prefix.  The same bytes go to
 * bindhelper_parse_request, whose accepted requests must have a port
 * 1-1023 and an address that listen_addr_canon accepts.
 */
#include "lib/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dict.h"
#include "lib/error.h"
#include "server/bindhelper.h"
#include "server/listen_settings.h"
#include "server/services.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = { "SMTP", "POP", "IMAP", "PWD" };
	const struct service_def *sd;
	struct listen_set set;
	struct error err;
	struct dval *v;
	char addr[48], canon[LISTENER_ADDR_MAX];
	unsigned port;
	size_t i, m;

	if (bindhelper_parse_request((const char *)data, size, addr,
	    sizeof(addr), &port) == 0 && (port < 1 || port > 1023 ||
	    listen_addr_canon(addr, canon, sizeof(canon)) < 0))
		abort();
	v = dict_parse((const char *)data, size, 0, NULL);
	if (v == NULL)
		return 0;
	for (m = 0; m < N_ELEMENTS(modules); m++) {
		if (listen_settings_parse(v, modules[m], &set, &err) < 0) {
			if (strncmp(err.msg, "Listener: ", 10) != 0 ||
			    set.n != 0)
				abort();
			continue;
		}
		if (set.n > LISTEN_PORTS_MAX)
			abort();
		for (i = 0; i < set.n; i++) {
			sd = services_find(set.p[i].service);
			if (sd == NULL || strcmp(sd->l.log_tag,
			    modules[m]) != 0 || set.p[i].port < 1 ||
			    set.p[i].port > 65535 ||
			    listen_addr_canon(set.p[i].addr, canon,
			    sizeof(canon)) < 0 || strcmp(canon,
			    set.p[i].addr) != 0)
				abort();
		}
	}
	dict_free(&v);
	return 0;
}
