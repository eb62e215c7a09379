# SPDX-License-Identifier: Apache-2.0
"""The CLI over the TCP `cli` service (the original's PWD protocol), driven
by a plain socket client with the original's transcript (docs/admin-cli.md),
and the control socket's permissions."""

import os
import re
import socket
import stat

import pytest

from conftest import CliClient


def test_original_transcript(server):
    with CliClient(server.ports["cli"]) as c:
        # The original's banner, ending with the APOP stamp.
        assert re.match(r"^200 .*PWD.* ready <[^<>@]+@[^<>]+>$", c.banner)
        assert c.cmd("USER postmaster").startswith("300 ")
        assert c.cmd("PASS " + server.postmaster_password()) == "200 login OK"
        assert c.cmd('CreateAccount "user1"') == "200 OK"
        assert c.cmd('CreateAccount "user1"') == \
            "501 Account with this name already exists"
        assert c.cmd('RenameAccount "user1" into "user2"') == "200 OK"
        assert c.cmd('CreateDomain "client1.com"') == "200 OK"
        assert c.cmd('CreateAccount "user1@client1.com" TextMailbox') == "200 OK"
        st, data = c.data("ListDomains")
        assert st == "200 data follow"
        assert re.match(r"^\(.*\)$", data)
        doms = [d.strip() for d in data[1:-1].split(",")]
        assert sorted(doms) == sorted(["client1.com", server.domain])
        st, data = c.data("ListAccounts")
        assert "user2" in data and "user1" not in data.replace("user1@", "")
        assert c.cmd("INLINE").startswith("200")
        st = c.cmd("ListDomains")
        assert st.startswith("201 (") and st.endswith(")")
        assert "client1.com" in st
        assert c.cmd("QUIT").startswith("200 ")
        with pytest.raises(EOFError):
            c.readline()
    assert server.tegami("VerifyAccountPassword", "user1@client1.com",
                         "PASSWORD", "x", check=False)[0] != 0


def test_wrong_password_and_unknown_user(server):
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("USER postmaster").startswith("300")
        assert c.cmd("PASS wrong").startswith("501")
        assert c.cmd("ListDomains").startswith("500")
        assert c.cmd("USER nosuchuser").startswith("300")
        assert c.cmd("PASS x").startswith("501")
        assert c.cmd("PASS x").startswith("501")
        assert c.login("postmaster", server.postmaster_password()) == \
            "200 login OK"
    log = server.log_text()
    assert "login failed for 'postmaster'" in log


def test_pass_without_user(server):
    with CliClient(server.ports["cli"]) as c:
        assert c.cmd("PASS " + server.postmaster_password()).startswith("501")
        assert c.cmd("MainDomainName").startswith("500")


def test_bare_lf_accepted_and_crlf_answered(server):
    with CliClient(server.ports["cli"]) as c:
        c.sock.sendall(b"USER postmaster\n")
        assert c.readline().startswith("300")
        c.sock.sendall(("PASS " + server.postmaster_password() + "\n").encode())
        assert c.readline() == "200 login OK"
        c.sock.sendall(b"MainDomainName\n")
        assert c.readline() == "200 data follow"
        assert c.readline() == server.domain


def test_quoted_password(server):
    server.tegami("CreateAccount", "quoted", '{Password="a b\\"c";}')
    with CliClient(server.ports["cli"]) as c:
        assert c.login("quoted", '"a b\\"c"') == "200 login OK"


def test_commands_before_login_refused(server):
    with CliClient(server.ports["cli"]) as c:
        for cmd in ["ListDomains", 'CreateAccount "x"', "GetRouterTable",
                    "SHUTDOWN"]:
            assert c.cmd(cmd).startswith("500"), cmd
    assert server.proc.poll() is None
    assert server.tegami("GetAccountSettings", "x", check=False)[0] != 0


def test_unknown_command(cli_client):
    assert cli_client.cmd("NoSuchCommand 1 2").startswith("500")
    assert cli_client.cmd("listdomains").startswith("200")   # case-insensitive
    assert cli_client.readline().startswith("(")


