# SPDX-License-Identifier: Apache-2.0
"""One SASL engine (src/auth/sasl.c) behind SMTP AUTH, POP AUTH and IMAP
AUTHENTICATE, with real clients: smtplib, swaks and curl for SMTP, poplib for
POP, imaplib (and SASL-IR on the AUTHENTICATE line) for IMAP.

* PLAIN, LOGIN and CRAM-MD5 succeed with the right password and fail with a
  wrong one, with and without an initial response; "*" cancels; an authzid
  other than the authcid is refused; CRAM-MD5 is taken unadvertised by all
  three.
* The three protocols advertise the same mechanisms (EHLO AUTH, CAPA SASL,
  CAPABILITY AUTH=) under the same settings: from a loopback address, and
  from 127.0.0.2 made a remote client by ClearTextLoginIPs, before and after
  TLS, with and without CRAM-MD5 in AUTHMethods and with
  AllowClearTextLogins.
"""

import base64
import hashlib
import hmac
import imaplib
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess

import pytest

from imaputil import Raw

PW = "s-pw-1"
REMOTE = "127.0.0.2"
ALL3 = ["PLAIN", "LOGIN", "CRAM-MD5"]


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def cram(user, pw, challenge_b64):
    chal = base64.b64decode(challenge_b64)
    return b64(f"{user} " + hmac.new(pw.encode(), chal, hashlib.md5).hexdigest())


def tls_ctx():
    return ssl._create_unverified_context()


@pytest.fixture
def srv(make_server):
    s = make_server(services=["cli", "smtp", "submission", "pop3", "imap"])
    s.start()
    # Passwords stored in clear (CRAM-MD5 needs them); one account per
    # protocol so that the failures of one do not slow another.
    for name in ("ss", "sp", "si"):
        s.tegami("CreateAccount", name,
                 '{Password="%s"; PasswordEncryption=clear; '
                 'FailedLoginFlow=(100,10m);}' % PW)
    return s


def offer_cram(s):
    s.tegami("UpdateDomainSettings", s.domain,
             '{AUTHMethods=(PLAIN,LOGIN,"CRAM-MD5");}')


# ---- SMTP ---------------------------------------------------------------------

def smtp_auth(s, mech, user, pw, ir=True):
    """235, or the code of the refusal."""
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=30) as c:
        c.ehlo()
        c.user, c.password = user, pw
        obj = {"PLAIN": c.auth_plain, "LOGIN": c.auth_login,
               "CRAM-MD5": c.auth_cram_md5}[mech]
        try:
            return c.auth(mech, obj, initial_response_ok=ir)[0]
        except smtplib.SMTPAuthenticationError as e:
            return e.smtp_code


