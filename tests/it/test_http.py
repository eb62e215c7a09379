# SPDX-License-Identifier: Apache-2.0
"""The HTTP/1.1 server (docs/http.md) with real clients (curl, Python's
http.client and raw sockets): keep-alive, pipelining, chunked bodies, gzip,
static files with ETag and 304, HEAD, and every limit answered with its
status and a log line while the server goes on serving."""
import gzip
import http.client
import socket
import subprocess
import threading
import time

import pytest

import httputil
from httputil import CSS, basic, conn, raw, request, status_of, web_server


@pytest.fixture(autouse=True)
def sanitizer_clean(make_server):
    yield
    httputil.sanitizer_clean()


@pytest.fixture
def s(make_server, tmp_path):
    return web_server(make_server, tmp_path,
                      settings="{HeaderTimeout = 2; KeepAliveTimeout = 30;}")


def serves(s):
    """The server still answers a normal request."""
    st, _, body = request(s, "GET", "/admin/test.css")
    return st == 200 and body.decode() == CSS


def test_static_file_etag_and_304(s):
    st, h, body = request(s, "GET", "/admin/test.css")
    assert st == 200 and body.decode() == CSS
    assert h["content-type"] == "text/css; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    assert h["x-content-type-options"] == "nosniff"
    etag = h["etag"]
    st, h2, body = request(s, "GET", "/admin/test.css", headers={"If-None-Match": etag})
    assert st == 304 and body == b"" and h2["etag"] == etag
    # another tag, or a changed file: the file again
    st, _, body = request(s, "GET", "/admin/test.css", headers={"If-None-Match": '"other"'})
    assert st == 200 and body.decode() == CSS
    time.sleep(0.01)
    (s.web / "admin" / "test.css").write_text(CSS + "/* more */\n")
    st, h3, body = request(s, "GET", "/admin/test.css", headers={"If-None-Match": etag})
    assert st == 200 and h3["etag"] != etag and body.decode().endswith("/* more */\n")


def test_head_has_headers_only(s):
    st, hg, body = request(s, "GET", "/admin/app.js")
    assert st == 200 and body == b"console.log('x');\n"
    c = conn(s)
    c.request("HEAD", "/admin/app.js")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b""
    assert r.getheader("Content-Length") == hg["content-length"]
    assert r.getheader("Content-Type") == "application/javascript; charset=utf-8"
    # the connection is still usable after a HEAD
    c.request("GET", "/admin/app.js")
    assert c.getresponse().read() == b"console.log('x');\n"
    c.close()


def test_static_refusals(s):
    assert request(s, "GET", "/admin/missing.css")[0] == 404
    assert request(s, "GET", "/admin/.hidden")[0] == 404
    assert request(s, "GET", "/admin/")[0] == 404
    # climbing out of the root never reaches a handler
    assert status_of(raw(s, b"GET /admin/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n")) == 400
    assert status_of(raw(s, b"GET /admin/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n")) == 400
    st, h, _ = request(s, "POST", "/admin/test.css", body=b"x")
    assert st == 405 and h["allow"] == "GET, HEAD"
    assert serves(s)


