#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Times SEARCH, SORT and THREAD on a large INBOX (issue 15).

usage: TEGAMI_BUILD=build bench/imap-search-scale.py [MESSAGES] [REPEATS]
       [--dovecot]

Builds a MESSAGES-message INBOX (default 120,000) with the builder of
tests/it/test_long_responses.py (one APPEND, then the row cloned in the
store's database with the server stopped), starts tegamid on loopback and
times each command REPEATS times (default 3) with imaplib; prints the
first and the best time of each, in seconds.

--dovecot: also writes the same MESSAGES messages (the same bytes) into a
Maildir and times the same commands on Dovecot (Debian's dovecot-imapd, run
as root with a private configuration in a temporary folder, on loopback
only; the first SELECT, which builds Dovecot's index, is not timed).
Dovecot's first run of a command reads the messages and fills its cache
file, later runs use that cache: hence both columns.

Everything is bounded: one server at a time, a fixed list of commands, a
300 s socket timeout.
"""
import imaplib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "it"))
os.environ.setdefault("TEGAMI_BUILD", os.path.join(HERE, "..", "build"))

from conftest import Server                     # noqa: E402
from imaputil import PASSWORD                   # noqa: E402
from test_long_responses import SEED, clone_inbox   # noqa: E402

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DOVECOT = "--dovecot" in sys.argv
N = int(ARGS[0]) if len(ARGS) > 0 else 120_000
REPEATS = int(ARGS[1]) if len(ARGS) > 1 else 3

COMMANDS = [
    ("SEARCH FROM", lambda m: m.search(None, "FROM", "s060000")),
    ("SEARCH SUBJECT", lambda m: m.search(None, "SUBJECT", "topic060000")),
    ("SEARCH TO", lambda m: m.search(None, "TO", "nobody")),
    ("SEARCH HEADER MESSAGE-ID",
     lambda m: m.search(None, "HEADER", "Message-ID", "m060000")),
    ("SEARCH SENTSINCE", lambda m: m.search(None, "SENTSINCE", "1-Jan-2025")),
    ("SEARCH LARGER", lambda m: m.search(None, "LARGER", "100000")),
    ("SORT (DATE)", lambda m: m.sort("(DATE)", "UTF-8", "ALL")),
    ("SORT (SUBJECT)", lambda m: m.sort("(SUBJECT)", "UTF-8", "ALL")),
    ("SORT (FROM)", lambda m: m.sort("(FROM)", "UTF-8", "ALL")),
    ("THREAD REFERENCES", lambda m: m.thread("REFERENCES", "UTF-8", "ALL")),
    ("SEARCH BODY", lambda m: m.search(None, "BODY", "\"body 060000\"")),
]


def run(port, label):
    """Times COMMANDS on the INBOX of user1 at 127.0.0.1:port; returns
    {name: (first, best, hits)}."""
    m = imaplib.IMAP4("127.0.0.1", port, timeout=300)
    m._mesg = lambda *a: None
    m.login("user1", PASSWORD)
    t = time.monotonic()
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) == N, data
    print(f"{label}: {N} messages; first SELECT {time.monotonic() - t:.2f} s",
          flush=True)
    res = {}
    for name, fn in COMMANDS:
        times = []
        for _ in range(REPEATS):
            t = time.monotonic()
            typ, data = fn(m)
            times.append(time.monotonic() - t)
            assert typ == "OK", (name, typ, data)
        hits = len(data[0].split()) if data and data[0] else 0
        if name.startswith("THREAD"):
            hits = data[0].count(b"(")
        res[name] = (times[0], min(times), hits)
    m.logout()
    return res


def tegami(top):
    base = os.path.join(top, "base")
    s = Server(base, services=["cli", "imap"])
    try:
        s.start()
        s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
        m.login("user1", PASSWORD)
        assert m.append("INBOX", None, None, SEED)[0] == "OK"
        m.logout()
        s.stop()
        clone_inbox(os.path.join(base, "Accounts", "user1.macnt"), N)
        s.start()
        return run(s.ports["imap"], "tegami")
    finally:
        if s.proc is not None:
            s.stop()


DOVECOT_CONF = """\
base_dir = {top}/run
state_dir = {top}/state
log_path = {top}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {top}/passwd
}}
userdb {{
  driver = passwd-file
  args = {top}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot(top):
    """The same N messages (SEED with its tag replaced, as clone_inbox
    does) in a Maildir; Dovecot on a free loopback port."""
    home = os.path.join(top, "home")
    cur = os.path.join(home, "Maildir", "cur")
    for d in ("new", "tmp", "cur"):
        os.makedirs(os.path.join(home, "Maildir", d))
    for i in range(1, N + 1):
        data = SEED.replace(b"000000", b"%06d" % i)
        with open(os.path.join(cur, "%d.M%dP1.bench,S=%d:2," %
                               (1700000000 + i, i, len(data))), "wb") as f:
            f.write(data)
    uid = 65534     # nobody
    for root, dirs, files in os.walk(home):
        os.chown(root, uid, uid)
        for f in files:
            os.chown(os.path.join(root, f), uid, uid)
    os.chmod(top, 0o755)
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    conf = os.path.join(top, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(DOVECOT_CONF.format(top=top, port=port))
    with open(os.path.join(top, "passwd"), "w") as f:
        f.write(f"user1:{{PLAIN}}{PASSWORD}:{uid}:{uid}::{home}::\n")
    proc = subprocess.Popen(["dovecot", "-F", "-c", conf])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        return run(port, "dovecot")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    if DOVECOT and shutil.which("dovecot") is None:
        sys.exit("--dovecot needs Debian's dovecot-imapd "
                 "(apt-get install dovecot-imapd; bench/imap installs it too)")
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    rows = []
    for name, fn in [("tegami", tegami)] + \
            ([("dovecot", dovecot)] if DOVECOT else []):
        top = tempfile.mkdtemp(prefix=f"{name}-bench-", dir=shm)
        try:
            rows.append((name, fn(top)))
        finally:
            shutil.rmtree(top, ignore_errors=True)
    head = f"{'command':26}"
    for name, _ in rows:
        head += f" {name + ' 1st':>12} {name + ' best':>12}"
    print(head + f" {'hits':>7}")
    for cmd, _ in COMMANDS:
        line = f"{cmd:26}"
        for _, r in rows:
            line += f" {r[cmd][0]:12.3f} {r[cmd][1]:12.3f}"
        hits = {r[cmd][2] for _, r in rows}
        print(line + f" {rows[0][1][cmd][2]:7}" +
              ("" if len(hits) == 1 else f"  (hits differ: {hits})"))


if __name__ == "__main__":
    main()
