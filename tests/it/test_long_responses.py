# SPDX-License-Identifier: Apache-2.0
"""Long responses (issue 15): on a 120,000-message INBOX every response is
sent whole, however long -- SEARCH, UID SEARCH, ESEARCH, SORT, THREAD, FETCH
of every message, VANISHED, COPYUID, POP3 LIST/UIDL -- and CLI data results
(ListAccounts of 100,000 accounts, ListMailboxes) too.  Before, a response
line over ~256 KiB vanished while the tagged OK said success.

The mailbox is built fast: one message is APPENDed through IMAP, then, with
the server stopped, its row is cloned straight into the account's store
(mail.db) with distinct subjects, message ids and senders, and the mailbox
counters are set as the store would have set them.  The module takes about
40 s on the test machine (most of it in the server's SEARCH/SORT/THREAD).
"""

import imaplib
import os
import poplib
import re
import socket
import sqlite3
import shutil
import tempfile

import pytest

from conftest import CliClient, Server
from imaputil import PASSWORD, Raw

N = 120_000
ACCOUNTS = 100_000
SEED = (b"From: Sender000000 <s000000@example.org>\r\n"
        b"To: user1@test.example\r\n"
        b"Subject: topic000000\r\n"
        b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
        b"Message-ID: <m000000@example.org>\r\n"
        b"\r\n"
        b"body 000000\r\n")


def clone_inbox(adir, n):
    """Clones the single INBOX message into n messages (UIDs 1..n)."""
    con = sqlite3.connect(os.path.join(adir, "mail.db"))
    mb, = con.execute("SELECT id FROM mailboxes WHERE name='INBOX'").fetchone()
    cols = [r[1] for r in con.execute("PRAGMA table_info(messages)")]
    row = dict(zip(cols, con.execute(
        "SELECT * FROM messages WHERE mailbox=? AND uid=1", (mb,)).fetchone()))
    data, fname = con.execute("SELECT data, file FROM bodies WHERE id=?",
                              (row["body"],)).fetchone()
    assert fname is None and data is not None     # stored inline
    data = bytes(data)
    con.execute("DELETE FROM messages WHERE mailbox=?", (mb,))
    con.execute("DELETE FROM bodies WHERE id=?", (row["body"],))
    text_cols = [c for c in ("envelope", "bodystructure", "bodyplain")
                 if c in row]
    other = [c for c in cols if c not in ("id", "uid", "modseq", "body",
                                          "flags", *text_cols)]
    ins_cols = ["mailbox", "uid", "modseq", "flags", "body", *text_cols,
                *[c for c in other if c != "mailbox"]]
    sql = (f"INSERT INTO messages({','.join(ins_cols)}) VALUES "
           f"({','.join('?' * len(ins_cols))})")

    def rows():
        for i in range(1, n + 1):
            tag = b"%06d" % i
            cur = con.execute("INSERT INTO bodies(data) VALUES (?)",
                              (data.replace(b"000000", tag),))
            vals = [mb, i, i + 1, 0, cur.lastrowid]
            for c in text_cols:
                vals.append(row[c].replace("000000", tag.decode())
                            if isinstance(row[c], str) else row[c])
            vals += [row[c] for c in other if c != "mailbox"]
            yield vals
    con.executemany(sql, rows())
    con.execute("UPDATE mailboxes SET uidnext=?, highestmodseq=?, size=?, "
                "recent_uid=? WHERE id=?",
                (n + 1, n + 1, n * len(data), n + 1, mb))
    con.commit()
    con.close()


MAILBOXES = 9_000     # under STORE_MAILBOXES_MAX; long names: > 1 MiB listed
LONG = "-" + "x" * 100


def add_mailboxes(adir, n):
    """n empty mailboxes Folder00000<LONG>.. as the store makes them."""
    con = sqlite3.connect(os.path.join(adir, "mail.db"))
    uv, = con.execute("SELECT MAX(uidvalidity) FROM mailboxes").fetchone()
    con.executemany("INSERT INTO mailboxes(name, uidvalidity) VALUES (?, ?)",
                    (("Folder%05d%s" % (i, LONG), uv + 1 + i)
                     for i in range(n)))
    con.execute("UPDATE meta SET value=? WHERE key='uidvalidity' AND "
                "value < ?", (uv + n, uv + n))
    con.commit()
    con.close()


def clone_accounts(base, n):
    """n accounts u000000.. with every setting at its default: an account
    is its folder (missing settings files read as empty dictionaries)."""
    for i in range(n):
        os.mkdir(os.path.join(base, "Accounts", "u%06d.macnt" % i))


