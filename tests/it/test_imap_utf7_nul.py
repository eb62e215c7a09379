# SPDX-License-Identifier: Apache-2.0
"""A mailbox name whose modified UTF-7 encodes U+0000 ("a&AAA-b") names no
mailbox: it is refused, never cut at the NUL into another name ("a")."""

from imaputil import PASSWORD, Raw, start


def test_utf7_nul_is_refused(make_server):
    s = start(make_server)
    r = Raw(s.ports["imap"])
    assert r.cmd("a0", f"LOGIN user1 {PASSWORD}")[1].startswith("a0 OK")
    assert r.cmd("a1", 'CREATE "a"')[1] == "a1 OK CREATE completed"
    for i, name in enumerate(["a&AAA-b", "a&AAA-", "&AAA-", "a&AAAAYgBj-"]):
        tagged = r.cmd(f"b{i}", f'CREATE "{name}"')[1]
        assert tagged.startswith(f"b{i} NO [CANNOT]"), (name, tagged)
        tagged = r.cmd(f"c{i}", f'DELETE "{name}"')[1]
        assert tagged.startswith(f"c{i} NO"), (name, tagged)
    lines, tagged = r.cmd("d1", 'LIST "" "a"')
    assert lines == ['* LIST (\\HasNoChildren) "/" "a"'], lines
    r.close()
