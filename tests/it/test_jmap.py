# SPDX-License-Identifier: Apache-2.0
"""JMAP (RFC 8620 core, RFC 8621 mail) against a real tegamid with Python's
urllib/http.client and curl: the session resource, authentication, request
errors, Mailbox and Email methods with result references, state and
ifInState, Email/changes after an IMAP STORE and an IMAP IDLE that sees a
JMAP change, upload then Email/import, download, EmailSubmission/set
delivering to a second account, EventSource push."""

import base64
import http.client
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from imaputil import MULTIPART, PASSWORD, login, simple

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBM = "urn:ietf:params:jmap:submission"


MADE = []


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    """Stops the servers a test started and fails when an ASan/UBSan build
    reported anything on their stderr (leaks at exit included)."""
    yield
    reports = []
    while MADE:
        s = MADE.pop()
        if s.proc is not None:
            s.stop()
        with open(s.stderr_path, "rb") as f:
            text = f.read().decode(errors="replace")
        if "Sanitizer" in text or "runtime error:" in text:
            reports.append(text[-4000:])
    assert not reports, "\n".join(reports)


def start(make_server, services=("cli", "imap", "webuser", "smtp")):
    s = make_server(services=list(services))
    MADE.append(s)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    return s


def auth(user="user1", pw=PASSWORD):
    tok = base64.b64encode(f"{user}@test.example:{pw}".encode()).decode()
    return {"Authorization": "Basic " + tok}


def url(s, path):
    return f"http://127.0.0.1:{s.ports['webuser']}{path}"


def req(s, path, body=None, method=None, headers=None, user="user1",
        pw=PASSWORD, raw=False):
    h = dict(auth(user, pw)) if user is not None else {}
    h.update(headers or {})
    data = body
    if body is not None and not isinstance(body, bytes):
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    r = urllib.request.Request(url(s, path), data=data, headers=h,
                               method=method)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            out = resp.read()
            return resp.status, dict(resp.headers), out if raw else json.loads(out)
    except urllib.error.HTTPError as e:
        out = e.read()
        try:
            j = json.loads(out)
        except ValueError:
            j = out
        return e.code, dict(e.headers), j


def api(s, calls, using=(CORE, MAIL, SUBM), user="user1", **kw):
    code, _, j = req(s, "/jmap/api", {"using": list(using),
                                      "methodCalls": calls, **kw}, user=user)
    assert code == 200, j
    return j["methodResponses"]


def session(s):
    code, _, j = req(s, "/.well-known/jmap")
    assert code == 200
    return j


def account_id(s):
    return session(s)["primaryAccounts"][MAIL]


def inbox_id(s):
    r = api(s, [["Mailbox/query", {"filter": {"role": "inbox"}}, "0"]])
    return r[0][1]["ids"][0]


def imap_append(s, data, mailbox="INBOX", flags=None):
    m = login(s)
    m.append(mailbox, flags, None, data)
    m.logout()


# ---- session resource and authentication ----

def test_session_resource(make_server):
    s = start(make_server)
    j = session(s)
    aid = j["primaryAccounts"][MAIL]
    assert aid == "user1@test.example"
    assert j["accounts"][aid]["isPersonal"] is True
    core = j["capabilities"][CORE]
    for k in ("maxSizeUpload", "maxConcurrentUpload", "maxSizeRequest",
              "maxConcurrentRequests", "maxCallsInRequest",
              "maxObjectsInGet", "maxObjectsInSet"):
        assert isinstance(core[k], int) and core[k] > 0
    assert MAIL in j["capabilities"] and MAIL in j["accounts"][aid]["accountCapabilities"]
    assert j["apiUrl"].endswith("/jmap/api")
    assert "{blobId}" in j["downloadUrl"] and "{accountId}" in j["uploadUrl"]
    assert j["eventSourceUrl"].split("?")[0].endswith("/jmap/eventsource")
    assert j["username"] == "user1@test.example" and j["state"]


def test_auth_required_and_wrong_password(make_server):
    s = start(make_server)
    code, h, _ = req(s, "/.well-known/jmap", user=None)
    assert code == 401 and h["WWW-Authenticate"].startswith("Basic")
    code, h, _ = req(s, "/.well-known/jmap", pw="wrong")
    assert code == 401 and "WWW-Authenticate" in h
    code, _, _ = req(s, "/jmap/api", {"using": [], "methodCalls": []},
                     user=None)
    assert code == 401
    assert s.wait_log(r"HTTPU.*login failed for user1@test.example")


def test_session_with_curl(make_server):
    if shutil.which("curl") is None:
        pytest.skip("no curl")
    s = start(make_server)
    out = subprocess.run(["curl", "-sf", "-u", f"user1@test.example:{PASSWORD}",
                          url(s, "/.well-known/jmap")], capture_output=True,
                         timeout=30, check=True).stdout
    assert json.loads(out)["primaryAccounts"][CORE] == "user1@test.example"
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        url(s, "/.well-known/jmap")], capture_output=True,
                       timeout=30, text=True)
    assert p.stdout == "401"


