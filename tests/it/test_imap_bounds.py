# SPDX-License-Identifier: Apache-2.0
"""Issue 15: a bound that is hit surfaces as an error, never as a quieter
success.

The keywords a selected mailbox announces in FLAGS used to be capped at
1 MiB in a running session: past it, new keywords were left out of FLAGS
without a word (while SELECT announced the store's whole list).  The list
now has no cap of its own.  128 messages with 64 distinct 128-byte keywords
each hold 128 * 64 * 129 - 1 = 1,056,767 bytes of keywords, one message
past the former cap: every STORE answers OK and FLAGS names all 8,192
keywords, in the session that adds them and after a new SELECT.  (A line
over a bound that remains makes the command answer NO [LIMIT]: see
tests/unit/imap/imap_out_test.c.)"""

from imaputil import PASSWORD, Raw, login, simple, start

FORMER_CAP = 16 * 64 * 1024     # IMAP_LINE_MAX * 16
KW_PER_MSG = 64                 # STORE_KEYWORDS_MAX
KW_LEN = 128                    # STORE_KEYWORD_MAX
NMSG = 128


def keywords(i):
    return [(f"k{i:04d}x{j:02d}").ljust(KW_LEN, "y") for j in range(KW_PER_MSG)]


def authed(s):
    r = Raw(s.ports["imap"])
    lines, tagged = r.cmd("a0", f"LOGIN user1 {PASSWORD}")
    assert tagged.startswith("a0 OK")
    return r


def all_flags(line, n):
    toks = line.split()
    return len(toks) == 2 + 5 + n * KW_PER_MSG and toks[-1].endswith(")")


def test_keyword_list_past_the_former_cap(make_server):
    assert (NMSG - 1) * KW_PER_MSG * (KW_LEN + 1) - 1 <= FORMER_CAP
    assert NMSG * KW_PER_MSG * (KW_LEN + 1) - 1 > FORMER_CAP
    s = start(make_server)
    m = login(s)
    for i in range(NMSG):
        typ, _ = m.append("INBOX", None, None, simple(f"m{i}"))
        assert typ == "OK"
    m.logout()

    r = authed(s)
    lines, tagged = r.cmd("s", "SELECT INBOX")
    assert tagged.startswith("s OK")
    for i in range(1, NMSG + 1):
        lines, tagged = r.cmd(f"t{i}", f"STORE {i} +FLAGS ({' '.join(keywords(i))})")
        assert tagged.startswith(f"t{i} OK"), tagged
        flags = [ln for ln in lines if ln.startswith("* FLAGS")]
        assert len(flags) == 1 and all_flags(flags[0], i), i
        fetch = [ln for ln in lines if " FETCH " in ln]
        assert len(fetch) == 1 and keywords(i)[-1] in fetch[0]
    lines, tagged = r.cmd("n", "NOOP")
    assert tagged.startswith("n OK"), tagged
    r.cmd("l", "LOGOUT")
    r.close()

    # a new session: SELECT announces them all, FETCH answers OK
    r = authed(s)
    lines, tagged = r.cmd("s", "SELECT INBOX")
    assert tagged.startswith("s OK")
    flags = [ln for ln in lines if ln.startswith("* FLAGS")]
    assert len(flags) == 1 and all_flags(flags[0], NMSG)
    lines, tagged = r.cmd("f", "FETCH 1:* FLAGS")
    assert tagged.startswith("f OK"), tagged
    assert sum(1 for ln in lines if " FETCH " in ln) == NMSG
    assert not any(ln.startswith("* FLAGS") for ln in lines)
    r.cmd("l", "LOGOUT")
    r.close()
    assert "response not sent" not in s.log_text()
