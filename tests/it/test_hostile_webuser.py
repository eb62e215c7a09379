# SPDX-License-Identifier: Apache-2.0
"""Hostile clients of the WebUser (HTTPU) webmail endpoints: /Prefs,
/Addresses, /Message/<id>/{html,part/<partId>,attachments.zip} and the
JMAP upload/download/api reached with a webmail session.  Every bad input
gets a protocol-correct error and a log line, never a silent wrong answer,
and the server goes on serving (a normal request after each attack)."""

import io
import json
import re
import socket
import time
import urllib.parse
import zipfile

import pytest

import httputil
from conftest import CliClient, deliver
from imaputil import PASSWORD
from test_webuser_login import login, request, session_of

WU_JSON_BODY_MAX = 64 * 1024
WU_SIGNATURE_MAX = 4096
WU_ADDRESSES_MAX = 20
ADDRESS_MAX = 1024
JMAP_UPLOAD_MAX = 50 * 1024 * 1024
USER1 = "user1@test.example"


@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    yield
    httputil.sanitizer_clean()


def start(make_server):
    s = make_server(services=["cli", "webuser", "smtp"])
    httputil.made.append(s)
    s.start()
    for u in ("user1", "user2"):
        s.tegami("CreateAccount", u, '{Password="%s";}' % PASSWORD)
    return s


def session(s, user="user1", source="127.0.0.1"):
    st, h, _ = login(s, user, source=source)
    assert st == 303, st
    sid = session_of(h)[0]
    st, _, page = request(s, "GET", "/Mailboxes", cookie=sid, source=source)
    assert st == 200
    m = re.search(r'data-csrf="([0-9a-f]{32})"', page)
    assert m, page
    return sid, m.group(1)


def post_prefs(s, sid, csrf, body, source="127.0.0.1"):
    h = {"Content-Type": "application/json"}
    if csrf is not None:
        h["X-CSRF-Token"] = csrf
    return request(s, "POST", "/Prefs", cookie=sid, body=body, headers=h,
                   source=source)


def own_prefs(s, sid):
    st, _, text = request(s, "GET", "/Prefs", cookie=sid)
    assert st == 200, text
    return json.loads(text)["account"]


def serves(s, sid=None):
    """A normal request is still answered: the login page, and /Prefs of
    the session."""
    st, _, page = request(s, "GET", "/")
    ok = st == 200 and "name=password" in page
    if sid is not None:
        ok = ok and request(s, "GET", "/Prefs", cookie=sid)[0] == 200
    return ok


def raw(s, data, timeout=20.0):
    k = socket.create_connection(("127.0.0.1", s.ports["webuser"]),
                                 timeout=timeout)
    out = b""
    try:
        try:
            k.sendall(data)
        except OSError:
            pass
        end = time.time() + timeout
        while time.time() < end:
            try:
                c = k.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not c:
                break
            out += c
    finally:
        k.close()
    return out


def statuses(out):
    return [int(m) for m in re.findall(rb"^HTTP/1\.[01] (\d{3}) ", out, re.M)]


# ---- /Prefs ----

def nest(depth):
    return '{"Signature":' + "[" * depth + "]" * depth + "}"