# ---- request-level and method-level errors ----

def test_request_errors(make_server):
    s = start(make_server)
    code, h, j = req(s, "/jmap/api", b"{not json",
                     headers={"Content-Type": "application/json"})
    assert code == 400 and j["type"] == "urn:ietf:params:jmap:error:notJSON"
    assert h["Content-Type"].startswith("application/problem+json")
    code, _, j = req(s, "/jmap/api", {"using": [CORE]})
    assert code == 400 and j["type"].endswith(":notRequest")
    code, _, j = req(s, "/jmap/api", {"using": ["urn:x:nope"], "methodCalls": []})
    assert code == 400 and j["type"].endswith(":unknownCapability")
    limit = session(s)["capabilities"][CORE]["maxCallsInRequest"]
    calls = [["Core/echo", {}, str(i)] for i in range(limit + 1)]
    code, _, j = req(s, "/jmap/api", {"using": [CORE], "methodCalls": calls})
    assert code == 400 and j["type"].endswith(":limit")
    assert j["limit"] == "maxCallsInRequest"
    calls = [["Core/echo", {"i": i}, str(i)] for i in range(limit)]
    r = api(s, calls, using=[CORE])
    assert len(r) == limit and r[-1][1] == {"i": limit - 1}
    code, _, _ = req(s, "/jmap/api", method="GET")
    assert code == 405


def test_method_errors(make_server):
    s = start(make_server)
    r = api(s, [["Core/echo", {"hello": True}, "a"],
                ["Nope/get", {}, "b"],
                ["Mailbox/get", {"accountId": "other@test.example"}, "c"],
                ["Email/get", {"ids": "x"}, "d"],
                ["Email/get", {"#ids": {"resultOf": "zz", "name": "Email/query",
                                        "path": "/ids"}}, "e"],
                ["Email/changes", {"sinceState": "garbage"}, "f"],
                ["Email/query", {"filter": {"nosuch": 1}}, "g"],
                ["Email/get", {"ids": [], "properties": ["nosuch"]}, "h"]],
            using=[CORE, MAIL])
    assert r[0] == ["Core/echo", {"hello": True}, "a"]
    assert r[1] == ["error", {"type": "unknownMethod"}, "b"]
    assert r[2][1]["type"] == "accountNotFound"
    assert r[3][1]["type"] == "invalidArguments"
    assert r[4][1]["type"] == "invalidResultReference"
    assert r[5][1]["type"] == "cannotCalculateChanges"
    assert r[6][1]["type"] == "unsupportedFilter"
    # no ids: nothing to check the properties against
    assert r[7][0] == "Email/get"
    # a method of a capability the request does not use
    r = api(s, [["Mailbox/get", {}, "a"]], using=[CORE])
    assert r[0][1]["type"] == "unknownMethod"
    lim = session(s)["capabilities"][CORE]["maxObjectsInGet"]
    r = api(s, [["Email/get", {"ids": ["E1-%d" % i for i in range(lim + 1)]},
                 "a"]])
    assert r[0][1]["type"] == "requestTooLarge"


# ---- mailboxes ----

def test_mailboxes_and_roles(make_server):
    s = start(make_server)
    m = login(s)
    for name in ("Sent", "Drafts", "Trash", "Junk", "Work", "Work/Sub"):
        m.create(name)
    m.append("INBOX", None, None, simple("one"))
    m.append("INBOX", r"(\Seen)", None, simple("two"))
    m.logout()
    r = api(s, [["Mailbox/get", {"ids": None}, "0"]])
    mbs = {b["name"]: b for b in r[0][1]["list"]}
    assert mbs["Inbox"]["role"] == "inbox"
    assert mbs["Inbox"]["totalEmails"] == 2 and mbs["Inbox"]["unreadEmails"] == 1
    for n, role in (("Sent", "sent"), ("Drafts", "drafts"), ("Trash", "trash"),
                    ("Junk", "junk"), ("Work", None)):
        assert mbs[n]["role"] == role
    assert mbs["Sub"]["parentId"] == mbs["Work"]["id"]
    state = r[0][1]["state"]
    r = api(s, [["Mailbox/set", {"create": {"n1": {"name": "New",
                                                    "parentId": mbs["Work"]["id"]}},
                                 "update": {mbs["Junk"]["id"]: {"name": "Spam2"}},
                                 "destroy": [mbs["Trash"]["id"], mbs["Inbox"]["id"]]},
                 "0"],
                ["Mailbox/changes", {"sinceState": state}, "1"]])
    res = r[0][1]
    new_id = res["created"]["n1"]["id"]
    assert mbs["Junk"]["id"] in res["updated"]
    assert res["destroyed"] == [mbs["Trash"]["id"]]
    assert res["notDestroyed"][mbs["Inbox"]["id"]]["type"] == "mailboxHasEmail"
    ch = r[1][1]
    assert new_id in ch["created"] and mbs["Trash"]["id"] in ch["destroyed"]
    assert mbs["Junk"]["id"] in ch["updated"]
    m = login(s)
    names = [l.decode() for l in m.list()[1]]
    assert any('"Work/New"' in n for n in names)
    assert any('"Spam2"' in n for n in names)
    m.logout()
    r = api(s, [["Mailbox/set", {"ifInState": state, "destroy": []}, "0"]])
    assert r[0][1]["type"] == "stateMismatch"


