# SPDX-License-Identifier: Apache-2.0
"""WebUser's message pages against a real tegamid (docs/webuser.md,
"Message pages"): a message delivered over SMTP (smtplib), read through
/Message/<id>/html (sanitised, remote images held back and counted, cid:
images rewritten, the CSP), /Message/<id>/part/<partId> (decoded, the
right Content-Type and Content-Disposition, HTML never as text/html) and
/Message/<id>/attachments.zip (opened with zipfile); the session is
required and sees only its own account."""

import base64
import io
import json
import re
import time
import urllib.parse
import zipfile

import pytest

import httputil
from conftest import deliver
from imaputil import PASSWORD
from test_jmap import CORE, MAIL, api
from test_webuser_login import login, request, session_of

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
    "PchI7wAAAABJRU5ErkJggg==")


@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    yield
    httputil.sanitizer_clean()


def start(make_server):
    s = make_server(services=["cli", "webuser", "smtp", "imap"])
    httputil.made.append(s)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    s.tegami("CreateAccount", "user2", '{Password="%s";}' % PASSWORD)
    return s


def evil_message(remote="http://127.0.0.3:9/track.png"):
    """multipart/mixed: related(HTML with every trick + a cid image), a text
    attachment with a non-ASCII name, an HTML attachment."""
    html = f"""<html><head><meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<base href="http://127.0.0.3:9/"><script>window.parent.pwned = 1; alert(1)</script>
<style>p {{ color: green }} .x {{ background: url({remote}) }}</style></head>
<body onload="alert(2)"><p class="x">Hello <b>reader</b></p>
<img src="x" onerror="window.parent.pwned = 2">
<img src="{remote}" alt="tracker">
<img src="cid:logo@test">
<a href="javascript:alert(3)">bad link</a>
<a href="JaVaScRiPt&#58;alert(4)">bad link 2</a>
<a href="https://example.org/ok">good link</a>
<iframe src="http://127.0.0.3:9/frame"></iframe>
<form action="http://127.0.0.3:9/post"><input name=a><button>go</button></form>
<svg onload="alert(5)"><script>alert(6)</script></svg>
</body></html>"""
    b64 = base64.encodebytes(PNG).decode()
    att = base64.encodebytes("Grüße, attachment\n".encode()).decode()
    msg = f"""From: Mallory <mallory@elsewhere.example>
To: user1@test.example
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= evil
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{html.replace("=", "=3D")}
--rel
Content-Type: image/png
Content-ID: <logo@test>
Content-Transfer-Encoding: base64

{b64}
--rel--

--outer
Content-Type: text/plain; charset=utf-8; name*=UTF-8''r%C3%A9sum%C3%A9.txt
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt
Content-Transfer-Encoding: base64

{att}
--outer
Content-Type: text/html; name="page.html"
Content-Disposition: attachment; filename="page.html"

<script>alert(7)</script>
--outer--
"""
    return msg.replace("\n", "\r\n").encode()


def wait_email(s, user="user1", n=1, subject=None):
    end = time.time() + 20
    while True:
        r = api(s, [["Email/query", {"sort": [{"property": "receivedAt",
                                               "isAscending": True}]}, "q"],
                    ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query",
                                            "path": "/ids"},
                                   "properties": ["subject", "attachments",
                                                  "htmlBody", "textBody"]}, "g"]],
                user=user)
        lst = r[1][1]["list"]
        if len(lst) >= n or time.time() > end:
            break
        time.sleep(0.2)
    assert len(lst) >= n, lst
    if subject is not None:
        lst = [e for e in lst if subject in (e["subject"] or "")]
    return lst[-1]


def sid_for(s, user):
    st, h, _ = login(s, user)
    assert st == 303
    sid, _ = session_of(h)
    assert sid
    return sid


def test_html_sanitised_images_held_back(make_server):
    s = start(make_server)
    deliver(s, "user1@test.example", evil_message())
    e = wait_email(s)
    sid = sid_for(s, "user1")
    eid = urllib.parse.quote(e["id"])
    st, h, body = request(s, "GET", f"/Message/{eid}/html", cookie=sid)
    assert st == 200, body
    assert h["content-type"] == "text/html; charset=utf-8"
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "img-src 'self' data:;" in csp and "http:" not in csp
    assert "frame-ancestors 'self'" in csp and "form-action 'none'" in csp
    assert "base-uri 'none'" in csp
    assert h["x-content-type-options"] == "nosniff"
    # the remote <img> and the CSS url() were held back
    assert h["x-blocked-images"] == "2", body
    low = body.lower()
    for bad in ("<script", "onerror", "onload", "javascript", "<iframe",
                "<form", "<input", "<svg", "<base", "http-equiv",
                "127.0.0.3", "alert("):
        assert bad not in low, (bad, body)
    assert "Hello <b>reader</b>" in body
    assert 'href="https://example.org/ok" target="_blank" ' \
        'rel="noopener noreferrer"' in body
    # the cid: image points at its part
    cid_part = [p for p in e["htmlBody"] if p["type"] == "image/png"] or \
        [a for a in e["attachments"] if a["type"] == "image/png"]
    m = re.search(r'src="(/Message/[^"]+/part/(\d+))"', body)
    assert m, body
    assert m.group(2) == cid_part[0]["partId"]
    st, h, _ = request(s, "GET", m.group(1), cookie=sid)
    assert st == 200 and h["content-type"] == "image/png"
    assert h["content-disposition"].startswith("inline")
    # HEAD gives the count too (the webmail asks it that way)
    st, h, _ = request(s, "HEAD", f"/Message/{eid}/html", cookie=sid)
    assert st == 200 and h["x-blocked-images"] == "2"
    # images=1: the remote ones come back, the CSP lets them load
    st, h, body = request(s, "GET", f"/Message/{eid}/html?images=1", cookie=sid)
    assert st == 200 and h["x-blocked-images"] == "0"
    assert 'src="http://127.0.0.3:9/track.png"' in body
    assert "img-src 'self' data: https: http:;" in h["content-security-policy"]
    assert "<script" not in body.lower() and "javascript" not in body.lower()