def test_smtp_mechanisms(srv):
    s = srv
    for mech in ALL3:
        for ir in (True, False):
            assert smtp_auth(s, mech, "ss", PW, ir) == 235, (mech, ir)
            assert smtp_auth(s, mech, "ss", "wrong", ir) == 535, (mech, ir)
    with smtplib.SMTP("127.0.0.1", s.ports["smtp"], timeout=30) as c:
        c.ehlo()
        assert c.docmd("AUTH", "LOGIN") == (334, b"VXNlcm5hbWU6")
        assert c.docmd("*") == (501, b"5.0.0 Authentication cancelled")
        code, chal = c.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        assert c.docmd("*")[0] == 501
        code, _ = c.docmd("AUTH", "CRAM-MD5 " + b64("ss"))
        assert code == 501                     # no initial response
        assert c.docmd("AUTH", "PLAIN " + b64(f"other\0ss\0{PW}")) == \
            (535, b"5.7.8 incorrect password or account name")
        assert c.docmd("AUTH", "PLAIN " + b64(f"ss\0ss\0{PW}"))[0] == 235
    assert s.wait_log(r"SMTP-\d+.*AUTH LOGIN cancelled")
    assert s.wait_log(r"SMTP-\d+.*AUTH CRAM-MD5 failed for 'ss': incorrect password")
    assert PW not in s.log_text()


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_smtp_swaks(srv):
    s = srv
    offer_cram(s)                       # swaks uses only what is offered
    for mech in ALL3:
        for pw, ok in ((PW, True), ("wrong", False)):
            p = subprocess.run(
                ["swaks", "--server", f"127.0.0.1:{s.ports['submission']}",
                 "--quit-after", "AUTH", "--auth", mech,
                 "--auth-user", "ss", "--auth-password", pw,
                 "--timeout", "30"], capture_output=True, text=True,
                timeout=60)
            assert (p.returncode == 0) == ok, (mech, pw, p.stdout)
            assert ("235 2.7.0" in p.stdout) == ok, p.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_smtp_curl(srv, tmp_path):
    s = srv
    offer_cram(s)                       # curl uses only what is offered
    msg = tmp_path / "m.eml"
    msg.write_bytes(b"Subject: sasl\r\n\r\nhello\r\n")
    for mech in ALL3:
        for pw, ok in ((PW, True), ("wrong", False)):
            p = subprocess.run(
                ["curl", "-sS", "-v", "--max-time", "30",
                 "--login-options", f"AUTH={mech}", "-u", f"ss:{pw}",
                 "--mail-from", "ss@test.example",
                 "--mail-rcpt", "ss@test.example", "-T", str(msg),
                 f"smtp://127.0.0.1:{s.ports['submission']}"],
                capture_output=True, text=True, timeout=60)
            assert (p.returncode == 0) == ok, (mech, pw, p.stderr)
            assert f"AUTH {mech}" in p.stderr


# ---- POP ----------------------------------------------------------------------

def pop_auth(s, mech, user, pw, ir=True):
    """'+OK ...' or '-ERR ...' of one AUTH exchange through poplib."""
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    try:
        if mech == "PLAIN":
            raw = b64(f"\0{user}\0{pw}")
            if ir:
                r = p._shortcmd("AUTH PLAIN " + raw)
            else:
                assert p._shortcmd("AUTH PLAIN") == b"+ "
                r = p._shortcmd(raw)
        elif mech == "LOGIN":
            if ir:
                assert p._shortcmd("AUTH LOGIN " + b64(user)) == b"+ UGFzc3dvcmQ6"
            else:
                assert p._shortcmd("AUTH LOGIN") == b"+ VXNlcm5hbWU6"
                assert p._shortcmd(b64(user)) == b"+ UGFzc3dvcmQ6"
            r = p._shortcmd(b64(pw))
        else:
            ch = p._shortcmd("AUTH CRAM-MD5").decode()
            assert ch.startswith("+ ")
            r = p._shortcmd(cram(user, pw, ch[2:]))
        return r.decode()
    except poplib.error_proto as e:
        return e.args[0].decode()
    finally:
        # QUIT: the server drops the maildrop lock before its answer, so
        # the next login cannot meet "[IN-USE]" from this session.
        try:
            p.quit()
        except Exception:
            pass
        p.close()


def test_pop_mechanisms(srv):
    s = srv
    for mech in ALL3:
        for ir in ((True, False) if mech != "CRAM-MD5" else (False,)):
            assert pop_auth(s, mech, "sp", PW, ir).startswith("+OK"), (mech, ir)
            assert pop_auth(s, mech, "sp", "wrong", ir) == \
                "-ERR [AUTH] incorrect password or account name", (mech, ir)
    p = poplib.POP3("127.0.0.1", s.ports["pop3"], timeout=30)
    for mech in ALL3:
        assert p._shortcmd(f"AUTH {mech}").startswith(b"+ ")
        with pytest.raises(poplib.error_proto) as e:
            p._shortcmd("*")
        assert e.value.args[0] == b"-ERR [AUTH] authentication cancelled"
    with pytest.raises(poplib.error_proto) as e:
        p._shortcmd("AUTH CRAM-MD5 " + b64("sp"))
    assert e.value.args[0] == b"-ERR [AUTH] CRAM-MD5 takes no initial response"
    with pytest.raises(poplib.error_proto) as e:
        p._shortcmd("AUTH PLAIN " + b64(f"other\0sp\0{PW}"))
    assert e.value.args[0] == b"-ERR [AUTH] incorrect password or account name"
    with pytest.raises(poplib.error_proto) as e:
        p._shortcmd("AUTH PLAIN " + b64("no nuls"))
    assert e.value.args[0] == b"-ERR [AUTH] malformed PLAIN response"
    assert p._shortcmd("AUTH PLAIN " + b64(f"sp\0sp\0{PW}")).startswith(b"+OK")
    p.quit()