# ---- email query / get ----

def test_query_and_get_with_back_references(make_server):
    s = start(make_server)
    for i in range(5):
        imap_append(s, simple(f"msg {i}", body=f"body number {i}\r\n"))
    imap_append(s, MULTIPART, flags=r"(\Flagged)")
    inbox = inbox_id(s)
    r = api(s, [["Email/query", {"filter": {"inMailbox": inbox},
                                 "sort": [{"property": "receivedAt",
                                           "isAscending": False}],
                                 "limit": 3, "calculateTotal": True}, "t0"],
                ["Email/get", {"#ids": {"resultOf": "t0", "name": "Email/query",
                                        "path": "/ids"},
                               "properties": ["subject", "from", "keywords",
                                              "mailboxIds", "threadId"]}, "t1"],
                ["Thread/get", {"#ids": {"resultOf": "t1", "name": "Email/get",
                                         "path": "/list/*/threadId"}}, "t2"]])
    q = r[0][1]
    assert q["total"] == 6 and len(q["ids"]) == 3 and q["position"] == 0
    got = r[1][1]["list"]
    assert [e["id"] for e in got] == q["ids"]
    assert all(e["mailboxIds"] == {inbox: True} for e in got)
    threads = r[2][1]["list"]
    assert len(threads) == 3 and threads[0]["emailIds"] == [got[0]["id"]]
    # paging
    r = api(s, [["Email/query", {"filter": {"inMailbox": inbox},
                                 "position": 3, "limit": 10}, "0"]])
    assert len(r[0][1]["ids"]) == 3
    # filters
    r = api(s, [["Email/query", {"filter": {"subject": "msg 3"}}, "a"],
                ["Email/query", {"filter": {"hasKeyword": "$flagged"}}, "b"],
                ["Email/query", {"filter": {"text": "number 4"}}, "c"],
                ["Email/query", {"filter": {"from": "alice"}}, "d"],
                ["Email/query", {"filter": {"operator": "NOT", "conditions": [
                    {"hasKeyword": "$flagged"}]}}, "e"],
                ["Email/query", {"filter": {"before": "2000-01-01T00:00:00Z"}}, "f"],
                ["Email/query", {"filter": {"body": "lait"}}, "g"]])
    assert len(r[0][1]["ids"]) == 1
    assert len(r[1][1]["ids"]) == 1
    assert len(r[2][1]["ids"]) == 1
    assert r[3][1]["ids"] == r[1][1]["ids"]
    assert len(r[4][1]["ids"]) == 5
    assert r[5][1]["ids"] == []
    assert r[6][1]["ids"] == r[1][1]["ids"]
    # Thread/get of no ids and of unknown ids (under UBSan: no qsort of
    # an empty list)
    r = api(s, [["Thread/get", {"ids": []}, "h"],
                ["Thread/get", {"ids": ["T999-1", "Tx0000000000000000"]}, "i"]])
    assert r[0][1]["list"] == [] and r[0][1]["notFound"] == []
    assert r[1][1]["list"] == [], r[1]


def test_email_get_properties(make_server):
    s = start(make_server)
    imap_append(s, MULTIPART, flags=r"(\Seen $Work)")
    r = api(s, [["Email/query", {}, "0"],
                ["Email/get", {"#ids": {"resultOf": "0", "name": "Email/query",
                                        "path": "/ids"},
                               "fetchTextBodyValues": True,
                               "properties": ["subject", "from", "to", "cc",
                                              "messageId", "sentAt", "keywords",
                                              "size", "receivedAt", "preview",
                                              "textBody", "attachments",
                                              "hasAttachment", "bodyValues",
                                              "bodyStructure",
                                              "header:Subject",
                                              "header:Subject:asText",
                                              "header:To:asAddresses",
                                              "header:X-None:all"]}, "1"]])
    e = r[1][1]["list"][0]
    assert e["subject"] == "Hello Wörld"
    assert e["from"] == [{"name": "Alice", "email": "alice@example.org"}]
    assert {"name": "Bob", "email": "bob@test.example"} in e["to"]
    assert e["messageId"] == ["m1@example.org"]
    assert e["sentAt"] == "2024-01-02T10:00:00Z"
    assert e["keywords"] == {"$seen": True, "$work": True}
    assert e["size"] == len(MULTIPART)
    assert e["preview"] == "café au lait"
    assert e["hasAttachment"] is True
    assert e["attachments"][0]["name"] == "a.bin"
    assert e["attachments"][0]["size"] == 10
    tb = e["textBody"][0]
    assert tb["type"] == "text/plain"
    assert e["bodyValues"][tb["partId"]]["value"].startswith("café au lait")
    assert e["bodyStructure"]["type"] == "multipart/mixed"
    assert len(e["bodyStructure"]["subParts"]) == 2
    assert e["header:Subject"] == " =?UTF-8?B?SGVsbG8gV8O2cmxk?="
    assert e["header:Subject:asText"] == "Hello Wörld"
    assert e["header:X-None:all"] == []
    # the attachment downloads decoded
    aid = account_id(s)
    blob = e["attachments"][0]["blobId"]
    code, h, data = req(s, f"/jmap/download/{aid}/{blob}/a.bin?type=application/x-test",
                        method="GET", raw=True)
    assert code == 200 and data == bytes(range(10))
    assert h["Content-Type"] == "application/x-test"
    assert "attachment" in h["Content-Disposition"]
    code, _, _ = req(s, f"/jmap/download/{aid}/Bnope/x", method="GET", raw=True)
    assert code == 404


