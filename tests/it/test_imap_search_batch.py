# SPDX-License-Identifier: Apache-2.0
"""SEARCH with header keys, SORT and THREAD read the header blocks of many
messages in batches (one store query per batch) instead of one store read
per message (issue 15).  These tests check the answers over more than one
batch, with a body kept in a file (its header read alone), an encoded-word
subject, expunged holes in the view, and that the batched path agrees with
the per-message path (a BODY key forces the latter).
"""

import imaplib
import os

import pytest

from conftest import Server
from imaputil import PASSWORD
from test_long_responses import SEED, clone_inbox

N = 2500            # more than two batches of 1000

BIG = (b"From: Big Sender <big@example.net>\r\n"
       b"To: user1@test.example\r\n"
       b"Subject: =?UTF-8?Q?gro=C3=9Fe_Datei?=\r\n"
       b"Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n"
       b"Message-ID: <big@example.net>\r\n"
       b"\r\n" + b"body xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n" * 3000)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("batch") / "base")
    s = Server(base, services=["cli", "imap"]).start()
    try:
        s.tegami("CreateAccount", "user1", '{Password="%s";}' % PASSWORD)
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
        m.login("user1", PASSWORD)
        assert m.append("INBOX", None, None, SEED)[0] == "OK"
        m.logout()
        s.stop()
        clone_inbox(os.path.join(base, "Accounts", "user1.macnt"), N)
        s.start()
        m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
        m.login("user1", PASSWORD)
        assert m.append("INBOX", None, None, BIG)[0] == "OK"   # UID N+1
        m.logout()
        yield s
    finally:
        if s.proc is not None:
            s.stop()


def imap(s):
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=60)
    m.login("user1", PASSWORD)
    return m


def nums(m, *args, uid=False):
    typ, data = m.uid(*args) if uid else m._simple_command(*args)
    if not uid:
        typ, data = m._untagged_response(typ, data, args[0])
    assert typ == "OK", (args, data)
    return [int(x) for x in data[0].split()] if data[0] else []


def test_header_keys_over_batches(srv):
    m = imap(srv)
    assert int(m.select("INBOX")[1][0]) == N + 1
    assert nums(m, "SEARCH", "FROM", "s001000") == [1000]
    assert nums(m, "SEARCH", "SUBJECT", "topic002345") == [2345]
    assert nums(m, "SEARCH", "HEADER", "Message-ID", "m002000") == [2000]
    assert nums(m, "SEARCH", "TO", "USER1@TEST") == list(range(1, N + 2))
    # the big message's body lives in a file: its header is read alone
    assert nums(m, "SEARCH", "FROM", "big@example.net") == [N + 1]
    # decoded RFC 2047 words, as before
    assert nums(m, "SEARCH", "CHARSET", "UTF-8", "SUBJECT",
                b'"gro\xc3\x9fe"') == [N + 1]
    assert nums(m, "SEARCH", "SENTON", "2-Jan-2024") == [N + 1]
    assert nums(m, "SEARCH", "NOT", "SENTON", "1-Jan-2024") == [N + 1]
    assert nums(m, "SEARCH", "OR", "SUBJECT", "topic000007",
                "FROM", "s002499") == [7, 2499]
    assert nums(m, "SEARCH", "UID", "1500:*", "FROM", "s0015") == \
        list(range(1500, 1600))
    assert nums(m, "SEARCH", "FROM", "nobody-at-all") == []
    m.logout()


def test_batched_agrees_with_per_message(srv):
    m = imap(srv)
    m.select("INBOX")
    for key in (("SUBJECT", "topic0023"), ("FROM", "s0019"),
                ("HEADER", "Date", "2024"), ("SENTSINCE", "2-Jan-2024")):
        fast = nums(m, "SEARCH", *key)
        slow = nums(m, "SEARCH", *key, "BODY", "body")
        assert fast == slow and fast, key
    m.logout()


def test_sort_thread_sparse_and_with_holes(srv):
    m = imap(srv)
    m.select("INBOX")
    typ, data = m.sort("(REVERSE SUBJECT)", "UTF-8", "OR", "SUBJECT",
                       "topic000007", "SUBJECT", "topic002400")
    assert typ == "OK" and data[0].split() == [b"2400", b"7"]
    typ, data = m.sort("(REVERSE DATE)", "UTF-8", "UID", "2499:*")
    assert typ == "OK" and data[0].split() == [b"2501", b"2499", b"2500"]
    typ, data = m.sort("(FROM)", "UTF-8", "UID", "2499:*")
    assert typ == "OK" and data[0].split() == [b"2501", b"2499", b"2500"]
    # expunge 1001..1010: the view has a hole in its UIDs
    assert m.uid("STORE", "1001:1010", "+FLAGS.SILENT", r"(\Deleted)")[0] \
        == "OK"
    assert m.expunge()[0] == "OK"
    assert nums(m, "SEARCH", "FROM", "s001005") == []
    assert nums(m, "SEARCH", "FROM", "s001011") == [1001]
    assert nums(m, "SEARCH", "FROM", "s001011", uid=True) == [1011]
    typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "UID", "999:1012")
    assert typ == "OK" and data[0].split() == [b"999", b"1000", b"1011",
                                               b"1012"]
    typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "UID", "999:1012")
    assert typ == "OK" and data[0] == b"(999)(1000)(1001)(1002)"
    m.logout()
