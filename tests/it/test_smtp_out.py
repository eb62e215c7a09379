# SPDX-License-Identifier: Apache-2.0
"""SMTP delivery to remote hosts (src/delivery/smtp_out*.c) against real,
independent receivers: aiosmtpd (with and without STARTTLS) and Postfix's
smtp-sink on 127.0.1.x addresses.  Mail comes in over submission with AUTH
and through build/sendmail, and must arrive byte for byte except the trace
header tegamid adds; per-recipient results, retries, the failure DSN (read
back over IMAP) and connection reuse are checked at the receiver."""

import imaplib
import os
import re
import smtplib
import ssl
import subprocess
import time

import pytest

import smtpsink
from conftest import SENDMAIL

pytestmark = pytest.mark.skipif(not smtpsink.HAVE_AIOSMTPD,
                                reason="python3-aiosmtpd is not installed")

DOMAIN = "test.example"
SERVICES = ["smtp", "submission", "imap", "cli"]

MSG = (b"From: user1@test.example\r\nTo: bob@remote.example\r\n"
       b"Subject: out\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
       b"Message-ID: <out1@test.example>\r\n\r\n"
       b"line one\r\n.leading dot\r\n..two dots\r\n.\r\n"
       b"8bit: \xc3\xa9t\xc3\xa9\r\nlast\r\n")


def start(make_server, relay=None, retry=None, accounts=("user1",)):
    s = make_server(services=SERVICES, domain=DOMAIN)
    if retry is not None:
        # RetrySchedule is read at start: write it before the first start.
        os.makedirs(s.path("Settings"), exist_ok=True)
        with open(s.path("Settings", "QUEUE.settings"), "w") as f:
            f.write("{RetrySchedule=(%s);}" % ",".join('"%s"' % r for r in retry))
    s.start()
    s.tegami("UpdateModule", "SMTP", "{LogLevel=5;}")
    s.tegami("UpdateModule", "QUEUE", "{LogLevel=4;}")
    for a in accounts:
        s.tegami("CreateAccount", a, '{Password="pw-%s";}' % a)
    if relay is not None:
        set_relay(s, relay)
    return s


def set_relay(s, relay):
    s.tegami("UpdateModule", "SMTP", '{RelayHost="%s";}' % relay)


def submit(s, rcpts, data=MSG, sender="user1@test.example"):
    """Sends over submission with AUTH; returns the refused dict."""
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=20) as c:
        c.ehlo("client.example")
        c.starttls(context=ssl._create_unverified_context())
        c.ehlo("client.example")
        c.login("user1", "pw-user1")
        return c.sendmail(sender, rcpts, data)


def strip_trace(data):
    """The message without the Received: field tegamid put on top."""
    lines = data.split(b"\r\n")
    assert lines[0].startswith(b"Received: from "), lines[0]
    i = 1
    while i < len(lines) and lines[i][:1] in (b"\t", b" "):
        i += 1
    return b"\r\n".join(lines[i:])


def imap_inbox(s, user="user1", pw="pw-user1", n=1, timeout=30):
    end = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
        try:
            m.login(user, pw)
            m.select("INBOX")
            typ, data = m.search(None, "ALL")
            ids = data[0].split()
            if len(ids) >= n:
                out = []
                for i in ids:
                    typ, d = m.fetch(i, "(RFC822)")
                    out.append(d[0][1])
                return out
        finally:
            m.logout()
        if time.time() > end:
            raise AssertionError(f"{user}: {len(ids)} messages in INBOX, wanted {n}")
        time.sleep(0.2)


def queue_list(s):
    return s.tegami("ListQueue")[1]


@pytest.fixture
def sinks():
    made = []

    def make(**kw):
        k = smtpsink.Sink(**kw).start()
        made.append(k)
        return k
    yield make
    for k in made:
        k.stop()