# ---- IMAP ---------------------------------------------------------------------

def imap_auth(s, mech, user, pw):
    """'OK' or the text of the NO through imaplib's authenticate()."""
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    try:
        if mech == "PLAIN":
            m.authenticate("PLAIN", lambda _: f"\0{user}\0{pw}".encode())
        elif mech == "LOGIN":
            answers = iter([user.encode(), pw.encode()])
            m.authenticate("LOGIN", lambda _: next(answers))
        else:
            m.login_cram_md5(user, pw)
        m.logout()
        return "OK"
    except imaplib.IMAP4.error as e:
        m.shutdown()
        return str(e)


def test_imap_mechanisms(srv):
    s = srv
    # CRAM-MD5 is not advertised (AUTHMethods default), but taken, as SMTP
    # and POP take it.
    m = imaplib.IMAP4("127.0.0.1", s.ports["imap"], timeout=30)
    assert "AUTH=CRAM-MD5" not in m.capabilities
    m.logout()
    for mech in ALL3:
        assert imap_auth(s, mech, "si", PW) == "OK", mech
        assert "[AUTHENTICATIONFAILED] incorrect password" in \
            imap_auth(s, mech, "si", "wrong"), mech
    r = Raw(s.ports["imap"])
    # SASL-IR (RFC 4959): PLAIN, and LOGIN's user name, on the line.
    _, tagged = r.cmd("a1", "AUTHENTICATE PLAIN " + b64(f"\0si\0{PW}"))
    assert tagged.startswith("a1 OK")
    r.close()
    r = Raw(s.ports["imap"])
    _, tagged = r.cmd("a1", "AUTHENTICATE PLAIN " + b64("\0si\0wrong"))
    assert tagged.startswith("a1 NO [AUTHENTICATIONFAILED]")
    _, tagged = r.cmd("a2", "AUTHENTICATE PLAIN " + b64(f"other\0si\0{PW}"))
    assert tagged.startswith("a2 NO [AUTHENTICATIONFAILED]")
    _, tagged = r.cmd("a3", "AUTHENTICATE PLAIN " + b64("no nuls"))
    assert tagged == "a3 BAD Invalid PLAIN response"
    _, tagged = r.cmd("a4", "AUTHENTICATE PLAIN !!!!")
    assert tagged == "a4 BAD Invalid base64 in AUTHENTICATE"
    _, tagged = r.cmd("a5", "AUTHENTICATE CRAM-MD5 " + b64("si"))
    assert tagged == "a5 BAD Invalid CRAM-MD5 response"
    for i, mech in enumerate(ALL3):
        r.send(f"c{i} AUTHENTICATE {mech}\r\n")
        assert r.line().startswith("+")
        r.send("*\r\n")
        _, tagged = r.until(f"c{i}")
        assert tagged == f"c{i} BAD AUTHENTICATE cancelled"
    r.send("a6 AUTHENTICATE LOGIN " + b64("si") + "\r\n")
    assert r.line() == "+ UGFzc3dvcmQ6"
    r.send(b64(PW) + "\r\n")
    _, tagged = r.until("a6")
    assert tagged.startswith("a6 OK")
    r.close()
    assert s.wait_log(r"IMAP-\d+.*login failed for si: incorrect password")
    assert PW not in s.log_text()


# ---- the same mechanisms everywhere --------------------------------------------

