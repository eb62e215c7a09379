# SPDX-License-Identifier: Apache-2.0
"""Online backup (CLI Backup) and restore (tegamid --restore), src/backup/.

The main test sends mail over SMTP from a background thread (bounded in
count and time) while `tegami Backup DIR` runs, notes which messages had
their 250 before the backup began, restores the backup to a new base
directory, starts a server on it and finds every such message in the
mailbox over IMAP, byte for byte, exactly once.  The others check the
refusals: a DIR that is not empty, relative or `..` paths, a DIR inside the
base, a tampered manifest or file, an unlisted file, an incomplete backup,
a non-empty new base; and that a failing backup is a CLI error that leaves
BACKUP-INCOMPLETE, never a quiet success."""

import hashlib
import imaplib
import os
import re
import smtplib
import sqlite3
import subprocess
import threading
import time

from conftest import TEGAMID, CliClient, Server, hold_remote_mail
from storeutil import wait_for
from test_smtp import split_trace

DOMAIN = "test.example"
ACCOUNT = "bk"
PASSWORD = "pw-bk"
RCPT = f"{ACCOUNT}@{DOMAIN}"
REMOTE = "far@remote.example"          # hold_remote_mail(): stays queued
SEND_MAX = 150                         # messages from the sender thread
SEND_SECONDS = 20.0                    # and at most this long


def message(n, tag, big=False, huge=False):
    body = (f"line {n} of {tag} " * 10 + "\r\n") * (n % 7 + 1)
    if huge:                            # > 256 KiB: a body file in the queue
        body += ("z" * 998 + "\r\n") * 300
    elif big or n % 4 == 3:             # > 64 KiB: a body file in the store
        body += ("y" * 998 + "\r\n") * 70
    return (f"From: s{n}@remote.example\r\nTo: {RCPT}\r\n"
            f"Subject: backup {tag} {n}\r\n"
            f"Message-ID: <bk-{tag}-{n}@it.example>\r\n\r\n{body}").encode()


def send(port, rcpts, msg):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
        c.ehlo("backup.example")
        c.mail("s@remote.example")
        for r in rcpts:
            assert c.rcpt(r)[0] == 250
        return c.data(msg)[0]


def start_server(make_server):
    s = make_server(services=["smtp", "imap", "cli"], domain=DOMAIN).start()
    s.tegami("SetClientIPs", "127.0.0.1")
    s.tegami("CreateAccount", ACCOUNT, '{Password="%s";}' % PASSWORD)
    return s


def imap_messages(port):
    """{Message-ID: [texts without our trace fields]} of the INBOX."""
    out = {}
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    try:
        c.login(ACCOUNT, PASSWORD)
        c.select("INBOX", readonly=True)
        typ, data = c.uid("SEARCH", None, "ALL")
        assert typ == "OK"
        for uid in data[0].split():
            typ, d = c.uid("FETCH", uid, "(BODY.PEEK[])")
            assert typ == "OK"
            raw = d[0][1]
            _, rest = split_trace(raw)
            m = re.search(rb"\r\nMessage-ID: (<[^>]+>)\r\n", b"\r\n" + rest)
            out.setdefault(m.group(1).decode() if m else "", []).append(rest)
    finally:
        c.logout()
    return out


def restore(backup, new_base):
    return subprocess.run([TEGAMID, "--restore", backup, "--base", new_base],
                          capture_output=True, text=True, timeout=120)


def manifest(backup):
    with open(os.path.join(backup, "Backup.manifest"), "rb") as f:
        return f.read()


