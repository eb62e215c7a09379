# SPDX-License-Identifier: Apache-2.0
"""The WebAdmin core and its JSON API (docs/api.md) with real clients:
HTTP Basic and the login form, sessions and their cookie, CSRF, logout and
the idle time-out, rights (server and domain administrators), B5, the
domain a host name opens (B4, B14) and /MainAdmin, the API's commands and
errors, /metrics."""
import base64
import json
import re
import subprocess
import time
import urllib.parse

import pytest

import httputil
from httputil import api, basic, conn, request, web_server
import smtpsink


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    yield
    httputil.sanitizer_clean()


@pytest.fixture
def s(make_server, tmp_path):
    return web_server(make_server, tmp_path)


def title(html):
    m = re.search(rb"<title>(.*?)</title>", html)
    return m.group(1).decode() if m else None


def pm(s):
    return basic("postmaster", s.postmaster_password())


def form_login(s, user, password, host=None, prefix=""):
    """Logs in with the form; returns (status, session cookie or None)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if host:
        headers["Host"] = host
    st, h, _ = request(s, "POST", prefix + "/login",
                       urllib.parse.urlencode({"username": user, "password": password}),
                       headers)
    cookie = h.get("set-cookie")
    return st, h, cookie


def test_basic_login_and_title(s):
    st, _, body = request(s, "GET", "/", headers={"Authorization": pm(s)})
    assert st == 200 and title(body).startswith("General") and "test.example" in title(body)
    # wrong password: no page, the login form with the error
    st, _, body = request(s, "GET", "/", headers={"Authorization": basic("postmaster", "bad")})
    assert st == 401 and b"incorrect password or account name" in body
    assert s.wait_log(r"HTTPA-\d+\(\[127\.0\.0\.1\]:\d+\) login failed for 'postmaster' "
                      r"\(Basic\): incorrect password or account name")
    # no credentials: to the login form, and back after it
    st, h, _ = request(s, "GET", "/Settings/General")
    assert st == 303 and h["location"] == "/login?next=%2FSettings%2FGeneral"
    st, _, body = request(s, "GET", "/login?next=%2FSettings%2FGeneral")
    assert st == 200 and b'name="next" value="/Settings/General"' in body
    assert title(body).startswith("Login") and "test.example" in title(body)


def test_form_login_session_csrf_logout(s):
    st, h, cookie = form_login(s, "postmaster", s.postmaster_password())
    assert st == 303 and h["location"] == "/"
    assert re.fullmatch(r"TegamiAdmin=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Strict", cookie)
    sid = cookie.split(";")[0]
    st, _, body = request(s, "GET", "/", headers={"Cookie": sid})
    assert st == 200
    token = re.search(rb'<meta name="csrf-token" content="([0-9a-f]{32})">', body).group(1).decode()
    assert token != sid.split("=")[1]
    cmd = json.dumps({"command": "ListDomains"})
    # a cookie session must send its token with every API call
    st, _, body = request(s, "POST", "/api/command", cmd,
                          {"Cookie": sid, "Content-Type": "application/json"})
    assert st == 403 and "CSRF" in json.loads(body)["error"]
    st, _, body = request(s, "POST", "/api/command", cmd,
                          {"Cookie": sid, "Content-Type": "application/json",
                           "X-CSRF-Token": "0" * 32})
    assert st == 403
    st, _, body = request(s, "POST", "/api/command", cmd,
                          {"Cookie": sid, "Content-Type": "application/json",
                           "X-CSRF-Token": token})
    assert st == 200 and json.loads(body) == {"result": ["test.example"]}
    # a request from a page of another site is refused, token or not
    st, _, _ = request(s, "POST", "/api/command", cmd,
                       {"Cookie": sid, "Content-Type": "application/json",
                        "X-CSRF-Token": token, "Origin": "http://evil.example"})
    assert st == 403
    # logout needs the token too
    form = {"Cookie": sid, "Content-Type": "application/x-www-form-urlencoded"}
    st, _, _ = request(s, "POST", "/logout", "csrf=", form)
    assert st == 403
    st, h, _ = request(s, "POST", "/logout", "csrf=" + token, form)
    assert st == 303 and h["location"] == "/login" and "Max-Age=0" in h["set-cookie"]
    st, h, _ = request(s, "GET", "/", headers={"Cookie": sid})
    assert st == 303 and h["location"].startswith("/login")
    assert s.wait_log(r"'postmaster@test\.example' connected from \[127\.0\.0\.1\]:\d+ "
                      r"\(Master access granted\)")


def test_form_login_refusals(s):
    st, _, cookie = form_login(s, "postmaster", "wrong")
    assert st == 401 and cookie is None
    st, _, body = request(s, "POST", "/login", "username=&password=",
                          {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 400
    # cross-site login
    st, _, _ = request(s, "POST", "/login", "username=postmaster&password=x",
                       {"Content-Type": "application/x-www-form-urlencoded",
                        "Origin": "http://evil.example"})
    assert st == 403
    # next= only ever a local path
    st, h, _ = request(s, "POST", "/login", urllib.parse.urlencode(
        {"username": "postmaster", "password": s.postmaster_password(),
         "next": "//evil.example/"}), {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 303 and h["location"] == "/"


def test_session_idle_time_out(make_server, tmp_path):
    s = web_server(make_server, tmp_path, settings="{SessionTimeout = 1;}")
    st, _, cookie = form_login(s, "postmaster", s.postmaster_password())
    sid = cookie.split(";")[0]
    assert request(s, "GET", "/", headers={"Cookie": sid})[0] == 200
    time.sleep(2.5)
    st, h, _ = request(s, "GET", "/", headers={"Cookie": sid})
    assert st == 303 and h["location"].startswith("/login")


def test_secure_cookie_on_tls(make_server, tmp_path):
    s = web_server(make_server, tmp_path, services=["webadmin", "webadmins", "cli"])
    out = subprocess.run(["curl", "-sk", "-D", "-", "-o", "/dev/null",
                          "--data-urlencode", "username=postmaster",
                          "--data-urlencode", "password=" + s.postmaster_password(),
                          f"https://127.0.0.1:{s.ports['webadmins']}/login"],
                         capture_output=True, text=True, timeout=30).stdout
    assert re.search(r"(?i)set-cookie: TegamiAdmin=[0-9a-f]{32}; Path=/; HttpOnly; "
                     r"SameSite=Strict; Secure", out), out


def test_api_commands_and_results(s):
    assert api(s, "CreateDomain", "client1.com") == (200, {"result": None})
    assert api(s, "CreateAccount", "user1@client1.com", {"Password": "x"}) == \
        (200, {"result": None})
    assert api(s, "ListAccounts", "client1.com") == (200, {"result": {"user1": "MultiMailbox"}})
    st, r = api(s, "GetAccountEffectiveSettings", "user1@client1.com")
    assert st == 200 and isinstance(r["result"], dict)
    # numbers, booleans and arrays go in as the CLI would read them
    assert api(s, "SetAccountAliases", "user1@client1.com", ["u1", "first"])[0] == 200
    assert api(s, "GetAccountAliases", "user1@client1.com") == (200, {"result": ["u1", "first"]})
    # a date comes back as {"date": ...}
    request(s, "GET", "/", headers={"Authorization": pm(s)})
    st, r = api(s, "GetAccountInfo", "postmaster", "Key", "LastLogin")
    assert st == 200 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["result"]["date"]), r
    # curl, as docs/api.md shows it
    out = subprocess.run(["curl", "-s", "-u", "postmaster:" + s.postmaster_password(),
                          "-H", "Content-Type: application/json",
                          "-d", '{"command": "ListDomains"}',
                          f"http://127.0.0.1:{s.ports['webadmin']}/api/command"],
                         capture_output=True, text=True, timeout=30).stdout
    assert json.loads(out) == {"result": ["client1.com", "test.example"]} or \
        json.loads(out) == {"result": ["test.example", "client1.com"]}


def test_api_errors(s):
    assert api(s, "CreateDomain", "client1.com")[0] == 200
    st, r = api(s, "CreateDomain", "client1.com")
    assert 400 <= st < 500 and "error" in r and "result" not in r
    st, r = api(s, "NoSuchCommand")
    assert st == 404 and r == {"error": "unknown command NoSuchCommand"}
    st, r = api(s, "CreateAccount")
    assert st == 400 and "usage" in r["error"].lower() or "CreateAccount" in r["error"]
    st, r = api(s, "GetAccountInfo", "nobody@client1.com")
    assert 400 <= st < 500 and r["error"]
    h = {"Authorization": pm(s), "Content-Type": "application/json"}
    for body in (b"not json", b"[1, 2]", b'{"command": 5}', b'{"command": "A B"}',
                 b'{"command": "X", "args": {}}',
                 b'{"command": "Route", "args": [' + b"[" * 80 + b"]" * 80 + b"]}"):
        st, _, out = request(s, "POST", "/api/command", body, h)
        assert st in (400, 413) and "error" in json.loads(out), body
    # no credentials, and GET
    st, hh, out = request(s, "POST", "/api/command", b'{"command": "ListDomains"}',
                          {"Content-Type": "application/json"})
    assert st == 401 and hh["www-authenticate"].startswith('Basic realm="Tegami WebAdmin"')
    st, _, out = request(s, "GET", "/api/command", headers={"Authorization": pm(s)})
    assert st == 405
    # Basic calls must say they are JSON (no CORS-free cross-site form post)
    st, _, out = request(s, "POST", "/api/command", b'{"command": "ListDomains"}',
                         {"Authorization": pm(s), "Content-Type": "text/plain"})
    assert st == 403
    # a datablock argument must be base64
    st, r = api(s, "NOOP", {"base64": "!!!"})
    assert st == 400 and "base64" in r["error"]


def domain_setup(s):
    for d in ("client1.com", "client2.com"):
        assert api(s, "CreateDomain", d)[0] == 200
    assert api(s, "CreateAccount", "admin@client1.com", {"Password": "adm"})[0] == 200
    assert api(s, "SetAccountRights", "admin@client1.com", ["Domain"])[0] == 200
    assert api(s, "CreateAccount", "plain@client1.com", {"Password": "pl"})[0] == 200
    assert api(s, "CreateAccount", "other@client2.com", {"Password": "ot"})[0] == 200


def test_domain_administrator(s):
    domain_setup(s)
    adm = basic("admin@client1.com", "adm")
    st, _, body = request(s, "GET", "/", headers={"Authorization": adm, "Host": "client1.com"})
    assert st == 200 and "client1.com" in title(body)

    def dapi(cmd, *args, host="client1.com", user="admin@client1.com", pw="adm"):
        return api(s, cmd, *args, user=user, password=pw, host=host)

    assert dapi("ListAccounts") == (200, {"result": {"admin": "MultiMailbox",
                                                     "plain": "MultiMailbox"}})
    assert dapi("CreateAccount", "u2", {"Password": "p"}) == (200, {"result": None})
    assert dapi("SetAccountPassword", "u2@client1.com", "PASSWORD", "p2")[0] == 200
    assert "u2" in api(s, "ListAccounts", "client1.com")[1]["result"]
    # another domain's objects, server commands, other WebAdmins: refused
    st, r = dapi("CreateAccount", "x@client2.com", {"Password": "p"})
    assert st == 403 and "not enough access rights" in r["error"]
    assert dapi("ListAccounts", "client2.com")[0] == 403
    assert dapi("RenameAccount", "u2", "into", "u2@client2.com")[0] == 403
    assert dapi("ListDomains")[0] == 403
    assert dapi("SetAccountRights", "u2", ["Master"])[0] == 403
    assert dapi("ListAccounts", host="client2.com")[0] == 403
    assert dapi("ListAccounts", host="test.example")[0] == 403
    st, _, body = request(s, "GET", "/", headers={"Authorization": adm, "Host": "client2.com"})
    assert st == 403 and b"does not administer client2.com" in body
    st, _, body = request(s, "GET", "/MainAdmin/", headers={"Authorization": adm,
                                                            "Host": "client1.com"})
    assert st == 403 and b"Master" in body
    assert "x" not in api(s, "ListAccounts", "client2.com")[1]["result"]
    # an account without the Domain right administers nothing
    st, _, _ = request(s, "GET", "/", headers={"Authorization": basic("plain@client1.com", "pl"),
                                               "Host": "client1.com"})
    assert st == 403
    assert dapi("ListAccounts", user="plain@client1.com", pw="pl")[0] == 403
    st, _, _ = request(s, "GET", "/metrics", headers={"Authorization": adm, "Host": "client1.com"})
    assert st == 403


def test_b4_b14_domain_by_host_name(s):
    domain_setup(s)
    h = {"Authorization": pm(s)}

    def page_title(host, path="/"):
        st, _, body = request(s, "GET", path, headers=dict(h, Host=host))
        assert st == 200, (host, path, st)
        return title(body)

    assert "client1.com" in page_title("client1.com")
    assert "client1.com" in page_title("Client1.COM:8010")
    assert "test.example" in page_title("test.example")
    assert "test.example" in page_title("127.0.0.1")
    # /MainAdmin always opens the server WebAdmin
    assert "test.example" in page_title("client1.com", "/MainAdmin")
    assert "test.example" in page_title("client1.com", "/MainAdmin/")
    # B14: a host name that routes nowhere falls back, and says so
    assert "test.example" in page_title("mail")
    assert s.wait_log(r"ROUTER failed to route 'LoginPage@mail'")
    # an alias of a secondary domain opens that domain
    assert api(s, "SetDomainAliases", "client1.com", ["mail"])[0] == 200
    assert "client1.com" in page_title("mail")
    # a server administrator's commands run as in the CLI, whatever the
    # host (a command without a domain means the main domain)
    assert api(s, "ListAccounts", host="client2.com") == \
        (200, {"result": {"postmaster": "MultiMailbox"}})


def test_b5_non_client_address_refused(s):
    assert api(s, "CreateAccount", "user1", {"Password": "u1"})[0] == 200
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    st, r = api(s, "ListDomains", source="127.0.0.2")
    assert st == 401 and r == {"error": "access from your network is denied"}
    st, _, body = request(s, "GET", "/", headers={"Authorization": pm(s)}, source="127.0.0.2")
    assert st == 401 and b"access from your network is denied" in body
    st, _, cookie = form_login_from(s, "127.0.0.2")
    assert st == 401 and cookie is None
    assert s.wait_log(r"HTTPA-\d+\(\[127\.0\.0\.2\]:\d+\) login failed for 'postmaster' "
                      r"\(Basic\): access from your network is denied")
    # 127.0.0.1 always may
    assert api(s, "ListDomains")[0] == 200
    s.tegami("SetClientIPs", "127.0.0.2")
    assert api(s, "ListDomains", source="127.0.0.2")[0] == 200


def form_login_from(s, source):
    c = conn(s, source=source)
    c.request("POST", "/login", urllib.parse.urlencode(
        {"username": "postmaster", "password": s.postmaster_password()}),
        {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, None, r.getheader("Set-Cookie")


def test_failed_login_flow_control(s):
    # past FailedLoginFlow the account is refused from that address even
    # with the right password (the shared flow control)
    assert api(s, "CreateAccount", "user1", {"Password": "u1"})[0] == 200
    s.tegami("UpdateAccountSettings", "user1", "{FailedLoginFlow=(2,10m);}")
    for _ in range(3):
        assert api(s, "ListDomains", user="user1", password="bad")[0] == 401
    st, r = api(s, "ListDomains", user="user1", password="u1", source="127.0.0.3")
    assert st == 403          # logged in (from another address), not Master
    st, r = api(s, "ListDomains", user="user1", password="u1")
    assert st == 401 and r["error"] == "too many failed logins, try later"


def test_metrics_and_statistics(s):
    api(s, "ListDomains", password="bad")
    st, h, body = request(s, "GET", "/metrics", headers={"Authorization": pm(s)})
    assert st == 200 and h["content-type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    m = re.search(r"^tegami_logins_failed_total (\d+)$", text, re.M)
    assert m and int(m.group(1)) >= 1
    assert re.search(r'^tegami_connections\{service="webadmin"\} [1-9]\d*$', text, re.M)
    assert re.search(r'^tegami_connections_total\{service="cli"\} \d+$', text, re.M)
    for name in ("messages_received_total", "messages_delivered_total",
                 "messages_relayed_total", "queue_messages"):
        assert re.search(r"^# TYPE tegami_%s (counter|gauge)$" % name, text, re.M)
        assert re.search(r"^tegami_%s \d+$" % name, text, re.M)
    assert request(s, "GET", "/metrics")[0] == 401
    st, r = api(s, "GetServerStatistics")
    assert st == 200 and r["result"]["LoginsFailed"] >= 1
    assert r["result"]["Connections"]["webadmin"]["Current"] >= 1
    # only services that listen (the Statistics page draws a chart each)
    assert set(r["result"]["Connections"]) <= set(s.ports), \
        (sorted(r["result"]["Connections"]), sorted(s.ports))
    assert set(r["result"]) >= {"Connections", "MessagesReceived", "MessagesDelivered",
                                "MessagesRelayed", "LoginsFailed", "QueueSize"}
    # and through the CLI
    rc, out, _ = s.tegami("GetServerStatistics")
    assert "LoginsFailed" in out


def test_wrong_pages(s):
    h = {"Authorization": pm(s)}
    st, _, body = request(s, "GET", "/NoSuchPage", headers=h)
    assert st == 404 and "Not found" in title(body)
    st, hh, _ = request(s, "POST", "/", "csrf=x", dict(h, **{
        "Content-Type": "application/x-www-form-urlencoded"}))
    assert st == 405
    st, hh, _ = request(s, "GET", "/", headers=h)
    assert "default-src 'self'" in hh["content-security-policy"]
    assert hh["cache-control"] == "no-store"


@pytest.fixture
def sink():
    k = smtpsink.Sink(addr="127.0.1.4").start()
    yield k
    k.stop()


@pytest.mark.skipif(not smtpsink.HAVE_AIOSMTPD, reason="python3-aiosmtpd missing")
def test_message_counters_move(make_server, tmp_path, sink):
    import smtplib
    import ssl
    s = web_server(make_server, tmp_path,
                   services=["webadmin", "smtp", "submission", "cli"])
    s.tegami("UpdateModule", "SMTP", '{RelayHost="%s";}' % sink.target)
    s.tegami("CreateAccount", "user1", '{Password="pw1";}')
    before = api(s, "GetServerStatistics")[1]["result"]
    msg = b"From: a@b.example\r\nSubject: count\r\n\r\nhello\r\n"
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        c.sendmail("", ["postmaster@test.example"], msg)
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=30) as c:
        c.starttls(context=ssl._create_unverified_context())
        c.login("user1", "pw1")
        c.sendmail("user1@test.example", ["bob@remote.example"], msg)
    sink.wait(1)
    end = time.time() + 20
    while time.time() < end:
        now = api(s, "GetServerStatistics")[1]["result"]
        if now["MessagesDelivered"] > before["MessagesDelivered"] and \
                now["MessagesRelayed"] > before["MessagesRelayed"]:
            break
        time.sleep(0.2)
    assert now["MessagesReceived"] == before["MessagesReceived"] + 2
    assert now["MessagesDelivered"] == before["MessagesDelivered"] + 1
    assert now["MessagesRelayed"] == before["MessagesRelayed"] + 1
    assert now["Connections"]["smtp"]["Total"] >= 1
    text = request(s, "GET", "/metrics", headers={"Authorization": pm(s)})[2].decode()
    assert re.search(r"^tegami_messages_relayed_total %d$" % now["MessagesRelayed"], text, re.M)


def test_session_follows_rights_changes(s):
    assert api(s, "CreateAccount", "boss", {"Password": "bp"})[0] == 200
    assert api(s, "SetAccountRights", "boss", ["Master"])[0] == 200
    st, _, cookie = form_login(s, "boss", "bp")
    sid = cookie.split(";")[0]
    st, _, body = request(s, "GET", "/", headers={"Cookie": sid})
    assert st == 200
    token = re.search(rb'name="csrf-token" content="([0-9a-f]+)"', body).group(1).decode()
    h = {"Cookie": sid, "Content-Type": "application/json", "X-CSRF-Token": token}
    cmd = json.dumps({"command": "ListDomains"})
    assert request(s, "POST", "/api/command", cmd, h)[0] == 200
    # the Master right revoked: refused at once, in the same session
    assert api(s, "SetAccountRights", "boss", [])[0] == 200
    assert request(s, "POST", "/api/command", cmd, h)[0] == 403
    assert request(s, "GET", "/", headers={"Cookie": sid})[0] == 403
    # the account deleted: the session is gone
    assert api(s, "DeleteAccount", "boss")[0] == 200
    st, hh, _ = request(s, "GET", "/", headers={"Cookie": sid})
    assert st == 303 and hh["location"].startswith("/login")


def test_remembered_basic_login_still_checked(s):
    """A Basic login is remembered for a while (a password check is slow),
    but the peer checks and the account are taken again every time."""
    assert api(s, "CreateAccount", "user1", {"Password": "u1"})[0] == 200
    assert api(s, "SetAccountRights", "user1", ["Master"])[0] == 200
    assert api(s, "ListDomains", user="user1", password="u1", source="127.0.0.2")[0] == 200
    assert api(s, "ListDomains", user="user1", password="bad", source="127.0.0.2")[0] == 401
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    st, r = api(s, "ListDomains", user="user1", password="u1", source="127.0.0.2")
    assert st == 401 and r["error"] == "access from your network is denied"
    s.tegami("UpdateProtection", "{RejectNonClientLogins=NO;}")
    assert api(s, "ListDomains", user="user1", password="u1", source="127.0.0.2")[0] == 200
    assert api(s, "SetAccountRights", "user1", [])[0] == 200
    assert api(s, "ListDomains", user="user1", password="u1", source="127.0.0.2")[0] == 403
    assert api(s, "DeleteAccount", "user1")[0] == 200
    assert api(s, "ListDomains", user="user1", password="u1", source="127.0.0.2")[0] == 401
