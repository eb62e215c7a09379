# SPDX-License-Identifier: Apache-2.0
"""Receivers for the SMTP-out tests: a real, independent SMTP server (Python's
aiosmtpd, Debian python3-aiosmtpd) on a 127.0.1.x address, with or without
STARTTLS, that records every transaction (connection, envelope, the exact
bytes received) and answers RCPT/DATA as the test tells it; and Postfix's
smtp-sink as a second, unrelated implementation."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP as AioSMTP
    HAVE_AIOSMTPD = True
except ImportError:          # pragma: no cover - deps.sh installs it
    HAVE_AIOSMTPD = False

SMTP_SINK = "/usr/sbin/smtp-sink"


def free_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


class Received:
    def __init__(self, peer, mail_from, mail_options, rcpts, rcpt_options, data, tls):
        self.peer = peer                  # (ip, port) of the client: one per connection
        self.mail_from = mail_from
        self.mail_options = mail_options
        self.rcpts = rcpts
        self.rcpt_options = rcpt_options
        self.data = data                  # bytes as received, dot-unstuffed
        self.tls = tls


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_reply(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.data_delay:
            # Counts transactions in DATA at once (per-host limits).
            with self.sink.lock:
                self.sink.active += 1
                self.sink.max_active = max(self.sink.max_active, self.sink.active)
            await asyncio.sleep(self.sink.data_delay)
            with self.sink.lock:
                self.sink.active -= 1
        reply = self.sink.data_reply(envelope)
        if reply is not None:
            return reply
        with self.sink.lock:
            self.sink.messages.append(Received(
                session.peer, envelope.mail_from, list(envelope.mail_options),
                list(envelope.rcpt_tos), list(envelope.rcpt_options),
                envelope.original_content, session.ssl is not None))
        return "250 2.0.0 queued as %d" % len(self.sink.messages)


class Sink:
    """aiosmtpd on addr:port.  rcpt_replies: {address or substring: reply}
    (first match); data_replies: a list of replies the next DATAs get (then
    250).  tls_context: offer STARTTLS."""

    def __init__(self, addr="127.0.1.2", port=None, tls_context=None,
                 rcpt_replies=None, data_replies=None, ident="sink",
                 size_limit=None, data_delay=0):
        self.addr = addr
        self.port = port or free_port(addr)
        self.lock = threading.Lock()
        self.messages = []
        self.rcpt_replies = dict(rcpt_replies or {})
        self.data_replies = list(data_replies or [])
        self.data_delay = data_delay
        self.active = 0
        self.max_active = 0
        kw = {}
        if tls_context is not None:
            kw = {"tls_context": tls_context, "require_starttls": False}
        if size_limit is not None:
            kw["data_size_limit"] = size_limit
        self.controller = Controller(_Handler(self), hostname=addr, port=self.port,
                                     ident=ident, server_hostname=ident,
                                     decode_data=False, enable_SMTPUTF8=True,
                                     **kw)

    def rcpt_reply(self, address):
        for k, v in self.rcpt_replies.items():
            if k in address:
                return v
        return None

    def data_reply(self, envelope):
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
        return None

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        try:
            self.controller.stop()
        except Exception:
            pass

    @property
    def target(self):
        return "[%s]:%d" % (self.addr, self.port)

    def wait(self, n, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"sink got {len(self.messages)} messages, wanted {n}")

    def connections(self):
        with self.lock:
            return len({m.peer for m in self.messages})


class PostfixSink:
    """Postfix's smtp-sink writing each message to a file (-d), counting
    connections; -u runs it as root's nobody."""

    def __init__(self, tmpdir, addr="127.0.1.3", port=None, args=()):
        self.addr = addr
        self.port = port or free_port(addr)
        # smtp-sink writes as nobody: a folder it can reach (the test's
        # tmp_path is not), removed by stop().
        self.dir = tempfile.mkdtemp(prefix="tegami-sink-", dir="/tmp")
        os.chmod(self.dir, 0o777)
        self.proc = None
        self.args = list(args)      # "-8": no 8BITMIME ...

    def start(self):
        args = [SMTP_SINK, *self.args, "-d", self.dir + "/%M.", "-u", "nobody", "-c",
                "%s:%d" % (self.addr, self.port), "100"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.time() + 10
        while time.time() < end:
            try:
                with socket.create_connection((self.addr, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not start")

    def files(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, name), "rb") as f:
                out.append(f.read())
        return out

    def wait(self, n, timeout=30.0):
        """The files once n exist and stay the same for 0.2 s: smtp-sink
        creates a file before it has written the whole transaction."""
        end = time.time() + timeout
        last = None
        while time.time() < end:
            f = self.files()
            if len(f) >= n and all(f) and f == last:
                return f
            last = f
            time.sleep(0.2)
        raise AssertionError(f"smtp-sink got {len(self.files())} files, wanted {n}")

    def stop(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def target(self):
        return "[%s]:%d" % (self.addr, self.port)


def have_smtp_sink():
    return os.path.exists(SMTP_SINK) and shutil.which("true") is not None


@pytest.fixture(name="sinks")
def sinks_on_port_25():
    """A factory of aiosmtpd receivers on addr:25 (MX delivery uses the real
    port), all stopped at the end of the test."""
    made = []

    def make(addr, **kw):
        k = Sink(addr=addr, port=25, **kw).start()
        made.append(k)
        return k
    yield make
    for k in made:
        k.stop()
