# SPDX-License-Identifier: Apache-2.0
"""IMAP IDLE without periodic wake-ups (issue 14, first bullet).

An IDLE session sleeps in one poll() on its socket and its account's change
eventfd.  At the end of every IDLE the session logs (IMAP, Low Level)
"IDLE ended: N wake-up(s), M change notice(s)", where N counts every return
from that poll().  The tests read this line: a session that only receives
DONE woke exactly once, whatever the time it spent in IDLE; a server that
woke its IDLE sessions every slice would log more.  Waits are bounded;
no timing is asserted (the CPU check is a very loose sanity bound)."""

import os
import re
import socket
import ssl
import time

from imaputil import PASSWORD, Raw, simple
from conftest import deliver

SETTINGS = ("{ MaxChannels = 1000; MaxChannelsPerIP = 0; MaxChannelsPerNetwork = 0;"
            " MaxSessionsPerAccount = 250; LogLevel = 4; }")
ENDED = re.compile(r"IDLE ended: (\d+) wake-up\(s\), (\d+) change notice\(s\)")


def start(make_server, services=("cli", "imap", "imaps", "smtp")):
    s = make_server(services=list(services))
    os.makedirs(s.path("Settings"), exist_ok=True)
    with open(s.path("Settings", "IMAP.settings"), "w") as f:
        f.write(SETTINGS)
    s.start()
    for user in ("user1", "user2"):
        s.tegami("CreateAccount", user,
                 '{Password="%s"; PasswordEncryption=clear;}' % PASSWORD)
    return s


def finish(s):
    """Stops the server: a clean exit, and no sanitizer report (ASan build)."""
    assert s.stop() == 0
    with open(s.stderr_path, "rb") as f:
        assert b"Sanitizer" not in f.read()


def idle_session(s, user="user1", port=None):
    r = Raw(port or s.ports["imap"])
    assert r.cmd("a", f'LOGIN {user} "{PASSWORD}"')[1].startswith("a OK")
    assert r.cmd("b", "SELECT INBOX")[1].startswith("b OK")
    r.send("c IDLE\r\n")
    assert r.line().startswith("+ ")
    return r


def done(r):
    r.send("DONE\r\n")
    _, tagged = r.until("c")
    assert tagged == "c OK IDLE terminated"


def ended_lines(s, count, timeout=10.0):
    """The (wake-ups, notices) of the first `count` IDLE ends in the log."""
    end = time.time() + timeout
    while True:
        found = [(int(a), int(b)) for a, b in ENDED.findall(s.log_text())]
        if len(found) >= count or time.time() > end:
            assert len(found) >= count, f"{len(found)} IDLE end lines, {count} expected"
            return found


def wait_messages(s, user, n, timeout=20.0):
    """Bounded wait until user's INBOX holds n messages (seen by STATUS)."""
    r = Raw(s.ports["imap"])
    assert r.cmd("a", f'LOGIN {user} "{PASSWORD}"')[1].startswith("a OK")
    end = time.time() + timeout
    while True:
        lines, _ = r.cmd("b", "STATUS INBOX (MESSAGES)")
        if any(f"MESSAGES {n})" in x for x in lines) or time.time() > end:
            break
        time.sleep(0.05)
    r.cmd("z", "LOGOUT")
    r.close()
    assert any(f"MESSAGES {n})" in x for x in lines), lines


def test_delivery_reaches_idle_client(make_server):
    s = start(make_server)
    a = idle_session(s)
    deliver(s, "user1@test.example", simple("pushed"))
    a.wait_for(r"^\* 1 EXISTS$", timeout=10)
    done(a)
    (wakes, notices), = ended_lines(s, 1)
    assert notices >= 1 and wakes >= 2      # the change, then DONE
    a.close()
    finish(s)


def test_other_account_does_not_wake(make_server):
    s = start(make_server)
    a = idle_session(s, "user1")
    for i in range(3):
        deliver(s, "user2@test.example", simple(f"not for user1 {i}"))
    wait_messages(s, "user2", 3)
    # user2's deliveries are committed; user1's IDLE thread never woke.
    # The pause only gives a periodic waker time to show itself (the
    # count would then be > 1); nothing here depends on its length.
    time.sleep(1)
    done(a)
    (wakes, notices), = ended_lines(s, 1)
    assert (wakes, notices) == (1, 0)
    a.close()
    finish(s)


def test_change_by_another_session_of_the_account(make_server):
    s = start(make_server)
    a = idle_session(s)
    b = Raw(s.ports["imap"])
    assert b.cmd("a", f'LOGIN user1 "{PASSWORD}"')[1].startswith("a OK")
    msg = simple("appended")
    b.send(f"b APPEND INBOX {{{len(msg)}}}\r\n")
    assert b.line().startswith("+")
    b.send(msg + b"\r\n")
    assert b.until("b")[1].startswith("b OK")
    a.wait_for(r"^\* 1 EXISTS$", timeout=10)
    done(a)
    b.cmd("z", "LOGOUT")
    b.close()
    a.close()
    finish(s)


def test_tls_idle_done_pipelined(make_server):
    """DONE in its own TLS record right behind IDLE: the bytes may sit in
    the line reader or inside OpenSSL, where a poll() on the socket would
    not see them; IDLE must still end."""
    s = start(make_server)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", s.ports["imaps"]), timeout=30)
    t = ctx.wrap_socket(raw)
    f = t.makefile("rb")
    assert f.readline().startswith(b"* OK")
    t.sendall(f'a LOGIN user1 "{PASSWORD}"\r\nb SELECT INBOX\r\n'.encode())
    while not f.readline().startswith(b"b OK"):
        pass
    t.sendall(b"c IDLE\r\nDONE\r\n")         # one record
    while not f.readline().startswith(b"c OK IDLE terminated"):
        pass
    t.sendall(b"d IDLE\r\n")
    t.sendall(b"DONE\r\n")                   # two records, back to back
    while not f.readline().startswith(b"d OK IDLE terminated"):
        pass
    t.close()


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
    finish(s)


def test_many_idle_sessions_sleep(make_server):
    n = 200
    s = start(make_server, services=("cli", "imap"))
    sessions = [idle_session(s, f"user{1 + i % 2}") for i in range(n)]
    hz = os.sysconf("SC_CLK_TCK")
    c0 = cpu_ticks(s.proc.pid)
    time.sleep(5)
    used = (cpu_ticks(s.proc.pid) - c0) / hz
    print(f"tegamid CPU over 5 s with {n} IDLE sessions: {used:.2f} s")
    for r in sessions:
        done(r)
    found = ended_lines(s, n)
    # Each session woke exactly once: for its DONE.  A 100 ms slice would
    # have woken each one ~50 times.
    assert found == [(1, 0)] * n
    # Loose sanity bound (a busy server burnt ~0.2 s here; 2.5 s = half a CPU)
    assert used < 2.5
    for r in sessions:
        r.close()
    finish(s)


def test_shutdown_with_idle_sessions(make_server):
    s = start(make_server, services=("cli", "imap"))
    sessions = [idle_session(s) for _ in range(20)]
    finish(s)                                # within stop()'s bound
    for r in sessions:
        assert r.closed(timeout=10)
        r.close()