def smtp_mechs(s, source, tls):
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=30,
                      source_address=(source, 0)) as c:
        c.ehlo()
        if tls:
            c.starttls(context=tls_ctx())
            c.ehlo()
        return c.esmtp_features.get("auth", "").split()


class POPFrom(poplib.POP3):
    def __init__(self, port, source):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._source, 0))


class IMAPFrom(imaplib.IMAP4):
    def __init__(self, port, source):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self._source, 0))


def pop_mechs(s, source, tls):
    p = POPFrom(s.ports["pop3"], source)
    if tls:
        p.stls(context=tls_ctx())
    mechs = p.capa().get("SASL", [])
    p.quit()
    return mechs


def imap_mechs(s, source, tls):
    m = IMAPFrom(s.ports["imap"], source)
    if tls:
        m.starttls(ssl_context=tls_ctx())
    caps = m.capability()[1][0].decode().split()
    m.logout()
    return [c[5:] for c in caps if c.startswith("AUTH=")]


def all_mechs(s, source, tls):
    got = {"smtp": smtp_mechs(s, source, tls),
           "pop": pop_mechs(s, source, tls),
           "imap": imap_mechs(s, source, tls)}
    assert got["smtp"] == got["pop"] == got["imap"], (source, tls, got)
    return got["smtp"]


def test_same_mechanisms_advertised(srv):
    s = srv
    # Loopback is in the default ClearTextLoginIPs.
    assert all_mechs(s, "127.0.0.1", False) == ["PLAIN", "LOGIN"]
    assert all_mechs(s, REMOTE, False) == ["PLAIN", "LOGIN"]
    # 127.0.0.2 becomes a remote client: nothing in the clear, all after TLS.
    s.tegami("UpdateProtection", '{ClearTextLoginIPs="127.0.0.1";}')
    assert all_mechs(s, REMOTE, False) == []
    assert all_mechs(s, REMOTE, True) == ["PLAIN", "LOGIN"]
    assert all_mechs(s, "127.0.0.1", False) == ["PLAIN", "LOGIN"]
    # CRAM-MD5 where AUTHMethods lists it, in the clear too.
    offer_cram(s)
    assert all_mechs(s, REMOTE, False) == ["CRAM-MD5"]
    assert all_mechs(s, REMOTE, True) == ALL3
    assert all_mechs(s, "127.0.0.1", False) == ALL3
    # The relaxing setting.
    s.tegami("UpdateProtection", "{AllowClearTextLogins=YES;}")
    assert all_mechs(s, REMOTE, False) == ALL3


def test_remote_client_uses_what_is_offered(srv):
    """From a remote address without TLS, PLAIN is refused by all three
    (each in its own words), CRAM-MD5 works by all three."""
    s = srv
    s.tegami("UpdateProtection", '{ClearTextLoginIPs="127.0.0.1";}')
    with smtplib.SMTP("127.0.0.1", s.ports["submission"], timeout=30,
                      source_address=(REMOTE, 0)) as c:
        c.ehlo()
        code, text = c.docmd("AUTH", "PLAIN " + b64(f"\0ss\0{PW}"))
        assert code == 538 and text.startswith(b"5.7.11")
        code, chal = c.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        assert c.docmd(cram("ss", PW, chal.decode()))[0] == 235
    p = POPFrom(s.ports["pop3"], REMOTE)
    with pytest.raises(poplib.error_proto) as e:
        p._shortcmd("AUTH PLAIN " + b64(f"\0sp\0{PW}"))
    assert e.value.args[0].startswith(b"-ERR [AUTH] clear-text login requires TLS")
    ch = p._shortcmd("AUTH CRAM-MD5").decode()
    assert p._shortcmd(cram("sp", PW, ch[2:])).startswith(b"+OK")
    p.quit()
    m = IMAPFrom(s.ports["imap"], REMOTE)
    typ, data = m._simple_command("AUTHENTICATE", "PLAIN", b64(f"\0si\0{PW}"))
    assert typ == "NO" and b"[PRIVACYREQUIRED]" in data[0]
    assert m.login_cram_md5("si", PW)[0] == "OK"
    m.logout()
