# SPDX-License-Identifier: Apache-2.0
"""The store's header field cache (src/store/store_hdrcache.c, rows made by
src/imap/imap_hdrcache.c): SEARCH header keys, SENT* dates, sizes, SORT and
THREAD answer from it without reading the messages (issue 15).  The answers
must be the ones the header blocks give: each query is run on the cache as
delivery wrote it, after the rows were deleted (the first query fills them
again, as for a store made before the cache), and with every row marked
unusable (ok = 0: every message is read uncached), and all three agree.
The message set has encoded words, missing headers, several From fields,
bad and zoned dates, groups, comments, replies and a body kept in a file.
"""

import imaplib
import os
import sqlite3

import pytest

from conftest import Server
from imaputil import PASSWORD
from storeutil import account_dir


def msg(hdrs, body="hello\r\n"):
    return ("".join(h + "\r\n" for h in hdrs) + "\r\n" + body).encode()


MESSAGES = [
    msg(["From: Alice Example <alice@example.org>", "To: bob@test.example",
         "Cc: Carol <carol@example.net>", "Subject: Lunch plans",
         "Date: Tue, 02 Jan 2024 10:00:00 +0000",
         "Message-ID: <a1@example.org>"]),
    msg(["From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>",
         "To: =?ISO-8859-1?Q?Fran=E7ois?= <fr@example.fr>",
         "Subject: =?UTF-8?B?UmU6IEdyw7zDn2U=?=",
         "Date: Wed, 03 Jan 2024 23:30:00 -0500",
         "Message-ID: <b2@example.de>",
         "In-Reply-To: <a1@example.org>"]),
    msg(["From: first@example.org", "From: second@example.org",
         "To: undisclosed-recipients:;", "Subject: Re: Lunch plans",
         "Date: Thu, 04 Jan 2024 00:30:00 +0200",
         "Message-ID: <c3@example.org>",
         "References: <a1@example.org> <b2@example.de>"]),
    msg(["To: nofrom@test.example", "Subject: no from, no date"]),
    msg(["From: bad-date@example.org", "Subject: Fwd: bad date",
         "Date: not a date at all", "Message-ID: <d4@example.org>"]),
    msg(["From: \"Quoted, Name\" <q@example.org> (a comment)",
         "To: team: x@example.org, y@example.org;",
         "Cc: z@example.org, w@example.org",
         "Subject: [list] Re: Re: nested =?UTF-8?Q?caf=C3=A9?=",
         "Date: 5 Jan 2024 12:00 +0100",
         "Message-ID: <e5@example.org>",
         "References: <c3@example.org>"]),
    msg(["From: <a (c)@ b.org>", "Subject:", "Date: Fri, 05 Jan 2024 "
         "12:00:00 GMT"]),
    msg(["From: Folded", " Name <folded@example.org>",
         "Subject: folded", "\tsubject line",
         "Date: Sat, 06 Jan 2024 08:00:00 +0000",
         "Message-ID: <f6@example.org>",
         "In-Reply-To: <nowhere@example.org>"]),
    msg(["From: bigsender@example.org", "To: bob@test.example",
         "Subject: big one", "Date: Sun, 07 Jan 2024 08:00:00 +0000",
         "Message-ID: <big@example.org>"], "x" * 70 + "\r\n" * 1 +
        ("y" * 78 + "\r\n") * 1200),     # > 64 KB: the body is a file
    msg(["FROM: UPPER@EXAMPLE.ORG", "SUBJECT: (fwd) Upper case fields",
         "DATE: Mon, 08 Jan 2024 01:00:00 +0900",
         "MESSAGE-ID: <UP7@EXAMPLE.ORG>"]),
    msg(["From: =?utf-8?b?5bGx55Sw?= <yamada@example.jp>",
         "Subject: =?utf-8?b?5pel5pys6Kqe?= =?utf-8?b?44Gu5Lu25ZCN?=",
         "Date: Tue, 09 Jan 2024 09:00:00 +0900"]),
    msg(["From: dup@example.org", "Subject: Lunch plans",
         "Date: Tue, 02 Jan 2024 10:00:00 +0000",
         "Message-ID: <a1@example.org>"]),
]