def test_relay_byte_for_byte_submission_and_sendmail(make_server, sinks):
    sink = sinks(addr="127.0.1.2")
    s = start(make_server, relay=sink.target)
    assert submit(s, ["bob@remote.example"]) == {}
    got = sink.wait(1)[0]
    assert got.mail_from == "user1@test.example"
    assert got.rcpts == ["bob@remote.example"]
    assert strip_trace(got.data) == MSG
    assert "BODY=8BITMIME" in got.mail_options
    assert any(o.startswith("SIZE=") for o in got.mail_options)
    # The same message through build/sendmail (the Submitted folder).
    p = subprocess.run([SENDMAIL, "--base", s.base, "-i", "-f", "user1@test.example",
                        "carol@remote.example"], input=MSG.replace(b"\r\n", b"\n"),
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    got = sink.wait(2)[1]
    assert got.rcpts == ["carol@remote.example"]
    assert strip_trace(got.data) == MSG
    assert s.wait_log(r"SMTP-\d+\(remote\.example\) queue id \d+: 1 recipient\(s\) "
                      r"relayed to \[127\.0\.1\.2\]:\d+: 250")
    # Done: nothing left in the queue.
    end = time.time() + 10
    while "remote.example" in queue_list(s) and time.time() < end:
        time.sleep(0.1)
    assert "remote.example" not in queue_list(s)


def test_connection_reuse_for_queued_messages(make_server, sinks):
    sink = sinks(addr="127.0.1.4")
    s = start(make_server, relay="[127.0.1.5]:%d" % smtpsink.free_port("127.0.1.5"))
    for i in range(5):
        assert submit(s, ["r%d@remote.example" % i, "x%d@remote.example" % i]) == {}
    # Nobody listens there: every message waits in the queue.
    for i in range(5):
        assert s.wait_log(r"x%d@remote\.example delayed: \[127\.0\.1\.5\]" % i)
    set_relay(s, sink.target)
    s.tegami("ReleaseSMTPQueue", "remote.example")
    got = sink.wait(5)
    assert sink.connections() == 1
    assert sorted(r for m in got for r in m.rcpts) == sorted(
        ["r%d@remote.example" % i for i in range(5)] +
        ["x%d@remote.example" % i for i in range(5)])
    assert all(len(m.rcpts) == 2 for m in got)


def test_large_batch_over_parallel_connections(make_server, sinks):
    """A released queue of 64 messages is cut into slices at message
    boundaries, each relayed over its own connection, at most
    MaxConnectionsPerHost at once; every message arrives once."""
    sink = sinks(addr="127.0.1.6", data_delay=0.01)
    s = start(make_server, relay="[127.0.1.7]:%d" % smtpsink.free_port("127.0.1.7"))
    s.tegami("SetClientIPs", "127.0.0.1")
    s.tegami("UpdateModule", "SMTP", "{MaxConnectionsPerHost=3;}")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        for i in range(64):
            c.sendmail("user1@test.example", ["p%d@remote.example" % i],
                       b"Subject: p%d\r\n\r\nbody\r\n" % i)
    for i in range(64):
        assert s.wait_log(r"p%d@remote\.example delayed: \[127\.0\.1\.7\]" % i)
    set_relay(s, sink.target)
    s.tegami("ReleaseSMTPQueue", "remote.example")
    got = sink.wait(64)
    assert sorted(r for m in got for r in m.rcpts) == sorted(
        "p%d@remote.example" % i for i in range(64))
    assert 1 < sink.connections() <= 3, sink.connections()


def test_mixed_results_5xx_dsn_over_imap(make_server, sinks):
    sink = sinks(addr="127.0.1.6", rcpt_replies={
        "nobody": "550 5.1.1 <nobody@remote.example>: no such user here"})
    s = start(make_server, relay=sink.target)
    assert submit(s, ["ok@remote.example", "nobody@remote.example"]) == {}
    got = sink.wait(1)
    assert got[0].rcpts == ["ok@remote.example"]
    # The failure DSN arrives in the sender's INBOX, quoting the answer.
    dsn = imap_inbox(s)[0]
    assert b"multipart/report" in dsn and b"delivery-status" in dsn
    assert b"Final-Recipient: rfc822; nobody@remote.example" in dsn
    assert b"Action: failed" in dsn
    assert b"Status: 5.1.1" in dsn
    assert b"Diagnostic-Code: smtp; 550 5.1.1 <nobody@remote.example>: no such user here" in dsn
    assert b"ok@remote.example" not in dsn.split(b"delivery-status")[1].split(b"--")[0]
    assert s.wait_log(r"<nobody@remote\.example> refused by \[127\.0\.1\.6\]:\d+: 550 5\.1\.1")


def test_no_dsn_for_null_sender(make_server, sinks):
    sink = sinks(addr="127.0.1.7", rcpt_replies={"nobody": "550 5.1.1 unknown"})
    s = start(make_server, relay=sink.target)
    # Relaying from 127.0.0.1 is for Client IPs.
    s.tegami("SetClientIPs", "127.0.0.1")
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=20) as c:
        c.sendmail("", ["nobody@remote.example", "ok@remote.example"], MSG)
    sink.wait(1)
    assert s.wait_log(r"nobody@remote\.example failed: 550 5\.1\.1")
    time.sleep(1.0)
    assert imap_inbox_count(s) == 0
    assert "DSN" not in queue_list(s)