def test_gzip_when_asked(s):
    st, h, body = request(s, "GET", "/admin/test.css", headers={"Accept-Encoding": "gzip"})
    assert st == 200 and h["content-encoding"] == "gzip"
    assert h["vary"] == "Accept-Encoding"
    assert int(h["content-length"]) == len(body) < len(CSS)
    assert gzip.decompress(body).decode() == CSS
    # refused with q=0, and not for a client that does not ask
    st, h, body = request(s, "GET", "/admin/test.css", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in h and body.decode() == CSS
    st, h, body = request(s, "GET", "/admin/test.css")
    assert "content-encoding" not in h and body.decode() == CSS
    # curl --compressed decodes it
    out = subprocess.run(["curl", "-s", "--compressed", "-D", "-",
                          f"http://127.0.0.1:{s.ports['webadmin']}/admin/test.css"],
                         capture_output=True, timeout=30).stdout
    head, _, text = out.partition(b"\r\n\r\n")
    assert b"content-encoding: gzip" in head.lower() and text.decode() == CSS


def test_keep_alive_one_connection(s):
    c = conn(s)
    c.request("GET", "/admin/test.css")
    r = c.getresponse()
    assert r.read().decode() == CSS
    sock = c.sock
    for _ in range(5):
        c.request("GET", "/admin/app.js")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"console.log('x');\n"
        assert c.sock is sock          # not reopened
    c.close()
    # curl with two URLs reuses its connection
    out = subprocess.run(["curl", "-sv", f"http://127.0.0.1:{s.ports['webadmin']}/admin/app.js",
                          f"http://127.0.0.1:{s.ports['webadmin']}/admin/app.js"],
                         capture_output=True, timeout=30)
    assert out.stdout == b"console.log('x');\n" * 2
    assert b"Re-using existing connection" in out.stderr or b"Reusing existing" in out.stderr


def test_http10_closes_unless_keep_alive(s):
    out = raw(s, b"GET /admin/app.js HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.0 200 ") and b"Connection: close" in out
    assert out.endswith(b"console.log('x');\n")
    out = raw(s, b"GET /admin/app.js HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
              timeout=2, until_close=False)
    assert b"Connection: keep-alive" in out


def test_pipelining(s):
    reqs = b"".join(b"GET /admin/%s HTTP/1.1\r\nHost: a\r\n\r\n" % n
                    for n in (b"app.js", b"missing", b"test.css"))
    out = raw(s, reqs + b"GET /admin/app.js HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    parts = out.split(b"HTTP/1.1 ")
    assert [p[:3] for p in parts[1:]] == [b"200", b"404", b"200", b"200"]
    assert out.endswith(b"console.log('x');\n")


def test_chunked_request_body(s):
    c = conn(s)
    body = [b'{"command": ', b'"GetServerStatistics"', b', "args": []}']
    c.request("POST", "/api/command", body=iter(body), encode_chunked=True,
              headers={"Authorization": basic("postmaster", s.postmaster_password()),
                       "Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200 and b'"Connections"' in r.read()
    # by hand, with an extension and a trailer, then a request behind it
    msg = (b"POST /api/command HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: application/json\r\nAuthorization: " +
           basic("postmaster", s.postmaster_password()).encode() + b"\r\n\r\n"
           b"e;x=1\r\n{\"command\": \"N\r\na\r\nOOP\", \"a\":\r\n4\r\n []}\r\n0\r\nX-T: 1\r\n\r\n"
           b"GET /admin/app.js HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    out = raw(s, msg)
    assert out.count(b"HTTP/1.1 200 ") == 2 and b'{"result":null}' in out
    # a bad chunk size: 400 and the connection closes
    out = raw(s, b"POST /api/command HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert status_of(out) == 400 and b"Connection: close" in out
    assert serves(s)


def test_expect_100_continue(s):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                          "postmaster:" + s.postmaster_password(),
                          "-H", "Content-Type: application/json",
                          "-H", "Expect: 100-continue",
                          "--data-binary", '{"command":"NOOP"}',
                          f"http://127.0.0.1:{s.ports['webadmin']}/api/command"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == "200"


LIMITS = [
    # (request, status, log text)
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414, "request line too long"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "header line too long"),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
     431, "too many header fields"),
    (b"POST /api/command HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413,
     "request body too large"),
    (b"POST /api/command HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
     "transfer coding not implemented"),
    (b"POST /api/command HTTP/1.1\r\nHost: a\r\n\r\n", 411, "a body without its length"),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
    (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "method not implemented"),
    (b"GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 request without Host"),
    (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obsolete line folding"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     400, "both Content-Length and Transfer-Encoding"),
]


@pytest.mark.parametrize("req,status,why", LIMITS, ids=[str(x[1]) + " " + x[2] for x in LIMITS])
def test_limits_answered_and_logged(s, req, status, why):
    out = raw(s, req)
    assert status_of(out) == status, out[:200]
    assert b"Connection: close" in out
    assert s.wait_log(r"HTTPA-\d+\(\[127\.0\.0\.1\]:\d+\) bad request \(%d [^)]*\): %s"
                      % (status, why.replace("(", r"\(").replace(")", r"\)")))
    assert serves(s)


def test_body_too_large_from_a_client_that_sends_it(s):
    # Python sends the whole body; the answer must still arrive (the server
    # drains before it closes).
    c = conn(s)
    c.request("POST", "/api/command", body=b"x" * (17 * 1024 * 1024),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 413
    c.close()
    assert serves(s)


def test_slow_client_dropped_while_others_are_served(s):
    slow = socket.create_connection(("127.0.0.1", s.ports["webadmin"]), timeout=20)
    slow.sendall(b"GET /admin/app.js HTTP/1.1\r\nHost: a\r\n")
    got = []

    def trickle():
        try:
            for i in range(40):             # at most 20 s
                slow.sendall(b"X-%d: 1\r\n" % i)
                time.sleep(0.5)
        except OSError:
            pass

    t = threading.Thread(target=trickle)
    t.start()
    # meanwhile another client is served, again and again
    for _ in range(3):
        assert serves(s)
    out = b""
    try:
        while True:
            chunk = slow.recv(4096)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    got.append(out)
    t.join(30)
    slow.close()
    assert status_of(got[0]) == 408 and b"header time-out" in got[0]
    assert s.wait_log(r"bad request \(408 Request Timeout\): header time-out")
    assert serves(s)


def test_idle_keep_alive_connection_parks_and_resumes(make_server, tmp_path):
    s = web_server(make_server, tmp_path,
                   settings="{HibernateAfter = 1; KeepAliveTimeout = 30;}")
    c = conn(s)
    c.request("GET", "/admin/app.js")
    assert c.getresponse().read() == b"console.log('x');\n"
    sock = c.sock
    time.sleep(2.5)     # parked after 1 s without a request
    c.request("GET", "/admin/test.css")
    assert c.getresponse().read().decode() == CSS and c.sock is sock
    c.close()


def test_keep_alive_time_out_closes(make_server, tmp_path):
    s = web_server(make_server, tmp_path, settings="{KeepAliveTimeout = 1;}")
    c = conn(s)
    c.request("GET", "/admin/app.js")
    assert c.getresponse().read() == b"console.log('x');\n"
    c.sock.settimeout(10)
    assert c.sock.recv(10) == b""       # the server closed it
    c.close()
    assert serves(s)