SEARCHES = [
    ["FROM", "alice"], ["FROM", "example.org"], ["FROM", "second"],
    ["FROM", "jürgen"], ["FROM", "<a@b.org>"], ["FROM", "quoted, name"],
    ["FROM", '""'], ["FROM", "folded name"], ["FROM", "山田"],
    ["TO", "bob"], ["TO", "françois"], ["TO", "team"], ["TO", '""'],
    ["CC", "carol"], ["CC", "w@example"], ["CC", '""'],
    ["SUBJECT", "lunch"], ["SUBJECT", "grüße"], ["SUBJECT", '""'],
    ["SUBJECT", "café"], ["SUBJECT", "subject line"], ["SUBJECT", "日本語の"],
    ["HEADER", "Message-ID", "a1@"], ["HEADER", "MESSAGE-ID", "up7"],
    ["HEADER", "Message-ID", '""'], ["HEADER", "Subject", "fwd"],
    ["SENTON", "3-Jan-2024"], ["SENTON", "4-Jan-2024"],
    ["SENTON", "2-Jan-2024"], ["SENTON", "7-Jan-2024"],
    ["SENTON", "8-Jan-2024"], ["SENTBEFORE", "5-Jan-2024"],
    ["SENTSINCE", "5-Jan-2024"], ["NOT", "SENTSINCE", "1-Jan-2000"],
    ["LARGER", "1000"], ["SMALLER", "200"],
    ["OR", "FROM", "alice", "SUBJECT", "big"],
    ["NOT", "FROM", "example"], ["UNSEEN", "SUBJECT", "re"],
    ["FROM", "example.org", "NOT", "TO", "bob", "SENTSINCE", "3-Jan-2024"],
]

SORTS = ["(DATE)", "(REVERSE DATE)", "(ARRIVAL)", "(SIZE)", "(SUBJECT)",
         "(REVERSE SUBJECT)", "(FROM)", "(TO)", "(CC)", "(REVERSE CC DATE)",
         "(FROM SUBJECT REVERSE DATE)"]


def charset_args(args):
    out = []
    for a in args:
        if any(ord(c) > 127 for c in a) or " " in a:
            out.append(b'"' + a.encode() + b'"')
        else:
            out.append(a)
    return out


def answers(m):
    """Every query's answer on the selected INBOX."""
    res = {}
    for q in SEARCHES:
        typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", *charset_args(q))
        assert typ == "OK", (q, data)
        res["SEARCH " + " ".join(q)] = data[0]
    for c in SORTS:
        typ, data = m.uid("SORT", c, "UTF-8", "ALL")
        assert typ == "OK", (c, data)
        res["SORT " + c] = data[0]
        typ, data = m.uid("SORT", c, "UTF-8", "FROM", "example")
        assert typ == "OK", (c, data)
        res["SORT " + c + " FROM example"] = data[0]
    for alg in ("REFERENCES", "ORDEREDSUBJECT"):
        typ, data = m.uid("THREAD", alg, "UTF-8", "ALL")
        assert typ == "OK", (alg, data)
        res["THREAD " + alg] = data[0]
    return res


def db(s):
    return os.path.join(account_dir(s.base, "user1"), "mail.db")


def cache_rows(s, mailbox="INBOX", ok_only=False):
    con = sqlite3.connect(f"file:{db(s)}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(
            "SELECT COUNT(*) FROM hdrcache h JOIN mailboxes b ON "
            "b.id = h.mailbox WHERE b.name = ?" +
            (" AND h.ok = 1" if ok_only else ""), (mailbox,)).fetchone()[0]
    finally:
        con.close()


def with_stopped(s, sql):
    s.stop()
    con = sqlite3.connect(db(s))
    con.execute(sql)
    con.commit()
    con.close()
    s.start()


def imap(s):
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
    m.login("user1", PASSWORD)
    return m


@pytest.fixture
def srv(tmp_path):
    s = Server(str(tmp_path / "base"), services=["cli", "imap"]).start()
    try:
        s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
        m = imap(s)
        for raw in MESSAGES:
            assert m.append("INBOX", None, None, raw)[0] == "OK"
        m.logout()
        yield s
    finally:
        if s.proc is not None:
            s.stop()