PREFS_BAD = [
    # (body, status, what the log line says)
    (b"x" * (WU_JSON_BODY_MAX + 1), 413, "request too large"),
    (("[" * (WU_JSON_BODY_MAX + 1)).encode(), 413, "request too large"),
    (nest(5000).encode(), 400, "a JSON object was expected"),    # jansson's depth
    (nest(100).encode(), 400, "Signature: a string, number or boolean"),
    (b"", 400, "a JSON object was expected"),
    (b"null", 400, "a JSON object was expected"),
    (b"[]", 400, "a JSON object was expected"),
    (b'"Signature"', 400, "a JSON object was expected"),
    (b'{"Signature": "a"', 400, "a JSON object was expected"),
    (b'{"Signature": "a", "Signature": "b"}', 400, "a JSON object was expected"),
    (b'{"Sig\\u0000nature": "a"}', 400, "a JSON object was expected"),
    (b'{"Signature": "a\\u0000b"}', 400, "a JSON object was expected"),
    (b'{"Signature": "\xff\xfe"}', 400, "a JSON object was expected"),
    (b'{"\xc3": 1}', 400, "a JSON object was expected"),
    (b'{"\\u0001\\r\\nSignature": "a"}', 400, "unknown preference"),
    (b'{"..": "a"}', 400, "unknown preference '..'"),
    (b'{"../../Settings/x": "a"}', 400, "unknown preference"),
    (b'{"Password": "owned"}', 400, "unknown preference 'Password'"),
    (json.dumps({"k%04d" % i: i for i in range(3000)}).encode(), 400,
     "unknown preference"),
    # a key cut at 64 bytes in the middle of a UTF-8 character: the
    # answer is still a JSON error
    (json.dumps({"x" * 63 + "\u00e9\u00e9": 1}).encode(), 400, "unknown preference"),
    (b'{"MessagesPerPage": 0}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": 201}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": -1}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": 4294967316}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": 9223372036854775807}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": -9223372036854775808}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": 18446744073709551636}', 400, "a JSON object was expected"),
    (b'{"MessagesPerPage": 1e400}', 400, "a JSON object was expected"),
    (b'{"MessagesPerPage": 20.5}', 400, "MessagesPerPage: a string, number"),
    (b'{"MessagesPerPage": "20\\n"}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": " 20"}', 400, "MessagesPerPage is a number"),
    (b'{"MessagesPerPage": "0x14"}', 400, "MessagesPerPage is a number"),
    (b'{"SessionTimeout": 59}', 400, "SessionTimeout is a number"),
    (b'{"SessionTimeout": 604801}', 400, "SessionTimeout is a number"),
    (b'{"SessionTimeout": 18446744073709551615}', 400, "a JSON object was expected"),
    (b'{"TimeZone": "../../../etc/passwd"}', 400, "TimeZone: not a time zone"),
    (b'{"TimeZone": "/etc/localtime"}', 400, "TimeZone: not a time zone"),
    (b'{"TimeZone": "Europe/Paris\\n"}', 400, "TimeZone: not a time zone"),
    (json.dumps({"TimeZone": "A" * 65}).encode(), 400, "TimeZone: not a time zone"),
    (json.dumps({"Signature": "s" * (WU_SIGNATURE_MAX + 1)}).encode(), 400,
     "Signature: longer than"),
    (json.dumps({"Signature": "s" * 60000}).encode(), 400, "Signature: more than"),
    (json.dumps({"Signature": {"a": 1}}).encode(), 400, "Signature: a string"),
    # one good key and one bad one: nothing is stored
    (b'{"MessagesPerPage": 50, "TimeZone": "../x"}', 400, "TimeZone: not a time zone"),
]