# ---- email set, state, changes ----

def test_email_set_keywords_move_destroy_and_state_mismatch(make_server):
    s = start(make_server)
    m = login(s)
    m.create("Archive")
    m.logout()
    imap_append(s, simple("a"))
    imap_append(s, simple("b"))
    r = api(s, [["Email/query", {"sort": [{"property": "receivedAt",
                                           "isAscending": True}]}, "0"],
                ["Mailbox/query", {"filter": {"role": "archive"}}, "1"]])
    ids = r[0][1]["ids"]
    state = r[0][1]["queryState"]
    archive = r[1][1]["ids"][0]
    r = api(s, [["Email/set", {"ifInState": state, "update": {
        ids[0]: {"keywords/$seen": True, "keywords/$flagged": True},
        ids[1]: {"keywords": {"$answered": True, "custom": True}}}}, "0"]])
    res = r[0][1]
    assert res["oldState"] == state and res["newState"] != state
    assert set(res["updated"]) == set(ids)
    # the same old state again: stateMismatch
    r = api(s, [["Email/set", {"ifInState": state, "update": {
        ids[0]: {"keywords/$seen": None}}}, "0"]])
    assert r[0][1]["type"] == "stateMismatch"
    r = api(s, [["Email/get", {"ids": ids, "properties": ["keywords"]}, "0"]])
    kws = {e["id"]: e["keywords"] for e in r[0][1]["list"]}
    assert kws[ids[0]] == {"$seen": True, "$flagged": True}
    assert kws[ids[1]] == {"$answered": True, "custom": True}
    # move to Archive (patch form) and destroy the other
    r = api(s, [["Email/set", {"update": {ids[0]: {
        "mailboxIds/" + archive: True, "mailboxIds/" + inbox_id(s): None}},
        "destroy": [ids[1], "E999-1"]}, "0"]])
    res = r[0][1]
    assert res["destroyed"] == [ids[1]]
    assert res["notDestroyed"]["E999-1"]["type"] == "notFound"
    moved = res["updated"][ids[0]]["id"]
    r = api(s, [["Email/get", {"ids": [moved], "properties": ["mailboxIds",
                                                              "keywords"]}, "0"]])
    assert r[0][1]["list"][0]["mailboxIds"] == {archive: True}
    assert r[0][1]["list"][0]["keywords"]["$flagged"] is True
    m = login(s)
    m.select("INBOX")
    assert m.search(None, "ALL")[1] == [b""]
    m.select("Archive")
    assert len(m.search(None, "ALL")[1][0].split()) == 1
    m.logout()
    # two mailboxes at once is refused
    r = api(s, [["Email/set", {"update": {moved: {"mailboxIds": {
        archive: True, inbox_id(s): True}}}}, "0"]])
    assert moved in r[0][1]["notUpdated"]