def test_parts_and_zip(make_server):
    s = start(make_server)
    deliver(s, "user1@test.example", evil_message())
    e = wait_email(s)
    sid = sid_for(s, "user1")
    eid = urllib.parse.quote(e["id"])
    atts = {a["name"]: a for a in e["attachments"] if a["name"]}
    assert "résumé.txt" in atts and "page.html" in atts, e["attachments"]
    # a text attachment: decoded, as UTF-8 text, a download with its name
    pid = atts["résumé.txt"]["partId"]
    c = request(s, "GET", f"/Message/{eid}/part/{pid}", cookie=sid)
    st, h, body = c
    assert st == 200 and body == "Grüße, attachment\n"
    assert h["content-type"] == "text/plain; charset=utf-8"
    assert h["content-disposition"] == \
        "attachment; filename=\"r__sum__.txt\"; " \
        "filename*=UTF-8''r%C3%A9sum%C3%A9.txt", h["content-disposition"]
    assert h["x-content-type-options"] == "nosniff"
    # an HTML attachment is never served as HTML from our origin
    pid = atts["page.html"]["partId"]
    st, h, body = request(s, "GET", f"/Message/{eid}/part/{pid}", cookie=sid)
    assert st == 200 and "<script>" in body
    assert h["content-type"] == "application/octet-stream"
    assert h["content-disposition"].startswith("attachment;")
    assert "sandbox" in h["content-security-policy"]
    # no such part, a multipart's number, junk
    for p in ("999", "1", "x", ""):
        st, _, _ = request(s, "GET", f"/Message/{eid}/part/{p}", cookie=sid)
        assert st == 404, p
    # the zip holds every attachment, decoded
    c = __import__("http.client").client.HTTPConnection(
        "127.0.0.1", s.ports["webuser"], timeout=30)
    c.request("GET", f"/Message/{eid}/attachments.zip",
              headers={"Host": "test.example", "Cookie": "TegamiUser=" + sid})
    r = c.getresponse()
    data = r.read()
    assert r.status == 200 and r.getheader("Content-Type") == "application/zip"
    assert "attachments.zip" in r.getheader("Content-Disposition")
    c.close()
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    names = z.namelist()
    assert "résumé.txt" in names and "page.html" in names, names
    assert z.read("résumé.txt") == "Grüße, attachment\n".encode()
    assert z.read("page.html").startswith(b"<script>alert(7)</script>")


def test_text_message_and_no_attachments(make_server):
    s = start(make_server)
    msg = (b"From: a@b.example\r\nTo: user1@test.example\r\nSubject: plain\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
           b"<script>alert(1)</script> caf\xe9 see https://example.org/x?a=1&b=2.\r\n")
    deliver(s, "user1@test.example", msg)
    e = wait_email(s)
    sid = sid_for(s, "user1")
    eid = urllib.parse.quote(e["id"])
    st, h, body = request(s, "GET", f"/Message/{eid}/html", cookie=sid)
    assert st == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; café" in body
    assert '<a href="https://example.org/x?a=1&amp;b=2" target="_blank"' in body
    assert h["x-blocked-images"] == "0"
    st, _, body = request(s, "GET", f"/Message/{eid}/attachments.zip", cookie=sid)
    assert st == 404 and "no attachments" in body


def test_session_required_and_own_account_only(make_server):
    s = start(make_server)
    deliver(s, "user1@test.example", evil_message())
    e = wait_email(s)
    eid = urllib.parse.quote(e["id"])
    # no session: 401 on every page; a made-up cookie too
    for p in ("html", "part/2", "attachments.zip"):
        st, _, _ = request(s, "GET", f"/Message/{eid}/{p}")
        assert st == 401
        st, _, _ = request(s, "GET", f"/Message/{eid}/{p}", cookie="0" * 32)
        assert st == 401
    # HTTP Basic does not open these pages (they are the browser's)
    st, _, _ = request(s, "GET", f"/Message/{eid}/html", headers={
        "Authorization": "Basic " + base64.b64encode(
            f"user1@test.example:{PASSWORD}".encode()).decode()})
    assert st == 401
    # user2's session does not see user1's message (its store has none)
    sid2 = sid_for(s, "user2")
    st, _, _ = request(s, "GET", f"/Message/{eid}/html", cookie=sid2)
    assert st == 404
    sid = sid_for(s, "user1")
    for bad in ("E0-1", "X1-1", "E1-0", "E1-999", "E1-1x", "../x", "E" * 80):
        st, _, _ = request(s, "GET", "/Message/%s/html" % urllib.parse.quote(bad),
                           cookie=sid)
        assert st in (400, 404), bad
    st, _, _ = request(s, "GET", f"/Message/{eid}/other", cookie=sid)
    assert st == 404
    st, h, _ = request(s, "POST", f"/Message/{eid}/html", cookie=sid, body=b"")
    assert st == 405 and "GET" in h["allow"]