def test_prefs_hostile_bodies(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    st, _, _ = post_prefs(s, sid, csrf, b'{"MessagesPerPage": 30}')
    assert st == 200
    before = own_prefs(s, sid)
    for body, status, why in PREFS_BAD:
        st, h, text = post_prefs(s, sid, csrf, body)
        assert st == status, (body[:80], st, text[:200])
        assert h["content-type"] == "application/json", body[:80]
        err = json.loads(text)          # always a JSON error, never "null"
        assert isinstance(err, dict) and err.get("error"), (body[:80], text[:200])
        assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.1\]:\d+\) POST /Prefs of "
                          r"'user1@test\.example' refused \(%d\): %s"
                          % (status, re.escape(why))), (body[:80], why)
        assert own_prefs(s, sid) == before, body[:80]
    # at the limits: taken
    sig = "\u00e9" * (WU_SIGNATURE_MAX // 2)         # 4096 bytes of UTF-8
    for body, want in (
            ({"Signature": sig}, sig),
            ({"Signature": "a\x01b\r\n\"\\\t}{;=\u2028"}, "a\x01b\r\n\"\\\t}{;=\u2028"),
            ({"MessagesPerPage": 200}, "200"),
            ({"MessagesPerPage": "1"}, "1"),
            ({"SessionTimeout": 604800}, "604800"),
            ({"TimeZone": "Etc/GMT+5"}, "Etc/GMT+5")):
        st, _, text = post_prefs(s, sid, csrf, json.dumps(body).encode())
        assert st == 200, (body, text[:200])
        k = list(body)[0]
        assert json.loads(text)["account"][k] == want
        assert own_prefs(s, sid)[k] == want           # stored as sent
    # the body at WU_JSON_BODY_MAX bytes exactly is read (and refused for
    # what it says, not for its size)
    pad = WU_JSON_BODY_MAX - len('{"Signature":""}')
    body = ('{"Signature":"' + "s" * pad + '"}').encode()
    assert len(body) == WU_JSON_BODY_MAX
    st, _, text = post_prefs(s, sid, csrf, body)
    assert st == 400 and "Signature" in json.loads(text)["error"]
    assert serves(s, sid)
    # the server reads its settings back after a restart (what was stored
    # with control characters is a valid settings file)
    s.restart()
    sid, _ = session(s)
    assert own_prefs(s, sid)["TimeZone"] == "Etc/GMT+5"


def test_prefs_bodies_past_the_http_limits(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    head = ("POST /Prefs HTTP/1.1\r\nHost: test.example\r\n"
            "Cookie: TegamiUser=%s\r\nX-CSRF-Token: %s\r\n"
            "Content-Type: application/json\r\n" % (sid, csrf)).encode()
    body_max = JMAP_UPLOAD_MAX
    cases = [
        (b"Content-Length: %d\r\n" % (body_max + 1), 413),
        (b"Content-Length: 4294967296\r\n", 413),              # 2^32
        (b"Content-Length: 4294967297\r\n", 413),
        (b"Content-Length: 18446744073709551616\r\n", 400),    # 2^64
        (b"Content-Length: 18446744073709551617\r\n", 400),
        (b"Content-Length: 99999999999999999999999999\r\n", 400),
        (b"Content-Length: -1\r\n", 400),
        (b"Transfer-Encoding: chunked\r\n\r\n100000000\r\n", 413),
        (b"Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400),
        (b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % (body_max + 1), 413),
    ]
    for hdrs, status in cases:
        req = head + hdrs + (b"" if b"chunked" in hdrs else b"\r\n")
        out = raw(s, req)
        assert statuses(out) == [status], (hdrs, out[:200])
        assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.1\]:\d+\) bad request "
                          r"\(%d " % status)
        assert serves(s, sid)
    # a body past WU_JSON_BODY_MAX but within the service's body limit,
    # sent chunked: 413 from /Prefs
    body = b'{"Signature":"' + b"s" * (WU_JSON_BODY_MAX * 2) + b'"}'
    out = raw(s, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    assert statuses(out) == [413], out[:200]
    assert serves(s, sid)


def test_prefs_csrf_and_sessions(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    sid2, csrf2 = session(s, "user2")
    before = own_prefs(s, sid)
    good = b'{"Signature": "owned"}'
    for hdrs in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 32},
                 {"X-CSRF-Token": csrf2},                 # another session's
                 {"X-CSRF-Token": csrf.upper()},
                 {"X-CSRF-Token": csrf + "0"},
                 {"X-CSRF-Token": csrf[:-1]},
                 {"X-CSRF-Token": csrf, "Origin": "http://evil.example"},
                 {"X-CSRF-Token": csrf, "Origin": "null"}):
        h = dict({"Content-Type": "application/json"}, **hdrs)
        st, _, text = request(s, "POST", "/Prefs", cookie=sid, body=good,
                              headers=h)
        assert st == 403, (hdrs, text)
    assert s.wait_log(r"POST /Prefs of 'user1@test\.example' refused: "
                      r"missing or wrong CSRF token")
    # a form post (what a page of another site can send) is refused too
    st, _, _ = request(s, "POST", "/Prefs", cookie=sid,
                       body={"Signature": "owned"})
    assert st == 403
    assert own_prefs(s, sid) == before
    # other methods
    for m in ("PUT", "DELETE", "PATCH"):
        st, h, _ = request(s, m, "/Prefs", cookie=sid, body=good,
                           headers={"X-CSRF-Token": csrf})
        assert st == 405 and "POST" in h["allow"], m
    # no session, a made-up one, a malformed cookie, an over-long one,
    # a logged-out one: 401, never the preferences
    st, h, _ = request(s, "POST", "/logout", cookie=sid2, body={"csrf": csrf2})
    assert st == 303
    for c in (None, "0" * 32, "z" * 32, sid + "0", sid[:-1], "", sid2,
              "x" * 5000, sid + ";TegamiUser=" + sid):
        for m, p in (("GET", "/Prefs"), ("POST", "/Prefs"),
                     ("GET", "/Addresses?q=u"), ("GET", "/Quota")):
            accepted = c is not None and c.startswith(sid + ";")
            body = (b"{}" if accepted else good) if m == "POST" else None
            st, _, text = request(s, m, p, cookie=c, body=body,
                                  headers={"X-CSRF-Token": csrf,
                                           "Content-Type": "application/json"})
            if accepted:
                # the first TegamiUser cookie is the session's: accepted
                assert st in (200, 403), (c[:40], p, st)
                continue
            assert st == 401, (c[:40] if c else c, p, st)
            assert "user1" not in text and "owned" not in text
    assert own_prefs(s, sid) == before
    assert serves(s, sid)


