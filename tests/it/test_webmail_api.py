# SPDX-License-Identifier: Apache-2.0
"""The webmail's JSON endpoints (src/webuser/webuser_prefs.c) with
http.client: /Prefs (three levels, checked values, null falls back),
/Password (the old one required), /Addresses (the domain's accounts),
/Quota; every POST refused without the session's CSRF token or from
another origin; nothing without a session; the SessionTimeout preference
outlives the server's."""

import json
import re
import time

import pytest

import httputil
from imaputil import PASSWORD
from test_webuser_login import login, request, session_of


@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    yield
    httputil.sanitizer_clean()


def start(make_server):
    s = make_server(services=["cli", "webuser", "smtp"])
    httputil.made.append(s)
    s.start()
    s.tegami("CreateDomain", "client1.test")
    for u in ("alice", "bob", "bobby"):
        s.tegami("CreateAccount", f"{u}@client1.test",
                 '{Password="%s";}' % PASSWORD)
    s.tegami("UpdateAccountSettings", "bob@client1.test",
             '{RealName="Bob Builder";}')
    return s


def session(s, user="alice@client1.test", pw=PASSWORD):
    st, h, _ = login(s, user, host="client1.test", pw=pw)
    assert st == 303, st
    sid = session_of(h)[0]
    st, _, page = request(s, "GET", "/Mailboxes", host="client1.test", cookie=sid)
    assert st == 200
    m = re.search(r'data-csrf="([0-9a-f]{32})"', page)
    assert m, page
    return sid, m.group(1)


def call(s, method, path, sid, csrf=None, body=None, origin=None):
    h = {}
    if csrf is not None:
        h["X-CSRF-Token"] = csrf
    if origin is not None:
        h["Origin"] = origin
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    st, hd, text = request(s, method, path, host="client1.test", cookie=sid,
                           body=data, headers=h)
    try:
        return st, json.loads(text)
    except ValueError:
        return st, text


