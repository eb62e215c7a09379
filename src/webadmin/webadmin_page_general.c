/* SPDX-License-Identifier: Apache-2.0 */
/*
 * webadmin_page_general.c: Settings -> General: the Main Domain Name,
 * [Server Time] with the zone offset (B13) and the server's local IP
 * addresses with the domain each is assigned to; an address no domain owns
 * is drawn in red (B10), and [Refresh] re-reads them (RefreshOSData).
 */
#include "lib/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/dict.h"
#include "lib/timefmt.h"
#include "objects/objects.h"
#include "core/server.h"
#include "webadmin/webadmin_pages.h"

/* The domain owning ip into dom; false when none (or not an address). */
static bool
ip_owner(struct wa_req *r, const char *ip, char *dom, size_t n)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return false;
	return objects_domain_for_local_ip(r->srv->objects,
	    (struct sockaddr *)&ss, dom, n) == 0;
}

void
wa_general_get(struct wa_req *r)
{
	char now[64], dom[DOMAIN_NAME_MAX + 1];
	struct dval *main = NULL, *ips;
	struct error err;
	size_t i;

	wa_page_begin(r, "General");
	wa_done_note(r);
	(void)wa_command(r, "MainDomainName", &main, &err);
	wa_printf(r, "<section class=\"panel\"><h2>Server</h2>\n<dl>"
	    "<dt>Main Domain Name</dt><dd id=\"main-domain\">");
	wa_esc(r, main != NULL ? dict_str(main, NULL) : "");
	dict_free(&main);
	timefmt_server_time(now, sizeof(now));
	wa_printf(r, "</dd>\n<dt>Server Time</dt><dd id=\"server-time\">");
	wa_esc(r, now);
	wa_printf(r, "</dd>\n<dt>Version</dt><dd>");
	wa_esc(r, r->srv->version);
	wa_printf(r, "</dd></dl>\n<p class=\"cli\">CLI: <code>MainDomainName"
	    "</code></p></section>\n");

	wa_printf(r, "<section class=\"panel\"><h2>Local IP Addresses</h2>\n"
	    "<table id=\"local-ips\"><thead><tr><th>Address</th>"
	    "<th>Assigned to</th></tr></thead><tbody>\n");
	ips = objects_local_ips(r->srv->objects);
	for (i = 0; ips != NULL && i < dict_array_len(ips); i++) {
		const char *ip = dict_str(dict_array_get(ips, i), NULL);
		bool owned = ip != NULL && ip_owner(r, ip, dom, sizeof(dom));

		wa_printf(r, "<tr class=\"%s\"><td class=\"ip\">",
		    owned ? "assigned" : "unassigned");
		wa_esc(r, ip);
		wa_printf(r, "</td><td>");
		if (owned)
			wa_esc(r, dom);
		else
			wa_printf(r, "unassigned local network address");
		wa_printf(r, "</td></tr>\n");
	}
	dict_free(&ips);
	wa_printf(r, "</tbody></table>\n");
	wa_form_begin(r, "/Settings/General");
	wa_printf(r, "<button name=\"action\" value=\"refresh\">Refresh"
	    "</button></form>\n<p class=\"cli\">CLI: <code>GetLocalIPs</code>,"
	    " <code>RefreshOSData</code>; addresses are assigned on a "
	    "domain's Settings page (IPAddresses).</p></section>\n");
	wa_page_end(r);
}

void
wa_general_post(struct wa_req *r)
{
	struct error err;
	struct dval *d = NULL;

	if (wa_command(r, "RefreshOSData", &d, &err) == CLI_ERROR) {
		dict_free(&d);
		http_resp_text(r->resp, 500, err.msg);
		return;
	}
	dict_free(&d);
	wa_redirect(r, "/Settings/General", "done=1");
}
