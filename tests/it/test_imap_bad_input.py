# SPDX-License-Identifier: Apache-2.0
"""Malformed and hostile IMAP input over raw sockets: unbalanced and huge
literals (checked before the "+", RFC 7888 for non-synchronizing ones), deep
nesting, over-long command lines, invalid sequence sets, 8-bit garbage in
mailbox names, the error limit -- each gets the protocol's own answer, and
another session keeps working."""

from imaputil import PASSWORD, Raw, login, simple, start

ERRORS_MAX = 20          # IMAP_ERRORS_MAX
LITERAL_MAX = 64 * 1024  # IMAP_LITERAL_MAX
LINE_MAX = 64 * 1024     # IMAP_LINE_MAX
NESTING_MAX = 32         # IMAP_NESTING_MAX


def authed(s):
    r = Raw(s.ports["imap"])
    lines, tagged = r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    assert tagged.startswith("a0 OK")
    return r


def still_alive(s):
    m = login(s)
    m.select("INBOX")
    m.noop()
    m.logout()


def test_literal_limits(make_server):
    s = start(make_server)
    s.tegami("UpdateAccountSettings", "user1", "{MaxMessageSize=1K;}")
    r = authed(s)
    # synchronizing: refused before "+", the session goes on
    lines, tagged = r.cmd("a1", "APPEND INBOX {1025}")
    assert tagged == "a1 NO [TOOBIG] Literal too big"
    # a 1024-byte literal is fine: the server asks for it
    r2 = authed(s)
    r2.send("b1 APPEND INBOX {1024}\r\n")
    assert r2.line().startswith("+ ")
    r2.send(b"x" * 1024 + b"\r\n")
    assert r2.until("b1")[1].startswith("b1 OK [APPENDUID")
    # outside APPEND the limit is 64 KiB
    lines, tagged = r2.cmd("b2", "LOGIN {%d}" % (LITERAL_MAX + 1))
    assert tagged == "b2 NO [TOOBIG] Literal too big"
    # non-synchronizing and too big: BAD, then BYE and close (RFC 7888 4)
    r2.send("b3 APPEND INBOX {999999999+}\r\nxxxx")
    assert r2.line() == "b3 BAD [TOOBIG] Literal too big"
    assert r2.line().startswith("* BYE")
    assert r2.closed()
    assert s.wait_log(r"literal of 999999999 bytes refused")
    r.close()
    still_alive(s)


def test_unbalanced_literal_and_disconnect(make_server):
    s = start(make_server)
    r = authed(s)
    r.send("a1 APPEND INBOX {100}\r\n")
    assert r.line().startswith("+ ")
    r.send(b"only a few bytes")
    r.close()
    r = authed(s)
    # literal data then a syntax error after it
    r.send("a2 APPEND INBOX {5}\r\n")
    r.line()
    r.send(b"hello junk)\r\n")
    lines, tagged = r.until("a2")
    assert tagged.startswith("a2 BAD")
    lines, tagged = r.cmd("a3", "NOOP")
    assert tagged == "a3 OK NOOP completed"
    r.close()
    still_alive(s)


def test_nesting_and_line_limits(make_server):
    s = start(make_server)
    r = authed(s)
    lines, tagged = r.cmd("a1", "ID " + "(" * (NESTING_MAX + 1) + ")" * (NESTING_MAX + 1))
    assert tagged == "a1 BAD Too deeply nested parentheses"
    lines, tagged = r.cmd("a4", 'LOGIN "unterminated')
    assert tagged == "a4 BAD Unterminated quoted string"
    lines, tagged = r.cmd("a5", "FROBNICATE")
    assert tagged == "a5 BAD Unknown command"
    r.send("\r\n")
    assert r.line() == "* BAD Missing tag"
    # a line one past the limit loses its tag: BYE and close
    r.send("a2 NOOP " + "a" * (LINE_MAX - 2 - 8 + 1) + "\r\n")
    assert r.line() == "* BYE Command line too long"
    assert r.closed()
    r = authed(s)
    head = 'a3 ID ("name" "'
    lines, tagged = r.cmd("a3", head[3:] + "a" * (LINE_MAX - 2 - len(head) - 2) + '")')
    assert tagged == "a3 OK ID completed"
    r.close()
    still_alive(s)