def test_syntax_errors_answered(cli_client):
    assert cli_client.cmd('CreateAccount "unterminated').startswith("501")
    assert cli_client.cmd("CreateAccount {a=b;").startswith("501")
    assert cli_client.cmd("CreateDomain").startswith("501")
    assert cli_client.cmd("Route").startswith("501")
    # The session is still fine.
    assert cli_client.cmd("NOOP") == "200 OK"


def test_non_master_account_cannot_administer(server):
    server.tegami("CreateAccount", "plain", '{Password="pw1";}')
    with CliClient(server.ports["cli"]) as c:
        assert c.login("plain", "pw1") == "200 login OK"
        assert c.cmd("NOOP") == "200 OK"
        for cmd in ["ListDomains", 'CreateAccount "evil"',
                    'SetAccountPassword "postmaster" TO "x"',
                    'SetRouterTable "<postmaster> = plain"', "SHUTDOWN",
                    "GetRouterTable", 'WriteLog 1 "x"']:
            st = c.cmd(cmd)
            assert st.startswith("501") and "right" in st, (cmd, st)
    assert server.proc.poll() is None
    assert server.tegami("GetAccountSettings", "evil", check=False)[0] != 0
    assert server.tegami("GetRouterTable")[1] == ""
    assert server.tegami("VerifyAccountPassword", "postmaster", "PASSWORD",
                         server.postmaster_password())[0] == 0


def test_granted_master_right_allows_admin(server):
    server.tegami("CreateAccount", "admin2", '{Password="pw2";}')
    server.tegami("SetAccountRights", "admin2", "(Master)")
    with CliClient(server.ports["cli"]) as c:
        assert c.login("admin2", "pw2") == "200 login OK"
        st, data = c.data("ListDomains")
        assert st == "200 data follow"


def test_too_many_errors_closes(server):
    with CliClient(server.ports["cli"]) as c:
        closed = False
        for i in range(100):
            try:
                st = c.cmd("ListDomains")
            except (EOFError, ConnectionError):
                closed = True
                break
            if not st.startswith("500"):
                assert "too many" in st
                with pytest.raises((EOFError, ConnectionError)):
                    c.readline()
                closed = True
                break
        assert closed and i < 50


def test_over_long_line_answered(cli_client):
    big = "NOOP " + "x" * (1024 * 1024 + 100)
    cli_client.send(big)
    st = cli_client.readline()
    assert st.startswith("501") and "too long" in st
    assert cli_client.cmd("NOOP") == "200 OK"


def test_large_argument_below_limit(cli_client):
    text = "\\e".join(f"<a{i}> = postmaster" for i in range(2000))
    assert cli_client.cmd(f'SetRouterTable "{text}"') == "200 OK"
    st, data = cli_client.data("GetRouterTable")
    assert st == "200 data follow" and "<a1999> = postmaster" in data


def test_control_socket_is_owner_only(server):
    st = os.stat(server.path("ControlSocket"))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) & 0o077 == 0


def test_control_socket_trusted_as_postmaster(server):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(server.path("ControlSocket"))
        f = s.makefile("rb")
        assert f.readline().startswith(b"200 ")
        s.sendall(b"INLINE\r\nMainDomainName\r\n")
        assert f.readline().startswith(b"200")
        assert f.readline() == f"201 {server.domain}\r\n".encode()


def test_many_sessions_in_parallel(server):
    clients = [CliClient(server.ports["cli"]) for _ in range(20)]
    try:
        for c in clients:
            assert c.login("postmaster", server.postmaster_password()) == \
                "200 login OK"
        for i, c in enumerate(clients):
            assert c.cmd(f'CreateAccount "par{i}"') == "200 OK"
    finally:
        for c in clients:
            c.close()
    out = server.tegami("ListAccounts")[1]
    for i in range(20):
        assert f"par{i}" in out
