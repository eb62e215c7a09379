# SPDX-License-Identifier: Apache-2.0
"""IMAP logins through src/auth: the Router applies to login names (docs/behaviour.md, B1, B2),
"access from your network is denied" (B5), the domain from the local address
and "unassigned local network address" (B10), AUTHENTICATE PLAIN/LOGIN,
STARTTLS (and refusal of pipelined input), implicit TLS (imaps), RequireTLS
with LOGINDISABLED, and the per-account session limit."""

import base64
import imaplib
import ssl

import pytest

from conftest import free_port
from imaputil import PASSWORD, Raw, login, start


def no_login(s, user, pw, port=None, addr="127.0.0.1", source=None):
    r = Raw(port or s.ports["imap"], addr=addr, source=source)
    lines, tagged = r.cmd("l1", f'LOGIN "{user}" "{pw}"')
    r.close()
    return tagged


def test_login_ok_and_failures(make_server):
    s = start(make_server)
    assert no_login(s, "user1", "wrong") == \
        "l1 NO [AUTHENTICATIONFAILED] incorrect password or account name"
    assert no_login(s, "nobody", "x") == \
        "l1 NO [AUTHENTICATIONFAILED] incorrect password or account name"
    m = login(s)
    assert m.state == "AUTH"
    m.logout()
    assert s.wait_log(r"IMAP-\d+\(\[127\.0\.0\.1\]:\d+\) login failed for user1: "
                      r"incorrect password")
    assert PASSWORD not in s.log_text() and "wrong" not in s.log_text()


