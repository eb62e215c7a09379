# SPDX-License-Identifier: Apache-2.0
"""The WebAdmin pages over plain HTTP, as a browser without JavaScript uses
them (docs/webadmin.md): GET draws a page whose <title> names the domain,
a form POST with the session's CSRF token runs one CLI command and answers
303 back to the page, a refused value comes back (400) with the server's
text next to its field, a POST without the token is refused and changes
nothing."""

import html
import http.client
import re
import urllib.parse

import pytest

from conftest import Server


class Browser:
    """A cookie-keeping HTTP client of one WebAdmin (no redirects
    followed)."""

    def __init__(self, port, host="127.0.0.1"):
        self.port, self.host, self.cookie = port, host, None

    def req(self, method, path, form=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = {"Host": f"{self.host}:{self.port}"}
        if self.cookie:
            h["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", errors="replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("TegamiAdmin="):
                self.cookie = v.split(";", 1)[0]
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), text

    def login(self, user, password):
        st, h, _ = self.req("POST", "/login",
                            {"username": user, "password": password})
        assert st == 303, st
        return self

    def get(self, path):
        st, h, text = self.req("GET", path)
        assert st == 200, (path, st, text[:500])
        return text

    def csrf(self, path):
        m = re.search(r'name="csrf" value="([^"]*)"', self.get(path))
        assert m, path
        return m.group(1)

    def post(self, path, form, csrf=True):
        form = dict(form)
        if csrf:
            form["csrf"] = self.csrf(path.split("?")[0])
        return self.req("POST", path, form)


@pytest.fixture
def wa(base_dir):
    s = Server(base_dir, services=["webadmin", "cli"]).start()
    b = Browser(s.ports["webadmin"]).login("postmaster", s.postmaster_password())
    yield s, b
    s.stop()


def title(text):
    return html.unescape(re.search(r"<title>(.*?)</title>", text).group(1))


PAGES = ["/", "/Settings/General", "/Settings/Protection", "/Settings/Router",
         "/Settings/SMTP", "/Settings/POP", "/Settings/IMAP", "/Settings/HTTP",
         "/Settings/LDAP", "/Settings/DNR", "/Settings/LOCAL",
         "/Settings/QUEUE", "/Users/Domains", "/Users/Domain",
         "/Users/Accounts", "/Users/Account", "/Users/Account?a=postmaster",
         "/Users/AccountDefaults",
         "/Monitors/Logs", "/Monitors/Queues", "/Monitors/Statistics"]


def test_every_page_draws_and_names_the_domain(wa):
    s, b = wa
    for p in PAGES:
        text = b.get(p)
        assert s.domain in title(text), p
        assert "</html>" in text, p
        # the same page under /MainAdmin
        assert s.domain in title(b.get("/MainAdmin" + p)), p


def test_general_server_time_and_local_ips(wa):
    s, b = wa
    text = b.get("/Settings/General")
    assert re.search(r'id="server-time">\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d '
                     r'[+-]\d{4}<', text)
    assert re.search(r'<tr class="assigned"><td class="ip">127\.0\.0\.1</td>'
                     r'<td>' + re.escape(s.domain), text)
    st, h, _ = b.post("/Settings/General", {"action": "refresh"})
    assert st == 303 and h["location"] == "/Settings/General?done=1"


def test_domains_create_error_rename_delete(wa):
    s, b = wa
    st, h, _ = b.post("/Users/Domains", {"action": "create",
                                          "name": "pages.test"})
    assert st == 303 and h["location"].startswith("/Users/Domains")
    assert "pages.test" in s.tegami("ListDomains")[1]
    # The second time: 400, the page again, the CLI's text next to the field.
    st, h, text = b.post("/Users/Domains", {"action": "create",
                                             "name": "pages.test"})
    assert st == 400
    m = re.search(r'<input name="name" value=""></label><span class="err" '
                  r'role="alert">([^<]+)</span>', text)
    assert m, text[-3000:]
    rc, _, err = s.tegami("CreateDomain", "pages.test", check=False)
    assert rc != 0 and html.unescape(m.group(1)) in err
    st, h, _ = b.post("/Users/Domains", {"action": "rename", "d": "pages.test",
                                          "newname": "pages2.test"})
    assert st == 303
    doms = s.tegami("ListDomains")[1]
    assert "pages2.test" in doms and "pages.test," not in doms
    # Filter and paging of the list
    for i in range(55):
        s.tegami("CreateDomain", f"d{i:02d}.test")
    text = b.get("/Users/Domains?filter=d0")
    assert len(re.findall(r'<td class="name">d0\d\.test</td>', text)) == 10
    text = b.get("/Users/Domains")
    assert "50 of 57" in text and 'rel="next"' in text
    text = b.get("/Users/Domains?start=50")
    assert "7 of 57" in text
    st, h, _ = b.post("/Users/Domains", {"action": "delete",
                                          "d": "pages2.test"})
    assert st == 303 and "pages2.test" not in s.tegami("ListDomains")[1]


def test_post_without_csrf_is_refused(wa):
    s, b = wa
    st, h, _ = b.post("/Users/Domains", {"action": "create",
                                          "name": "nocsrf.test"}, csrf=False)
    assert st == 403
    st, h, _ = b.req("POST", "/Users/Domains",
                     {"action": "create", "name": "nocsrf.test",
                      "csrf": "0" * 32})
    assert st == 403
    assert "nocsrf.test" not in s.tegami("ListDomains")[1]
    # Without a session at all: the login page, nothing done.
    anon = Browser(s.ports["webadmin"])
    st, h, _ = anon.req("POST", "/Users/Domains",
                        {"action": "create", "name": "nocsrf.test"})
    assert st in (401, 403)
    assert "nocsrf.test" not in s.tegami("ListDomains")[1]


def test_domain_aliases_and_settings(wa):
    s, b = wa
    s.tegami("CreateDomain", "al.test")
    st, h, _ = b.post("/Users/Domain", {"d": "al.test", "action": "aliases",
                                         "alias": ["mail.al.test", "",
                                                   "www.al.test"]})
    assert st == 303 and h["location"] == "/Users/Domain?done=1&d=al.test"
    out = s.tegami("GetDomainAliases", "al.test")[1]
    assert "mail.al.test" in out and "www.al.test" in out
    text = b.get("/Users/Domain?d=al.test")
    assert 'value="mail.al.test"' in text
    st, h, _ = b.post("/Users/Domain", {
        "d": "al.test", "action": "settings", "IPAddresses": "127.0.0.1",
        "MailToUnknown": "Rerouted to", "MailRerouteAddress": "postmaster",
        "AccessToUnknown": "Rejected", "AccessRerouteAddress": "",
        "SignalToUnknown": "Rejected", "SignalRerouteAddress": ""})
    assert st == 303
    eff = s.tegami("GetDomainEffectiveSettings", "al.test")[1]
    assert "127.0.0.1" in eff and "Rerouted to" in eff
    # A bad address list: refused, its text next to the field.
    st, h, text = b.post("/Users/Domain", {
        "d": "al.test", "action": "settings", "IPAddresses": "999.1.1.1"})
    assert st == 400
    assert re.search(r'name="IPAddresses" value="[^"]*"></label>'
                     r'<span class="err"', text)


def test_accounts_paging_create_password_rename_delete(wa):
    s, b = wa
    s.tegami("CreateDomain", "acc.test")
    for i in range(120):
        s.tegami("CreateAccount", f"user{i:03d}@acc.test")
    text = b.get("/Users/Accounts?d=acc.test")
    names = re.findall(r'<td class="name"><a [^>]*>(user\d+)</a>', text)
    assert names == [f"user{i:03d}" for i in range(50)]
    assert '<span id="total">120</span>' in text
    nxt = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', text).group(1))
    text = b.get(nxt)
    names = re.findall(r'<td class="name"><a [^>]*>(user\d+)</a>', text)
    assert names == [f"user{i:03d}" for i in range(50, 100)]
    text = b.get("/Users/Accounts?d=acc.test&filter=user11")
    assert re.findall(r'>(user\d+)</a>', text) == \
        [f"user11{i}" for i in range(10)]
    # create with a password
    st, h, _ = b.post("/Users/Accounts", {"d": "acc.test", "action": "create",
                                           "name": "new1", "password": "pw-1"})
    assert st == 303
    s.tegami("VerifyAccountPassword", "new1@acc.test", "PASSWORD", "pw-1")
    # the account page: password, aliases, a setting
    st, h, _ = b.post("/Users/Account", {"a": "new1@acc.test",
                                          "action": "password",
                                          "password": "pw-2"})
    assert st == 303
    s.tegami("VerifyAccountPassword", "new1@acc.test", "PASSWORD", "pw-2")
    st, h, _ = b.post("/Users/Account", {"a": "new1@acc.test",
                                          "action": "aliases",
                                          "alias": ["n1", ""]})
    assert st == 303 and "n1" in s.tegami("GetAccountAliases",
                                           "new1@acc.test")[1]
    st, h, _ = b.post("/Users/Account", {"a": "new1@acc.test",
                                          "which": "AccountSettings",
                                          "newkey": "RealName",
                                          "newvalue": "New One"})
    assert st == 303
    assert "New One" in s.tegami("GetAccountEffectiveSettings",
                                 "new1@acc.test")[1]
    text = b.get("/Users/Account?a=new1@acc.test")
    assert 'name="k:RealName"' in text and 'id="ed-AccountPrefs"' in text
    # emptied: the account's own value goes ("default")
    st, h, _ = b.post("/Users/Account", {"a": "new1@acc.test",
                                          "which": "AccountSettings",
                                          "k:RealName": ""})
    assert st == 303
    assert "New One" not in s.tegami("GetAccountSettings", "new1@acc.test")[1]
    st, h, text = b.post("/Users/Account", {"a": "nosuch@acc.test",
                                             "action": "password",
                                             "password": "x"})
    assert st == 400 and "unknown account" in text
    st, h, _ = b.post("/Users/Accounts", {"d": "acc.test", "action": "rename",
                                           "name": "new1", "newname": "new2"})
    assert st == 303
    s.tegami("VerifyAccountPassword", "new2@acc.test", "PASSWORD", "pw-2")
    st, h, _ = b.post("/Users/Accounts", {"d": "acc.test", "action": "delete",
                                           "name": "new2"})
    assert st == 303
    assert "new2" not in s.tegami("ListAccounts", "acc.test")[1]
    # forwarders
    st, h, _ = b.post("/Users/Accounts", {"d": "acc.test",
                                           "action": "createfwd",
                                           "fname": "fw", "to": "x@y.test"})
    assert st == 303
    text = b.get("/Users/Accounts?d=acc.test&filter=fw")
    assert "Forwarder to x@y.test" in text


def test_account_defaults_three_levels(wa):
    s, b = wa
    s.tegami("CreateDomain", "lv.test")
    s.tegami("CreateAccount", "u1@lv.test")
    text = b.get("/Users/AccountDefaults?d=lv.test")
    for f in ("ServerAccountDefaults", "ServerAccountPrefs", "AccountDefaults",
              "AccountDefaultPrefs"):
        assert f'id="ed-{f}"' in text, f
    # server level, then the domain's wins, then the account's
    st, h, _ = b.post("/Users/AccountDefaults?d=lv.test", {
        "d": "lv.test", "which": "ServerAccountDefaults",
        "newkey": "MaxMailboxes", "newvalue": "11"})
    assert st == 303 and h["location"] == "/Users/AccountDefaults?done=1&d=lv.test"
    eff = s.tegami("GetAccountEffectiveSettings", "u1@lv.test")[1]
    assert re.search(r'MaxMailboxes = "?11"?;', eff), eff
    st, h, _ = b.post("/Users/AccountDefaults?d=lv.test", {
        "d": "lv.test", "which": "AccountDefaults",
        "newkey": "MaxMailboxes", "newvalue": "22"})
    assert st == 303
    eff = s.tegami("GetAccountEffectiveSettings", "u1@lv.test")[1]
    assert re.search(r'MaxMailboxes = "?22"?;', eff), eff
    st, h, _ = b.post("/Users/Account", {"a": "u1@lv.test",
                                          "which": "AccountSettings",
                                          "newkey": "MaxMailboxes",
                                          "newvalue": "33"})
    assert st == 303
    eff = s.tegami("GetAccountEffectiveSettings", "u1@lv.test")[1]
    assert re.search(r'MaxMailboxes = "?33"?;', eff), eff
    # WebUser preferences at the domain level
    st, h, _ = b.post("/Users/AccountDefaults?d=lv.test", {
        "d": "lv.test", "which": "AccountDefaultPrefs",
        "newkey": "RequireFixedAddress", "newvalue": "YES"})
    assert st == 303
    assert "RequireFixedAddress" in s.tegami("GetAccountDefaultPrefs",
                                             "lv.test")[1]
    # a malformed list value: refused on the page, nothing stored
    st, h, text = b.post("/Users/AccountDefaults?d=lv.test", {
        "d": "lv.test", "which": "AccountDefaults",
        "newkey": "AccessModes", "newvalue": "(unclosed"})
    assert st == 400 and 'class="err"' in text
    assert "unclosed" not in s.tegami("GetAccountDefaults", "lv.test")[1]


def test_router_table_and_test_address(wa):
    s, b = wa
    table = "<info> = postmaster\r\n"
    st, h, _ = b.post("/Settings/Router", {"table": table})
    assert st == 303
    assert s.tegami("GetRouterTable")[1] == "<info> = postmaster"
    text = b.get("/Settings/Router?test=info@" + s.domain)
    mail = re.search(r'<tr class="route-mail">(.*?)</tr>', text).group(1)
    assert "LOCAL" in mail and "postmaster" in mail
    assert '<tr class="route-access">' in text
    st, h, text = b.post("/Settings/Router", {"table": "<broken = x\n"})
    assert st == 400
    assert re.search(r'</textarea><span class="err" role="alert">[^<]+',
                     text)
    assert s.tegami("GetRouterTable")[1] == "<info> = postmaster"


def test_module_form_from_settings_table(wa):
    s, b = wa
    text = b.get("/Settings/SMTP")
    # every field shows its setting name and the CLI command
    assert 'id="set-MaxRecipients"' in text or 'id="set-LogLevel"' in text
    assert "UpdateModule SMTP {LogLevel = n}" in text
    names = re.findall(r'<span class="sname">(\w+)</span>', text)
    assert "LogLevel" in names and len(names) > 5
    # Only the changed field is sent: LogLevel
    form = {}
    for n in names:
        m = re.search(r'name="%s" value="([^"]*)"' % n, text)
        ta = re.search(r'<textarea name="%s"[^>]*>(.*?)</textarea>' % n, text, re.S)
        if m:
            form[n] = html.unescape(m.group(1))
        elif ta:
            form[n] = html.unescape(ta.group(1))
        else:
            sel = re.search(r'<select name="%s">(.*?)</select>' % n, text,
                            re.S).group(1)
            opt = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)<',
                            sel)
            form[n] = opt.group(1) if opt.group(1) is not None else opt.group(2)
    form["LogLevel"] = "5"
    st, h, _ = b.post("/Settings/SMTP", form)
    assert st == 303, _[-2000:]
    got = s.tegami("GetModule", "SMTP")[1]
    assert re.search(r"LogLevel = \"?5", got)
    stored = open(s.path("Settings", "SMTP.settings")).read()
    assert "LogLevel" in stored and "MaxRecipients" not in stored or \
        "MaxRecipients" in stored  # what was stored before stays as it was
    # a bad value: refused with the server's text next to that field
    numeric = next(n for n in names if n != "LogLevel" and
                   re.search(r'name="%s" value="\d+"' % n, text))
    form[numeric] = "nonsense"
    st, h, text = b.post("/Settings/SMTP", form)
    assert st == 400
    assert re.search(r'name="%s" value="[^"]*"></label><span class="err" '
                     r'role="alert">%s: ' % (numeric, numeric), text), numeric


