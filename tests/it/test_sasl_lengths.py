# SPDX-License-Identifier: Apache-2.0
"""The longest SASL PLAIN response a valid login can send (authzid and
authcid of ADDRESS_MAX bytes each, a PASSWORD_MAX password: lib/bounds.h
SASL_PLAIN_B64_MAX) is read whole by POP, IMAP and SMTP AUTH and answered
as a failed login; past POP's and SMTP's own line limit the response is
refused as too long, and the session goes on (IMAP: a tagged BAD
[TOOBIG])."""
import base64
import socket

ADDRESS_MAX, PASSWORD_MAX = 1024, 256
POP_SASL_LINE_MAX, IMAP_AUTH_LINE_MAX, SMTP_AUTH_LINE_MAX = 4096, 8192, 12288


def longest_plain():
    name = "a" * (ADDRESS_MAX - len("@test.example")) + "@test.example"
    raw = f"{name}\0{name}\0" + "p" * PASSWORD_MAX
    b = base64.b64encode(raw.encode()).decode()
    assert len(b) == ((2 * ADDRESS_MAX + PASSWORD_MAX + 2 + 2) // 3) * 4
    return b


class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode("latin-1").rstrip("\r\n")

    def cmd(self, text):
        self.sock.sendall((text + "\r\n").encode())
        return self.line()

    def close(self):
        self.sock.close()


def test_pop_plain_lengths(make_server):
    s = make_server(services=["cli", "pop3"])
    s.start()
    r = Raw(s.ports["pop3"])
    assert r.cmd("AUTH PLAIN") == "+ "
    assert r.cmd(longest_plain()) == \
        "-ERR [AUTH] incorrect password or account name"
    assert r.cmd("AUTH PLAIN") == "+ "
    assert r.cmd("A" * (POP_SASL_LINE_MAX + 1)) == \
        "-ERR [AUTH] response too long"
    assert r.cmd("NOOP").startswith("-ERR")     # not logged in; still talking
    r.close()


def test_imap_plain_lengths(make_server):
    s = make_server(services=["cli", "imap"])
    s.start()
    r = Raw(s.ports["imap"])
    assert r.cmd("a AUTHENTICATE PLAIN") == "+ "
    reply = r.cmd(longest_plain())
    assert reply.startswith("a NO"), reply
    assert r.cmd("c NOOP").startswith("c OK")
    # One past the bound: a tagged BAD (never silence), and the session
    # goes on with the next command.
    assert r.cmd("d AUTHENTICATE PLAIN") == "+ "
    assert r.cmd("A" * (IMAP_AUTH_LINE_MAX + 1)) == \
        "d BAD [TOOBIG] AUTHENTICATE response too long"
    assert r.cmd("e NOOP").startswith("e OK")
    r.close()


def test_smtp_plain_lengths(make_server):
    s = make_server(services=["cli", "submission"])
    s.start()
    r = Raw(s.ports["submission"])
    r.cmd("EHLO client.example")
    while r.line().startswith("250-"):
        pass
    assert r.cmd("AUTH PLAIN") == "334 "
    reply = r.cmd(longest_plain())
    assert reply.startswith("535"), reply
    assert r.cmd("AUTH PLAIN") == "334 "
    reply = r.cmd("A" * (SMTP_AUTH_LINE_MAX + 1))
    assert reply.startswith("500") or reply.startswith("501"), reply
    assert r.cmd("NOOP").startswith("250")
    r.close()
