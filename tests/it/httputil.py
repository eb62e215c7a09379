# SPDX-License-Identifier: Apache-2.0
"""Helpers of the HTTP and WebAdmin tests: a tegamid with the webadmin
service and a web root of test files, and small raw-socket clients."""
import base64
import http.client
import json
import os
import socket
import time

from conftest import Server

# Servers made by web_server(), checked by sanitizer_clean().
made = []

CSS = ("/* a test style sheet */\n" + "body { color: #123456; margin: 0; }\n" * 80)


def web_server(make_server, tmp_path, settings=None, services=None):
    """A server with webadmin (and cli) listening and tmp_path/web as its
    web root; settings: the text of Settings/HTTPA.settings."""
    web = tmp_path / "web"
    (web / "admin").mkdir(parents=True)
    (web / "admin" / "test.css").write_text(CSS)
    (web / "admin" / "app.js").write_text("console.log('x');\n")
    (web / "admin" / ".hidden").write_text("secret\n")
    s = make_server(services=services or ["webadmin", "cli"],
                    extra_args=["--web-root", str(web)])
    if settings is not None:
        os.makedirs(s.path("Settings"), exist_ok=True)
        with open(s.path("Settings", "HTTPA.settings"), "w") as f:
            f.write(settings)
    s.start()
    s.web = web
    made.append(s)
    return s


def sanitizer_clean():
    """Stops the servers web_server() made and fails when an ASan/UBSan
    build reported anything on their stderr (leaks at exit included)."""
    reports = []
    while made:
        s = made.pop()
        s.stop()
        with open(s.stderr_path, "rb") as f:
            text = f.read().decode(errors="replace")
        if "Sanitizer" in text or "runtime error:" in text:
            reports.append(text[-4000:])
    assert not reports, "\n".join(reports)


def conn(s, source=None, timeout=10):
    return http.client.HTTPConnection(
        "127.0.0.1", s.ports["webadmin"], timeout=timeout,
        source_address=(source, 0) if source else None)


def basic(user, password):
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def request(s, method, path, body=None, headers=None, source=None):
    """One request on a new connection: (status, headers dict, body)."""
    c = conn(s, source=source)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def api(s, command, *args, user="postmaster", password=None, host=None,
        source=None):
    """POST /api/command with Basic: (status, decoded JSON)."""
    if password is None:
        password = s.postmaster_password()
    headers = {"Authorization": basic(user, password),
               "Content-Type": "application/json"}
    if host:
        headers["Host"] = host
    st, _, body = request(s, "POST", "/api/command",
                          json.dumps({"command": command, "args": list(args)}),
                          headers, source=source)
    return st, json.loads(body)


def raw(s, data, timeout=10.0, until_close=True):
    """Sends bytes on a new socket; returns what came back (until the
    server closes, or the time-out)."""
    sock = socket.create_connection(("127.0.0.1", s.ports["webadmin"]), timeout=timeout)
    try:
        sock.sendall(data)
        out = b""
        end = time.time() + timeout
        while time.time() < end:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not until_close:
                break
        return out
    finally:
        sock.close()


def status_of(response):
    line = response.split(b"\r\n", 1)[0]
    return int(line.split()[1]) if line.startswith(b"HTTP/1.") else None