def test_changes_after_imap_store(make_server):
    s = start(make_server)
    imap_append(s, simple("a"))
    r = api(s, [["Email/query", {}, "0"]])
    eid = r[0][1]["ids"][0]
    state = r[0][1]["queryState"]
    m = login(s)
    m.select("INBOX")
    m.store("1", "+FLAGS", r"(\Flagged)")
    m.append("INBOX", None, None, simple("b"))
    m.logout()
    r = api(s, [["Email/changes", {"sinceState": state}, "0"],
                ["Mailbox/get", {"ids": None, "properties": ["totalEmails"]}, "1"]])
    ch = r[0][1]
    assert ch["updated"] == [eid]
    assert len(ch["created"]) == 1 and ch["destroyed"] == []
    assert ch["oldState"] == state and ch["newState"] != state
    # an IMAP EXPUNGE shows as destroyed
    st2 = ch["newState"]
    m = login(s)
    m.select("INBOX")
    m.store("1", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.logout()
    r = api(s, [["Email/changes", {"sinceState": st2}, "0"]])
    assert r[0][1]["destroyed"] == [eid]
    # nothing changed: empty lists, same state
    st3 = r[0][1]["newState"]
    r = api(s, [["Email/changes", {"sinceState": st3}, "0"]])
    assert r[0][1]["newState"] == st3 and r[0][1]["updated"] == []


def test_imap_idle_sees_jmap_flag_change(make_server):
    s = start(make_server)
    imap_append(s, simple("a"))
    eid = api(s, [["Email/query", {}, "0"]])[0][1]["ids"][0]
    sock = socket.create_connection(("127.0.0.1", s.ports["imap"]), timeout=20)
    f = sock.makefile("rb")
    f.readline()
    sock.sendall(f"a LOGIN user1 {PASSWORD}\r\n".encode())
    while not f.readline().startswith(b"a "):
        pass
    sock.sendall(b"b SELECT INBOX\r\n")
    while not f.readline().startswith(b"b "):
        pass
    sock.sendall(b"c IDLE\r\n")
    assert f.readline().startswith(b"+")
    api(s, [["Email/set", {"update": {eid: {"keywords/$flagged": True}}}, "0"]])
    line = f.readline()
    assert b"FETCH" in line and b"\\Flagged" in line
    sock.sendall(b"DONE\r\n")
    assert f.readline().startswith(b"c OK")
    sock.close()


# ---- blobs, import, create ----

def test_upload_then_import_and_create_draft(make_server):
    s = start(make_server)
    aid = account_id(s)
    raw = simple("imported", body="from a blob\r\n")
    code, _, j = req(s, f"/jmap/upload/{aid}/", raw,
                     headers={"Content-Type": "message/rfc822"})
    assert code == 201 and j["size"] == len(raw) and j["type"] == "message/rfc822"
    blob = j["blobId"]
    inbox = inbox_id(s)
    r = api(s, [["Email/import", {"emails": {"k1": {
        "blobId": blob, "mailboxIds": {inbox: True},
        "keywords": {"$seen": True}, "receivedAt": "2024-03-04T05:06:07Z"}}}, "0"],
        ["Email/get", {"ids": ["#k1"], "properties": ["subject", "receivedAt",
                                                      "keywords"]}, "1"]])
    created = r[0][1]["created"]["k1"]
    assert created["size"] == len(raw)
    e = r[1][1]["list"][0]
    assert e["subject"] == "imported" and e["receivedAt"] == "2024-03-04T05:06:07Z"
    assert e["keywords"] == {"$seen": True}
    code, _, data = req(s, f"/jmap/download/{aid}/{created['blobId']}/m.eml",
                        method="GET", raw=True)
    assert code == 200 and data == raw
    r = api(s, [["Email/import", {"emails": {"k2": {
        "blobId": "Unope", "mailboxIds": {inbox: True}}}}, "0"]])
    assert r[0][1]["notCreated"]["k2"]["type"] == "blobNotFound"
    # a draft with an attachment from an upload
    code, _, j = req(s, f"/jmap/upload/{aid}/", b"\x00\x01binary",
                     headers={"Content-Type": "application/octet-stream"})
    r = api(s, [["Mailbox/query", {"filter": {"role": "inbox"}}, "m"],
                ["Email/set", {"create": {"d1": {
                    "mailboxIds": {inbox: True}, "keywords": {"$draft": True},
                    "from": [{"name": "User Ü", "email": "user1@test.example"}],
                    "to": [{"email": "x@test.example"}],
                    "subject": "Grüße",
                    "textBody": [{"partId": "t", "type": "text/plain"}],
                    "bodyValues": {"t": {"value": "hello\nthere"}},
                    "attachments": [{"blobId": j["blobId"], "type": "application/x-bin",
                                     "name": "f.bin"}]}}}, "0"],
                ["Email/get", {"ids": ["#d1"], "fetchTextBodyValues": True,
                               "properties": ["subject", "from", "keywords",
                                              "attachments", "bodyValues",
                                              "textBody"]}, "1"]])
    e = r[2][1]["list"][0]
    assert e["subject"] == "Grüße" and e["from"][0]["name"] == "User Ü"
    assert e["keywords"] == {"$draft": True}
    assert e["attachments"][0]["name"] == "f.bin"
    assert e["bodyValues"][e["textBody"][0]["partId"]]["value"] == "hello\r\nthere"
    # long non-ASCII names and subjects are folded into encoded words: no
    # line of the message passes 998 (RFC 5322 2.1.1), the text comes back
    long_subject = "Grüße " * 300
    long_name = "Ünïcödé " * 100
    r = api(s, [["Email/set", {"create": {"d2": {
                    "mailboxIds": {inbox: True},
                    "from": [{"name": long_name, "email": "user1@test.example"}],
                    "subject": long_subject,
                    "textBody": [{"partId": "t", "type": "text/plain"}],
                    "bodyValues": {"t": {"value": "x"}}}}}, "0"],
                ["Email/get", {"ids": ["#d2"], "properties": [
                    "subject", "from", "blobId"]}, "1"]])
    e = r[1][1]["list"][0]
    assert e["subject"].strip() == long_subject.strip()
    assert e["from"][0]["name"].strip() == long_name.strip()
    code, _, data = req(s, f"/jmap/download/{aid}/{e['blobId']}/m.eml",
                        method="GET", raw=True)
    assert code == 200
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_upload_limit_and_account(make_server):
    s = start(make_server)
    code, _, _ = req(s, "/jmap/upload/other@test.example/", b"x")
    assert code == 404
    code, _, _ = req(s, "/jmap/upload/user1@test.example/", method="GET")
    assert code == 405


# ---- submission ----

def test_submission_delivers_to_second_account(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "user2", '{Password="%s";}' % PASSWORD)
    inbox = inbox_id(s)
    r = api(s, [["Identity/get", {}, "i"],
                ["Email/set", {"create": {"d": {
                    "mailboxIds": {inbox: True}, "keywords": {"$draft": True},
                    "from": [{"email": "user1@test.example"}],
                    "to": [{"email": "user2@test.example"}],
                    "bcc": [{"email": "user1@test.example"}],
                    "subject": "via jmap",
                    "textBody": [{"partId": "1", "type": "text/plain"}],
                    "bodyValues": {"1": {"value": "sent by JMAP"}}}}}, "0"],
                ["EmailSubmission/set", {"create": {"s": {
                    "identityId": "I1", "emailId": "#d"}},
                    "onSuccessUpdateEmail": {"#s": {"keywords/$draft": None}}}, "1"]])
    ident = r[0][1]["list"][0]
    assert ident["email"] == "user1@test.example"
    assert r[2][0] == "EmailSubmission/set"
    assert r[2][1]["created"]["s"]["undoStatus"] == "final"
    assert r[3][0] == "Email/set" and r[3][2] == "1"
    # user2 gets it (IMAP), without the Bcc line
    deadline = time.time() + 20
    found = None
    while time.time() < deadline and found is None:
        m = login(s, user="user2")
        m.select("INBOX")
        nums = m.search(None, "ALL")[1][0].split()
        if nums:
            found = m.fetch(nums[0], "(BODY.PEEK[])")[1][0][1]
        m.logout()
        time.sleep(0.2)
    assert found is not None, "not delivered"
    assert b"Subject: via jmap" in found and b"sent by JMAP" in found
    assert b"Bcc:" not in found
    # user1 got the Bcc copy
    deadline = time.time() + 20
    while time.time() < deadline:
        r = api(s, [["Email/query", {"filter": {"subject": "via jmap"}}, "0"]])
        if len(r[0][1]["ids"]) == 2:
            break
        time.sleep(0.2)
    assert len(r[0][1]["ids"]) == 2
    # the draft lost $draft
    r = api(s, [["Email/query", {"filter": {"hasKeyword": "$draft"}}, "0"]])
    assert r[0][1]["ids"] == []
    r = api(s, [["EmailSubmission/set", {"create": {"x": {
        "identityId": "I1", "emailId": "E999-9"}}}, "0"]])
    assert r[0][1]["notCreated"]["x"]["type"] == "notFound"


# ---- push ----

def test_eventsource_push_on_imap_change(make_server):
    s = start(make_server)
    conn = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"], timeout=20)
    conn.request("GET", "/jmap/eventsource?types=*&closeafter=state&ping=0",
                 headers=auth())
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Content-Type").startswith("text/event-stream")
    time.sleep(0.3)
    imap_append(s, simple("pushed"))
    body = resp.read().decode()       # closes after the state event
    assert "event: state" in body
    data = json.loads(body.split("data: ", 1)[1].split("\n", 1)[0])
    assert data["@type"] == "StateChange"
    ch = data["changed"]["user1@test.example"]
    assert "Email" in ch and "Mailbox" in ch
    r = api(s, [["Email/get", {"ids": [], "properties": ["id"]}, "0"]])
    assert r[0][1]["state"] == ch["Email"]
    conn.close()


def test_other_paths_404(make_server):
    s = start(make_server)
    code, _, _ = req(s, "/nothing", method="GET", raw=True)
    assert code == 404
    code, _, _ = req(s, "/jmap/nothing", method="GET", raw=True)
    assert code == 404


# ---- limits, each one past ----

def test_limits_one_past(make_server):
    s = start(make_server)
    core = session(s)["capabilities"][CORE]
    # maxSizeRequest
    head = '{"using":[],"methodCalls":[]'
    pad = " " * (core["maxSizeRequest"] - len(head))
    body = (head + pad + '}').encode()
    assert len(body) == core["maxSizeRequest"] + 1
    code, _, j = req(s, "/jmap/api", body,
                     headers={"Content-Type": "application/json"})
    assert code == 400 and j["type"].endswith(":limit")
    assert j["limit"] == "maxSizeRequest"
    # maxObjectsInSet
    n = core["maxObjectsInSet"]
    r = api(s, [["Email/set", {"destroy": ["E1-%d" % (i + 1)
                                           for i in range(n + 1)]}, "0"],
                ["Email/set", {"destroy": ["E1-%d" % (i + 1)
                                           for i in range(n)]}, "1"]])
    assert r[0][1]["type"] == "requestTooLarge"
    assert r[1][0] == "Email/set" and len(r[1][1]["notDestroyed"]) == n
    # maxSizeUpload
    # (the HTTP layer answers from the Content-Length, before the body)
    aid = account_id(s)
    with socket.create_connection(("127.0.0.1", s.ports["webuser"]),
                                  timeout=20) as sock:
        sock.sendall((f"POST /jmap/upload/{aid}/ HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\n{list(auth().items())[0][0]}: "
                      f"{list(auth().items())[0][1]}\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      f"Content-Length: {core['maxSizeUpload'] + 1}\r\n"
                      "\r\n").encode())
        assert sock.makefile("rb").readline().split()[1] == b"413"
    code, _, j = req(s, f"/jmap/upload/{aid}/", b"x" * 1000,
                     headers={"Content-Type": "application/octet-stream"})
    assert code == 201 and j["size"] == 1000


def test_eventsource_streams_per_account(make_server):
    s = start(make_server)
    conns = []
    try:
        for _ in range(4):
            c = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"],
                                           timeout=20)
            c.request("GET", "/jmap/eventsource?types=*&closeafter=no&ping=0",
                      headers=auth())
            assert c.getresponse().status == 200
            conns.append(c)
        c = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"],
                                       timeout=20)
        c.request("GET", "/jmap/eventsource?types=*&closeafter=no&ping=0",
                  headers=auth())
        assert c.getresponse().status == 429
        c.close()
        assert s.wait_log(r"HTTPU.*too many EventSource streams")
    finally:
        for c in conns:
            c.close()
    # the streams end when their clients go: a new one opens again
    deadline = time.time() + 10
    while time.time() < deadline:
        c = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"],
                                       timeout=20)
        c.request("GET", "/jmap/eventsource?ping=1", headers=auth())
        st = c.getresponse().status
        c.close()
        if st == 200:
            break
        time.sleep(0.5)
    assert st == 200