def test_protection_lists(wa):
    s, b = wa
    text = b.get("/Settings/Protection")
    assert "RejectNonClientLogins" in text and "Client IP Addresses" in text
    st, h, _ = b.post("/Settings/Protection", {
        "action": "lists", "ClientIPs": "10.0.0.0/8\r\n192.168.1.1",
        "BlacklistedIPs": "", "WhiteHoleIPs": "", "DebugIPs": "",
        "LANIPs": "", "DeniedIPs": ""})
    assert st == 303
    out = s.tegami("GetClientIPs")[1]
    assert "10.0.0.0/8" in out and "192.168.1.1" in out
    st, h, text = b.post("/Settings/Protection", {
        "action": "lists", "ClientIPs": "10.0.0.0/8",
        "BlacklistedIPs": "not an address"})
    assert st == 400
    assert re.search(r'name="BlacklistedIPs"[^>]*>[^<]*</textarea></label>'
                     r'<span class="err"', text)


def test_logs_page_filters(wa):
    s, b = wa
    s.tegami("WriteLog", "2", "pages-log-marker")
    assert s.wait_log("pages-log-marker")
    text = b.get("/Monitors/Logs?filter=pages-log-marker")
    assert "pages-log-marker" in text
    assert 'id="live-tail"' in text and 'data-offset="' in text
    text = b.get("/Monitors/Logs?filter=pages-log-marker&level=1")
    assert "pages-log-marker</span>" not in text


