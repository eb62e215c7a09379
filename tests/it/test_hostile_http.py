# SPDX-License-Identifier: Apache-2.0
"""Hostile clients against the HTTP layer of both web services (WebAdmin
"webadmin", log HTTPA; WebUser "webuser", log HTTPU), with raw sockets:
chunk sizes at and past 2^32, 2^60 and 2^64 (many digits, leading zeros,
signs), Content-Length at and past 2^63 and with Transfer-Encoding, the
head's bounds (lib/bounds.h) at and one past, requests pipelined behind a
refused one, a header sent a byte at a time (HeaderTimeout), a flood of
idle connections from one address (MaxChannelsPerIP, then MaxChannels),
"..", "%2e%2e" and "%00" in the static roots /admin/ and /user/, and
WebUser's failed-login flow control.  Every refusal must come with its
status and a log line, and the server must go on serving others.  The limits
already covered one past on WebAdmin in test_http.py are not repeated.
Loops are bounded; no timing is asserted."""
import http.client
import os
import re
import socket
import time
import urllib.parse

import pytest

import httputil
from imaputil import PASSWORD
from sockutil import hold_idle, recv_until_close

HTTP_REQUEST_LINE_MAX = 8192
HTTP_HEADER_LINE_MAX = 8192
HTTP_HEADERS_MAX = 100
CSS = "body { color: #654321; }\n"


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    yield
    httputil.sanitizer_clean()


def start(make_server, tmp_path, httpa="", httpu="", services=None):
    """Both web services, a web root with /admin/ and /user/ files and a
    secret beside the root; Settings/HTTPA and HTTPU with HeaderTimeout 2."""
    web = tmp_path / "web"
    (web / "admin").mkdir(parents=True)
    (web / "user").mkdir()
    (web / "admin" / "test.css").write_text(CSS)
    (web / "user" / "style.css").write_text(CSS)
    (tmp_path / "secret.txt").write_text("secret\n")
    s = make_server(services=services or ["cli", "webadmin", "webuser"],
                    extra_args=["--web-root", str(web)])
    os.makedirs(s.path("Settings"), exist_ok=True)
    for mod, extra in (("HTTPA", httpa), ("HTTPU", httpu)):
        with open(s.path("Settings", f"{mod}.settings"), "w") as f:
            f.write("{ HeaderTimeout = 2; KeepAliveTimeout = 30; %s }" % extra)
    s.start()
    httputil.made.append(s)
    return s


SERVICES = {"webadmin": ("HTTPA", "/admin/test.css", "/api/command"),
            "webuser": ("HTTPU", "/user/style.css", "/login")}


def sock(s, svc, source="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", s.ports[svc]), timeout=timeout,
                                    source_address=(source, 0))


def exchange(s, svc, data, timeout=10.0, source="127.0.0.1"):
    """Sends data on a new connection and reads until the server closes
    it (or the time-out); what came back."""
    k = sock(s, svc, source, timeout)
    try:
        k.sendall(data)
        return recv_until_close(k, timeout)
    finally:
        k.close()


def statuses(out):
    return [int(m) for m in re.findall(rb"^HTTP/1\.[01] (\d{3}) ", out, re.M)]


def serves(s, svc, source="127.0.0.1"):
    """A normal static GET on svc is answered 200 with the file."""
    c = http.client.HTTPConnection("127.0.0.1", s.ports[svc], timeout=20,
                                   source_address=(source, 0))
    try:
        c.request("GET", SERVICES[svc][1])
        r = c.getresponse()
        return r.status == 200 and r.read().decode() == CSS
    finally:
        c.close()


def logged(s, svc, status, why, timeout=10.0):
    tag = SERVICES[svc][0]
    return s.wait_log(r"%s-\d+\(\[127\.0\.0\.\d+\]:\d+\) bad request \(%d [^)]*\): %s"
                      % (tag, status, re.escape(why)), timeout=timeout)


def post_chunked(svc, size_line, data=b""):
    path = SERVICES[svc][2]
    return (b"POST %s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Connection: close\r\n\r\n" % path.encode()
            + size_line + b"\r\n" + data)


# ---- chunk sizes ----