class Sender(threading.Thread):
    """Sends messages one session each until told to stop, SEND_MAX are
    sent or SEND_SECONDS passed; records (id, bytes, time of the 250)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.acked = []
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        end = time.time() + SEND_SECONDS
        for n in range(SEND_MAX):
            if self.stop.is_set() or time.time() > end:
                break
            msg = message(n, "live")
            try:
                code = send(self.port, [RCPT], msg)
            except Exception as e:      # noqa: BLE001 - reported below
                self.errors.append(repr(e))
                continue
            if code == 250:
                self.acked.append((f"<bk-live-{n}@it.example>", msg,
                                   time.time()))


def test_backup_while_receiving_then_restore(make_server, tmp_path):
    s = start_server(make_server)
    hold_remote_mail(s)
    port = s.ports["smtp"]
    sent = {}
    # Before the sender starts: some delivered, some stuck in the queue
    # (remote recipients, large bodies: Queue/bodies files).
    for n in range(6):
        msg = message(n, "pre", huge=(n % 2 == 0))
        assert send(port, [RCPT, REMOTE] if n % 2 == 0 else [RCPT], msg) == 250
        sent[f"<bk-pre-{n}@it.example>"] = msg
    sender = Sender(port)
    sender.start()
    assert wait_for(lambda: len(sender.acked) >= 10, timeout=20), sender.errors
    backup = str(tmp_path / "backup")
    began = time.time()
    rc, out, err = s.tegami("Backup", backup, check=False)
    assert rc == 0, (out, err)
    assert "Files" in out and "Accounts" in out, out
    # a second backup over the TCP CLI, while mail still comes in
    c = CliClient(s.ports["cli"])
    try:
        assert c.login("postmaster", s.postmaster_password()).startswith("200")
        st, data = c.data('Backup "%s"' % (tmp_path / "backup2"))
        assert st.startswith("200"), st
        assert "Files" in (data or ""), data
    finally:
        c.close()
    # The server went on receiving: mail is acknowledged after the start.
    assert wait_for(lambda: any(t > began for _, _, t in sender.acked),
                    timeout=15), sender.errors
    sender.stop.set()
    sender.join(60)
    assert not sender.is_alive()
    for mid, msg, t in sender.acked:
        if t < began:
            sent[mid] = msg
    assert len(sent) >= 16
    assert not os.path.exists(os.path.join(backup, "BACKUP-INCOMPLETE"))
    text = manifest(backup).decode()
    assert text.startswith("Tegami-Backup 1\nStarted ")
    assert re.search(r"^F [0-9a-f]{64} \d+ Queue/queue\.db$", text, re.M)
    assert re.search(r"^F [0-9a-f]{64} \d+ Accounts/bk\.macnt/mail\.db$", text, re.M)
    assert re.search(r"^F [0-9a-f]{64} \d+ Queue/bodies/\S+$", text, re.M), \
        "the queued large bodies are in the backup"
    assert re.search(r"^F [0-9a-f]{64} \d+ Accounts/bk\.macnt/bodies/\S+$", text, re.M)
    assert "ProcessID" not in text and "ControlSocket" not in text
    assert s.wait_log(r"SYSTEM Backup to .*/backup started")
    assert s.wait_log(r"SYSTEM Backup to .*/backup done: \d+ files, \d+ bytes, "
                      r"1 accounts, [1-9]\d* queue bodies")
    s.stop()

    new_base = str(tmp_path / "restored")
    p = restore(backup, new_base)
    assert p.returncode == 0, p.stderr
    assert "restored" in p.stdout
    assert not os.path.exists(os.path.join(new_base, "RESTORE-INCOMPLETE"))
    # The queued messages and their body files came along.
    con = sqlite3.connect(f"file:{new_base}/Queue/queue.db?mode=ro", uri=True)
    try:
        files = [r[0] for r in con.execute(
            "SELECT body_file FROM messages WHERE body_file IS NOT NULL")]
    finally:
        con.close()
    assert files, "messages with body files were queued at the backup"
    for f in files:
        assert os.path.isfile(os.path.join(new_base, "Queue", "bodies", f))

    r = Server(new_base, domain=DOMAIN, services=["imap", "cli"]).start()
    try:
        def complete():
            got = imap_messages(r.ports["imap"])
            return got if all(m in got for m in sent) else None
        got = wait_for(complete, timeout=30) or imap_messages(r.ports["imap"])
        for mid, msg in sent.items():
            assert mid in got, f"{mid} acknowledged before the backup is missing"
            assert len(got[mid]) == 1, f"{mid} stored {len(got[mid])} times"
            assert got[mid][0] == msg, f"{mid} differs"
        # the restored server takes new mail too
        rc, out, _ = r.tegami("ListQueue")
        assert rc == 0
    finally:
        r.stop()


def test_backup_refusals(make_server, tmp_path):
    s = make_server(services=["cli"], domain=DOMAIN).start()
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep").write_text("x")
    cases = [
        (str(full), "not empty"),
        ("relative/backup", "absolute"),
        (str(tmp_path / "a" / ".." / "b"), "'..'"),
        (str(tmp_path) + "//b", "empty component"),
        (os.path.join(s.base, "inside"), "inside the base"),
        (os.path.join(s.base, "Settings"), "inside the base"),
        (str(tmp_path / "missing" / "b"), "does not exist"),
    ]
    for path, why in cases:
        rc, out, err = s.tegami("Backup", path, check=False)
        assert rc != 0, (path, out)
        assert why in (out + err), (path, out, err)
    assert os.listdir(full) == ["keep"]
    assert not os.path.exists(os.path.join(s.base, "inside"))
    assert not os.path.exists(tmp_path / "b")
    # a symbolic link to a folder inside the base
    link = tmp_path / "link"
    os.symlink(s.path("Settings"), link)
    rc, out, err = s.tegami("Backup", str(link / "x"), check=False)
    assert rc != 0 and "inside the base" in out + err, (out, err)
    # over the TCP CLI too
    c = CliClient(s.ports["cli"])
    try:
        assert c.login("postmaster", s.postmaster_password()).startswith("200")
        assert c.cmd('Backup "relative"').startswith("501")
        assert c.cmd("Backup").startswith("501")
    finally:
        c.close()


def test_restore_refusals(make_server, tmp_path):
    s = start_server(make_server)
    assert send(s.ports["smtp"], [RCPT], message(1, "r", big=True)) == 250
    backup = str(tmp_path / "bk")
    assert wait_for(lambda: os.path.exists(
        s.path("Accounts", "bk.macnt", "mail.db")))
    s.tegami("Backup", backup)
    s.stop()
    good = manifest(backup)
    mpath = os.path.join(backup, "Backup.manifest")

    # the new base exists and is not empty
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    p = restore(backup, str(busy))
    assert p.returncode != 0 and "not empty" in p.stderr, p.stderr

    # a tampered manifest line (a size changed)
    lines = good.decode().split("\n")
    i = next(k for k, l in enumerate(lines) if l.startswith("F "))
    f = lines[i].split(" ")
    f[2] = str(int(f[2]) + 1)
    lines[i] = " ".join(f)
    with open(mpath, "wb") as fh:
        fh.write("\n".join(lines).encode())
    p = restore(backup, str(tmp_path / "n1"))
    assert p.returncode != 0 and "checksum" in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "n1")

    # a file's hash changed and the Checksum line made to fit
    lines = good.decode().split("\n")
    f = lines[i].split(" ")
    f[1] = ("0" if f[1][0] != "0" else "1") + f[1][1:]
    lines[i] = " ".join(f)
    body = "\n".join(lines[:-2]) + "\n"          # up to End, without Checksum
    body += "Checksum " + hashlib.sha256(body.encode()).hexdigest() + "\n"
    with open(mpath, "wb") as fh:
        fh.write(body.encode())
    p = restore(backup, str(tmp_path / "n1"))
    assert p.returncode != 0 and "SHA-256 does not match" in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "n1")

    # a manifest cut short
    with open(mpath, "wb") as fh:
        fh.write(good[:len(good) // 2])
    p = restore(backup, str(tmp_path / "n1"))
    assert p.returncode != 0 and "Checksum" in p.stderr, p.stderr

    # a tampered file (same size, one byte changed)
    with open(mpath, "wb") as fh:
        fh.write(good)
    victim = os.path.join(backup, "Accounts", "bk.macnt", "account.settings")
    with open(victim, "rb") as fh:
        data = bytearray(fh.read())
    data[0] ^= 1
    with open(victim, "wb") as fh:
        fh.write(bytes(data))
    p = restore(backup, str(tmp_path / "n2"))
    assert p.returncode != 0 and "SHA-256 does not match" in p.stderr, p.stderr
    data[0] ^= 1
    with open(victim, "wb") as fh:
        fh.write(bytes(data))

    # a file the manifest does not list
    extra = os.path.join(backup, "Settings", "Extra.settings")
    with open(extra, "w") as fh:
        fh.write("{}")
    p = restore(backup, str(tmp_path / "n3"))
    assert p.returncode != 0 and "not in the manifest" in p.stderr, p.stderr
    os.unlink(extra)

    # an incomplete backup
    marker = os.path.join(backup, "BACKUP-INCOMPLETE")
    with open(marker, "w") as fh:
        fh.write("x")
    p = restore(backup, str(tmp_path / "n4"))
    assert p.returncode != 0 and "did not complete" in p.stderr, p.stderr
    os.unlink(marker)

    # no --base
    p = subprocess.run([TEGAMID, "--restore", backup], capture_output=True,
                       text=True, timeout=60,
                       env={k: v for k, v in os.environ.items()
                            if k != "TEGAMI_BASE"})
    assert p.returncode != 0 and "--base" in p.stderr

    # untouched again: restores, and into an existing empty folder
    empty = tmp_path / "empty"
    empty.mkdir()
    p = restore(backup, str(empty))
    assert p.returncode == 0, p.stderr
    assert os.path.isfile(empty / "Accounts" / "bk.macnt" / "mail.db")


def test_failed_backup_leaves_marker(make_server, tmp_path):
    """A body file named by the store but gone (damaged base): the backup
    must fail loudly and leave BACKUP-INCOMPLETE with the reason."""
    s = start_server(make_server)
    assert send(s.ports["smtp"], [RCPT], message(3, "f", big=True)) == 250
    bodies = s.path("Accounts", "bk.macnt", "bodies")
    assert wait_for(lambda: os.path.isdir(bodies) and os.listdir(bodies))
    for name in os.listdir(bodies):
        os.unlink(os.path.join(bodies, name))
    backup = str(tmp_path / "bk")
    rc, out, err = s.tegami("Backup", backup, check=False)
    assert rc != 0
    assert "missing" in out + err, (out, err)
    with open(os.path.join(backup, "BACKUP-INCOMPLETE")) as fh:
        text = fh.read()
    assert "FAILED" in text and "missing" in text
    assert not os.path.exists(os.path.join(backup, "Backup.manifest"))
    assert s.wait_log(r"SYSTEM Backup to .* failed: .*missing")
    p = restore(backup, str(tmp_path / "n"))
    assert p.returncode != 0


def test_backup_to_another_file_system(make_server, tmp_path):
    """Across file systems body files are copied, not linked; the restore
    is the same."""
    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        import pytest
        pytest.skip("no second file system at /dev/shm")
    s = start_server(make_server)
    msgs = {}
    for n in range(4):
        m = message(n, "x", big=True)
        assert send(s.ports["smtp"], [RCPT], m) == 250
        msgs[f"<bk-x-{n}@it.example>"] = m
    bodies = s.path("Accounts", "bk.macnt", "bodies")
    assert wait_for(lambda: os.path.isdir(bodies) and len(os.listdir(bodies)) >= 4)
    import tempfile
    import shutil
    other = tempfile.mkdtemp(prefix="tegami-bk-", dir=shm)
    try:
        backup = os.path.join(other, "bk")
        rc, out, err = s.tegami("Backup", backup, check=False)
        assert rc == 0, (out, err)
        assert re.search(r"Linked\s*=\s*#0;", out), out
        assert re.search(r"Copied\s*=\s*#(1\d|[2-9]\d|\d{3,});", out), out
        s.stop()
        new_base = str(tmp_path / "restored")
        p = restore(backup, new_base)
        assert p.returncode == 0, p.stderr
    finally:
        shutil.rmtree(other, ignore_errors=True)
    r = Server(new_base, domain=DOMAIN, services=["imap", "cli"]).start()
    try:
        got = imap_messages(r.ports["imap"])
        for mid, m in msgs.items():
            assert got.get(mid) == [m], mid
    finally:
        r.stop()
