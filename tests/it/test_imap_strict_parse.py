# SPDX-License-Identifier: Apache-2.0
"""The pure IMAP parsers' strict rules, seen through a real session: each
refusal is the protocol's own answer (BAD, or NO [CANNOT] / NO [BADCHARSET]),
the bound of SEARCH nesting is reached and passed by one, and the session
goes on.  The unit tests in tests/unit/imap/ cover the grammar case by
case; this checks that the session maps the errors to the right replies."""

from imaputil import PASSWORD, Raw, simple, start

SEARCH_DEPTH_MAX = 32    # IMAP_SEARCH_DEPTH_MAX


def test_strict_parsers(make_server):
    s = start(make_server)
    r = Raw(s.ports["imap"])
    assert r.cmd("a0", f"LOGIN user1 {PASSWORD}")[1].startswith("a0 OK")
    msg = simple("Re: [list] hello")
    r.send(b"a1 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    assert r.until("a1")[1].startswith("a1 OK")
    assert r.cmd("a2", "SELECT INBOX")[1].startswith("a2 OK")

    # modified UTF-7: one name, one wire form
    tagged = r.cmd("b1", 'CREATE "&AOQ-&APY-"')[1]
    assert tagged.startswith("b1 NO [CANNOT]"), tagged
    assert r.cmd("b2", 'CREATE "&AOQA9g-"')[1] == "b2 OK CREATE completed"

    # SEARCH
    assert r.cmd("c1", "SEARCH SINCE 29-Feb-2000")[1].startswith("c1 OK")
    assert r.cmd("c2", "SEARCH SINCE 31-Feb-2000")[1].startswith("c2 BAD")
    lines, tagged = r.cmd("c3", "SEARCH " + "NOT " * SEARCH_DEPTH_MAX +
                          "UNDELETED")
    assert tagged.startswith("c3 OK") and lines == ["* SEARCH 1"], lines
    tagged = r.cmd("c4", "SEARCH " + "NOT " * (SEARCH_DEPTH_MAX + 1) +
                   "UNDELETED")[1]
    assert tagged.startswith("c4 BAD"), tagged
    assert r.cmd("c5", "SEARCH MODSEQ 9223372036854775808")[1] \
        .startswith("c5 BAD")
    assert r.cmd("c6", 'SEARCH MODSEQ "/flags/\\\\seen" bogus 1')[1] \
        .startswith("c6 BAD")
    assert r.cmd("c7", "SEARCH RETURN (SAVE) ALL")[1].startswith("c7 BAD")
    tagged = r.cmd("c8", "SEARCH CHARSET ISO-8859-1 ALL")[1]
    assert tagged.startswith("c8 NO [BADCHARSET"), tagged
    lines, tagged = r.cmd("c9", "SEARCH RETURN () CHARSET utf-8 ALL")
    assert tagged.startswith("c9 OK")
    assert lines == ['* ESEARCH (TAG "c9") ALL 1'], lines

    # FETCH
    assert r.cmd("d1", "FETCH 1 BODY.PEEK[1]")[1].startswith("d1 OK")
    assert r.cmd("d2", "FETCH 1 BODY.PEEK[1.]")[1].startswith("d2 BAD")
    assert r.cmd("d3", "FETCH 1 BODY.PEEK[1TEXT]")[1].startswith("d3 BAD")
    assert r.cmd("d4", "FETCH 1 FLAGS (CHANGEDSINCE 0)")[1] \
        .startswith("d4 BAD")
    assert r.cmd("d5", "FETCH 1 FLAGS (CHANGEDSINCE 1)")[1] \
        .startswith("d5 OK")

    # SORT and THREAD
    tagged = r.cmd("e1", "SORT (REVERSE REVERSE DATE) UTF-8 ALL")[1]
    assert tagged.startswith("e1 BAD"), tagged
    lines, tagged = r.cmd("e2", "SORT (REVERSE SUBJECT) UTF-8 ALL")
    assert tagged.startswith("e2 OK") and lines == ["* SORT 1"], lines
    lines, tagged = r.cmd("e3", "THREAD REFERENCES UTF-8 ALL")
    assert tagged.startswith("e3 OK") and lines == ["* THREAD (1)"], lines
    lines, tagged = r.cmd("e4", "THREAD REFERENCES UTF-8 DELETED")
    assert tagged.startswith("e4 OK") and lines == ["* THREAD"], lines

    assert r.cmd("z1", "NOOP")[1] == "z1 OK NOOP completed"
    r.close()