def test_expired_session_and_fixed_address(make_server):
    s = start(make_server)
    s.tegami("UpdateAccountPrefs", USER1, "{RequireFixedNetworkAddress=YES;}")
    deliver(s, USER1, b"From: a@b.example\r\nSubject: s\r\n\r\nsecret-1\r\n")
    sid, csrf = session(s)
    eid = wait_email_id(s, sid, csrf)
    paths = [("GET", "/Prefs"), ("POST", "/Prefs"), ("GET", "/Addresses?q=u"),
             ("GET", "/Quota"), ("GET", f"/Message/{eid}/html"),
             ("GET", f"/Message/{eid}/part/1"),
             ("GET", f"/Message/{eid}/attachments.zip"),
             ("GET", "/.well-known/jmap"), ("POST", "/jmap/api"),
             ("POST", "/jmap/upload/x/")]
    for m, p in paths:
        st, _, text = request(s, m, p, cookie=sid, source="127.0.0.2",
                              body=b'{"Signature":"x"}' if m == "POST" else None,
                              headers={"X-CSRF-Token": csrf,
                                       "Content-Type": "application/json"})
        assert st == 403, (p, st, text[:200])
        assert "secret-1" not in text
    assert s.wait_log(r"session of 'user1@test\.example' refused from "
                      r"\[?127\.0\.0\.2")
    # the user itself is not locked out by it
    assert request(s, "GET", f"/Message/{eid}/html", cookie=sid)[0] == 200
    # an expired session: 401 everywhere
    s.tegami("UpdateModule", "HTTPU", "{SessionTimeout=1;}")
    time.sleep(2.5)
    for m, p in paths:
        st, _, text = request(s, m, p, cookie=sid,
                              body=b"{}" if m == "POST" else None,
                              headers={"X-CSRF-Token": csrf,
                                       "Content-Type": "application/json"})
        assert st == 401, (p, st)
        assert "secret-1" not in text
    assert serves(s)


# ---- /Addresses ----

def addresses(s, sid, q=None, raw_query=None):
    path = "/Addresses"
    if raw_query is not None:
        path += "?" + raw_query
    elif q is not None:
        path += "?q=" + urllib.parse.quote(q, safe="")
    st, h, text = request(s, "GET", path, cookie=sid)
    try:
        return st, h, json.loads(text)
    except ValueError:
        return st, h, text


def test_addresses_hostile_queries_and_thousands_of_results(make_server):
    s = start(make_server)
    n = 1200
    with CliClient(s.ports["cli"]) as c:
        assert c.login("postmaster", s.postmaster_password()).startswith("200")
        for i in range(n):
            st = c.cmd(f"CREATEACCOUNT many{i:04d}")
            assert st.startswith("200"), st
        for i in range(WU_ADDRESSES_MAX):
            assert c.cmd(f"CREATEACCOUNT exact{i:02d}").startswith("200")
    sid, _ = session(s)
    s.tegami("UpdateModule", "HTTPU", "{LogLevel=4;}")  # the line is Low Level
    # thousands match: the bound is a clear truncation (a header), never a
    # quiet "that's all"
    for q in ("many", "", "a", "test.example"):
        st, h, a = addresses(s, sid, q)
        assert st == 200 and len(a) == WU_ADDRESSES_MAX, (q, a)
        assert h.get("x-truncated") == "true", (q, h)
    assert s.wait_log(r"/Addresses: more than %d match; the first %d "
                      r"answered" % (WU_ADDRESSES_MAX, WU_ADDRESSES_MAX))
    # exactly WU_ADDRESSES_MAX match: all of them, not marked truncated
    st, h, a = addresses(s, sid, "exact")
    assert st == 200 and len(a) == WU_ADDRESSES_MAX and "x-truncated" not in h
    assert sorted(x["email"] for x in a) == \
        ["exact%02d@test.example" % i for i in range(WU_ADDRESSES_MAX)]
    # one fits exactly
    st, h, a = addresses(s, sid, "many0007@")
    assert st == 200 and [x["email"] for x in a] == ["many0007@test.example"]
    # no wildcards: '*', '%', '?', '_', regex and LIKE syntax are text
    for q in ("*", "many*", "%", "many%", "?", ".*", "[a-z]", "many____"):
        st, h, a = addresses(s, sid, q)
        assert st == 200 and a == [] and "x-truncated" not in h, (q, a)
    # a query at ADDRESS_MAX is taken (no match); past it, with a NUL, a bad
    # escape, or invalid UTF-8 it is refused: never answered as the empty
    # query (which would list the domain)
    st, h, a = addresses(s, sid, "m" * ADDRESS_MAX)
    assert st == 200 and a == [], a
    st, _, _ = addresses(s, sid, raw_query="q=" + "m" * 100000)
    assert st == 414                    # past the request line
    bad = ["q=" + "m" * (ADDRESS_MAX + 1), "q=" + "m" * 7000, "q=many%00",
           "q=%00", "q=%zz", "q=many%", "q=%ff%fe", "q=%c3"]
    for query in bad:
        st, h, a = addresses(s, sid, raw_query=query)
        assert st == 400, (query[:40], st)
        assert isinstance(a, dict) and a.get("error"), a
        assert "many0000" not in json.dumps(a)
    assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.1\]:\d+\) GET /Addresses of "
                      r"'user1@test\.example' refused \(400\): ")
    # other methods
    st, h, _ = request(s, "POST", "/Addresses?q=a", cookie=sid, body=b"{}")
    assert st == 405 and h["allow"] == "GET"
    assert serves(s, sid)


