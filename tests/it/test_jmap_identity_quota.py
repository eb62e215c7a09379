# SPDX-License-Identifier: Apache-2.0
"""JMAP additions of issue 13 against a real tegamid (urllib, imaplib,
smtplib): Identity/get|set (stored identities, only the account's own
addresses), EmailSubmission/get|query of the submissions kept and the
recent recipients they leave, quota (RFC 9425 Quota/get|query from
MaxAccountSize) enforced on Email/set create and Email/import with
overQuota, and text/html bodies sanitised when created through a WebUser
login session (not through HTTP Basic)."""

import json
import os
import re
import time

from conftest import deliver
from imaputil import PASSWORD, login, simple
from test_jmap import (CORE, MAIL, MADE, SUBM, account_id, api, inbox_id, req,
                       sanitizer_clean, start)
from test_webuser_login import login as form_login, request, session_of

QUOTA = "urn:ietf:params:jmap:quota"

assert sanitizer_clean  # the autouse fixture of test_jmap, used here too
assert MADE is not None


def draft(inbox, to, subject, html=None, text="text"):
    d = {"mailboxIds": {inbox: True}, "keywords": {"$draft": True},
         "from": [{"email": "user1@test.example"}],
         "to": [{"email": a} for a in to], "subject": subject}
    if html is not None:
        d["htmlBody"] = [{"partId": "h", "type": "text/html"}]
        d["bodyValues"] = {"h": {"value": html}}
    else:
        d["textBody"] = [{"partId": "t", "type": "text/plain"}]
        d["bodyValues"] = {"t": {"value": text}}
    return d


def test_quota_get_and_enforced(make_server):
    s = start(make_server)
    sess = req(s, "/.well-known/jmap")[2]
    assert QUOTA in sess["capabilities"]
    assert sess["primaryAccounts"][QUOTA] == account_id(s)
    # no limit: no quota object
    r = api(s, [["Quota/get", {"ids": None}, "0"]], using=(CORE, QUOTA))
    assert r[0][0] == "Quota/get" and r[0][1]["list"] == []
    # Quota/get needs the capability in "using"
    r = api(s, [["Quota/get", {}, "0"]], using=(CORE, MAIL))
    assert r[0][1]["type"] == "unknownMethod"
    s.tegami("UpdateAccountSettings", "user1", "{MaxAccountSize=4K;}")
    inbox = inbox_id(s)
    r = api(s, [["Email/set", {"create": {"a": draft(inbox, ["x@test.example"],
                                                      "small")}}, "0"],
                ["Quota/get", {"ids": None}, "1"],
                ["Quota/query", {}, "2"]], using=(CORE, MAIL, QUOTA))
    assert "a" in r[0][1]["created"], r
    q = r[1][1]["list"][0]
    assert q["id"] == "Q1" and q["resourceType"] == "octets"
    assert q["scope"] == "account" and q["types"] == ["Mail"]
    assert q["hardLimit"] == 4096 and 0 < q["used"] < 4096
    assert r[2][1]["ids"] == ["Q1"]
    state = r[1][1]["state"]
    # one past the limit: Email/set create and Email/import say overQuota
    big = "x" * 5000
    r = api(s, [["Email/set", {"create": {"b": draft(inbox, ["x@test.example"],
                                                      "big", text=big)}}, "0"]])
    assert r[0][1]["notCreated"]["b"]["type"] == "overQuota", r
    raw = simple("imported big", body=big + "\r\n")
    code, _, j = req(s, f"/jmap/upload/{account_id(s)}/", raw,
                     headers={"Content-Type": "message/rfc822"})
    assert code == 201
    r = api(s, [["Email/import", {"emails": {"k": {
        "blobId": j["blobId"], "mailboxIds": {inbox: True}}}}, "0"],
        ["Quota/get", {"ids": ["Q1", "Q9"]}, "1"]], using=(CORE, MAIL, QUOTA))
    assert r[0][1]["notCreated"]["k"]["type"] == "overQuota", r
    assert r[1][1]["notFound"] == ["Q9"] and r[1][1]["state"] == state
    # the failure was logged nowhere as a quieter success: nothing stored
    r = api(s, [["Email/query", {}, "0"]])
    assert len(r[0][1]["ids"]) == 1