def test_cached_equals_filled_equals_uncached(srv):
    # delivery (APPEND) wrote a row for every message
    assert cache_rows(srv, ok_only=True) == len(MESSAGES)
    m = imap(srv)
    m.select("INBOX")
    cached = answers(m)
    m.logout()
    # the answers are not trivially empty
    assert cached["SEARCH FROM alice"] == b"1"
    assert cached["SEARCH FROM second"] == b"3"
    assert cached["SEARCH FROM jürgen"] == b"2"
    assert cached["SEARCH FROM <a@b.org>"] == b"7"
    assert cached["SEARCH SUBJECT grüße"] == b"2"
    # RFC 3501: the date as written, whatever the zone
    assert cached["SEARCH SENTON 3-Jan-2024"] == b"2"
    assert cached["SEARCH SENTON 4-Jan-2024"] == b"3"
    assert cached["SEARCH LARGER 1000"] == b"9"
    assert cached["SEARCH HEADER MESSAGE-ID up7"] == b"10"
    assert cached["SORT (DATE)"].split()[-2:] == [b"4", b"5"]
    # SORT's order itself, from the sizes FETCH reports (ties by number)
    m = imap(srv)
    m.select("INBOX")
    typ, data = m.uid("FETCH", "1:*", "(RFC822.SIZE)")
    sizes = {}
    for d in data:
        f = d.decode().replace("(", " ").replace(")", " ").split()
        sizes[int(f[f.index("UID") + 1])] = int(f[f.index("RFC822.SIZE") + 1])
    m.logout()
    by_size = sorted(sizes, key=lambda u: (sizes[u], u))
    assert [int(x) for x in cached["SORT (SIZE)"].split()] == by_size
    assert len(set(sizes.values())) > 5

    # a store made before the cache: no rows; the first query fills them
    with_stopped(srv, "DELETE FROM hdrcache")
    assert cache_rows(srv) == 0
    m = imap(srv)
    m.select("INBOX")
    filled = answers(m)
    m.logout()
    assert cache_rows(srv, ok_only=True) == len(MESSAGES)
    assert filled == cached

    # every row unusable: each message's header block is read
    with_stopped(srv, "UPDATE hdrcache SET ok = 0")
    m = imap(srv)
    m.select("INBOX")
    uncached = answers(m)
    m.logout()
    assert cache_rows(srv, ok_only=True) == 0     # not filled again
    assert uncached == cached


def test_search_uncached_path_agrees(srv):
    """A BODY key takes the per-message path (whole message read)."""
    m = imap(srv)
    m.select("INBOX")
    for q in SEARCHES:
        typ, fast = m.uid("SEARCH", "CHARSET", "UTF-8", *charset_args(q))
        typ2, slow = m.uid("SEARCH", "CHARSET", "UTF-8", *charset_args(q),
                           "BODY", '""')
        assert typ == typ2 == "OK"
        assert fast == slow, q
    m.logout()


def test_append_expunge_copy_rename(srv):
    m = imap(srv)
    m.select("INBOX")
    n = len(MESSAGES)
    assert m.append("INBOX", None, None, msg(
        ["From: newcomer@example.com", "Subject: fresh arrival",
         "Date: Wed, 10 Jan 2024 10:00:00 +0000"]))[0] == "OK"
    m.noop()
    assert m.uid("SEARCH", "FROM", "newcomer")[1][0] == b"%d" % (n + 1)
    assert m.uid("SORT", "(REVERSE DATE)", "UTF-8", "SENTBEFORE",
                 "1-Jan-2025")[1][0].split()[0] == b"%d" % (n + 1)
    assert cache_rows(srv) == n + 1
    # EXPUNGE removes the rows with the messages
    assert m.uid("STORE", "1:3", "+FLAGS.SILENT", r"(\Deleted)")[0] == "OK"
    assert m.expunge()[0] == "OK"
    assert cache_rows(srv) == n - 2
    assert m.uid("SEARCH", "FROM", "alice")[1][0] == b""
    # COPY: the copies get rows when first searched
    assert m.create("Other")[0] == "OK"
    assert m.uid("COPY", "4:6", "Other")[0] == "OK"
    m.select("Other")
    assert m.uid("SEARCH", "SUBJECT", "\"bad date\"")[1][0] == b"2"
    assert cache_rows(srv, "Other", ok_only=True) == 3
    # RENAME INBOX moves the messages, and their rows follow them
    m.select("Other")
    assert m.rename("INBOX", "Moved")[0] == "OK"
    assert cache_rows(srv, "Moved") == n - 2
    assert cache_rows(srv, "INBOX") == 0
    m.select("Moved")
    assert m.uid("SEARCH", "FROM", "newcomer")[1][0] == b"%d" % (n + 1)
    m.logout()


def test_answers_come_from_the_cache(srv):
    """A row changed behind the server's back shows: the cache is read,
    not the message (the three-way comparison above needs this)."""
    with_stopped(srv, "UPDATE hdrcache SET t_subject = CAST('zzmarker' AS "
                      "BLOB), subject = '' WHERE uid = 9")
    m = imap(srv)
    m.select("INBOX")
    assert m.uid("SEARCH", "SUBJECT", "zzmarker")[1][0] == b"9"
    assert m.uid("SEARCH", "SUBJECT", "\"big one\"")[1][0] == b""
    # an empty base subject: with message 7's, first (ties by number)
    assert m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")[1][0].split()[:2] == \
        [b"7", b"9"]
    # with a BODY key the message itself is read
    assert m.uid("SEARCH", "SUBJECT", "\"big one\"", "BODY", "yyy")[1][0] \
        == b"9"
    m.logout()