# ---- the message pages ----

def jmap(s, sid, csrf, calls, source="127.0.0.1"):
    body = json.dumps({"using": ["urn:ietf:params:jmap:core",
                                 "urn:ietf:params:jmap:mail"],
                       "methodCalls": calls}).encode()
    st, _, text = request(s, "POST", "/jmap/api", cookie=sid, body=body,
                          headers={"X-CSRF-Token": csrf,
                                   "Content-Type": "application/json"},
                          source=source)
    assert st == 200, text
    return json.loads(text)["methodResponses"]


def wait_email_id(s, sid, csrf, subject=None, props=("subject",)):
    end = time.time() + 30
    while True:
        r = jmap(s, sid, csrf, [
            ["Email/query", {}, "q"],
            ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query",
                                    "path": "/ids"},
                           "properties": list(props)}, "g"]])
        lst = [e for e in r[1][1]["list"]
               if subject is None or e["subject"] == subject]
        if lst or time.time() > end:
            break
        time.sleep(0.2)
    assert lst
    return lst[0]["id"] if props == ("subject",) else lst[0]


def multipart(subject, parts):
    """parts: (Content-Type and Disposition header lines, body)."""
    out = [f"From: m@elsewhere.example\r\nTo: {USER1}\r\nSubject: {subject}\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n"
           "\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"]
    for hdrs, body in parts:
        out.append(f"--b\r\n{hdrs}\r\n\r\n{body}\r\n")
    out.append("--b--\r\n")
    return "".join(out).encode()


def att(name_param, body):
    return (f"Content-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; {name_param}", body)


def get_zip(s, sid, eid):
    st, h, _ = request(s, "GET", f"/Message/{eid}/attachments.zip", cookie=sid)
    assert st == 200, st
    c = __import__("http.client").client.HTTPConnection(
        "127.0.0.1", s.ports["webuser"], timeout=120)
    c.request("GET", f"/Message/{eid}/attachments.zip",
              headers={"Host": "test.example", "Cookie": "TegamiUser=" + sid})
    r = c.getresponse()
    data = r.read()
    c.close()
    assert r.status == 200
    return zipfile.ZipFile(io.BytesIO(data))


def safe_zip_name(n):
    return ("/" not in n and "\\" not in n and not n.startswith(".") and
            ":" not in n and not any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in n)
            and n not in ("", ".", ".."))