def test_prefs_three_levels_and_checks(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    st, p = call(s, "GET", "/Prefs", sid)
    assert st == 200
    assert p["address"] == "alice@client1.test"
    assert p["effective"]["MessagesPerPage"] == "20"
    assert p["effective"]["RequireFixedNetworkAddress"] == "NO"
    assert p["account"] == {}
    # server level, then domain level, then the account's own
    s.tegami("UpdateServerAccountPrefs", "{MessagesPerPage=50;}")
    assert call(s, "GET", "/Prefs", sid)[1]["effective"]["MessagesPerPage"] == "50"
    s.tegami("UpdateAccountDefaultPrefs", "client1.test", "{MessagesPerPage=30;}")
    assert call(s, "GET", "/Prefs", sid)[1]["effective"]["MessagesPerPage"] == "30"
    st, p = call(s, "POST", "/Prefs", sid, csrf, {
        "MessagesPerPage": 7, "TimeZone": "Europe/Paris",
        "Signature": "Alice\nline 2", "RequireFixedNetworkAddress": True})
    assert st == 200, p
    assert p["effective"]["MessagesPerPage"] == "7"
    assert p["account"] == {"MessagesPerPage": "7", "TimeZone": "Europe/Paris",
                            "Signature": "Alice\nline 2",
                            "RequireFixedNetworkAddress": "YES"}
    out = s.tegami("GetAccountPrefs", "alice@client1.test")[1]
    assert "MessagesPerPage" in out and "Europe/Paris" in out
    assert s.wait_log(r"'alice@client1\.test' updated the WebUser preferences")
    # null: back to the domain's default
    st, p = call(s, "POST", "/Prefs", sid, csrf, {"MessagesPerPage": None})
    assert st == 200 and p["effective"]["MessagesPerPage"] == "30"
    assert "MessagesPerPage" not in p["account"]
    # refused values change nothing
    for bad in ({"MessagesPerPage": 0}, {"MessagesPerPage": 100000},
                {"MessagesPerPage": "12abc"}, {"TimeZone": "../../etc/passwd"},
                {"Signature": "x" * 5000}, {"SessionTimeout": 5},
                {"Password": "x"}, {"MessagesPerPage": [1]}):
        st, p = call(s, "POST", "/Prefs", sid, csrf, bad)
        assert st == 400, (bad, p)
    st, p = call(s, "POST", "/Prefs", sid, csrf, {"MessagesPerPage": 9,
                                                  "Bogus": 1})
    assert st == 400 and "Bogus" in p["error"]
    assert call(s, "GET", "/Prefs", sid)[1]["effective"]["MessagesPerPage"] == "30"
    st, p = call(s, "POST", "/Prefs", sid, csrf, None)
    assert st == 400
    st, _ = request(s, "POST", "/Prefs", host="client1.test", cookie=sid,
                    body=b"[1,2", headers={"X-CSRF-Token": csrf})[:2]
    assert st == 400


def test_posts_need_the_csrf_token_and_a_session(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    for path, body in (("/Prefs", {"MessagesPerPage": 5}),
                       ("/Password", {"old": PASSWORD, "new": "hijacked-1"})):
        st, p = call(s, "POST", path, sid, None, body)
        assert st == 403, (path, p)
        st, p = call(s, "POST", path, sid, "0" * 32, body)
        assert st == 403, (path, p)
        st, p = call(s, "POST", path, sid, csrf, body,
                     origin="http://evil.example")
        assert st == 403, (path, p)
        # no session at all
        st, _ = call(s, "POST", path, None, csrf, body)
        assert st == 401
    assert s.wait_log(r"POST /Prefs of 'alice@client1\.test' refused: "
                      r"missing or wrong CSRF token")
    assert call(s, "GET", "/Prefs", sid)[1]["account"] == {}
    s.tegami("VerifyAccountPassword", "alice@client1.test", "PASSWORD", PASSWORD)
    for path in ("/Prefs", "/Addresses?q=b", "/Quota"):
        assert call(s, "GET", path, None)[0] == 401
    assert call(s, "DELETE", "/Quota", sid, csrf)[0] == 405


def test_password_change(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    st, p = call(s, "POST", "/Password", sid, csrf, {"old": "wrong", "new": "next-pass-1"})
    assert st == 403 and "old password" in p["error"]
    assert s.wait_log(r"password change of 'alice@client1\.test' refused")
    st, p = call(s, "POST", "/Password", sid, csrf, {"old": PASSWORD, "new": "ab"})
    assert st == 400
    st, p = call(s, "POST", "/Password", sid, csrf, {"old": PASSWORD})
    assert st == 400
    st, p = call(s, "POST", "/Password", sid, csrf, {"old": PASSWORD, "new": "next-pass-1"})
    assert st == 200 and p == {"changed": True}
    s.tegami("VerifyAccountPassword", "alice@client1.test", "PASSWORD", "next-pass-1")
    assert login(s, "alice@client1.test", host="client1.test")[0] == 401
    assert login(s, "alice@client1.test", host="client1.test", pw="next-pass-1")[0] == 303


def test_addresses_and_quota(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    st, a = call(s, "GET", "/Addresses?q=bo", sid)
    assert st == 200
    emails = [x["email"] for x in a]
    assert emails == ["bob@client1.test", "bobby@client1.test"], a
    assert a[0]["name"] == "Bob Builder"
    assert call(s, "GET", "/Addresses?q=Builder", sid)[1][0]["email"] == "bob@client1.test"
    assert call(s, "GET", "/Addresses?q=zzz", sid)[1] == []
    for i in range(30):
        s.tegami("CreateAccount", f"many{i:02d}@client1.test")
    st, a = call(s, "GET", "/Addresses?q=many", sid)
    assert len(a) == 20     # WU_ADDRESSES_MAX
    st, q = call(s, "GET", "/Quota", sid)
    assert st == 200 and q["limit"] is None and q["used"] == 0
    import smtplib
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        c.sendmail("", ["alice@client1.test"], b"Subject: q\r\n\r\n" + b"x" * 5000 + b"\r\n")
    end = time.time() + 20
    while call(s, "GET", "/Quota", sid)[1]["used"] < 5000 and time.time() < end:
        time.sleep(0.2)
    assert call(s, "GET", "/Quota", sid)[1]["used"] >= 5000
    s.tegami("UpdateAccountSettings", "alice@client1.test", "{MaxAccountSize=10M;}")
    assert call(s, "GET", "/Quota", sid)[1]["limit"] == 10 * 1024 * 1024


def test_session_timeout_preference(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "HTTPU", "{SessionTimeout=1;}")
    sid, csrf = session(s)
    st, p = call(s, "POST", "/Prefs", sid, csrf, {"SessionTimeout": 600})
    assert st == 200 and p["effective"]["SessionTimeout"] == "600"
    assert p["serverSessionTimeout"] == 1
    other, _ = session(s, "bob@client1.test")
    newer, _ = session(s)       # a new login takes the preference too
    time.sleep(2.5)
    assert call(s, "GET", "/Prefs", sid)[0] == 200
    assert call(s, "GET", "/Prefs", newer)[0] == 200
    assert call(s, "GET", "/Prefs", other)[0] == 401


def test_addresses_offer_recent_recipients(make_server):
    from conftest import hold_remote_mail
    s = start(make_server)
    hold_remote_mail(s)
    sid, csrf = session(s)
    acct = "alice@client1.test"
    using = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
             "urn:ietf:params:jmap:submission"]
    st, r = call(s, "POST", "/jmap/api", sid, csrf, {"using": using, "methodCalls": [
        ["Mailbox/get", {"accountId": acct}, "m"]]})
    inbox = [m["id"] for m in r["methodResponses"][0][1]["list"] if m["role"] == "inbox"][0]
    st, r = call(s, "POST", "/jmap/api", sid, csrf, {"using": using, "methodCalls": [
        ["Email/set", {"accountId": acct, "create": {"d": {
            "mailboxIds": {inbox: True}, "from": [{"email": acct}],
            "to": [{"name": "Far Friend", "email": "friend@remote.example"}],
            "subject": "hi", "textBody": [{"partId": "t", "type": "text/plain"}],
            "bodyValues": {"t": {"value": "hi"}}}}}, "e"],
        ["EmailSubmission/set", {"accountId": acct, "create": {"s": {
            "emailId": "#d", "identityId": "I1"}}}, "x"]]})
    assert st == 200, r
    assert "s" in r["methodResponses"][1][1].get("created", {}), r
    st, a = call(s, "GET", "/Addresses?q=friend", sid)
    assert st == 200
    assert [x["email"] for x in a] == ["friend@remote.example"], a
    assert a[0]["from"] == "recent"
    # recent ones first, then the accounts
    st, a = call(s, "GET", "/Addresses?q=e", sid)
    assert a[0]["email"] == "friend@remote.example", a
    assert "bob@client1.test" in [x["email"] for x in a]


def test_ended_session_gets_no_basic_challenge(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "HTTPU", "{SessionTimeout=1;}")
    sid, csrf = session(s)
    time.sleep(2.2)
    body = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": []}
    st, hd, text = request(s, "POST", "/jmap/api", host="client1.test",
                           cookie=sid, body=json.dumps(body).encode(),
                           headers={"X-CSRF-Token": csrf,
                                    "Content-Type": "application/json"})
    assert st == 401 and "www-authenticate" not in hd, (hd, text)
    # without the cookie JMAP still asks for Basic
    st, hd, _ = request(s, "POST", "/jmap/api", host="client1.test",
                        body=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"})
    assert st == 401 and hd["www-authenticate"].startswith("Basic")
