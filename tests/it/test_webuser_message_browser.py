# SPDX-License-Identifier: Apache-2.0
"""WebUser security in Debian's chromium (issue 13, tests/browser/security.mjs
driven from here as the WebAdmin browser tests are): a hostile message
delivered over SMTP runs nothing and loads nothing when opened at
/Message/<id>/html after a form login (a trap HTTP server on 127.0.0.3
counts every request made to it), a forged cross-site POST from a page of
another site (the trap) is refused, and a session id set before the login
is not the one used after it."""

import http.server
import threading
import time

import pytest

import httputil
from conftest import deliver
from imaputil import PASSWORD
from test_jmap import api
from test_webadmin_browser import browser_kit, node  # noqa: F401 (fixture)
from test_webuser_message import wait_email

EVIL_PAGE = """<!DOCTYPE html><html><body>
<form id="f" method="POST" action="TARGET/logout"><input name="csrf" value="x"></form>
<script>
const target = new URLSearchParams(location.search).get('target');
document.getElementById('f').action = target + '/logout';
const call = JSON.stringify({using: ['urn:ietf:params:jmap:core',
  'urn:ietf:params:jmap:mail'], methodCalls: [['Mailbox/set',
  {create: {a: {name: 'pwned'}}}, '0']]});
fetch(target + '/jmap/api', {method: 'POST', mode: 'no-cors',
  credentials: 'include', headers: {'Content-Type': 'text/plain'}, body: call})
  .catch(() => {})
  .finally(() => fetch('/__mark').then(() => fetch('/__mark'))
    .then(() => document.getElementById('f').submit()));
</script></body></html>"""


class Trap:
    """An HTTP server on 127.0.0.3 that counts the requests a message's
    content makes to it (/__count answers the count, uncounted)."""

    def __init__(self):
        self.hits = 0
        self.posted = 0
        trap = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self, ctype, body):
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/__count"):
                    return self.answer("text/plain", str(trap.hits).encode())
                if self.path.startswith("/__posted"):
                    return self.answer("text/plain", str(trap.posted).encode())
                if self.path.startswith("/__mark"):
                    trap.posted += 1
                    return self.answer("text/plain", b"ok")
                if self.path.startswith("/evil.html"):
                    return self.answer("text/html", EVIL_PAGE.encode())
                trap.hits += 1
                self.answer("image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

            do_POST = do_GET

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.3", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def hostile(trap):
    t = f"http://127.0.0.3:{trap}"
    html = f"""<html><head>
<meta http-equiv="refresh" content="0;url={t}/refresh">
<base href="{t}/"><link rel="stylesheet" href="{t}/style.css">
<script src="{t}/x.js"></script>
<script>window.pwned = 1; alert(1); new Image().src = "{t}/script";</script>
<style>@import url({t}/import.css); .c {{ background: url({t}/css-bg) }}</style>
</head><body onload="window.pwned = 2; alert(2)">
<p class="c">Hello <b>reader</b></p>
<img src="x" onerror="window.pwned = 3; alert(3)">
<img src="{t}/remote.gif" alt="remote">
<img srcset="{t}/srcset.gif 1x">
<table background="{t}/table-bg"><tr><td style="background-image: url('{t}/td-bg')">x</td></tr></table>
<video poster="{t}/poster"></video><object data="{t}/object"></object>
<iframe src="{t}/frame"></iframe><embed src="{t}/embed">
<a href="javascript:window.pwned = 4; alert(4)">link 1</a>
<a href="JaVaScRiPt&colon;alert(5)">link 2</a>
<a href="java&#x09;script:alert(6)">link 3</a>
<svg><image href="{t}/svg-image"/><script>alert(7)</script></svg>
<form action="{t}/form"><input type="image" src="{t}/input"></form>
</body></html>"""
    msg = ("From: Mallory <m@elsewhere.example>\r\nTo: user1@test.example\r\n"
           "Subject: hostile\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n" +
           html.replace("\n", "\r\n") + "\r\n")
    return msg.encode()


@pytest.fixture(autouse=True)
def sanitizer_check(make_server):
    yield
    httputil.sanitizer_clean()


def test_hostile_message_forged_post_and_fixation(make_server, browser_kit):  # noqa: F811
    s = make_server(services=["cli", "webuser", "smtp"])
    httputil.made.append(s)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    trap = Trap()
    try:
        deliver(s, "user1@test.example", hostile(trap.port))
        e = wait_email(s)
        node("security.mjs", s.ports["webuser"], "user1", PASSWORD, e["id"],
             trap.port)
        # the forged JMAP call created nothing
        r = api(s, [["Mailbox/get", {}, "0"]])
        names = [m["name"] for m in r[0][1]["list"]]
        assert "pwned" not in names, names
    finally:
        trap.close()