def test_zip_slip_and_hostile_names(make_server):
    s = start(make_server)
    long_ascii = "L" * 600 + ".txt"
    long_utf8 = "\u00e9" * 300 + ".txt"             # cut inside a character
    names = [
        'filename="../../../../etc/passwd"',
        'filename="/etc/shadow"',
        'filename="..\\\\..\\\\windows\\\\win.ini"',
        'filename="C:evil.txt"',
        'filename=".bashrc"',
        'filename=".."',
        'filename="."',
        "filename*=UTF-8''a%01b%7f%1bc.txt",
        "filename*=UTF-8''nul%00trail.txt",
        "filename*=UTF-8''..%2F..%2Fup.txt",
        "filename*=UTF-8''%ff%fe.txt",
        f'filename="{long_ascii}"',
        "filename*=UTF-8''" + urllib.parse.quote(long_utf8),
        'filename="dup.txt"', 'filename="dup.txt"', 'filename="dup.txt"',
        'filename="2-dup.txt"',
        'filename=""',
    ]
    parts = [att(n, f"content-{i}") for i, n in enumerate(names)]
    deliver(s, USER1, multipart("names", parts))
    sid, csrf = session(s)
    e = wait_email_id(s, sid, csrf, "names", ("subject", "attachments"))
    z = get_zip(s, sid, e["id"])
    assert z.testzip() is None
    got = z.namelist()
    assert len(got) == len(e["attachments"]) == len(names), got
    assert len(set(got)) == len(got), got                     # unique
    for n in got:
        assert safe_zip_name(n), n
        assert len(n.encode()) <= 300, n
    # every part is there with its content
    assert sorted(z.read(n).decode() for n in got) == \
        sorted(f"content-{i}" for i in range(len(names)))
    # the single parts: the file name in Content-Disposition is harmless
    for a in e["attachments"]:
        st, h, body = request(s, "GET", f"/Message/{e['id']}/part/{a['partId']}",
                              cookie=sid)
        assert st == 200 and body.startswith("content-"), (a, st)
        cd = h["content-disposition"]
        assert cd.startswith("attachment; filename=\""), cd
        plain = cd.split('"')[1]
        assert all(0x20 <= ord(ch) < 0x7f for ch in plain), cd
        assert "\r" not in cd and "\n" not in cd and "\x00" not in cd
    assert serves(s, sid)


def test_zip_of_many_parts_with_one_name(make_server):
    s = start(make_server)
    n = 1500                 # more than the old 1000 tries of a unique name
    parts = [att('filename="a.txt"', f"c{i}") for i in range(n)]
    deliver(s, USER1, multipart("many", parts))
    sid, csrf = session(s)
    e = wait_email_id(s, sid, csrf, "many", ("subject", "attachments"))
    assert len(e["attachments"]) == n
    z = get_zip(s, sid, e["id"])
    got = z.namelist()
    assert len(got) == n
    assert len(set(got)) == n, [x for x in got if got.count(x) > 1][:5]
    assert "a.txt" in got
    assert sorted(z.read(x).decode() for x in got) == sorted(f"c{i}" for i in range(n))
    assert serves(s, sid)


def test_zip_of_huge_parts_is_bounded(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "SMTP", "{MaxMessageSize=200M;}", check=False)
    # two 6 MB attachments that deflate poorly (random bytes, base64):
    # served; the zip is well-formed
    import base64
    import os as _os
    blob = base64.encodebytes(_os.urandom(6 * 1024 * 1024)).decode().replace("\n", "\r\n")
    parts = [("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: "
              f"base64\r\nContent-Disposition: attachment; filename=\"r{i}.bin\"",
              blob) for i in range(2)]
    deliver(s, USER1, multipart("huge", parts))
    sid, csrf = session(s)
    e = wait_email_id(s, sid, csrf, "huge", ("subject", "attachments"))
    z = get_zip(s, sid, e["id"])
    assert sorted(z.namelist()) == ["r0.bin", "r1.bin"]
    assert z.testzip() is None
    assert serves(s, sid)


PART_IDS = ["0", "-1", "-0", "+2", "00002", "2.0", "18446744073709551616",
            "18446744073709551617", "4294967298", "9223372036854775808",
            "99999999999999999999999999999999", "1" * 5000, "%00", "2%00",
            "..%2f..%2f", "%2e%2e", "2/x", "2/", "%202", "2%20", "%ff", "0x2"]


def test_part_ids_and_email_ids_out_of_range(make_server):
    s = start(make_server)
    deliver(s, USER1, multipart("p", [att('filename="a.txt"', "secret-a")]))
    sid, csrf = session(s)
    e = wait_email_id(s, sid, csrf, "p", ("subject", "attachments"))
    eid = e["id"]
    good = e["attachments"][0]["partId"]
    assert request(s, "GET", f"/Message/{eid}/part/{good}", cookie=sid)[0] == 200
    for pid in PART_IDS:
        st, _, body = request(s, "GET", f"/Message/{eid}/part/{pid}", cookie=sid)
        assert st in (400, 404, 414), (pid[:40], st)
        assert "secret-a" not in body, pid[:40]
    assert s.wait_log(r"GET /Message/%s/part/18446744073709551616 refused "
                      r"\(404\): no such part" % re.escape(eid))
    bad_ids = ["E0-1", "E18446744073709551616-1", "E1-18446744073709551616",
               "E-1--1", "E4294967297-1", "%00", "E1-1%00", "..", "%2e%2e",
               "E" * 63, "E" * 64, "E" * 5000]
    for bid in bad_ids:
        for rest in ("html", "part/" + good, "attachments.zip"):
            st, _, body = request(s, "GET", f"/Message/{bid}/{rest}", cookie=sid)
            assert st in (400, 404, 414), (bid[:40], rest, st)
            assert "secret-a" not in body
    assert s.wait_log(r"GET /Message/E18446744073709551616-1/html of "
                      r"'user1@test\.example' refused \(404\): No such message")
    assert s.wait_log(r"GET /Message/E{64}/html of 'user1@test\.example' "
                      r"refused \(404\): Not found")
    st, _, _ = request(s, "DELETE", f"/Message/{eid}/html", cookie=sid)
    assert st == 405
    assert s.wait_log(r"DELETE /Message/%s/html of 'user1@test\.example' "
                      r"refused \(405\)" % re.escape(eid))
    assert serves(s, sid)