def imap_inbox_count(s):
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    try:
        m.login("user1", "pw-user1")
        typ, data = m.select("INBOX")
        return int(data[0])
    finally:
        m.logout()


def test_4xx_then_success_on_retry(make_server, sinks):
    sink = sinks(addr="127.0.1.8", data_replies=["451 4.3.0 try again later"])
    s = start(make_server, relay=sink.target, retry=["2s"])
    assert submit(s, ["bob@remote.example"]) == {}
    assert s.wait_log(r"bob@remote\.example delayed: 451 4\.3\.0 try again later")
    got = sink.wait(1, timeout=30)
    assert got[0].rcpts == ["bob@remote.example"]
    assert strip_trace(got[0].data) == MSG
    assert s.wait_log(r"bob@remote\.example delivered")


def test_starttls_opportunistic(make_server, sinks, tmp_path):
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=sink.example"],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(crt), str(key))
    sink = sinks(addr="127.0.1.9", tls_context=ctx)
    s = start(make_server, relay=sink.target)
    assert submit(s, ["bob@remote.example"]) == {}
    got = sink.wait(1)[0]
    assert got.tls
    assert strip_trace(got.data) == MSG
    assert s.wait_log(r"TLS established with \[127\.0\.1\.9\]:\d+: TLSv1\.[23] ")


def test_smtp_sink_postfix(make_server, tmp_path):
    if not smtpsink.have_smtp_sink():
        pytest.skip("Postfix smtp-sink is not installed")
    sink = smtpsink.PostfixSink(str(tmp_path), addr="127.0.1.10").start()
    try:
        s = start(make_server, relay=sink.target)
        for i in range(3):
            assert submit(s, ["p%d@remote.example" % i]) == {}
        files = sink.wait(3)
        for f in files:
            # smtp-sink writes its own header lines and LF line ends.
            assert f.endswith(MSG.replace(b"\r\n", b"\n") + b"\n")
    finally:
        sink.stop()


def test_size_refused_early(make_server, sinks):
    sink = sinks(addr="127.0.1.11", size_limit=1000)
    s = start(make_server, relay=sink.target)
    big = MSG + b"x" * 2000 + b"\r\n"
    assert submit(s, ["big@remote.example"], data=big) == {}
    dsn = imap_inbox(s)[0]
    assert b"552 5.3.4 message size" in dsn
    assert sink.messages == []


def test_warn_after_one_delay_dsn_then_bounce_after(make_server):
    refused = "[127.0.1.12]:%d" % smtpsink.free_port("127.0.1.12")
    s = start(make_server, relay=refused, retry=["1s"])
    s.tegami("UpdateModule", "SMTP", '{WarnAfter = "2s"; BounceAfter = "8s";}')
    assert submit(s, ["slow@remote.example"]) == {}
    dsn = imap_inbox(s, n=1)[0]
    assert b"Action: delayed" in dsn and b"Status: 4." in dsn
    assert b"Final-Recipient: rfc822; slow@remote.example" in dsn
    assert b"127.0.1.12" in dsn          # the last error, quoted
    # Several more failed attempts, then BounceAfter: one failure DSN and
    # no second "delayed" one.
    both = imap_inbox(s, n=2, timeout=40)
    assert len(both) == 2
    assert b"Action: failed" in both[1]
    assert b"expired after" in both[1] and b"BounceAfter" in both[1]
    time.sleep(1.5)
    assert imap_inbox_count(s) == 2
    assert "slow@remote.example" not in queue_list(s)


def test_connections_per_host_limited(make_server, sinks):
    """Three destination queues relayed through one host: with
    MaxConnectionsPerHost 1 the host never sees two transactions at once;
    with 3 it does (so the first check can fail)."""
    s = start(make_server)

    def run(limit, base, domains):
        sink = sinks(addr="127.0.1.%d" % base, data_delay=1.5)
        set_relay(s, "[127.0.1.13]:%d" % smtpsink.free_port("127.0.1.13"))
        s.tegami("UpdateModule", "SMTP", "{MaxConnectionsPerHost = %d;}" % limit)
        for d in domains:
            assert submit(s, ["x@%s.example" % d]) == {}
        for d in domains:
            assert s.wait_log(r"x@%s\.example delayed: \[127\.0\.1\.13\]" % d)
        set_relay(s, sink.target)
        for d in domains:
            s.tegami("ReleaseSMTPQueue", "%s.example" % d)
        sink.wait(3)
        return sink.max_active
    assert run(1, 14, ("d1", "d2", "d3")) == 1
    assert run(3, 15, ("d4", "d5", "d6")) > 1