CHUNKS = [
    # (size line, data after it, status or None for "accepted", log text)
    (b"100000000", b"", 413, "request body too large"),           # 2^32
    (b"ffffffff", b"", 413, "request body too large"),            # 2^32 - 1
    (b"0000000100000000", b"", 413, "request body too large"),    # 2^32, zeros
    (b"fffffffffffffff", b"", 413, "request body too large"),     # 2^60 - 1
    (b"1000000000000000", b"", 400, "bad chunk size"),            # 2^60
    (b"8000000000000000", b"", 400, "bad chunk size"),            # 2^63
    (b"ffffffffffffffff", b"", 400, "bad chunk size"),            # 2^64 - 1
    (b"10000000000000000", b"", 400, "bad chunk size"),           # 2^64
    (b"1" + b"0" * 200, b"", 400, "bad chunk size"),              # 2^800
    (b"1" + b"0" * 1100, b"", 400, "chunk-size line too long"),
    (b"-1", b"", 400, "bad chunk size"),
    (b"-0", b"", 400, "bad chunk size"),
    (b"+5", b"", 400, "bad chunk size"),
    (b"0x5", b"", 400, "bad chunk size"),
    (b" 5", b"", 400, "bad chunk size"),
    (b"5\x00", b"", 400, "bad chunk size"),
    (b"", b"", 400, "bad chunk size"),
    (b"5", b"hello-and-more\r\n0\r\n\r\n", 400, "chunk data not followed by CRLF"),
    # accepted: leading zeros are 1*HEXDIG (RFC 9112 7.1)
    (b"0" * 40 + b"5", b"a=b&c\r\n0\r\n\r\n", None, ""),
    (b"00000005 ; ext=1", b"a=b&c\r\n" + b"0" * 30 + b"\r\n\r\n", None, ""),
]


@pytest.mark.parametrize("svc", list(SERVICES))
def test_chunk_sizes(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    for line, data, status, why in CHUNKS:
        out = exchange(s, svc, post_chunked(svc, line, data))
        st = statuses(out)
        if status is None:
            # the body was taken: the application answered (not 400/413)
            assert len(st) == 1 and st[0] not in (400, 413, 431), (line[:40], out[:200])
        else:
            assert st == [status], (line[:40], out[:200])
            assert b"Connection: close" in out
            assert logged(s, svc, status, why), (line[:40], why)
    assert serves(s, svc)


# ---- Content-Length ----

CLS = [
    # (header lines, status, log text)
    (b"Content-Length: 9223372036854775808\r\n", 400, "bad Content-Length"),   # 2^63
    (b"Content-Length: 9223372036854775807\r\n", 400, "bad Content-Length"),   # 2^63 - 1
    (b"Content-Length: 18446744073709551616\r\n", 400, "bad Content-Length"),  # 2^64
    (b"Content-Length: 18446744073709551621\r\n", 400, "bad Content-Length"),  # 2^64 + 5
    (b"Content-Length: 999999999999999999\r\n", 413, "request body too large"),
    (b"Content-Length: 4294967296\r\n", 413, "request body too large"),     # 2^32
    (b"Content-Length: -1\r\n", 400, "bad Content-Length"),
    (b"Content-Length: +5\r\n", 400, "bad Content-Length"),
    (b"Content-Length: 0x5\r\n", 400, "bad Content-Length"),
    (b"Content-Length: 5, 5\r\n", 400, "bad Content-Length"),
    (b"Content-Length:\r\n", 400, "bad Content-Length"),
    (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "conflicting Content-Length"),
    (b"Content-Length: 5\r\nContent-Length: 0005\r\nContent-Length: 4\r\n", 400,
     "conflicting Content-Length"),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400,
     "both Content-Length and Transfer-Encoding"),
    (b"Content-Length: 5\r\nTransfer-Encoding: identity\r\n", 400,
     "both Content-Length and Transfer-Encoding"),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 501,
     "transfer coding not implemented"),
    (b"Transfer-Encoding: chunked, chunked\r\n", 501, "transfer coding not implemented"),
]


