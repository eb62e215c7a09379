# SPDX-License-Identifier: Apache-2.0
"""Durability of SMTP out: tegamid is killed with SIGKILL while 500 queued
messages are being relayed to a receiver, then restarted; every message
must reach the receiver at least once (a recipient is marked done only
after the 250 to the end of data, so at most the message in flight on each
connection at the kill may arrive twice: a batch this size is relayed over
up to MaxConnectionsPerHost (set to 4 here) connections at once).  The
number of duplicates is printed."""

import re
import smtplib
import time

import pytest

import smtpsink
from test_smtp_out import set_relay, start

pytestmark = pytest.mark.skipif(not smtpsink.HAVE_AIOSMTPD,
                                reason="python3-aiosmtpd is not installed")

N = 500


def message(i):
    return (f"From: user1@test.example\r\nTo: r{i}@remote.example\r\n"
            f"Subject: durability {i}\r\nMessage-ID: <dur-{i}@test.example>\r\n"
            f"\r\nbody {i}\r\n").encode()


def test_kill9_during_relay_loses_nothing(make_server):
    sink = smtpsink.Sink(addr="127.0.1.17", data_delay=0.004).start()
    try:
        s = start(make_server, relay="[127.0.1.18]:%d" % smtpsink.free_port("127.0.1.18"))
        s.tegami("SetClientIPs", "127.0.0.1")
        s.tegami("UpdateModule", "SMTP", "{MaxConnectionsPerHost=4;}")
        with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
            for i in range(N):
                c.sendmail("user1@test.example", [f"r{i}@remote.example"], message(i))
        assert s.wait_log(r"cannot connect: \[127\.0\.1\.18\]")
        set_relay(s, sink.target)
        s.tegami("ReleaseSMTPQueue", "remote.example")
        end = time.time() + 60
        while len(sink.messages) < N // 5 and time.time() < end:
            time.sleep(0.01)
        got_before = len(sink.messages)
        assert 0 < got_before < N, got_before
        s.kill9()
        s.start()
        s.tegami("ReleaseSMTPQueue", "remote.example")
        ids = {}
        end = time.time() + 120
        while time.time() < end:
            with sink.lock:
                msgs = list(sink.messages)
            ids = {}
            for m in msgs:
                mid = re.search(rb"Message-ID: <(dur-\d+)@", m.data).group(1)
                ids[mid] = ids.get(mid, 0) + 1
            if len(ids) >= N:
                break
            time.sleep(0.2)
        missing = N - len(ids)
        dups = sum(n - 1 for n in ids.values())
        print(f"\nkill -9 during relay: {got_before} relayed before the kill, "
              f"{len(msgs)} received in all, {missing} missing, {dups} duplicate(s)")
        assert missing == 0
        assert dups <= 4          # in flight at the kill, one per connection
    finally:
        sink.stop()
