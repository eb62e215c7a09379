# SPDX-License-Identifier: Apache-2.0
"""Hibernation at the descriptor limit (issue 14): an IMAP session that
finds no descriptor for its IDLE change eventfd hibernates at once (a
parked IDLE session needs none: the store's hook fires its park token)
instead of being refused, and still sees its mailbox's changes; a parked
session lets its account's database handle go and takes it back on
resume, and ends with BYE [UNAVAILABLE] when it cannot.  tegamid runs
under prlimit with a small descriptor limit.  Waits are bounded; no timing
is asserted."""

import shutil
import time

import pytest

from imaputil import PASSWORD, Raw, simple
from conftest import deliver
from hibernate_util import fds, finish, write_settings

USERS = 2
LIMIT = 160

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None,
                                reason="no prlimit")


def start(make_server, hibernate):
    s = make_server(services=["cli", "imap"],
                    prefix=["prlimit", f"--nofile={LIMIT}:{LIMIT}"])
    write_settings(s, "IMAP", "MaxSessionsPerAccount = 250; LogLevel = 5; "
                   "HibernateAfter = %d; IdleTimeout = 30m;" % hibernate)
    s.start()
    for i in range(1, USERS + 1):
        s.tegami("CreateAccount", f"user{i}",
                 '{Password="%s"; PasswordEncryption=clear;}' % PASSWORD)
    return s


def login(s, user):
    r = Raw(s.ports["imap"])
    assert r.cmd("a", f'LOGIN {user} "{PASSWORD}"')[1].startswith("a OK")
    assert r.cmd("b", "SELECT INBOX")[1].startswith("b OK")
    return r


# The delivery wakes every parked IDLE session of user1 at once, and each
# takes its account's database again while the process is still near its
# descriptor limit: some reads fail ("cannot read mailbox ... unable to open
# database file").  Such a session must read again (IMAP_IDLE_RETRY_MS
# later) and still report the new message, never swallow the change.  Only
# FREE sessions are closed before the delivery, enough for the delivery
# itself, so that the failed reads happen often (they did in about one run
# in three under ASan before the fix, and the session then never saw EXISTS).
FREE = 4


def test_idle_without_a_descriptor_hibernates_at_once(make_server):
    # HibernateAfter 60 s: an IDLE session with an eventfd stays on its
    # thread for the whole test, holding the eventfd.
    s = start(make_server, 60)
    first = [login(s, f"user{1 + i}") for i in range(USERS)]
    k = LIMIT - fds(s) - 12     # sockets fit, eventfds for ~12 only
    sessions = first + [login(s, f"user{1 + i % USERS}") for i in range(k)]
    for r in sessions:
        r.send("c IDLE\r\n")
        ln = r.line()
        assert ln.startswith("+ "), ln      # never NO [UNAVAILABLE]
    assert s.wait_log(r"IDLE without an eventfd .*hibernates at once")
    log = s.log_text()
    assert "IDLE refused" not in log
    # Free a few descriptors (the first sessions, which idle on their
    # threads with an eventfd) so that the delivery can open its files.
    for r in sessions[:FREE]:
        r.send("DONE\r\n")
        assert r.until("c")[1] == "c OK IDLE terminated"
        r.cmd("z", "LOGOUT")
        r.close()
    rest = sessions[FREE:]
    users = [f"user{1 + i}" for i in range(USERS)] + \
        [f"user{1 + i % USERS}" for i in range(k)]
    deliver(s, "user1@test.example", simple("at the limit"))
    for r, u in zip(sessions[FREE:], users[FREE:]):
        if u == "user1":
            r.wait_for(r"^\* 1 EXISTS$", timeout=20)
    for r in rest:
        r.send("DONE\r\n")
        lines, tagged = r.until("c")
        assert tagged == "c OK IDLE terminated", (lines, tagged)
        r.close()
    finish(s)


def test_parked_session_whose_account_is_gone_gets_bye(make_server):
    """A parked session holds no handle on its account: when the account
    was deleted meanwhile, the resume cannot take one again and the
    session ends with BYE [UNAVAILABLE] (not a quiet success on a handle
    of a deleted database)."""
    s = start(make_server, 1)
    r = login(s, "user2")
    time.sleep(2.5)                     # parked between commands
    s.tegami("DeleteAccount", "user2")
    r.send("d NOOP\r\n")
    ln = r.line()
    assert ln.startswith("* BYE [UNAVAILABLE]"), ln
    assert r.closed()
    assert s.wait_log("cannot open the account again after hibernation")
    finish(s)