def test_invalid_sequence_sets(make_server):
    s = start(make_server)
    m = login(s)
    m.append("INBOX", None, None, simple("one"))
    m.logout()
    r = authed(s)
    r.cmd("a1", "SELECT INBOX")
    for i, bad in enumerate(["0", "1:x", "5", "1,,2", "*:0", "4294967296", "$", "-1"]):
        lines, tagged = r.cmd(f"b{i}", f"FETCH {bad} FLAGS")
        assert tagged.startswith(f"b{i} BAD"), (bad, tagged)
    lines, tagged = r.cmd("c1", "UID FETCH 99:* FLAGS")
    assert lines == ["* 1 FETCH (FLAGS (\\Recent) UID 1)"]
    lines, tagged = r.cmd("c2", "UID FETCH 50:60 FLAGS")
    assert lines == [] and tagged.startswith("c2 OK")
    lines, tagged = r.cmd("c3", "FETCH 1 (BODY[1.0])")
    assert tagged.startswith("c3 BAD")
    lines, tagged = r.cmd("c4", "SEARCH 1:2:3")
    assert tagged.startswith("c4 BAD")
    r.close()
    still_alive(s)


def test_8bit_mailbox_names(make_server):
    s = start(make_server)
    r = authed(s)
    r.send(b"a1 CREATE \"caf\xc3\xa9\"\r\n")
    lines, tagged = r.until("a1")
    assert tagged == "a1 BAD Mailbox name is not 7-bit modified UTF-7"
    r.send(b"a2 SELECT \xff\xfe\r\n")
    lines, tagged = r.until("a2")
    assert tagged.startswith("a2 BAD")
    # 7-bit but not valid modified UTF-7: a valid astring that names no
    # mailbox, so NO (as Dovecot and imaptest's "atoms" test expect)
    for i, bad in enumerate(["&Jjo", "&AGE-", "&-&"]):
        lines, tagged = r.cmd(f"b{i}", f'CREATE "{bad}"')
        assert tagged.startswith(f"b{i} NO [CANNOT]"), (bad, tagged)
    lines, tagged = r.cmd("b3", 'SELECT "!#$&\'+,-.:;<=>?@^_`|[}"')
    assert tagged.startswith("b3 NO"), tagged
    lines, tagged = r.cmd("b4", 'LIST "" "&Jjo*"')
    assert tagged == "b4 OK LIST completed" and lines == []
    lines, tagged = r.cmd("b5", 'CREATE "a/*"')
    assert tagged.startswith("b5 BAD"), tagged
    lines, tagged = r.cmd("c1", "CREATE ~peter/&U,BTFw-")
    assert tagged == "c1 OK CREATE completed"
    lines, tagged = r.cmd("c2", 'LIST "" "~peter/*"')
    assert lines == ['* LIST (\\HasNoChildren) "/" "~peter/&U,BTFw-"']
    r.close()
    still_alive(s)


def test_too_many_errors(make_server):
    s = start(make_server)
    r = Raw(s.ports["imap"])
    for i in range(ERRORS_MAX - 1):
        lines, tagged = r.cmd(f"e{i}", "BOGUS")
        assert tagged.startswith(f"e{i} BAD")
    r.send("e99 BOGUS\r\n")
    assert r.line().startswith("e99 BAD")
    assert r.line() == "* BYE Too many errors"
    assert r.closed()
    assert s.wait_log(r"IMAP-\d+\(.*\) too many errors")
    still_alive(s)


def test_commands_in_wrong_state(make_server):
    s = start(make_server)
    r = Raw(s.ports["imap"])
    lines, tagged = r.cmd("a1", "SELECT INBOX")
    assert tagged == "a1 BAD SELECT not allowed before login"
    r.cmd("a2", f"LOGIN user1 {PASSWORD}")
    lines, tagged = r.cmd("a3", "FETCH 1 FLAGS")
    assert tagged == "a3 BAD FETCH not allowed without a selected mailbox"
    lines, tagged = r.cmd("a4", f"LOGIN user1 {PASSWORD}")
    assert tagged == "a4 BAD LOGIN not allowed now"
    lines, tagged = r.cmd("a5", "UID LIST")
    assert tagged == "a5 BAD Unknown command"
    r.close()