def test_authenticate_plain_and_login(make_server):
    s = start(make_server)
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"])
    typ, data = m.authenticate("PLAIN", lambda _: f"\0user1\0{PASSWORD}".encode())
    assert typ == "OK"
    m.logout()
    r = Raw(s.ports["imap"])
    r.send("a1 AUTHENTICATE LOGIN\r\n")
    assert r.line() == "+ VXNlcm5hbWU6"
    r.send(base64.b64encode(b"user1") + b"\r\n")
    assert r.line() == "+ UGFzc3dvcmQ6"
    r.send(base64.b64encode(PASSWORD.encode()) + b"\r\n")
    lines, tagged = r.until("a1")
    assert tagged.startswith("a1 OK")
    r.close()
    r = Raw(s.ports["imap"])
    r.send("a1 AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith("+")
    r.send("*\r\n")
    lines, tagged = r.until("a1")
    assert tagged == "a1 BAD AUTHENTICATE cancelled"
    lines, tagged = r.cmd("a2", "AUTHENTICATE PLAIN " +
                          base64.b64encode(b"\0user1\0bad").decode())
    assert tagged.startswith("a2 NO [AUTHENTICATIONFAILED]")
    # CRAM-MD5 is taken unadvertised, as by SMTP and POP (one SASL engine,
    # auth/sasl.h): a challenge, which the client may cancel.
    r.send("a3 AUTHENTICATE CRAM-MD5\r\n")
    assert r.line().startswith("+ ")
    r.send("*\r\n")
    lines, tagged = r.until("a3")
    assert tagged == "a3 BAD AUTHENTICATE cancelled"
    lines, tagged = r.cmd("a4", "AUTHENTICATE X-UNKNOWN")
    assert tagged.startswith("a4 NO")
    r.close()


def test_sasl_ir_with_curl(make_server):
    """RFC 4959: SASL-IR is offered, and curl's --sasl-ir logs in with the
    PLAIN response on the AUTHENTICATE line (one round trip less)."""
    import shutil
    import subprocess
    s = start(make_server)
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"])
    assert "SASL-IR" in m.capabilities
    m.logout()
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    p = subprocess.run(["curl", "-s", "-S", "-v", "--max-time", "30",
                        "--sasl-ir", "--login-options", "AUTH=PLAIN",
                        "-u", f"user1:{PASSWORD}",
                        f"imap://127.0.0.1:{s.ports['imap']}/INBOX"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    sent = [l for l in p.stderr.splitlines() if "AUTHENTICATE PLAIN " in l]
    assert sent, p.stderr
    assert "OK" in p.stderr


def test_b1_router_sends_postmaster_to_abc(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "abc", '{Password="abc-pw";}')
    s.tegami("SetRouterTable", "<postmaster> = abc")
    assert "AUTHENTICATIONFAILED" in no_login(s, "postmaster", s.postmaster_password())
    m = login(s, "postmaster", "abc-pw")
    m.create("OnlyInAbc")
    m.logout()
    m = login(s, "abc", "abc-pw")
    assert b"OnlyInAbc" in b" ".join(m.list()[1])
    m.logout()


def test_b2_postmaster_local_keeps_postmaster(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", "pm", '{Password="pm-pw";}')
    s.tegami("SetRouterTable", "<postmaster> = pm@postmaster.local")
    assert "AUTHENTICATIONFAILED" in no_login(s, "postmaster", "pm-pw")
    m = login(s, "postmaster", s.postmaster_password())
    m.logout()


def test_b5_access_from_your_network_is_denied(make_server):
    s = start(make_server)
    s.tegami("UpdateProtection", "{RejectNonClientLogins=YES;}")
    s.tegami("SetClientIPs", "")
    assert no_login(s, "user1", PASSWORD, source="127.0.0.2") == \
        "l1 NO [AUTHORIZATIONFAILED] access from your network is denied"
    assert s.wait_log(r"IMAP-\d+\(\[127\.0\.0\.2\]:\d+\) login failed for user1: "
                      r"access from your network is denied")
    m = login(s)                       # 127.0.0.1 may always log in
    m.logout()
    s.tegami("SetClientIPs", "127.0.0.2")
    assert no_login(s, "user1", PASSWORD, source="127.0.0.2").startswith("l1 OK")


def test_b10_unassigned_local_network_address(make_server):
    ports = [free_port("127.0.0.1"), free_port("127.0.0.2"), free_port("127.0.0.3")]
    s = start(make_server, services=("cli", "imap"),
              listen={"imap": [("127.0.0.1", ports[0]), ("127.0.0.2", ports[1]),
                               ("127.0.0.3", ports[2])]})
    s.tegami("CreateDomain", "client1.com")
    s.tegami("UpdateDomainSettings", "client1.com", '{IPAddresses="127.0.0.2";}')
    s.tegami("UpdateDomainSettings", "test.example", '{IPAddresses="127.0.0.1";}')
    s.tegami("CreateAccount", "info", '{Password="main-pw";}')
    s.tegami("CreateAccount", "info@client1.com", '{Password="c1-pw";}')

    def opens(addr, port, user, pw):
        m = imaplib.IMAP4(addr, port)
        m.login(user, pw)
        m.create(f"Box-{user.replace('@', '-').replace('%', '-')}-{addr}")
        m.logout()

    opens("127.0.0.1", ports[0], "info", "main-pw")
    opens("127.0.0.2", ports[1], "info", "c1-pw")
    assert "AUTHENTICATIONFAILED" in no_login(s, "info", "c1-pw", port=ports[0])
    assert no_login(s, "info", "main-pw", port=ports[2], addr="127.0.0.3") == \
        "l1 NO [AUTHORIZATIONFAILED] unassigned local network address"
    opens("127.0.0.3", ports[2], "info@client1.com", "c1-pw")
    opens("127.0.0.1", ports[0], "info%client1.com", "c1-pw")
    m = imaplib.IMAP4("127.0.0.2", ports[1])
    m.login("info", "c1-pw")
    names = b" ".join(m.list()[1])
    assert b"Box-info-127.0.0.2" in names and b"Box-info-client1.com-127.0.0.3" in names
    assert b"Box-info-127.0.0.1" not in names
    m.logout()


def test_starttls_and_imaps(make_server):
    s = start(make_server)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"])
    assert "STARTTLS" in m.capabilities
    m.starttls(ssl_context=ctx)
    assert "STARTTLS" not in m.capability()[1][0].decode()
    m.login("user1", PASSWORD)
    m.append("INBOX", None, None, b"Subject: tls\r\n\r\nover tls\r\n")
    m.logout()
    m = imaplib.IMAP4_SSL("127.0.0.1", s.ports["imaps"], ssl_context=ctx)
    m.login("user1", PASSWORD)
    m.select("INBOX")
    assert m.fetch("1", "(BODY[TEXT])")[1][0][1] == b"over tls\r\n"
    m.logout()
    # plaintext pipelined after STARTTLS is refused (CVE-2011-0411)
    r = Raw(s.ports["imap"])
    r.send("a1 STARTTLS\r\na2 LOGIN user1 x\r\n")
    lines, tagged = r.until("a1")
    assert tagged == "a1 BAD Data after STARTTLS refused"
    r.close()


def test_require_tls_logindisabled(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "IMAP", "{RequireTLS=YES;}")
    r = Raw(s.ports["imap"])
    assert "LOGINDISABLED" in r.greeting and "AUTH=PLAIN" not in r.greeting
    lines, tagged = r.cmd("a1", f"LOGIN user1 {PASSWORD}")
    assert tagged == "a1 NO [PRIVACYREQUIRED] Use STARTTLS first"
    r.close()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"])
    m.starttls(ssl_context=ctx)
    assert "LOGINDISABLED" not in m.capability()[1][0].decode()
    m.login("user1", PASSWORD)
    m.logout()


def test_sessions_per_account_limit(make_server):
    s = start(make_server)
    s.tegami("UpdateModule", "IMAP", "{MaxSessionsPerAccount=2;}")
    a = login(s)
    b = login(s)
    assert no_login(s, "user1", PASSWORD) == \
        "l1 NO [LIMIT] Too many IMAP sessions for this account"
    a.logout()
    c = login(s)
    c.logout()
    b.logout()
    assert s.wait_log(r"user1@test.example: too many sessions")