def test_domain_administrator_sees_only_his_domain(wa):
    s, b = wa
    s.tegami("CreateDomain", "da.test")
    s.tegami("CreateDomain", "other.test")
    s.tegami("CreateAccount", "boss@da.test")
    s.tegami("SetAccountPassword", "boss@da.test", "PASSWORD", "boss-pw")
    s.tegami("SetAccountRights", "boss@da.test", "(Domain)")
    s.tegami("CreateAccount", "staff1@da.test")
    da = Browser(s.ports["webadmin"], host="da.test")
    st, h, _ = da.req("POST", "/login", {"username": "boss@da.test",
                                         "password": "boss-pw"})
    assert st == 303
    text = da.get("/")
    assert "da.test" in title(text) and s.domain not in title(text)
    assert re.search(r'>staff1</a>', text)
    text = da.get("/Users/Accounts")
    assert re.search(r'>staff1</a>', text) and re.search(r'>boss</a>', text)
    # his domain's forms work: a new account
    st, h, _ = da.post("/Users/Accounts", {"action": "create",
                                            "name": "staff2",
                                            "password": "s2-pw"})
    assert st == 303
    s.tegami("VerifyAccountPassword", "staff2@da.test", "PASSWORD", "s2-pw")
    # another domain and the server pages are refused
    st, h, _ = da.req("GET", "/Users/Accounts?d=other.test")
    assert st == 403
    st, h, _ = da.req("GET", "/Settings/General")
    assert st in (403, 404)
    st, h, _ = da.post("/Users/Accounts", {"d": "other.test",
                                            "action": "create",
                                            "name": "intruder"}, csrf=False)
    assert st == 403
    assert "intruder" not in s.tegami("ListAccounts", "other.test")[1]