def test_html_draft_snippets_and_inbox_rename(make_server):
    s = start(make_server)
    inbox = inbox_id(s)
    r = api(s, [["Email/set", {"create": {"h": {
        "mailboxIds": {inbox: True},
        "from": [{"name": "A, B", "email": "user1@test.example"}],
        "subject": "Quarterly <report>",
        "textBody": [{"partId": "t", "type": "text/plain"}],
        "htmlBody": [{"partId": "h", "type": "text/html"}],
        "bodyValues": {"t": {"value": "the budget is fine"},
                       "h": {"value": "<p>the <b>budget</b> is fine</p>"}}}}},
                 "0"],
                ["Email/get", {"ids": ["#h"], "fetchAllBodyValues": True,
                               "properties": ["from", "textBody", "htmlBody",
                                              "bodyValues", "preview",
                                              "bodyStructure"]}, "1"],
                ["SearchSnippet/get", {"emailIds": ["#h"], "filter": {
                    "text": "budget"}}, "2"]])
    e = r[1][1]["list"][0]
    assert e["from"] == [{"name": "A, B", "email": "user1@test.example"}]
    assert e["bodyStructure"]["type"] == "multipart/alternative"
    assert e["textBody"][0]["type"] == "text/plain"
    assert e["htmlBody"][0]["type"] == "text/html"
    assert e["bodyValues"][e["htmlBody"][0]["partId"]]["value"].startswith("<p>")
    assert e["preview"] == "the budget is fine"
    sn = r[2][1]["list"][0]
    assert "<mark>budget</mark>" in sn["preview"]
    # the subject has no match: null; HTML in it would be escaped
    assert sn["subject"] is None
    r = api(s, [["SearchSnippet/get", {"emailIds": [r[1][1]["list"][0]["id"]],
                                       "filter": {"subject": "report"}}, "0"]])
    assert r[0][1]["list"][0]["subject"] == "Quarterly &lt;<mark>report</mark>&gt;"
    r = api(s, [["Mailbox/set", {"update": {inbox: {"name": "Other"}}}, "0"]])
    assert r[0][1]["notUpdated"][inbox]["type"] == "forbidden"


