# SPDX-License-Identifier: Apache-2.0
"""Regression tests for what Dovecot's imaptest compliance scripts found:
NIL and '[' as astrings, new keywords announced in FLAGS, CONDSTORE
enabled by FETCH MODSEQ, ESEARCH MIN/MAX MODSEQ, BINARY APPEND and
BINARY of a message/rfc822 part, LIST-EXTENDED RECURSIVEMATCH/CHILDINFO,
LSUB's \\Noselect parents, SORT by a group address, THREAD loops."""

import re

from imaputil import PASSWORD, Raw, start


def authed(s):
    r = Raw(s.ports["imap"])
    lines, tagged = r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    assert tagged.startswith("a0 OK")
    return r


def append(r, tag, box, msg):
    data = msg.encode() if isinstance(msg, str) else msg
    r.send(f"{tag} APPEND {box} {{{len(data)}+}}\r\n".encode() + data + b"\r\n")
    lines, tagged = r.until(tag)
    assert tagged.startswith(f"{tag} OK"), tagged


def test_nil_and_bracket_atoms(make_server):
    s = start(make_server)
    r = authed(s)
    append(r, "a1", "INBOX", "Subject: NiL\r\n\r\nnil\r\n")
    r.cmd("a2", "SELECT INBOX")
    lines, tagged = r.cmd("a3", "SEARCH SUBJECT NIL")
    assert lines == ["* SEARCH 1"] and tagged.startswith("a3 OK")
    lines, tagged = r.cmd("a4", "SEARCH BODY nil")
    assert lines == ["* SEARCH 1"]
    lines, tagged = r.cmd("a5", "STORE 1 +FLAGS NIL")
    assert tagged.startswith("a5 OK")
    assert any("FLAGS (NIL" in ln for ln in lines)
    lines, tagged = r.cmd("a6", "SELECT foo[}")
    assert tagged.startswith("a6 NO"), tagged
    lines, tagged = r.cmd("a7", 'LIST "" foo[}%*')
    assert tagged.startswith("a7 OK"), tagged
    r.close()


def test_new_keyword_is_announced(make_server):
    s = start(make_server)
    r1, r2 = authed(s), authed(s)
    append(r1, "a1", "INBOX", "Subject: k\r\n\r\nx\r\n")
    r1.cmd("a2", "SELECT INBOX")
    r2.cmd("b1", "SELECT INBOX")
    lines, tagged = r1.cmd("a3", "STORE 1 +FLAGS ($Hello)")
    flags = [i for i, ln in enumerate(lines) if ln.startswith("* FLAGS")]
    fetch = [i for i, ln in enumerate(lines) if "FETCH" in ln]
    assert flags and fetch and flags[0] < fetch[0], lines
    assert "$Hello" in lines[flags[0]]
    # the other session learns the keyword before the FETCH that shows it
    lines, tagged = r2.cmd("b2", "NOOP")
    flags = [i for i, ln in enumerate(lines) if ln.startswith("* FLAGS")]
    fetch = [i for i, ln in enumerate(lines) if "FETCH" in ln]
    assert flags and fetch and flags[0] < fetch[0], lines
    r1.close()
    r2.close()


def test_condstore_enabled_by_fetch_modseq(make_server):
    s = start(make_server)
    r = authed(s)
    for i in range(4):
        append(r, f"p{i}", "INBOX", f"Subject: {i}\r\n\r\nx\r\n")
    r.cmd("a1", "SELECT INBOX")
    lines, tagged = r.cmd("a2", "FETCH 1 MODSEQ")
    assert any(ln.startswith("* OK [HIGHESTMODSEQ ") for ln in lines), lines
    mod = {}
    for seq in (1, 3, 2, 4):
        lines, _ = r.cmd(f"s{seq}", f"STORE {seq} +FLAGS \\Seen")
        m = re.search(r"MODSEQ \((\d+)\)", " ".join(lines))
        assert m, lines
        mod[seq] = int(m.group(1))
    lines, _ = r.cmd("e1", 'SEARCH RETURN (MIN) 1:3 MODSEQ "/flags/\\\\seen" all 1')
    assert lines[0].endswith(f"MIN 1 MODSEQ {mod[1]}"), lines
    lines, _ = r.cmd("e2", 'SEARCH RETURN (MAX) 1:3 MODSEQ "/flags/\\\\seen" all 1')
    assert lines[0].endswith(f"MAX 3 MODSEQ {mod[3]}"), lines
    lines, _ = r.cmd("e3", 'SEARCH RETURN (ALL) 1:3 MODSEQ "/flags/\\\\seen" all 1')
    assert lines[0].endswith(f"ALL 1:3 MODSEQ {mod[2]}"), lines
    r.close()