@pytest.fixture(scope="module")
def big():
    # tmpfs when there is one: 100,000 account folders and a 120,000-row
    # store are made and removed in seconds there, minutes on a busy disk
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    base = os.path.join(tempfile.mkdtemp(prefix="tegami-long-", dir=shm),
                        "base")
    s = Server(base, services=["cli", "imap", "pop3"]).start()
    try:
        s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
        m.login("user1", PASSWORD)
        assert m.append("INBOX", None, None, SEED)[0] == "OK"
        m.logout()
        s.stop()
        clone_inbox(os.path.join(base, "Accounts", "user1.macnt"), N)
        add_mailboxes(os.path.join(base, "Accounts", "user1.macnt"),
                      MAILBOXES)
        clone_accounts(base, ACCOUNTS)
        s.start()
        yield s
    finally:
        if s.proc is not None:
            s.stop()
        shutil.rmtree(os.path.dirname(base), ignore_errors=True)


def imap(s):
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=120)
    m._mesg = lambda *a: None
    m.login("user1", PASSWORD)
    return m


def numbers(data):
    return [int(x) for x in data[0].split()]


def test_search_sort_thread(big):
    m = imap(big)
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) == N
    every = list(range(1, N + 1))
    typ, data = m.uid("SEARCH", "UNSEEN")
    assert typ == "OK" and numbers(data) == every
    typ, data = m.search(None, "ALL")
    assert typ == "OK" and numbers(data) == every
    typ, data = m.search(None, "FROM", "example.org")
    assert typ == "OK" and numbers(data) == every
    typ, data = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
    assert typ == "OK" and numbers(data) == every   # ties: mailbox order
    typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
    assert typ == "OK" and numbers(data) == every
    for algo in ("REFERENCES", "ORDEREDSUBJECT"):
        typ, data = m.thread(algo, "UTF-8", "ALL")
        assert typ == "OK"
        assert data[0] == b"".join(b"(%d)" % i for i in every), data[0][:200]
    m.logout()


def test_esearch_and_flags(big):
    m = imap(big)
    m.select("INBOX")
    # mark every other message seen: UNSEEN is then a long sparse list
    typ, data = m.store("1:*", "+FLAGS.SILENT", "(\\Seen)")
    assert typ == "OK"
    odd = ",".join(str(i) for i in range(1, 2001, 2))
    typ, data = m.store(odd, "-FLAGS.SILENT", "(\\Seen)")
    assert typ == "OK"
    # sparse beyond the first 2000: UIDs 2001.. all seen
    typ, data = m.uid("SEARCH", "RETURN", "(ALL COUNT)", "SEEN")
    assert typ == "OK"
    typ, data = m.response("ESEARCH")
    text = data[0].decode()
    assert "COUNT %d" % (N - 1000) in text
    seen = list(range(2, 2001, 2)) + list(range(2001, N + 1))
    assert text.endswith("ALL " + compact(seen))
    typ, data = m.search(None, "UNSEEN")
    assert numbers(data) == list(range(1, 2001, 2))
    # every message unseen again, sparse pattern over the whole mailbox
    typ, data = m.store("1:*", "-FLAGS.SILENT", "(\\Seen)")
    m.logout()


def test_fetch_every_message(big):
    """FETCH of all 120,000 messages: one response each, then OK."""
    r = Raw(big.ports["imap"])
    lines, tagged = r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    lines, tagged = r.cmd("a1", "SELECT INBOX")
    assert tagged.startswith("a1 OK")
    lines, tagged = r.cmd("a2", "UID FETCH 1:* (UID FLAGS RFC822.SIZE)")
    assert tagged.startswith("a2 OK"), tagged
    assert len(lines) == N
    assert lines[-1].startswith(f"* {N} FETCH (UID {N} ")
    # one long line: ESEARCH of a sparse set (every third message)
    sparse = ",".join(str(i) for i in range(1, 6000, 3))
    lines, tagged = r.cmd("a3", f"UID SEARCH RETURN (ALL) UID {sparse}")
    assert tagged.startswith("a3 OK")
    assert lines[0].endswith("ALL " + sparse)
    r.close()


def compact(v):
    out, i = [], 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[j + 1] == v[j] + 1:
            j += 1
        out.append(str(v[i]) if i == j else f"{v[i]}:{v[j]}")
        i = j + 1
    return ",".join(out)