def test_threads_from_references(make_server):
    s = start(make_server)
    m = login(s)
    m.create("Sent")
    m.append("INBOX", None, '"01-Jan-2024 10:00:00 +0000"',
             simple("topic", extra="Message-ID: <root@x.example>\r\n"))
    m.append("Sent", None, '"02-Jan-2024 10:00:00 +0000"',
             simple("Re: topic", extra="Message-ID: <r1@x.example>\r\n"
                    "In-Reply-To: <root@x.example>\r\n"
                    "References: <root@x.example>\r\n"))
    m.append("INBOX", None, '"03-Jan-2024 10:00:00 +0000"',
             simple("other", extra="Message-ID: <o@x.example>\r\n"))
    m.append("INBOX", None, '"04-Jan-2024 10:00:00 +0000"',
             simple("no ids"))
    m.logout()
    r = api(s, [["Email/query", {"sort": [{"property": "receivedAt",
                                           "isAscending": True}]}, "q"],
                ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query",
                                        "path": "/ids"},
                               "properties": ["threadId", "subject"]}, "g"],
                ["Email/query", {"collapseThreads": True}, "c"]])
    ids = r[0][1]["ids"]
    tids = [e["threadId"] for e in r[1][1]["list"]]
    assert tids[0] == tids[1] and len(set(tids)) == 3
    assert r[2][1]["collapseThreads"] is True and r[2][1]["total"] == 3
    state = r[0][1]["queryState"]
    r = api(s, [["Thread/get", {"ids": [tids[0], tids[2], tids[3], "Tx00"]},
                 "t"]])
    th = {t["id"]: t["emailIds"] for t in r[0][1]["list"]}
    assert th[tids[0]] == ids[:2]          # oldest first, across mailboxes
    assert th[tids[2]] == [ids[2]] and th[tids[3]] == [ids[3]]
    assert r[0][1]["notFound"] == ["Tx00"]
    # a new reply updates the thread; a new message creates one
    m = login(s)
    m.append("INBOX", None, None, simple(
        "Re: Re: topic", extra="Message-ID: <r2@x.example>\r\n"
        "References: <root@x.example> <r1@x.example>\r\n"))
    m.append("INBOX", None, None, simple(
        "fresh", extra="Message-ID: <f@x.example>\r\n"))
    m.logout()
    r = api(s, [["Thread/changes", {"sinceState": state}, "0"]])
    assert r[0][1]["updated"] == [tids[0]]
    assert len(r[0][1]["created"]) == 1 and r[0][1]["destroyed"] == []
    st2 = r[0][1]["newState"]
    # a destroyed Email: the client fetches its threads again
    api(s, [["Email/set", {"destroy": [ids[3]]}, "0"]])
    r = api(s, [["Thread/changes", {"sinceState": st2}, "0"]])
    assert r[0][1]["type"] == "cannotCalculateChanges"


