# SPDX-License-Identifier: Apache-2.0
"""Literal injection (issue 15): a literal the server cannot accept must never
have its bytes read as commands.  A non-synchronising literal ({n+}, RFC 7888)
that is refused gets "BAD [TOOBIG]" and "* BYE" and the connection ends; a
synchronising one ({n}) gets "NO [TOOBIG]" without the "+" continuation and
the session goes on.  Every size at and past each limit, 2^32, 2^64 and
beyond (20+ digits, leading zeros), in APPEND, LOGIN and other commands'
string arguments.  Raw sockets: imaplib cannot announce a size it does not
send."""

import imaplib

from imaputil import PASSWORD, Raw, login, start

LITERAL_MAX = 64 * 1024   # IMAP_LITERAL_MAX (outside APPEND)
NESTING_MAX = 32          # IMAP_NESTING_MAX

HUGE = [
    "4294967295",                  # 2^32 - 1
    "4294967296",                  # 2^32
    "4294967297",
    "99999999999",                 # 11 digits: the field test's case
    "18446744073709551615",        # 2^64 - 1
    "18446744073709551616",        # 2^64
    "18446744073709551617",
    "99999999999999999999999999999999",
    "0000000000000000000000000099999999999",   # leading zeros
    "1" + "0" * 200,
]

INJECT = b"x1 CREATE injected\r\nx2 CREATE injected2\r\n"


def authed(s):
    r = Raw(s.ports["imap"])
    lines, tagged = r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    assert tagged.startswith("a0 OK")
    return r


def mailboxes(s):
    m = login(s)
    typ, data = m.list()
    m.logout()
    return [d.decode() for d in data]


def no_injection(s):
    names = mailboxes(s)
    assert not any("injected" in n for n in names), names


def refused_and_closed(r, tag):
    assert r.line() == f"{tag} BAD [TOOBIG] Literal too big"
    assert r.line().startswith("* BYE")
    assert r.closed()
    # nothing the client sent after the announcement was answered
    assert b"x1 " not in r.buf and b"x2 " not in r.buf, r.buf


def test_nonsync_huge_append_and_create(make_server):
    s = start(make_server)
    for n in HUGE:
        for cmd in (f"APPEND INBOX {{{n}+}}", f"CREATE {{{n}+}}",
                    f"APPEND INBOX (\\Seen) ~{{{n}+}}"):
            r = authed(s)
            r.send(f"a1 {cmd}\r\n".encode() + INJECT)
            refused_and_closed(r, "a1")
            r.close()
    assert s.wait_log(r"literal of \d+ digits refused")
    assert s.wait_log(r"literal of 4294967296 bytes refused")
    no_injection(s)


def test_nonsync_huge_before_login(make_server):
    s = start(make_server)
    for n in HUGE + [str(LITERAL_MAX + 1)]:
        r = Raw(s.ports["imap"])
        r.send(f"a1 LOGIN {{{n}+}}\r\n".encode() +
               b"x1 LOGIN user1 " + PASSWORD.encode() + b"\r\n" + INJECT)
        refused_and_closed(r, "a1")
        r.close()
    no_injection(s)


def test_sync_huge_no_continuation(make_server):
    s = start(make_server)
    for i, n in enumerate(HUGE):
        r = authed(s)      # a refusal counts as an error (IMAP_ERRORS_MAX)
        for cmd in (f"APPEND INBOX {{{n}}}", f"CREATE {{{n}}}",
                    f"SELECT ~{{{n}}}"):
            tag = f"s{i}"
            r.send(f"{tag} {cmd}\r\n")
            ln = r.line()
            assert not ln.startswith("+"), ln
            assert ln == f"{tag} NO [TOOBIG] Literal too big"
        # still in session
        lines, tagged = r.cmd("z1", "NOOP")
        assert tagged == "z1 OK NOOP completed"
        r.close()
    # before login: the same
    r = Raw(s.ports["imap"])
    r.send("b1 LOGIN {99999999999}\r\n")
    assert r.line() == "b1 NO [TOOBIG] Literal too big"
    lines, tagged = r.cmd("b2", "CAPABILITY")
    assert tagged.startswith("b2 OK")
    r.close()
    no_injection(s)


def test_limits_exactly(make_server):
    s = start(make_server)
    s.tegami("UpdateAccountSettings", "user1", "{MaxMessageSize=1K;}")
    # APPEND: at the account's limit accepted, one past refused
    r = authed(s)
    r.send(b"a1 APPEND INBOX {1024+}\r\n" + b"x" * 1024 + b"\r\n")
    lines, tagged = r.until("a1")
    assert tagged.startswith("a1 OK [APPENDUID")
    r.send(b"a2 APPEND INBOX {1025+}\r\n" + b"x" * 1025 + b"\r\n" + INJECT)
    refused_and_closed(r, "a2")
    r.close()
    # other commands: 64 KiB is accepted (LOGIN reads it, the login fails)
    r = Raw(s.ports["imap"])
    r.send(b"b1 LOGIN user1 {%d+}\r\n" % LITERAL_MAX + b"p" * LITERAL_MAX +
           b"\r\n")
    lines, tagged = r.until("b1")
    assert tagged.startswith("b1 NO")
    r.send(b"b2 LOGIN user1 {%d}\r\n" % (LITERAL_MAX + 1))
    assert r.line() == "b2 NO [TOOBIG] Literal too big"
    r.send(b"b3 LOGIN user1 {%d}\r\n" % LITERAL_MAX)
    assert r.line().startswith("+ ")
    r.send(b"p" * LITERAL_MAX + b"\r\n")
    lines, tagged = r.until("b3")
    assert tagged.startswith("b3 NO")
    r.send(b"b4 LOGIN user1 {%d+}\r\n" % (LITERAL_MAX + 1) +
           b"p" * (LITERAL_MAX + 1) + b"\r\n" + INJECT)
    refused_and_closed(r, "b4")
    r.close()
    no_injection(s)


def test_bad_line_ending_in_nonsync_literal(make_server):
    """A parse error on a line that announces {n+}: the data is coming and
    cannot be told from commands, so BAD and BYE."""
    s = start(make_server)
    r = authed(s)
    deep = "(" * (NESTING_MAX + 1)
    r.send(f"a1 ID {deep} {{19+}}\r\n".encode() + INJECT)
    ln = r.line()
    assert ln.startswith("a1 BAD"), ln
    assert r.line().startswith("* BYE")
    assert r.closed()
    r.close()
    # the synchronising form of the same bad line: BAD, session goes on
    r = authed(s)
    r.send(f"a2 ID {deep} {{19}}\r\n")
    assert r.line().startswith("a2 BAD")
    lines, tagged = r.cmd("a3", "NOOP")
    assert tagged == "a3 OK NOOP completed"
    r.close()
    no_injection(s)


def test_imaplib_after_refusals(make_server):
    """A real client still works after all that; imaplib's own literal
    (APPEND) is accepted."""
    s = start(make_server)
    r = authed(s)
    r.send(b"a1 APPEND INBOX {99999999999+}\r\n" + INJECT)
    refused_and_closed(r, "a1")
    r.close()
    m = login(s)
    typ, data = m.append("INBOX", None, None, b"Subject: hi\r\n\r\nbody\r\n")
    assert typ == "OK"
    m.select("INBOX")
    typ, data = m.search(None, "ALL")
    assert data[0].split() == [b"1"]
    try:
        m.create("injected")   # allowed: it did not exist before
    except imaplib.IMAP4.error:
        raise AssertionError("CREATE failed")
    m.logout()
