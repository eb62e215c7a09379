# SPDX-License-Identifier: Apache-2.0
"""Mailbox names with "." / ".." or empty hierarchy parts (issue 15): the
store's name check refuses them for every operation, so no protocol and no
CLI command can create "../../../etc" or "INBOX/.." (or their parents).
IMAP answers NO [CANNOT] with a clear text; the CLI refuses the command."""

from imaputil import login, simple, start

BAD = ["../../../etc", "INBOX/..", "INBOX/.", "..", ".", "a/../b", "a/./b",
       "a//b", "/a", "a//", "//", "/", "x/..", "../x"]
GOOD = ["...", ".hidden", "a.b/..c", "x/.y", "INBOX/.../z"]


def names(m):
    typ, data = m.list()
    assert typ == "OK"
    out = []
    for d in data:
        # (\HasNoChildren) "/" "name"
        out.append(d.decode().rsplit(' "/" ', 1)[1].strip('"'))
    return sorted(out)


def expect_cannot(m, *cmd):
    typ, data = m._simple_command(*cmd)
    text = data[-1].decode() if data and data[-1] else ""
    assert typ == "NO", (cmd, typ, data)
    assert "[CANNOT]" in text, (cmd, text)
    assert "hierarchy part" in text, (cmd, text)


def test_imap_refuses_dot_and_empty_parts(make_server):
    s = start(make_server)
    m = login(s)
    before = names(m)
    m.create("keep")
    for n in BAD:
        q = m._quote(n)
        expect_cannot(m, "CREATE", q)
        expect_cannot(m, "RENAME", "keep", q)
        expect_cannot(m, "SUBSCRIBE", q)
        expect_cannot(m, "SELECT", q)
        expect_cannot(m, "STATUS", q, "(MESSAGES)")
        expect_cannot(m, "DELETE", q)
    after = names(m)
    assert after == sorted(before + ["keep"]), after
    m.logout()


def test_imap_append_copy_move_targets(make_server):
    s = start(make_server)
    m = login(s)
    for n in ("../x", "INBOX/..", "a//b"):
        typ, data = m.append(m._quote(n), None, None, simple("x"))
        assert typ == "NO" and b"[CANNOT]" in data[0], data
    m.append("INBOX", None, None, simple("one"))
    m.select("INBOX")
    for n in ("../x", "INBOX/..", "a/./b"):
        typ, data = m.copy("1", m._quote(n))
        assert typ == "NO" and b"[CANNOT]" in data[0], data
        typ, data = m._simple_command("MOVE", "1", m._quote(n))
        assert typ == "NO" and b"[CANNOT]" in data[0], data
    typ, data = m.search(None, "ALL")
    assert data[0].split() == [b"1"]
    assert names(m) == ["INBOX"]
    m.logout()


def test_imap_accepts_dotted_names(make_server):
    s = start(make_server)
    m = login(s)
    for n in GOOD:
        typ, data = m.create(m._quote(n))
        assert typ == "OK", (n, data)
    # one trailing '/' is RFC 3501's "will have children" and is dropped
    typ, data = m.create('"parent/"')
    assert typ == "OK", data
    got = names(m)
    for n in GOOD + ["parent"]:
        assert n in got, (n, got)
    m.logout()


def test_cli_refuses_dot_and_empty_parts(make_server):
    s = start(make_server)
    for n in BAD:
        rc, out, err = s.tegami("CreateMailbox", "user1", "MAILBOX", n,
                                check=False)
        assert rc != 0, (n, out, err)
        assert "hierarchy part" in out + err, (n, out, err)
        rc, out, err = s.tegami("DeleteMailbox", "user1", "MAILBOX", n,
                                check=False)
        assert rc != 0, (n, out, err)
    rc, out, err = s.tegami("CreateMailbox", "user1", "MAILBOX", "ok/...")
    rc, out, err = s.tegami("ListMailboxes", "user1")
    assert "etc" not in out and '".."' not in out, out
    assert "ok/..." in out, out
    m = login(s)
    assert names(m) == ["INBOX", "ok", "ok/..."]
    m.logout()