def test_binary_append_and_message_part(make_server):
    s = start(make_server)
    r = authed(s)
    body = b"\x00-\xe4\n\r\n\n"
    msg = (b"From: a@b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + body)
    r.send(b"a1 APPEND INBOX ~{%d+}\r\n" % len(msg) + msg + b"\r\n")
    assert r.until("a1")[1].startswith("a1 OK")
    inner = "Subject: inner\r\n\r\nhello\r\n"
    append(r, "a2", "INBOX",
           'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
           "Content-Type: text/plain\r\n\r\nx\r\n--b\r\n"
           "Content-Type: message/rfc822\r\n\r\n" + inner + "--b--\r\n")
    r.cmd("a3", "SELECT INBOX")
    lines, tagged = r.cmd("a4", "FETCH 1 (BINARY.SIZE[1])")
    assert "BINARY.SIZE[1] 7" in lines[0], lines
    lines, tagged = r.cmd("a5", "FETCH 1 (BODY.PEEK[1])")
    assert "\x00" not in "".join(lines)
    lines, tagged = r.cmd("a6", "FETCH 2 (BINARY.SIZE[2])")
    assert tagged.startswith("a6 OK"), tagged
    # the CRLF before the boundary belongs to the boundary (RFC 2046)
    assert f"BINARY.SIZE[2] {len(inner) - 2}" in lines[0], lines
    r.close()


def test_list_extended_recursivematch_and_lsub(make_server):
    s = start(make_server)
    r = authed(s)
    for name in ("t/a", "t/a/x", "t/b", "t/c/c", "t/d/d", "t/d/e"):
        assert r.cmd("c", f"CREATE {name}")[1].startswith("c OK")
    for name in ("t/a/x", "t/b", "t/c/c", "t/d/d", "t/d/e", "t/gone"):
        assert r.cmd("s", f"SUBSCRIBE {name}")[1].startswith("s OK")
    lines, _ = r.cmd("l1", 'LIST (SUBSCRIBED) "" "t/gone"')
    assert lines == ['* LIST (\\NonExistent \\HasNoChildren \\Subscribed) '
                     '"/" "t/gone"'], lines
    lines, _ = r.cmd("l2", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "t/a%" '
                     "RETURN (CHILDREN)")
    assert lines == ['* LIST (\\HasChildren) "/" "t/a" '
                     '("CHILDINFO" ("SUBSCRIBED"))'], lines
    # a child the pattern matches itself gives no CHILDINFO
    lines, _ = r.cmd("l3", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "t*c"')
    assert lines == ['* LIST (\\HasNoChildren \\Subscribed) "/" "t/c/c"']
    lines, _ = r.cmd("l4", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "t*d"')
    assert len(lines) == 2 and "CHILDINFO" in lines[0], lines
    # several patterns: each name once
    lines, _ = r.cmd("l5", 'LIST "" (t/b t/* t/b)')
    assert len([ln for ln in lines if ln.endswith('"t/b"')]) == 1, lines
    lines, _ = r.cmd("l6", 'LSUB "" t/%')
    assert sorted(lines) == sorted([
        '* LSUB (\\Noselect) "/" "t/a"', '* LSUB () "/" "t/b"',
        '* LSUB (\\Noselect) "/" "t/c"', '* LSUB (\\Noselect) "/" "t/d"',
        '* LSUB (\\Noselect) "/" "t/gone"']), lines
    r.close()


def test_sort_group_address_and_thread_loop(make_server):
    s = start(make_server)
    r = authed(s)
    append(r, "a1", "INBOX", "Message-ID: <a@b>\r\nCc: user2@x (c)\r\n"
           "Subject: [x] re: [fwd: [fwd: b]]\r\n\r\n1\r\n")
    append(r, "a2", "INBOX", "Message-Id: <b@b>\r\nReferences: <a@b> <c@b>\r\n"
           "Cc: user2: blah@y;\r\nSubject: _\r\n\r\n2\r\n")
    append(r, "a3", "INBOX", "Message-Id: <c@b>\r\nReferences: <b@b>\r\n"
           "Cc: user1@y\r\nSubject: c\r\n\r\n3\r\n")
    r.cmd("a4", "SELECT INBOX")
    lines, _ = r.cmd("s1", "SORT (REVERSE CC) US-ASCII ALL")
    assert lines == ["* SORT 1 2 3"], lines
    lines, _ = r.cmd("s2", "SORT (SUBJECT) US-ASCII ALL")
    assert lines == ["* SORT 1 3 2"], lines
    lines, _ = r.cmd("t1", "THREAD REFERENCES US-ASCII ALL")
    assert lines[0] in ("* THREAD (3 2)(1)", "* THREAD (1)(3 2)"), lines
    assert "(1 3 2)" not in lines[0]
    r.close()
