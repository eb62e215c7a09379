# SPDX-License-Identifier: Apache-2.0
"""Command injection around STARTTLS/STLS (CVE-2011-0411 style) for SMTP,
POP and IMAP over raw sockets: a command pipelined in plaintext after the
STARTTLS line, in the same TCP write, must never be executed inside the TLS
session -- SMTP throws it away unanswered, POP and IMAP refuse the STARTTLS
and stay in plaintext.  And the reverse: once TLS is up, a single TCP write
that carries the client's last handshake record together with pipelined
commands is answered normally (bytes already decrypted inside OpenSSL are
not forgotten by the connection layer)."""

import socket
import ssl

from test_smtp import start as smtp_start
from test_pop3 import PW, USER, pop_server
from imaputil import PASSWORD, start as imap_start


def ctx():
    return ssl._create_unverified_context()


class Plain:
    """Line reader over a plain socket that can later be wrapped in TLS."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 15)
        self.f = self.sock.makefile("rb")

    def line(self):
        return self.f.readline()

    def tls(self):
        # the server sends nothing after its go-ahead until the handshake,
        # so the buffered reader holds no TLS bytes
        t = ctx().wrap_socket(self.sock)
        return t, t.makefile("rb")

    def close(self):
        self.sock.close()


def smtp_reply(f):
    while True:
        ln = f.readline()
        if ln[3:4] != b"-":
            return int(ln[:3]), ln


# ---- plaintext injected after the STARTTLS line -----------------------------

def test_smtp_rcpt_pipelined_after_starttls_is_not_executed(make_server):
    s = smtp_start(make_server)
    p = Plain(s.ports["smtp"])
    assert p.line().startswith(b"220 ")
    p.sock.sendall(b"EHLO c.example\r\n")
    assert smtp_reply(p.f)[0] == 250
    # (STARTTLS is refused inside a mail transaction, so none is open; an
    # executed RCPT would answer 503 where our NOOP expects 250)
    p.sock.sendall(b"STARTTLS\r\nRCPT TO:<injected@test.example>\r\n")
    assert smtp_reply(p.f)[0] == 220
    t, f = p.tls()
    # the first answer inside TLS is to our own NOOP, not to the RCPT
    t.sendall(b"NOOP\r\n")
    code, ln = smtp_reply(f)
    assert code == 250 and b"2.0.0" in ln
    # no transaction survived the switch: RCPT needs EHLO and MAIL again
    t.sendall(b"RCPT TO:<user1@test.example>\r\n")
    assert smtp_reply(f)[0] == 503
    t.sendall(b"QUIT\r\n")
    assert smtp_reply(f)[0] == 221
    t.close()
    assert s.wait_log(r"discarded \d+ bytes pipelined after STARTTLS")
    assert "injected@test.example" not in s.log_text()


def test_pop_user_pipelined_after_stls_is_not_executed(make_server):
    s = pop_server(make_server)
    p = Plain(s.ports["pop3"])
    assert p.line().startswith(b"+OK")
    p.sock.sendall(b"STLS\r\nUSER injected\r\n")
    first = p.line()
    if first.startswith(b"+OK"):
        # had the server gone ahead, the USER must not be answered in TLS
        t, f = p.tls()
    else:
        # refused in plaintext; the USER is then answered in plaintext,
        # which is no injection -- and a clean STLS forgets it
        assert first.startswith(b"-ERR")
        assert p.line().startswith((b"+OK", b"-ERR"))
        p.sock.sendall(b"STLS\r\n")
        assert p.line().startswith(b"+OK")
        t, f = p.tls()
    t.sendall(b"PASS " + PW.encode() + b"\r\n")
    assert f.readline() == b"-ERR send USER first\r\n"
    t.sendall(b"NOOP\r\n")
    assert f.readline().startswith(b"-ERR")      # still AUTHORIZATION
    t.sendall(b"USER " + USER.encode() + b"\r\n")
    assert f.readline().startswith(b"+OK")
    t.sendall(b"PASS " + PW.encode() + b"\r\n")
    assert f.readline().startswith(b"+OK")
    t.sendall(b"QUIT\r\n")
    assert f.readline().startswith(b"+OK")
    t.close()
    assert s.wait_log(r"STLS with pipelined input refused")
    assert "injected" not in s.log_text().split("TLS started")[-1]


def test_imap_login_pipelined_after_starttls_is_not_executed(make_server):
    s = imap_start(make_server)
    p = Plain(s.ports["imap"])
    assert p.line().startswith(b"* OK")
    p.sock.sendall(b"a STARTTLS\r\nb LOGIN user1 " + PASSWORD.encode()
                   + b"\r\n")
    first = p.line()
    if first.startswith(b"a OK"):
        t, f = p.tls()
    else:
        assert first.startswith(b"a BAD")
        # b LOGIN is answered in plaintext (refused or not), not in TLS
        while True:
            ln = p.line()
            assert ln
            if ln.startswith(b"b "):
                break
        # start over on a fresh connection for the TLS part: a plaintext
        # login may have succeeded, and that is not what is tested here
        p.close()
        p = Plain(s.ports["imap"])
        assert p.line().startswith(b"* OK")
        p.sock.sendall(b"a STARTTLS\r\n")
        assert p.line().startswith(b"a OK")
        t, f = p.tls()
    t.sendall(b"c NOOP\r\n")
    ln = f.readline()
    while ln.startswith(b"* "):
        ln = f.readline()
    assert ln.startswith(b"c OK"), ln          # not "b ..."
    t.sendall(b"d SELECT INBOX\r\n")
    ln = f.readline()
    while ln.startswith(b"* "):
        ln = f.readline()
    assert ln.startswith(b"d BAD") or ln.startswith(b"d NO"), ln
    t.sendall(b"e LOGOUT\r\n")
    t.close()
    assert s.wait_log(r"STARTTLS with pipelined input")


def test_plaintext_after_go_ahead_breaks_handshake(make_server):
    """Plaintext sent after the go-ahead, where the ClientHello belongs,
    fails the handshake; nothing of it is executed."""
    s = smtp_start(make_server)
    p = Plain(s.ports["smtp"])
    assert p.line().startswith(b"220 ")
    p.sock.sendall(b"EHLO c.example\r\n")
    assert smtp_reply(p.f)[0] == 250
    p.sock.sendall(b"STARTTLS\r\n")
    assert smtp_reply(p.f)[0] == 220
    p.sock.sendall(b"MAIL FROM:<late@remote.example>\r\n")
    try:
        rest = p.sock.recv(65536)          # an alert or EOF, never a reply
    except OSError:
        rest = b""
    assert not rest.startswith(b"250")
    p.close()
    assert s.wait_log(r"TLS handshake failed")
    assert "late@remote.example" not in s.log_text()


# ---- the reverse: last handshake record + pipelined commands in one write --

def bio_handshake(sock):
    """A TLS client over MemoryBIOs.  Returns (sslobj, outgoing) with the
    client's final handshake flight still unsent in outgoing."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx().wrap_bio(inc, out)
    while True:
        try:
            obj.do_handshake()
            return obj, inc, out
        except ssl.SSLWantReadError:
            data = out.read()
            if data:
                sock.sendall(data)
            chunk = sock.recv(65536)
            assert chunk, "server closed during handshake"
            inc.write(chunk)