def test_identities(make_server):
    s = start(make_server)
    s.tegami("SetAccountAliases", "user1", "(alias1)")
    s.tegami("CreateAccount", "other", '{Password="%s";}' % PASSWORD)
    r = api(s, [["Identity/get", {}, "0"]])
    st0 = r[0][1]["state"]
    assert [i["id"] for i in r[0][1]["list"]] == ["I1"]
    assert r[0][1]["list"][0]["mayDelete"] is False
    r = api(s, [["Identity/set", {"ifInState": st0, "create": {
        "a": {"name": "Alias One", "email": "alias1@test.example",
              "textSignature": "-- \nA1", "replyTo": [{"email": "r@x.example"}]},
        "bad": {"email": "other@test.example"},
        "far": {"email": "user1@elsewhere.example"},
        "noemail": {"name": "x"},
        "junk": {"email": "user1@test.example", "mayDelete": True}},
        "update": {"I1": {"name": "User One", "htmlSignature": "<b>U1</b>"}}},
        "0"], ["Identity/get", {"ids": ["#a", "I1", "I77"]}, "1"]])
    res = r[0][1]
    assert res["oldState"] == st0 and res["newState"] != st0
    assert set(res["created"]) == {"a"}, res
    assert res["notCreated"]["bad"]["type"] == "forbiddenFrom"
    assert res["notCreated"]["far"]["type"] == "forbiddenFrom"
    assert res["notCreated"]["noemail"]["type"] == "invalidProperties"
    assert res["notCreated"]["junk"]["type"] == "invalidProperties"
    assert "I1" in res["updated"]
    got = {i["id"]: i for i in r[1][1]["list"]}
    new_id = res["created"]["a"]["id"]
    assert got[new_id]["email"] == "alias1@test.example"
    assert got[new_id]["replyTo"] == [{"email": "r@x.example"}]
    assert got[new_id]["mayDelete"] is True
    assert got["I1"]["name"] == "User One"
    assert got["I1"]["htmlSignature"] == "<b>U1</b>"
    assert r[1][1]["notFound"] == ["I77"]
    # stale state, email immutable, I1 kept
    r = api(s, [["Identity/set", {"ifInState": st0, "update": {
        new_id: {"name": "x"}}}, "0"],
        ["Identity/set", {"update": {new_id: {"email": "user1@test.example"}},
                          "destroy": ["I1", "I99"]}, "1"]])
    assert r[0][1]["type"] == "stateMismatch"
    assert r[1][1]["notUpdated"][new_id]["type"] == "invalidProperties"
    assert r[1][1]["notDestroyed"]["I1"]["type"] == "forbidden"
    assert r[1][1]["notDestroyed"]["I99"]["type"] == "notFound"
    # kept across a restart
    s.restart()
    r = api(s, [["Identity/get", {"properties": ["email"]}, "0"]])
    assert {i["id"]: i["email"] for i in r[0][1]["list"]} == {
        "I1": "user1@test.example", new_id: "alias1@test.example"}
    assert "name" not in r[0][1]["list"][0]
    r = api(s, [["Identity/set", {"destroy": [new_id]}, "0"],
                ["Identity/get", {}, "1"]])
    assert r[0][1]["destroyed"] == [new_id]
    assert [i["id"] for i in r[1][1]["list"]] == ["I1"]


def wait_imap(s, user, subject):
    end = time.time() + 20
    while time.time() < end:
        m = login(s, user=user)
        m.select("INBOX")
        nums = m.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
        if nums:
            data = m.fetch(nums[-1], "(BODY.PEEK[])")[1][0][1]
            m.logout()
            return data
        m.logout()
        time.sleep(0.2)
    raise AssertionError(f"{subject!r} did not arrive for {user}")


def test_submissions_kept_and_recent_recipients(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "user2", '{Password="%s";}' % PASSWORD)
    s.tegami("CreateAccount", "user3", '{Password="%s";}' % PASSWORD)
    s.tegami("SetAccountAliases", "user1", "(alias1)")
    inbox = inbox_id(s)
    r = api(s, [["Identity/set", {"create": {"a": {
        "email": "alias1@test.example"}}}, "0"]])
    alias_id = r[0][1]["created"]["a"]["id"]
    r = api(s, [["EmailSubmission/get", {}, "0"],
                ["EmailSubmission/query", {}, "1"]])
    assert r[0][1]["list"] == [] and r[1][1]["ids"] == []
    st0 = r[0][1]["state"]
    r = api(s, [["Email/set", {"create": {
        "d1": draft(inbox, ["user2@test.example"], "first"),
        "d2": draft(inbox, ["user3@test.example", "user2@test.example"],
                    "second")}}, "0"],
        ["EmailSubmission/set", {"create": {
            "s1": {"identityId": "I1", "emailId": "#d1"}}}, "1"],
        ["EmailSubmission/set", {"create": {
            "s2": {"identityId": alias_id, "emailId": "#d2"},
            "s3": {"identityId": "I42", "emailId": "#d2"}}}, "2"]])
    s1 = r[1][1]["created"]["s1"]["id"]
    s2 = r[2][1]["created"]["s2"]["id"]
    assert r[1][1]["oldState"] == st0 and r[1][1]["newState"] != st0
    assert r[2][1]["notCreated"]["s3"]["type"] == "invalidProperties"
    # the alias identity sends with its address in the envelope
    got = wait_imap(s, "user3", "second")
    assert b"Return-Path: <alias1@test.example>" in got, got[:300]
    wait_imap(s, "user2", "first")
    r = api(s, [["EmailSubmission/get", {"ids": [s2, "S0"]}, "0"],
                ["EmailSubmission/query", {"filter": {"identityIds": ["I1"]}},
                 "1"],
                ["EmailSubmission/query", {"sort": [{"property": "sentAt",
                                                      "isAscending": False}],
                                           "limit": 1}, "2"],
                ["EmailSubmission/query", {"filter": {"emailIds": [
                    r[0][1]["created"]["d2"]["id"]]}}, "3"],
                ["EmailSubmission/query", {"filter": {"nope": 1}}, "4"]])
    sub = r[0][1]["list"][0]
    assert sub["identityId"] == alias_id and sub["undoStatus"] == "final"
    assert sub["envelope"]["mailFrom"]["email"] == "alias1@test.example"
    assert sorted(a["email"] for a in sub["envelope"]["rcptTo"]) == [
        "user2@test.example", "user3@test.example"]
    assert r[0][1]["notFound"] == ["S0"]
    assert r[1][1]["ids"] == [s1]
    assert r[2][1]["ids"] == [s2] and r[2][1]["total"] == 2
    assert r[3][1]["ids"] == [s2]
    assert r[4][1]["type"] == "unsupportedFilter"
    # recent recipients, newest first, each once, in the account's files
    path = s.path("Accounts", "user1.macnt", "jmap.data")
    text = open(path).read()
    m = re.search(r"RecentRecipients = \(([^)]*)\)", text)
    assert m, text
    rec = [a.strip().strip('"') for a in m.group(1).split(",")]
    assert rec == ["user2@test.example", "user3@test.example"], rec