@pytest.mark.parametrize("svc", list(SERVICES))
def test_content_length(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    path = SERVICES[svc][2].encode()
    for hdrs, status, why in CLS:
        req = b"POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nhello" % (path, hdrs)
        out = exchange(s, svc, req)
        assert statuses(out) == [status], (hdrs, out[:200])
        assert logged(s, svc, status, why), (hdrs, why)
    # equal duplicates and leading zeros are one length (RFC 9110 8.6)
    for hdrs in (b"Content-Length: 3\r\nContent-Length: 3\r\n",
                 b"Content-Length: " + b"0" * 30 + b"3\r\n"):
        req = (b"POST %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n%s\r\na=b"
               % (path, hdrs))
        st = statuses(exchange(s, svc, req))
        assert len(st) == 1 and st[0] not in (400, 411, 413), (hdrs, st)
    assert serves(s, svc)


# ---- the head's bounds, at and one past ----

@pytest.mark.parametrize("svc", list(SERVICES))
def test_head_bounds_at_and_past(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    path = SERVICES[svc][1]
    # request line: HTTP_REQUEST_LINE_MAX bytes without CRLF is taken (404
    # for the unknown file), one more is 414
    pad = HTTP_REQUEST_LINE_MAX - len(f"GET {path}? HTTP/1.1")
    for n, want in ((pad, 200), (pad + 1, 414)):
        req = f"GET {path}?{'q' * n} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        out = exchange(s, svc, req.encode())
        assert statuses(out) == [want], (n, out[:200])
    assert logged(s, svc, 414, "request line too long")
    # one header line: HTTP_HEADER_LINE_MAX bytes is taken, one more is 431
    pad = HTTP_HEADER_LINE_MAX - len("X-Big: ")
    for n, want in ((pad, 200), (pad + 1, 431)):
        req = (f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               f"X-Big: {'b' * n}\r\n\r\n")
        out = exchange(s, svc, req.encode())
        assert statuses(out) == [want], (n, out[:200])
    assert logged(s, svc, 431, "header line too long")
    # header count: HTTP_HEADERS_MAX lines (Host and Connection included)
    # are taken, one more is 431
    for n, want in ((HTTP_HEADERS_MAX, 200), (HTTP_HEADERS_MAX + 1, 431)):
        extra = "".join(f"X-{i}: 1\r\n" for i in range(n - 2))
        req = (f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               f"{extra}\r\n")
        out = exchange(s, svc, req.encode())
        assert statuses(out) == [want], (n, out[:200])
    assert logged(s, svc, 431, "too many header fields")
    assert serves(s, svc)


# ---- pipelining behind a refused request ----

@pytest.mark.parametrize("svc", list(SERVICES))
def test_pipelined_requests_after_a_bad_one_are_not_served(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    path = SERVICES[svc][1].encode()
    good = b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path
    bads = [
        (b"GET %s HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n" % path, 400),
        (b"GET %s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" % path, 400),
        (b"POST %s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"zz\r\n" % path, 400),
        # smuggling: a second request hidden in a body the server must not
        # take as a length of 0
        (b"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" % path, 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    ]
    for bad, status in bads:
        out = exchange(s, svc, good + bad + good + good)
        # the good one before, the refusal, and nothing after it
        assert statuses(out) == [200, status], (bad[:60], out[:300])
        assert out.count(CSS.encode()) == 1
    assert serves(s, svc)


# ---- slowloris ----

@pytest.mark.parametrize("svc", list(SERVICES))
def test_header_a_byte_at_a_time_times_out(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    k = sock(s, svc, timeout=20)
    req = b"GET %s HTTP/1.1\r\nHost: a\r\n" % SERVICES[svc][1].encode()
    req += b"X-Slow: " + b"s" * 200
    sent = 0
    try:
        for b in req[:60]:                  # at most 60 * 0.15 = 9 s
            k.sendall(bytes([b]))
            sent += 1
            time.sleep(0.15)
            if sent % 10 == 0:
                assert serves(s, svc)       # others are served meanwhile
    except OSError:
        pass
    out = recv_until_close(k, 10)
    k.close()
    # HeaderTimeout = 2 s: a 408 long before the 60 bytes went out
    assert statuses(out) == [408], out[:200]
    assert logged(s, svc, 408, "time-out", timeout=10) or \
        s.wait_log(r"bad request \(408 Request Timeout\)")
    assert serves(s, svc)


# ---- idle connection floods ----

def test_idle_flood_from_one_address_meets_the_per_address_limit(make_server, tmp_path):
    s = start(make_server, tmp_path, httpu="MaxChannelsPerIP = 8;",
              httpa="MaxChannelsPerIP = 8;")
    for svc in SERVICES:
        held, refusal = hold_idle(s.ports[svc], "127.0.0.3", 50)
        try:
            assert len(held) == 8, len(held)
            assert refusal is not None and statuses(refusal) == [503], refusal
            assert s.wait_log(r"%s-\d+\(\[127\.0\.0\.3\]:\d+\) connection refused: "
                              r"per-address limit 8 reached for 127\.0\.0\.3"
                              % SERVICES[svc][0])
            # other addresses are served meanwhile; the flooder is not
            assert serves(s, svc, "127.0.0.2")
            assert serves(s, svc, "127.0.0.1")
            held2, refusal2 = hold_idle(s.ports[svc], "127.0.0.3", 3)
            assert held2 == [] and statuses(refusal2) == [503]
        finally:
            for k in held:
                k.close()
        # once the flood is gone the address is served again
        end = time.time() + 10
        while not serves(s, svc, "127.0.0.3") and time.time() < end:
            time.sleep(0.2)
        assert serves(s, svc, "127.0.0.3")


def test_idle_flood_filling_the_service_sheds_idle_ones(make_server, tmp_path):
    # without per-address limits one address fills MaxChannels with idle
    # connections; a newcomer from elsewhere is still served (the oldest
    # idle one is shed, logged) or refused with 503 and a log line, never
    # left hanging
    s = start(make_server, tmp_path,
              httpu="MaxChannels = 12; MaxChannelsPerIP = 0; MaxChannelsPerNetwork = 0;",
              services=["cli", "webuser"])
    held, refusal = hold_idle(s.ports["webuser"], "127.0.0.3", 12)
    try:
        assert len(held) == 12 and refusal is None
        for i in range(3):
            assert serves(s, "webuser", "127.0.0.2")
        assert s.wait_log(r"webuser is full \(12 channels\): shedding the oldest "
                          r"idle session before login, from \[127\.0\.0\.3\]")
    finally:
        for k in held:
            k.close()
    assert serves(s, "webuser")


# ---- static roots ----

STATIC = [
    (b"/user/../admin/test.css", 400),
    (b"/user/%2e%2e/admin/test.css", 400),
    (b"/user/%2E%2E/%2E%2E/secret.txt", 400),
    (b"/user/.%2e/.%2e/secret.txt", 400),
    (b"/admin/%2e%2e/%2e%2e/secret.txt", 400),
    (b"/admin/..%2f..%2fsecret.txt", 400),
    (b"/user/style.css%00", 400),
    (b"/user/style.css%00.png", 400),
    (b"/admin/test.css%00", 400),
    (b"/user/%00/style.css", 400),
    (b"/user/..%5c..%5csecret.txt", 400),
    (b"/user/%252e%252e/%252e%252e/secret.txt", 404),   # decoded once only
    (b"/user/./style.css", 400),
    (b"/user//style.css", 404),
    (b"/user/.%2fstyle.css", 400),
]


@pytest.mark.parametrize("svc", list(SERVICES))
def test_static_paths_stay_in_the_root(make_server, tmp_path, svc):
    s = start(make_server, tmp_path)
    for path, want in STATIC:
        if svc == "webadmin":
            path = path.replace(b"/user/", b"/admin/").replace(b"style.css", b"test.css")
        out = exchange(s, svc, b"GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                       % path)
        assert statuses(out) == [want], (path, out[:200])
        assert b"secret" not in out
    assert s.wait_log(r"bad request \(400 Bad Request\)")
    assert serves(s, svc)


# ---- WebUser failed-login flow control ----

def login(s, user, pw, source):
    c = http.client.HTTPConnection("127.0.0.1", s.ports["webuser"], timeout=60,
                                   source_address=(source, 0))
    try:
        c.request("POST", "/login", body=urllib.parse.urlencode(
            {"username": user, "password": pw}),
            headers={"Host": "test.example",
                     "Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_webuser_failed_logins_are_slowed_then_refused_for_that_address_only(
        make_server, tmp_path):
    s = start(make_server, tmp_path, services=["cli", "webuser"])
    s.tegami("CreateAccount", "user1",
             '{Password="%s"; FailedLoginFlow = (3, 10m);}' % PASSWORD)
    got = []
    for i in range(8):                      # bounded; 429 after 3 failures
        st = login(s, "user1", "wrong%d" % i, "127.0.0.3")
        got.append(st)
        if st == 429:
            break
    assert got[0] == 401 and got[-1] == 429, got
    assert s.wait_log(r"HTTPU-\d+\(\[127\.0\.0\.3\]:\d+\) login failed for "
                      r"'user1@test\.example': ")
    # the attacker's address stays refused, even with the right password
    assert login(s, "user1", PASSWORD, "127.0.0.3") == 429
    # the real user, from another address, still gets in (B5 lesson: a
    # login lock must not shut out the real user)
    assert login(s, "user1", PASSWORD, "127.0.0.4") == 303
    assert serves(s, "webuser", "127.0.0.4")
