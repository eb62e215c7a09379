# SPDX-License-Identifier: Apache-2.0
"""Settings -> a module's page edits its Listener (the sockets it listens
on, docs/operations.md) through UpdateModule: a new socket is bound at
once and answers, a malformed value comes back with the error next to the
field, and an emptied field returns to the start-up set."""
import html
import re
import socket

from conftest import Server, free_port
from test_webadmin_pages import Browser


def listener_text(text):
    m = re.search(r'<textarea name="Listener"[^>]*>(.*?)</textarea>', text, re.S)
    assert m, "no Listener field"
    return html.unescape(m.group(1))


def banner(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        return c.recv(200)


def test_module_page_edits_listener(base_dir):
    s = Server(base_dir, services=["webadmin", "cli", "pop3"]).start()
    try:
        b = Browser(s.ports["webadmin"]).login("postmaster", s.postmaster_password())
        text = b.get("/Settings/POP")
        assert listener_text(text) == ""
        assert "UpdateModule POP {Listener = ...}" in text
        # a malformed value: refused, shown next to the field, nothing bound
        st, _, text = b.post("/Settings/POP", {"Listener": "{Ports = ("})
        assert st == 400
        assert re.search(r'</textarea></label><span class="err" role="alert">Listener: ',
                         text), text[-1500:]
        # a second socket, bound at once
        extra = free_port()
        value = ("{Ports = ({PortNumber = %d; IPAddress = 127.0.0.1;}, "
                 "{PortNumber = %d; IPAddress = 127.0.0.1;});}"
                 % (s.ports["pop3"], extra))
        st, h, _ = b.post("/Settings/POP", {"Listener": value})
        assert st == 303, _[-1500:]
        assert banner(extra).startswith(b"+OK")
        assert str(extra) in listener_text(b.get("/Settings/POP"))
        assert str(extra) in s.tegami("GetModule", "POP")[1]
        # emptied: back to the start-up set, the extra socket closed
        st, h, _ = b.post("/Settings/POP", {"Listener": ""})
        assert st == 303, _[-1500:]
        assert listener_text(b.get("/Settings/POP")) == ""
        try:
            socket.create_connection(("127.0.0.1", extra), timeout=2).close()
            closed = False
        except OSError:
            closed = True
        assert closed
        assert banner(s.ports["pop3"]).startswith(b"+OK")
    finally:
        s.stop()
