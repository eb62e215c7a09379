# SPDX-License-Identifier: Apache-2.0
"""An account deleted and created again (or renamed away and its name taken by
a new account) gets a fresh mail store: no mail of the old account shows up,
and mail delivered afterwards lands in the new one (the shared store cache must
not hand out the old, deleted database)."""
import re
import time

from conftest import deliver


def messages(s, account):
    _, out, _ = s.tegami("GetMailboxInfo", account, "MAILBOX", "INBOX")
    return int(re.search(r"Messages = #?(\d+)", out).group(1))


def wait_messages(s, account, n, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if messages(s, account) == n:
            return True
        time.sleep(0.1)
    return False


MSG = b"From: a@x.example\r\nSubject: hi\r\n\r\nbody\r\n"


def test_recreated_account_has_a_fresh_store(make_server):
    s = make_server(services=["cli", "smtp"]).start()
    s.tegami("CreateAccount", "u1")
    deliver(s, f"u1@{s.domain}", MSG)
    assert wait_messages(s, "u1", 1)
    s.tegami("DeleteAccount", "u1")
    s.tegami("CreateAccount", "u1")
    assert messages(s, "u1") == 0
    deliver(s, f"u1@{s.domain}", MSG)
    assert wait_messages(s, "u1", 1)
    # Renamed away: the new owner of the name starts empty, the renamed
    # account keeps its mail.
    s.tegami("RenameAccount", "u1", "into", "u2")
    s.tegami("CreateAccount", "u1")
    assert messages(s, "u1") == 0
    assert messages(s, "u2") == 1