def bio_read_until(sock, obj, inc, done):
    """Decrypted input until done(lines) holds; the complete lines."""
    buf = b""
    while True:
        lines = buf.split(b"\r\n")[:-1]
        if done(lines):
            return lines
        try:
            buf += obj.read(65536)
        except ssl.SSLWantReadError:
            chunk = sock.recv(65536)
            assert chunk, "server closed: %r" % buf
            inc.write(chunk)


def bio_lines(sock, obj, inc, n):
    return bio_read_until(sock, obj, inc, lambda ls: len(ls) >= n)[:n]


def test_pop_handshake_and_commands_in_one_write(make_server):
    s = pop_server(make_server)
    p = Plain(s.ports["pop3"])
    assert p.line().startswith(b"+OK")
    p.sock.sendall(b"STLS\r\n")
    assert p.line().startswith(b"+OK")
    obj, inc, out = bio_handshake(p.sock)
    obj.write(b"USER " + USER.encode() + b"\r\nPASS " + PW.encode()
              + b"\r\nSTAT\r\nQUIT\r\n")
    p.sock.sendall(out.read())                 # Finished + 4 commands
    got = bio_lines(p.sock, obj, inc, 4)
    assert got[0].startswith(b"+OK") and got[1].startswith(b"+OK")
    assert got[2] == b"+OK 0 0" and got[3].startswith(b"+OK")
    p.close()


def test_imap_handshake_and_commands_in_one_write(make_server):
    s = imap_start(make_server)
    p = Plain(s.ports["imap"])
    assert p.line().startswith(b"* OK")
    p.sock.sendall(b"a STARTTLS\r\n")
    assert p.line().startswith(b"a OK")
    obj, inc, out = bio_handshake(p.sock)
    obj.write(b"b LOGIN user1 " + PASSWORD.encode() + b"\r\nc NOOP\r\n")
    p.sock.sendall(out.read())
    lines = bio_read_until(p.sock, obj, inc,
                           lambda ls: any(l.startswith(b"c ") for l in ls))
    tagged = [ln for ln in lines if ln[:2] in (b"b ", b"c ")]
    assert tagged[0].startswith(b"b OK") and tagged[1].startswith(b"c OK")
    p.close()


def test_smtp_handshake_and_commands_in_one_write(make_server):
    s = smtp_start(make_server)
    p = Plain(s.ports["smtp"])
    assert p.line().startswith(b"220 ")
    p.sock.sendall(b"EHLO c.example\r\n")
    assert smtp_reply(p.f)[0] == 250
    p.sock.sendall(b"STARTTLS\r\n")
    assert smtp_reply(p.f)[0] == 220
    obj, inc, out = bio_handshake(p.sock)
    obj.write(b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
              b"RCPT TO:<user1@test.example>\r\nQUIT\r\n")
    p.sock.sendall(out.read())
    codes, buf = [], b""
    while len(codes) < 4:
        try:
            buf += obj.read(65536)
        except ssl.SSLWantReadError:
            chunk = p.sock.recv(65536)
            assert chunk, "server closed: %r" % buf
            inc.write(chunk)
        while b"\r\n" in buf:
            ln, buf = buf.split(b"\r\n", 1)
            if ln[3:4] != b"-":
                codes.append(int(ln[:3]))
    assert codes == [250, 250, 250, 221]
    p.close()