def test_copyuid_vanished_move(big):
    """COPYUID, VANISHED and VANISHED (EARLIER) of 60,000 sparse UIDs
    (each line over 400 KiB)."""
    evens = list(range(2, N + 1, 2))
    odds = list(range(1, N + 1, 2))
    r = Raw(big.ports["imap"])
    r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    r.cmd("a1", "ENABLE QRESYNC")
    for name in ("Half", "Third", "Moved"):
        lines, tagged = r.cmd("a2", f"CREATE {name}")
        assert tagged.startswith("a2 OK")
    r.cmd("a3", "SELECT INBOX")
    lines, tagged = r.cmd("a4", "UID COPY 1:* Half")
    assert re.match(r"a4 OK \[COPYUID \d+ 1:%d 1:%d\] COPY completed$"
                    % (N, N), tagged), tagged[:200]
    lines, tagged = r.cmd("a5", "SELECT Half")
    text = "\n".join(lines)
    uidv = int(re.search(r"UIDVALIDITY (\d+)", text).group(1))
    modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", text).group(1))
    for lo in range(0, len(evens), 3000):
        lines, tagged = r.cmd("a6", "UID STORE %s +FLAGS.SILENT (\\Deleted)"
                              % compact(evens[lo:lo + 3000]))
        assert tagged.startswith("a6 OK")
    lines, tagged = r.cmd("a7", "EXPUNGE")
    assert tagged.startswith("a7 OK")
    assert "* VANISHED " + compact(evens) in lines
    # a sparse source set in the tagged COPYUID
    lines, tagged = r.cmd("a8", "UID COPY 1:* Third")
    assert tagged == "a8 OK [COPYUID %s %s 1:%d] COPY completed" % (
        re.search(r"COPYUID (\d+)", tagged).group(1), compact(odds),
        len(odds)), tagged[:200]
    # VANISHED (EARLIER) at SELECT (RFC 7162 QRESYNC)
    r2 = Raw(big.ports["imap"])
    r2.cmd("b0", f"LOGIN user1 {PASSWORD}")
    r2.cmd("b1", "ENABLE QRESYNC")
    lines, tagged = r2.cmd("b2", f"SELECT Half (QRESYNC ({uidv} {modseq}))")
    assert tagged.startswith("b2 OK")
    assert "* VANISHED (EARLIER) " + compact(evens) in lines
    # and in UID FETCH ... (CHANGEDSINCE m VANISHED)
    lines, tagged = r2.cmd("b3", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE "
                           f"{modseq} VANISHED)")
    assert tagged.startswith("b3 OK")
    assert "* VANISHED (EARLIER) " + compact(evens) in lines
    r2.close()
    # MOVE: COPYUID in an untagged OK, then VANISHED of the sources
    lines, tagged = r.cmd("a9", "UID MOVE 1:* Moved")
    assert tagged.startswith("a9 OK"), tagged
    cu = [ln for ln in lines if ln.startswith("* OK [COPYUID ")]
    assert len(cu) == 1
    assert cu[0].endswith(" %s 1:%d] Moved" % (compact(odds), len(odds)))
    assert "* VANISHED " + compact(odds) in lines
    r.close()


def test_pop_list_uidl(big):
    p = poplib.POP3("127.0.0.1", big.ports["pop3"], timeout=120)
    p.user("user1")
    p.pass_(PASSWORD)
    assert p.stat()[0] == N
    resp, lines, octets = p.list()
    assert resp.startswith(b"+OK") and len(lines) == N
    assert lines[-1].startswith(b"%d " % N)
    resp, lines, octets = p.uidl()
    assert resp.startswith(b"+OK") and len(lines) == N
    assert len({ln.split()[1] for ln in lines}) == N
    p.quit()


def test_cli_long_results(big):
    # over the control socket (build/tegami)
    rc, out, err = big.tegami("ListAccounts")
    assert rc == 0
    assert out.count("=") == ACCOUNTS + 2      # + postmaster, user1
    assert "u099999" in out and "u000000" in out
    # over TCP, both result forms
    with CliClient(big.ports["cli"], timeout=60) as c:
        c.login("postmaster", big.postmaster_password())
        c.send("ListAccounts")
        assert c.readline().startswith("200 data follow")
        body = c.readline()
        assert body.count("=") == ACCOUNTS + 2
        c.send("INLINE")
        c.readline()
        c.send("ListAccounts")
        ln = c.readline()
        assert ln.startswith("201 ") and ln.count("=") == ACCOUNTS + 2


def test_many_mailboxes(big):
    """LIST of 9,000 mailboxes (imaplib) and the CLI's ListMailboxes of them
    (a data result over 1 MiB)."""
    m = imap(big)
    typ, data = m.list('""', "Folder*")
    assert typ == "OK" and len(data) == MAILBOXES
    assert data[-1].decode().endswith('"Folder%05d%s"' % (MAILBOXES - 1,
                                                          LONG))
    typ, data = m.list()
    assert len(data) >= MAILBOXES + 1
    m.logout()
    rc, out, err = big.tegami("ListMailboxes", "user1")
    assert rc == 0 and len(out) > 1024 * 1024
    assert out.count("Folder") == MAILBOXES
    assert "Folder%05d%s" % (MAILBOXES - 1, LONG) in out


def test_deep_references_thread(make_server):
    """Twenty messages whose References chain 20,000 containers: THREAD
    REFERENCES answers (depth bounded at IMAP_THREAD_DEPTH_MAX) instead of
    overflowing the connection thread's stack (five such messages crashed
    the server)."""
    s = make_server(services=["cli", "imap"]).start()
    s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
    m = imap(s)
    for k in range(20):
        refs = " ".join("<r%d@x>" % i for i in range(k * 999, k * 999 + 1000))
        msg = ("Subject: s%d\r\nMessage-ID: <msg%d@x>\r\nReferences: %s"
               "\r\n\r\nb\r\n" % (k, k, refs)).encode()
        assert m.append("INBOX", None, None, msg)[0] == "OK"
    m.select("INBOX")
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK"
    assert sorted(int(x) for x in re.findall(rb"\d+", data[0])) == \
        list(range(1, 21))
    m.logout()
    assert s.proc.poll() is None
