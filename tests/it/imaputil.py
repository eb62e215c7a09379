# SPDX-License-Identifier: Apache-2.0
"""Helpers for the IMAP integration tests: a server with an account, imaplib
logins, and a tiny raw-socket IMAP client for IDLE and malformed input."""

import imaplib
import re
import socket
import time

PASSWORD = "secret-1"

MULTIPART = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@test.example>, carol@test.example\r\n"
    b"Cc: dave@example.org\r\n"
    b"Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=\r\n"
    b"Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n"
    b"Message-ID: <m1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"caf=C3=A9 au lait\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    b"\r\n"
    b"AAECAwQFBgcICQ==\r\n"
    b"--XX--\r\n")


def simple(subject, body="hello\r\n", extra=""):
    return (f"From: sender@example.org\r\nTo: user1@test.example\r\n"
            f"Subject: {subject}\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
            f"{extra}\r\n{body}").encode()


def start(make_server, services=("cli", "imap", "imaps"), listen=None):
    s = make_server(services=list(services))
    if listen:
        s.listen.update(listen)
    s.start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    return s


def login(s, user="user1", pw=PASSWORD):
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    m.login(user, pw)
    return m


class Raw:
    """Line-oriented raw IMAP client."""

    def __init__(self, port, addr="127.0.0.1", source=None):
        self.sock = socket.create_connection(
            (addr, port), timeout=30,
            source_address=(source, 0) if source else None)
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self, timeout=30):
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("utf-8", "replace")

    def cmd(self, tag, text):
        """Sends 'tag text' and returns (untagged lines, tagged line)."""
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def until(self, tag, timeout=30):
        lines = []
        while True:
            ln = self.line(timeout)
            if ln.startswith(tag + " "):
                return lines, ln
            lines.append(ln)

    def wait_for(self, pattern, timeout=5.0):
        """Reads lines until one matches pattern (bounded wait)."""
        end = time.time() + timeout
        seen = []
        while time.time() < end:
            try:
                ln = self.line(max(0.05, end - time.time()))
            except socket.timeout:
                break
            seen.append(ln)
            if re.search(pattern, ln):
                return seen
        raise AssertionError(f"{pattern!r} not seen in {seen}")

    def closed(self, timeout=10):
        """True when the server closes the connection (after draining)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()