def test_login_with_oversized_fields(make_server):
    s = start(make_server)
    for body in ({"username": "u" * (ADDRESS_MAX + 1), "password": "x"},
                 {"username": "user1", "password": "p" * 5000},
                 {"username": "", "password": "x"},
                 b"username=user1%00&password=x", b"username=%zz&password=x"):
        st, _, page = request(s, "POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert st == 400 and "name=password" in page, (str(body)[:40], st)
    assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.1\]:\d+\) login refused "
                      r"\(400\): no account name or password")
    assert serves(s)


def test_another_accounts_message_is_not_readable(make_server):
    s = start(make_server)
    deliver(s, USER1, multipart("mine", [att('filename="m.txt"', "secret-of-user1")]))
    sid1, csrf1 = session(s)
    e = wait_email_id(s, sid1, csrf1, "mine", ("subject", "attachments"))
    sid2, csrf2 = session(s, "user2")
    # user2 has no message: user1's ids name nothing there
    for rest in ("html", "part/" + e["attachments"][0]["partId"],
                 "attachments.zip"):
        st, _, body = request(s, "GET", f"/Message/{e['id']}/{rest}", cookie=sid2)
        assert st == 404, (rest, st)
        assert "secret-of-user1" not in body
    # once user2 has a message of its own, the same id shows user2's
    deliver(s, "user2@test.example",
            multipart("theirs", [att('filename="t.txt"', "user2-own")]))
    e2 = wait_email_id(s, sid2, csrf2, "theirs", ("subject", "attachments"))
    st, _, body = request(s, "GET", f"/Message/{e2['id']}/attachments.zip",
                          cookie=sid2)
    assert st == 200
    z = get_zip(s, sid2, e2["id"])
    assert [z.read(n) for n in z.namelist()] == [b"user2-own"]
    assert serves(s, sid1)


# ---- JMAP upload/download/api through a webmail session ----

