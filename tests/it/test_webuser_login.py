# SPDX-License-Identifier: Apache-2.0
"""WebUser Login pages and sessions against a real tegamid with http.client:
the domain a Host opens (LoginPage@<host>, domain aliases, IP-address hosts)
and the pink page of B8, form login with a bare name or a full address, the
session cookie (new id at every login, HttpOnly, SameSite=Strict), the start
page with the mailboxes and their counts, logout with its CSRF token, the
Require Fixed Network Address preference (B9) at the account, domain and
server levels, and JMAP by session cookie with X-CSRF-Token on POST."""

import http.client
import json
import re
import time
import urllib.parse

import pytest

import httputil
from conftest import deliver
from imaputil import PASSWORD

@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    """Fails when an ASan/UBSan build reported anything (httputil)."""
    yield
    httputil.sanitizer_clean()


def start(make_server):
    s = make_server(services=["cli", "webuser", "smtp"])
    httputil.made.append(s)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    s.tegami("CreateDomain", "client1.com")
    s.tegami("CreateAccount", "user2@client1.com", '{Password="%s";}' % PASSWORD)
    return s


def request(s, method, path, host="test.example", body=None, cookie=None,
            headers=None, source="127.0.0.1"):
    """One request on a new connection from source; (status, headers
    (lower-case names; Set-Cookie as a list), body text)."""
    c = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"], timeout=30,
                                   source_address=(source, 0))
    h = {"Host": host}
    if cookie is not None:
        h["Cookie"] = "TegamiUser=" + cookie
    data = None
    if isinstance(body, dict):
        data = urllib.parse.urlencode(body).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = body
    h.update(headers or {})
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = r.read().decode(errors="replace")
    hd = {k.lower(): v for k, v in r.getheaders()}
    hd["set-cookie"] = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    return r.status, hd, out


def login(s, user, host="test.example", pw=PASSWORD, cookie=None, source="127.0.0.1"):
    st, h, body = request(s, "POST", "/login", host=host, cookie=cookie,
                          body={"username": user, "password": pw}, source=source)
    return st, h, body


def session_of(h):
    for c in h["set-cookie"]:
        m = re.match(r"TegamiUser=([0-9a-f]{32});", c)
        if m:
            return m.group(1), c
    return None, None


def csrf_of(page):
    m = re.search(r'name=csrf value="([0-9a-f]+)"', page)
    assert m, page
    return m.group(1)


def title(page):
    m = re.search(r"<title>(.*?)</title>", page)
    return m.group(1) if m else ""


def test_login_page_per_host_and_pink_page(make_server):
    s = start(make_server)
    st, _, body = request(s, "GET", "/", host="test.example")
    assert st == 200 and "test.example" in title(body)
    assert 'name="password"' in body or "name=password" in body
    st, _, body = request(s, "GET", "/", host="client1.com")
    assert st == 200 and "client1.com" in title(body)
    st, h, css = request(s, "GET", "/user/user.css")
    assert st == 200 and "table.mailboxes" in css
    assert "script-src" not in body and "default-src 'none'" in \
        request(s, "GET", "/")[1]["content-security-policy"]
    # B8: neither a domain nor an alias
    st, _, body = request(s, "GET", "/", host="mail.client1.com")
    assert st == 404
    assert "we do not provide Web Access to this domain" in body
    assert "<body class=pink>" in body
    assert "body.pink { background-color: pink; }" in request(s, "GET", "/user/user.css")[2]
    assert s.wait_log(r"no Web Access to 'mail\.client1\.com'")
    # ... until it is an alias of the domain
    s.tegami("SetDomainAliases", "client1.com", "(mail.client1.com)")
    st, _, body = request(s, "GET", "/", host="mail.client1.com")
    assert st == 200 and "client1.com" in title(body), body
    # a domain-level Router record does the same
    st, _, body = request(s, "GET", "/", host="webmail.client1.com")
    assert st == 404
    s.tegami("SetRouterTable", "webmail.client1.com = client1.com")
    st, _, body = request(s, "GET", "/", host="webmail.client1.com")
    assert st == 200 and "client1.com" in title(body), body
    # an IP-address host: the domain owning that address, else the main one
    st, _, body = request(s, "GET", "/", host="127.0.0.1")
    assert st == 200 and "test.example" in title(body)
    s.tegami("UpdateDomainSettings", "client1.com", '{IPAddresses="127.0.0.1";}')
    st, _, body = request(s, "GET", "/", host="127.0.0.1")
    assert st == 200 and "client1.com" in title(body), body
    # the pink page refuses a login too
    st, _, body = login(s, "user1", host="nowhere.example")
    assert st == 404 and "we do not provide Web Access" in body


