# SPDX-License-Identifier: Apache-2.0
"""LDAP session hibernation (issue 14; docs/architecture.md, Hibernation).

With the LDAP module's HibernateAfter = 1 (s), a session quiet after its
first request (a bind) gives its thread back and the park loop watches its
socket; the next request resumes it.  Threads are counted in
/proc/PID/task as tests/it/test_hibernate.py does.  A StartTLS session
parks and resumes with its TLS state; on shutdown a parked session gets a
Notice of Disconnection (RFC 4511 4.4.1).  Waits are bounded; no timing is
asserted."""

import socket
import ssl
import time

import pytest

ldap3 = pytest.importorskip("ldap3")
from ldap3 import SUBTREE, Connection, Server, Tls  # noqa: E402

from hibernate_util import (finish, threads, wait_threads_below,  # noqa: E402
                            write_settings)

DOMAIN = "client1.com"
USERS = 4
NOTICE_OID = b"1.3.6.1.4.1.1466.20036"


def start(make_server, hibernate=1):
    s = make_server(services=["cli", "ldap"])
    write_settings(s, "LDAP", "LogLevel = 4; HibernateAfter = %d;" % hibernate)
    s.start()
    s.tegami("CreateDomain", DOMAIN)
    s.tegami("UpdateDomainSettings", DOMAIN,
             '{DirectoryIntegration="Keep In Sync";}')
    for i in range(1, USERS + 1):
        s.tegami("CreateAccount", f"user{i}@{DOMAIN}",
                 '{RealName="User %d";Password="secret%d";}' % (i, i))
    return s


def bound(s, i, tls=None):
    srv = Server("127.0.0.1", port=s.ports["ldap"], tls=tls)
    c = Connection(srv, user=f"uid=user{i},cn={DOMAIN}", password=f"secret{i}",
                   raise_exceptions=False, receive_timeout=30)
    c.open()
    if tls is not None:
        assert c.start_tls(), c.result
    assert c.bind(), c.result
    return c


def search_ok(c, i):
    assert c.search(f"cn={DOMAIN}", f"(uid=user{i})", SUBTREE,
                    attributes=["mail"]), c.result
    assert [str(e.mail) for e in c.entries] == [f"user{i}@{DOMAIN}"]


def test_bound_sessions_give_their_threads_back(make_server):
    n = 200
    s = start(make_server)
    base = threads(s)
    conns = [bound(s, 1 + i % USERS) for i in range(n)]
    peak = threads(s)
    # Parked, the sessions hold no thread: at most the listener's idle pool
    # (LISTENER_IDLE_MAX = 128) and the background threads remain.
    after = wait_threads_below(s, base + 128 + 10)
    print(f"threads: {base} at start, {peak} with {n} sessions, "
          f"{after} once they hibernated")
    assert after < base + 128 + 10 < n
    # Each resumes on its next request, answers, and parks again.
    for i, c in enumerate(conns):
        search_ok(c, 1 + i % USERS)
    assert wait_threads_below(s, base + 128 + 10) < n
    # and again, with a Who-am-I after the second park
    for i, c in enumerate(conns[:20]):
        assert c.extend.standard.who_am_i() == \
            f"dn:uid=user{1 + i % USERS},cn={DOMAIN}"
    for c in conns[:50]:
        c.unbind()
    finish(s)


def test_starttls_session_parks_and_resumes(make_server):
    s = start(make_server)
    tls = Tls(validate=ssl.CERT_NONE)
    c = bound(s, 2, tls=tls)
    for _ in range(2):
        time.sleep(2)                   # past HibernateAfter: parked
        search_ok(c, 2)
        assert c.extend.standard.who_am_i() == f"dn:uid=user2,cn={DOMAIN}"
    c.unbind()
    finish(s)


def raw_bind(port):
    """An anonymous simple bind on a plain socket; the socket."""
    sk = socket.create_connection(("127.0.0.1", port), timeout=30)
    sk.sendall(bytes.fromhex("300c020101600702010304008000"))
    resp = sk.recv(4096)
    assert resp[:2] == b"\x30\x0c" and b"\x61\x07\x0a\x01\x00" in resp, resp
    return sk


def read_to_eof(sk, timeout=30.0):
    data = b""
    end = time.time() + timeout
    sk.settimeout(5)
    while time.time() < end:
        try:
            chunk = sk.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def test_shutdown_with_parked_sessions(make_server):
    s = start(make_server)
    raws = [raw_bind(s.ports["ldap"]) for _ in range(5)]
    conns = [bound(s, 1 + i % USERS) for i in range(20)]
    time.sleep(3)                       # all parked
    finish(s)
    for sk in raws:
        data = read_to_eof(sk)
        # extendedResponse (0x78), unavailable (52 = 0x34), the notice OID
        assert b"\x78" in data and b"\x0a\x01\x34" in data, data
        assert NOTICE_OID in data, data
        sk.close()
    for c in conns:
        c.unbind()


def test_hibernate_after_zero_session_waits_on_its_thread(make_server):
    """HibernateAfter = 0: no parking; the session still answers after a
    quiet spell."""
    s = start(make_server, hibernate=0)
    c = bound(s, 3)
    time.sleep(2)
    search_ok(c, 3)
    c.unbind()
    finish(s)
