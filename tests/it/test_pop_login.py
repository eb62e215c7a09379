# SPDX-License-Identifier: Apache-2.0
"""POP3 logins through the shared login (src/auth): the Router applies to
login names (docs/behaviour.md, B1, B2), "access from your network is denied" (B5), the domain
of a bare name from the local address and "unassigned local network
address" (B10), and failed-login flow control.  Real clients: poplib and
raw sockets bound to 127.0.0.2 / 127.0.0.3 as source or destination."""

import base64
import poplib
import socket

import pytest

from conftest import free_port


def pop(addr, port, source=None):
    """poplib.POP3 to addr:port, optionally from a chosen source address."""
    p = poplib.POP3.__new__(poplib.POP3)
    p.host, p.port = addr, port
    p._tls_established = False
    p.sock = socket.create_connection((addr, port), timeout=30,
                                      source_address=(source, 0) if source else None)
    p.file = p.sock.makefile("rb")
    p._debugging = 0
    p.welcome = p._getresp()
    return p


def fails(p, user, pw):
    p.user(user)
    with pytest.raises(poplib.error_proto) as e:
        p.pass_(pw)
    return e.value.args[0].decode()


def server_with(make_server, listen=None):
    s = make_server(services=["cli", "pop3"])
    if listen:
        s.listen.update(listen)
    s.start()
    return s


def test_b1_router_sends_postmaster_to_abc(make_server):
    s = server_with(make_server)
    s.tegami("CreateAccount", "abc", '{Password="abc-pw";}')
    s.tegami("SetRouterTable", "<postmaster> = abc")
    p = pop("127.0.0.1", s.ports["pop3"])
    # postmaster's own password no longer works: abc's is asked for.
    assert "[AUTH] incorrect password or account name" in \
        fails(p, "postmaster", s.postmaster_password())
    p.user("postmaster")
    assert p.pass_("abc-pw").startswith(b"+OK abc@test.example has")
    p.quit()
    # It is abc's INBOX: the maildrop lock is abc's.
    p = pop("127.0.0.1", s.ports["pop3"])
    p.user("abc")
    p.pass_("abc-pw")
    q = pop("127.0.0.1", s.ports["pop3"])
    assert "[IN-USE]" in fails(q, "postmaster", "abc-pw")
    q.quit()
    p.quit()


def test_b2_postmaster_local_keeps_postmaster(make_server):
    s = server_with(make_server)
    s.tegami("CreateAccount", "pm", '{Password="pm-pw";}')
    s.tegami("SetRouterTable", "<postmaster> = pm@postmaster.local")
    p = pop("127.0.0.1", s.ports["pop3"])
    assert "[AUTH]" in fails(p, "postmaster", "pm-pw")
    p.user("postmaster")
    assert p.pass_(s.postmaster_password()).startswith(
        b"+OK postmaster@test.example has")
    p.quit()


def test_b5_access_from_your_network_is_denied(make_server):
    s = server_with(make_server)
    s.tegami("CreateAccount", "user1", '{Password="u1";}')
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    p = pop("127.0.0.1", s.ports["pop3"], source="127.0.0.2")
    assert fails(p, "user1", "u1") == \
        "-ERR [SYS/PERM] access from your network is denied"
    # The same for AUTH: the peer is refused whatever the method.
    with pytest.raises(poplib.error_proto) as e:
        p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0user1\0u1").decode())
    assert e.value.args[0] == b"-ERR [SYS/PERM] access from your network is denied"
    assert s.wait_log(r"POP-\d+\(\[127\.0\.0\.2\]:\d+\) USER login failed "
                      r"for 'user1': access from your network is denied")
    p.quit()
    p = pop("127.0.0.1", s.ports["pop3"], source="127.0.0.1")
    p.user("user1")
    assert p.pass_("u1").startswith(b"+OK")
    p.quit()
    s.tegami("SetClientIPs", "127.0.0.2")
    p = pop("127.0.0.1", s.ports["pop3"], source="127.0.0.2")
    p.user("user1")
    assert p.pass_("u1").startswith(b"+OK")
    p.quit()
    s.tegami("UpdateProtection", "{RejectNonClientLogins=NO;}")
    s.tegami("SetClientIPs", "")
    p = pop("127.0.0.1", s.ports["pop3"], source="127.0.0.2")
    p.user("user1")
    assert p.pass_("u1").startswith(b"+OK")
    p.quit()


def test_b10_domain_from_local_address(make_server):
    ports = [free_port("127.0.0.1"), free_port("127.0.0.2"), free_port("127.0.0.3")]
    s = server_with(make_server, listen={"pop3": [("127.0.0.1", ports[0]),
                                                  ("127.0.0.2", ports[1]),
                                                  ("127.0.0.3", ports[2])]})
    s.tegami("CreateDomain", "client1.com")
    s.tegami("UpdateDomainSettings", "client1.com", '{IPAddresses="127.0.0.2";}')
    s.tegami("UpdateDomainSettings", "test.example", '{IPAddresses="127.0.0.1";}')
    s.tegami("CreateAccount", "info", '{Password="main-pw";}')
    s.tegami("CreateAccount", "info@client1.com", '{Password="c1-pw";}')

    def ok(addr, port, user, pw, who):
        p = pop(addr, port)
        p.user(user)
        assert p.pass_(pw).startswith(f"+OK {who} has".encode())
        p.quit()

    ok("127.0.0.1", ports[0], "info", "main-pw", "info@test.example")
    ok("127.0.0.2", ports[1], "info", "c1-pw", "info@client1.com")
    # The wrong domain's password does not open the other account.
    p = pop("127.0.0.1", ports[0])
    assert "[AUTH]" in fails(p, "info", "c1-pw")
    p.quit()
    p = pop("127.0.0.3", ports[2])
    assert fails(p, "info", "main-pw") == \
        "-ERR [SYS/PERM] unassigned local network address"
    p.quit()
    # A qualified name picks its domain on any address.
    ok("127.0.0.1", ports[0], "info%client1.com", "c1-pw", "info@client1.com")
    ok("127.0.0.1", ports[0], "info@client1.com", "c1-pw", "info@client1.com")
    ok("127.0.0.3", ports[2], "info@test.example", "main-pw", "info@test.example")


def test_failed_login_flow(make_server):
    s = server_with(make_server)
    s.tegami("CreateAccount", "user1", '{Password="u1"; FailedLoginFlow=(3,10m);}')
    s.tegami("CreateAccount", "user2", '{Password="u2";}')
    p = pop("127.0.0.1", s.ports["pop3"])
    for _ in range(3):
        assert fails(p, "user1", "bad") == \
            "-ERR [AUTH] incorrect password or account name"
    p.quit()
    # Past the limit even the right password is refused, for that account.
    p = pop("127.0.0.1", s.ports["pop3"])
    assert fails(p, "user1", "u1") == \
        "-ERR [SYS/TEMP] too many failed logins, try later"
    p.user("user2")
    assert p.pass_("u2").startswith(b"+OK")
    p.quit()
    assert s.wait_log(r"USER login failed for 'user1': too many failed logins")
