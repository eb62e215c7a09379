# SPDX-License-Identifier: Apache-2.0
"""Reads an account's mail store directly (tests only), before IMAP exists.

The store (src/store/store.c) keeps one SQLite database per account,
<account folder>/mail.db: table mailboxes(id, name, ...), messages(mailbox,
uid, body, ...) and bodies(id, data BLOB, file TEXT) where a body is either
inline in `data` or in the file <account folder>/bodies/<file>.  The database
is opened read-only (uri mode=ro), so a running server is not disturbed.
"""

import time
import os
import sqlite3


def account_dir(base, account, domain=None):
    """The folder of account in the main domain (domain None) or another one."""
    if domain is None:
        return os.path.join(base, "Accounts", account + ".macnt")
    return os.path.join(base, "Domains", domain, account + ".macnt")


def _connect(adir):
    path = os.path.join(adir, "mail.db")
    if not os.path.exists(path):
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    return con


def messages(adir, mailbox="INBOX"):
    """[(uid, bytes)] of mailbox in UID order; [] when the store or mailbox
    does not exist yet."""
    con = _connect(adir)
    if con is None:
        return []
    try:
        try:
            row = con.execute("SELECT id FROM mailboxes WHERE name = ?",
                              (mailbox,)).fetchone()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):     # the store is being created
                return []
            raise
        if row is None:
            return []
        out = []
        for uid, data, fname in con.execute(
                "SELECT m.uid, b.data, b.file FROM messages m JOIN bodies b ON b.id = m.body"
                " WHERE m.mailbox = ? ORDER BY m.uid", (row[0],)):
            if fname:
                with open(os.path.join(adir, "bodies", fname), "rb") as f:
                    data = f.read()
            out.append((uid, bytes(data)))
        return out
    finally:
        con.close()


def bodies(adir, mailbox="INBOX"):
    """The stored messages' bytes in UID order."""
    return [b for _, b in messages(adir, mailbox)]


def split_message(raw):
    """(header block without the final blank line, body) of CRLF bytes."""
    i = raw.find(b"\r\n\r\n")
    if i < 0:
        return raw, b""
    return raw[:i + 2], raw[i + 4:]


def header_fields(header_block):
    """[(name, whole field bytes incl. folded lines and CRLF)]."""
    fields = []
    for line in header_block.split(b"\r\n")[:-1] if header_block.endswith(b"\r\n") \
            else header_block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, text = fields[-1]
            fields[-1] = (name, text + line + b"\r\n")
        else:
            fields.append((line.split(b":", 1)[0].strip().lower().decode("latin-1"),
                           line + b"\r\n"))
    return fields


def wait_for(fn, timeout=15.0):
    """fn()'s first true value within timeout (polled), else its last."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return fn()


def inbox(s, account):
    """The INBOX messages of an account of server s, in UID order."""
    return bodies(account_dir(s.base, account))


def wait_inbox(s, account, n):
    """Waits until the account's INBOX holds at least n messages."""
    assert wait_for(lambda: len(inbox(s, account)) >= n), \
        f"{account}: {len(inbox(s, account))} messages, expected {n}\n" + s.log_text()[-3000:]
    return inbox(s, account)
