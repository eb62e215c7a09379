# SPDX-License-Identifier: Apache-2.0
"""Crash safety of SMTP receiving: 20 parallel sessions send a bounded load,
tegamid is killed with SIGKILL in the middle and restarted; every message
that got "250" is then in its mailbox exactly once (the 250 is written only
after the queue's fsync), and no message is stored twice."""

import re
import smtplib
import threading
import time


from test_smtp import inbox_messages, start

THREADS = 20
PER_THREAD = 200          # messages at most per session
SEND_SECONDS = 10.0       # and at most this long
ACCOUNTS = ["c0", "c1", "c2", "c3"]


def sender(port, tid, acked, stop):
    rcpt = f"{ACCOUNTS[tid % len(ACCOUNTS)]}@test.example"
    end = time.time() + SEND_SECONDS
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=10)
        c.ehlo(f"t{tid}.example")
        for n in range(PER_THREAD):
            if stop.is_set() or time.time() > end:
                break
            mid = f"<crash-{tid}-{n}@it.example>"
            msg = (f"From: t{tid}@remote.example\r\nTo: {rcpt}\r\n"
                   f"Subject: crash {tid} {n}\r\nMessage-ID: {mid}\r\n\r\n"
                   f"body {tid} {n}\r\n").encode()
            c.mail(f"t{tid}@remote.example")
            if c.rcpt(rcpt)[0] != 250:
                break
            code, _ = c.data(msg)
            if code == 250:
                acked.append((rcpt.split("@")[0], mid))
            else:
                break
    except (OSError, smtplib.SMTPException):
        pass                 # the server died under us: expected


def message_ids(s):
    ids = {}
    for a in ACCOUNTS:
        for m in inbox_messages(s, a):
            for mid in re.findall(rb"\r\nMessage-ID: (<crash-[^>]+>)\r\n", m):
                ids.setdefault(mid.decode(), []).append(a)
    return ids


def test_kill9_during_load_loses_no_acknowledged_message(make_server):
    s = start(make_server, accounts=ACCOUNTS, log_level=2)
    acked = []
    stop = threading.Event()
    threads = [threading.Thread(target=sender,
                                args=(s.ports["smtp"], i, acked, stop))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    # kill once a good part of the load is in flight (bounded wait)
    end = time.time() + 5
    while len(acked) < 1000 and time.time() < end:
        time.sleep(0.02)
    s.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    n_acked = len(acked)
    assert n_acked > 0
    print(f"acknowledged before the kill: {n_acked}")
    s.start()
    want = {mid: a for a, mid in acked}
    end = time.time() + 30
    ids = {}
    while time.time() < end:
        ids = message_ids(s)
        if all(mid in ids for mid in want):
            break
        time.sleep(0.2)
    missing = [mid for mid in want if mid not in ids]
    assert not missing, f"{len(missing)} of {n_acked} acknowledged messages lost"
    dups = {mid: where for mid, where in ids.items() if len(where) > 1}
    assert not dups, f"stored more than once: {list(dups)[:5]}"
    for mid, a in want.items():
        assert ids[mid] == [a]