def test_login_session_mailboxes_logout(make_server):
    s = start(make_server)
    # a bare name is an account of the Login page's domain
    st, h, _ = login(s, "user2", host="client1.com")
    assert st == 303 and h["location"] == "/Mailboxes"
    sid, raw = session_of(h)
    assert sid is not None
    assert "HttpOnly" in raw and "SameSite=Strict" in raw and "Path=/" in raw
    assert "Secure" not in raw          # not over TLS
    st, _, body = login(s, "user2", host="test.example")
    assert st == 401 and "incorrect password or account name" in body
    # a full address from any domain's page; no session fixation: the id
    # the client sent is not kept
    fixed = "0123456789abcdef0123456789abcdef"
    st, h, _ = login(s, "user1@test.example", host="client1.com", cookie=fixed)
    assert st == 303
    sid1, _ = session_of(h)
    assert sid1 and sid1 != fixed and sid1 != sid
    st, _, body = request(s, "GET", "/Mailboxes", cookie=fixed)
    assert st == 303
    # the start page lists the mailboxes with their counts
    msg = b"From: a@b\r\nTo: user1@test.example\r\nSubject: hi\r\n\r\nhello\r\n"
    deliver(s, "user1@test.example", msg)
    end = time.time() + 20
    while True:
        st, _, body = request(s, "GET", "/Mailboxes", cookie=sid1)
        assert st == 200 and "user1@test.example" in body
        if re.search(r"<td>INBOX</td><td>1</td><td>1</td>", body) or \
                time.time() > end:
            break
        time.sleep(0.2)
    assert re.search(r"<td>INBOX</td><td>1</td><td>1</td>", body), body
    # the webmail's script is a file of ours; no inline script
    assert re.findall(r"<script[^>]*>[^<]*</script>", body) == \
        ['<script src="/user/mail.js" defer></script>'], body
    st, h, _ = request(s, "GET", "/Mailboxes", cookie=sid1)
    csp = h["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp, csp
    # GET / with a session goes to the start page
    st, h, _ = request(s, "GET", "/", cookie=sid1)
    assert st == 303 and h["location"] == "/Mailboxes"
    # logout needs the CSRF token
    csrf = csrf_of(body)
    st, _, _ = request(s, "POST", "/logout", cookie=sid1, body={"csrf": "x" * 32})
    assert st == 403
    st, _, _ = request(s, "POST", "/logout", cookie=sid1, body={"csrf": csrf},
                       headers={"Origin": "http://evil.example"})
    assert st == 403
    st, h, _ = request(s, "POST", "/logout", cookie=sid1, body={"csrf": csrf})
    assert st == 303 and any("Max-Age=0" in c for c in h["set-cookie"])
    st, h, _ = request(s, "GET", "/Mailboxes", cookie=sid1)
    assert st == 303 and h["location"] == "/"
    # the other session is still there
    st, _, body = request(s, "GET", "/Mailboxes", cookie=sid)
    assert st == 200 and "user2@client1.com" in body
    assert s.wait_log(r"'user1@test\.example' logged out")


def test_session_timeout(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "HTTPU", "{SessionTimeout=1;}", check=False)
    rc, out, _ = s.tegami("GetModule", "HTTPU", check=False)
    if "SessionTimeout" not in out:
        pytest.skip("no GetModule/UpdateModule for HTTPU here")
    st, h, _ = login(s, "user1")
    sid, _ = session_of(h)
    time.sleep(2.2)
    st, h, _ = request(s, "GET", "/Mailboxes", cookie=sid)
    assert st == 303 and h["location"] == "/"


@pytest.mark.parametrize("level", ["account", "domain", "server", "off"])
def test_require_fixed_network_address(make_server, level):
    s = start(make_server)
    on = '{RequireFixedNetworkAddress=YES;}'
    if level == "account":
        s.tegami("UpdateAccountPrefs", "user1@test.example", on)
    elif level == "domain":
        s.tegami("UpdateAccountDefaultPrefs", "test.example", on)
    elif level == "server":
        s.tegami("UpdateServerAccountPrefs", on)
    st, h, _ = login(s, "user1")
    sid, _ = session_of(h)
    assert st == 303 and sid
    st, _, body = request(s, "GET", "/Mailboxes", cookie=sid)
    assert st == 200 and "INBOX" in body
    st, h, body = request(s, "GET", "/Mailboxes", cookie=sid, source="127.0.0.2")
    jst, _, _ = request(s, "GET", "/.well-known/jmap", cookie=sid,
                        source="127.0.0.2")
    if level == "off":
        assert st == 200 and "INBOX" in body
        assert jst == 200
    else:
        assert st == 403 and "name=password" in body
        assert jst == 403
        assert s.wait_log(r"session of 'user1@test\.example' refused from "
                          r"\[?127\.0\.0\.2")
        # still good from the address it was opened from
        st, _, _ = request(s, "GET", "/Mailboxes", cookie=sid)
        assert st == 200
    # an account-level NO wins over the server's YES
    if level == "server":
        s.tegami("UpdateAccountPrefs", "user1@test.example",
                 '{RequireFixedNetworkAddress=NO;}')
        st, _, _ = request(s, "GET", "/Mailboxes", cookie=sid, source="127.0.0.2")
        assert st == 200


def test_jmap_with_session_cookie(make_server):
    s = start(make_server)
    st, _, _ = request(s, "GET", "/.well-known/jmap", cookie="f" * 32)
    assert st == 401                     # no such session: Basic is asked for
    st, h, _ = login(s, "user1")
    sid, _ = session_of(h)
    st, _, body = request(s, "GET", "/.well-known/jmap", cookie=sid)
    assert st == 200
    sess = json.loads(body)
    assert sess["username"] == "user1@test.example"
    acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
    st, _, page = request(s, "GET", "/Mailboxes", cookie=sid)
    csrf = csrf_of(page)
    call = json.dumps({"using": ["urn:ietf:params:jmap:core",
                                 "urn:ietf:params:jmap:mail"],
                       "methodCalls": [["Mailbox/get", {"accountId": acct}, "0"]]
                       }).encode()
    jh = {"Content-Type": "application/json"}
    st, _, _ = request(s, "POST", "/jmap/api", cookie=sid, body=call, headers=jh)
    assert st == 403
    st, _, _ = request(s, "POST", "/jmap/api", cookie=sid, body=call,
                       headers=dict(jh, **{"X-CSRF-Token": "0" * 32}))
    assert st == 403
    assert s.wait_log(r"POST /jmap/api of 'user1@test\.example' refused: "
                      r"missing or wrong CSRF token")
    st, _, body = request(s, "POST", "/jmap/api", cookie=sid, body=call,
                          headers=dict(jh, **{"X-CSRF-Token": csrf}))
    assert st == 200, body
    names = [m["name"] for m in json.loads(body)["methodResponses"][0][1]["list"]]
    assert "Inbox" in names or "INBOX" in names


def test_login_b5_and_router(make_server):
    s = start(make_server)
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    st, h, body = login(s, "user1", source="127.0.0.2")
    assert st == 403 and "access from your network is denied" in body
    assert session_of(h)[0] is None
    assert s.wait_log(r"login failed for 'user1@test\.example': access from "
                      r"your network is denied")
    s.tegami("SetClientIPs", "127.0.0.2")
    st, h, _ = login(s, "user1", source="127.0.0.2")
    assert st == 303 and session_of(h)[0]
    # the name goes through the Router (Access context)
    s.tegami("SetRouterTable", "<boss@test.example> = user1@test.example")
    st, h, body = login(s, "boss")
    assert st == 303, body
    st, _, body = request(s, "GET", "/Mailboxes", cookie=session_of(h)[0])
    assert st == 200 and "user1@test.example" in body


def test_cookie_secure_over_tls(make_server):
    import ssl
    s = make_server(services=["cli", "webusers"])
    httputil.made.append(s)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", s.ports["webusers"],
                                    timeout=30, context=ctx)
    c.request("POST", "/login", body=urllib.parse.urlencode(
        {"username": "user1", "password": PASSWORD}),
        headers={"Host": "test.example",
                 "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    assert r.status == 303
    assert any(v.startswith("TegamiUser=") and "; Secure" in v and "HttpOnly" in v
               for v in cookies), cookies