def test_recent_recipients_bounded(make_server):
    s = start(make_server)
    inbox = inbox_id(s)
    # 55 distinct recipients in one submission (to a domain held in the
    # queue: nothing leaves the machine); the list keeps the last 50
    s.tegami("UpdateModule", "SMTP", '{RelayHost="[127.0.0.1]:9";}')
    to = [f"r{i}@far.example" for i in range(55)]
    r = api(s, [["Email/set", {"create": {"d": draft(inbox, to, "many")}}, "0"],
                ["EmailSubmission/set", {"create": {"s": {
                    "identityId": "I1", "emailId": "#d"}}}, "1"]])
    assert "s" in r[1][1]["created"], r
    text = open(s.path("Accounts", "user1.macnt", "jmap.data")).read()
    m = re.search(r"RecentRecipients = \(([^)]*)\)", text)
    rec = [a.strip().strip('"') for a in m.group(1).split(",")]
    assert len(rec) == 50
    assert rec[0] == "r54@far.example" and rec[-1] == "r5@far.example"


def test_html_sanitised_through_a_web_session(make_server):
    s = start(make_server)
    inbox = inbox_id(s)
    evil = ('<p onclick="alert(1)">Hi <b>there</b></p><script>alert(2)</script>'
            '<img src="cid:pic@x"><img src="https://img.example/a.png">'
            '<a href="javascript:alert(3)">x</a>')
    st, h, _ = form_login(s, "user1")
    sid, _ = session_of(h)
    st, _, page = request(s, "GET", "/Mailboxes", cookie=sid)
    csrf = re.search(r'name=csrf value="([0-9a-f]+)"', page).group(1)
    body = json.dumps({"using": [CORE, MAIL], "methodCalls": [
        ["Email/set", {"create": {"w": draft(inbox, ["x@test.example"], "web",
                                             html=evil)}}, "0"],
        ["Email/get", {"ids": ["#w"], "fetchHTMLBodyValues": True,
                       "properties": ["htmlBody", "bodyValues"]}, "1"]]}).encode()
    st, _, out = request(s, "POST", "/jmap/api", cookie=sid, body=body,
                         headers={"Content-Type": "application/json",
                                  "X-CSRF-Token": csrf})
    assert st == 200, out
    r = json.loads(out)["methodResponses"]
    e = r[1][1]["list"][0]
    html = e["bodyValues"][e["htmlBody"][0]["partId"]]["value"]
    assert "<b>there</b>" in html
    assert 'src="cid:pic@x"' in html                # its own parts stay
    assert 'src="https://img.example/a.png"' in html  # kept in what is sent
    for bad in ("onclick", "<script", "javascript", "alert("):
        assert bad not in html, (bad, html)
    # through HTTP Basic (any JMAP client) the HTML is stored as given
    r = api(s, [["Email/set", {"create": {"b": draft(
        inbox, ["x@test.example"], "basic", html=evil)}}, "0"],
        ["Email/get", {"ids": ["#b"], "fetchHTMLBodyValues": True,
                       "properties": ["htmlBody", "bodyValues"]}, "1"]])
    e = r[1][1]["list"][0]
    assert "<script>alert(2)</script>" in \
        e["bodyValues"][e["htmlBody"][0]["partId"]]["value"]