def test_query_page_paths_agree(make_server):
    """The snapshot-order page (a lone inMailbox by receivedAt) and the
    general query give the same order, ties and anchors included."""
    s = start(make_server)
    m = login(s)
    for i in range(12):
        # pairs share an internal date: ties go to the higher UID first
        m.append("INBOX", None, '"0%d-Feb-2024 10:00:00 +0000"' % (1 + i // 2),
                 simple(f"m{i}"))
    m.logout()
    inbox = inbox_id(s)
    wrapped = {"operator": "AND", "conditions": [{"inMailbox": inbox}]}
    for asc in (True, False):
        srt = [{"property": "receivedAt", "isAscending": asc}]
        r = api(s, [["Email/query", {"filter": {"inMailbox": inbox},
                                     "sort": srt}, "a"],
                    ["Email/query", {"filter": wrapped, "sort": srt}, "b"]])
        assert r[0][1]["ids"] == r[1][1]["ids"] and len(r[0][1]["ids"]) == 12
        assert r[0][1]["total"] == r[1][1]["total"] == 12
        full = r[0][1]["ids"]
        for f in ({"inMailbox": inbox}, wrapped):
            r = api(s, [["Email/query", {"filter": f, "sort": srt,
                                         "anchor": full[5], "anchorOffset": -2,
                                         "limit": 3}, "a"],
                        ["Email/query", {"filter": f, "sort": srt,
                                         "position": -4, "limit": 2}, "b"]])
            assert r[0][1]["ids"] == full[3:6] and r[0][1]["position"] == 3
            assert r[1][1]["ids"] == full[8:10]
    r = api(s, [["Email/query", {"filter": {"inMailbox": inbox},
                                 "anchor": "E999-1"}, "a"]])
    assert r[0][1]["type"] == "anchorNotFound"
    # a change makes a new snapshot
    m = login(s)
    m.append("INBOX", None, '"01-Mar-2024 10:00:00 +0000"', simple("newest"))
    m.logout()
    r = api(s, [["Email/query", {"filter": {"inMailbox": inbox}, "limit": 1}, "a"],
                ["Email/get", {"#ids": {"resultOf": "a", "name": "Email/query",
                                        "path": "/ids"},
                               "properties": ["subject"]}, "b"]])
    assert r[0][1]["total"] == 13 and r[1][1]["list"][0]["subject"] == "newest"