def test_8bit_converted_smtputf8_refused_dsn_params_passed(make_server, tmp_path):
    """smtp-sink without 8BITMIME (-8): the 8-bit body arrives as
    quoted-printable; without SMTPUTF8 an internationalized recipient fails
    with a DSN; NOTIFY, ORCPT and ENVID are passed on (smtp-sink writes the
    MAIL and RCPT arguments it got into each file)."""
    if not smtpsink.have_smtp_sink():
        pytest.skip("Postfix smtp-sink is not installed")
    sink = smtpsink.PostfixSink(str(tmp_path), addr="127.0.1.16", args=["-8"]).start()
    try:
        s = start(make_server, relay=sink.target)
        with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=20) as c:
            c.ehlo("client.example")
            c.starttls(context=ssl._create_unverified_context())
            c.ehlo("client.example")
            c.login("user1", "pw-user1")
            c.mail("user1@test.example", ["ENVID=env+2D1", "RET=HDRS"])
            c.rcpt("bob@remote.example", ["NOTIFY=SUCCESS,FAILURE",
                                          "ORCPT=rfc822;orig@remote.example"])
            assert c.data(MSG)[0] == 250
        f = sink.wait(1)[0]
        head, _, body = f.partition(b"\n\n")
        # smtp-sink shows xtext decoded.
        assert b"X-Mail-Args: <user1@test.example> RET=HDRS ENVID=env-1\n" in head, head
        assert b"X-Rcpt-Args: <bob@remote.example> NOTIFY=SUCCESS,FAILURE " \
               b"ORCPT=rfc822;orig@remote.example" in head
        assert b"BODY=8BITMIME" not in head
        assert head.endswith(b"\nMessage-ID: <out1@test.example>\nMIME-Version: 1.0"
                             b"\nContent-Transfer-Encoding: quoted-printable")
        assert body == (b"line one\n.leading dot\n..two dots\n.\n"
                        b"8bit: =C3=A9t=C3=A9\nlast\n\n")
        assert b"8bit: =C3=A9t=C3=A9\n" in body
        assert all(b < 0x80 for b in body)
        assert s.wait_log(r"8-bit parts converted to quoted-printable")
        # SMTPUTF8 recipient: the host lacks SMTPUTF8 -> a failure DSN.
        with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=20) as c:
            c.ehlo("client.example")
            c.starttls(context=ssl._create_unverified_context())
            c.ehlo("client.example")
            c.login("user1", "pw-user1")
            c.sendmail("user1@test.example", ["jos\u00e9@remote.example"],
                       b"Subject: u\r\n\r\nx\r\n", mail_options=["SMTPUTF8"])
        dsn = imap_inbox(s)[0]
        assert b"553 5.6.7 the host does not support SMTPUTF8" in dsn
        assert len(sink.files()) == 1
    finally:
        sink.stop()


def test_rcpt_limit_splits_transactions(make_server, sinks):
    """SMTP_OUT_RCPT_MAX (100) recipients per transaction: a message for
    101 recipients at one host goes as two transactions (100 + 1)."""
    sink = sinks(addr="127.0.1.19")
    s = start(make_server, relay=sink.target)
    rcpts = ["r%03d@remote.example" % i for i in range(101)]
    assert submit(s, rcpts) == {}
    got = sink.wait(2)
    assert sorted(len(m.rcpts) for m in got) == [1, 100]
    assert sorted(r for m in got for r in m.rcpts) == rcpts
    assert all(strip_trace(m.data) == MSG for m in got)
    assert sink.connections() == 1


def test_starttls_handshake_failure_falls_back_to_plain(make_server, sinks, tmp_path):
    """Opportunistic TLS: a host whose TLS session fails (it demands a
    client certificate; with TLS 1.3 the client learns it at the first read
    after the handshake) gets the message again without STARTTLS."""
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=sink.example"],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(crt), str(key))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(str(crt))
    sink = sinks(addr="127.0.1.20", tls_context=ctx)
    s = start(make_server, relay=sink.target)
    assert submit(s, ["bob@remote.example"]) == {}
    got = sink.wait(1)[0]
    assert not got.tls
    assert strip_trace(got.data) == MSG
    assert s.wait_log(r"trying \[127\.0\.1\.20\]:\d+ again without TLS")


def test_idle_connection_reused_by_next_batch(make_server, sinks):
    """Messages that arrive one by one, each its own delivery, share one
    connection: it stays open for the next batch to that destination."""
    sink = sinks(addr="127.0.1.21")
    s = start(make_server, relay=sink.target)
    for i in range(3):
        assert submit(s, ["one%d@remote.example" % i]) == {}
        sink.wait(i + 1)
    assert sink.connections() == 1
    assert s.wait_log(r"reusing the connection to \[127\.0\.1\.21\]")
