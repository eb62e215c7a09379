# SPDX-License-Identifier: Apache-2.0
"""Fault injection through tegamid (TEGAMI_FAULT, src/lib/fault.h): the Nth
fsync after start-up fails.  Each message is sent in its own session and
delivered before the next, so after a warm-up (queue and account store
exist) the fsyncs per message come in a fixed order: the queue's commit of
the received message, the store's body file, its directory and its commit
(local delivery), and the queue's record of the delivery.  N runs over a
range that covers each of them in the first messages, so the test does not
depend on the exact count: across the range some session must see its
commit fail and some fault must show in the log.

A session whose message was not committed gets a 4xx, never a 250; the
server goes on and answers the next session; and after a restart without
faults every message that got 250 is in the mailbox exactly once, byte for
byte (a failed store commit is retried, a lost record of a delivery is a
duplicate the store recognises by queue id)."""

import re
import smtplib
import time

from storeutil import inbox, wait_for
from test_smtp import split_trace, start

ACCOUNT = "fault"
RCPT = f"{ACCOUNT}@test.example"
SESSIONS = 4
# about five fsyncs per message after the warm-up: 5..16 hits each kind
NTH = range(5, 17)
FAULT_LOG = re.compile(r"disk I/O error|Input/output error")


def message(n, tag):
    body = (f"line {n} " * 20 + "\r\n") * (n + 1)
    if n % 3 == 2:                    # a body file in the store and queue
        body += ("x" * 998 + "\r\n") * 80
    return (f"From: s{n}@remote.example\r\nTo: {RCPT}\r\n"
            f"Subject: fault {tag} {n}\r\n"
            f"Message-ID: <fault-{tag}-{n}@it.example>\r\n\r\n{body}").encode()


def send(port, msg):
    """One session, one message: the DATA reply code."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
        c.ehlo("fault.example")
        c.mail("s@remote.example")
        assert c.rcpt(RCPT)[0] == 250
        return c.data(msg)[0]


def stored(s):
    """{Message-ID: [stored texts without our trace fields]}"""
    out = {}
    for m in inbox(s, ACCOUNT):
        _, rest = split_trace(m)
        mid = re.search(rb"\r\nMessage-ID: (<[^>]+>)\r\n", b"\r\n" + rest)
        out.setdefault(mid.group(1).decode() if mid else "", []).append(rest)
    return out


def run_with_fault(s, nth):
    """Restarts s with the nth fsync failing, sends SESSIONS messages;
    returns {Message-ID: (code, bytes)}."""
    s.stop()
    s.env = {"TEGAMI_FAULT": f"fsync:{nth}"}
    s.start()
    assert s.wait_log(rf"SYSTEM fault injection armed: fsync:{nth} "
                      r"\(testing only\)")
    sent = {}
    for n in range(SESSIONS):
        msg = message(n, f"n{nth}")
        mid = f"<fault-n{nth}-{n}@it.example>"
        before = len(inbox(s, ACCOUNT))
        code = send(s.ports["smtp"], msg)
        assert code == 250 or 400 <= code < 500, code
        sent[mid] = (code, msg)
        if code == 250:           # delivered (or retried) before the next
            wait_for(lambda: mid in stored(s), timeout=5)
        else:
            assert len(inbox(s, ACCOUNT)) == before
        time.sleep(0.3)           # the queue records the delivery
    assert s.proc.poll() is None, "tegamid died"
    log = s.log_text().split(f"fault injection armed: fsync:{nth}")[-1]
    return sent, bool(FAULT_LOG.search(log))


def test_failed_fsync_loses_no_acknowledged_message(make_server):
    s = start(make_server, accounts=(ACCOUNT,), log_level=3)
    s.tegami("UpdateModule", "QUEUE", '{RetrySchedule=("1s");}')
    assert send(s.ports["smtp"], message(0, "warm")) == 250
    assert wait_for(lambda: len(inbox(s, ACCOUNT)) == 1)
    sent = {}
    visible = 0
    for nth in NTH:
        got, seen = run_with_fault(s, nth)
        sent.update(got)
        visible += seen
    refused = [m for m, (c, _) in sent.items() if c != 250]
    assert refused, "no session saw its commit fail"
    assert visible >= 3, f"only {visible} faults showed in the log"

    s.stop()
    s.env = {}
    s.start()
    acked = {m: b for m, (c, b) in sent.items() if c == 250}
    assert wait_for(lambda: set(acked) <= set(stored(s)), timeout=30), \
        f"missing: {set(acked) - set(stored(s))}\n" + s.log_text()[-3000:]
    time.sleep(1.5)               # a retry that would store a copy
    got = stored(s)
    for mid, msg in acked.items():
        assert len(got[mid]) == 1, f"{mid} stored {len(got[mid])} times"
        assert got[mid][0] == msg, f"{mid} differs"
    for mid in refused:
        assert len(got.get(mid, [])) <= 1
    assert s.proc.poll() is None