def test_queues_page_message_release_reject(wa):
    from conftest import deliver, hold_remote_mail
    import time
    s, b = wa
    hold_remote_mail(s)
    deliver(s, "someone@remote.test",
            b"Subject: held\r\nFrom: a@remote.test\r\n\r\nbody\r\n")
    text = ""
    for _ in range(100):
        text = b.get("/Monitors/Queues")
        if "remote.test" in text and 'href="/Monitors/Queues?id=' in text:
            break
        time.sleep(0.1)
    assert re.search(r'<td class="qname">[^<]*remote\.test', text), text[-3000:]
    mid = re.search(r'href="/Monitors/Queues\?id=(\d+)"', text).group(1)
    # the message's envelope
    text = b.get(f"/Monitors/Queues?id={mid}")
    assert 'id="message"' in text and "someone@remote.test" in text
    # [Release] the destination queue: 303 back
    q = html.unescape(re.search(r'name="queue" value="([^"]+)"', text).group(1))
    st, h, _ = b.post("/Monitors/Queues", {"action": "release", "queue": q})
    assert st == 303
    # [Reject] the message: it leaves the queue
    st, h, _ = b.post("/Monitors/Queues", {"action": "reject", "id": mid,
                                            "text": "rejected in a test"})
    assert st == 303
    for _ in range(100):
        if f"?id={mid}\"" not in b.get("/Monitors/Queues"):
            break
        time.sleep(0.1)
    assert f"?id={mid}\"" not in b.get("/Monitors/Queues")
    # rejecting it again: the server's error on the page
    st, h, text = b.post("/Monitors/Queues", {"action": "reject", "id": mid})
    assert st == 400 and 'class="err"' in text