def test_jmap_upload_download_with_a_session(make_server):
    s = start(make_server)
    sid, csrf = session(s)
    sid2, csrf2 = session(s, "user2")
    st, _, text = request(s, "GET", "/.well-known/jmap", cookie=sid)
    sess = json.loads(text)
    acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
    acct2 = json.loads(request(s, "GET", "/.well-known/jmap", cookie=sid2)[2]
                       )["primaryAccounts"]["urn:ietf:params:jmap:mail"]
    up = sess["uploadUrl"].replace("{accountId}", acct)
    up = up[up.index("/jmap/"):] if "/jmap/" in up else up
    ct = {"Content-Type": "application/octet-stream"}
    # no CSRF token: refused; a wrong one, another session's: refused
    for hdrs in ({}, {"X-CSRF-Token": "0" * 32}, {"X-CSRF-Token": csrf2}):
        st, _, _ = request(s, "POST", up, cookie=sid, body=b"secret-blob",
                           headers=dict(ct, **hdrs))
        assert st == 403, hdrs
    st, _, text = request(s, "POST", up, cookie=sid, body=b"secret-blob",
                          headers=dict(ct, **{"X-CSRF-Token": csrf}))
    assert st == 201, text
    blob = json.loads(text)["blobId"]
    # upload into another account with one's own session and token
    up2 = up.replace(acct, acct2) if acct != acct2 else up.replace(acct, "x" + acct)
    st, _, _ = request(s, "POST", up2, cookie=sid, body=b"x",
                       headers=dict(ct, **{"X-CSRF-Token": csrf}))
    if acct != acct2:
        assert st in (403, 404), st
    # download: own session yes; the other session, no session: never
    dl = sess["downloadUrl"]
    dl = dl[dl.index("/jmap/"):] if "/jmap/" in dl else dl
    path = (dl.replace("{accountId}", acct).replace("{blobId}", blob)
            .replace("{name}", "f.bin").replace("{type}", "application/octet-stream"))
    st, _, body = request(s, "GET", path, cookie=sid)
    assert st == 200 and body == "secret-blob"
    st, _, body = request(s, "GET", path, cookie=sid2)
    assert st in (403, 404) and "secret-blob" not in body, st
    path2 = path.replace(acct, acct2, 1)
    st, _, body = request(s, "GET", path2, cookie=sid2)
    assert st in (403, 404) and "secret-blob" not in body, st
    st, _, body = request(s, "GET", path, cookie="0" * 32)
    assert st == 401 and "secret-blob" not in body
    st, _, body = request(s, "GET", path)
    assert st == 401 and "secret-blob" not in body
    # sizes past the upload limit and past 2^32 / 2^64
    head = ("POST %s HTTP/1.1\r\nHost: test.example\r\nCookie: TegamiUser=%s\r\n"
            "X-CSRF-Token: %s\r\nContent-Type: application/octet-stream\r\n"
            % (up, sid, csrf)).encode()
    for hdrs, status in ((b"Content-Length: %d\r\n\r\n" % (JMAP_UPLOAD_MAX + 1), 413),
                         (b"Content-Length: 4294967296\r\n\r\n", 413),
                         (b"Content-Length: 18446744073709551616\r\n\r\n", 400),
                         (b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", 400)):
        out = raw(s, head + hdrs)
        assert statuses(out) == [status], (hdrs, out[:200])
    # a JMAP API call naming the other account with one's own session
    body = json.dumps({"using": ["urn:ietf:params:jmap:core",
                                 "urn:ietf:params:jmap:mail"],
                       "methodCalls": [["Email/query", {"accountId": acct2}, "0"]]
                       }).encode()
    st, _, text = request(s, "POST", "/jmap/api", cookie=sid, body=body,
                          headers={"X-CSRF-Token": csrf,
                                   "Content-Type": "application/json"})
    if acct != acct2:
        assert st == 200
        r = json.loads(text)["methodResponses"][0]
        assert r[0] == "error" and r[1]["type"] in ("accountNotFound",
                                                    "forbidden"), r
    assert serves(s, sid)


# ---- connections held open by a session ----

def test_idle_connections_with_a_session_are_bounded(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "HTTPU", "{MaxChannelsPerIP = 6;}", check=False)
    sid, csrf = session(s)
    held = []
    refused = 0
    try:
        for i in range(20):
            k = socket.create_connection(("127.0.0.1", s.ports["webuser"]),
                                         timeout=5, source_address=("127.0.0.5", 0))
            # a request head that never ends
            try:
                k.sendall(b"GET /Prefs HTTP/1.1\r\nHost: test.example\r\n"
                          b"Cookie: TegamiUser=" + sid.encode() + b"\r\n")
            except OSError:
                pass
            k.settimeout(0.3)
            try:
                got = k.recv(4096)
            except socket.timeout:
                got = None
            if got:
                assert statuses(got) == [503], got[:200]
                refused += 1
                k.close()
            else:
                held.append(k)
        assert len(held) <= 6 and refused >= 14, (len(held), refused)
        assert serves(s, sid)
    finally:
        for k in held:
            k.close()
    assert s.wait_log(r"connection refused: per-address limit 6 reached for "
                      r"127\.0\.0\.5")


def test_slow_prefs_body_times_out(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "HTTPU", "{HeaderTimeout=2;}")
    sid, csrf = session(s)
    head = ("POST /Prefs HTTP/1.1\r\nHost: test.example\r\n"
            "Cookie: TegamiUser=%s\r\nX-CSRF-Token: %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
            % (sid, csrf)).encode()
    k = socket.create_connection(("127.0.0.1", s.ports["webuser"]), timeout=30)
    out = b""
    try:
        k.sendall(head + b'{"Signature":"')
        end = time.time() + 30                  # bounded: 30 s at most
        for i in range(300):                    # a byte every 0.1 s
            if time.time() > end:
                break
            try:
                k.sendall(b"s")
            except OSError:
                break
            k.settimeout(0.1)
            try:
                c = k.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not c:
                break
            out += c
            if b"\r\n\r\n" in out:
                break
    finally:
        k.close()
    # far below HTTP_BODY_RATE_MIN: a 408, logged, long before the body
    assert statuses(out) == [408], out[:200]
    assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.1\]:\d+\) bad request \(408 ")
    assert own_prefs(s, sid).get("Signature") is None
    assert serves(s, sid)
